//! AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) with GASpecificConfig (§4.4.1).

use super::pce;
use super::raw_bits::RawBits;
use super::sampling::sampling_frequency;
use crate::bits::{BitReader, BitWriter};
use crate::Error;

/// Object types whose specific config is GASpecificConfig (Table 1.15).
const GA_OBJECT_TYPES: [u8; 12] = [1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23];
/// syncExtensionType announcing backward-compatible SBR signalling.
const SYNC_EXTENSION_SBR: u32 = 0x2B7;
/// syncExtensionType announcing backward-compatible PS signalling.
const SYNC_EXTENSION_PS: u32 = 0x548;
const OBJECT_TYPE_SBR: u8 = 5;
const OBJECT_TYPE_PS: u8 = 29;

/// An AudioSpecificConfig: the AAC sequence header of FLV (and the MP4 `esds` payload).
///
/// For HE-AAC (SBR) and HE-AACv2 (SBR + PS) signalled explicitly (`object_type` 5 or 29),
/// `core_object_type` and `sampling_frequency_index` describe the AAC core, which is what ADTS
/// carries; `extension_sampling_frequency` is the output rate with SBR. With backward-compatible
/// signalling (a sync extension after an LC config) `object_type` is the core's.
///
/// The GASpecificConfig of AAC Main, LC, SSR, LTP and TwinVQ is interpreted; everything this
/// parser does not interpret (other object types' configs, scalable and error-resilient
/// extensions) is kept in `uninterpreted` so that [`encode`](Self::encode) reproduces it.
///
/// ```
/// use livechannel_codec::aac::AudioSpecificConfig;
/// // FFmpeg's LC stereo 44.1 kHz config, with a sync extension saying "no SBR".
/// let asc = AudioSpecificConfig::parse(&[0x12, 0x10, 0x56, 0xE5, 0x00])?;
/// assert_eq!((asc.object_type, asc.sampling_frequency, asc.channel_configuration), (2, 44100, 2));
/// assert!(asc.sync_extension && !asc.sbr);
/// assert_eq!(asc.codec_string(), "mp4a.40.2");
/// let mut out = Vec::new();
/// asc.encode(&mut out);
/// assert_eq!(out, [0x12, 0x10, 0x56, 0xE5, 0x00]);
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioSpecificConfig {
    /// The audio object type as signalled first (escape 31 → 32 + 6 bits): 2 for AAC LC, 5 for
    /// explicit HE-AAC, 29 for explicit HE-AACv2.
    pub object_type: u8,
    /// The object type of the core coder: equal to `object_type` except with explicit SBR/PS
    /// signalling, where it is the type that follows (usually 2).
    pub core_object_type: u8,
    /// samplingFrequencyIndex of the core (15 means `sampling_frequency` was coded explicitly).
    pub sampling_frequency_index: u8,
    /// Core sampling frequency in Hz.
    pub sampling_frequency: u32,
    /// channelConfiguration (0: the layout is in `program_config_element`).
    pub channel_configuration: u8,
    /// Samples per frame: 960 when GASpecificConfig's frameLengthFlag is set, else 1024 (also for
    /// object types whose config is not interpreted).
    pub frame_length: u32,
    /// coreCoderDelay, when dependsOnCoreCoder is set.
    pub core_coder_delay: Option<u16>,
    /// GASpecificConfig's extensionFlag (the extension itself is kept in `uninterpreted`).
    pub extension_flag: bool,
    /// The program_config_element() of channel configuration 0, verbatim.
    pub program_config_element: Option<RawBits>,
    /// SBR is signalled (object type 5 or 29, or a sync extension with sbrPresentFlag).
    pub sbr: bool,
    /// Parametric stereo is signalled (object type 29, or a PS sync extension).
    pub ps: bool,
    /// extensionSamplingFrequencyIndex (the SBR output rate), when SBR is signalled.
    pub extension_sampling_frequency_index: Option<u8>,
    /// The SBR output rate in Hz, when SBR is signalled.
    pub extension_sampling_frequency: Option<u32>,
    /// A backward-compatible SBR sync extension (0x2B7) was present, whatever its sbrPresentFlag.
    pub sync_extension: bool,
    /// Bits after the interpreted part that this parser does not understand, verbatim (the
    /// config's trailing padding included); `None` when the whole config was interpreted.
    pub uninterpreted: Option<RawBits>,
}

