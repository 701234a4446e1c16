//! RTMP ingest: from a publish request to stored segments and playlists.
//!
//! The driver runs the RTMP session (`livechannel-rtmp`); when it reports a
//! publish request it calls [`Service::publish`], answers the publisher with
//! the result ([`PublishError::rtmp_status`] on refusal), and then feeds every
//! audio/video message to the [`Publisher`], awaiting each call: that await
//! is the backpressure towards a publisher when the store is slow. When the
//! connection ends, or a push returns [`IngestError::Disabled`] (within
//! [`DISABLED_CHECK_MS`] of the channel being disabled; a driver that wants
//! to know without waiting for media asks [`Publisher::is_disabled`]), it
//! calls [`Publisher::finish`].
//!
//! For each segment the store sees, in this order: the segment object
//! `{channel}/{wall-ms}.ts`, its VOD index entry, then the live playlist
//! naming it. So no playlist ever names a segment that is not stored.
//!
//! A segment's time (its name, its index entry) is the wall-clock time at
//! which its first frame arrived: the `now` passed with that frame to
//! [`Publisher::video`] or [`Publisher::audio`]. Not the publish's start
//! plus stream time: a publisher pushing a recorded file as fast as the
//! link allows (the OSS guide's `ffmpeg -i 1.flv -c copy -f flv rtmp://…`)
//! sends a minute of media in seconds, and a VOD over the push's time must
//! hold all of it. Times are strictly increasing within a channel, across
//! publishes too; the History record spans every segment of its publish
//! ([`LiveRecord::whole_seconds`](crate::catalog::LiveRecord::whole_seconds)).
//!
//! Audio that is not AAC is dropped for the whole publish, as OSS does;
//! the driver learns it once, from [`Publisher::poll_warning`], to tell the
//! operator (the library prints nothing).

use std::collections::VecDeque;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use livechannel_hls::{Chunk, Output, Segment, Segmenter, SegmenterConfig, SoundFormat};
use livechannel_m3u8::{LiveWindow, MediaPlaylist, MediaSegment};

use crate::addressing::{parse_query, Plus};
use crate::catalog::{object_key, Acl, CatalogError, ChannelStatus, LiveRecord, SegmentEntry};
use crate::live::{AudioStat, LiveEntry, LiveStat, VideoStat};
use crate::store::{BoxFuture, DynUpload, PutObject, StoreError, Write};
use crate::time::unix_ms;
use crate::Service;

/// A publish request, as the driver resolved it from the RTMP session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishRequest {
    /// The bucket (see [`resolve_publish`](crate::addressing::resolve_publish)).
    pub bucket: String,
    /// The channel: the stream name without its query, percent-decoded.
    pub channel: String,
    /// The push parameters (`OSSAccessKeyId`, `Expires`, `Signature`,
    /// `playlistName`, ...), from wherever the client put them, without `?`
    /// (read with `+` as a `+`: [`Plus::Literal`]).
    pub query: String,
    /// The publisher's `ip:port`.
    pub remote_addr: String,
}

/// Why a publish was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// No such bucket.
    #[error("no such bucket {0}")]
    NoSuchBucket(String),
    /// No such channel in the bucket.
    #[error("no such live channel {0}")]
    NoSuchLiveChannel(String),
    /// The channel is disabled.
    #[error("live channel {0} is disabled")]
    Disabled(String),
    /// Another publisher is pushing to the channel (here or on another node).
    #[error("live channel {0} already has a publisher")]
    AlreadyLive(String),
    /// The push URL's signature is missing, expired or wrong.
    #[error("rtmp url signature: {0}")]
    Auth(crate::auth::RtmpAuthError),
    /// A push parameter is invalid (e.g. `playlistName`).
    #[error("invalid push parameter: {0}")]
    InvalidArgument(String),
    /// The store failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl PublishError {
    /// The `onStatus` code and description to answer the publisher with.
    pub fn rtmp_status(&self) -> (&'static str, String) {
        let code = match self {
            PublishError::Disabled(_) | PublishError::Auth(_) => "NetStream.Publish.Denied",
            _ => "NetStream.Publish.BadName",
        };
        (code, self.to_string())
    }
}

