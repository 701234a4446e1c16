//! FLV demuxing and video tag header parsing throughput.
//!
//! Input: the largest fixture (long_gop_5s.flv), its tags repeated 10 times
//! in memory with shifted timestamps (about 3 MB), pushed in 64 KiB chunks.

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use livechannel_flv::{write_header, write_tag, Demuxer, Event, Tag, TagType, VideoTag};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/long_gop_5s.flv"
);
const REPEAT: u32 = 10;
const CHUNK: usize = 64 * 1024;

fn demux_all(flv: &[u8]) -> Vec<Tag> {
    let mut demuxer = Demuxer::new();
    let mut tags = Vec::new();
    for chunk in flv.chunks(CHUNK) {
        demuxer.push(chunk);
        while let Some(event) = demuxer.poll().expect("fixture demuxes") {
            if let Event::Tag(tag) = event {
                tags.push(tag);
            }
        }
    }
    demuxer.finish().expect("fixture ends cleanly");
    tags
}

fn long_stream() -> Vec<u8> {
    let fixture = std::fs::read(FIXTURE).expect("fixture readable");
    let tags = demux_all(&fixture);
    let span = tags.iter().map(|t| t.timestamp).max().unwrap_or(0) + 40;
    let mut out = Vec::with_capacity(fixture.len() * REPEAT as usize);
    write_header(&mut out, true, true);
    for round in 0..REPEAT {
        for tag in &tags {
            let timestamp = tag.timestamp + round * span;
            write_tag(&mut out, tag.tag_type, timestamp, &tag.body).expect("tag fits");
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let stream = long_stream();
    let mut group = c.benchmark_group("flv_parse");

    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function("demux_64k_chunks", |b| {
        b.iter(|| {
            let mut demuxer = Demuxer::new();
            let mut count = 0usize;
            for chunk in stream.chunks(CHUNK) {
                demuxer.push(chunk);
                while let Some(event) = demuxer.poll().expect("demuxes") {
                    count += usize::from(matches!(event, Event::Tag(_)));
                }
            }
            black_box(count)
        })
    });

    let video: Vec<Bytes> = demux_all(&stream)
        .into_iter()
        .filter(|t| t.tag_type == TagType::Video)
        .map(|t| t.body)
        .collect();
    let video_bytes: usize = video.iter().map(Bytes::len).sum();
    group.throughput(Throughput::Bytes(video_bytes as u64));
    group.bench_function("video_tag_parse", |b| {
        b.iter(|| {
            let mut cts = 0i64;
            for body in &video {
                let tag = VideoTag::parse(body.clone()).expect("video tag parses");
                cts += i64::from(tag.composition_time);
            }
            black_box(cts)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
