//! ADTS headers (ISO/IEC 14496-3 §1.A.2.2, Table 1.A.5 to 1.A.7) and ADTS stream splitting.

use super::asc::AudioSpecificConfig;
use crate::Error;

/// aac_frame_length is 13 bits.
const MAX_FRAME_LENGTH: usize = 0x1FFF;
/// adts_buffer_fullness value for variable bit rate.
const VBR_FULLNESS: u16 = 0x7FF;
const HEADER_LEN: usize = 7;
const HEADER_LEN_CRC: usize = 9;

/// One ADTS header.
///
/// Build it with [`for_frame`](Self::for_frame) (or, for many frames of one stream, an
/// [`AdtsWriter`]), write it with [`to_bytes`](Self::to_bytes) followed by the raw frame.
/// `to_bytes` writes ID = 0 (MPEG-4) and zero private, original/copy, home and copyright bits,
/// as FFmpeg does; [`parse`](Self::parse) does not keep those bits.
///
/// ```
/// use livechannel_codec::aac::{AdtsHeader, AudioSpecificConfig};
/// let asc = AudioSpecificConfig::parse(&[0x11, 0x90])?; // LC, 48 kHz, stereo
/// let header = AdtsHeader::for_frame(&asc, 371)?;
/// assert_eq!(header.to_bytes(), [0xFF, 0xF1, 0x4C, 0x80, 0x2F, 0x5F, 0xFC]);
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdtsHeader {
    /// profile_ObjectType: the audio object type minus 1 (0 Main, 1 LC, 2 SSR, 3 LTP).
    pub profile: u8,
    /// sampling_frequency_index (0..=12).
    pub sampling_frequency_index: u8,
    /// channel_configuration (0..=7).
    pub channel_configuration: u8,
    /// aac_frame_length: the whole frame in bytes, this header included (13 bits).
    pub frame_length: u16,
    /// adts_buffer_fullness (11 bits); 0x7FF signals variable bit rate.
    pub buffer_fullness: u16,
    /// number_of_raw_data_blocks_in_frame: raw data blocks in the frame minus 1 (2 bits).
    pub raw_data_blocks: u8,
    /// protection_absent: true when there is no CRC (7-byte header), false for a 9-byte header.
    pub protection_absent: bool,
}

impl AdtsHeader {
    /// The header for one raw AAC frame (one raw data block) of `payload_len` bytes, with
    /// protection absent and VBR buffer fullness.
    ///
    /// HE-AAC and HE-AACv2 are signalled as their AAC core, as ADTS requires (the decoder finds
    /// SBR and PS in the payload). Errors, checked in this order:
    /// [`Error::AdtsUnsupportedObjectType`] for a core object type outside 1..=4 (ER, ELD, USAC, ...),
    /// [`Error::AdtsExplicitFrequency`] for sampling frequency index 15,
    /// [`Error::AdtsChannelConfigZero`] / [`Error::AdtsChannelConfigUnsupported`] for channel
    /// configurations outside 1..=7, [`Error::AdtsFrameLength960`] for 960-sample frames, and
    /// [`Error::AdtsFrameTooLong`] when `payload_len + 7` exceeds 8191.
    pub fn for_frame(
        config: &AudioSpecificConfig,
        payload_len: usize,
    ) -> Result<AdtsHeader, Error> {
        let mut header = Self::template(config)?;
        header.frame_length = frame_length(payload_len)?;
        Ok(header)
    }

    /// Everything but the frame length, validated.
    fn template(config: &AudioSpecificConfig) -> Result<AdtsHeader, Error> {
        let object_type = config.core_object_type;
        if !(1..=4).contains(&object_type) {
            return Err(Error::AdtsUnsupportedObjectType { object_type });
        }
        if config.sampling_frequency_index > 12 {
            return Err(Error::AdtsExplicitFrequency {
                frequency: config.sampling_frequency,
            });
        }
        match config.channel_configuration {
            0 => return Err(Error::AdtsChannelConfigZero),
            1..=7 => {}
            channel_configuration => {
                return Err(Error::AdtsChannelConfigUnsupported {
                    channel_configuration,
                })
            }
        }
        if config.frame_length == 960 {
            return Err(Error::AdtsFrameLength960);
        }
        Ok(AdtsHeader {
            profile: object_type - 1,
            sampling_frequency_index: config.sampling_frequency_index,
            channel_configuration: config.channel_configuration,
            frame_length: HEADER_LEN as u16,
            buffer_fullness: VBR_FULLNESS,
            raw_data_blocks: 0,
            protection_absent: true,
        })
    }

