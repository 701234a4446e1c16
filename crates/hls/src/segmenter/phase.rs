//! The segmenter's states: where the stream is ([`Phase`]) and what the
//! segment being gathered holds ([`OpenSegment`], [`Start`]).
//!
//! Times here are stream time in 90 kHz ticks (`*_ticks`, `pts`, `dts`)
//! unless named `*_wall_ms` (wall clock, Unix ms).

use bytes::Bytes;

use super::frame::Frame;

/// Where the segmenter is in the stream. Each state has one next step:
///
/// ```text
/// Holding ──(16th video frame, or the first cut)──> InSegment
/// InSegment ──(cut)──> BetweenSegments ──(next frame)──> InSegment
/// any ──(finish: the last segment closes)──> Finished
/// ```
#[derive(Debug)]
pub(super) enum Phase {
    /// The first segment is gathered and nothing is written yet: its
    /// frames are held (copied out of their receive buffers) until
    /// [`HOLD_VIDEO_FRAMES`] video frames show the decode-time shift, or
    /// the segment is cut first.
    Holding(Vec<Frame>),
    /// The segment's PAT and PMT are written; every frame is muxed into
    /// its chunks as it arrives.
    InSegment,
    /// A segment was just cut: the next frame writes the next one's PAT
    /// and PMT (for the tracks known by then).
    BetweenSegments,
    /// [`Segmenter::finish`](crate::Segmenter::finish) closed the last
    /// segment; every push is refused.
    Finished,
}

/// Video frames held before anything is written: enough to see the
/// reorder delay of B-frames (the decode-time shift) with up to 15 B-frames
/// in a row (x264's veryslow preset uses 8, OBS 2, hardware encoders at
/// most 4), short enough that all streams starting at once is not a memory
/// peak of its own. 32 held about 540 KiB per 720p 3 Mb/s stream while
/// 200 started together.
pub(super) const HOLD_VIDEO_FRAMES: u32 = 16;

/// What the segment's time is taken from so far.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) enum Start {
    /// No frame yet.
    #[default]
    Empty,
    /// Only audio so far: its first frame.
    Audio {
        ticks: i64,
        arrival_wall_ms: Option<u64>,
    },
    /// Its first video frame (audio that came before it stays in the
    /// segment, but the segment's time is the video's: the cut is there).
    Video {
        ticks: i64,
        arrival_wall_ms: Option<u64>,
        /// False only after a forced cut.
        keyframe: bool,
    },
}

impl Start {
    /// The segment's start in stream time, once it has a frame.
    pub(super) fn ticks(self) -> Option<i64> {
        match self {
            Start::Empty => None,
            Start::Audio { ticks, .. } | Start::Video { ticks, .. } => Some(ticks),
        }
    }

    /// When the frame that starts the segment arrived (wall clock, Unix
    /// ms), if it was pushed with an arrival time.
    pub(super) fn arrival_wall_ms(self) -> Option<u64> {
        match self {
            Start::Empty => None,
            Start::Audio {
                arrival_wall_ms, ..
            }
            | Start::Video {
                arrival_wall_ms, ..
            } => arrival_wall_ms,
        }
    }

    pub(super) fn has_video(self) -> bool {
        matches!(self, Start::Video { .. })
    }

    /// As [`Segment::starts_with_keyframe`](crate::Segment::starts_with_keyframe):
    /// true unless a video segment was cut without a keyframe.
    pub(super) fn starts_with_keyframe(self) -> bool {
        match self {
            Start::Video { keyframe, .. } => keyframe,
            Start::Empty | Start::Audio { .. } => true,
        }
    }
}

/// The segment being gathered (and, after the first one, written).
#[derive(Debug, Default)]
pub(super) struct OpenSegment {
    pub(super) start: Start,
    /// Bytes of its frames' payloads (for the memory guard).
    pub(super) bytes: usize,
    pub(super) video_frames: u32,
    pub(super) audio_frames: u32,
    /// End of the latest audio frame, for a segment with no video.
    pub(super) audio_end_ticks: i64,
    /// The segment's wall-clock time, fixed when the first chunk is given
    /// out (the start may still move to the first video frame after that,
    /// but the chunk already named the object).
    pub(super) wall_ms: Option<u64>,
    /// Its full chunks not given out yet.
    pub(super) chunks: Vec<Bytes>,
    /// Bytes given out as chunks.
    pub(super) streamed: usize,
}
