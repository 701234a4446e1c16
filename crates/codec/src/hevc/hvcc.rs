//! HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1), the MP4 "hvcC" box payload that
//! Enhanced RTMP carries in an `hvc1` SequenceStart tag.

use bytes::Bytes;

use crate::h264::avcc::Cursor;
use crate::hevc::nal::{NAL_PPS, NAL_PREFIX_SEI, NAL_SPS, NAL_SUFFIX_SEI, NAL_VPS};
use crate::hevc::ProfileTierLevel;
use crate::Error;

/// One entry of the record's NAL unit arrays: NAL units of one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NalArray {
    /// array_completeness: all NAL units of this type are in the array (none in the stream).
    pub array_completeness: bool,
    /// NAL_unit_type (6 bits): 32 VPS, 33 SPS, 34 PPS, 39/40 prefix/suffix SEI.
    pub nal_unit_type: u8,
    /// The NAL units, header bytes included, as zero-copy slices of the parsed input.
    pub nal_units: Vec<Bytes>,
}

/// An HEVCDecoderConfigurationRecord: profile, tier and level, chroma format and bit depths,
/// the NAL length size, and the VPS/SPS/PPS/SEI NAL units a decoder needs first.
///
/// `parse` reads every fixed field and keeps the NAL units as zero-copy slices; `encode` writes
/// the record back (reserved bits as ones), so a parsed record re-encodes to the same bytes when
/// its reserved bits were ones, as the format requires. The caller must use
/// [`length_size`](Self::length_size) to split the CodedFrames that follow (see
/// [`length_prefixed_nal_units`](crate::length_prefixed_nal_units)) and should read picture size
/// and frame rate from the SPS with [`Sps::parse`](crate::hevc::Sps::parse).
///
/// ```
/// use bytes::Bytes;
/// use livechannel_codec::hevc::{HevcDecoderConfigurationRecord, NalArray, ProfileTierLevel};
///
/// let record = HevcDecoderConfigurationRecord {
///     profile_tier_level: ProfileTierLevel {
///         general_profile_space: 0,
///         general_tier_flag: false,
///         general_profile_idc: 1,
///         general_profile_compatibility_flags: 0x6000_0000,
///         general_constraint_indicator_flags: 0x9000_0000_0000,
///         general_level_idc: 93,
///     },
///     min_spatial_segmentation_idc: 0,
///     parallelism_type: 0,
///     chroma_format_idc: 1,
///     bit_depth_luma_minus8: 0,
///     bit_depth_chroma_minus8: 0,
///     avg_frame_rate: 0,
///     constant_frame_rate: 0,
///     num_temporal_layers: 1,
///     temporal_id_nested: true,
///     length_size: 4,
///     arrays: vec![NalArray {
///         array_completeness: false,
///         nal_unit_type: 33,
///         nal_units: vec![Bytes::from_static(&[0x42, 0x01, 0x01])],
///     }],
/// };
/// let mut encoded = Vec::new();
/// record.encode(&mut encoded);
/// let parsed = HevcDecoderConfigurationRecord::parse(&Bytes::from(encoded))?;
/// assert_eq!(parsed, record);
/// assert_eq!(parsed.sps().count(), 1);
/// assert_eq!(parsed.codec_string(), "hvc1.1.6.L93.90");
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HevcDecoderConfigurationRecord {
    /// general_profile_space, general_tier_flag, general_profile_idc,
    /// general_profile_compatibility_flags, general_constraint_indicator_flags (48 bits) and
    /// general_level_idc (30 times the level: 93 is level 3.1), as in the SPS.
    pub profile_tier_level: ProfileTierLevel,
    /// min_spatial_segmentation_idc (12 bits).
    pub min_spatial_segmentation_idc: u16,
    /// parallelismType (2 bits).
    pub parallelism_type: u8,
    /// chromaFormat, chroma_format_idc of the SPS (2 bits).
    pub chroma_format_idc: u8,
    /// bitDepthLumaMinus8 (3 bits).
    pub bit_depth_luma_minus8: u8,
    /// bitDepthChromaMinus8 (3 bits).
    pub bit_depth_chroma_minus8: u8,
    /// avgFrameRate in frames per 256 seconds; 0 means unspecified.
    pub avg_frame_rate: u16,
    /// constantFrameRate (2 bits).
    pub constant_frame_rate: u8,
    /// numTemporalLayers (3 bits).
    pub num_temporal_layers: u8,
    /// temporalIdNested.
    pub temporal_id_nested: bool,
    /// lengthSizeMinusOne + 1: the NAL unit length prefix size of the coded frames, 1, 2 or 4.
    pub length_size: u8,
    /// The NAL unit arrays, in record order.
    pub arrays: Vec<NalArray>,
}

