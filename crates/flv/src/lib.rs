//! FLV for live ingest: a sans-IO push demuxer, parsers for audio, video
//! (legacy and Enhanced RTMP) and script tag bodies, and a writer.
//!
//! | Specification | Version / section | Link |
//! |---|---|---|
//! | Adobe, *Video File Format Specification* (FLV) | Version 10.1, Annex E: E.2 header, E.3 body, E.4.1 tags, E.4.2 audio, E.4.3 video, E.4.4 script data | <https://rtmp.veriskope.com/pdf/video_file_format_spec_v10_1.pdf> |
//! | Veovera, *Enhanced RTMP* | v1 (2023-07) ExVideoTagHeader and FourCC; v2 (2024) command frames, Multitrack header | <https://github.com/veovera/enhanced-rtmp> |
//! | Adobe, *Action Message Format -- AMF 0* | December 2007 (script data, via `livechannel-amf0`) | <http://download.macromedia.com/pub/labs/amf/amf0_spec_121207.pdf> |
//!
//! RTMP audio, video and data messages have the same bodies as FLV tags, so
//! [`AudioTag::parse`], [`VideoTag::parse`] and [`ScriptTag::parse`] serve an
//! RTMP server as well as the [`Demuxer`].
//!
//! Enhanced RTMP video is parsed completely: SequenceStart, CodedFrames (with
//! the SI24 composition time of avc1/hvc1/vvc1), CodedFramesX, SequenceEnd,
//! MPEG2TSSequenceStart, Metadata ([`VideoTag::metadata`]), command frames
//! ([`VideoTag::command`]), v2 ModEx ([`VideoTag::mod_ex`]) and Multitrack
//! ([`VideoTag::multitrack`]).
//!
//! Not supported: encrypted tags ([`Error::Encrypted`]) and Enhanced RTMP v2
//! audio (ExAudioTagHeader, reported as [`SoundFormat::Other`]`(9)`).
//!
//! ```
//! use livechannel_flv::{write_header, write_tag, Demuxer, Event, TagType};
//!
//! // A tiny file: header, one AVC sequence header.
//! let mut flv = Vec::new();
//! write_header(&mut flv, false, true);
//! write_tag(&mut flv, TagType::Video, 0, &[0x17, 0x00, 0, 0, 0, 0x01, 0x64])?;
//!
//! let mut demuxer = Demuxer::new();
//! demuxer.push(&flv);
//! while let Some(event) = demuxer.poll()? {
//!     match event {
//!         Event::Header(header) => assert!(header.has_video),
//!         Event::Tag(tag) => {
//!             let video = tag.video()?;
//!             assert!(video.is_h264() && video.is_sequence_header());
//!             assert_eq!(video.data.as_ref(), &[0x01, 0x64]);
//!         }
//!     }
//! }
//! demuxer.finish()?;
//! # Ok::<(), livechannel_flv::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]
#![forbid(clippy::print_stdout, clippy::print_stderr)]

mod audio;
mod buffer;
mod demux;
mod error;
mod fourcc;
mod header;
mod modex;
mod multitrack;
mod script;
mod tag;
mod video;
mod write;

pub use audio::{AacPacketType, AudioTag, SoundFormat};
pub use demux::{read_all, Demuxer, Event, Limits};
pub use error::Error;
pub use fourcc::FourCc;
pub use header::{write_header, Header};
pub use modex::ModEx;
pub use multitrack::{Multitrack, MultitrackType, VideoTrack};
pub use script::ScriptTag;
pub use tag::{Tag, TagType};
pub use video::{FrameType, VideoCodec, VideoPacketType, VideoTag};
pub use write::{write_tag, Writer};
