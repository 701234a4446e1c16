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
