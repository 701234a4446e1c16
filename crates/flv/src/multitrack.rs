//! Enhanced RTMP v2 multitrack video bodies (enhanced-rtmp-v2.md, "Enhanced Video":
//! ExVideoTagHeader `videoPacketType == VideoPacketType.Multitrack` and the ExVideoTagBody
//! loop over tracks; "Multitrack Streaming via Enhanced RTMP").

use bytes::Bytes;

use crate::video::{enhanced_has_cts, read_si24, VideoPacketType};
use crate::{Error, FourCc};

/// AvMultitrackType.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MultitrackType {
    /// 0: one track; no track sizes on the wire.
    OneTrack,
    /// 1: several tracks of one codec (one FourCC for all).
    ManyTracks,
    /// 2: several tracks, each with its own FourCC.
    ManyTracksManyCodecs,
}

/// One track of a multitrack video tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoTrack {
    /// videoTrackId (0 is the default track by convention).
    pub track_id: u8,
    /// The track's codec.
    pub codec: FourCc,
    /// The packet type shared by all tracks of the tag.
    pub packet_type: VideoPacketType,
    /// Composition time offset in ms for CodedFrames of avc1/hvc1/vvc1, else 0.
    pub composition_time: i32,
    /// The track's payload (configuration record, coded frames, metadata, ...), zero-copy.
    pub data: Bytes,
}

/// The tracks of a multitrack video tag, from [`VideoTag::multitrack`](crate::VideoTag::multitrack).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multitrack {
    /// AvMultitrackType.
    pub multitrack_type: MultitrackType,
    /// The VideoPacketType of every track.
    pub packet_type: VideoPacketType,
    /// The tracks in wire order (one for [`MultitrackType::OneTrack`]).
    pub tracks: Vec<VideoTrack>,
}

fn invalid(reason: &'static str) -> Error {
    Error::InvalidMultitrack { reason }
}

impl Multitrack {
    /// Parses the data of a multitrack tag: the byte with AvMultitrackType and VideoPacketType,
    /// the shared FourCC unless each track has its own, then per track its FourCC (for
    /// ManyTracksManyCodecs), videoTrackId, sizeOfVideoTrack (UI24, except for OneTrack) and
    /// body. Each track is bounded by its size, so the loop ends with the data.
    ///
    /// Errors: [`Error::InvalidMultitrack`] for a reserved AvMultitrackType, a nested Multitrack
    /// or ModEx packet type, or a track running past the data.
    pub fn parse(data: &Bytes) -> Result<Multitrack, Error> {
        let first = *data.first().ok_or(invalid("is empty"))?;
        let multitrack_type = match first >> 4 {
            0 => MultitrackType::OneTrack,
            1 => MultitrackType::ManyTracks,
            2 => MultitrackType::ManyTracksManyCodecs,
            _ => return Err(invalid("uses a reserved AvMultitrackType")),
        };
        let raw_packet_type = first & 0x0F;
        if raw_packet_type >= 6 {
            return Err(invalid("nests a Multitrack or ModEx packet type"));
        }
        let packet_type = VideoPacketType::from_enhanced(raw_packet_type);
        let mut pos = 1;
        let mut shared = None;
        if multitrack_type != MultitrackType::ManyTracksManyCodecs {
            shared = Some(read_fourcc(data, &mut pos)?);
        }
        let mut tracks = Vec::new();
        while pos < data.len() {
            let codec = match shared {
                Some(fourcc) => fourcc,
                None => read_fourcc(data, &mut pos)?,
            };
            let track_id = *data.get(pos).ok_or(invalid("ends before a track id"))?;
            pos += 1;
            let end = if multitrack_type == MultitrackType::OneTrack {
                data.len()
            } else {
                let Some(&[a, b, c]) = data.get(pos..pos + 3) else {
                    return Err(invalid("ends inside a track size"));
                };
                pos += 3;
                let size = usize::try_from(u32::from_be_bytes([0, a, b, c])).unwrap_or(usize::MAX);
                pos.checked_add(size)
                    .filter(|&end| end <= data.len())
                    .ok_or(invalid("has a track running past the tag"))?
            };
            let mut composition_time = 0;
            if enhanced_has_cts(raw_packet_type, codec) {
                let Some(&[c0, c1, c2]) = data.get(pos..pos + 3).filter(|_| pos + 3 <= end) else {
                    return Err(invalid("has a track too short for its composition time"));
                };
                composition_time = read_si24([c0, c1, c2]);
                pos += 3;
            }
            tracks.push(VideoTrack {
                track_id,
                codec,
                packet_type,
                composition_time,
                data: data.slice(pos..end),
            });
            pos = end;
            if multitrack_type == MultitrackType::OneTrack {
                break;
            }
        }
        Ok(Multitrack {
            multitrack_type,
            packet_type,
            tracks,
        })
    }
}

fn read_fourcc(data: &Bytes, pos: &mut usize) -> Result<FourCc, Error> {
    let Some(&[a, b, c, d]) = data.get(*pos..*pos + 4) else {
        return Err(invalid("ends inside a FourCC"));
    };
    *pos += 4;
    Ok(FourCc([a, b, c, d]))
}
