//! One audio or video frame on its way into the TS or fMP4 muxer.

use bytes::Bytes;
use livechannel_codec::h264::AnnexB;

/// A frame ready to mux. Its times are stream time, 90 kHz ticks.
#[derive(Debug)]
pub(super) enum Frame {
    Video {
        pts: i64,
        /// Before the decode-time shift (see `Segmenter::dts_shift`).
        dts: i64,
        keyframe: bool,
        au: AnnexB,
    },
    Audio {
        pts: i64,
        adts: [u8; 7],
        raw: Bytes,
    },
    /// A video sample for fMP4: the FLV body as it came (AVCC or OBUs).
    Sample {
        pts: i64,
        dts: i64,
        keyframe: bool,
        data: Bytes,
    },
}

impl Frame {
    /// Keep only the frame's own bytes, not the receive buffers its data
    /// was sliced from: for frames held a while (the first second of a
    /// stream), which would otherwise keep a buffer each alive.
    pub(super) fn compact(&mut self) {
        match self {
            Frame::Video { au, .. } => au.compact(),
            Frame::Audio { raw, .. } => *raw = Bytes::copy_from_slice(raw),
            Frame::Sample { data, .. } => *data = Bytes::copy_from_slice(data),
        }
    }
}