/// Why ingest stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The channel was disabled while live: end the publish, then call [`Publisher::finish`].
    #[error("the live channel was disabled")]
    Disabled,
    /// The video is not H.264 (OSS accepts only H.264 video).
    #[error(transparent)]
    Unsupported(livechannel_hls::Error),
    /// The store failed; what was stored so far stays consistent.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A record could not be written.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// Something about a publish the operator should hear about, though the
/// publish goes on: from [`Publisher::poll_warning`], once each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IngestWarning {
    /// The audio is not AAC: it is dropped for the whole publish (OSS keeps
    /// only AAC audio) and the video is stored alone. Stat still names the
    /// incoming codec, as OSS does.
    AudioDiscarded {
        /// The incoming audio codec.
        codec: SoundFormat,
    },
}

impl std::fmt::Display for IngestWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IngestWarning::AudioDiscarded { codec } => write!(
                f,
                "{} audio is not supported (AAC only, as OSS); the stream is stored without audio",
                audio_codec_name(*codec)
            ),
        }
    }
}

impl IngestError {
    /// True when the store failed in a way worth retrying.
    pub fn is_transient(&self) -> bool {
        match self {
            IngestError::Store(e) | IngestError::Catalog(CatalogError::Store(e)) => {
                e.is_transient()
            }
            _ => false,
        }
    }
}

