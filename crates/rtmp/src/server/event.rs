//! What a server session reports to the application.

use bytes::Bytes;

use crate::CloseReason;

/// Names a request that waits for the application's answer
/// ([`ServerSession::accept_connect`](crate::ServerSession::accept_connect)
/// and friends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub(crate) u64);

/// How to refuse a publish request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishRejection {
    /// `NetStream.Publish.BadName`: no such channel, or it is in use.
    BadName,
    /// `NetStream.Publish.Denied`: not allowed (authentication failed,
    /// channel disabled).
    Denied,
    /// Any other status code.
    Other(String),
}

impl PublishRejection {
    /// The status code sent to the client.
    pub fn code(&self) -> &str {
        match self {
            PublishRejection::BadName => "NetStream.Publish.BadName",
            PublishRejection::Denied => "NetStream.Publish.Denied",
            PublishRejection::Other(code) => code,
        }
    }
}

/// What the accepted `connect` said of where the client pushes: with every
/// `PublishRequested`. Boxed there: the events of every media message are
/// as large as the largest event, and two more strings in line made every
/// audio and video event 40 bytes larger to move (5 % more instructions
/// per message, callgrind).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectInfo {
    /// The `tcUrl` property, as sent.
    pub tc_url: Option<String>,
    /// The query string (without `?`) from `app`, or else from `tcUrl`
    /// (`query` of `ConnectRequested`).
    pub query: Option<String>,
}

/// Something the application must know or decide.
///
/// `ConnectRequested` and `PublishRequested` pause the session: it reads no
/// further messages until the application answers with
/// [`accept_connect`](crate::ServerSession::accept_connect) /
/// [`reject_connect`](crate::ServerSession::reject_connect) or
/// [`accept_publish`](crate::ServerSession::accept_publish) /
/// [`reject_publish`](crate::ServerSession::reject_publish).
#[derive(Debug, Clone, PartialEq)]
pub enum ServerEvent {
    /// The client sent `connect`.
    ConnectRequested {
        /// Answer with this id.
        request: RequestId,
        /// The application name, without any `?query`.
        app: String,
        /// The `tcUrl` property, as sent.
        tc_url: Option<String>,
        /// The query string (without `?`) from `app`, or else from `tcUrl`;
        /// `None` when neither has one or it is empty (`live?`).
        query: Option<String>,
        /// The `flashVer` property.
        flash_ver: Option<String>,
        /// The `objectEncoding` property (0 when absent).
        object_encoding: f64,
    },
    /// The client sent `publish`.
    PublishRequested {
        /// Answer with this id.
        request: RequestId,
        /// The connected application name (without query).
        app: String,
        /// The accepted `connect`'s `tcUrl` and query, repeated here so
        /// that a publish can be resolved from this event alone.
        connect: Box<ConnectInfo>,
        /// The stream name without its query string.
        stream_name: String,
        /// The query string of the stream name, without `?`; `None` when it
        /// has none or an empty one (`ch?`).
        query: Option<String>,
        /// The publishing type: `live`, `record` or `append` (`live` when absent).
        publish_type: String,
    },
    /// `@setDataFrame` / `onMetaData` on the publishing stream.
    Metadata {
        /// The message stream id.
        stream_id: u32,
        /// The metadata value (usually an ECMA array or object).
        metadata: livechannel_amf0::Value,
    },
    /// An audio message while publishing.
    Audio {
        /// The message stream id.
        stream_id: u32,
        /// Absolute timestamp in ms (chunk deltas resolved, wraps at 2³²).
        timestamp: u32,
        /// The FLV audio tag body.
        data: Bytes,
    },
    /// A video message while publishing.
    Video {
        /// The message stream id.
        stream_id: u32,
        /// Absolute timestamp in ms (DTS; chunk deltas resolved, wraps at 2³²).
        timestamp: u32,
        /// The FLV video tag body.
        data: Bytes,
    },
    /// The client ended its publish (`FCUnpublish`, `deleteStream` or
    /// `closeStream`); the connection stays open and may publish again.
    Unpublished {
        /// The message stream id that was publishing.
        stream_id: u32,
    },
    /// The session is over; always the last event. Any publish ends with it.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}
