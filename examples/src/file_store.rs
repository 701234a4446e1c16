//! `file://DIR`: an [`ObjectStore`] on the local file system.
//!
//! - Temporary files go to this process's directory
//!   `ROOT/.tmp-uploads/PID-.../`, locked with `flock` while the process
//!   lives; opening the store removes the directories of processes that
//!   died, with whatever half-written objects they held.
//! - A put writes a temporary file, fsyncs it and renames it over the key,
//!   so a reader (or a crash) sees the old object or the new one, never a
//!   mix.
//! - An upload (`begin_upload`, `append`, `complete_upload`: how ingest
//!   stores a segment while it is made) does the same, the temporary file
//!   growing with each append.
//! - A delete of a file of 64 KiB or more (a segment) moves it among this
//!   process's temporary files as a *spare*, which the next upload writes
//!   over instead of making a new file (on tmpfs a third of the cost; see
//!   `file_spares`, and [`FileOptions::reuse_deleted`] to turn it off). A
//!   read checks the file did not change while it read, and finds no
//!   object when it did.
//! - `put_if_absent` writes the temporary file completely, then hard-links
//!   it to the key: the link fails if the key exists, so the lease object
//!   appears atomically with its content.
//! - **Metadata.** The content type given at put time and the ETag (the
//!   upper-hex MD5 of the bytes, as every store gives it) are kept in a
//!   sidecar file, `ROOT/.tmp-meta/KEY`, a small JSON document written
//!   (and renamed into place) just before the object's own rename. The
//!   sidecar names the file it describes by its identity (inode, size,
//!   modification time): a reader that finds no sidecar, or one written
//!   for another file (a crash between the two renames, a put racing the
//!   read, a file from an older version or copied in by hand), falls back
//!   to hashing the file and to the type its extension gives (`.ts`,
//!   `.m3u8`, `.json`, ...). So the sidecars are a cache checked before
//!   it is believed: they are written without fsync, and removing
//!   `.tmp-meta` costs only that hashing (a reader that hashes writes the sidecar it
//!   missed). A small object (at most [`SMALL_OBJECT`] bytes: playlists,
//!   the VOD index's entries) whose type is its extension's gets no
//!   sidecar at all: the fallback tells the same, hashing it costs less
//!   than reading a sidecar would, and a live channel rewrites its
//!   playlist with every segment (a sidecar doubled the files written and
//!   renamed). Nor does an uploaded segment when it is stored: its ETag is
//!   left to its first reader (who writes the sidecar then) and its type
//!   is its extension's. Why a sidecar rather than extended attributes:
//!   xattrs need `unsafe` system calls (this crate forbids them), are not
//!   kept by every file system (tmpfs before Linux 6.6, some NFS and
//!   overlay setups) and are lost by common copy tools.
//!   `put_if_absent` writes its sidecar after the link (before it, a
//!   losing writer would overwrite the winner's), so a reader between the
//!   two takes the fallback.
//!
//! Keys map to paths below the root; keys are checked by the callers
//! (livechannel refuses `..`, a leading `/` and NUL) and again here.

use std::fs;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use livechannel::store::{
    clamp_range, etag, etag_of_chunks, BoxFuture, Durability, ETag, EtagHasher, ListPage, Object,
    ObjectMeta, ObjectStore, StoreError, Upload, Write, WritesFailed,
};

pub use crate::file_uploads::FileUpload;
use crate::file_uploads::{UploadFile, Uploads};
use crate::fs_util::{link_making_dirs, rename_making_dirs};

/// Objects as files below a root directory. Cloning is cheap (shared state).
#[derive(Debug, Clone)]
pub struct FileStore {
    inner: Arc<Files>,
}

#[derive(Debug)]
struct Files {
    root: PathBuf,
    /// Where temporary files go, puts' and uploads' alike.
    uploads: Uploads,
    appends: Appends,
    /// Small jobs run on the calling thread (`SmallJobs`, resolved).
    small_jobs_inline: bool,
}

/// Where [`Uploads::append`](livechannel::store::Uploads::append) writes.
///
/// An append is a `pwrite` of one chunk (64 KiB by default) into the
/// upload's temporary file: on tmpfs or a disk with room in the page cache
/// it copies into memory and returns within microseconds, less than the
/// hand-off to a blocking thread costs (a fifth of the server's CPU at
/// 64 KiB chunks, when appends went through the blocking pool). It can
/// block where the kernel throttles writers of dirty pages (a disk slower
/// than the ingest rate): there, `Blocking` keeps the runtime's thread
/// reading publishers. Completion (fsync, rename) runs where
/// [`SmallJobs`] says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Appends {
    /// On the calling (runtime) thread.
    #[default]
    Inline,
    /// On tokio's blocking pool.
    Blocking,
}

/// Where the store runs its small jobs: the end of a segment (its
/// last chunk, fsync and rename, its VOD index entry, the playlist: one
/// [`Uploads::write_in_order`](livechannel::store::Uploads::write_in_order)
/// call) and puts, of at most [`SMALL_JOB`] bytes each, gets and heads of
/// objects of at most [`SMALL_READ`] bytes, deletes and listings.
///
/// On tmpfs such a job is a few system calls that copy into memory; no
/// fsync or rename there waits for a device, and handing the job to a
/// blocking thread and back costs more than the job (4-7 % of the
/// server's CPU at 800 streams: a futex wake and two context switches per
/// segment and per lease renewal). On a disk an fsync can take
/// milliseconds, which must not hold the thread that reads the
/// publishers. Larger jobs and reads always run on the blocking pool;
/// inline, a listing of a very large directory holds the thread while it
/// reads it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SmallJobs {
    /// Inline when the store's directory is on a memory file system
    /// (tmpfs, ramfs), on the blocking pool elsewhere.
    #[default]
    Auto,
    /// On the calling (runtime) thread.
    Inline,
    /// On tokio's blocking pool.
    Blocking,
}

/// The largest job [`SmallJobs`] lets run inline, in bytes written.
pub const SMALL_JOB: usize = 1 << 20;

/// The largest object [`SmallJobs`] lets a get read inline (records,
/// leases, playlists; segments are larger), in bytes.
pub const SMALL_READ: u64 = 64 * 1024;

/// How a [`FileStore`] runs its file operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileOptions {
    /// Where appends run.
    pub appends: Appends,
    /// Where small jobs (segment ends, small puts and reads) run.
    pub small_jobs: SmallJobs,
    /// Keep the files of deleted objects of 64 KiB and more (segments) up
    /// to 5 s, for new segments to be written over instead of into new
    /// files: on tmpfs writing a segment then costs about a third of the
    /// CPU (no page allocated per 4 KiB, no unlink to free them). The
    /// store's own reads are safe from it; another process reading the
    /// directory is not (see the module `file_spares`). Default on.
    pub reuse_deleted: bool,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            appends: Appends::default(),
            small_jobs: SmallJobs::default(),
            reuse_deleted: true,
        }
    }
}

