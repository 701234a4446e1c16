//! The push-style FLV demuxer (spec E.2, E.3, E.4.1).

use bytes::Bytes;

use crate::buffer::InputBuffer;

use crate::header::HEADER_LEN;
use crate::{Error, Header, Tag, TagType};

const TAG_HEADER_LEN: usize = 11;
const PREVIOUS_TAG_SIZE_LEN: usize = 4;

/// Bounds and checks applied by a [`Demuxer`].
///
/// ```
/// use livechannel_flv::{Demuxer, Limits};
///
/// // Accept files whose PreviousTagSize fields are wrong, as some muxers write them.
/// let demuxer = Demuxer::with_limits(Limits { check_previous_tag_size: false, ..Limits::default() });
/// # drop(demuxer);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest DataSize accepted, in bytes; the demuxer buffers up to this
    /// much for one tag. Default 8 MiB.
    pub max_tag_size: u32,
    /// Whether every PreviousTagSize (except PreviousTagSize0) must equal
    /// 11 + DataSize of the tag before it. Default `true`.
    pub check_previous_tag_size: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_tag_size: 8 << 20,
            check_previous_tag_size: true,
        }
    }
}

/// What [`Demuxer::poll`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The file header; always the first event.
    Header(Header),
    /// A complete tag.
    Tag(Tag),
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// Waiting for the 9-byte header.
    Header,
    /// Discarding the bytes between the header and DataOffset.
    SkipHeader { data_offset: u32, remaining: u64 },
    /// Waiting for a PreviousTagSize; `None` for PreviousTagSize0.
    PreviousTagSize { expected: Option<u32> },
    /// Waiting for an 11-byte tag header.
    TagHeader,
    /// Waiting for the body of the tag whose header is at `offset`.
    TagBody {
        offset: u64,
        tag_type: TagType,
        size: u32,
        timestamp: u32,
        stream_id: u32,
    },
}

/// A sans-IO FLV demuxer: push bytes in any fragments, poll events out.
///
/// Results do not depend on how the input is split across
/// [`push`](Demuxer::push) calls. Tag bodies are split off the internal
/// buffer without copying. Memory held is the unpolled input plus at most
/// one tag body (bounded by [`Limits::max_tag_size`]).
///
/// Errors are sticky, as in rustls: after [`poll`](Demuxer::poll) returns
/// an error, every later call returns the same error and pushed data is
/// dropped.
///
/// ```
/// use livechannel_flv::{write_header, write_tag, Demuxer, Event, TagType};
///
/// let mut flv = Vec::new();
/// write_header(&mut flv, false, true);
/// write_tag(&mut flv, TagType::Video, 40, &[0x17, 0x01, 0, 0, 0, 0xAA])?;
///
/// let mut demuxer = Demuxer::new();
/// let mut tags = Vec::new();
/// for chunk in flv.chunks(7) {
///     demuxer.push(chunk);
///     while let Some(event) = demuxer.poll()? {
///         if let Event::Tag(tag) = event {
///             tags.push(tag);
///         }
///     }
/// }
/// demuxer.finish()?;
/// assert_eq!(tags.len(), 1);
/// assert_eq!(tags[0].timestamp, 40);
/// assert!(tags[0].video()?.is_keyframe());
/// # Ok::<(), livechannel_flv::Error>(())
/// ```
#[derive(Debug)]
pub struct Demuxer {
    buf: InputBuffer,
    state: State,
    limits: Limits,
    position: u64,
    error: Option<Error>,
}

impl Default for Demuxer {
    fn default() -> Self {
        Demuxer::new()
    }
}

impl Demuxer {
    /// A demuxer expecting an FLV header, with [`Limits::default`].
    pub fn new() -> Self {
        Demuxer::with_limits(Limits::default())
    }