impl HevcDecoderConfigurationRecord {
    /// Parses a record (the body of an `hvc1` SequenceStart after the Enhanced RTMP header).
    ///
    /// Errors: [`Error::Truncated`] when the record ends inside a field or NAL unit,
    /// [`Error::UnsupportedConfigurationVersion`] for a version other than 1, and
    /// [`Error::InvalidLengthSize`] for lengthSizeMinusOne = 2. Reserved bits are not checked, and
    /// bytes after the record are ignored. The counts on the wire (at most 255 arrays of at most
    /// 65535 NAL units) only grow the vectors as entries actually arrive.
    pub fn parse(data: &Bytes) -> Result<Self, Error> {
        let mut c = Cursor { data, pos: 0 };
        let version = c.u8("hvcC configurationVersion")?;
        if version != 1 {
            return Err(Error::UnsupportedConfigurationVersion { version });
        }
        let profile = c.u8("hvcC general_profile_idc")?;
        let compat_hi = c.u16("hvcC general_profile_compatibility_flags")?;
        let compat_lo = c.u16("hvcC general_profile_compatibility_flags")?;
        let mut constraints = 0u64;
        for _ in 0..3 {
            let v = c.u16("hvcC general_constraint_indicator_flags")?;
            constraints = (constraints << 16) | u64::from(v);
        }
        let general_level_idc = c.u8("hvcC general_level_idc")?;
        let min_spatial_segmentation_idc = c.u16("hvcC min_spatial_segmentation_idc")? & 0x0FFF;
        let parallelism_type = c.u8("hvcC parallelismType")? & 0x03;
        let chroma_format_idc = c.u8("hvcC chromaFormat")? & 0x03;
        let bit_depth_luma_minus8 = c.u8("hvcC bitDepthLumaMinus8")? & 0x07;
        let bit_depth_chroma_minus8 = c.u8("hvcC bitDepthChromaMinus8")? & 0x07;
        let avg_frame_rate = c.u16("hvcC avgFrameRate")?;
        let flags = c.u8("hvcC lengthSizeMinusOne")?;
        let length_size = (flags & 0x03) + 1;
        if length_size == 3 {
            return Err(Error::InvalidLengthSize { length_size });
        }
        let num_arrays = c.u8("hvcC numOfArrays")?;
        let mut arrays = Vec::new();
        for _ in 0..num_arrays {
            let head = c.u8("hvcC NAL_unit_type")?;
            let count = c.u16("hvcC numNalus")?;
            let mut nal_units = Vec::new();
            for _ in 0..count {
                nal_units.push(c.nal("hvcC nalUnit")?);
            }
            arrays.push(NalArray {
                array_completeness: head & 0x80 != 0,
                nal_unit_type: head & 0x3F,
                nal_units,
            });
        }
        Ok(HevcDecoderConfigurationRecord {
            profile_tier_level: ProfileTierLevel {
                general_profile_space: profile >> 6,
                general_tier_flag: profile & 0x20 != 0,
                general_profile_idc: profile & 0x1F,
                general_profile_compatibility_flags: (u32::from(compat_hi) << 16)
                    | u32::from(compat_lo),
                general_constraint_indicator_flags: constraints,
                general_level_idc,
            },
            min_spatial_segmentation_idc,
            parallelism_type,
            chroma_format_idc,
            bit_depth_luma_minus8,
            bit_depth_chroma_minus8,
            avg_frame_rate,
            constant_frame_rate: flags >> 6,
            num_temporal_layers: (flags >> 3) & 0x07,
            temporal_id_nested: flags & 0x04 != 0,
            length_size,
            arrays,
        })
    }

