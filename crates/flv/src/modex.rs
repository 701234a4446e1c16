//! Enhanced RTMP v2 ModEx (modifier/extension) data of video tags (enhanced-rtmp-v2.md,
//! "Enhanced Video", ExVideoTagHeader: `while (videoPacketType == VideoPacketType.ModEx)`).

use bytes::Bytes;

use crate::Error;

/// VideoPacketType.ModEx.
pub(crate) const MOD_EX: u8 = 7;
/// VideoPacketModExType.TimestampOffsetNano.
const TIMESTAMP_OFFSET_NANO: u8 = 0;

/// One ModEx entry: the modifier type and its data.
///
/// On the wire: modExDataSize as UI8 + 1, or, when that UI8 is 255, as UI16 + 1 (1 to 65536
/// bytes); modExData; then a byte whose high nibble is the VideoPacketModExType and whose low
/// nibble is the next VideoPacketType (ModEx again, or the tag's real packet type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModEx {
    /// VideoPacketModExType (4 bits): 0 is TimestampOffsetNano.
    pub mod_ex_type: u8,
    /// modExData.
    pub data: Bytes,
    /// Whether the size was coded in the 16-bit form (kept so a header rewrites byte for byte;
    /// sizes above 255 always use it).
    pub wide_size: bool,
}

impl ModEx {
    /// For TimestampOffsetNano: the first three data bytes as a UI24 count of nanoseconds to add
    /// to the tag's millisecond timestamp (the spec says the data must be at least 3 bytes and
    /// at most 999,999 ns; shorter data gives `None`, the value is not range-checked).
    pub fn timestamp_offset_nanos(&self) -> Option<u32> {
        if self.mod_ex_type != TIMESTAMP_OFFSET_NANO {
            return None;
        }
        match self.data.get(..3) {
            Some(&[a, b, c]) => Some(u32::from_be_bytes([0, a, b, c])),
            _ => None,
        }
    }

    /// Appends the entry, with `next_packet_type` in the low nibble of its last byte. Data of 0
    /// bytes is written as one zero byte and data beyond 65536 bytes is cut: the caller must
    /// keep it within 1..=65536 bytes for a faithful round trip.
    pub(crate) fn write(&self, next_packet_type: u8, out: &mut Vec<u8>) {
        let data: &[u8] = if self.data.is_empty() {
            &[0]
        } else {
            &self.data[..self.data.len().min(65536)]
        };
        let size_minus1 = data.len() - 1;
        if self.wide_size || size_minus1 >= 255 {
            out.push(255);
            // ≤ 65535 after the cut above.
            out.extend_from_slice(&(size_minus1 as u16).to_be_bytes());
        } else {
            out.push(size_minus1 as u8);
        }
        out.extend_from_slice(data);
        out.push((self.mod_ex_type & 0x0F) << 4 | (next_packet_type & 0x0F));
    }
}

/// Reads one ModEx entry at `pos` of `body`; returns it, the next packet type and the position
/// after it.
pub(crate) fn read(body: &Bytes, pos: usize) -> Result<(ModEx, u8, usize), Error> {
    let too_short = |needed: usize| Error::TagBodyTooShort {
        kind: "video",
        len: body.len(),
        needed,
    };
    let first = *body.get(pos).ok_or_else(|| too_short(pos + 1))?;
    let (size, start, wide_size) = if first == 255 {
        let Some(&[a, b]) = body.get(pos + 1..pos + 3) else {
            return Err(too_short(pos + 3));
        };
        (usize::from(u16::from_be_bytes([a, b])) + 1, pos + 3, true)
    } else {
        (usize::from(first) + 1, pos + 1, false)
    };
    let end = start + size;
    let Some(&types) = body.get(end) else {
        return Err(too_short(end + 1));
    };
    let entry = ModEx {
        mod_ex_type: types >> 4,
        data: body.slice(start..end),
        wide_size,
    };
    Ok((entry, types & 0x0F, end + 1))
}
