//! FLV tags as the demuxer yields them (spec E.4.1).

use bytes::Bytes;

use crate::{AudioTag, Error, ScriptTag, VideoTag};

/// The TagType field (5 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TagType {
    /// 8: audio (RTMP message type 8).
    Audio,
    /// 9: video (RTMP message type 9).
    Video,
    /// 18: script data (AMF0), e.g. `onMetaData`.
    Script,
    /// Any other 5-bit value, passed through. When writing, values other than
    /// 8, 9 and 18 that fit 5 bits are accepted.
    Other(u8),
}

impl TagType {
    /// The type for a TagType field value.
    pub fn from_u8(value: u8) -> TagType {
        match value {
            8 => TagType::Audio,
            9 => TagType::Video,
            18 => TagType::Script,
            other => TagType::Other(other),
        }
    }

    /// The TagType field value.
    pub fn as_u8(self) -> u8 {
        match self {
            TagType::Audio => 8,
            TagType::Video => 9,
            TagType::Script => 18,
            TagType::Other(value) => value,
        }
    }
}

/// One FLV tag: its header fields and its body.
///
/// The body is a zero-copy slice of the demuxer's buffer; parse it with
/// [`Tag::audio`], [`Tag::video`] or [`Tag::script`] according to
/// [`tag_type`](Tag::tag_type).
///
/// ```
/// use livechannel_flv::{write_header, write_tag, Demuxer, Event, TagType};
///
/// let mut flv = Vec::new();
/// write_header(&mut flv, true, false);
/// write_tag(&mut flv, TagType::Audio, 0x0102_0304, &[0xAF, 0x01, 0x21])?;
///
/// let mut demuxer = Demuxer::new();
/// demuxer.push(&flv);
/// assert!(matches!(demuxer.poll()?, Some(Event::Header(_))));
/// let Some(Event::Tag(tag)) = demuxer.poll()? else { panic!("expected a tag") };
/// assert_eq!(tag.tag_type, TagType::Audio);
/// assert_eq!(tag.timestamp, 0x0102_0304);
/// assert_eq!(tag.offset, 13);
/// assert_eq!(tag.audio()?.data.as_ref(), &[0x21]);
/// # Ok::<(), livechannel_flv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// What the body holds.
    pub tag_type: TagType,
    /// Milliseconds: Timestamp (low 24 bits) and TimestampExtended (bits 24..31).
    /// This is a DTS for video.
    pub timestamp: u32,
    /// StreamID (24 bits, always 0 in files).
    pub stream_id: u32,
    /// The tag data (DataSize bytes).
    pub body: Bytes,
    /// Byte position of the 11-byte tag header in the stream.
    pub offset: u64,
}

impl Tag {
    /// Parses the body as an audio tag (a cheap `Bytes` clone).
    pub fn audio(&self) -> Result<AudioTag, Error> {
        AudioTag::parse(self.body.clone())
    }

    /// Parses the body as a video tag (a cheap `Bytes` clone).
    pub fn video(&self) -> Result<VideoTag, Error> {
        VideoTag::parse(self.body.clone())
    }

    /// Parses the body as a script tag.
    pub fn script(&self) -> Result<ScriptTag, Error> {
        ScriptTag::parse(&self.body)
    }
}