impl Service {
    /// Check a publish request and, when it may go ahead, take the channel:
    /// the returned [`Publisher`] holds it (in this process and, through a
    /// lease in the store, across nodes) until [`Publisher::finish`].
    pub async fn publish(
        self: &Arc<Self>,
        request: PublishRequest,
        now: SystemTime,
    ) -> Result<Publisher, PublishError> {
        let PublishRequest {
            bucket,
            channel,
            query,
            remote_addr,
        } = request;
        let now_ms = unix_ms(now);
        let record = self
            .catalog
            .bucket(&bucket)
            .await?
            .ok_or_else(|| PublishError::NoSuchBucket(bucket.clone()))?;
        let params = parse_query(&query, Plus::Literal);
        if record.acl != Acl::PublicReadWrite {
            crate::auth::verify_rtmp(
                &self.config.access_keys,
                &bucket,
                &channel,
                &params,
                now_ms / 1000,
            )
            .map_err(PublishError::Auth)?;
        }
        let channel_record = self
            .catalog
            .channel(&bucket, &channel)
            .await?
            .ok_or_else(|| PublishError::NoSuchLiveChannel(channel.clone()))?;
        if channel_record.config.status == ChannelStatus::Disabled {
            return Err(PublishError::Disabled(channel));
        }
        let target = &channel_record.config.target;
        let playlist_name = match params.iter().find(|(k, _)| k == "playlistName") {
            Some((_, name)) => {
                // The rule PutLiveChannel applies: the name becomes a key.
                if crate::api::validate::playlist_name(name).is_err() {
                    return Err(PublishError::InvalidArgument(format!(
                        "playlistName {name:?}"
                    )));
                }
                name.clone()
            }
            None => target.playlist_name.clone(),
        };

        let stat = LiveStat {
            connected_ms: now_ms,
            remote_addr: remote_addr.clone(),
            ..LiveStat::default()
        };
        let entry = self
            .live
            .claim(&bucket, &channel, stat)
            .ok_or_else(|| PublishError::AlreadyLive(channel.clone()))?;
        // Retried as a whole: a put that reached the store but whose answer
        // was lost leaves our own generation newest, which we take over.
        let leased = retry(self, &entry, "lease", || {
            self.catalog.take_lease(
                &bucket,
                &channel,
                &self.config.node_id,
                now_ms,
                now_ms + self.config.lease_ms,
            )
        })
        .await;
        let lease = match leased {
            Ok(Some(lease)) => lease,
            Ok(None) => {
                self.live.release(&bucket, &channel, &entry);
                return Err(PublishError::AlreadyLive(channel));
            }
            Err(e) => {
                self.live.release(&bucket, &channel, &entry);
                return Err(PublishError::Catalog(match e {
                    IngestError::Catalog(e) => e,
                    IngestError::Store(e) => e.into(),
                    // take_lease fails with catalog errors only.
                    other => StoreError::Backend(other.to_string()).into(),
                }));
            }
        };

        // A republish continues the stored playlist's numbering, after a discontinuity.
        let playlist_key = object_key(&bucket, &format!("{channel}/{playlist_name}"));
        let frag_count = target.frag_count.max(1) as usize;
        let stored = match self.catalog.store().get(&playlist_key, None).await {
            Ok(object) => std::str::from_utf8(&object.data)
                .ok()
                .and_then(|t| MediaPlaylist::parse(t).ok()),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => {
                // Restarting the numbering on a passing store error would
                // confuse players: refuse, and free the channel.
                let _ = self.catalog.release_lease(&bucket, &channel, &lease).await;
                self.live.release(&bucket, &channel, &entry);
                return Err(PublishError::Catalog(e.into()));
            }
        };
        let mut window = match &stored {
            Some(playlist) => LiveWindow::resume(playlist, frag_count),
            None => LiveWindow::new(frag_count, u64::from(target.frag_duration.max(1))),
        };
        window.mark_discontinuity();
        // Names stay ordered after a previous session whose names are ahead
        // of the clock (a clock stepped back, or names an older version
        // dated by stream time).
        let last_ms = stored
            .as_ref()
            .and_then(|p| p.segments.last())
            .and_then(|s| s.uri.strip_suffix(".ts"))
            .and_then(|ms| ms.parse::<u64>().ok());
        // Every frame is pushed with its arrival time, which dates the
        // segments: the base (stream time zero) is not used.
        let mut config =
            SegmenterConfig::new(u64::from(target.frag_duration.max(1)) * 1000, now_ms);
        config.min_wall_ms = last_ms.map_or(0, |last| last + 1);
        // Each chunk goes to the store as it fills: a stream holds about a
        // chunk, not a segment (with stores that keep partial objects).
        config.output = livechannel_hls::OutputMode::StreamedChunks;
        config.chunk_bytes = self.config.segment_chunk_bytes;
        let segmenter = Segmenter::new(config).with_pool(self.chunk_pool.clone());

        self.counters.publishes.fetch_add(1, Relaxed);
        Ok(Publisher {
            service: Arc::clone(self),
            bucket,
            channel,
            remote_addr,
            connected_ms: now_ms,
            playlist_key,
            entry,
            segmenter,
            upload: None,
            failed_segment: None,
            window,
            first_segment: true,
            lease,
            meter: Meter::new(now_ms),
            rates: (0, 0, 0),
            tracks: (false, false),
            disabled_check_ms: 0,
            stored_wall_ms: None,
            audio_warned: false,
            warnings: VecDeque::new(),
            finished: false,
        })
    }
}

/// One live push: feed it the publisher's media, then [`finish`](Self::finish) it.
pub struct Publisher {
    service: Arc<Service>,
    bucket: String,
    channel: String,
    remote_addr: String,
    connected_ms: u64,
    playlist_key: String,
    entry: Arc<LiveEntry>,
    segmenter: Segmenter,
    /// The segment being stored as it is made: (segment index, upload).
    upload: Option<(u64, DynUpload)>,
    /// A segment whose upload failed: its later chunks and its end are
    /// dropped, so that no object is made of what is left of it.
    failed_segment: Option<u64>,
    window: LiveWindow,
    first_segment: bool,
    lease: crate::catalog::Lease,
    meter: Meter,
    /// The last measured (video B/s, audio B/s, frames/s).
    rates: (u64, u64, u32),
    /// Which tracks Stat shows (video, audio).
    tracks: (bool, bool),
    /// When (Unix ms) to look at the channel's disabled flag next.
    disabled_check_ms: u64,
    /// The first and last stored segments' times (Unix ms), for the
    /// History record to span them.
    stored_wall_ms: Option<(u64, u64)>,
    /// The discarded audio was reported (once per publish).
    audio_warned: bool,
    warnings: VecDeque<IngestWarning>,
    finished: bool,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("bucket", &self.bucket)
            .field("channel", &self.channel)
            .field("remote_addr", &self.remote_addr)
            .finish_non_exhaustive()
    }
}

