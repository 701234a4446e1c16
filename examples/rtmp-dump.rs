//! A minimal RTMP ingest server: accepts every publish and writes each stream
//! to `DIR/<app>/<stream>.flv` when the publish ends.
//!
//! ```text
//! cargo run --release --example rtmp-dump -- --listen 127.0.0.1:1935 --out DIR
//! ffmpeg -re -i input.flv -c copy -f flv rtmp://127.0.0.1:1935/live/test
//! ```

use std::path::PathBuf;

use clap::Parser;

/// Record every RTMP publish to an FLV file.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:1935")]
    listen: String,
    /// Directory for the recordings.
    #[arg(long, default_value = "rtmp-dump")]
    out: PathBuf,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    livechannel_examples::init_logging();
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    tracing::info!(
        "listening on rtmp://{}/, writing to {}",
        listener.local_addr()?,
        args.out.display()
    );
    tokio::select! {
        r = livechannel_examples::rtmp_dump::serve(listener, args.out) => r,
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}
