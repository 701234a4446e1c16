use livechannel_flv::FourCc;

/// Why the segmenter refused a frame.
///
/// Every error concerns one frame: the frame is not used, the segmenter stays
/// usable, and the count of refused frames is in [`Stats`](crate::Stats). A
/// driver decides which errors end a stream; [`Error::is_fatal`] is the
/// suggestion this crate makes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The video is not H.264, HEVC or AV1; or it is HEVC or AV1 and the
    /// segmenter writes MPEG-TS (those codecs go in fMP4 only: see
    /// [`SegmenterConfig::hevc_av1_in_fmp4`](crate::SegmenterConfig::hevc_av1_in_fmp4)).
    #[error("unsupported video codec {codec} at {timestamp_ms} ms: MPEG-TS carries H.264 only, fMP4 H.264, HEVC and AV1")]
    UnsupportedVideoCodec {
        /// The codec as the FLV tag names it: a FourCC for Enhanced RTMP, or `id N` for a legacy codec id.
        codec: String,
        /// The tag's timestamp: stream time in ms, as pushed.
        timestamp_ms: u32,
    },
    /// An FLV audio or video tag body could not be parsed.
    #[error("bad {kind} tag at {timestamp_ms} ms: {source}")]
    Tag {
        /// `audio` or `video`.
        kind: &'static str,
        /// The tag's timestamp: stream time in ms, as pushed.
        timestamp_ms: u32,
        /// What the FLV layer found.
        source: livechannel_flv::Error,
    },
    /// A sequence header or a frame could not be converted.
    #[error("bad {kind} data at {timestamp_ms} ms: {source}")]
    Codec {
        /// `AVC sequence header`, `AVC frame`, `HEVC sequence header`,
        /// `HEVC frame`, `AV1 sequence header`, `AV1 temporal unit`,
        /// `AAC sequence header` or `AAC frame`.
        kind: &'static str,
        /// The tag's timestamp: stream time in ms, as pushed.
        timestamp_ms: u32,
        /// What the codec layer found.
        source: livechannel_codec::Error,
    },
    /// An AVC or HEVC sequence header without any SPS.
    #[error("video sequence header at {timestamp_ms} ms holds no SPS")]
    NoSps {
        /// The tag's timestamp: stream time in ms, as pushed.
        timestamp_ms: u32,
    },
    /// The TS muxer refused a frame (a bug here rather than bad input).
    #[error("mpeg-ts muxer: {0}")]
    Mux(#[from] livechannel_mpegts::Error),
    /// A sequence header larger than an fMP4 sample entry takes
    /// ([`livechannel_fmp4::MAX_CONFIG_RECORD`], 1 MiB; real ones are bytes to kilobytes).
    #[error("{kind} at {timestamp_ms} ms is {len} bytes, more than a sample entry takes")]
    ConfigTooLarge {
        /// `video sequence header` or `AAC sequence header`.
        kind: &'static str,
        /// The tag's timestamp: stream time in ms, as pushed.
        timestamp_ms: u32,
        /// Its size.
        len: usize,
    },
    /// The fMP4 muxer refused a fragment (a bug here rather than bad input).
    #[error("fmp4 muxer: {0}")]
    Fmp4(#[from] livechannel_fmp4::Error),
    /// A frame was pushed after [`Segmenter::finish`](crate::Segmenter::finish).
    #[error("the segmenter is finished; create a new one for a new stream")]
    Finished,
}

impl Error {
    /// True when continuing the stream makes no sense: the video codec is
    /// unsupported, or the segmenter is finished. Other errors concern one
    /// damaged frame and the stream can go on.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Error::UnsupportedVideoCodec { .. } | Error::Finished)
    }

    pub(crate) fn unsupported(codec: &livechannel_flv::VideoCodec, timestamp_ms: u32) -> Self {
        let codec = match codec {
            livechannel_flv::VideoCodec::Enhanced(FourCc(cc)) => {
                String::from_utf8_lossy(cc).into_owned()
            }
            livechannel_flv::VideoCodec::Legacy(id) => format!("id {id}"),
            livechannel_flv::VideoCodec::Avc => "avc".to_owned(),
            #[allow(unreachable_patterns)]
            _ => "unknown".to_owned(),
        };
        Error::UnsupportedVideoCodec {
            codec,
            timestamp_ms,
        }
    }
}
