//! The push decoder: bytes in, whole messages out.

use std::num::NonZeroUsize;

use bytes::{Buf, Bytes, BytesMut};

use super::header::{message_header_len, read_u24, read_u32_be, read_u32_le, EXTENDED_TIMESTAMP};
use super::{ChunkLimits, MessagePool, RawMessage, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE};
use crate::Error;

/// Message type ids the decoder itself must act on, because they change how
/// the following chunks are read (§5.4.1, §5.4.2).
const SET_CHUNK_SIZE: u8 = 1;
const ABORT: u8 = 2;

/// Initial capacity bound for a multi-chunk message's buffer: the declared
/// length is untrusted, so it only caps this, and the buffer grows as
/// chunks actually arrive.
const INITIAL_PARTIAL_CAPACITY: usize = 64 * 1024;

/// Reassembles RTMP messages from the chunk stream of one direction.
///
/// Push received bytes with [`push`](ChunkDecoder::push) (any fragment, even
/// one byte), then call [`poll`](ChunkDecoder::poll) until it returns
/// `Ok(None)`. The result is the same for any split of the input.
///
/// The decoder applies Set Chunk Size (type 1) and Abort Message (type 2)
/// itself as soon as it decodes them, because they change how the next
/// chunk is read; it still returns them.
///
/// Choices where implementations disagree (documented so captures can be
/// explained):
/// - A format-3 header that starts a new message reuses the previous
///   header's timestamp field as its delta, also after a format-0 header
///   (where the field was absolute). This is how FFmpeg's `rtmppkt.c` reads
///   and writes chunks; nginx-rtmp would use a delta of 0 there.
/// - The extended timestamp on format-3 *continuation* chunks: the spec and
///   FFmpeg send it, some librtmp-based encoders omit it. Like SRS, the
///   decoder peeks: if the 4 bytes after the basic header equal the
///   message's extended timestamp they are consumed, otherwise they are
///   payload. It needs only as many bytes as it takes to see a mismatch,
///   so a short final chunk without the field is not held back.
/// - A format 0, 1 or 2 header in the middle of a message is an error
///   ([`Error::InterruptedMessage`]) rather than an implicit abort.
///
/// Memory is bounded by [`ChunkLimits`]; the buffer of a message spread
/// over several chunks grows only as its chunks arrive.
///
/// ```
/// use bytes::Bytes;
/// use livechannel_rtmp::{ChunkDecoder, ChunkEncoder, RawMessage};
///
/// let msg = RawMessage::new(6, 40, 9, 1, Bytes::from(vec![0x17; 300]));
/// let mut wire = Vec::new();
/// ChunkEncoder::new().encode(&msg, &mut wire)?; // 128-byte chunks
///
/// let mut decoder = ChunkDecoder::new();
/// for byte in &wire {
///     decoder.push(&[*byte]);
/// }
/// assert_eq!(decoder.poll()?, Some(msg));
/// assert_eq!(decoder.poll()?, None);
/// # Ok::<(), livechannel_rtmp::Error>(())
/// ```
#[derive(Debug)]
pub struct ChunkDecoder {
    buf: BytesMut,
    limits: ChunkLimits,
    chunk_size: u32,
    streams: Vec<ChunkStream>,
    partial_bytes: usize,
    /// Stream offset of `buf[0]`.
    position: u64,
    /// Stream offset of the chunk that completed the last returned message.
    last_chunk_offset: u64,
    error: Option<Error>,
    /// Where the bodies of messages in several chunks are assembled.
    pool: Option<MessagePool>,
}

#[derive(Debug)]
struct ChunkStream {
    csid: u32,
    /// Absolute timestamp of the current (or last) message.
    timestamp: u32,
    /// What a format-3 header that starts a new message adds to `timestamp`.
    delta: u32,
    length: u32,
    type_id: u8,
    stream_id: u32,
    /// Whether the last message header used the extended timestamp field,
    /// and its value.
    extended: bool,
    ext_value: u32,
    /// Body received so far of a message spread over several chunks.
    partial: Option<Vec<u8>>,
}

