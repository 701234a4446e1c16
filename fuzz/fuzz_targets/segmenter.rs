//! The segmenter never panics on arbitrary tag bodies and timestamps, and
//! every segment it emits is whole TS packets opening with the PAT.
#![no_main]

use bytes::Bytes;
use livechannel_hls::{Segmenter, SegmenterConfig};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut s = Segmenter::new(SegmenterConfig::new(1_000, 0));
    let mut check = |s: &mut Segmenter| {
        while let Some(seg) = s.poll_segment() {
            assert_eq!(seg.data.len() % 188, 0);
            assert_eq!(&seg.data[..4], &[0x47, 0x40, 0x00, 0x10]);
            assert!(seg.duration >= 0.0);
        }
    };
    // Records: kind (1 byte), timestamp (3 bytes), length (1 byte), body.
    let mut rest = data;
    while rest.len() >= 5 {
        let kind = rest[0];
        let ts = u32::from_be_bytes([0, rest[1], rest[2], rest[3]]) << (kind & 7);
        let len = usize::from(rest[4]).min(rest.len() - 5);
        let body = Bytes::copy_from_slice(&rest[5..5 + len]);
        rest = &rest[5 + len..];
        let _ = if kind & 0x80 == 0 { s.push_video(ts, body) } else { s.push_audio(ts, body) };
        check(&mut s);
    }
    s.finish();
    check(&mut s);
});
