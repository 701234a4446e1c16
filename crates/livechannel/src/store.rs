//! The object store the whole system lives in: media objects, playlists and
//! every record (buckets, channels, history, VOD index, leases).
//!
//! Why async methods returning boxed futures, rather than a core that emits
//! storage commands: ingest must store a segment, then its index entry, then
//! the playlist, in that order, and must stop reading from the publisher
//! while the store is slow. With awaitable methods that is a sequence of
//! `.await`s in this crate, and the driver only has to await our futures on
//! whatever runtime it uses (tokio, a test's `block_on`). Nothing here
//! depends on a runtime: the futures are plain `std::future::Future`s.
//!
//! | item | what | who implements it |
//! |---|---|---|
//! | [`ObjectStore`] | the core: put, put_if_absent, get, head, delete, list | every store |
//! | [`Uploads`] | objects written piece by piece, and ordered writes ([`Write`]); the store's state for an upload is [`Uploads::State`] | every store ([`uploads_in_memory!`](crate::uploads_in_memory) for the pieces kept in memory) |
//! | [`write_each`] | the one default way of doing ordered writes, method by method | a function a store names in its `write_in_order` |
//! | [`Store`] | what the service holds (`Arc<dyn Store>`): the core, and uploads that carry their store ([`DynUpload`]) | nobody: one blanket implementation for every [`Uploads`] store |
//! | `conformance` (feature) | the checks every store must pass | run by each store's tests |
//!
//! No trait here has a default method, so a wrapper (the server's metrics)
//! that forwards every call cannot lose a store's own implementation.

use std::collections::BTreeMap;
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

/// A boxed, sendable future: what every [`ObjectStore`] method returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a store knows about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The key, exactly as stored.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// [`etag`] of the content. Every store gives the same ETag for the
    /// same bytes, however they were written (put, chunks, upload), and in
    /// listings too (the `conformance` checks hold every store to it).
    pub etag: ETag,
    /// The content type given when the object was stored.
    pub content_type: String,
    /// When the object was last written.
    pub last_modified: SystemTime,
}

/// An object's bytes (or the requested range of them) and its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// The whole object's metadata (`size` is the full size, not the range's).
    pub meta: ObjectMeta,
    /// The bytes of the requested range (the whole object without a range).
    pub data: Bytes,
    /// The byte range returned, when a range was asked for.
    pub range: Option<Range<u64>>,
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    /// Objects whose keys start with the prefix and sort after the marker, in byte order.
    pub objects: Vec<ObjectMeta>,
    /// True when more objects follow; continue from the last key returned.
    pub truncated: bool,
}

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No object under this key.
    #[error("no object {key}")]
    NotFound {
        /// The key asked for.
        key: String,
    },
    /// The requested range starts at or beyond the end of the object.
    #[error("range {start}.. is outside {key} ({size} bytes)")]
    RangeNotSatisfiable {
        /// The key asked for.
        key: String,
        /// The first byte asked for.
        start: u64,
        /// The object's size.
        size: u64,
    },
    /// The backend failed (I/O, network, the remote service); the message says how.
    #[error("store backend: {0}")]
    Backend(String),
}

/// Waiting, for the backoff between retries of a failed store write.
///
/// The crate has no timer of its own: the driver hands one to
/// [`Service::with_sleep`](crate::Service::with_sleep), built from its
/// runtime's sleep function:
///
/// ```
/// use std::future::Future;
/// use std::sync::Arc;
/// use std::time::Duration;
/// use livechannel::store::{BoxFuture, MemoryStore, Sleep};
/// use livechannel::{Service, ServiceConfig};
///
/// /// Any runtime's `fn(Duration) -> impl Future`, e.g. `tokio::time::sleep`.
/// struct RuntimeSleep<F>(F);
///
/// impl<F, Fut> Sleep for RuntimeSleep<F>
/// where
///     F: Fn(Duration) -> Fut + Send + Sync + 'static,
///     Fut: Future<Output = ()> + Send + 'static,
/// {
///     fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
///         Box::pin((self.0)(duration))
///     }
/// }
///
/// // With tokio: RuntimeSleep(tokio::time::sleep). Here, a timer that
/// // returns at once, as a test's would.
/// let sleep = RuntimeSleep(|_| std::future::ready(()));
/// let service = Service::new(Arc::new(MemoryStore::new()), ServiceConfig::default())
///     .with_sleep(Arc::new(sleep));
/// # let _ = service;
/// ```
pub trait Sleep: Send + Sync + 'static {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

impl StoreError {
    /// True for failures worth retrying: the backend's (I/O, network, the
    /// remote service), not a missing key or a bad range.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Backend(_))
    }
}

