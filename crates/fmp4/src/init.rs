//! The init segment: `ftyp` + `moov` (ISO/IEC 14496-12 §4.3, §8.2–§8.8;
//! CMAF header, ISO/IEC 23000-19 §7.3.2.1).

use crate::boxes::{self, begin, begin_full, close, matrix, u16, u32, u64};
use crate::{Codec, Error, MuxerConfig, MAX_CONFIG_RECORD};

/// An upper bound of the `moov` size: per track the largest record plus
/// well over the ~700 bytes of fixed boxes around it.
const MOOV_BOUND: u64 = crate::MAX_TRACKS as u64 * (MAX_CONFIG_RECORD + 4096);
const _: () = assert!(MOOV_BOUND < u32::MAX as u64);

/// Movie timescale of `mvhd`; nothing in it is timed (durations are 0).
const MOVIE_TIMESCALE: u32 = 1000;

/// `ftyp` brands.
///
/// Major brand `iso6`: the file uses ISO BMFF features up to the 6th
/// edition's `iso6` set, which contains what fragments need here (`tfdt`,
/// `default-base-is-moof` of `iso5`, signed composition offsets in `trun`
/// version 1). Compatible brands: `iso6` again (the major brand is not
/// implied compatible), `cmfc` because the header and fragments follow the
/// CMAF structural constraints (one track per CMAF track set is the
/// caller's choice; the boxes themselves are CMAF-shaped), and `mp41` for
/// players that look for an MP4 (ISO/IEC 14496-14) brand before they
/// accept `mp4a`/`esds`. No codec brand (`avc1`, `hvc1`, `av01`) is listed:
/// those describe CMAF media profiles whose constraints the muxer cannot
/// check without parsing the codec.
pub(crate) const FTYP_MAJOR: boxes::FourCc = *b"iso6";
pub(crate) const FTYP_COMPATIBLE: [boxes::FourCc; 3] = [*b"iso6", *b"cmfc", *b"mp41"];

/// Builds the init segment of `config`, validating it on the way.
pub(crate) fn write(config: &MuxerConfig) -> Result<Vec<u8>, Error> {
    if config.tracks.is_empty() {
        return Err(Error::NoTracks);
    }
    let max = crate::MAX_TRACKS;
    if config.tracks.len() > max {
        return Err(Error::TooManyTracks {
            count: config.tracks.len(),
            max,
        });
    }
    for (i, codec) in config.tracks.iter().enumerate() {
        check(i as u32 + 1, codec)?;
    }
    // From here on nothing can fail: MAX_TRACKS and MAX_CONFIG_RECORD keep
    // every box far below its 32-bit size (see `MOOV_BOUND`).
    let mut out = Vec::with_capacity(512 + config.tracks.len() * 600);
    ftyp(&mut out);
    let moov = begin(&mut out, b"moov");
    mvhd(&mut out, config.tracks.len() as u32 + 1);
    for (i, codec) in config.tracks.iter().enumerate() {
        trak(&mut out, i as u32 + 1, codec);
    }
    let mvex = begin(&mut out, b"mvex");
    for i in 0..config.tracks.len() {
        trex(&mut out, i as u32 + 1);
    }
    close(&mut out, mvex);
    close(&mut out, moov);
    Ok(out)
}

pub(crate) fn ftyp(out: &mut Vec<u8>) {
    let start = begin(out, b"ftyp");
    out.extend_from_slice(&FTYP_MAJOR);
    u32(out, 0); // minor_version
    for brand in FTYP_COMPATIBLE {
        out.extend_from_slice(&brand);
    }
    close(out, start);
}

/// Movie header, version 0: no times, unity rate and volume.
pub(crate) fn mvhd(out: &mut Vec<u8>, next_track_id: u32) {
    let start = begin_full(out, b"mvhd", 0, 0);
    u32(out, 0); // creation_time
    u32(out, 0); // modification_time
    u32(out, MOVIE_TIMESCALE);
    u32(out, 0); // duration: unknown, fragments follow
    u32(out, 0x0001_0000); // rate 1.0
    u16(out, 0x0100); // volume 1.0
    out.extend_from_slice(&[0; 10]); // reserved
    matrix(out);
    out.extend_from_slice(&[0; 24]); // pre_defined
    u32(out, next_track_id);
    close(out, start);
}

