//! The samples of a fragment as the caller hands them over.

use bytes::Bytes;

/// The bytes of one sample: one buffer, or a gather list whose
/// concatenation is the sample (e.g. NAL units kept apart).
///
/// Either way the muxer never copies them except in
/// [`Muxer::write_fragment`](crate::Muxer::write_fragment); the
/// gather variant of the muxer passes on cheap `Bytes` clones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleData {
    /// The whole sample in one buffer.
    One(Bytes),
    /// The sample as consecutive pieces.
    Gather(Vec<Bytes>),
}

impl SampleData {
    /// The pieces in order (one for [`SampleData::One`]).
    pub fn chunks(&self) -> &[Bytes] {
        match self {
            SampleData::One(b) => std::slice::from_ref(b),
            SampleData::Gather(list) => list,
        }
    }

    /// Total size in bytes.
    pub fn len(&self) -> u64 {
        self.chunks().iter().fold(0u64, |sum, c| {
            sum.saturating_add(u64::try_from(c.len()).unwrap_or(u64::MAX))
        })
    }

    /// Whether the sample has no byte at all.
    pub fn is_empty(&self) -> bool {
        self.chunks().iter().all(Bytes::is_empty)
    }
}

impl From<Bytes> for SampleData {
    fn from(b: Bytes) -> Self {
        SampleData::One(b)
    }
}

impl From<Vec<Bytes>> for SampleData {
    fn from(list: Vec<Bytes>) -> Self {
        SampleData::Gather(list)
    }
}

impl From<&'static [u8]> for SampleData {
    fn from(b: &'static [u8]) -> Self {
        SampleData::One(Bytes::from_static(b))
    }
}

/// One sample (access unit, AAC frame, AV1 temporal unit) of a track.
///
/// Times are in the track's timescale ([`Codec::timescale`](crate::Codec::timescale)).
/// Within a fragment, each sample of a track must start where the previous
/// one ends: `dts[i + 1] == dts[i] + duration[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Decode time. The first sample's becomes the `tfdt` of its track.
    pub dts: u64,
    /// Time until the next sample's dts.
    pub duration: u32,
    /// Presentation time minus decode time (negative is allowed: `trun`
    /// version 1 carries signed offsets).
    pub composition_offset: i32,
    /// A sync sample (IDR / key frame): decodable without earlier samples.
    /// AAC frames are all sync samples.
    pub is_sync: bool,
    /// The sample bytes as the codec binding stores them (length-prefixed
    /// NAL units for H.264/H.265, OBUs for AV1, raw AAC frames).
    pub data: SampleData,
}
