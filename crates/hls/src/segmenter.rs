//! The [`Segmenter`] state machine; its parts are in the files below,
//! named after what they hold.

mod chunks;
mod cmaf;
mod cut;
mod frame;
mod mux;
mod phase;
mod tags;

use std::collections::VecDeque;

use bytes::Bytes;
use livechannel_flv::{Tag, TagType};
use livechannel_mpegts::{Muxer, MuxerConfig};

use self::chunks::ChunkWriter;
use self::cmaf::Fmp4State;
use self::frame::Frame;
use self::phase::{OpenSegment, Phase};
use self::tags::{AudioTrack, LastVideo, VideoTrack};
use crate::timeline::{SampleClock, TrackClock};
use crate::{
    ChunkPool, DiscardedAudio, Error, MediaInfo, Output, SegmentFormat, SegmenterConfig, Stats,
};

/// Cuts an FLV audio/video stream into MPEG-TS segments (sans-IO).
///
/// The driver owns the store and the clock:
/// 1. push tag bodies in arrival order with [`push_video_at`](Self::push_video_at)
///    / [`push_audio_at`](Self::push_audio_at) (live: with the wall-clock
///    time each arrived) or [`push_tag`](Self::push_tag) /
///    [`push_video`](Self::push_video) / [`push_audio`](Self::push_audio)
///    (a file);
/// 2. after each push, drain [`poll_output`](Self::poll_output) until it
///    returns `None`, in every [`OutputMode`](crate::OutputMode): append
///    each [`Output::Chunk`] to the object it names, then the
///    [`Output::Segment`]'s own chunks, and only then name the segment in a
///    playlist;
/// 3. at the end of the stream call [`finish`](Self::finish) and drain once
///    more: the last, partial segment is never lost. Every later push
///    returns [`Error::Finished`].
///
/// What it does for you: AVCC → Annex B with AUD and in-band SPS/PPS before
/// IDRs, AAC → ADTS, one timeline for both tracks (32-bit wrap, jumps,
/// different bases), audio times from the sample count, a decode-time shift
/// for negative composition times, and cuts just before an IDR once the
/// segment holds `frag_duration_ms` (forced after `max_segment_duration_ms`).
///
/// The first 16 video frames of a stream are held before anything is
/// written, to learn the decode-time shift (B-frames' reorder delay) so
/// that one constant shift applies to the whole stream; after that every
/// frame is muxed into the current segment's chunks as it arrives and its
/// input is released. Memory held: about one segment of TS per stream, or
/// about one chunk ([`SegmenterConfig::chunk_bytes`]) with
/// [`OutputMode::StreamedChunks`](crate::OutputMode::StreamedChunks) (the
/// caller then stores each chunk as [`poll_output`](Self::poll_output)
/// gives it out).
///
/// Two clocks, and every time says which it is on:
/// - stream time, the media clock: the tags' timestamps (`stream_ms`, in
///   ms as the publisher stamps them), and [`Segment::stream_start_ticks`]
///   (90 kHz from the stream's first frame). It cuts the segments and gives
///   `#EXTINF` ([`Segment::duration`]).
/// - the wall clock, Unix ms (`*_wall_ms`): a segment's time
///   ([`Segment::wall_ms`], its name). For a live stream, whose caller
///   pushes each tag with the time it arrived (`arrival_wall_ms`), it is
///   the arrival of the segment's first frame: a publisher that sends a
///   recorded file faster than real time then gets segments dated when
///   they were received, not up to the file's length in the future, so a
///   VOD over the push's wall-clock span holds all of it. A file has no
///   arrival times: its segments are dated
///   [`SegmenterConfig::base_wall_ms`] + stream time.
///
/// The segmenter reads no clock either way.
///
/// ```no_run
/// # fn read_tags() -> Vec<livechannel_flv::Tag> { Vec::new() }
/// # fn append(_name: &str, _data: &[bytes::Bytes]) {}
/// # fn publish(_segment: &livechannel_hls::Segment) {}
/// use livechannel_hls::{Output, Segmenter, SegmenterConfig};
///
/// let mut segmenter = Segmenter::new(SegmenterConfig::new(2_000, 1_700_000_000_000));
/// let mut drain = |segmenter: &mut Segmenter| {
///     while let Some(output) = segmenter.poll_output() {
///         match output {
///             Output::Chunk(chunk) => append(&chunk.file_name(), &[chunk.data]),
///             Output::Segment(segment) => {
///                 append(&segment.file_name(), &segment.chunks);
///                 publish(&segment); // then name it in the playlist
///             }
///         }
///     }
/// };
/// for tag in read_tags() {
///     if let Err(e) = segmenter.push_tag(tag) {
///         if e.is_fatal() { break; }       // e.g. HEVC video
///         eprintln!("skipped a damaged frame: {e}");
///     }
///     drain(&mut segmenter);
/// }
/// segmenter.finish();
/// drain(&mut segmenter);
/// ```
///
/// [`Segment::duration`]: crate::Segment::duration
/// [`Segment::stream_start_ticks`]: crate::Segment::stream_start_ticks
/// [`Segment::wall_ms`]: crate::Segment::wall_ms
#[derive(Debug)]
pub struct Segmenter {
    config: SegmenterConfig,
    phase: Phase,
    video: Option<VideoTrack>,
    audio: Option<AudioTrack>,
    video_clock: TrackClock,
    audio_clock: TrackClock,
    sample_clock: SampleClock,
    /// The track clocks' value (ms) at stream time zero: the first frame's.
    origin_ms: Option<i64>,
    /// `None` while waiting for the first keyframe (frames before it are
    /// undecodable and dropped).
    last_video: Option<LastVideo>,
    /// The segment being gathered.
    segment: OpenSegment,
    /// Stream time of the newest frame pushed (DTS for video, PTS for
    /// audio), for [`ms_until_cut`](Self::ms_until_cut).
    newest_ticks: Option<i64>,
    /// Largest (dts - pts) seen, in ticks: DTS is moved back by this much
    /// so PTS ≥ DTS.
    dts_shift: i64,
    muxer: Muxer,
    writer: ChunkWriter,
    /// Frames of a track the open segment's PMT does not list yet: written
    /// at the start of the next segment.
    carry: Vec<Frame>,
    ready: VecDeque<Output>,
    next_index: u64,
    /// The last segment's [`Segment::wall_ms`](crate::Segment::wall_ms): the next one is later.
    last_wall_ms: Option<u64>,
    /// The first audio that was not AAC (discarded), for the caller to report.
    discarded_audio: Option<DiscardedAudio>,
    stats: Stats,
    /// The container in use: the configured one, or fMP4 once an HEVC or
    /// AV1 sequence header asked for it before anything was written.
    format: SegmentFormat,
    /// The fMP4 muxer and the open segment's frames (fMP4 only).
    fmp4: Fmp4State,
}

