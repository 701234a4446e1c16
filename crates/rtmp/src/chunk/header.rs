//! Byte layout of chunk headers (§5.3.1), shared by the decoder and encoder.

/// A timestamp field of this value means a 4-byte extended timestamp follows.
pub(crate) const EXTENDED_TIMESTAMP: u32 = 0xFF_FFFF;

/// Writes the basic header (§5.3.1.1) in its shortest form.
///
/// The caller has checked `csid` is in 2 ..= 65599.
pub(crate) fn write_basic_header(out: &mut Vec<u8>, fmt: u8, csid: u32) {
    let fmt_bits = (fmt & 0b11) << 6;
    if (2..=63).contains(&csid) {
        out.push(fmt_bits | csid as u8);
    } else if (64..=319).contains(&csid) {
        out.push(fmt_bits);
        out.push((csid - 64) as u8);
    } else {
        let id = csid - 64;
        out.push(fmt_bits | 1);
        out.push((id & 0xFF) as u8);
        out.push((id >> 8) as u8);
    }
}

pub(crate) fn write_u24(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_be_bytes()[1..]);
}

/// Reads a big-endian 24-bit value; the caller guarantees 3 bytes.
pub(crate) fn read_u24(b: &[u8]) -> u32 {
    match b {
        [a, b, c, ..] => u32::from_be_bytes([0, *a, *b, *c]),
        _ => 0,
    }
}

pub(crate) fn read_u32_be(b: &[u8]) -> u32 {
    match b {
        [a, b, c, d, ..] => u32::from_be_bytes([*a, *b, *c, *d]),
        _ => 0,
    }
}

pub(crate) fn read_u32_le(b: &[u8]) -> u32 {
    match b {
        [a, b, c, d, ..] => u32::from_le_bytes([*a, *b, *c, *d]),
        _ => 0,
    }
}

/// Size of the message header for each format (§5.3.1.2).
pub(crate) fn message_header_len(fmt: u8) -> usize {
    match fmt {
        0 => 11,
        1 => 7,
        2 => 3,
        _ => 0,
    }
}
