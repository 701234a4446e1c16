//! Admission: whether a publish may go ahead, and taking the channel for
//! it (in this process, and across nodes through a lease in the store),
//! resuming the channel's stored playlist.

use std::future::Future;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, SystemTime};

use livechannel_hls::{parse_segment_file_name, OutputMode, Segmenter, SegmenterConfig};
use livechannel_m3u8::{LiveWindow, MediaPlaylist};

use crate::addressing::{parse_query, Plus};
use crate::catalog::{object_key, Acl, ChannelRecord, ChannelStatus, Lease};
use crate::live::{LiveEntry, LiveStat};
use crate::store::StoreError;
use crate::time::unix_ms;
use crate::Service;

use super::context::Push;
use super::publisher::Admitted;
use super::writer::SegmentWriter;
use super::{IngestError, PublishError, Publisher};

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

impl Service {
    /// Check a publish request and, when it may go ahead, take the channel:
    /// the returned [`Publisher`] holds it (in this process and, through a
    /// lease in the store, across nodes) until [`Publisher::finish`].
    pub async fn publish(
        self: &Arc<Self>,
        request: PublishRequest,
        now: SystemTime,
    ) -> Result<Publisher, PublishError> {
        let now_ms = unix_ms(now);
        let (record, playlist_name) = self.admit(&request, now_ms).await?;
        let PublishRequest {
            bucket,
            channel,
            remote_addr,
            ..
        } = request;
        let stat = LiveStat {
            connected_ms: now_ms,
            remote_addr: remote_addr.clone(),
            ..LiveStat::default()
        };
        let entry = self.claim_live(&bucket, &channel, stat, now_ms).await?;
        let push = Push {
            ctx: self.ingest_context(),
            bucket,
            channel,
            entry,
        };
        let lease = match self.take_lease(&push, now_ms).await {
            Ok(lease) => lease,
            Err(e) => {
                push.release();
                return Err(e);
            }
        };
        let target = &record.config.target;
        let playlist_key = object_key(&push.bucket, &format!("{}/{playlist_name}", push.channel));
        let stored = match self.stored_playlist(&playlist_key).await {
            Ok(stored) => stored,
            Err(e) => {
                // Restarting the numbering on a passing store error would
                // confuse players: refuse, and free the channel.
                let catalog = &push.ctx.catalog;
                let _ = catalog
                    .release_lease(&push.bucket, &push.channel, &lease)
                    .await;
                push.release();
                return Err(PublishError::Catalog(e.into()));
            }
        };
        let frag_duration_ms = u64::from(target.frag_duration.max(1)) * 1000;
        let segmenter = self.segmenter(frag_duration_ms, now_ms, stored.as_ref());
        // A republish continues the stored playlist's numbering, after a discontinuity.
        let frag_count = target.frag_count.max(1) as usize;
        let mut window = match &stored {
            Some(playlist) => LiveWindow::resume(playlist, frag_count),
            None => LiveWindow::new(frag_count, frag_duration_ms / 1000),
        };
        window.mark_discontinuity();

        self.counters.publishes.fetch_add(1, Relaxed);
        Ok(Publisher::new(Admitted {
            push,
            remote_addr,
            connected_ms: now_ms,
            segmenter,
            writer: SegmentWriter::new(playlist_key, window, self.config.segment_retention_ms),
            lease,
            video_codecs: self.config.video_codecs,
        }))
    }