impl Segmenter {
    /// A segmenter for one stream.
    pub fn new(config: SegmenterConfig) -> Self {
        let muxer =
            Muxer::new(MuxerConfig::default()).expect("the default muxer configuration is valid");
        Segmenter {
            writer: ChunkWriter::new(config.chunk_bytes),
            format: config.format,
            fmp4: Fmp4State::default(),
            config,
            phase: Phase::Holding(Vec::new()),
            video: None,
            audio: None,
            video_clock: TrackClock::default(),
            audio_clock: TrackClock::default(),
            sample_clock: SampleClock::default(),
            origin_ms: None,
            last_video: None,
            segment: OpenSegment::default(),
            newest_ticks: None,
            dts_shift: 0,
            muxer,
            carry: Vec::new(),
            ready: VecDeque::new(),
            next_index: 0,
            last_wall_ms: None,
            discarded_audio: None,
            stats: Stats::default(),
        }
    }

    /// Take the chunks' buffers from `pool` and give them back to it when
    /// the caller drops them, instead of allocating each one (see
    /// [`ChunkPool`]). A chunk then keeps its buffer
    /// ([`SegmenterConfig::chunk_bytes`]) while it lives, at most twice its
    /// length: drop chunks once stored rather than keeping them.
    pub fn with_pool(mut self, pool: ChunkPool) -> Self {
        self.writer.set_pool(pool);
        self
    }

    /// Push one FLV tag read from a file; script tags are ignored. See
    /// [`push_video`](Self::push_video).
    pub fn push_tag(&mut self, tag: Tag) -> Result<(), Error> {
        match tag.tag_type {
            TagType::Video => self.push_video(tag.timestamp, tag.body),
            TagType::Audio => self.push_audio(tag.timestamp, tag.body),
            _ => Ok(()),
        }
    }

    /// Push an FLV video tag body with its timestamp (`stream_ms`: stream
    /// time in ms), without an arrival time (a file): a segment it starts
    /// is dated [`SegmenterConfig::base_wall_ms`] + its stream time.
    ///
    /// An error means this frame was not used (see [`Error::is_fatal`]).
    pub fn push_video(&mut self, stream_ms: u32, body: Bytes) -> Result<(), Error> {
        self.push(TagType::Video, stream_ms, body, None)
    }

