//! The copy floor: accepts every RTMP publish and writes its media bodies
//! into rolling 2 s segment files and a playlist, with no demuxing or
//! muxing. A yardstick for `benches/compare-nginx.sh` (`SERVERS=floor`):
//! what any RTMP-to-HLS server pays on this machine before its own work.
//! Its `.ts` files hold the FLV tag bodies, not MPEG-TS: no player plays
//! them.
//!
//! ```text
//! cargo run --release --example copy-floor -- --listen 127.0.0.1:19364 --out DIR
//! ```

use std::path::PathBuf;

use clap::Parser;

/// Receive RTMP publishes and write their bytes as segments, nothing more
/// (a yardstick: the files hold the FLV tag bodies, not MPEG-TS, and no
/// player plays them).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:19364")]
    listen: String,
    /// Directory for the segments (`<app>/<stream>/<n>.ts`).
    #[arg(long)]
    out: PathBuf,
}

fn main() -> std::io::Result<()> {
    livechannel_examples::init_logging();
    let args = Args::parse();
    // One thread, as the server runs by default.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen).await?;
        tokio::select! {
            r = livechannel_examples::copy_floor::serve(listener, args.out) => r,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}