fn trak(out: &mut Vec<u8>, track_id: u32, codec: &Codec) {
    let trak = begin(out, b"trak");
    tkhd(out, track_id, codec);
    let mdia = begin(out, b"mdia");
    mdhd(out, codec.timescale());
    hdlr(out, codec.is_video());
    let minf = begin(out, b"minf");
    if codec.is_video() {
        vmhd(out);
    } else {
        smhd(out);
    }
    dinf(out);
    let stbl = begin(out, b"stbl");
    stsd(out, codec);
    for kind in [b"stts", b"stsc", b"stco"] {
        let start = begin_full(out, kind, 0, 0);
        u32(out, 0); // entry_count
        close(out, start);
    }
    let stsz = begin_full(out, b"stsz", 0, 0);
    u32(out, 0); // sample_size
    u32(out, 0); // sample_count
    close(out, stsz);
    close(out, stbl);
    close(out, minf);
    close(out, mdia);
    close(out, trak);
}

fn check(track_id: u32, codec: &Codec) -> Result<(), Error> {
    let len = codec.record().len() as u64;
    if len > MAX_CONFIG_RECORD {
        return Err(Error::ConfigTooLarge {
            track_id,
            len,
            max: MAX_CONFIG_RECORD,
        });
    }
    if let Codec::Aac {
        sample_rate,
        channels,
        ..
    } = *codec
    {
        if !(1..=65_535).contains(&sample_rate) {
            return Err(Error::SampleRateOutOfRange {
                track_id,
                rate: sample_rate,
            });
        }
        if channels == 0 {
            return Err(Error::NoChannels { track_id });
        }
    }
    Ok(())
}

/// Track header, version 0, flags `track_enabled | track_in_movie`.
pub(crate) fn tkhd(out: &mut Vec<u8>, track_id: u32, codec: &Codec) {
    let start = begin_full(out, b"tkhd", 0, 0x000003);
    u32(out, 0); // creation_time
    u32(out, 0); // modification_time
    u32(out, track_id);
    u32(out, 0); // reserved
    u32(out, 0); // duration
    out.extend_from_slice(&[0; 8]); // reserved
    u16(out, 0); // layer
    u16(out, 0); // alternate_group
    u16(out, if codec.is_video() { 0 } else { 0x0100 }); // volume
    u16(out, 0); // reserved
    matrix(out);
    let (width, height) = match *codec {
        Codec::Avc { width, height, .. }
        | Codec::Hevc { width, height, .. }
        | Codec::Av1 { width, height, .. } => (width, height),
        Codec::Aac { .. } => (0, 0),
    };
    u32(out, u32::from(width) << 16); // 16.16 fixed point
    u32(out, u32::from(height) << 16);
    close(out, start);
}

/// Media header, version 0, language `und`.
pub(crate) fn mdhd(out: &mut Vec<u8>, timescale: u32) {
    let start = begin_full(out, b"mdhd", 0, 0);
    u32(out, 0); // creation_time
    u32(out, 0); // modification_time
    u32(out, timescale);
    u32(out, 0); // duration
                 // ISO-639-2/T 'und', three 5-bit letters - 0x60, behind a pad bit.
    u16(out, 0x55C4);
    u16(out, 0); // pre_defined
    close(out, start);
}

pub(crate) fn hdlr(out: &mut Vec<u8>, video: bool) {
    let start = begin_full(out, b"hdlr", 0, 0);
    u32(out, 0); // pre_defined
    out.extend_from_slice(if video { b"vide" } else { b"soun" });
    out.extend_from_slice(&[0; 12]); // reserved
    out.extend_from_slice(if video {
        b"VideoHandler\0"
    } else {
        b"SoundHandler\0"
    });
    close(out, start);
}

/// Video media header: flags 1, copy graphics mode, black opcolor.
pub(crate) fn vmhd(out: &mut Vec<u8>) {
    let start = begin_full(out, b"vmhd", 0, 1);
    out.extend_from_slice(&[0; 8]); // graphicsmode, opcolor[3]
    close(out, start);
}

/// Sound media header: centre balance.
pub(crate) fn smhd(out: &mut Vec<u8>) {
    let start = begin_full(out, b"smhd", 0, 0);
    out.extend_from_slice(&[0; 4]); // balance, reserved
    close(out, start);
}

/// Data information: one `url ` entry with flag 1, "media is in this file".
pub(crate) fn dinf(out: &mut Vec<u8>) {
    let dinf = begin(out, b"dinf");
    let dref = begin_full(out, b"dref", 0, 0);
    u32(out, 1); // entry_count
    let url = begin_full(out, b"url ", 0, 1);
    close(out, url);
    close(out, dref);
    close(out, dinf);
}

