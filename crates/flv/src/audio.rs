//! Audio tag bodies (spec E.4.2, AUDIODATA).

use bytes::Bytes;

use crate::Error;

/// The SoundFormat field (4 bits).
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SoundFormat {
    /// 0: linear PCM, platform endian.
    LinearPcmPlatform,
    /// 1: ADPCM.
    Adpcm,
    /// 2: MP3.
    Mp3,
    /// 3: linear PCM, little endian.
    LinearPcmLe,
    /// 4: Nellymoser 16 kHz mono.
    Nellymoser16kMono,
    /// 5: Nellymoser 8 kHz mono.
    Nellymoser8kMono,
    /// 6: Nellymoser.
    Nellymoser,
    /// 7: G.711 A-law.
    G711ALaw,
    /// 8: G.711 mu-law.
    G711MuLaw,
    /// 10: AAC.
    Aac,
    /// 11: Speex.
    Speex,
    /// 14: MP3 8 kHz.
    Mp3_8k,
    /// 15: device-specific sound.
    DeviceSpecific,
    /// Values without a name here: 9 (reserved; Enhanced RTMP v2's
    /// ExAudioTagHeader, not parsed by this crate), 12 and 13.
    Other(u8),
}

impl SoundFormat {
    /// The format for a 4-bit field value.
    pub fn from_u8(value: u8) -> SoundFormat {
        match value {
            0 => SoundFormat::LinearPcmPlatform,
            1 => SoundFormat::Adpcm,
            2 => SoundFormat::Mp3,
            3 => SoundFormat::LinearPcmLe,
            4 => SoundFormat::Nellymoser16kMono,
            5 => SoundFormat::Nellymoser8kMono,
            6 => SoundFormat::Nellymoser,
            7 => SoundFormat::G711ALaw,
            8 => SoundFormat::G711MuLaw,
            10 => SoundFormat::Aac,
            11 => SoundFormat::Speex,
            14 => SoundFormat::Mp3_8k,
            15 => SoundFormat::DeviceSpecific,
            other => SoundFormat::Other(other),
        }
    }

    /// The 4-bit field value (`Other` values are masked to 4 bits).
    pub fn as_u8(self) -> u8 {
        match self {
            SoundFormat::LinearPcmPlatform => 0,
            SoundFormat::Adpcm => 1,
            SoundFormat::Mp3 => 2,
            SoundFormat::LinearPcmLe => 3,
            SoundFormat::Nellymoser16kMono => 4,
            SoundFormat::Nellymoser8kMono => 5,
            SoundFormat::Nellymoser => 6,
            SoundFormat::G711ALaw => 7,
            SoundFormat::G711MuLaw => 8,
            SoundFormat::Aac => 10,
            SoundFormat::Speex => 11,
            SoundFormat::Mp3_8k => 14,
            SoundFormat::DeviceSpecific => 15,
            SoundFormat::Other(value) => value & 0x0F,
        }
    }
}

/// The AACPacketType field of AAC audio tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AacPacketType {
    /// 0: the AudioSpecificConfig.
    SequenceHeader,
    /// 1: one raw AAC frame.
    Raw,
}

/// A parsed audio tag body: the AudioTagHeader fields and the payload.
///
/// ```
/// use bytes::Bytes;
/// use livechannel_flv::{AacPacketType, AudioTag, SoundFormat};
///
/// // AAC, 44 kHz, 16-bit, stereo; sequence header holding an AudioSpecificConfig.
/// let tag = AudioTag::parse(Bytes::from_static(&[0xAF, 0x00, 0x12, 0x10]))?;
/// assert_eq!(tag.sound_format, SoundFormat::Aac);
/// assert_eq!(tag.aac_packet_type, Some(AacPacketType::SequenceHeader));
/// assert_eq!(tag.data.as_ref(), &[0x12, 0x10]);
///
/// let mut header = Vec::new();
/// tag.write_header(&mut header);
/// assert_eq!(header, [0xAF, 0x00]);
/// # Ok::<(), livechannel_flv::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioTag {
    /// The codec.
    pub sound_format: SoundFormat,
    /// SoundRate: 0 = 5.5 kHz, 1 = 11 kHz, 2 = 22 kHz, 3 = 44 kHz (always 3
    /// for AAC, whose real rate is in the AudioSpecificConfig).
    pub sound_rate: u8,
    /// SoundSize: 16-bit samples (`false`: 8-bit).
    pub sound_size_16bit: bool,
    /// SoundType: stereo (`false`: mono).
    pub stereo: bool,
    /// Present exactly when `sound_format` is AAC.
    pub aac_packet_type: Option<AacPacketType>,
    /// The payload after the 1 (or, for AAC, 2) header bytes.
    pub data: Bytes,
}

impl AudioTag {
    /// Parses an audio tag body; `data` is a zero-copy slice of `body`.
    pub fn parse(body: Bytes) -> Result<AudioTag, Error> {
        let too_short = |needed| Error::TagBodyTooShort {
            kind: "audio",
            len: body.len(),
            needed,
        };
        let first = *body.first().ok_or_else(|| too_short(1))?;
        let sound_format = SoundFormat::from_u8(first >> 4);
        let (aac_packet_type, header_len) = if sound_format == SoundFormat::Aac {
            let packet_type = match *body.get(1).ok_or_else(|| too_short(2))? {
                0 => AacPacketType::SequenceHeader,
                1 => AacPacketType::Raw,
                value => return Err(Error::UnknownAacPacketType { value }),
            };
            (Some(packet_type), 2)
        } else {
            (None, 1)
        };
        Ok(AudioTag {
            sound_format,
            sound_rate: (first >> 2) & 0x03,
            sound_size_16bit: first & 0x02 != 0,
            stereo: first & 0x01 != 0,
            aac_packet_type,
            data: body.slice(header_len..),
        })
    }

    /// Appends the AudioTagHeader: one byte, plus the AACPacketType byte
    /// when `aac_packet_type` is set. `sound_rate` is masked to 2 bits.
    ///
    /// Set `aac_packet_type` exactly when the format is AAC, or the result
    /// will not parse back to the same tag.
    pub fn write_header(&self, out: &mut Vec<u8>) {
        out.push(
            (self.sound_format.as_u8() << 4)
                | ((self.sound_rate & 0x03) << 2)
                | (u8::from(self.sound_size_16bit) << 1)
                | u8::from(self.stereo),
        );
        match self.aac_packet_type {
            Some(AacPacketType::SequenceHeader) => out.push(0),
            Some(AacPacketType::Raw) => out.push(1),
            None => {}
        }
    }
}
