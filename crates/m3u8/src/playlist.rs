//! The media playlist model (RFC 8216 §4.3.2, §4.3.3).

use std::fmt;

use crate::duration::rounded_duration;
use crate::map::{MAP_VERSION, PLAIN_VERSION};
use crate::{parse, write, Error, SegmentMap};

/// One media segment: its `#EXTINF` and URI line, and whether an
/// `#EXT-X-DISCONTINUITY` precedes it.
///
/// ```
/// use livechannel_m3u8::MediaSegment;
/// let seg = MediaSegment::new("1543895706266.ts", 7.12);
/// assert!(!seg.discontinuity && seg.title.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MediaSegment {
    /// The URI line, relative to the playlist or absolute. It must be
    /// non-empty and must not start with `#`; a line feed in it is written
    /// as a space.
    pub uri: String,
    /// Duration in seconds; written with three decimals.
    pub duration: f64,
    /// An `#EXT-X-DISCONTINUITY` precedes this segment.
    pub discontinuity: bool,
    /// The `#EXTINF` title after the comma; usually empty.
    pub title: String,
}

impl MediaSegment {
    /// A segment without discontinuity and without title.
    pub fn new(uri: impl Into<String>, duration: f64) -> MediaSegment {
        MediaSegment {
            uri: uri.into(),
            duration,
            discontinuity: false,
            title: String::new(),
        }
    }
}

/// `#EXT-X-PLAYLIST-TYPE` (RFC 8216 §4.3.3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlaylistType {
    /// `EVENT`: segments are only ever appended.
    Event,
    /// `VOD`: the playlist never changes.
    Vod,
}

impl PlaylistType {
    /// The attribute value as written.
    pub fn as_str(self) -> &'static str {
        match self {
            PlaylistType::Event => "EVENT",
            PlaylistType::Vod => "VOD",
        }
    }
}

/// A media playlist: the header tags this project writes and reads, and the segments.
///
/// [`write`](MediaPlaylist::write) (or `Display`) produces, tags in this order:
/// `#EXTM3U`, `#EXT-X-VERSION`, `#EXT-X-MEDIA-SEQUENCE`,
/// `#EXT-X-DISCONTINUITY-SEQUENCE` (only when > 0), `#EXT-X-TARGETDURATION`,
/// `#EXT-X-PLAYLIST-TYPE` (only when set), `#EXT-X-INDEPENDENT-SEGMENTS`
/// (only when set), the segments (each preceded by `#EXT-X-DISCONTINUITY`
/// when it carries one, then by its `#EXT-X-MAP` when a map starts at it),
/// `#EXT-X-ENDLIST` (only when set).
///
/// The writer does not check the playlist: the caller keeps
/// `target_duration` ≥ [`rounded_duration`] of every segment
/// ([`MediaPlaylist::vod`] and [`LiveWindow`](crate::LiveWindow) do).
///
/// ```
/// use livechannel_m3u8::{MediaPlaylist, MediaSegment};
///
/// let vod = MediaPlaylist::vod(vec![
///     MediaSegment::new("1543895706266.ts", 7.12),
///     MediaSegment::new("1543895706468.ts", 13.32),
/// ]);
/// let text = vod.to_string();
/// assert!(text.contains("#EXT-X-TARGETDURATION:13\n#EXTINF:7.120,\n1543895706266.ts\n"));
/// assert_eq!(MediaPlaylist::parse(&text)?, vod);
/// # Ok::<(), livechannel_m3u8::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MediaPlaylist {
    /// `#EXT-X-VERSION`; 3 for MPEG-TS playlists (decimal EXTINF needs
    /// version 3), [`MAP_VERSION`] (7) once [`add_map`](MediaPlaylist::add_map)
    /// added an init segment. The parser reports 1 when the tag is absent.
    pub version: u8,
    /// `#EXT-X-TARGETDURATION` in seconds.
    pub target_duration: u64,
    /// `#EXT-X-MEDIA-SEQUENCE`: sequence number of the first segment.
    pub media_sequence: u64,
    /// `#EXT-X-DISCONTINUITY-SEQUENCE`: discontinuities removed from the top so far.
    pub discontinuity_sequence: u64,
    /// `#EXT-X-PLAYLIST-TYPE`, if any.
    pub playlist_type: Option<PlaylistType>,
    /// `#EXT-X-INDEPENDENT-SEGMENTS`.
    pub independent_segments: bool,
    /// `#EXT-X-ENDLIST`: no segment will be added.
    pub end_list: bool,
    /// The segments, oldest first.
    pub segments: Vec<MediaSegment>,
    /// The `#EXT-X-MAP` tags (fMP4 init segments), sorted by
    /// [`first_segment`](SegmentMap::first_segment) with at most one per
    /// segment, as [`add_map`](MediaPlaylist::add_map) keeps them. Empty for
    /// MPEG-TS. The writer skips a map whose first segment is before the
    /// previous map's, and of several maps for one segment writes the last.
    pub maps: Vec<SegmentMap>,
}

