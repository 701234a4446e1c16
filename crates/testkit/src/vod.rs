//! A VOD of stored segments as files, for ffprobe to read.

use std::path::{Path, PathBuf};

use livechannel_m3u8::{MediaPlaylist, MediaSegment};

/// One segment copied out of a store.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Its file name (the playlist's URI), e.g. `1700000000000.ts`.
    pub name: String,
    /// Its EXTINF in milliseconds.
    pub duration_ms: u64,
    /// It starts a push session (the VOD index's `discontinuity`).
    pub discontinuity: bool,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// Writes every segment into `dir` under its name, and `dir/vod.m3u8`: a VOD
/// playlist of them in order, with `#EXT-X-DISCONTINUITY` before each one
/// that starts a session but the first (as GetVodPlaylist writes them).
/// Returns the playlist's path, to give to [`crate::ffprobe`]. The caller
/// owns `dir` (a temporary directory) and reads the segments out of its
/// store in the order the VOD index lists them.
pub fn write_vod(dir: &Path, segments: impl IntoIterator<Item = Segment>) -> PathBuf {
    let mut entries = Vec::new();
    for segment in segments {
        std::fs::write(dir.join(&segment.name), &segment.data)
            .unwrap_or_else(|e| panic!("writing {} into {}: {e}", segment.name, dir.display()));
        entries.push(MediaSegment {
            // Nothing to separate the first segment from.
            discontinuity: segment.discontinuity && !entries.is_empty(),
            uri: segment.name,
            duration: segment.duration_ms as f64 / 1000.0,
            title: String::new(),
        });
    }
    let path = dir.join("vod.m3u8");
    std::fs::write(&path, MediaPlaylist::vod(entries).to_string())
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}
