//! MSB-first bit reading and writing shared by the SPS and AudioSpecificConfig code.

use crate::Error;

/// Reads big-endian bit fields from a byte slice. Emulation prevention is the caller's job
/// (see `h264::remove_emulation_prevention`).
#[derive(Debug, Clone)]
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits from the start of `data`.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0 }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn bits_left(&self) -> usize {
        // `pos` never exceeds the bit length: every read checks first.
        self.data.len().saturating_mul(8).saturating_sub(self.pos)
    }

    fn end(&self, field: &'static str, needed: u32) -> Error {
        Error::BitstreamEnd {
            field,
            bit_offset: self.pos,
            needed,
            available: self.bits_left(),
        }
    }

    /// Reads `n` ≤ 32 bits.
    pub(crate) fn read_bits(&mut self, n: u32, field: &'static str) -> Result<u32, Error> {
        debug_assert!(n <= 32);
        if (n as usize) > self.bits_left() {
            return Err(self.end(field, n));
        }
        let mut value: u64 = 0;
        let mut remaining = n;
        while remaining > 0 {
            let byte = self.data.get(self.pos / 8).copied().unwrap_or(0);
            let bit_in_byte = (self.pos % 8) as u32;
            let avail = 8 - bit_in_byte;
            let take = avail.min(remaining);
            let shifted = (u32::from(byte) >> (avail - take)) & ((1u32 << take) - 1);
            value = (value << take) | u64::from(shifted);
            remaining -= take;
            self.pos += take as usize;
        }
        // n ≤ 32, so the value fits.
        Ok(value as u32)
    }

    pub(crate) fn read_u8(&mut self, n: u32, field: &'static str) -> Result<u8, Error> {
        debug_assert!(n <= 8);
        self.read_bits(n, field).map(|v| v as u8)
    }

    pub(crate) fn read_flag(&mut self, field: &'static str) -> Result<bool, Error> {
        self.read_bits(1, field).map(|v| v == 1)
    }

    pub(crate) fn skip(&mut self, n: usize, field: &'static str) -> Result<(), Error> {
        if n > self.bits_left() {
            return Err(self.end(field, u32::try_from(n).unwrap_or(u32::MAX)));
        }
        self.pos += n;
        Ok(())
    }

    /// ue(v) from H.264 §9.1. Codes with 32 or more leading zeros would exceed `u32` and are
    /// rejected, which also bounds the work a hostile stream of zeros can cause.
    pub(crate) fn read_ue(&mut self, field: &'static str) -> Result<u32, Error> {
        let start = self.pos;
        let mut leading_zeros = 0u32;
        loop {
            if self.bits_left() == 0 {
                return Err(Error::BitstreamEnd {
                    field,
                    bit_offset: start,
                    needed: leading_zeros + 1,
                    available: 0,
                });
            }
            if self.read_flag(field)? {
                break;
            }
            leading_zeros += 1;
            if leading_zeros >= 32 {
                return Err(Error::ExpGolombOverflow {
                    field,
                    bit_offset: start,
                });
            }
        }
        let suffix = self.read_bits(leading_zeros, field)?;
        // leading_zeros ≤ 31: (2^31 - 1) + (2^31 - 1) fits in u32.
        Ok(((1u64 << leading_zeros) - 1 + u64::from(suffix)) as u32)
    }

    /// se(v) from H.264 §9.1.1.
    pub(crate) fn read_se(&mut self, field: &'static str) -> Result<i32, Error> {
        let k = i64::from(self.read_ue(field)?);
        let magnitude = (k + 1) / 2;
        // magnitude ≤ 2^31 - 1, so both signs fit in i32.
        Ok(if k % 2 == 1 { magnitude } else { -magnitude } as i32)
    }

    /// Reads a ue(v) and checks it against `0..=max`.
    pub(crate) fn read_ue_max(&mut self, field: &'static str, max: u32) -> Result<u32, Error> {
        let v = self.read_ue(field)?;
        if v > max {
            return Err(Error::OutOfRange {
                field,
                value: i64::from(v),
                min: 0,
                max: i64::from(max),
            });
        }
        Ok(v)
    }

    /// Reads an se(v) and checks it against `min..=max`.
    pub(crate) fn read_se_range(
        &mut self,
        field: &'static str,
        min: i32,
        max: i32,
    ) -> Result<i32, Error> {
        let v = self.read_se(field)?;
        if v < min || v > max {
            return Err(Error::OutOfRange {
                field,
                value: i64::from(v),
                min: i64::from(min),
                max: i64::from(max),
            });
        }
        Ok(v)
    }
}

