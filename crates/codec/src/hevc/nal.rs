//! HEVC NAL unit headers (H.265 §7.3.1.2, Table 7-1).

use bytes::Bytes;

use crate::nal_length::length_prefixed_nal_units;
use crate::Error;

/// Video parameter set.
pub const NAL_VPS: u8 = 32;
/// Sequence parameter set.
pub const NAL_SPS: u8 = 33;
/// Picture parameter set.
pub const NAL_PPS: u8 = 34;
/// Access unit delimiter.
pub const NAL_AUD: u8 = 35;
/// End of sequence.
pub const NAL_EOS: u8 = 36;
/// End of bitstream.
pub const NAL_EOB: u8 = 37;
/// Filler data.
pub const NAL_FD: u8 = 38;
/// Prefix SEI.
pub const NAL_PREFIX_SEI: u8 = 39;
/// Suffix SEI.
pub const NAL_SUFFIX_SEI: u8 = 40;

/// The 6-bit nal_unit_type of an HEVC NAL unit whose first header byte is `first_byte`.
///
/// ```
/// use livechannel_codec::hevc::{is_irap, nal_unit_type, NAL_SPS};
/// assert_eq!(nal_unit_type(0x42), NAL_SPS);
/// assert!(is_irap(nal_unit_type(0x26))); // IDR_W_RADL
/// assert!(!is_irap(nal_unit_type(0x02))); // TRAIL_R
/// ```
pub fn nal_unit_type(first_byte: u8) -> u8 {
    (first_byte >> 1) & 0x3F
}

/// Whether a nal_unit_type is an intra random access point picture (BLA, IDR or CRA, and the
/// reserved IRAP types 22 and 23: the range 16..=23 of Table 7-1). A decoder can start at an
/// access unit whose slices are IRAP, given the parameter sets.
pub fn is_irap(nal_unit_type: u8) -> bool {
    (16..=23).contains(&nal_unit_type)
}

/// Whether a nal_unit_type is a coded slice (VCL NAL unit, 0..=31).
pub fn is_vcl(nal_unit_type: u8) -> bool {
    nal_unit_type < 32
}

/// The two-byte HEVC NAL unit header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NalUnitHeader {
    /// forbidden_zero_bit (must be 0 in a conforming stream; kept, not checked).
    pub forbidden_zero_bit: bool,
    /// nal_unit_type (6 bits).
    pub nal_unit_type: u8,
    /// nuh_layer_id (6 bits).
    pub nuh_layer_id: u8,
    /// nuh_temporal_id_plus1 (3 bits).
    pub nuh_temporal_id_plus1: u8,
}

impl NalUnitHeader {
    /// Reads the header from the first two bytes of a NAL unit; [`Error::Truncated`] if shorter.
    pub fn parse(nal: &[u8]) -> Result<NalUnitHeader, Error> {
        let Some(&[a, b]) = nal.get(..2) else {
            return Err(Error::Truncated {
                what: "HEVC NAL unit header",
                offset: 0,
                needed: 2,
                available: nal.len(),
            });
        };
        Ok(NalUnitHeader {
            forbidden_zero_bit: a & 0x80 != 0,
            nal_unit_type: nal_unit_type(a),
            nuh_layer_id: ((a & 1) << 5) | (b >> 3),
            nuh_temporal_id_plus1: b & 0x07,
        })
    }
}

/// Whether a length-prefixed HEVC access unit (an `hvc1` CodedFrames payload) holds an IRAP
/// picture: true when any of its VCL NAL units has an IRAP type (all slices of a picture share
/// the type). The caller passes the record's
/// [`length_size`](crate::hevc::HevcDecoderConfigurationRecord::length_size); framing errors of
/// [`length_prefixed_nal_units`] are returned.
///
/// ```
/// use bytes::Bytes;
/// use livechannel_codec::hevc::access_unit_is_irap;
/// let au = Bytes::from_static(&[0, 0, 0, 3, 0x26, 0x01, 0xAF]);
/// assert!(access_unit_is_irap(&au, 4)?);
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
pub fn access_unit_is_irap(au: &Bytes, length_size: u8) -> Result<bool, Error> {
    for nal in length_prefixed_nal_units(au, length_size) {
        let t = nal_unit_type(nal?.first().copied().unwrap_or(0));
        if is_vcl(t) {
            return Ok(is_irap(t));
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields() {
        let h = NalUnitHeader::parse(&[0x40, 0x01]).unwrap();
        assert_eq!(
            (h.nal_unit_type, h.nuh_layer_id, h.nuh_temporal_id_plus1),
            (32, 0, 1)
        );
        let h = NalUnitHeader::parse(&[0x03, 0xFA]).unwrap();
        assert_eq!(
            (h.nal_unit_type, h.nuh_layer_id, h.nuh_temporal_id_plus1),
            (1, 63, 2)
        );
        assert!(NalUnitHeader::parse(&[0x40]).is_err());
    }

    #[test]
    fn irap_range() {
        let irap: Vec<u8> = (0..64).filter(|&t| is_irap(t)).collect();
        assert_eq!(irap, (16..=23).collect::<Vec<_>>());
    }
}
