//! The server side of an RTMP connection, for ingest (publishing only).

mod commands;
mod config;
mod event;

pub use config::ServerConfig;
pub use event::{ConnectInfo, PublishRejection, RequestId, ServerEvent};

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use livechannel_amf0::Value;

use crate::conn::{Conn, Received, CSID_CONTROL};
use crate::message::command::status_object;
use crate::read_hint::ReadHint;
use crate::{
    AggregateIter, BandwidthLimit, CloseReason, Command, Error, Handshake, Message,
    UserControlEvent,
};

#[derive(Debug, Clone, PartialEq)]
enum State {
    AwaitConnect,
    Connected,
    Publishing { stream_id: u32, stream_name: String },
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            State::AwaitConnect => "waiting for connect",
            State::Connected => "connected",
            State::Publishing { .. } => "publishing",
        }
    }
}

#[derive(Debug, Clone)]
enum Pending {
    Connect {
        id: RequestId,
        transaction_id: f64,
        object_encoding: f64,
        app: String,
        tc_url: Option<String>,
        query: Option<String>,
    },
    Publish {
        id: RequestId,
        stream_id: u32,
        stream_name: String,
    },
}

/// The server side of one RTMP connection: a sans-IO state machine that
/// accepts one publisher at a time.
///
/// The driver owns the socket and the clock:
/// 1. pass every received fragment to [`handle_input`](Self::handle_input)
///    (and the end of the stream to [`handle_eof`](Self::handle_eof));
/// 2. drain [`poll_event`](Self::poll_event) and answer
///    `ConnectRequested` / `PublishRequested`;
/// 3. write everything [`poll_transmit`](Self::poll_transmit) gives, in
///    order — after every call above, since each can queue bytes;
/// 4. wake at [`poll_timeout`](Self::poll_timeout) and call
///    [`handle_timeout`](Self::handle_timeout);
/// 5. once [`is_closed`](Self::is_closed), flush the last transmit and
///    close the socket.
///
/// Protocol: the handshake (simple or digest), then `connect`,
/// `releaseStream` / `FCPublish` / `createStream`, `publish`; media and
/// `@setDataFrame` on the published stream; `FCUnpublish`, `deleteStream`
/// or `closeStream` end the publish. `play` is refused
/// (`NetStream.Play.Failed`, then the session closes with
/// [`Error::PlayNotSupported`]). A `publish` before `connect` or while
/// already publishing is answered with an error status and closes the
/// session ([`Error::PublishBeforeConnect`], [`Error::AlreadyPublishing`]).
/// Unknown commands are ignored.
///
/// ```
/// use std::time::Instant;
/// use bytes::Bytes;
/// use livechannel_rtmp::{ClientConfig, ClientEvent, ClientSession, ServerConfig, ServerEvent, ServerSession};
///
/// let now = Instant::now();
/// let mut server = ServerSession::new(ServerConfig::default(), now);
/// let mut client = ClientSession::new(
///     ClientConfig::new("live", "rtmp://localhost/live", "channel?token=abc"),
///     now,
/// );
/// let mut received = Vec::new();
/// let mut sent_audio = false;
/// // The driver loop, with an in-memory "socket" in each direction.
/// for _ in 0..20 {
///     while let Some(bytes) = client.poll_transmit() {
///         server.handle_input(&bytes, now)?;
///     }
///     while let Some(event) = server.poll_event() {
///         match event {
///             ServerEvent::ConnectRequested { request, app, .. } => {
///                 assert_eq!(app, "live");
///                 server.accept_connect(request)?;
///             }
///             ServerEvent::PublishRequested { request, stream_name, query, .. } => {
///                 assert_eq!((stream_name.as_str(), query.as_deref()), ("channel", Some("token=abc")));
///                 server.accept_publish(request)?;
///             }
///             ServerEvent::Audio { timestamp, data, .. } => received.push((timestamp, data)),
///             _ => {}
///         }
///     }
///     while let Some(bytes) = server.poll_transmit() {
///         client.handle_input(&bytes, now)?;
///     }
///     while let Some(event) = client.poll_event() {
///         if event == ClientEvent::Publishing && !sent_audio {
///             client.send_audio(23, Bytes::from_static(&[0xAF, 0x01, 0x21]))?;
///             sent_audio = true;
///         }
///     }
/// }
/// assert_eq!(received, vec![(23, Bytes::from_static(&[0xAF, 0x01, 0x21]))]);
/// # Ok::<(), livechannel_rtmp::Error>(())
/// ```
#[derive(Debug)]
pub struct ServerSession {
    config: ServerConfig,
    conn: Conn,
    state: State,
    pending: Option<Pending>,
    app: String,
    /// The accepted connect's `tcUrl` and query, for `PublishRequested`.
    connect: ConnectInfo,
    events: VecDeque<ServerEvent>,
    next_request: u64,
    next_stream_id: u32,
    start: Instant,
    last_input: Instant,
    /// `last_input` at the time we sent a ping, so one silence gets one ping.
    pinged_at: Option<Instant>,
    closed: Option<CloseReason>,
}

