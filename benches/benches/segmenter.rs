//! The whole remux path in memory: FLV parse → segmenter (Annex B, ADTS,
//! TS mux) for the largest fixture. Throughput in FLV bytes. Also as
//! ingest runs it: chunks streamed out and dropped at once (as a store
//! that has written them does), with and without a chunk pool.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use livechannel_flv::Tag;
use livechannel_hls::{ChunkPool, Output, OutputMode, Segmenter, SegmenterConfig};

fn tags(path: &str) -> (Vec<Tag>, u64) {
    let data = std::fs::read(path).expect("fixture");
    let len = data.len() as u64;
    (
        livechannel_flv::read_all(data.into()).expect("valid fixture"),
        len,
    )
}

fn segmenter(c: &mut Criterion) {
    let (tags, len) = tags(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/long_gop_5s.flv"
    ));
    let mut group = c.benchmark_group("segmenter");
    group.throughput(Throughput::Bytes(len));
    group.bench_function("long_gop_5s.flv", |b| {
        b.iter(|| {
            let mut s = Segmenter::new(SegmenterConfig::new(2_000, 0));
            let mut out = 0usize;
            for tag in &tags {
                let body: Bytes = tag.body.clone();
                match tag.tag_type {
                    livechannel_flv::TagType::Video => {
                        s.push_video(tag.timestamp, body).expect("video")
                    }
                    livechannel_flv::TagType::Audio => {
                        s.push_audio(tag.timestamp, body).expect("audio")
                    }
                    _ => {}
                }
                out += drain(&mut s);
            }
            s.finish();
            out + drain(&mut s)
        })
    });
    group.finish();

    // Many streams at once, their tags interleaved, as a server runs them:
    // here the allocator's handling of the chunk buffers shows.
    const STREAMS: usize = 64;
    let mut group = c.benchmark_group("segmenter, 64 streams");
    group.throughput(Throughput::Bytes(len * STREAMS as u64));
    group.sample_size(20);
    for pooled in [false, true] {
        let name = if pooled {
            "streamed, pooled"
        } else {
            "streamed"
        };
        let pool = ChunkPool::new(16 << 20);
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut config = SegmenterConfig::new(2_000, 0);
                config.output = OutputMode::StreamedChunks;
                config.chunk_bytes = 256 << 10;
                let mut streams: Vec<Segmenter> = (0..STREAMS)
                    .map(|_| match pooled {
                        true => Segmenter::new(config.clone()).with_pool(pool.clone()),
                        false => Segmenter::new(config.clone()),
                    })
                    .collect();
                let mut out = 0usize;
                for tag in &tags {
                    for s in &mut streams {
                        let _ = s.push_tag(tag.clone());
                        out += drain(s);
                    }
                }
                for s in &mut streams {
                    s.finish();
                    out += drain(s);
                }
                out
            })
        });
    }
    group.finish();
}

/// The one poll, in any output mode: the bytes given out. Each chunk is
/// dropped once counted, as a store drops it once written.
fn drain(s: &mut Segmenter) -> usize {
    let mut out = 0;
    while let Some(output) = s.poll_output() {
        out += match output {
            Output::Chunk(c) => c.data.len(),
            Output::Segment(seg) => seg.len() - seg.streamed,
        };
    }
    out
}

criterion_group!(benches, segmenter);
criterion_main!(benches);
