//! Walking a program_config_element() (ISO/IEC 14496-3 §4.4.1.1, Table 4.2) to find its end.

use crate::bits::BitReader;
use crate::Error;

/// Reads past a PCE. Its byte_alignment() is relative to the start of the AudioSpecificConfig,
/// which is where `r` started, so the reader's own position decides the padding.
pub(super) fn skip(r: &mut BitReader<'_>) -> Result<(), Error> {
    r.read_bits(4, "pce element_instance_tag")?;
    r.read_bits(2, "pce object_type")?;
    r.read_bits(4, "pce sampling_frequency_index")?;
    let front = r.read_bits(4, "pce num_front_channel_elements")?;
    let side = r.read_bits(4, "pce num_side_channel_elements")?;
    let back = r.read_bits(4, "pce num_back_channel_elements")?;
    let lfe = r.read_bits(2, "pce num_lfe_channel_elements")?;
    let assoc = r.read_bits(3, "pce num_assoc_data_elements")?;
    let cc = r.read_bits(4, "pce num_valid_cc_elements")?;
    if r.read_flag("pce mono_mixdown_present")? {
        r.read_bits(4, "pce mono_mixdown_element_number")?;
    }
    if r.read_flag("pce stereo_mixdown_present")? {
        r.read_bits(4, "pce stereo_mixdown_element_number")?;
    }
    if r.read_flag("pce matrix_mixdown_idx_present")? {
        r.read_bits(3, "pce matrix_mixdown_idx")?;
    }
    // All counts come from 2- to 4-bit fields: at most 15 elements of 5 bits each.
    let element_bits = 5 * (front + side + back + cc) + 4 * (lfe + assoc);
    r.skip(element_bits as usize, "pce channel elements")?;
    let misalignment = r.position() % 8;
    if misalignment != 0 {
        r.skip(8 - misalignment, "pce byte_alignment")?;
    }
    let comment_bytes = r.read_bits(8, "pce comment_field_bytes")?;
    r.skip(8 * comment_bytes as usize, "pce comment_field_data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_a_stereo_pce_with_comment() {
        // tag 0, object type 1, index 4, one front CPE, no other elements, no mixdowns,
        // then alignment and a 1-byte comment.
        let mut data = Vec::new();
        let mut w = crate::bits::BitWriter::new(&mut data);
        w.write_bits(0, 4);
        w.write_bits(1, 2);
        w.write_bits(4, 4);
        w.write_bits(1, 4); // front
        w.write_bits(0, 4 + 4 + 2 + 3 + 4); // side, back, lfe, assoc, cc
        w.write_bits(0, 3); // three absent mixdowns
        w.write_bits(0b1_0000, 5); // front element: CPE, tag 0
        let pad = (8 - w.bit_phase()) % 8;
        w.write_bits(0, pad);
        w.write_bits(1, 8);
        w.write_bits(0x41, 8);
        let mut r = BitReader::new(&data);
        skip(&mut r).unwrap();
        assert_eq!(r.bits_left(), 0);
        let mut r = BitReader::new(&data[..data.len() - 1]);
        assert!(matches!(skip(&mut r), Err(Error::BitstreamEnd { .. })));
    }
}
