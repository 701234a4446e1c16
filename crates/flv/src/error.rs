//! The one error type of this crate.

/// Why FLV data could not be read or written.
///
/// Stream errors carry `offset`, the byte position in the FLV stream (as
/// counted by [`Demuxer::position`](crate::Demuxer::position)) where the
/// offending structure starts.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The stream does not start with the "FLV" signature.
    #[error("not an FLV stream: it starts with {found:02x?} instead of \"FLV\"")]
    NotFlv {
        /// The first three bytes.
        found: [u8; 3],
    },
    /// The header's DataOffset points inside the 9-byte header.
    #[error("FLV header declares a data offset of {data_offset}, less than its own 9 bytes")]
    InvalidDataOffset {
        /// The declared offset of the first PreviousTagSize.
        data_offset: u32,
    },
    /// A tag has the Filter bit set (encrypted content), which is not supported.
    #[error("tag at byte {offset} is encrypted (filter bit set), which is not supported")]
    Encrypted {
        /// Position of the tag header.
        offset: u64,
    },
    /// A tag's DataSize exceeds [`Limits::max_tag_size`](crate::Limits::max_tag_size).
    #[error("tag at byte {offset} declares {size} bytes of data, over the limit of {limit}")]
    TagTooLarge {
        /// Position of the tag header.
        offset: u64,
        /// The declared DataSize.
        size: u32,
        /// The limit in force.
        limit: u32,
    },
    /// A PreviousTagSize field disagrees with the tag before it.
    #[error("previous tag size at byte {offset} is {found}, expected {expected} (11 + data size)")]
    PreviousTagSizeMismatch {
        /// Position of the PreviousTagSize field.
        offset: u64,
        /// 11 + DataSize of the previous tag.
        expected: u32,
        /// The value in the stream.
        found: u32,
    },
    /// The input ended inside a structure (reported by [`Demuxer::finish`](crate::Demuxer::finish)).
    #[error(
        "input ends inside the {what} at byte {offset}: {available} of {needed} bytes present"
    )]
    Truncated {
        /// Position where the incomplete structure starts.
        offset: u64,
        /// Which structure: "file header", "previous tag size", "tag header" or "tag".
        what: &'static str,
        /// Its full size in bytes.
        needed: u64,
        /// How many of them arrived.
        available: u64,
    },
    /// A tag body is too short for the header its first byte announces.
    #[error("{kind} tag body of {len} bytes is too short: its header needs {needed}")]
    TagBodyTooShort {
        /// "audio" or "video".
        kind: &'static str,
        /// The body length.
        len: usize,
        /// Bytes the header needs.
        needed: usize,
    },
    /// An AAC audio tag with an AACPacketType other than 0 or 1.
    #[error("AAC packet type {value} is neither 0 (sequence header) nor 1 (raw)")]
    UnknownAacPacketType {
        /// The byte found.
        value: u8,
    },
    /// A script tag whose content is not "name, value".
    #[error("script tag {reason}")]
    InvalidScriptTag {
        /// What was wrong, as the end of a sentence.
        reason: &'static str,
    },
    /// A script tag's AMF0 data did not decode.
    #[error("script tag data: {0}")]
    Amf0(#[from] livechannel_amf0::Error),
    /// A tag body to be written is larger than the 24-bit DataSize field.
    #[error("tag body of {size} bytes does not fit FLV's 24-bit data size (at most {limit})")]
    BodyTooLarge {
        /// The body length.
        size: usize,
        /// 0xFFFFFF.
        limit: usize,
    },
    /// A tag type to be written does not fit the 5-bit TagType field.
    #[error("tag type {value} does not fit FLV's 5-bit tag type field")]
    InvalidTagType {
        /// The requested type number.
        value: u8,
    },
    /// A multitrack video tag body does not follow Enhanced RTMP v2.
    #[error("multitrack video tag {reason}")]
    InvalidMultitrack {
        /// What was wrong, as the end of a sentence.
        reason: &'static str,
    },
}
