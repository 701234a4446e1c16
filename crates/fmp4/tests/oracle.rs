//! Our muxer's output read back by `mp4-atom`.

#[path = "oracle/props.rs"]
mod props;
#[path = "oracle/read.rs"]
mod read;

use bytes::Bytes;
use livechannel_fmp4::{
    Codec, Muxer, MuxerConfig, Sample, SampleData, NON_SYNC_SAMPLE_FLAGS, SYNC_SAMPLE_FLAGS,
};
use mp4_atom::{Av1c, Avcc, Encode, FourCC, Hvcc};
use read::{read_fragment, read_init, ReadFragment};

/// The body of a configuration box as `mp4-atom` itself encodes it, so
/// the oracle can compare what it decodes from our sample entry.
pub fn record<T: Encode>(atom: &T) -> Bytes {
    let mut out = Vec::new();
    atom.encode(&mut out).unwrap();
    Bytes::from(out[8..].to_vec())
}

pub fn avcc() -> Avcc {
    Avcc {
        configuration_version: 1,
        avc_profile_indication: 66,
        profile_compatibility: 0xC0,
        avc_level_indication: 30,
        length_size: 4,
        sequence_parameter_sets: vec![vec![0x67, 0x42, 0xC0, 0x1E, 0xDA, 0x02, 0x80, 0xBF]],
        picture_parameter_sets: vec![vec![0x68, 0xCE, 0x3C, 0x80]],
        ext: None,
    }
}

fn hvcc() -> Hvcc {
    Hvcc {
        general_profile_idc: 1,
        general_level_idc: 93,
        chroma_format_idc: 1,
        length_size_minus_one: 3,
        num_temporal_layers: 1,
        ..Hvcc::new()
    }
}

fn av1c() -> Av1c {
    Av1c {
        seq_level_idx_0: 8,
        chroma_subsampling_x: true,
        chroma_subsampling_y: true,
        ..Av1c::default()
    }
}

/// AAC-LC, 44.1 kHz, stereo.
pub const ASC: [u8; 2] = [0x12, 0x10];

pub fn aac() -> Codec {
    Codec::Aac {
        sample_rate: 44_100,
        channels: 2,
        audio_specific_config: Bytes::from_static(&ASC),
    }
}

pub fn h264(width: u16, height: u16) -> Codec {
    Codec::Avc {
        width,
        height,
        avcc: record(&avcc()),
    }
}

/// Checks one sample entry against the oracle; returns its four-character code.
fn check_entry(codec: &Codec, entry: &mp4_atom::Codec) -> FourCC {
    use mp4_atom::Codec as C;
    match (codec, entry) {
        (Codec::Avc { width, height, .. }, C::Avc1(avc1)) => {
            assert_eq!((avc1.visual.width, avc1.visual.height), (*width, *height));
            assert_eq!(avc1.avcc, avcc());
            FourCC::new(b"avc1")
        }
        (Codec::Hevc { width, height, .. }, C::Hvc1(hvc1)) => {
            assert_eq!((hvc1.visual.width, hvc1.visual.height), (*width, *height));
            assert_eq!(hvc1.hvcc, hvcc());
            FourCC::new(b"hvc1")
        }
        (Codec::Av1 { width, height, .. }, C::Av01(av01)) => {
            assert_eq!((av01.visual.width, av01.visual.height), (*width, *height));
            assert_eq!(av01.av1c, av1c());
            FourCC::new(b"av01")
        }
        (
            Codec::Aac {
                sample_rate,
                channels,
                audio_specific_config,
            },
            C::Mp4a(mp4a),
        ) => {
            assert_eq!(mp4a.audio.channel_count, *channels);
            assert_eq!(u32::from(mp4a.audio.sample_rate.integer()), *sample_rate);
            let dc = &mp4a.esds.es_desc.dec_config;
            assert_eq!(dc.object_type_indication, 0x40);
            assert_eq!(dc.stream_type, 0x05);
            let dsi = dc.dec_specific.as_ref().expect("DecoderSpecificInfo");
            assert_eq!(dsi.raw, audio_specific_config.to_vec());
            FourCC::new(b"mp4a")
        }
        (codec, entry) => panic!("{codec:?} written as {entry:?}"),
    }
}

