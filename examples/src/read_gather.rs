//! Letting a publisher's bytes gather in the socket before reading them:
//! the driver's side of [`ReadHint`].
//!
//! A publisher at 3 Mb/s sends about 70 messages a second (30 video frames,
//! 43 AAC frames of a few hundred bytes), each as its own TCP segment.
//! Reading each as it comes costs a wake, a `recv` and a TCP ACK, which on
//! loopback the kernel also processes on the reader's core: at 500 streams
//! `recv` alone was 30 % of the server's CPU. While a publish is live
//! nothing waits for our answer, so [`Gather`] raises the socket's receive
//! low-water mark (`SO_RCVLOWAT`): the kernel wakes the reader only once
//! that many bytes are queued, and audio frames are read together with the
//! next video frame.
//!
//! What keeps latency where it was:
//! - A keyframe (or a command) under way is read the moment it is
//!   complete: the mark is the rest of it ([`ReadHint::Media`]'s
//!   `message_rest`), so the keyframe that closes a segment is never held
//!   back. Audio and inter frames only join the open segment: they may
//!   wait.
//! - Between such messages, the mark is what the stream sends in
//!   [`WINDOW`] at its measured rate (at most [`MAX_MARK`]): small
//!   complete messages (audio, B-frames) wait at most about that long.
//!   [`WINDOW`]'s bytes must stay under a keyframe's size (a 720p 3 Mb/s
//!   keyframe is about 31-40 KB, 15 KB come in 40 ms), or a keyframe that
//!   fits under the mark waits for the frames after it: with 120 ms
//!   (45 KB) the p99 from keyframe to playable segment went from 6 to
//!   72 ms at 200 streams (one run of `benches/latency-under-load.sh 200`).
//! - While no frame can close a segment yet (`slack`: the stream time
//!   until the open segment reaches its fragment duration), the mark is
//!   what the stream sends in up to [`QUIET_WINDOW`] (at most
//!   [`QUIET_MAX_MARK`]), keyframes under way included, and the bytes
//!   are read [`SLACK_MARGIN`] before the segment could be cut. With 2 s
//!   segments that is most of each segment's time.
//! - A peer that sends less than the mark and then waits (a command mid
//!   publish, a stalled encoder) is read after [`HOLD`]: the mark drops to
//!   one byte, and the kernel wakes the reader at once if anything is
//!   queued (Linux checks the new mark when it is set).
//! - Before a publish ([`ReadHint::Eager`]: handshake, connect, publish)
//!   the mark is one byte, as without this.
//!
//! Only plain TCP gathers. Under TLS the mark would count ciphertext, and
//! rustls may already hold the first part of the record that ends a
//! message: a mark of the message's rest could wait for bytes that never
//! need to come (until [`HOLD`]) and hold back a segment's keyframe.

use std::io;
use std::time::{Duration, Instant};

use livechannel::ReadHint;
use tokio::net::TcpStream;

/// How long a stream's bytes may gather between messages, at its rate.
pub const WINDOW: Duration = Duration::from_millis(40);
/// The highest mark: a few TCP segments, far below any receive buffer.
pub const MAX_MARK: usize = 32 * 1024;
/// The longest bytes may wait below the mark before they are read anyway.
pub const HOLD: Duration = Duration::from_millis(250);
/// How long a stream's bytes may gather while its segment cannot be cut
/// yet ([`ReadHint::Media`]'s `slack`), at its rate.
pub const QUIET_WINDOW: Duration = Duration::from_millis(150);
/// The highest mark then.
pub const QUIET_MAX_MARK: usize = 64 * 1024;
/// What is kept of the slack for frames that come sooner than their stream
/// time says (an encoder's bursts, a network's jitter).
pub const SLACK_MARGIN: Duration = Duration::from_millis(100);
/// How often the byte rate is taken.
const RATE_PERIOD: Duration = Duration::from_secs(1);

/// A socket whose receive low-water mark [`Gather`] may set, and whose
/// receive side the driver may look at.
pub trait GatherSocket {
    /// Sets `SO_RCVLOWAT` to `mark` bytes; `Unsupported` where gathering
    /// does not apply (TLS, other systems than Linux).
    fn set_read_mark(&self, mark: usize) -> io::Result<()>;

