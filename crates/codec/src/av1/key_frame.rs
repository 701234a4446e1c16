//! Key frame detection in a temporal unit (AV1 §7.5, §5.9.2).

use bytes::Bytes;

use crate::av1::obu::{ObuType, Obus};
use crate::av1::sequence_header::SequenceHeader;
use crate::Error;

/// frame_type KEY_FRAME (§6.8.2).
const KEY_FRAME: u8 = 0;

/// Whether a temporal unit (an `av01` CodedFrames payload) starts with a key frame.
///
/// The rule: find the first OBU_FRAME_HEADER or OBU_FRAME of the temporal unit; it is a key
/// frame when its uncompressed_header() has show_existing_frame = 0 and frame_type = KEY_FRAME
/// (§5.9.2), or when the sequence uses reduced_still_picture_header (every frame is then a key
/// frame). The sequence header is taken from the temporal unit when it holds one, else from
/// `sequence_header` (the caller should pass the one from av1C); with neither,
/// reduced_still_picture_header is assumed 0. A temporal unit without a frame header is not a
/// key frame.
///
/// Limits: a key frame shown later with show_existing_frame = 1 (a "forward key frame", which
/// is also a random access point) reports false; intra_only frames report false; only the
/// first frame header counts, so in a stream with several spatial layers the base layer
/// decides. A decoder starting at a key frame also needs the sequence header: a segmenter
/// should check that one was seen (FFmpeg and SVT-AV1 repeat it in every key temporal unit).
/// Errors: OBU framing errors and those of [`SequenceHeader::parse`].
///
/// ```
/// use bytes::Bytes;
/// use livechannel_codec::av1::is_key_frame;
/// // Temporal delimiter, then an OBU_FRAME whose header starts 0b0_00 (shown, KEY_FRAME).
/// let tu = Bytes::from_static(&[0x12, 0x00, 0x32, 0x01, 0x10]);
/// assert!(is_key_frame(&tu, None)?);
/// // frame_type 1 (INTER_FRAME).
/// let tu = Bytes::from_static(&[0x12, 0x00, 0x32, 0x01, 0x30]);
/// assert!(!is_key_frame(&tu, None)?);
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
pub fn is_key_frame(
    temporal_unit: &Bytes,
    sequence_header: Option<&SequenceHeader>,
) -> Result<bool, Error> {
    let mut reduced = sequence_header.is_some_and(|s| s.reduced_still_picture_header);
    for obu in Obus::new(temporal_unit) {
        let obu = obu?;
        match obu.header.obu_type {
            ObuType::SequenceHeader => {
                reduced = SequenceHeader::parse(&obu.payload)?.reduced_still_picture_header;
            }
            ObuType::FrameHeader | ObuType::Frame => {
                if reduced {
                    return Ok(true);
                }
                let Some(&first) = obu.payload.first() else {
                    return Err(Error::BitstreamEnd {
                        field: "show_existing_frame",
                        bit_offset: 0,
                        needed: 3,
                        available: 0,
                    });
                };
                let show_existing_frame = first & 0x80 != 0;
                let frame_type = (first >> 5) & 0x03;
                return Ok(!show_existing_frame && frame_type == KEY_FRAME);
            }
            _ => {}
        }
    }
    Ok(false)
}