impl Publisher {
    /// The bucket pushed to.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The channel pushed to.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The segmenter's counters: frames in and out, and every frame not used, by reason.
    pub fn stats(&self) -> &livechannel_hls::Stats {
        self.segmenter.stats()
    }

    /// True once the channel was disabled: end the RTMP publish and call [`finish`](Self::finish).
    pub fn is_disabled(&self) -> bool {
        self.entry.is_disabled()
    }

    /// What the operator should hear about this publish, once each (see
    /// [`IngestWarning`]). Worth calling after [`audio`](Self::audio).
    pub fn poll_warning(&mut self) -> Option<IngestWarning> {
        self.warnings.pop_front()
    }

    /// An RTMP video message (an FLV video tag body), received at `now`:
    /// a segment it starts is dated `now`.
    pub async fn video(
        &mut self,
        timestamp: u32,
        body: Bytes,
        now: SystemTime,
    ) -> Result<(), IngestError> {
        // One conversion for the check and the drain.
        let now_ms = unix_ms(now);
        self.check(now_ms)?;
        self.count_media(&body);
        self.meter.video_bytes += body.len() as u64;
        self.meter.video_frames += 1;
        if let Err(e) = self.segmenter.push_video_at(timestamp, body, now_ms) {
            if e.is_fatal() {
                return Err(IngestError::Unsupported(e));
            }
            // A damaged frame: counted in stats(), the stream goes on.
        }
        self.drain(now_ms).await
    }

    /// An RTMP audio message (an FLV audio tag body), received at `now`.
    /// Audio other than AAC is discarded (and counted), as OSS does; the
    /// video goes on, and [`poll_warning`](Self::poll_warning) says so once.
    pub async fn audio(
        &mut self,
        timestamp: u32,
        body: Bytes,
        now: SystemTime,
    ) -> Result<(), IngestError> {
        let now_ms = unix_ms(now);
        self.check(now_ms)?;
        self.count_media(&body);
        self.meter.audio_bytes += body.len() as u64;
        let _ = self.segmenter.push_audio_at(timestamp, body, now_ms);
        if !self.audio_warned {
            if let Some(discarded) = self.segmenter.discarded_audio() {
                self.audio_warned = true;
                self.warnings.push_back(IngestWarning::AudioDiscarded {
                    codec: discarded.format,
                });
            }
        }
        self.drain(now_ms).await
    }

    /// The publish ended (the publisher left, or the channel was disabled):
    /// stores the last partial segment, ends the playlist (EXT-X-ENDLIST),
    /// records the session in the channel's history and frees the channel.
    pub async fn finish(mut self, now: SystemTime) -> Result<(), IngestError> {
        self.finished = true;
        self.segmenter.finish();
        let mut result = self.drain(unix_ms(now)).await;
        if result.is_ok() && !self.window.is_empty() {
            self.window.end();
            result = self.put_playlist().await;
        }
        // The record spans every segment of the publish, so that a VOD
        // over its times holds them all, even where a segment's time is
        // after the disconnect (bumped past an earlier publish's names).
        let (first_ms, last_ms) = self.stored_wall_ms.unwrap_or((u64::MAX, 0));
        let record = LiveRecord {
            start_ms: self.connected_ms.min(first_ms),
            end_ms: unix_ms(now).max(last_ms),
            remote_addr: self.remote_addr.clone(),
        };
        let catalog = &self.service.catalog;
        let history = self
            .retry("history", || {
                catalog.add_history(&self.bucket, &self.channel, record.clone())
            })
            .await;
        let lease = self
            .retry("lease", || {
                catalog.release_lease(&self.bucket, &self.channel, &self.lease)
            })
            .await;
        self.service
            .live
            .release(&self.bucket, &self.channel, &self.entry);
        result?;
        history?;
        lease?;
        Ok(())
    }

