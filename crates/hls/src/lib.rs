//! HLS segmenting: FLV audio/video tag bodies in, MPEG-TS segments out.
//!
//! | Specification | Version / section | Link |
//! |---|---|---|
//! | HTTP Live Streaming | RFC 8216 §3.2 (MPEG-2 TS segments), §6.2.1 | <https://www.rfc-editor.org/rfc/rfc8216> |
//! | OSS LiveChannel segmentation | `docs/oss-compatibility.md`, "Segmentation" and "Segment names and times" | (project contract) |
//! | MPEG-2 Systems | ISO/IEC 13818-1 (via `livechannel-mpegts`) | |
//!
//! This crate owns the cut rule (a segment ends at the first IDR after
//! FragDuration, or is forced after max(2 × FragDuration, 60 s)), the one
//! timeline of both tracks, the time and name of each segment
//! ([`Segment::wall_ms`], `<wall_ms>.ts`), what is dropped and why
//! ([`Stats`]), and writing a segment in chunks ([`ChunkPool`]). The bytes
//! of FLV, H.264/AAC and MPEG-TS belong to `livechannel-flv`,
//! `livechannel-codec` and `livechannel-mpegts`; playlists to
//! `livechannel-m3u8`; storing segments to the caller.
//!
//! [`Segmenter`] is a sans-IO state machine: the caller pushes FLV tag bodies
//! (from a file through `livechannel-flv`, or RTMP audio/video messages,
//! which have the same format) with their millisecond timestamps (and, for
//! a live stream, the wall-clock time each arrived, which dates the
//! segments), and polls finished [`Segment`]s. It reads no clock and does no I/O; storing the
//! segments and writing playlists (`livechannel-m3u8`) is the caller's job,
//! in that order: a segment is stored before any playlist names it.
//!
//! ```
//! use bytes::Bytes;
//! use livechannel_hls::{Segmenter, SegmenterConfig};
//!
//! let mut segmenter = Segmenter::new(SegmenterConfig::new(2_000, 0));
//! // An MP3 audio tag: discarded (OSS keeps only AAC) and counted, not an error.
//! segmenter.push_audio(0, Bytes::from_static(&[0x2F, 0xFF, 0xFB])).unwrap();
//! assert_eq!(segmenter.stats().audio_discarded_not_aac, 1);
//! // Reported once, typed, for the driver to warn about.
//! let discarded = segmenter.discarded_audio().unwrap();
//! assert_eq!(discarded.format, livechannel_hls::SoundFormat::Mp3);
//! segmenter.finish();
//! assert!(segmenter.poll_segment().is_none());
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]
#![forbid(clippy::print_stdout, clippy::print_stderr)]

mod config;
mod error;
mod pool;
mod segment;
mod segmenter;
mod stats;
mod timeline;

pub use config::SegmenterConfig;
pub use error::Error;
/// The FLV audio codecs, as [`DiscardedAudio::format`] names them.
pub use livechannel_flv::SoundFormat;
pub use pool::ChunkPool;
pub use segment::{Chunk, Output, Segment};
pub use segmenter::Segmenter;
pub use stats::{AudioInfo, DiscardedAudio, MediaInfo, Stats, VideoInfo};
