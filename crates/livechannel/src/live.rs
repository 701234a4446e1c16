//! Channels being pushed right now, in this process: their statistics, and
//! the flag that tells a publisher its channel was disabled.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

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
}

impl LiveEntry {
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

    /// Register a publish; None when the channel is already live here.
    pub(crate) fn claim(
        &self,
        bucket: &str,
        channel: &str,
        stat: LiveStat,
    ) -> Option<Arc<LiveEntry>> {
        let mut entries = self.lock();
        let key = (bucket.to_owned(), channel.to_owned());
        if entries.contains_key(&key) {
            return None;
        }
        let entry = Arc::new(LiveEntry {
            stat: Mutex::new(stat),
            disabled: AtomicBool::new(false),
        });
        entries.insert(key, entry.clone());
        Some(entry)
    }

    pub(crate) fn release(&self, bucket: &str, channel: &str, entry: &Arc<LiveEntry>) {
        let mut entries = self.lock();
        let key = (bucket.to_owned(), channel.to_owned());
        if entries.get(&key).is_some_and(|e| Arc::ptr_eq(e, entry)) {
            entries.remove(&key);
        }
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