impl AudioSpecificConfig {
    /// Parses an AudioSpecificConfig (the AAC sequence header's data after the 2-byte FLV audio
    /// tag header).
    ///
    /// Errors: [`Error::BitstreamEnd`] when it ends inside a field (for example an explicit
    /// 24-bit frequency with too few bytes), [`Error::OutOfRange`] for object type 0, and
    /// [`Error::ReservedSamplingFrequencyIndex`] for index 13 or 14.
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        let mut r = BitReader::new(data);
        let object_type = read_object_type(&mut r, "audioObjectType")?;
        let (sampling_frequency_index, sampling_frequency) =
            read_frequency(&mut r, "samplingFrequencyIndex", "samplingFrequency")?;
        let channel_configuration = r.read_u8(4, "channelConfiguration")?;
        let mut asc = AudioSpecificConfig {
            object_type,
            core_object_type: object_type,
            sampling_frequency_index,
            sampling_frequency,
            channel_configuration,
            frame_length: 1024,
            core_coder_delay: None,
            extension_flag: false,
            program_config_element: None,
            sbr: false,
            ps: false,
            extension_sampling_frequency_index: None,
            extension_sampling_frequency: None,
            sync_extension: false,
            uninterpreted: None,
        };
        let explicit = asc.explicit_sbr();
        if explicit {
            asc.sbr = true;
            asc.ps = object_type == OBJECT_TYPE_PS;
            let (index, frequency) = read_frequency(
                &mut r,
                "extensionSamplingFrequencyIndex",
                "extensionSamplingFrequency",
            )?;
            asc.extension_sampling_frequency_index = Some(index);
            asc.extension_sampling_frequency = Some(frequency);
            asc.core_object_type = read_object_type(&mut r, "audioObjectType (core)")?;
        }
        let fully_interpreted = if asc.ga_interpreted() {
            asc.frame_length = if r.read_flag("frameLengthFlag")? {
                960
            } else {
                1024
            };
            if r.read_flag("dependsOnCoreCoder")? {
                asc.core_coder_delay = Some(r.read_bits(14, "coreCoderDelay")? as u16);
            }
            asc.extension_flag = r.read_flag("extensionFlag")?;
            if channel_configuration == 0 {
                let start = r.position();
                pce::skip(&mut r)?;
                asc.program_config_element = Some(RawBits::capture(data, start, r.position()));
            }
            asc.ga_complete()
        } else {
            false
        };
        if !fully_interpreted {
            if r.bits_left() > 0 {
                asc.uninterpreted = Some(RawBits::capture(
                    data,
                    r.position(),
                    r.position() + r.bits_left(),
                ));
            }
            return Ok(asc);
        }
        if !explicit && r.bits_left() >= 16 {
            // The sync extension is optional trailing data; when it is not one this parser
            // understands, or is cut short, the config stands without it.
            if let Ok(Some(ext)) = SyncExtension::read(&mut r) {
                asc.sync_extension = true;
                asc.sbr = ext.sbr;
                asc.ps = ext.ps;
                asc.extension_sampling_frequency_index = ext.frequency.map(|f| f.0);
                asc.extension_sampling_frequency = ext.frequency.map(|f| f.1);
            }
        }
        Ok(asc)
    }

    fn explicit_sbr(&self) -> bool {
        matches!(self.object_type, OBJECT_TYPE_SBR | OBJECT_TYPE_PS)
    }

    /// Whether the common GASpecificConfig fields are read (and written). With explicit SBR,
    /// ER BSAC (22) puts an extensionChannelConfiguration first, which is left uninterpreted.
    fn ga_interpreted(&self) -> bool {
        GA_OBJECT_TYPES.contains(&self.core_object_type)
            && !(self.explicit_sbr() && self.core_object_type == 22)
    }

    /// Whether the GASpecificConfig ends after the common fields: no layerNr (6, 20), no
    /// extension fields and no ER epConfig.
    fn ga_complete(&self) -> bool {
        matches!(self.core_object_type, 1 | 2 | 3 | 4 | 7) && !self.extension_flag
    }

    /// Appends the encoded config to `out`, padded with zero bits to a whole byte.
    ///
    /// What `parse` returns encodes back to the same bytes, apart from trailing padding and
    /// sync extensions that `parse` ignores. For a hand-built config the caller must keep the
    /// fields consistent: `sampling_frequency` is only written for index 15; the extension
    /// frequency is written for object types 5 and 29 and, with `sync_extension`, when `sbr` is
    /// set; `program_config_element` is written for channel configuration 0. Fields that do not
    /// fit their bit widths are truncated to them.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut w = BitWriter::new(out);
        write_object_type(&mut w, self.object_type);
        write_frequency(
            &mut w,
            self.sampling_frequency_index,
            self.sampling_frequency,
        );
        w.write_bits(u32::from(self.channel_configuration), 4);
        let explicit = self.explicit_sbr();
        if explicit {
            let index = self
                .extension_sampling_frequency_index
                .unwrap_or(self.sampling_frequency_index);
            let frequency = self
                .extension_sampling_frequency
                .unwrap_or(self.sampling_frequency);
            write_frequency(&mut w, index, frequency);
            write_object_type(&mut w, self.core_object_type);
        }
        if self.ga_interpreted() {
            w.write_flag(self.frame_length == 960);
            w.write_flag(self.core_coder_delay.is_some());
            if let Some(delay) = self.core_coder_delay {
                w.write_bits(u32::from(delay), 14);
            }
            w.write_flag(self.extension_flag);
            if self.channel_configuration == 0 {
                if let Some(pce) = &self.program_config_element {
                    pce.write(&mut w);
                }
            }
        }
        if let Some(raw) = &self.uninterpreted {
            raw.write(&mut w);
        } else if self.sync_extension && !explicit {
            w.write_bits(SYNC_EXTENSION_SBR, 11);
            write_object_type(&mut w, OBJECT_TYPE_SBR);
            w.write_flag(self.sbr);
            if self.sbr {
                let index = self
                    .extension_sampling_frequency_index
                    .unwrap_or(self.sampling_frequency_index);
                let frequency = self
                    .extension_sampling_frequency
                    .unwrap_or(self.sampling_frequency);
                write_frequency(&mut w, index, frequency);
                if self.ps {
                    w.write_bits(SYNC_EXTENSION_PS, 11);
                    w.write_flag(true);
                }
            }
        }
        let pad = (8 - w.bit_phase()) % 8;
        w.write_bits(0, pad);
    }

    /// The RFC 6381 codec string for HLS `CODECS` attributes: `mp4a.40.` followed by the
    /// signalled object type (2 for LC, 5 for HE-AAC, 29 for HE-AACv2).
    pub fn codec_string(&self) -> String {
        format!("mp4a.40.{}", self.object_type)
    }
}

