//! The RTMP-to-LiveChannel bridge: one publisher's connection, without I/O.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use livechannel_rtmp::{
    CloseReason, ReadHint, RequestId, ServerConfig, ServerEvent, ServerSession,
};

use crate::addressing::{join_queries, resolve_publish};
use crate::Service;

use super::{EndReason, IngestError, IngestWarning, Publisher, Refusal};

/// How often a publish without media looks whether its channel was
/// disabled (with media, [`DISABLED_CHECK_MS`](super::DISABLED_CHECK_MS)).
const QUIET_CHECK: Duration = Duration::from_millis(500);

/// How a [`Connection`] is set up.
#[derive(Debug, Clone, Default)]
pub struct ConnectionConfig {
    /// The RTMP session's settings (handshake seed, idle timeout, ...).
    pub session: ServerConfig,
    /// The publisher's `ip:port`, for Stat and History.
    pub peer: String,
    /// The bucket of a push URL that names none (`rtmp://HOST/live/CHANNEL`).
    pub default_bucket: Option<String>,
}

/// What a [`Connection`] did, for the driver to log or count.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// A publish was accepted: media is being stored.
    Publishing {
        /// The bucket.
        bucket: String,
        /// The channel.
        channel: String,
    },
    /// A publish was refused; the publisher was answered with
    /// [`Refusal::rejection`] and the session closed.
    Refused {
        /// Why.
        refusal: Refusal,
    },
    /// Something the operator should hear about a publish, once each; the
    /// publisher cannot hear it.
    Warning {
        /// The bucket.
        bucket: String,
        /// The channel.
        channel: String,
        /// What.
        warning: IngestWarning,
    },
    /// Ingest failed, or the channel was disabled: the publish is ended
    /// from this side (`NetStream.Unpublish.Success` with the reason).
    Ending {
        /// The bucket.
        bucket: String,
        /// The channel.
        channel: String,
        /// Why.
        error: IngestError,
    },
    /// A publish is over: its last segment, ended playlist and History
    /// record are stored, unless `result` says otherwise.
    Finished {
        /// The bucket.
        bucket: String,
        /// The channel.
        channel: String,
        /// Why it ended.
        reason: EndReason,
        /// How storing its end went.
        result: Result<(), IngestError>,
    },
    /// The RTMP session is over. A publish still open is finished by
    /// [`Connection::finish`], which the driver calls next.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

/// Where the connection's publish is.
enum Publish {
    /// None yet, or the last one is finished.
    Idle,
    /// Media goes to the publisher.
    Live(Publisher),
    /// Ended from this side, for the reason given: media is dropped until
    /// the publisher is finished.
    Ending(Publisher, IngestError),
}

/// One RTMP publisher's connection, from its first byte to its stored
/// History: the RTMP [`ServerSession`] and the [`Publisher`] it feeds.
///
/// Sans I/O: the driver owns the socket and the clock. It reads into
/// [`input_buffer`](Self::input_buffer) and reports with
/// [`handle_received`](Self::handle_received) (or
/// [`handle_eof`](Self::handle_eof)), calls
/// [`handle_timeout`](Self::handle_timeout) at
/// [`poll_timeout`](Self::poll_timeout), awaits
/// [`process`](Self::process) after each of those, writes every
/// [`poll_transmit`](Self::poll_transmit), and once
/// [`is_closed`](Self::is_closed) awaits [`finish`](Self::finish).
/// `process` and `finish` await the store: that await is the
/// backpressure towards a publisher when the store is slow. Their futures
/// need no runtime beyond what the store's futures need.
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Instant, SystemTime};
/// use livechannel::store::MemoryStore;
/// use livechannel::{Connection, ConnectionConfig, Service, ServiceConfig};
///
/// let service = Arc::new(Service::new(Arc::new(MemoryStore::new()), ServiceConfig::default()));
/// let mut conn = Connection::new(service, ConnectionConfig::default(), Instant::now());
/// // A publisher that sends no RTMP handshake but a byte of HTTP:
/// conn.handle_input(b"G", Instant::now());
/// block_on(conn.process(SystemTime::now()));
/// assert!(conn.is_closed());
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     use std::task::{Context, Poll, Waker};
/// #     let mut f = std::pin::pin!(f);
/// #     loop {
/// #         if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
/// #             return v;
/// #         }
/// #     }
/// # }
/// ```
pub struct Connection {
    service: Arc<Service>,
    session: ServerSession,
    peer: String,
    default_bucket: Option<String>,
    publish: Publish,
    /// The driver's last `now`.
    now: Instant,
    /// When to look next whether a quiet publish's channel was disabled.
    next_check: Instant,
    /// Why the session closed, once it did: why a publish still open ended.
    closed: Option<CloseReason>,
    events: VecDeque<ConnectionEvent>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.peer)
            .field("publisher", &self.publisher())
            .finish_non_exhaustive()
    }
}

