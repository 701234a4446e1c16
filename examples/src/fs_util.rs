//! Small file-system helpers shared by the examples.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Write `data` to `path` atomically: a temporary file in the same
/// directory, then a rename, so a reader (a player polling a playlist) never
/// sees a half-written file.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = fs::File::create(&tmp)?;
    file.write_all(data)?;
    drop(file);
    fs::rename(&tmp, path)
}

/// Rename `from` to `to`, making `to`'s directory first if it is missing.
pub fn rename_making_dirs(from: &Path, to: &Path) -> io::Result<()> {
    making_dirs(to, || fs::rename(from, to))
}

/// Hard-link `from` as `to` (fails if `to` exists), making `to`'s directory
/// first if it is missing.
pub fn link_making_dirs(from: &Path, to: &Path) -> io::Result<()> {
    making_dirs(to, || fs::hard_link(from, to))
}

/// Run `place` (which puts a file at `to`); when it fails for a missing
/// directory, make `to`'s directories and run it once more. The directory
/// is nearly always there: trying first costs one system call where making
/// sure of the directory first costs two more (a mkdir and a stat) on every
/// write.
fn making_dirs(to: &Path, place: impl Fn() -> io::Result<()>) -> io::Result<()> {
    match place() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            match to.parent() {
                Some(dir) => fs::create_dir_all(dir)?,
                None => return Err(e),
            }
            place()
        }
        done => done,
    }
}

/// Write every chunk, in order, to `out`.
pub fn write_all_chunks(out: &mut impl Write, chunks: &[impl AsRef<[u8]>]) -> io::Result<()> {
    for chunk in chunks {
        out.write_all(chunk.as_ref())?;
    }
    Ok(())
}
