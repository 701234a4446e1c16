//! AVCC (length-prefixed) to Annex B (start-code) conversion for MPEG-TS (H.264 Annex B,
//! access unit order §7.4.1.2.3).

mod parameter_sets;

use bytes::Bytes;

use crate::h264::avcc::AvcDecoderConfigurationRecord;
use crate::h264::nal::nal_unit_type;
use crate::Error;
use parameter_sets::ParameterSets;

const START_CODE: &[u8] = &[0, 0, 0, 1];
/// Start code + access unit delimiter with primary_pic_type 7 (any slice type) and the stop bit.
const AUD: &[u8] = &[0, 0, 0, 1, 0x09, 0xF0];

const TYPE_IDR: u8 = 5;
const TYPE_SPS: u8 = 7;
const TYPE_PPS: u8 = 8;
const TYPE_AUD: u8 = 9;

/// An Annex B access unit as a gather list: start codes (static) and NAL units (zero-copy
/// slices of the AVCC input or of the configuration record).
///
/// Hand [`chunks`](Self::chunks) to a vectored writer or a TS packetiser; call
/// [`to_vec`](Self::to_vec) or [`append_to`](Self::append_to) only when contiguous bytes are
/// needed. Reuse one `AnnexB` across frames with [`clear`](Self::clear) to keep its allocation.
///
/// ```
/// use livechannel_codec::h264::AnnexB;
/// let out = AnnexB::new();
/// assert!(out.is_empty());
/// assert_eq!(out.to_vec(), Vec::<u8>::new());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnexB {
    chunks: Vec<Bytes>,
    len: usize,
}

impl AnnexB {
    /// An empty gather list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Removes all chunks, keeping the allocation.
    pub fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
    }

    /// The chunks in output order; their concatenation is the Annex B byte stream.
    pub fn chunks(&self) -> &[Bytes] {
        &self.chunks
    }

    /// Total length in bytes of all chunks.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies the chunks into one contiguous vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len);
        self.append_to(&mut v);
        v
    }

    /// Appends the bytes of all chunks to `out`.
    pub fn append_to(&self, out: &mut Vec<u8>) {
        out.reserve(self.len);
        for c in &self.chunks {
            out.extend_from_slice(c);
        }
    }

    /// Joins the chunks into one buffer of its own (a copy). The chunks
    /// are slices of the input, and each keeps its whole receive buffer
    /// alive: an access unit held for long (while a segmenter learns the
    /// stream) should hold only its own bytes.
    ///
    /// ```
    /// use livechannel_codec::h264::AnnexB;
    /// let mut au = AnnexB::new();
    /// au.compact();
    /// assert!(au.chunks().is_empty() && au.to_vec().is_empty());
    /// ```
    pub fn compact(&mut self) {
        if !self.chunks.is_empty() {
            self.chunks = vec![Bytes::from(self.to_vec())];
        }
    }

    fn push(&mut self, chunk: Bytes) {
        self.len += chunk.len();
        self.chunks.push(chunk);
    }

    fn push_nal(&mut self, nal: Bytes) {
        self.push(Bytes::from_static(START_CODE));
        self.push(nal);
    }

    fn truncate(&mut self, chunks: usize, len: usize) {
        self.chunks.truncate(chunks);
        self.len = len;
    }
}

/// What [`AnnexBConverter::convert`] found and did in one access unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccessUnitInfo {
    /// The access unit contains an IDR slice (NAL unit type 5): a segment may start here.
    pub keyframe: bool,
    /// Non-empty NAL units taken from the AVCC input (inserted AUD and parameter sets excluded).
    pub nal_count: usize,
    /// An access unit delimiter was inserted at the front.
    pub inserted_aud: bool,
    /// SPS and/or PPS from the current configuration were inserted before the IDR slice.
    pub inserted_parameter_sets: bool,
}

/// Converts AVCC access units (FLV video tag data) to Annex B for MPEG-TS, following what
/// Apple's HLS tools and players expect:
///
/// - every access unit starts with an access unit delimiter (`00 00 00 01 09 F0`), unless its
///   first NAL unit already is one (it is never duplicated);
/// - before the first IDR slice of an access unit, the current SPS and PPS are inserted when the
///   access unit does not carry them itself (if it has its own SPS but no PPS, only the PPS
///   is inserted; if it lacks the SPS, both are, so the SPS always comes first);
/// - SPS and PPS found in an access unit stay in the output and replace the current ones with
///   the same id, so later IDRs repeat the newest parameter sets;
/// - every NAL unit gets a 4-byte start code (`00 00 00 01`); zero-length NAL units are dropped.
///
/// The converter holds only `Bytes` handles, so converting copies no NAL payload.
///
/// ```
/// use bytes::Bytes;
/// use livechannel_codec::h264::{AnnexB, AnnexBConverter, AvcDecoderConfigurationRecord};
///
/// let config = AvcDecoderConfigurationRecord {
///     profile_indication: 66, profile_compatibility: 0xC0, level_indication: 30, length_size: 4,
///     sps: vec![Bytes::from_static(&[0x67, 0x42])],
///     pps: vec![Bytes::from_static(&[0x68, 0xCE])],
///     high_profile_ext: None,
/// };
/// let mut converter = AnnexBConverter::new(&config);
/// let mut out = AnnexB::new();
/// // One IDR slice NAL unit of 3 bytes, with a 4-byte length prefix.
/// let avcc = Bytes::from_static(&[0, 0, 0, 3, 0x65, 0x88, 0x84]);
/// let info = converter.convert(&avcc, &mut out)?;
/// assert!(info.keyframe && info.inserted_aud && info.inserted_parameter_sets);
/// assert_eq!(out.to_vec(), [
///     0, 0, 0, 1, 0x09, 0xF0,
///     0, 0, 0, 1, 0x67, 0x42,
///     0, 0, 0, 1, 0x68, 0xCE,
///     0, 0, 0, 1, 0x65, 0x88, 0x84,
/// ]);
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AnnexBConverter {
    length_size: u8,
    parameter_sets: ParameterSets,
}

