//! HEVC: the FFmpeg 9 / x265 fixtures' hvcC records and SPS against what ffprobe reports for
//! the same streams (remuxed to Matroska, since Debian's ffprobe 5.1 cannot read Enhanced FLV),
//! IRAP detection against the FLV frame type, and property tests.

use bytes::Bytes;
use livechannel_codec::hevc::{
    access_unit_is_irap, nal_unit_type, HevcDecoderConfigurationRecord, NalArray, ProfileTierLevel,
    Sps, NAL_PPS, NAL_PREFIX_SEI, NAL_SPS, NAL_VPS,
};
use livechannel_codec::length_prefixed_nal_units;
use proptest::prelude::*;

use crate::flv_walk::{self, HEVC_MAIN, HEVC_MAIN10};

fn record(name: &str) -> (Bytes, HevcDecoderConfigurationRecord) {
    let raw = flv_walk::read(name).enhanced_config.expect("SequenceStart");
    let record = HevcDecoderConfigurationRecord::parse(&raw).expect("fixture hvcC parses");
    (raw, record)
}

#[test]
fn fixture_records_and_sps() {
    // ffprobe (of `ffmpeg -i X.flv -c copy -map 0:v X.mkv`): profile, level, pix_fmt, size,
    // r_frame_rate.
    for (name, profile_idc, profile, level, depth, width, height, fps) in [
        (HEVC_MAIN, 1, "Main", 63, 8, 640, 360, 25.0),
        (HEVC_MAIN10, 2, "Main 10", 60, 10, 320, 180, 30.0),
    ] {
        let (raw, c) = record(name);
        assert_eq!(
            c.profile_tier_level.general_profile_idc, profile_idc,
            "{name}"
        );
        assert_eq!(c.profile_tier_level.general_level_idc, level, "{name}");
        assert_eq!(c.profile_tier_level.profile_name(), profile, "{name}");
        assert_eq!(c.chroma_format_idc, 1, "{name}");
        assert_eq!(c.bit_depth_luma_minus8 + 8, depth, "{name}");
        assert_eq!(c.length_size, 4, "{name}");
        let types: Vec<u8> = c.arrays.iter().map(|a| a.nal_unit_type).collect();
        assert_eq!(types, [NAL_VPS, NAL_SPS, NAL_PPS, NAL_PREFIX_SEI], "{name}");
        for array in &c.arrays {
            for nal in &array.nal_units {
                assert_eq!(nal_unit_type(nal[0]), array.nal_unit_type);
            }
        }
        let mut encoded = Vec::new();
        c.encode(&mut encoded);
        assert_eq!(encoded, raw, "{name}: encode reproduces FFmpeg's record");

        let sps = Sps::parse(c.sps().next().unwrap()).unwrap();
        assert_eq!(sps.profile_name(), profile, "{name}");
        assert_eq!(sps.profile_tier_level.general_level_idc, level, "{name}");
        assert_eq!((sps.width, sps.height), (width, height), "{name}");
        assert_eq!(sps.frame_rate, Some(fps), "{name}");
        assert_eq!((sps.bit_depth_luma, sps.bit_depth_chroma), (depth, depth));
        assert_eq!(sps.chroma_format_idc, 1);
        // The record repeats the SPS's profile_tier_level.
        assert_eq!(sps.profile_tier_level, c.profile_tier_level, "{name}");
        assert!(sps.profile_tier_level.progressive_source());
        let vui = sps.vui.as_ref().unwrap();
        assert!(vui.complete);
        // ffprobe: "SAR 1:1", "yuv420p(tv, ...)" (limited range).
        assert_eq!(vui.sample_aspect_ratio, Some((1, 1)), "{name}");
        assert!(!vui.video_full_range.unwrap_or(false), "{name}");
    }
    // 180 rows are coded as 184 (8-sample minimum coding blocks) and cropped by 2 chroma rows.
    let sps = Sps::parse(record(HEVC_MAIN10).1.sps().next().unwrap()).unwrap();
    assert_eq!(sps.pic_height_in_luma_samples, 184);
    assert_eq!(sps.conformance_window.map(|w| w.bottom), Some(2));
    assert_eq!(record(HEVC_MAIN).1.codec_string(), "hvc1.1.6.L63.90");
    assert_eq!(record(HEVC_MAIN10).1.codec_string(), "hvc1.2.4.L60.90");
}

