//! NAL unit headers, emulation prevention and Annex B byte-stream splitting (H.264 §7.3.1, Annex B).

use std::borrow::Cow;

/// `nal_unit_type` values of H.264 Table 7-1 that this workspace cares about.
///
/// Convert a header byte with [`NalUnitType::from_header`], or compare raw values with
/// `NalUnitType::Sps as u8`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum NalUnitType {
    /// Coded slice of a non-IDR picture.
    NonIdrSlice = 1,
    /// Coded slice data partition A.
    SliceDataA = 2,
    /// Coded slice data partition B.
    SliceDataB = 3,
    /// Coded slice data partition C.
    SliceDataC = 4,
    /// Coded slice of an IDR picture: the access unit is a random access point.
    IdrSlice = 5,
    /// Supplemental enhancement information.
    Sei = 6,
    /// Sequence parameter set.
    Sps = 7,
    /// Picture parameter set.
    Pps = 8,
    /// Access unit delimiter.
    AccessUnitDelimiter = 9,
    /// End of sequence.
    EndOfSequence = 10,
    /// End of stream.
    EndOfStream = 11,
    /// Filler data.
    FillerData = 12,
    /// Sequence parameter set extension.
    SpsExtension = 13,
    /// Prefix NAL unit (SVC/MVC).
    PrefixNal = 14,
    /// Subset sequence parameter set (SVC/MVC).
    SubsetSps = 15,
    /// Depth parameter set.
    DepthParameterSet = 16,
    /// Coded slice of an auxiliary coded picture.
    AuxiliarySlice = 19,
    /// Coded slice extension (SVC/MVC).
    SliceExtension = 20,
    /// Coded slice extension for a depth view component.
    SliceExtensionDepth = 21,
}

impl NalUnitType {
    /// The type named by a 5-bit `nal_unit_type` value; `None` for unspecified and reserved values.
    pub fn from_u8(value: u8) -> Option<Self> {
        use NalUnitType::*;
        Some(match value {
            1 => NonIdrSlice,
            2 => SliceDataA,
            3 => SliceDataB,
            4 => SliceDataC,
            5 => IdrSlice,
            6 => Sei,
            7 => Sps,
            8 => Pps,
            9 => AccessUnitDelimiter,
            10 => EndOfSequence,
            11 => EndOfStream,
            12 => FillerData,
            13 => SpsExtension,
            14 => PrefixNal,
            15 => SubsetSps,
            16 => DepthParameterSet,
            19 => AuxiliarySlice,
            20 => SliceExtension,
            21 => SliceExtensionDepth,
            _ => return None,
        })
    }

    /// The type of the NAL unit whose first byte is `header`.
    ///
    /// ```
    /// use livechannel_codec::h264::NalUnitType;
    /// assert_eq!(NalUnitType::from_header(0x67), Some(NalUnitType::Sps));
    /// assert_eq!(NalUnitType::from_header(0x65), Some(NalUnitType::IdrSlice));
    /// ```
    pub fn from_header(header: u8) -> Option<Self> {
        Self::from_u8(nal_unit_type(header))
    }
}

/// The 5-bit `nal_unit_type` of a NAL unit header byte.
pub fn nal_unit_type(header: u8) -> u8 {
    header & 0x1F
}

/// Removes emulation prevention bytes (`00 00 03` → `00 00`), turning NAL unit payload bytes into
/// RBSP bytes. Borrows when there is nothing to remove.
///
/// ```
/// use livechannel_codec::h264::remove_emulation_prevention;
/// assert_eq!(&*remove_emulation_prevention(&[1, 0, 0, 3, 1]), &[1, 0, 0, 1]);
/// ```
pub fn remove_emulation_prevention(data: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = find_emulation_prevention(data, 0) else {
        return Cow::Borrowed(data);
    };
    let mut out = Vec::with_capacity(data.len());
    let mut copied_to = 0;
    let mut next = Some(first);
    while let Some(i) = next {
        out.extend_from_slice(data.get(copied_to..i).unwrap_or_default());
        copied_to = i + 1;
        next = find_emulation_prevention(data, copied_to);
    }
    out.extend_from_slice(data.get(copied_to..).unwrap_or_default());
    Cow::Owned(out)
}

