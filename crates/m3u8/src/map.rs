//! `#EXT-X-MAP` (RFC 8216 §4.3.2.5): the init segment (`ftyp`+`moov` of
//! fragmented MP4) that the segments after it need before they can be decoded.

/// The `#EXT-X-VERSION` a playlist with an `#EXT-X-MAP` declares. RFC 8216
/// §7 asks for 6 (5 for I-frame playlists); 7 is what Apple's tools and
/// ffmpeg write for fMP4 and what Safari and hls.js expect.
pub const MAP_VERSION: u8 = 7;

/// The version of a playlist without maps: 3, for decimal `#EXTINF`.
pub(crate) const PLAIN_VERSION: u8 = 3;

/// An `#EXT-X-MAP:URI="..."` written before segment `first_segment`: that
/// segment and every later one, up to the next map, start from the init
/// segment at `uri`.
///
/// A stream that is republished gets a new init segment (the codec
/// parameters may have changed), so a playlist holds one map per
/// discontinuity.
///
/// ```
/// use livechannel_m3u8::{MediaPlaylist, MediaSegment, SegmentMap};
///
/// let mut vod = MediaPlaylist::vod(vec![
///     MediaSegment::new("0.m4s", 2.0),
///     MediaSegment::new("1.m4s", 2.0),
/// ]);
/// vod.add_map(SegmentMap::new(0, "init.mp4"));
/// let text = vod.to_string();
/// assert!(text.starts_with("#EXTM3U\n#EXT-X-VERSION:7\n"));
/// assert!(text.contains("#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2.000,\n0.m4s\n"));
/// assert_eq!(MediaPlaylist::parse(&text)?, vod);
/// # Ok::<(), livechannel_m3u8::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SegmentMap {
    /// Index into [`MediaPlaylist::segments`](crate::MediaPlaylist::segments)
    /// of the first segment this init segment applies to. A map at or past
    /// the end describes no segment and is not written.
    pub first_segment: usize,
    /// The init segment's URI, relative to the playlist or absolute. It is
    /// written inside double quotes: a `"` in it is written as `%22`, a line
    /// feed or carriage return as a space.
    pub uri: String,
}

impl SegmentMap {
    /// The map for segment `first_segment` onwards.
    pub fn new(first_segment: usize, uri: impl Into<String>) -> SegmentMap {
        SegmentMap {
            first_segment,
            uri: uri.into(),
        }
    }
}

/// Appends `uri` so it fits in a quoted-string (RFC 8216 §4.2), which
/// cannot hold `"`, CR or LF.
pub(crate) fn push_quoted(out: &mut String, uri: &str) {
    for c in uri.chars() {
        match c {
            '"' => out.push_str("%22"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// The value of the quoted attribute `name` in an attribute list
/// (`NAME="value",OTHER=1`), scanning commas outside quotes only.
pub(crate) fn quoted_attribute<'a>(list: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = list.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let key = key.trim();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (Some(&quoted[..end]), &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (None, &after[end..])
        };
        if key == name {
            return value;
        }
        rest = next
            .trim_start()
            .strip_prefix(',')
            .unwrap_or(next)
            .trim_start();
        if !next.trim_start().starts_with(',') && !next.trim().is_empty() {
            // Garbage after a quoted value: not an attribute list.
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes() {
        assert_eq!(quoted_attribute(r#"URI="a.mp4""#, "URI"), Some("a.mp4"));
        assert_eq!(
            quoted_attribute(r#"BYTERANGE="10@0",URI="a,b.mp4""#, "URI"),
            Some("a,b.mp4")
        );
        assert_eq!(quoted_attribute(r#"X=1,URI="u""#, "URI"), Some("u"));
        assert_eq!(quoted_attribute("URI=a.mp4", "URI"), None);
        assert_eq!(quoted_attribute(r#"URI="a.mp4"#, "URI"), None);
        assert_eq!(quoted_attribute(r#"X="1"junk,URI="u""#, "URI"), None);
        assert_eq!(quoted_attribute("", "URI"), None);
        assert_eq!(quoted_attribute("garbage", "URI"), None);
    }

    #[test]
    fn quoting() {
        let mut s = String::new();
        push_quoted(&mut s, "a\"b\nc\rd");
        assert_eq!(s, "a%22b c d");
    }
}