#[test]
fn irap_matches_flv_frame_type() {
    for name in [HEVC_MAIN, HEVC_MAIN10] {
        let tracks = flv_walk::read(name);
        let (_, c) = record(name);
        let mut keyframes = 0;
        for (i, frame) in tracks.video.iter().enumerate() {
            let irap = access_unit_is_irap(&frame.data, c.length_size).unwrap();
            assert_eq!(irap, frame.keyframe, "{name} frame {i}");
            keyframes += usize::from(irap);
            let nals: Vec<Bytes> = length_prefixed_nal_units(&frame.data, 4)
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(!nals.is_empty());
        }
        // -g 25 over 2 s, and -g 15 over 1 s.
        assert_eq!(keyframes, 2, "{name}");
    }
}

#[test]
fn sps_rejects_other_nal_types() {
    let (_, c) = record(HEVC_MAIN);
    let pps = c.pps().next().unwrap();
    assert!(matches!(
        Sps::parse(pps),
        Err(livechannel_codec::Error::UnexpectedNalUnitType { found: 34, .. })
    ));
}

fn arb_record() -> impl Strategy<Value = HevcDecoderConfigurationRecord> {
    let array = (
        any::<bool>(),
        0u8..64,
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..20), 0..4),
    )
        .prop_map(|(array_completeness, nal_unit_type, nals)| NalArray {
            array_completeness,
            nal_unit_type,
            nal_units: nals.into_iter().map(Bytes::from).collect(),
        });
    (
        (
            0u8..4,
            any::<bool>(),
            0u8..32,
            any::<u32>(),
            0u64..1 << 48,
            any::<u8>(),
        ),
        (0u16..4096, 0u8..4, 0u8..4, 0u8..8, 0u8..8, any::<u16>()),
        (
            0u8..4,
            0u8..8,
            any::<bool>(),
            prop::sample::select(vec![1u8, 2, 4]),
        ),
        prop::collection::vec(array, 0..5),
    )
        .prop_map(|(a, b, c, arrays)| HevcDecoderConfigurationRecord {
            profile_tier_level: ProfileTierLevel {
                general_profile_space: a.0,
                general_tier_flag: a.1,
                general_profile_idc: a.2,
                general_profile_compatibility_flags: a.3,
                general_constraint_indicator_flags: a.4,
                general_level_idc: a.5,
            },
            min_spatial_segmentation_idc: b.0,
            parallelism_type: b.1,
            chroma_format_idc: b.2,
            bit_depth_luma_minus8: b.3,
            bit_depth_chroma_minus8: b.4,
            avg_frame_rate: b.5,
            constant_frame_rate: c.0,
            num_temporal_layers: c.1,
            temporal_id_nested: c.2,
            length_size: c.3,
            arrays,
        })
}

proptest! {
    #[test]
    fn hvcc_round_trips(record in arb_record()) {
        let mut encoded = Vec::new();
        record.encode(&mut encoded);
        let parsed = HevcDecoderConfigurationRecord::parse(&Bytes::from(encoded)).unwrap();
        prop_assert_eq!(parsed, record);
    }

    #[test]
    fn hvcc_never_panics(data in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = HevcDecoderConfigurationRecord::parse(&Bytes::from(data));
    }

    #[test]
    fn sps_never_panics(data in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Sps::parse(&data);
        let mut nal = vec![0x42, 0x01];
        nal.extend_from_slice(&data);
        if let Ok(sps) = Sps::parse(&nal) {
            prop_assert!(sps.width >= 1 && sps.width <= sps.pic_width_in_luma_samples);
            prop_assert!(sps.height >= 1 && sps.height <= sps.pic_height_in_luma_samples);
        }
    }

    /// Flipping bits in a real SPS never panics; cutting it short is an error or a shorter VUI.
    #[test]
    fn mutated_fixture_sps_never_panics(index in 2usize..42, bit in 0u8..8, cut in 2usize..42) {
        let (_, c) = record(HEVC_MAIN10);
        let mut nal = c.sps().next().unwrap().to_vec();
        nal[index] ^= 1 << bit;
        let _ = Sps::parse(&nal);
        let original = c.sps().next().unwrap();
        let _ = Sps::parse(&original[..cut]);
    }
}

