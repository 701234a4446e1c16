//! The encoder: messages in, chunks with compressed headers out.

use super::header::{write_basic_header, write_u24, EXTENDED_TIMESTAMP};
use super::{
    RawMessage, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MAX_CHUNK_STREAM_ID, MAX_WIRE_MESSAGE_SIZE,
};
use crate::Error;

/// Cuts messages into chunks for one direction of a connection.
///
/// Headers are compressed the way FFmpeg's writer does it, per chunk stream:
/// format 0 for the first message, after a message-stream change or when
/// the timestamp goes backwards; format 1 when only the length or type
/// changed; format 2 when only the delta changed; format 3 when the delta
/// repeats the previous delta too. A format-3 header never follows a
/// format-0 header as a new message, because decoders disagree on the delta
/// it implies (see [`ChunkDecoder`](crate::ChunkDecoder)). Extended
/// timestamps are repeated on continuation chunks, as the spec says.
///
/// The caller must write the chunks to the peer in the order produced, and
/// announce a chunk size change with a Set Chunk Size message *before*
/// switching: [`encode_set_chunk_size`](ChunkEncoder::encode_set_chunk_size)
/// does both.
///
/// ```
/// use bytes::Bytes;
/// use livechannel_rtmp::{ChunkEncoder, RawMessage};
///
/// let mut encoder = ChunkEncoder::new();
/// let mut wire = Vec::new();
/// encoder.encode_set_chunk_size(4096, &mut wire)?;
/// let audio = RawMessage::new(4, 0, 8, 1, Bytes::from_static(&[0xAF, 0x01]));
/// encoder.encode(&audio, &mut wire)?;
/// assert_eq!(encoder.chunk_size(), 4096);
/// # Ok::<(), livechannel_rtmp::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ChunkEncoder {
    chunk_size: u32,
    prev: Vec<PrevHeader>,
}

#[derive(Debug, Clone)]
struct PrevHeader {
    csid: u32,
    timestamp: u32,
    /// The delta the last header implied, `None` after a format-0 header.
    delta: Option<u32>,
    length: u32,
    type_id: u8,
    stream_id: u32,
}

impl Default for ChunkEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkEncoder {
    /// An encoder with the initial chunk size of 128.
    pub fn new() -> Self {
        ChunkEncoder {
            chunk_size: DEFAULT_CHUNK_SIZE,
            prev: Vec::new(),
        }
    }

    /// The chunk size in use.
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// Switches the chunk size without telling the peer; only for when the
    /// caller sends the Set Chunk Size message itself. Must be 1 ..= 2³¹ − 1.
    pub fn set_chunk_size(&mut self, size: u32) -> Result<(), Error> {
        if size == 0 || size > MAX_CHUNK_SIZE {
            return Err(Error::InvalidChunkSize { offset: 0, size });
        }
        self.chunk_size = size;
        Ok(())
    }

    /// Writes a Set Chunk Size message (chunk stream 2, message stream 0)
    /// with the current size, then switches to `size`.
    pub fn encode_set_chunk_size(&mut self, size: u32, out: &mut Vec<u8>) -> Result<(), Error> {
        if size == 0 || size > MAX_CHUNK_SIZE {
            return Err(Error::InvalidChunkSize { offset: 0, size });
        }
        let body = size.to_be_bytes();
        self.encode_parts(2, 0, 1, 0, &body, out)?;
        self.chunk_size = size;
        Ok(())
    }

    /// Appends the chunks of `msg` to `out`.
    ///
    /// Fails, writing nothing, when the chunk stream id is outside
    /// 2 ..= 65599 or the body is longer than 16 MiB − 1.
    pub fn encode(&mut self, msg: &RawMessage, out: &mut Vec<u8>) -> Result<(), Error> {
        self.encode_parts(
            msg.csid,
            msg.timestamp,
            msg.type_id,
            msg.stream_id,
            &msg.payload,
            out,
        )
    }

    /// Like [`encode`](Self::encode) with the fields given one by one, so a
    /// body need not be wrapped in `Bytes`.
    pub fn encode_parts(
        &mut self,
        csid: u32,
        timestamp: u32,
        type_id: u8,
        stream_id: u32,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        if !(2..=MAX_CHUNK_STREAM_ID).contains(&csid) {
            return Err(Error::InvalidChunkStreamId { csid });
        }
        let length = match u32::try_from(payload.len()) {
            Ok(l) if l <= MAX_WIRE_MESSAGE_SIZE => l,
            _ => return Err(Error::MessageTooLargeToSend { len: payload.len() }),
        };

        let index = self.prev.iter().position(|p| p.csid == csid);
        let prev = index.and_then(|i| self.prev.get(i));
        let (fmt, field) = match prev {
            Some(p) if p.stream_id == stream_id && timestamp >= p.timestamp => {
                let delta = timestamp - p.timestamp;
                if p.length != length || p.type_id != type_id {
                    (1, delta)
                } else if p.delta == Some(delta) && delta < EXTENDED_TIMESTAMP {
                    (3, delta)
                } else {
                    (2, delta)
                }
            }
            _ => (0, timestamp),
        };
        let extended = field >= EXTENDED_TIMESTAMP;

        let chunk_size = self.chunk_size as usize;
        let chunks = payload.len().div_ceil(chunk_size).max(1);
        out.reserve(payload.len() + 18 + (chunks - 1) * if extended { 7 } else { 3 });

        write_basic_header(out, fmt, csid);
        if fmt <= 2 {
            write_u24(out, field.min(EXTENDED_TIMESTAMP));
        }
        if fmt <= 1 {
            write_u24(out, length);
            out.push(type_id);
        }
        if fmt == 0 {
            out.extend_from_slice(&stream_id.to_le_bytes());
        }
        if extended {
            out.extend_from_slice(&field.to_be_bytes());
        }
        let mut pieces = payload.chunks(chunk_size);
        if let Some(first) = pieces.next() {
            out.extend_from_slice(first);
        }
        for piece in pieces {
            write_basic_header(out, 3, csid);
            if extended {
                out.extend_from_slice(&field.to_be_bytes());
            }
            out.extend_from_slice(piece);
        }

        let header = PrevHeader {
            csid,
            timestamp,
            delta: (fmt != 0).then_some(field),
            length,
            type_id,
            stream_id,
        };
        match index.and_then(|i| self.prev.get_mut(i)) {
            Some(slot) => *slot = header,
            None => self.prev.push(header),
        }
        Ok(())
    }
}