    /// Whether the peer's FIN has arrived, though bytes before it may
    /// still be queued unread (Linux's `POLLRDHUP`). False where it cannot
    /// tell: the end is then seen when the reads reach it.
    fn peer_closed(&self) -> bool {
        false
    }
}

impl GatherSocket for TcpStream {
    fn set_read_mark(&self, mark: usize) -> io::Result<()> {
        set_rcvlowat(self, mark)
    }

    fn peer_closed(&self) -> bool {
        rdhup(self)
    }
}

impl<S> GatherSocket for tokio_rustls::server::TlsStream<S> {
    fn set_read_mark(&self, _: usize) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// The low-water mark of one connection's socket: call
/// [`after_read`](Self::after_read) after each read has been processed,
/// and [`expire`](Self::expire) when [`deadline`](Self::deadline) passes.
#[derive(Debug)]
pub struct Gather {
    /// The mark set on the socket (1: the kernel's default).
    mark: usize,
    /// Off after a failed `setsockopt` (not Linux, not a socket).
    enabled: bool,
    last_read: Instant,
    /// How long after `last_read` the mark is dropped.
    hold: Duration,
    period_start: Instant,
    period_bytes: usize,
    /// Bytes per second over the last whole period (over the first one so
    /// far, from its first quarter on); 0 before that.
    rate: usize,
}

impl Gather {
    /// A connection whose first read is at `now`.
    pub fn new(now: Instant) -> Gather {
        Gather {
            mark: 1,
            enabled: true,
            last_read: now,
            hold: HOLD,
            period_start: now,
            period_bytes: 0,
            rate: 0,
        }
    }

    /// `n` bytes were read at `now` and processed; `hint` is what the
    /// connection says now. Sets the mark it calls for.
    pub fn after_read(
        &mut self,
        socket: &impl GatherSocket,
        n: usize,
        hint: ReadHint,
        now: Instant,
    ) {
        self.last_read = now;
        self.period_bytes = self.period_bytes.saturating_add(n);
        let elapsed = now.saturating_duration_since(self.period_start);
        // The first period gives a provisional rate from its first quarter
        // on, so a new publish gathers after 250 ms, not after a second.
        let provisional = self.rate == 0 && elapsed >= RATE_PERIOD / 4;
        if elapsed >= RATE_PERIOD || provisional {
            let per_sec = self.period_bytes as f64 / elapsed.as_secs_f64();
            self.rate = per_sec as usize;
        }
        if elapsed >= RATE_PERIOD {
            self.period_start = now;
            self.period_bytes = 0;
        }
        let at_rate = |window: Duration| (self.rate as f64 * window.as_secs_f64()) as usize;
        let (mark, hold) = match hint {
            ReadHint::Eager => (1, HOLD),
            // Nothing that comes in the next while can close a segment:
            // let a longer stretch gather, and read it before the cut can be.
            ReadHint::Media { slack, .. } if slack > SLACK_MARGIN + WINDOW => {
                let quiet = slack - SLACK_MARGIN;
                let mark = at_rate(quiet.min(QUIET_WINDOW)).min(QUIET_MAX_MARK);
                (mark, quiet.min(HOLD))
            }
            ReadHint::Media {
                message_rest: Some(rest),
                ..
            } => (rest.get().min(MAX_MARK), HOLD),
            ReadHint::Media {
                message_rest: None, ..
            } => (at_rate(WINDOW).min(MAX_MARK), HOLD),
        };
        self.hold = hold;
        self.set(socket, mark.max(1));
    }

    /// When to read whatever is queued, if the mark holds bytes back.
    pub fn deadline(&self) -> Option<Instant> {
        (self.mark > 1).then(|| self.last_read + self.hold)
    }

    /// The deadline passed (or not yet: then nothing happens): drop the
    /// mark so that whatever is queued is read.
    pub fn expire(&mut self, socket: &impl GatherSocket, now: Instant) {
        if self.deadline().is_some_and(|d| now >= d) {
            self.set(socket, 1);
        }
    }

