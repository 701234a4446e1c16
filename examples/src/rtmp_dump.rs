//! `rtmp-dump`: a minimal RTMP ingest server that accepts every publish and
//! writes each stream to `<out>/<app>/<stream>.flv`.
//!
//! This is the shortest complete driver of [`livechannel_rtmp::ServerSession`]:
//! read bytes into the session, act on its events, write what it wants sent,
//! and wake it up when its timer is due.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use livechannel_flv::TagType;
use livechannel_rtmp::{ServerConfig, ServerEvent, ServerSession};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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
    socket.set_nodelay(true)?;
    let config = ServerConfig {
        seed,
        ..ServerConfig::default()
    };
    let mut session = ServerSession::new(config, Instant::now());
    let mut app = String::new();
    let mut file: Option<(PathBuf, Vec<u8>)> = None;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // Send what the session has to say before waiting for more input.
        while let Some(bytes) = session.poll_transmit() {
            socket.write_all(&bytes).await?;
        }
        if session.is_closed() {
            break;
        }
        let deadline = session.poll_timeout().map(tokio::time::Instant::from_std);
        let read = tokio::select! {
            read = socket.read(&mut buf) => Some(read?),
            _ = sleep_until(deadline) => None,
        };
        match read {
            Some(0) => session.handle_eof(),
            Some(n) => {
                // A protocol error also arrives as a Closed event below.
                let _ = session.handle_input(&buf[..n], Instant::now());
            }
            None => session.handle_timeout(Instant::now()),
        }
        while let Some(event) = session.poll_event() {
            match event {
                ServerEvent::ConnectRequested {
                    request, app: a, ..
                } => {
                    app = a;
                    let _ = session.accept_connect(request);
                }
                ServerEvent::PublishRequested {
                    request,
                    stream_name,
                    ..
                } => {
                    let Some(path) = output_path(out_dir, &app, &stream_name) else {
                        let _ = session.reject_publish(
                            request,
                            livechannel_rtmp::PublishRejection::BadName,
                            "bad stream name",
                        );
                        continue;
                    };
                    tracing::info!(%peer, path = %path.display(), "publishing");
                    let mut data = Vec::with_capacity(1 << 20);
                    livechannel_flv::write_header(&mut data, true, true);
                    file = Some((path, data));
                    let _ = session.accept_publish(request);
                }
                ServerEvent::Metadata { metadata, .. } => {
                    if let Some((_, data)) = file.as_mut() {
                        let mut body = Vec::new();
                        let name = livechannel_amf0::Value::String("onMetaData".into());
                        let encoded = livechannel_amf0::encode(&name, &mut body)
                            .and_then(|()| livechannel_amf0::encode(&metadata, &mut body));
                        if encoded.is_ok() {
                            let _ = livechannel_flv::write_tag(data, TagType::Script, 0, &body);
                        }
                    }
                }
                ServerEvent::Audio {
                    timestamp,
                    data: body,
                    ..
                } => {
                    if let Some((_, data)) = file.as_mut() {
                        let _ = livechannel_flv::write_tag(data, TagType::Audio, timestamp, &body);
                    }
                }
                ServerEvent::Video {
                    timestamp,
                    data: body,
                    ..
                } => {
                    if let Some((_, data)) = file.as_mut() {
                        let _ = livechannel_flv::write_tag(data, TagType::Video, timestamp, &body);
                    }
                }
                ServerEvent::Unpublished { .. } => save(&mut file).await?,
                ServerEvent::Closed { reason } => tracing::info!(%peer, ?reason, "session closed"),
            }
        }
    }
    save(&mut file).await
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
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
    path.push(format!("{stream}.flv"));
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
