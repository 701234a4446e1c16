//! Publish an FLV file to an RTMP server, in real time or as fast as
//! possible, over one or many connections (a load generator).
//!
//! ```text
//! cargo run --release --example rtmp-publish -- rtmp://127.0.0.1:1935/live/test input.flv [--fast] [--connections N]
//! ```
//! With several connections, connection `i` publishes to stream `<name>-<i>`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use livechannel_examples::rtmp_publish::{connection_url, publish, Media};

/// Publish an FLV file over RTMP.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// rtmp://host[:port]/app/stream[?query]
    url: String,
    /// The FLV file (H.264 + AAC).
    input: PathBuf,
    /// Send as fast as possible instead of in real time.
    #[arg(long)]
    fast: bool,
    /// Simultaneous publishers; connection i publishes to `<stream>-<i>`.
    #[arg(long, default_value_t = 1)]
    connections: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let data = match std::fs::read(&args.input) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("rtmp-publish: {}: {e}", args.input.display());
            return ExitCode::FAILURE;
        }
    };
    let media = match Media::load(data) {
        Ok(m) => Arc::new(m),
        Err(e) => {
            eprintln!("rtmp-publish: {}: {e}", args.input.display());
            return ExitCode::FAILURE;
        }
    };
    let n = args.connections.max(1);
    let mut tasks = Vec::new();
    for i in 0..n {
        let url = connection_url(&args.url, i, n);
        let media = media.clone();
        let realtime = !args.fast;
        tasks.push(tokio::spawn(async move {
            let r = publish(&url, &media, realtime, i as u64 + 1).await;
            (url, r)
        }));
    }
    let (mut ok, mut bytes, mut worst) = (0, 0u64, std::time::Duration::ZERO);
    let started = std::time::Instant::now();
    for task in tasks {
        let Ok((url, result)) = task.await else {
            continue;
        };
        match result {
            Ok(r) => {
                ok += 1;
                bytes += r.bytes;
                worst = worst.max(r.max_lag);
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
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    println!(
        "total: {ok}/{n} connections ok, {bytes} bytes, {:.2} Mbit/s, media {:.1} s each, worst lag {:.1} ms",
        bytes as f64 * 8.0 / secs / 1e6,
        media.duration.as_secs_f64(),
        worst.as_secs_f64() * 1000.0
    );
    if ok == n {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
