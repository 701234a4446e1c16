//! `rtmp-dump`: a minimal RTMP ingest server that accepts every publish and
//! writes each stream to `<out>/<app>/<stream>.flv`.
//!
//! This is the shortest complete user of [`livechannel_rtmp::ServerSession`]:
//! act on its events. The socket side (read into the session, write what it
//! wants sent, wake it when its timer is due) is [`crate::rtmp_socket`],
//! the same loop that drives the server's ingest connections.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use livechannel_flv::TagType;
use livechannel_rtmp::{RequestId, ServerConfig, ServerEvent, ServerSession};
use tokio::net::{TcpListener, TcpStream};

use crate::rtmp_socket::{answer_publish, drive, DriveOptions, SessionDriven};

/// Accept connections on `listener` forever, one task each.
pub async fn serve(listener: TcpListener, out_dir: PathBuf) -> io::Result<()> {
    let mut seed = 0x5eed_u64;
    loop {
        let (socket, peer) = listener.accept().await?;
        let out_dir = out_dir.clone();
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        tokio::spawn(async move {
            match connection(socket, peer, &out_dir, seed).await {
                Ok(()) => tracing::info!(%peer, "connection closed"),
                Err(e) => tracing::warn!(%peer, "connection failed: {e}"),
            }
        });
    }
}

/// One publisher's connection, start to end.
pub async fn connection(
    mut socket: TcpStream,
    peer: SocketAddr,
    out_dir: &Path,
    seed: u64,
) -> io::Result<()> {
    let config = ServerConfig {
        seed,
        ..ServerConfig::default()
    };
    let mut dump = Dump {
        session: ServerSession::new(config, Instant::now()),
        peer,
        out_dir: out_dir.to_path_buf(),
        app: String::new(),
        file: None,
    };
    let options = DriveOptions {
        write_timeout: WRITE_TIMEOUT,
        shutdown: None,
    };
    socket.set_nodelay(true)?;
    let driven = drive(&mut dump, &mut socket, options, |_| {}).await;
    save(&mut dump.file).await?;
    driven
}

/// A write to the publisher that does not complete in this time ends the connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The session and the stream being recorded.
struct Dump {
    session: ServerSession,
    peer: SocketAddr,
    out_dir: PathBuf,
    app: String,
    /// The stream's path and its FLV so far.
    file: Option<(PathBuf, Vec<u8>)>,
}

impl Dump {
    fn publish_requested(&mut self, request: RequestId, stream_name: &str) {
        let opened = match output_path(&self.out_dir, &self.app, stream_name) {
            Some(path) => {
                tracing::info!(peer = %self.peer, path = %path.display(), "publishing");
                let mut data = Vec::with_capacity(1 << 20);
                livechannel_flv::write_header(&mut data, true, true);
                self.file = Some((path, data));
                Ok(())
            }
            None => Err("bad stream name"),
        };
        answer_publish(&mut self.session, request, opened);
    }

    /// Append a tag to the stream being recorded, if any.
    fn tag(&mut self, tag_type: TagType, timestamp: u32, body: &[u8]) {
        if let Some((_, data)) = self.file.as_mut() {
            let _ = livechannel_flv::write_tag(data, tag_type, timestamp, body);
        }
    }
}

impl SessionDriven for Dump {
    fn session(&self) -> &ServerSession {
        &self.session
    }
    fn session_mut(&mut self) -> &mut ServerSession {
        &mut self.session
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
                } => self.publish_requested(request, &stream_name),
                ServerEvent::Metadata { metadata, .. } => {
                    let mut body = Vec::new();
                    let name = livechannel_amf0::Value::String("onMetaData".into());
                    let encoded = livechannel_amf0::encode(&name, &mut body)
                        .and_then(|()| livechannel_amf0::encode(&metadata, &mut body));
                    if encoded.is_ok() {
                        self.tag(TagType::Script, 0, &body);
                    }
                }
                ServerEvent::Audio {
                    timestamp, data, ..
                } => self.tag(TagType::Audio, timestamp, &data),
                ServerEvent::Video {
                    timestamp, data, ..
                } => self.tag(TagType::Video, timestamp, &data),
                ServerEvent::Unpublished { .. } => save(&mut self.file).await?,
                ServerEvent::Closed { reason } => {
                    tracing::info!(peer = %self.peer, ?reason, "session closed")
                }
            }
        }
        Ok(())
    }
}

/// Writes the stream's FLV when the publish ends. Streams are kept in
/// memory until then: this is a demonstration and a test tool, not a recorder.
async fn save(file: &mut Option<(PathBuf, Vec<u8>)>) -> io::Result<()> {
    if let Some((path, data)) = file.take() {
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::fs::write(&path, data).await?;
    }
    Ok(())
}

/// `<out>/<app>/<stream>.flv`, or None when a name could escape `out`.
fn output_path(out: &Path, app: &str, stream: &str) -> Option<PathBuf> {
    let mut path = stream_path(out, app, stream)?.into_os_string();
    path.push(".flv");
    Some(path.into())
}

/// `<out>/<app>/<stream>` (an app of several `/`-separated parts), or
/// None when a name could escape `out`. Also where `copy-floor` writes.
pub(crate) fn stream_path(out: &Path, app: &str, stream: &str) -> Option<PathBuf> {
    let ok = |s: &str| !s.is_empty() && s != "." && s != ".." && !s.contains(['\\', '\0']);
    let mut path = out.to_path_buf();
    for part in app.split('/') {
        if !ok(part) {
            return None;
        }
        path.push(part);
    }
    if !ok(stream) || stream.contains('/') {
        return None;
    }
    path.push(stream);
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_stay_inside_the_directory() {
        let out = Path::new("/tmp/o");
        assert_eq!(
            output_path(out, "live", "a"),
            Some(PathBuf::from("/tmp/o/live/a.flv"))
        );
        assert_eq!(
            output_path(out, "bucket/live", "a"),
            Some(PathBuf::from("/tmp/o/bucket/live/a.flv"))
        );
        assert_eq!(output_path(out, "..", "a"), None);
        assert_eq!(output_path(out, "live", "../a"), None);
        assert_eq!(output_path(out, "live", ""), None);
    }
}
