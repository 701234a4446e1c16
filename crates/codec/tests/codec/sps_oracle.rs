//! Our SPS parser against h264-reader and against the values the builder wrote.

use h264_reader::nal::sps::SeqParameterSet;
use h264_reader::rbsp::{decode_nal, BitReader};
use livechannel_codec::h264::Sps;
use livechannel_codec::Error;
use proptest::prelude::*;

use crate::sps_builder::{arb_sps, Bits, Chroma, Poc, SpsSpec, VuiSpec};

pub fn oracle(nal: &[u8]) -> SeqParameterSet {
    let rbsp = decode_nal(nal).expect("oracle decodes the NAL");
    SeqParameterSet::from_bits(BitReader::new(&rbsp[..])).expect("oracle parses the SPS")
}

/// Every field both parsers expose must agree.
pub fn assert_matches_oracle(nal: &[u8]) -> Sps {
    let ours = Sps::parse(nal).unwrap_or_else(|e| panic!("our parser failed: {e}"));
    let theirs = oracle(nal);
    assert_eq!(ours.profile_idc, u8::from(theirs.profile_idc));
    assert_eq!(ours.constraint_flags, u8::from(theirs.constraint_flags));
    assert_eq!(ours.level_idc, theirs.level_idc);
    assert_eq!(ours.seq_parameter_set_id, u32::from(theirs.id().id()));
    assert_eq!(
        (ours.width, ours.height),
        theirs.pixel_dimensions().expect("oracle dimensions")
    );
    assert_eq!(ours.log2_max_frame_num, theirs.log2_max_frame_num());
    assert_eq!(ours.max_num_ref_frames, theirs.max_num_ref_frames);
    assert_eq!(ours.pic_width_in_mbs, theirs.pic_width_in_mbs());
    assert_eq!(
        ours.pic_height_in_map_units,
        theirs.pic_height_in_map_units()
    );
    assert_eq!(
        ours.frame_mbs_only,
        matches!(
            theirs.frame_mbs_flags,
            h264_reader::nal::sps::FrameMbsFlags::Frames
        )
    );
    assert_eq!(
        ours.bit_depth_luma,
        8 + theirs.chroma_info.bit_depth_luma_minus8
    );
    assert_eq!(
        ours.scaling_matrix_present,
        theirs.chroma_info.scaling_matrix.is_some()
    );
    assert_eq!(ours.frame_rate, theirs.fps());
    let their_vui = theirs.vui_parameters.as_ref();
    assert_eq!(ours.vui.is_some(), their_vui.is_some());
    if let (Some(v), Some(t)) = (&ours.vui, their_vui) {
        assert!(v.complete);
        assert_eq!(
            v.sample_aspect_ratio,
            t.aspect_ratio_info.as_ref().and_then(|a| a.get())
        );
        assert_eq!(
            v.timing_info
                .map(|t| (t.num_units_in_tick, t.time_scale, t.fixed_frame_rate)),
            t.timing_info.as_ref().map(|t| (
                t.num_units_in_tick,
                t.time_scale,
                t.fixed_frame_rate_flag
            ))
        );
        assert_eq!(
            v.video_full_range,
            t.video_signal_type
                .as_ref()
                .map(|s| s.video_full_range_flag)
        );
        assert_eq!(v.pic_struct_present, t.pic_struct_present_flag);
        assert_eq!(
            v.max_num_reorder_frames,
            t.bitstream_restrictions
                .as_ref()
                .map(|r| r.max_num_reorder_frames)
        );
        assert_eq!(
            v.max_dec_frame_buffering,
            t.bitstream_restrictions
                .as_ref()
                .map(|r| r.max_dec_frame_buffering)
        );
    }
    ours
}

fn high_422_with_scaling() -> SpsSpec {
    SpsSpec {
        profile_idc: 122,
        constraint_flags: 0,
        level_idc: 40,
        chroma: Some(Chroma {
            chroma_format_idc: 2,
            separate_colour_plane: false,
            bit_depth_luma_minus8: 2,
            bit_depth_chroma_minus8: 2,
            qpprime: false,
            scaling: Some(vec![
                Some(vec![3, -5, 7, 0, 1]),
                None,
                Some(vec![-8]), // nextScale 0 at j = 0: "use default"
                None,
                None,
                Some(vec![10; 20]),
                Some(vec![1, 2, 3]),
                None,
            ]),
        }),
        crop: Some([0, 0, 0, 4]),
        ..SpsSpec::simple(120, 68)
    }
}

