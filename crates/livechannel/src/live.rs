//! Channels being pushed right now, in this process: their statistics, the
//! flag that tells a publisher its channel was disabled, and whether the
//! publish is ending (a republish of the channel waits for that).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

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
    phase: Mutex<Phase>,
}

/// Where a publish is, for a republish of its channel that finds it.
#[derive(Debug, Default)]
enum Phase {
    /// Its publisher is pushing: a republish is refused.
    #[default]
    Publishing,
    /// Its publisher left and it is storing its last segment, playlist,
    /// History record and lease release: a republish waits for that (the
    /// wakers are of those waiting).
    Ending(Vec<Waker>),
    /// The channel is free.
    Released,
}

impl LiveEntry {
    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The publisher left: from now on a republish waits for the channel
    /// rather than being refused.
    pub(crate) fn set_ending(&self) {
        let mut phase = self.phase();
        if matches!(*phase, Phase::Publishing) {
            *phase = Phase::Ending(Vec::new());
        }
    }

    pub(crate) fn is_ending(&self) -> bool {
        matches!(*self.phase(), Phase::Ending(_))
    }

    /// Resolves once the publish has freed its channel (at once if it has,
    /// or if it is still publishing: only an ending publish is waited for).
    pub(crate) fn released(self: &Arc<Self>) -> Released {
        Released(Arc::clone(self))
    }

    fn set_released(&self) {
        let waiting = match std::mem::replace(&mut *self.phase(), Phase::Released) {
            Phase::Ending(wakers) => wakers,
            _ => Vec::new(),
        };
        waiting.into_iter().for_each(Waker::wake);
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
        match &mut *self.0.phase() {
            Phase::Ending(wakers) => {
                if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
            Phase::Publishing | Phase::Released => Poll::Ready(()),
        }
    }
}
