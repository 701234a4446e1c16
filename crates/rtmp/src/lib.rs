//! RTMP as a sans-IO library: handshake, chunk stream, messages, and the
//! server (ingest) and client (publish) session state machines.
//!
//! | Specification | Version / section | Link |
//! |---|---|---|
//! | Adobe, *Real-Time Messaging Protocol (RTMP) Specification* | 1.0, December 2012: §5.2 handshake, §5.3 chunk stream, §5.4 protocol control, §6 messages, §7 commands | <https://rtmp.veriskope.com/docs/spec/> |
//! | Flash Player 9 digest ("complex") handshake | HMAC-SHA256 digest schemes 0 and 1, as described by librtmp `handshake.h` and nginx-rtmp `ngx_rtmp_handshake.c` | <https://github.com/arut/nginx-rtmp-module/blob/master/ngx_rtmp_handshake.c> |
//! | Veovera, *Enhanced RTMP* | v1: media bodies passed through untouched | <https://github.com/veovera/enhanced-rtmp> |
//! | Adobe, *Action Message Format -- AMF 0* | via [`livechannel_amf0`]; AMF3 command/data messages (types 17/15) read as a 0x00 format byte + AMF0 | <http://download.macromedia.com/pub/labs/amf/amf0_spec_121207.pdf> |
//!
//! Nothing here touches a socket or a clock: bytes and `now: Instant` go in,
//! events and bytes to send come out, as in quinn-proto and rustls. The
//! driver loop is shown on [`ServerSession`].
//!
//! Layers, each usable alone:
//! - [`Handshake`]: simple and digest forms, either side.
//! - [`ChunkDecoder`] / [`ChunkEncoder`]: messages ⇄ chunks, with the caps of
//!   [`ChunkLimits`]; a body that arrives in one chunk is a zero-copy slice
//!   of the receive buffer.
//! - [`Message`], [`Command`], [`UserControlEvent`]: typed message bodies.
//! - [`ServerSession`] and [`ClientSession`]: the publish conversation.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use livechannel_rtmp::{CloseReason, Error, ServerConfig, ServerEvent, ServerSession};
//!
//! let start = Instant::now();
//! let mut server = ServerSession::new(ServerConfig::default(), start);
//! // A peer that speaks RTMPE (version 6) is refused at once.
//! assert_eq!(server.handle_input(&[6], start), Err(Error::UnsupportedVersion { found: 6 }));
//! assert_eq!(
//!     server.poll_event(),
//!     Some(ServerEvent::Closed { reason: CloseReason::ProtocolError(Error::UnsupportedVersion { found: 6 }) })
//! );
//!
//! // A peer that never finishes the handshake times out.
//! let mut server = ServerSession::new(ServerConfig::default(), start);
//! server.handle_input(&[3], start)?;
//! let deadline = server.poll_timeout().unwrap();
//! assert_eq!(deadline, start + Duration::from_secs(10));
//! server.handle_timeout(deadline);
//! assert!(server.is_closed());
//! # Ok::<(), Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]
#![forbid(clippy::print_stdout, clippy::print_stderr)]

mod chunk;
mod client;
mod conn;
mod error;
mod handshake;
mod message;
mod query;
mod random;
mod read_hint;
mod server;

pub use chunk::{
    ChunkDecoder, ChunkEncoder, ChunkLimits, MessagePool, RawMessage, DEFAULT_CHUNK_SIZE,
    MAX_CHUNK_SIZE, MAX_CHUNK_STREAM_ID, MAX_WIRE_MESSAGE_SIZE,
};
pub use client::{parse_rtmp_url, ClientConfig, ClientEvent, ClientSession, RtmpUrl};
pub use error::{CloseReason, Error};
pub use handshake::{Handshake, HandshakeKind, HANDSHAKE_LEN, RTMP_VERSION};
pub use message::{
    type_id, AggregateIter, BandwidthLimit, Command, Message, SubMessage, UserControlEvent,
};
pub use read_hint::{awaited, ReadHint};
pub use server::{
    ConnectInfo, PublishRejection, RequestId, ServerConfig, ServerEvent, ServerSession,
};
