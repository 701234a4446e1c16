//! HEVC / H.265: the hvcC configuration record, SPS parsing and NAL unit helpers.
//!
//! Typical flow for an Enhanced RTMP `hvc1` track: parse the SequenceStart body with
//! [`HevcDecoderConfigurationRecord::parse`], read picture size, bit depth and frame rate from
//! its first SPS with [`Sps::parse`], then split each CodedFrames payload with
//! [`length_prefixed_nal_units`](crate::length_prefixed_nal_units) using the record's
//! `length_size` (or ask [`access_unit_is_irap`] whether it starts a GOP).

mod hvcc;
mod nal;
mod ptl;
mod sps;

pub use hvcc::{HevcDecoderConfigurationRecord, NalArray};
pub use nal::{
    access_unit_is_irap, is_irap, is_vcl, nal_unit_type, NalUnitHeader, NAL_AUD, NAL_EOB, NAL_EOS,
    NAL_FD, NAL_PPS, NAL_PREFIX_SEI, NAL_SPS, NAL_SUFFIX_SEI, NAL_VPS,
};
pub use ptl::ProfileTierLevel;
pub use sps::{ConformanceWindow, Sps, Vui};
