//! Video tag bodies: the legacy VideoTagHeader (spec E.4.3.1) and the
//! Enhanced RTMP ExVideoTagHeader (enhanced-rtmp-v1.md "ExVideoTagHeader";
//! enhanced-rtmp-v2.md "Enhanced Video", with ModEx and Multitrack).

use bytes::Bytes;

use crate::modex::{self, ModEx, MOD_EX};
use crate::multitrack::Multitrack;
use crate::{Error, FourCc, ScriptTag};

/// Legacy CodecID of AVC.
const AVC_CODEC_ID: u8 = 7;

/// Which codec a video tag carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VideoCodec {
    /// Legacy CodecID 7: AVC (H.264).
    Avc,
    /// Another legacy CodecID (0..=15 except 7): 2 Sorenson H.263, 3 screen
    /// video, 4 VP6, 5 VP6 with alpha, 6 screen video v2; 12 is the
    /// unofficial HEVC id some servers use (its body is not parsed here).
    Legacy(u8),
    /// Enhanced RTMP: the codec is named by a FourCC.
    Enhanced(FourCc),
}

/// The FrameType field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// 1: key frame (a seekable frame).
    Key,
    /// 2: inter frame.
    Inter,
    /// 3: disposable inter frame (H.263 only).
    DisposableInter,
    /// 4: generated key frame (reserved for server use).
    Generated,
    /// 5: video info/command frame: the payload is a command byte, not video.
    Command,
    /// 0, 6 and 7 (reserved).
    Other(u8),
}

impl FrameType {
    fn from_u8(value: u8) -> FrameType {
        match value {
            1 => FrameType::Key,
            2 => FrameType::Inter,
            3 => FrameType::DisposableInter,
            4 => FrameType::Generated,
            5 => FrameType::Command,
            other => FrameType::Other(other),
        }
    }

    /// The field value, 3 bits: the fourth bit of the nibble is the
    /// Enhanced RTMP IsExHeader flag.
    fn as_u8(self) -> u8 {
        let value = match self {
            FrameType::Key => 1,
            FrameType::Inter => 2,
            FrameType::DisposableInter => 3,
            FrameType::Generated => 4,
            FrameType::Command => 5,
            FrameType::Other(value) => value,
        };
        value & 0x07
    }
}

/// The AVCPacketType (legacy AVC) or VideoPacketType (Enhanced RTMP).
///
/// Legacy AVC tags parse to the first three variants, enhanced tags to the
/// enhanced ones; when writing, each legacy variant and its enhanced
/// counterpart (SequenceHeader/SequenceStart, Nalu/CodedFrames,
/// EndOfSequence/SequenceEnd) share a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VideoPacketType {
    /// AVC 0: AVCDecoderConfigurationRecord.
    SequenceHeader,
    /// AVC 1: one or more NALUs (a full frame).
    Nalu,
    /// AVC 2: end of sequence.
    EndOfSequence,
    /// Enhanced 0: codec configuration record.
    SequenceStart,
    /// Enhanced 1: coded frames, preceded by a composition time for avc1/hvc1.
    CodedFrames,
    /// Enhanced 2: end of sequence.
    SequenceEnd,
    /// Enhanced 3: coded frames with an implied composition time of 0.
    CodedFramesX,
    /// Enhanced 4: AMF-encoded metadata (e.g. `colorInfo`).
    Metadata,
    /// Enhanced 5: MPEG-2 TS sequence start.
    Mpeg2TsSequenceStart,
    /// Enhanced 6: several tracks in one tag; see [`VideoTag::multitrack`].
    Multitrack,
    /// Any other value: AVC packet types 3 and up, enhanced 8 and up (reserved). Enhanced
    /// ModEx (7) is resolved by [`VideoTag::parse`] into [`VideoTag::mod_ex`] and never
    /// reported.
    Other(u8),
}

