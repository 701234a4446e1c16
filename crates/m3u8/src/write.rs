//! Playlist text output, shared by `MediaPlaylist` and `LiveWindow` so the
//! live window writes without cloning its segments.

use std::fmt::Write as _;

use crate::duration::duration_millis;
use crate::map::push_quoted;
use crate::{MediaPlaylist, MediaSegment, PlaylistType};

/// Everything written before the first segment.
pub(crate) struct Header {
    pub(crate) version: u8,
    pub(crate) target_duration: u64,
    pub(crate) media_sequence: u64,
    pub(crate) discontinuity_sequence: u64,
    pub(crate) playlist_type: Option<PlaylistType>,
    pub(crate) independent_segments: bool,
}

impl Header {
    pub(crate) fn of(p: &MediaPlaylist) -> Header {
        Header {
            version: p.version,
            target_duration: p.target_duration,
            media_sequence: p.media_sequence,
            discontinuity_sequence: p.discontinuity_sequence,
            playlist_type: p.playlist_type,
            independent_segments: p.independent_segments,
        }
    }
}

/// Appends `text`, turning line feeds into spaces so a stray one cannot
/// split a URI or title into a line of its own.
fn push_single_line(out: &mut String, text: &str) {
    if text.contains('\n') {
        out.extend(text.chars().map(|c| if c == '\n' { ' ' } else { c }));
    } else {
        out.push_str(text);
    }
}

pub(crate) fn playlist<'a>(
    out: &mut String,
    header: &Header,
    segments: impl Iterator<Item = &'a MediaSegment>,
    // (first segment index, init segment URI), sorted.
    maps: impl Iterator<Item = (usize, &'a str)>,
    end_list: bool,
) {
    let mut maps = maps.peekable();
    // Writing to a String cannot fail, hence the ignored results.
    out.push_str("#EXTM3U\n");
    let _ = writeln!(out, "#EXT-X-VERSION:{}", header.version);
    let _ = writeln!(out, "#EXT-X-MEDIA-SEQUENCE:{}", header.media_sequence);
    if header.discontinuity_sequence > 0 {
        let _ = writeln!(
            out,
            "#EXT-X-DISCONTINUITY-SEQUENCE:{}",
            header.discontinuity_sequence
        );
    }
    let _ = writeln!(out, "#EXT-X-TARGETDURATION:{}", header.target_duration);
    if let Some(kind) = header.playlist_type {
        let _ = writeln!(out, "#EXT-X-PLAYLIST-TYPE:{}", kind.as_str());
    }
    if header.independent_segments {
        out.push_str("#EXT-X-INDEPENDENT-SEGMENTS\n");
    }
    for (index, segment) in segments.enumerate() {
        if segment.discontinuity {
            out.push_str("#EXT-X-DISCONTINUITY\n");
        }
        // After the discontinuity: the map belongs to what follows it.
        let mut map = None;
        while let Some((first, uri)) = maps.next_if(|m| m.0 <= index) {
            map = (first == index).then_some(uri).or(map);
        }
        if let Some(uri) = map {
            out.push_str("#EXT-X-MAP:URI=\"");
            push_quoted(out, uri);
            out.push_str("\"\n");
        }
        let ms = duration_millis(segment.duration);
        let _ = write!(out, "#EXTINF:{}.{:03},", ms / 1000, ms % 1000);
        push_single_line(out, &segment.title);
        out.push('\n');
        push_single_line(out, &segment.uri);
        out.push('\n');
    }
    if end_list {
        out.push_str("#EXT-X-ENDLIST\n");
    }
}
