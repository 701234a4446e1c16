//! Length-prefixed NAL units (the "AVCC"/"HVCC" framing of ISO/IEC 14496-15 §5.3.2 and §8.3.2),
//! shared by H.264 and HEVC.

use bytes::Bytes;

use crate::Error;

/// Splits an access unit framed with `length_size`-byte big-endian NAL unit lengths (the
/// `length_size` of the avcC or hvcC record) into zero-copy NAL unit slices.
///
/// Zero-length NAL units are skipped. The first framing error ends the iteration: the caller must
/// stop at the first `Err` (the iterator yields nothing after it). A `length_size` other than 1,
/// 2 or 4 gives one [`Error::InvalidLengthSize`].
///
/// ```
/// use bytes::Bytes;
/// use livechannel_codec::length_prefixed_nal_units;
///
/// let au = Bytes::from_static(&[0, 0, 0, 2, 0x40, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0x26]);
/// let nals: Vec<Bytes> = length_prefixed_nal_units(&au, 4).collect::<Result<_, _>>()?;
/// assert_eq!(nals, [&[0x40, 0x01][..], &[0x26][..]]);
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
pub fn length_prefixed_nal_units(data: &Bytes, length_size: u8) -> LengthPrefixedNalUnits {
    LengthPrefixedNalUnits {
        data: data.clone(),
        length_size,
        pos: 0,
        done: false,
    }
}

/// The iterator of [`length_prefixed_nal_units`].
#[derive(Debug, Clone)]
pub struct LengthPrefixedNalUnits {
    data: Bytes,
    length_size: u8,
    pos: usize,
    done: bool,
}

impl LengthPrefixedNalUnits {
    fn next_nal(&mut self) -> Option<Result<Bytes, Error>> {
        if !matches!(self.length_size, 1 | 2 | 4) {
            return Some(Err(Error::InvalidLengthSize {
                length_size: self.length_size,
            }));
        }
        loop {
            let remaining = self.data.len().saturating_sub(self.pos);
            if remaining == 0 {
                return None;
            }
            let size = usize::from(self.length_size);
            let Some(prefix) = self.data.get(self.pos..self.pos + size) else {
                return Some(Err(Error::TruncatedNalLength {
                    offset: self.pos,
                    length_size: self.length_size,
                    remaining,
                }));
            };
            let length = prefix
                .iter()
                .fold(0usize, |a, &b| (a << 8) | usize::from(b));
            let start = self.pos + size;
            let available = self.data.len() - start;
            if length > available {
                return Some(Err(Error::NalLengthOutOfBounds {
                    offset: start,
                    length,
                    remaining: available,
                }));
            }
            self.pos = start + length;
            if length > 0 {
                return Some(Ok(self.data.slice(start..start + length)));
            }
        }
    }
}

impl Iterator for LengthPrefixedNalUnits {
    type Item = Result<Bytes, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_nal();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_end_the_iteration() {
        let au = Bytes::from_static(&[0, 3, 1, 2]);
        let mut it = length_prefixed_nal_units(&au, 2);
        assert_eq!(
            it.next(),
            Some(Err(Error::NalLengthOutOfBounds {
                offset: 2,
                length: 3,
                remaining: 2
            }))
        );
        assert_eq!(it.next(), None);
        let mut it = length_prefixed_nal_units(&au, 3);
        assert!(matches!(
            it.next(),
            Some(Err(Error::InvalidLengthSize { .. }))
        ));
        assert_eq!(it.next(), None);
        let au = Bytes::from_static(&[0]);
        let mut it = length_prefixed_nal_units(&au, 2);
        assert!(matches!(
            it.next(),
            Some(Err(Error::TruncatedNalLength { .. }))
        ));
    }
}