/// Reads the init segment of `config` and checks every track.
fn check_init(config: &MuxerConfig, init: &[u8]) {
    let (ftyp, moov) = read_init(init);
    assert_eq!(ftyp.major_brand, FourCC::new(b"iso6"));
    assert_eq!(
        ftyp.compatible_brands,
        [b"iso6", b"cmfc", b"mp41"].map(FourCC::new)
    );
    assert_eq!(moov.mvhd.next_track_id, config.tracks.len() as u32 + 1);
    assert_eq!(moov.trak.len(), config.tracks.len());
    let mvex = moov.mvex.as_ref().expect("mvex");
    assert_eq!(mvex.trex.len(), config.tracks.len());
    for (i, (codec, trak)) in config.tracks.iter().zip(&moov.trak).enumerate() {
        let id = i as u32 + 1;
        assert_eq!(trak.tkhd.track_id, id);
        assert!(trak.tkhd.enabled && trak.tkhd.in_movie);
        assert_eq!(trak.mdia.mdhd.timescale, codec.timescale());
        assert_eq!(trak.mdia.mdhd.language, "und");
        let handler = if codec.is_video() { b"vide" } else { b"soun" };
        assert_eq!(trak.mdia.hdlr.handler, FourCC::new(handler));
        let minf = &trak.mdia.minf;
        assert_eq!(minf.vmhd.is_some(), codec.is_video());
        assert_eq!(minf.smhd.is_some(), !codec.is_video());
        let stbl = &minf.stbl;
        assert!(stbl.stts.entries.is_empty() && stbl.stsc.entries.is_empty());
        assert!(stbl.stco.as_ref().expect("stco").entries.is_empty());
        assert_eq!(stbl.stsz.samples, mp4_atom::StszSamples::default());
        assert_eq!(stbl.stsd.codecs.len(), 1);
        check_entry(codec, &stbl.stsd.codecs[0]);
        if let Codec::Avc { width, height, .. } = codec {
            assert_eq!(trak.tkhd.width.integer(), *width);
            assert_eq!(trak.tkhd.height.integer(), *height);
        }
        assert_eq!(mvex.trex[i].track_id, id);
        assert_eq!(mvex.trex[i].default_sample_description_index, 1);
    }
}

/// Checks that the oracle reads back exactly the samples given.
pub fn check_fragment(read: &ReadFragment, sequence_number: u32, tracks: &[Vec<Sample>]) {
    assert_eq!(read.sequence_number, sequence_number);
    let written: Vec<_> = tracks
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .collect();
    assert_eq!(read.tracks.len(), written.len());
    for (got, (i, samples)) in read.tracks.iter().zip(written) {
        assert_eq!(got.track_id, i as u32 + 1);
        assert_eq!(got.tfdt, samples[0].dts);
        assert_eq!(got.samples.len(), samples.len());
        for (g, s) in got.samples.iter().zip(samples) {
            assert_eq!(g.dts, s.dts);
            assert_eq!(g.duration, s.duration);
            assert_eq!(g.composition_offset, i64::from(s.composition_offset));
            let flags = if s.is_sync {
                SYNC_SAMPLE_FLAGS
            } else {
                NON_SYNC_SAMPLE_FLAGS
            };
            assert_eq!(g.flags, flags);
            let data: Vec<u8> = s.data.chunks().concat();
            assert_eq!(g.data, data);
        }
    }
}

#[test]
fn init_segments_of_every_codec_read_back() {
    let configs = [
        vec![h264(1280, 720), aac()],
        vec![Codec::Hevc {
            width: 3840,
            height: 2160,
            hvcc: record(&hvcc()),
        }],
        vec![
            Codec::Av1 {
                width: 1920,
                height: 1080,
                av1c: record(&av1c()),
            },
            Codec::Aac {
                sample_rate: 48_000,
                channels: 6,
                audio_specific_config: Bytes::from_static(&[0x11, 0xB0]),
            },
        ],
        vec![aac()],
    ];
    for tracks in configs {
        let config = MuxerConfig::new(tracks);
        let mux = Muxer::new(config.clone()).unwrap();
        check_init(&config, mux.init_segment());
    }
}