impl FileStore {
    /// A store rooted at `root` (created if missing), with the default
    /// [`FileOptions`]: appends inline, small jobs inline on tmpfs.
    pub fn open(root: impl Into<PathBuf>) -> io::Result<FileStore> {
        Self::open_with(root, FileOptions::default())
    }

    /// A store rooted at `root` (created if missing), running its file
    /// operations as `options` say.
    pub fn open_with(root: impl Into<PathBuf>, options: FileOptions) -> io::Result<FileStore> {
        let root = root.into();
        fs::create_dir_all(&root)?;
        let uploads = Uploads::open(&root, options.reuse_deleted)?;
        let small_jobs_inline = match options.small_jobs {
            SmallJobs::Auto => crate::fs_util::in_memory(&root),
            SmallJobs::Inline => true,
            SmallJobs::Blocking => false,
        };
        Ok(FileStore {
            inner: Arc::new(Files {
                root,
                uploads,
                appends: options.appends,
                small_jobs_inline,
            }),
        })
    }

    /// Remove the files of deleted segments kept for reuse
    /// ([`FileOptions::reuse_deleted`]), at once rather than within their
    /// few seconds: call it when the server stops. (A store that is
    /// dropped removes them too.)
    pub fn remove_spares(&self) {
        self.inner.uploads.remove_spares();
    }

    /// Whether small jobs run on the calling thread ([`SmallJobs`]).
    pub fn small_jobs_inline(&self) -> bool {
        self.inner.small_jobs_inline
    }
}

