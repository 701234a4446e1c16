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

/// Write `chunks` one after the other into a new file at `path`.
pub fn write_chunks(path: &Path, chunks: &[impl AsRef<[u8]>]) -> io::Result<()> {
    let mut file = fs::File::create(path)?;
    write_all_chunks(&mut file, chunks)
}

/// Write every chunk, in order, to `out`.
pub fn write_all_chunks(out: &mut impl Write, chunks: &[impl AsRef<[u8]>]) -> io::Result<()> {
    for chunk in chunks {
        out.write_all(chunk.as_ref())?;
    }
    Ok(())
}