impl Default for MediaPlaylist {
    /// Version 3, target duration 1, no segments.
    fn default() -> Self {
        MediaPlaylist {
            version: 3,
            target_duration: 1,
            media_sequence: 0,
            discontinuity_sequence: 0,
            playlist_type: None,
            independent_segments: false,
            end_list: false,
            segments: Vec::new(),
            maps: Vec::new(),
        }
    }
}

impl MediaPlaylist {
    /// Appends the playlist text to `out`.
    pub fn write(&self, out: &mut String) {
        write::playlist(
            out,
            &write::Header::of(self),
            self.segments.iter(),
            self.maps.iter().map(|m| (m.first_segment, m.uri.as_str())),
            self.end_list,
        );
    }

    /// Reads a media playlist.
    ///
    /// Lenient where players are: CRLF line ends, a UTF-8 byte order mark,
    /// blank lines, unknown tags and comments, `#EXTINF` with an integer or
    /// decimal duration and an optional title, tags between `#EXTINF` and
    /// its URI, URIs with query strings. Strict where it matters: the first
    /// non-blank line must be `#EXTM3U`, every `#EXTINF` needs a URI and
    /// every URI an `#EXTINF`, numbers must parse, `#EXT-X-TARGETDURATION`
    /// must be present, and at most [`MAX_SEGMENTS`](crate::MAX_SEGMENTS)
    /// segments are read. Runs in time linear in the text.
    pub fn parse(text: &str) -> Result<MediaPlaylist, Error> {
        parse::media_playlist(text)
    }

    /// A VOD playlist in the form OSS's `GetVodPlaylist` returns: version 3,
    /// media sequence 0, `#EXT-X-ENDLIST`, no `#EXT-X-PLAYLIST-TYPE` (set
    /// `playlist_type` afterwards if wanted), and a target duration equal to
    /// the largest [`rounded_duration`] of the segments, at least 1.
    pub fn vod(segments: Vec<MediaSegment>) -> MediaPlaylist {
        let target_duration = segments
            .iter()
            .map(|s| rounded_duration(s.duration))
            .max()
            .unwrap_or(0)
            .max(1);
        MediaPlaylist {
            target_duration,
            end_list: true,
            segments,
            ..MediaPlaylist::default()
        }
    }
}

impl MediaPlaylist {
    /// Declares the init segment `map.uri` for segment `map.first_segment`
    /// onwards (replacing a map already declared for that segment), and
    /// raises `#EXT-X-VERSION` to [`MAP_VERSION`]. Call it once for the
    /// first segment of an fMP4 playlist, and again for the first segment
    /// after each discontinuity that brought a new init segment.
    ///
    /// ```
    /// use livechannel_m3u8::{MediaPlaylist, MediaSegment, SegmentMap};
    ///
    /// let mut segments = vec![MediaSegment::new("a0.m4s", 2.0), MediaSegment::new("b0.m4s", 2.0)];
    /// segments[1].discontinuity = true; // republished
    /// let mut vod = MediaPlaylist::vod(segments);
    /// vod.add_map(SegmentMap::new(0, "a-init.mp4"));
    /// vod.add_map(SegmentMap::new(1, "b-init.mp4"));
    /// assert!(vod.to_string().contains(
    ///     "#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"b-init.mp4\"\n#EXTINF:2.000,\nb0.m4s\n"
    /// ));
    /// ```
    pub fn add_map(&mut self, map: SegmentMap) {
        self.version = self.version.max(MAP_VERSION);
        let at = self
            .maps
            .partition_point(|m| m.first_segment < map.first_segment);
        match self.maps.get_mut(at) {
            Some(same) if same.first_segment == map.first_segment => *same = map,
            _ => self.maps.insert(at, map),
        }
    }

    /// The `#EXT-X-VERSION` this crate writes for a playlist with or
    /// without maps: [`MAP_VERSION`] or 3.
    pub(crate) fn version_for(has_maps: bool) -> u8 {
        if has_maps {
            MAP_VERSION
        } else {
            PLAIN_VERSION
        }
    }
}

impl fmt::Display for MediaPlaylist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.write(&mut text);
        f.write_str(&text)
    }
}
