//! FLV tag bodies in, frames on the stream timeline out: the codecs'
//! sequence headers, AVCC → Annex B, AAC → ADTS, and the two clocks'
//! timestamps mapped onto one stream time.
//!
//! `stream_ms` is a tag's timestamp (stream time in ms, as the publisher
//! stamps it: 32-bit, may wrap or jump); `pts`, `dts` and `*_ticks` are
//! stream time in 90 kHz ticks from the stream's first frame;
//! `arrival_wall_ms` is the wall clock, Unix ms.

use bytes::Bytes;
use livechannel_codec::aac::{AdtsWriter, AudioSpecificConfig};
use livechannel_codec::av1::{is_key_frame, Av1CodecConfigurationRecord, SequenceHeader};
use livechannel_codec::h264::{AnnexB, AnnexBConverter, AvcDecoderConfigurationRecord, Sps};
use livechannel_codec::hevc::{
    access_unit_is_irap, HevcDecoderConfigurationRecord, Sps as HevcSps,
};
use livechannel_codec::length_prefixed_nal_units;
use livechannel_flv::{AacPacketType, AudioTag, SoundFormat, VideoPacketType, VideoTag};
use livechannel_fmp4::Codec;

use super::frame::Frame;
use super::phase::{Phase, Start};
use super::Segmenter;
use crate::timeline::{SampleClock, TICKS_PER_MS};
use crate::{AudioInfo, DiscardedAudio, Error, SegmentFormat, VideoCodecKind, VideoInfo};

#[derive(Debug)]
pub(super) struct VideoTrack {
    pub(super) coding: VideoCoding,
    pub(super) info: VideoInfo,
}

/// How a video track's frames become samples, by codec and container.
#[derive(Debug)]
pub(super) enum VideoCoding {
    /// H.264 into MPEG-TS: AVCC → Annex B with in-band parameter sets.
    AnnexB(AnnexBConverter),
    /// H.264, HEVC or AV1 into fMP4: the FLV bodies are the samples as
    /// they come (length-prefixed NAL units, or AV1 OBUs); `entry` is the
    /// sample entry the init segment describes.
    Fmp4 {
        keyframes: KeyframeRule,
        entry: Codec,
    },
}

/// What makes a frame a random access point, per codec.
#[derive(Debug)]
pub(super) enum KeyframeRule {
    /// H.264: an IDR slice (NAL type 5) in the access unit.
    Idr { length_size: u8 },
    /// HEVC: the first VCL NAL unit is IRAP (BLA, IDR, CRA).
    Irap { length_size: u8 },
    /// AV1: a shown key frame (`is_key_frame`, given the sequence header).
    Av1Key(Box<SequenceHeader>),
}

#[derive(Debug)]
pub(super) struct AudioTrack {
    pub(super) config: AudioSpecificConfig,
    /// The AudioSpecificConfig as received, for the fMP4 `esds`.
    pub(super) asc: Bytes,
    /// The ADTS header template, validated once per sequence header.
    adts: AdtsWriter,
    pub(super) info: AudioInfo,
}

/// The last video frame written: known from the first keyframe on.
#[derive(Debug, Clone, Copy)]
pub(super) struct LastVideo {
    pub(super) dts: i64,
    /// Its distance from the frame before (ticks, at most a second; 0 for
    /// the first frame), to end the last segment.
    pub(super) step: i64,
}

/// A coded frame's payload as the segment format takes it, and whether it
/// is a key frame; None for a frame with no picture data.
fn video_payload(
    coding: &mut VideoCoding,
    data: &Bytes,
    stream_ms: u32,
) -> Result<Option<(bool, Payload)>, Error> {
    match coding {
        VideoCoding::AnnexB(converter) => {
            let mut au = AnnexB::new();
            let info = converter
                .convert(data, &mut au)
                .map_err(|source| Error::Codec {
                    kind: "AVC frame",
                    timestamp_ms: stream_ms,
                    source,
                })?;
            // An IDR slice is what makes a frame a random access point; the FLV
            // frame type is only the encoder's word for it.
            Ok((!au.is_empty()).then_some((info.keyframe, Payload::AnnexB(au))))
        }
        VideoCoding::Fmp4 { keyframes, .. } => {
            if data.is_empty() {
                return Ok(None);
            }
            let keyframe = keyframes.is_keyframe(data).map_err(|source| Error::Codec {
                kind: keyframes.frame_kind(),
                timestamp_ms: stream_ms,
                source,
            })?;
            Ok(Some((keyframe, Payload::Sample(data.clone()))))
        }
    }
}

