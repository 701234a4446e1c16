//! Keyframe-to-playable latency of a livechannel server (see
//! `livechannel_examples::latency`).
//!
//! ```text
//! cargo run --release --example latency-probe -- rtmp://127.0.0.1:1935/demo/live/lat \
//!     http://127.0.0.1:8080/demo/lat/playlist.m3u8 input.flv
//! ```
//! The channel must exist (FragDuration ≤ the input's GOP gives one segment per keyframe).

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use livechannel_examples::latency::{measure, percentiles};
use livechannel_examples::rtmp_publish::Media;

/// Measure how long after a keyframe arrives the segment it closes is readable.
#[derive(Parser, Debug)]
struct Args {
    /// Where to publish (rtmp://...).
    rtmp: String,
    /// The channel's live playlist (http://...).
    playlist: String,
    /// The FLV to publish in real time.
    input: std::path::PathBuf,
    /// Playlist polling interval, ms.
    #[arg(long, default_value_t = 2)]
    poll_ms: u64,
    /// Also print every sample, in the order the segments appeared (to
    /// see when the slow ones came).
    #[arg(long)]
    samples: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let media = match std::fs::read(&args.input)
        .map_err(|e| e.to_string())
        .and_then(|d| Media::load(d).map_err(|e| e.to_string()))
    {
        Ok(m) => m,
        Err(e) => {
            eprintln!("latency-probe: {}: {e}", args.input.display());
            return ExitCode::FAILURE;
        }
    };
    match measure(
        &args.rtmp,
        &args.playlist,
        &media,
        Duration::from_millis(args.poll_ms),
    )
    .await
    {
        Ok(samples) if !samples.is_empty() => {
            if args.samples {
                let all: Vec<String> = samples.iter().map(|s| format!("{s:.1}")).collect();
                println!("samples (ms, in order): {}", all.join(" "));
            }
            let (p50, p99, max) = percentiles(&samples);
            println!("{} segments: keyframe -> playable p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms (poll every {} ms)", samples.len(), args.poll_ms);
            ExitCode::SUCCESS
        }
        Ok(_) => {
            eprintln!("latency-probe: no segment appeared");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("latency-probe: {e}");
            ExitCode::FAILURE
        }
    }
}