    /// A demuxer expecting an FLV header, with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        Demuxer {
            buf: InputBuffer::default(),
            state: State::Header,
            limits,
            position: 0,
            error: None,
        }
    }

    /// Appends input; any fragment size works, even one byte. Call
    /// [`poll`](Demuxer::poll) until it returns `Ok(None)` afterwards.
    ///
    /// Nothing is reserved beyond the data given. After an error the data
    /// is dropped.
    pub fn push(&mut self, data: &[u8]) {
        if self.error.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// Like [`push`](Demuxer::push), without copying: tag bodies become
    /// slices of `data` (for example a memory-mapped file, or a whole file
    /// read into one buffer). Only a tag that straddles two pushes is
    /// copied.
    ///
    /// ```
    /// # use livechannel_flv::{Demuxer, Event};
    /// let mut file = Vec::new();
    /// livechannel_flv::write_header(&mut file, false, true);
    /// livechannel_flv::write_tag(&mut file, livechannel_flv::TagType::Video, 0, &[0x17, 1, 0, 0, 0])?;
    /// let file = bytes::Bytes::from(file);
    /// let mut demuxer = Demuxer::new();
    /// demuxer.push_bytes(file.clone());
    /// demuxer.poll()?; // the header
    /// let Some(Event::Tag(tag)) = demuxer.poll()? else { panic!() };
    /// // The body points into `file`'s memory.
    /// assert_eq!(tag.body.as_ptr(), file[24..].as_ptr());
    /// # Ok::<(), livechannel_flv::Error>(())
    /// ```
    pub fn push_bytes(&mut self, data: Bytes) {
        if self.error.is_none() {
            self.buf.push_bytes(data);
        }
    }

    /// The next event, `Ok(None)` when more input is needed (poll again
    /// after the next [`push`](Demuxer::push)), or the stream's error.
    ///
    /// Errors are detected as soon as the bytes that show them are present:
    /// a too-large or encrypted tag when its 11-byte header arrives, a wrong
    /// PreviousTagSize when its 4 bytes arrive. A tag is yielded as soon as
    /// its body is complete, before its PreviousTagSize is checked.
    pub fn poll(&mut self) -> Result<Option<Event>, Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let result = self.step();
        if let Err(error) = &result {
            self.error = Some(error.clone());
            self.buf = InputBuffer::default();
        }
        result
    }

    /// Declares the end of input. Call it once [`poll`](Demuxer::poll) has
    /// returned `Ok(None)`; bytes still buffered count as incomplete.
    ///
    /// Ok when the input ended right after a tag's PreviousTagSize, or right
    /// after a tag whose final PreviousTagSize is missing (common in
    /// recordings cut short), or after the header and PreviousTagSize0 of a
    /// file without tags. Otherwise [`Error::Truncated`] describes the
    /// incomplete structure. A stream error seen earlier is returned again.
    pub fn finish(&mut self) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let available = self.buf.len() as u64;
        let (offset, what, needed, available) = match self.state {
            State::Header => (0, "file header", HEADER_LEN as u64, available),
            State::SkipHeader {
                data_offset,
                remaining,
            } => (
                0,
                "file header",
                u64::from(data_offset),
                u64::from(data_offset).saturating_sub(remaining),
            ),
            State::PreviousTagSize { expected } => {
                if expected.is_some() && available == 0 {
                    return Ok(());
                }
                let needed = PREVIOUS_TAG_SIZE_LEN as u64;
                (self.position, "previous tag size", needed, available)
            }
            State::TagHeader => {
                if available == 0 {
                    return Ok(());
                }
                let needed = TAG_HEADER_LEN as u64;
                (self.position, "tag header", needed, available)
            }
            State::TagBody { offset, size, .. } => {
                let header = TAG_HEADER_LEN as u64;
                (offset, "tag", header + u64::from(size), header + available)
            }
        };
        Err(Error::Truncated {
            offset,
            what,
            needed,
            available,
        })
    }

    /// Bytes consumed so far: the stream position of the next unread byte.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Bytes pushed but not consumed yet.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn consume(&mut self, n: usize) {
        self.buf.advance(n);
        self.position = self.position.saturating_add(n as u64);
    }

    fn peek<const N: usize>(&self) -> Option<[u8; N]> {
        self.buf.as_slice().get(..N)?.try_into().ok()
    }

    /// Runs the state machine until it emits an event or needs more input.
    /// Each state has its own method; they share the [`Advance`] answer so
    /// a state that only moves on (a skipped pad, a checked
    /// PreviousTagSize) loops here without returning to the caller.
    fn step(&mut self) -> Result<Option<Event>, Error> {
        loop {
            let advance = match self.state {
                State::Header => self.read_header()?,
                State::SkipHeader {
                    data_offset,
                    remaining,
                } => self.skip_header(data_offset, remaining),
                State::PreviousTagSize { expected } => self.read_previous_tag_size(expected)?,
                State::TagHeader => self.read_tag_header()?,
                State::TagBody {
                    offset,
                    tag_type,
                    size,
                    timestamp,
                    stream_id,
                } => self.read_tag_body(offset, tag_type, size, timestamp, stream_id),
            };
            match advance {
                Advance::Continue => {}
                Advance::NeedMore => return Ok(None),
                Advance::Emit(event) => return Ok(Some(event)),
            }
        }
    }

    /// The 9-byte file header; a non-FLV stream is rejected as soon as the
    /// three signature bytes are in, before the rest of the header arrives.
    fn read_header(&mut self) -> Result<Advance, Error> {
        if let Some(found) = self.peek::<3>() {
            if &found != b"FLV" {
                return Err(Error::NotFlv { found });
            }
        }
        let Some(bytes) = self.peek::<HEADER_LEN>() else {
            return Ok(Advance::NeedMore);
        };
        let header = Header::parse(bytes)?;
        self.consume(HEADER_LEN);
        let data_offset = header.data_offset;
        self.state = State::SkipHeader {
            data_offset,
            remaining: u64::from(data_offset).saturating_sub(HEADER_LEN as u64),
        };
        Ok(Advance::Emit(Event::Header(header)))
    }

    /// Discards whatever lies between the header and DataOffset, a piece
    /// at a time as it arrives, so a large pad never has to be buffered.
    fn skip_header(&mut self, data_offset: u32, remaining: u64) -> Advance {
        if remaining == 0 {
            self.state = State::PreviousTagSize { expected: None };
            return Advance::Continue;
        }
        let n = usize::try_from(remaining)
            .unwrap_or(usize::MAX)
            .min(self.buf.len());
        if n == 0 {
            return Advance::NeedMore;
        }
        self.consume(n);
        self.state = State::SkipHeader {
            data_offset,
            remaining: remaining.saturating_sub(n as u64),
        };
        Advance::Continue
    }

    /// A PreviousTagSize, checked against the tag just read when
    /// [`Limits::check_previous_tag_size`] asks for it (`expected` is
    /// `None` for PreviousTagSize0, which has no tag before it).
    fn read_previous_tag_size(&mut self, expected: Option<u32>) -> Result<Advance, Error> {
        let Some(bytes) = self.peek::<PREVIOUS_TAG_SIZE_LEN>() else {
            return Ok(Advance::NeedMore);
        };
        let found = u32::from_be_bytes(bytes);
        if let Some(expected) = expected {
            if self.limits.check_previous_tag_size && found != expected {
                return Err(Error::PreviousTagSizeMismatch {
                    offset: self.position,
                    expected,
                    found,
                });
            }
        }
        self.consume(PREVIOUS_TAG_SIZE_LEN);
        self.state = State::TagHeader;
        Ok(Advance::Continue)
    }

    /// An 11-byte tag header. Encrypted tags and tags over
    /// [`Limits::max_tag_size`] are refused here, before their body is
    /// buffered.
    fn read_tag_header(&mut self) -> Result<Advance, Error> {
        let Some(h) = self.peek::<TAG_HEADER_LEN>() else {
            return Ok(Advance::NeedMore);
        };
        let offset = self.position;
        // Bits 7-6 are reserved for FMS and ignored, bit 5 is Filter.
        if h[0] & 0x20 != 0 {
            return Err(Error::Encrypted { offset });
        }
        let size = u32::from_be_bytes([0, h[1], h[2], h[3]]);
        if size > self.limits.max_tag_size {
            return Err(Error::TagTooLarge {
                offset,
                size,
                limit: self.limits.max_tag_size,
            });
        }
        self.consume(TAG_HEADER_LEN);
        self.state = State::TagBody {
            offset,
            tag_type: TagType::from_u8(h[0] & 0x1F),
            size,
            timestamp: u32::from_be_bytes([h[7], h[4], h[5], h[6]]),
            stream_id: u32::from_be_bytes([0, h[8], h[9], h[10]]),
        };
        Ok(Advance::Continue)
    }

    /// The body of the tag whose header was read, split off the buffer
    /// without copying once all of it is in.
    fn read_tag_body(
        &mut self,
        offset: u64,
        tag_type: TagType,
        size: u32,
        timestamp: u32,
        stream_id: u32,
    ) -> Advance {
        // The 24-bit size always fits usize on supported targets.
        let len = size as usize;
        if self.buf.len() < len {
            return Advance::NeedMore;
        }
        let body: Bytes = self.buf.split_to(len);
        self.position = self.position.saturating_add(u64::from(size));
        self.state = State::PreviousTagSize {
            expected: Some(size.saturating_add(TAG_HEADER_LEN as u32)),
        };
        Advance::Emit(Event::Tag(Tag {
            tag_type,
            timestamp,
            stream_id,
            body,
            offset,
        }))
    }
}