    fn count_media(&self, body: &Bytes) {
        let counters = &self.service.counters;
        counters.media_bytes.fetch_add(body.len() as u64, Relaxed);
    }

    /// A disabled channel is noticed within [`DISABLED_CHECK_MS`] of `now_ms`:
    /// the flag lives in this process's `LiveEntry`, which the API's
    /// threads write, so reading it on every message would be a cache miss
    /// each time. Only this node's API sets it; a channel disabled through
    /// another node is seen in the store when the lease is renewed.
    fn check(&mut self, now_ms: u64) -> Result<(), IngestError> {
        if now_ms < self.disabled_check_ms {
            return Ok(());
        }
        self.disabled_check_ms = now_ms.saturating_add(DISABLED_CHECK_MS);
        if self.entry.is_disabled() {
            return Err(IngestError::Disabled);
        }
        Ok(())
    }

    /// Store whatever segments are ready, in order, and refresh the stats and the lease.
    async fn drain(&mut self, now_ms: u64) -> Result<(), IngestError> {
        while let Some(output) = self.segmenter.poll_output() {
            match output {
                Output::Chunk(chunk) => self.store_chunk(chunk).await?,
                Output::Segment(segment) => self.store(&segment).await?,
            }
        }
        self.update_stat(now_ms);
        // Renew the lease once a third of it has passed.
        let lease_ms = self.service.config.lease_ms;
        if !self.finished && now_ms + lease_ms * 2 / 3 >= self.lease.expires_ms {
            let stat = self.entry.stat();
            let catalog = &self.service.catalog;
            let renewed = self
                .retry("lease", || {
                    let expires_ms = now_ms + lease_ms;
                    let stat = Some(stat.clone());
                    catalog.renew_lease(&self.bucket, &self.channel, &self.lease, expires_ms, stat)
                })
                .await?;
            match renewed {
                Some(lease) => self.lease = lease,
                // Another node took the channel over (our lease had expired).
                None => return Err(IngestError::Disabled),
            }
            // Another node's PutLiveChannelStatus only reaches the stored
            // record: look at it as often as the lease is renewed (every
            // 10 s by default, as OSS ends a disabled push within about 10 s).
            let record = self
                .retry("channel", || catalog.channel(&self.bucket, &self.channel))
                .await?;
            if record.is_some_and(|r| r.config.status == ChannelStatus::Disabled) {
                return Err(IngestError::Disabled);
            }
        }
        Ok(())
    }

    /// Refresh what Stat shows: every meter period, and at once when a track appears.
    fn update_stat(&mut self, now_ms: u64) {
        let sampled = self.meter.sample(now_ms);
        if let Some(rates) = sampled {
            self.rates = rates;
        }
        let info = self.segmenter.media_info();
        let discarded = self.segmenter.discarded_audio();
        // Discarded audio is a track Stat shows too.
        let tracks = (
            info.video.is_some(),
            info.audio.is_some() || discarded.is_some(),
        );
        if sampled.is_none() && tracks == self.tracks {
            return;
        }
        self.tracks = tracks;
        let (video_bw, audio_bw, fps) = self.rates;
        self.entry.update(|stat| {
            stat.video = info.video.as_ref().map(|v| VideoStat {
                width: v.width,
                height: v.height,
                frame_rate: v.frame_rate.map_or(fps, |f| f.round() as u32),
                bandwidth: video_bw,
                codec: "H264".to_owned(),
            });
            stat.audio = match (&info.audio, discarded) {
                (Some(a), _) => Some(AudioStat {
                    bandwidth: audio_bw,
                    sample_rate: a.sample_rate,
                    codec: "AAC".to_owned(),
                }),
                // Audio that is not AAC is discarded, but Stat names it (as OSS's docs show).
                (None, Some(d)) => Some(AudioStat {
                    bandwidth: audio_bw,
                    sample_rate: d.sample_rate,
                    codec: audio_codec_name(d.format).to_owned(),
                }),
                _ => None,
            };
        });
    }