impl VideoPacketType {
    fn from_avc(value: u8) -> VideoPacketType {
        match value {
            0 => VideoPacketType::SequenceHeader,
            1 => VideoPacketType::Nalu,
            2 => VideoPacketType::EndOfSequence,
            other => VideoPacketType::Other(other),
        }
    }

    pub(crate) fn from_enhanced(value: u8) -> VideoPacketType {
        match value {
            0 => VideoPacketType::SequenceStart,
            1 => VideoPacketType::CodedFrames,
            2 => VideoPacketType::SequenceEnd,
            3 => VideoPacketType::CodedFramesX,
            4 => VideoPacketType::Metadata,
            5 => VideoPacketType::Mpeg2TsSequenceStart,
            6 => VideoPacketType::Multitrack,
            other => VideoPacketType::Other(other),
        }
    }

    /// The wire value; legacy and enhanced names of one concept share it.
    fn as_u8(self) -> u8 {
        match self {
            VideoPacketType::SequenceHeader | VideoPacketType::SequenceStart => 0,
            VideoPacketType::Nalu | VideoPacketType::CodedFrames => 1,
            VideoPacketType::EndOfSequence | VideoPacketType::SequenceEnd => 2,
            VideoPacketType::CodedFramesX => 3,
            VideoPacketType::Metadata => 4,
            VideoPacketType::Mpeg2TsSequenceStart => 5,
            VideoPacketType::Multitrack => 6,
            VideoPacketType::Other(value) => value,
        }
    }
}

/// What follows the first byte of an enhanced header, decided by the frame
/// and packet types alone so parsing and writing agree.
fn enhanced_has_fourcc(frame_type: FrameType, packet_type: u8) -> bool {
    const METADATA: u8 = 4;
    // A command frame carries a command byte instead of a FourCC and body.
    let command = frame_type == FrameType::Command && packet_type != METADATA;
    // Multitrack (6) puts its FourCC after a track-type byte; 7 and up are
    // unknown, so nothing after the first byte is interpreted.
    !command && packet_type <= 5
}

/// v2 ExVideoTagBody: CodedFrames of avc1, hvc1 and vvc1 start with an SI24
/// compositionTimeOffset; other codecs and CodedFramesX have none.
pub(crate) fn enhanced_has_cts(packet_type: u8, fourcc: FourCc) -> bool {
    const CODED_FRAMES: u8 = 1;
    packet_type == CODED_FRAMES && matches!(fourcc, FourCc::AVC1 | FourCc::HVC1 | FourCc::VVC1)
}

pub(crate) fn read_si24(b: [u8; 3]) -> i32 {
    // Put the 24 bits at the top, then shift back arithmetically to sign-extend.
    i32::from_be_bytes([b[0], b[1], b[2], 0]) >> 8
}

fn write_si24(value: i32, out: &mut Vec<u8>) {
    let [_, b0, b1, b2] = value.clamp(-0x80_0000, 0x7F_FFFF).to_be_bytes();
    out.extend_from_slice(&[b0, b1, b2]);
}

