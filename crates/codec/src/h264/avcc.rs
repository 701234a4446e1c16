//! AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1), the FLV/MP4 "avcC" sequence header.

use bytes::Bytes;

use crate::Error;

/// The fields ISO/IEC 14496-15 adds for the High profiles (profile_idc 100, 110, 122, 144).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HighProfileExt {
    /// chroma_format_idc (2 bits): 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub chroma_format: u8,
    /// bit_depth_luma_minus8 (3 bits).
    pub bit_depth_luma_minus8: u8,
    /// bit_depth_chroma_minus8 (3 bits).
    pub bit_depth_chroma_minus8: u8,
    /// Sequence parameter set extension NAL units (type 13), header byte included.
    pub sps_ext: Vec<Bytes>,
}

/// An AVCDecoderConfigurationRecord: the parameter sets and NAL length size an H.264 decoder
/// needs before the first access unit. FLV carries it in the AVC sequence header tag.
///
/// `parse` keeps the parameter sets as zero-copy slices of the input. Hand the record to
/// [`AnnexBConverter::new`](crate::h264::AnnexBConverter::new) to convert the frames that follow.
///
/// ```
/// use bytes::Bytes;
/// use livechannel_codec::h264::AvcDecoderConfigurationRecord;
///
/// let record = AvcDecoderConfigurationRecord {
///     profile_indication: 66,
///     profile_compatibility: 0xC0,
///     level_indication: 30,
///     length_size: 4,
///     sps: vec![Bytes::from_static(&[0x67, 0x42, 0xC0, 0x1E, 0xD9])],
///     pps: vec![Bytes::from_static(&[0x68, 0xCB, 0x8C, 0xB2])],
///     high_profile_ext: None,
/// };
/// let mut encoded = Vec::new();
/// record.encode(&mut encoded);
/// assert_eq!(AvcDecoderConfigurationRecord::parse(&Bytes::from(encoded))?, record);
/// assert_eq!(record.codec_string(), "avc1.42C01E");
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvcDecoderConfigurationRecord {
    /// AVCProfileIndication (profile_idc of the SPS).
    pub profile_indication: u8,
    /// profile_compatibility (the SPS constraint flags byte).
    pub profile_compatibility: u8,
    /// AVCLevelIndication (level_idc of the SPS).
    pub level_indication: u8,
    /// Size in bytes of the NAL unit length prefix in each access unit: 1, 2 or 4.
    pub length_size: u8,
    /// Sequence parameter set NAL units, header byte included (at most 31 are encoded).
    pub sps: Vec<Bytes>,
    /// Picture parameter set NAL units, header byte included (at most 255 are encoded).
    pub pps: Vec<Bytes>,
    /// The High profile extension. Many encoders omit it or cut it short, so `parse` returns
    /// `None` instead of failing when it is missing or truncated.
    pub high_profile_ext: Option<HighProfileExt>,
}

/// Byte cursor that reports truncation with offsets (shared with the hvcC parser).
pub(crate) struct Cursor<'a> {
    pub(crate) data: &'a Bytes,
    pub(crate) pos: usize,
}

impl Cursor<'_> {
    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    pub(crate) fn truncated(&self, what: &'static str, needed: usize) -> Error {
        Error::Truncated {
            what,
            offset: self.pos,
            needed,
            available: self.remaining(),
        }
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        let b = self
            .data
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.truncated(what, 1))?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, Error> {
        match self.data.get(self.pos..self.pos + 2) {
            Some(&[a, b]) => {
                self.pos += 2;
                Ok(u16::from_be_bytes([a, b]))
            }
            _ => Err(self.truncated(what, 2)),
        }
    }

    /// A 16-bit length followed by that many bytes, returned as a zero-copy slice.
    pub(crate) fn nal(&mut self, what: &'static str) -> Result<Bytes, Error> {
        let len = usize::from(self.u16(what)?);
        if len > self.remaining() {
            return Err(self.truncated(what, len));
        }
        let nal = self.data.slice(self.pos..self.pos + len);
        self.pos += len;
        Ok(nal)
    }
}