    /// The checks before the channel is taken: the bucket exists, the
    /// push is signed (unless the bucket is public-read-write), the channel
    /// exists and is enabled. Returns the channel and the playlist name
    /// (`playlistName` of the push, else the channel's).
    async fn admit(
        &self,
        request: &PublishRequest,
        now_ms: u64,
    ) -> Result<(ChannelRecord, String), PublishError> {
        let PublishRequest {
            bucket,
            channel,
            query,
            ..
        } = request;
        let record = self
            .catalog
            .bucket(bucket)
            .await?
            .ok_or_else(|| PublishError::NoSuchBucket(bucket.clone()))?;
        let params = parse_query(query, Plus::Literal);
        if record.acl != Acl::PublicReadWrite {
            let keys = &self.config.access_keys;
            crate::auth::verify_rtmp(keys, bucket, channel, &params, now_ms / 1000)
                .map_err(PublishError::Auth)?;
        }
        let channel_record = self
            .catalog
            .channel(bucket, channel)
            .await?
            .ok_or_else(|| PublishError::NoSuchLiveChannel(channel.clone()))?;
        if channel_record.config.status == ChannelStatus::Disabled {
            return Err(PublishError::Disabled(channel.clone()));
        }
        let playlist_name = match params.iter().find(|(k, _)| k == "playlistName") {
            // The rule PutLiveChannel applies: the name becomes a key.
            Some((_, name)) if crate::api::validate::playlist_name(name).is_err() => {
                return Err(PublishError::InvalidArgument(format!(
                    "playlistName {name:?}"
                )));
            }
            Some((_, name)) => name.clone(),
            None => channel_record.config.target.playlist_name.clone(),
        };
        Ok((channel_record, playlist_name))
    }

    /// Take the channel in this process. A publish of it that is ending
    /// here (its publisher left; its last segment, playlist, History and
    /// lease are being stored) is waited for, so that a publisher that
    /// reconnects at once is taken and continues the playlist where that
    /// one ended it, instead of being told the channel is busy. So is one
    /// that has received nothing for [`SILENT_TAKEOVER_MS`](crate::SILENT_TAKEOVER_MS)
    /// (a publisher whose network dropped without a word), after it is
    /// told to stop. The wait is as long as its last writes, at most
    /// [`TAKEOVER_WAIT`] with a timer ([`Service::with_sleep`]; without
    /// one, as long as the store's retries). A publish still receiving
    /// media is waited for [`BUSY_WAIT`] (with a timer; without one, not
    /// at all), then refused unless it ended or went silent meanwhile:
    /// one publisher at a time.
    async fn claim_live(
        &self,
        bucket: &str,
        channel: &str,
        stat: LiveStat,
        now_ms: u64,
    ) -> Result<Arc<LiveEntry>, PublishError> {
        let holder = match self.live.claim(bucket, channel, stat.clone()) {
            Ok(entry) => return Ok(entry),
            Err(holder) => holder,
        };
        // Its driver may now look whether its publisher already left.
        holder.want();
        let busy_ms = BUSY_WAIT.as_millis() as u64;
        let yields = match &self.sleep {
            _ if holder.yield_to(now_ms) => true,
            Some(sleep) if first_of(holder.released(), sleep.sleep(BUSY_WAIT)).await => true,
            Some(_) => holder.yield_to(now_ms.saturating_add(busy_ms)),
            None => false,
        };
        if !yields {
            return Err(PublishError::AlreadyLive(channel.to_owned()));
        }
        let released = holder.released();
        let in_time = match &self.sleep {
            Some(sleep) => first_of(released, sleep.sleep(TAKEOVER_WAIT)).await,
            None => {
                released.await;
                true
            }
        };
        if !in_time {
            // Its end is stuck on the store: the channel stays its own.
            return Err(PublishError::AlreadyLive(channel.to_owned()));
        }
        // Once: whoever else was waiting may have taken it first.
        self.live
            .claim(bucket, channel, stat)
            .map_err(|_| PublishError::AlreadyLive(channel.to_owned()))
    }

    /// Take the channel's lease in the store: none held by another node.
    /// Retried as a whole: a put that reached the store but whose answer
    /// was lost leaves our own generation newest, which we take over.
    async fn take_lease(&self, push: &Push, now_ms: u64) -> Result<Lease, PublishError> {
        let (bucket, channel) = (&push.bucket, &push.channel);
        let expires_ms = now_ms + self.config.lease_ms;
        let node = &self.config.node_id;
        let leased = push
            .retry("lease", || {
                self.catalog
                    .take_lease(bucket, channel, node, now_ms, expires_ms)
            })
            .await;
        match leased {
            Ok(Some(lease)) => Ok(lease),
            Ok(None) => Err(PublishError::AlreadyLive(channel.clone())),
            Err(IngestError::Catalog(e)) => Err(PublishError::Catalog(e)),
            Err(IngestError::Store(e)) => Err(PublishError::Catalog(e.into())),
            // take_lease fails with catalog errors only.
            Err(other) => Err(PublishError::Catalog(
                StoreError::Backend(other.to_string()).into(),
            )),
        }
    }

