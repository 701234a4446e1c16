//! What GetLiveChannelStat shows of a publish: the tracks and their rates,
//! refreshed every couple of seconds.

use livechannel_hls::Segmenter;

use crate::live::{AudioStat, LiveEntry, VideoStat};

use super::error::{audio_codec_name, video_codec_name};

/// How often the statistics are refreshed.
const METER_PERIOD_MS: u64 = 2_000;

/// Bytes and frames counted since the last refresh, and what Stat shows.
#[derive(Debug)]
pub(crate) struct Meter {
    since_ms: u64,
    pub(crate) video_bytes: u64,
    pub(crate) audio_bytes: u64,
    pub(crate) video_frames: u64,
    reported: bool,
    /// The last measured rates.
    rates: Rates,
    /// Which tracks Stat shows.
    tracks: Tracks,
}

#[derive(Debug, Clone, Copy, Default)]
struct Rates {
    video_bytes_per_s: u64,
    audio_bytes_per_s: u64,
    frames_per_s: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tracks {
    video: bool,
    audio: bool,
}

impl Meter {
    pub(crate) fn new(now_ms: u64) -> Self {
        Meter {
            since_ms: now_ms,
            video_bytes: 0,
            audio_bytes: 0,
            video_frames: 0,
            reported: false,
            rates: Rates::default(),
            tracks: Tracks::default(),
        }
    }

    /// The rates once a period has passed. The first call reports at once,
    /// with rates of 0 (OSS allows 0 right after the stream starts), so the
    /// stat shows the tracks early.
    fn sample(&mut self, now_ms: u64) -> Option<Rates> {
        let elapsed = now_ms.saturating_sub(self.since_ms);
        if elapsed < METER_PERIOD_MS {
            if self.reported {
                return None;
            }
            self.reported = true;
            return Some(Rates::default());
        }
        let per_s = |n: u64| n.saturating_mul(1000) / elapsed;
        let rates = Rates {
            video_bytes_per_s: per_s(self.video_bytes),
            audio_bytes_per_s: per_s(self.audio_bytes),
            frames_per_s: per_s(self.video_frames) as u32,
        };
        self.since_ms = now_ms;
        self.video_bytes = 0;
        self.audio_bytes = 0;
        self.video_frames = 0;
        Some(rates)
    }

    /// Refresh what Stat shows: every meter period, and at once when a
    /// track appears.
    pub(crate) fn refresh(&mut self, now_ms: u64, segmenter: &Segmenter, entry: &LiveEntry) {
        let sampled = self.sample(now_ms);
        if let Some(rates) = sampled {
            self.rates = rates;
        }
        let info = segmenter.media_info();
        let discarded = segmenter.discarded_audio();
        // Discarded audio is a track Stat shows too.
        let tracks = Tracks {
            video: info.video.is_some(),
            audio: info.audio.is_some() || discarded.is_some(),
        };
        if sampled.is_none() && tracks == self.tracks {
            return;
        }
        self.tracks = tracks;
        let rates = self.rates;
        entry.update(|stat| {
            stat.video = info.video.as_ref().map(|v| VideoStat {
                width: v.width,
                height: v.height,
                frame_rate: v
                    .frame_rate
                    .map_or(rates.frames_per_s, |f| f.round() as u32),
                bandwidth: rates.video_bytes_per_s,
                codec: video_codec_name(v.codec).to_owned(),
            });
            stat.audio = match (&info.audio, discarded) {
                (Some(a), _) => Some(AudioStat {
                    bandwidth: rates.audio_bytes_per_s,
                    sample_rate: a.sample_rate,
                    codec: "AAC".to_owned(),
                }),
                // Audio that is not AAC is discarded, but Stat names it (as OSS's docs show).
                (None, Some(d)) => Some(AudioStat {
                    bandwidth: rates.audio_bytes_per_s,
                    sample_rate: d.sample_rate,
                    codec: audio_codec_name(d.format).to_owned(),
                }),
                _ => None,
            };
        });
    }
}