fn sample(dts: u64, duration: u32, cto: i32, is_sync: bool, data: SampleData) -> Sample {
    Sample {
        dts,
        duration,
        composition_offset: cto,
        is_sync,
        data,
    }
}

#[test]
fn fragments_read_back_with_both_outputs() {
    let config = MuxerConfig::new(vec![h264(640, 360), aac()]);
    let mut mux = Muxer::new(config).unwrap();
    let video = vec![
        sample(
            0,
            3000,
            6000,
            true,
            Bytes::from_static(b"\0\0\0\x02\x65\x88").into(),
        ),
        sample(
            3000,
            3000,
            -3000,
            false,
            SampleData::Gather(vec![
                Bytes::from_static(b"\0\0\0\x01"),
                Bytes::from_static(b"\x41"),
            ]),
        ),
        sample(
            6000,
            3000,
            0,
            false,
            Bytes::from_static(b"\0\0\0\x01\x01").into(),
        ),
    ];
    let audio: Vec<Sample> = (0..4)
        .map(|i| {
            sample(
                1000 + i * 1024,
                1024,
                0,
                true,
                Bytes::from(vec![i as u8; 7]).into(),
            )
        })
        .collect();
    let tracks = vec![video, audio];

    let mut one_copy = Vec::new();
    let info = mux.write_fragment(&tracks, &mut one_copy).unwrap();
    assert_eq!(info.size, one_copy.len() as u64);
    let read = read_fragment(&one_copy);
    assert_eq!(read.mdat_header, 8);
    let styp = read.styp.as_ref().expect("styp");
    assert_eq!(styp.major_brand, FourCC::new(b"msdh"));
    assert_eq!(styp.compatible_brands, [b"msdh", b"cmfs"].map(FourCC::new));
    check_fragment(&read, 1, &tracks);

    // The next fragment, zero-copy: header + the caller's buffers.
    let next: Vec<Vec<Sample>> = tracks
        .iter()
        .map(|samples| {
            let end = samples
                .last()
                .map(|s| s.dts + u64::from(s.duration))
                .unwrap();
            samples
                .iter()
                .map(|s| Sample {
                    dts: s.dts - samples[0].dts + end,
                    ..s.clone()
                })
                .collect()
        })
        .collect();
    let (mut header, mut media) = (Vec::new(), Vec::new());
    let info = mux
        .write_fragment_gather(&next, &mut header, &mut media)
        .unwrap();
    assert_eq!(media.len(), 8, "one buffer per chunk, none merged");
    let joined: Vec<u8> = [header.as_slice()]
        .into_iter()
        .chain(media.iter().map(|b| b.as_ref()))
        .collect::<Vec<_>>()
        .concat();
    assert_eq!(info.size, joined.len() as u64);
    // The media buffers are the caller's, not copies.
    assert_eq!(media[0].as_ptr(), next[0][0].data.chunks()[0].as_ptr());
    check_fragment(&read_fragment(&joined), 2, &next);
}

#[test]
fn fragment_without_styp_and_with_an_empty_track() {
    let config = MuxerConfig {
        tracks: vec![h264(320, 240), aac()],
        styp: false,
    };
    let mut mux = Muxer::new(config).unwrap();
    let tracks = vec![
        vec![],
        vec![sample(
            u64::from(u32::MAX) + 5,
            1024,
            0,
            true,
            Bytes::from_static(b"x").into(),
        )],
    ];
    let mut out = Vec::new();
    mux.write_fragment(&tracks, &mut out).unwrap();
    let read = read_fragment(&out);
    assert!(read.styp.is_none());
    check_fragment(&read, 1, &tracks);
}
