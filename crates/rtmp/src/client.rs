//! The client side of an RTMP connection, for publishing.

mod config;
mod url;

pub use config::ClientConfig;
pub use url::{parse_rtmp_url, RtmpUrl};

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use livechannel_amf0::Value;

use crate::conn::{Conn, CSID_AUDIO, CSID_VIDEO};
use crate::{type_id, CloseReason, Command, Error, Handshake, Message};

/// Transaction ids of the commands we send.
const TID_CONNECT: f64 = 1.0;
const TID_RELEASE_STREAM: f64 = 2.0;
const TID_FC_PUBLISH: f64 = 3.0;
const TID_CREATE_STREAM: f64 = 4.0;
const TID_PUBLISH: f64 = 5.0;
const TID_FC_UNPUBLISH: f64 = 6.0;

/// What a client session reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// The server accepted `connect`.
    Connected,
    /// The server accepted `publish` (`NetStream.Publish.Start`): media may
    /// be sent now.
    Publishing,
    /// The server refused a request; a `Closed` event follows.
    Rejected {
        /// The status code, e.g. `NetStream.Publish.BadName`.
        code: String,
        /// The status description.
        description: String,
    },
    /// The session is over; always the last event.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Handshake,
    Connecting,
    CreatingStream,
    PublishRequested,
    Publishing,
    /// Connected, after an unpublish.
    Idle,
}

impl State {
    fn waiting_for(self) -> &'static str {
        match self {
            State::Handshake => "handshake",
            State::Connecting => "connect",
            State::CreatingStream => "createStream",
            State::PublishRequested => "publish",
            State::Publishing | State::Idle => "nothing",
        }
    }
}

/// The client side of one RTMP connection, publishing one stream: a
/// sans-IO state machine driven like [`ServerSession`](crate::ServerSession).
///
/// It sends the handshake at once, then `connect`; on its `_result`
/// `releaseStream`, `FCPublish` and `createStream`; on that `_result`
/// `publish`; on `NetStream.Publish.Start` it reports
/// [`ClientEvent::Publishing`] and accepts media. Every step must be
/// answered within [`ClientConfig::response_timeout`].
///
/// Driver duties: feed received bytes to [`handle_input`](Self::handle_input),
/// write out everything from [`poll_transmit`](Self::poll_transmit) after
/// every call, drain [`poll_event`](Self::poll_event), and call
/// [`handle_timeout`](Self::handle_timeout) at
/// [`poll_timeout`](Self::poll_timeout). See the example on
/// [`ServerSession`](crate::ServerSession) for a whole conversation.
///
/// ```
/// use std::time::Instant;
/// use bytes::Bytes;
/// use livechannel_rtmp::{parse_rtmp_url, ClientConfig, ClientSession, Error};
///
/// let url = parse_rtmp_url("rtmp://127.0.0.1:1935/live/channel?key=secret")?;
/// let now = Instant::now();
/// let mut client = ClientSession::new(ClientConfig::from_url(&url), now);
/// // C0 + C1 are ready to be written to the socket at once.
/// assert_eq!(client.poll_transmit().map(|b| b.len()), Some(1537));
/// // Media waits for NetStream.Publish.Start.
/// assert_eq!(
///     client.send_video(0, Bytes::from_static(&[0x17, 0, 0, 0, 0])),
///     Err(Error::NotPublishing { what: "video" })
/// );
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct ClientSession {
    config: ClientConfig,
    conn: Conn,
    state: State,
    stream_id: u32,
    events: VecDeque<ClientEvent>,
    deadline: Option<Instant>,
    closed: Option<CloseReason>,
}

