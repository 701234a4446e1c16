//! The segmenter never panics on arbitrary tag bodies and timestamps, every
//! segment it emits is whole TS packets opening with the PAT, and streaming
//! the chunks (`OutputMode::StreamedChunks`), with or without a chunk pool,
//! gives out exactly the same bytes and names, whose times strictly
//! increase, with arrival times (live) or without (a file); and the time
//! until a cut is at most the fragment duration.
#![no_main]

use bytes::Bytes;
use livechannel_hls::{ChunkPool, Output, OutputMode, Segmenter, SegmenterConfig};

/// Whole segments, as (file name, bytes): the one poll gives no chunk in
/// `OutputMode::WholeSegments`.
fn check_whole(s: &mut Segmenter, out: &mut Vec<(String, Vec<u8>)>) {
    while let Some(output) = s.poll_output() {
        let seg = match output {
            Output::Segment(seg) => seg,
            Output::Chunk(c) => panic!("a chunk of segment {} in whole-segment mode", c.index),
        };
        assert_eq!(seg.streamed, 0);
        // Every chunk is whole TS packets.
        assert!(seg.chunks.iter().all(|c| c.len() % 188 == 0));
        let data = seg.to_bytes();
        assert_eq!(data.len(), seg.len());
        // Sync byte, payload start, PID 0 (the PAT); the low nibble is
        // the continuity counter, which runs on across segments.
        assert_eq!(&data[..3], &[0x47, 0x40, 0x00]);
        assert_eq!(data[3] & 0xF0, 0x10);
        assert!(seg.duration >= 0.0);
        out.push((seg.file_name(), data.to_vec()));
    }
}

/// Segments rebuilt from streamed chunks; `open` is the one being written.
fn check_streamed(
    s: &mut Segmenter,
    open: &mut Option<(String, Vec<u8>)>,
    out: &mut Vec<(String, Vec<u8>)>,
) {
    while let Some(output) = s.poll_output() {
        match output {
            Output::Chunk(c) => {
                assert_eq!(c.data.len() % 188, 0);
                let (name, bytes) = open.get_or_insert_with(|| (c.file_name(), Vec::new()));
                assert_eq!(*name, c.file_name());
                bytes.extend_from_slice(&c.data);
            }
            Output::Segment(seg) => {
                let (name, mut bytes) = open.take().unwrap_or((seg.file_name(), Vec::new()));
                assert_eq!(name, seg.file_name());
                assert_eq!(bytes.len(), seg.streamed);
                seg.chunks.iter().for_each(|c| bytes.extend_from_slice(c));
                assert_eq!(bytes.len(), seg.len());
                out.push((name, bytes));
            }
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut whole = Segmenter::new(SegmenterConfig::new(1_000, 0));
    let mut config = SegmenterConfig::new(1_000, 0);
    config.output = OutputMode::StreamedChunks;
    let mut streamed = Segmenter::new(config.clone());
    // Small pooled chunks: buffers go round, frames outgrow them, tails are copied.
    config.chunk_bytes = 4 << 10;
    let mut pooled = Segmenter::new(config).with_pool(ChunkPool::new(64 << 10));
    let (mut a, mut b, mut c, mut open, mut open_pooled) =
        (Vec::new(), Vec::new(), Vec::new(), None, None);
    // Records: kind (1 byte: bit 7 audio, bit 6 pushed with an arrival
    // time, which need not increase; low 3 bits shift the timestamp
    // towards the 32-bit wrap), timestamp (3 bytes), length (2 bytes), body.
    // The seeds are real fixture tags in this form.
    let mut rest = data;
    while rest.len() >= 6 {
        let kind = rest[0];
        let ts = u32::from_be_bytes([0, rest[1], rest[2], rest[3]]) << (kind & 7);
        let len = usize::from(u16::from_be_bytes([rest[4], rest[5]])).min(rest.len() - 6);
        let body = Bytes::copy_from_slice(&rest[6..6 + len]);
        rest = &rest[6 + len..];
        let arrival = (kind & 0x40 != 0).then(|| u64::from(ts ^ 0x5_5555));
        for s in [&mut whole, &mut streamed, &mut pooled] {
            let body = body.clone();
            let _ = match (kind & 0x80 == 0, arrival) {
                (true, None) => s.push_video(ts, body),
                (true, Some(at)) => s.push_video_at(ts, body, at),
                (false, None) => s.push_audio(ts, body),
                (false, Some(at)) => s.push_audio_at(ts, body, at),
            };
        }
        check_whole(&mut whole, &mut a);
        check_streamed(&mut streamed, &mut open, &mut b);
        check_streamed(&mut pooled, &mut open_pooled, &mut c);
        // A segment can be cut at most FragDuration after the newest frame.
        let slack = whole.ms_until_cut();
        assert!(slack.is_none_or(|ms| ms <= 1_000), "{slack:?}");
    }
    whole.finish();
    streamed.finish();
    pooled.finish();
    check_whole(&mut whole, &mut a);
    check_streamed(&mut streamed, &mut open, &mut b);
    check_streamed(&mut pooled, &mut open_pooled, &mut c);
    assert!(open.is_none() && open_pooled.is_none());
    assert!(a == b, "streaming the chunks changed the segments");
    assert!(a == c, "pooled chunks changed the segments");
    let times: Vec<u64> = a
        .iter()
        .map(|(name, _)| name.trim_end_matches(".ts").parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
});