#[test]
fn cropped_1080p() {
    // 1920x1088 coded, bottom crop 4 units of 2 rows (4:2:0) → 1080.
    let spec = SpsSpec {
        crop: Some([0, 0, 0, 4]),
        ..SpsSpec::simple(120, 68)
    };
    let sps = assert_matches_oracle(&spec.build());
    assert_eq!((sps.width, sps.height), (1920, 1080));
    assert_eq!(sps.profile_name(), "Main");
    assert_eq!(sps.frame_cropping.map(|c| c.bottom), Some(4));
}

#[test]
fn vui_timing_gives_frame_rate() {
    let spec = SpsSpec {
        vui: Some(VuiSpec {
            aspect: Some((255, 4, 3)),
            timing: Some((1001, 60000, true)),
            restriction: None,
            ..VuiSpec::default()
        }),
        ..SpsSpec::simple(40, 30)
    };
    let sps = assert_matches_oracle(&spec.build());
    assert!((sps.frame_rate.unwrap() - 29.97).abs() < 0.001);
    let vui = sps.vui.unwrap();
    assert_eq!(vui.sample_aspect_ratio, Some((4, 3)));
    assert_eq!(vui.timing_info.map(|t| t.time_scale), Some(60000));
}

#[test]
fn high_422_with_scaling_matrices() {
    let sps = assert_matches_oracle(&high_422_with_scaling().build());
    assert_eq!(sps.chroma_format_idc, 2);
    assert_eq!(sps.bit_depth_luma, 10);
    assert!(sps.scaling_matrix_present);
    // 4:2:2: crop unit y is 1 row, so a bottom crop of 4 leaves 1084 rows.
    assert_eq!((sps.width, sps.height), (1920, 1084));
    assert_eq!(sps.profile_name(), "High 4:2:2");
}

#[test]
fn field_coded_interlaced() {
    // 720x576 interlaced: 36 map units of field MB pairs; 4:2:0 crop unit y = 4 rows.
    let spec = SpsSpec {
        frame_mbs_only: false,
        mbaff: true,
        crop: Some([0, 0, 0, 1]),
        ..SpsSpec::simple(45, 18)
    };
    let sps = assert_matches_oracle(&spec.build());
    assert!(!sps.frame_mbs_only);
    assert_eq!(sps.pic_height_in_map_units, 18);
    assert_eq!((sps.width, sps.height), (720, 572));
}

#[test]
fn high_444_separate_planes_and_poc_type_1() {
    let spec = SpsSpec {
        profile_idc: 244,
        chroma: Some(Chroma {
            chroma_format_idc: 3,
            separate_colour_plane: true,
            bit_depth_luma_minus8: 0,
            bit_depth_chroma_minus8: 0,
            qpprime: true,
            scaling: Some(vec![None; 12]),
        }),
        poc: Poc::One {
            always_zero: false,
            non_ref: -3,
            top_bottom: 7,
            cycle: vec![1, -1, 100_000, -100_000],
        },
        crop: Some([3, 5, 1, 2]),
        ..SpsSpec::simple(20, 15)
    };
    let sps = assert_matches_oracle(&spec.build());
    // ChromaArrayType 0: crop units are single samples.
    assert_eq!((sps.width, sps.height), (320 - 8, 240 - 3));
    assert!(sps.separate_colour_plane);
}

#[test]
fn hrd_parameters_are_skipped_correctly() {
    let hrd = crate::sps_builder::Hrd {
        bit_rate_scale: 4,
        cpb_size_scale: 3,
        cpbs: vec![(1000, 2000, true), (5, 6, false)],
        delays: [23, 23, 23, 24],
    };
    let spec = SpsSpec {
        vui: Some(VuiSpec {
            timing: Some((1, 50, false)),
            nal_hrd: Some(hrd.clone()),
            vcl_hrd: Some(hrd),
            low_delay: true,
            pic_struct: true,
            restriction: Some(crate::sps_builder::Restriction {
                mv_over_boundaries: true,
                bytes_denom: 2,
                bits_denom: 1,
                mv_h: 16,
                mv_v: 16,
                reorder: 2,
                dec_buffering: 4,
            }),
            ..VuiSpec::default()
        }),
        ..SpsSpec::simple(80, 45)
    };
    let sps = assert_matches_oracle(&spec.build());
    assert_eq!(sps.frame_rate, Some(25.0));
    let vui = sps.vui.unwrap();
    assert_eq!(vui.max_num_reorder_frames, Some(2));
    assert!(vui.pic_struct_present);
}

