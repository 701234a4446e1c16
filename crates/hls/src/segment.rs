use bytes::Bytes;

/// One finished MPEG-TS segment: store `data` under [`Segment::file_name`]
/// before any playlist names it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Segment {
    /// 0 for the first segment of this segmenter, then 1, 2, ...
    pub index: u64,
    /// Name time: `base_time_ms` + the segment's start in stream time, made
    /// strictly increasing so names stay unique.
    pub start_ms: u64,
    /// Stream time of the first frame (the keyframe when there is video), in 90 kHz ticks.
    pub start_pts: i64,
    /// Duration in seconds: up to the next segment's start, or for the last
    /// segment up to the end of its last frame. Use it for `#EXTINF`.
    pub duration: f64,
    /// The MPEG-TS bytes, in order: PAT, PMT, then PES packets in decode
    /// order. In chunks of whole TS packets (about 64 KiB each), as the
    /// segmenter wrote them: store them one after the other (a vectored
    /// write, an HTTP body of parts) rather than joining them.
    pub chunks: Vec<Bytes>,
    /// True when the first video frame is a keyframe (false only after a forced cut).
    pub starts_with_keyframe: bool,
    /// Video frames in the segment.
    pub video_frames: u32,
    /// Audio frames in the segment.
    pub audio_frames: u32,
    /// True for the segment [`Segmenter::finish`](crate::Segmenter::finish) closed.
    pub last: bool,
}

impl Segment {
    /// `<start_ms>.ts`, the OSS object name within the channel (spec §6.3).
    pub fn file_name(&self) -> String {
        format!("{}.ts", self.start_ms)
    }

    /// Size in bytes (a multiple of 188).
    pub fn len(&self) -> usize {
        self.chunks.iter().map(Bytes::len).sum()
    }

    /// True when the segment holds no bytes (never, for a segment the segmenter made).
    pub fn is_empty(&self) -> bool {
        self.chunks.iter().all(Bytes::is_empty)
    }

    /// The whole segment in one buffer (a copy, unless it is one chunk).
    pub fn to_bytes(&self) -> Bytes {
        match self.chunks.as_slice() {
            [one] => one.clone(),
            chunks => Bytes::from(chunks.concat()),
        }
    }
}
