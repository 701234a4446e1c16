//! The chunk stream (RTMP 1.0 §5.3): messages cut into chunks with
//! compressed headers, interleaved over chunk streams.

mod decoder;
mod encoder;
pub(crate) mod header;
mod pool;

pub use decoder::ChunkDecoder;
pub use encoder::ChunkEncoder;
pub use pool::MessagePool;

use bytes::Bytes;

/// The chunk size every RTMP connection starts with, in both directions (§5.4.1).
pub const DEFAULT_CHUNK_SIZE: u32 = 128;

/// The largest chunk size a Set Chunk Size message may carry (§5.4.1: the top bit must be 0).
pub const MAX_CHUNK_SIZE: u32 = 0x7FFF_FFFF;

/// The largest message length the 24-bit header field can express.
pub const MAX_WIRE_MESSAGE_SIZE: u32 = 0xFF_FFFF;

/// The largest chunk stream id the 3-byte basic header can express.
pub const MAX_CHUNK_STREAM_ID: u32 = 65599;

/// One RTMP message as carried by the chunk stream, before its body is
/// interpreted (see [`Message`](crate::Message) for that).
///
/// ```
/// use bytes::Bytes;
/// use livechannel_rtmp::RawMessage;
///
/// // An audio message (type 8) on chunk stream 4, message stream 1.
/// let msg = RawMessage::new(4, 1000, 8, 1, Bytes::from_static(&[0xAF, 0x01, 0x21]));
/// assert_eq!(msg.payload.len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// The chunk stream id it arrived on (or is sent on), 2 ..= 65599.
    pub csid: u32,
    /// Absolute timestamp in milliseconds (deltas already resolved; wraps
    /// modulo 2³² like the wire clock).
    pub timestamp: u32,
    /// The message type id (§5.4, §7.1), e.g. 8 audio, 9 video, 20 AMF0 command.
    pub type_id: u8,
    /// The message stream id (0 for the connection's control messages).
    pub stream_id: u32,
    /// The message body. Received bodies that fit in one chunk are slices of
    /// the receive buffer, never copied.
    pub payload: Bytes,
}

impl RawMessage {
    /// Bundles the fields.
    pub fn new(csid: u32, timestamp: u32, type_id: u8, stream_id: u32, payload: Bytes) -> Self {
        RawMessage {
            csid,
            timestamp,
            type_id,
            stream_id,
            payload,
        }
    }
}

/// Bounds on what a peer can make a [`ChunkDecoder`] hold.
///
/// ```
/// use livechannel_rtmp::ChunkLimits;
///
/// let limits = ChunkLimits { max_message_size: 1 << 20, ..ChunkLimits::default() };
/// assert_eq!(limits.max_chunk_streams, 64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkLimits {
    /// The longest message accepted, checked as soon as a header declares
    /// it. The wire maximum is 16 MiB − 1; default 8 MiB, which is far above
    /// any real video frame at ingest bitrates.
    pub max_message_size: u32,
    /// Bytes that partially received messages may hold, summed over all
    /// chunk streams. Default 16 MiB. A session also applies it to input
    /// held while a request waits for the application.
    pub max_partial_bytes: usize,
    /// How many chunk streams may have a remembered header. Default 64;
    /// encoders use a handful.
    pub max_chunk_streams: usize,
}

impl Default for ChunkLimits {
    fn default() -> Self {
        ChunkLimits {
            max_message_size: 8 << 20,
            max_partial_bytes: 16 << 20,
            max_chunk_streams: 64,
        }
    }
}