    /// The 7-byte header with protection_absent = 1 (no CRC), whatever `protection_absent` says;
    /// `frame_length` is written as stored. Fields are truncated to their bit widths.
    pub fn to_bytes(&self) -> [u8; 7] {
        let fl = self.frame_length & 0x1FFF;
        let bf = self.buffer_fullness & 0x7FF;
        [
            0xFF,
            // syncword low nibble, ID 0 (MPEG-4), layer 00, protection_absent 1.
            0xF1,
            ((self.profile & 0x03) << 6)
                | ((self.sampling_frequency_index & 0x0F) << 2)
                | ((self.channel_configuration >> 2) & 0x01),
            ((self.channel_configuration & 0x03) << 6) | ((fl >> 11) as u8),
            (fl >> 3) as u8,
            (((fl & 0x07) as u8) << 5) | ((bf >> 6) as u8),
            (((bf & 0x3F) as u8) << 2) | (self.raw_data_blocks & 0x03),
        ]
    }

    /// Parses the header at the start of `data` (7 bytes, or 9 with a CRC, which is not
    /// checked).
    ///
    /// Errors: [`Error::Truncated`] for fewer than 7 (or 9) bytes, [`Error::AdtsBadSyncword`],
    /// [`Error::AdtsBadLayer`] (MPEG audio layers I-III share the syncword),
    /// [`Error::AdtsInvalidSamplingFrequencyIndex`] for 13..=15, and
    /// [`Error::AdtsFrameLengthTooShort`] when the frame length is below the header length.
    pub fn parse(data: &[u8]) -> Result<AdtsHeader, Error> {
        let Some(&[b0, b1, b2, b3, b4, b5, b6]) = data.get(..HEADER_LEN) else {
            return Err(Error::Truncated {
                what: "ADTS header",
                offset: 0,
                needed: HEADER_LEN,
                available: data.len(),
            });
        };
        let sync = (u16::from(b0) << 4) | u16::from(b1 >> 4);
        if sync != 0xFFF {
            return Err(Error::AdtsBadSyncword {
                offset: 0,
                found: sync,
            });
        }
        let layer = (b1 >> 1) & 0x03;
        if layer != 0 {
            return Err(Error::AdtsBadLayer { layer });
        }
        let protection_absent = b1 & 0x01 == 1;
        let header_len = if protection_absent {
            HEADER_LEN
        } else {
            HEADER_LEN_CRC
        };
        if data.len() < header_len {
            return Err(Error::Truncated {
                what: "ADTS header with CRC",
                offset: 0,
                needed: header_len,
                available: data.len(),
            });
        }
        let sampling_frequency_index = (b2 >> 2) & 0x0F;
        if sampling_frequency_index > 12 {
            return Err(Error::AdtsInvalidSamplingFrequencyIndex {
                index: sampling_frequency_index,
            });
        }
        let frame_length = (u16::from(b3 & 0x03) << 11) | (u16::from(b4) << 3) | u16::from(b5 >> 5);
        if usize::from(frame_length) < header_len {
            return Err(Error::AdtsFrameLengthTooShort {
                frame_length,
                header_len,
            });
        }
        Ok(AdtsHeader {
            profile: b2 >> 6,
            sampling_frequency_index,
            channel_configuration: ((b2 & 0x01) << 2) | (b3 >> 6),
            frame_length,
            buffer_fullness: (u16::from(b5 & 0x1F) << 6) | u16::from(b6 >> 2),
            raw_data_blocks: b6 & 0x03,
            protection_absent,
        })
    }

    /// 7, or 9 when a CRC follows (protection_absent = false).
    pub fn header_len(&self) -> usize {
        if self.protection_absent {
            HEADER_LEN
        } else {
            HEADER_LEN_CRC
        }
    }

    /// Bytes of raw data after the header (frame_length minus the header length).
    pub fn payload_len(&self) -> usize {
        usize::from(self.frame_length).saturating_sub(self.header_len())
    }

    /// The sampling frequency in Hz.
    pub fn sampling_frequency(&self) -> Option<u32> {
        super::sampling::sampling_frequency(self.sampling_frequency_index)
    }
}

