//! Publish an FLV file to an RTMP server, in real time or as fast as
//! possible, over one or many connections (a load generator).
//!
//! ```text
//! cargo run --release --example rtmp-publish -- rtmp://127.0.0.1:1935/live/test input.flv [--fast | --batch-ms MS] [--connections N] [--max-connecting M]
//! ```
//! With several connections, connection `i` publishes to stream `<name>-<i>`.
//! `--max-connecting M` lets at most M of them be connecting (TCP, RTMP
//! handshake, connect, publish) at once, so that a thousand connects do not
//! overflow the server's listen backlog; each publisher's real-time clock
//! starts when its publish is accepted. `--batch-ms MS` writes the tags due
//! in each MS milliseconds in one write at the period's end instead of one
//! write per tag: a sender that buffers, and a generator that costs its core
//! several times less per stream.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use livechannel_examples::rtmp_publish::{
    connection_url, publish_with, Error, Media, Pacing, Report,
};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// Publish an FLV file over RTMP.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// rtmp://host[:port]/app/stream[?query]
    url: String,
    /// The FLV file (H.264 + AAC).
    input: PathBuf,
    /// Send as fast as possible instead of in real time.
    #[arg(long, conflicts_with = "batch_ms")]
    fast: bool,
    /// Real time, but the tags due in each period of this many
    /// milliseconds go out together in one write at its end (0: one write
    /// per tag when it is due).
    #[arg(long, default_value_t = 0)]
    batch_ms: u64,
    /// Simultaneous publishers; connection i publishes to `<stream>-<i>`.
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// At most this many connections in their handshake at once (0: no limit).
    #[arg(long, default_value_t = 0)]
    max_connecting: usize,
}

impl Args {
    fn pacing(&self) -> Pacing {
        match (self.fast, self.batch_ms) {
            (true, _) => Pacing::Fast,
            (false, 0) => Pacing::RealTime,
            (false, ms) => Pacing::Batched(Duration::from_millis(ms)),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let media = match load_media(&args.input) {
        Ok(m) => Arc::new(m),
        Err(e) => {
            eprintln!("rtmp-publish: {}: {e}", args.input.display());
            return ExitCode::FAILURE;
        }
    };
    let n = args.connections.max(1);
    let started = Instant::now();
    // When the last connection began to publish: until then, fewer than N
    // streams ran at once (a server slow to take new connections).
    let all_publishing = Arc::new(Mutex::new(started));
    let tasks = spawn_publishers(&args, n, &media, &all_publishing);
    let totals = Totals::collect(tasks).await;
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let ramp = *all_publishing.lock().unwrap_or_else(|e| e.into_inner()) - started;
    println!(
        "total: {}/{n} connections ok, {} bytes, {:.2} Mbit/s, media {:.1} s each, worst lag {:.1} ms, all publishing after {:.2} s",
        totals.ok,
        totals.bytes,
        totals.bytes as f64 * 8.0 / secs / 1e6,
        media.duration.as_secs_f64(),
        totals.worst.as_secs_f64() * 1000.0,
        ramp.as_secs_f64()
    );
    if totals.ok == n {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Reads and indexes the FLV file; the error is the I/O or FLV error's
/// message, as printed.
fn load_media(path: &Path) -> Result<Media, String> {
    let data = std::fs::read(path).map_err(|e| e.to_string())?;
    Media::load(data).map_err(|e| e.to_string())
}

/// One publish task: its URL and how it ended.
type Publisher = JoinHandle<(String, Result<Report, Error>)>;

/// Starts the `n` publishers. With `--max-connecting`, each holds a
/// permit from its connect until its first tag is sent (the publish was
/// accepted), so at most that many are in their handshake at once; each
/// moves `all_publishing` forward to the moment it began to publish.
fn spawn_publishers(
    args: &Args,
    n: usize,
    media: &Arc<Media>,
    all_publishing: &Arc<Mutex<Instant>>,
) -> Vec<Publisher> {
    let connecting =
        (args.max_connecting > 0).then(|| Arc::new(Semaphore::new(args.max_connecting)));
    let mut tasks = Vec::new();
    for i in 0..n {
        let url = connection_url(&args.url, i, n);
        let media = media.clone();
        let pacing = args.pacing();
        let connecting = connecting.clone();
        let all_publishing = all_publishing.clone();
        tasks.push(tokio::spawn(async move {
            // Held until the first tag is sent: the publish was accepted.
            let mut permit = match connecting {
                Some(s) => s.acquire_owned().await.ok(),
                None => None,
            };
            let mut first = true;
            let r = publish_with(&url, &media, pacing, i as u64 + 1, move |_, when| {
                if std::mem::take(&mut first) {
                    permit.take();
                    let mut latest = all_publishing.lock().unwrap_or_else(|e| e.into_inner());
                    *latest = (*latest).max(when);
                }
            })
            .await;
            (url, r)
        }));
    }
    tasks
}

/// The sums over all publishers, for the closing `total:` line.
struct Totals {
    /// Publishers that sent the whole file.
    ok: usize,
    bytes: u64,
    /// The largest lag behind real time of any publisher.
    worst: Duration,
}

impl Totals {
    /// Waits for every publisher in turn, printing a line for each as it
    /// ends.
    async fn collect(tasks: Vec<Publisher>) -> Totals {
        let mut totals = Totals {
            ok: 0,
            bytes: 0,
            worst: Duration::ZERO,
        };
        for task in tasks {
            let Ok((url, result)) = task.await else {
                continue;
            };
            match result {
                Ok(r) => {
                    totals.ok += 1;
                    totals.bytes += r.bytes;
                    totals.worst = totals.worst.max(r.max_lag);
                    println!(
                        "{url}: {} bytes in {:.3} s, {:.2} Mbit/s, max lag behind real time {:.1} ms",
                        r.bytes,
                        r.elapsed.as_secs_f64(),
                        r.bytes as f64 * 8.0 / r.elapsed.as_secs_f64().max(1e-9) / 1e6,
                        r.max_lag.as_secs_f64() * 1000.0
                    );
                }
                Err(e) => eprintln!("{url}: error: {e}"),
            }
        }
        totals
    }
}
