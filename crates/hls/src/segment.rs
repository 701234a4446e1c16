use bytes::Bytes;

use crate::SegmentFormat;

/// One finished segment (MPEG-TS or fMP4): store its chunks under
/// [`Segment::file_name`] before any playlist names it, and, when it brings
/// an [`init`](Segment::init) segment, store that first.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Segment {
    /// 0 for the first segment of this segmenter, then 1, 2, ...
    pub index: u64,
    /// The segment's time on the wall clock, Unix milliseconds: what names
    /// it (`<wall_ms>.ts`) and what a VOD over a time span selects it by.
    /// For frames pushed with an arrival time (a live stream,
    /// [`Segmenter::push_video_at`](crate::Segmenter::push_video_at)), the
    /// arrival of its first frame (its first video frame when it has
    /// video); otherwise (a file) [`stream_start_ticks`](Self::stream_start_ticks)
    /// in ms after [`SegmenterConfig::base_wall_ms`](crate::SegmenterConfig::base_wall_ms).
    /// Strictly increasing (1 ms later on a tie), and at least
    /// [`SegmenterConfig::min_wall_ms`](crate::SegmenterConfig::min_wall_ms),
    /// so that names stay unique and in order.
    pub wall_ms: u64,
    /// The segment's start in stream time, 90 kHz ticks from the stream's
    /// first frame: the decode time of its first video frame (the keyframe
    /// it is cut at), or of its first frame when it has no video. Stream
    /// time is the media clock, which a publisher faster than real time
    /// runs ahead of the wall clock.
    pub stream_start_ticks: i64,
    /// Duration in seconds of stream time: up to the next segment's start,
    /// or for the last segment up to the end of its last frame. Use it for
    /// `#EXTINF`.
    pub duration: f64,
    /// The MPEG-TS bytes, in order: PAT, PMT, then PES packets in decode
    /// order. In chunks of whole TS packets (about 64 KiB each), as the
    /// segmenter wrote them: store them one after the other (a vectored
    /// write, an HTTP body of parts) rather than joining them.
    ///
    /// With [`OutputMode::StreamedChunks`](crate::OutputMode::StreamedChunks),
    /// only the chunks not already given out as [`Output::Chunk`]: the
    /// segment's tail.
    pub chunks: Vec<Bytes>,
    /// Bytes of this segment given out earlier as [`Output::Chunk`]s
    /// (0 with [`OutputMode::WholeSegments`](crate::OutputMode::WholeSegments)).
    pub streamed: usize,
    /// True when the first video frame is a keyframe (false only after a forced cut).
    pub starts_with_keyframe: bool,
    /// Video frames in the segment.
    pub video_frames: u32,
    /// Audio frames in the segment.
    pub audio_frames: u32,
    /// True for the segment [`Segmenter::finish`](crate::Segmenter::finish) closed.
    pub last: bool,
    /// The container: MPEG-TS, or fMP4 (`moof`+`mdat`, which needs an init segment).
    pub format: SegmentFormat,
    /// fMP4 only: the init segment this segment and the following ones
    /// start from, given with the first segment that needs it (the first
    /// segment, and the first after a codec configuration changed). Store
    /// it under [`InitSegment::file_name`] before the segment is named in a
    /// playlist, and from this segment on name it in `#EXT-X-MAP`
    /// (`LiveWindow::set_map` in `livechannel-m3u8`). `None` for TS and for
    /// segments that use the previous init segment.
    pub init: Option<InitSegment>,
}

/// An fMP4 init segment (`ftyp`+`moov`): what every later media segment
/// needs before it can be decoded.
///
/// ```
/// # use livechannel_hls::InitSegment;
/// # fn name(init: &InitSegment) -> String {
/// init.file_name() // "<wall_ms>.init.mp4": the wall_ms of the first segment using it
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InitSegment {
    /// The [`Segment::wall_ms`] of the first segment that uses it: what
    /// names it, so that a republish's init segment gets a new name.
    pub wall_ms: u64,
    /// The whole init segment.
    pub data: Bytes,
}

impl InitSegment {
    /// `<wall_ms>.init.mp4`.
    pub fn file_name(&self) -> String {
        init_file_name(self.wall_ms)
    }
}

