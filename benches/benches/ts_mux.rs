//! MPEG-TS muxing throughput (payload bytes in, packets out), and the cost
//! of a live playlist update.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use livechannel_m3u8::{LiveWindow, MediaSegment};
use livechannel_mpegts::{Muxer, MuxerConfig};

enum Unit {
    Video {
        pts: i64,
        dts: i64,
        key: bool,
        data: Vec<u8>,
    },
    Audio {
        pts: i64,
        data: Vec<u8>,
    },
}

/// ~2 MB of synthetic access units in DTS order: 30 fps video of 2–60 KB
/// with a keyframe every 60 frames, 43 AAC frames/s of 370 bytes.
fn synthetic_stream() -> (Vec<Unit>, u64) {
    let mut units = Vec::new();
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
            let pts = video_dts + if key { 3000 } else { 6000 };
            units.push(Unit::Video {
                pts,
                dts: video_dts,
                key,
                data,
            });
            frame += 1;
        } else {
            let data: Vec<u8> = (0..370).map(|_| next() as u8).collect();
            total += 370;
            units.push(Unit::Audio {
                pts: audio_pts,
                data,
            });
            audio += 1;
        }
    }
    (units, total)
}

fn ts_mux(c: &mut Criterion) {
    let (units, total) = synthetic_stream();
    let mut group = c.benchmark_group("ts_mux");
    group.throughput(Throughput::Bytes(total));
    let mut out = Vec::with_capacity(total as usize * 11 / 10);
    group.bench_function("av_2mb", |b| {
        b.iter(|| {
            out.clear();
            let mut mux = Muxer::new(MuxerConfig::default()).unwrap();
            for unit in &units {
                match unit {
                    Unit::Video {
                        pts,
                        dts,
                        key,
                        data,
                    } => {
                        if *key {
                            mux.start_segment(&mut out);
                        }
                        mux.write_video(*pts, *dts, *key, &[data], &mut out)
                            .unwrap();
                    }
                    Unit::Audio { pts, data } => mux.write_audio(*pts, &[data], &mut out).unwrap(),
                }
            }
            black_box(out.len())
        })
    });
    group.finish();
}

fn live_window(c: &mut Criterion) {
    let mut group = c.benchmark_group("m3u8_live_window");
    let mut live = LiveWindow::new(5, 6);
    let mut text = String::new();
    let mut n = 0u64;
    group.bench_function("push_and_write", |b| {
        b.iter(|| {
            n += 1;
            live.push(MediaSegment::new(
                format!("{}.ts", 1_543_895_706_266 + n),
                5.005,
            ));
            text.clear();
            live.write(&mut text);
            black_box(text.len())
        })
    });
    group.finish();
}

criterion_group!(benches, ts_mux, live_window);
criterion_main!(benches);
