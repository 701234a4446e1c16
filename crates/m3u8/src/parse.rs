//! The media playlist reader: one pass over the lines, no backtracking.

use crate::duration::MAX_DURATION;
use crate::map::quoted_attribute;
use crate::{Error, MediaPlaylist, MediaSegment, PlaylistType, SegmentMap, MAX_SEGMENTS};

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

    let mut last_line = header(&mut lines)?;
    let mut reader = Reader::default();
    for (n, line) in lines {
        last_line = n;
        if line.is_empty() {
            continue;
        }
        if line.starts_with('#') {
            let (tag, value) = line.split_once(':').unwrap_or((line, ""));
            reader.tag(n, tag, value)?;
        } else {
            reader.uri(n, line)?;
        }
    }
    reader.finish(last_line)
}

/// Consumes the lines up to and including `#EXTM3U`, which must be the
/// first non-blank line (RFC 8216 §4.3.1.1), and returns its line number;
/// an empty text reports the last line it saw.
fn header<'a>(lines: &mut impl Iterator<Item = (usize, &'a str)>) -> Result<usize, Error> {
    let mut last_line = 1;
    for (n, line) in lines {
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
        return Ok(n);
    }
    Err(Error::MissingHeader {
        line: last_line,
        found: String::new(),
    })
}

/// What the lines after `#EXTM3U` have built so far, plus the state that
/// carries from one line to the next: an `#EXTINF` and a
/// `#EXT-X-DISCONTINUITY` both apply to the next URI line.
struct Reader {
    playlist: MediaPlaylist,
    /// Required, so kept apart from the playlist's value until the end.
    target_duration: Option<u64>,
    info: Option<PendingInfo>,
    discontinuity: bool,
    /// An `#EXT-X-MAP` URI waiting for the segment it starts at.
    map: Option<String>,
}

impl Default for Reader {
    fn default() -> Self {
        Reader {
            // A playlist without `#EXT-X-VERSION` is version 1 (§4.3.1.2).
            playlist: MediaPlaylist {
                version: 1,
                ..MediaPlaylist::default()
            },
            target_duration: None,
            info: None,
            discontinuity: false,
            map: None,
        }
    }
}

impl Reader {
    /// A URI line: the segment the pending `#EXTINF` described.
    fn uri(&mut self, n: usize, line: &str) -> Result<(), Error> {
        let Some(pending) = self.info.take() else {
            return Err(Error::UriWithoutExtinf { line: n });
        };
        if self.playlist.segments.len() >= MAX_SEGMENTS {
            return Err(Error::TooManySegments {
                line: n,
                limit: MAX_SEGMENTS,
            });
        }
        if let Some(uri) = self.map.take() {
            let first_segment = self.playlist.segments.len();
            self.playlist.maps.push(SegmentMap { first_segment, uri });
        }
        self.playlist.segments.push(MediaSegment {
            uri: line.to_owned(),
            duration: pending.duration,
            discontinuity: self.discontinuity,
            title: pending.title,
        });
        self.discontinuity = false;
        Ok(())
    }

    /// A `#` line: a tag this crate reads, a master playlist tag (refused:
    /// this is a media playlist reader), or a tag or comment it skips.
    fn tag(&mut self, n: usize, tag: &str, value: &str) -> Result<(), Error> {
        let playlist = &mut self.playlist;
        match tag {
            "#EXTINF" => self.extinf(n, value)?,
            "#EXT-X-DISCONTINUITY" => self.discontinuity = true,
            "#EXT-X-MAP" => self.map = Some(map_uri(n, value)?),
            "#EXT-X-VERSION" => playlist.version = integer(n, "#EXT-X-VERSION", value)?,
            "#EXT-X-TARGETDURATION" => {
                self.target_duration = Some(integer(n, "#EXT-X-TARGETDURATION", value)?);
            }
            "#EXT-X-MEDIA-SEQUENCE" => {
                playlist.media_sequence = integer(n, "#EXT-X-MEDIA-SEQUENCE", value)?;
            }
            "#EXT-X-DISCONTINUITY-SEQUENCE" => {
                playlist.discontinuity_sequence =
                    integer(n, "#EXT-X-DISCONTINUITY-SEQUENCE", value)?;
            }
            "#EXT-X-PLAYLIST-TYPE" => playlist.playlist_type = Some(playlist_type(n, value)?),
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
        Ok(())
    }

    /// `#EXTINF:<duration>,[<title>]`, held until its URI line; a second
    /// one before that URI means the first had none.
    fn extinf(&mut self, n: usize, value: &str) -> Result<(), Error> {
        if let Some(previous) = &self.info {
            return Err(Error::ExtinfWithoutUri {
                line: previous.line,
            });
        }
        let (seconds, title) = value.split_once(',').unwrap_or((value, ""));
        self.info = Some(PendingInfo {
            line: n,
            duration: duration(n, seconds)?,
            title: title.to_owned(),
        });
        Ok(())
    }

    /// The end of the text: a dangling `#EXTINF` and a missing
    /// `#EXT-X-TARGETDURATION` are errors only now. A trailing `#EXT-X-MAP`
    /// describes no segment and is dropped, as the writer never writes one.
    fn finish(self, last_line: usize) -> Result<MediaPlaylist, Error> {
        if let Some(pending) = self.info {
            return Err(Error::ExtinfWithoutUri { line: pending.line });
        }
        let mut playlist = self.playlist;
        playlist.target_duration = self
            .target_duration
            .ok_or(Error::MissingTargetDuration { line: last_line })?;
        Ok(playlist)
    }
}

/// `#EXT-X-PLAYLIST-TYPE:<VOD|EVENT>`.
fn playlist_type(n: usize, value: &str) -> Result<PlaylistType, Error> {
    match value.trim() {
        "VOD" => Ok(PlaylistType::Vod),
        "EVENT" => Ok(PlaylistType::Event),
        other => Err(Error::InvalidPlaylistType {
            line: n,
            found: quote(other),
        }),
    }
}

/// `#EXT-X-MAP:URI="<uri>"[,BYTERANGE=...]`: the URI; other attributes are
/// ignored (this project never writes a byte range).
fn map_uri(n: usize, value: &str) -> Result<String, Error> {
    match quoted_attribute(value, "URI") {
        Some(uri) if !uri.is_empty() => Ok(uri.to_owned()),
        _ => Err(Error::InvalidMap {
            line: n,
            found: quote(value),
        }),
    }
}
