//! Writing boxes: a header whose size is patched once the body is written.

/// A four-character code.
pub(crate) type FourCc = [u8; 4];

/// Appends a box header with a placeholder size; returns where the box starts.
pub(crate) fn begin(out: &mut Vec<u8>, kind: &FourCc) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(kind);
    start
}

/// Like [`begin`] for a full box: version and 24-bit flags follow the type.
pub(crate) fn begin_full(out: &mut Vec<u8>, kind: &FourCc, version: u8, flags: u32) -> usize {
    let start = begin(out, kind);
    out.extend_from_slice(&((u32::from(version) << 24) | (flags & 0x00FF_FFFF)).to_be_bytes());
    start
}

/// Patches the size of the box begun at `start` to end here. Callers
/// bound what they write (fixed fields, records of at most
/// [`MAX_CONFIG_RECORD`](crate::MAX_CONFIG_RECORD) bytes, `moof` checked by
/// the fragment layout), so the size always fits.
pub(crate) fn close(out: &mut [u8], start: usize) {
    let size = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
}

pub(crate) fn u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub(crate) fn u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// The unity transformation matrix of `mvhd` and `tkhd` (16.16 and 2.30 fixed point).
pub(crate) const UNITY_MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

pub(crate) fn matrix(out: &mut Vec<u8>) {
    for v in UNITY_MATRIX {
        u32(out, v);
    }
}
