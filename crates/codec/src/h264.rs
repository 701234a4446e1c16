//! H.264 / AVC: the avcC configuration record, SPS parsing and AVCC → Annex B conversion.
//!
//! Typical flow for an FLV/RTMP video track: parse the AVC sequence header with
//! [`AvcDecoderConfigurationRecord::parse`], read picture size and frame rate from its first SPS
//! with [`Sps::parse`], then feed every AVC NALU tag to [`AnnexBConverter::convert`].

mod annexb;
pub(crate) mod avcc;
mod nal;
pub(crate) mod sps;

pub use crate::Error;
pub use annexb::{AccessUnitInfo, AnnexB, AnnexBConverter};
pub use avcc::{AvcDecoderConfigurationRecord, HighProfileExt};
pub use nal::{
    annexb_nal_units, nal_unit_type, remove_emulation_prevention, AnnexBNalUnits, NalUnitType,
};
pub use sps::{ColourDescription, FrameCropping, Sps, TimingInfo, Vui};
