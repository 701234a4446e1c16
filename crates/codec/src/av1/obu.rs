//! OBU headers and low-overhead bitstream framing (AV1 §5.3, §4.10.5, Annex B is not used).

use bytes::Bytes;

use crate::Error;

/// obu_type values of AV1 §6.2.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObuType {
    /// 1: OBU_SEQUENCE_HEADER.
    SequenceHeader,
    /// 2: OBU_TEMPORAL_DELIMITER.
    TemporalDelimiter,
    /// 3: OBU_FRAME_HEADER.
    FrameHeader,
    /// 4: OBU_TILE_GROUP.
    TileGroup,
    /// 5: OBU_METADATA.
    Metadata,
    /// 6: OBU_FRAME (a frame header and its tile group).
    Frame,
    /// 7: OBU_REDUNDANT_FRAME_HEADER.
    RedundantFrameHeader,
    /// 8: OBU_TILE_LIST.
    TileList,
    /// 15: OBU_PADDING.
    Padding,
    /// 0 and 9..=14 (reserved).
    Reserved(u8),
}

impl ObuType {
    /// The type of a 4-bit obu_type value (higher bits are ignored).
    pub fn from_u8(value: u8) -> ObuType {
        match value & 0x0F {
            1 => ObuType::SequenceHeader,
            2 => ObuType::TemporalDelimiter,
            3 => ObuType::FrameHeader,
            4 => ObuType::TileGroup,
            5 => ObuType::Metadata,
            6 => ObuType::Frame,
            7 => ObuType::RedundantFrameHeader,
            8 => ObuType::TileList,
            15 => ObuType::Padding,
            other => ObuType::Reserved(other),
        }
    }
}

/// An OBU header (§5.3.2, §5.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObuHeader {
    /// obu_type.
    pub obu_type: ObuType,
    /// temporal_id and spatial_id, when obu_extension_flag is set.
    pub extension: Option<(u8, u8)>,
    /// obu_has_size_field.
    pub has_size_field: bool,
    /// obu_size when has_size_field is set.
    pub obu_size: Option<u32>,
    /// Bytes of the header, extension and obu_size together.
    pub header_len: usize,
}

impl ObuHeader {
    /// Reads an OBU header from the start of `data`.
    ///
    /// Errors: [`Error::Truncated`], [`Error::ObuForbiddenBit`], [`Error::InvalidLeb128`].
    pub fn parse(data: &[u8]) -> Result<ObuHeader, Error> {
        let truncated = |needed| Error::Truncated {
            what: "OBU header",
            offset: 0,
            needed,
            available: data.len(),
        };
        let first = *data.first().ok_or_else(|| truncated(1))?;
        if first & 0x80 != 0 {
            return Err(Error::ObuForbiddenBit { offset: 0 });
        }
        let has_extension = first & 0x04 != 0;
        let has_size_field = first & 0x02 != 0;
        let mut len = 1;
        let extension = if has_extension {
            let ext = *data.get(1).ok_or_else(|| truncated(2))?;
            len = 2;
            Some((ext >> 5, (ext >> 3) & 0x03))
        } else {
            None
        };
        let obu_size = if has_size_field {
            let rest = data.get(len..).unwrap_or_default();
            let (size, n) = read_leb128(rest).map_err(|e| match e {
                Error::InvalidLeb128 { offset } => Error::InvalidLeb128 {
                    offset: offset + len,
                },
                _ => truncated(len + 1),
            })?;
            len += n;
            Some(size)
        } else {
            None
        };
        Ok(ObuHeader {
            obu_type: ObuType::from_u8(first >> 3),
            extension,
            has_size_field,
            obu_size,
            header_len: len,
        })
    }
}

/// Reads leb128() (§4.10.5): returns the value and the bytes it took.
///
/// At most 8 bytes are read; a value above 2^32 - 1 (which the spec forbids) or a code running
/// past 8 bytes is [`Error::InvalidLeb128`], and running out of data is [`Error::Truncated`].
///
/// ```
/// use livechannel_codec::av1::read_leb128;
/// assert_eq!(read_leb128(&[0x80 | 0x2C, 0x02])?, (300, 2));
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
pub fn read_leb128(data: &[u8]) -> Result<(u32, usize), Error> {
    let mut value: u64 = 0;
    for i in 0..8 {
        let Some(&byte) = data.get(i) else {
            return Err(Error::Truncated {
                what: "leb128",
                offset: 0,
                needed: i + 1,
                available: data.len(),
            });
        };
        value |= u64::from(byte & 0x7F) << (i * 7);
        if byte & 0x80 == 0 {
            return u32::try_from(value)
                .map(|v| (v, i + 1))
                .map_err(|_| Error::InvalidLeb128 { offset: 0 });
        }
    }
    Err(Error::InvalidLeb128 { offset: 0 })
}