fn frame_length(payload_len: usize) -> Result<u16, Error> {
    let len = payload_len.saturating_add(HEADER_LEN);
    if len > MAX_FRAME_LENGTH {
        return Err(Error::AdtsFrameTooLong { len });
    }
    // ≤ 8191.
    Ok(len as u16)
}

/// Writes ADTS headers for one AudioSpecificConfig: the configuration is validated once, and
/// each frame only patches the frame length into a precomputed header.
///
/// ```
/// use livechannel_codec::aac::{AdtsWriter, AudioSpecificConfig};
/// let writer = AdtsWriter::new(&AudioSpecificConfig::parse(&[0x12, 0x10])?)?;
/// let mut out = Vec::new();
/// writer.write_frame(&[0x21, 0x00, 0x49], &mut out)?;
/// assert_eq!(out.len(), 7 + 3);
/// assert_eq!(out[..7], writer.header(3)?);
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdtsWriter {
    template: [u8; 7],
}

impl AdtsWriter {
    /// Validates `config` for ADTS; errors as for [`AdtsHeader::for_frame`] except the length.
    pub fn new(config: &AudioSpecificConfig) -> Result<Self, Error> {
        Ok(AdtsWriter {
            template: AdtsHeader::template(config)?.to_bytes(),
        })
    }

    /// The header for a raw frame of `payload_len` bytes; [`Error::AdtsFrameTooLong`] when
    /// `payload_len + 7` exceeds 8191.
    pub fn header(&self, payload_len: usize) -> Result<[u8; 7], Error> {
        let fl = frame_length(payload_len)?;
        let mut h = self.template;
        h[3] = (h[3] & 0xFC) | ((fl >> 11) as u8);
        h[4] = (fl >> 3) as u8;
        h[5] = (h[5] & 0x1F) | (((fl & 0x07) as u8) << 5);
        Ok(h)
    }

    /// Appends header and `payload` to `out`.
    pub fn write_frame(&self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let header = self.header(payload.len())?;
        out.extend_from_slice(&header);
        out.extend_from_slice(payload);
        Ok(())
    }
}

/// Iterates over the frames of an ADTS stream, yielding each header with its payload (the
/// bytes after the header, CRC excluded, up to the frame length).
///
/// After the first error (bad header or a frame running past the end) the iterator ends.
///
/// ```
/// use livechannel_codec::aac::{AdtsFrames, AdtsWriter, AudioSpecificConfig};
/// let writer = AdtsWriter::new(&AudioSpecificConfig::parse(&[0x12, 0x10])?)?;
/// let mut stream = Vec::new();
/// writer.write_frame(b"abc", &mut stream)?;
/// writer.write_frame(b"de", &mut stream)?;
/// let payloads: Vec<&[u8]> = AdtsFrames::new(&stream).map(|f| f.map(|(_, p)| p)).collect::<Result<_, _>>()?;
/// assert_eq!(payloads, [&b"abc"[..], &b"de"[..]]);
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AdtsFrames<'a> {
    data: &'a [u8],
    offset: usize,
    failed: bool,
}

impl<'a> AdtsFrames<'a> {
    /// Iterates over the frames in `data`.
    pub fn new(data: &'a [u8]) -> Self {
        AdtsFrames {
            data,
            offset: 0,
            failed: false,
        }
    }

