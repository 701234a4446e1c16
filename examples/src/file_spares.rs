//! The file store's spare files: the files of deleted segments, kept a
//! short while for new uploads to write over instead of making new files.
//!
//! Why: on tmpfs (and in any page cache) a write into a new file has the
//! kernel allocate, zero and account a fresh page for every 4 KiB, and the
//! unlink of an old one frees them all again. Writing over a file whose
//! pages are still allocated costs only the copy. Measured on the bench
//! machine (AMD EPYC, Linux 6.18, /dev/shm; `benches/tmpfs-reuse.py`): a
//! 750 KB segment written in 64 KiB `pwrite`s took 221–225 µs of CPU as a
//! new file (plus 90 µs for its unlink later) and 82–83 µs over a spare,
//! the renames included. A live channel whose old segments are deleted
//! (`--segment-retention`) writes each new segment over the file of one
//! deleted a moment before.
//!
//! What it costs:
//! - Memory: a deleted segment's pages are freed when a new segment has
//!   written over them, or at most [`MAX_AGE`] later than without reuse
//!   (a sweeper thread removes older spares, also when the server is
//!   idle). A segment is deleted when its stream ends a later one, and
//!   the stream's next segment begins at once (its keyframe fills a
//!   chunk), before [`MIN_AGE`]: it takes a spare another stream left
//!   earlier. When all streams' keyframes line up (a load generator's
//!   do), each new segment takes the spare of one deleted a segment
//!   earlier, and the pool holds about one segment per stream.
//! - A reader that opened a segment before its delete and is still
//!   reading it [`MIN_AGE`] later can see it overwritten. The file store's
//!   own reads check the file is unchanged after reading it and answer "no
//!   such key" when it is not (the key was deleted meanwhile). Another
//!   process reading the store's directory (a web server sending the files)
//!   gets no such check: turn reuse off for it
//!   ([`FileOptions::reuse_deleted`](crate::file_store::FileOptions)).
//!
//! Spares live in the process's upload directory, so a process that dies
//! leaves none behind ([`Uploads::open`](crate::file_uploads::Uploads)
//! removes them with the rest).

use std::collections::VecDeque;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A deleted file is a spare only from this size on: a smaller one has
/// too few pages to be worth the two renames (playlists, index entries).
pub(crate) const MIN_BYTES: u64 = 64 * 1024;

/// How long a spare waits before it is written over: longer than any of
/// the store's own reads of one object takes, which then find it changed.
pub(crate) const MIN_AGE: Duration = Duration::from_millis(100);

/// A spare unused this long is removed: a delete frees its memory at
/// most this much later than without reuse (plus [`SWEEP`]).
pub(crate) const MAX_AGE: Duration = Duration::from_secs(5);

/// The most spares kept; more deletes remove their files. Higher than a
/// server's streams ending segments together (keyframes aligned) would
/// retire at once: then each of their next segments finds one.
pub(crate) const MAX_SPARES: usize = 16_384;

/// How often a store's sweeper thread removes spares past [`MAX_AGE`]
/// (there may be no delete or upload to do it: an idle server).
const SWEEP: Duration = Duration::from_secs(1);

/// The pool: spare files, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Spares {
    files: Mutex<VecDeque<(PathBuf, Instant)>>,
}

impl Spares {
    /// Delete the file at `path` by moving it to `spare` (a free name in
    /// the upload directory) when it is large enough, else remove it.
    /// Fails as `remove_file` would (NotFound when there is no file).
    pub(crate) fn retire(&self, path: &Path, spare: PathBuf) -> io::Result<()> {
        let m = fs::symlink_metadata(path)?;
        if !m.is_file() || m.len() < MIN_BYTES {
            return fs::remove_file(path);
        }
        fs::rename(path, &spare)?;
        self.lock().push_back((spare, Instant::now()));
        self.expire();
        Ok(())
    }

    /// Remove the spares past [`MAX_AGE`] or beyond [`MAX_SPARES`].
    fn expire(&self) {
        let now = Instant::now();
        let mut expired = Vec::new();
        {
            let mut files = self.lock();
            while let Some((_, at)) = files.front() {
                if files.len() <= MAX_SPARES && now.duration_since(*at) < MAX_AGE {
                    break;
                }
                expired.extend(files.pop_front().map(|(p, _)| p));
            }
        }
        // Outside the lock: an unlink of a large file frees its pages.
        for p in expired {
            let _ = fs::remove_file(p);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(PathBuf, Instant)>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A pool whose spares a thread of its own removes once past
    /// [`MAX_AGE`], until the pool is dropped (with its spares).
    pub(crate) fn swept() -> Arc<Spares> {
        let spares = Arc::new(Spares::default());
        let weak = Arc::downgrade(&spares);
        let sweeper = std::thread::Builder::new()
            .name("spare-sweeper".into())
            .spawn(move || loop {
                std::thread::sleep(SWEEP);
                match weak.upgrade() {
                    Some(spares) => spares.expire(),
                    None => return,
                }
            });
        // Without the thread, spares still expire as deletes come.
        drop(sweeper);
        spares
    }

    /// A spare renamed to `tmp` and opened for writing over, if one has
    /// waited [`MIN_AGE`]. Its old bytes are still there: the caller
    /// writes from offset 0 and sets the length when done.
    pub(crate) fn take(&self, tmp: &Path) -> Option<fs::File> {
        let now = Instant::now();
        let spare = {
            let mut files = self.lock();
            match files.front() {
                Some((_, at)) if now.duration_since(*at) >= MIN_AGE => files.pop_front()?.0,
                _ => return None,
            }
        };
        let opened =
            fs::rename(&spare, tmp).and_then(|()| fs::OpenOptions::new().write(true).open(tmp));
        match opened {
            Ok(file) => Some(file),
            Err(_) => {
                // Whichever name it has now; the caller makes a new file.
                let _ = fs::remove_file(&spare);
                let _ = fs::remove_file(tmp);
                None
            }
        }
    }

    /// How many spares the pool holds (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

impl Spares {
    /// Remove every spare.
    pub(crate) fn clear(&self) {
        let files: Vec<_> = self.lock().drain(..).collect();
        for (p, _) in files {
            let _ = fs::remove_file(p);
        }
    }
}

impl Drop for Spares {
    /// The store is closed: its spares are of no more use.
    fn drop(&mut self) {
        self.clear();
    }
}
