//! Segment writing: each segment, its VOD index entry and the live
//! playlist naming it, stored in that order, so that no playlist ever
//! names a segment that is not stored.

use std::sync::atomic::Ordering::Relaxed;

use bytes::Bytes;
use livechannel_hls::{Chunk, InitSegment, Segment, SegmentFormat};
use livechannel_m3u8::{LiveWindow, MediaSegment};

use crate::catalog::{object_key, Catalog, Container, SegmentEntry};
use crate::store::{
    content_type_by_extension, BoxFuture, Durability, DynUpload, PutObject, StoreError, Write,
};

use super::context::Push;
use super::retention::{Kept, Retention};
use super::retry::{count_failure, Backoff};
use super::IngestError;

const M3U8: &str = "application/x-mpegURL";

/// The content type of a segment or init segment named `name`.
fn content_type(name: &str) -> &'static str {
    content_type_by_extension(name).unwrap_or("application/octet-stream")
}

/// The store side of one publish: the upload of the segment being made,
/// and the live playlist's window.
pub(crate) struct SegmentWriter {
    playlist_key: String,
    /// The segment being stored as it is made.
    upload: Option<OpenUpload>,
    /// A segment whose upload failed: its later chunks and its end are
    /// dropped, so that no object is made of what is left of it.
    failed_segment: Option<u64>,
    window: LiveWindow,
    /// The next stored segment is the publish's first (a discontinuity in
    /// the VOD index).
    first_segment: bool,
    /// The first and last stored segments' times (Unix ms), for the
    /// History record to span them.
    stored_wall_ms: Option<(u64, u64)>,
    /// The time naming the init segment the fMP4 segments start from
    /// (the last one stored).
    init_ms: Option<u64>,
    /// The stored segments to delete in time (segment retention).
    retention: Retention,
}

struct OpenUpload {
    segment: u64,
    upload: DynUpload,
}

impl SegmentWriter {
    /// A writer continuing `window` (resumed from the stored playlist, or
    /// new), deleting the segments it stores after `retention_ms` (None:
    /// never).
    pub(crate) fn new(playlist_key: String, window: LiveWindow, retention_ms: Option<u64>) -> Self {
        SegmentWriter {
            playlist_key,
            upload: None,
            failed_segment: None,
            window,
            first_segment: true,
            stored_wall_ms: None,
            init_ms: None,
            retention: Retention::new(retention_ms),
        }
    }

    /// The first and last stored segments' times (Unix ms).
    pub(crate) fn stored_wall_ms(&self) -> Option<(u64, u64)> {
        self.stored_wall_ms
    }

    /// Append a chunk of the segment being made to its upload (begun with
    /// the segment's first chunk).
    pub(crate) async fn chunk(&mut self, push: &Push, chunk: Chunk) -> Result<(), IngestError> {
        if self.failed_segment == Some(chunk.index) {
            return Ok(());
        }
        let index = chunk.index;
        let result = self.append_chunk(push, chunk).await;
        if result.is_err() {
            // The segment cannot be whole any more: its later chunks and its
            // end are dropped (the upload already was).
            self.failed_segment = Some(index);
        }
        result
    }

    async fn append_chunk(&mut self, push: &Push, chunk: Chunk) -> Result<(), IngestError> {
        let mut upload = match self.upload.take() {
            Some(open) if open.segment == chunk.index => open.upload,
            // A new segment (an upload of an earlier one cannot be left
            // here: its segment came out before this chunk and completed it).
            _ => {
                let key = segment_key(push, &chunk.file_name());
                let store = push.ctx.catalog.store();
                let content_type = content_type(&key);
                push.retry("segment", || {
                    store.clone().begin_dyn_upload(&key, content_type)
                })
                .await?
            }
        };
        let data = &chunk.data;
        retry_upload(push, &mut upload, |u| u.append(data.clone())).await?;
        self.upload = Some(OpenUpload {
            segment: chunk.index,
            upload,
        });
        Ok(())
    }