/// A key-value object store (file system, memory, S3...): the core every
/// store has. What ingest needs beyond it (objects written piece by piece,
/// ordered writes) is [`Uploads`]; what the service holds is a [`Store`].
///
/// Keys are `/`-separated UTF-8 strings that never start with `/` and never
/// contain `..` segments or NUL (the caller checks). Implementations must
/// make each `put` atomic (a reader sees the old or the new object, never a
/// mix) and must apply the puts of one caller in the order they complete.
/// The checks of `store::conformance` (feature `conformance`) hold a store
/// to this contract.
///
/// Every method is required, here and in [`Uploads`]: a wrapper (the
/// metrics one) that forwards them all cannot silently lose a store's own
/// implementation to a default, because there is none.
pub trait ObjectStore: Send + Sync + 'static {
    /// Store `data` under `key`, replacing any object there.
    fn put<'a>(
        &'a self,
        key: &'a str,
        data: Bytes,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<ObjectMeta, StoreError>>;

    /// Store `data` under `key` only if no object is there: `Ok(None)` when
    /// one already is. Usable as a lock (a lease), like S3's `If-None-Match: *`.
    fn put_if_absent<'a>(
        &'a self,
        key: &'a str,
        data: Bytes,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<Option<ObjectMeta>, StoreError>>;

    /// The object, or the bytes of `range` of it (clamped to its end).
    fn get<'a>(
        &'a self,
        key: &'a str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'a, Result<Object, StoreError>>;

    /// The object's metadata.
    fn head<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<ObjectMeta, StoreError>>;

    /// Remove the object; removing a missing object is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Up to `max_keys` objects whose keys start with `prefix` and sort
    /// strictly after `marker`, in byte order.
    fn list<'a>(
        &'a self,
        prefix: &'a str,
        marker: &'a str,
        max_keys: usize,
    ) -> BoxFuture<'a, Result<ListPage, StoreError>>;
}

/// Objects written piece by piece, and ordered writes: how ingest stores a
/// segment while it is being made, then the index entry and the playlist
/// that name it.
///
/// A store keeps what it needs between calls in its own [`Uploads::State`]
/// (an open temporary file; the pieces in memory, [`Parts`], for stores
/// with no better place: [`uploads_in_memory!`](crate::uploads_in_memory)
/// writes that implementation). Services hold stores as [`Store`]s, which
/// every `Uploads` store is.
pub trait Uploads: ObjectStore {
    /// The store's state for one upload. Dropped before
    /// [`complete_upload`](Self::complete_upload) succeeds, it must discard
    /// the upload (nothing of it ever becomes visible).
    type State: Send + Sync + 'static;

    /// Begin an object written piece by piece: [`append`](Self::append)
    /// each piece, then [`complete_upload`](Self::complete_upload) makes
    /// the object visible whole and at once, like a [`put`](ObjectStore::put).
    fn begin_upload<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<Upload<Self::State>, StoreError>>;

    /// Add `data` to the end of the upload. After an error the upload is as
    /// before the call: the same append may be retried.
    fn append<'a>(
        &'a self,
        upload: &'a mut Upload<Self::State>,
        data: Bytes,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Make the upload visible under its key, replacing any object there.
    /// After an error it may be retried; after success the upload is spent
    /// (drop it).
    fn complete_upload<'a>(
        &'a self,
        upload: &'a mut Upload<Self::State>,
    ) -> BoxFuture<'a, Result<ObjectMeta, StoreError>>;

    /// Do `writes` one after the other, each as its own method would
    /// ([`append`](Self::append) and [`complete_upload`](Self::complete_upload)
    /// on `upload`, a put of the joined chunks), stopping at the first
    /// failure. `Err` says how many writes were done and why the next one
    /// failed; the caller may go on with the rest (`&writes[done..]`), as
    /// it would retry the failed method. An `Append` or `Complete` without
    /// an `upload` fails.
    ///
    /// [`write_each`] does this with the other methods: the implementation
    /// of every store that has no cheaper way. A store that pays for each
    /// call (a thread hand-off) does the whole sequence in one go, as the
    /// file store does in one blocking job.
    fn write_in_order<'a>(
        &'a self,
        upload: Option<&'a mut Upload<Self::State>>,
        writes: &'a [Write],
    ) -> BoxFuture<'a, Result<(), WritesFailed>>;
}

/// [`Uploads::write_in_order`] by awaiting each write's own method in turn.
///
/// ```
/// use bytes::Bytes;
/// use livechannel::store::{MemoryStore, ObjectStore, Uploads, Write};
/// # futures::executor::block_on(async {
/// let store = MemoryStore::new();
/// let mut upload = store.begin_upload("b/ch/0.ts", "video/MP2T").await?;
/// store.append(&mut upload, Bytes::from_static(b"first")).await?;
/// let writes = [
///     Write::Append(Bytes::from_static(b" last")),
///     Write::Complete,
///     Write::put("b/ch/playlist.m3u8", Bytes::from_static(b"#EXTM3U\n"), "application/x-mpegURL"),
/// ];
/// store.write_in_order(Some(&mut upload), &writes).await.map_err(|f| f.error)?;
/// assert_eq!(store.get("b/ch/0.ts", None).await?.data, "first last");
/// # Ok::<(), livechannel::store::StoreError>(())
/// # }).unwrap();
/// ```
pub fn write_each<'a, S: Uploads + ?Sized>(
    store: &'a S,
    mut upload: Option<&'a mut Upload<S::State>>,
    writes: &'a [Write],
) -> BoxFuture<'a, Result<(), WritesFailed>> {
    Box::pin(async move {
        for (done, write) in writes.iter().enumerate() {
            let result = match (write, upload.as_deref_mut()) {
                (Write::Append(data), Some(u)) => store.append(u, data.clone()).await,
                (Write::Complete, Some(u)) => store.complete_upload(u).await.map(drop),
                (Write::Put(put), _) => store
                    .put(&put.key, joined(&put.chunks), &put.content_type)
                    .await
                    .map(drop),
                (_, None) => Err(Write::no_upload()),
            };
            result.map_err(|error| WritesFailed { done, error })?;
        }
        Ok(())
    })
}

