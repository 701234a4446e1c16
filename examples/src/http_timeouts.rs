//! Bounds on slow and idle HTTP clients: how long a request head, a
//! keep-alive pause and a stalled body may hold a connection.
//!
//! | bound | flag | default | counts from | then |
//! |---|---|---|---|---|
//! | request head | `--http-header-timeout-secs` | 10 s | accept (first request), or the first byte of a later request | connection closed |
//! | keep-alive idle | `--http-idle-timeout-secs` | 60 s | the response's last byte | connection closed |
//! | request body | `--http-body-timeout-secs` | 30 s | the last body byte (or the head) | 400 `RequestTimeout`, connection closed |
//! | response write | same as the body | 30 s | the last byte the client took | connection closed |
//!
//! [`Deadlines`] is the rule, with time as a parameter; [`TimedIo`] wraps
//! the socket hyper reads and writes, tells [`Deadlines`] what moved, and
//! fails the read or write that finds its deadline passed (hyper then
//! closes the connection); [`read_body`] bounds the body in the request
//! handler, which also tells [`Deadlines`] when a request is with it.
//!
//! hyper's own `header_read_timeout` is not used: it starts when hyper
//! waits for a head, which on a keep-alive connection is as soon as the
//! previous response is written, so idle connections would get the head's
//! 10 s rather than their own bound.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// Default `--http-header-timeout-secs`. A head is one packet or a few: a
/// client that needs more than 10 s for it is gone or hostile.
pub const HEADER_SECS: u64 = 10;
/// Default `--http-idle-timeout-secs`. Players come back every segment
/// duration (2 to 10 s for usual FragDurations) and reuse the connection;
/// one idle for a minute costs a reconnect only, as with nginx's 75 s.
pub const IDLE_SECS: u64 = 60;
/// Default `--http-body-timeout-secs`. Longer than TCP's retransmission
/// backoff through a few lost packets (1 + 2 + 4 + 8 s), shorter than a
/// client's patience.
pub const BODY_SECS: u64 = 30;

/// The HTTP bounds, from the command line.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct HttpTimeouts {
    /// Seconds a client has to send a complete request head: from the
    /// connection's accept for its first request, from the first byte for
    /// the next ones. Closes slowloris connections that trickle a head.
    #[arg(long = "http-header-timeout-secs", value_name = "SECS", default_value_t = HEADER_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_secs: u64,
    /// Seconds a keep-alive connection may wait for its next request.
    #[arg(long = "http-idle-timeout-secs", value_name = "SECS", default_value_t = IDLE_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_secs: u64,
    /// Seconds a request body may go without a byte, and a response
    /// without the client taking a byte, before the request is abandoned.
    #[arg(long = "http-body-timeout-secs", value_name = "SECS", default_value_t = BODY_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_secs: u64,
}

impl Default for HttpTimeouts {
    fn default() -> Self {
        HttpTimeouts {
            header_secs: HEADER_SECS,
            idle_secs: IDLE_SECS,
            body_secs: BODY_SECS,
        }
    }
}

impl HttpTimeouts {
    /// Longest time for a request head.
    pub fn header(&self) -> Duration {
        Duration::from_secs(self.header_secs)
    }
    fn idle(&self) -> Duration {
        Duration::from_secs(self.idle_secs)
    }
    /// Longest pause between body bytes, either way.
    pub fn body(&self) -> Duration {
        Duration::from_secs(self.body_secs)
    }
}

/// Which bound a connection ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The request head did not arrive complete in time.
    Header,
    /// No request came on a kept-alive connection.
    Idle,
    /// The client stopped taking the response.
    Write,
    /// A request body stopped arriving (kept by [`read_body`], not by
    /// the [`Deadlines`]).
    Body,
}

impl Bound {
    /// The bound's name in metrics.
    pub fn name(self) -> &'static str {
        match self {
            Bound::Header => "header",
            Bound::Idle => "idle",
            Bound::Write => "write",
            Bound::Body => "body",
        }
    }
}

/// Where a connection is between requests, and so which bound applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A request head is arriving; its bound counts from `since`.
    Head { since: Instant },
    /// A request is with the handler, which bounds its body itself.
    Handling,
    /// The handler has answered: the response is being written, or was,
    /// and no byte of the next request has come. `since` is the last write.
    Answered { since: Instant },
}