/// Writes big-endian bit fields into a byte vector.
#[derive(Debug)]
pub(crate) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Bits used in the last byte of `out` (0 = byte aligned).
    used: u32,
}

impl<'a> BitWriter<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter { out, used: 0 }
    }

    /// Writes the low `n` ≤ 32 bits of `value`.
    pub(crate) fn write_bits(&mut self, value: u32, n: u32) {
        debug_assert!(n <= 32);
        let mut remaining = n;
        while remaining > 0 {
            if self.used == 0 {
                self.out.push(0);
            }
            let free = 8 - self.used;
            let take = free.min(remaining);
            let bits = ((u64::from(value) >> (remaining - take)) & ((1u64 << take) - 1)) as u8;
            if let Some(last) = self.out.last_mut() {
                *last |= bits << (free - take);
            }
            self.used = (self.used + take) % 8;
            remaining -= take;
        }
    }

    pub(crate) fn write_flag(&mut self, flag: bool) {
        self.write_bits(u32::from(flag), 1);
    }

    /// Bits written so far into the current, partly filled byte.
    pub(crate) fn bit_phase(&self) -> u32 {
        self.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_across_byte_boundaries() {
        let mut r = BitReader::new(&[0b1011_0011, 0b1100_0001]);
        assert_eq!(r.read_bits(3, "a").unwrap(), 0b101);
        assert_eq!(r.read_bits(7, "b").unwrap(), 0b100_1111);
        assert_eq!(r.bits_left(), 6);
        assert!(matches!(
            r.read_bits(7, "c"),
            Err(Error::BitstreamEnd {
                needed: 7,
                available: 6,
                bit_offset: 10,
                ..
            })
        ));
    }

    #[test]
    fn exp_golomb_values() {
        // 1 -> 0, 010 -> 1, 011 -> 2, 00100 -> 3, 00111 -> 6
        let mut r = BitReader::new(&[0b1010_0110, 0b0100_0011, 0b1000_0000]);
        let got: Vec<u32> = (0..5).map(|_| r.read_ue("x").unwrap()).collect();
        assert_eq!(got, [0, 1, 2, 3, 6]);
        let mut r = BitReader::new(&[0b0100_1100, 0b1000_0000]);
        // se: 010 -> +1, 011 -> -1, 00100 -> +2
        assert_eq!(r.read_se("x").unwrap(), 1);
        assert_eq!(r.read_se("x").unwrap(), -1);
        assert_eq!(r.read_se("x").unwrap(), 2);
    }

    #[test]
    fn exp_golomb_max_and_overflow() {
        // 31 zeros, a one, 31 ones: 2^32 - 2, the largest value that fits.
        let mut w = Vec::new();
        let mut bw = BitWriter::new(&mut w);
        bw.write_bits(0, 31);
        bw.write_bits(1, 1);
        bw.write_bits(0x7FFF_FFFF, 31);
        assert_eq!(BitReader::new(&w).read_ue("x").unwrap(), u32::MAX - 1);
        let zeros = [0u8, 0, 0, 0, 0x80];
        assert_eq!(
            BitReader::new(&zeros).read_ue("x"),
            Err(Error::ExpGolombOverflow {
                field: "x",
                bit_offset: 0
            })
        );
    }

    #[test]
    fn writer_round_trips_reader() {
        let mut v = Vec::new();
        let mut w = BitWriter::new(&mut v);
        w.write_bits(0b101, 3);
        w.write_bits(0xABCDE, 20);
        w.write_flag(true);
        w.write_bits(0xFFFF_FFFF, 32);
        assert_eq!(w.bit_phase(), 0);
        let mut r = BitReader::new(&v);
        assert_eq!(r.read_bits(3, "").unwrap(), 0b101);
        assert_eq!(r.read_bits(20, "").unwrap(), 0xABCDE);
        assert!(r.read_flag("").unwrap());
        assert_eq!(r.read_bits(32, "").unwrap(), 0xFFFF_FFFF);
        assert_eq!(r.bits_left(), 0);
    }
}