impl Segmenter {
    /// The tag's codec, if this segmenter takes it.
    fn video_codec(&self, tag: &VideoTag, stream_ms: u32) -> Result<VideoCodecKind, Error> {
        let codec = if tag.is_h264() {
            VideoCodecKind::H264
        } else if tag.is_hevc() {
            VideoCodecKind::Hevc
        } else if tag.is_av1() {
            VideoCodecKind::Av1
        } else {
            return Err(Error::unsupported(&tag.codec, stream_ms));
        };
        let ts_only = self.format == SegmentFormat::Ts && !self.config.hevc_av1_in_fmp4;
        if codec != VideoCodecKind::H264 && ts_only {
            // Every HEVC or AV1 tag, not only a sequence header: a TS-only
            // caller ends such a stream at its first tag, whatever it is.
            return Err(Error::unsupported(&tag.codec, stream_ms));
        }
        Ok(codec)
    }

    pub(super) fn video_tag(
        &mut self,
        stream_ms: u32,
        body: Bytes,
        arrival_wall_ms: Option<u64>,
    ) -> Result<(), Error> {
        let tag = VideoTag::parse(body).map_err(|source| Error::Tag {
            kind: "video",
            timestamp_ms: stream_ms,
            source,
        })?;
        if tag.packet_type == VideoPacketType::Multitrack {
            // Counted, not stored; its codec is not asked for either (it
            // may name one per track).
            self.stats.multitrack_video_ignored += 1;
            return Ok(());
        }
        let codec = self.video_codec(&tag, stream_ms)?;
        if tag.is_sequence_header() {
            return self.video_config(stream_ms, codec, &tag.data);
        }
        if !tag.is_coded_frame() {
            // End of sequence and metadata carry no picture.
            return Ok(());
        }
        // A frame needs its own codec's sequence header: one of another
        // codec (a publisher that switched without a new one) is undecodable.
        let Some(track) = self.video.as_mut().filter(|t| t.info.codec == codec) else {
            self.stats.dropped_before_config += 1;
            return Ok(());
        };
        let Some((keyframe, payload)) = video_payload(&mut track.coding, &tag.data, stream_ms)?
        else {
            return Ok(());
        };
        if !keyframe && self.last_video.is_none() {
            self.stats.video_dropped_before_keyframe += 1;
            return Ok(());
        }
        let (raw_dts, dts) = self.video_dts(stream_ms);
        // PTS follows the encoder's DTS (CTS is relative to it), not our nudge.
        let pts = raw_dts + i64::from(tag.composition_time) * TICKS_PER_MS;

        self.cut_before(dts, keyframe, true);
        let segment = &mut self.segment;
        if !segment.start.has_video() {
            segment.start = Start::Video {
                ticks: dts,
                arrival_wall_ms,
                keyframe,
            };
        }
        segment.video_frames += 1;
        let frame = match payload {
            Payload::AnnexB(au) => {
                segment.bytes += au.len();
                Frame::Video {
                    pts,
                    dts,
                    keyframe,
                    au,
                }
            }
            Payload::Sample(data) => {
                segment.bytes += data.len();
                Frame::Sample {
                    pts,
                    dts,
                    keyframe,
                    data,
                }
            }
        };
        self.add_frame(frame);
        Ok(())
    }

    /// A video frame's decode time as stamped and as used (after the last
    /// frame's, nudged when it is not), in stream ticks.
    fn video_dts(&mut self, stream_ms: u32) -> (i64, i64) {
        let (ms, jumped) = self.video_clock.map(stream_ms, self.audio_clock.last());
        let raw_dts = self.stream_time(ms, jumped);
        let mut dts = raw_dts;
        let mut step = 0;
        if let Some(last) = self.last_video {
            if dts <= last.dts {
                dts = last.dts + 1;
                self.stats.timestamp_fixups += 1;
            }
            step = (dts - last.dts).min(90_000);
        }
        self.last_video = Some(LastVideo { dts, step });
        (raw_dts, dts)
    }

    pub(super) fn audio_tag(
        &mut self,
        stream_ms: u32,
        body: Bytes,
        arrival_wall_ms: Option<u64>,
    ) -> Result<(), Error> {
        let tag = AudioTag::parse(body).map_err(|source| Error::Tag {
            kind: "audio",
            timestamp_ms: stream_ms,
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
            return self.audio_config(stream_ms, &tag.data);
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
                timestamp_ms: stream_ms,
                source,
            })?;
        let (samples, rate) = (track.config.frame_length, track.config.sampling_frequency);

        let (ms, jumped) = self.audio_clock.map(stream_ms, self.video_clock.last());
        let actual = self.stream_time(ms, jumped);
        let (pts, reanchored) = self.sample_clock.next(actual, samples, rate);
        if reanchored {
            self.stats.timestamp_fixups += 1;
        }

        self.cut_before(pts, false, false);
        let segment = &mut self.segment;
        if segment.start == Start::Empty {
            segment.start = Start::Audio {
                ticks: pts,
                arrival_wall_ms,
            };
        }
        segment.audio_end_ticks = pts + SampleClock::duration(samples, rate);
        segment.bytes += tag.data.len() + adts.len();
        segment.audio_frames += 1;
        self.add_frame(Frame::Audio {
            pts,
            adts,
            raw: tag.data,
        });
        Ok(())
    }