/// A parsed video tag body: the (legacy or enhanced) header fields and the
/// payload.
///
/// ```
/// use bytes::Bytes;
/// use livechannel_flv::{FrameType, VideoCodec, VideoPacketType, VideoTag};
///
/// // Legacy AVC inter frame, composition time -2 ms (0xFFFFFE).
/// let tag = VideoTag::parse(Bytes::from_static(&[0x27, 0x01, 0xFF, 0xFF, 0xFE, 0, 0, 0, 1, 0x41]))?;
/// assert_eq!(tag.codec, VideoCodec::Avc);
/// assert_eq!(tag.frame_type, FrameType::Inter);
/// assert_eq!(tag.packet_type, VideoPacketType::Nalu);
/// assert_eq!(tag.composition_time, -2);
/// assert!(tag.is_h264() && tag.is_coded_frame() && !tag.is_keyframe());
/// assert_eq!(tag.data.len(), 5);
///
/// // Writing the header back and appending the data gives the body again.
/// let mut body = Vec::new();
/// tag.write_header(&mut body);
/// body.extend_from_slice(&tag.data);
/// assert_eq!(VideoTag::parse(Bytes::from(body))?, tag);
/// # Ok::<(), livechannel_flv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoTag {
    /// The frame type.
    pub frame_type: FrameType,
    /// The codec.
    pub codec: VideoCodec,
    /// The packet type. Legacy codecs other than AVC have none on the wire;
    /// their tags report [`VideoPacketType::CodedFrames`].
    pub packet_type: VideoPacketType,
    /// Composition time offset in ms (PTS = DTS + this), the signed 24-bit
    /// field sign-extended; 0 when the header has none.
    pub composition_time: i32,
    /// The payload after the header.
    pub data: Bytes,
    /// Enhanced RTMP v2 ModEx entries read before the real packet type, in wire
    /// order (empty for legacy tags and most enhanced ones).
    pub mod_ex: Vec<ModEx>,
}

impl VideoTag {
    /// Parses a video tag body; `data` is a zero-copy slice of `body`.
    ///
    /// Header layouts:
    /// - legacy AVC: frame type/codec byte, AVCPacketType, SI24 composition
    ///   time (5 bytes, also for command frames, as in the spec's table);
    /// - other legacy codecs: the frame type/codec byte only;
    /// - enhanced (bit 7 set): frame type/packet type byte; while the packet
    ///   type is ModEx (7, v2), a ModEx entry ending in the next packet type
    ///   (kept in `mod_ex`); then the FourCC, then for CodedFrames of
    ///   avc1/hvc1/vvc1 an SI24 composition time. Command frames (other than
    ///   Metadata) have their command byte as `data` ([`command`](Self::command)).
    ///   Multitrack (6) tags keep everything after the packet type in `data`
    ///   ([`multitrack`](Self::multitrack) parses it), with the shared FourCC,
    ///   if any, reported in `codec`. Reserved packet types (8 and up) keep the
    ///   rest in `data` with [`FourCc::NONE`].
    pub fn parse(body: Bytes) -> Result<VideoTag, Error> {
        let too_short = |needed| Error::TagBodyTooShort {
            kind: "video",
            len: body.len(),
            needed,
        };
        let bytes = body.as_ref();
        let first = *bytes.first().ok_or_else(|| too_short(1))?;

        if first & 0x80 == 0 {
            let frame_type = FrameType::from_u8(first >> 4);
            let codec_id = first & 0x0F;
            if codec_id != AVC_CODEC_ID {
                return Ok(VideoTag {
                    frame_type,
                    codec: VideoCodec::Legacy(codec_id),
                    packet_type: VideoPacketType::CodedFrames,
                    composition_time: 0,
                    data: body.slice(1..),
                    mod_ex: Vec::new(),
                });
            }
            let Some(&[_, packet_type, c0, c1, c2]) = bytes.get(..5) else {
                return Err(too_short(5));
            };
            return Ok(VideoTag {
                frame_type,
                codec: VideoCodec::Avc,
                packet_type: VideoPacketType::from_avc(packet_type),
                composition_time: read_si24([c0, c1, c2]),
                data: body.slice(5..),
                mod_ex: Vec::new(),
            });
        }

        Self::parse_enhanced(body, first)
    }