/// What the first pass learned about an access unit.
#[derive(Default)]
struct Scan {
    nal_count: usize,
    first_is_aud: bool,
    /// Index (among non-empty NAL units) of the first IDR slice.
    first_idr: Option<usize>,
    sps_before_idr: bool,
    pps_before_idr: bool,
}

impl AnnexBConverter {
    /// A converter using the record's NAL length size and parameter sets.
    pub fn new(config: &AvcDecoderConfigurationRecord) -> Self {
        let mut c = AnnexBConverter {
            length_size: 4,
            parameter_sets: ParameterSets::default(),
        };
        c.set_config(config);
        c
    }

    /// Replaces the length size and the current parameter sets, for a new sequence header
    /// received mid-stream.
    pub fn set_config(&mut self, config: &AvcDecoderConfigurationRecord) {
        self.length_size = config.length_size;
        self.parameter_sets.replace(&config.sps, &config.pps);
    }

    /// Converts one AVCC access unit (the FLV video tag's data after its 5-byte header) to
    /// Annex B, appending to `out`; the caller clears `out` between access units if it wants.
    ///
    /// Errors: [`Error::NalLengthOutOfBounds`] when a NAL length runs past the end of the data,
    /// [`Error::TruncatedNalLength`] when the data ends inside a length prefix, and
    /// [`Error::InvalidLengthSize`] when the configured length size is not 1 to 4. On error
    /// nothing is appended to `out` and the current parameter sets are unchanged.
    /// An access unit without any non-empty NAL unit appends nothing.
    pub fn convert(&mut self, avcc: &Bytes, out: &mut AnnexB) -> Result<AccessUnitInfo, Error> {
        let scan = self.scan(avcc)?;
        let mut info = AccessUnitInfo {
            keyframe: scan.first_idr.is_some(),
            nal_count: scan.nal_count,
            ..AccessUnitInfo::default()
        };
        if scan.nal_count == 0 {
            return Ok(info);
        }
        let (chunks_before, len_before) = (out.chunks.len(), out.len);
        if !scan.first_is_aud {
            out.push(Bytes::from_static(AUD));
            info.inserted_aud = true;
        }
        let mut index = 0;
        let result = self.for_each_nal(avcc, |this, nal| {
            let ty = nal.first().map_or(0, |&h| nal_unit_type(h));
            if Some(index) == scan.first_idr {
                if !scan.sps_before_idr {
                    info.inserted_parameter_sets |= this.parameter_sets.write_sps(out);
                    info.inserted_parameter_sets |= this.parameter_sets.write_pps(out);
                } else if !scan.pps_before_idr {
                    info.inserted_parameter_sets |= this.parameter_sets.write_pps(out);
                }
            }
            match ty {
                TYPE_SPS => this.parameter_sets.update_sps(&nal),
                TYPE_PPS => this.parameter_sets.update_pps(&nal),
                _ => {}
            }
            out.push_nal(nal);
            index += 1;
        });
        if let Err(e) = result {
            // Unreachable after a successful scan of the same bytes, but keep `out` consistent.
            out.truncate(chunks_before, len_before);
            return Err(e);
        }
        Ok(info)
    }

    /// Validates the framing and finds the AUD, IDR and parameter set positions.
    fn scan(&self, avcc: &Bytes) -> Result<Scan, Error> {
        let mut scan = Scan::default();
        walk(avcc, self.length_size, |range| {
            let ty = avcc.get(range.0).map_or(0, |&h| nal_unit_type(h));
            if scan.nal_count == 0 && ty == TYPE_AUD {
                scan.first_is_aud = true;
            }
            if scan.first_idr.is_none() {
                match ty {
                    TYPE_IDR => scan.first_idr = Some(scan.nal_count),
                    TYPE_SPS => scan.sps_before_idr = true,
                    TYPE_PPS => scan.pps_before_idr = true,
                    _ => {}
                }
            }
            scan.nal_count += 1;
        })?;
        Ok(scan)
    }

    fn for_each_nal(
        &mut self,
        avcc: &Bytes,
        mut f: impl FnMut(&mut Self, Bytes),
    ) -> Result<(), Error> {
        let length_size = self.length_size;
        walk(avcc, length_size, |(start, end)| {
            f(self, avcc.slice(start..end));
        })
    }
}

/// Calls `f` with the byte range of each non-empty NAL unit of an AVCC access unit.
fn walk(data: &[u8], length_size: u8, mut f: impl FnMut((usize, usize))) -> Result<(), Error> {
    if !(1..=4).contains(&length_size) {
        return Err(Error::InvalidLengthSize { length_size });
    }
    let ls = usize::from(length_size);
    let mut pos = 0;
    while pos < data.len() {
        let prefix = data.get(pos..pos + ls).ok_or(Error::TruncatedNalLength {
            offset: pos,
            length_size,
            remaining: data.len() - pos,
        })?;
        let length = prefix
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let start = pos + ls;
        let remaining = data.len() - start;
        if length > remaining {
            return Err(Error::NalLengthOutOfBounds {
                offset: start,
                length,
                remaining,
            });
        }
        let end = start + length;
        if length > 0 {
            f((start, end));
        }
        pos = end;
    }
    Ok(())
}
