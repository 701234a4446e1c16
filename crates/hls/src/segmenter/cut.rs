//! Where segments end, and the wall-clock time that names each one.
//!
//! `ticks` and `end_ticks` are stream time (90 kHz); `*_wall_ms` the wall
//! clock (Unix ms).

use super::phase::{OpenSegment, Phase};
use super::Segmenter;
use crate::timeline::TICKS_PER_MS;
use crate::{InitSegment, Output, Segment, SegmentFormat};

impl Segmenter {
    /// Close the open segment before a frame at `ticks` when the rules say so.
    pub(super) fn cut_before(&mut self, ticks: i64, keyframe: bool, is_video: bool) {
        self.newest_ticks = Some(self.newest_ticks.map_or(ticks, |n| n.max(ticks)));
        let Some(start) = self.segment.start.ticks() else {
            return;
        };
        let held = ticks - start;
        let frag = ticks_from_ms(self.config.frag_duration_ms);
        let max = ticks_from_ms(self.config.max_segment_duration_ms);
        let over_bytes = self.segment.bytes >= self.config.max_segment_bytes;
        let has_video = self.segment.start.has_video();
        let cut = if has_video {
            // Only video decides, so audio never splits a GOP; the forced cut
            // also covers video that stopped while audio goes on.
            (is_video && keyframe && held >= frag) || held >= max || over_bytes
        } else if self.video.is_some() || is_video {
            // Audio before the first video: keep it for the first segment
            // unless video never shows up.
            held >= max || over_bytes
        } else {
            // An audio-only stream is cut on duration alone.
            held >= frag || over_bytes
        };
        if !cut {
            return;
        }
        if has_video && !(is_video && keyframe) {
            self.stats.forced_cuts += 1;
        }
        if held > frag + 90_000 {
            self.stats.long_gop_segments += 1;
        }
        self.close(ticks, false);
    }

    /// fMP4: a track's configuration changed (a new sequence header):
    /// close the open segment where its media ends, as `finish` does.
    pub(super) fn close_for_new_config(&mut self) {
        if self.format != SegmentFormat::Fmp4 {
            return;
        }
        if let Some(end_ticks) = self.media_end_ticks() {
            self.close(end_ticks, false);
        }
    }

    /// Where the open segment's media ends when no next frame says so (the
    /// end of the stream, a new configuration): its last video frame plus
    /// that frame's distance from the one before, or its audio's end.
    pub(super) fn media_end_ticks(&self) -> Option<i64> {
        if self.segment.start.has_video() {
            self.last_video.map(|v| v.dts + v.step.max(1))
        } else {
            Some(self.segment.audio_end_ticks)
        }
    }

    /// End the open segment at stream time `end_ticks` and queue it.
    pub(super) fn close(&mut self, end_ticks: i64, last: bool) {
        let Some(start) = self.segment.start.ticks() else {
            return;
        };
        if let Phase::Holding(_) = self.phase {
            self.start_writing();
        }
        if self.format == SegmentFormat::Fmp4 {
            if let Some(fragment) = self.write_fragment(end_ticks) {
                self.segment.chunks.push(fragment);
            }
        }
        // The tail stays with the segment: one store call fewer.
        if !self.writer.is_empty() {
            let tail = self.writer.take();
            self.segment.chunks.push(tail);
        }
        self.phase = Phase::BetweenSegments;
        if self.segment.chunks.is_empty() && self.segment.streamed == 0 {
            self.segment = OpenSegment::default();
            return;
        }
        let wall_ms = self.open_wall_ms(start);
        let init = match self.format {
            SegmentFormat::Fmp4 => self.fmp4.unsent_init.take(),
            _ => None,
        }
        .map(|data| InitSegment { wall_ms, data });
        let open = std::mem::take(&mut self.segment);
        let segment = Segment {
            index: self.next_index,
            wall_ms,
            stream_start_ticks: start,
            duration: (end_ticks - start).max(0) as f64 / 90_000.0,
            chunks: open.chunks,
            streamed: open.streamed,
            starts_with_keyframe: open.start.starts_with_keyframe(),
            video_frames: open.video_frames,
            audio_frames: open.audio_frames,
            last,
            format: self.format,
            init,
        };
        self.next_index += 1;
        self.stats.segments += 1;
        self.stats.video_frames += u64::from(open.video_frames);
        self.stats.audio_frames += u64::from(open.audio_frames);
        self.stats.bytes_out += segment.len() as u64;
        self.ready.push_back(Output::Segment(segment));
    }

    /// The open segment's wall-clock time: fixed the first time it is
    /// asked for (its first streamed chunk, or its close), as its start may
    /// still move to the first video frame.
    pub(super) fn open_wall_ms(&mut self, start_ticks: i64) -> u64 {
        if let Some(ms) = self.segment.wall_ms {
            return ms;
        }
        let ms = self.next_wall_ms(start_ticks, self.segment.start.arrival_wall_ms());
        self.segment.wall_ms = Some(ms);
        ms
    }

    /// The wall-clock time of a segment starting at `start_ticks` whose
    /// first frame arrived at `arrival_wall_ms` (if pushed with one): that
    /// arrival, else the base plus the stream time; then later than the
    /// last segment's (by 1 ms on a tie: names must stay unique and in
    /// order) and at least `min_wall_ms`.
    fn next_wall_ms(&mut self, start_ticks: i64, arrival_wall_ms: Option<u64>) -> u64 {
        let mut ms = arrival_wall_ms.unwrap_or_else(|| {
            let offset_ms = u64::try_from(start_ticks.div_euclid(TICKS_PER_MS)).unwrap_or(0);
            self.config.base_wall_ms.saturating_add(offset_ms)
        });
        ms = ms.max(self.config.min_wall_ms);
        if let Some(last) = self.last_wall_ms {
            ms = ms.max(last + 1);
        }
        self.last_wall_ms = Some(ms);
        ms
    }
}

fn ticks_from_ms(ms: u64) -> i64 {
    i64::try_from(ms)
        .unwrap_or(i64::MAX / 90)
        .saturating_mul(TICKS_PER_MS)
}
