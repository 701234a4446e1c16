/// How the [`Segmenter`](crate::Segmenter) cuts.
///
/// Field names follow OSS LiveChannel (`FragDuration`) and FFmpeg (`hls_time`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmenterConfig {
    /// A segment is cut just before the first IDR frame that arrives once it
    /// holds at least this much media, in stream time (OSS `FragDuration`,
    /// FFmpeg `hls_time`).
    pub frag_duration_ms: u64,
    /// Without a keyframe, a segment is cut anyway once it holds this much
    /// media (stream time). OSS uses max(2 × FragDuration, 60 s); that is
    /// the default from [`SegmenterConfig::new`].
    pub max_segment_duration_ms: u64,
    /// Memory guard: a segment is cut once its frames hold this many bytes
    /// (default 128 MiB), whatever the keyframes do.
    pub max_segment_bytes: usize,
    /// For frames pushed without an arrival time (a file, which has none):
    /// the wall-clock time (Unix ms) of stream time zero, so a segment's
    /// time is `base_wall_ms` + its start in stream time (in ms) and its
    /// name `<that>.ts` (`docs/oss-compatibility.md`, "Segment names and
    /// times"). Frames pushed with an arrival time
    /// ([`Segmenter::push_video_at`](crate::Segmenter::push_video_at), a
    /// live stream) do not use it: see [`Segment::wall_ms`](crate::Segment::wall_ms).
    pub base_wall_ms: u64,
    /// Every segment's time ([`Segment::wall_ms`](crate::Segment::wall_ms))
    /// is at least this wall-clock time, Unix ms (default 0). A live ingest
    /// sets it to one past the last segment a previous publish of the
    /// channel stored, so that names stay unique and ordered when the wall
    /// clock is behind them (a clock step back, or names written ahead of
    /// it by an older version).
    pub min_wall_ms: u64,
    /// How a segment's bytes come out of
    /// [`Segmenter::poll_output`](crate::Segmenter::poll_output): whole, in
    /// its [`Output::Segment`](crate::Output::Segment) (the default), or
    /// chunk by chunk as they fill ([`OutputMode::StreamedChunks`]).
    pub output: OutputMode,
    /// The size of the chunks a segment is written in (a frame larger than
    /// this gets a chunk of its own). Default 64 KiB: small beside a
    /// segment, large beside a frame (a 3 Mb/s frame is about 12 KiB).
    /// With [`OutputMode::StreamedChunks`], larger chunks mean fewer store
    /// calls and more memory per stream.
    pub chunk_bytes: usize,
    /// The container of the segments (default [`SegmentFormat::Ts`]).
    /// HEVC and AV1 video are never written in MPEG-TS (Safari and hls.js
    /// play them from fMP4 only, as Apple's HLS authoring rules ask): see
    /// [`hevc_av1_in_fmp4`](Self::hevc_av1_in_fmp4).
    pub format: SegmentFormat,
    /// With [`SegmentFormat::Ts`], what HEVC or AV1 video does: `true`
    /// switches the segmenter to [`SegmentFormat::Fmp4`] (if its sequence
    /// header comes before anything was written, as it does); `false` (the
    /// default) refuses it with a fatal
    /// [`Error::UnsupportedVideoCodec`](crate::Error::UnsupportedVideoCodec).
    /// Set it only when the caller handles fMP4 output: stores
    /// [`Segment::init`](crate::Segment::init) and names it in `#EXT-X-MAP`.
    /// A TS-only caller left at the default keeps refusing these codecs
    /// rather than publishing segments its playlists cannot describe.
    /// With [`SegmentFormat::Fmp4`] they are always taken.
    pub hevc_av1_in_fmp4: bool,
    /// fMP4 only: the wall-clock time (Unix ms) that stream time zero is
    /// given in the fragments' decode times (`tfdt`), default 0. A live
    /// ingest sets it to when the publish began, so that each publish's
    /// fragments come after the previous publish's on one clock: a player
    /// or demuxer that keeps one timeline across `#EXT-X-DISCONTINUITY`
    /// and a new `#EXT-X-MAP` (FFmpeg's HLS reader does) otherwise drops a
    /// republish whose times start again at zero. A publish pushed faster
    /// than real time can still run into the next one's times.
    pub fmp4_time_origin_ms: u64,
}