impl Files {
    fn path(&self, key: &str) -> Result<PathBuf, StoreError> {
        let bad = key.is_empty()
            || key.starts_with('/')
            || key.contains('\0')
            || key
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == ".." || s.starts_with(".tmp-"));
        if bad {
            return Err(StoreError::Backend(format!(
                "key {key:?} cannot be stored as a file"
            )));
        }
        Ok(self.root.join(key))
    }

    /// Write `chunks` to a new temporary file; returns its path and the
    /// file, still open (its metadata is then an `fstat`, not a lookup).
    fn write_tmp(
        &self,
        chunks: &[impl AsRef<[u8]>],
        durability: Durability,
    ) -> io::Result<(PathBuf, fs::File)> {
        let tmp = self.uploads.temp_path();
        let mut file = fs::File::create(&tmp)?;
        crate::fs_util::write_all_chunks(&mut file, chunks)?;
        // The data must be on disk before the rename makes it visible: after
        // a crash no playlist may name a segment whose bytes were lost. (An
        // empty file, a VOD index entry, has no data to lose; an eventual
        // put, the live playlist, is not waited for.)
        let has_data = chunks.iter().any(|c| !c.as_ref().is_empty());
        if has_data && durability == Durability::Durable {
            file.sync_data()?;
        }
        Ok((tmp, file))
    }

    /// Where the sidecar of `key` goes.
    fn sidecar_path(&self, key: &str) -> PathBuf {
        self.root.join(META_DIR).join(key)
    }

    /// Record `etag` (when known) and `content_type` for the file `file`
    /// (about to be placed at `key`). Best effort: without a sidecar, or
    /// without an ETag in it, readers hash. Nothing is written when the
    /// fallback tells the same ([`needs_sidecar`]).
    fn write_sidecar(
        &self,
        key: &str,
        file: &fs::Metadata,
        etag: Option<ETag>,
        content_type: &str,
    ) {
        if !needs_sidecar(key, file.len(), content_type) {
            return;
        }
        let sidecar = Sidecar {
            file: FileId::of(file),
            etag: etag.map(|e| e.as_str().to_owned()),
            content_type: content_type.to_owned(),
        };
        let tmp = self.uploads.temp_path();
        let written = serde_json::to_vec(&sidecar)
            .map_err(io::Error::other)
            .and_then(|json| fs::write(&tmp, json))
            .and_then(|()| rename_making_dirs(&tmp, &self.sidecar_path(key)));
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }

    /// The ETag and content type of `file`, opened at `key`: from its
    /// sidecar when that describes this very file, else worked out.
    fn describe(&self, key: &str, file: &fs::File, m: &fs::Metadata) -> io::Result<(ETag, String)> {
        let sidecar = fs::read(self.sidecar_path(key))
            .ok()
            .and_then(|json| serde_json::from_slice::<Sidecar>(&json).ok())
            .filter(|s| s.file == FileId::of(m));
        let content_type = match sidecar {
            Some(Sidecar {
                etag: Some(etag),
                content_type,
                ..
            }) => return Ok((ETag::parse(&etag), content_type)),
            Some(s) => s.content_type,
            None => type_by_extension(key).to_owned(),
        };
        let etag = hash_file(file)?;
        // The next reader need not hash again. Racing a put, this may
        // describe the file the put replaces: the put's file then has no
        // matching sidecar, and its readers hash it (and heal it) in turn.
        self.write_sidecar(key, m, Some(etag.clone()), &content_type);
        Ok((etag, content_type))
    }

    fn put_sync(
        &self,
        key: &str,
        chunks: &[impl AsRef<[u8]>],
        content_type: &str,
    ) -> Result<ObjectMeta, StoreError> {
        let etag = etag_of_chunks(chunks);
        let file = self.put_file(key, chunks, content_type, Durability::Durable, Some(&etag))?;
        // Described from what was written, not read back: the file renamed
        // into place is this one (were it replaced since, this put's answer
        // is still this put's object), and reading it back cost an open,
        // two stats and the sidecar's read: a third of a lease renewal.
        let m = file.metadata().map_err(backend)?;
        Ok(object_meta(key, &m, etag, content_type.to_owned()))
    }

    /// A put, hashing its bytes only if a sidecar needs the ETag (`etag`
    /// when the caller has it); returns the stored file, open.
    fn put_file(
        &self,
        key: &str,
        chunks: &[impl AsRef<[u8]>],
        content_type: &str,
        durability: Durability,
        etag: Option<&ETag>,
    ) -> Result<fs::File, StoreError> {
        let path = self.path(key)?;
        let (tmp, file) = self.write_tmp(chunks, durability).map_err(backend)?;
        // Asked here as well as in write_sidecar: a put that needs none
        // (a live playlist, every segment) spares the stat of its file.
        let len = chunks.iter().map(|c| c.as_ref().len() as u64).sum();
        if needs_sidecar(key, len, content_type) {
            if let Ok(m) = file.metadata() {
                let etag = etag.cloned().unwrap_or_else(|| etag_of_chunks(chunks));
                self.write_sidecar(key, &m, Some(etag), content_type);
            }
        }
        if let Err(e) = rename_making_dirs(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return Err(backend(e));
        }
        Ok(file)
    }

    /// [`Uploads::write_in_order`](livechannel::store::Uploads::write_in_order)
    /// in one blocking job. `upload` is the upload's file and size.
    fn write_in_order_sync(
        &self,
        upload: Option<(UploadFile, u64)>,
        writes: &[Write],
    ) -> WritesDone {
        let mut outcome = WritesDone {
            appended: 0,
            completed: false,
            result: Ok(()),
        };
        for (done, write) in writes.iter().enumerate() {
            let result = match write {
                Write::Put(put) => self
                    .put_file(
                        &put.key,
                        &put.chunks,
                        &put.content_type,
                        put.durability,
                        None,
                    )
                    .map(drop),
                Write::Append(data) => ours(&upload).and_then(|(file, size)| {
                    file.write_at(size + outcome.appended, data)
                        .map_err(backend)?;
                    outcome.appended += data.len() as u64;
                    Ok(())
                }),
                Write::Complete => ours(&upload).and_then(|(file, size)| {
                    self.commit(file, size + outcome.appended)?;
                    outcome.completed = true;
                    Ok(())
                }),
            };
            if let Err(error) = result {
                outcome.result = Err(WritesFailed { done, error });
                break;
            }
        }
        outcome
    }

    /// Make an upload visible, its content type recorded first. Its ETag
    /// is worked out by the first reader that asks (and kept): hashing
    /// every segment as it is stored cost 30 % of the server's CPU at 50
    /// streams, and a segment nobody plays is never asked for one.
    fn commit<'f>(&self, file: &'f UploadFile, len: u64) -> Result<&'f Path, StoreError> {
        let (key, content_type) = (file.key(), file.content_type());
        file.commit(len, |tmp| {
            // Without an ETag a sidecar holds only the type: when that is
            // the extension's (a segment's is), the fallback tells as much,
            // and skipping it spares every segment a stat, a write and a
            // rename (a fifth of a segment's file system calls).
            if content_type != type_by_extension(key) {
                self.write_sidecar(key, &tmp.metadata()?, None, content_type);
            }
            Ok(())
        })
        .map_err(backend)
    }

    fn put_if_absent_sync(
        &self,
        key: &str,
        data: &[u8],
        content_type: &str,
    ) -> Result<Option<ObjectMeta>, StoreError> {
        let path = self.path(key)?;
        let (tmp, file) = self
            .write_tmp(&[data], Durability::Durable)
            .map_err(backend)?;
        let linked = link_making_dirs(&tmp, &path).and_then(|()| file.metadata());
        let etag = etag(data);
        if let Ok(m) = &linked {
            self.write_sidecar(key, m, Some(etag.clone()), content_type);
        }
        let _ = fs::remove_file(&tmp);
        match linked {
            // As a put's: described from what was written, not read back.
            Ok(m) => Ok(Some(object_meta(key, &m, etag, content_type.to_owned()))),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    fn meta(&self, key: &str, path: &Path) -> Result<ObjectMeta, StoreError> {
        let file = fs::File::open(path).map_err(|e| not_found(key, e))?;
        self.meta_of(key, &file)
    }

    /// The metadata of `file`, opened at `key`: what is read from it
    /// afterwards is what the metadata describes, whatever renames follow.
    fn meta_of(&self, key: &str, file: &fs::File) -> Result<ObjectMeta, StoreError> {
        let m = stat_object(key, file)?;
        self.meta_with(key, file, &m)
    }

    /// [`meta_of`](Self::meta_of) with the file's metadata at hand.
    fn meta_with(
        &self,
        key: &str,
        file: &fs::File,
        m: &fs::Metadata,
    ) -> Result<ObjectMeta, StoreError> {
        let (etag, content_type) = self.describe(key, file, m).map_err(backend)?;
        Ok(object_meta(key, m, etag, content_type))
    }

    /// The file at `key`, opened, and its metadata.
    fn open_object(&self, key: &str) -> Result<(fs::File, fs::Metadata), StoreError> {
        let path = self.path(key)?;
        let file = fs::File::open(&path).map_err(|e| not_found(key, e))?;
        let m = stat_object(key, &file)?;
        Ok((file, m))
    }

    /// Read `range` of `file`, opened at `key` (metadata `m`).
    fn read_object(
        &self,
        key: &str,
        mut file: fs::File,
        m: &fs::Metadata,
        range: Option<Range<u64>>,
    ) -> Result<Object, StoreError> {
        let meta = self.meta_with(key, &file, m)?;
        let (data, range) = match range {
            None => {
                file.seek(SeekFrom::Start(0)).map_err(backend)?;
                let mut data = Vec::with_capacity(meta.size as usize);
                file.read_to_end(&mut data).map_err(backend)?;
                (data, None)
            }
            Some(r) => {
                let r = clamp_range(key, r, meta.size)?;
                file.seek(SeekFrom::Start(r.start)).map_err(backend)?;
                let mut data = vec![0; (r.end - r.start) as usize];
                file.read_exact(&mut data).map_err(backend)?;
                (data, Some(r))
            }
        };
        // A delete during the read may have made the file a spare and a
        // new segment written over it (`file_spares`): then what was read
        // is not the object, which is gone. (Without spares an opened
        // file never changes: puts replace the key with another file.)
        if self.uploads.reuses_deleted() && FileId::of(&stat_object(key, &file)?) != FileId::of(m) {
            return Err(StoreError::NotFound {
                key: key.to_owned(),
            });
        }
        Ok(Object {
            meta,
            data: Bytes::from(data),
            range,
        })
    }

    fn delete_sync(&self, key: &str) -> Result<(), StoreError> {
        match self.uploads.delete(&self.path(key)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(backend(e)),
            _ => {
                // After the object: a sidecar without its file is harmless.
                let _ = fs::remove_file(self.sidecar_path(key));
                Ok(())
            }
        }
    }

    fn list_sync(
        &self,
        prefix: &str,
        marker: &str,
        max_keys: usize,
    ) -> Result<ListPage, StoreError> {
        // Walk only the directory the prefix names, in sorted order.
        let dir_part = prefix.rfind('/').map_or("", |i| &prefix[..i]);
        let mut keys = Vec::new();
        let start = if dir_part.is_empty() {
            self.root.clone()
        } else {
            self.root.join(dir_part)
        };
        walk(&start, dir_part, &mut keys).map_err(backend)?;
        keys.sort_unstable();
        let mut page = ListPage::default();
        for key in keys
            .into_iter()
            .filter(|k| k.starts_with(prefix) && k.as_str() > marker)
        {
            if page.objects.len() == max_keys {
                page.truncated = true;
                break;
            }
            let path = self.root.join(&key);
            if let Ok(meta) = self.meta(&key, &path) {
                page.objects.push(meta);
            }
        }
        Ok(page)
    }
}

fn walk(dir: &Path, key_prefix: &str, out: &mut Vec<String>) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if name.starts_with(".tmp-") {
            continue;
        }
        let key = if key_prefix.is_empty() {
            name
        } else {
            format!("{key_prefix}/{name}")
        };
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), &key, out)?;
        } else {
            out.push(key);
        }
    }
    Ok(())
}

