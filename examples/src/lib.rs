//! Runnable examples of the livechannel crates, and the code they share.
//!
//! Each example's logic lives here as a function so the interop tests in
//! `tests/` can run it in-process; the files next to `Cargo.toml` are thin
//! command-line wrappers.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod file_store;
pub mod flv2hls;
pub mod fs_util;
pub mod rtmp_dump;
pub mod rtmp_publish;
pub mod server;
