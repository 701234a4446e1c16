/// How the [`Segmenter`](crate::Segmenter) cuts.
///
/// Field names follow OSS LiveChannel (`FragDuration`) and FFmpeg (`hls_time`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmenterConfig {
    /// A segment is cut just before the first IDR frame that arrives once it
    /// holds at least this much media (OSS `FragDuration`, FFmpeg `hls_time`).
    pub frag_duration_ms: u64,
    /// Without a keyframe, a segment is cut anyway once it holds this much
    /// media. OSS uses max(2 × FragDuration, 60 s); that is the default from
    /// [`SegmenterConfig::new`].
    pub max_segment_duration_ms: u64,
    /// Memory guard: a segment is cut once its frames hold this many bytes
    /// (default 128 MiB), whatever the keyframes do.
    pub max_segment_bytes: usize,
    /// For frames pushed without an arrival time (a file, which has none):
    /// the wall-clock milliseconds (Unix epoch) of stream time zero, so a
    /// segment's time is `base_time_ms` + its start in stream time and its
    /// name `<that>.ts` (`docs/oss-compatibility.md`, "Segment names and
    /// times"). Frames pushed with an arrival time
    /// ([`Segmenter::push_video_at`](crate::Segmenter::push_video_at), a
    /// live stream) do not use it: see [`Segment::wall_ms`](crate::Segment::wall_ms).
    pub base_time_ms: u64,
    /// Every segment's time ([`Segment::wall_ms`](crate::Segment::wall_ms))
    /// is at least this (default 0). A live ingest sets it to one past the
    /// last segment a previous publish of the channel stored, so that names
    /// stay unique and ordered when the wall clock is behind them (a clock
    /// step back, or names written ahead of it by an older version).
    pub min_wall_ms: u64,
    /// Give out each full chunk of the segment being written as soon as it
    /// fills ([`Output::Chunk`](crate::Output::Chunk), from
    /// [`Segmenter::poll_output`](crate::Segmenter::poll_output)) instead of
    /// keeping it until the segment closes. A caller that appends the
    /// chunks to the object as they come (a temporary file, a multipart
    /// upload) then holds about one chunk per stream instead of one segment.
    /// Off by default: [`Segmenter::poll_segment`](crate::Segmenter::poll_segment)
    /// then gives whole segments.
    pub stream_chunks: bool,
    /// The size of the chunks a segment is written in (a frame larger than
    /// this gets a chunk of its own). Default 64 KiB: small beside a
    /// segment, large beside a frame (a 3 Mb/s frame is about 12 KiB).
    /// With `stream_chunks`, larger chunks mean fewer store calls and more
    /// memory per stream.
    pub chunk_bytes: usize,
}

impl SegmenterConfig {
    /// The OSS rules for `frag_duration_ms` (FragDuration × 1000), with
    /// stream time zero at wall-clock `base_time_ms` (used for frames
    /// pushed without an arrival time only).
    pub fn new(frag_duration_ms: u64, base_time_ms: u64) -> Self {
        SegmenterConfig {
            frag_duration_ms,
            max_segment_duration_ms: frag_duration_ms.saturating_mul(2).max(60_000),
            max_segment_bytes: 128 << 20,
            base_time_ms,
            min_wall_ms: 0,
            stream_chunks: false,
            chunk_bytes: 64 << 10,
        }
    }
}

impl Default for SegmenterConfig {
    /// FragDuration 5 s (the OSS default), names starting at 0.
    fn default() -> Self {
        SegmenterConfig::new(5_000, 0)
    }
}
