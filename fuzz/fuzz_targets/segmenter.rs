//! The segmenter never panics on arbitrary tag bodies and timestamps, and
//! every segment it emits is whole TS packets opening with the PAT.
#![no_main]

use bytes::Bytes;
use livechannel_hls::{Segmenter, SegmenterConfig};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut s = Segmenter::new(SegmenterConfig::new(1_000, 0));
    let check = |s: &mut Segmenter| {
        while let Some(seg) = s.poll_segment() {
            // Every chunk is whole TS packets.
            assert!(seg.chunks.iter().all(|c| c.len() % 188 == 0));
            let data = seg.to_bytes();
            assert_eq!(data.len(), seg.len());
            // Sync byte, payload start, PID 0 (the PAT); the low nibble is
            // the continuity counter, which runs on across segments.
            assert_eq!(&data[..3], &[0x47, 0x40, 0x00]);
            assert_eq!(data[3] & 0xF0, 0x10);
            assert!(seg.duration >= 0.0);
        }
    };
    // Records: kind (1 byte: bit 7 audio, low 3 bits shift the timestamp
    // towards the 32-bit wrap), timestamp (3 bytes), length (2 bytes), body.
    // The seeds are real fixture tags in this form.
    let mut rest = data;
    while rest.len() >= 6 {
        let kind = rest[0];
        let ts = u32::from_be_bytes([0, rest[1], rest[2], rest[3]]) << (kind & 7);
        let len = usize::from(u16::from_be_bytes([rest[4], rest[5]])).min(rest.len() - 6);
        let body = Bytes::copy_from_slice(&rest[6..6 + len]);
        rest = &rest[6 + len..];
        let _ = if kind & 0x80 == 0 { s.push_video(ts, body) } else { s.push_audio(ts, body) };
        check(&mut s);
    }
    s.finish();
    check(&mut s);
});
