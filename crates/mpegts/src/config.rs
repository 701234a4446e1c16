//! Muxer configuration and its validation.

use crate::Error;

/// How the muxer lays out its program: which tracks exist, their PIDs and
/// how often a PCR is sent.
///
/// The defaults are the ones FFmpeg's `mpegts` muxer uses (PMT on 0x1000,
/// first elementary stream on 0x100), so segments look familiar in analysers.
///
/// ```
/// use livechannel_mpegts::MuxerConfig;
/// let audio_only = MuxerConfig { video: false, ..MuxerConfig::default() };
/// assert_eq!(audio_only.audio_pid, 0x101);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuxerConfig {
    /// The program has an H.264 track (stream type 0x1B).
    pub video: bool,
    /// The program has an AAC ADTS track (stream type 0x0F).
    pub audio: bool,
    /// PID of the program map table. Default 0x1000.
    pub pmt_pid: u16,
    /// PID of the video elementary stream. Default 0x100.
    pub video_pid: u16,
    /// PID of the audio elementary stream. Default 0x101.
    pub audio_pid: u16,
    /// Program number in the PAT and PMT (not 0). Default 1.
    pub program_number: u16,
    /// Longest gap, in 90 kHz ticks of DTS, between two PCRs before a PES on
    /// a PID other than the PCR PID forces a PCR-only packet. Default 3600 (40 ms).
    pub pcr_period: i64,
}

impl Default for MuxerConfig {
    fn default() -> Self {
        MuxerConfig {
            video: true,
            audio: true,
            pmt_pid: 0x1000,
            video_pid: 0x100,
            audio_pid: 0x101,
            program_number: 1,
            pcr_period: 3600,
        }
    }
}

/// PIDs 0x0000..=0x000F are reserved for tables (PAT, CAT, NIT, ...) and 0x1FFF is the null packet.
const USABLE_PIDS: std::ops::RangeInclusive<u16> = 0x0010..=0x1FFE;

impl MuxerConfig {
    /// Checks the rules [`Muxer::new`](crate::Muxer::new) enforces.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let roles = [
            ("pmt", self.pmt_pid),
            ("video", self.video_pid),
            ("audio", self.audio_pid),
        ];
        for (role, pid) in roles {
            if !USABLE_PIDS.contains(&pid) {
                return Err(Error::PidOutOfRange { role, pid });
            }
        }
        for (i, &(first, a)) in roles.iter().enumerate() {
            for &(second, b) in roles.iter().skip(i + 1) {
                if a == b {
                    return Err(Error::DuplicatePid {
                        first,
                        second,
                        pid: a,
                    });
                }
            }
        }
        if self.program_number == 0 {
            return Err(Error::ReservedProgramNumber);
        }
        if self.pcr_period < 1 {
            return Err(Error::InvalidPcrPeriod {
                period: self.pcr_period,
            });
        }
        if !self.video && !self.audio {
            return Err(Error::NoTracks);
        }
        Ok(())
    }
}
