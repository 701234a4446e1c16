//! fMP4 (CMAF) muxing throughput on the same synthetic input as `ts_mux`
//! (payload bytes in), with the media copied once into a `Vec<u8>` and
//! passed on as a gather list without copying.

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use livechannel_benches::{synthetic_stream, Unit};
use livechannel_fmp4::{Codec, Muxer, MuxerConfig, Sample, SampleData};

/// The `ts_mux` input cut into fragments, one per keyframe as `ts_mux`
/// starts a segment per keyframe: video in 90 kHz, AAC frames of 1024
/// ticks at 44.1 kHz.
fn synthetic_fragments() -> (Vec<[Vec<Sample>; 2]>, u64) {
    let (units, total) = synthetic_stream();
    let mut fragments: Vec<[Vec<Sample>; 2]> = Vec::new();
    let mut audio_frames = 0u64;
    for unit in units {
        match unit {
            Unit::Video {
                pts,
                dts,
                key,
                data,
            } => {
                if key {
                    fragments.push([Vec::new(), Vec::new()]);
                }
                fragments.last_mut().unwrap()[0].push(Sample {
                    dts: dts as u64,
                    duration: 3000,
                    composition_offset: (pts - dts) as i32,
                    is_sync: key,
                    data: SampleData::One(Bytes::from(data)),
                });
            }
            Unit::Audio { data, .. } => {
                fragments.last_mut().unwrap()[1].push(Sample {
                    dts: audio_frames * 1024,
                    duration: 1024,
                    composition_offset: 0,
                    is_sync: true,
                    data: SampleData::One(Bytes::from(data)),
                });
                audio_frames += 1;
            }
        }
    }
    (fragments, total)
}

fn config() -> MuxerConfig {
    MuxerConfig::new(vec![
        Codec::Avc {
            width: 1280,
            height: 720,
            avcc: Bytes::from_static(&[
                1, 0x64, 0, 0x1F, 0xFF, 0xE1, 0, 4, 0x67, 0x64, 0, 0x1F, 1, 0, 2, 0x68, 0xEE,
            ]),
        },
        Codec::Aac {
            sample_rate: 44_100,
            channels: 2,
            audio_specific_config: Bytes::from_static(&[0x12, 0x10]),
        },
    ])
}

fn fmp4_mux(c: &mut Criterion) {
    let (fragments, total) = synthetic_fragments();
    let mut group = c.benchmark_group("fmp4_mux");
    group.throughput(Throughput::Bytes(total));
    let mut out = Vec::with_capacity(total as usize * 11 / 10);
    group.bench_function("av_2mb", |b| {
        b.iter(|| {
            out.clear();
            let mut mux = Muxer::new(config()).unwrap();
            out.extend_from_slice(mux.init_segment());
            for tracks in &fragments {
                mux.write_fragment(tracks, &mut out).unwrap();
            }
            black_box(out.len())
        })
    });
    let (mut header, mut media) = (Vec::new(), Vec::new());
    group.bench_function("av_2mb_gather", |b| {
        b.iter(|| {
            header.clear();
            media.clear();
            let mut mux = Muxer::new(config()).unwrap();
            header.extend_from_slice(mux.init_segment());
            for tracks in &fragments {
                mux.write_fragment_gather(tracks, &mut header, &mut media)
                    .unwrap();
            }
            black_box((header.len(), media.len()))
        })
    });
    group.finish();
}

criterion_group!(benches, fmp4_mux);
criterion_main!(benches);