/// The chunks as one `Bytes`: no copy for one chunk.
fn joined(chunks: &[Bytes]) -> Bytes {
    match chunks {
        [one] => one.clone(),
        _ => Bytes::from(chunks.concat()),
    }
}

/// The bytes of an upload kept in memory until it completes: the
/// [`Uploads::State`] of stores with no better place for a partial
/// object (the memory store; the S3 store, whose segments are below
/// multipart's 5 MiB parts).
///
/// Appended bytes are copied into blocks of [`PACKED_BLOCK`] bytes, filled
/// to the brim, so an upload holds its size plus less than one block. The
/// chunks an ingest appends are pool buffers cut where the next frame did
/// not fit: kept as they came, their unused tails made a 2.5 MB segment
/// hold about 3 MB (measured by `examples/tests/server_memory.rs`). The
/// copy is one memcpy per byte of an upload that then crosses the network.
///
/// Completing the upload takes the blocks out of it for the put
/// ([`Parts::complete_by`]): a segment is not held on to while the writes
/// after it (its index entry, the playlist) are made, which against a
/// loaded S3 server take as long again as the segment's own PutObject.
#[derive(Debug, Default)]
pub struct Parts {
    sealed: Vec<Bytes>,
    open: Vec<u8>,
    /// Completed: its blocks are stored and gone from here.
    spent: bool,
}

/// The size of the blocks [`Parts`] packs an upload's bytes into.
pub const PACKED_BLOCK: usize = 64 << 10;

impl Parts {
    /// [`Uploads::begin_upload`] of an upload kept in memory.
    pub fn begin(
        key: &str,
        content_type: &str,
    ) -> BoxFuture<'static, Result<Upload<Parts>, StoreError>> {
        Box::pin(std::future::ready(Ok(Upload::new(
            key,
            content_type,
            Parts::default(),
        ))))
    }

    /// [`Uploads::append`] to an upload kept in memory.
    pub fn append(
        upload: &mut Upload<Parts>,
        data: Bytes,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        upload.add_size(data.len() as u64);
        upload.state_mut().push(&data);
        Box::pin(std::future::ready(Ok(())))
    }

    /// [`Uploads::complete_upload`] of an upload kept in memory: a put of
    /// its pieces joined.
    pub fn complete<'a, S: ObjectStore + ?Sized>(
        store: &'a S,
        upload: &'a mut Upload<Parts>,
    ) -> BoxFuture<'a, Result<ObjectMeta, StoreError>> {
        Parts::complete_by(upload, move |key, blocks, content_type| {
            Box::pin(async move { store.put(&key, joined(&blocks), &content_type).await })
        })
    }

    /// [`Uploads::complete_upload`] of an upload kept in memory by `put`
    /// (given the key, the blocks in order and the content type), for a
    /// store that stores blocks without joining them.
    ///
    /// The blocks leave the upload for the put, and are freed when it
    /// ends, not when the caller drops the upload. If the put fails they
    /// go back, so that a retry stores the object whole; once it has
    /// succeeded, completing again is an error (never an empty object).
    pub fn complete_by<'a, F>(
        upload: &'a mut Upload<Parts>,
        put: F,
    ) -> BoxFuture<'a, Result<ObjectMeta, StoreError>>
    where
        F: FnOnce(String, Vec<Bytes>, String) -> BoxFuture<'a, Result<ObjectMeta, StoreError>>
            + Send
            + 'a,
    {
        Box::pin(async move {
            if upload.state().spent {
                let key = upload.key();
                return Err(StoreError::Backend(format!(
                    "upload of {key} completed twice"
                )));
            }
            let (key, content_type) = (upload.key().to_owned(), upload.content_type().to_owned());
            let parts = upload.state_mut();
            parts.seal();
            let blocks = std::mem::take(&mut parts.sealed);
            // A clone per block (a reference count) stays here for a retry.
            let result = put(key, blocks.clone(), content_type).await;
            let parts = upload.state_mut();
            match &result {
                Ok(_) => parts.spent = true,
                Err(_) => parts.sealed = blocks,
            }
            result
        })
    }

    fn push(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.open.capacity() == 0 {
                self.open = Vec::with_capacity(PACKED_BLOCK);
            }
            let n = (PACKED_BLOCK - self.open.len()).min(data.len());
            self.open.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.open.len() == PACKED_BLOCK {
                self.seal();
            }
        }
    }

    /// Ends the block being filled, its unused room given back: appends
    /// after this start a new one.
    fn seal(&mut self) {
        if !self.open.is_empty() {
            let mut block = std::mem::take(&mut self.open);
            block.shrink_to_fit();
            self.sealed.push(Bytes::from(block));
        }
    }

    /// The bytes held, in blocks in order (the block being filled ends
    /// here); none once the upload is completed.
    #[cfg(test)]
    fn chunks(&mut self) -> &[Bytes] {
        self.seal();
        &self.sealed
    }
}

