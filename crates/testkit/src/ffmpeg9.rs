//! FFmpeg 9, from the imageio-ffmpeg wheel (a static build), for tests that
//! need a newer ffmpeg than the system's (RTMPS with certificate checks,
//! newer codecs in FLV).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::skip_or_fail;

/// The imageio-ffmpeg release that ships FFmpeg 9.
pub const IMAGEIO_FFMPEG: &str = "0.8.1";

/// The venv the tests share: `target/ffmpeg9-venv` of the workspace.
pub fn venv_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ffmpeg9-venv")
}

/// The first line of `ffmpeg -version` when `exe` runs and is FFmpeg 9.
fn version_of(exe: &Path) -> Option<String> {
    let out = Command::new(exe).arg("-version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next()?.to_owned();
    let number = first.strip_prefix("ffmpeg version ")?;
    let number = number.strip_prefix('n').unwrap_or(number);
    (out.status.success() && number.starts_with("9.")).then_some(first)
}

/// The ffmpeg executable in the venv's imageio-ffmpeg, if it is there.
fn from_venv(python: &Path) -> Option<PathBuf> {
    let out = Command::new(python)
        .args([
            "-c",
            "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())",
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Where FFmpeg 9 is, found once per test binary.
fn find() -> Option<PathBuf> {
    if let Some(exe) = std::env::var_os("FFMPEG9").map(PathBuf::from) {
        if version_of(&exe).is_some() {
            return Some(exe);
        }
    }
    let venv = venv_dir();
    let python = venv.join("bin/python");
    if let Some(exe) = from_venv(&python).filter(|e| version_of(e).is_some()) {
        return Some(exe);
    }
    crate::tools::pip_install_in_venv(&venv, &format!("imageio-ffmpeg=={IMAGEIO_FFMPEG}"));
    from_venv(&python).filter(|e| version_of(e).is_some())
}

/// An FFmpeg 9 executable: `$FFMPEG9` when it is one, else the one of
/// imageio-ffmpeg [`IMAGEIO_FFMPEG`] in the venv under
/// `target/ffmpeg9-venv`, made on first use (`python3 -m venv`, then `pip
/// install imageio-ffmpeg==0.8.1`: needs PyPI, or a pip configured to a
/// mirror). When neither works: under `CI=true` the test fails; elsewhere
/// a loud SKIPPED line is printed, `None` returned, and the caller must
/// return.
#[track_caller]
pub fn exe() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    let found = FOUND.get_or_init(find).clone();
    if found.is_none() {
        skip_or_fail(&format!(
            "no FFmpeg 9 (python3 -m venv {} + pip install imageio-ffmpeg=={IMAGEIO_FFMPEG} failed; or set FFMPEG9 to an ffmpeg 9 executable)",
            venv_dir().display()
        ));
    }
    found
}

/// The first line of `exe -version`, e.g. `ffmpeg version n9.0.2-...`, for
/// a test's log.
pub fn version(exe: &Path) -> String {
    version_of(exe).unwrap_or_default()
}
