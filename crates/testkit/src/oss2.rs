//! The oss2 Python SDK (2.19.1), which the SDK interop tests run.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::skip_or_fail;

/// The oss2 version the tests are written against.
pub const VERSION: &str = "2.19.1";

/// True when `python` imports oss2 at [`VERSION`].
fn has_oss2(python: &Path) -> bool {
    Command::new(python)
        .args([
            "-c",
            &format!("import oss2; assert oss2.__version__ == '{VERSION}'"),
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The venv the tests share: `target/oss2-venv` of the workspace.
pub fn venv_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/oss2-venv")
}

/// A Python with oss2 [`VERSION`]: `$OSS2_PYTHON` when it has it, else the
/// venv under `target/oss2-venv`, made on first use (`python3 -m venv`,
/// then `pip install oss2==2.19.1`: needs PyPI, or a pip configured to a
/// mirror). When neither works: under `CI=true` the test fails; elsewhere a
/// loud SKIPPED line is printed, `None` returned, and the caller must
/// return.
#[track_caller]
pub fn python() -> Option<PathBuf> {
    if let Some(py) = std::env::var_os("OSS2_PYTHON")
        .map(PathBuf::from)
        .filter(|p| has_oss2(p))
    {
        return Some(py);
    }
    let venv = venv_dir();
    let py = venv.join("bin/python");
    if !has_oss2(&py) {
        crate::tools::pip_install_in_venv(&venv, &format!("oss2=={VERSION}"));
    }
    if has_oss2(&py) {
        return Some(py);
    }
    skip_or_fail(&format!(
        "no python with oss2 {VERSION} (python3 -m venv {} + pip install oss2=={VERSION} failed; or set OSS2_PYTHON)",
        venv.display()
    ));
    None
}
