//! A sans-IO fragmented MP4 (ISO BMFF / CMAF) muxer for HLS and DASH:
//! H.264, H.265, AV1 and AAC tracks, one init segment, then media fragments.
//!
//! | Specification | Version / section | Link |
//! |---|---|---|
//! | ISO/IEC 14496-12 (ISO BMFF) | 2022: §4.2 boxes, §8.2–§8.7 `moov`, §8.8 movie fragments, §8.16.2 `styp` | <https://www.iso.org/standard/83102.html> |
//! | ISO/IEC 23000-19 (CMAF) | 2020: §7.3 CMAF header and fragment structure, §7.2 brands | <https://www.iso.org/standard/79106.html> |
//! | ISO/IEC 14496-15 | 2022: §5.3 `avc1`/`avcC`, §8.3 `hvc1`/`hvcC` | <https://www.iso.org/standard/83336.html> |
//! | AV1 Codec ISO Media File Format Binding | 1.3.0: §2.2 `av01`, §2.3 `av1C` | <https://aomediacodec.github.io/av1-isobmff/> |
//! | ISO/IEC 14496-14 (MP4) and 14496-1 | §5.6 `esds`; 14496-1 §7.2.6 descriptors | <https://www.iso.org/standard/79110.html> |
//! | RFC 8216 (HLS) | §3.3 fragmented MPEG-4, §4.3.2.5 `EXT-X-MAP` | <https://www.rfc-editor.org/rfc/rfc8216#section-3.3> |
//!
//! The [`Muxer`] writes into buffers the caller owns and does no I/O. It
//! takes each track's codec configuration record as bytes and never parses
//! a codec. Every size and count is checked against its box field before
//! anything is written: a refused fragment leaves the buffers and the muxer
//! as they were. `mdat` switches to a 64-bit `largesize` past 4 GiB; a
//! fragment whose `trun` data offsets would pass 2 GiB is refused
//! ([`Error::DataOffsetOverflow`]).
//!
//! ```
//! use bytes::Bytes;
//! use livechannel_fmp4::{Codec, Muxer, MuxerConfig, Sample, SampleData};
//!
//! let asc = Bytes::from_static(&[0x12, 0x10]); // AAC-LC, 44.1 kHz, stereo
//! let mut mux = Muxer::new(MuxerConfig::new(vec![Codec::Aac {
//!     sample_rate: 44_100,
//!     channels: 2,
//!     audio_specific_config: asc,
//! }]))?;
//! let frames: Vec<Sample> = (0..3)
//!     .map(|i| Sample {
//!         dts: i * 1024,
//!         duration: 1024,
//!         composition_offset: 0,
//!         is_sync: true,
//!         data: SampleData::One(Bytes::from(vec![0x21; 10])),
//!     })
//!     .collect();
//! let mut segment = Vec::new();
//! mux.write_fragment(&[&frames], &mut segment)?;
//! assert_eq!(&segment[4..8], b"styp");
//! assert_eq!(&segment[segment.len() - 38..segment.len() - 30], &[0, 0, 0, 38, b'm', b'd', b'a', b't']);
//! # Ok::<(), livechannel_fmp4::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]
#![forbid(clippy::print_stdout, clippy::print_stderr)]

mod boxes;
mod config;
mod error;
mod fragment;
mod init;
mod muxer;
mod sample;

pub use config::{Codec, MuxerConfig, VIDEO_TIMESCALE};
pub use error::Error;
pub use fragment::{NON_SYNC_SAMPLE_FLAGS, SYNC_SAMPLE_FLAGS};
pub use muxer::{FragmentInfo, Muxer};
pub use sample::{Sample, SampleData};

/// The largest codec configuration record accepted (1 MiB): no real
/// `avcC`, `hvcC`, `av1C` or AudioSpecificConfig comes near it, and the
/// bound keeps every box and descriptor length of the init segment in range.
pub const MAX_CONFIG_RECORD: u64 = 1 << 20;

/// The most tracks a muxer takes. Far more than any live presentation has;
/// it keeps the `moov` box well under its 32-bit size.
pub const MAX_TRACKS: usize = 255;