/// `Bytes`, for [`uploads_in_memory!`](crate::uploads_in_memory) in crates that name it otherwise.
#[doc(hidden)]
pub use bytes::Bytes as __Bytes;

/// Implements [`Uploads`](crate::store::Uploads) for a store whose uploads
/// are kept in memory ([`Parts`]) and completed by its own
/// [`put`](ObjectStore::put), with [`write_each`] for ordered writes.
#[macro_export]
macro_rules! uploads_in_memory {
    ($store:ty) => {
        impl $crate::store::Uploads for $store {
            type State = $crate::store::Parts;

            fn begin_upload<'a>(
                &'a self,
                key: &'a str,
                content_type: &'a str,
            ) -> $crate::store::BoxFuture<
                'a,
                Result<$crate::store::Upload<Self::State>, $crate::store::StoreError>,
            > {
                $crate::store::Parts::begin(key, content_type)
            }

            fn append<'a>(
                &'a self,
                upload: &'a mut $crate::store::Upload<Self::State>,
                data: $crate::store::__Bytes,
            ) -> $crate::store::BoxFuture<'a, Result<(), $crate::store::StoreError>> {
                $crate::store::Parts::append(upload, data)
            }

            fn complete_upload<'a>(
                &'a self,
                upload: &'a mut $crate::store::Upload<Self::State>,
            ) -> $crate::store::BoxFuture<
                'a,
                Result<$crate::store::ObjectMeta, $crate::store::StoreError>,
            > {
                $crate::store::Parts::complete(self, upload)
            }

            fn write_in_order<'a>(
                &'a self,
                upload: Option<&'a mut $crate::store::Upload<Self::State>>,
                writes: &'a [$crate::store::Write],
            ) -> $crate::store::BoxFuture<'a, Result<(), $crate::store::WritesFailed>> {
                $crate::store::write_each(self, upload, writes)
            }
        }
    };
}

/// A store as the service holds it (`Arc<dyn Store>`): the
/// [`ObjectStore`] methods, and uploads whose store state is hidden in a
/// [`DynUpload`].
///
/// Implemented for every [`Uploads`] store, by one blanket implementation
/// (the type erasure is written once, here); do not implement it yourself.
pub trait Store: ObjectStore {
    /// [`Uploads::begin_upload`], the upload holding its store.
    fn begin_dyn_upload<'a>(
        self: Arc<Self>,
        key: &'a str,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<DynUpload, StoreError>>;

    /// [`Uploads::write_in_order`]; the upload's steps go to the store
    /// that began it.
    fn write_in_order_dyn<'a>(
        &'a self,
        upload: Option<&'a mut DynUpload>,
        writes: &'a [Write],
    ) -> BoxFuture<'a, Result<(), WritesFailed>>;
}

impl<S: Uploads> Store for S {
    fn begin_dyn_upload<'a>(
        self: Arc<Self>,
        key: &'a str,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<DynUpload, StoreError>> {
        Box::pin(async move {
            let upload = self.begin_upload(key, content_type).await?;
            Ok(DynUpload(Box::new(Bound {
                store: self,
                upload,
            })))
        })
    }

    fn write_in_order_dyn<'a>(
        &'a self,
        upload: Option<&'a mut DynUpload>,
        writes: &'a [Write],
    ) -> BoxFuture<'a, Result<(), WritesFailed>> {
        match upload {
            Some(upload) => upload.0.write_in_order(writes),
            None => self.write_in_order(None, writes),
        }
    }
}

/// An upload begun through a [`Store`]: it holds its store, so its steps
/// need none given (and cannot be given another store's).
pub struct DynUpload(Box<dyn BoundUpload>);

impl DynUpload {
    /// The key it will be stored under.
    pub fn key(&self) -> &str {
        self.0.upload_key()
    }

    /// Bytes appended so far.
    pub fn size(&self) -> u64 {
        self.0.upload_size()
    }

    /// [`Uploads::append`].
    pub fn append(&mut self, data: Bytes) -> BoxFuture<'_, Result<(), StoreError>> {
        self.0.append(data)
    }

    /// [`Uploads::complete_upload`].
    pub fn complete(&mut self) -> BoxFuture<'_, Result<ObjectMeta, StoreError>> {
        self.0.complete()
    }

    /// [`Uploads::write_in_order`] with this upload.
    pub fn write_in_order<'a>(
        &'a mut self,
        writes: &'a [Write],
    ) -> BoxFuture<'a, Result<(), WritesFailed>> {
        self.0.write_in_order(writes)
    }
}

impl std::fmt::Debug for DynUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynUpload")
            .field("key", &self.key())
            .field("size", &self.size())
            .finish()
    }
}

/// The object-safe face of a [`Bound`] upload.
trait BoundUpload: Send + Sync {
    fn upload_key(&self) -> &str;
    fn upload_size(&self) -> u64;
    fn append(&mut self, data: Bytes) -> BoxFuture<'_, Result<(), StoreError>>;
    fn complete(&mut self) -> BoxFuture<'_, Result<ObjectMeta, StoreError>>;
    fn write_in_order<'a>(
        &'a mut self,
        writes: &'a [Write],
    ) -> BoxFuture<'a, Result<(), WritesFailed>>;
}