    /// Append a chunk of the segment being made to its upload (begun with
    /// the segment's first chunk).
    async fn store_chunk(&mut self, chunk: Chunk) -> Result<(), IngestError> {
        if self.failed_segment == Some(chunk.index) {
            return Ok(());
        }
        let index = chunk.index;
        let result = self.append_chunk(chunk).await;
        if result.is_err() {
            // The segment cannot be whole any more: its later chunks and its
            // end are dropped (the upload already was).
            self.failed_segment = Some(index);
        }
        result
    }

    async fn append_chunk(&mut self, chunk: Chunk) -> Result<(), IngestError> {
        let mut upload = match self.upload.take() {
            Some((index, upload)) if index == chunk.index => upload,
            // A new segment (an upload of an earlier one cannot be left
            // here: its segment came out before this chunk and completed it).
            _ => {
                let key = self.segment_key(&chunk.file_name());
                let store = self.service.catalog.store();
                self.retry("segment", || store.clone().begin_dyn_upload(&key, TS))
                    .await?
            }
        };
        self.append(&mut upload, &chunk.data).await?;
        self.upload = Some((chunk.index, upload));
        Ok(())
    }

    fn segment_key(&self, file_name: &str) -> String {
        object_key(&self.bucket, &format!("{}/{file_name}", self.channel))
    }

    async fn append(&self, upload: &mut DynUpload, data: &Bytes) -> Result<(), IngestError> {
        self.retry_upload(upload, |u| u.append(data.clone())).await
    }