impl ChunkStream {
    fn received(&self) -> u32 {
        self.partial
            .as_ref()
            .map_or(0, |p| u32::try_from(p.len()).unwrap_or(u32::MAX))
    }
}

/// Everything learnt from a chunk's header before any state changes.
struct Plan {
    csid: u32,
    index: Option<usize>,
    header_len: usize,
    payload_len: usize,
    new_message: bool,
    timestamp: u32,
    delta: u32,
    length: u32,
    type_id: u8,
    stream_id: u32,
    extended: bool,
    ext_value: u32,
}

impl Default for ChunkDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkDecoder {
    /// A decoder at the start of a chunk stream, chunk size 128, default limits.
    pub fn new() -> Self {
        Self::with_limits(ChunkLimits::default())
    }

    /// A decoder with the given limits.
    pub fn with_limits(limits: ChunkLimits) -> Self {
        ChunkDecoder {
            buf: BytesMut::new(),
            limits,
            chunk_size: DEFAULT_CHUNK_SIZE,
            streams: Vec::new(),
            partial_bytes: 0,
            position: 0,
            last_chunk_offset: 0,
            error: None,
            pool: None,
        }
    }

    /// Assembles the bodies of messages that come in several chunks in
    /// `pool`'s buffers (by default each is an allocation of its own).
    pub fn with_pool(mut self, pool: MessagePool) -> Self {
        self.pool = Some(pool);
        self
    }

    /// Makes error offsets count from `offset` instead of 0 (a session
    /// passes the handshake's length so offsets match a capture).
    pub fn with_start_offset(mut self, offset: u64) -> Self {
        self.position = offset;
        self.last_chunk_offset = offset;
        self
    }

