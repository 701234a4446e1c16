//! Benchmarks live in `benches/`; inputs shared by several of them live here.

/// One access unit of the synthetic stream, in DTS order.
pub enum Unit {
    /// An H.264 access unit (Annex B, AUD first), 90 kHz times.
    Video {
        pts: i64,
        dts: i64,
        key: bool,
        data: Vec<u8>,
    },
    /// An AAC frame of 1024 samples at 44.1 kHz, 90 kHz time.
    Audio { pts: i64, data: Vec<u8> },
}

/// ~2 MB of synthetic access units in DTS order: 30 fps video of 2–60 KB
/// with a keyframe every 60 frames, 43 AAC frames/s of 370 bytes.
pub fn synthetic_stream() -> (Vec<Unit>, u64) {
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