impl AvcDecoderConfigurationRecord {
    /// Parses a record (the AVC sequence header's data after the 5-byte FLV video tag header).
    ///
    /// Errors: [`Error::Truncated`] when the record ends inside a field or a parameter set,
    /// [`Error::UnsupportedConfigurationVersion`] for a version other than 1, and
    /// [`Error::InvalidLengthSize`] for a NAL length size of 3. Reserved bits are not checked, and
    /// bytes after the record are ignored.
    pub fn parse(data: &Bytes) -> Result<Self, Error> {
        let mut c = Cursor { data, pos: 0 };
        let version = c.u8("avcC configurationVersion")?;
        if version != 1 {
            return Err(Error::UnsupportedConfigurationVersion { version });
        }
        let profile_indication = c.u8("avcC AVCProfileIndication")?;
        let profile_compatibility = c.u8("avcC profile_compatibility")?;
        let level_indication = c.u8("avcC AVCLevelIndication")?;
        let length_size = (c.u8("avcC lengthSizeMinusOne")? & 0x03) + 1;
        if length_size == 3 {
            return Err(Error::InvalidLengthSize { length_size });
        }
        let num_sps = c.u8("avcC numOfSequenceParameterSets")? & 0x1F;
        // At most 31 entries: growing as entries arrive costs little and trusts nothing.
        let mut sps = Vec::new();
        for _ in 0..num_sps {
            sps.push(c.nal("avcC sequenceParameterSetNALUnit")?);
        }
        let num_pps = c.u8("avcC numOfPictureParameterSets")?;
        let mut pps = Vec::new();
        for _ in 0..num_pps {
            pps.push(c.nal("avcC pictureParameterSetNALUnit")?);
        }
        let high_profile_ext = if matches!(profile_indication, 100 | 110 | 122 | 144) {
            // Encoders such as older FFmpeg and many hardware ones omit this part or write it
            // short; the SPS carries the same information, so a broken one is dropped.
            Self::parse_high_profile_ext(&mut c).ok()
        } else {
            None
        };
        Ok(AvcDecoderConfigurationRecord {
            profile_indication,
            profile_compatibility,
            level_indication,
            length_size,
            sps,
            pps,
            high_profile_ext,
        })
    }

    fn parse_high_profile_ext(c: &mut Cursor<'_>) -> Result<HighProfileExt, Error> {
        let chroma_format = c.u8("avcC chroma_format")? & 0x03;
        let bit_depth_luma_minus8 = c.u8("avcC bit_depth_luma_minus8")? & 0x07;
        let bit_depth_chroma_minus8 = c.u8("avcC bit_depth_chroma_minus8")? & 0x07;
        let num_ext = c.u8("avcC numOfSequenceParameterSetExt")?;
        let mut sps_ext = Vec::new();
        for _ in 0..num_ext {
            sps_ext.push(c.nal("avcC sequenceParameterSetExtNALUnit")?);
        }
        Ok(HighProfileExt {
            chroma_format,
            bit_depth_luma_minus8,
            bit_depth_chroma_minus8,
            sps_ext,
        })
    }

    /// Appends the encoded record to `out`.
    ///
    /// The caller must keep the record within what the format can express: `length_size` 1, 2
    /// or 4 (written modulo 4 as lengthSizeMinusOne), at most 31 SPS, 255 PPS and 255 SPS
    /// extensions, each at most 65535 bytes. Entries beyond those limits are not written.
    /// `high_profile_ext` is written whenever it is `Some`, but [`parse`](Self::parse) only reads
    /// it back for profiles 100, 110, 122 and 144. Reserved bits are written as ones.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[
            1,
            self.profile_indication,
            self.profile_compatibility,
            self.level_indication,
            0xFC | (self.length_size.wrapping_sub(1) & 0x03),
        ]);
        write_nal_list(out, &self.sps, 31, 0xE0);
        write_nal_list(out, &self.pps, 255, 0);
        if let Some(ext) = &self.high_profile_ext {
            out.extend_from_slice(&[
                0xFC | (ext.chroma_format & 0x03),
                0xF8 | (ext.bit_depth_luma_minus8 & 0x07),
                0xF8 | (ext.bit_depth_chroma_minus8 & 0x07),
            ]);
            write_nal_list(out, &ext.sps_ext, 255, 0);
        }
    }

    /// The RFC 6381 codec string for HLS `CODECS` attributes, e.g. `avc1.64001F`.
    pub fn codec_string(&self) -> String {
        format!(
            "avc1.{:02X}{:02X}{:02X}",
            self.profile_indication, self.profile_compatibility, self.level_indication
        )
    }
}

