use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use livechannel_hls::{ChunkPool, SegmentFormat};
use livechannel_rtmp::MessagePool;

use crate::catalog::{Catalog, CatalogError, Lease};
use crate::live::{LiveRegistry, LiveStat};
use crate::store::{Sleep, Store};

/// How a [`Service`] is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfig {
    /// Base domain for virtual-host addressing: `Host: BUCKET.DOMAIN[:port]`
    /// (or an RTMP tcUrl `rtmp://BUCKET.DOMAIN[:port]/live`) selects
    /// BUCKET; any other host means path style. Compared case-insensitively,
    /// ports aside (see [`crate::addressing`]). None: path style only.
    pub domain: Option<String>,
    /// AccessKeyId → AccessKeySecret.
    pub access_keys: BTreeMap<String, String>,
    /// The region signature V4 credentials must be scoped to
    /// (`AK/YYYYMMDD/REGION/oss/aliyun_v4_request`): what oss2 clients pass
    /// as `region=`. Default [`DEFAULT_REGION`](crate::auth::DEFAULT_REGION),
    /// `cn-hangzhou`. V1 and V2 signatures name no region.
    pub region: String,
    /// This server's name in publish leases (unique among nodes sharing a store).
    pub node_id: String,
    /// How long a publish lease holds without renewal, ms.
    pub lease_ms: u64,
    /// How ingest retries a failed store write (needs [`Service::with_sleep`]).
    pub store_retry: RetryPolicy,
    /// Ingest stores each segment while it is made, in chunks of this many
    /// bytes ([`Uploads::append`](crate::store::Uploads::append));
    /// a segment smaller than one chunk is stored with one put. Default
    /// 64 KiB: a stream holds about one chunk, with its share of the
    /// service's idle chunks (64 of them), instead of a whole segment;
    /// about 12 appends per 3 Mb/s, 2 s segment (32 KiB cost about 10 %
    /// more CPU for 30 KiB less per stream). Stores whose appends cost a
    /// thread hop or a request each may want larger chunks.
    pub segment_chunk_bytes: usize,
    /// The container of H.264 channels' segments: MPEG-TS (the default,
    /// what OSS writes) or fMP4 (`.m4s` with an init segment named in
    /// `#EXT-X-MAP`). HEVC and AV1 channels always write fMP4, which is
    /// the only way Safari and hls.js play them.
    pub segment_format: SegmentFormat,
    /// Which video codecs a publish may send (default: all this server
    /// can store).
    pub video_codecs: VideoCodecs,
    /// Delete each segment a publish stores, with its VOD index entry,
    /// once it has left the live playlist and ended at least this many
    /// ms before the newest stored segment ended (and, at the end of the
    /// publish, every one that has left the playlist). For a live-only
    /// service whose storage must not grow; a VOD playlist then covers
    /// what is still kept. The segments an ended playlist names stay, so
    /// that it still plays. None (the default): every segment is kept,
    /// as OSS does.
    pub segment_retention_ms: Option<u64>,
}

/// Which video codecs ingest takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum VideoCodecs {
    /// H.264, HEVC and AV1 (Enhanced RTMP `hvc1`, `av01`).
    #[default]
    All,
    /// H.264 only, as OSS: any other video ends the publish with an
    /// `onStatus` error naming the codec
    /// ([`IngestError::CodecRefused`](crate::IngestError::CodecRefused)).
    H264Only,
}

/// Backoff for store writes during ingest: a segment, its index entry or a
/// playlist that fails to store is retried, doubling the wait from
/// `initial_ms` up to `max_ms`, until `give_up_ms` have passed since the
/// first failure; then the publish ends with the error. Meanwhile the
/// publisher is not read from (backpressure), and the channel's stat
/// counts the failures and shows the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first wait, ms.
    pub initial_ms: u64,
    /// The longest wait, ms.
    pub max_ms: u64,
    /// How long to keep trying one write, ms.
    pub give_up_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_ms: 100,
            max_ms: 5_000,
            give_up_ms: 120_000,
        }
    }
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            domain: None,
            access_keys: BTreeMap::new(),
            region: crate::auth::DEFAULT_REGION.to_owned(),
            node_id: "node-1".to_owned(),
            lease_ms: 30_000,
            store_retry: RetryPolicy::default(),
            segment_chunk_bytes: 64 << 10,
            segment_format: SegmentFormat::Ts,
            video_codecs: VideoCodecs::All,
            segment_retention_ms: None,
        }
    }
}