    fn set(&mut self, socket: &impl GatherSocket, mark: usize) {
        if mark == self.mark || !self.enabled {
            return;
        }
        match socket.set_read_mark(mark) {
            Ok(()) => self.mark = mark,
            Err(e) => {
                tracing::debug!("SO_RCVLOWAT: {e}; reading as bytes come");
                self.enabled = false;
            }
        }
    }
}

/// `setsockopt(SO_RCVLOWAT)`: neither std, tokio, socket2 nor rustix
/// offers it. Linux only: gathering needs Linux's wake when the mark is
/// lowered below what is queued (other systems would sleep to the next
/// byte).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn set_rcvlowat(socket: &TcpStream, mark: usize) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let value = libc::c_int::try_from(mark).unwrap_or(libc::c_int::MAX);
    // SAFETY: the descriptor is the socket's, open while it is borrowed;
    // the option value points at a c_int that outlives the call, and its
    // size is the one given.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn set_rcvlowat(_: &TcpStream, _: usize) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// `poll(POLLRDHUP)` without waiting: set once the peer's FIN is queued,
/// unread bytes before it or not. Linux only (elsewhere false).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn rdhup(socket: &TcpStream) -> bool {
    use std::os::fd::AsRawFd;
    let mut fd = libc::pollfd {
        fd: socket.as_raw_fd(),
        events: libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: one pollfd, valid for the call, for a descriptor open while
    // the socket is borrowed; a zero timeout never blocks.
    let rc = unsafe { libc::poll(&mut fd, 1, 0) };
    rc == 1 && fd.revents & libc::POLLRDHUP != 0
}

#[cfg(not(target_os = "linux"))]
fn rdhup(_: &TcpStream) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::num::NonZeroUsize;

    use super::*;

    /// Records the marks set; fails when told to.
    #[derive(Default)]
    struct Marks {
        set: RefCell<Vec<usize>>,
        fail: bool,
    }

    impl GatherSocket for Marks {
        fn set_read_mark(&self, mark: usize) -> io::Result<()> {
            if self.fail {
                return Err(io::ErrorKind::Unsupported.into());
            }
            self.set.borrow_mut().push(mark);
            Ok(())
        }
    }

    /// Media, `rest` bytes of an awaited message under way, `slack_ms`
    /// before the segment can be cut.
    fn media_in(rest: Option<usize>, slack_ms: u64) -> ReadHint {
        ReadHint::Media {
            message_rest: rest.and_then(NonZeroUsize::new),
            slack: Duration::from_millis(slack_ms),
        }
    }

    /// Media near the cut (no slack).
    fn media(rest: Option<usize>) -> ReadHint {
        media_in(rest, 0)
    }

    #[test]
    fn marks_follow_the_hint_and_the_rate() {
        let socket = Marks::default();
        let t0 = Instant::now();
        let mut gather = Gather::new(t0);
        // Before a publish, and before a rate is known: one byte (no call).
        gather.after_read(&socket, 500, ReadHint::Eager, t0);
        gather.after_read(&socket, 500, media(None), t0);
        assert!(socket.set.borrow().is_empty());
        assert_eq!(gather.deadline(), None);
        // A message under way: its rest, capped.
        gather.after_read(&socket, 500, media(Some(9_000)), t0);
        gather.after_read(&socket, 500, media(Some(100_000)), t0);
        // 250,000 bytes in the first 500 ms: 4 Mb/s for now, so 20,000 per
        // 40 ms, until the second ends.
        let half = t0 + Duration::from_millis(500);
        gather.after_read(&socket, 248_000, media(None), half);
        // 375,000 bytes in the first second: 3 Mb/s, so 15,000 per 40 ms.
        let t1 = t0 + Duration::from_secs(1);
        gather.after_read(&socket, 125_000, media(None), t1);
        assert_eq!(*socket.set.borrow(), [9_000, MAX_MARK, 20_000, 15_000]);
        assert_eq!(gather.deadline(), Some(t1 + HOLD));
        // The publish ended: back to one byte.
        gather.after_read(&socket, 10, ReadHint::Eager, t1);
        assert_eq!(socket.set.borrow().last(), Some(&1));
        assert_eq!(gather.deadline(), None);
    }