    /// Store a finished segment, its index entry and the playlist that
    /// names it, in that order, in one [`Uploads::write_in_order`](crate::store::Uploads::write_in_order)
    /// (one blocking job for the file store, where each call apart cost
    /// a thread hand-off).
    pub(crate) async fn segment(
        &mut self,
        push: &Push,
        segment: &Segment,
    ) -> Result<(), IngestError> {
        if self.failed_segment == Some(segment.index) {
            // Its failure was reported when its chunk could not be stored;
            // the playlist goes on without it.
            return Ok(());
        }
        let name = segment.file_name();
        let mut window = self.window.clone();
        let mut writes = Vec::with_capacity(segment.chunks.len() + 4);
        // An init segment is stored before the first segment needing it.
        if let Some(init) = &segment.init {
            writes.push(init_write(push, init));
            window.set_map(init.file_name());
        } else if segment.format == SegmentFormat::Ts && window.has_map() {
            // TS after fMP4 (a republish in another codec): a map cannot
            // be ended, so the fMP4 segments leave the playlist.
            window.restart();
        }
        let mut upload = match self.upload.take() {
            Some(open) if open.segment == segment.index => {
                writes.extend(segment.chunks.iter().cloned().map(Write::Append));
                writes.push(Write::Complete);
                Some(open.upload)
            }
            // Chunks went out but their upload is gone: cannot happen, as
            // failed_segment covers it; never store the rest as the segment.
            _ if segment.streamed > 0 => return Ok(()),
            _ => {
                writes.push(Write::Put(PutObject {
                    key: segment_key(push, &name),
                    chunks: segment.chunks.clone(),
                    content_type: content_type(&name).to_owned(),
                    durability: Durability::Durable,
                }));
                None
            }
        };
        // The writes before `stored` store the segment; the one before
        // `indexed` its index entry; the last the playlist.
        let stored = writes.len();
        let init_ms = segment.init.as_ref().map(|i| i.wall_ms).or(self.init_ms);
        let entry = SegmentEntry {
            start_ms: segment.wall_ms,
            duration_ms: (segment.duration * 1000.0).round() as u64,
            // Every session starts its own timeline, also one that pushes
            // to a new playlistName: a VOD spanning two must say so.
            discontinuity: self.first_segment,
            container: match (segment.format, init_ms) {
                (SegmentFormat::Fmp4, Some(init_ms)) => Container::Fmp4 { init_ms },
                // (fMP4 without an init segment cannot come out of the
                // segmenter: its first fMP4 segment brings one.)
                _ => Container::Ts,
            },
        };
        let catalog = &push.ctx.catalog;
        writes.push(catalog.segment_write(&push.bucket, &push.channel, entry));
        let indexed = writes.len();
        window.push(MediaSegment {
            uri: name,
            duration: segment.duration,
            discontinuity: false,
            title: String::new(),
        });
        // Rewritten with every segment, so not waited for on the disk; the
        // ended playlist (`end`) is.
        writes.push(Write::put_eventual(
            &self.playlist_key,
            playlist_body(&window),
            M3U8,
        ));

        let (done, result) =
            write_in_order(push, upload.as_mut(), &writes, [stored, indexed]).await;
        let counters = &push.ctx.counters;
        if done >= stored {
            let (first, _) = self.stored_wall_ms.unwrap_or((segment.wall_ms, 0));
            self.stored_wall_ms = Some((first, segment.wall_ms));
            counters.segments.fetch_add(1, Relaxed);
            counters
                .segment_bytes
                .fetch_add(segment.len() as u64, Relaxed);
            self.first_segment = false;
            self.init_ms = init_ms;
        }
        // Its number in the playlist (or the one it would have had, when
        // stored but not indexed: the next segment takes the same number,
        // and both leave the playlist together).
        let sequence = window.media_sequence() + window.len() as u64 - 1;
        // As when each was its own call: the window (what an ended
        // playlist names) takes the segment once it is indexed.
        if done >= indexed {
            self.window = window;
        }
        if done >= stored {
            self.retention.stored(Kept {
                sequence,
                key: segment_key(push, &segment.file_name()),
                entry,
            });
        }
        if done == writes.len() {
            counters.playlists.fetch_add(1, Relaxed);
            // Only once the playlist that no longer names them is stored.
            self.delete_due(push, false).await;
        }
        result
    }