    /// [`retry`] for a store call that borrows `upload`.
    async fn retry_upload<T>(
        &self,
        upload: &mut DynUpload,
        mut op: impl for<'u> FnMut(&'u mut DynUpload) -> BoxFuture<'u, Result<T, StoreError>>,
    ) -> Result<T, IngestError> {
        let mut backoff = Backoff::new(&self.service);
        loop {
            match op(upload).await {
                Ok(value) => return Ok(value),
                Err(e) => backoff.failed(&self.entry, "segment", e.into()).await?,
            }
        }
    }

    /// Store a finished segment, its index entry and the playlist that
    /// names it, in that order, in one [`Uploads::write_in_order`](crate::store::Uploads::write_in_order)
    /// (one blocking job for the file store, where each call apart cost
    /// a thread hand-off).
    async fn store(&mut self, segment: &Segment) -> Result<(), IngestError> {
        if self.failed_segment == Some(segment.index) {
            // Its failure was reported when its chunk could not be stored;
            // the playlist goes on without it.
            return Ok(());
        }
        let name = segment.file_name();
        let mut writes = Vec::with_capacity(segment.chunks.len() + 3);
        let mut upload = match self.upload.take() {
            Some((index, upload)) if index == segment.index => {
                writes.extend(segment.chunks.iter().cloned().map(Write::Append));
                writes.push(Write::Complete);
                Some(upload)
            }
            // Chunks went out but their upload is gone: cannot happen, as
            // failed_segment covers it; never store the rest as the segment.
            _ if segment.streamed > 0 => return Ok(()),
            _ => {
                writes.push(Write::Put(PutObject {
                    key: self.segment_key(&name),
                    chunks: segment.chunks.clone(),
                    content_type: TS.to_owned(),
                }));
                None
            }
        };
        // The writes before `stored` store the segment; the one before
        // `indexed` its index entry; the last the playlist.
        let stored = writes.len();
        let entry = SegmentEntry {
            start_ms: segment.wall_ms,
            duration_ms: (segment.duration * 1000.0).round() as u64,
            // Every session starts its own timeline, also one that pushes
            // to a new playlistName: a VOD spanning two must say so.
            discontinuity: self.first_segment,
        };
        let catalog = &self.service.catalog;
        writes.push(catalog.segment_write(&self.bucket, &self.channel, entry));
        let indexed = writes.len();
        let mut window = self.window.clone();
        window.push(MediaSegment {
            uri: name,
            duration: segment.duration,
            discontinuity: false,
            title: String::new(),
        });
        writes.push(Write::put(&self.playlist_key, playlist_body(&window), M3U8));

        let (done, result) = self
            .write_in_order(upload.as_mut(), &writes, [stored, indexed])
            .await;
        let counters = &self.service.counters;
        if done >= stored {
            let (first, _) = self.stored_wall_ms.unwrap_or((segment.wall_ms, 0));
            self.stored_wall_ms = Some((first, segment.wall_ms));
            counters.segments.fetch_add(1, Relaxed);
            counters
                .segment_bytes
                .fetch_add(segment.len() as u64, Relaxed);
            self.first_segment = false;
        }
        // As when each was its own call: the window (what an ended
        // playlist names) takes the segment once it is indexed.
        if done >= indexed {
            self.window = window;
        }
        if done == writes.len() {
            counters.playlists.fetch_add(1, Relaxed);
        }
        result
    }

    /// [`Uploads::write_in_order`](crate::store::Uploads::write_in_order), going on after a failed write as
    /// [`retry`] does (each write gets the policy's whole time). Returns
    /// how many writes were done. `ends` are the ends of the segment's and
    /// the index entry's writes, for the stat's error message.
    async fn write_in_order(
        &self,
        mut upload: Option<&mut DynUpload>,
        writes: &[Write],
        ends: [usize; 2],
    ) -> (usize, Result<(), IngestError>) {
        let store = self.service.catalog.store();
        let mut done = 0;
        let mut backoff = Backoff::new(&self.service);
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
                backoff = Backoff::new(&self.service);
            }
            let what = match done {
                d if d < ends[0] => "segment",
                d if d < ends[1] => "index",
                _ => "playlist",
            };
            if let Err(e) = backoff.failed(&self.entry, what, failed.error.into()).await {
                return (done, Err(e));
            }
        }
    }

    async fn put_playlist(&mut self) -> Result<(), IngestError> {
        let body = playlist_body(&self.window);
        let store = self.service.catalog.store();
        self.retry("playlist", || {
            store.put(&self.playlist_key, body.clone(), M3U8)
        })
        .await?;
        self.service.counters.playlists.fetch_add(1, Relaxed);
        Ok(())
    }

    async fn retry<T, E, Fut>(&self, what: &str, op: impl FnMut() -> Fut) -> Result<T, IngestError>
    where
        Fut: std::future::Future<Output = Result<T, E>>,
        E: Into<IngestError>,
    {
        retry(&self.service, &self.entry, what, op).await
    }
}

const TS: &str = "video/MP2T";
const M3U8: &str = "application/x-mpegURL";

fn playlist_body(window: &LiveWindow) -> Bytes {
    let mut text = String::new();
    window.write(&mut text);
    Bytes::from(text)
}

/// Run `op` until it succeeds, the failure is not transient, or the
/// [`RetryPolicy`](crate::RetryPolicy) gives up; every failure is counted,
/// and shown in the channel's stat. Meanwhile the publisher waits.
async fn retry<T, E, Fut>(
    service: &Service,
    entry: &LiveEntry,
    what: &str,
    mut op: impl FnMut() -> Fut,
) -> Result<T, IngestError>
where
    Fut: std::future::Future<Output = Result<T, E>>,
    E: Into<IngestError>,
{
    let mut backoff = Backoff::new(service);
    loop {
        match op().await {
            Ok(value) => return Ok(value),
            Err(e) => backoff.failed(entry, what, e.into()).await?,
        }
    }
}

/// The waits between the tries of one store write.
struct Backoff<'a> {
    service: &'a Service,
    waited_ms: u64,
    wait_ms: u64,
}