/// The push URL as a `PublishRequested` event gives it.
struct PushUrl {
    tc_url: Option<String>,
    app: String,
    connect_query: Option<String>,
    stream_name: String,
    query: Option<String>,
}

impl Connection {
    /// A connection accepted at `now`.
    pub fn new(service: Arc<Service>, config: ConnectionConfig, now: Instant) -> Self {
        let mut session = config.session;
        if session.message_pool.is_none() {
            session.message_pool = Some(service.message_pool.clone());
        }
        Connection {
            service,
            session: ServerSession::new(session, now),
            peer: config.peer,
            default_bucket: config.default_bucket,
            publish: Publish::Idle,
            now,
            next_check: now,
            closed: None,
            events: VecDeque::new(),
        }
    }

    /// Room for at least `room` more bytes read from the socket: read into
    /// it, then call [`handle_received`](Self::handle_received).
    pub fn input_buffer(&mut self, room: usize) -> &mut BytesMut {
        self.session.input_buffer(room)
    }

    /// `n` bytes were read into [`input_buffer`](Self::input_buffer) at
    /// `now`. A protocol error closes the session (a
    /// [`ConnectionEvent::Closed`] says why).
    pub fn handle_received(&mut self, n: usize, now: Instant) {
        self.now = now;
        let _ = self.session.handle_received(n, now);
    }

    /// Bytes read from the socket at `now` (a copy; drivers that can read
    /// in place use [`input_buffer`](Self::input_buffer)).
    pub fn handle_input(&mut self, data: &[u8], now: Instant) {
        self.now = now;
        let _ = self.session.handle_input(data, now);
    }

    /// The publisher closed its side, or the socket failed.
    pub fn handle_eof(&mut self) {
        self.session.handle_eof();
    }

    /// The publisher has closed its side while bytes it sent are still
    /// queued unread before the end (a file pushed faster than it is
    /// stored): nothing more will come, so a republish of the channel now
    /// waits for this publish to end rather than being refused after
    /// [`BUSY_WAIT`](crate::BUSY_WAIT). What is queued is still read and
    /// stored; [`handle_eof`](Self::handle_eof) follows it. A driver looks
    /// while [`republish_waiting`](Self::republish_waiting) says so; one
    /// that cannot tell (the peer's FIN is seen only at the end of the
    /// stream) need not call it.
    pub fn handle_peer_closed(&mut self) {
        if let Publish::Live(p) | Publish::Ending(p, _) = &self.publish {
            p.publisher_left();
        }
    }

    /// Whether a new publish of this connection's channel has found it
    /// holding the channel: the time for a driver to look whether the
    /// publisher's FIN is already queued, and to call
    /// [`handle_peer_closed`](Self::handle_peer_closed) if it is.
    pub fn republish_waiting(&self) -> bool {
        match &self.publish {
            Publish::Live(p) | Publish::Ending(p, _) => p.republish_waiting(),
            Publish::Idle => false,
        }
    }

