//! The one error type of this crate, and why a session closed.

use std::time::Duration;

/// Why an RTMP operation failed.
///
/// Errors found in the peer's bytes carry `offset`: the position in the
/// byte stream received from the peer (handshake included, counting from 0),
/// comparable to a TCP sequence number in a capture. A session that fails
/// keeps its error: every later call that processes input returns the same
/// error (see [`ServerSession::handle_input`](crate::ServerSession::handle_input)).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The first handshake byte (C0/S0) is not 3. Version 6 (RTMPE,
    /// encrypted) and anything else are refused.
    #[error("unsupported RTMP version {found} in the first handshake byte, only 3 is supported")]
    UnsupportedVersion {
        /// The version byte received.
        found: u8,
    },
    /// The first byte from a client is 0x16, the start of a TLS record (a
    /// ClientHello): the client speaks RTMPS to a plain RTMP port. A server
    /// tells the operator to point it at its TLS listener; on the wire this
    /// is refused like any other version.
    #[error("TLS (a ClientHello, first byte 0x16) on a plain RTMP port: the client speaks RTMPS")]
    TlsOnPlainPort,
    /// The handshake did not complete within the configured time.
    #[error("handshake not complete after {timeout:?} ({received} handshake bytes received)")]
    HandshakeTimeout {
        /// The configured limit.
        timeout: Duration,
        /// How many handshake bytes had arrived.
        received: usize,
    },
    /// Nothing arrived from the peer for the configured time.
    #[error("no bytes received from the peer for {timeout:?}")]
    IdleTimeout {
        /// The configured limit.
        timeout: Duration,
    },
    /// The peer did not answer a request within the configured time.
    #[error("no answer to {request} within {timeout:?}")]
    ResponseTimeout {
        /// What we were waiting for, e.g. "connect".
        request: &'static str,
        /// The configured limit.
        timeout: Duration,
    },
    /// A chunk header declares a message longer than
    /// [`ChunkLimits::max_message_size`](crate::ChunkLimits::max_message_size).
    #[error("chunk stream {csid} at byte {offset} declares a {len}-byte message, over the limit of {limit}")]
    MessageTooLarge {
        /// Where the chunk starts.
        offset: u64,
        /// The chunk stream id.
        csid: u32,
        /// The declared message length.
        len: u32,
        /// The limit in force.
        limit: u32,
    },
    /// Partially received messages would hold more bytes than
    /// [`ChunkLimits::max_partial_bytes`](crate::ChunkLimits::max_partial_bytes).
    #[error("chunk at byte {offset} (chunk stream {csid}) would make partial messages hold {buffered} bytes, over the limit of {limit}")]
    PartialMessagesTooLarge {
        /// Where the chunk starts.
        offset: u64,
        /// The chunk stream id of the chunk that went over.
        csid: u32,
        /// Bytes that partial messages would hold with this chunk.
        buffered: usize,
        /// The limit in force.
        limit: usize,
    },
    /// A chunk opens one chunk stream more than
    /// [`ChunkLimits::max_chunk_streams`](crate::ChunkLimits::max_chunk_streams).
    #[error(
        "chunk at byte {offset} opens chunk stream {csid}, over the limit of {limit} chunk streams"
    )]
    TooManyChunkStreams {
        /// Where the chunk starts.
        offset: u64,
        /// The new chunk stream id.
        csid: u32,
        /// The limit in force.
        limit: usize,
    },
    /// A Set Chunk Size outside 1 ..= 2³¹ − 1.
    #[error("chunk size {size} at byte {offset} is outside 1 ..= 2147483647")]
    InvalidChunkSize {
        /// Where the message carrying it starts (0 for a local call).
        offset: u64,
        /// The size requested.
        size: u32,
    },
    /// A chunk with a compressed header (format 1, 2 or 3) on a chunk stream
    /// that has no previous header to inherit from.
    #[error("chunk at byte {offset} uses header format {fmt} on chunk stream {csid}, which has no previous header")]
    CompressedHeaderOnUnknownChunkStream {
        /// Where the chunk starts.
        offset: u64,
        /// The chunk stream id.
        csid: u32,
        /// The header format (1, 2 or 3).
        fmt: u8,
    },
    /// A chunk with a new message header (format 0, 1 or 2) arrived while
    /// the chunk stream was in the middle of another message.
    #[error("chunk at byte {offset} starts a new message on chunk stream {csid} while {missing} bytes of the previous one are missing")]
    InterruptedMessage {
        /// Where the chunk starts.
        offset: u64,
        /// The chunk stream id.
        csid: u32,
        /// Bytes of the unfinished message still expected.
        missing: u32,
    },
    /// A protocol message whose body does not have the layout of its type.
    #[error("message type {type_id} at byte {offset}: {reason}")]
    InvalidMessage {
        /// Where the message's last chunk starts (0 when not from the wire).
        offset: u64,
        /// The RTMP message type id.
        type_id: u8,
        /// What is wrong, e.g. "set chunk size body shorter than 4 bytes".
        reason: &'static str,
    },
    /// AMF0 data in a command could not be decoded or encoded.
    #[error("{context} at byte {offset}: {source}")]
    Amf {
        /// The AMF0 error.
        source: livechannel_amf0::Error,
        /// What was being decoded or encoded, e.g. "command message".
        context: &'static str,
        /// Where the message's last chunk starts (0 when encoding).
        offset: u64,
    },
    /// A command that is not valid in the session's current state.
    #[error("command {name:?} is not expected while the session is {state}")]
    UnexpectedCommand {
        /// The command name.
        name: String,
        /// The session state, e.g. "connecting".
        state: &'static str,
    },
    /// A `publish` (or `createStream`) before `connect` was accepted.
    #[error("publish requested before a successful connect")]
    PublishBeforeConnect,
    /// A `publish` while the connection already publishes a stream.
    #[error("publish of {stream_name:?} requested while stream {stream_id} is already publishing")]
    AlreadyPublishing {
        /// The message stream id that is publishing.
        stream_id: u32,
        /// The stream name of the refused request.
        stream_name: String,
    },
    /// The peer asked to play a stream; this library only ingests.
    #[error("play of {stream_name:?} refused: this server only accepts publishing")]
    PlayNotSupported {
        /// The requested stream name.
        stream_name: String,
    },
    /// The peer sent more input than allowed while the session waited for
    /// the application to answer a request.
    #[error(
        "{buffered} bytes of input wait for the application's answer, over the limit of {limit}"
    )]
    BacklogTooLarge {
        /// Bytes held.
        buffered: usize,
        /// The limit in force
        /// ([`ChunkLimits::max_partial_bytes`](crate::ChunkLimits::max_partial_bytes)).
        limit: usize,
    },
    /// The peer answered a request with an error status.
    #[error("the server answered {code}: {description}")]
    Rejected {
        /// The status code, e.g. `NetStream.Publish.BadName`.
        code: String,
        /// The status description.
        description: String,
    },
    /// An application call named a request that is not pending.
    #[error("request {request:?} is not pending")]
    UnknownRequest {
        /// The request id given.
        request: crate::RequestId,
    },
    /// Media or metadata sent while the client is not publishing.
    #[error("cannot send {what}: the session is not publishing")]
    NotPublishing {
        /// "audio", "video", "metadata" or "unpublish".
        what: &'static str,
    },
    /// A message to send is longer than the 24-bit length field allows.
    #[error("cannot send a {len}-byte message: the RTMP length field holds at most 16777215")]
    MessageTooLargeToSend {
        /// The body length.
        len: usize,
    },
    /// A chunk stream id outside 2 ..= 65599 given to the encoder.
    #[error("chunk stream id {csid} is outside 2 ..= 65599")]
    InvalidChunkStreamId {
        /// The id given.
        csid: u32,
    },
    /// An RTMP URL that cannot be used.
    #[error("invalid RTMP URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The session was closed (by the application or the peer) without an
    /// error; nothing more can be done with it.
    #[error("the session is closed")]
    SessionClosed,
}