impl ServerSession {
    /// A session for a newly accepted connection; `now` starts the
    /// handshake timer.
    pub fn new(config: ServerConfig, now: Instant) -> Self {
        let conn = Conn::new(
            Handshake::server(config.seed),
            config.limits,
            config.message_pool.clone(),
        );
        ServerSession {
            config,
            conn,
            state: State::AwaitConnect,
            pending: None,
            app: String::new(),
            connect: ConnectInfo::default(),
            events: VecDeque::new(),
            next_request: 1,
            next_stream_id: 1,
            start: now,
            last_input: now,
            pinged_at: None,
            closed: None,
        }
    }

    /// Processes bytes received from the peer.
    ///
    /// Errors close the session (a `Closed` event reports them too) and are
    /// sticky: later calls return the same error, or
    /// [`Error::SessionClosed`] when the session closed without one.
    pub fn handle_input(&mut self, data: &[u8], now: Instant) -> Result<(), Error> {
        if self.closed.is_none() {
            self.conn.input_buffer(0).extend_from_slice(data);
        }
        self.handle_received(data.len(), now)
    }

    /// Room for at least `room` received bytes, for a driver that reads the
    /// socket straight into the session rather than copying through
    /// [`handle_input`](Self::handle_input): append what the socket gives
    /// (and nothing else) to the returned buffer, then call
    /// [`handle_received`](Self::handle_received) with the count.
    ///
    /// ```
    /// # use livechannel_rtmp::{ServerConfig, ServerSession};
    /// # use std::time::Instant;
    /// # let mut session = ServerSession::new(ServerConfig::default(), Instant::now());
    /// # let from_socket: &[u8] = &[3];
    /// // With tokio: `socket.read_buf(buf).await` (AsyncReadExt). It knows a
    /// // short read drained the socket; `readable` + `try_read_buf` needs one
    /// // more recv, failing with EAGAIN, per read.
    /// let buf = session.input_buffer(16 * 1024);
    /// buf.extend_from_slice(from_socket);
    /// session.handle_received(from_socket.len(), Instant::now())?;
    /// # Ok::<(), livechannel_rtmp::Error>(())
    /// ```
    pub fn input_buffer(&mut self, room: usize) -> &mut BytesMut {
        self.conn.input_buffer(room)
    }

    /// Processes the `n` bytes just appended to
    /// [`input_buffer`](Self::input_buffer). Errors as for
    /// [`handle_input`](Self::handle_input).
    pub fn handle_received(&mut self, n: usize, now: Instant) -> Result<(), Error> {
        self.check_open()?;
        if self.conn.handshaking() && self.handshake_expired(now) {
            return Err(self.fail(self.handshake_timeout_error()));
        }
        if n > 0 {
            self.last_input = now;
        }
        if let Err(e) = self.conn.received_in_place() {
            return Err(self.fail(e));
        }
        self.process()
    }

    /// Reports that the peer closed its side of the connection (a read
    /// returned 0 bytes or failed). Emits `Closed { reason: PeerClosed }`.
    pub fn handle_eof(&mut self) {
        self.close_with(CloseReason::PeerClosed);
    }

