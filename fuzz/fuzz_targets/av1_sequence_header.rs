//! AV1 sequence header parsing never panics, and what it returns is sane: sizes within the
//! 16-bit fields, 1 to 32 operating points, a defined bit depth, a finite positive frame rate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livechannel_codec::av1::SequenceHeader;

fuzz_target!(|data: &[u8]| {
    let Ok(seq) = SequenceHeader::parse(data) else {
        return;
    };
    assert!(seq.seq_profile <= 2);
    assert!((1..=1 << 16).contains(&seq.max_frame_width));
    assert!((1..=1 << 16).contains(&seq.max_frame_height));
    assert!((1..=32).contains(&seq.operating_points.len()));
    assert!(matches!(seq.color_config.bit_depth, 8 | 10 | 12));
    assert!(seq.order_hint_bits <= 8);
    if let Some(fps) = seq.frame_rate {
        assert!(fps.is_finite() && fps > 0.0);
    }
    assert!(seq.codec_string().starts_with("av01."));
    assert_eq!(SequenceHeader::parse(data).ok(), Some(seq), "deterministic");
});
