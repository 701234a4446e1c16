//! HEVC SPS parsing never panics, and what it returns is sane: sizes within the cap and the
//! cropped size no larger than the coded one, ids and depths in their ranges.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livechannel_codec::hevc::Sps;

fuzz_target!(|data: &[u8]| {
    // Make most inputs SPS NAL units (header 0x42 0x01) so the fuzzer explores the payload.
    let mut nal = Vec::with_capacity(data.len() + 2);
    nal.extend_from_slice(&[0x42, 0x01]);
    nal.extend_from_slice(data);
    for input in [&nal[..], data] {
        let Ok(sps) = Sps::parse(input) else {
            continue;
        };
        assert!(sps.width >= 1 && sps.width <= sps.pic_width_in_luma_samples);
        assert!(sps.height >= 1 && sps.height <= sps.pic_height_in_luma_samples);
        assert!(sps.pic_width_in_luma_samples <= 65536);
        assert!(sps.pic_height_in_luma_samples <= 65536);
        assert!(sps.sps_seq_parameter_set_id <= 15);
        assert!(sps.chroma_format_idc <= 3);
        assert!((8..=16).contains(&sps.bit_depth_luma));
        assert!((8..=16).contains(&sps.bit_depth_chroma));
        assert!(sps.num_short_term_ref_pic_sets <= 64);
        if let Some(fps) = sps.frame_rate {
            assert!(fps.is_finite() && fps > 0.0);
        }
        assert!(!sps.profile_name().is_empty());
        assert_eq!(Sps::parse(input).ok(), Some(sps), "deterministic");
    }
});