    fn video_config(
        &mut self,
        stream_ms: u32,
        codec: VideoCodecKind,
        data: &Bytes,
    ) -> Result<(), Error> {
        config_size("video sequence header", stream_ms, data.len())?;
        if codec != VideoCodecKind::H264 {
            self.require_fmp4(codec, stream_ms)?;
        }
        let (coding, info) = match codec {
            VideoCodecKind::H264 => return self.avc_config(stream_ms, data),
            VideoCodecKind::Hevc => hevc_config(stream_ms, data)?,
            VideoCodecKind::Av1 => av1_config(stream_ms, data)?,
        };
        self.set_fmp4_video(VideoTrack { coding, info });
        Ok(())
    }

    /// A new fMP4 video track. A configuration that differs from the one
    /// in use first closes the open segment, so its frames are muxed under
    /// the init segment they were coded for; the next segment brings a new one.
    fn set_fmp4_video(&mut self, track: VideoTrack) {
        let entry = |t: &VideoTrack| match &t.coding {
            VideoCoding::Fmp4 { entry, .. } => Some(entry.clone()),
            VideoCoding::AnnexB(_) => None,
        };
        if let Some(old) = self.video.as_ref().and_then(entry) {
            if Some(old) != entry(&track) {
                self.close_for_new_config();
            }
        }
        self.video = Some(track);
    }

    /// HEVC and AV1 go in fMP4 only: a segmenter configured for TS switches
    /// when its caller allows it and nothing is written yet (the sequence
    /// header comes first), and refuses the codec otherwise.
    fn require_fmp4(&mut self, codec: VideoCodecKind, stream_ms: u32) -> Result<(), Error> {
        if self.format == SegmentFormat::Fmp4 {
            return Ok(());
        }
        // Held H.264 frames would have no track in the init segment.
        let nothing_written = self.next_index == 0
            && self.segment.video_frames == 0
            && matches!(self.phase, Phase::Holding(_));
        if self.config.hevc_av1_in_fmp4 && nothing_written {
            self.format = SegmentFormat::Fmp4;
            return Ok(());
        }
        let fourcc = match codec {
            VideoCodecKind::Hevc => "hvc1",
            _ => "av01",
        };
        Err(Error::UnsupportedVideoCodec {
            codec: format!("{fourcc} after MPEG-TS output"),
            timestamp_ms: stream_ms,
        })
    }

    fn avc_config(&mut self, stream_ms: u32, data: &Bytes) -> Result<(), Error> {
        let bad = |source| Error::Codec {
            kind: "AVC sequence header",
            timestamp_ms: stream_ms,
            source,
        };
        let record = AvcDecoderConfigurationRecord::parse(data).map_err(bad)?;
        let nal = record.sps.first().ok_or(Error::NoSps {
            timestamp_ms: stream_ms,
        })?;
        let sps = Sps::parse(nal).map_err(bad)?;
        let info = VideoInfo {
            codec: VideoCodecKind::H264,
            width: sps.width,
            height: sps.height,
            frame_rate: sps.frame_rate,
            profile: sps.profile_name(),
            level: sps.level_idc,
        };
        if self.format == SegmentFormat::Fmp4 {
            let coding = VideoCoding::Fmp4 {
                keyframes: KeyframeRule::Idr {
                    length_size: record.length_size,
                },
                entry: Codec::Avc {
                    width: dimension(info.width),
                    height: dimension(info.height),
                    avcc: data.clone(),
                },
            };
            self.set_fmp4_video(VideoTrack { coding, info });
            return Ok(());
        }
        match self.video.as_mut() {
            Some(VideoTrack {
                coding: VideoCoding::AnnexB(converter),
                info: old,
            }) => {
                converter.set_config(&record);
                *old = info;
            }
            _ => {
                self.video = Some(VideoTrack {
                    coding: VideoCoding::AnnexB(AnnexBConverter::new(&record)),
                    info,
                });
            }
        }
        Ok(())
    }

    fn audio_config(&mut self, stream_ms: u32, data: &[u8]) -> Result<(), Error> {
        let bad = |source| Error::Codec {
            kind: "AAC sequence header",
            timestamp_ms: stream_ms,
            source,
        };
        config_size("AAC sequence header", stream_ms, data.len())?;
        let config = AudioSpecificConfig::parse(data).map_err(bad)?;
        // Refuse now what ADTS cannot carry, rather than on every frame.
        let adts = AdtsWriter::new(&config).map_err(bad)?;
        let info = AudioInfo {
            sample_rate: config.sampling_frequency,
            channels: config.channel_configuration,
            object_type: config.object_type,
        };
        let asc = Bytes::copy_from_slice(data);
        let changed = self.audio.as_ref().is_some_and(|a| a.asc != asc);
        if changed && self.format == SegmentFormat::Fmp4 {
            // As for video: the open segment keeps the init it was coded for.
            self.close_for_new_config();
        }
        self.audio = Some(AudioTrack {
            config,
            asc,
            adts,
            info,
        });
        Ok(())
    }