fn stsd(out: &mut Vec<u8>, codec: &Codec) {
    let stsd = begin_full(out, b"stsd", 0, 0);
    u32(out, 1); // entry_count
    match codec {
        Codec::Avc {
            width,
            height,
            avcc,
        } => visual_entry(out, b"avc1", *width, *height, b"avcC", avcc),
        Codec::Hevc {
            width,
            height,
            hvcc,
        } => visual_entry(out, b"hvc1", *width, *height, b"hvcC", hvcc),
        Codec::Av1 {
            width,
            height,
            av1c,
        } => visual_entry(out, b"av01", *width, *height, b"av1C", av1c),
        Codec::Aac {
            sample_rate,
            channels,
            audio_specific_config,
        } => mp4a(out, *sample_rate, *channels, audio_specific_config),
    }
    close(out, stsd);
}

/// A VisualSampleEntry (§12.1.3) holding one configuration box.
pub(crate) fn visual_entry(
    out: &mut Vec<u8>,
    kind: &boxes::FourCc,
    width: u16,
    height: u16,
    config_kind: &boxes::FourCc,
    config: &[u8],
) {
    let entry = begin(out, kind);
    out.extend_from_slice(&[0; 6]); // reserved
    u16(out, 1); // data_reference_index
    u16(out, 0); // pre_defined
    u16(out, 0); // reserved
    out.extend_from_slice(&[0; 12]); // pre_defined
    u16(out, width);
    u16(out, height);
    u32(out, 0x0048_0000); // horizresolution 72 dpi
    u32(out, 0x0048_0000); // vertresolution 72 dpi
    u32(out, 0); // reserved
    u16(out, 1); // frame_count
    out.extend_from_slice(&[0; 32]); // compressorname (empty Pascal string)
    u16(out, 0x0018); // depth
    u16(out, 0xFFFF); // pre_defined = -1
    let config_box = begin(out, config_kind);
    out.extend_from_slice(config);
    close(out, config_box);
    close(out, entry);
}

/// An AudioSampleEntry (§12.2.3) `mp4a` with its `esds` (ISO/IEC 14496-14 §5.6).
pub(crate) fn mp4a(out: &mut Vec<u8>, sample_rate: u32, channels: u16, asc: &[u8]) {
    let entry = begin(out, b"mp4a");
    out.extend_from_slice(&[0; 6]); // reserved
    u16(out, 1); // data_reference_index
    u64(out, 0); // reserved
    u16(out, channels);
    u16(out, 16); // samplesize
    u16(out, 0); // pre_defined
    u16(out, 0); // reserved
    u32(out, sample_rate << 16); // 16.16; the rate was checked to fit 16 bits
    esds(out, asc);
    close(out, entry);
}

/// Object type indication "Audio ISO/IEC 14496-3" (ISO/IEC 14496-1 Table 5).
const OTI_MPEG4_AUDIO: u8 = 0x40;
/// streamType AudioStream (0x05) << 2 | upStream 0 | reserved 1.
const STREAM_TYPE_AUDIO: u8 = 0x05 << 2 | 1;

/// `esds`: ES_Descriptor ⊃ DecoderConfigDescriptor ⊃ DecoderSpecificInfo
/// (the AudioSpecificConfig), then an SLConfigDescriptor with predefined 2
/// (ISO/IEC 14496-1 §7.2.6.5–7, §7.3.2.3; sizes in the expandable class form).
pub(crate) fn esds(out: &mut Vec<u8>, asc: &[u8]) {
    let asc_len = asc.len() as u32; // at most MAX_CONFIG_RECORD
    let dsi = 1 + size_len(asc_len) + asc_len;
    let dcd_body = 13 + dsi;
    let dcd = 1 + size_len(dcd_body) + dcd_body;
    let sl = 3;
    let es_body = 3 + dcd + sl;
    let start = begin_full(out, b"esds", 0, 0);
    out.push(0x03); // ES_DescrTag
    descriptor_size(out, es_body);
    u16(out, 0); // ES_ID
    out.push(0); // streamDependenceFlag, URL_Flag, OCRstreamFlag, streamPriority
    out.push(0x04); // DecoderConfigDescrTag
    descriptor_size(out, dcd_body);
    out.push(OTI_MPEG4_AUDIO);
    out.push(STREAM_TYPE_AUDIO);
    out.extend_from_slice(&[0; 3]); // bufferSizeDB
    u32(out, 0); // maxBitrate
    u32(out, 0); // avgBitrate
    out.push(0x05); // DecSpecificInfoTag
    descriptor_size(out, asc_len);
    out.extend_from_slice(asc);
    out.extend_from_slice(&[0x06, 0x01, 0x02]); // SLConfigDescrTag, size 1, predefined MP4
    close(out, start);
}