    /// Appends received bytes. Nothing is decoded until [`poll`](Self::poll).
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The undecoded input, for a caller that appends received bytes in
    /// place (a socket read straight into it) rather than through
    /// [`push`](Self::push). Only append to it.
    pub fn input_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// The next complete message, `Ok(None)` when more input is needed.
    ///
    /// Errors are sticky: after one, every call returns it again.
    pub fn poll(&mut self) -> Result<Option<RawMessage>, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        loop {
            match self.next_chunk() {
                Ok(Some(Some(msg))) => return Ok(Some(msg)),
                Ok(Some(None)) => continue,
                Ok(None) => return Ok(None),
                Err(e) => {
                    self.error = Some(e.clone());
                    return Err(e);
                }
            }
        }
    }

    /// The chunk size the peer currently uses.
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// Sets the incoming chunk size by hand (normally the peer's Set Chunk
    /// Size message does this). Must be in 1 ..= 2³¹ − 1.
    pub fn set_chunk_size(&mut self, size: u32) -> Result<(), Error> {
        if size == 0 || size > MAX_CHUNK_SIZE {
            return Err(Error::InvalidChunkSize { offset: 0, size });
        }
        self.chunk_size = size;
        Ok(())
    }

    /// Bytes consumed so far (plus the start offset).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Stream offset of the chunk that completed the last message returned,
    /// for errors about that message's content.
    pub fn last_message_offset(&self) -> u64 {
        self.last_chunk_offset
    }

    /// Bytes held: undecoded input plus partially received messages.
    pub fn buffered(&self) -> usize {
        self.buf.len().saturating_add(self.partial_bytes)
    }

    /// Undecoded input bytes only.
    pub fn buffered_input(&self) -> usize {
        self.buf.len()
    }

    /// The fewest more input bytes before [`poll`](Self::poll) can return
    /// a message, when a message is under way: the rest of the one nearest
    /// its end, with one header byte for each chunk still to come. `None`
    /// when no message is under way (or not enough of the next chunk's
    /// header is here to say how long its message is).
    ///
    /// It is a lower bound when the peer sends each message's chunks back
    /// to back, as FFmpeg, OBS (librtmp) and GStreamer do: a driver may
    /// wait for that many bytes before it reads (`SO_RCVLOWAT`) without
    /// holding a complete message back. A message started on another chunk
    /// stream in between can complete sooner (RTMP allows it), so such a
    /// driver must also bound how long it waits. Bytes that
    /// [`poll`](Self::poll) has not decoded yet count towards it; call it
    /// after `poll` returned `Ok(None)`.
    ///
    /// ```
    /// use livechannel_rtmp::{ChunkDecoder, ChunkEncoder, RawMessage};
    /// let msg = RawMessage { csid: 6, timestamp: 0, type_id: 9, stream_id: 1, payload: vec![7; 300].into() };
    /// let mut wire = Vec::new();
    /// ChunkEncoder::new().encode(&msg, &mut wire)?; // chunks of 128 bytes
    /// let mut decoder = ChunkDecoder::new();
    /// assert_eq!(decoder.bytes_wanted(), None);
    /// decoder.push(&wire[..100]);
    /// assert_eq!(decoder.poll()?, None);
    /// let wanted = decoder.bytes_wanted().unwrap().get();
    /// assert!(wanted <= wire.len() - 100);
    /// # Ok::<(), livechannel_rtmp::Error>(())
    /// ```
    pub fn bytes_wanted(&self) -> Option<NonZeroUsize> {
        self.bytes_wanted_by(|_, _| true)
    }

    /// [`bytes_wanted`](Self::bytes_wanted) counting only the messages
    /// under way that `awaited` picks, by their type id and the first byte
    /// of their body (`None` while it has not come): a driver that reads
    /// at once for a video keyframe but lets inter frames gather passes a
    /// rule that says so (see [`ReadHint`](crate::ReadHint)).
    pub fn bytes_wanted_by(
        &self,
        awaited: impl Fn(u8, Option<u8>) -> bool,
    ) -> Option<NonZeroUsize> {
        if self.error.is_some() {
            return None;
        }
        let chunk = self.chunk_size as usize;
        let under_way = self
            .streams
            .iter()
            .filter_map(|s| Some((s, s.partial.as_ref()?)))
            .filter(|(s, body)| awaited(s.type_id, body.first().copied()))
            .map(|(s, _)| on_wire(s.length.saturating_sub(s.received()) as usize, chunk))
            .min();
        let next = self
            .next_message_on_wire()
            .filter(|&(_, type_id, first)| awaited(type_id, first))
            .map(|(wire, _, _)| wire);
        let wire = match (under_way, next) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        // More than that already here, yet no message: chunks of messages
        // interleaved. Read as bytes come.
        NonZeroUsize::new(wire.saturating_sub(self.buf.len())).or(NonZeroUsize::new(1))
    }

    /// The whole size on the wire (headers included, one byte for each
    /// continuation header) of a new message whose first chunk header is at
    /// the start of the buffer, when enough of it is here; with its type id
    /// and the first byte of its body, if that is here too.
    fn next_message_on_wire(&self) -> Option<(usize, u8, Option<u8>)> {
        let (fmt, csid, basic_len) = basic_header(&self.buf)?;
        let stream = self.find(csid).and_then(|i| self.streams.get(i));
        if stream.is_some_and(|s| s.partial.is_some()) {
            return None; // a continuation: counted with the messages under way
        }
        let header_len = basic_len + message_header_len(fmt);
        let header = self.buf.get(basic_len..header_len)?;
        let (length, type_id) = if fmt <= 1 {
            (read_u24(&header[3..6]) as usize, header[6])
        } else {
            let s = stream?;
            (s.length as usize, s.type_id)
        };
        // An extended timestamp comes between the header and the body. A
        // format-3 header may repeat its stream's or not: no first byte.
        let first = match header.get(..3) {
            Some(field) => self
                .buf
                .get(header_len + if field == [0xff; 3] { 4 } else { 0 }),
            None if stream.is_some_and(|s| s.extended) => None,
            None => self.buf.get(header_len),
        };
        let first = first.copied();
        let wire = (header_len + on_wire(length, self.chunk_size as usize)).saturating_sub(1);
        Some((wire, type_id, first))
    }

    /// Number of chunk streams with a remembered header.
    pub fn chunk_streams(&self) -> usize {
        self.streams.len()
    }

    /// Refuse a chunk that would take the bytes held in partial messages
    /// over the cap (`payload_len` more bytes, for chunk stream `csid`).
    fn check_partial(&self, offset: u64, csid: u32, payload_len: usize) -> Result<(), Error> {
        let buffered = self.partial_bytes.saturating_add(payload_len);
        if buffered > self.limits.max_partial_bytes {
            return Err(Error::PartialMessagesTooLarge {
                offset,
                csid,
                buffered,
                limit: self.limits.max_partial_bytes,
            });
        }
        Ok(())
    }

    fn find(&self, csid: u32) -> Option<usize> {
        self.streams.iter().position(|s| s.csid == csid)
    }

    /// Decodes one chunk. `Ok(None)`: need more bytes; `Ok(Some(None))`: a
    /// chunk was consumed without completing a message.
    fn next_chunk(&mut self) -> Result<Option<Option<RawMessage>>, Error> {
        let plan = match self.plan()? {
            Some(plan) => plan,
            None => return Ok(None),
        };
        let offset = self.position;
        let total = plan.header_len.saturating_add(plan.payload_len);

        let index = match plan.index {
            Some(i) => i,
            None => {
                self.streams.push(ChunkStream {
                    csid: plan.csid,
                    timestamp: 0,
                    delta: 0,
                    length: 0,
                    type_id: 0,
                    stream_id: 0,
                    extended: false,
                    ext_value: 0,
                    partial: None,
                });
                self.streams.len() - 1
            }
        };
        let Some(stream) = self.streams.get_mut(index) else {
            return Ok(None);
        };
        if plan.new_message {
            stream.timestamp = plan.timestamp;
            stream.delta = plan.delta;
            stream.length = plan.length;
            stream.type_id = plan.type_id;
            stream.stream_id = plan.stream_id;
            stream.extended = plan.extended;
            stream.ext_value = plan.ext_value;
        }

        self.buf.advance(plan.header_len);
        let received = stream.received() as usize;
        let complete = received.saturating_add(plan.payload_len) >= stream.length as usize;
        let payload = if received == 0 && complete {
            // The whole body is in this one chunk: hand out a slice of the
            // receive buffer without copying.
            Some(self.buf.split_to(plan.payload_len).freeze())
        } else {
            let chunk = self.buf.get(..plan.payload_len).unwrap_or_default();
            let pool = self.pool.as_ref();
            let partial = stream.partial.get_or_insert_with(|| {
                let len = stream.length as usize;
                match pool {
                    Some(pool) => pool.take(len),
                    None => Vec::with_capacity(len.min(INITIAL_PARTIAL_CAPACITY)),
                }
            });
            partial.extend_from_slice(chunk);
            self.buf.advance(plan.payload_len);
            if complete {
                self.partial_bytes = self.partial_bytes.saturating_sub(received);
                let pool = self.pool.as_ref();
                stream.partial.take().map(|body| match pool {
                    Some(pool) => pool.freeze(body),
                    None => Bytes::from(body),
                })
            } else {
                self.partial_bytes = self.partial_bytes.saturating_add(plan.payload_len);
                None
            }
        };
        self.position = self.position.saturating_add(total as u64);

        let Some(payload) = payload else {
            return Ok(Some(None));
        };
        self.last_chunk_offset = offset;
        let msg = RawMessage {
            csid: stream.csid,
            timestamp: stream.timestamp,
            type_id: stream.type_id,
            stream_id: stream.stream_id,
            payload,
        };
        self.apply_control(&msg, offset)?;
        Ok(Some(Some(msg)))
    }

    /// Acts on Set Chunk Size and Abort Message.
    fn apply_control(&mut self, msg: &RawMessage, offset: u64) -> Result<(), Error> {
        match msg.type_id {
            SET_CHUNK_SIZE => {
                let Some(b) = msg.payload.get(..4) else {
                    return Err(Error::InvalidMessage {
                        offset,
                        type_id: SET_CHUNK_SIZE,
                        reason: "set chunk size body is shorter than 4 bytes",
                    });
                };
                let size = read_u32_be(b);
                if size == 0 || size > MAX_CHUNK_SIZE {
                    return Err(Error::InvalidChunkSize { offset, size });
                }
                self.chunk_size = size;
            }
            ABORT => {
                let Some(b) = msg.payload.get(..4) else {
                    return Err(Error::InvalidMessage {
                        offset,
                        type_id: ABORT,
                        reason: "abort message body is shorter than 4 bytes",
                    });
                };
                let csid = read_u32_be(b);
                if let Some(i) = self.find(csid) {
                    if let Some(stream) = self.streams.get_mut(i) {
                        if let Some(p) = stream.partial.take() {
                            self.partial_bytes = self.partial_bytes.saturating_sub(p.len());
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Parses the next chunk's header without changing any state.
    fn plan(&self) -> Result<Option<Plan>, Error> {
        let buf = &self.buf[..];
        let offset = self.position;
        let Some((fmt, csid, basic_len)) = basic_header(buf) else {
            return Ok(None);
        };
        let index = self.find(csid);
        if index.is_none() {
            // Decidable from the basic header alone: report it at once.
            if fmt != 0 {
                return Err(Error::CompressedHeaderOnUnknownChunkStream { offset, csid, fmt });
            }
            if self.streams.len() >= self.limits.max_chunk_streams {
                return Err(Error::TooManyChunkStreams {
                    offset,
                    csid,
                    limit: self.limits.max_chunk_streams,
                });
            }
        }
        let mh_len = message_header_len(fmt);
        let Some(mh) = buf.get(basic_len..basic_len + mh_len) else {
            return Ok(None);
        };
        let Some(stream) = index.and_then(|i| self.streams.get(i)) else {
            return self.plan_new_message(offset, fmt, csid, basic_len, mh, None);
        };

        if stream.partial.is_some() {
            if fmt != 3 {
                return Err(Error::InterruptedMessage {
                    offset,
                    csid,
                    missing: stream.length.saturating_sub(stream.received()),
                });
            }
            return self.plan_continuation(offset, csid, basic_len, index, stream);
        }
        self.plan_new_message(offset, fmt, csid, basic_len, mh, Some((index, stream)))
    }

    /// Plans a type 3 chunk that continues `stream`'s partial message: its
    /// header is the stream's, so only the payload size (the rest of the
    /// message, at most one chunk) and an optional repeated extended
    /// timestamp are left to work out.
    fn plan_continuation(
        &self,
        offset: u64,
        csid: u32,
        basic_len: usize,
        index: Option<usize>,
        stream: &ChunkStream,
    ) -> Result<Option<Plan>, Error> {
        let buf = &self.buf[..];
        let remaining = stream.length.saturating_sub(stream.received());
        let payload_len = remaining.min(self.chunk_size) as usize;
        let mut header_len = basic_len;
        if stream.extended {
            let rest = buf.get(basic_len..).unwrap_or_default();
            let expected = stream.ext_value.to_be_bytes();
            let seen = rest.len().min(4);
            if rest.get(..seen) != expected.get(..seen) {
                // Not the extended timestamp: the peer omits it.
            } else if seen < 4 {
                return Ok(None);
            } else {
                header_len += 4;
            }
        }
        if buf.len() < header_len.saturating_add(payload_len) {
            return Ok(None);
        }
        if (payload_len as u32) < remaining {
            self.check_partial(offset, csid, payload_len)?;
        }
        Ok(Some(Plan {
            csid,
            index,
            header_len,
            payload_len,
            new_message: false,
            timestamp: stream.timestamp,
            delta: stream.delta,
            length: stream.length,
            type_id: stream.type_id,
            stream_id: stream.stream_id,
            extended: stream.extended,
            ext_value: stream.ext_value,
        }))
    }

    fn plan_new_message(
        &self,
        offset: u64,
        fmt: u8,
        csid: u32,
        basic_len: usize,
        mh: &[u8],
        prev: Option<(Option<usize>, &ChunkStream)>,
    ) -> Result<Option<Plan>, Error> {
        let buf = &self.buf[..];
        let index = prev.and_then(|(i, _)| i);
        let prev = prev.map(|(_, s)| s);
        let (mut length, mut type_id, mut stream_id) = match prev {
            Some(p) => (p.length, p.type_id, p.stream_id),
            None => (0, 0, 0),
        };
        // The 24-bit timestamp field, or for format 3 the previous one.
        let field = if fmt == 3 {
            match prev {
                Some(p) if p.extended => EXTENDED_TIMESTAMP,
                Some(p) => p.delta,
                None => 0,
            }
        } else {
            read_u24(mh)
        };
        if fmt <= 1 {
            length = read_u24(mh.get(3..).unwrap_or_default());
            type_id = mh.get(6).copied().unwrap_or(0);
            if length > self.limits.max_message_size {
                return Err(Error::MessageTooLarge {
                    offset,
                    csid,
                    len: length,
                    limit: self.limits.max_message_size,
                });
            }
        }
        if fmt == 0 {
            stream_id = read_u32_le(mh.get(7..).unwrap_or_default());
        }
        let mut header_len = basic_len + mh.len();
        let extended = field == EXTENDED_TIMESTAMP;
        let mut value = field;
        if extended {
            let Some(ext) = buf.get(header_len..header_len + 4) else {
                return Ok(None);
            };
            value = read_u32_be(ext);
            header_len += 4;
        }
        let (timestamp, delta) = match (fmt, prev) {
            (0, _) | (_, None) => (value, value),
            (_, Some(p)) => (p.timestamp.wrapping_add(value), value),
        };
        let payload_len = length.min(self.chunk_size) as usize;
        if buf.len() < header_len.saturating_add(payload_len) {
            return Ok(None);
        }
        if (payload_len as u32) < length {
            self.check_partial(offset, csid, payload_len)?;
        }
        Ok(Some(Plan {
            csid,
            index,
            header_len,
            payload_len,
            new_message: true,
            timestamp,
            delta,
            length,
            type_id,
            stream_id,
            extended,
            ext_value: value,
        }))
    }
}

/// `payload` bytes of a message as chunks of `chunk` bytes, with one
/// header byte per chunk (the least a header takes).
fn on_wire(payload: usize, chunk: usize) -> usize {
    payload.saturating_add(payload.div_ceil(chunk.max(1)))
}

/// The chunk basic header (RTMP 5.3.1.1): the format in the top two bits,
/// then a chunk stream ID in one, two or three bytes. `None` until all of
/// it is buffered; returns the format, the chunk stream ID and the length.
fn basic_header(buf: &[u8]) -> Option<(u8, u32, usize)> {
    let first = *buf.first()?;
    let fmt = first >> 6;
    let (csid, len) = match first & 0x3F {
        0 => (64 + u32::from(*buf.get(1)?), 2),
        1 => {
            let &[lo, hi] = buf.get(1..3)? else {
                return None;
            };
            (64 + u32::from(lo) + 256 * u32::from(hi), 3)
        }
        low => (u32::from(low), 1),
    };
    Some((fmt, csid, len))
}