impl<'a> Backoff<'a> {
    fn new(service: &'a Service) -> Self {
        Backoff {
            service,
            waited_ms: 0,
            wait_ms: service.config.store_retry.initial_ms.max(1),
        }
    }

    /// Count a failed try and wait before the next, or give the error back
    /// when it is not worth another try.
    async fn failed(
        &mut self,
        entry: &LiveEntry,
        what: &str,
        error: IngestError,
    ) -> Result<(), IngestError> {
        let (service, policy) = (self.service, self.service.config.store_retry);
        service.counters.store_write_failures.fetch_add(1, Relaxed);
        entry.update(|stat| {
            stat.store_errors += 1;
            stat.last_store_error = Some(format!("{what}: {error}"));
        });
        let sleep = match &service.sleep {
            Some(sleep) if error.is_transient() && self.waited_ms < policy.give_up_ms => sleep,
            _ => return Err(error),
        };
        sleep
            .sleep(std::time::Duration::from_millis(self.wait_ms))
            .await;
        self.waited_ms = self.waited_ms.saturating_add(self.wait_ms);
        self.wait_ms = self.wait_ms.saturating_mul(2).min(policy.max_ms.max(1));
        Ok(())
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        // A publisher dropped without finish() (the driver's task was
        // cancelled): free the channel here at least; the store lease
        // expires on its own.
        if !self.finished {
            self.service
                .live
                .release(&self.bucket, &self.channel, &self.entry);
        }
    }
}

/// Bytes per second over the last couple of seconds, per track.
#[derive(Debug)]
struct Meter {
    since_ms: u64,
    video_bytes: u64,
    audio_bytes: u64,
    video_frames: u64,
    reported: bool,
}

/// How often the statistics are refreshed.
const METER_PERIOD_MS: u64 = 2_000;

/// How often (by the `now` passed in) a publish looks whether its channel
/// was disabled: [`Publisher::video`] and [`Publisher::audio`] return
/// [`IngestError::Disabled`] at most this long after the change.
pub const DISABLED_CHECK_MS: u64 = 100;

impl Meter {
    fn new(now_ms: u64) -> Self {
        Meter {
            since_ms: now_ms,
            video_bytes: 0,
            audio_bytes: 0,
            video_frames: 0,
            reported: false,
        }
    }

    /// (video B/s, audio B/s, video frames/s) once a period has passed.
    /// The first call reports at once, with rates of 0 (OSS allows 0 right
    /// after the stream starts), so the stat shows the tracks early.
    fn sample(&mut self, now_ms: u64) -> Option<(u64, u64, u32)> {
        let elapsed = now_ms.saturating_sub(self.since_ms);
        if elapsed < METER_PERIOD_MS {
            if self.reported {
                return None;
            }
            self.reported = true;
            return Some((0, 0, 0));
        }
        let per_s = |n: u64| n.saturating_mul(1000) / elapsed;
        let rates = (
            per_s(self.video_bytes),
            per_s(self.audio_bytes),
            per_s(self.video_frames) as u32,
        );
        self.since_ms = now_ms;
        self.video_bytes = 0;
        self.audio_bytes = 0;
        self.video_frames = 0;
        Some(rates)
    }
}

/// The codec's name as Stat's `<Codec>` gives it.
fn audio_codec_name(format: SoundFormat) -> &'static str {
    match format {
        SoundFormat::LinearPcmPlatform | SoundFormat::LinearPcmLe => "PCM",
        SoundFormat::Adpcm => "ADPCM",
        SoundFormat::Mp3 | SoundFormat::Mp3_8k => "MP3",
        SoundFormat::Nellymoser16kMono
        | SoundFormat::Nellymoser8kMono
        | SoundFormat::Nellymoser => "Nellymoser",
        SoundFormat::G711ALaw => "G711A",
        SoundFormat::G711MuLaw => "G711U",
        SoundFormat::Aac => "AAC",
        SoundFormat::Speex => "Speex",
        SoundFormat::DeviceSpecific | SoundFormat::Other(_) => "Unknown",
    }
}
