//! MPEG-TS muxing throughput (payload bytes in, packets out), and the cost
//! of a live playlist update.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use livechannel_benches::{synthetic_stream, Unit};
use livechannel_m3u8::{LiveWindow, MediaSegment};
use livechannel_mpegts::{Muxer, MuxerConfig};

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
