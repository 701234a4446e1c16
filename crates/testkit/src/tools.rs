//! External programs: is one there (the `CI=true` rule), and run one.
//!
//! The rule: a test that needs an external program must not pass silently
//! when the program is missing. Under `CI=true` that is a failure (a panic);
//! elsewhere the test is skipped with a loud `!!!!!!!! SKIPPED: ... !!!!!!!!`
//! line on stderr. Failures name the test's line (`#[track_caller]`).
//! The skip is the caller's: when [`have`] returns `false`
//! (or [`cargo_installed`] `None`), the test must return without asserting.

use std::path::{Path, PathBuf};
use std::process::Command;

/// True when the environment says this is CI (`CI=true`).
pub fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Something a test needs is missing: under `CI=true` fails the test
/// (panics with `CI=true: {why}`); elsewhere prints a loud SKIPPED line
/// with `why` on stderr and returns, and the caller must then return
/// without asserting what needed it.
#[track_caller]
pub fn skip_or_fail(why: &str) {
    assert!(!in_ci(), "CI=true: {why}");
    eprintln!("\n!!!!!!!! SKIPPED: {why} !!!!!!!!\n");
}

/// The package that installs `tool` (for the skip message).
fn package_of(tool: &str) -> &str {
    match tool {
        "ffmpeg" | "ffprobe" => "apt-get install ffmpeg",
        "gst-launch-1.0" => "apt-get install gstreamer1.0-tools",
        "chromium" => "apt-get install chromium",
        "chromedriver" => "apt-get install chromium-driver",
        other => other,
    }
}

/// True when `tool` runs (`tool -version` or `tool --version` succeeds).
/// When it does not: under `CI=true` the test fails; elsewhere a loud
/// SKIPPED line is printed and the caller must return (skip the test).
#[track_caller]
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
        skip_or_fail(&format!(
            "{tool} not found on PATH; install it ({}) to run this test",
            package_of(tool)
        ));
    }
    found
}

/// A program installed with `cargo install` (`install` says how), found on
/// PATH or in `$CARGO_HOME/bin` (`~/.cargo/bin`). Like [`have`]: when it is
/// missing, under `CI=true` the test fails; elsewhere a loud SKIPPED line is
/// printed, `None` returned, and the caller must return.
#[track_caller]
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
        skip_or_fail(&format!(
            "{tool} not found on PATH or in ~/.cargo/bin; install it ({install}) to run this test"
        ));
    }
    found
}

/// Makes the Python venv `venv` (`python3 -m venv`, nothing when it is
/// there) and pip-installs `requirement` (e.g. `oss2==2.19.1`) into it,
/// quietly. Failures are not reported: the caller checks the result.
///
/// One at a time in a process: the tests of one binary run on threads, and
/// two of them making the same venv at once broke it for one (a CI run
/// failed so). A caller that found the package missing waits here for the
/// one installing it, then finds it installed.
pub(crate) fn pip_install_in_venv(venv: &Path, requirement: &str) {
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    let _ = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(venv)
        .status();
    let _ = Command::new(venv.join("bin/pip"))
        .args(["install", "-q", requirement])
        .status();
}

/// Runs `cmd`, fails the test with its stderr when it cannot start or exits
/// unsuccessfully, and returns its (stdout, stderr). Check the program with
/// [`have`] first: `run` does not skip.
pub fn run(cmd: &mut Command) -> (String, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{cmd:?} failed: {stderr}");
    (stdout, stderr)
}
