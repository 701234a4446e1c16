//! `rtmp-publish`: publish an FLV file to an `rtmp://` URL, in real time
//! (like `ffmpeg -re`) or as fast as possible, over one or many connections.
//!
//! The driver of [`livechannel_rtmp::ClientSession`]; also our load generator.

use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;
use livechannel_flv::{Tag, TagType};
use livechannel_rtmp::{ClientConfig, ClientEvent, ClientSession};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The tags of an FLV file, loaded once and shared by every connection.
#[derive(Debug, Clone)]
pub struct Media {
    /// Audio, video and script tags in file order.
    pub tags: Vec<Tag>,
    /// Bytes of tag bodies.
    pub bytes: u64,
    /// Span of the timestamps.
    pub duration: Duration,
}

impl Media {
    /// Parse a whole FLV file.
    pub fn load(data: Vec<u8>) -> Result<Media, livechannel_flv::Error> {
        let tags = livechannel_flv::read_all(data.into())?;
        let bytes = tags.iter().map(|t| t.body.len() as u64).sum();
        let first = tags.iter().map(|t| t.timestamp).min().unwrap_or(0);
        let last = tags.iter().map(|t| t.timestamp).max().unwrap_or(0);
        Ok(Media {
            tags,
            bytes,
            duration: Duration::from_millis(u64::from(last - first)),
        })
    }
}

/// How one connection went.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Tag body bytes sent.
    pub bytes: u64,
    /// Wall time from connect to the end.
    pub elapsed: Duration,
    /// The largest delay of a tag behind its real-time schedule (real-time
    /// and batched pacing). Tags are sent in file order, so a file whose
    /// timestamps step back (FFmpeg interleaves audio up to about 90 ms
    /// ahead of video) shows that step here even on an idle machine.
    pub max_lag: Duration,
}

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL is not an rtmp:// URL we understand.
    #[error("bad url: {0}")]
    Url(livechannel_rtmp::Error),
    /// The socket failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The server refused the connect or the publish.
    #[error("refused: {code}: {description}")]
    Rejected {
        /// The status code, e.g. `NetStream.Publish.BadName`.
        code: String,
        /// The server's description.
        description: String,
    },
    /// The RTMP session failed.
    #[error("rtmp: {0}")]
    Rtmp(#[from] livechannel_rtmp::Error),
    /// The connection ended before the publish did.
    #[error("connection closed: {0}")]
    Closed(String),
}

/// When the tags are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// Each tag as soon as the one before it is written.
    Fast,
    /// Each tag in its own write at its timestamp's offset from the start,
    /// like `ffmpeg -re` or OBS.
    RealTime,
    /// Real time rounded up to the next multiple of the period: the tags
    /// due in one period go out together in one write at its end, as from
    /// a sender that buffers. Fewer, larger writes cost the sender (and,
    /// on loopback, the kernel's receive path it runs) far less per
    /// stream, which is what lets one core generate thousands of streams.
    Batched(Duration),
}

impl Pacing {
    /// When a tag due `due` after the start is written, after the start;
    /// `None` for [`Pacing::Fast`].
    fn send_time(self, due: Duration) -> Option<Duration> {
        match self {
            Pacing::Fast => None,
            Pacing::RealTime => Some(due),
            Pacing::Batched(period) if period.is_zero() => Some(due),
            Pacing::Batched(period) => {
                let n = due.as_nanos().div_ceil(period.as_nanos());
                Some(period.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX)))
            }
        }
    }
}

/// Publish `media` to `url` once, paced by `pacing`.
pub async fn publish(url: &str, media: &Media, pacing: Pacing, seed: u64) -> Result<Report, Error> {
    publish_with(url, media, pacing, seed, |_, _| {}).await
}

