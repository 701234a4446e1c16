//! The file store's temporary files: an object written piece by piece (an
//! upload), or at once (a put), goes to a temporary file, and is renamed
//! (or, for a create-only put, linked) over its key when complete.
//!
//! The temporary files live in a directory of their own for each process,
//! `ROOT/.tmp-uploads/PID-NANOS/`, with a `lock` file the process holds an
//! exclusive `flock` on. A process that dies (even `kill -9`) loses its
//! lock, so the next [`Uploads::open`] on the same root finds the
//! directory unlocked and removes it with whatever half-written segments
//! it held: they were never visible, and no playlist names them. Several
//! live processes may share a root; each cleans only dead ones' files.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use crate::file_spares::Spares;

/// The directory below the root where temporary files are written (its
/// name is one the store refuses as a key and hides from listings).
const UPLOADS_DIR: &str = ".tmp-uploads";

/// This process's upload directory.
#[derive(Debug)]
pub(crate) struct Uploads {
    dir: PathBuf,
    counter: AtomicU64,
    /// Files of deleted objects to write over; None: deletes remove them.
    spares: Option<Arc<Spares>>,
    /// Held open (and locked) for the life of the store.
    _lock: fs::File,
}

impl Uploads {
    /// Remove the upload directories of processes that died, then make this one's.
    /// With `reuse_deleted`, [`delete`](Self::delete) keeps large files as
    /// spares for new uploads to write over (`file_spares`).
    pub(crate) fn open(root: &Path, reuse_deleted: bool) -> io::Result<Uploads> {
        let base = root.join(UPLOADS_DIR);
        fs::create_dir_all(&base)?;
        for entry in fs::read_dir(&base)? {
            let dir = entry?.path();
            if is_abandoned(&dir) {
                // Best effort: another process may be cleaning it too.
                let _ = fs::remove_dir_all(&dir);
            }
        }
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // The counter keeps two stores opened in one process in the same
        // nanosecond apart.
        static OPENED: AtomicU64 = AtomicU64::new(0);
        let n = OPENED.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("{}-{nanos}-{n}", std::process::id()));
        fs::create_dir(&dir)?;
        let lock = fs::File::create(dir.join("lock"))?;
        lock.try_lock().map_err(io::Error::other)?;
        Ok(Uploads {
            dir,
            counter: AtomicU64::new(0),
            spares: reuse_deleted.then(Spares::swept),
            _lock: lock,
        })
    }

    /// An upload of an object to be stored at `path`. Its temporary file
    /// is made by the first write: beginning costs no file system call.
    pub(crate) fn begin(&self, path: PathBuf, key: &str, content_type: &str) -> FileUpload {
        FileUpload {
            file: UploadFile {
                file: Arc::new(OnceLock::new()),
                spares: self.spares.clone(),
                tmp: self.temp_path(),
                path,
                key: key.into(),
                content_type: content_type.into(),
            },
            done: false,
        }
    }

    /// A new temporary file name in this process's directory: for uploads,
    /// and for the store's whole-object puts, which are written there and
    /// renamed (or linked) into place.
    pub(crate) fn temp_path(&self) -> PathBuf {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        self.dir.join(format!("{n}.part"))
    }

    /// Delete the file at `path`: kept as a spare when reuse is on and it
    /// is large enough, else removed. Fails as `remove_file` would.
    pub(crate) fn delete(&self, path: &Path) -> io::Result<()> {
        match &self.spares {
            Some(spares) => spares.retire(path, self.temp_path()),
            None => fs::remove_file(path),
        }
    }

    /// Whether deletes keep spares ([`delete`](Self::delete)).
    pub(crate) fn reuses_deleted(&self) -> bool {
        self.spares.is_some()
    }

    /// Remove every spare now.
    pub(crate) fn remove_spares(&self) {
        if let Some(spares) = &self.spares {
            spares.clear();
        }
    }

    /// The pool of spares (for tests).
    #[cfg(test)]
    pub(crate) fn spares(&self) -> Option<&Spares> {
        self.spares.as_deref()
    }
}