/// The largest object that goes without a sidecar when its type is its
/// extension's: hashing this much on a read costs less than opening and
/// parsing a sidecar.
pub const SMALL_OBJECT: u64 = 16 * 1024;

/// Whether an object of `len` bytes at `key` with `content_type` needs a
/// sidecar: when its type is not its extension's, or hashing it on every
/// read would cost more than a sidecar.
fn needs_sidecar(key: &str, len: u64, content_type: &str) -> bool {
    len > SMALL_OBJECT || content_type != type_by_extension(key)
}

/// The metadata of the file `m` stored at `key`.
fn object_meta(key: &str, m: &fs::Metadata, etag: ETag, content_type: String) -> ObjectMeta {
    ObjectMeta {
        key: key.to_owned(),
        size: m.len(),
        etag,
        content_type,
        last_modified: m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
    }
}

/// The type the fallback gives `key`.
fn type_by_extension(key: &str) -> &'static str {
    livechannel::store::content_type_by_extension(key).unwrap_or("application/octet-stream")
}

/// The sidecars' directory below the root (a name the store refuses as a
/// key and hides from listings, like the uploads').
const META_DIR: &str = ".tmp-meta";

/// What `ROOT/.tmp-meta/KEY` holds: the metadata a file does not carry.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Sidecar {
    /// The file described; any other file at the key is not.
    file: FileId,
    /// [`livechannel::store::etag`] of its bytes; None until a reader
    /// needed it (a segment is not hashed when it is stored: see
    /// [`Files::commit`]).
    #[serde(default)]
    etag: Option<String>,
    /// The content type it was stored with.
    content_type: String,
}

/// What tells one file from another at the same path: a rename keeps all
/// three, a new file changes the inode (and, without inodes, the
/// modification time or size).
#[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct FileId {
    inode: u64,
    size: u64,
    modified_ns: u128,
}

impl FileId {
    fn of(m: &fs::Metadata) -> FileId {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(m);
        #[cfg(not(unix))]
        let inode = 0;
        let modified_ns = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        FileId {
            inode,
            size: m.len(),
            modified_ns,
        }
    }
}

/// [`etag`] of the whole file, read from its start. An upload's is
/// hashed at completion, once, rather than append by append: a retried
/// append rewrites bytes at an offset, which a running hash cannot undo.
fn hash_file(file: &fs::File) -> io::Result<ETag> {
    let mut hasher = EtagHasher::new();
    let mut reader = file;
    reader.seek(SeekFrom::Start(0))?;
    let mut block = vec![0; 64 * 1024];
    loop {
        match reader.read(&mut block)? {
            0 => return Ok(hasher.finish()),
            n => hasher.update(&block[..n]),
        }
    }
}

fn backend(e: io::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn not_found(key: &str, e: io::Error) -> StoreError {
    if e.kind() == io::ErrorKind::NotFound {
        StoreError::NotFound {
            key: key.to_owned(),
        }
    } else {
        backend(e)
    }
}

/// The metadata of `file`, opened at `key`, which must be a regular file.
fn stat_object(key: &str, file: &fs::File) -> Result<fs::Metadata, StoreError> {
    let m = file.metadata().map_err(backend)?;
    if !m.is_file() {
        return Err(StoreError::NotFound {
            key: key.to_owned(),
        });
    }
    Ok(m)
}

/// The upload's file and size for a job, or why an upload step cannot run.
fn ours(upload: &Option<(UploadFile, u64)>) -> Result<&(UploadFile, u64), StoreError> {
    upload.as_ref().ok_or_else(Write::no_upload)
}

/// What a [`Files::write_in_order_sync`] job did to the upload, for the
/// caller to record in it, and how it ended.
struct WritesDone {
    appended: u64,
    completed: bool,
    result: Result<(), WritesFailed>,
}

/// The store's blocking file operations run on tokio's blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("file store task panicked")
}

impl Files {
    /// Run `f`, a file operation: on the calling thread when small jobs
    /// run there ([`SmallJobs`]) and this one is `small`, else on the
    /// blocking pool.
    async fn job<T: Send + 'static>(
        &self,
        small: bool,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        if self.small_jobs_inline && small {
            f()
        } else {
            blocking(f).await
        }
    }

    /// Open the object at `key` and finish with `f`: small objects (at
    /// most [`SMALL_READ`] bytes) as a small job, larger ones, whose
    /// first read may hash them, on the blocking pool.
    async fn with_object<T: Send + 'static>(
        self: Arc<Self>,
        key: String,
        f: impl FnOnce(&Files, &str, fs::File, fs::Metadata) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        if !self.small_jobs_inline {
            return blocking(move || {
                let (file, m) = self.open_object(&key)?;
                f(&self, &key, file, m)
            })
            .await;
        }
        let (file, m) = self.open_object(&key)?;
        let this = self.clone();
        self.job(m.len() <= SMALL_READ, move || f(&this, &key, file, m))
            .await
    }
}

impl livechannel::store::Uploads for FileStore {
    type State = FileUpload;

    fn begin_upload<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<Upload<FileUpload>, StoreError>> {
        let upload = self.inner.path(key).map(|path| {
            let state = self.inner.uploads.begin(path, key, content_type);
            Upload::new(key, content_type, state)
        });
        Box::pin(std::future::ready(upload))
    }

