//! HLS segmenting: FLV audio/video tag bodies in, MPEG-TS or fMP4 (CMAF)
//! segments out.
//!
//! | Specification | Version / section | Link |
//! |---|---|---|
//! | HTTP Live Streaming | RFC 8216 §3.2 (MPEG-2 TS segments), §6.2.1 | <https://www.rfc-editor.org/rfc/rfc8216> |
//! | OSS LiveChannel segmentation | `docs/oss-compatibility.md`, "Segmentation" and "Segment names and times" | (project contract) |
//! | MPEG-2 Systems | ISO/IEC 13818-1 (via `livechannel-mpegts`) | |
//! | Fragmented MP4 / CMAF | RFC 8216 §3.3; ISO/IEC 23000-19 (via `livechannel-fmp4`) | <https://www.rfc-editor.org/rfc/rfc8216#section-3.3> |
//! | Enhanced RTMP (HEVC, AV1 in FLV) | v2 | <https://veovera.org/docs/enhanced/enhanced-rtmp-v2> |
//!
//! [`SegmenterConfig::format`] picks MPEG-TS (the default, H.264 only) or
//! fMP4 ([`SegmentFormat::Fmp4`]: H.264, HEVC, AV1). HEVC and AV1 are never
//! written in TS: a TS segmenter refuses them (fatal) unless
//! [`SegmenterConfig::hevc_av1_in_fmp4`] lets it switch to fMP4. In fMP4
//! every [`Segment`] is `moof`+`mdat`, and the first one (and the first
//! after a codec change) brings its [`InitSegment`] for `#EXT-X-MAP`.
//!
//! What this crate owns: turning one stream's FLV audio/video tag bodies
//! into MPEG-TS segments — the codecs' framing (AVCC → Annex B, AAC →
//! ADTS), one timeline for both tracks, where segments are cut (at the
//! first IDR after FragDuration, or forced after max(2 × FragDuration,
//! 60 s)), what is dropped and why ([`Stats`]), each
//! segment's time and name, the TS bytes and the memory they are written
//! in ([`ChunkPool`]). Not its job: reading files or sockets, storing
//! segments, playlists (`livechannel-m3u8`), any clock.
//!
//! [`Segmenter`] is a sans-IO state machine: the caller pushes FLV tag
//! bodies (from a file through `livechannel-flv`, or RTMP audio/video
//! messages, which have the same format) with their timestamps (stream
//! time, ms) and, for a live stream, the wall-clock time each arrived
//! (Unix ms, which dates the segments). After every push it drains the one
//! poll, [`Segmenter::poll_output`], whatever the [`OutputMode`]: an
//! [`Output::Chunk`] is appended to the object it names, an
//! [`Output::Segment`] brings the segment's remaining chunks and what a
//! playlist needs. Storing the segments and writing playlists is the
//! caller's job, in that order: a segment is stored before any playlist
//! names it.
//!
//! Times say which clock they are on: stream time (the media clock) in ms
//! (`stream_ms`) or 90 kHz ticks (`*_ticks`, PTS/DTS), wall clock in Unix
//! ms (`*_wall_ms`, [`Segment::wall_ms`]).
//!
//! The driver loop, here over a file with streamed chunks (the same loop
//! serves [`OutputMode::WholeSegments`], which gives no chunks):
//!
//! ```
//! use std::collections::BTreeMap;
//! use livechannel_hls::{Output, OutputMode, Segmenter, SegmenterConfig};
//!
//! let path = concat!(
//!     env!("CARGO_MANIFEST_DIR"),
//!     "/../../tests/fixtures/high_bframes_gop2s_aac44k.flv"
//! );
//! let tags = livechannel_flv::read_all(std::fs::read(path).unwrap().into()).unwrap();
//!
//! let mut config = SegmenterConfig::new(2_000, 1_700_000_000_000);
//! config.output = OutputMode::StreamedChunks;
//! config.chunk_bytes = 16 << 10;
//! let mut segmenter = Segmenter::new(config);
//! let mut objects = BTreeMap::<String, Vec<u8>>::new(); // the store
//! let mut playlist = Vec::new();
//! let mut drain = |segmenter: &mut Segmenter| {
//!     while let Some(output) = segmenter.poll_output() {
//!         match output {
//!             Output::Chunk(chunk) => {
//!                 objects.entry(chunk.file_name()).or_default().extend_from_slice(&chunk.data);
//!             }
//!             Output::Segment(segment) => {
//!                 let object = objects.entry(segment.file_name()).or_default();
//!                 segment.chunks.iter().for_each(|c| object.extend_from_slice(c));
//!                 assert_eq!(object.len(), segment.len());
//!                 // Stored: now the playlist may name it.
//!                 playlist.push((segment.file_name(), segment.duration));
//!             }
//!         }
//!     }
//! };
//! for tag in tags {
//!     if let Err(e) = segmenter.push_tag(tag) {
//!         assert!(!e.is_fatal(), "{e}"); // a fatal error ends the stream
//!     }
//!     drain(&mut segmenter);
//! }
//! segmenter.finish();
//! drain(&mut segmenter);
//! assert_eq!(playlist.len(), 4);
//! assert_eq!(playlist[0].0, "1700000000000.ts");
//! assert_eq!(objects.len(), 4);
//! ```
//!
//! Audio the segmenter cannot carry is counted, not an error:
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
//! assert!(segmenter.poll_output().is_none());
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

pub use config::{OutputMode, SegmentFormat, SegmenterConfig};
pub use error::Error;
/// The FLV audio codecs, as [`DiscardedAudio::format`] names them.
pub use livechannel_flv::SoundFormat;
pub use pool::ChunkPool;
pub use segment::{
    init_file_name, parse_segment_file_name, segment_file_name, Chunk, InitSegment, Output, Segment,
};
pub use segmenter::Segmenter;
pub use stats::{AudioInfo, DiscardedAudio, MediaInfo, Stats, VideoCodecKind, VideoInfo};