/// Index of the next `03` that follows two zero bytes, scanning from `from`. The zeros must lie
/// at or after `from`, so a removed `03` never counts as part of the next pattern.
fn find_emulation_prevention(data: &[u8], from: usize) -> Option<usize> {
    let mut zeros = 0;
    for (i, &b) in data.iter().enumerate().skip(from) {
        if zeros >= 2 && b == 3 {
            return Some(i);
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
    None
}

/// Splits an Annex B byte stream at its start codes (`00 00 01`, or `00 00 00 01`) and yields each
/// NAL unit without its start code and without trailing zero bytes. Bytes before the first start
/// code and empty NAL units are skipped.
///
/// ```
/// use livechannel_codec::h264::annexb_nal_units;
/// let stream = [0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x65, 0x88, 0, 0];
/// let nals: Vec<&[u8]> = annexb_nal_units(&stream).collect();
/// assert_eq!(nals, [&[0x09, 0xF0][..], &[0x65, 0x88][..]]);
/// ```
pub fn annexb_nal_units(data: &[u8]) -> AnnexBNalUnits<'_> {
    let rest = match find_start_code(data, 0) {
        Some((_, payload_start)) => data.get(payload_start..).unwrap_or_default(),
        None => &[],
    };
    AnnexBNalUnits { rest }
}

/// Iterator returned by [`annexb_nal_units`].
#[derive(Debug, Clone)]
pub struct AnnexBNalUnits<'a> {
    /// The bytes after the last start code found.
    rest: &'a [u8],
}

impl<'a> Iterator for AnnexBNalUnits<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        while !self.rest.is_empty() {
            let (nal, rest) = match find_start_code(self.rest, 0) {
                Some((sc_start, payload_start)) => (
                    self.rest.get(..sc_start).unwrap_or_default(),
                    self.rest.get(payload_start..).unwrap_or_default(),
                ),
                None => (self.rest, &[][..]),
            };
            self.rest = rest;
            let end = nal.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            let nal = nal.get(..end).unwrap_or_default();
            if !nal.is_empty() {
                return Some(nal);
            }
        }
        None
    }
}

/// Finds the next `00 00 01` at or after `from`; returns (index of its first zero, index after the 01).
fn find_start_code(data: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while let Some(window) = data.get(i..i + 3) {
        if window[2] > 1 {
            // Neither this position nor the next two can start a start code.
            i += 3;
        } else if window == [0, 0, 1] {
            return Some((i, i + 3));
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nal_types() {
        assert_eq!(nal_unit_type(0x67), 7);
        assert_eq!(nal_unit_type(0x41), 1);
        assert_eq!(
            NalUnitType::from_header(0x09),
            Some(NalUnitType::AccessUnitDelimiter)
        );
        assert_eq!(NalUnitType::from_u8(0), None);
        assert_eq!(NalUnitType::from_u8(23), None);
        for v in 0..32u8 {
            if let Some(t) = NalUnitType::from_u8(v) {
                assert_eq!(t as u8, v);
            }
        }
    }

    #[test]
    fn emulation_prevention_is_removed() {
        assert!(matches!(
            remove_emulation_prevention(&[0, 0, 1, 3]),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            &*remove_emulation_prevention(&[0, 0, 3, 0, 0, 3, 0, 0, 3]),
            &[0, 0, 0, 0, 0, 0]
        );
        // The zero after a removed 03 starts a new count.
        assert_eq!(
            &*remove_emulation_prevention(&[0, 0, 3, 0, 3, 0, 0, 3, 1]),
            &[0, 0, 0, 3, 0, 0, 1]
        );
    }

    #[test]
    fn splits_three_and_four_byte_start_codes() {
        let data = [
            0xAA, 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 0, 1, 0x65, 0, 0, 0, 0, 1,
        ];
        let nals: Vec<&[u8]> = annexb_nal_units(&data).collect();
        assert_eq!(nals, [&[0x67, 1, 2][..], &[0x68, 3][..], &[0x65][..]]);
        assert_eq!(annexb_nal_units(&[1, 2, 3]).count(), 0);
        assert_eq!(annexb_nal_units(&[]).count(), 0);
        assert_eq!(annexb_nal_units(&[0, 0, 1]).count(), 0);
    }
}
