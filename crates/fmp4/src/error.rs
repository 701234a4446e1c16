//! The one error type of this crate.

/// Why the muxer refused a configuration or a fragment.
///
/// Every variant carries the values needed to see what went wrong. A refused
/// call writes nothing and changes no state, so the caller may keep using
/// the muxer after an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration lists no track.
    #[error("no track configured: an init segment needs at least one")]
    NoTracks,
    /// More tracks than track IDs fit in the boxes (never reached in practice).
    #[error("{count} tracks configured, at most {max} supported")]
    TooManyTracks {
        /// Tracks in the configuration.
        count: usize,
        /// The largest count accepted.
        max: usize,
    },
    /// An audio sample rate of 0, or above 65535 Hz: the `mp4a` sample entry
    /// holds the rate as 16.16 fixed point.
    #[error("track {track_id}: sample rate {rate} Hz is outside 1..=65535")]
    SampleRateOutOfRange {
        /// Track ID (1-based position in the configuration).
        track_id: u32,
        /// The rejected value.
        rate: u32,
    },
    /// An audio track with 0 channels.
    #[error("track {track_id}: channel count 0")]
    NoChannels {
        /// Track ID (1-based position in the configuration).
        track_id: u32,
    },
    /// A codec configuration record larger than any real one; refusing it
    /// keeps every box and descriptor length of the init segment in range.
    #[error("track {track_id}: codec configuration of {len} bytes exceeds {max} bytes")]
    ConfigTooLarge {
        /// Track ID (1-based position in the configuration).
        track_id: u32,
        /// The size given.
        len: u64,
        /// The largest size accepted.
        max: u64,
    },
    /// The fragment's list of tracks does not match the configuration.
    #[error("fragment has sample lists for {got} tracks, the muxer has {expected}")]
    TrackCountMismatch {
        /// Tracks in the configuration.
        expected: usize,
        /// Sample lists passed.
        got: usize,
    },
    /// Every track of the fragment is empty.
    #[error("fragment holds no sample")]
    EmptyFragment,
    /// A sample is larger than the 32-bit `sample_size` field of `trun`.
    #[error("track {track_id} sample {index}: {size} bytes exceeds the 32-bit sample size")]
    SampleTooLarge {
        /// Track ID.
        track_id: u32,
        /// Position of the sample in its track's list.
        index: usize,
        /// The sample's size (sum of its gather list).
        size: u64,
    },
    /// A track holds more samples than the 32-bit `sample_count` of `trun`.
    #[error("track {track_id}: {count} samples exceed the 32-bit sample count")]
    TooManySamples {
        /// Track ID.
        track_id: u32,
        /// Samples given.
        count: usize,
    },
    /// Inside one fragment a track's samples must follow each other without
    /// gap or overlap: `trun` has no per-sample time, only durations.
    #[error(
        "track {track_id} sample {index}: dts {dts}, expected {expected} (previous dts + duration)"
    )]
    NonContiguousDts {
        /// Track ID.
        track_id: u32,
        /// Position of the sample in its track's list.
        index: usize,
        /// The sample's dts.
        dts: u64,
        /// Previous dts + previous duration.
        expected: u64,
    },
    /// A fragment starts before the end of the track's previous fragment.
    #[error("track {track_id}: fragment starts at dts {dts}, before the previous fragment ends at {previous_end}")]
    DtsBackwards {
        /// Track ID.
        track_id: u32,
        /// First dts of the refused fragment.
        dts: u64,
        /// Last dts + duration of the previous fragment.
        previous_end: u64,
    },
    /// dts + duration does not fit in 64 bits.
    #[error("track {track_id} sample {index}: dts {dts} + duration {duration} overflows 64 bits")]
    TimestampOverflow {
        /// Track ID.
        track_id: u32,
        /// Position of the sample in its track's list.
        index: usize,
        /// The sample's dts.
        dts: u64,
        /// The sample's duration.
        duration: u32,
    },
    /// The `moof` box, or the offset from its start to a track's first byte
    /// in `mdat`, exceeds what the 32-bit box size or the signed 32-bit
    /// `trun` data offset can hold. Split the fragment.
    #[error("track {track_id}: data offset {offset} exceeds the signed 32-bit trun field; split the fragment")]
    DataOffsetOverflow {
        /// Track ID.
        track_id: u32,
        /// The offset from the first byte of `moof`.
        offset: u64,
    },
    /// The fragment's total size does not fit in 64 bits (only reachable
    /// with gather lists that repeat shared buffers).
    #[error("fragment size overflows 64 bits")]
    FragmentTooLarge,
    /// The 32-bit `mfhd` sequence number ran out (after 2^32 − 1 fragments).
    #[error("fragment sequence number exhausted")]
    SequenceExhausted,
}