/// An upload and the store whose state it holds.
struct Bound<S: Uploads> {
    store: Arc<S>,
    upload: Upload<S::State>,
}

impl<S: Uploads> BoundUpload for Bound<S> {
    fn upload_key(&self) -> &str {
        self.upload.key()
    }

    fn upload_size(&self) -> u64 {
        self.upload.size()
    }

    fn append(&mut self, data: Bytes) -> BoxFuture<'_, Result<(), StoreError>> {
        self.store.append(&mut self.upload, data)
    }

    fn complete(&mut self) -> BoxFuture<'_, Result<ObjectMeta, StoreError>> {
        self.store.complete_upload(&mut self.upload)
    }

    fn write_in_order<'a>(
        &'a mut self,
        writes: &'a [Write],
    ) -> BoxFuture<'a, Result<(), WritesFailed>> {
        self.store.write_in_order(Some(&mut self.upload), writes)
    }
}

/// One step of [`Uploads::write_in_order`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// [`Uploads::append`] the bytes to the upload.
    Append(Bytes),
    /// [`Uploads::complete_upload`] the upload.
    Complete,
    /// [`ObjectStore::put`] a whole object.
    Put(PutObject),
}

/// The content type of `key` by its extension, for the types players and
/// browsers need (`None` for other extensions): what GetObject answers
/// before the stored type, and what a store that keeps no type assumes.
/// One rule, used by the API and the stores alike.
///
/// ```
/// use livechannel::store::content_type_by_extension;
/// assert_eq!(content_type_by_extension("ch/1700000000000.m4s"), Some("video/mp4"));
/// assert_eq!(content_type_by_extension("ch/1.TS"), Some("video/MP2T"));
/// assert_eq!(content_type_by_extension("noext"), None);
/// ```
pub fn content_type_by_extension(key: &str) -> Option<&'static str> {
    let ext = key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
    Some(match ext.as_str() {
        "m3u8" => "application/x-mpegURL",
        "ts" => "video/MP2T",
        // fMP4 init and media segments, as Apple's HLS examples serve them.
        "mp4" | "m4s" => "video/mp4",
        "flv" => "video/x-flv",
        "xml" => "application/xml",
        "json" => "application/json",
        "txt" => "text/plain",
        "html" => "text/html",
        "js" => "application/javascript",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        _ => return None,
    })
}

/// A whole object to store: a [`Write::Put`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutObject {
    /// The key to store it under.
    pub key: String,
    /// Its bytes: the concatenation of the chunks.
    pub chunks: Vec<Bytes>,
    /// Its content type.
    pub content_type: String,
    /// Whether its bytes must be on stable storage before it is visible.
    pub durability: Durability,
}

/// What a crash of the machine (not of the process) may do to a
/// [`PutObject`]. Readers never see a put half done either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// On stable storage before it becomes visible (the file store
    /// fsyncs it first): after a crash, the old object or the new one.
    #[default]
    Durable,
    /// Visible at once, on stable storage when the system gets to it:
    /// after a crash it may be an older version, or empty. For an object
    /// rewritten every few seconds that the next write repairs, the live
    /// playlist: waiting for the disk on each rewrite made the file store
    /// take up to 42 ms from keyframe to playable segment at 200 streams
    /// on a busy disk, against 7-13 ms without. Stores that are always
    /// durable (S3, memory: never) treat it as `Durable`.
    Eventual,
}

impl Write {
    /// A [`Write::Put`] of one piece of data, [`Durability::Durable`].
    pub fn put(key: impl Into<String>, data: Bytes, content_type: impl Into<String>) -> Write {
        Write::put_with(key.into(), data, content_type.into(), Durability::Durable)
    }

    /// A [`Write::Put`] of one piece of data, [`Durability::Eventual`].
    ///
    /// ```
    /// use livechannel::store::{Durability, Write};
    /// let Write::Put(put) = Write::put_eventual("b/ch/playlist.m3u8", "#EXTM3U\n".into(), "application/x-mpegURL") else {
    ///     unreachable!()
    /// };
    /// assert_eq!(put.durability, Durability::Eventual);
    /// ```
    pub fn put_eventual(
        key: impl Into<String>,
        data: Bytes,
        content_type: impl Into<String>,
    ) -> Write {
        Write::put_with(key.into(), data, content_type.into(), Durability::Eventual)
    }

    /// The bytes this write stores: a store can tell a small job from a
    /// large one (the file store runs small ones without a thread hand-off).
    ///
    /// ```
    /// use livechannel::store::Write;
    /// assert_eq!(Write::Append("abc".into()).len(), 3);
    /// assert_eq!(Write::put("b/ch/1.ts", "12345".into(), "video/MP2T").len(), 5);
    /// assert_eq!(Write::Complete.len(), 0);
    /// ```
    #[allow(clippy::len_without_is_empty)] // a length in bytes, not a collection
    pub fn len(&self) -> usize {
        match self {
            Write::Append(data) => data.len(),
            Write::Complete => 0,
            Write::Put(put) => put.chunks.iter().map(Bytes::len).sum(),
        }
    }