    fn parse_enhanced(body: Bytes, first: u8) -> Result<VideoTag, Error> {
        let too_short = |needed| Error::TagBodyTooShort {
            kind: "video",
            len: body.len(),
            needed,
        };
        let frame_type = FrameType::from_u8((first >> 4) & 0x07);
        let mut raw_packet_type = first & 0x0F;
        // v2: each ModEx entry takes at least two bytes, so the loop ends with the body.
        let mut mod_ex = Vec::new();
        let mut pos = 1;
        while raw_packet_type == MOD_EX {
            let (entry, next, after) = modex::read(&body, pos)?;
            mod_ex.push(entry);
            raw_packet_type = next;
            pos = after;
        }
        let packet_type = VideoPacketType::from_enhanced(raw_packet_type);
        let bytes = body.as_ref();
        let mut tag = VideoTag {
            frame_type,
            codec: VideoCodec::Enhanced(FourCc::NONE),
            packet_type,
            composition_time: 0,
            data: body.slice(pos..),
            mod_ex,
        };
        if !enhanced_has_fourcc(frame_type, raw_packet_type) {
            // Multitrack: AvMultitrackType/packet type byte, then the shared
            // FourCC unless each track has its own (type 2).
            let is_multitrack =
                packet_type == VideoPacketType::Multitrack && frame_type != FrameType::Command;
            if let (true, Some(&[track, a, b, c, d])) = (is_multitrack, bytes.get(pos..pos + 5)) {
                if track >> 4 != 2 {
                    tag.codec = VideoCodec::Enhanced(FourCc([a, b, c, d]));
                }
            }
            return Ok(tag);
        }
        let Some(&[a, b, c, d]) = bytes.get(pos..pos + 4) else {
            return Err(too_short(pos + 4));
        };
        let fourcc = FourCc([a, b, c, d]);
        pos += 4;
        if enhanced_has_cts(raw_packet_type, fourcc) {
            let Some(&[c0, c1, c2]) = bytes.get(pos..pos + 3) else {
                return Err(too_short(pos + 3));
            };
            tag.composition_time = read_si24([c0, c1, c2]);
            pos += 3;
        }
        tag.codec = VideoCodec::Enhanced(fourcc);
        tag.data = body.slice(pos..);
        Ok(tag)
    }

    /// Whether this is H.264: legacy AVC or enhanced `avc1`.
    pub fn is_h264(&self) -> bool {
        matches!(
            self.codec,
            VideoCodec::Avc | VideoCodec::Enhanced(FourCc::AVC1)
        )
    }

    /// Whether the frame type is a key frame (or a server-generated one).
    pub fn is_keyframe(&self) -> bool {
        matches!(self.frame_type, FrameType::Key | FrameType::Generated)
    }

    /// Whether `data` is a decoder configuration record: an AVC sequence
    /// header or an enhanced SequenceStart (not in a command frame).
    pub fn is_sequence_header(&self) -> bool {
        self.frame_type != FrameType::Command
            && matches!(
                self.packet_type,
                VideoPacketType::SequenceHeader | VideoPacketType::SequenceStart
            )
    }

    /// Whether `data` holds coded pictures: AVC NALUs or enhanced
    /// CodedFrames/CodedFramesX (not in a command frame).
    pub fn is_coded_frame(&self) -> bool {
        self.frame_type != FrameType::Command
            && matches!(
                self.packet_type,
                VideoPacketType::Nalu
                    | VideoPacketType::CodedFrames
                    | VideoPacketType::CodedFramesX
            )
    }

    /// Appends the header that [`parse`](VideoTag::parse) reads: the legacy
    /// 5-byte AVC header, the 1-byte header of other legacy codecs, or the
    /// enhanced header (its layout follows from the frame type, packet type
    /// and FourCC, as described at `parse`).
    ///
    /// The frame type is written in 3 bits, the legacy codec id and packet
    /// type in 4, and `composition_time` is clamped to the signed 24-bit
    /// range. A header written from a parsed tag, followed by its `data`,
    /// parses back to the same tag.
    pub fn write_header(&self, out: &mut Vec<u8>) {
        let frame_type = self.frame_type.as_u8() << 4;
        let packet_type = self.packet_type.as_u8();
        match self.codec {
            VideoCodec::Avc => {
                out.extend_from_slice(&[frame_type | AVC_CODEC_ID, packet_type]);
                write_si24(self.composition_time, out);
            }
            VideoCodec::Legacy(id) => out.push(frame_type | (id & 0x0F)),
            VideoCodec::Enhanced(fourcc) => {
                let packet_type = packet_type & 0x0F;
                let Some((last, rest)) = self.mod_ex.split_last() else {
                    out.push(0x80 | frame_type | packet_type);
                    self.write_enhanced_rest(fourcc, packet_type, out);
                    return;
                };
                out.push(0x80 | frame_type | MOD_EX);
                for entry in rest {
                    entry.write(MOD_EX, out);
                }
                last.write(packet_type, out);
                self.write_enhanced_rest(fourcc, packet_type, out);
            }
        }
    }

