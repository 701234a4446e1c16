//! The one error type of this crate.

/// Why AMF0 data could not be decoded or encoded.
///
/// Decoding errors carry `offset`, the byte position in the input given to
/// [`Decoder::new`](crate::Decoder::new) (or [`decode`](crate::decode)) where
/// the offending item starts, so it can be found in a hex dump or capture.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input ended inside a value.
    #[error("input ends at byte {offset}: {needed} bytes needed there, {available} available")]
    UnexpectedEof {
        /// Where the incomplete item starts.
        offset: usize,
        /// How many bytes the item needs from `offset`.
        needed: usize,
        /// How many bytes the input has from `offset`.
        available: usize,
    },
    /// A type marker that AMF0 does not define.
    #[error("unknown AMF0 type marker {marker:#04x} at byte {offset}")]
    UnknownMarker {
        /// Position of the marker.
        offset: usize,
        /// The marker byte.
        marker: u8,
    },
    /// A marker the spec reserves without defining a body (0x04 MovieClip, 0x0E RecordSet).
    #[error(
        "AMF0 type marker {marker:#04x} at byte {offset} is reserved and has no defined encoding"
    )]
    UnsupportedMarker {
        /// Position of the marker.
        offset: usize,
        /// The marker byte.
        marker: u8,
    },
    /// An object-end marker (0x09) where a value was expected.
    #[error("object-end marker at byte {offset} where a value was expected")]
    UnexpectedObjectEnd {
        /// Position of the marker.
        offset: usize,
    },
    /// The AVM+ marker (0x11) switches to AMF3, which this crate does not decode.
    #[error("AVM+ marker at byte {offset} switches to AMF3, which is not supported")]
    Amf3NotSupported {
        /// Position of the marker.
        offset: usize,
    },
    /// Objects or arrays are nested deeper than [`Limits::max_depth`](crate::Limits::max_depth).
    #[error("value at byte {offset} is nested deeper than the limit of {limit}")]
    TooDeep {
        /// Position of the marker of the container that went one level too deep.
        offset: usize,
        /// The depth limit in force.
        limit: usize,
    },
    /// A string is longer than [`Limits::max_string_len`](crate::Limits::max_string_len).
    #[error("string at byte {offset} declares {len} bytes, over the limit of {limit}")]
    TooLong {
        /// Position of the length field.
        offset: usize,
        /// The declared length.
        len: usize,
        /// The limit in force.
        limit: usize,
    },
    /// An object or array has more entries than [`Limits::max_elements`](crate::Limits::max_elements).
    #[error("container at byte {offset} has {count} entries, over the limit of {limit}")]
    TooManyElements {
        /// Position of the container's marker.
        offset: usize,
        /// The declared (strict array) or reached (objects) number of entries.
        count: usize,
        /// The limit in force.
        limit: usize,
    },
    /// A string's bytes are not UTF-8.
    #[error("string bytes at byte {offset} are not valid UTF-8")]
    InvalidUtf8 {
        /// Position of the first byte of the string's content.
        offset: usize,
    },
    /// A value cannot be written because a length does not fit its AMF0 field.
    #[error("cannot encode {what} of {len}: AMF0 allows at most {limit}")]
    TooLongToEncode {
        /// What was too long: "object key", "class name", "string", "ECMA array" or "strict array".
        what: &'static str,
        /// Its length in bytes (strings) or entries (arrays).
        len: usize,
        /// The largest length the field can carry.
        limit: usize,
    },
}
