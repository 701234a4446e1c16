//! The whole remux path in memory: FLV parse → segmenter (Annex B, ADTS,
//! TS mux) for the largest fixture. Throughput in FLV bytes.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use livechannel_flv::Tag;
use livechannel_hls::{Segmenter, SegmenterConfig};

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
                while let Some(seg) = s.poll_segment() {
                    out += seg.len();
                }
            }
            s.finish();
            while let Some(seg) = s.poll_segment() {
                out += seg.len();
            }
            out
        })
    });
    group.finish();
}

criterion_group!(benches, segmenter);
criterion_main!(benches);
