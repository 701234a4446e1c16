//! Channels being pushed right now, in this process: their statistics, the
//! flags that tell a publisher to stop (its channel was disabled, or a new
//! publish took over its silent channel), and whether the publish is
//! ending (a republish of the channel waits for that).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::ingest::IngestError;

/// What GetLiveChannelStat reports for a live channel.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LiveStat {
    /// Connection time, Unix milliseconds.
    pub connected_ms: u64,
    /// The publisher's `ip:port`.
    pub remote_addr: String,
    /// The video track, once its sequence header arrived.
    pub video: Option<VideoStat>,
    /// The audio track, once its sequence header arrived.
    pub audio: Option<AudioStat>,
    /// Store writes of this publish that failed and were retried.
    #[serde(default)]
    pub store_errors: u64,
    /// The last of those failures, for the operator.
    #[serde(default)]
    pub last_store_error: Option<String>,
}

/// Video statistics.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VideoStat {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second (from the SPS, else measured), rounded.
    pub frame_rate: u32,
    /// Recent average, bytes per second.
    pub bandwidth: u64,
    /// `H264`.
    pub codec: String,
}

/// Audio statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AudioStat {
    /// Recent average, bytes per second.
    pub bandwidth: u64,
    /// Samples per second.
    pub sample_rate: u32,
    /// `AAC` (or the codec that arrives and is discarded).
    pub codec: String,
}

/// One live publish, shared between its publisher and the API.
#[derive(Debug, Default)]
pub(crate) struct LiveEntry {
    pub(crate) stat: Mutex<LiveStat>,
    pub(crate) disabled: AtomicBool,
    /// Set (to the silence it found, in ms) by a publish that took the
    /// channel over from this silent one; 0 while nobody has.
    superseded_ms: AtomicU64,
    /// When media last arrived, Unix ms, within
    /// [`DISABLED_CHECK_MS`](crate::ingest::DISABLED_CHECK_MS).
    last_media_ms: AtomicU64,
    /// A new publish of the channel found this one holding it (and waits,
    /// or was refused): worth the driver's look at whether its publisher
    /// has already left.
    wanted: AtomicBool,
    /// Its media came at least [`FAST_PACE`] times faster than real time
    /// over the last [`PACE_WINDOW_MS`] or more (see `Publisher`).
    fast: AtomicBool,
    watch: Mutex<Watch>,
}

/// Where a publish is, and who waits for it to free its channel.
#[derive(Debug, Default)]
struct Watch {
    phase: Phase,
    waiting: Vec<Waker>,
}

/// Where a publish is, for a republish of its channel that finds it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Its publisher is pushing: a republish is refused, unless the
    /// publish has been silent for [`SILENT_TAKEOVER_MS`].
    #[default]
    Publishing,
    /// Its publisher left and it is storing its last segment, playlist,
    /// History record and lease release: a republish waits for that.
    Ending,
    /// The channel is free.
    Released,
}

/// How long a publish must have received nothing before another publish
/// of its channel takes it over (the silent one is ended and waited for)
/// instead of being refused. A publisher whose network dropped without a
/// word is otherwise seen only by the session's idle timeout, and its
/// reconnect (OBS retries every few seconds) refused until then. As long
/// as SRS's `publish_normal_timeout`, which ends any publisher this
/// silent; here a silent one goes on until someone else asks for its
/// channel.
pub const SILENT_TAKEOVER_MS: u64 = 5_000;

/// How many times faster than real time media must come for a publish to
/// count as a file pushed at full speed: far above an encoder's catch-up
/// after a network hiccup, far below a file pushed without `-re`.
pub(crate) const FAST_PACE: u64 = 3;

/// The least time over which the pace is taken, ms.
pub(crate) const PACE_WINDOW_MS: u64 = 1_000;

impl LiveEntry {
    fn watch(&self) -> std::sync::MutexGuard<'_, Watch> {
        self.watch.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn phase(&self) -> Phase {
        self.watch().phase
    }

    /// The publisher left: from now on a republish waits for the channel
    /// rather than being refused.
    pub(crate) fn set_ending(&self) {
        let mut watch = self.watch();
        if watch.phase == Phase::Publishing {
            watch.phase = Phase::Ending;
        }
    }

    /// Whether a new publish of the channel, at `now_ms`, should wait for
    /// this one rather than be refused: it is ending; or its media has
    /// been coming much faster than real time (a file pushed at full
    /// speed, whose publisher may well be the one asking again, its push's
    /// end still in the sockets' buffers: waited for, not stopped); or it
    /// has been silent for [`SILENT_TAKEOVER_MS`] (then it is told to stop).
    pub(crate) fn yield_to(&self, now_ms: u64) -> bool {
        match self.phase() {
            Phase::Ending | Phase::Released => true,
            Phase::Publishing => {
                let silent_ms = now_ms.saturating_sub(self.last_media_ms.load(Ordering::Relaxed));
                if silent_ms < SILENT_TAKEOVER_MS {
                    return self.fast.load(Ordering::Relaxed);
                }
                self.superseded_ms
                    .store(silent_ms.max(1), Ordering::Relaxed);
                true
            }
        }
    }