/// [`publish`], calling `sent(tag, when)` once each tag is written to the socket.
pub async fn publish_with(
    url: &str,
    media: &Media,
    pacing: Pacing,
    seed: u64,
    mut sent: impl FnMut(&Tag, Instant),
) -> Result<Report, Error> {
    let parsed = livechannel_rtmp::parse_rtmp_url(url).map_err(Error::Url)?;
    let started = Instant::now();
    let socket = TcpStream::connect((parsed.host.as_str(), parsed.port)).await?;
    socket.set_nodelay(true)?;
    let config = ClientConfig {
        seed,
        ..ClientConfig::from_url(&parsed)
    };
    let mut session = ClientSession::new(config, Instant::now());
    let mut conn = Conn {
        socket,
        buf: vec![0; 64 * 1024],
    };

    // Handshake, connect, createStream, publish.
    while !session.is_publishing() {
        conn.flush(&mut session).await?;
        conn.read(&mut session).await?;
        check_events(&mut session)?;
    }

    let mut report = Report::default();
    let first = media.tags.iter().map(|t| t.timestamp).min().unwrap_or(0);
    let start = Instant::now();
    // Tags queued in the session but not yet written (batched pacing).
    let mut unsent: Vec<&Tag> = Vec::new();
    for tag in &media.tags {
        let offset = Duration::from_millis(u64::from(tag.timestamp - first));
        if let Some(at) = pacing.send_time(offset) {
            let due = start + at;
            let now = Instant::now();
            if due > now {
                conn.flush(&mut session).await?;
                let written = Instant::now();
                unsent.drain(..).for_each(|t| sent(t, written));
                tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
            } else {
                report.max_lag = report.max_lag.max(now - due);
            }
        }
        let body: Bytes = tag.body.clone();
        match tag.tag_type {
            TagType::Audio => session.send_audio(tag.timestamp, body)?,
            TagType::Video => session.send_video(tag.timestamp, body)?,
            TagType::Script => {
                if let Ok(script) = livechannel_flv::ScriptTag::parse(&body) {
                    if script.name == "onMetaData" {
                        session.send_metadata(&script.value)?;
                    }
                }
            }
            _ => continue,
        }
        report.bytes += tag.body.len() as u64;
        conn.poll_input(&mut session)?;
        check_events(&mut session)?;
        if matches!(pacing, Pacing::Batched(_)) {
            unsent.push(tag);
        } else {
            conn.flush(&mut session).await?;
            sent(tag, Instant::now());
        }
    }
    conn.flush(&mut session).await?;
    let written = Instant::now();
    unsent.drain(..).for_each(|t| sent(t, written));
    session.unpublish()?;
    conn.flush(&mut session).await?;
    conn.socket.shutdown().await?;
    report.elapsed = started.elapsed();
    Ok(report)
}

struct Conn {
    socket: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn flush(&mut self, session: &mut ClientSession) -> Result<(), Error> {
        while let Some(bytes) = session.poll_transmit() {
            self.socket.write_all(&bytes).await?;
        }
        Ok(())
    }

    /// Wait for input (or the session's timer) and feed it to the session.
    async fn read(&mut self, session: &mut ClientSession) -> Result<(), Error> {
        let deadline = session.poll_timeout().map(tokio::time::Instant::from_std);
        tokio::select! {
            ready = self.socket.readable() => {
                ready?;
                self.poll_input(session)?;
            }
            _ = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            } => session.handle_timeout(Instant::now()),
        }
        Ok(())
    }

    /// Feed whatever input is already there (acks, pings) without waiting.
    fn poll_input(&mut self, session: &mut ClientSession) -> Result<(), Error> {
        loop {
            match self.socket.try_read(&mut self.buf) {
                Ok(0) => return Err(Error::Closed("server closed the connection".into())),
                Ok(n) => session.handle_input(&self.buf[..n], Instant::now())?,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    }
}

fn check_events(session: &mut ClientSession) -> Result<(), Error> {
    while let Some(event) = session.poll_event() {
        match event {
            ClientEvent::Rejected { code, description } => {
                return Err(Error::Rejected { code, description })
            }
            ClientEvent::Closed { reason } => return Err(Error::Closed(format!("{reason:?}"))),
            _ => {}
        }
    }
    Ok(())
}

/// The URL of connection `i` of `n`: with several connections, `-<i>` is
/// appended to the stream name (before any query string).
pub fn connection_url(url: &str, i: usize, n: usize) -> String {
    if n <= 1 {
        return url.to_owned();
    }
    match url.split_once('?') {
        Some((base, query)) => format!("{base}-{i}?{query}"),
        None => format!("{url}-{i}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn batched_pacing_sends_each_tag_at_the_end_of_its_period() {
        let batched = Pacing::Batched(ms(100));
        let at = |due: u64| batched.send_time(ms(due));
        assert_eq!(at(0), Some(Duration::ZERO));
        assert_eq!(at(1), Some(ms(100)));
        assert_eq!(at(100), Some(ms(100)));
        assert_eq!(at(101), Some(ms(200)));
        // Never before the tag is due, never a whole period after.
        for due in 0..1000 {
            let sent = at(due).unwrap();
            assert!(
                sent >= ms(due) && sent < ms(due + 100),
                "{due} ms -> {sent:?}"
            );
        }
    }

    #[test]
    fn real_time_pacing_sends_each_tag_when_due_and_fast_never_waits() {
        for pacing in [Pacing::RealTime, Pacing::Batched(Duration::ZERO)] {
            assert_eq!(pacing.send_time(ms(1234)), Some(ms(1234)));
        }
        assert_eq!(Pacing::Fast.send_time(ms(1234)), None);
    }
}
