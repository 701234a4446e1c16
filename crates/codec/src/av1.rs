//! AV1: the av1C configuration record, OBU framing, the sequence header and key frame detection.
//!
//! Typical flow for an Enhanced RTMP `av01` track: parse the SequenceStart body with
//! [`Av1CodecConfigurationRecord::parse`], read size, bit depth and frame rate from
//! [`Av1CodecConfigurationRecord::sequence_header`], then ask [`is_key_frame`] about each
//! CodedFrames payload (one temporal unit of OBUs, §7.5 of the AV1 specification).
//!
//! References: *AV1 Bitstream & Decoding Process Specification* (v1.0.0 with Errata 1) §5.3
//! (OBU header), §4.10.5 (leb128), §5.5 (sequence header), §5.9.2 (uncompressed header start);
//! *AV1 Codec ISO Media File Format Binding* (v1.2.0) §2.3 (av1C).

mod av1c;
mod color;
mod key_frame;
mod obu;
mod sequence_header;

pub use av1c::Av1CodecConfigurationRecord;
pub use color::ColorConfig;
pub use key_frame::is_key_frame;
pub use obu::{read_leb128, Obu, ObuHeader, ObuType, Obus};
pub use sequence_header::{OperatingPoint, SequenceHeader, TimingInfo};
