//! Muxer configuration: the tracks and their codec configuration records.

use bytes::Bytes;

/// One track's codec and the facts its sample entry needs.
///
/// The muxer does not parse codecs: configuration records are written into
/// the sample entry exactly as given, so they must be the complete record
/// of the codec's ISO BMFF binding (the body of the `avcC`, `hvcC` or `av1C`
/// box, or the AAC AudioSpecificConfig), and the sizes must be the
/// display size the caller knows from the sequence header.
///
/// ```
/// use bytes::Bytes;
/// use livechannel_fmp4::Codec;
///
/// let aac = Codec::Aac {
///     sample_rate: 44_100,
///     channels: 2,
///     audio_specific_config: Bytes::from_static(&[0x12, 0x10]),
/// };
/// assert_eq!(aac.timescale(), 44_100);
/// assert!(!aac.is_video());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codec {
    /// H.264 in an `avc1` sample entry: parameter sets live in the `avcC`
    /// record, samples are length-prefixed NAL units (AVCC, as in FLV).
    Avc {
        /// Width in pixels.
        width: u16,
        /// Height in pixels.
        height: u16,
        /// AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1).
        avcc: Bytes,
    },
    /// H.265 in an `hvc1` sample entry: every parameter set is in the
    /// `hvcC` record (`hvc1`, unlike `hev1`, promises that), samples are
    /// length-prefixed NAL units.
    Hevc {
        /// Width in pixels.
        width: u16,
        /// Height in pixels.
        height: u16,
        /// HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1).
        hvcc: Bytes,
    },
    /// AV1 in an `av01` sample entry; samples are temporal units of OBUs.
    Av1 {
        /// Width in pixels.
        width: u16,
        /// Height in pixels.
        height: u16,
        /// AV1CodecConfigurationRecord (AV1-ISOBMFF §2.3).
        av1c: Bytes,
    },
    /// AAC in an `mp4a` sample entry with an `esds` built around the
    /// AudioSpecificConfig; samples are raw AAC frames (no ADTS header).
    Aac {
        /// Samples per second: the track timescale (1..=65535).
        sample_rate: u32,
        /// Channel count of the sample entry (not 0).
        channels: u16,
        /// AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1).
        audio_specific_config: Bytes,
    },
}

/// Timescale of every video track: the 90 kHz clock of RTMP/MPEG-TS timestamps.
pub const VIDEO_TIMESCALE: u32 = 90_000;

impl Codec {
    /// `mdhd` timescale: [`VIDEO_TIMESCALE`] for video, the sample rate for
    /// audio (so every AAC frame lasts exactly 1024 ticks). Sample times of
    /// the track are counted in it.
    pub fn timescale(&self) -> u32 {
        match self {
            Codec::Aac { sample_rate, .. } => *sample_rate,
            _ => VIDEO_TIMESCALE,
        }
    }

    /// Whether the track is video (`vide` handler) rather than audio (`soun`).
    pub fn is_video(&self) -> bool {
        !matches!(self, Codec::Aac { .. })
    }

    /// The codec configuration record as given.
    pub(crate) fn record(&self) -> &Bytes {
        match self {
            Codec::Avc { avcc, .. } => avcc,
            Codec::Hevc { hvcc, .. } => hvcc,
            Codec::Av1 { av1c, .. } => av1c,
            Codec::Aac {
                audio_specific_config,
                ..
            } => audio_specific_config,
        }
    }
}

/// What the muxer writes: its tracks, in order, and whether media
/// fragments begin with a `styp`.
///
/// Track IDs are the 1-based positions in `tracks`; fragments take one
/// sample list per track in the same order.
///
/// ```
/// use bytes::Bytes;
/// use livechannel_fmp4::{Codec, MuxerConfig};
///
/// let config = MuxerConfig::new(vec![Codec::Avc {
///     width: 1280,
///     height: 720,
///     avcc: Bytes::from_static(&[1, 0x64, 0, 0x1F, 0xFF, 0xE0, 0x00]),
/// }]);
/// assert!(config.styp);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuxerConfig {
    /// The tracks; track `i` has track ID `i + 1`.
    pub tracks: Vec<Codec>,
    /// Start each media fragment with a `styp` box (brands `msdh`, `cmfs`).
    /// HLS and DASH accept segments with or without one. Default `true`.
    pub styp: bool,
}

impl MuxerConfig {
    /// A configuration with these tracks and a `styp` in front of every fragment.
    pub fn new(tracks: Vec<Codec>) -> MuxerConfig {
        MuxerConfig { tracks, styp: true }
    }
}
