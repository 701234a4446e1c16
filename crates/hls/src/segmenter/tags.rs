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
use livechannel_codec::h264::{AnnexB, AnnexBConverter, AvcDecoderConfigurationRecord, Sps};
use livechannel_flv::{AacPacketType, AudioTag, SoundFormat, VideoTag};

use super::frame::Frame;
use super::phase::Start;
use super::Segmenter;
use crate::timeline::{SampleClock, TICKS_PER_MS};
use crate::{AudioInfo, DiscardedAudio, Error, VideoInfo};

#[derive(Debug)]
pub(super) struct VideoTrack {
    converter: AnnexBConverter,
    pub(super) info: VideoInfo,
}

#[derive(Debug)]
pub(super) struct AudioTrack {
    config: AudioSpecificConfig,
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

impl Segmenter {
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
        if !tag.is_h264() {
            return Err(Error::unsupported(&tag.codec, stream_ms));
        }
        if tag.is_sequence_header() {
            return self.video_config(stream_ms, &tag.data);
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
                timestamp_ms: stream_ms,
                source,
            })?;
        if au.is_empty() {
            return Ok(());
        }
        // An IDR slice is what makes a frame a random access point; the FLV
        // frame type is only the encoder's word for it.
        let keyframe = info.keyframe;
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
        segment.bytes += au.len();
        segment.video_frames += 1;
        self.add_frame(Frame::Video {
            pts,
            dts,
            keyframe,
            au,
        });
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

    fn video_config(&mut self, stream_ms: u32, data: &Bytes) -> Result<(), Error> {
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

    fn audio_config(&mut self, stream_ms: u32, data: &[u8]) -> Result<(), Error> {
        let bad = |source| Error::Codec {
            kind: "AAC sequence header",
            timestamp_ms: stream_ms,
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