/// Why a session closed, reported once as its last event.
///
/// After this the session sends and accepts nothing more; the driver drains
/// [`poll_transmit`](crate::ServerSession::poll_transmit) (a final status
/// message may be waiting) and closes the socket.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The driver reported the end of the peer's byte stream
    /// ([`ServerSession::handle_eof`](crate::ServerSession::handle_eof)).
    PeerClosed,
    /// A handshake, idle or response timeout; the error says which.
    Timeout(Error),
    /// The peer broke the protocol or a limit; the error says how.
    ProtocolError(Error),
    /// The peer refused our request (client side).
    Rejected {
        /// The status code, e.g. `NetStream.Publish.BadName`.
        code: String,
        /// The status description.
        description: String,
    },
    /// The application closed the session (directly, by rejecting a request
    /// or by ending the publish).
    Application {
        /// The reason the application gave.
        reason: String,
    },
}

impl CloseReason {
    /// The error behind a timeout or protocol error.
    pub fn error(&self) -> Option<&Error> {
        match self {
            CloseReason::Timeout(e) | CloseReason::ProtocolError(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn from_error(error: Error) -> Self {
        match error {
            Error::HandshakeTimeout { .. }
            | Error::IdleTimeout { .. }
            | Error::ResponseTimeout { .. } => CloseReason::Timeout(error),
            Error::Rejected { code, description } => CloseReason::Rejected { code, description },
            other => CloseReason::ProtocolError(other),
        }
    }
}
