//! Small file-system helpers shared by the examples.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Write `data` to `path` atomically: a temporary file in the same
/// directory, then a rename, so a reader (a player polling a playlist) never
/// sees a half-written file.
///
/// On Linux an existing `path` is swapped with the temporary file
/// (`RENAME_EXCHANGE`) and the old version, now under the temporary name,
/// unlinked: for a reader the same as a rename over it, but ext4 does not
/// start writing the new file out at once as it does on a rename over an
/// existing file (`auto_da_alloc`), so a version replaced before the
/// kernel's writeback comes is never written to disk, nor its blocks
/// allocated and discarded again. For a playlist rewritten after every
/// segment that was about a tenth of flv2hls's CPU time on ext4. No
/// version is flushed either way (nothing here calls fsync): after a crash
/// the file may be empty, where ext4 with that heuristic would most likely
/// have kept the previous version.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = fs::File::create(&tmp)?;
    file.write_all(data)?;
    drop(file);
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        use rustix::io::Errno;
        match renameat_with(CWD, &tmp, CWD, path, RenameFlags::EXCHANGE) {
            Ok(()) => return fs::remove_file(&tmp),
            // No `path` yet (the first version), or a file system without
            // the exchange: a plain rename.
            Err(Errno::NOENT | Errno::INVAL | Errno::NOSYS) => {}
            Err(e) => return Err(e.into()),
        }
    }
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

/// Write every chunk, in order, to `out`, with as few system calls as
/// possible: vectored writes of up to [`WRITE_BATCH`] chunks each. One large
/// write also lets the kernel put the bytes in large page-cache folios,
/// where a write per chunk splits them at every unaligned chunk end.
pub fn write_all_chunks(out: &mut impl Write, chunks: &[impl AsRef<[u8]>]) -> io::Result<()> {
    // Chunk `index` from byte `offset` on is what is left to write.
    let (mut index, mut offset) = (0, 0);
    loop {
        // Empty chunks would make an empty write, which says nothing.
        while chunks
            .get(index)
            .is_some_and(|c| c.as_ref().len() == offset)
        {
            (index, offset) = (index + 1, 0);
        }
        if index == chunks.len() {
            return Ok(());
        }
        let mut slices = [io::IoSlice::new(&[]); WRITE_BATCH];
        let mut count = 0;
        for (slice, chunk) in slices.iter_mut().zip(&chunks[index..]) {
            let data = chunk.as_ref();
            *slice = io::IoSlice::new(if count == 0 { &data[offset..] } else { data });
            count += 1;
        }
        let mut written = match out.write_vectored(&slices[..count]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // Move past what was written (a short write may end mid-chunk).
        while written > 0 {
            let left = chunks[index].as_ref().len() - offset;
            if written < left {
                offset += written;
                break;
            }
            written -= left;
            (index, offset) = (index + 1, 0);
        }
    }
}

/// Chunks handed to one vectored write (Linux takes up to 1024).
pub const WRITE_BATCH: usize = 64;

/// Whether `dir` is on a file system held in memory (tmpfs, ramfs), where
/// writes, fsyncs and renames never wait for a device. False when it
/// cannot tell (another OS, `statfs` failing).
pub fn in_memory(dir: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        // statfs(2)'s f_type magic numbers (linux/magic.h); 32-bit values
        // in a field whose width varies by architecture.
        const TMPFS_MAGIC: u32 = 0x0102_1994;
        const RAMFS_MAGIC: u32 = 0x8584_58f6;
        if let Ok(s) = rustix::fs::statfs(dir) {
            return matches!(s.f_type as u32, TMPFS_MAGIC | RAMFS_MAGIC);
        }
    }
    let _ = dir;
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes at most `max` bytes a call, from at most `slices` slices.
    struct Short {
        out: Vec<u8>,
        max: usize,
        slices: usize,
        calls: usize,
    }

    impl Write for Short {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.write_vectored(&[io::IoSlice::new(buf)])
        }

        fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
            self.calls += 1;
            let mut n = 0;
            for buf in bufs.iter().take(self.slices) {
                let take = buf.len().min(self.max - n);
                self.out.extend_from_slice(&buf[..take]);
                n += take;
            }
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn chunks_are_written_whole_and_in_order_through_short_writes() {
        let chunks: Vec<Vec<u8>> = (0..200u8)
            .map(|i| vec![i; usize::from(i % 7) * 3])
            .collect();
        let all: Vec<u8> = chunks.concat();
        for max in [1, 2, 5, 64, 1 << 20] {
            let mut short = Short {
                out: Vec::new(),
                max,
                slices: 2,
                calls: 0,
            };
            write_all_chunks(&mut short, &chunks).unwrap();
            assert_eq!(short.out, all, "max {max}");
        }
        // Big enough writes: one call per batch of chunks.
        let mut once = Short {
            out: Vec::new(),
            max: usize::MAX,
            slices: usize::MAX,
            calls: 0,
        };
        let big = vec![vec![1u8; 10]; WRITE_BATCH + 1];
        write_all_chunks(&mut once, &big).unwrap();
        assert_eq!(once.calls, 2);
        // Nothing to write: no call at all.
        write_all_chunks(&mut once, &[Vec::<u8>::new(), Vec::new()]).unwrap();
        assert_eq!(once.calls, 2);
    }

    #[test]
    fn write_atomic_creates_then_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("playlist.m3u8");
        write_atomic(&path, b"first").unwrap();
        // A reader holding the old version keeps reading it whole.
        let mut old = fs::File::open(&path).unwrap();
        write_atomic(&path, b"second, longer").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second, longer");
        let mut kept = String::new();
        io::Read::read_to_string(&mut old, &mut kept).unwrap();
        assert_eq!(kept, "first");
        write_atomic(&path, b"3").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"3");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["playlist.m3u8"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn memory_file_systems_are_told_from_disks() {
        // /dev/shm is tmpfs on every Linux this runs on; / is not (a
        // container may put it on overlayfs, never on tmpfs).
        assert!(in_memory(Path::new("/dev/shm")));
        assert!(!in_memory(Path::new("/")));
        assert!(!in_memory(Path::new("/no/such/dir")));
    }

    #[test]
    fn a_writer_taking_nothing_is_an_error() {
        let mut stuck = Short {
            out: Vec::new(),
            max: 0,
            slices: 1,
            calls: 0,
        };
        let err = write_all_chunks(&mut stuck, &[b"abc"]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WriteZero);
    }
}
