//! The one error type of this crate.

/// Why a playlist text was rejected. Every variant names the 1-based line
/// where the problem was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The first non-blank line is not `#EXTM3U`.
    #[error("line {line}: a playlist must start with #EXTM3U, found {found:?}")]
    MissingHeader {
        /// Line of the first non-blank line (or the last line of an empty text).
        line: usize,
        /// The start of what was there instead.
        found: String,
    },
    /// A tag value that must be a number did not parse.
    #[error("line {line}: {tag} needs {expected}, found {found:?}")]
    InvalidNumber {
        /// Where.
        line: usize,
        /// The tag, e.g. `#EXT-X-MEDIA-SEQUENCE`.
        tag: &'static str,
        /// What kind of number the tag takes.
        expected: &'static str,
        /// The start of the value found.
        found: String,
    },
    /// `#EXT-X-PLAYLIST-TYPE` other than `EVENT` or `VOD`.
    #[error("line {line}: #EXT-X-PLAYLIST-TYPE must be EVENT or VOD, found {found:?}")]
    InvalidPlaylistType {
        /// Where.
        line: usize,
        /// The start of the value found.
        found: String,
    },
    /// `#EXT-X-MAP` without a non-empty quoted `URI` attribute.
    #[error("line {line}: #EXT-X-MAP needs URI=\"...\", found {found:?}")]
    InvalidMap {
        /// Where.
        line: usize,
        /// The start of the attribute list found.
        found: String,
    },
    /// An `#EXTINF` was not followed by a URI line (another `#EXTINF` or the end came first).
    #[error("line {line}: #EXTINF is not followed by a segment uri")]
    ExtinfWithoutUri {
        /// Line of the `#EXTINF`.
        line: usize,
    },
    /// A URI line without an `#EXTINF` before it.
    #[error("line {line}: segment uri without a preceding #EXTINF")]
    UriWithoutExtinf {
        /// Line of the URI.
        line: usize,
    },
    /// The text is a master playlist, not a media playlist.
    #[error("line {line}: {tag} belongs to a master playlist, not a media playlist")]
    MasterPlaylist {
        /// Where the master playlist tag is.
        line: usize,
        /// The tag seen.
        tag: &'static str,
    },
    /// No `#EXT-X-TARGETDURATION` (required by RFC 8216 §4.3.3.1).
    #[error("line {line}: the playlist ended without #EXT-X-TARGETDURATION")]
    MissingTargetDuration {
        /// The last line.
        line: usize,
    },
    /// More segments than [`MAX_SEGMENTS`](crate::MAX_SEGMENTS).
    #[error("line {line}: more than {limit} segments")]
    TooManySegments {
        /// Line of the first URI beyond the limit.
        line: usize,
        /// The limit.
        limit: usize,
    },
}