    /// Push an RTMP video message (an FLV video tag body) with its
    /// timestamp (`stream_ms`: stream time in ms) and `arrival_wall_ms`,
    /// the wall-clock time (Unix ms) at which it was received: a segment
    /// it starts is dated `arrival_wall_ms` ([`Segment::wall_ms`](crate::Segment::wall_ms)).
    ///
    /// An error means this frame was not used (see [`Error::is_fatal`]).
    pub fn push_video_at(
        &mut self,
        stream_ms: u32,
        body: Bytes,
        arrival_wall_ms: u64,
    ) -> Result<(), Error> {
        self.push(TagType::Video, stream_ms, body, Some(arrival_wall_ms))
    }

    /// Push an FLV audio tag body with its timestamp (`stream_ms`: stream
    /// time in ms), without an arrival time (a file; see
    /// [`push_video`](Self::push_video)).
    ///
    /// Audio other than AAC is discarded and counted, the video goes on (OSS
    /// behaviour); [`discarded_audio`](Self::discarded_audio) then says what
    /// it was. An error means this frame was not used.
    pub fn push_audio(&mut self, stream_ms: u32, body: Bytes) -> Result<(), Error> {
        self.push(TagType::Audio, stream_ms, body, None)
    }

    /// Push an RTMP audio message (an FLV audio tag body) with its
    /// timestamp (`stream_ms`: stream time in ms) and the wall-clock time
    /// (Unix ms) at which it was received (see
    /// [`push_video_at`](Self::push_video_at), [`push_audio`](Self::push_audio)).
    pub fn push_audio_at(
        &mut self,
        stream_ms: u32,
        body: Bytes,
        arrival_wall_ms: u64,
    ) -> Result<(), Error> {
        self.push(TagType::Audio, stream_ms, body, Some(arrival_wall_ms))
    }

    /// Every push: counted, refused after [`finish`](Self::finish).
    fn push(
        &mut self,
        track: TagType,
        stream_ms: u32,
        body: Bytes,
        arrival_wall_ms: Option<u64>,
    ) -> Result<(), Error> {
        if let Phase::Finished = self.phase {
            return Err(Error::Finished);
        }
        self.stats.bytes_in += body.len() as u64;
        let result = if track == TagType::Video {
            self.stats.video_tags += 1;
            self.video_tag(stream_ms, body, arrival_wall_ms)
        } else {
            self.stats.audio_tags += 1;
            self.audio_tag(stream_ms, body, arrival_wall_ms)
        };
        self.stats.damaged_frames += u64::from(result.is_err());
        result
    }

    /// End of stream: closes the last, partial segment (poll it), after
    /// which every push returns [`Error::Finished`]. A second call does
    /// nothing.
    pub fn finish(&mut self) {
        if let Phase::Finished = self.phase {
            return;
        }
        if let Some(end_ticks) = self.media_end_ticks() {
            self.close(end_ticks, true);
        }
        self.phase = Phase::Finished;
    }

