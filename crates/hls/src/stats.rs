use livechannel_flv::SoundFormat;

/// Counters a driver shows an operator: what came in, what went out, and
/// every frame not used, by reason. Nothing is dropped without a count here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Video tags received (sequence headers included).
    pub video_tags: u64,
    /// Audio tags received (sequence headers included).
    pub audio_tags: u64,
    /// Payload bytes of all received tags.
    pub bytes_in: u64,
    /// Video frames written into segments.
    pub video_frames: u64,
    /// Audio frames written into segments.
    pub audio_frames: u64,
    /// Segments produced.
    pub segments: u64,
    /// Bytes of segments produced (MPEG-TS, or fMP4 without init segments).
    pub bytes_out: u64,
    /// Video frames refused before the first keyframe (undecodable).
    pub video_dropped_before_keyframe: u64,
    /// Frames refused because no sequence header had arrived for their track.
    pub dropped_before_config: u64,
    /// Audio frames discarded because the audio is not AAC (OSS keeps the video).
    pub audio_discarded_not_aac: u64,
    /// Frames refused because they were damaged (see the returned errors).
    pub damaged_frames: u64,
    /// Enhanced RTMP multitrack video tags (several renditions in one
    /// stream, OBS's "Multitrack Video"), which are not stored: only
    /// single-track video is.
    pub multitrack_video_ignored: u64,
    /// Timestamp jumps absorbed, and timestamps nudged to stay increasing.
    pub timestamp_fixups: u64,
    /// Cuts made without a keyframe (GOP longer than the maximum segment).
    pub forced_cuts: u64,
    /// Segments that ran past FragDuration by more than a second waiting for
    /// a keyframe: the GOP is longer than FragDuration.
    pub long_gop_segments: u64,
    /// The largest decode-time shift applied for negative composition times, in 90 kHz ticks.
    pub dts_shift: i64,
}

/// What the stream carries, from its sequence headers.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct MediaInfo {
    /// The video track, once a video sequence header arrived.
    pub video: Option<VideoInfo>,
    /// The audio track, once an AAC sequence header arrived.
    pub audio: Option<AudioInfo>,
}

/// The video codec, as its FLV tags name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VideoCodecKind {
    /// H.264 / AVC (legacy FLV codec id 7, or Enhanced RTMP `avc1`).
    H264,
    /// H.265 / HEVC (Enhanced RTMP `hvc1`).
    Hevc,
    /// AV1 (Enhanced RTMP `av01`).
    Av1,
}

/// The video track, from its SPS (H.264, HEVC) or sequence header (AV1).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct VideoInfo {
    /// The codec.
    pub codec: VideoCodecKind,
    /// Display width after cropping.
    pub width: u32,
    /// Display height after cropping.
    pub height: u32,
    /// Frames per second, when the SPS carries VUI timing.
    pub frame_rate: Option<f64>,
    /// `High`, `Main`, `Constrained Baseline`, `Main 10`, ...
    pub profile: &'static str,
    /// H.264 `level_idc` (e.g. 31 for level 3.1), HEVC
    /// `general_level_idc` (30 × the level: 93 for 3.1), AV1 `seq_level_idx`.
    pub level: u8,
}

/// The AAC track, from its AudioSpecificConfig.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AudioInfo {
    /// Sampling rate of the AAC core, Hz.
    pub sample_rate: u32,
    /// Channel configuration (1 mono, 2 stereo, ...).
    pub channels: u8,
    /// MPEG-4 audio object type (2 = AAC LC, 5 = HE-AAC, 29 = HE-AACv2).
    pub object_type: u8,
}

/// Audio the segmenter discards because it is not AAC (OSS keeps only AAC
/// audio and stores the video alone), as its first FLV audio tag header
/// describes it: for the driver to warn once, and for Stat, which names the
/// incoming codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiscardedAudio {
    /// The codec (MP3, Speex, G.711, ...).
    pub format: SoundFormat,
    /// The FLV header's SoundRate in Hz (5 512, 11 025, 22 050 or 44 100):
    /// all the rate FLV gives for these codecs without decoding them.
    pub sample_rate: u32,
}

impl DiscardedAudio {
    /// Hz for the FLV SoundRate field (2 bits).
    pub(crate) fn flv_sample_rate(sound_rate: u8) -> u32 {
        [5_512, 11_025, 22_050, 44_100][usize::from(sound_rate & 3)]
    }
}
