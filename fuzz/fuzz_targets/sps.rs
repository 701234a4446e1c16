//! SPS parsing never panics, and what it returns is sane: sizes within the documented caps,
//! ids and depths in their ranges, the cropped size no larger than the coded one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livechannel_codec::h264::Sps;

fuzz_target!(|data: &[u8]| {
    // Make most inputs SPS NAL units so the fuzzer explores the payload.
    let mut nal = Vec::with_capacity(data.len() + 1);
    nal.push(0x67);
    nal.extend_from_slice(data);
    for input in [&nal[..], data] {
        let Ok(sps) = Sps::parse(input) else {
            continue;
        };
        const MAX: u32 = (1 << 16) * 16;
        assert!(sps.width >= 1 && sps.width <= MAX, "width {}", sps.width);
        assert!(
            sps.height >= 1 && sps.height <= MAX,
            "height {}",
            sps.height
        );
        assert!(sps.width <= sps.pic_width_in_mbs * 16);
        let frame_height = sps.pic_height_in_map_units * if sps.frame_mbs_only { 1 } else { 2 };
        assert!(sps.height <= frame_height * 16);
        assert!(sps.seq_parameter_set_id <= 31);
        assert!(sps.chroma_format_idc <= 3);
        assert!((8..=14).contains(&sps.bit_depth_luma));
        assert!((4..=16).contains(&sps.log2_max_frame_num));
        assert!(sps.pic_order_cnt_type <= 2);
        if let Some(fps) = sps.frame_rate {
            assert!(fps.is_finite() && fps > 0.0);
        }
        assert!(!sps.profile_name().is_empty());
        assert_eq!(Sps::parse(input).ok(), Some(sps), "deterministic");
    }
});