/// True when no live process holds the directory's lock.
fn is_abandoned(dir: &Path) -> bool {
    match fs::File::open(dir.join("lock")) {
        Ok(lock) => lock.try_lock().is_ok(),
        // No lock file: a directory whose owner died before making it.
        Err(e) => e.kind() == io::ErrorKind::NotFound,
    }
}

/// One object being uploaded: the file store's
/// [`Uploads::State`](livechannel::store::Uploads::State). Dropped before
/// completion, it removes its temporary file.
#[derive(Debug)]
pub struct FileUpload {
    file: UploadFile,
    done: bool,
}

/// What a blocking job needs of an upload: its temporary file (made on
/// first use, shared with the [`FileUpload`]) and where it goes.
#[derive(Debug, Clone)]
pub(crate) struct UploadFile {
    file: Arc<OnceLock<Opened>>,
    /// Where its file may come from (a spare written over).
    spares: Option<Arc<Spares>>,
    tmp: PathBuf,
    path: PathBuf,
    /// The key and content type, for the object's metadata at commit.
    key: Arc<str>,
    content_type: Arc<str>,
}

impl FileUpload {
    /// The file, for a job on the blocking pool.
    pub(crate) fn file(&self) -> UploadFile {
        self.file.clone()
    }

    /// Write `data` at `offset` on this thread (see [`UploadFile::write_at`]).
    pub(crate) fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.file.write_at(offset, data)
    }

    /// The rename is done: nothing to remove on drop.
    pub(crate) fn set_done(&mut self) {
        self.done = true;
    }
}

impl UploadFile {
    /// Write `data` at `offset`: written at an offset, a retried append
    /// rewrites the same bytes.
    pub(crate) fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let f = self.open()?;
        write_all_at(&f.file, offset, data)
    }

    /// The key it goes to.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The content type given at its beginning.
    pub(crate) fn content_type(&self) -> &str {
        &self.content_type
    }

    /// Make the object visible: data on disk first (after a crash no
    /// playlist may name a segment whose bytes were lost), then
    /// `before_rename` with the temporary file (the store records the
    /// object's metadata there), then the rename over the key. Returns the
    /// key's path.
    ///
    /// `len` is the upload's size: a spare written over is cut to it.
    pub(crate) fn commit(
        &self,
        len: u64,
        before_rename: impl FnOnce(&fs::File) -> io::Result<()>,
    ) -> io::Result<&Path> {
        // An empty upload has no file yet.
        let opened = self.open()?;
        if opened.spare {
            opened.file.set_len(len)?;
        }
        opened.file.sync_data()?;
        before_rename(&opened.file)?;
        crate::fs_util::rename_making_dirs(&self.tmp, &self.path)?;
        Ok(&self.path)
    }
}

/// An upload's temporary file, open for writing.
#[derive(Debug)]
struct Opened {
    file: fs::File,
    /// A spare written over: longer than what was written until its
    /// length is set.
    spare: bool,
}

impl UploadFile {
    /// The temporary file, made on first use: a spare if the pool has one
    /// ready, else a new file. (An upload's steps take it by `&mut`, one
    /// at a time, so two threads never make it at once.)
    fn open(&self) -> io::Result<&Opened> {
        if let Some(opened) = self.file.get() {
            return Ok(opened);
        }
        let spare = self.spares.as_ref().and_then(|s| s.take(&self.tmp));
        let opened = match spare {
            Some(file) => Opened { file, spare: true },
            None => Opened {
                file: fs::File::create(&self.tmp)?,
                spare: false,
            },
        };
        Ok(self.file.get_or_init(|| opened))
    }
}

impl Drop for FileUpload {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.file.tmp);
        }
    }
}

/// One `pwrite` where there is one (a seek and a write otherwise).
#[cfg(unix)]
fn write_all_at(file: &fs::File, offset: u64, data: &[u8]) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, data, offset)
}

#[cfg(not(unix))]
fn write_all_at(mut file: &fs::File, offset: u64, data: &[u8]) -> io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(data)
}
