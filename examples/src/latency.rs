//! `latency-probe`: how long after a keyframe reaches the server the segment
//! it closes is readable over HTTP.
//!
//! It publishes a file in real time and records when each keyframe was
//! written to the socket; meanwhile it polls the live playlist over one
//! keep-alive HTTP connection every couple of milliseconds. When a new
//! segment appears, the latency is the time since the last keyframe sent
//! (the keyframe that closed the segment; valid while latency < GOP).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::rtmp_publish::{publish_with, Media, Pacing};

/// Latencies measured, in milliseconds, one per segment that appeared.
pub async fn measure(
    rtmp_url: &str,
    playlist_url: &str,
    media: &Media,
    poll: Duration,
) -> Result<Vec<f64>, String> {
    let keyframe_sent: Arc<Mutex<Option<Instant>>> = Arc::default();
    // Set when the publish ends: the last segment is closed by the
    // unpublish, not by a keyframe, so it is not a sample.
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let (url, keyframe_sent, done) =
            (playlist_url.to_owned(), keyframe_sent.clone(), done.clone());
        tokio::spawn(async move { poll_playlist(&url, poll, keyframe_sent, done).await })
    };
    let mark = keyframe_sent.clone();
    let published = publish_with(rtmp_url, media, Pacing::RealTime, 99, move |tag, when| {
        let keyframe = tag.tag_type == livechannel_flv::TagType::Video
            && tag.body.first().is_some_and(|b| b >> 4 == 1)
            && tag.body.get(1) == Some(&1);
        if keyframe {
            *mark.lock().unwrap_or_else(|e| e.into_inner()) = Some(when);
        }
    })
    .await;
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    published.map_err(|e| e.to_string())?;
    poller.await.map_err(|e| e.to_string())?
}

async fn poll_playlist(
    url: &str,
    poll: Duration,
    keyframe_sent: Arc<Mutex<Option<Instant>>>,
    done: Arc<std::sync::atomic::AtomicBool>,
) -> Result<Vec<f64>, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("playlist url must be http://")?;
    let (host, path) = rest.split_once('/').ok_or("no path in playlist url")?;
    let mut conn = TcpStream::connect(host).await.map_err(|e| e.to_string())?;
    conn.set_nodelay(true).map_err(|e| e.to_string())?;
    let request = format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
    let mut last_segment = String::new();
    let mut latencies = Vec::new();
    let mut buf = Vec::with_capacity(8192);
    while !done.load(std::sync::atomic::Ordering::Relaxed) {
        conn.write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let body = read_response(&mut conn, &mut buf).await?;
        let seen = Instant::now();
        if done.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        if let Some(segment) = body.lines().rev().find(|l| l.ends_with(".ts")) {
            if segment != last_segment {
                if !last_segment.is_empty() {
                    if let Some(sent) = *keyframe_sent.lock().unwrap_or_else(|e| e.into_inner()) {
                        latencies.push(seen.duration_since(sent).as_secs_f64() * 1000.0);
                    }
                }
                last_segment = segment.to_owned();
            }
        }
        tokio::time::sleep(poll).await;
    }
    Ok(latencies)
}

/// One HTTP/1.1 response with a Content-Length body (404s included).
async fn read_response(conn: &mut TcpStream, buf: &mut Vec<u8>) -> Result<String, String> {
    buf.clear();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Ok(String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned());
            }
        }
        let n = conn.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("server closed the playlist connection".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// (p50, p99, max) of `samples`.
pub fn percentiles(samples: &[f64]) -> (f64, f64, f64) {
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    (at(0.5), at(0.99), v[v.len() - 1])
}
