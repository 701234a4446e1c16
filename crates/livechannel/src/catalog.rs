//! Buckets, channels, push history and the VOD segment index, persisted in
//! the [`ObjectStore`](crate::store::ObjectStore) itself so that a restarted server, or a second one
//! over the same store, sees them.
//!
//! Layout (bucket names never start with `.`, so nothing here can collide
//! with an object):
//!
//! | key | holds |
//! |---|---|
//! | `{bucket}/{key}` | the bucket's objects (segments, playlists, anything PUT) |
//! | `.livechannel/buckets/{bucket}` | [`BucketRecord`] (JSON) |
//! | `.livechannel/channels/{bucket}/{channel}` | [`ChannelRecord`] (JSON) |
//! | `.livechannel/history/{bucket}/{channel}` | the last 10 [`LiveRecord`]s (JSON) |
//! | `.livechannel/index/{bucket}/{channel}/{start:016}-{duration_ms}-{d}` | one empty object per segment ([`SegmentEntry`]) |
//! | `.livechannel/leases/{bucket}/{channel}/{generation:020}` | the publish lease ([`Lease`]), one object per taking |
//!
//! The VOD index puts everything in the key, so assembling a VOD playlist is
//! one paginated listing, however many segments a channel has.

use std::sync::Arc;

use bytes::Bytes;
use livechannel_hls::SegmentFormat;
use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError, Write};

const META: &str = ".livechannel";
/// History records kept per channel (OSS returns the last 10).
pub const HISTORY_LEN: usize = 10;

/// A bucket's access control list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Acl {
    /// Signed requests only.
    Private,
    /// Anyone may read objects; writes are signed.
    PublicRead,
    /// Anyone may read and write, and push without a signature.
    PublicReadWrite,
}

impl Acl {
    /// The OSS spelling: `private`, `public-read`, `public-read-write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Acl::Private => "private",
            Acl::PublicRead => "public-read",
            Acl::PublicReadWrite => "public-read-write",
        }
    }

    /// Parses the OSS spelling.
    pub fn parse(s: &str) -> Option<Acl> {
        match s {
            "private" => Some(Acl::Private),
            "public-read" => Some(Acl::PublicRead),
            "public-read-write" => Some(Acl::PublicReadWrite),
            _ => None,
        }
    }
}

/// A bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketRecord {
    /// The bucket name (3–63 of `a-z0-9-`, starting and ending with a letter or digit).
    pub name: String,
    /// Who may read, write and push.
    pub acl: Acl,
    /// Creation time, Unix milliseconds.
    pub created_ms: u64,
}

/// `enabled` or `disabled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelStatus {
    /// Pushes are accepted.
    Enabled,
    /// Pushes are refused, and a live publisher is disconnected.
    Disabled,
}

impl ChannelStatus {
    /// The OSS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelStatus::Enabled => "enabled",
            ChannelStatus::Disabled => "disabled",
        }
    }

    /// Parses the OSS spelling.
    pub fn parse(s: &str) -> Option<ChannelStatus> {
        match s {
            "enabled" => Some(ChannelStatus::Enabled),
            "disabled" => Some(ChannelStatus::Disabled),
            _ => None,
        }
    }
}

/// The HLS target of a channel (OSS `Target`, `Type` is always HLS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Seconds per segment, 1–100 (default 5).
    pub frag_duration: u32,
    /// Segments in the live playlist, 1–100 (default 3).
    pub frag_count: u32,
    /// The live playlist's name, 6–128 characters ending in `.m3u8` (default `playlist.m3u8`).
    pub playlist_name: String,
}

impl Default for Target {
    fn default() -> Self {
        Target {
            frag_duration: 5,
            frag_count: 3,
            playlist_name: "playlist.m3u8".to_owned(),
        }
    }
}

/// The optional high-frequency snapshot settings: validated, stored and echoed only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// RAM role name.
    pub role_name: String,
    /// Destination bucket.
    pub dest_bucket: String,
    /// MNS topic.
    pub notify_topic: String,
    /// Interval in seconds, 1–100.
    pub interval: u32,
}