impl SegmenterConfig {
    /// The OSS rules for `frag_duration_ms` (FragDuration × 1000, stream
    /// time), with stream time zero at `base_wall_ms` (wall clock, Unix ms;
    /// used for frames pushed without an arrival time only).
    pub fn new(frag_duration_ms: u64, base_wall_ms: u64) -> Self {
        SegmenterConfig {
            frag_duration_ms,
            max_segment_duration_ms: frag_duration_ms.saturating_mul(2).max(60_000),
            max_segment_bytes: 128 << 20,
            base_wall_ms,
            min_wall_ms: 0,
            output: OutputMode::WholeSegments,
            chunk_bytes: 64 << 10,
            format: SegmentFormat::Ts,
            hevc_av1_in_fmp4: false,
            fmp4_time_origin_ms: 0,
        }
    }
}

impl Default for SegmenterConfig {
    /// FragDuration 5 s (the OSS default), names starting at 0.
    fn default() -> Self {
        SegmenterConfig::new(5_000, 0)
    }
}

/// How [`Segmenter::poll_output`](crate::Segmenter::poll_output) gives a
/// segment's bytes out. The same drain serves both: append every
/// [`Output::Chunk`](crate::Output::Chunk) to the object it names, then the
/// [`Output::Segment`](crate::Output::Segment)'s own chunks, and only then
/// name the object in a playlist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputMode {
    /// Each segment is kept until it closes and comes out whole, as the
    /// chunks of its [`Output::Segment`](crate::Output::Segment); no
    /// [`Output::Chunk`](crate::Output::Chunk) is ever given out. Memory
    /// held: about one segment of TS per stream.
    #[default]
    WholeSegments,
    /// Each full chunk of the segment being written comes out as an
    /// [`Output::Chunk`](crate::Output::Chunk) as soon as it fills; the
    /// [`Output::Segment`](crate::Output::Segment) that closes the segment
    /// holds only its tail. A caller that appends the chunks to the object
    /// as they come (a temporary file, a multipart upload) then holds
    /// about one chunk per stream instead of one segment.
    StreamedChunks,
}

/// The container a segment is written in.
///
/// ```
/// use livechannel_hls::{SegmentFormat, SegmenterConfig};
///
/// let mut config = SegmenterConfig::new(2_000, 0);
/// assert_eq!(config.format, SegmentFormat::Ts);
/// config.hevc_av1_in_fmp4 = true; // H.264 in TS, HEVC and AV1 in fMP4
/// config.format = SegmentFormat::Fmp4; // or everything in fMP4
/// assert_eq!(SegmentFormat::Fmp4.extension(), "m4s");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SegmentFormat {
    /// MPEG-2 transport stream segments (`<wall_ms>.ts`): H.264 and AAC
    /// only, nothing else to store. What OSS LiveChannel writes.
    #[default]
    Ts,
    /// Fragmented MP4 / CMAF: an init segment
    /// ([`Segment::init`](crate::Segment::init), named in the playlist's
    /// `#EXT-X-MAP`) and `moof`+`mdat` media segments (`<wall_ms>.m4s`).
    /// H.264, HEVC and AV1 video, AAC audio. Segments always come out
    /// whole: a segment's one `moof` lists every sample, so no byte of it
    /// is ready before its last frame ([`OutputMode::StreamedChunks`] gives
    /// no [`Output::Chunk`](crate::Output::Chunk) in this format).
    Fmp4,
}

impl SegmentFormat {
    /// The file extension of a media segment: `ts` or `m4s`.
    pub fn extension(self) -> &'static str {
        match self {
            SegmentFormat::Ts => "ts",
            SegmentFormat::Fmp4 => "m4s",
        }
    }
}