    /// Stream time (90 kHz ticks) for a track clock's value in ms; the
    /// first frame of either track defines zero.
    fn stream_time(&mut self, ms: i64, jumped: bool) -> i64 {
        if jumped {
            self.stats.timestamp_fixups += 1;
        }
        let origin = *self.origin_ms.get_or_insert(ms);
        (ms - origin).saturating_mul(TICKS_PER_MS)
    }
}

/// A frame's bytes on their way to the container.
enum Payload {
    AnnexB(AnnexB),
    Sample(Bytes),
}

impl KeyframeRule {
    fn is_keyframe(&self, data: &Bytes) -> Result<bool, livechannel_codec::Error> {
        match self {
            KeyframeRule::Idr { length_size } => {
                for nal in length_prefixed_nal_units(data, *length_size) {
                    let nal = nal?;
                    if nal.first().is_some_and(|&b| b & 0x1F == 5) {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            KeyframeRule::Irap { length_size } => access_unit_is_irap(data, *length_size),
            KeyframeRule::Av1Key(sequence_header) => is_key_frame(data, Some(sequence_header)),
        }
    }

    fn frame_kind(&self) -> &'static str {
        match self {
            KeyframeRule::Idr { .. } => "AVC frame",
            KeyframeRule::Irap { .. } => "HEVC frame",
            KeyframeRule::Av1Key(_) => "AV1 temporal unit",
        }
    }
}

/// A sequence header must fit the fMP4 sample entry: refused up front
/// (a publisher controls its size), not when the first fragment is muxed.
fn config_size(kind: &'static str, stream_ms: u32, len: usize) -> Result<(), Error> {
    let max = livechannel_fmp4::MAX_CONFIG_RECORD;
    if len as u64 > max {
        return Err(Error::ConfigTooLarge {
            kind,
            timestamp_ms: stream_ms,
            len,
        });
    }
    Ok(())
}

/// A size for the sample entry's 16-bit fields (parsers cap sizes at 65536).
fn dimension(pixels: u32) -> u16 {
    u16::try_from(pixels).unwrap_or(u16::MAX)
}

fn hevc_config(stream_ms: u32, data: &Bytes) -> Result<(VideoCoding, VideoInfo), Error> {
    let bad = |source| Error::Codec {
        kind: "HEVC sequence header",
        timestamp_ms: stream_ms,
        source,
    };
    let record = HevcDecoderConfigurationRecord::parse(data).map_err(bad)?;
    let nal = record.sps().next().ok_or(Error::NoSps {
        timestamp_ms: stream_ms,
    })?;
    let sps = HevcSps::parse(nal).map_err(bad)?;
    let info = VideoInfo {
        codec: VideoCodecKind::Hevc,
        width: sps.width,
        height: sps.height,
        frame_rate: sps.frame_rate,
        profile: sps.profile_name(),
        level: record.profile_tier_level.general_level_idc,
    };
    let coding = VideoCoding::Fmp4 {
        keyframes: KeyframeRule::Irap {
            length_size: record.length_size,
        },
        entry: Codec::Hevc {
            width: dimension(info.width),
            height: dimension(info.height),
            hvcc: data.clone(),
        },
    };
    Ok((coding, info))
}

fn av1_config(stream_ms: u32, data: &Bytes) -> Result<(VideoCoding, VideoInfo), Error> {
    let bad = |source| Error::Codec {
        kind: "AV1 sequence header",
        timestamp_ms: stream_ms,
        source,
    };
    let record = Av1CodecConfigurationRecord::parse(data).map_err(bad)?;
    let sequence_header = record.sequence_header().map_err(bad)?;
    let info = VideoInfo {
        codec: VideoCodecKind::Av1,
        width: sequence_header.max_frame_width,
        height: sequence_header.max_frame_height,
        frame_rate: sequence_header.frame_rate,
        profile: match sequence_header.seq_profile {
            0 => "Main",
            1 => "High",
            _ => "Professional",
        },
        level: sequence_header
            .operating_points
            .first()
            .map_or(record.seq_level_idx_0, |p| p.seq_level_idx),
    };
    let coding = VideoCoding::Fmp4 {
        keyframes: KeyframeRule::Av1Key(Box::new(sequence_header)),
        entry: Codec::Av1 {
            width: dimension(info.width),
            height: dimension(info.height),
            av1c: data.clone(),
        },
    };
    Ok((coding, info))
}
