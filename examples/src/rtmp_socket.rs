//! The socket side of an RTMP connection, shared by `livechannel-server`,
//! `rtmp-dump` and `copy-floor`: read in place into the connection's buffer, act on
//! it, write what it has to send (bounded in time), wake it at its
//! deadline, and tell it when the server shuts down. What a connection
//! does with what it receives is its [`Driven`] implementation's business:
//! [`livechannel::Connection`] for the server, a file writer over a bare
//! session ([`SessionDriven`]) for `rtmp-dump` and `copy-floor`.

use std::future::Future;
use std::io;
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use livechannel::ReadHint;
use livechannel_rtmp::{PublishRejection, RequestId, ServerSession};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

use crate::read_gather::{Gather, GatherSocket};

/// A sans-IO RTMP connection that [`drive`] can run over a socket.
pub trait Driven {
    /// Room for at least `room` more bytes: the socket is read into it.
    fn input_buffer(&mut self, room: usize) -> &mut BytesMut;
    /// `n` bytes were read into the buffer at `now`.
    fn handle_received(&mut self, n: usize, now: Instant);
    /// The peer closed its side, or the socket failed.
    fn handle_eof(&mut self);
    /// The peer's FIN has arrived behind bytes not read yet (see
    /// [`GatherSocket::peer_closed`]); [`handle_eof`](Self::handle_eof)
    /// comes once they are read. By default nothing.
    fn handle_peer_closed(&mut self) {}
    /// Whether to look for the peer's FIN behind unread bytes: someone
    /// waits for this connection's end. By default never.
    fn peer_close_wanted(&self) -> bool {
        false
    }
    /// The deadline from [`poll_timeout`](Self::poll_timeout) came (or a little earlier).
    fn handle_timeout(&mut self, now: Instant);
    /// The server is shutting down: end the publish and close.
    fn shut_down(&mut self, reason: &str);
    /// A write did not complete in time: close without a word.
    fn close(&mut self, reason: &str);
    /// Bytes to write, in order.
    fn poll_transmit(&mut self) -> Option<Bytes>;
    /// When to call [`handle_timeout`](Self::handle_timeout).
    fn poll_timeout(&self) -> Option<Instant>;
    /// Whether the session is over.
    fn is_closed(&self) -> bool;
    /// Whether bytes may gather in the socket before they are read (see
    /// [`crate::read_gather`]); by default they may not.
    fn read_hint(&self) -> ReadHint {
        ReadHint::Eager
    }
    /// Act on what was received (all of one read at `wall`).
    fn process(&mut self, wall: SystemTime) -> impl Future<Output = io::Result<()>> + Send;
}

/// A [`Driven`] connection that is a bare [`ServerSession`] and what is
/// done with its events: everything but [`on_events`](Self::on_events)
/// (and, if it knows better, [`read_hint`](Self::read_hint)) goes to the
/// session. `rtmp-dump` and `copy-floor` are such.
pub trait SessionDriven {
    /// The session.
    fn session(&self) -> &ServerSession;
    /// The session, to change.
    fn session_mut(&mut self) -> &mut ServerSession;
    /// Act on the session's events ([`ServerSession::poll_event`]).
    fn on_events(&mut self, wall: SystemTime) -> impl Future<Output = io::Result<()>> + Send;
    /// See [`Driven::read_hint`]; by default the session's.
    fn read_hint(&self) -> ReadHint {
        self.session().read_hint()
    }
}

/// Answer a publish request as `rtmp-dump` and `copy-floor` do: accepted
/// when `opened` (what the name was to be recorded into) is Ok, else
/// refused as a bad name, with the error as the reason.
pub fn answer_publish(
    session: &mut ServerSession,
    request: RequestId,
    opened: Result<(), impl std::fmt::Display>,
) {
    let _ = match opened {
        Ok(()) => session.accept_publish(request),
        Err(e) => session.reject_publish(request, PublishRejection::BadName, &e.to_string()),
    };
}

