//! A sans-IO MPEG-2 transport stream muxer for HLS segments carrying H.264
//! video and AAC audio.
//!
//! | Specification | Version / section | Link |
//! |---|---|---|
//! | ISO/IEC 13818-1 (ITU-T H.222.0) | 2019: §2.4.3.2 transport packet, §2.4.3.4 adaptation field, §2.4.3.6 PES packet | <https://www.itu.int/rec/T-REC-H.222.0> |
//! | ISO/IEC 13818-1 | §2.4.4 program specific information (PAT, PMT), Annex A CRC-32 | <https://www.itu.int/rec/T-REC-H.222.0> |
//! | ISO/IEC 13818-1 | Table 2-34 stream types 0x1B (H.264), 0x0F (AAC ADTS) | <https://www.itu.int/rec/T-REC-H.222.0> |
//! | RFC 8216 (HLS) | §3.2 MPEG-2 transport streams | <https://www.rfc-editor.org/rfc/rfc8216#section-3.2> |
//!
//! The [`Muxer`] turns access units into 188-byte transport packets appended
//! to a `Vec<u8>` the caller owns. It never reads a clock and does no I/O:
//! timestamps come in as 64-bit 90 kHz stream time and are written modulo
//! 2^33 after adding [`TIMESTAMP_OFFSET`]; PCRs trail DTS by [`PCR_DELAY`].
//!
//! ```
//! use livechannel_mpegts::{Muxer, MuxerConfig, PACKET_SIZE};
//!
//! let mut mux = Muxer::new(MuxerConfig::default())?;
//! let mut ts = Vec::new();
//! mux.start_segment(&mut ts); // PAT + PMT
//! let access_unit = [0, 0, 0, 1, 0x09, 0xF0, 0, 0, 0, 1, 0x65, 0x88];
//! mux.write_video(0, 0, true, &[access_unit], &mut ts)?;
//! mux.write_audio(1920, &[[0xFF, 0xF1, 0x50, 0x80, 0x01, 0x1F, 0xFC]], &mut ts)?;
//! assert_eq!(ts.len() % PACKET_SIZE, 0);
//! assert!(ts.chunks(PACKET_SIZE).all(|p| p[0] == 0x47));
//! # Ok::<(), livechannel_mpegts::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]
#![forbid(clippy::print_stdout, clippy::print_stderr)]

mod config;
mod error;
mod gather;
mod muxer;
mod packet;
mod pes;
mod psi;

pub use config::MuxerConfig;
pub use error::Error;
pub use muxer::Muxer;

/// Size of one transport packet in bytes.
pub const PACKET_SIZE: usize = 188;

/// The system clock and PTS/DTS rate: 90 kHz (the PCR base runs at this rate too).
pub const CLOCK_HZ: i64 = 90_000;

/// Added to every PTS/DTS written (1.4 s, like FFmpeg's default) so that
/// stream times slightly below zero (B-frame delay, audio before video)
/// stay positive.
pub const TIMESTAMP_OFFSET: i64 = 126_000;

/// PCR = DTS + [`TIMESTAMP_OFFSET`] − `PCR_DELAY`, so PCR ≤ DTS always
/// (0.7 s of decoder buffer, like nginx-rtmp).
pub const PCR_DELAY: i64 = 63_000;