/// Bytes of the expandable size field for `n` (7 bits per byte, < 2^28).
fn size_len(n: u32) -> u32 {
    match n {
        0..=0x7F => 1,
        0x80..=0x3FFF => 2,
        0x4000..=0x1F_FFFF => 3,
        _ => 4,
    }
}

fn descriptor_size(out: &mut Vec<u8>, n: u32) {
    let len = size_len(n);
    for i in (0..len).rev() {
        let byte = ((n >> (7 * i)) & 0x7F) as u8;
        out.push(if i > 0 { byte | 0x80 } else { byte });
    }
}

/// Track extends: default sample description 1, no other defaults (every
/// `trun` carries per-sample duration, size and flags).
pub(crate) fn trex(out: &mut Vec<u8>, track_id: u32) {
    let start = begin_full(out, b"trex", 0, 0);
    u32(out, track_id);
    u32(out, 1); // default_sample_description_index
    u32(out, 0); // default_sample_duration
    u32(out, 0); // default_sample_size
    u32(out, 0); // default_sample_flags
    close(out, start);
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Writes with `f` and returns the bytes.
    fn with(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        f(&mut out);
        out
    }

    #[test]
    fn ftyp_bytes() {
        let expected = b"\0\0\0\x1cftypiso6\0\0\0\0iso6cmfcmp41";
        assert_eq!(with(ftyp), expected);
    }

    #[test]
    fn mvhd_bytes() {
        let out = with(|o| mvhd(o, 3));
        assert_eq!(out.len(), 108);
        assert_eq!(hex(&out[..12]), "0000006c6d76686400000000");
        assert_eq!(
            hex(&out[12..32]),
            "0000000000000000000003e80000000000010000"
        );
        assert_eq!(hex(&out[32..44]), "010000000000000000000000");
        assert_eq!(out[44..48], [0, 1, 0, 0]); // matrix a = 1.0
        assert_eq!(out[76..80], [0x40, 0, 0, 0]); // matrix w = 1.0 (2.30)
        assert_eq!(out[80..104], [0; 24]);
        assert_eq!(out[104..], [0, 0, 0, 3]);
    }

    #[test]
    fn tkhd_bytes_video_and_audio() {
        let avc = Codec::Avc {
            width: 1280,
            height: 720,
            avcc: Bytes::new(),
        };
        let out = with(|o| tkhd(o, 1, &avc));
        assert_eq!(out.len(), 92);
        assert_eq!(
            hex(&out[..24]),
            "0000005c746b686400000003000000000000000000000001"
        );
        assert_eq!(out[32..48], [0; 16]); // reserved, layer, group, volume 0, reserved
        assert_eq!(hex(&out[84..]), "0500000002d00000"); // 1280.0, 720.0
        let aac = Codec::Aac {
            sample_rate: 48_000,
            channels: 2,
            audio_specific_config: Bytes::new(),
        };
        let out = with(|o| tkhd(o, 2, &aac));
        assert_eq!(out[20..24], [0, 0, 0, 2]);
        assert_eq!(out[44..46], [1, 0]); // volume 1.0
        assert_eq!(out[84..], [0; 8]);
    }

    #[test]
    fn mdhd_hdlr_bytes() {
        let out = with(|o| mdhd(o, 90_000));
        assert_eq!(
            hex(&out),
            "000000206d646864000000000000000000000000\
             00015f900000000055c40000"
        );
        let out = with(|o| hdlr(o, false));
        assert_eq!(&out[..8], b"\0\0\0\x2dhdlr");
        assert_eq!(&out[16..20], b"soun");
        assert_eq!(&out[32..], b"SoundHandler\0");
        let out = with(|o| hdlr(o, true));
        assert_eq!(&out[16..20], b"vide");
        assert_eq!(&out[32..], b"VideoHandler\0");
    }

    #[test]
    fn media_headers_and_dinf_bytes() {
        assert_eq!(hex(&with(vmhd)), "00000014766d6864000000010000000000000000");
        assert_eq!(hex(&with(smhd)), "00000010736d68640000000000000000");
        assert_eq!(
            hex(&with(dinf)),
            "0000002464696e660000001c6472656600000000000000010000000c75726c2000000001"
        );
        assert_eq!(
            hex(&with(|o| trex(o, 7))),
            "0000002074726578000000000000000700000001000000000000000000000000"
        );
    }

    #[test]
    fn avc1_entry_bytes() {
        let out = with(|o| visual_entry(o, b"avc1", 320, 240, b"avcC", &[1, 2, 3]));
        assert_eq!(out.len(), 86 + 11);
        assert_eq!(&out[..8], b"\0\0\0\x61avc1");
        assert_eq!(out[8..16], [0, 0, 0, 0, 0, 0, 0, 1]); // reserved, data_reference_index
        assert_eq!(out[32..36], [0x01, 0x40, 0x00, 0xF0]); // 320 x 240
        assert_eq!(hex(&out[36..50]), "0048000000480000000000000001");
        assert_eq!(out[50..82], [0; 32]);
        assert_eq!(out[82..86], [0x00, 0x18, 0xFF, 0xFF]);
        assert_eq!(&out[86..], b"\0\0\0\x0bavcC\x01\x02\x03");
    }

    #[test]
    fn mp4a_and_esds_bytes() {
        let out = with(|o| mp4a(o, 44_100, 2, &[0x12, 0x10]));
        // mp4a header and AudioSampleEntry fields.
        assert_eq!(
            hex(&out[..36]),
            "0000004b6d7034610000000000000001000000000000000000020010000000\
             00ac440000"
        );
        // esds: full box, ES_Descriptor (size 25) > DecoderConfigDescriptor (size 17)
        // > DecoderSpecificInfo (size 2) + SLConfigDescriptor.
        assert_eq!(
            hex(&out[36..]),
            "000000276573647300000000\
             0319000000\
             041140150000000000000000000000\
             05021210\
             060102"
        );
    }

    #[test]
    fn descriptor_sizes_use_the_expandable_form() {
        let size = |n| with(|o| descriptor_size(o, n));
        assert_eq!(size(0x7F), [0x7F]);
        assert_eq!(size(0x80), [0x81, 0x00]);
        assert_eq!(size(0x3FFF), [0xFF, 0x7F]);
        assert_eq!(size(0x4000), [0x81, 0x80, 0x00]);
        assert_eq!(size(MAX_CONFIG_RECORD as u32 + 40), [0xC0, 0x80, 0x28]);
        assert_eq!(size(0x20_0000), [0x81, 0x80, 0x80, 0x00]);
    }

    #[test]
    fn empty_sample_tables() {
        let config = MuxerConfig::new(vec![Codec::Av1 {
            width: 16,
            height: 16,
            av1c: Bytes::from_static(&[0x81, 0, 0, 0]),
        }]);
        let init = write(&config).unwrap();
        for table in [b"stts", b"stsc", b"stco"] {
            let at = init.windows(4).position(|w| w == table).unwrap();
            assert_eq!(
                init[at - 4..at + 12],
                [&[0, 0, 0, 16][..], table, &[0; 8]].concat()
            );
        }
        let at = init.windows(4).position(|w| w == b"stsz").unwrap();
        assert_eq!(
            init[at - 4..at + 16],
            [&[0, 0, 0, 20][..], b"stsz", &[0; 12]].concat()
        );
        assert!(init.windows(4).any(|w| w == b"av01"));
    }

    #[test]
    fn refuses_bad_configurations() {
        let aac = |sample_rate, channels| Codec::Aac {
            sample_rate,
            channels,
            audio_specific_config: Bytes::from_static(&[0x12, 0x10]),
        };
        assert_eq!(write(&MuxerConfig::new(vec![])), Err(Error::NoTracks));
        assert_eq!(
            write(&MuxerConfig::new(vec![aac(96_000, 2)])),
            Err(Error::SampleRateOutOfRange {
                track_id: 1,
                rate: 96_000
            })
        );
        assert_eq!(
            write(&MuxerConfig::new(vec![aac(48_000, 2), aac(0, 2)])),
            Err(Error::SampleRateOutOfRange {
                track_id: 2,
                rate: 0
            })
        );
        assert_eq!(
            write(&MuxerConfig::new(vec![aac(48_000, 0)])),
            Err(Error::NoChannels { track_id: 1 })
        );
        let huge = Codec::Hevc {
            width: 1,
            height: 1,
            hvcc: Bytes::from(vec![0; MAX_CONFIG_RECORD as usize + 1]),
        };
        assert_eq!(
            write(&MuxerConfig::new(vec![huge])),
            Err(Error::ConfigTooLarge {
                track_id: 1,
                len: MAX_CONFIG_RECORD + 1,
                max: MAX_CONFIG_RECORD
            })
        );
        assert_eq!(
            write(&MuxerConfig::new(vec![
                aac(48_000, 2);
                crate::MAX_TRACKS + 1
            ])),
            Err(Error::TooManyTracks {
                count: crate::MAX_TRACKS + 1,
                max: crate::MAX_TRACKS
            })
        );
    }
}
