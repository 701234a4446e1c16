//! Helpers for the tests of more than one livechannel crate, each written
//! once. A dev-dependency only (`publish = false`); no I/O runtime: external
//! programs run through [`std::process`].
//!
//! - [`tools`]: the project rule for tests that need an external program:
//!   under `CI=true` a missing program fails the test, elsewhere the test
//!   prints a loud `SKIPPED` line on stderr and returns early. The caller
//!   must check (and return) *before* asserting anything that needs it.
//! - [`ffprobe`]: frame and packet counts per stream type, as ffprobe reads
//!   a file, a playlist or a URL.
//! - [`ffmpeg9`]: FFmpeg 9, from `$FFMPEG9` or the imageio-ffmpeg wheel
//!   in a venv made under `target/ffmpeg9-venv`.
//! - [`oss2`]: a Python with the oss2 SDK 2.19.1, from `$OSS2_PYTHON` or a
//!   venv made under `target/oss2-venv`.
//! - [`rtmp`]: an in-memory RTMP server session that accepts every connect
//!   and publish and collects what it saw.
//! - [`vod`]: stored segments and a VOD playlist of them written to a
//!   directory, for ffprobe.
#![deny(missing_docs)]

pub mod ffmpeg9;
pub mod ffprobe;
pub mod oss2;
pub mod rtmp;
pub mod tools;
pub mod vod;

pub use tools::{cargo_installed, have, run, skip_or_fail};