/// A LiveChannel configuration as PutLiveChannel sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelConfig {
    /// Up to 128 bytes.
    pub description: String,
    /// `enabled` (default) or `disabled`.
    pub status: ChannelStatus,
    /// The HLS target.
    pub target: Target,
    /// Stored and echoed, otherwise unused.
    pub snapshot: Option<Snapshot>,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            description: String::new(),
            status: ChannelStatus::Enabled,
            target: Target::default(),
            snapshot: None,
        }
    }
}

/// A stored channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRecord {
    /// The channel name (no `/`).
    pub name: String,
    /// Its configuration.
    pub config: ChannelConfig,
    /// When the configuration was last written, Unix milliseconds.
    pub last_modified_ms: u64,
}

/// One push session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveRecord {
    /// Connection time, Unix milliseconds (or the session's first
    /// segment's time, if earlier).
    pub start_ms: u64,
    /// Disconnection time, Unix milliseconds (or the session's last
    /// segment's time, if later).
    pub end_ms: u64,
    /// The publisher's `ip:port`.
    pub remote_addr: String,
    /// Why the session ended, for operators (the console shows it; the
    /// History XML keeps to OSS's elements). None in records written
    /// before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<String>,
}

impl LiveRecord {
    /// The session as History shows it, in whole Unix seconds (OSS's
    /// unit): the start rounded down, the end rounded up and at least a
    /// second later. So a VOD over exactly these times (which selects
    /// segments starting in `[start s, end s + 1)`) holds every segment of
    /// the session, and is a valid span (end > start) even for a push
    /// that connected at 12.3 s and ended at 12.9 s, where truncating both
    /// would show 12 s to 12 s.
    pub fn whole_seconds(&self) -> (u64, u64) {
        let start = self.start_ms / 1000;
        (start, self.end_ms.div_ceil(1000).max(start + 1))
    }
}

/// One stored segment, as the VOD index knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentEntry {
    /// The segment's time, Unix milliseconds on the wall clock: when its
    /// first frame arrived ([`Segment::wall_ms`](livechannel_hls::Segment::wall_ms)).
    /// A VOD selects segments by it; the segment object is
    /// `{channel}/{start_ms}.ts` (or `.m4s`).
    pub start_ms: u64,
    /// EXTINF in milliseconds.
    pub duration_ms: u64,
    /// True for the first segment of every push session: a VOD spanning
    /// two sessions puts `#EXT-X-DISCONTINUITY` between them (whatever
    /// playlist each pushed to), and drops it before its own first segment.
    pub discontinuity: bool,
    /// The segment's container, and for fMP4 the init segment it needs.
    pub container: Container,
}

/// What a stored segment is, and what a player needs before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Container {
    /// MPEG-TS (`{start_ms}.ts`), self-contained: what OSS stores.
    #[default]
    Ts,
    /// fMP4 (`{start_ms}.m4s`), decoded from the init segment
    /// `{init_ms}.init.mp4` (`#EXT-X-MAP`) stored before it.
    Fmp4 {
        /// The init segment's time, which names it.
        init_ms: u64,
    },
}

impl SegmentEntry {
    /// The segment's name within the channel: `{start_ms}.ts` or
    /// `{start_ms}.m4s` (the segmenter's naming rule).
    pub fn file_name(&self) -> String {
        let format = match self.container {
            Container::Ts => SegmentFormat::Ts,
            Container::Fmp4 { .. } => SegmentFormat::Fmp4,
        };
        livechannel_hls::segment_file_name(self.start_ms, format)
    }

    /// The name of the init segment it needs (`{init_ms}.init.mp4`), for fMP4.
    pub fn init_file_name(&self) -> Option<String> {
        match self.container {
            Container::Ts => None,
            Container::Fmp4 { init_ms } => Some(livechannel_hls::init_file_name(init_ms)),
        }
    }
}

