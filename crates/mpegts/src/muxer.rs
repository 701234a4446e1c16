//! The muxer state machine: continuity counters, PMT version and PCR pacing.

use crate::config::MuxerConfig;
use crate::gather::Gather;
use crate::packet::{self, AdaptationFlags, Pes, MASK_33};
use crate::pes::{self, PesHeader, MAX_BOUNDED_PAYLOAD, STREAM_ID_AUDIO, STREAM_ID_VIDEO};
use crate::psi::{self, Stream, STREAM_TYPE_AAC_ADTS, STREAM_TYPE_H264};
use crate::{Error, PCR_DELAY, TIMESTAMP_OFFSET};

/// Larger access units than this are certainly not video frames of a live
/// stream; refusing them keeps the packet arithmetic far from overflow.
const MAX_VIDEO_PAYLOAD: u64 = 1 << 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tracks {
    video: bool,
    audio: bool,
}

/// Writes H.264 and AAC access units as a single-program MPEG-2 transport
/// stream, segment after segment.
///
/// The muxer is sans-IO: every call appends whole 188-byte packets to the
/// `out` vector the caller passes, and the caller decides where segments
/// begin and where the bytes go.
///
/// What the caller must do:
/// - call [`start_segment`](Muxer::start_segment) before the first access
///   unit of every segment (it writes the PAT and PMT), and start segments
///   on video keyframes so each one decodes on its own;
/// - pass access units in non-decreasing DTS order across both tracks
///   (audio PTS counts as its DTS). The muxer does not reorder; PCRs are
///   clamped so they never go backwards, but out-of-order input makes the
///   PCR lag behind and the stream harder to play;
/// - keep stream times at or above `PCR_DELAY - TIMESTAMP_OFFSET` (−0.7 s)
///   so PCR values stay positive at the start. Times are 64-bit stream time
///   in 90 kHz ticks; they are written modulo 2^33, so they may grow past
///   the 26.5-hour wrap of the wire format.
///
/// Continuity counters run on across segments, as they would in one long
/// stream; players that fetch segments one by one see each segment start
/// with a PAT and PMT and reset their counters there anyway.
///
/// ```
/// use livechannel_mpegts::{Muxer, MuxerConfig, PACKET_SIZE};
///
/// let mut mux = Muxer::new(MuxerConfig::default())?;
/// let mut segment = Vec::new();
/// mux.start_segment(&mut segment);
/// // An access unit may be handed over in pieces, e.g. AUD + SPS/PPS + slices.
/// let aud = [0, 0, 0, 1, 0x09, 0xF0];
/// let idr = [0, 0, 0, 1, 0x65, 0x88, 0x84];
/// mux.write_video(0, 0, true, &[&aud[..], &idr[..]], &mut segment)?;
/// let adts_frame = [0xFF, 0xF1, 0x50, 0x80, 0x01, 0x3F, 0xFC, 0x21];
/// mux.write_audio(0, &[adts_frame], &mut segment)?;
/// assert_eq!(segment.len(), 4 * PACKET_SIZE); // PAT, PMT, video, audio
/// # Ok::<(), livechannel_mpegts::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Muxer {
    config: MuxerConfig,
    /// Tracks asked for by `set_tracks`, written by the next `start_segment`.
    pending: Tracks,
    /// Tracks of the last PMT written; `None` before the first segment.
    current: Option<Tracks>,
    pmt_version: u8,
    cc_pat: u8,
    cc_pmt: u8,
    cc_video: u8,
    cc_audio: u8,
    /// Last PCR written, in unmasked 90 kHz units, and the DTS it was taken from.
    last_pcr: Option<(i64, i64)>,
    /// Set by `start_segment`: the segment needs a PCR before its first PES.
    pcr_due: bool,
}

impl Muxer {
    /// Creates a muxer for the tracks in `config`.
    ///
    /// Fails if a PID is outside 0x0010..=0x1FFE, two PIDs are equal, the
    /// program number is 0, the PCR period is not positive, or no track is enabled.
    pub fn new(config: MuxerConfig) -> Result<Muxer, Error> {
        config.validate()?;
        let tracks = Tracks {
            video: config.video,
            audio: config.audio,
        };
        Ok(Muxer {
            config,
            pending: tracks,
            current: None,
            pmt_version: 0,
            cc_pat: 0,
            cc_pmt: 0,
            cc_video: 0,
            cc_audio: 0,
            last_pcr: None,
            pcr_due: true,
        })
    }

    /// Tracks present from the next [`start_segment`](Muxer::start_segment)
    /// on: the PMT lists exactly these, and the PCR PID is the video PID if
    /// video is present, else the audio PID. The PMT `version_number` is
    /// bumped when the list changes. Until that segment starts, the tracks
    /// of the current PMT remain the ones that may be written.
    ///
    /// Fails with [`Error::NoTracks`] if both are `false` (nothing changes then).
    pub fn set_tracks(&mut self, video: bool, audio: bool) -> Result<(), Error> {
        if !video && !audio {
            return Err(Error::NoTracks);
        }
        self.pending = Tracks { video, audio };
        Ok(())
    }

