//! Helpers for tests that drive external programs (ffmpeg, ffprobe, ...).
#![allow(dead_code)]

pub mod s3s;
pub mod server_process;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// True when `tool` can be run. Under `CI=true` a missing tool fails the
/// test; elsewhere the test is skipped with a loud message on stderr.
pub fn have(tool: &str) -> bool {
    let runs = |flag: &str| {
        Command::new(tool)
            .arg(flag)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let found = runs("-version") || runs("--version");
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{tool} is required under CI=true but was not found on PATH");
        }
        eprintln!("\n!!!!!!!! SKIPPED: {tool} not found on PATH; install it (apt-get install ffmpeg) to run this test !!!!!!!!\n");
    }
    found
}

/// A fixture committed under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

/// Run a command, fail the test with its stderr when it fails, and return (stdout, stderr).
pub fn run(cmd: &mut Command) -> (String, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{cmd:?} failed: {stderr}");
    (stdout, stderr)
}

/// Frames per stream type as ffprobe decodes them: (video, audio), and
/// ffprobe's error output (empty when it found nothing wrong).
pub fn count_frames(path: &Path) -> (u64, u64, String) {
    ffprobe_count(path, "frames")
}

/// Packets per stream type as ffprobe reads them, without decoding (for
/// long files): (video, audio), and ffprobe's error output.
pub fn count_packets(path: &Path) -> (u64, u64, String) {
    ffprobe_count(path, "packets")
}

/// ffprobe `-count_{what}`, summed per stream type.
fn ffprobe_count(path: &Path, what: &str) -> (u64, u64, String) {
    let (out, err) = run(Command::new("ffprobe")
        .args([
            "-v",
            "error",
            &format!("-count_{what}"),
            "-show_entries",
            &format!("stream=index,codec_type,nb_read_{what}"),
            "-of",
            "compact",
        ])
        .arg(path));
    // For HLS input ffprobe lists each stream twice (in the program and in
    // the stream list): count each stream index once.
    let mut streams = std::collections::BTreeMap::new();
    let count_field = format!("nb_read_{what}=");
    for line in out.lines() {
        let field = |name: &str| {
            line.split('|')
                .find_map(|f| f.strip_prefix(name))
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        let n: u64 = field(&count_field).parse().unwrap_or(0);
        streams.insert(field("index="), (field("codec_type="), n));
    }
    let sum = |kind: &str| {
        streams
            .values()
            .filter(|(k, _)| k == kind)
            .map(|(_, n)| n)
            .sum()
    };
    (sum("video"), sum("audio"), err)
}

/// Video packets of a file as ffprobe sees them: (pts seconds, duration seconds, keyframe).
pub fn video_packets(path: &Path) -> Vec<(f64, f64, bool)> {
    let (out, _) = run(Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v",
            "-show_entries",
            "packet=pts_time,duration_time,flags",
            "-of",
            "csv=p=0",
        ])
        .arg(path));
    out.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((
                f.first()?.parse().ok()?,
                f.get(1)?.parse().unwrap_or(0.0),
                f.get(2)?.contains('K'),
            ))
        })
        .collect()
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

/// A program installed with `cargo install`, found on PATH or in
/// `$CARGO_HOME/bin` (`~/.cargo/bin`). Like [`have`]: under `CI=true` a
/// missing program fails the test, elsewhere the test is skipped loudly.
pub fn cargo_installed(tool: &str, install: &str) -> Option<PathBuf> {
    let runs = |program: &Path| {
        Command::new(program)
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .map(|home| home.join("bin").join(tool));
    let found = std::iter::once(PathBuf::from(tool))
        .chain(cargo_bin)
        .find(|p| runs(p));
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{tool} is required under CI=true but was found neither on PATH nor in ~/.cargo/bin; install it: {install}");
        }
        eprintln!("\n!!!!!!!! SKIPPED: {tool} not found on PATH or in ~/.cargo/bin; install it ({install}) to run this test !!!!!!!!\n");
    }
    found
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
