//! `copy-floor`: what receiving RTMP publishes and writing their media into
//! rolling segment files costs, with nothing else: a yardstick for the
//! streams-per-core comparison (`benches/compare-nginx.sh`, `SERVERS=floor`),
//! not a server.
//!
//! Every publish is accepted. Its audio and video tag bodies are copied,
//! as they come, into a 64 KiB buffer that is written (`pwrite`) to the
//! open segment's temporary file when full, as the file store writes a
//! segment's chunks. At the first keyframe 2 s or more after the segment
//! began, the segment is renamed into place as `<out>/<app>/<stream>/<n>.ts`
//! and a playlist naming the last three is written beside it (temporary
//! file, rename), as every HLS server does at a cut. No demuxing, no
//! transmuxing, no catalog, leases or index: the bytes written are the FLV
//! bodies, about 5 % fewer than the TS a server writes for them (the 20 s
//! 720p fixture: 8,097,474 bytes against `flv2hls`'s 8,497,224).
//!
//! So its CPU per stream-second is the kernel's work on the bytes (receive,
//! page cache, file names) plus RTMP chunk decoding and one copy of the
//! payload, on the same socket loop as the server ([`crate::rtmp_socket`],
//! reads gathered the same way): a floor under any RTMP-to-HLS server's
//! cost on the machine, and what is left above it is the server's own.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use livechannel::ReadHint;
use livechannel_rtmp::{ServerConfig, ServerEvent, ServerSession};
use tokio::net::{TcpListener, TcpStream};

use crate::rtmp_socket::{answer_publish, drive, DriveOptions, SessionDriven};

/// Bytes gathered before a write, as the segmenter's chunks.
const CHUNK: usize = 64 << 10;
/// A segment is cut at the first keyframe this long after it began.
const FRAGMENT_MS: u32 = 2_000;
/// Segments the playlist names.
const WINDOW: u64 = 3;

/// Accept connections on `listener` forever, one task each.
pub async fn serve(listener: TcpListener, out_dir: PathBuf) -> io::Result<()> {
    let mut seed = 0xf100_u64;
    loop {
        let (socket, _) = listener.accept().await?;
        let out_dir = out_dir.clone();
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        tokio::spawn(async move {
            if let Err(e) = connection(socket, &out_dir, seed).await {
                tracing::warn!("connection failed: {e}");
            }
        });
    }
}

async fn connection(mut socket: TcpStream, out_dir: &Path, seed: u64) -> io::Result<()> {
    let config = ServerConfig {
        seed,
        ..ServerConfig::default()
    };
    let mut floor = Floor {
        session: ServerSession::new(config, Instant::now()),
        out_dir: out_dir.to_path_buf(),
        app: String::new(),
        stream: None,
    };
    let options = DriveOptions {
        write_timeout: Duration::from_secs(10),
        shutdown: None,
    };
    socket.set_nodelay(true)?;
    let driven = drive(&mut floor, &mut socket, options, |_| {}).await;
    if let Some(stream) = floor.stream.as_mut() {
        stream.cut()?;
    }
    driven
}

/// The session and the publish being written.
struct Floor {
    session: ServerSession,
    out_dir: PathBuf,
    app: String,
    stream: Option<Stream>,
}

/// One publish's segments.
struct Stream {
    dir: PathBuf,
    /// The open segment's temporary file, and where its next bytes go.
    file: Option<(File, u64)>,
    sequence: u64,
    /// Media time (ms) the open segment began at; the latest video time.
    began: Option<u32>,
    latest: u32,
    buffer: Vec<u8>,
}

impl Stream {
    fn new(dir: PathBuf) -> io::Result<Self> {
        fs::create_dir_all(&dir)?;
        Ok(Stream {
            dir,
            file: None,
            sequence: 0,
            began: None,
            latest: 0,
            buffer: Vec::with_capacity(CHUNK),
        })
    }

    fn temporary(&self) -> PathBuf {
        self.dir.join(format!(".{}.ts.tmp", self.sequence))
    }

