use std::collections::VecDeque;

use bytes::Bytes;
use livechannel_codec::aac::{AdtsWriter, AudioSpecificConfig};
use livechannel_codec::h264::{AnnexB, AnnexBConverter, AvcDecoderConfigurationRecord, Sps};
use livechannel_flv::{AacPacketType, AudioTag, SoundFormat, Tag, TagType, VideoTag};
use livechannel_mpegts::{Muxer, MuxerConfig, PACKET_SIZE};

use crate::timeline::{SampleClock, TrackClock, TICKS_PER_MS};
use crate::{
    AudioInfo, Chunk, ChunkPool, DiscardedAudio, Error, MediaInfo, Output, Segment,
    SegmenterConfig, Stats, VideoInfo,
};

/// Cuts an FLV audio/video stream into MPEG-TS segments (sans-IO).
///
/// Push tag bodies in arrival order with [`push_video`](Self::push_video),
/// [`push_audio`](Self::push_audio) or [`push_tag`](Self::push_tag); after
/// each push, drain [`poll_segment`](Self::poll_segment) until it returns
/// `None`. At the end of the stream call [`finish`](Self::finish) and drain
/// once more: the last, partial segment is never lost.
///
/// What it does for you: AVCC → Annex B with AUD and in-band SPS/PPS before
/// IDRs, AAC → ADTS, one timeline for both tracks (32-bit wrap, jumps,
/// different bases), audio times from the sample count, a decode-time shift
/// for negative composition times, and cuts just before an IDR once the
/// segment holds `frag_duration_ms` (forced after `max_segment_duration_ms`).
///
/// The first 32 video frames of a stream are held before anything is
/// written, to learn the decode-time shift (B-frames' reorder delay) so
/// that one constant shift applies to the whole stream; after that every
/// frame is muxed into the current segment's buffer as it arrives and its
/// input is released. Memory held: about one segment of TS per stream, or
/// about one chunk ([`SegmenterConfig::chunk_bytes`]) with [`SegmenterConfig::stream_chunks`] (the
/// caller then stores each chunk as [`poll_output`](Segmenter::poll_output)
/// gives it out).
///
/// Two clocks: the tags' timestamps are stream time (the media clock,
/// [`Segment::start_pts`]), which cuts the segments and gives `#EXTINF`.
/// A segment's time on the wall clock ([`Segment::wall_ms`], its name) is
/// the arrival of its first frame for a live stream, whose caller pushes
/// each tag with the time it arrived ([`push_video_at`](Self::push_video_at),
/// [`push_audio_at`](Self::push_audio_at)): a publisher that sends a
/// recorded file faster than real time then gets segments dated when they
/// were received, not up to the file's length in the future, so a VOD over
/// the push's wall-clock span holds all of it. A file has no arrival
/// times: pushed with [`push_tag`](Self::push_tag) or
/// [`push_video`](Self::push_video), its segments are dated
/// [`SegmenterConfig::base_time_ms`] + stream time. The segmenter reads no
/// clock either way.
///
/// ```no_run
/// # fn read_tags() -> Vec<livechannel_flv::Tag> { Vec::new() }
/// use livechannel_hls::{Segmenter, SegmenterConfig};
///
/// let mut segmenter = Segmenter::new(SegmenterConfig::new(2_000, 1_700_000_000_000));
/// for tag in read_tags() {
///     if let Err(e) = segmenter.push_tag(tag) {
///         if e.is_fatal() { return; }       // e.g. HEVC video
///         eprintln!("skipped a damaged frame: {e}");
///     }
///     while let Some(segment) = segmenter.poll_segment() {
///         // store segment.chunks as segment.file_name(), then update the playlist
///     }
/// }
/// segmenter.finish();
/// while let Some(_last) = segmenter.poll_segment() { /* store it too */ }
/// ```
#[derive(Debug)]
pub struct Segmenter {
    config: SegmenterConfig,
    video: Option<VideoTrack>,
    audio: Option<AudioTrack>,
    video_clock: TrackClock,
    audio_clock: TrackClock,
    sample_clock: SampleClock,
    /// The shared origin (ms, on the clocks' scale) of stream time zero.
    origin: Option<i64>,
    last_video_dts: Option<i64>,
    /// The last video frame's duration in ticks, to end the last segment.
    last_video_step: i64,
    seen_keyframe: bool,
    pending: Pending,
    /// Largest (dts - pts) seen: DTS is moved back by this much so PTS ≥ DTS.
    dts_shift: i64,
    muxer: Muxer,
    ready: VecDeque<Output>,
    next_index: u64,
    /// The last segment's [`Segment::wall_ms`]: the next one is later.
    last_wall_ms: Option<u64>,
    /// The first audio that was not AAC (discarded), for the caller to report.
    discarded_audio: Option<DiscardedAudio>,
    finished: bool,
    /// After the first segment, frames are muxed into `out` as they arrive
    /// (the input is released at once); the first segment is held whole to
    /// learn the decode-time shift before anything is written.
    streaming: bool,
    /// The chunk of TS being written (streaming); full chunks move to `chunks`.
    out: Vec<u8>,
    /// `out` came from `pool` (and goes back to it once given out and dropped).
    out_pooled: bool,
    pool: Option<ChunkPool>,
    /// The open segment's full chunks (not given out yet).
    chunks: Vec<Bytes>,
    /// True from the open segment's PAT to its close.
    segment_open: bool,
    /// Frames of a track the open segment's PMT does not list yet: written
    /// at the start of the next segment.
    carry: Vec<Frame>,
    stats: Stats,
}