    /// Offset of the next frame in the stream.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl<'a> Iterator for AdtsFrames<'a> {
    type Item = Result<(AdtsHeader, &'a [u8]), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let rest = self.data.get(self.offset..).filter(|r| !r.is_empty())?;
        let offset = self.offset;
        let result = AdtsHeader::parse(rest)
            .map_err(|e| match e {
                Error::AdtsBadSyncword { found, .. } => Error::AdtsBadSyncword { offset, found },
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
                other => other,
            })
            .and_then(|header| {
                let frame_length = usize::from(header.frame_length);
                match rest.get(header.header_len()..frame_length) {
                    Some(payload) => Ok((header, payload)),
                    None => Err(Error::AdtsTruncatedFrame {
                        offset,
                        frame_length,
                        available: rest.len(),
                    }),
                }
            });
        match &result {
            Ok((header, _)) => self.offset += usize::from(header.frame_length),
            Err(_) => self.failed = true,
        }
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lc(index: u8, channels: u8) -> AudioSpecificConfig {
        let b0 = (2 << 3) | (index >> 1);
        let b1 = ((index & 1) << 7) | (channels << 3);
        AudioSpecificConfig::parse(&[b0, b1]).unwrap()
    }

    #[test]
    fn known_header_bytes() {
        // FFmpeg writes FF F1 50 80 ... for LC 44.1 kHz stereo.
        let h = AdtsHeader::for_frame(&lc(4, 2), 200).unwrap();
        let b = h.to_bytes();
        assert_eq!(&b[..3], &[0xFF, 0xF1, 0x50]);
        assert_eq!(b[3] >> 6, 2);
        assert_eq!(AdtsHeader::parse(&b).unwrap(), h);
        assert_eq!(h.payload_len(), 200);
        assert_eq!(h.sampling_frequency(), Some(44100));
    }

    #[test]
    fn writer_matches_for_frame() {
        let asc = lc(3, 6);
        let w = AdtsWriter::new(&asc).unwrap();
        for len in [0, 1, 255, 1000, 8184] {
            assert_eq!(
                w.header(len).unwrap(),
                AdtsHeader::for_frame(&asc, len).unwrap().to_bytes()
            );
        }
        assert_eq!(w.header(8185), Err(Error::AdtsFrameTooLong { len: 8192 }));
        assert_eq!(
            w.header(usize::MAX),
            Err(Error::AdtsFrameTooLong { len: usize::MAX })
        );
    }

    #[test]
    fn config_rejections() {
        let mut asc = lc(4, 2);
        asc.channel_configuration = 0;
        assert_eq!(AdtsWriter::new(&asc), Err(Error::AdtsChannelConfigZero));
        asc.channel_configuration = 8;
        assert_eq!(
            AdtsWriter::new(&asc),
            Err(Error::AdtsChannelConfigUnsupported {
                channel_configuration: 8
            })
        );
        let mut asc = lc(4, 2);
        asc.frame_length = 960;
        assert_eq!(AdtsWriter::new(&asc), Err(Error::AdtsFrameLength960));
        let mut asc = lc(4, 2);
        asc.sampling_frequency_index = 15;
        asc.sampling_frequency = 44000;
        assert_eq!(
            AdtsWriter::new(&asc),
            Err(Error::AdtsExplicitFrequency { frequency: 44000 })
        );
        let mut asc = lc(4, 2);
        asc.core_object_type = 39;
        assert_eq!(
            AdtsWriter::new(&asc),
            Err(Error::AdtsUnsupportedObjectType { object_type: 39 })
        );
    }

    #[test]
    fn parse_rejections() {
        let good = AdtsHeader::for_frame(&lc(4, 2), 10).unwrap().to_bytes();
        let mut bad = good;
        bad[1] = 0xE1;
        assert_eq!(
            AdtsHeader::parse(&bad),
            Err(Error::AdtsBadSyncword {
                offset: 0,
                found: 0xFFE
            })
        );
        let mut mp3 = good;
        mp3[1] = 0xFB;
        assert_eq!(
            AdtsHeader::parse(&mp3),
            Err(Error::AdtsBadLayer { layer: 1 })
        );
        let mut crc = good;
        crc[1] = 0xF0;
        assert!(matches!(
            AdtsHeader::parse(&crc),
            Err(Error::Truncated { needed: 9, .. })
        ));
        let short = AdtsHeader {
            frame_length: 6,
            ..AdtsHeader::parse(&good).unwrap()
        };
        assert_eq!(
            AdtsHeader::parse(&short.to_bytes()),
            Err(Error::AdtsFrameLengthTooShort {
                frame_length: 6,
                header_len: 7
            })
        );
        assert!(matches!(
            AdtsHeader::parse(&good[..6]),
            Err(Error::Truncated {
                needed: 7,
                available: 6,
                ..
            })
        ));
    }

    #[test]
    fn frames_iterator_reports_truncation_and_stops() {
        let w = AdtsWriter::new(&lc(4, 2)).unwrap();
        let mut stream = Vec::new();
        w.write_frame(&[1, 2, 3], &mut stream).unwrap();
        w.write_frame(&[4, 5, 6, 7], &mut stream).unwrap();
        stream.truncate(stream.len() - 1);
        let mut frames = AdtsFrames::new(&stream);
        assert_eq!(frames.next().unwrap().unwrap().1, &[1, 2, 3]);
        assert_eq!(
            frames.next(),
            Some(Err(Error::AdtsTruncatedFrame {
                offset: 10,
                frame_length: 11,
                available: 10
            }))
        );
        assert_eq!(frames.next(), None);
    }
}