/// What one state of the [`Demuxer`] did with the buffered bytes.
enum Advance {
    /// Moved to another state; run it on the same buffer.
    Continue,
    /// The state needs bytes that have not arrived.
    NeedMore,
    /// The state finished an event for the caller.
    Emit(Event),
}

/// Every tag of a complete FLV file held in memory; the bodies are slices
/// of `data`, not copies. Convenient for tools and tests; a stream should
/// drive a [`Demuxer`] as its bytes arrive.
///
/// ```
/// let mut file = Vec::new();
/// livechannel_flv::write_header(&mut file, true, false);
/// livechannel_flv::write_tag(&mut file, livechannel_flv::TagType::Audio, 23, &[0xAF, 1, 0x21])?;
/// let tags = livechannel_flv::read_all(file.into())?;
/// assert_eq!((tags.len(), tags[0].timestamp), (1, 23));
/// # Ok::<(), livechannel_flv::Error>(())
/// ```
pub fn read_all(data: Bytes) -> Result<Vec<Tag>, Error> {
    let mut demuxer = Demuxer::new();
    demuxer.push_bytes(data);
    let mut tags = Vec::new();
    while let Some(event) = demuxer.poll()? {
        if let Event::Tag(tag) = event {
            tags.push(tag);
        }
    }
    demuxer.finish()?;
    Ok(tags)
}