    fn put_with(key: String, data: Bytes, content_type: String, durability: Durability) -> Write {
        Write::Put(PutObject {
            key,
            chunks: vec![data],
            content_type,
            durability,
        })
    }

    /// The error of an upload step given no upload.
    pub fn no_upload() -> StoreError {
        StoreError::Backend("an upload step without an upload".to_owned())
    }
}

/// How far [`Uploads::write_in_order`] got before a write failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("write {done} of a sequence failed: {error}")]
pub struct WritesFailed {
    /// Writes done (the index of the one that failed).
    pub done: usize,
    /// Why that one failed.
    pub error: StoreError,
}

/// An object being written piece by piece (see [`Uploads::begin_upload`]):
/// its key, content type and size, and the store's `State` for it.
pub struct Upload<S> {
    key: String,
    content_type: String,
    size: u64,
    state: S,
}

impl<S> Upload<S> {
    /// An upload of `key` whose store keeps `state` for it.
    pub fn new(key: &str, content_type: &str, state: S) -> Self {
        Upload {
            key: key.to_owned(),
            content_type: content_type.to_owned(),
            size: 0,
            state,
        }
    }

    /// The key it will be stored under.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The content type given at [`Uploads::begin_upload`].
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// Bytes appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Count `n` more bytes as appended (by the store, once they are).
    pub fn add_size(&mut self, n: u64) {
        self.size += n;
    }

    /// The store's state.
    pub fn state(&self) -> &S {
        &self.state
    }

    /// The store's state, to change.
    pub fn state_mut(&mut self) -> &mut S {
        &mut self.state
    }
}

impl<S> std::fmt::Debug for Upload<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("key", &self.key)
            .field("size", &self.size)
            .finish()
    }
}

/// An object's ETag: the hex MD5 of its bytes, upper-case, without quotes
/// (the OSS form; [`ETag::quoted`] is the HTTP header's and the listing's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ETag(String);

impl ETag {
    /// An ETag as a server sends it: `"abc"`, `W/"abc"` or `abc` are
    /// `ABC` (quotes and the weak mark dropped, upper-cased).
    pub fn parse(value: &str) -> ETag {
        ETag(
            value
                .trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .to_ascii_uppercase(),
        )
    }

    /// The unquoted form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for the ETag of a store that gave none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// In quotes, as an HTTP `ETag` header and an OSS listing give it.
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }

    /// True when `token` (one entry of an `If-Match` or `If-None-Match`
    /// list, quoted or not) names this ETag.
    pub fn matches(&self, token: &str) -> bool {
        ETag::parse(token) == *self
    }
}

impl std::fmt::Display for ETag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for ETag {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ETag {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// The ETag of `data`: its hex MD5, upper-case (that of a simple OSS upload).
pub fn etag(data: &[u8]) -> ETag {
    etag_of_chunks(&[data])
}

/// [`etag`] of the concatenation of `chunks`, without joining them.
pub fn etag_of_chunks(chunks: &[impl AsRef<[u8]>]) -> ETag {
    let mut hasher = EtagHasher::new();
    for chunk in chunks {
        hasher.update(chunk.as_ref());
    }
    hasher.finish()
}

/// [`etag`] of bytes given piece by piece (a file read in blocks).
#[derive(Debug, Clone, Default)]
pub struct EtagHasher(md5::Md5);

impl EtagHasher {
    /// The hash of nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add the next bytes.
    pub fn update(&mut self, data: &[u8]) {
        md5::Digest::update(&mut self.0, data);
    }

    /// The ETag of everything added.
    pub fn finish(self) -> ETag {
        ETag(
            md5::Digest::finalize(self.0)
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect(),
        )
    }
}

/// The part of `size` bytes that `range` covers, or an error when it starts past the end.
pub fn clamp_range(key: &str, range: Range<u64>, size: u64) -> Result<Range<u64>, StoreError> {
    if range.start >= size || range.start >= range.end {
        return Err(StoreError::RangeNotSatisfiable {
            key: key.to_owned(),
            start: range.start,
            size,
        });
    }
    Ok(range.start..range.end.min(size))
}

/// An [`ObjectStore`] in memory: for tests, and for `memory://` servers.
///
/// Its clock is the caller's: objects are stamped with the time set by
/// [`MemoryStore::set_now`] (the Unix epoch until then), so tests stay
/// deterministic; a server wants [`MemoryStore::with_system_clock`], whose
/// `Last-Modified` dates are real (a browser judges a cached object's
/// freshness by them).
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<MemoryInner>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    objects: BTreeMap<String, (ObjectMeta, Bytes)>,
    now: Option<SystemTime>,
    system_clock: bool,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store stamping objects with the system's time.
    pub fn with_system_clock() -> Self {
        let store = Self::default();
        store.lock().system_clock = true;
        store
    }

    /// The time stamped on objects written from now on.
    pub fn set_now(&self, now: SystemTime) {
        self.lock().now = Some(now);
    }

    /// Number of objects held.
    pub fn len(&self) -> usize {
        self.lock().objects.len()
    }

