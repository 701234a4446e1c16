//! Turning FLV millisecond timestamps into one 90 kHz stream timeline.
//!
//! FLV/RTMP timestamps are 32-bit milliseconds that wrap after ~49.7 days,
//! audio and video may start from different bases, and encoders jump on
//! hiccups. We extend to 64 bits, share one origin between the tracks and
//! absorb jumps into a per-track offset instead of cutting tiny segments
//! (hls-pitfalls.md, "Timestamps").

/// 90 kHz ticks per millisecond.
pub(crate) const TICKS_PER_MS: i64 = 90;

/// A step backwards larger than this (ms) is treated as a jump, not jitter.
const MAX_BACKWARD_MS: i64 = 1_000;
/// A step forwards larger than this (ms) is treated as a jump, not a gap.
const MAX_FORWARD_MS: i64 = 10_000;
/// A track whose first timestamp is further than this (ms) from the other
/// track's is re-based onto it: the bases differ, the sync is not meant.
const MAX_START_SKEW_MS: i64 = 10_000;

/// One track's clock: unwraps 32-bit ms and absorbs jumps.
#[derive(Debug, Default, Clone)]
pub(crate) struct TrackClock {
    last_raw: u32,
    /// Last unwrapped value before the offset, in ms.
    last_unwrapped: i64,
    /// Added to unwrapped values; changes when a jump is absorbed.
    offset: i64,
    /// The last value handed out (unwrapped + offset), ms.
    last: Option<i64>,
    /// The last sensible step, used to continue over a jump.
    last_step: i64,
}

impl TrackClock {
    /// The track's time in ms for `raw`, on the shared (not yet origin-relative) scale.
    ///
    /// `other_last` is the other track's latest time, used to re-base this
    /// track's first sample when the two bases are far apart. Returns the
    /// time and whether a jump was absorbed.
    pub(crate) fn map(&mut self, raw: u32, other_last: Option<i64>) -> (i64, bool) {
        let Some(last) = self.last else {
            self.last_raw = raw;
            self.last_unwrapped = i64::from(raw);
            let mut fixed = false;
            if let Some(other) = other_last {
                if (self.last_unwrapped - other).abs() > MAX_START_SKEW_MS {
                    self.offset = other - self.last_unwrapped;
                    fixed = true;
                }
            }
            let t = self.last_unwrapped + self.offset;
            self.last = Some(t);
            return (t, fixed);
        };
        // The signed 32-bit difference unwraps the RTMP clock: a step from
        // 0xFFFF_FFF0 to 0x10 is +32 ms, not -4 billion.
        let step = i64::from(raw.wrapping_sub(self.last_raw) as i32);
        self.last_raw = raw;
        self.last_unwrapped += step;
        let mut t = self.last_unwrapped + self.offset;
        let delta = t - last;
        let jumped = !(-MAX_BACKWARD_MS..=MAX_FORWARD_MS).contains(&delta);
        if jumped {
            let resume_at = last + self.last_step;
            self.offset += resume_at - t;
            t = resume_at;
        } else if delta > 0 {
            self.last_step = delta;
        }
        self.last = Some(t);
        (t, jumped)
    }

    pub(crate) fn last(&self) -> Option<i64> {
        self.last
    }
}

/// Audio presentation times derived from the sample count.
///
/// FLV's millisecond timestamps cannot express 1024/44100 s, so timing audio
/// by them makes Apple players click; we count samples and re-anchor only on
/// real drift (hls-pitfalls.md, the SRS and gohlslib approach).
#[derive(Debug, Default, Clone)]
pub(crate) struct SampleClock {
    anchor: Option<i64>,
    samples: u64,
}

/// Drift (90 kHz ticks) beyond which the sample clock follows the timestamps again.
const MAX_AUDIO_DRIFT: i64 = 500 * TICKS_PER_MS;

impl SampleClock {
    /// The PTS (90 kHz) of the next frame of `frame_samples` samples at
    /// `rate` Hz whose container timestamp is `actual` (90 kHz). Returns the
    /// PTS and whether the clock re-anchored after the first frame.
    pub(crate) fn next(&mut self, actual: i64, frame_samples: u32, rate: u32) -> (i64, bool) {
        let rate = u64::from(rate.max(1));
        let mut reanchored = false;
        let pts = match self.anchor {
            Some(anchor) => {
                let derived = anchor.saturating_add(ticks(self.samples, rate));
                if (derived - actual).abs() > MAX_AUDIO_DRIFT {
                    reanchored = true;
                    self.anchor = Some(actual);
                    self.samples = 0;
                    actual
                } else {
                    derived
                }
            }
            None => {
                self.anchor = Some(actual);
                self.samples = 0;
                actual
            }
        };
        self.samples = self.samples.saturating_add(u64::from(frame_samples));
        (pts, reanchored)
    }

    /// The 90 kHz duration of `samples` at `rate` Hz.
    pub(crate) fn duration(samples: u32, rate: u32) -> i64 {
        ticks(u64::from(samples), u64::from(rate.max(1)))
    }
}

fn ticks(samples: u64, rate: u64) -> i64 {
    // u128 keeps the product exact for any realistic stream length.
    let t = u128::from(samples) * 90_000 / u128::from(rate);
    i64::try_from(t).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_the_32_bit_clock() {
        let mut c = TrackClock::default();
        assert_eq!(c.map(u32::MAX - 20, None).0, i64::from(u32::MAX - 20));
        let (t, jumped) = c.map(12, None);
        assert!(!jumped);
        assert_eq!(t, i64::from(u32::MAX) + 13);
    }

    #[test]
    fn absorbs_a_backward_jump_and_continues_with_the_last_step() {
        let mut c = TrackClock::default();
        c.map(1000, None);
        c.map(1040, None);
        let (t, jumped) = c.map(0, None);
        assert!(jumped);
        assert_eq!(t, 1080);
        // Later timestamps follow the new base with the same offset.
        assert_eq!(c.map(40, None), (1120, false));
    }

    #[test]
    fn absorbs_a_forward_jump() {
        let mut c = TrackClock::default();
        c.map(0, None);
        c.map(33, None);
        let (t, jumped) = c.map(3_600_000, None);
        assert!(jumped);
        assert_eq!(t, 66);
    }

    #[test]
    fn small_jitter_is_kept() {
        let mut c = TrackClock::default();
        c.map(100, None);
        assert_eq!(c.map(90, None), (90, false));
    }

    #[test]
    fn rebases_a_far_away_second_track() {
        let mut audio = TrackClock::default();
        audio.map(0, None);
        let mut video = TrackClock::default();
        assert_eq!(video.map(50_000_000, audio.last()), (0, true));
        assert_eq!(video.map(50_000_040, audio.last()), (40, false));
        // A near one keeps its offset: that is intended sync.
        let mut v2 = TrackClock::default();
        assert_eq!(v2.map(500, audio.last()), (500, false));
    }

    #[test]
    fn sample_clock_counts_samples_and_reanchors_on_drift() {
        let mut c = SampleClock::default();
        assert_eq!(c.next(0, 1024, 44_100), (0, false));
        // 23 ms of FLV time, but 1024/44100 s = 2089.8 ticks exactly derived.
        assert_eq!(c.next(23 * 90, 1024, 44_100), (2089, false));
        assert_eq!(c.next(46 * 90, 1024, 44_100), (4179, false));
        // A 2 s gap is real drift: follow the timestamp.
        assert_eq!(c.next(2_000 * 90, 1024, 44_100), (180_000, true));
    }
}