impl ClientSession {
    /// A session for a new connection; C0+C1 are ready in
    /// [`poll_transmit`](Self::poll_transmit).
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        let mut conn = Conn::new(Handshake::client(config.seed), config.limits, None);
        conn.flush_handshake();
        let deadline = Some(now + config.response_timeout);
        ClientSession {
            config,
            conn,
            state: State::Handshake,
            stream_id: 0,
            events: VecDeque::new(),
            deadline,
            closed: None,
        }
    }

    /// Processes bytes received from the server. Errors close the session
    /// and are sticky, as on the server side.
    pub fn handle_input(&mut self, data: &[u8], now: Instant) -> Result<(), Error> {
        self.check_open()?;
        if self.deadline.is_some_and(|d| now >= d) {
            return Err(self.fail(self.timeout_error()));
        }
        match self.conn.receive(data) {
            Ok(true) => {
                if let Err(e) = self.start_connect(now) {
                    return Err(self.fail(e));
                }
            }
            Ok(false) => {}
            Err(e) => return Err(self.fail(e)),
        }
        while self.closed.is_none() {
            let (raw, msg) = match self.conn.next_message() {
                Ok(Some(next)) => next,
                Ok(None) => break,
                Err(e) => return Err(self.fail(e)),
            };
            let result = match msg {
                Ok(Message::Command { command, .. }) => self.on_command(command, now),
                Ok(_) => Ok(()),
                Err(_) if matches!(raw.type_id, type_id::DATA_AMF0 | type_id::DATA_AMF3) => Ok(()),
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                return Err(self.fail(e));
            }
        }
        self.check_open()
    }

    /// Reports that the server closed the connection.
    pub fn handle_eof(&mut self) {
        self.close_with(CloseReason::PeerClosed);
    }

    /// The next event, in order.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// Bytes to send to the server, in order; `None` when there are none.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.conn.take_transmit()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called:
    /// the deadline of the answer awaited, `None` when waiting for nothing.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed.is_some() {
            None
        } else {
            self.deadline
        }
    }

    /// Closes the session if the awaited answer is late.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed.is_none() && self.deadline.is_some_and(|d| now >= d) {
            self.fail(self.timeout_error());
        }
    }

    /// Sends `@setDataFrame("onMetaData", metadata)`. Only while publishing.
    pub fn send_metadata(&mut self, metadata: &Value) -> Result<(), Error> {
        self.check_publishing("metadata")?;
        let values = [
            Value::String("@setDataFrame".to_owned()),
            Value::String("onMetaData".to_owned()),
            metadata.clone(),
        ];
        self.conn.send_data(&values, self.stream_id)
    }

    /// Sends an FLV audio tag body with timestamp `timestamp` (ms). Only
    /// while publishing.
    pub fn send_audio(&mut self, timestamp: u32, data: Bytes) -> Result<(), Error> {
        self.check_publishing("audio")?;
        self.conn
            .send_media(CSID_AUDIO, type_id::AUDIO, timestamp, self.stream_id, &data)
    }

    /// Sends an FLV video tag body with timestamp `timestamp` (ms, DTS).
    /// Only while publishing.
    pub fn send_video(&mut self, timestamp: u32, data: Bytes) -> Result<(), Error> {
        self.check_publishing("video")?;
        self.conn
            .send_media(CSID_VIDEO, type_id::VIDEO, timestamp, self.stream_id, &data)
    }

    /// Ends the publish with `FCUnpublish` and `deleteStream`. The
    /// connection stays open; close the socket when the transmit is out.
    pub fn unpublish(&mut self) -> Result<(), Error> {
        self.check_publishing("unpublish")?;
        let name = Value::String(self.config.stream_name.clone());
        self.conn.send_command(
            &Command::new("FCUnpublish", TID_FC_UNPUBLISH, Value::Null, vec![name]),
            0,
        )?;
        let id = Value::Number(f64::from(self.stream_id));
        self.conn
            .send_command(&Command::new("deleteStream", 0.0, Value::Null, vec![id]), 0)?;
        self.state = State::Idle;
        Ok(())
    }

    /// Whether media may be sent.
    pub fn is_publishing(&self) -> bool {
        self.closed.is_none() && self.state == State::Publishing
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

    /// Bytes held: handshake state, undecoded input, partial messages and
    /// unsent output.
    pub fn buffered_bytes(&self) -> usize {
        self.conn.buffered()
    }

    fn check_open(&self) -> Result<(), Error> {
        match &self.closed {
            None => Ok(()),
            Some(reason) => Err(reason.error().cloned().unwrap_or(Error::SessionClosed)),
        }
    }

    fn check_publishing(&self, what: &'static str) -> Result<(), Error> {
        self.check_open()?;
        if self.state == State::Publishing {
            Ok(())
        } else {
            Err(Error::NotPublishing { what })
        }
    }

    fn timeout_error(&self) -> Error {
        if self.state == State::Handshake {
            Error::HandshakeTimeout {
                timeout: self.config.response_timeout,
                received: self.conn.handshake_bytes(),
            }
        } else {
            Error::ResponseTimeout {
                request: self.state.waiting_for(),
                timeout: self.config.response_timeout,
            }
        }
    }

    fn close_with(&mut self, reason: CloseReason) {
        if self.closed.is_none() {
            self.closed = Some(reason.clone());
            self.conn.release_input();
            self.deadline = None;
            self.events.push_back(ClientEvent::Closed { reason });
        }
    }

    fn fail(&mut self, error: Error) -> Error {
        if let Error::Rejected { code, description } = &error {
            self.events.push_back(ClientEvent::Rejected {
                code: code.clone(),
                description: description.clone(),
            });
        }
        self.close_with(CloseReason::from_error(error.clone()));
        error
    }

    fn start_connect(&mut self, now: Instant) -> Result<(), Error> {
        self.conn.set_chunk_size(self.config.chunk_size)?;
        let object = Value::Object(vec![
            ("app".to_owned(), Value::String(self.config.app.clone())),
            ("type".to_owned(), Value::String("nonprivate".to_owned())),
            (
                "flashVer".to_owned(),
                Value::String(self.config.flash_ver.clone()),
            ),
            (
                "tcUrl".to_owned(),
                Value::String(self.config.tc_url.clone()),
            ),
        ]);
        self.conn
            .send_command(&Command::new("connect", TID_CONNECT, object, vec![]), 0)?;
        self.expect(State::Connecting, now);
        Ok(())
    }

    fn expect(&mut self, state: State, now: Instant) {
        self.state = state;
        self.deadline = Some(now + self.config.response_timeout);
    }

    fn on_command(&mut self, command: Command, now: Instant) -> Result<(), Error> {
        let tid = command.transaction_id;
        match command.name.as_str() {
            "_result" if tid == TID_CONNECT && self.state == State::Connecting => {
                self.events.push_back(ClientEvent::Connected);
                let name = Value::String(self.config.stream_name.clone());
                for (cmd, tid) in [
                    ("releaseStream", TID_RELEASE_STREAM),
                    ("FCPublish", TID_FC_PUBLISH),
                ] {
                    self.conn.send_command(
                        &Command::new(cmd, tid, Value::Null, vec![name.clone()]),
                        0,
                    )?;
                }
                self.conn.send_command(
                    &Command::new("createStream", TID_CREATE_STREAM, Value::Null, vec![]),
                    0,
                )?;
                self.expect(State::CreatingStream, now);
                Ok(())
            }
            "_result" if tid == TID_CREATE_STREAM && self.state == State::CreatingStream => {
                let Some(id) = command.number_argument(0) else {
                    return Err(Error::UnexpectedCommand {
                        name: "_result without a stream id".to_owned(),
                        state: "creating a stream",
                    });
                };
                self.stream_id = id as u32;
                let args = vec![
                    Value::String(self.config.stream_name.clone()),
                    Value::String("live".to_owned()),
                ];
                self.conn.send_command(
                    &Command::new("publish", TID_PUBLISH, Value::Null, args),
                    self.stream_id,
                )?;
                self.expect(State::PublishRequested, now);
                Ok(())
            }
            "_error" if tid == TID_CONNECT || tid == TID_CREATE_STREAM => {
                let (code, description) = command
                    .status()
                    .unwrap_or(("NetConnection.Call.Failed", ""));
                Err(Error::Rejected {
                    code: code.to_owned(),
                    description: description.to_owned(),
                })
            }
            "onStatus" => {
                let level = command
                    .arguments
                    .first()
                    .and_then(|info| info.get("level"))
                    .and_then(Value::as_str);
                let (code, description) = command.status().unwrap_or(("", ""));
                if code == "NetStream.Publish.Start" && self.state == State::PublishRequested {
                    self.state = State::Publishing;
                    self.deadline = None;
                    self.events.push_back(ClientEvent::Publishing);
                } else if level == Some("error") {
                    return Err(Error::Rejected {
                        code: code.to_owned(),
                        description: description.to_owned(),
                    });
                } else if code == "NetStream.Unpublish.Success" && self.state == State::Publishing {
                    // The server ended the publish.
                    self.state = State::Idle;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
