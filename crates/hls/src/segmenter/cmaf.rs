//! Frames into fMP4: the init segment for the tracks as configured, and
//! one `moof`+`mdat` fragment per segment, written when the segment closes
//! (its `moof` lists every sample, so nothing is ready earlier).
//!
//! Times: frames carry stream time in 90 kHz ticks; video samples keep that
//! clock (the muxer's video timescale), audio samples are counted in the
//! sample rate, as their `mdhd` says.

use bytes::Bytes;
use livechannel_fmp4::{Codec, Muxer, MuxerConfig, Sample, SampleData, VIDEO_TIMESCALE};

use super::frame::Frame;
use super::tags::VideoCoding;
use super::Segmenter;

/// The fMP4 side of a segmenter.
#[derive(Debug, Default)]
pub(super) struct Fmp4State {
    /// Built for the first fragment, rebuilt when the tracks change.
    muxer: Option<Muxer>,
    /// The open segment's frames, in the order they were taken.
    pub(super) pending: Vec<Frame>,
    /// An init segment no emitted segment has brought yet.
    pub(super) unsent_init: Option<Bytes>,
    /// Where each track's last fragment ended (its timescale): a fragment
    /// may not start earlier, so a late first sample is moved up to it.
    video_end: u64,
    audio_end: u64,
}

/// The audio track's sample entry, its rate (the timescale) and samples per frame.
struct AudioEntry {
    codec: Codec,
    rate: u32,
    frame_length: u32,
}

/// A video frame's times and bytes, before durations are known.
struct Timed {
    dts: u64,
    composition_offset: i32,
    is_sync: bool,
    data: Bytes,
}

impl Segmenter {
    /// Mux the open segment's frames into one fragment, ending the video at
    /// `end_ticks` (the next segment's start, or an estimate at the end).
    /// `None` when there is nothing to write or the muxer refused (counted
    /// as damaged frames).
    pub(super) fn write_fragment(&mut self, end_ticks: i64) -> Option<Bytes> {
        let frames = std::mem::take(&mut self.fmp4.pending);
        if frames.is_empty() {
            return None;
        }
        let count = frames.len() as u64;
        match self.fragment(frames, end_ticks) {
            Ok(fragment) => Some(fragment),
            // Not expected for what the checks let in (sizes are bounded by
            // FLV and max_segment_bytes, times made contiguous here), but
            // input-reachable corners (a codec switch inside a segment)
            // must not panic: counted, never hidden.
            Err(_) => {
                self.stats.damaged_frames += count;
                None
            }
        }
    }

    fn fragment(
        &mut self,
        frames: Vec<Frame>,
        end_ticks: i64,
    ) -> Result<Bytes, livechannel_fmp4::Error> {
        let (video_entry, audio) = self.sample_entries();
        let mut tracks = Vec::with_capacity(2);
        tracks.extend(video_entry.clone());
        tracks.extend(audio.as_ref().map(|a| a.codec.clone()));
        let current = self.fmp4.muxer.as_ref().map(|m| &m.config().tracks);
        if current != Some(&tracks) {
            let muxer = Muxer::new(MuxerConfig::new(tracks))?;
            self.fmp4.unsent_init = Some(Bytes::copy_from_slice(muxer.init_segment()));
            self.fmp4.muxer = Some(muxer);
        }

        // Stream time zero is the configured origin on the wall clock.
        let origin = i64::try_from(self.config.fmp4_time_origin_ms)
            .unwrap_or(i64::MAX)
            .saturating_mul(VIDEO_TIMESCALE as i64 / 1000);
        let mut video = Vec::new();
        let mut audio_frames = Vec::new();
        for frame in frames {
            match frame {
                Frame::Sample {
                    pts,
                    dts,
                    keyframe,
                    data,
                } => {
                    let (pts, dts) = (pts.saturating_add(origin), dts.saturating_add(origin));
                    let dts = u64::try_from(dts).unwrap_or(0);
                    video.push(Timed {
                        dts,
                        composition_offset: offset(pts, dts),
                        is_sync: keyframe,
                        data,
                    })
                }
                Frame::Audio { pts, raw, .. } => {
                    audio_frames.push((pts.saturating_add(origin), raw))
                }
                // H.264 for TS never reaches an fMP4 segment.
                Frame::Video { .. } => {}
            }
        }
        let end = u64::try_from(end_ticks.saturating_add(origin)).unwrap_or(0);
        let video = samples(video, &mut self.fmp4.video_end, end, 3_000);
        let audio_samples = match &audio {
            Some(AudioEntry {
                rate, frame_length, ..
            }) => {
                let timed = audio_frames
                    .into_iter()
                    .map(|(pts, raw)| Timed {
                        dts: rescale(pts, *rate),
                        composition_offset: 0,
                        is_sync: true,
                        data: raw,
                    })
                    .collect();
                samples(timed, &mut self.fmp4.audio_end, 0, *frame_length)
            }
            None => Vec::new(),
        };
        let mut lists: Vec<&[Sample]> = Vec::with_capacity(2);
        if video_entry.is_some() {
            lists.push(&video);
        }
        if audio.is_some() {
            lists.push(&audio_samples);
        }
        let mut out = Vec::new();
        let Some(muxer) = self.fmp4.muxer.as_mut() else {
            return Ok(Bytes::new());
        };
        muxer.write_fragment(&lists, &mut out)?;
        Ok(Bytes::from(out))
    }