#[test]
fn emulation_prevention_inside_sps() {
    // num_units_in_tick = 1 is 31 zero bits in a row: the RBSP holds 00 00 00 and needs escaping.
    let spec = SpsSpec {
        vui: Some(VuiSpec {
            timing: Some((1, 1, false)),
            ..VuiSpec::default()
        }),
        ..SpsSpec::simple(1, 1)
    };
    let nal = spec.build();
    assert!(nal.windows(3).any(|w| w == [0, 0, 3]));
    let sps = assert_matches_oracle(&nal);
    assert_eq!(sps.frame_rate, Some(0.5));
}

#[test]
fn truncated_vui_is_tolerated() {
    let spec = SpsSpec {
        vui: Some(VuiSpec {
            aspect: Some((1, 0, 0)),
            timing: Some((1, 60, true)),
            ..VuiSpec::default()
        }),
        ..SpsSpec::simple(40, 30)
    };
    let nal = spec.build();
    // Keep the SPS up to the middle of time_scale.
    let cut = Sps::parse(&nal[..nal.len() - 4]).unwrap();
    let vui = cut.vui.unwrap();
    assert!(!vui.complete);
    assert_eq!(vui.sample_aspect_ratio, Some((1, 1)));
    assert_eq!(vui.timing_info, None);
    assert_eq!(cut.frame_rate, None);
    assert_eq!((cut.width, cut.height), (640, 480));
}

#[test]
fn sps_core_truncation_is_an_error() {
    let nal = SpsSpec::simple(40, 30).build();
    for cut in 1..nal.len() - 1 {
        match Sps::parse(&nal[..cut]) {
            Err(Error::BitstreamEnd { .. }) => {}
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
}

#[test]
fn rbsp_trailing_data_is_ignored() {
    let mut nal = SpsSpec::simple(40, 30).build();
    nal.extend_from_slice(&[0x12, 0x34]);
    assert_eq!(Sps::parse(&nal).unwrap().width, 640);
}

#[test]
fn builder_bits_match_exp_golomb_table() {
    // Sanity check of the test builder itself: ue(0..=4) = 1 010 011 00100 00101.
    let mut b = Bits::default();
    for v in 0..5 {
        b.ue(v);
    }
    b.se(-2);
    assert_eq!(b.finish(), [0b1010_0110, 0b0100_0010, 0b1001_0110]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any valid SPS (by construction) parses, and agrees with h264-reader and with the builder.
    #[test]
    fn random_sps_agree_with_oracle(spec in arb_sps()) {
        let nal = spec.build();
        let sps = assert_matches_oracle(&nal);
        prop_assert_eq!(sps.profile_idc, spec.profile_idc);
        prop_assert_eq!(sps.seq_parameter_set_id, spec.sps_id);
        prop_assert_eq!(sps.chroma_format_idc, spec.chroma.as_ref().map_or(1, |c| c.chroma_format_idc));
        let (cw, ch) = spec.coded_size();
        let (ux, uy) = spec.crop_units();
        let [l, r, t, b] = spec.crop.unwrap_or_default();
        prop_assert_eq!(sps.width, cw - ux * (l + r));
        prop_assert_eq!(sps.height, ch - uy * (t + b));
        prop_assert!(sps.width >= 1 && sps.height >= 1);
    }

    /// Every prefix of a valid SPS gives a value or an error, never a panic.
    #[test]
    fn sps_prefixes_never_panic(spec in arb_sps(), cut in any::<prop::sample::Index>()) {
        let nal = spec.build();
        let _ = Sps::parse(&nal[..cut.index(nal.len()) + 1]);
    }
}
