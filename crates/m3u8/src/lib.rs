//! HLS media playlists: a writer, a lenient but bounded parser, and the
//! sliding window of a live playlist.
//!
//! | Specification | Version / section | Link |
//! |---|---|---|
//! | RFC 8216, HTTP Live Streaming | §4.3.1–4.3.3 basic, media segment and media playlist tags | <https://www.rfc-editor.org/rfc/rfc8216#section-4.3> |
//! | RFC 8216 | §4.3.2.5 `EXT-X-MAP` (fMP4 init segments), §7 protocol version | <https://www.rfc-editor.org/rfc/rfc8216#section-4.3.2.5> |
//! | RFC 8216 | §6.2.1 general server responsibilities (target duration must not change) | <https://www.rfc-editor.org/rfc/rfc8216#section-6.2.1> |
//! | RFC 8216 | §6.2.2 live playlists (media and discontinuity sequence) | <https://www.rfc-editor.org/rfc/rfc8216#section-6.2.2> |
//! | Alibaba Cloud OSS LiveChannel | `GetVodPlaylist` / `PostVodPlaylist` output format | <https://www.alibabacloud.com/help/en/oss/developer-reference/getvodplaylist> |
//!
//! Durations are written with three decimals and a comma
//! (`#EXTINF:2.002,`); [`rounded_duration`] is the single rounding rule
//! used against `#EXT-X-TARGETDURATION`.
//!
//! ```
//! use livechannel_m3u8::{LiveWindow, MediaPlaylist, MediaSegment};
//!
//! let mut live = LiveWindow::new(3, 6);
//! live.push(MediaSegment::new("1543895706266.ts", 6.0));
//! live.push(MediaSegment::new("1543895712266.ts", 4.133));
//! let mut text = String::new();
//! live.write(&mut text);
//! assert_eq!(
//!     text,
//!     "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:6\n\
//!      #EXTINF:6.000,\n1543895706266.ts\n#EXTINF:4.133,\n1543895712266.ts\n"
//! );
//! let parsed = MediaPlaylist::parse(&text)?;
//! assert_eq!(parsed, live.playlist());
//! # Ok::<(), livechannel_m3u8::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]
#![forbid(clippy::print_stdout, clippy::print_stderr)]

mod duration;
mod error;
mod live;
mod map;
mod parse;
mod playlist;
mod write;

pub use duration::{duration_millis, rounded_duration, MAX_DURATION};
pub use error::Error;
pub use live::LiveWindow;
pub use map::{SegmentMap, MAP_VERSION};
pub use playlist::{MediaPlaylist, MediaSegment, PlaylistType};

/// Most segments [`MediaPlaylist::parse`] reads before giving up.
pub const MAX_SEGMENTS: usize = 1_000_000;