    #[test]
    fn while_no_segment_can_be_cut_a_longer_stretch_gathers() {
        let socket = Marks::default();
        let t0 = Instant::now();
        let mut gather = Gather::new(t0);
        // 375,000 bytes in the first second: 3 Mb/s.
        let t1 = t0 + Duration::from_secs(1);
        gather.after_read(&socket, 375_000, media(None), t1);
        // A segment 1.9 s from its cut: QUIET_WINDOW at the rate, even
        // with a message under way, read within HOLD.
        gather.after_read(&socket, 100, media_in(Some(9_000), 1_900), t1);
        assert_eq!(socket.set.borrow().last(), Some(&56_250));
        assert_eq!(gather.deadline(), Some(t1 + HOLD));
        // 200 ms from it: what 100 ms bring, read within 100 ms.
        gather.after_read(&socket, 100, media_in(Some(9_000), 200), t1);
        assert_eq!(socket.set.borrow().last(), Some(&37_500));
        assert_eq!(gather.deadline(), Some(t1 + Duration::from_millis(100)));
        // Nearer than SLACK_MARGIN + WINDOW: as without slack.
        gather.after_read(&socket, 100, media_in(Some(9_000), 140), t1);
        assert_eq!(socket.set.borrow().last(), Some(&9_000));
        assert_eq!(gather.deadline(), Some(t1 + HOLD));
        // A fast publisher: capped.
        let t2 = t1 + Duration::from_secs(1);
        gather.after_read(&socket, 10_000_000, media_in(None, 1_900), t2);
        assert_eq!(socket.set.borrow().last(), Some(&QUIET_MAX_MARK));
    }

    #[test]
    fn a_held_read_is_released_after_the_hold() {
        let socket = Marks::default();
        let t0 = Instant::now();
        let mut gather = Gather::new(t0);
        gather.after_read(&socket, 4_000, media(Some(4_000)), t0);
        gather.expire(&socket, t0 + HOLD / 2); // too early: nothing
        assert_eq!(*socket.set.borrow(), [4_000]);
        gather.expire(&socket, t0 + HOLD);
        assert_eq!(*socket.set.borrow(), [4_000, 1]);
        assert_eq!(gather.deadline(), None);
    }

    #[test]
    fn a_socket_that_refuses_the_mark_is_read_as_bytes_come() {
        let socket = Marks {
            fail: true,
            ..Marks::default()
        };
        let t0 = Instant::now();
        let mut gather = Gather::new(t0);
        gather.after_read(&socket, 4_000, media(Some(4_000)), t0);
        assert_eq!(gather.deadline(), None);
        assert!(!gather.enabled);
    }

    /// The kernel side: bytes below the mark are not reported readable;
    /// lowering the mark releases them at once.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn the_kernel_holds_bytes_below_the_mark() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let bulk_len = || 4 << 20;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        // Linux reports a socket readable below the mark while its receive
        // window is at most one segment (65 KiB on loopback, where a fresh
        // connection starts): let the window grow first, as it has on a
        // publisher's connection.
        let bulk = vec![1; bulk_len()];
        let writer = tokio::spawn(async move {
            let mut client = client;
            client.write_all(&bulk).await.unwrap();
            client
        });
        let mut received = vec![0; bulk_len()];
        server.read_exact(&mut received).await.unwrap();
        let mut client = writer.await.unwrap();
        // That read ended full, so tokio still takes the socket for
        // readable: an empty read makes it wait for the kernel's word.
        let mut buf = vec![0; 4096];
        assert!(server.try_read(&mut buf).is_err());
        let t0 = Instant::now();
        let mut gather = Gather::new(t0);
        gather.after_read(&server, 0, media(Some(1_000)), t0);
        client.write_all(&[7; 600]).await.unwrap();
        let early = tokio::time::timeout(Duration::from_millis(200), server.read(&mut buf)).await;
        assert!(
            early.is_err(),
            "600 bytes below a mark of 1,000 were read: {early:?}, mark {}",
            gather.mark
        );
        gather.expire(&server, t0 + HOLD);
        let n = tokio::time::timeout(Duration::from_millis(200), server.read(&mut buf))
            .await
            .expect("lowering the mark released the bytes")
            .unwrap();
        assert_eq!(n, 600);
    }

    /// The peer's FIN is seen while bytes before it are still unread.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_fin_behind_unread_bytes_is_seen() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(&[1; 1000]).await.unwrap();
        let mut buf = [0; 10];
        server.read_exact(&mut buf).await.unwrap();
        assert!(!server.peer_closed(), "open, with bytes queued");
        client.shutdown().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(2);
        while !server.peer_closed() {
            assert!(Instant::now() < deadline, "the FIN never showed");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // The bytes before it are all still there.
        let mut rest = Vec::new();
        server.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest.len(), 990);
    }
}