impl<T: SessionDriven> Driven for T {
    fn input_buffer(&mut self, room: usize) -> &mut BytesMut {
        self.session_mut().input_buffer(room)
    }
    fn handle_received(&mut self, n: usize, now: Instant) {
        // A protocol error also arrives as a Closed event.
        let _ = self.session_mut().handle_received(n, now);
    }
    fn handle_eof(&mut self) {
        self.session_mut().handle_eof()
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.session_mut().handle_timeout(now)
    }
    fn shut_down(&mut self, reason: &str) {
        self.session_mut().end_publish(reason)
    }
    fn close(&mut self, reason: &str) {
        self.session_mut().close(reason)
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.session_mut().poll_transmit()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.session().poll_timeout()
    }
    fn is_closed(&self) -> bool {
        self.session().is_closed()
    }
    fn read_hint(&self) -> ReadHint {
        SessionDriven::read_hint(self)
    }
    fn process(&mut self, wall: SystemTime) -> impl Future<Output = io::Result<()>> + Send {
        self.on_events(wall)
    }
}

/// How [`drive`] treats the socket.
#[derive(Debug)]
pub struct DriveOptions {
    /// A write to the peer that does not complete in this time closes the
    /// connection: a publisher that stops reading (acks, pings) must not
    /// hold the task forever.
    pub write_timeout: Duration,
    /// Turns true when the server shuts down.
    pub shutdown: Option<watch::Receiver<bool>>,
}

/// The most read from the socket at once: ample for a few Mb/s.
const READ_ROOM: usize = 16 * 1024;