#[derive(Debug)]
struct VideoTrack {
    converter: AnnexBConverter,
    info: VideoInfo,
}

#[derive(Debug)]
struct AudioTrack {
    config: AudioSpecificConfig,
    /// The ADTS header template, validated once per sequence header.
    adts: AdtsWriter,
    info: AudioInfo,
}

#[derive(Debug)]
enum Frame {
    Video {
        pts: i64,
        dts: i64,
        keyframe: bool,
        au: AnnexB,
    },
    Audio {
        pts: i64,
        adts: [u8; 7],
        raw: Bytes,
    },
}

impl Frame {
    /// Keep only the frame's own bytes, not the receive buffers its data
    /// was sliced from: for frames held a while (the first second of a
    /// stream), which would otherwise keep a buffer each alive.
    fn compact(&mut self) {
        match self {
            Frame::Video { au, .. } => au.compact(),
            Frame::Audio { raw, .. } => *raw = Bytes::copy_from_slice(raw),
        }
    }
}

/// The segment being gathered.
#[derive(Debug, Default)]
struct Pending {
    frames: Vec<Frame>,
    /// Stream time the segment starts at: its first video frame's DTS, or
    /// while it has no video, its first frame's.
    start: Option<i64>,
    /// Wall-clock arrival (Unix ms) of the frame that set `start`, when it
    /// was pushed with one.
    start_arrival_ms: Option<u64>,
    has_video: bool,
    starts_with_keyframe: bool,
    bytes: usize,
    video_frames: u32,
    audio_frames: u32,
    /// End of the latest audio frame, for a segment with no video.
    audio_end: i64,
    /// The segment's wall-clock time, fixed when the first chunk is given
    /// out (the start may still move to the first video frame after that,
    /// but the chunk already named the object).
    wall_ms: Option<u64>,
    /// Bytes given out as chunks.
    streamed: usize,
}