/// The connection's deadline, given what moved when (sans-IO: the caller
/// passes the time).
#[derive(Debug, Clone)]
pub struct Deadlines {
    timeouts: HttpTimeouts,
    phase: Phase,
    /// The last write to the client did not complete (its socket buffer is full).
    write_blocked: bool,
    /// The bound the connection ran into, once it has.
    expired: Option<Bound>,
}

impl Deadlines {
    /// A connection accepted at `accepted`: its first head counts from there.
    pub fn new(timeouts: HttpTimeouts, accepted: Instant) -> Self {
        Deadlines {
            timeouts,
            phase: Phase::Head { since: accepted },
            write_blocked: false,
            expired: None,
        }
    }

    /// The bounds followed.
    pub fn timeouts(&self) -> HttpTimeouts {
        self.timeouts
    }

    /// `n` bytes came from the client. The first byte after an answer
    /// starts the next head's bound; bytes within a head do not extend it.
    pub fn received(&mut self, n: usize, now: Instant) {
        if n > 0 && matches!(self.phase, Phase::Answered { .. }) {
            self.phase = Phase::Head { since: now };
        }
    }

    /// A write to the client completed (`true`, some bytes taken) or found
    /// the socket full (`false`).
    pub fn wrote(&mut self, completed: bool, now: Instant) {
        self.write_blocked = !completed;
        if let (true, Phase::Answered { since }) = (completed, &mut self.phase) {
            *since = now;
        }
    }

    /// The head is complete and the handler has the request.
    pub fn request(&mut self) {
        self.phase = Phase::Handling;
    }

    /// The handler returned its response.
    pub fn answered(&mut self, now: Instant) {
        self.phase = Phase::Answered { since: now };
        self.write_blocked = false;
    }

    /// The bound the connection ran into: set by [`TimedIo`] when it fails
    /// a read or write for it.
    pub fn expired(&self) -> Option<Bound> {
        self.expired
    }

    /// When the connection must close and why; None while the handler has
    /// a request. Worth asking again after every call above.
    pub fn deadline(&self) -> Option<(Instant, Bound)> {
        match self.phase {
            Phase::Head { since } => Some((since + self.timeouts.header(), Bound::Header)),
            Phase::Handling => None,
            Phase::Answered { since } if self.write_blocked => {
                Some((since + self.timeouts.body(), Bound::Write))
            }
            Phase::Answered { since } => Some((since + self.timeouts.idle(), Bound::Idle)),
        }
    }
}

/// The connection's [`Deadlines`], shared by its socket and its handler.
pub type SharedDeadlines = Arc<Mutex<Deadlines>>;

/// The shared deadlines, to tell them what happened.
pub fn lock(deadlines: &SharedDeadlines) -> std::sync::MutexGuard<'_, Deadlines> {
    // Nothing panics while holding it; a poisoned state is still consistent.
    deadlines.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A socket whose reads and writes fail with `TimedOut` once the
/// connection's deadline has passed. The timer is polled with each read
/// and write that waits, so hyper, waiting on one, is woken at the
/// deadline.
#[derive(Debug)]
pub struct TimedIo<T> {
    inner: T,
    deadlines: SharedDeadlines,
    timer: Pin<Box<Sleep>>,
}

impl<T> TimedIo<T> {
    /// Wrap `inner`, following `deadlines`.
    pub fn new(inner: T, deadlines: SharedDeadlines) -> Self {
        let first = lock(&deadlines)
            .deadline()
            .map_or_else(Instant::now, |(at, _)| at);
        TimedIo {
            inner,
            deadlines,
            timer: Box::pin(tokio::time::sleep_until(first.into())),
        }
    }

    /// The error for a passed deadline, or None (with the timer set to wake
    /// this task at the deadline).
    fn expired(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        let (at, bound) = lock(&self.deadlines).deadline()?;
        // The lock is not held across the poll: the handler may want it.
        let at = tokio::time::Instant::from_std(at);
        if self.timer.deadline() != at {
            self.timer.as_mut().reset(at);
        }
        if self.timer.as_mut().poll(cx).is_pending() {
            return None;
        }
        lock(&self.deadlines).expired = Some(bound);
        let what = match bound {
            Bound::Header => "no complete request head in time",
            Bound::Idle => "idle keep-alive connection",
            Bound::Write => "the client stopped reading the response",
            Bound::Body => "the request body stopped arriving",
        };
        Some(io::Error::new(io::ErrorKind::TimedOut, what))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for TimedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(e) = this.expired(cx) {
            return Poll::Ready(Err(e));
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut this.inner).poll_read(cx, buf);
        if read.is_ready() {
            let n = buf.filled().len() - before;
            lock(&this.deadlines).received(n, Instant::now());
        }
        read
    }
}