/// Who publishes a channel, and until when the claim holds without renewal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lease {
    /// The node holding it (a server instance id).
    pub holder: String,
    /// Unix milliseconds after which another node may take it over.
    pub expires_ms: u64,
    /// Which taking of the channel this is: each take creates the next
    /// generation with a create-only put, so two nodes can never both win.
    #[serde(default)]
    pub generation: u64,
    /// The publish's statistics when the lease was last written, so that
    /// other nodes can answer GetLiveChannelStat.
    #[serde(default)]
    pub stat: Option<crate::live::LiveStat>,
}

/// Why a catalog operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A record in the store could not be read (written by another version, or damaged).
    #[error("damaged record {key}: {reason}")]
    Damaged {
        /// The record's key.
        key: String,
        /// What was wrong.
        reason: String,
    },
}

/// Typed access to the records in an [`ObjectStore`](crate::store::ObjectStore).
#[derive(Clone)]
pub struct Catalog {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").finish_non_exhaustive()
    }
}

/// The store key of object `key` in `bucket`.
pub fn object_key(bucket: &str, key: &str) -> String {
    format!("{bucket}/{key}")
}

fn bucket_key(bucket: &str) -> String {
    format!("{META}/buckets/{bucket}")
}

fn channels_prefix(bucket: &str) -> String {
    format!("{META}/channels/{bucket}/")
}

fn history_key(bucket: &str, channel: &str) -> String {
    format!("{META}/history/{bucket}/{channel}")
}

fn index_prefix(bucket: &str, channel: &str) -> String {
    format!("{META}/index/{bucket}/{channel}/")
}

/// An index entry is an empty object: its key says it all, and sorts by
/// start time. fMP4 entries end with their init segment's time (a fourth
/// field, which keys written before fMP4 existed do not have).
fn index_key(bucket: &str, channel: &str, entry: SegmentEntry) -> String {
    let mut key = format!(
        "{}{:016}-{}-{}",
        index_prefix(bucket, channel),
        entry.start_ms,
        entry.duration_ms,
        u8::from(entry.discontinuity)
    );
    if let Container::Fmp4 { init_ms } = entry.container {
        key.push_str(&format!("-{init_ms}"));
    }
    key
}

fn lease_prefix(bucket: &str, channel: &str) -> String {
    format!("{META}/leases/{bucket}/{channel}/")
}

fn lease_key(bucket: &str, channel: &str, generation: u64) -> String {
    format!("{META}/leases/{bucket}/{channel}/{generation:020}")
}

const JSON: &str = "application/json";
/// An index entry is an empty object (its key says it all): no JSON in
/// it, and the type a store assumes for a key without an extension, so
/// the file store keeps no sidecar for it.
const INDEX_ENTRY: &str = "application/octet-stream";

