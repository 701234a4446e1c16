//! Bit strings kept verbatim from an AudioSpecificConfig.

use crate::bits::{BitReader, BitWriter};

/// A run of bits copied verbatim from a bitstream, so that `encode` can reproduce parts of an
/// AudioSpecificConfig this crate does not interpret.
///
/// `data` holds the bits MSB first; bits past `bit_len` in the last byte are zero.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawBits {
    /// The bits, MSB first, zero-padded to a whole byte.
    pub data: Vec<u8>,
    /// Number of meaningful bits in `data`.
    pub bit_len: usize,
}

impl RawBits {
    /// Copies bits `start..end` of `data`; positions past the end read as zero.
    pub(crate) fn capture(data: &[u8], start: usize, end: usize) -> RawBits {
        let mut out = Vec::new();
        let mut w = BitWriter::new(&mut out);
        let mut r = BitReader::new(data);
        let mut copied = 0;
        if r.skip(start, "").is_ok() {
            while copied < end.saturating_sub(start) {
                let n = (end - start - copied).min(8) as u32;
                w.write_bits(r.read_bits(n, "").unwrap_or(0), n);
                copied += n as usize;
            }
        }
        RawBits {
            data: out,
            bit_len: copied,
        }
    }

    /// Writes the bits (at most `8 * data.len()` of them).
    pub(crate) fn write(&self, w: &mut BitWriter<'_>) {
        let bits = self.bit_len.min(self.data.len().saturating_mul(8));
        let mut r = BitReader::new(&self.data);
        let mut written = 0;
        while written < bits {
            let n = (bits - written).min(8) as u32;
            w.write_bits(r.read_bits(n, "").unwrap_or(0), n);
            written += n as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_and_write_are_inverse() {
        let data = [0b1010_1100, 0b0101_1111, 0b1000_0001];
        let raw = RawBits::capture(&data, 3, 21);
        assert_eq!(raw.bit_len, 18);
        assert_eq!(raw.data, [0b0110_0010, 0b1111_1100, 0b0000_0000]);
        let mut out = Vec::new();
        let mut w = BitWriter::new(&mut out);
        w.write_bits(0b101, 3);
        raw.write(&mut w);
        w.write_bits(0b001, 3);
        assert_eq!(out, data);
    }
}