/// One OBU: its header and its payload as a zero-copy slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obu {
    /// The header.
    pub header: ObuHeader,
    /// The payload (obu_size bytes, or the rest of the data without a size field).
    pub payload: Bytes,
}

/// Iterates over the OBUs of low-overhead bitstream format data (§5.2), such as an Enhanced
/// RTMP `av01` CodedFrames payload or the av1C configOBUs.
///
/// An OBU without obu_has_size_field takes the rest of the data. The first error ends the
/// iteration: the caller must stop at the first `Err`.
///
/// ```
/// use bytes::Bytes;
/// use livechannel_codec::av1::{ObuType, Obus};
/// // A temporal delimiter, then a padding OBU of 2 bytes.
/// let data = Bytes::from_static(&[0x12, 0x00, 0x7A, 0x02, 0xAA, 0xBB]);
/// let obus: Vec<_> = Obus::new(&data).collect::<Result<_, _>>()?;
/// assert_eq!(obus[0].header.obu_type, ObuType::TemporalDelimiter);
/// assert_eq!(obus[1].payload.as_ref(), &[0xAA, 0xBB]);
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Obus {
    data: Bytes,
    pos: usize,
    done: bool,
}

impl Obus {
    /// OBUs of `data` (a cheap clone of the `Bytes`).
    pub fn new(data: &Bytes) -> Obus {
        Obus {
            data: data.clone(),
            pos: 0,
            done: false,
        }
    }

    fn next_obu(&mut self) -> Result<Obu, Error> {
        let offset = self.pos;
        let rest = self.data.get(offset..).unwrap_or_default();
        let header = ObuHeader::parse(rest).map_err(|e| match e {
            Error::Truncated {
                what,
                needed,
                available,
                ..
            } => Error::Truncated {
                what,
                offset,
                needed,
                available,
            },
            Error::ObuForbiddenBit { .. } => Error::ObuForbiddenBit { offset },
            Error::InvalidLeb128 { offset: o } => Error::InvalidLeb128 { offset: offset + o },
            other => other,
        })?;
        let start = offset + header.header_len;
        let remaining = self.data.len() - start;
        let size = header.obu_size.map_or(remaining, |s| s as usize);
        if size > remaining {
            return Err(Error::ObuSizeOutOfBounds {
                offset,
                size: size as u64,
                remaining,
            });
        }
        self.pos = start + size;
        Ok(Obu {
            header,
            payload: self.data.slice(start..start + size),
        })
    }
}

impl Iterator for Obus {
    type Item = Result<Obu, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.data.len() {
            return None;
        }
        let item = self.next_obu();
        self.done = item.is_err();
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_bounds() {
        assert_eq!(read_leb128(&[0x00]), Ok((0, 1)));
        assert_eq!(
            read_leb128(&[0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
            Ok((u32::MAX, 5))
        );
        assert_eq!(
            read_leb128(&[0xFF, 0xFF, 0xFF, 0xFF, 0x1F]),
            Err(Error::InvalidLeb128 { offset: 0 })
        );
        assert_eq!(
            read_leb128(&[0x80; 9]),
            Err(Error::InvalidLeb128 { offset: 0 })
        );
        assert!(matches!(read_leb128(&[0x80]), Err(Error::Truncated { .. })));
    }

    #[test]
    fn headers_and_bounds() {
        // OBU_FRAME with extension (temporal 2, spatial 1) and size 1.
        let h = ObuHeader::parse(&[0x36, 0x48, 0x01]).unwrap();
        assert_eq!(h.obu_type, ObuType::Frame);
        assert_eq!(
            (h.extension, h.obu_size, h.header_len),
            (Some((2, 1)), Some(1), 3)
        );
        assert_eq!(
            ObuHeader::parse(&[0x80]),
            Err(Error::ObuForbiddenBit { offset: 0 })
        );
        let data = Bytes::from_static(&[0x12, 0x00, 0x32, 0x05, 0x00]);
        let mut obus = Obus::new(&data);
        assert!(obus.next().unwrap().is_ok());
        assert_eq!(
            obus.next(),
            Some(Err(Error::ObuSizeOutOfBounds {
                offset: 2,
                size: 5,
                remaining: 1
            }))
        );
        assert_eq!(obus.next(), None);
    }
}