impl Segmenter {
    /// A segmenter for one stream.
    pub fn new(config: SegmenterConfig) -> Self {
        let muxer =
            Muxer::new(MuxerConfig::default()).expect("the default muxer configuration is valid");
        Segmenter {
            config,
            video: None,
            audio: None,
            video_clock: TrackClock::default(),
            audio_clock: TrackClock::default(),
            sample_clock: SampleClock::default(),
            origin: None,
            last_video_dts: None,
            last_video_step: 0,
            seen_keyframe: false,
            pending: Pending::default(),
            dts_shift: 0,
            muxer,
            ready: VecDeque::new(),
            next_index: 0,
            last_wall_ms: None,
            discarded_audio: None,
            finished: false,
            streaming: false,
            out: Vec::new(),
            out_pooled: false,
            pool: None,
            chunks: Vec::new(),
            segment_open: false,
            carry: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// Take the chunks' buffers from `pool` and give them back to it when
    /// the caller drops them, instead of allocating each one (see
    /// [`ChunkPool`]). A chunk then keeps its buffer
    /// ([`SegmenterConfig::chunk_bytes`]) while it lives, at most twice its
    /// length: drop chunks once stored rather than keeping them.
    pub fn with_pool(mut self, pool: ChunkPool) -> Self {
        self.pool = Some(pool);
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

    /// Push an FLV video tag body with its timestamp in ms, without an
    /// arrival time (a file): a segment it starts is dated
    /// [`SegmenterConfig::base_time_ms`] + its stream time.
    ///
    /// An error means this frame was not used (see [`Error::is_fatal`]).
    pub fn push_video(&mut self, timestamp_ms: u32, body: Bytes) -> Result<(), Error> {
        self.push(TagType::Video, timestamp_ms, body, None)
    }

    /// Push an RTMP video message (an FLV video tag body) with its
    /// timestamp in ms and `arrival_ms`, the wall-clock time (Unix ms) at
    /// which it was received: a segment it starts is dated `arrival_ms`
    /// ([`Segment::wall_ms`]).
    ///
    /// An error means this frame was not used (see [`Error::is_fatal`]).
    pub fn push_video_at(
        &mut self,
        timestamp_ms: u32,
        body: Bytes,
        arrival_ms: u64,
    ) -> Result<(), Error> {
        self.push(TagType::Video, timestamp_ms, body, Some(arrival_ms))
    }

    /// Every push: counted, refused after [`finish`](Self::finish).
    fn push(
        &mut self,
        track: TagType,
        timestamp_ms: u32,
        body: Bytes,
        arrival: Option<u64>,
    ) -> Result<(), Error> {
        if self.finished {
            return Err(Error::Finished);
        }
        self.stats.bytes_in += body.len() as u64;
        let result = if track == TagType::Video {
            self.stats.video_tags += 1;
            self.video_tag(timestamp_ms, body, arrival)
        } else {
            self.stats.audio_tags += 1;
            self.audio_tag(timestamp_ms, body, arrival)
        };
        self.stats.damaged_frames += u64::from(result.is_err());
        result
    }

    fn video_tag(
        &mut self,
        timestamp_ms: u32,
        body: Bytes,
        arrival: Option<u64>,
    ) -> Result<(), Error> {
        let tag = VideoTag::parse(body).map_err(|source| Error::Tag {
            kind: "video",
            timestamp_ms,
            source,
        })?;
        if !tag.is_h264() {
            return Err(Error::unsupported(&tag.codec, timestamp_ms));
        }
        if tag.is_sequence_header() {
            return self.video_config(timestamp_ms, &tag.data);
        }
        if !tag.is_coded_frame() {
            // End of sequence and metadata carry no picture.
            return Ok(());
        }
        let Some(track) = self.video.as_mut() else {
            self.stats.dropped_before_config += 1;
            return Ok(());
        };
        let mut au = AnnexB::new();
        let info = track
            .converter
            .convert(&tag.data, &mut au)
            .map_err(|source| Error::Codec {
                kind: "AVC frame",
                timestamp_ms,
                source,
            })?;
        if au.is_empty() {
            return Ok(());
        }
        // An IDR slice is what makes a frame a random access point; the FLV
        // frame type is only the encoder's word for it.
        let keyframe = info.keyframe;
        if !keyframe && !self.seen_keyframe {
            self.stats.video_dropped_before_keyframe += 1;
            return Ok(());
        }

        let (ms, jumped) = self.video_clock.map(timestamp_ms, self.audio_clock.last());
        let raw_dts = self.stream_time(ms, jumped);
        let mut dts = raw_dts;
        if let Some(last) = self.last_video_dts {
            if dts <= last {
                dts = last + 1;
                self.stats.timestamp_fixups += 1;
            }
            self.last_video_step = (dts - last).min(90_000);
        }
        self.last_video_dts = Some(dts);
        // PTS follows the encoder's DTS (CTS is relative to it), not our nudge.
        let pts = raw_dts + i64::from(tag.composition_time) * TICKS_PER_MS;

        self.cut_before(dts, keyframe, true);
        self.seen_keyframe |= keyframe;
        let pending = &mut self.pending;
        if !pending.has_video {
            pending.has_video = true;
            pending.starts_with_keyframe = keyframe;
            // Audio that came first stays in, but the segment's time is the video's.
            pending.start = Some(dts);
            pending.start_arrival_ms = arrival;
        }
        pending.bytes += au.len();
        pending.video_frames += 1;
        self.add_frame(Frame::Video {
            pts,
            dts,
            keyframe,
            au,
        });
        Ok(())
    }

    /// Push an FLV audio tag body with its timestamp in ms, without an
    /// arrival time (a file; see [`push_video`](Self::push_video)).
    ///
    /// Audio other than AAC is discarded and counted, the video goes on (OSS
    /// behaviour); [`discarded_audio`](Self::discarded_audio) then says what
    /// it was. An error means this frame was not used.
    pub fn push_audio(&mut self, timestamp_ms: u32, body: Bytes) -> Result<(), Error> {
        self.push(TagType::Audio, timestamp_ms, body, None)
    }

    /// Push an RTMP audio message (an FLV audio tag body) with its
    /// timestamp in ms and the wall-clock time (Unix ms) at which it was
    /// received (see [`push_video_at`](Self::push_video_at),
    /// [`push_audio`](Self::push_audio)).
    pub fn push_audio_at(
        &mut self,
        timestamp_ms: u32,
        body: Bytes,
        arrival_ms: u64,
    ) -> Result<(), Error> {
        self.push(TagType::Audio, timestamp_ms, body, Some(arrival_ms))
    }

    fn audio_tag(
        &mut self,
        timestamp_ms: u32,
        body: Bytes,
        arrival: Option<u64>,
    ) -> Result<(), Error> {
        let tag = AudioTag::parse(body).map_err(|source| Error::Tag {
            kind: "audio",
            timestamp_ms,
            source,
        })?;
        if tag.sound_format != SoundFormat::Aac {
            self.stats.audio_discarded_not_aac += 1;
            // The first one says it all: a publisher does not change codec
            // within a publish, and the report is once per stream.
            self.discarded_audio.get_or_insert(DiscardedAudio {
                format: tag.sound_format,
                sample_rate: DiscardedAudio::flv_sample_rate(tag.sound_rate),
            });
            return Ok(());
        }
        if tag.aac_packet_type == Some(AacPacketType::SequenceHeader) {
            return self.audio_config(timestamp_ms, &tag.data);
        }
        let Some(track) = self.audio.as_ref() else {
            self.stats.dropped_before_config += 1;
            return Ok(());
        };
        if tag.data.is_empty() {
            return Ok(());
        }
        let adts = track
            .adts
            .header(tag.data.len())
            .map_err(|source| Error::Codec {
                kind: "AAC frame",
                timestamp_ms,
                source,
            })?;
        let (samples, rate) = (track.config.frame_length, track.config.sampling_frequency);

        let (ms, jumped) = self.audio_clock.map(timestamp_ms, self.video_clock.last());
        let actual = self.stream_time(ms, jumped);
        let (pts, reanchored) = self.sample_clock.next(actual, samples, rate);
        if reanchored {
            self.stats.timestamp_fixups += 1;
        }

        self.cut_before(pts, false, false);
        let pending = &mut self.pending;
        if pending.start.is_none() {
            pending.start = Some(pts);
            pending.start_arrival_ms = arrival;
        }
        pending.audio_end = pts + SampleClock::duration(samples, rate);
        pending.bytes += tag.data.len() + adts.len();
        pending.audio_frames += 1;
        self.add_frame(Frame::Audio {
            pts,
            adts,
            raw: tag.data,
        });
        Ok(())
    }

    /// End of stream: closes the last, partial segment (poll it), after
    /// which every push returns [`Error::Finished`].
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        let end = if self.pending.has_video {
            self.last_video_dts.map(|d| d + self.last_video_step.max(1))
        } else {
            Some(self.pending.audio_end)
        };
        if let Some(end) = end {
            self.close(end, true);
        }
    }

    /// The next finished segment, in order. Worth calling after every push
    /// and after [`finish`](Self::finish).
    ///
    /// With [`SegmenterConfig::stream_chunks`] use
    /// [`poll_output`](Self::poll_output) instead: this returns `None` while
    /// a chunk is next.
    pub fn poll_segment(&mut self) -> Option<Segment> {
        match self.ready.front()? {
            Output::Segment(_) => match self.ready.pop_front() {
                Some(Output::Segment(segment)) => Some(segment),
                _ => None,
            },
            Output::Chunk(_) => None,
        }
    }

    /// The next chunk or finished segment, in order (see [`Output`]). Worth
    /// calling until `None` after every push and after [`finish`](Self::finish).
    pub fn poll_output(&mut self) -> Option<Output> {
        self.ready.pop_front()
    }

    /// The audio discarded because it is not AAC, as its first tag
    /// described it; `None` while all audio was AAC (or there was none).
    /// Set by the first such tag, so a driver can warn once per stream.
    pub fn discarded_audio(&self) -> Option<DiscardedAudio> {
        self.discarded_audio
    }

    /// Counters for operators (see [`Stats`]).
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The tracks as their sequence headers describe them.
    pub fn media_info(&self) -> MediaInfo {
        MediaInfo {
            video: self.video.as_ref().map(|v| v.info.clone()),
            audio: self.audio.as_ref().map(|a| a.info.clone()),
        }
    }

    fn video_config(&mut self, timestamp_ms: u32, data: &Bytes) -> Result<(), Error> {
        let bad = |source| Error::Codec {
            kind: "AVC sequence header",
            timestamp_ms,
            source,
        };
        let record = AvcDecoderConfigurationRecord::parse(data).map_err(bad)?;
        let nal = record.sps.first().ok_or(Error::NoSps { timestamp_ms })?;
        let sps = Sps::parse(nal).map_err(bad)?;
        let info = VideoInfo {
            width: sps.width,
            height: sps.height,
            frame_rate: sps.frame_rate,
            profile: sps.profile_name(),
            level: sps.level_idc,
        };
        match self.video.as_mut() {
            Some(track) => {
                track.converter.set_config(&record);
                track.info = info;
            }
            None => {
                self.video = Some(VideoTrack {
                    converter: AnnexBConverter::new(&record),
                    info,
                });
            }
        }
        Ok(())
    }

    fn audio_config(&mut self, timestamp_ms: u32, data: &[u8]) -> Result<(), Error> {
        let bad = |source| Error::Codec {
            kind: "AAC sequence header",
            timestamp_ms,
            source,
        };
        let config = AudioSpecificConfig::parse(data).map_err(bad)?;
        // Refuse now what ADTS cannot carry, rather than on every frame.
        let adts = AdtsWriter::new(&config).map_err(bad)?;
        let info = AudioInfo {
            sample_rate: config.sampling_frequency,
            channels: config.channel_configuration,
            object_type: config.object_type,
        };
        self.audio = Some(AudioTrack { config, adts, info });
        Ok(())
    }

    /// Stream time (90 kHz) for a clock value in ms; the first frame of
    /// either track defines zero.
    fn stream_time(&mut self, ms: i64, jumped: bool) -> i64 {
        if jumped {
            self.stats.timestamp_fixups += 1;
        }
        let origin = *self.origin.get_or_insert(ms);
        (ms - origin).saturating_mul(TICKS_PER_MS)
    }

    /// Close the pending segment before a frame at `t` when the rules say so.
    fn cut_before(&mut self, t: i64, keyframe: bool, is_video: bool) {
        let Some(start) = self.pending.start else {
            return;
        };
        let held = t - start;
        let frag = ticks_from_ms(self.config.frag_duration_ms);
        let max = ticks_from_ms(self.config.max_segment_duration_ms);
        let over_bytes = self.pending.bytes >= self.config.max_segment_bytes;
        let cut = if self.pending.has_video {
            // Only video decides, so audio never splits a GOP; the forced cut
            // also covers video that stopped while audio goes on.
            (is_video && keyframe && held >= frag) || held >= max || over_bytes
        } else if self.video.is_some() || is_video {
            // Audio before the first video: keep it for the first segment
            // unless video never shows up.
            held >= max || over_bytes
        } else {
            // An audio-only stream is cut on duration alone.
            held >= frag || over_bytes
        };
        if !cut {
            return;
        }
        if self.pending.has_video && !(is_video && keyframe) {
            self.stats.forced_cuts += 1;
        }
        if held > frag + 90_000 {
            self.stats.long_gop_segments += 1;
        }
        self.close(t, false);
    }

    /// Mux the pending frames into a segment ending at stream time `end`.
    /// Take a frame into the current segment: held while the first segment
    /// is gathered, written straight into the segment's TS after that.
    fn add_frame(&mut self, frame: Frame) {
        if !self.streaming {
            let mut frame = frame;
            frame.compact();
            self.pending.frames.push(frame);
            if self.pending.video_frames >= HOLD_VIDEO_FRAMES {
                self.start_streaming();
            }
            return;
        }
        if !self.segment_open {
            self.open_segment();
        }
        if !self.write_frame(&frame) {
            self.carry.push(frame);
        }
    }

    /// PAT and PMT for the tracks known so far, and any carried frames.
    fn open_segment(&mut self) {
        let video = self.video.is_some();
        let audio = self.audio.is_some();
        let tracks = self.muxer.set_tracks(video, audio);
        debug_assert!(tracks.is_ok(), "a frame implies a track");
        self.room(0);
        self.muxer.start_segment(&mut self.out);
        self.segment_open = true;
        for frame in std::mem::take(&mut self.carry) {
            self.write_frame(&frame);
        }
    }

    /// Make room in `out` for a frame of `payload` bytes without ever
    /// moving what is written (the muxer's own `reserve` then finds the room
    /// and does nothing): when the chunk is too full, it is trimmed to its
    /// length and joins the segment's chunks (or is given out, when chunks
    /// are streamed), and a new one starts. No byte is copied twice.
    fn room(&mut self, payload: usize) {
        let need = estimate_ts_len(payload, 1);
        if self.out.capacity() - self.out.len() >= need {
            return;
        }
        if !self.out.is_empty() {
            self.flush_chunk(true);
        }
        let chunk_bytes = self.config.chunk_bytes;
        (self.out, self.out_pooled) = match &self.pool {
            Some(pool) if need <= chunk_bytes => (pool.take(chunk_bytes), true),
            _ => (Vec::with_capacity(need.max(chunk_bytes)), false),
        };
    }

    /// Move the full chunk out of `out`: given out at once when chunks are
    /// streamed (and `give_out`), else kept with the segment.
    fn flush_chunk(&mut self, give_out: bool) {
        let mut chunk = std::mem::take(&mut self.out);
        let data = match &self.pool {
            Some(pool) if std::mem::take(&mut self.out_pooled) => pool.freeze(chunk),
            _ => {
                // Shrinking gives the tail back to the allocator in place.
                chunk.shrink_to_fit();
                Bytes::from(chunk)
            }
        };
        if !(give_out && self.config.stream_chunks) {
            self.chunks.push(data);
            return;
        }
        let wall_ms = self.open_wall_ms(self.pending.start.unwrap_or(0));
        self.pending.streamed += data.len();
        self.ready.push_back(Output::Chunk(Chunk {
            index: self.next_index,
            wall_ms,
            data,
        }));
    }

    /// Mux one frame into `out`; false when its track is not in the PMT.
    fn write_frame(&mut self, frame: &Frame) -> bool {
        let written = match frame {
            Frame::Video {
                pts,
                dts,
                keyframe,
                au,
            } => {
                // A shift larger than the one learnt from the first segment:
                // keep PTS ≥ DTS for this frame.
                let dts = (dts - self.dts_shift).min(*pts);
                self.room(au.len());
                self.muxer
                    .write_video(*pts, dts, *keyframe, au.chunks(), &mut self.out)
            }
            Frame::Audio { pts, adts, raw } => {
                self.room(adts.len() + raw.len());
                self.muxer
                    .write_audio(*pts, &[&adts[..], &raw[..]], &mut self.out)
            }
        };
        match written {
            Ok(()) => true,
            Err(livechannel_mpegts::Error::TrackNotInProgram { .. }) => false,
            Err(e) => {
                // Cannot happen for frames the checks above let in; counted, never hidden.
                debug_assert!(false, "muxer refused a frame: {e}");
                self.stats.damaged_frames += 1;
                true
            }
        }
    }

    /// Mux the first segment's held frames, in decode order, into `out`.
    fn write_held(&mut self, mut frames: Vec<Frame>, has_video: bool, audio_frames: u32) {
        for f in &frames {
            if let Frame::Video { pts, dts, .. } = f {
                self.dts_shift = self.dts_shift.max(dts - pts);
            }
        }
        self.stats.dts_shift = self.dts_shift;
        let shift = self.dts_shift;
        // The muxer needs decode order across both tracks (PCR from DTS).
        frames.sort_by_key(|f| match f {
            Frame::Video { dts, .. } => dts - shift,
            Frame::Audio { pts, .. } => *pts,
        });
        let video = self.video.is_some() || has_video;
        let audio = self.audio.is_some() || audio_frames > 0;
        let tracks = self.muxer.set_tracks(video, audio);
        debug_assert!(tracks.is_ok(), "a segment always has at least one track");
        self.room(0);
        self.muxer.start_segment(&mut self.out);
        self.segment_open = true;
        // Each frame's input goes as soon as it is muxed: the stream holds
        // the held frames or their TS, not both.
        for f in frames {
            self.write_frame(&f);
        }
    }

    /// Mux what was held and write every later frame as it arrives.
    fn start_streaming(&mut self) {
        let frames = std::mem::take(&mut self.pending.frames);
        if !frames.is_empty() {
            let (has_video, audio_frames) = (self.pending.has_video, self.pending.audio_frames);
            self.write_held(frames, has_video, audio_frames);
        }
        self.streaming = true;
    }

    /// End the current segment at stream time `end`.
    fn close(&mut self, end: i64, last: bool) {
        let Some(start) = self.pending.start else {
            return;
        };
        if !self.streaming {
            self.start_streaming();
        }
        // The tail stays with the segment: one store call fewer.
        if !self.out.is_empty() {
            self.flush_chunk(false);
        }
        self.segment_open = false;
        if self.chunks.is_empty() && self.pending.streamed == 0 {
            self.pending = Pending::default();
            return;
        }
        let wall_ms = self.open_wall_ms(start);
        let pending = std::mem::take(&mut self.pending);
        let chunks = std::mem::take(&mut self.chunks);
        let segment = Segment {
            index: self.next_index,
            wall_ms,
            start_pts: start,
            duration: (end - start).max(0) as f64 / 90_000.0,
            chunks,
            streamed: pending.streamed,
            starts_with_keyframe: pending.starts_with_keyframe || !pending.has_video,
            video_frames: pending.video_frames,
            audio_frames: pending.audio_frames,
            last,
        };
        self.next_index += 1;
        self.stats.segments += 1;
        self.stats.video_frames += u64::from(pending.video_frames);
        self.stats.audio_frames += u64::from(pending.audio_frames);
        self.stats.bytes_out += segment.len() as u64;
        self.ready.push_back(Output::Segment(segment));
    }

    /// The open segment's wall-clock time: fixed the first time it is
    /// asked for (its first streamed chunk, or its close), as its start may
    /// still move to the first video frame.
    fn open_wall_ms(&mut self, start: i64) -> u64 {
        if let Some(ms) = self.pending.wall_ms {
            return ms;
        }
        let ms = self.next_wall_ms(start, self.pending.start_arrival_ms);
        self.pending.wall_ms = Some(ms);
        ms
    }

    /// The wall-clock time of a segment starting at stream time `start`
    /// whose first frame arrived at `arrival` (if pushed with one): that
    /// arrival, else the base plus the stream time; then later than the
    /// last segment's (by 1 ms on a tie: names must stay unique and in
    /// order) and at least `min_wall_ms`.
    fn next_wall_ms(&mut self, start: i64, arrival: Option<u64>) -> u64 {
        let mut ms = arrival.unwrap_or_else(|| {
            let offset = u64::try_from(start.div_euclid(TICKS_PER_MS)).unwrap_or(0);
            self.config.base_time_ms.saturating_add(offset)
        });
        ms = ms.max(self.config.min_wall_ms);
        if let Some(last) = self.last_wall_ms {
            ms = ms.max(last + 1);
        }
        self.last_wall_ms = Some(ms);
        ms
    }
}

fn ticks_from_ms(ms: u64) -> i64 {
    i64::try_from(ms)
        .unwrap_or(i64::MAX / 90)
        .saturating_mul(TICKS_PER_MS)
}

/// Video frames held before anything is written: enough to see the
/// reorder delay of B-frames (the decode-time shift), short enough to keep
/// memory at about one segment per stream.
const HOLD_VIDEO_FRAMES: u32 = 32;

/// TS size for `payload` bytes in `frames` PES packets: 184 payload bytes a
/// packet, plus one packet per PES for headers and stuffing, plus PAT/PMT.
fn estimate_ts_len(payload: usize, frames: usize) -> usize {
    (payload / 184 + frames + 3) * PACKET_SIZE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_is_at_least_the_packets_written() {
        assert!(estimate_ts_len(0, 0) >= 2 * PACKET_SIZE);
        assert_eq!(estimate_ts_len(184 * 10, 1), 14 * PACKET_SIZE);
    }

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
        assert!(s.poll_segment().is_none());
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
    }
}