    /// [`poll_timeout`](Self::poll_timeout)'s time came (calling earlier
    /// is harmless): the session's own deadlines, and a look at whether a
    /// quiet publish's channel was disabled.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        self.session.handle_timeout(now);
        if now < self.next_check {
            return;
        }
        self.next_check = now + QUIET_CHECK;
        if let Publish::Live(p) = &self.publish {
            if let Some(stop) = p.stop_request() {
                self.end(stop);
            }
        }
    }

    /// The server is shutting down: end the publish (what was received is
    /// still stored) and close the session.
    pub fn shut_down(&mut self, reason: &str) {
        self.session.end_publish(reason);
    }

    /// The socket could not be written in time: close without a word.
    pub fn close(&mut self, reason: &str) {
        self.session.close(reason);
    }

    /// When to call [`handle_timeout`](Self::handle_timeout).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let session = self.session.poll_timeout();
        match &self.publish {
            Publish::Live(_) => Some(session.map_or(self.next_check, |t| t.min(self.next_check))),
            _ => session,
        }
    }

    /// Whether the driver may let the publisher's bytes gather in the
    /// socket before reading them ([`ReadHint`]): `Media` while a publish
    /// is live, with the [`slack`](Publisher::slack) until its open
    /// segment can be cut; `Eager` before it and once it ends.
    pub fn read_hint(&self) -> ReadHint {
        match (&self.publish, self.session.read_hint()) {
            (Publish::Live(p), ReadHint::Media { message_rest, .. }) => ReadHint::Media {
                message_rest,
                slack: p.slack(),
            },
            _ => ReadHint::Eager,
        }
    }

    /// Bytes to write to the socket, in order.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.session.poll_transmit()
    }

    /// What happened, for the driver to log.
    pub fn poll_event(&mut self) -> Option<ConnectionEvent> {
        self.events.pop_front()
    }

    /// The session is over: write what is left to send, close the socket
    /// and await [`finish`](Self::finish).
    pub fn is_closed(&self) -> bool {
        self.session.is_closed()
    }

    /// The publish in progress, if any.
    pub fn publisher(&self) -> Option<&Publisher> {
        match &self.publish {
            Publish::Live(p) | Publish::Ending(p, _) => Some(p),
            Publish::Idle => None,
        }
    }

    /// Act on what the session received: answer connect and publish,
    /// and store the media, all received at `wall` (one clock read per
    /// socket read). Awaits the store.
    pub async fn process(&mut self, wall: SystemTime) {
        while let Some(event) = self.session.poll_event() {
            match event {
                ServerEvent::ConnectRequested { request, .. } => {
                    let _ = self.session.accept_connect(request);
                }
                ServerEvent::PublishRequested {
                    request,
                    app,
                    connect,
                    stream_name,
                    query,
                    ..
                } => {
                    let url = PushUrl {
                        tc_url: connect.tc_url,
                        app,
                        connect_query: connect.query,
                        stream_name,
                        query,
                    };
                    self.publish_requested(request, url, wall).await;
                }
                ServerEvent::Audio {
                    timestamp, data, ..
                } => self.media(Track::Audio, timestamp, data, wall).await,
                ServerEvent::Video {
                    timestamp, data, ..
                } => self.media(Track::Video, timestamp, data, wall).await,
                ServerEvent::Unpublished { .. } => {
                    self.finish_because(wall, EndReason::Unpublished).await
                }
                ServerEvent::Closed { reason } => {
                    self.closed = Some(reason.clone());
                    self.events.push_back(ConnectionEvent::Closed { reason })
                }
                _ => {}
            }
        }
    }

    /// End the publish, if one is open: store its last segment, its ended
    /// playlist and its History record, and free the channel. Call once
    /// the session [`is_closed`](Self::is_closed).
    pub async fn finish(&mut self, wall: SystemTime) {
        let reason = match &self.closed {
            Some(closed) => EndReason::Closed(closed.clone()),
            None => EndReason::Closed(CloseReason::PeerClosed),
        };
        self.finish_because(wall, reason).await
    }

    async fn finish_because(&mut self, wall: SystemTime, reason: EndReason) {
        let (publisher, reason) = match std::mem::replace(&mut self.publish, Publish::Idle) {
            Publish::Live(p) => (p, reason),
            Publish::Ending(p, error) => (p, EndReason::Ended(error)),
            Publish::Idle => return,
        };
        let (bucket, channel) = (
            publisher.bucket().to_owned(),
            publisher.channel().to_owned(),
        );
        let result = publisher.finish_because(wall, Some(reason.clone())).await;
        self.events.push_back(ConnectionEvent::Finished {
            bucket,
            channel,
            reason,
            result,
        });
    }

    async fn publish_requested(&mut self, request: RequestId, url: PushUrl, wall: SystemTime) {
        if !matches!(self.publish, Publish::Idle) {
            // The session refuses a second publish itself; this is its twin.
            let _ = self.session.reject_publish(
                request,
                livechannel_rtmp::PublishRejection::BadName,
                "already publishing on this connection",
            );
            return;
        }
        match self.admit(url, wall).await {
            Ok(publisher) => {
                self.events.push_back(ConnectionEvent::Publishing {
                    bucket: publisher.bucket().to_owned(),
                    channel: publisher.channel().to_owned(),
                });
                self.publish = Publish::Live(publisher);
                self.next_check = self.now + QUIET_CHECK;
                let _ = self.session.accept_publish(request);
            }
            Err(refusal) => {
                let description = refusal.to_string();
                let _ = self
                    .session
                    .reject_publish(request, refusal.rejection(), &description);
                self.events.push_back(ConnectionEvent::Refused { refusal });
            }
        }
    }

    /// Where the push goes, and whether it may.
    async fn admit(&self, url: PushUrl, wall: SystemTime) -> Result<Publisher, Refusal> {
        let query = join_queries(
            url.connect_query
                .iter()
                .chain(&url.query)
                .map(String::as_str),
        );
        let address = resolve_publish(
            url.tc_url.as_deref(),
            &url.app,
            &url.stream_name,
            Some(query.as_str()).filter(|q| !q.is_empty()),
            self.service.config().domain.as_deref(),
            self.default_bucket.as_deref(),
        )?;
        let request = address.into_request(self.peer.clone());
        Ok(self.service.publish(request, wall).await?)
    }

    async fn media(&mut self, track: Track, timestamp: u32, data: Bytes, wall: SystemTime) {
        let Publish::Live(publisher) = &mut self.publish else {
            return;
        };
        let pushed = match track {
            Track::Audio => publisher.audio(timestamp, data, wall).await,
            Track::Video => publisher.video(timestamp, data, wall).await,
        };
        while let Some(warning) = publisher.poll_warning() {
            self.events.push_back(ConnectionEvent::Warning {
                bucket: publisher.bucket().to_owned(),
                channel: publisher.channel().to_owned(),
                warning,
            });
        }
        if let Err(error) = pushed {
            self.end(error);
        }
    }

    /// End a live publish from this side: a disabled channel is a normal
    /// end (`NetStream.Unpublish.Success`, as OSS), and so is a silent one
    /// that a new publish takes over; anything else an error
    /// the publisher is told (`NetStream.Failed` with the reason).
    fn end(&mut self, error: IngestError) {
        let publisher = match std::mem::replace(&mut self.publish, Publish::Idle) {
            Publish::Live(p) => p,
            other => {
                self.publish = other;
                return;
            }
        };
        match error {
            IngestError::Disabled | IngestError::Superseded { .. } => {
                self.session.end_publish(&error.to_string())
            }
            _ => self.session.fail_publish(&error.to_string()),
        }
        self.events.push_back(ConnectionEvent::Ending {
            bucket: publisher.bucket().to_owned(),
            channel: publisher.channel().to_owned(),
            error: error.clone(),
        });
        self.publish = Publish::Ending(publisher, error);
    }
}

#[derive(Debug, Clone, Copy)]
enum Track {
    Audio,
    Video,
}
