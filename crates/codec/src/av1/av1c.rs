//! AV1CodecConfigurationRecord (AV1 Codec ISO Media File Format Binding v1.2.0 §2.3.3), the
//! "av1C" box payload that Enhanced RTMP carries in an `av01` SequenceStart tag.

use bytes::Bytes;

use crate::av1::sequence_header::SequenceHeader;
use crate::Error;

/// An AV1CodecConfigurationRecord: a summary of the sequence header, and configOBUs (the
/// sequence header OBU and possibly metadata OBUs).
///
/// `parse` keeps configOBUs as a zero-copy slice; `encode` writes the record back (reserved bits
/// as zeros, as the binding requires). The caller should read size, bit depth and frame rate
/// from [`sequence_header`](Self::sequence_header) rather than from the summary fields, which
/// only repeat what the sequence header says.
///
/// ```
/// use bytes::Bytes;
/// use livechannel_codec::av1::Av1CodecConfigurationRecord;
///
/// // The av1C of a 640x360 8-bit 4:2:0 stream from SVT-AV1 (via FFmpeg 9).
/// let data = Bytes::from_static(&[
///     0x81, 0x01, 0x0C, 0x00, 0x0A, 0x0C, 0x02, 0x00, 0x00, 0x0D, 0x66, 0x27, 0xFB, 0x38,
///     0x05, 0xF0, 0x00, 0x80,
/// ]);
/// let record = Av1CodecConfigurationRecord::parse(&data)?;
/// assert_eq!((record.seq_profile, record.seq_level_idx_0, record.bit_depth()), (0, 1, 8));
/// let seq = record.sequence_header()?;
/// assert_eq!((seq.max_frame_width, seq.max_frame_height), (640, 360));
/// let mut encoded = Vec::new();
/// record.encode(&mut encoded);
/// assert_eq!(encoded, data);
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Av1CodecConfigurationRecord {
    /// seq_profile (3 bits).
    pub seq_profile: u8,
    /// seq_level_idx_0 (5 bits).
    pub seq_level_idx_0: u8,
    /// seq_tier_0 (1 bit).
    pub seq_tier_0: u8,
    /// high_bitdepth.
    pub high_bitdepth: bool,
    /// twelve_bit.
    pub twelve_bit: bool,
    /// monochrome.
    pub monochrome: bool,
    /// chroma_subsampling_x.
    pub chroma_subsampling_x: bool,
    /// chroma_subsampling_y.
    pub chroma_subsampling_y: bool,
    /// chroma_sample_position (2 bits).
    pub chroma_sample_position: u8,
    /// initial_presentation_delay_minus_one + 1, when initial_presentation_delay_present.
    pub initial_presentation_delay: Option<u8>,
    /// configOBUs: zero or more OBUs in low-overhead format (each with obu_has_size_field).
    pub config_obus: Bytes,
}

impl Av1CodecConfigurationRecord {
    /// Parses a record (the body of an `av01` SequenceStart after the Enhanced RTMP header).
    ///
    /// Errors: [`Error::Truncated`] under 4 bytes, [`Error::InvalidAv1ConfigHeader`] unless the
    /// marker bit is 1 and the version 1. Reserved bits are not checked; configOBUs is not
    /// parsed here (see [`sequence_header`](Self::sequence_header)).
    pub fn parse(data: &Bytes) -> Result<Self, Error> {
        let Some(&[b0, b1, b2, b3]) = data.get(..4) else {
            return Err(Error::Truncated {
                what: "av1C fixed fields",
                offset: 0,
                needed: 4,
                available: data.len(),
            });
        };
        let (marker, version) = (b0 >> 7, b0 & 0x7F);
        if marker != 1 || version != 1 {
            return Err(Error::InvalidAv1ConfigHeader { marker, version });
        }
        Ok(Av1CodecConfigurationRecord {
            seq_profile: b1 >> 5,
            seq_level_idx_0: b1 & 0x1F,
            seq_tier_0: b2 >> 7,
            high_bitdepth: b2 & 0x40 != 0,
            twelve_bit: b2 & 0x20 != 0,
            monochrome: b2 & 0x10 != 0,
            chroma_subsampling_x: b2 & 0x08 != 0,
            chroma_subsampling_y: b2 & 0x04 != 0,
            chroma_sample_position: b2 & 0x03,
            initial_presentation_delay: (b3 & 0x10 != 0).then_some((b3 & 0x0F) + 1),
            config_obus: data.slice(4..),
        })
    }

    /// Appends the encoded record to `out`. Fields are written modulo their widths, and an
    /// `initial_presentation_delay` of `Some(d)` as d - 1 modulo 16 (the caller must keep it
    /// in 1..=16 for a faithful round trip).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let flag = |b: bool, shift: u8| u8::from(b) << shift;
        out.push(0x81);
        out.push((self.seq_profile & 0x07) << 5 | (self.seq_level_idx_0 & 0x1F));
        out.push(
            (self.seq_tier_0 & 1) << 7
                | flag(self.high_bitdepth, 6)
                | flag(self.twelve_bit, 5)
                | flag(self.monochrome, 4)
                | flag(self.chroma_subsampling_x, 3)
                | flag(self.chroma_subsampling_y, 2)
                | (self.chroma_sample_position & 0x03),
        );
        out.push(match self.initial_presentation_delay {
            Some(d) => 0x10 | (d.wrapping_sub(1) & 0x0F),
            None => 0,
        });
        out.extend_from_slice(&self.config_obus);
    }

    /// The bit depth the summary fields declare: 8, 10 or 12.
    pub fn bit_depth(&self) -> u8 {
        match (self.high_bitdepth, self.twelve_bit) {
            (false, _) => 8,
            (true, false) => 10,
            (true, true) => 12,
        }
    }

    /// The sequence header from configOBUs. Errors: those of [`SequenceHeader::find`] (e.g.
    /// [`Error::NoSequenceHeader`] when configOBUs is empty, which the binding allows: the
    /// caller must then take the sequence header from the first key temporal unit).
    pub fn sequence_header(&self) -> Result<SequenceHeader, Error> {
        SequenceHeader::find(&self.config_obus)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_checks() {
        assert_eq!(
            Av1CodecConfigurationRecord::parse(&Bytes::from_static(&[0x01, 0, 0, 0])),
            Err(Error::InvalidAv1ConfigHeader {
                marker: 0,
                version: 1
            })
        );
        assert!(matches!(
            Av1CodecConfigurationRecord::parse(&Bytes::from_static(&[0x81, 0, 0])),
            Err(Error::Truncated { needed: 4, .. })
        ));
        let r = Av1CodecConfigurationRecord::parse(&Bytes::from_static(&[0x81, 0x48, 0xE2, 0x13]))
            .unwrap();
        assert_eq!((r.seq_profile, r.seq_level_idx_0, r.seq_tier_0), (2, 8, 1));
        assert_eq!((r.bit_depth(), r.chroma_sample_position), (12, 2));
        assert_eq!(r.initial_presentation_delay, Some(4));
        assert_eq!(r.sequence_header(), Err(Error::NoSequenceHeader));
    }
}
