//! The one error type of this crate.

/// Why the muxer refused a configuration or an access unit.
///
/// Every variant carries the values needed to see what went wrong; none
/// of them leaves the muxer in a broken state, so the caller may keep
/// using it after an error (the refused call wrote nothing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A PID is reserved (below 0x0010) or is the null PID 0x1FFF.
    #[error("{role} pid {pid:#06x} is outside the usable range 0x0010..=0x1ffe")]
    PidOutOfRange {
        /// Which configured PID: `"pmt"`, `"video"` or `"audio"`.
        role: &'static str,
        /// The rejected value.
        pid: u16,
    },
    /// Two roles were given the same PID.
    #[error("{first} and {second} both use pid {pid:#06x}")]
    DuplicatePid {
        /// The first role using the PID.
        first: &'static str,
        /// The second role using the PID.
        second: &'static str,
        /// The shared value.
        pid: u16,
    },
    /// Program number 0 is reserved in the PAT for the network PID.
    #[error("program number 0 is reserved for the network information pid")]
    ReservedProgramNumber,
    /// The PCR period must be a positive number of 90 kHz ticks.
    #[error("pcr period must be at least 1 tick of 90 khz, got {period}")]
    InvalidPcrPeriod {
        /// The rejected value.
        period: i64,
    },
    /// Neither video nor audio was enabled.
    #[error("no track enabled: a program needs video, audio or both")]
    NoTracks,
    /// A PES was written for a track that the current PMT does not list.
    #[error("the {track} track is not in the current program map table")]
    TrackNotInProgram {
        /// `"video"` or `"audio"`.
        track: &'static str,
    },
    /// The access unit is larger than one PES of this track may carry.
    #[error("{track} payload of {len} bytes exceeds the limit of {max} bytes per pes packet")]
    PayloadTooLarge {
        /// `"video"` or `"audio"`.
        track: &'static str,
        /// The payload size given (sum of the gather list).
        len: u64,
        /// The largest payload accepted.
        max: u64,
    },
}