    /// The enhanced header after the packet type (and any ModEx entries).
    fn write_enhanced_rest(&self, fourcc: FourCc, packet_type: u8, out: &mut Vec<u8>) {
        if enhanced_has_fourcc(self.frame_type, packet_type) {
            out.extend_from_slice(&fourcc.0);
            if enhanced_has_cts(packet_type, fourcc) {
                write_si24(self.composition_time, out);
            }
        }
    }

    /// The enhanced FourCC, when the tag names one (not for legacy tags, command frames or
    /// multitrack tags with one codec per track).
    pub fn fourcc(&self) -> Option<FourCc> {
        match self.codec {
            VideoCodec::Enhanced(fourcc) if fourcc != FourCc::NONE => Some(fourcc),
            _ => None,
        }
    }

    /// Whether this is enhanced `hvc1` (HEVC).
    pub fn is_hevc(&self) -> bool {
        self.fourcc() == Some(FourCc::HVC1)
    }

    /// Whether this is enhanced `av01` (AV1).
    pub fn is_av1(&self) -> bool {
        self.fourcc() == Some(FourCc::AV01)
    }

    /// Whether this is enhanced `vp09` (VP9), which a caller that cannot carry VP9 should
    /// refuse by name.
    pub fn is_vp9(&self) -> bool {
        self.fourcc() == Some(FourCc::VP09)
    }

    /// The command byte of a command frame (frame type 5, not Metadata): 0 start and 1 end of
    /// client-side seeking. `None` for other tags or a command frame without the byte.
    pub fn command(&self) -> Option<u8> {
        let is_command =
            self.frame_type == FrameType::Command && self.packet_type != VideoPacketType::Metadata;
        if !is_command {
            return None;
        }
        self.data.first().copied()
    }

    /// For a Metadata tag (v1 "Metadata Frame", v2 `VideoPacketType.Metadata`): the first
    /// AMF0 name/value pair of `data`, such as `colorInfo` and its object. The spec allows a
    /// series of pairs; only the first is parsed (the body stays in `data`). `None` for other
    /// packet types; errors are those of [`ScriptTag::parse`] (but `@setDataFrame` has no
    /// special meaning here, it is unwrapped all the same).
    pub fn metadata(&self) -> Option<Result<ScriptTag, Error>> {
        (self.packet_type == VideoPacketType::Metadata).then(|| ScriptTag::parse(&self.data))
    }

    /// For a Multitrack tag (not a command frame): its tracks, parsed from `data` (see
    /// [`Multitrack::parse`]). `None` for other tags. A caller that handles one track should
    /// pick `track_id` 0, or refuse the stream, rather than read `data` as a single track.
    pub fn multitrack(&self) -> Option<Result<Multitrack, Error>> {
        let is_multitrack = self.packet_type == VideoPacketType::Multitrack
            && self.frame_type != FrameType::Command
            && matches!(self.codec, VideoCodec::Enhanced(_));
        is_multitrack.then(|| Multitrack::parse(&self.data))
    }

    /// The nanoseconds a ModEx TimestampOffsetNano adds to the tag's timestamp, when present.
    pub fn timestamp_offset_nanos(&self) -> Option<u32> {
        self.mod_ex.iter().find_map(ModEx::timestamp_offset_nanos)
    }
}