    /// The channel's stored live playlist, if any (one that does not parse
    /// counts as none: the numbering starts afresh).
    async fn stored_playlist(&self, key: &str) -> Result<Option<MediaPlaylist>, StoreError> {
        match self.catalog.store().get(key, None).await {
            Ok(object) => Ok(std::str::from_utf8(&object.data)
                .ok()
                .and_then(|t| MediaPlaylist::parse(t).ok())),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The publish's segmenter: segments of `frag_duration_ms`, dated by
    /// the arrival of their first frame, after the names of `stored`.
    fn segmenter(
        &self,
        frag_duration_ms: u64,
        now_ms: u64,
        stored: Option<&MediaPlaylist>,
    ) -> Segmenter {
        // Names stay ordered after a previous session whose names are ahead
        // of the clock (a clock stepped back, or names an older version
        // dated by stream time).
        let last_ms = stored
            .and_then(|p| p.segments.last())
            .and_then(|s| parse_segment_file_name(&s.uri))
            .map(|(ms, _)| ms);
        // Every frame is pushed with its arrival time, which dates the
        // segments: the base (stream time zero) is not used.
        let mut config = SegmenterConfig::new(frag_duration_ms, now_ms);
        config.min_wall_ms = last_ms.map_or(0, |last| last + 1);
        // Each chunk goes to the store as it fills: a stream holds about a
        // chunk, not a segment (with stores that keep partial objects).
        config.output = OutputMode::StreamedChunks;
        config.chunk_bytes = self.config.segment_chunk_bytes;
        // The writer stores init segments and names them in #EXT-X-MAP,
        // so HEVC and AV1 are taken (in fMP4) whatever H.264 is written in.
        config.format = self.config.segment_format;
        config.hevc_av1_in_fmp4 = true;
        config.fmp4_time_origin_ms = now_ms;
        Segmenter::new(config).with_pool(self.chunk_pool.clone())
    }
}

/// The longest a new publish waits for the ending (or silenced) publish of
/// its channel: long beside the few store writes of an end, short beside
/// a store that keeps failing them (each is retried for minutes).
pub const TAKEOVER_WAIT: Duration = Duration::from_secs(10);

/// The longest a new publish waits for a publish of its channel that is
/// still receiving media before it is refused. Its publisher may have left
/// already: one that pushed a file faster than the store takes it has its
/// last megabytes in the sockets' buffers when it pushes again, and its
/// end (FIN, `deleteStream`) is read only after them. Such a publish is
/// waited for as an ending one (up to [`TAKEOVER_WAIT`]) when its media
/// has been coming much faster than real time, or when a driver sees its
/// FIN arrive behind them
/// ([`Connection::handle_peer_closed`](crate::Connection::handle_peer_closed));
/// while the publisher's own buffer still holds its tail, the FIN has not
/// come.
/// Longer than 3 s (too short for 20 such publishers in a debug build on
/// a busy 2-core machine), shorter than the silence that lets a new
/// publish take over ([`SILENT_TAKEOVER_MS`](crate::SILENT_TAKEOVER_MS)),
/// so that a publisher still sending is refused, not taken over; short
/// beside a client's patience (librtmp's default timeout is 30 s): the
/// refusal of a second encoder comes this much later.
pub const BUSY_WAIT: Duration = Duration::from_secs(4);

/// Whether `wanted` finished before `deadline` (both polled in turn;
/// `wanted` first, so a tie goes to it).
async fn first_of(wanted: impl Future<Output = ()>, deadline: impl Future<Output = ()>) -> bool {
    let (mut wanted, mut deadline) = (std::pin::pin!(wanted), std::pin::pin!(deadline));
    std::future::poll_fn(|cx| {
        if wanted.as_mut().poll(cx).is_ready() {
            Poll::Ready(true)
        } else if deadline.as_mut().poll(cx).is_ready() {
            Poll::Ready(false)
        } else {
            Poll::Pending
        }
    })
    .await
}