    /// True when no object is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryInner> {
        // A panic while holding the lock cannot leave the map half-updated
        // (every mutation is one insert or remove), so poisoning is ignored.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn insert(inner: &mut MemoryInner, key: &str, data: Bytes, content_type: &str) -> ObjectMeta {
        let meta = ObjectMeta {
            key: key.to_owned(),
            size: data.len() as u64,
            etag: etag(&data),
            content_type: content_type.to_owned(),
            last_modified: match (inner.system_clock, inner.now) {
                (true, _) => SystemTime::now(),
                (false, now) => now.unwrap_or(SystemTime::UNIX_EPOCH),
            },
        };
        inner.objects.insert(key.to_owned(), (meta.clone(), data));
        meta
    }
}

crate::uploads_in_memory!(MemoryStore);

impl ObjectStore for MemoryStore {
    fn put<'a>(
        &'a self,
        key: &'a str,
        data: Bytes,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<ObjectMeta, StoreError>> {
        let meta = Self::insert(&mut self.lock(), key, data, content_type);
        Box::pin(std::future::ready(Ok(meta)))
    }

    fn put_if_absent<'a>(
        &'a self,
        key: &'a str,
        data: Bytes,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<Option<ObjectMeta>, StoreError>> {
        let mut inner = self.lock();
        let result = if inner.objects.contains_key(key) {
            None
        } else {
            Some(Self::insert(&mut inner, key, data, content_type))
        };
        Box::pin(std::future::ready(Ok(result)))
    }

    fn get<'a>(
        &'a self,
        key: &'a str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'a, Result<Object, StoreError>> {
        let result = match self.lock().objects.get(key) {
            None => Err(StoreError::NotFound {
                key: key.to_owned(),
            }),
            Some((meta, data)) => match range {
                None => Ok(Object {
                    meta: meta.clone(),
                    data: data.clone(),
                    range: None,
                }),
                Some(r) => clamp_range(key, r, meta.size).map(|r| Object {
                    meta: meta.clone(),
                    data: data.slice(r.start as usize..r.end as usize),
                    range: Some(r),
                }),
            },
        };
        Box::pin(std::future::ready(result))
    }

    fn head<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<ObjectMeta, StoreError>> {
        let result = self
            .lock()
            .objects
            .get(key)
            .map(|(meta, _)| meta.clone())
            .ok_or_else(|| StoreError::NotFound {
                key: key.to_owned(),
            });
        Box::pin(std::future::ready(result))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.lock().objects.remove(key);
        Box::pin(std::future::ready(Ok(())))
    }