/// Backward-compatible SBR/PS signalling after the core config (§1.6.2.1).
struct SyncExtension {
    sbr: bool,
    ps: bool,
    frequency: Option<(u8, u32)>,
}

impl SyncExtension {
    /// `None` when the bits are not an SBR sync extension (an ER BSAC one is ignored too).
    fn read(r: &mut BitReader<'_>) -> Result<Option<SyncExtension>, Error> {
        if r.read_bits(11, "syncExtensionType")? != SYNC_EXTENSION_SBR
            || read_object_type(r, "extensionAudioObjectType")? != OBJECT_TYPE_SBR
        {
            return Ok(None);
        }
        let mut ext = SyncExtension {
            sbr: r.read_flag("sbrPresentFlag")?,
            ps: false,
            frequency: None,
        };
        if ext.sbr {
            ext.frequency = Some(read_frequency(
                r,
                "extensionSamplingFrequencyIndex",
                "extensionSamplingFrequency",
            )?);
            if r.bits_left() >= 12 && r.read_bits(11, "syncExtensionType")? == SYNC_EXTENSION_PS {
                ext.ps = r.read_flag("psPresentFlag")?;
            }
        }
        Ok(Some(ext))
    }
}

/// GetAudioObjectType() (§1.6.2.1, Table 1.14).
fn read_object_type(r: &mut BitReader<'_>, field: &'static str) -> Result<u8, Error> {
    let mut object_type = r.read_u8(5, field)?;
    if object_type == 31 {
        // 32 + a 6-bit value: at most 95, fits in u8.
        object_type = 32 + r.read_u8(6, "audioObjectTypeExt")?;
    }
    if object_type == 0 {
        return Err(Error::OutOfRange {
            field,
            value: 0,
            min: 1,
            max: 95,
        });
    }
    Ok(object_type)
}

fn write_object_type(w: &mut BitWriter<'_>, object_type: u8) {
    if object_type >= 31 {
        w.write_bits(31, 5);
        w.write_bits(u32::from(object_type.saturating_sub(32)), 6);
    } else {
        w.write_bits(u32::from(object_type), 5);
    }
}

fn read_frequency(
    r: &mut BitReader<'_>,
    index_field: &'static str,
    frequency_field: &'static str,
) -> Result<(u8, u32), Error> {
    let index = r.read_u8(4, index_field)?;
    match index {
        15 => Ok((15, r.read_bits(24, frequency_field)?)),
        13 | 14 => Err(Error::ReservedSamplingFrequencyIndex { index }),
        _ => Ok((index, sampling_frequency(index).unwrap_or(0))),
    }
}