    /// The next event, in order. Worth calling after every other method.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// Bytes to send to the peer, in order; `None` when there are none.
    /// Worth calling after every other method, and also after the session
    /// closed (a final status message may be waiting).
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.conn.take_transmit()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next
    /// (`None` once closed). Changes after `handle_input` and
    /// `handle_timeout`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed.is_some() {
            return None;
        }
        if self.conn.handshaking() {
            return Some(self.start + self.config.handshake_timeout);
        }
        let idle = self.last_input + self.config.idle_timeout;
        if self.pinged_at == Some(self.last_input) {
            Some(idle)
        } else {
            Some(idle.min(self.ping_time()))
        }
    }

    /// Acts on timers: closes the session when the handshake or the peer is
    /// too slow, sends a ping request half way through a silence.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed.is_some() {
            return;
        }
        if self.conn.handshaking() {
            if self.handshake_expired(now) {
                self.fail(self.handshake_timeout_error());
            }
            return;
        }
        if now >= self.last_input + self.config.idle_timeout {
            self.fail(Error::IdleTimeout {
                timeout: self.config.idle_timeout,
            });
        } else if now >= self.ping_time() && self.pinged_at != Some(self.last_input) {
            self.pinged_at = Some(self.last_input);
            let ms = now.saturating_duration_since(self.start).as_millis() as u32;
            let ping = Message::UserControl(UserControlEvent::PingRequest { timestamp: ms });
            if let Err(e) = self.conn.send(&ping, CSID_CONTROL, 0, 0) {
                self.fail(e);
            }
        }
    }

    /// Accepts a `connect`: announces window, bandwidth and chunk size, and
    /// replies `NetConnection.Connect.Success`. Processing of buffered input
    /// resumes; errors found there close the session (see the events).
    pub fn accept_connect(&mut self, request: RequestId) -> Result<(), Error> {
        self.check_open()?;
        let Some(Pending::Connect {
            id,
            transaction_id,
            object_encoding,
            app,
            tc_url,
            query,
        }) = self.pending.clone()
        else {
            return Err(Error::UnknownRequest { request });
        };
        if id != request {
            return Err(Error::UnknownRequest { request });
        }
        self.pending = None;
        self.app = app;
        self.connect = ConnectInfo { tc_url, query };
        self.state = State::Connected;
        let result = (|| {
            self.conn.send(
                &Message::WindowAckSize(self.config.window_ack_size),
                CSID_CONTROL,
                0,
                0,
            )?;
            self.conn.send(
                &Message::SetPeerBandwidth {
                    size: self.config.peer_bandwidth,
                    limit: BandwidthLimit::Dynamic,
                },
                CSID_CONTROL,
                0,
                0,
            )?;
            self.conn.set_chunk_size(self.config.chunk_size)?;
            let properties = Value::Object(vec![
                (
                    "fmsVer".to_owned(),
                    Value::String("FMS/3,0,1,123".to_owned()),
                ),
                ("capabilities".to_owned(), Value::Number(31.0)),
            ]);
            let mut info = status_object(
                "status",
                "NetConnection.Connect.Success",
                "Connection succeeded.",
            );
            if let Value::Object(props) = &mut info {
                props.push(("objectEncoding".to_owned(), Value::Number(object_encoding)));
            }
            let reply = Command::new("_result", transaction_id, properties, vec![info]);
            self.conn.send_command(&reply, 0)
        })();
        if let Err(e) = result {
            self.fail(e.clone());
            return Err(e);
        }
        let _ = self.process();
        Ok(())
    }

    /// Refuses a `connect` with `NetConnection.Connect.Rejected` and closes
    /// the session.
    pub fn reject_connect(&mut self, request: RequestId, description: &str) -> Result<(), Error> {
        self.check_open()?;
        let Some(Pending::Connect {
            id, transaction_id, ..
        }) = &self.pending
        else {
            return Err(Error::UnknownRequest { request });
        };
        if *id != request {
            return Err(Error::UnknownRequest { request });
        }
        let tid = *transaction_id;
        self.pending = None;
        let info = status_object("error", "NetConnection.Connect.Rejected", description);
        let reply = Command::new("_error", tid, Value::Null, vec![info]);
        let sent = self.conn.send_command(&reply, 0);
        self.close_with(CloseReason::Application {
            reason: format!("connect rejected: {description}"),
        });
        sent
    }

    /// Accepts a `publish`: sends Stream Begin and
    /// `NetStream.Publish.Start`; media events follow.
    pub fn accept_publish(&mut self, request: RequestId) -> Result<(), Error> {
        self.check_open()?;
        let Some(Pending::Publish {
            id,
            stream_id,
            stream_name,
        }) = self.pending.clone()
        else {
            return Err(Error::UnknownRequest { request });
        };
        if id != request {
            return Err(Error::UnknownRequest { request });
        }
        self.pending = None;
        let result = (|| {
            let begin = Message::UserControl(UserControlEvent::StreamBegin { stream_id });
            self.conn.send(&begin, CSID_CONTROL, 0, 0)?;
            let mut info = status_object(
                "status",
                "NetStream.Publish.Start",
                &format!("{stream_name} is now published."),
            );
            if let Value::Object(props) = &mut info {
                props.push(("details".to_owned(), Value::String(stream_name.clone())));
            }
            self.conn.send_command(
                &Command::new("onStatus", 0.0, Value::Null, vec![info]),
                stream_id,
            )
        })();
        if let Err(e) = result {
            self.fail(e.clone());
            return Err(e);
        }
        self.state = State::Publishing {
            stream_id,
            stream_name,
        };
        let _ = self.process();
        Ok(())
    }

    /// Refuses a `publish` with the given status (level `error`) and closes
    /// the session.
    pub fn reject_publish(
        &mut self,
        request: RequestId,
        status: PublishRejection,
        description: &str,
    ) -> Result<(), Error> {
        self.check_open()?;
        let Some(Pending::Publish { id, stream_id, .. }) = &self.pending else {
            return Err(Error::UnknownRequest { request });
        };
        if *id != request {
            return Err(Error::UnknownRequest { request });
        }
        let stream_id = *stream_id;
        self.pending = None;
        let sent = self.send_status(stream_id, "error", status.code(), description);
        self.close_with(CloseReason::Application {
            reason: format!("publish rejected ({}): {description}", status.code()),
        });
        sent
    }

    /// Ends a live publish from the application side (e.g. the channel was
    /// disabled): sends `NetStream.Unpublish.Success` with `description`
    /// when publishing, then closes the session.
    pub fn end_publish(&mut self, description: &str) {
        if self.closed.is_some() {
            return;
        }
        if let State::Publishing { stream_id, .. } = self.state {
            let _ = self.send_status(
                stream_id,
                "status",
                "NetStream.Unpublish.Success",
                description,
            );
        }
        self.close_with(CloseReason::Application {
            reason: description.to_owned(),
        });
    }

    /// Ends a live publish because it failed (a codec the application
    /// refuses, a store that gave up): sends an `onStatus` of level
    /// `error`, code `NetStream.Failed`, with `description` when
    /// publishing, then closes the session. Publishers show an error
    /// status to their user (FFmpeg: "Server error: DESCRIPTION"; librtmp,
    /// as in OBS, closes on `NetStream.Failed`), where
    /// [`end_publish`](Self::end_publish)'s `status` level goes unseen.
    pub fn fail_publish(&mut self, description: &str) {
        if self.closed.is_some() {
            return;
        }
        if let State::Publishing { stream_id, .. } = self.state {
            let _ = self.send_status(stream_id, "error", "NetStream.Failed", description);
        }
        self.close_with(CloseReason::Application {
            reason: description.to_owned(),
        });
    }

    /// Closes the session without sending anything more.
    pub fn close(&mut self, reason: &str) {
        self.close_with(CloseReason::Application {
            reason: reason.to_owned(),
        });
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        self.closed.is_some()
    }

    /// Why the session closed, once it has.
    pub fn close_reason(&self) -> Option<&CloseReason> {
        self.closed.as_ref()
    }

    /// Whether a publish is active, and on which message stream.
    pub fn publishing_stream(&self) -> Option<u32> {
        match self.state {
            State::Publishing { stream_id, .. } => Some(stream_id),
            _ => None,
        }
    }

    /// Whether the driver may let the peer's bytes gather before reading
    /// them (see [`ReadHint`]): `Media` while publishing, `Eager` otherwise.
    ///
    /// ```
    /// # use livechannel_rtmp::{ReadHint, ServerConfig, ServerSession};
    /// # use std::time::Instant;
    /// let session = ServerSession::new(ServerConfig::default(), Instant::now());
    /// assert_eq!(session.read_hint(), ReadHint::Eager); // handshake first
    /// ```
    pub fn read_hint(&self) -> ReadHint {
        match (&self.state, &self.closed) {
            (State::Publishing { .. }, None) => ReadHint::Media {
                message_rest: self.conn.decoder.bytes_wanted_by(crate::read_hint::awaited),
                slack: Duration::ZERO,
            },
            _ => ReadHint::Eager,
        }
    }

    /// Bytes the session holds on the peer's behalf: handshake state,
    /// undecoded input, partial messages and unsent output. Bounded by
    /// [`ChunkLimits`](crate::ChunkLimits) plus one chunk.
    pub fn buffered_bytes(&self) -> usize {
        self.conn.buffered()
    }

    fn check_open(&self) -> Result<(), Error> {
        match &self.closed {
            None => Ok(()),
            Some(reason) => Err(reason.error().cloned().unwrap_or(Error::SessionClosed)),
        }
    }

    fn handshake_expired(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.start) >= self.config.handshake_timeout
    }

    fn handshake_timeout_error(&self) -> Error {
        Error::HandshakeTimeout {
            timeout: self.config.handshake_timeout,
            received: self.conn.handshake_bytes(),
        }
    }

    fn ping_time(&self) -> Instant {
        self.last_input + self.config.idle_timeout / 2
    }

    fn close_with(&mut self, reason: CloseReason) {
        if self.closed.is_none() {
            self.closed = Some(reason.clone());
            self.conn.release_input();
            self.pending = None;
            self.events.push_back(ServerEvent::Closed { reason });
        }
    }

    /// Closes the session because of `error` and returns it.
    fn fail(&mut self, error: Error) -> Error {
        self.close_with(CloseReason::from_error(error.clone()));
        error
    }

    fn send_status(
        &mut self,
        stream_id: u32,
        level: &str,
        code: &str,
        description: &str,
    ) -> Result<(), Error> {
        let info = status_object(level, code, description);
        self.conn.send_command(
            &Command::new("onStatus", 0.0, Value::Null, vec![info]),
            stream_id,
        )
    }

    /// Handles decoded messages until input runs out, a request waits for
    /// the application, or an error closes the session.
    fn process(&mut self) -> Result<(), Error> {
        while self.closed.is_none() {
            if self.pending.is_some() {
                let buffered = self.conn.decoder.buffered_input();
                let limit = self.config.limits.max_partial_bytes;
                if buffered > limit {
                    return Err(self.fail(Error::BacklogTooLarge { buffered, limit }));
                }
                return Ok(());
            }
            let next = match self.conn.next_message() {
                Ok(Some(next)) => next,
                Ok(None) => return Ok(()),
                Err(e) => return Err(self.fail(e)),
            };
            if let Err(e) = self.on_message(next) {
                return Err(self.fail(e));
            }
        }
        self.check_open()
    }

    fn on_message(&mut self, (raw, msg): Received) -> Result<(), Error> {
        let msg = match msg {
            Ok(m) => m,
            // Metadata is advisory (codec setup comes from the sequence
            // headers), so an undecodable data message is skipped.
            Err(_)
                if matches!(
                    raw.type_id,
                    crate::type_id::DATA_AMF0 | crate::type_id::DATA_AMF3
                ) =>
            {
                return Ok(())
            }
            Err(e) => return Err(e),
        };
        match msg {
            Message::Command { command, .. } => self.on_command(command, raw.stream_id),
            Message::Data { values, .. } => {
                self.on_data(values, raw.stream_id);
                Ok(())
            }
            Message::Audio(data) => {
                self.on_media(crate::type_id::AUDIO, raw.stream_id, raw.timestamp, data);
                Ok(())
            }
            Message::Video(data) => {
                self.on_media(crate::type_id::VIDEO, raw.stream_id, raw.timestamp, data);
                Ok(())
            }
            Message::Aggregate(body) => {
                for sub in AggregateIter::new(raw.timestamp, body) {
                    match sub.type_id {
                        crate::type_id::AUDIO | crate::type_id::VIDEO => {
                            self.on_media(sub.type_id, raw.stream_id, sub.timestamp, sub.payload)
                        }
                        crate::type_id::DATA_AMF0 => {
                            if let Ok(values) = livechannel_amf0::decode_all(&sub.payload) {
                                self.on_data(values, raw.stream_id);
                            }
                        }
                        _ => {}
                    }
                }
                Ok(())
            }
            // Chunk size, abort, window size and ping are handled below the
            // session; acknowledgements and bandwidth hints need no action.
            _ => Ok(()),
        }
    }

    fn on_media(&mut self, type_id: u8, stream_id: u32, timestamp: u32, data: Bytes) {
        if !matches!(self.state, State::Publishing { .. }) {
            return;
        }
        self.events.push_back(if type_id == crate::type_id::AUDIO {
            ServerEvent::Audio {
                stream_id,
                timestamp,
                data,
            }
        } else {
            ServerEvent::Video {
                stream_id,
                timestamp,
                data,
            }
        });
    }

    fn on_data(&mut self, values: Vec<Value>, stream_id: u32) {
        if !matches!(self.state, State::Publishing { .. }) {
            return;
        }
        let mut values = values.into_iter();
        let mut name = values.next();
        if name.as_ref().and_then(Value::as_str) == Some("@setDataFrame") {
            name = values.next();
        }
        if name.as_ref().and_then(Value::as_str) == Some("onMetaData") {
            if let Some(metadata) = values.next() {
                self.events.push_back(ServerEvent::Metadata {
                    stream_id,
                    metadata,
                });
            }
        }
    }
}