/// Run `conn` over `socket` until its session is over. `on_read` sees the
/// size of every read (for metrics). Returns the first write error; read
/// errors end the session like an end of stream. A session over is closed
/// gracefully: the write side shut, then up to half a second for the
/// peer to close (so that it reads why the session ended).
///
/// `socket` is a TCP stream, or a TLS stream over one (RTMPS) whose
/// handshake is complete: either way the bytes read land in the
/// connection's own buffer. Set `TCP_NODELAY` on the TCP socket first
/// (small writes, acks and pings, must not wait for Nagle). Over TCP the
/// socket's receive low-water mark follows the connection's
/// [`read_hint`](Driven::read_hint) ([`crate::read_gather`]).
pub async fn drive<C: Driven, S: AsyncRead + AsyncWrite + GatherSocket + Unpin>(
    conn: &mut C,
    socket: &mut S,
    options: DriveOptions,
    mut on_read: impl FnMut(usize),
) -> io::Result<()> {
    let DriveOptions {
        write_timeout,
        shutdown,
    } = options;
    // One timer and one shutdown wait for the whole connection: making new
    // ones on every read cost a trip through tokio's timer wheel per read.
    // The timer is moved only to an earlier deadline; waking early is
    // harmless (the connection checks its own deadlines).
    let timer = tokio::time::sleep(IDLE_WAKE);
    tokio::pin!(timer);
    let mut shutdown = shutdown;
    let mut shutting_down = shutdown.is_none();
    let shutdown_signal = async move {
        match shutdown.as_mut() {
            Some(rx) => {
                let _ = rx.changed().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::pin!(shutdown_signal);
    // The time of the last read or wake: one clock read per event. The
    // timer's deadline counts from it; it may lag a little (a store write
    // in between), which only wakes the timer early.
    let mut now = Instant::now();
    let mut write_timed_out = false;
    let mut gather = Gather::new(now);
    // Bytes of the last read, for the gathering that follows its processing.
    let mut last_read = None;
    let mut peer = PeerWatch::new(now);
    loop {
        while let Some(bytes) = conn.poll_transmit() {
            match tokio::time::timeout(write_timeout, socket.write_all(&bytes)).await {
                Ok(written) => written?,
                Err(_) => {
                    conn.close("write timeout");
                    write_timed_out = true;
                    break;
                }
            }
        }
        if conn.is_closed() {
            // A peer that does not read gets nothing more.
            if !write_timed_out {
                close_gracefully(socket).await;
            }
            return Ok(());
        }
        if let Some(n) = last_read.take() {
            gather.after_read(socket, n, conn.read_hint(), now);
        }
        let wanted = conn.poll_timeout().unwrap_or(now + IDLE_WAKE);
        let wanted = gather.deadline().map_or(wanted, |d| d.min(wanted));
        if timer.is_elapsed() || wanted < timer.deadline().into_std() {
            timer.as_mut().reset(tokio::time::Instant::from_std(wanted));
        }
        tokio::select! {
            // Read straight into the connection's buffer (no copy through
            // ours). `read_buf`, not `readable` + `try_read_buf`: after a
            // short read tokio knows the socket is drained, where
            // `try_read_buf` needs a second recv that fails with EAGAIN (a
            // third of all recv calls under load).
            read = socket.read_buf(conn.input_buffer(READ_ROOM)) => match read {
                // The buffer has room, so 0 is the end of the stream.
                Ok(0) | Err(_) => conn.handle_eof(),
                Ok(n) => {
                    now = Instant::now();
                    on_read(n);
                    conn.handle_received(n, now);
                    last_read = Some(n);
                    if conn.peer_close_wanted() && peer.closed_now(socket, now) {
                        conn.handle_peer_closed();
                    }
                }
            },
            _ = &mut timer => {
                now = Instant::now();
                gather.expire(socket, now);
                conn.handle_timeout(now);
            }
            _ = &mut shutdown_signal, if !shutting_down => {
                shutting_down = true;
                conn.shut_down("server shutting down");
            }
        }
        // One wall-clock time for all the messages of one read.
        conn.process(SystemTime::now()).await?;
    }
}

/// Whether the peer has closed its side behind bytes not read yet: a
/// publisher that pushed a file faster than it is stored has its FIN
/// queued behind megabytes, and a republish of its channel should wait
/// for that publish rather than be refused as busy. Looked at only while
/// the connection says someone waits for its end
/// ([`Driven::peer_close_wanted`]), after reads, at most once a second, and
/// no more once seen.
#[derive(Debug)]
struct PeerWatch {
    next: Option<Instant>,
}

impl PeerWatch {
    fn new(now: Instant) -> PeerWatch {
        PeerWatch { next: Some(now) }
    }

    /// True the first time a look at `now` finds the peer's FIN.
    fn closed_now(&mut self, socket: &impl GatherSocket, now: Instant) -> bool {
        match self.next {
            Some(next) if now >= next => {
                if socket.peer_closed() {
                    self.next = None;
                    return true;
                }
                self.next = Some(now + PEER_LOOK);
                false
            }
            _ => false,
        }
    }
}

/// How often [`PeerWatch`] looks, at most.
const PEER_LOOK: Duration = Duration::from_secs(1);

/// How long to sleep when the connection names no deadline.
const IDLE_WAKE: Duration = Duration::from_secs(3600);

/// The longest a closed session waits for its peer to close.
const LINGER: Duration = Duration::from_millis(500);

/// Ends the connection so that the peer reads its last messages (the
/// onStatus saying why a publish ended): shut the write side (FIN; over
/// TLS close_notify, after flushing), then read and discard until the
/// peer closes, for at most [`LINGER`].
///
/// Why: dropping a socket with unread bytes in it (a publisher still
/// sending media) makes the kernel answer with RST, and FFmpeg, which
/// looks for server messages only after each write, then fails that
/// write with "Connection reset by peer" and never prints the status:
/// with `--h264-only`, 24 of 40 FFmpeg 9 pushes of HEVC in real time
/// ended so instead of "Server error: H265 video is refused ...".
async fn close_gracefully<S: AsyncRead + AsyncWrite + Unpin>(socket: &mut S) {
    let _ = tokio::time::timeout(LINGER, async {
        if socket.shutdown().await.is_err() {
            return;
        }
        let mut discard = [0u8; 4096];
        while matches!(socket.read(&mut discard).await, Ok(n) if n > 0) {}
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A socket whose peer closes when told.
    struct Peer(std::cell::Cell<bool>, std::cell::Cell<u32>);

    impl GatherSocket for Peer {
        fn set_read_mark(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn peer_closed(&self) -> bool {
            self.1.set(self.1.get() + 1);
            self.0.get()
        }
    }

    #[test]
    fn the_peer_is_looked_at_once_a_second_and_its_close_reported_once() {
        let t0 = Instant::now();
        let peer = Peer(Default::default(), Default::default());
        let mut watch = PeerWatch::new(t0);
        assert!(!watch.closed_now(&peer, t0));
        assert!(!watch.closed_now(&peer, t0 + Duration::from_millis(500)));
        assert_eq!(peer.1.get(), 1, "looked at again within the second");
        peer.0.set(true);
        assert!(!watch.closed_now(&peer, t0 + Duration::from_millis(900)));
        assert!(watch.closed_now(&peer, t0 + PEER_LOOK));
        assert!(
            !watch.closed_now(&peer, t0 + 5 * PEER_LOOK),
            "reported once"
        );
        assert_eq!(peer.1.get(), 2);
    }
}
