//! Frames into the segment's TS chunks: held whole for the first segment,
//! written as they arrive after that; full chunks kept with the segment or
//! given out, by [`OutputMode`].

use bytes::Bytes;

use super::frame::Frame;
use super::phase::{Phase, HOLD_VIDEO_FRAMES};
use super::Segmenter;
use crate::{Chunk, Output, OutputMode, SegmentFormat};

impl Segmenter {
    /// Take a frame into the current segment: held while the first segment
    /// is gathered, written straight into the segment's TS after that.
    pub(super) fn add_frame(&mut self, mut frame: Frame) {
        match &mut self.phase {
            Phase::Holding(frames) => {
                frame.compact();
                frames.push(frame);
                if self.segment.video_frames >= HOLD_VIDEO_FRAMES {
                    self.start_writing();
                }
            }
            Phase::BetweenSegments => {
                self.open_segment();
                self.write_or_carry(frame);
            }
            Phase::InSegment => self.write_or_carry(frame),
            Phase::Finished => debug_assert!(false, "a push after finish is refused"),
        }
    }

    /// Mux what was held and write every later frame as it arrives.
    pub(super) fn start_writing(&mut self) {
        let Phase::Holding(frames) = std::mem::replace(&mut self.phase, Phase::BetweenSegments)
        else {
            return;
        };
        if !frames.is_empty() {
            self.write_held(frames);
        }
    }

    /// PAT and PMT for the tracks known so far, and any carried frames
    /// (fMP4: nothing to write before the fragment).
    fn open_segment(&mut self) {
        if self.format == SegmentFormat::Fmp4 {
            self.phase = Phase::InSegment;
            return;
        }
        let video = self.video.is_some();
        let audio = self.audio.is_some();
        let tracks = self.muxer.set_tracks(video, audio);
        debug_assert!(tracks.is_ok(), "a frame implies a track");
        self.room(0);
        self.muxer.start_segment(self.writer.buf());
        self.phase = Phase::InSegment;
        for frame in std::mem::take(&mut self.carry) {
            self.write_frame(&frame);
        }
    }

    /// A frame of a track the open segment's PMT does not list yet is
    /// written at the start of the next segment.
    fn write_or_carry(&mut self, frame: Frame) {
        if self.format == SegmentFormat::Fmp4 {
            // The fragment lists every track the init segment has.
            self.fmp4.pending.push(frame);
            return;
        }
        if !self.write_frame(&frame) {
            self.carry.push(frame);
        }
    }

    /// Make room for a frame of `payload` bytes; a chunk that was full
    /// joins the segment's chunks, or is given out when chunks are
    /// streamed.
    fn room(&mut self, payload: usize) {
        if let Some(full) = self.writer.room(payload) {
            self.full_chunk(full);
        }
    }

    fn full_chunk(&mut self, data: Bytes) {
        if self.config.output != OutputMode::StreamedChunks {
            self.segment.chunks.push(data);
            return;
        }
        let start_ticks = self.segment.start.ticks().unwrap_or(0);
        let wall_ms = self.open_wall_ms(start_ticks);
        self.segment.streamed += data.len();
        self.ready.push_back(Output::Chunk(Chunk {
            index: self.next_index,
            wall_ms,
            data,
            format: self.format,
        }));
    }

    /// Mux one frame; false when its track is not in the PMT.
    fn write_frame(&mut self, frame: &Frame) -> bool {
        let written = match frame {
            Frame::Video {
                pts,
                dts,
                keyframe,
                au,
            } => {
                // A shift larger than the one learnt from the first segment:
                // keep PTS ≥ DTS for this frame.
                let dts = (dts - self.dts_shift).min(*pts);
                self.room(au.len());
                self.muxer
                    .write_video(*pts, dts, *keyframe, au.chunks(), self.writer.buf())
            }
            Frame::Audio { pts, adts, raw } => {
                self.room(adts.len() + raw.len());
                self.muxer
                    .write_audio(*pts, &[&adts[..], &raw[..]], self.writer.buf())
            }
            // fMP4 samples never reach the TS muxer (write_or_carry keeps them).
            Frame::Sample { .. } => return true,
        };
        match written {
            Ok(()) => true,
            Err(livechannel_mpegts::Error::TrackNotInProgram { .. }) => false,
            Err(e) => {
                // Cannot happen for frames the checks above let in; counted, never hidden.
                debug_assert!(false, "muxer refused a frame: {e}");
                self.stats.damaged_frames += 1;
                true
            }
        }
    }

    /// Mux the first segment's held frames, in decode order, and open it.
    fn write_held(&mut self, mut frames: Vec<Frame>) {
        for f in &frames {
            if let Frame::Video { pts, dts, .. } = f {
                self.dts_shift = self.dts_shift.max(dts - pts);
            }
        }
        self.stats.dts_shift = self.dts_shift;
        let shift = self.dts_shift;
        // The muxer needs decode order across both tracks (PCR from DTS).
        frames.sort_by_key(|f| match f {
            Frame::Video { dts, .. } | Frame::Sample { dts, .. } => dts - shift,
            Frame::Audio { pts, .. } => *pts,
        });
        if self.format == SegmentFormat::Fmp4 {
            self.phase = Phase::InSegment;
            self.fmp4.pending.extend(frames);
            return;
        }
        let video = self.video.is_some() || self.segment.start.has_video();
        let audio = self.audio.is_some() || self.segment.audio_frames > 0;
        let tracks = self.muxer.set_tracks(video, audio);
        debug_assert!(tracks.is_ok(), "a segment always has at least one track");
        self.room(0);
        self.muxer.start_segment(self.writer.buf());
        self.phase = Phase::InSegment;
        // Each frame's input goes as soon as it is muxed: the stream holds
        // the held frames or their TS, not both.
        for f in frames {
            self.write_frame(&f);
        }
    }
}