    fn append<'a>(
        &'a self,
        upload: &'a mut Upload<FileUpload>,
        data: Bytes,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let (offset, len) = (upload.size(), data.len() as u64);
            let written = match self.inner.appends {
                // Borrowed: a clone of the upload's file (two paths, three
                // counts) for every append was most of what an append
                // cost in user space.
                Appends::Inline => upload.state().write_at(offset, &data),
                Appends::Blocking => {
                    let file = upload.state().file();
                    blocking(move || file.write_at(offset, &data)).await
                }
            };
            written.map_err(backend)?;
            upload.add_size(len);
            Ok(())
        })
    }

    fn complete_upload<'a>(
        &'a self,
        upload: &'a mut Upload<FileUpload>,
    ) -> BoxFuture<'a, Result<ObjectMeta, StoreError>> {
        let this = self.inner.clone();
        Box::pin(async move {
            let key = upload.key().to_owned();
            let (file, len) = (upload.state().file(), upload.size());
            let (renamed, meta) = blocking(move || match this.commit(&file, len) {
                Ok(path) => (true, this.meta(&key, path)),
                Err(e) => (false, Err(e)),
            })
            .await;
            if renamed {
                upload.state_mut().set_done();
            }
            meta
        })
    }

    fn write_in_order<'a>(
        &'a self,
        mut upload: Option<&'a mut Upload<FileUpload>>,
        writes: &'a [Write],
    ) -> BoxFuture<'a, Result<(), WritesFailed>> {
        let this = self.inner.clone();
        Box::pin(async move {
            let file = upload.as_deref_mut().map(|u| (u.state().file(), u.size()));
            // Clones of `Bytes`: no copy of the data.
            let writes = writes.to_vec();
            let small = writes.iter().map(Write::len).sum::<usize>() <= SMALL_JOB;
            let job = this.clone();
            let outcome = job
                .job(small, move || this.write_in_order_sync(file, &writes))
                .await;
            if let Some(u) = upload {
                u.add_size(outcome.appended);
                if outcome.completed {
                    u.state_mut().set_done();
                }
            }
            outcome.result
        })
    }
}

impl ObjectStore for FileStore {
    fn put<'a>(
        &'a self,
        key: &'a str,
        data: Bytes,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<ObjectMeta, StoreError>> {
        let (this, key, ct) = (self.inner.clone(), key.to_owned(), content_type.to_owned());
        let job = this.clone();
        Box::pin(async move {
            let small = data.len() <= SMALL_JOB;
            job.job(small, move || this.put_sync(&key, &[data], &ct))
                .await
        })
    }

    fn put_if_absent<'a>(
        &'a self,
        key: &'a str,
        data: Bytes,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<Option<ObjectMeta>, StoreError>> {
        let (this, key, ct) = (self.inner.clone(), key.to_owned(), content_type.to_owned());
        let job = this.clone();
        Box::pin(async move {
            let small = data.len() <= SMALL_JOB;
            job.job(small, move || this.put_if_absent_sync(&key, &data, &ct))
                .await
        })
    }

    fn get<'a>(
        &'a self,
        key: &'a str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'a, Result<Object, StoreError>> {
        let (this, key) = (self.inner.clone(), key.to_owned());
        Box::pin(this.with_object(key, move |this, key, file, m| {
            this.read_object(key, file, &m, range)
        }))
    }

    fn head<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<ObjectMeta, StoreError>> {
        let (this, key) = (self.inner.clone(), key.to_owned());
        Box::pin(this.with_object(key, |this, key, file, m| this.meta_with(key, &file, &m)))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        let (this, key) = (self.inner.clone(), key.to_owned());
        let job = this.clone();
        Box::pin(async move { job.job(true, move || this.delete_sync(&key)).await })
    }