fn write_frequency(w: &mut BitWriter<'_>, index: u8, frequency: u32) {
    w.write_bits(u32::from(index), 4);
    if index == 15 {
        w.write_bits(frequency, 24);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(bytes: &[u8]) -> AudioSpecificConfig {
        let asc = AudioSpecificConfig::parse(bytes).unwrap();
        let mut out = Vec::new();
        asc.encode(&mut out);
        assert_eq!(out, bytes, "{asc:?}");
        asc
    }

    #[test]
    fn lc_stereo() {
        let asc = round_trip(&[0x12, 0x10]);
        assert_eq!(asc.object_type, 2);
        assert_eq!(asc.sampling_frequency_index, 4);
        assert_eq!(asc.channel_configuration, 2);
        assert_eq!(asc.frame_length, 1024);
        assert!(!asc.sbr && !asc.ps && !asc.sync_extension);
        assert_eq!(asc.uninterpreted, None);
    }

    #[test]
    fn explicit_he_aac_v2() {
        // object type 29, core index 6 (24 kHz), 1 channel, extension index 3 (48 kHz), core LC.
        let asc = round_trip(&[0xEB, 0x09, 0x88, 0x00]);
        assert_eq!(asc.object_type, 29);
        assert_eq!(asc.core_object_type, 2);
        assert_eq!(asc.sampling_frequency, 24000);
        assert_eq!(asc.extension_sampling_frequency, Some(48000));
        assert!(asc.sbr && asc.ps);
        assert_eq!(asc.codec_string(), "mp4a.40.29");
    }

    #[test]
    fn backward_compatible_sbr_and_ps() {
        // LC 22.05 kHz mono, then 0x2B7 / SBR present / 44.1 kHz, then 0x548 / PS present.
        let mut bytes = Vec::new();
        let mut w = BitWriter::new(&mut bytes);
        w.write_bits(2, 5);
        w.write_bits(7, 4);
        w.write_bits(1, 4);
        w.write_bits(0, 3);
        w.write_bits(0x2B7, 11);
        w.write_bits(5, 5);
        w.write_bits(1, 1);
        w.write_bits(4, 4);
        w.write_bits(0x548, 11);
        w.write_bits(1, 1);
        w.write_bits(0, 7);
        let asc = round_trip(&bytes);
        assert!(asc.sync_extension && asc.sbr && asc.ps);
        assert_eq!(asc.object_type, 2);
        assert_eq!(asc.extension_sampling_frequency, Some(44100));
    }

    #[test]
    fn escaped_object_type_keeps_unknown_config() {
        // 31 + 10 → object type 42 (USAC), index 3, stereo, then an opaque config byte.
        let asc = round_trip(&[0xF9, 0x46, 0x4A, 0xBC]);
        assert_eq!(asc.object_type, 42);
        assert_eq!(asc.sampling_frequency, 48000);
        assert_eq!(asc.channel_configuration, 2);
        assert_eq!(asc.uninterpreted.as_ref().map(|r| r.bit_len), Some(13));
    }

    #[test]
    fn explicit_frequency() {
        // LC, index 15, 0x00BB80 = 48000 Hz, 2 channels.
        let asc = round_trip(&[0x17, 0x80, 0x5D, 0xC0, 0x10]);
        assert_eq!(asc.sampling_frequency_index, 15);
        assert_eq!(asc.sampling_frequency, 48000);
        assert!(matches!(
            AudioSpecificConfig::parse(&[0x17, 0x80, 0x5D]),
            Err(Error::BitstreamEnd {
                field: "samplingFrequency",
                ..
            })
        ));
    }

    #[test]
    fn frame_length_960_and_core_coder_delay() {
        let mut bytes = Vec::new();
        let mut w = BitWriter::new(&mut bytes);
        w.write_bits(2, 5);
        w.write_bits(3, 4);
        w.write_bits(2, 4);
        w.write_bits(1, 1);
        w.write_bits(1, 1);
        w.write_bits(0x1234, 14);
        w.write_bits(0, 1 + 2);
        let asc = round_trip(&bytes);
        assert_eq!(asc.frame_length, 960);
        assert_eq!(asc.core_coder_delay, Some(0x1234));
    }

    #[test]
    fn unusable_sync_extension_is_ignored() {
        // LC 44.1 kHz stereo, then 0x2B7 followed by object type 0 (invalid) and then a
        // 0x2B7 / SBR / index 13 (reserved): the core config stands without the extension.
        for tail in [[0x56, 0xE0, 0x00], [0x56, 0xE5, 0xE8]] {
            let mut bytes = vec![0x12, 0x10];
            bytes.extend_from_slice(&tail);
            let asc = AudioSpecificConfig::parse(&bytes).unwrap();
            assert!(!asc.sync_extension && !asc.sbr, "{tail:02x?}");
            assert_eq!(asc.extension_sampling_frequency, None);
        }
    }

    #[test]
    fn reserved_index_and_null_object_type() {
        assert_eq!(
            AudioSpecificConfig::parse(&[0x16, 0x90]),
            Err(Error::ReservedSamplingFrequencyIndex { index: 13 })
        );
        assert_eq!(
            AudioSpecificConfig::parse(&[0x02, 0x10]),
            Err(Error::OutOfRange {
                field: "audioObjectType",
                value: 0,
                min: 1,
                max: 95
            })
        );
    }
}