    /// Delete the segments [`Retention`] says are due, oldest first, each
    /// after its index entry. One that fails to delete is tried again
    /// after the next segment (or given up at the end): a publish does
    /// not stop for it, and its failure is in the channel's Stat.
    async fn delete_due(&mut self, push: &Push, ending: bool) {
        let store = push.ctx.catalog.store();
        while let Some(kept) = self.retention.due(self.window.media_sequence(), ending) {
            let entry_key = Catalog::segment_entry_key(&push.bucket, &push.channel, kept.entry);
            // (An entry that is missing was never written: its segment
            // was stored but the index write failed.)
            let deleted = match store.delete(&entry_key).await {
                Ok(()) | Err(StoreError::NotFound { .. }) => store.delete(&kept.key).await,
                Err(e) => Err(e),
            };
            match deleted {
                Ok(()) | Err(StoreError::NotFound { .. }) => {
                    push.ctx.counters.segments_deleted.fetch_add(1, Relaxed);
                    self.retention.pop();
                }
                Err(e) => {
                    count_failure(&push.ctx, &push.entry, "delete", &e);
                    if !ending {
                        return;
                    }
                    self.retention.pop();
                }
            }
        }
    }

    /// The publish is over: store the playlist once more, ended
    /// (EXT-X-ENDLIST), if it names any segment.
    pub(crate) async fn end(&mut self, push: &Push) -> Result<(), IngestError> {
        if self.window.is_empty() {
            return Ok(());
        }
        self.delete_due(push, true).await;
        self.window.end();
        let body = playlist_body(&self.window);
        let store = push.ctx.catalog.store();
        push.retry("playlist", || {
            store.put(&self.playlist_key, body.clone(), M3U8)
        })
        .await?;
        push.ctx.counters.playlists.fetch_add(1, Relaxed);
        Ok(())
    }
}

fn segment_key(push: &Push, file_name: &str) -> String {
    object_key(&push.bucket, &format!("{}/{file_name}", push.channel))
}

/// The put of an fMP4 init segment, next to the segments.
fn init_write(push: &Push, init: &InitSegment) -> Write {
    let name = init.file_name();
    Write::Put(PutObject {
        key: segment_key(push, &name),
        chunks: vec![init.data.clone()],
        content_type: content_type(&name).to_owned(),
        durability: Durability::Durable,
    })
}

fn playlist_body(window: &LiveWindow) -> Bytes {
    let mut text = String::new();
    window.write(&mut text);
    Bytes::from(text)
}

/// [`retry`](super::retry::retry) for a store call that borrows `upload`.
async fn retry_upload<T>(
    push: &Push,
    upload: &mut DynUpload,
    mut op: impl for<'u> FnMut(&'u mut DynUpload) -> BoxFuture<'u, Result<T, StoreError>>,
) -> Result<T, IngestError> {
    let mut backoff = Backoff::new(&push.ctx);
    loop {
        match op(upload).await {
            Ok(value) => return Ok(value),
            Err(e) => backoff.failed(&push.entry, "segment", e.into()).await?,
        }
    }
}

/// [`Uploads::write_in_order`](crate::store::Uploads::write_in_order), going on after a failed write as
/// [`retry`](super::retry::retry) does (each write gets the policy's whole time). Returns
/// how many writes were done. `ends` are the ends of the segment's and
/// the index entry's writes, for the stat's error message.
async fn write_in_order(
    push: &Push,
    mut upload: Option<&mut DynUpload>,
    writes: &[Write],
    ends: [usize; 2],
) -> (usize, Result<(), IngestError>) {
    let store = push.ctx.catalog.store();
    let mut done = 0;
    let mut backoff = Backoff::new(&push.ctx);
    loop {
        let failed = match store
            .write_in_order_dyn(upload.as_deref_mut(), &writes[done..])
            .await
        {
            Ok(()) => return (writes.len(), Ok(())),
            Err(failed) => failed,
        };
        if failed.done > 0 {
            done += failed.done;
            backoff = Backoff::new(&push.ctx);
        }
        let what = match done {
            d if d < ends[0] => "segment",
            d if d < ends[1] => "index",
            _ => "playlist",
        };
        if let Err(e) = backoff.failed(&push.entry, what, failed.error.into()).await {
            return (done, Err(e));
        }
    }
}
