//! AVCC → Annex B conversion throughput.
//!
//! Input: every AVC NALU tag of the High profile fixture (high_bframes_gop2s_aac44k.flv),
//! converted one access unit at a time into a reused gather list. Throughput counts AVCC input
//! bytes. `convert` copies no NAL payload, so it should run at many GB/s; `convert+to_vec`
//! adds the copy into one contiguous buffer for comparison.

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use livechannel_codec::h264::{AnnexB, AnnexBConverter, AvcDecoderConfigurationRecord};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/high_bframes_gop2s_aac44k.flv"
);

/// The AVC sequence header and the AVCC access units, by a minimal FLV walk (header 9 + 4
/// bytes, then tags of 11-byte header, body and 4-byte previous tag size).
fn video_track() -> (Bytes, Vec<Bytes>) {
    let file = Bytes::from(std::fs::read(FIXTURE).expect("fixture readable"));
    let mut config = None;
    let mut frames = Vec::new();
    let mut pos = 13;
    while pos + 11 <= file.len() {
        let size = u32::from_be_bytes([0, file[pos + 1], file[pos + 2], file[pos + 3]]) as usize;
        let body = file.slice(pos + 11..pos + 11 + size);
        if file[pos] & 0x1F == 9 && body[0] & 0x0F == 7 {
            match body[1] {
                0 => config = Some(body.slice(5..)),
                1 => frames.push(body.slice(5..)),
                _ => {}
            }
        }
        pos += 11 + size + 4;
    }
    (config.expect("AVC sequence header"), frames)
}

fn bench(c: &mut Criterion) {
    let (config, frames) = video_track();
    let config = AvcDecoderConfigurationRecord::parse(&config).expect("avcC parses");
    let bytes: usize = frames.iter().map(Bytes::len).sum();
    let mut group = c.benchmark_group("annexb");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("convert", |b| {
        let mut converter = AnnexBConverter::new(&config);
        let mut out = AnnexB::new();
        b.iter(|| {
            for frame in &frames {
                out.clear();
                let info = converter
                    .convert(frame, &mut out)
                    .expect("fixture converts");
                black_box((info, out.len()));
            }
        })
    });
    group.bench_function("convert+to_vec", |b| {
        let mut converter = AnnexBConverter::new(&config);
        let mut out = AnnexB::new();
        b.iter(|| {
            for frame in &frames {
                out.clear();
                converter
                    .convert(frame, &mut out)
                    .expect("fixture converts");
                black_box(out.to_vec());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