    /// The tracks' sample entries as configured now, and the audio's rate
    /// and samples per frame.
    fn sample_entries(&self) -> (Option<Codec>, Option<AudioEntry>) {
        let video = self.video.as_ref().and_then(|v| match &v.coding {
            VideoCoding::Fmp4 { entry, .. } => Some(entry.clone()),
            VideoCoding::AnnexB(_) => None,
        });
        let audio = self.audio.as_ref().map(|a| {
            let rate = a.config.sampling_frequency.clamp(1, 65_535);
            let codec = Codec::Aac {
                sample_rate: rate,
                // 0 means "in a program config element": stereo is the usual.
                channels: match a.config.channel_configuration {
                    0 => 2,
                    n => u16::from(n),
                },
                audio_specific_config: a.asc.clone(),
            };
            AudioEntry {
                codec,
                rate,
                frame_length: a.config.frame_length.max(1),
            }
        });
        (video, audio)
    }
}

/// Presentation minus decode time, as `trun` carries it.
fn offset(pts: i64, dts: u64) -> i32 {
    let dts = i64::try_from(dts).unwrap_or(i64::MAX);
    i32::try_from(pts.saturating_sub(dts)).unwrap_or(if pts < dts { i32::MIN } else { i32::MAX })
}

/// 90 kHz ticks to `rate` Hz, rounded (negative times are taken as 0).
fn rescale(ticks: i64, rate: u32) -> u64 {
    let ticks = u128::try_from(ticks).unwrap_or(0);
    let scaled =
        (ticks * u128::from(rate) + u128::from(VIDEO_TIMESCALE / 2)) / u128::from(VIDEO_TIMESCALE);
    u64::try_from(scaled).unwrap_or(u64::MAX)
}

/// Back-to-back samples: each lasts until the next one's decode time
/// (times that go back are moved up, never before `track_end`), the last
/// until `end` or, when that is not after it, for `last_duration`.
/// Updates `track_end` to where the last sample ends.
fn samples(timed: Vec<Timed>, track_end: &mut u64, end: u64, last_duration: u32) -> Vec<Sample> {
    let mut dts: Vec<u64> = Vec::with_capacity(timed.len());
    for t in &timed {
        let floor = dts.last().copied().unwrap_or(*track_end);
        dts.push(t.dts.max(floor));
    }
    let mut out = Vec::with_capacity(timed.len());
    for (i, t) in timed.into_iter().enumerate() {
        let next = match dts.get(i + 1) {
            Some(&next) => next,
            None if end > dts[i] => end,
            None => dts[i].saturating_add(u64::from(last_duration)),
        };
        let duration = u32::try_from(next - dts[i]).unwrap_or(u32::MAX);
        *track_end = dts[i].saturating_add(u64::from(duration));
        // The offset was against the time as stamped; keep the presentation time.
        let moved = i64::try_from(dts[i] - t.dts).unwrap_or(i64::MAX);
        let composition_offset = i64::from(t.composition_offset).saturating_sub(moved);
        out.push(Sample {
            dts: dts[i],
            duration,
            composition_offset: i32::try_from(composition_offset).unwrap_or(i32::MIN),
            is_sync: t.is_sync,
            data: SampleData::One(t.data),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed(dts: u64) -> Timed {
        Timed {
            dts,
            composition_offset: 0,
            is_sync: false,
            data: Bytes::new(),
        }
    }

    #[test]
    fn samples_are_back_to_back_and_never_start_before_the_last_fragment() {
        let mut end = 0;
        let s = samples(vec![timed(0), timed(3000), timed(6000)], &mut end, 9000, 1);
        assert_eq!(
            s.iter().map(|s| (s.dts, s.duration)).collect::<Vec<_>>(),
            [(0, 3000), (3000, 3000), (6000, 3000)]
        );
        assert_eq!(end, 9000);
        // A frame stamped before the previous fragment's end is moved up.
        let s = samples(vec![timed(8000), timed(12000)], &mut end, 0, 1024);
        assert_eq!((s[0].dts, s[0].duration), (9000, 3000));
        assert_eq!(s[0].composition_offset, -1000);
        assert_eq!((s[1].dts, s[1].duration), (12000, 1024));
        assert_eq!(end, 13024);
    }

    #[test]
    fn rescale_rounds_and_clamps() {
        assert_eq!(rescale(90_000, 48_000), 48_000);
        assert_eq!(rescale(1_920, 48_000), 1_024);
        assert_eq!(rescale(-5, 44_100), 0);
        assert_eq!(offset(100, 40), 60);
        assert_eq!(offset(i64::MIN, 0), i32::MIN);
    }
}
