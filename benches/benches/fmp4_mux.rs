//! fMP4 (CMAF) muxing throughput on the same synthetic input as `ts_mux`
//! (payload bytes in), with the media copied once into a `Vec<u8>` and
//! passed on as a gather list without copying.

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use livechannel_fmp4::{Codec, Muxer, MuxerConfig, Sample, SampleData};

/// Fragments (one per keyframe, as `ts_mux` starts a segment per keyframe)
/// of the `ts_mux` stream: ~2 MB, 30 fps video of 2–60 KB with a keyframe
/// every 60 frames, 43 AAC frames/s of 370 bytes.
fn synthetic_fragments() -> (Vec<[Vec<Sample>; 2]>, u64) {
    let mut fragments: Vec<[Vec<Sample>; 2]> = Vec::new();
    let mut total = 0u64;
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut frame, mut audio) = (0i64, 0i64);
    while total < 2 << 20 {
        let video_dts = frame * 3000;
        let audio_pts = audio * 1024 * 90_000 / 44_100;
        if video_dts <= audio_pts {
            let key = frame % 60 == 0;
            let len = if key {
                60_000
            } else {
                2_000 + (next() % 38_000) as usize
            };
            let mut data = vec![0u8; len];
            data[..6].copy_from_slice(&[0, 0, 0, 1, 0x09, 0xF0]);
            data[6..].iter_mut().for_each(|b| *b = next() as u8);
            total += len as u64;
            if key {
                fragments.push([Vec::new(), Vec::new()]);
            }
            fragments.last_mut().unwrap()[0].push(Sample {
                dts: video_dts as u64,
                duration: 3000,
                composition_offset: if key { 3000 } else { 6000 },
                is_sync: key,
                data: SampleData::One(Bytes::from(data)),
            });
            frame += 1;
        } else {
            let data: Vec<u8> = (0..370).map(|_| next() as u8).collect();
            total += 370;
            fragments.last_mut().unwrap()[1].push(Sample {
                dts: audio as u64 * 1024,
                duration: 1024,
                composition_offset: 0,
                is_sync: true,
                data: SampleData::One(Bytes::from(data)),
            });
            audio += 1;
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