    /// A new publish of the channel found this one holding it.
    pub(crate) fn want(&self) {
        self.wanted.store(true, Ordering::Relaxed);
    }

    /// Whether a new publish of the channel has found this one holding it.
    pub(crate) fn is_wanted(&self) -> bool {
        self.wanted.load(Ordering::Relaxed)
    }

    /// Media arrived at `now_ms`.
    pub(crate) fn media_at(&self, now_ms: u64) {
        self.last_media_ms.store(now_ms, Ordering::Relaxed);
    }

    /// Whether the media has lately been coming much faster than real time.
    pub(crate) fn set_fast(&self, fast: bool) {
        self.fast.store(fast, Ordering::Relaxed);
    }

    /// Resolves once the publish has freed its channel.
    pub(crate) fn released(self: &Arc<Self>) -> Released {
        Released(Arc::clone(self))
    }

    fn set_released(&self) {
        let waiting = {
            let mut watch = self.watch();
            watch.phase = Phase::Released;
            std::mem::take(&mut watch.waiting)
        };
        waiting.into_iter().for_each(Waker::wake);
    }

    /// Why this publish must end though its publisher goes on: its channel
    /// was disabled, or a new publish took over the silent channel.
    pub(crate) fn stop_request(&self) -> Option<IngestError> {
        if self.disabled.load(Ordering::Relaxed) {
            return Some(IngestError::Disabled);
        }
        match self.superseded_ms.load(Ordering::Relaxed) {
            0 => None,
            silent_ms => Some(IngestError::Superseded { silent_ms }),
        }
    }

    pub(crate) fn stat(&self) -> LiveStat {
        self.stat.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut LiveStat)) {
        f(&mut self.stat.lock().unwrap_or_else(|e| e.into_inner()));
    }

    pub(crate) fn is_disabled(&self) -> bool {
        self.disabled.load(Ordering::Relaxed)
    }
}

/// The live publishes of this process, by (bucket, channel).
#[derive(Debug, Default)]
pub(crate) struct LiveRegistry {
    entries: Mutex<HashMap<(String, String), Arc<LiveEntry>>>,
}

impl LiveRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Arc<LiveEntry>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Register a publish; when the channel is already live here, the
    /// publish that holds it.
    pub(crate) fn claim(
        &self,
        bucket: &str,
        channel: &str,
        stat: LiveStat,
    ) -> Result<Arc<LiveEntry>, Arc<LiveEntry>> {
        let mut entries = self.lock();
        let key = (bucket.to_owned(), channel.to_owned());
        if let Some(holder) = entries.get(&key) {
            return Err(Arc::clone(holder));
        }
        let entry = Arc::new(LiveEntry {
            last_media_ms: AtomicU64::new(stat.connected_ms),
            stat: Mutex::new(stat),
            ..LiveEntry::default()
        });
        entries.insert(key, entry.clone());
        Ok(entry)
    }

    /// Free the channel of `entry`'s publish, and wake whoever waits for it.
    pub(crate) fn release(&self, bucket: &str, channel: &str, entry: &Arc<LiveEntry>) {
        {
            let mut entries = self.lock();
            let key = (bucket.to_owned(), channel.to_owned());
            if entries.get(&key).is_some_and(|e| Arc::ptr_eq(e, entry)) {
                entries.remove(&key);
            }
        }
        entry.set_released();
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    pub(crate) fn get(&self, bucket: &str, channel: &str) -> Option<Arc<LiveEntry>> {
        self.lock()
            .get(&(bucket.to_owned(), channel.to_owned()))
            .cloned()
    }

    /// Tell the channel's publisher to stop; true when there was one.
    pub(crate) fn disable(&self, bucket: &str, channel: &str) -> bool {
        match self.get(bucket, channel) {
            Some(entry) => {
                entry.disabled.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
}

/// [`LiveEntry::released`]'s future.
#[derive(Debug)]
pub(crate) struct Released(Arc<LiveEntry>);

impl Future for Released {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // The waker is kept under the same lock that `set_released` takes:
        // a release between the look and the registration cannot be missed.
        let mut watch = self.0.watch();
        if watch.phase == Phase::Released {
            return Poll::Ready(());
        }
        if !watch.waiting.iter().any(|w| w.will_wake(cx.waker())) {
            watch.waiting.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