fn write_nal_list(out: &mut Vec<u8>, nals: &[Bytes], max_count: usize, count_prefix: u8) {
    let fitting = || {
        nals.iter()
            .filter(|n| n.len() <= usize::from(u16::MAX))
            .take(max_count)
    };
    // Both maxima fit in a u8.
    out.push(count_prefix | fitting().count() as u8);
    for nal in fitting() {
        out.extend_from_slice(&(nal.len() as u16).to_be_bytes());
        out.extend_from_slice(nal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline() -> Vec<u8> {
        vec![
            0x01, 0x42, 0xC0, 0x1E, 0xFF, 0xE1, 0x00, 0x03, 0x67, 0x42, 0xC0, 0x01, 0x00, 0x02,
            0x68, 0xCE,
        ]
    }

    #[test]
    fn parses_and_slices_zero_copy() {
        let data = Bytes::from(baseline());
        let r = AvcDecoderConfigurationRecord::parse(&data).unwrap();
        assert_eq!(r.length_size, 4);
        assert_eq!(r.sps, [Bytes::from_static(&[0x67, 0x42, 0xC0])]);
        assert_eq!(r.pps, [Bytes::from_static(&[0x68, 0xCE])]);
        assert_eq!(r.high_profile_ext, None);
        // Zero-copy: the SPS points into the input buffer.
        assert_eq!(r.sps[0].as_ptr(), data[8..].as_ptr());
        let mut out = Vec::new();
        r.encode(&mut out);
        assert_eq!(out, baseline());
    }

    #[test]
    fn truncated_record_reports_offset() {
        let full = baseline();
        for cut in 0..full.len() {
            let err = AvcDecoderConfigurationRecord::parse(&Bytes::copy_from_slice(&full[..cut]))
                .unwrap_err();
            match err {
                Error::Truncated { offset, .. } => assert!(offset <= cut),
                other => panic!("cut {cut}: {other:?}"),
            }
        }
        assert_eq!(
            AvcDecoderConfigurationRecord::parse(&Bytes::copy_from_slice(&full[..10])),
            Err(Error::Truncated {
                what: "avcC sequenceParameterSetNALUnit",
                offset: 8,
                needed: 3,
                available: 2
            })
        );
    }

    #[test]
    fn length_size_three_is_rejected() {
        let mut d = baseline();
        d[4] = 0xFE;
        assert_eq!(
            AvcDecoderConfigurationRecord::parse(&Bytes::from(d)),
            Err(Error::InvalidLengthSize { length_size: 3 })
        );
    }

    #[test]
    fn bad_version_is_rejected() {
        let mut d = baseline();
        d[0] = 0;
        assert_eq!(
            AvcDecoderConfigurationRecord::parse(&Bytes::from(d)),
            Err(Error::UnsupportedConfigurationVersion { version: 0 })
        );
    }

    #[test]
    fn high_profile_ext_is_optional_and_lenient() {
        let mut d = baseline();
        d[1] = 100;
        let r = AvcDecoderConfigurationRecord::parse(&Bytes::from(d.clone())).unwrap();
        assert_eq!(r.high_profile_ext, None);
        // Truncated inside an SPS extension entry: dropped, not an error.
        d.extend_from_slice(&[0xFD, 0xF8, 0xF8, 0x01, 0x00, 0x05, 0x6D]);
        let r = AvcDecoderConfigurationRecord::parse(&Bytes::from(d.clone())).unwrap();
        assert_eq!(r.high_profile_ext, None);
        d.truncate(d.len() - 4);
        d.push(0);
        let r = AvcDecoderConfigurationRecord::parse(&Bytes::from(d.clone())).unwrap();
        assert_eq!(
            r.high_profile_ext,
            Some(HighProfileExt {
                chroma_format: 1,
                bit_depth_luma_minus8: 0,
                bit_depth_chroma_minus8: 0,
                sps_ext: vec![]
            })
        );
        let mut out = Vec::new();
        r.encode(&mut out);
        assert_eq!(out, d);
    }
}
