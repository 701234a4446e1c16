//! Helpers of the examples' tests that drive external programs (ffmpeg,
//! curl, ...). The ones other crates' tests use too (the required-tool
//! check `have`, `run`, the ffprobe counts) are in livechannel-testkit.
#![allow(dead_code)]

pub mod chromium;
pub mod s3s;
pub mod server_process;
pub mod tls_server;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A fixture committed under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

/// The regular files under `dir`, recursively (none when it is missing).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            let path = e.path();
            if path.is_dir() {
                files_under(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

/// The wall clock, Unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// An HTTP request through curl: (status, body); status 0 when nothing answered.
pub fn curl(url: &str, method: &str, body: Option<&str>) -> (u16, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method])
        .arg(url);
    if let Some(b) = body {
        cmd.args(["--data-binary", b]);
    }
    let out = cmd.output().expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

/// Wait until `f` holds, or fail after `secs` naming `what`.
pub fn wait_for(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// ffmpeg publishing a live 640x360 test picture (1 s GOP, 30 fps) and a
/// 440 Hz tone to `url` in real time for `seconds`.
pub fn live_push(url: &str, seconds: u32) -> std::process::Child {
    Command::new("ffmpeg")
        .args(["-v", "error", "-re"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"])
        .args(["-t", &seconds.to_string()])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-g", "30"])
        .args(["-c:a", "aac", "-f", "flv", url])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("ffmpeg")
}

/// What the FFmpeg 9 tests need: curl, ffprobe and FFmpeg 9 (its path).
/// `None` (after the SKIPPED line, or a failure under `CI=true`) when one
/// is missing; the test must then return.
pub fn ffmpeg9_tools() -> Option<PathBuf> {
    if !livechannel_testkit::have("curl") || !livechannel_testkit::have("ffprobe") {
        return None;
    }
    let ffmpeg = livechannel_testkit::ffmpeg9::exe()?;
    eprintln!("using {}", livechannel_testkit::ffmpeg9::version(&ffmpeg));
    Some(ffmpeg)
}