    /// Append a tag body; a video keyframe FRAGMENT_MS after the segment
    /// began cuts it first.
    fn media(&mut self, video: bool, timestamp: u32, body: &[u8]) -> io::Result<()> {
        if video {
            self.latest = timestamp;
            let keyframe = body.first().is_some_and(|b| b >> 4 & 0x7 == 1);
            match self.began {
                Some(began) if keyframe && timestamp.wrapping_sub(began) >= FRAGMENT_MS => {
                    self.cut()?;
                    self.began = Some(timestamp);
                }
                None => self.began = Some(timestamp),
                Some(_) => {}
            }
        }
        let mut body = body;
        while !body.is_empty() {
            let n = body.len().min(CHUNK - self.buffer.len());
            self.buffer.extend_from_slice(&body[..n]);
            body = &body[n..];
            if self.buffer.len() == CHUNK {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.file.is_none() {
            self.file = Some((File::create(self.temporary())?, 0));
        }
        if let Some((file, at)) = self.file.as_mut() {
            file.write_all_at(&self.buffer, *at)?;
            *at += self.buffer.len() as u64;
        }
        self.buffer.clear();
        Ok(())
    }

    /// Store the open segment under its name, then the playlist naming it.
    fn cut(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            self.flush()?;
        }
        if self.file.take().is_none() {
            return Ok(());
        }
        let name = self.dir.join(format!("{}.ts", self.sequence));
        fs::rename(self.temporary(), name)?;
        let first = (self.sequence + 1).saturating_sub(WINDOW);
        let mut playlist = format!(
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{}\n#EXT-X-MEDIA-SEQUENCE:{first}\n",
            FRAGMENT_MS / 1000
        );
        for n in first..=self.sequence {
            playlist.push_str(&format!("#EXTINF:2.000,\n{n}.ts\n"));
        }
        let temporary = self.dir.join(".index.m3u8.tmp");
        fs::write(&temporary, playlist)?;
        fs::rename(temporary, self.dir.join("index.m3u8"))?;
        self.sequence += 1;
        Ok(())
    }

    /// Media time until the open segment can be cut: bytes may gather in
    /// the socket that long, as the server lets them.
    fn slack(&self) -> Duration {
        let until = self.began.map_or(0, |began| {
            FRAGMENT_MS.saturating_sub(self.latest.wrapping_sub(began))
        });
        Duration::from_millis(until.into())
    }
}

impl Floor {
    fn publish(&mut self, stream_name: &str) -> io::Result<()> {
        let dir = crate::rtmp_dump::stream_path(&self.out_dir, &self.app, stream_name)
            .ok_or_else(|| io::Error::other("bad stream name"))?;
        self.stream = Some(Stream::new(dir)?);
        Ok(())
    }
}

impl SessionDriven for Floor {
    fn session(&self) -> &ServerSession {
        &self.session
    }
    fn session_mut(&mut self) -> &mut ServerSession {
        &mut self.session
    }
    fn read_hint(&self) -> ReadHint {
        match (self.session.read_hint(), &self.stream) {
            (ReadHint::Media { message_rest, .. }, Some(stream)) => ReadHint::Media {
                message_rest,
                slack: stream.slack(),
            },
            (hint, _) => hint,
        }
    }
    async fn on_events(&mut self, _wall: SystemTime) -> io::Result<()> {
        while let Some(event) = self.session.poll_event() {
            match event {
                ServerEvent::ConnectRequested { request, app, .. } => {
                    self.app = app;
                    let _ = self.session.accept_connect(request);
                }
                ServerEvent::PublishRequested {
                    request,
                    stream_name,
                    ..
                } => {
                    let opened = self.publish(&stream_name);
                    answer_publish(&mut self.session, request, opened);
                }
                ServerEvent::Audio {
                    timestamp, data, ..
                } => {
                    if let Some(s) = self.stream.as_mut() {
                        s.media(false, timestamp, &data)?;
                    }
                }
                ServerEvent::Video {
                    timestamp, data, ..
                } => {
                    if let Some(s) = self.stream.as_mut() {
                        s.media(true, timestamp, &data)?;
                    }
                }
                ServerEvent::Unpublished { .. } => {
                    if let Some(s) = self.stream.as_mut() {
                        s.cut()?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: u8 = 0x17;
    const INTER: u8 = 0x27;

    fn frame(kind: u8, len: usize) -> Vec<u8> {
        let mut body = vec![0u8; len];
        body[0] = kind;
        body
    }

    #[test]
    fn a_keyframe_two_seconds_in_cuts_the_segment_and_names_it_in_the_playlist() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Stream::new(dir.path().join("live/ch")).unwrap();
        // 3 s of 25 fps with keyframes each second, and audio between.
        for i in 0..75u32 {
            let kind = if i % 25 == 0 { KEY } else { INTER };
            s.media(true, i * 40, &frame(kind, 10_000)).unwrap();
            s.media(false, i * 40, &[0xaf, 1, 2, 3]).unwrap();
        }
        // The keyframe at 2 s cut the first segment: frames 0..50 with their
        // audio, written through the 64 KiB chunks.
        let first = fs::read(dir.path().join("live/ch/0.ts")).unwrap();
        assert_eq!(first.len(), 50 * 10_004);
        let playlist = fs::read_to_string(dir.path().join("live/ch/index.m3u8")).unwrap();
        assert!(playlist.ends_with("#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.000,\n0.ts\n"));
        assert!(!dir.path().join("live/ch/1.ts").exists());
        // Bytes may gather in the socket until the next cut is due.
        assert_eq!(s.slack(), Duration::from_millis(2_000 - 960));
        s.cut().unwrap();
        assert_eq!(
            fs::read(dir.path().join("live/ch/1.ts")).unwrap().len(),
            25 * 10_004
        );
        let names: Vec<_> = fs::read_dir(dir.path().join("live/ch"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(names.is_empty(), "temporary files left: {names:?}");
    }

    #[test]
    fn the_playlist_names_the_last_three_segments() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Stream::new(dir.path().to_path_buf()).unwrap();
        for i in 0..6u32 {
            s.media(true, i * 2_000, &frame(KEY, 100)).unwrap();
        }
        s.cut().unwrap();
        let playlist = fs::read_to_string(dir.path().join("index.m3u8")).unwrap();
        assert!(playlist.contains("#EXT-X-MEDIA-SEQUENCE:3\n"));
        assert_eq!(playlist.matches("#EXTINF").count(), 3);
        assert!(playlist.ends_with("5.ts\n"));
    }
}