    /// Appends a PAT and a PMT to `out`. Call it at the start of every
    /// segment. The next PES on the PCR PID carries a PCR (every one does)
    /// and, for a video keyframe, the `random_access_indicator`; if the next
    /// PES is on another PID, a PCR-only packet precedes it.
    pub fn start_segment(&mut self, out: &mut Vec<u8>) {
        if let Some(current) = self.current {
            if current != self.pending {
                self.pmt_version = (self.pmt_version + 1) & 0x1F;
            }
        }
        let tracks = self.pending;
        self.current = Some(tracks);
        let pcr_pid = self.pcr_pid();
        let config = &self.config;
        out.reserve(2 * crate::PACKET_SIZE);
        psi::write_pat(out, &mut self.cc_pat, config.program_number, config.pmt_pid);

        let video = Stream {
            stream_type: STREAM_TYPE_H264,
            pid: config.video_pid,
        };
        let audio = Stream {
            stream_type: STREAM_TYPE_AAC_ADTS,
            pid: config.audio_pid,
        };
        let both = [video, audio];
        let streams: &[Stream] = match (tracks.video, tracks.audio) {
            (true, true) => &both,
            (true, false) => &both[..1],
            _ => &both[1..],
        };
        psi::write_pmt(
            out,
            &mut self.cc_pmt,
            config.pmt_pid,
            config.program_number,
            self.pmt_version,
            pcr_pid,
            streams,
        );
        self.pcr_due = true;
    }

    /// Writes one access unit (Annex B, starting with an AUD) as one PES
    /// packet on the video PID.
    ///
    /// `payload` is a gather list whose concatenation is the access unit.
    /// `pts` and `dts` are 90 kHz stream time, written as
    /// `(t + TIMESTAMP_OFFSET) mod 2^33`; only a PTS is written when they are
    /// equal. The PES has `PES_packet_length` 0 (unbounded, allowed for
    /// video) and `data_alignment_indicator` 1; its first packet carries a
    /// PCR, and `random_access_indicator` when `keyframe` is set.
    ///
    /// Fails if the current PMT has no video track or the access unit is
    /// larger than 1 GiB; nothing is written then.
    pub fn write_video<B: AsRef<[u8]>>(
        &mut self,
        pts: i64,
        dts: i64,
        keyframe: bool,
        payload: &[B],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        if !self.tracks().video {
            return Err(Error::TrackNotInProgram { track: "video" });
        }
        let len = Gather::total_len(payload);
        if len > MAX_VIDEO_PAYLOAD {
            return Err(Error::PayloadTooLarge {
                track: "video",
                len,
                max: MAX_VIDEO_PAYLOAD,
            });
        }
        let dts_field = (pts != dts).then(|| pes::wire_time(dts));
        let header = PesHeader::new(STREAM_ID_VIDEO, pes::wire_time(pts), dts_field, None);
        // Video, when present, is always the PCR PID.
        let flags = AdaptationFlags {
            pcr: Some(self.next_pcr(dts)),
            random_access: keyframe,
        };
        self.pcr_due = false;
        let pes = Pes {
            pid: self.config.video_pid,
            flags,
            header: header.as_bytes(),
            payload,
            payload_len: len as usize,
        };
        pes.write(out, &mut self.cc_video);
        Ok(())
    }

    /// Writes one audio PES (one or more whole ADTS frames, headers
    /// included) on the audio PID, with a PTS only and an exact
    /// `PES_packet_length`.
    ///
    /// In an audio-only program the audio PID is the PCR PID: the PES then
    /// carries a PCR and the `random_access_indicator` (every ADTS frame is
    /// a random access point). Otherwise a PCR-only packet on the video PID
    /// precedes it when the segment has no PCR yet or the last PCR is
    /// `pcr_period` or more older than `pts`.
    ///
    /// Fails if the current PMT has no audio track or the payload is over
    /// 65527 bytes (65535 − 8 header bytes); nothing is written then.
    pub fn write_audio<B: AsRef<[u8]>>(
        &mut self,
        pts: i64,
        payload: &[B],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let tracks = self.tracks();
        if !tracks.audio {
            return Err(Error::TrackNotInProgram { track: "audio" });
        }
        let len = Gather::total_len(payload);
        if len > MAX_BOUNDED_PAYLOAD as u64 {
            return Err(Error::PayloadTooLarge {
                track: "audio",
                len,
                max: MAX_BOUNDED_PAYLOAD as u64,
            });
        }
        let len = len as usize;
        let header = PesHeader::new(STREAM_ID_AUDIO, pes::wire_time(pts), None, Some(len));
        let flags = if tracks.video {
            if self.pcr_due || self.pcr_is_stale(pts) {
                let pcr = self.next_pcr(pts);
                // A packet without payload repeats the counter of the previous one.
                let last_cc = self.cc_video.wrapping_sub(1) & 0x0F;
                packet::write_pcr_only(out, self.config.video_pid, last_cc, pcr);
            }
            AdaptationFlags::default()
        } else {
            AdaptationFlags {
                pcr: Some(self.next_pcr(pts)),
                random_access: true,
            }
        };
        self.pcr_due = false;
        let pes = Pes {
            pid: self.config.audio_pid,
            flags,
            header: header.as_bytes(),
            payload,
            payload_len: len,
        };
        pes.write(out, &mut self.cc_audio);
        Ok(())
    }

    /// Tracks that may be written now: those of the current PMT.
    fn tracks(&self) -> Tracks {
        self.current.unwrap_or(self.pending)
    }

    fn pcr_pid(&self) -> u16 {
        if self.tracks().video {
            self.config.video_pid
        } else {
            self.config.audio_pid
        }
    }

    fn pcr_is_stale(&self, dts: i64) -> bool {
        match self.last_pcr {
            Some((_, at)) => dts.saturating_sub(at) >= self.config.pcr_period,
            None => true,
        }
    }

    /// The PCR base for a PES with this DTS, never below the previous one.
    fn next_pcr(&mut self, dts: i64) -> u64 {
        let mut pcr = dts.saturating_add(TIMESTAMP_OFFSET - PCR_DELAY);
        if let Some((last, _)) = self.last_pcr {
            pcr = pcr.max(last);
        }
        self.last_pcr = Some((pcr, dts));
        (pcr as u64) & MASK_33
    }
}