    /// The next chunk or segment end, in order (see [`Output`]), in every
    /// [`OutputMode`](crate::OutputMode); `None` when nothing is ready.
    ///
    /// Worth calling again, until `None`, after every push
    /// ([`push_video_at`](Self::push_video_at), [`push_tag`](Self::push_tag),
    /// ...), errors included, and after [`finish`](Self::finish): nothing
    /// else makes output ready.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.ready.pop_front()
    }

    /// The audio discarded because it is not AAC, as its first tag
    /// described it; `None` while all audio was AAC (or there was none).
    /// Set by the first such tag, so a driver can warn once per stream.
    pub fn discarded_audio(&self) -> Option<DiscardedAudio> {
        self.discarded_audio
    }

    /// Stream milliseconds from the newest frame pushed to the earliest
    /// frame that can close the open segment (its start plus the fragment
    /// duration): 0 when the next keyframe would, `None` before any frame.
    ///
    /// Frames that come before then only join the open segment, so a
    /// driver may read them a little later at no cost to when a segment is
    /// stored: `livechannel` lets a publisher's bytes gather in its socket
    /// for that long (see `ReadHint::Media::slack`). A segment over
    /// [`SegmenterConfig::max_segment_bytes`] is cut earlier, at any frame.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use livechannel_hls::{Segmenter, SegmenterConfig};
    /// let mut s = Segmenter::new(SegmenterConfig { frag_duration_ms: 2000, ..Default::default() });
    /// assert_eq!(s.ms_until_cut(), None);
    /// // AAC sequence header (AudioSpecificConfig: LC, 44.1 kHz, stereo), then frames.
    /// s.push_audio(0, Bytes::from_static(&[0xaf, 0x00, 0x12, 0x10]))?;
    /// s.push_audio(0, Bytes::from_static(&[0xaf, 0x01, 0x21]))?;
    /// assert_eq!(s.ms_until_cut(), Some(2000)); // the segment starts here
    /// s.push_audio(23, Bytes::from_static(&[0xaf, 0x01, 0x21]))?; // 1024 samples later
    /// assert_eq!(s.ms_until_cut(), Some(1976));
    /// # Ok::<(), livechannel_hls::Error>(())
    /// ```
    pub fn ms_until_cut(&self) -> Option<u64> {
        let start = self.segment.start.ticks()?;
        let newest = self.newest_ticks?;
        let frag = self.config.frag_duration_ms.saturating_mul(90);
        let left = start.saturating_add(frag as i64).saturating_sub(newest);
        Some(u64::try_from(left).unwrap_or(0) / 90)
    }

    /// Counters for operators (see [`Stats`]).
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The container the segments are written in: the configured one, or
    /// fMP4 once HEVC or AV1 video asked for it.
    pub fn format(&self) -> SegmentFormat {
        self.format
    }

    /// The tracks as their sequence headers describe them.
    pub fn media_info(&self) -> MediaInfo {
        MediaInfo {
            video: self.video.as_ref().map(|v| v.info.clone()),
            audio: self.audio.as_ref().map(|a| a.info.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_h264_video_is_refused_clearly() {
        let mut s = Segmenter::new(SegmenterConfig::default());
        // Enhanced RTMP: IsExHeader | key frame, packet type SequenceStart, FourCC hvc1.
        let body = Bytes::from_static(&[0x90, b'h', b'v', b'c', b'1', 1, 2, 3]);
        let err = s.push_video(0, body).unwrap_err();
        assert!(err.is_fatal());
        assert!(err.to_string().contains("hvc1"), "{err}");
        assert_eq!(s.stats().damaged_frames, 1);
    }

    #[test]
    fn vp9_is_refused_even_in_fmp4() {
        let mut s = Segmenter::new(SegmenterConfig {
            format: crate::SegmentFormat::Fmp4,
            ..SegmenterConfig::default()
        });
        let body = Bytes::from_static(&[0x90, b'v', b'p', b'0', b'9', 1, 2, 3]);
        let err = s.push_video(0, body).unwrap_err();
        assert!(err.is_fatal());
        assert!(err.to_string().contains("vp09"), "{err}");
    }

    #[test]
    fn multitrack_video_is_counted_not_stored() {
        let mut s = Segmenter::new(SegmenterConfig::default());
        // Enhanced RTMP: key frame, packet type Multitrack; ManyTracksManyCodecs
        // of CodedFrames; track 0 in vp09, 3 bytes.
        let body = Bytes::from_static(&[0x96, 0x21, b'v', b'p', b'0', b'9', 0, 0, 0, 3, 1, 2, 3]);
        s.push_video(0, body).unwrap();
        assert_eq!(s.stats().multitrack_video_ignored, 1);
        assert_eq!(s.stats().damaged_frames, 0);
        s.finish();
        assert!(s.poll_output().is_none());
    }

    #[test]
    fn frames_before_a_sequence_header_are_counted() {
        let mut s = Segmenter::new(SegmenterConfig::default());
        // AVC key frame, NALU, cts 0, one 1-byte NAL.
        s.push_video(0, Bytes::from_static(&[0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65]))
            .unwrap();
        // AAC raw frame.
        s.push_audio(0, Bytes::from_static(&[0xAF, 1, 0x21]))
            .unwrap();
        assert_eq!(s.stats().dropped_before_config, 2);
        s.finish();
        assert!(s.poll_output().is_none());
    }

    #[test]
    fn mp3_audio_is_discarded_and_counted() {
        let mut s = Segmenter::new(SegmenterConfig::default());
        assert_eq!(s.discarded_audio(), None);
        // MP3, 44 kHz, 16-bit, stereo.
        s.push_audio(0, Bytes::from_static(&[0x2F, 0xFF, 0xFB]))
            .unwrap();
        s.push_audio(26, Bytes::from_static(&[0x2F, 0xFF, 0xFB]))
            .unwrap();
        assert_eq!(s.stats().audio_discarded_not_aac, 2);
        // One typed report for the stream, not one per frame.
        assert_eq!(
            s.discarded_audio(),
            Some(DiscardedAudio {
                format: livechannel_flv::SoundFormat::Mp3,
                sample_rate: 44_100
            })
        );
    }

    #[test]
    fn push_after_finish_is_refused() {
        let mut s = Segmenter::new(SegmenterConfig::default());
        s.finish();
        assert_eq!(
            s.push_audio(0, Bytes::from_static(&[0xAF, 1])),
            Err(Error::Finished)
        );
        // Sticky: every later push too, and a second finish changes nothing.
        s.finish();
        assert_eq!(
            s.push_video(0, Bytes::from_static(&[0x17, 0])),
            Err(Error::Finished)
        );
        assert!(s.poll_output().is_none());
    }
}
