//! Codec bitstream helpers for remuxing RTMP/FLV: H.264, HEVC, AV1 and AAC.
//!
//! | Specification | Section | What is implemented |
//! |---|---|---|
//! | [ISO/IEC 14496-15](https://www.iso.org/standard/83336.html) | §5.3.3.1 | AVCDecoderConfigurationRecord (`avcC`) parse and encode |
//! | [ITU-T H.264](https://www.itu.int/rec/T-REC-H.264) (08/2021) | §7.3.2.1.1, §7.4.2.1.1 | Sequence parameter set: profile, level, size after cropping |
//! | [ITU-T H.264](https://www.itu.int/rec/T-REC-H.264) | Annex E §E.1.1, §E.1.2 | VUI: aspect ratio, colour, timing (frame rate), HRD (skipped), bitstream restrictions |
//! | [ITU-T H.264](https://www.itu.int/rec/T-REC-H.264) | §7.3.1, §7.4.1.2.3, Annex B | NAL headers, emulation prevention, access unit order, byte stream format |
//! | [ISO/IEC 14496-15](https://www.iso.org/standard/83336.html) | §8.3.3.1 | HEVCDecoderConfigurationRecord (`hvcC`) parse and encode |
//! | [ITU-T H.265](https://www.itu.int/rec/T-REC-H.265) (V10, 07/2024) | §7.3.1.2, §7.3.2.2.1, §7.3.3, §7.3.4, §7.3.7, §E.2.1 | NAL header, SPS (profile_tier_level, conformance window, bit depths, RPS walk), VUI up to timing info |
//! | [AV1 ISOBMFF binding](https://aomediacodec.github.io/av1-isobmff/) v1.2.0 | §2.3.3 | AV1CodecConfigurationRecord (`av1C`) parse and encode |
//! | [AV1 bitstream](https://aomediacodec.github.io/av1-spec/) v1.0.0 errata 1 | §4.10.5, §5.3, §5.5, §5.9.2 | leb128, OBU headers, sequence header, key frame detection |
//! | [ISO/IEC 14496-3](https://www.iso.org/standard/76383.html) | §1.6.2.1, §4.4.1 | AudioSpecificConfig with GASpecificConfig, PCE and SBR/PS signalling |
//! | [ISO/IEC 14496-3](https://www.iso.org/standard/76383.html) | §1.A.2 | ADTS fixed and variable headers |
//! | [RFC 6381](https://www.rfc-editor.org/rfc/rfc6381) | §3.3 | `avc1.PPCCLL` and `mp4a.40.N` codec strings |
//!
//! The crate is sans-IO: every function takes bytes and returns values. Nothing panics on
//! malformed input, and lengths read from the wire are checked before use.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use livechannel_codec::aac::{AdtsHeader, AudioSpecificConfig};
//! use livechannel_codec::h264::{AnnexB, AnnexBConverter, AvcDecoderConfigurationRecord, Sps};
//!
//! // The AVC sequence header of an FLV stream (320x240 Constrained Baseline, 25 fps).
//! let avcc = Bytes::from_static(&[
//!     0x01, 0x42, 0xC0, 0x0D, 0xFF, 0xE1, 0x00, 0x18, 0x67, 0x42, 0xC0, 0x0D, 0xD9, 0x01,
//!     0x41, 0xFB, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0x20,
//!     0xF1, 0x42, 0xA4, 0x80, 0x01, 0x00, 0x04, 0x68, 0xCB, 0x8C, 0xB2,
//! ]);
//! let config = AvcDecoderConfigurationRecord::parse(&avcc)?;
//! let sps = Sps::parse(&config.sps[0])?;
//! assert_eq!((sps.width, sps.height, sps.frame_rate), (320, 240, Some(25.0)));
//!
//! // Each video frame: AVCC in, Annex B out (with AUD and, before IDRs, SPS/PPS).
//! let mut converter = AnnexBConverter::new(&config);
//! let mut annexb = AnnexB::new();
//! let frame = Bytes::from_static(&[0, 0, 0, 2, 0x65, 0x88]);
//! let info = converter.convert(&frame, &mut annexb)?;
//! assert!(info.keyframe);
//! assert_eq!(annexb.len(), 6 + (4 + 24) + (4 + 4) + (4 + 2));
//!
//! // The AAC sequence header, then one ADTS header per raw AAC frame.
//! let asc = AudioSpecificConfig::parse(&[0x12, 0x10])?;
//! assert_eq!((asc.sampling_frequency, asc.channel_configuration), (44100, 2));
//! let header = AdtsHeader::for_frame(&asc, 100)?;
//! assert_eq!(header.frame_length, 107);
//! assert_eq!(AdtsHeader::parse(&header.to_bytes())?, header);
//! # Ok::<(), livechannel_codec::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]
#![forbid(clippy::print_stdout, clippy::print_stderr)]

pub mod aac;
pub mod av1;
mod bits;
mod error;
pub mod h264;
pub mod hevc;
mod nal_length;

pub use error::Error;
pub use nal_length::{length_prefixed_nal_units, LengthPrefixedNalUnits};
