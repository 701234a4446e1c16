//! The media playlist reader: one pass over the lines, no backtracking.

use crate::duration::MAX_DURATION;
use crate::{Error, MediaPlaylist, MediaSegment, PlaylistType, MAX_SEGMENTS};

/// Values quoted in errors are cut to this many characters.
const QUOTE_LIMIT: usize = 40;

fn quote(value: &str) -> String {
    value.chars().take(QUOTE_LIMIT).collect()
}

fn integer<T: std::str::FromStr>(line: usize, tag: &'static str, value: &str) -> Result<T, Error> {
    let value = value.trim();
    // `FromStr` for integers also takes a leading `+`; RFC 8216 §4.2
    // decimal-integer is digits only.
    let parsed = value
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| value.parse::<T>().ok())
        .flatten();
    parsed.ok_or_else(|| Error::InvalidNumber {
        line,
        tag,
        expected: "a decimal integer",
        found: quote(value),
    })
}

/// `#EXTINF` duration: decimal-integer or decimal-floating-point (digits
/// with at most one `.`), at most [`MAX_DURATION`].
fn duration(line: usize, value: &str) -> Result<f64, Error> {
    let value = value.trim();
    let digits = value.bytes().filter(u8::is_ascii_digit).count();
    let dots = value.bytes().filter(|&b| b == b'.').count();
    let parsed = (digits > 0 && digits + dots == value.len() && dots <= 1)
        .then(|| value.parse::<f64>().ok())
        .flatten()
        .filter(|d| *d <= MAX_DURATION);
    parsed.ok_or_else(|| Error::InvalidNumber {
        line,
        tag: "#EXTINF",
        expected: "a decimal number of seconds up to 1e9",
        found: quote(value),
    })
}

/// An `#EXTINF` waiting for its URI line.
struct PendingInfo {
    line: usize,
    duration: f64,
    title: String,
}

pub(crate) fn media_playlist(text: &str) -> Result<MediaPlaylist, Error> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut lines = text.split('\n').zip(1usize..).map(|(l, n)| (n, l.trim()));

    let mut last_line = 1;
    let mut header_found = false;
    for (n, line) in lines.by_ref() {
        last_line = n;
        if line.is_empty() {
            continue;
        }
        if line != "#EXTM3U" {
            return Err(Error::MissingHeader {
                line: n,
                found: quote(line),
            });
        }
        header_found = true;
        break;
    }
    if !header_found {
        return Err(Error::MissingHeader {
            line: last_line,
            found: String::new(),
        });
    }

    let mut playlist = MediaPlaylist {
        version: 1,
        ..MediaPlaylist::default()
    };
    let mut target_duration = None;
    let mut info: Option<PendingInfo> = None;
    let mut discontinuity = false;

    for (n, line) in lines {
        last_line = n;
        if line.is_empty() {
            continue;
        }
        if !line.starts_with('#') {
            let Some(pending) = info.take() else {
                return Err(Error::UriWithoutExtinf { line: n });
            };
            if playlist.segments.len() >= MAX_SEGMENTS {
                return Err(Error::TooManySegments {
                    line: n,
                    limit: MAX_SEGMENTS,
                });
            }
            playlist.segments.push(MediaSegment {
                uri: line.to_owned(),
                duration: pending.duration,
                discontinuity,
                title: pending.title,
            });
            discontinuity = false;
            continue;
        }
        let (tag, value) = line.split_once(':').unwrap_or((line, ""));
        match tag {
            "#EXTINF" => {
                if let Some(previous) = &info {
                    return Err(Error::ExtinfWithoutUri {
                        line: previous.line,
                    });
                }
                let (seconds, title) = value.split_once(',').unwrap_or((value, ""));
                info = Some(PendingInfo {
                    line: n,
                    duration: duration(n, seconds)?,
                    title: title.to_owned(),
                });
            }
            "#EXT-X-DISCONTINUITY" => discontinuity = true,
            "#EXT-X-VERSION" => playlist.version = integer(n, "#EXT-X-VERSION", value)?,
            "#EXT-X-TARGETDURATION" => {
                target_duration = Some(integer(n, "#EXT-X-TARGETDURATION", value)?);
            }
            "#EXT-X-MEDIA-SEQUENCE" => {
                playlist.media_sequence = integer(n, "#EXT-X-MEDIA-SEQUENCE", value)?;
            }
            "#EXT-X-DISCONTINUITY-SEQUENCE" => {
                playlist.discontinuity_sequence =
                    integer(n, "#EXT-X-DISCONTINUITY-SEQUENCE", value)?;
            }
            "#EXT-X-PLAYLIST-TYPE" => {
                playlist.playlist_type = Some(match value.trim() {
                    "VOD" => PlaylistType::Vod,
                    "EVENT" => PlaylistType::Event,
                    other => {
                        return Err(Error::InvalidPlaylistType {
                            line: n,
                            found: quote(other),
                        })
                    }
                });
            }
            "#EXT-X-INDEPENDENT-SEGMENTS" => playlist.independent_segments = true,
            "#EXT-X-ENDLIST" => playlist.end_list = true,
            "#EXT-X-STREAM-INF" => {
                return Err(Error::MasterPlaylist {
                    line: n,
                    tag: "#EXT-X-STREAM-INF",
                })
            }
            "#EXT-X-I-FRAME-STREAM-INF" => {
                return Err(Error::MasterPlaylist {
                    line: n,
                    tag: "#EXT-X-I-FRAME-STREAM-INF",
                })
            }
            // Other tags (BYTERANGE, PROGRAM-DATE-TIME, KEY, ...) and comments.
            _ => {}
        }
    }

    if let Some(pending) = info {
        return Err(Error::ExtinfWithoutUri { line: pending.line });
    }
    playlist.target_duration =
        target_duration.ok_or(Error::MissingTargetDuration { line: last_line })?;
    Ok(playlist)
}