    fn list<'a>(
        &'a self,
        prefix: &'a str,
        marker: &'a str,
        max_keys: usize,
    ) -> BoxFuture<'a, Result<ListPage, StoreError>> {
        let inner = self.lock();
        let start = if marker > prefix { marker } else { prefix };
        let mut objects = Vec::new();
        let mut truncated = false;
        for (key, (meta, _)) in inner
            .objects
            .range::<str, _>((std::ops::Bound::Included(start), std::ops::Bound::Unbounded))
        {
            if !key.starts_with(prefix) {
                break;
            }
            if key.as_str() <= marker {
                continue;
            }
            if objects.len() == max_keys {
                truncated = true;
                break;
            }
            objects.push(meta.clone());
        }
        Box::pin(std::future::ready(Ok(ListPage { objects, truncated })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn writes_in_order_stop_at_the_first_failure_and_say_where() {
        let s = MemoryStore::new();
        let writes = [
            Write::put("a/1", Bytes::from_static(b"one"), "x"),
            Write::Append(Bytes::from_static(b"no upload")),
            Write::put("a/2", Bytes::from_static(b"two"), "x"),
        ];
        let failed = block_on(s.write_in_order(None, &writes)).unwrap_err();
        assert_eq!(failed.done, 1);
        assert!(s.len() == 1 && block_on(s.head("a/2")).is_err());
        // Going on from the failed write, with an upload this time.
        let mut upload = block_on(s.begin_upload("a/3", "x")).unwrap();
        let rest = [&writes[1..], &[Write::Complete]].concat();
        block_on(s.write_in_order(Some(&mut upload), &rest)).unwrap();
        assert_eq!(block_on(s.get("a/3", None)).unwrap().data, "no upload");
        assert_eq!(block_on(s.get("a/2", None)).unwrap().data, "two");
    }

    #[test]
    fn list_pages_in_byte_order_after_the_marker() {
        let s = MemoryStore::new();
        for k in ["a/1", "a/2", "a/3", "b/1", "a"] {
            block_on(s.put(k, Bytes::from_static(b"x"), "text/plain")).unwrap();
        }
        let page = block_on(s.list("a/", "", 2)).unwrap();
        let keys: Vec<_> = page.objects.iter().map(|m| m.key.as_str()).collect();
        assert_eq!((keys, page.truncated), (vec!["a/1", "a/2"], true));
        let page = block_on(s.list("a/", "a/2", 2)).unwrap();
        let keys: Vec<_> = page.objects.iter().map(|m| m.key.as_str()).collect();
        assert_eq!((keys, page.truncated), (vec!["a/3"], false));
    }

    #[test]
    fn the_system_clock_stamps_real_dates() {
        let store = MemoryStore::with_system_clock();
        let meta = block_on(store.put("k", Bytes::from_static(b"x"), "text/plain")).unwrap();
        let age = SystemTime::now()
            .duration_since(meta.last_modified)
            .unwrap();
        assert!(age < Duration::from_secs(60), "{age:?}");
        let fixed = MemoryStore::new();
        let meta = block_on(fixed.put("k", Bytes::from_static(b"x"), "text/plain")).unwrap();
        assert_eq!(meta.last_modified, SystemTime::UNIX_EPOCH);
    }

    #[test]
    fn put_if_absent_is_a_lock() {
        let s = MemoryStore::new();
        assert!(block_on(s.put_if_absent("l", Bytes::from_static(b"1"), ""))
            .unwrap()
            .is_some());
        assert!(block_on(s.put_if_absent("l", Bytes::from_static(b"2"), ""))
            .unwrap()
            .is_none());
        assert_eq!(
            block_on(s.get("l", None)).unwrap().data,
            Bytes::from_static(b"1")
        );
    }

    #[test]
    fn ranges_are_clamped_and_checked() {
        let s = MemoryStore::new();
        block_on(s.put("k", Bytes::from_static(b"0123456789"), "")).unwrap();
        let o = block_on(s.get("k", Some(8..20))).unwrap();
        assert_eq!((o.data.as_ref(), o.range), (&b"89"[..], Some(8..10)));
        assert!(matches!(
            block_on(s.get("k", Some(10..12))),
            Err(StoreError::RangeNotSatisfiable { .. })
        ));
    }

    #[test]
    fn etag_is_upper_hex_md5() {
        assert_eq!(etag(b""), "D41D8CD98F00B204E9800998ECF8427E");
        assert_eq!(etag(b"").quoted(), "\"D41D8CD98F00B204E9800998ECF8427E\"");
        for form in [
            "\"d41d8cd98f00b204e9800998ecf8427e\"",
            "W/\"D41D8CD98F00B204E9800998ECF8427E\"",
        ] {
            assert_eq!(ETag::parse(form), etag(b""), "{form}");
            assert!(etag(b"").matches(form));
        }
        assert_eq!(etag_of_chunks(&[&b"ab"[..], b"", b"c"]), etag(b"abc"));
    }

    #[test]
    fn chunks_are_stored_joined() {
        let s = MemoryStore::new();
        let chunks = vec![
            Bytes::from_static(b"ab"),
            Bytes::new(),
            Bytes::from_static(b"c"),
        ];
        let put = Write::Put(PutObject {
            key: "k".into(),
            chunks,
            content_type: "video/MP2T".into(),
            durability: Durability::Durable,
        });
        block_on(s.write_in_order(None, &[put])).unwrap();
        let meta = block_on(s.head("k")).unwrap();
        assert_eq!((meta.size, meta.etag), (3, etag(b"abc")));
        assert_eq!(block_on(s.get("k", None)).unwrap().data, &b"abc"[..]);
    }

    #[test]
    fn parts_pack_appends_into_full_blocks() {
        let mut upload = Upload::new("k", "video/MP2T", Parts::default());
        let input: Vec<u8> = (0..350_000u32).map(|i| (i % 251) as u8).collect();
        // Pieces like an ingest's: chunks cut short, one larger than a block.
        let mut at = 0;
        for len in [50_000, 40_000, 1, 200_000, 0, 59_999] {
            let piece = Bytes::copy_from_slice(&input[at..at + len]);
            block_on(Parts::append(&mut upload, piece)).unwrap();
            at += len;
        }
        assert_eq!(upload.size(), 350_000);
        let chunks = upload.state_mut().chunks();
        let (last, full) = chunks.split_last().unwrap();
        assert!(full.iter().all(|c| c.len() == PACKED_BLOCK));
        assert_eq!(last.len(), 350_000 % PACKED_BLOCK);
        assert_eq!(upload.state_mut().chunks().concat(), input);
    }

    #[test]
    fn a_completed_upload_holds_nothing_and_a_failed_one_everything() {
        let mut upload = Upload::new("k", "video/MP2T", Parts::default());
        let input: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
        block_on(Parts::append(&mut upload, Bytes::from(input.clone()))).unwrap();
        let failing = |_: String, blocks: Vec<Bytes>, _: String| -> BoxFuture<'_, _> {
            assert_eq!(blocks.concat(), input);
            Box::pin(std::future::ready(Err(StoreError::Backend("down".into()))))
        };
        block_on(Parts::complete_by(&mut upload, failing)).unwrap_err();
        // The failed put's blocks are back, whole, for the retry.
        let s = MemoryStore::new();
        block_on(Parts::complete(&s, &mut upload)).unwrap();
        assert_eq!(block_on(s.get("k", None)).unwrap().data, &input[..]);
        // Stored: nothing is left in the upload, and it cannot be stored
        // again (as an empty object).
        assert!(upload.state_mut().chunks().is_empty());
        let again = block_on(Parts::complete(&s, &mut upload)).unwrap_err();
        assert!(again.to_string().contains("completed twice"), "{again}");
        assert_eq!(block_on(s.head("k")).unwrap().size, 150_000);
    }
}