    fn list<'a>(
        &'a self,
        prefix: &'a str,
        marker: &'a str,
        max_keys: usize,
    ) -> BoxFuture<'a, Result<ListPage, StoreError>> {
        let (this, prefix, marker) = (self.inner.clone(), prefix.to_owned(), marker.to_owned());
        let job = this.clone();
        Box::pin(async move {
            job.job(true, move || this.list_sync(&prefix, &marker, max_keys))
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::timeout;

    use super::*;
    use livechannel::store::Uploads as _;

    fn store() -> (tempfile::TempDir, FileStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn put_get_list_delete() {
        let (_dir, s) = store();
        s.put("b/ch/1.ts", Bytes::from_static(b"ts"), "video/MP2T")
            .await
            .unwrap();
        s.put(
            "b/ch/playlist.m3u8",
            Bytes::from_static(b"#EXTM3U"),
            "application/x-mpegURL",
        )
        .await
        .unwrap();
        s.put("b/x", Bytes::from_static(b"0123456789"), "text/custom")
            .await
            .unwrap();
        assert_eq!(s.head("b/x").await.unwrap().content_type, "text/custom");
        assert_eq!(
            s.head("b/ch/1.ts").await.unwrap().content_type,
            "video/MP2T"
        );
        let o = s.get("b/x", Some(2..4)).await.unwrap();
        assert_eq!((o.data.as_ref(), o.meta.size), (&b"23"[..], 10));
        let page = s.list("b/", "", 10).await.unwrap();
        let keys: Vec<_> = page.objects.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["b/ch/1.ts", "b/ch/playlist.m3u8", "b/x"]);
        let page = s.list("b/ch/", "b/ch/1.ts", 1).await.unwrap();
        assert_eq!(
            (page.objects[0].key.as_str(), page.truncated),
            ("b/ch/playlist.m3u8", false)
        );
        s.delete("b/x").await.unwrap();
        assert!(matches!(
            s.get("b/x", None).await,
            Err(StoreError::NotFound { .. })
        ));
        s.delete("b/x").await.unwrap();
    }

    #[tokio::test]
    async fn a_put_describes_the_object_as_a_head_does() {
        // A put's answer is worked out from what it wrote, not read back.
        let (_dir, s) = store();
        for (key, ct) in [
            ("b/x", "text/custom"),
            ("b/p.m3u8", "application/x-mpegURL"),
        ] {
            let put = s.put(key, Bytes::from_static(b"data"), ct).await.unwrap();
            assert_eq!(put, s.head(key).await.unwrap());
            let lease = format!("{key}-lease");
            let taken = s.put_if_absent(&lease, Bytes::from_static(b"l"), ct).await;
            assert_eq!(taken.unwrap().unwrap(), s.head(&lease).await.unwrap());
        }
    }

    #[tokio::test]
    async fn files_without_a_matching_sidecar_are_hashed_and_typed_by_extension() {
        let (dir, s) = store();
        // Copied in by hand: no sidecar.
        fs::create_dir_all(dir.path().join("b")).unwrap();
        fs::write(dir.path().join("b/1.ts"), b"by hand").unwrap();
        let head = s.head("b/1.ts").await.unwrap();
        assert_eq!(
            (head.etag, head.content_type.as_str()),
            (etag(b"by hand"), "video/MP2T")
        );
        // Stored with a type, then replaced by hand: the sidecar names the
        // old file and is not believed.
        s.put("b/x", Bytes::from_static(b"old"), "text/custom")
            .await
            .unwrap();
        fs::remove_file(dir.path().join("b/x")).unwrap();
        fs::write(dir.path().join("b/x"), b"new!").unwrap();
        let got = s.get("b/x", None).await.unwrap();
        assert_eq!(got.meta.etag, etag(b"new!"));
        assert_eq!(got.meta.content_type, "application/octet-stream");
        // Deleting the sidecars loses only the stored types.
        s.put("b/y", Bytes::from_static(b"y"), "text/custom")
            .await
            .unwrap();
        fs::remove_dir_all(dir.path().join(".tmp-meta")).unwrap();
        assert_eq!(s.head("b/y").await.unwrap().etag, etag(b"y"));
    }

    #[tokio::test]
    async fn an_uploaded_segment_is_hashed_by_its_first_reader_not_when_stored() {
        let (dir, s) = store();
        // Larger than SMALL_OBJECT, as segments are: those keep sidecars.
        let (first, rest) = (vec![b't'; 10_000], vec![b's'; 10_000]);
        let whole = [first.clone(), rest.clone()].concat();
        let mut upload = s.begin_upload("b/ch/1.ts", "video/MP2T").await.unwrap();
        s.append(&mut upload, Bytes::from(first)).await.unwrap();
        let writes = [Write::Append(Bytes::from(rest)), Write::Complete];
        s.write_in_order(Some(&mut upload), &writes).await.unwrap();
        let sidecar_path = dir.path().join(".tmp-meta/b/ch/1.ts");
        let sidecar =
            || serde_json::from_slice::<Sidecar>(&fs::read(&sidecar_path).unwrap()).unwrap();
        // Stored: its ETag not worked out, and its type the extension's,
        // so no sidecar yet.
        assert!(!sidecar_path.exists());
        let head = s.head("b/ch/1.ts").await.unwrap();
        assert_eq!(
            (head.etag, head.content_type.as_str()),
            (etag(&whole), "video/MP2T")
        );
        // The reader kept what it worked out.
        assert_eq!(sidecar().etag.as_deref(), Some(etag(&whole).as_str()));
        assert_eq!(sidecar().content_type, "video/MP2T");
    }

    #[tokio::test]
    async fn an_upload_typed_unlike_its_extension_records_its_type_when_stored() {
        let (dir, s) = store();
        let mut upload = s.begin_upload("b/ch/1.ts", "video/custom").await.unwrap();
        let writes = [
            Write::Append(Bytes::from(vec![b't'; 20_000])),
            Write::Complete,
        ];
        s.write_in_order(Some(&mut upload), &writes).await.unwrap();
        let json = fs::read(dir.path().join(".tmp-meta/b/ch/1.ts")).unwrap();
        let sidecar = serde_json::from_slice::<Sidecar>(&json).unwrap();
        assert_eq!(
            (sidecar.etag, sidecar.content_type.as_str()),
            (None, "video/custom")
        );
        assert_eq!(
            s.head("b/ch/1.ts").await.unwrap().content_type,
            "video/custom"
        );
    }

    #[tokio::test]
    async fn small_objects_typed_by_their_extension_go_without_a_sidecar() {
        let (dir, s) = store();
        let playlist = Bytes::from_static(b"#EXTM3U\n");
        s.put(
            "b/ch/playlist.m3u8",
            playlist.clone(),
            "application/x-mpegURL",
        )
        .await
        .unwrap();
        s.put(
            "b/ch/big.m3u8",
            Bytes::from(vec![b'#'; 20_000]),
            "application/x-mpegURL",
        )
        .await
        .unwrap();
        s.put("b/ch/odd.m3u8", playlist.clone(), "text/plain")
            .await
            .unwrap();
        let has_sidecar = |key: &str| dir.path().join(".tmp-meta").join(key).exists();
        assert!(!has_sidecar("b/ch/playlist.m3u8"));
        assert!(has_sidecar("b/ch/big.m3u8"));
        assert!(has_sidecar("b/ch/odd.m3u8"));
        // Read the same as with one, and the reader leaves none behind.
        let head = s.head("b/ch/playlist.m3u8").await.unwrap();
        assert_eq!(
            (head.etag, head.content_type.as_str()),
            (etag(&playlist), "application/x-mpegURL")
        );
        assert!(!has_sidecar("b/ch/playlist.m3u8"));
        assert_eq!(
            s.head("b/ch/odd.m3u8").await.unwrap().content_type,
            "text/plain"
        );
    }

    #[tokio::test]
    async fn put_if_absent_is_exclusive() {
        let (_dir, s) = store();
        assert!(s
            .put_if_absent(".livechannel/leases/b/ch", Bytes::from_static(b"a"), "")
            .await
            .unwrap()
            .is_some());
        assert!(s
            .put_if_absent(".livechannel/leases/b/ch", Bytes::from_static(b"b"), "")
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            s.get(".livechannel/leases/b/ch", None)
                .await
                .unwrap()
                .data
                .as_ref(),
            b"a"
        );
    }

    #[cfg(unix)]
    fn inode(path: &Path) -> u64 {
        std::os::unix::fs::MetadataExt::ino(&fs::metadata(path).unwrap())
    }

    /// A segment-sized object of `len` bytes of `byte`.
    fn segment(byte: u8, len: usize) -> Bytes {
        Bytes::from(vec![byte; len])
    }

    /// Put a 300 KB segment (large enough to become a spare) at `key`.
    async fn put_segment(s: &FileStore, key: &str) {
        s.put(key, segment(1, 300_000), "video/MP2T").await.unwrap();
    }

    /// Store `data` at `key` as ingest does: an upload, one append, completed.
    async fn upload(s: &FileStore, key: &str, data: Bytes) -> ObjectMeta {
        let mut up = s.begin_upload(key, "video/MP2T").await.unwrap();
        s.append(&mut up, data).await.unwrap();
        s.complete_upload(&mut up).await.unwrap()
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn new_segments_are_written_over_deleted_ones_and_cut_to_their_length() {
        use crate::file_spares::MIN_AGE;
        let (dir, s) = store();
        let spares = || s.inner.uploads.spares().unwrap().len();
        put_segment(&s, "b/c/1.ts").await;
        let old = inode(&dir.path().join("b/c/1.ts"));
        s.delete("b/c/1.ts").await.unwrap();
        assert_eq!(spares(), 1);
        assert!(matches!(
            s.get("b/c/1.ts", None).await,
            Err(StoreError::NotFound { .. })
        ));
        // Small objects (playlists, index entries) are removed, not kept.
        s.put("b/c/p.m3u8", Bytes::from_static(b"#EXTM3U\n"), "x")
            .await
            .unwrap();
        s.delete("b/c/p.m3u8").await.unwrap();
        assert_eq!(spares(), 1);

        // Before MIN_AGE the spare waits: a new file.
        let mut early = s.begin_upload("b/c/0.ts", "video/MP2T").await.unwrap();
        s.append(&mut early, segment(9, 1000)).await.unwrap();
        assert_eq!(spares(), 1);
        drop(early);

        // After it, the next upload (as ingest stores one: appends, then
        // the end in write_in_order) writes over it, shorter than it was.
        std::thread::sleep(MIN_AGE);
        let mut up = s.begin_upload("b/c/2.ts", "video/MP2T").await.unwrap();
        s.append(&mut up, segment(2, 100_000)).await.unwrap();
        s.write_in_order(
            Some(&mut up),
            &[Write::Append(segment(3, 50_000)), Write::Complete],
        )
        .await
        .unwrap();
        assert_eq!(spares(), 0);
        assert_eq!(inode(&dir.path().join("b/c/2.ts")), old);
        let got = s.get("b/c/2.ts", None).await.unwrap();
        let want: Vec<u8> = [vec![2; 100_000], vec![3; 50_000]].concat();
        assert_eq!(got.data, want);
        assert_eq!(got.meta.etag, etag(&want));
        // And by complete_upload, longer than the spare.
        s.delete("b/c/2.ts").await.unwrap();
        std::thread::sleep(MIN_AGE);
        let meta = upload(&s, "b/c/3.ts", segment(4, 400_000)).await;
        assert_eq!(
            (meta.size, inode(&dir.path().join("b/c/3.ts"))),
            (400_000, old)
        );
        assert_eq!(
            s.get("b/c/3.ts", None).await.unwrap().data,
            segment(4, 400_000)
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_read_of_a_deleted_object_written_over_meanwhile_finds_no_object() {
        let (_dir, s) = store();
        put_segment(&s, "b/c/1.ts").await;
        // A reader opened it; then it was deleted and a new segment
        // written over its file, same size.
        let (file, m) = s.inner.open_object("b/c/1.ts").unwrap();
        s.delete("b/c/1.ts").await.unwrap();
        std::thread::sleep(crate::file_spares::MIN_AGE);
        upload(&s, "b/c/2.ts", segment(2, 300_000)).await;
        let read = s.inner.read_object("b/c/1.ts", file, &m, None);
        assert!(matches!(read, Err(StoreError::NotFound { .. })), "{read:?}");
    }

    #[tokio::test]
    async fn without_reuse_a_delete_removes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let options = FileOptions {
            reuse_deleted: false,
            ..FileOptions::default()
        };
        let s = FileStore::open_with(dir.path(), options).unwrap();
        put_segment(&s, "b/c/1.ts").await;
        s.delete("b/c/1.ts").await.unwrap();
        assert!(s.inner.uploads.spares().is_none());
        assert!(upload_files(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn a_closed_store_leaves_no_spares() {
        let (dir, s) = store();
        put_segment(&s, "b/c/1.ts").await;
        s.delete("b/c/1.ts").await.unwrap();
        assert_eq!(upload_files(dir.path()).len(), 1);
        drop(s);
        // (The sweeper thread may hold the pool for a moment, and drop it.)
        for _ in 0..200 {
            if upload_files(dir.path()).is_empty() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("spares left: {:?}", upload_files(dir.path()));
    }

    fn upload_files(root: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for dir in fs::read_dir(root.join(".tmp-uploads")).unwrap() {
            for f in fs::read_dir(dir.unwrap().path()).unwrap() {
                let f = f.unwrap().path();
                if !f.ends_with("lock") {
                    files.push(f);
                }
            }
        }
        files
    }

    #[tokio::test]
    async fn an_upload_appears_whole_when_complete() {
        let (dir, s) = store();
        let mut upload = s.begin_upload("b/ch/1.ts", "video/MP2T").await.unwrap();
        s.append(&mut upload, Bytes::from_static(b"abc"))
            .await
            .unwrap();
        s.append(&mut upload, Bytes::from_static(b"defg"))
            .await
            .unwrap();
        // Not visible, not listed, before completion.
        assert!(matches!(
            s.head("b/ch/1.ts").await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(s.list("", "", 100).await.unwrap().objects.is_empty());
        assert_eq!(upload.size(), 7);
        let meta = s.complete_upload(&mut upload).await.unwrap();
        assert_eq!((meta.key.as_str(), meta.size), ("b/ch/1.ts", 7));
        assert_eq!(
            s.get("b/ch/1.ts", None).await.unwrap().data.as_ref(),
            b"abcdefg"
        );
        drop(upload);
        assert_eq!(
            s.get("b/ch/1.ts", None).await.unwrap().data.as_ref(),
            b"abcdefg"
        );
        assert!(upload_files(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn writes_in_order_end_an_upload_and_put_what_follows() {
        let (dir, s) = store();
        let mut upload = s.begin_upload("b/ch/1.ts", "video/MP2T").await.unwrap();
        s.append(&mut upload, Bytes::from_static(b"abc"))
            .await
            .unwrap();
        let writes = [
            Write::Append(Bytes::from_static(b"de")),
            Write::Append(Bytes::from_static(b"fg")),
            Write::Complete,
            Write::put(
                ".livechannel/index/b/ch/1",
                Bytes::new(),
                "application/json",
            ),
            Write::put("b/ch/playlist.m3u8", Bytes::from_static(b"1.ts"), "x"),
        ];
        s.write_in_order(Some(&mut upload), &writes).await.unwrap();
        assert_eq!(upload.size(), 7);
        drop(upload);
        let get = |key| {
            let s = s.clone();
            async move { s.get(key, None).await.unwrap().data }
        };
        assert_eq!(get("b/ch/1.ts").await, "abcdefg");
        assert_eq!(get(".livechannel/index/b/ch/1").await, "");
        assert_eq!(get("b/ch/playlist.m3u8").await, "1.ts");
        // Completed: dropping the upload removed nothing, and left no file behind.
        assert!(upload_files(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn a_failed_write_stops_the_sequence_and_the_rest_can_follow() {
        let (dir, s) = store();
        // A directory where the playlist should go: its rename fails.
        fs::create_dir_all(dir.path().join("b/ch/playlist.m3u8/x")).unwrap();
        let mut upload = s.begin_upload("b/ch/1.ts", "video/MP2T").await.unwrap();
        let writes = [
            Write::Append(Bytes::from_static(b"ts")),
            Write::Complete,
            Write::put("b/ch/index", Bytes::new(), "x"),
            Write::put("b/ch/playlist.m3u8", Bytes::from_static(b"1.ts"), "x"),
            Write::put("b/ch/after", Bytes::new(), "x"),
        ];
        let failed = s
            .write_in_order(Some(&mut upload), &writes)
            .await
            .unwrap_err();
        assert_eq!(failed.done, 3, "{failed}");
        assert!(failed.error.is_transient());
        // What came before the failure is stored; what came after is not.
        assert_eq!(s.get("b/ch/1.ts", None).await.unwrap().data, "ts");
        assert!(s.head("b/ch/index").await.is_ok());
        assert!(s.head("b/ch/after").await.is_err());
        // The caller goes on from the failed write once the cause is gone.
        fs::remove_dir_all(dir.path().join("b/ch/playlist.m3u8")).unwrap();
        assert!(
            upload_files(dir.path()).is_empty(),
            "the failed put left no temporary file"
        );
        s.write_in_order(Some(&mut upload), &writes[failed.done..])
            .await
            .unwrap();
        assert_eq!(
            s.get("b/ch/playlist.m3u8", None).await.unwrap().data,
            "1.ts"
        );
        assert!(s.head("b/ch/after").await.is_ok());
        drop(upload);
        assert_eq!(s.get("b/ch/1.ts", None).await.unwrap().data, "ts");
    }

    #[tokio::test]
    async fn upload_steps_need_an_upload() {
        // (An upload of another store cannot be given: the upload's type
        // is the store's.)
        let (_dir, s) = store();
        let writes = [Write::put("b/first", Bytes::new(), "x"), Write::Complete];
        let failed = s.write_in_order(None, &writes).await.unwrap_err();
        assert_eq!(failed.done, 1);
        assert!(s.head("b/first").await.is_ok());
    }

    #[tokio::test]
    async fn an_abandoned_upload_leaves_nothing() {
        let (dir, s) = store();
        let mut upload = s.begin_upload("b/ch/1.ts", "video/MP2T").await.unwrap();
        s.append(&mut upload, Bytes::from_static(b"abc"))
            .await
            .unwrap();
        assert_eq!(upload_files(dir.path()).len(), 1);
        drop(upload);
        assert!(upload_files(dir.path()).is_empty());
        assert!(matches!(
            s.head("b/ch/1.ts").await,
            Err(StoreError::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn a_dead_process_uploads_are_removed_a_live_one_kept() {
        let dir = tempfile::tempdir().unwrap();
        let live = FileStore::open(dir.path()).unwrap();
        let mut upload = live.begin_upload("b/1.ts", "").await.unwrap();
        live.append(&mut upload, Bytes::from_static(b"x"))
            .await
            .unwrap();
        // What a process killed mid-segment leaves: a directory whose lock nobody holds.
        let dead = dir.path().join(".tmp-uploads/1-2-3");
        fs::create_dir_all(&dead).unwrap();
        fs::write(dead.join("lock"), b"").unwrap();
        fs::write(dead.join("0.part"), b"half a segment").unwrap();
        let _other = FileStore::open(dir.path()).unwrap();
        assert!(!dead.exists());
        // The live store's upload is untouched and completes.
        live.complete_upload(&mut upload).await.unwrap();
        assert_eq!(live.get("b/1.ts", None).await.unwrap().data.as_ref(), b"x");
        assert!(live.list("", "", 10).await.unwrap().objects.len() == 1);
    }

    #[tokio::test]
    async fn keys_cannot_escape_the_root() {
        let (_dir, s) = store();
        for key in ["../x", "/etc/passwd", "a/../b", "a//b", "a\0b", ""] {
            assert!(s.put(key, Bytes::new(), "").await.is_err(), "{key:?}");
        }
    }

    /// A store whose blocking pool is taken: its one thread waits until
    /// the returned sender is dropped.
    fn with_pool_taken(
        small_jobs: SmallJobs,
    ) -> (tempfile::TempDir, FileStore, std::sync::mpsc::Sender<()>) {
        let dir = tempfile::tempdir().unwrap();
        let options = FileOptions {
            small_jobs,
            ..FileOptions::default()
        };
        let store = FileStore::open_with(dir.path(), options).unwrap();
        let (release, wait) = std::sync::mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || {
            let _ = wait.recv();
        });
        (dir, store, release)
    }

    /// The test runtime's blocking pool has one thread (see [`with_pool_taken`]).
    fn one_blocking_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(1)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn small_jobs_inline_do_not_wait_for_the_blocking_pool() {
        one_blocking_thread().block_on(async {
            let (_dir, s, release) = with_pool_taken(SmallJobs::Inline);
            assert!(s.small_jobs_inline());
            let quick = Duration::from_secs(5);
            // The end of a segment, its index entry and playlist: one job.
            let mut upload = s.begin_upload("b/ch/1.ts", "video/MP2T").await.unwrap();
            s.append(&mut upload, Bytes::from(vec![7u8; 40_000]))
                .await
                .unwrap();
            let writes = [
                Write::Append(Bytes::from(vec![8u8; 40_000])),
                Write::Complete,
                Write::put("b/ch/index", Bytes::new(), "application/octet-stream"),
                Write::put_eventual(
                    "b/ch/playlist.m3u8",
                    "#EXTM3U\n".into(),
                    "application/x-mpegURL",
                ),
            ];
            timeout(quick, s.write_in_order(Some(&mut upload), &writes))
                .await
                .unwrap()
                .unwrap();
            timeout(quick, s.put("b/lease", "{}".into(), "application/json"))
                .await
                .unwrap()
                .unwrap();
            assert!(timeout(quick, s.put_if_absent("b/lease", "{}".into(), ""))
                .await
                .unwrap()
                .unwrap()
                .is_none());
            let lease = timeout(quick, s.get("b/lease", None))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(lease.data.as_ref(), b"{}");
            timeout(quick, s.head("b/ch/playlist.m3u8"))
                .await
                .unwrap()
                .unwrap();
            let listed = timeout(quick, s.list("b/", "", 10)).await.unwrap().unwrap();
            assert_eq!(listed.objects.len(), 4);
            timeout(quick, s.delete("b/lease")).await.unwrap().unwrap();
            // A large put, and the read of an object larger than SMALL_READ (whose
            // first read may hash it), wait for the pool.
            let slow = Duration::from_millis(300);
            let big = Bytes::from(vec![0u8; SMALL_JOB + 1]);
            assert!(timeout(slow, s.put("b/big", big, "")).await.is_err());
            assert!(timeout(slow, s.get("b/ch/1.ts", None)).await.is_err());
            drop(release);
            let segment = s.get("b/ch/1.ts", None).await.unwrap();
            assert_eq!(segment.data.len(), 80_000);
        });
    }

    #[test]
    fn small_jobs_on_the_blocking_pool_wait_for_it() {
        one_blocking_thread().block_on(async {
            let (_dir, s, release) = with_pool_taken(SmallJobs::Blocking);
            assert!(!s.small_jobs_inline());
            let slow = Duration::from_millis(300);
            assert!(timeout(slow, s.put("b/lease", "{}".into(), ""))
                .await
                .is_err());
            drop(release);
            s.put("b/lease", "{}".into(), "").await.unwrap();
            assert_eq!(s.get("b/lease", None).await.unwrap().data.as_ref(), b"{}");
        });
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn small_jobs_run_inline_on_tmpfs_by_default() {
        let shm = tempfile::tempdir_in("/dev/shm").unwrap();
        assert!(FileStore::open(shm.path()).unwrap().small_jobs_inline());
        let disk = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        assert!(!FileStore::open(disk.path()).unwrap().small_jobs_inline());
    }
}