/// OSS LiveChannel over an [`ObjectStore`](crate::store::ObjectStore): the HTTP API as a function
/// ([`Service::handle`]) and RTMP ingest ([`Service::publish`]).
///
/// It owns no socket, no clock and no runtime: the driver passes each HTTP
/// request with the current time, and drives each publish's
/// [`Publisher`](crate::Publisher) with the media it receives.
pub struct Service {
    pub(crate) catalog: Catalog,
    pub(crate) config: ServiceConfig,
    pub(crate) live: Arc<LiveRegistry>,
    /// Requests answered so far: part of each `x-oss-request-id`.
    pub(crate) requests: std::sync::atomic::AtomicU64,
    /// The driver's timer, for retry backoff; None: no retries.
    pub(crate) sleep: Option<Arc<dyn Sleep>>,
    pub(crate) counters: Arc<Counters>,
    /// Every publish's chunk buffers: reused across streams, so that the
    /// pages of a chunk are not faulted in afresh for each one.
    pub(crate) chunk_pool: ChunkPool,
    /// Every connection's buffers for messages in several chunks (video
    /// frames), unless its [`ServerConfig`](livechannel_rtmp::ServerConfig) names a pool of its own.
    pub(crate) message_pool: MessagePool,
}

/// Idle chunk buffers the service keeps for reuse, in chunks: more than
/// the chunks in flight to the store at once under load (each is written
/// and dropped within milliseconds).
const IDLE_CHUNKS: usize = 64;

/// Idle message buffers the service keeps for reuse, in bytes: each
/// message is muxed and dropped within the read that completed it, so
/// few are idle at once (a whole server's worth of them: a bound per
/// process, not per stream).
const IDLE_MESSAGE_BYTES: usize = 1 << 20;

/// What ingest did since the service started: totals for the driver's
/// metrics (read them with `load(Ordering::Relaxed)`).
#[derive(Debug, Default)]
pub struct Counters {
    /// Publishes accepted.
    pub publishes: AtomicU64,
    /// Audio and video message bytes received from publishers.
    pub media_bytes: AtomicU64,
    /// Segments stored.
    pub segments: AtomicU64,
    /// Bytes of the segments stored.
    pub segment_bytes: AtomicU64,
    /// Live playlists stored (one per segment, and one at the end).
    pub playlists: AtomicU64,
    /// Store writes that failed during ingest (each retry counts).
    pub store_write_failures: AtomicU64,
    /// Segments deleted by [`ServiceConfig::segment_retention_ms`].
    pub segments_deleted: AtomicU64,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// A service over `store`.
    pub fn new(store: Arc<dyn Store>, config: ServiceConfig) -> Self {
        Service {
            catalog: Catalog::new(store),
            live: Arc::default(),
            requests: std::sync::atomic::AtomicU64::new(0),
            sleep: None,
            counters: Arc::default(),
            chunk_pool: ChunkPool::new(config.segment_chunk_bytes.saturating_mul(IDLE_CHUNKS)),
            message_pool: MessagePool::new(IDLE_MESSAGE_BYTES),
            config,
        }
    }

    /// Retry failed store writes during ingest (see [`RetryPolicy`]),
    /// waiting with `sleep`. Without it a failed write ends the publish.
    pub fn with_sleep(mut self, sleep: Arc<dyn Sleep>) -> Self {
        self.sleep = Some(sleep);
        self
    }

    /// The records (buckets, channels, history, VOD index).
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The statistics of a channel being pushed to through this service.
    pub fn live_stat(&self, bucket: &str, channel: &str) -> Option<LiveStat> {
        self.live.get(bucket, channel).map(|e| e.stat())
    }

    /// Totals of what ingest did, for metrics.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// How many channels are being pushed to through this service.
    pub fn live_count(&self) -> usize {
        self.live.len()
    }

    /// The publish lease another node holds on the channel and has not let
    /// expire by `now_ms` (Unix ms): the channel is live there, and the
    /// lease carries that node's last statistics.
    pub async fn remote_lease(
        &self,
        bucket: &str,
        channel: &str,
        now_ms: u64,
    ) -> Result<Option<Lease>, CatalogError> {
        Ok(self
            .catalog
            .lease(bucket, channel)
            .await?
            .filter(|lease| lease.holder != self.config.node_id && lease.expires_ms > now_ms))
    }

    /// True while the channel is being pushed to through this service.
    pub fn is_live(&self, bucket: &str, channel: &str) -> bool {
        self.live.get(bucket, channel).is_some()
    }

    /// Ask the channel's publisher to stop (its next push returns
    /// [`IngestError::Disabled`](crate::IngestError::Disabled)); true when one was live.
    pub fn disconnect(&self, bucket: &str, channel: &str) -> bool {
        self.live.disable(bucket, channel)
    }
}