/// SPS from other encoders and settings (FFmpeg 9 with libx265 and libkvazaar, 3 frames each,
/// `-f hevc`), against what ffprobe 5.1 reports for the same raw streams: profile, size,
/// r_frame_rate, pix_fmt (chroma format and bit depth).
///
/// Neither encoder puts reference picture sets in the SPS, so the last case is x265's SPS of a
/// one-frame 352x288 25 fps stream with three short-term sets (one explicit: -1, -3, +2; two
/// predicted: deltaRps -1 with a kept-but-unused entry, then +2 over the four derived entries)
/// and two long-term entries spliced in before sps_temporal_mvp_enabled_flag. FFmpeg 5.1
/// decodes that stream without complaint and ffprobe reads 352x288 at 25/1 from its VUI, so
/// its bit count through the sets agrees with this parser's.
#[test]
fn other_encoders_sps_match_ffprobe() {
    let cases = [
        // name, SPS hex, profile, width, height, fps, chroma_format_idc, bit depth, sets
        (
            "kvazaar 328x184 15 fps",
            "4201020160000003008000000300000300ba0000a00a480b96c100864932ac04040000030004000003003c20",
            "Main", 328, 184, 15.0, 1, 8, 0,
        ),
        (
            "x265 4:2:2 10-bit 200x100 24 fps",
            "4201010408000003009d0800000300001eb0192069f2b65959a4932bc05a020000030002000003003010",
            "Rext", 200, 100, 24.0, 2, 10, 0,
        ),
        (
            "x265 4:4:4 200x100 24 fps",
            "4201010408000003009e0800000300001e9003240d3e5cb2b349265780b4040000030004000003006020",
            "Rext", 200, 100, 24.0, 3, 8, 0,
        ),
        (
            "x265 gray 352x288 25 fps",
            "4201010408000003009fc800000300003cc02c2012165959a4932bc05b020000030002000003003210",
            "Rext", 352, 288, 25.0, 0, 8, 0,
        ),
        (
            "x265 scaling-list=default 352x288 30000/1001",
            "42010101600000030090000003000003003ca00b08048596566924e5780b40400000fa40001d4c02",
            "Main", 352, 288, 30000.0 / 1001.0, 1, 8, 0,
        ),
        (
            "x265 veryslow b-pyramid 1280x720 50 fps",
            "420101016000000300900000030000030078a00280802d165998a9246daf0168080000030008000003019040",
            "Main", 1280, 720, 50.0, 1, 8, 0,
        ),
        (
            "x265 352x288 25 fps with reference picture sets spliced in",
            "42010101600000030090000003000003003ca00b08048596566924c88d68bf72fd82c25e02d0100000030010000003019080",
            "Main", 352, 288, 25.0, 1, 8, 3,
        ),
    ];
    for (name, hex, profile, width, height, fps, chroma, depth, sets) in cases {
        let nal: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let sps = Sps::parse(&nal).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sps.profile_name(), profile, "{name}");
        assert_eq!((sps.width, sps.height), (width, height), "{name}");
        assert_eq!(sps.frame_rate, Some(fps), "{name}");
        assert_eq!(sps.chroma_format_idc, chroma, "{name}");
        assert_eq!(sps.bit_depth_luma, depth, "{name}");
        assert_eq!(sps.num_short_term_ref_pic_sets, sets, "{name}");
    }
}