impl<T: AsyncWrite + Unpin> TimedIo<T> {
    /// `write` on the inner socket unless the deadline has passed, telling
    /// the deadlines whether it went through.
    fn timed_write(
        &mut self,
        cx: &mut Context<'_>,
        write: impl FnOnce(Pin<&mut T>, &mut Context<'_>) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.expired(cx) {
            return Poll::Ready(Err(e));
        }
        let written = write(Pin::new(&mut self.inner), cx);
        lock(&self.deadlines).wrote(written.is_ready(), Instant::now());
        written
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TimedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .timed_write(cx, |inner, cx| inner.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .timed_write(cx, |inner, cx| inner.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Why a request body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Longer than the limit (by its `Content-Length`, or as it came).
    TooLarge,
    /// No byte for the body timeout.
    Stalled,
    /// The connection failed or the body was malformed.
    Broken,
}

/// The whole request body, at most `max` bytes, each part arriving within
/// `pause` of the one before (or of the head).
pub async fn read_body(
    mut body: Incoming,
    max: usize,
    pause: Duration,
) -> Result<Bytes, BodyError> {
    use hyper::body::Body;
    if body.size_hint().lower() > max as u64 {
        return Err(BodyError::TooLarge);
    }
    let mut data = BytesMut::new();
    loop {
        let frame = match tokio::time::timeout(pause, body.frame()).await {
            Err(_) => return Err(BodyError::Stalled),
            Ok(None) => return Ok(data.freeze()),
            Ok(Some(Err(_))) => return Err(BodyError::Broken),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(chunk) = frame.into_data() {
            if data.len() + chunk.len() > max {
                return Err(BodyError::TooLarge);
            }
            if data.is_empty() && body.is_end_stream() {
                // One chunk: no copy.
                return Ok(chunk);
            }
            data.extend_from_slice(&chunk);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: HttpTimeouts = HttpTimeouts {
        header_secs: 10,
        idle_secs: 60,
        body_secs: 30,
    };

    fn at(start: Instant, secs: u64) -> Instant {
        start + Duration::from_secs(secs)
    }

    #[test]
    fn the_first_head_counts_from_accept_and_its_bytes_do_not_extend_it() {
        let t0 = Instant::now();
        let mut d = Deadlines::new(T, t0);
        d.received(1, at(t0, 3));
        d.received(1, at(t0, 9));
        assert_eq!(d.deadline(), Some((at(t0, 10), Bound::Header)));
    }

    #[test]
    fn a_request_with_the_handler_has_no_deadline_here() {
        let t0 = Instant::now();
        let mut d = Deadlines::new(T, t0);
        d.request();
        d.received(100, at(t0, 50));
        assert_eq!(d.deadline(), None);
    }

    #[test]
    fn after_an_answer_idle_until_a_byte_then_the_next_head_bound() {
        let t0 = Instant::now();
        let mut d = Deadlines::new(T, t0);
        d.request();
        d.answered(at(t0, 1));
        d.wrote(true, at(t0, 2));
        assert_eq!(d.deadline(), Some((at(t0, 62), Bound::Idle)));
        d.received(0, at(t0, 30));
        assert_eq!(d.deadline(), Some((at(t0, 62), Bound::Idle)));
        d.received(5, at(t0, 40));
        assert_eq!(d.deadline(), Some((at(t0, 50), Bound::Header)));
    }

    #[test]
    fn a_response_the_client_does_not_take_has_the_body_bound() {
        let t0 = Instant::now();
        let mut d = Deadlines::new(T, t0);
        d.request();
        d.answered(t0);
        d.wrote(true, at(t0, 1));
        d.wrote(false, at(t0, 1));
        assert_eq!(d.deadline(), Some((at(t0, 31), Bound::Write)));
        d.wrote(true, at(t0, 20));
        assert_eq!(d.deadline(), Some((at(t0, 80), Bound::Idle)));
    }
}
