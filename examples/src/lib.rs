//! Runnable examples of the livechannel crates, and the code they share.
//!
//! Each example's logic lives here as a function so the interop tests in
//! `tests/` can run it in-process; the files next to `Cargo.toml` are thin
//! command-line wrappers.
#![deny(missing_docs)]
// Denied rather than forbidden for one exception, allowed where it is:
// flv2hls maps its input file (`flv2hls::map`).
#![deny(unsafe_code)]

pub mod console;
pub mod copy_floor;
mod file_spares;
pub mod file_store;
mod file_uploads;
pub mod flv2hls;
pub mod fs_util;
pub mod http_timeouts;
pub mod latency;
pub mod metrics;
pub mod read_gather;
pub mod rtmp_dump;
pub mod rtmp_publish;
pub mod rtmp_socket;
pub mod s3_store;
pub mod server;
pub mod server_cli;
pub mod tls;

/// Log to stderr through `tracing`, filtered by `RUST_LOG` (default `info`),
/// with colours only on a terminal.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
