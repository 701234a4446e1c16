//! PES packet headers (§2.4.3.6, §2.4.3.7) and their timestamps.

use crate::packet::MASK_33;
use crate::TIMESTAMP_OFFSET;

/// `stream_id` of the first video stream (H.264).
pub(crate) const STREAM_ID_VIDEO: u8 = 0xE0;
/// `stream_id` of the first audio stream (AAC).
pub(crate) const STREAM_ID_AUDIO: u8 = 0xC0;

/// Longest PES header written: 9 fixed bytes + PTS + DTS.
pub(crate) const MAX_HEADER: usize = 19;

/// Bytes after `PES_packet_length` that precede the payload of a PTS-only header.
const PTS_ONLY_AFTER_LENGTH: usize = 3 + 5;

/// The largest payload a bounded PES packet with a PTS-only header can carry.
pub(crate) const MAX_BOUNDED_PAYLOAD: usize = u16::MAX as usize - PTS_ONLY_AFTER_LENGTH;

/// Stream time (90 kHz) to the 33-bit value on the wire.
///
/// 2^64 is a multiple of 2^33, so wrapping i64 arithmetic followed by the
/// mask is exact modular arithmetic, for negative times too.
pub(crate) fn wire_time(t: i64) -> u64 {
    (t.wrapping_add(TIMESTAMP_OFFSET) as u64) & MASK_33
}

/// The 5-byte PTS/DTS field with its 4-bit prefix and marker bits.
fn encode_timestamp(prefix: u8, ts: u64) -> [u8; 5] {
    [
        (prefix << 4) | ((((ts >> 30) & 0x07) as u8) << 1) | 1,
        (ts >> 22) as u8,
        ((((ts >> 15) & 0x7F) as u8) << 1) | 1,
        (ts >> 7) as u8,
        (((ts & 0x7F) as u8) << 1) | 1,
    ]
}

/// A PES header in a stack buffer.
pub(crate) struct PesHeader {
    bytes: [u8; MAX_HEADER],
    len: usize,
}

impl PesHeader {
    /// `payload_len` is `None` for an unbounded packet (`PES_packet_length` 0),
    /// otherwise it must be at most [`MAX_BOUNDED_PAYLOAD`] (minus 5 with a DTS).
    pub(crate) fn new(
        stream_id: u8,
        pts: u64,
        dts: Option<u64>,
        payload_len: Option<usize>,
    ) -> Self {
        let (flags, data_len) = match dts {
            Some(_) => (0xC0, 10u8),
            None => (0x80, 5u8),
        };
        let after_length = 3 + usize::from(data_len);
        let packet_length = payload_len
            .map(|len| u16::try_from(after_length + len).unwrap_or(0))
            .unwrap_or(0);
        let [len_hi, len_lo] = packet_length.to_be_bytes();
        let mut bytes = [0u8; MAX_HEADER];
        // '10', not scrambled, priority 0, data_alignment_indicator 1: each PES
        // starts with an access unit (AUD) or an ADTS sync word.
        bytes[..9].copy_from_slice(&[0, 0, 1, stream_id, len_hi, len_lo, 0x84, flags, data_len]);
        match dts {
            Some(dts) => {
                bytes[9..14].copy_from_slice(&encode_timestamp(0b0011, pts));
                bytes[14..19].copy_from_slice(&encode_timestamp(0b0001, dts));
            }
            None => bytes[9..14].copy_from_slice(&encode_timestamp(0b0010, pts)),
        }
        PesHeader {
            bytes,
            len: 9 + usize::from(data_len),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_bits_and_markers() {
        assert_eq!(encode_timestamp(0b0010, 0), [0x21, 0x00, 0x01, 0x00, 0x01]);
        assert_eq!(
            encode_timestamp(0b0011, MASK_33),
            [0x3F, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        // 90000 = 0x15F90
        assert_eq!(
            encode_timestamp(0b0001, 90_000),
            [0x11, 0x00, 0x05, 0xBF, 0x21]
        );
    }

    #[test]
    fn wire_time_adds_offset_and_wraps() {
        assert_eq!(wire_time(0), TIMESTAMP_OFFSET as u64);
        assert_eq!(wire_time(-TIMESTAMP_OFFSET), 0);
        assert_eq!(wire_time(-TIMESTAMP_OFFSET - 1), MASK_33);
        assert_eq!(wire_time((1 << 33) - TIMESTAMP_OFFSET + 5), 5);
        assert_eq!(
            wire_time(i64::MAX),
            (i64::MAX as u64).wrapping_add(TIMESTAMP_OFFSET as u64) & MASK_33
        );
    }

    #[test]
    fn audio_header_has_exact_length() {
        let h = PesHeader::new(STREAM_ID_AUDIO, 0, None, Some(100));
        assert_eq!(h.as_bytes().len(), 14);
        assert_eq!(&h.as_bytes()[..9], &[0, 0, 1, 0xC0, 0, 108, 0x84, 0x80, 5]);
        let h = PesHeader::new(STREAM_ID_AUDIO, 0, None, Some(MAX_BOUNDED_PAYLOAD));
        assert_eq!(&h.as_bytes()[4..6], &[0xFF, 0xFF]);
    }

    #[test]
    fn video_header_is_unbounded_with_dts() {
        let h = PesHeader::new(STREAM_ID_VIDEO, 3, Some(1), None);
        assert_eq!(h.as_bytes().len(), 19);
        assert_eq!(&h.as_bytes()[..9], &[0, 0, 1, 0xE0, 0, 0, 0x84, 0xC0, 10]);
    }
}