impl Catalog {
    /// Records kept in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Catalog { store }
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    async fn load<T: for<'de> Deserialize<'de>>(
        &self,
        key: &str,
    ) -> Result<Option<T>, CatalogError> {
        match self.store.get(key, None).await {
            Ok(object) => {
                serde_json::from_slice(&object.data)
                    .map(Some)
                    .map_err(|e| CatalogError::Damaged {
                        key: key.to_owned(),
                        reason: e.to_string(),
                    })
            }
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn save<T: Serialize>(&self, key: &str, value: &T) -> Result<(), CatalogError> {
        let json = serde_json::to_vec(value).map_err(|e| CatalogError::Damaged {
            key: key.to_owned(),
            reason: e.to_string(),
        })?;
        self.store.put(key, Bytes::from(json), JSON).await?;
        Ok(())
    }

    /// The bucket, if it exists.
    pub async fn bucket(&self, name: &str) -> Result<Option<BucketRecord>, CatalogError> {
        self.load(&bucket_key(name)).await
    }

    /// Create or update a bucket (an existing bucket keeps its creation time).
    pub async fn put_bucket(&self, record: &BucketRecord) -> Result<(), CatalogError> {
        self.save(&bucket_key(&record.name), record).await
    }

    /// Every bucket, by name.
    pub async fn buckets(&self) -> Result<Vec<BucketRecord>, CatalogError> {
        let prefix = format!("{META}/buckets/");
        let mut out = Vec::new();
        for meta in self.list_all(&prefix).await? {
            if let Some(b) = self.load(&meta.key).await? {
                out.push(b);
            }
        }
        Ok(out)
    }

    /// Remove a bucket's record (the caller checks it is empty).
    pub async fn delete_bucket(&self, name: &str) -> Result<(), CatalogError> {
        Ok(self.store.delete(&bucket_key(name)).await?)
    }

    /// True when the bucket holds objects or channels.
    pub async fn bucket_in_use(&self, name: &str) -> Result<bool, CatalogError> {
        let objects = self.store.list(&format!("{name}/"), "", 1).await?;
        let channels = self.store.list(&channels_prefix(name), "", 1).await?;
        Ok(!objects.objects.is_empty() || !channels.objects.is_empty())
    }

    /// The channel, if it exists.
    pub async fn channel(
        &self,
        bucket: &str,
        name: &str,
    ) -> Result<Option<ChannelRecord>, CatalogError> {
        self.load(&format!("{}{name}", channels_prefix(bucket)))
            .await
    }

    /// Create or overwrite a channel.
    pub async fn put_channel(
        &self,
        bucket: &str,
        record: &ChannelRecord,
    ) -> Result<(), CatalogError> {
        self.save(
            &format!("{}{}", channels_prefix(bucket), record.name),
            record,
        )
        .await
    }

    /// Remove a channel's configuration (its objects and history stay).
    pub async fn delete_channel(&self, bucket: &str, name: &str) -> Result<(), CatalogError> {
        Ok(self
            .store
            .delete(&format!("{}{name}", channels_prefix(bucket)))
            .await?)
    }

    /// Up to `max_keys` channels whose names start with `prefix` and sort
    /// after `marker`, and whether more follow.
    pub async fn list_channels(
        &self,
        bucket: &str,
        prefix: &str,
        marker: &str,
        max_keys: usize,
    ) -> Result<(Vec<ChannelRecord>, bool), CatalogError> {
        let base = channels_prefix(bucket);
        let page = self
            .store
            .list(
                &format!("{base}{prefix}"),
                &format!("{base}{marker}"),
                max_keys,
            )
            .await?;
        let mut out = Vec::with_capacity(page.objects.len());
        for meta in &page.objects {
            if let Some(record) = self.load(&meta.key).await? {
                out.push(record);
            }
        }
        Ok((out, page.truncated))
    }

    /// The channel's push sessions, oldest first (at most [`HISTORY_LEN`]).
    pub async fn history(
        &self,
        bucket: &str,
        channel: &str,
    ) -> Result<Vec<LiveRecord>, CatalogError> {
        Ok(self
            .load(&history_key(bucket, channel))
            .await?
            .unwrap_or_default())
    }

    /// Append a push session, keeping the last [`HISTORY_LEN`].
    pub async fn add_history(
        &self,
        bucket: &str,
        channel: &str,
        record: LiveRecord,
    ) -> Result<(), CatalogError> {
        let mut history = self.history(bucket, channel).await?;
        history.push(record);
        let excess = history.len().saturating_sub(HISTORY_LEN);
        history.drain(..excess);
        self.save(&history_key(bucket, channel), &history).await
    }

    /// Record a stored segment in the VOD index.
    pub async fn add_segment(
        &self,
        bucket: &str,
        channel: &str,
        entry: SegmentEntry,
    ) -> Result<(), CatalogError> {
        let key = index_key(bucket, channel, entry);
        self.store.put(&key, Bytes::new(), INDEX_ENTRY).await?;
        Ok(())
    }

    /// The write [`add_segment`](Self::add_segment) does, for a caller that
    /// stores it in a [`write_in_order`](crate::store::Uploads::write_in_order)
    /// sequence (after the segment, before the playlist naming it).
    pub fn segment_write(&self, bucket: &str, channel: &str, entry: SegmentEntry) -> Write {
        Write::put(index_key(bucket, channel, entry), Bytes::new(), INDEX_ENTRY)
    }

    /// The key of a segment's VOD index entry, for a caller that deletes
    /// the segment ([`segment_retention_ms`](crate::ServiceConfig::segment_retention_ms)).
    pub(crate) fn segment_entry_key(bucket: &str, channel: &str, entry: SegmentEntry) -> String {
        index_key(bucket, channel, entry)
    }

    /// The segments whose start lies in `[start_ms, end_ms]`, in time order.
    pub async fn segments(
        &self,
        bucket: &str,
        channel: &str,
        start_ms: u64,
        end_ms: u64,
    ) -> Result<Vec<SegmentEntry>, CatalogError> {
        let prefix = index_prefix(bucket, channel);
        // Keys sort by start time; the marker skips everything before start_ms.
        let mut marker = match start_ms.checked_sub(1) {
            Some(before) => format!("{prefix}{before:016}-~"),
            None => String::new(),
        };
        let mut out = Vec::new();
        loop {
            let page = self.store.list(&prefix, &marker, 1000).await?;
            for meta in &page.objects {
                let Some(entry) = parse_index_key(&meta.key[prefix.len()..]) else {
                    continue;
                };
                if entry.start_ms > end_ms {
                    return Ok(out);
                }
                if entry.start_ms >= start_ms {
                    out.push(entry);
                }
            }
            match page.objects.last() {
                Some(last) if page.truncated => marker = last.key.clone(),
                _ => return Ok(out),
            }
        }
    }

    /// Take the channel's publish lease for `holder` until `expires_ms`:
    /// the lease taken, or `None` when another holder's lease has not
    /// expired (or another node took it at the same moment).
    ///
    /// Each taking creates the next generation's object with
    /// [`ObjectStore::put_if_absent`](crate::store::ObjectStore::put_if_absent) (S3 `If-None-Match: *`): of several
    /// nodes racing for an expired lease exactly one creates it. A node
    /// taking its own lease back (a restart with the same node id) takes a
    /// new generation too. Clocks of nodes sharing a store must agree to
    /// well within the lease time.
    pub async fn take_lease(
        &self,
        bucket: &str,
        channel: &str,
        holder: &str,
        now_ms: u64,
        expires_ms: u64,
    ) -> Result<Option<Lease>, CatalogError> {
        let generations = self.lease_generations(bucket, channel).await?;
        let current = match generations.last() {
            Some(&generation) => {
                self.load::<Lease>(&lease_key(bucket, channel, generation))
                    .await?
            }
            None => None,
        };
        if let Some(current) = &current {
            if current.holder != holder && current.expires_ms > now_ms {
                return Ok(None);
            }
        }
        let generation = generations.last().map_or(1, |g| g.saturating_add(1));
        let lease = Lease {
            holder: holder.to_owned(),
            expires_ms,
            generation,
            stat: None,
        };
        let key = lease_key(bucket, channel, generation);
        if self
            .store
            .put_if_absent(&key, lease_body(&lease), JSON)
            .await?
            .is_none()
        {
            // Taken by another node, unless it is our own write whose first
            // answer was lost and whose retry found it (S3 clients retry a
            // PUT after a 5xx): the same holder and the same expiry.
            let stored = self.load::<Lease>(&key).await?;
            if stored.as_ref() != Some(&lease) {
                return Ok(None);
            }
        }
        // The older generations are history now; a failed delete is only litter.
        for old in generations {
            let _ = self.store.delete(&lease_key(bucket, channel, old)).await;
        }
        Ok(Some(lease))
    }

    /// Extend `lease` (as returned by [`take_lease`](Self::take_lease)) to
    /// `expires_ms`, storing `stat` with it: the renewed lease, or `None`
    /// when it was lost, that is another node took a newer generation
    /// after it expired.
    pub async fn renew_lease(
        &self,
        bucket: &str,
        channel: &str,
        lease: &Lease,
        expires_ms: u64,
        stat: Option<crate::live::LiveStat>,
    ) -> Result<Option<Lease>, CatalogError> {
        let key = lease_key(bucket, channel, lease.generation);
        let mut renewed = lease.clone();
        renewed.expires_ms = expires_ms;
        renewed.stat = stat;
        self.store.put(&key, lease_body(&renewed), JSON).await?;
        // A newer generation can only exist if another node saw ours expired
        // before this write: then the channel is theirs.
        let newest = self.lease_generations(bucket, channel).await?;
        if newest.last().is_some_and(|&g| g > lease.generation) {
            let _ = self.store.delete(&key).await;
            return Ok(None);
        }
        Ok(Some(renewed))
    }

    /// The channel's newest publish lease, if one is stored (it may have expired).
    pub async fn lease(&self, bucket: &str, channel: &str) -> Result<Option<Lease>, CatalogError> {
        match self.lease_generations(bucket, channel).await?.last() {
            Some(&generation) => self.load(&lease_key(bucket, channel, generation)).await,
            None => Ok(None),
        }
    }

    /// Give `lease` up (the publish ended).
    pub async fn release_lease(
        &self,
        bucket: &str,
        channel: &str,
        lease: &Lease,
    ) -> Result<(), CatalogError> {
        // Our generation's key is ours alone: deleting it never frees a
        // newer taking by another node.
        self.store
            .delete(&lease_key(bucket, channel, lease.generation))
            .await?;
        Ok(())
    }

    /// The stored lease generations of a channel, oldest first.
    async fn lease_generations(
        &self,
        bucket: &str,
        channel: &str,
    ) -> Result<Vec<u64>, CatalogError> {
        let prefix = lease_prefix(bucket, channel);
        Ok(self
            .list_all(&prefix)
            .await?
            .iter()
            .filter_map(|m| m.key.strip_prefix(&prefix)?.parse().ok())
            .collect())
    }

    async fn list_all(&self, prefix: &str) -> Result<Vec<crate::store::ObjectMeta>, CatalogError> {
        let mut out = Vec::new();
        let mut marker = String::new();
        loop {
            let page = self.store.list(prefix, &marker, 1000).await?;
            out.extend(page.objects);
            match out.last() {
                Some(last) if page.truncated => marker = last.key.clone(),
                _ => return Ok(out),
            }
        }
    }
}

fn lease_body(lease: &Lease) -> Bytes {
    Bytes::from(serde_json::to_vec(lease).unwrap_or_default())
}

fn parse_index_key(name: &str) -> Option<SegmentEntry> {
    let mut parts = name.split('-');
    let start_ms = parts.next()?.parse().ok()?;
    let duration_ms = parts.next()?.parse().ok()?;
    let discontinuity = parts.next()? == "1";
    let container = match parts.next() {
        None => Container::Ts,
        Some(init_ms) => Container::Fmp4 {
            init_ms: init_ms.parse().ok()?,
        },
    };
    Some(SegmentEntry {
        start_ms,
        duration_ms,
        discontinuity,
        container,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MemoryStore, ObjectStore};
    use futures::executor::block_on;

    fn catalog() -> Catalog {
        Catalog::new(Arc::new(MemoryStore::new()))
    }

    #[test]
    fn segments_are_selected_by_start_time_across_pages() {
        let c = catalog();
        for i in 0..2500u64 {
            let entry = SegmentEntry {
                start_ms: 1_700_000_000_000 + i * 2000,
                duration_ms: 2000,
                discontinuity: i == 1000,
                // From segment 2000 on, fMP4 from one init segment.
                container: match i {
                    0..2000 => Container::Ts,
                    _ => Container::Fmp4 {
                        init_ms: 1_700_000_004_000,
                    },
                },
            };
            block_on(c.add_segment("b", "ch", entry)).unwrap();
        }
        let all = block_on(c.segments("b", "ch", 0, u64::MAX)).unwrap();
        assert_eq!(all.len(), 2500);
        assert!(all[1000].discontinuity && !all[999].discontinuity);
        assert_eq!(all[1999].file_name(), "1700003998000.ts");
        assert_eq!(all[2000].file_name(), "1700004000000.m4s");
        assert_eq!(
            all[2499].init_file_name().as_deref(),
            Some("1700000004000.init.mp4")
        );
        // Inclusive at both ends.
        let some = block_on(c.segments("b", "ch", 1_700_000_002_000, 1_700_000_010_000)).unwrap();
        assert_eq!(some.len(), 5);
        assert_eq!(some[0].start_ms, 1_700_000_002_000);
        assert!(block_on(c.segments("b", "other", 0, u64::MAX))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn history_keeps_the_last_ten() {
        let c = catalog();
        for i in 0..13 {
            let r = LiveRecord {
                start_ms: i,
                end_ms: i + 1,
                remote_addr: "1.2.3.4:5".into(),
                end_reason: None,
            };
            block_on(c.add_history("b", "ch", r)).unwrap();
        }
        let h = block_on(c.history("b", "ch")).unwrap();
        assert_eq!(h.len(), 10);
        assert_eq!(h[0].start_ms, 3);
    }

    #[test]
    fn history_seconds_cover_a_push_within_one_second() {
        let record = |start_ms, end_ms| LiveRecord {
            start_ms,
            end_ms,
            remote_addr: String::new(),
            end_reason: None,
        };
        // Connected at 12.3 s, ended at 12.9 s: not 12 s to 12 s.
        assert_eq!(record(12_300, 12_900).whole_seconds(), (12, 13));
        assert_eq!(record(12_000, 14_000).whole_seconds(), (12, 14));
        assert_eq!(record(12_000, 14_001).whole_seconds(), (12, 15));
        // Never an empty span, which no VOD request could use.
        assert_eq!(record(12_000, 12_000).whole_seconds(), (12, 13));
    }

    #[test]
    fn a_lease_has_one_holder_until_it_expires() {
        let c = catalog();
        let a = block_on(c.take_lease("b", "ch", "a", 0, 100))
            .unwrap()
            .unwrap();
        assert!(block_on(c.take_lease("b", "ch", "b", 50, 150))
            .unwrap()
            .is_none());
        let a = block_on(c.renew_lease("b", "ch", &a, 150, None))
            .unwrap()
            .unwrap();
        assert_eq!(a.expires_ms, 150);
        assert!(block_on(c.take_lease("b", "ch", "b", 140, 250))
            .unwrap()
            .is_none());
        let b = block_on(c.take_lease("b", "ch", "b", 151, 250))
            .unwrap()
            .unwrap();
        assert_eq!(
            b.generation,
            a.generation + 1,
            "expired: the next generation"
        );
        // A late renewal by the old holder finds the newer generation and gives up.
        assert!(block_on(c.renew_lease("b", "ch", &a, 300, None))
            .unwrap()
            .is_none());
        block_on(c.release_lease("b", "ch", &a)).unwrap();
        assert!(
            block_on(c.take_lease("b", "ch", "a", 160, 260))
                .unwrap()
                .is_none(),
            "b still holds it"
        );
        assert_eq!(block_on(c.lease("b", "ch")).unwrap().unwrap().holder, "b");
        block_on(c.release_lease("b", "ch", &b)).unwrap();
        assert!(block_on(c.lease("b", "ch")).unwrap().is_none());
        assert!(block_on(c.take_lease("b", "ch", "a", 170, 270))
            .unwrap()
            .is_some());
    }

    /// A store whose create-only puts store the object but answer "it
    /// exists", like a PUT whose first answer was lost and whose retry
    /// found the object.
    struct LostAnswer(MemoryStore);

    crate::uploads_in_memory!(LostAnswer);

    impl ObjectStore for LostAnswer {
        fn put<'a>(
            &'a self,
            key: &'a str,
            data: Bytes,
            content_type: &'a str,
        ) -> crate::store::BoxFuture<'a, Result<crate::store::ObjectMeta, StoreError>> {
            self.0.put(key, data, content_type)
        }
        fn put_if_absent<'a>(
            &'a self,
            key: &'a str,
            data: Bytes,
            content_type: &'a str,
        ) -> crate::store::BoxFuture<'a, Result<Option<crate::store::ObjectMeta>, StoreError>>
        {
            Box::pin(async move {
                self.0.put_if_absent(key, data, content_type).await?;
                Ok(None)
            })
        }
        fn get<'a>(
            &'a self,
            key: &'a str,
            range: Option<std::ops::Range<u64>>,
        ) -> crate::store::BoxFuture<'a, Result<crate::store::Object, StoreError>> {
            self.0.get(key, range)
        }
        fn head<'a>(
            &'a self,
            key: &'a str,
        ) -> crate::store::BoxFuture<'a, Result<crate::store::ObjectMeta, StoreError>> {
            self.0.head(key)
        }
        fn delete<'a>(
            &'a self,
            key: &'a str,
        ) -> crate::store::BoxFuture<'a, Result<(), StoreError>> {
            self.0.delete(key)
        }
        fn list<'a>(
            &'a self,
            prefix: &'a str,
            marker: &'a str,
            max_keys: usize,
        ) -> crate::store::BoxFuture<'a, Result<crate::store::ListPage, StoreError>> {
            self.0.list(prefix, marker, max_keys)
        }
    }

    #[test]
    fn a_lease_whose_create_answer_was_lost_is_still_ours() {
        let c = Catalog::new(Arc::new(LostAnswer(MemoryStore::new())));
        let lease = block_on(c.take_lease("b", "ch", "a", 0, 100)).unwrap();
        assert_eq!(lease.map(|l| l.generation), Some(1));
        // Another holder's create that "found" an object is refused.
        assert!(block_on(c.take_lease("b", "ch", "b", 50, 150))
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_generation_created_by_another_node_wins() {
        let c = catalog();
        block_on(c.take_lease("b", "ch", "old", 0, 100))
            .unwrap()
            .unwrap();
        // Another node saw generation 1 expired and created generation 2
        // first: a taker that saw the same is refused, since the put of an
        // existing generation cannot succeed.
        let theirs = Lease {
            holder: "w".into(),
            expires_ms: 300,
            generation: 2,
            stat: None,
        };
        let key = lease_key("b", "ch", 2);
        assert!(
            block_on(c.store.put_if_absent(&key, lease_body(&theirs), JSON))
                .unwrap()
                .is_some()
        );
        assert!(
            block_on(c.store.put_if_absent(&key, lease_body(&theirs), JSON))
                .unwrap()
                .is_none()
        );
        assert!(block_on(c.take_lease("b", "ch", "x", 200, 300))
            .unwrap()
            .is_none());
        assert_eq!(block_on(c.lease("b", "ch")).unwrap(), Some(theirs));
        let x = block_on(c.take_lease("b", "ch", "x", 301, 400))
            .unwrap()
            .unwrap();
        assert_eq!(x.generation, 3);
    }

    #[test]
    fn channels_list_in_pages() {
        let c = catalog();
        for i in 0..5 {
            let r = ChannelRecord {
                name: format!("ch{i}"),
                config: ChannelConfig::default(),
                last_modified_ms: 0,
            };
            block_on(c.put_channel("b", &r)).unwrap();
        }
        let (page, more) = block_on(c.list_channels("b", "ch", "", 2)).unwrap();
        assert_eq!((page.len(), more), (2, true));
        let (page, more) = block_on(c.list_channels("b", "ch", "ch3", 2)).unwrap();
        assert_eq!((page[0].name.as_str(), page.len(), more), ("ch4", 1, false));
    }
}