impl Segment {
    /// `<wall_ms>.ts`, the OSS object name within the channel
    /// (`docs/oss-compatibility.md`, "Segment names and times"), or
    /// `<wall_ms>.m4s` for fMP4.
    pub fn file_name(&self) -> String {
        segment_file_name(self.wall_ms, self.format)
    }

    /// The whole segment's size in bytes (for TS a multiple of 188),
    /// streamed chunks included (the init segment is not counted).
    pub fn len(&self) -> usize {
        self.streamed + self.chunks.iter().map(Bytes::len).sum::<usize>()
    }

    /// True when the segment holds no bytes (never, for a segment the segmenter made).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes in [`chunks`](Self::chunks) in one buffer (a copy, unless
    /// it is one chunk): the whole segment unless chunks were streamed.
    pub fn to_bytes(&self) -> Bytes {
        match self.chunks.as_slice() {
            [one] => one.clone(),
            chunks => Bytes::from(chunks.concat()),
        }
    }
}

/// A full chunk of the segment being written, given out before the segment
/// closes (with [`OutputMode::StreamedChunks`](crate::OutputMode::StreamedChunks)).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Chunk {
    /// The [`Segment::index`] it belongs to.
    pub index: u64,
    /// The segment's wall-clock time (Unix ms), as in [`Segment::wall_ms`]:
    /// fixed by its first chunk, which names the object.
    pub wall_ms: u64,
    /// Whole TS packets; the first chunk of a segment opens with its PAT.
    pub data: Bytes,
    /// The segment's container (always TS today: fMP4 segments come out whole).
    pub format: SegmentFormat,
}

impl Chunk {
    /// The object the chunk belongs to: the segment's [`Segment::file_name`].
    pub fn file_name(&self) -> String {
        segment_file_name(self.wall_ms, self.format)
    }
}

/// What [`Segmenter::poll_output`](crate::Segmenter::poll_output) gives
/// out, in order, in every [`OutputMode`](crate::OutputMode).
///
/// A segment's chunks all come before its [`Output::Segment`], and nothing
/// of the next segment comes before it: append each chunk to the object
/// [`Chunk::file_name`], then the segment's own [`Segment::chunks`], and
/// only then make the object visible and name it in a playlist. A drain
/// written that way is right in both modes; with
/// [`OutputMode::WholeSegments`](crate::OutputMode::WholeSegments) it
/// simply never sees a chunk.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A full chunk of the segment being written (only with
    /// [`OutputMode::StreamedChunks`](crate::OutputMode::StreamedChunks)).
    Chunk(Chunk),
    /// The end of a segment: its remaining chunks (all of them unless
    /// chunks were streamed) and what a playlist needs.
    Segment(Segment),
}

/// The object name of the segment whose time is `wall_ms`: `<wall_ms>.ts`
/// or `<wall_ms>.m4s`. The one naming rule: chunks, segments and whoever
/// names them later (a VOD index) use it, and [`parse_segment_file_name`]
/// reads it back.
///
/// ```
/// use livechannel_hls::{parse_segment_file_name, segment_file_name, SegmentFormat};
///
/// let name = segment_file_name(1_700_000_000_000, SegmentFormat::Fmp4);
/// assert_eq!(name, "1700000000000.m4s");
/// assert_eq!(parse_segment_file_name(&name), Some((1_700_000_000_000, SegmentFormat::Fmp4)));
/// assert_eq!(parse_segment_file_name("1.init.mp4"), None);
/// ```
pub fn segment_file_name(wall_ms: u64, format: SegmentFormat) -> String {
    format!("{wall_ms}.{}", format.extension())
}

/// The object name of the init segment whose time is `wall_ms`:
/// `<wall_ms>.init.mp4` ([`InitSegment::file_name`]).
pub fn init_file_name(wall_ms: u64) -> String {
    format!("{wall_ms}.init.mp4")
}

/// The time and container of a segment named by [`segment_file_name`];
/// `None` for any other name.
pub fn parse_segment_file_name(name: &str) -> Option<(u64, SegmentFormat)> {
    let (ms, extension) = name.split_once('.')?;
    let format = [SegmentFormat::Ts, SegmentFormat::Fmp4]
        .into_iter()
        .find(|f| f.extension() == extension)?;
    Some((ms.parse().ok()?, format))
}