    /// Appends the encoded record to `out`.
    ///
    /// Fields are written modulo their widths (the caller must keep them in range for a
    /// faithful round trip); `length_size` is written as lengthSizeMinusOne modulo 4. At most 255
    /// arrays of at most 65535 NAL units of at most 65535 bytes are written; entries beyond those
    /// limits are dropped. Reserved bits are written as ones.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let ptl = &self.profile_tier_level;
        out.push(1);
        out.push(
            (ptl.general_profile_space & 0x03) << 6
                | u8::from(ptl.general_tier_flag) << 5
                | (ptl.general_profile_idc & 0x1F),
        );
        out.extend_from_slice(&ptl.general_profile_compatibility_flags.to_be_bytes());
        out.extend_from_slice(&ptl.general_constraint_indicator_flags.to_be_bytes()[2..]);
        out.push(ptl.general_level_idc);
        out.extend_from_slice(
            &(0xF000 | (self.min_spatial_segmentation_idc & 0x0FFF)).to_be_bytes(),
        );
        out.push(0xFC | (self.parallelism_type & 0x03));
        out.push(0xFC | (self.chroma_format_idc & 0x03));
        out.push(0xF8 | (self.bit_depth_luma_minus8 & 0x07));
        out.push(0xF8 | (self.bit_depth_chroma_minus8 & 0x07));
        out.extend_from_slice(&self.avg_frame_rate.to_be_bytes());
        out.push(
            (self.constant_frame_rate & 0x03) << 6
                | (self.num_temporal_layers & 0x07) << 3
                | u8::from(self.temporal_id_nested) << 2
                | (self.length_size.wrapping_sub(1) & 0x03),
        );
        let arrays = &self.arrays[..self.arrays.len().min(255)];
        // At most 255 after the cut above.
        out.push(arrays.len() as u8);
        for array in arrays {
            // The reserved bit between array_completeness and NAL_unit_type is 0.
            out.push(u8::from(array.array_completeness) << 7 | (array.nal_unit_type & 0x3F));
            let fitting = || {
                array
                    .nal_units
                    .iter()
                    .filter(|n| n.len() <= usize::from(u16::MAX))
                    .take(usize::from(u16::MAX))
            };
            // At most 65535 by the `take` above.
            out.extend_from_slice(&(fitting().count() as u16).to_be_bytes());
            for nal in fitting() {
                out.extend_from_slice(&(nal.len() as u16).to_be_bytes());
                out.extend_from_slice(nal);
            }
        }
    }

    /// The NAL units of one type across all arrays, in record order.
    pub fn nal_units(&self, nal_unit_type: u8) -> impl Iterator<Item = &Bytes> {
        self.arrays
            .iter()
            .filter(move |a| a.nal_unit_type == nal_unit_type)
            .flat_map(|a| a.nal_units.iter())
    }

    /// The video parameter sets (type 32).
    pub fn vps(&self) -> impl Iterator<Item = &Bytes> {
        self.nal_units(NAL_VPS)
    }

    /// The sequence parameter sets (type 33): hand the first to
    /// [`Sps::parse`](crate::hevc::Sps::parse).
    pub fn sps(&self) -> impl Iterator<Item = &Bytes> {
        self.nal_units(NAL_SPS)
    }

    /// The picture parameter sets (type 34).
    pub fn pps(&self) -> impl Iterator<Item = &Bytes> {
        self.nal_units(NAL_PPS)
    }

    /// The prefix and suffix SEI NAL units (types 39 and 40), in record order.
    pub fn sei(&self) -> impl Iterator<Item = &Bytes> {
        self.arrays
            .iter()
            .filter(|a| matches!(a.nal_unit_type, NAL_PREFIX_SEI | NAL_SUFFIX_SEI))
            .flat_map(|a| a.nal_units.iter())
    }

    /// The RFC 6381 / ISO/IEC 14496-15 Annex E codec string for HLS `CODECS`, e.g.
    /// `hvc1.1.6.L93.B0`: profile space letter and profile, the compatibility flags bit-reversed
    /// in hex, tier letter and level, then the constraint bytes with trailing zero bytes dropped.
    pub fn codec_string(&self) -> String {
        let ptl = &self.profile_tier_level;
        let space = match ptl.general_profile_space {
            1 => "A",
            2 => "B",
            3 => "C",
            _ => "",
        };
        let tier = if ptl.general_tier_flag { 'H' } else { 'L' };
        let mut s = format!(
            "hvc1.{space}{}.{:X}.{tier}{}",
            ptl.general_profile_idc,
            ptl.general_profile_compatibility_flags.reverse_bits(),
            ptl.general_level_idc
        );
        let bytes = &ptl.general_constraint_indicator_flags.to_be_bytes()[2..];
        let used = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        for b in &bytes[..used] {
            s.push_str(&format!(".{b:X}"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start of the hvcC of the `hevc_main_640x360_25fps_aac` fixture, cut after the VPS.
    fn record() -> Vec<u8> {
        let mut d = vec![
            0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3F, 0xF0,
            0x00, 0xFC, 0xFD, 0xF8, 0xF8, 0x00, 0x00, 0x0F, 0x01, 0x20, 0x00, 0x01, 0x00, 0x04,
        ];
        d.extend_from_slice(&[0x40, 0x01, 0x0C, 0x01]);
        d
    }

    #[test]
    fn parses_fixed_fields_and_round_trips() {
        let data = Bytes::from(record());
        let r = HevcDecoderConfigurationRecord::parse(&data).unwrap();
        let ptl = r.profile_tier_level;
        assert_eq!(ptl.general_profile_idc, 1);
        assert_eq!(ptl.general_profile_compatibility_flags, 0x6000_0000);
        assert_eq!(ptl.general_constraint_indicator_flags, 0x9000_0000_0000);
        assert_eq!(ptl.general_level_idc, 63);
        assert_eq!(r.chroma_format_idc, 1);
        assert_eq!(
            (r.num_temporal_layers, r.temporal_id_nested, r.length_size),
            (1, true, 4)
        );
        assert_eq!(r.vps().collect::<Vec<_>>(), [&data.slice(28..)]);
        assert_eq!(r.vps().next().unwrap().as_ptr(), data[28..].as_ptr());
        assert_eq!(r.codec_string(), "hvc1.1.6.L63.90");
        let mut out = Vec::new();
        r.encode(&mut out);
        assert_eq!(out, record());
    }

    #[test]
    fn truncation_and_bad_fields() {
        let full = record();
        for cut in 0..full.len() {
            let err = HevcDecoderConfigurationRecord::parse(&Bytes::copy_from_slice(&full[..cut]));
            assert!(
                matches!(err, Err(Error::Truncated { .. })),
                "cut {cut}: {err:?}"
            );
        }
        let mut d = record();
        d[21] = 0x0E;
        assert_eq!(
            HevcDecoderConfigurationRecord::parse(&Bytes::from(d)),
            Err(Error::InvalidLengthSize { length_size: 3 })
        );
        let mut d = record();
        d[0] = 0;
        assert_eq!(
            HevcDecoderConfigurationRecord::parse(&Bytes::from(d)),
            Err(Error::UnsupportedConfigurationVersion { version: 0 })
        );
    }
}
