//! Our muxer's output read back by `mpeg2ts-reader`.

#[path = "oracle/demux.rs"]
mod demux;
#[path = "oracle/props.rs"]
mod props;

use demux::{demux, Report, MASK_33};
use livechannel_mpegts::{Error, Muxer, MuxerConfig, PACKET_SIZE, PCR_DELAY, TIMESTAMP_OFFSET};

const VIDEO_PID: u16 = 0x100;
const AUDIO_PID: u16 = 0x101;

/// One call to make on the muxer.
#[derive(Debug, Clone)]
pub enum Op {
    Segment,
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

/// Deterministic filler bytes (an AUD first for video, like the real input).
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect()
}

/// Runs the ops, splitting every payload into up to three chunks to
/// exercise the gather list.
pub fn run(mux: &mut Muxer, ops: &[Op]) -> Vec<u8> {
    let mut out = Vec::new();
    for op in ops {
        match op {
            Op::Segment => mux.start_segment(&mut out),
            Op::Video {
                pts,
                dts,
                key,
                data,
            } => {
                let (a, rest) = data.split_at(data.len() / 3);
                let (b, c) = rest.split_at(rest.len() / 2);
                mux.write_video(*pts, *dts, *key, &[a, b, c], &mut out)
                    .unwrap();
            }
            Op::Audio { pts, data } => mux.write_audio(*pts, &[data], &mut out).unwrap(),
        }
    }
    out
}

fn wire(t: i64) -> u64 {
    (t + TIMESTAMP_OFFSET).rem_euclid(1 << 33) as u64
}

/// Checks every PES the oracle saw against the ops, in order.
pub fn assert_pes_match(report: &Report, ops: &[Op]) {
    let expected: Vec<&Op> = ops.iter().filter(|op| !matches!(op, Op::Segment)).collect();
    assert_eq!(report.pes.len(), expected.len(), "number of pes packets");
    for (i, (got, op)) in report.pes.iter().zip(expected).enumerate() {
        match op {
            Op::Video {
                pts,
                dts,
                key,
                data,
            } => {
                assert_eq!(got.pid, VIDEO_PID, "pes {i}");
                assert_eq!(got.stream_id, "Video(0)");
                assert_eq!(got.pts, Some(wire(*pts)), "pts of pes {i}");
                let dts = (pts != dts).then(|| wire(*dts));
                assert_eq!(got.dts, dts, "dts of pes {i}");
                assert_eq!(got.length, None, "video pes are unbounded");
                assert_eq!(got.random_access, *key, "random access of pes {i}");
                assert!(got.pcr.is_some(), "every video pes carries a pcr");
                assert!(
                    got.payload == *data,
                    "payload of pes {i} ({} bytes)",
                    data.len()
                );
            }
            Op::Audio { pts, data } => {
                assert_eq!(got.pid, AUDIO_PID, "pes {i}");
                assert_eq!(got.stream_id, "Audio(0)");
                assert_eq!(got.pts, Some(wire(*pts)), "pts of pes {i}");
                assert_eq!(got.dts, None);
                assert_eq!(
                    got.length,
                    Some((data.len() + 8) as u16),
                    "exact length of pes {i}"
                );
                assert!(
                    got.payload == *data,
                    "payload of pes {i} ({} bytes)",
                    data.len()
                );
            }
            Op::Segment => unreachable!(),
        }
        assert!(got.aligned, "data_alignment_indicator of pes {i}");
    }
}

/// `seconds` of 30 fps video with B-frame-like PTS and a keyframe every 60
/// frames (a segment per keyframe), plus 44.1 kHz AAC frames (~43/s), in DTS
/// order, starting at `start`.
pub fn av_ops(start: i64, seconds: i64, video: bool, audio: bool) -> Vec<Op> {
    let mut units: Vec<(i64, Op)> = Vec::new();
    if video {
        for i in 0..seconds * 30 {
            let dts = start + i * 3000 - 3000;
            let key = i % 60 == 0;
            let pts = dts + [3000, 9000, 0, 3000][(i % 4) as usize];
            let len = if key {
                30_000
            } else {
                2_000 + (i as usize * 7919) % 20_000
            };
            let mut data = vec![0, 0, 0, 1, 0x09, 0xF0];
            data.extend(bytes(i as u64, len));
            units.push((
                dts,
                Op::Video {
                    pts,
                    dts,
                    key,
                    data,
                },
            ));
        }
    }
    if audio {
        let frames = seconds * 44_100 / 1024;
        for k in 0..frames {
            let pts = start + k * 1024 * 90_000 / 44_100;
            units.push((
                pts,
                Op::Audio {
                    pts,
                    data: bytes(1_000_000 + k as u64, 370),
                },
            ));
        }
    }
    // Stable sort: at equal times video (pushed first) goes first.
    units.sort_by_key(|(t, _)| *t);
    let mut ops = Vec::new();
    let mut first = true;
    for (_, op) in units {
        let cut = match &op {
            Op::Video { key, .. } => *key,
            _ => !video && first,
        };
        if cut || first {
            ops.push(Op::Segment);
        }
        first = false;
        ops.push(op);
    }
    ops
}

fn config(video: bool, audio: bool) -> MuxerConfig {
    MuxerConfig {
        video,
        audio,
        ..MuxerConfig::default()
    }
}

#[test]
fn audio_video_stream_demuxes_cleanly() {
    let ops = av_ops(0, 10, true, true);
    let mut mux = Muxer::new(config(true, true)).unwrap();
    let ts = run(&mut mux, &ops);
    let report = demux(&ts);
    report.assert_clean();
    assert_eq!(
        report.pmt_streams,
        vec![(VIDEO_PID, VIDEO_PID, 0x1B), (VIDEO_PID, AUDIO_PID, 0x0F)],
        "one pmt version listing exactly h.264 and adts, pcr on video"
    );
    assert_pes_match(&report, &ops);
    let segments = ops.iter().filter(|op| matches!(op, Op::Segment)).count();
    assert_eq!(report.psi_sections, 2 * segments);
    assert!(
        report.max_pcr_interval() <= 9000,
        "pcr interval {}",
        report.max_pcr_interval()
    );
    assert!(report.pcrs.iter().all(|p| p.pid == VIDEO_PID));
}

#[test]
fn video_only_stream_lists_only_video() {
    let ops = av_ops(0, 4, true, false);
    let mut mux = Muxer::new(config(true, false)).unwrap();
    let report = demux(&run(&mut mux, &ops));
    report.assert_clean();
    assert_eq!(report.pmt_streams, vec![(VIDEO_PID, VIDEO_PID, 0x1B)]);
    assert_pes_match(&report, &ops);
    assert!(report.max_pcr_interval() <= 9000);
}

#[test]
fn audio_only_stream_carries_pcr_and_random_access_on_audio() {
    let ops = av_ops(0, 4, false, true);
    let mut mux = Muxer::new(config(false, true)).unwrap();
    let report = demux(&run(&mut mux, &ops));
    report.assert_clean();
    assert_eq!(report.pmt_streams, vec![(AUDIO_PID, AUDIO_PID, 0x0F)]);
    assert_pes_match(&report, &ops);
    assert!(report
        .pes
        .iter()
        .all(|p| p.random_access && p.pcr.is_some()));
    assert!(report
        .pcrs
        .iter()
        .all(|p| p.pid == AUDIO_PID && !p.adaptation_only));
    assert!(
        report.max_pcr_interval() <= 9000,
        "pcr interval {}",
        report.max_pcr_interval()
    );
}

#[test]
fn pcr_is_dts_plus_offset_minus_delay() {
    let ops = av_ops(0, 2, true, true);
    let mut mux = Muxer::new(config(true, true)).unwrap();
    let report = demux(&run(&mut mux, &ops));
    let first_video = report.pes_on(VIDEO_PID).next().unwrap();
    let dts = first_video.decode_time();
    assert_eq!(first_video.pcr, Some(dts - PCR_DELAY as u64));
    let Op::Video { dts: input_dts, .. } = &ops[1] else {
        panic!("video first")
    };
    assert_eq!(
        first_video.pcr,
        Some((input_dts + TIMESTAMP_OFFSET - PCR_DELAY) as u64)
    );
}

#[test]
fn pcr_only_packets_fill_gaps_between_video_frames() {
    // 2 fps video with audio: the audio PES in between must bring PCRs.
    let mut ops = vec![Op::Segment];
    for i in 0..10i64 {
        let dts = i * 45_000;
        ops.push(Op::Video {
            pts: dts,
            dts,
            key: i == 0,
            data: bytes(i as u64, 500),
        });
        for k in 0..21 {
            let pts = dts + k * 2090;
            ops.push(Op::Audio {
                pts,
                data: bytes(100 + k as u64, 300),
            });
        }
    }
    let mut mux = Muxer::new(config(true, true)).unwrap();
    let ts = run(&mut mux, &ops);
    let report = demux(&ts);
    report.assert_clean();
    assert_pes_match(&report, &ops);
    assert!(report.pcrs.iter().any(|p| p.adaptation_only));
    assert!(
        report.max_pcr_interval() <= 9000,
        "pcr interval {}",
        report.max_pcr_interval()
    );
    // Raw layout of a PCR-only packet: adaptation only, 183 bytes, PCR flag, stuffing.
    let pcr_only = report.pcrs.iter().find(|p| p.adaptation_only).unwrap();
    let p = &ts[pcr_only.packet_index * PACKET_SIZE..][..PACKET_SIZE];
    assert_eq!(p[1] & 0x40, 0);
    assert_eq!((p[3] >> 4) & 3, 2);
    assert_eq!(p[4], 183);
    assert_eq!(p[5], 0x10);
    assert!(p[12..].iter().all(|&b| b == 0xFF));
}

#[test]
fn segment_starting_with_audio_gets_a_pcr_first() {
    let ops = vec![
        Op::Segment,
        Op::Audio {
            pts: -2000,
            data: bytes(1, 200),
        },
        Op::Video {
            pts: 3000,
            dts: 0,
            key: true,
            data: bytes(2, 900),
        },
    ];
    let mut mux = Muxer::new(config(true, true)).unwrap();
    let ts = run(&mut mux, &ops);
    let report = demux(&ts);
    report.assert_clean();
    assert_pes_match(&report, &ops);
    let first = &report.pcrs[0];
    assert!(first.adaptation_only);
    assert_eq!(first.next_pes, Some(0));
    assert_eq!(first.base, wire(-2000) - PCR_DELAY as u64);
}

#[test]
fn every_segment_decodes_on_its_own() {
    let ops = av_ops(5000, 8, true, true);
    let mut mux = Muxer::new(config(true, true)).unwrap();
    let mut segments: Vec<(Vec<u8>, Vec<Op>)> = Vec::new();
    for op in &ops {
        if let Op::Segment = op {
            segments.push((Vec::new(), Vec::new()));
        }
        let (bytes, seg_ops) = segments.last_mut().unwrap();
        seg_ops.push(op.clone());
        bytes.extend(run(&mut mux, std::slice::from_ref(op)));
    }
    assert!(segments.len() >= 4);
    for (bytes, seg_ops) in &segments {
        let report = demux(bytes);
        report.assert_clean();
        assert_pes_match(&report, seg_ops);
        assert_eq!(
            report.pcrs[0].next_pes,
            Some(0),
            "a pcr precedes or opens the first pes"
        );
        assert!(report.pes[0].random_access);
    }
}

#[test]
fn timestamps_wrap_at_33_bits() {
    // Stream time crosses the 2^33 wrap of the wire format after 3 s.
    let start = (1i64 << 33) - TIMESTAMP_OFFSET - 3 * 90_000;
    let ops = av_ops(start, 6, true, true);
    let mut mux = Muxer::new(config(true, true)).unwrap();
    let report = demux(&run(&mut mux, &ops));
    report.assert_clean();
    assert_pes_match(&report, &ops);
    assert!(
        report.pes.iter().any(|p| p.pts.unwrap() < 90_000),
        "wrapped values seen"
    );
    assert!(report.pes.iter().any(|p| p.pts.unwrap() > MASK_33 - 90_000));
    assert!(report.max_pcr_interval() <= 9000);
    assert!(report.max_pcr_interval() > 0);
}

#[test]
fn negative_stream_times_are_offset() {
    let ops = vec![
        Op::Segment,
        Op::Video {
            pts: 0,
            dts: -6000,
            key: true,
            data: bytes(1, 100),
        },
        Op::Audio {
            pts: -5000,
            data: bytes(2, 100),
        },
    ];
    let mut mux = Muxer::new(config(true, true)).unwrap();
    let report = demux(&run(&mut mux, &ops));
    assert_eq!(report.pes[0].dts, Some((TIMESTAMP_OFFSET - 6000) as u64));
    assert_eq!(report.pes[1].pts, Some((TIMESTAMP_OFFSET - 5000) as u64));
}

#[test]
fn every_payload_size_up_to_400_bytes() {
    for len in 0..=400usize {
        for (video, audio) in [(true, true), (false, true)] {
            let mut ops = vec![Op::Segment];
            let t = len as i64 * 3000;
            if video {
                ops.push(Op::Video {
                    pts: t,
                    dts: t,
                    key: len % 2 == 0,
                    data: bytes(len as u64, len),
                });
                ops.push(Op::Video {
                    pts: t + 6000,
                    dts: t + 1,
                    key: false,
                    data: bytes(7, len),
                });
            }
            ops.push(Op::Audio {
                pts: t + 2,
                data: bytes(len as u64 + 9, len),
            });
            let mut mux = Muxer::new(config(video, audio)).unwrap();
            let ts = run(&mut mux, &ops);
            let report = demux(&ts);
            report.assert_clean();
            assert_pes_match(&report, &ops);
        }
    }
}

#[test]
fn one_megabyte_keyframe() {
    let data = bytes(42, 1 << 20);
    let ops = vec![
        Op::Segment,
        Op::Video {
            pts: 3000,
            dts: 0,
            key: true,
            data: data.clone(),
        },
        Op::Video {
            pts: 6000,
            dts: 3000,
            key: false,
            data: bytes(1, 10),
        },
    ];
    let mut mux = Muxer::new(config(true, false)).unwrap();
    let ts = run(&mut mux, &ops);
    // PAT + PMT + ceil((1 MiB + 19 + 8) / 184) packets + 1.
    assert_eq!(
        ts.len() / PACKET_SIZE,
        2 + ((1 << 20) + 19 + 8usize).div_ceil(184) + 1
    );
    let report = demux(&ts);
    report.assert_clean();
    assert_pes_match(&report, &ops);
}

#[test]
fn largest_audio_pes_is_accepted_and_one_more_byte_is_not() {
    let max = 65_535 - 8;
    let mut mux = Muxer::new(config(false, true)).unwrap();
    let mut out = Vec::new();
    mux.start_segment(&mut out);
    let data = bytes(3, max);
    mux.write_audio(0, &[&data], &mut out).unwrap();
    let report = demux(&out);
    report.assert_clean();
    assert_eq!(report.pes[0].length, Some(65_535));
    assert!(report.pes[0].payload == data);

    let before = out.len();
    let too_big = bytes(3, max + 1);
    assert_eq!(
        mux.write_audio(0, &[&too_big], &mut out),
        Err(Error::PayloadTooLarge {
            track: "audio",
            len: max as u64 + 1,
            max: max as u64
        })
    );
    // The limit applies to the whole gather list.
    assert_eq!(
        mux.write_audio(0, &[&data[..], &[0u8][..]], &mut out),
        Err(Error::PayloadTooLarge {
            track: "audio",
            len: max as u64 + 1,
            max: max as u64
        })
    );
    assert_eq!(out.len(), before, "a refused write leaves the output alone");
}

#[test]
fn changing_tracks_bumps_the_pmt_version() {
    let mut mux = Muxer::new(config(true, false)).unwrap();
    let mut ops = vec![
        Op::Segment,
        Op::Video {
            pts: 0,
            dts: 0,
            key: true,
            data: bytes(1, 300),
        },
    ];
    let mut ts = run(&mut mux, &ops);
    mux.set_tracks(true, true).unwrap();
    // Until the next segment, the old PMT rules.
    assert_eq!(
        mux.write_audio(10, &[[0u8; 4]], &mut ts),
        Err(Error::TrackNotInProgram { track: "audio" })
    );
    let more = vec![
        Op::Segment,
        Op::Video {
            pts: 3000,
            dts: 3000,
            key: true,
            data: bytes(2, 300),
        },
        Op::Audio {
            pts: 3001,
            data: bytes(3, 300),
        },
    ];
    ts.extend(run(&mut mux, &more));
    mux.set_tracks(false, true).unwrap();
    let last = vec![
        Op::Segment,
        Op::Audio {
            pts: 6000,
            data: bytes(4, 300),
        },
    ];
    ts.extend(run(&mut mux, &last));
    ops.extend(more);
    ops.extend(last);

    let report = demux(&ts);
    report.assert_clean();
    assert_eq!(
        report.pmt_streams,
        vec![
            (VIDEO_PID, VIDEO_PID, 0x1B),
            (VIDEO_PID, VIDEO_PID, 0x1B),
            (VIDEO_PID, AUDIO_PID, 0x0F),
            (AUDIO_PID, AUDIO_PID, 0x0F),
        ],
        "the oracle only re-reads a pmt whose version changed"
    );
    assert_pes_match(&report, &ops);
    let versions: Vec<u8> = ts
        .chunks(PACKET_SIZE)
        .filter(|p| u16::from_be_bytes([p[1] & 0x1F, p[2]]) == 0x1000)
        .map(|p| (p[10] >> 1) & 0x1F)
        .collect();
    assert_eq!(versions, vec![0, 1, 2]);
    assert_eq!(
        mux.write_video(0, 0, true, &[[0u8; 4]], &mut ts),
        Err(Error::TrackNotInProgram { track: "video" })
    );
}

#[test]
fn setting_the_same_tracks_keeps_the_version() {
    let mut mux = Muxer::new(config(true, true)).unwrap();
    let mut out = Vec::new();
    mux.start_segment(&mut out);
    mux.set_tracks(false, true).unwrap();
    mux.set_tracks(true, true).unwrap();
    mux.start_segment(&mut out);
    assert_eq!((out[188 * 3 + 10] >> 1) & 0x1F, 0);
    assert_eq!(mux.set_tracks(false, false), Err(Error::NoTracks));
}

#[test]
fn pcr_never_decreases_on_out_of_order_input() {
    let ops = vec![
        Op::Segment,
        Op::Video {
            pts: 90_000,
            dts: 90_000,
            key: true,
            data: bytes(1, 100),
        },
        Op::Video {
            pts: 3000,
            dts: 3000,
            key: false,
            data: bytes(2, 100),
        },
    ];
    let mut mux = Muxer::new(config(true, false)).unwrap();
    let report = demux(&run(&mut mux, &ops));
    assert_eq!(report.pcrs[0].base, report.pcrs[1].base);
}

#[test]
fn continuity_counters_run_on_across_segments() {
    let ops = av_ops(0, 3, true, true);
    let mut mux = Muxer::new(config(true, true)).unwrap();
    let ts = run(&mut mux, &ops);
    // The raw check inside `demux` verifies every PID, PAT and PMT included;
    // here we make sure the counters did wrap, so that check meant something.
    let video_packets = ts
        .chunks(PACKET_SIZE)
        .filter(|p| p[1] & 0x1F == 0x01 && p[2] == 0x00)
        .count();
    assert!(video_packets > 32);
    demux(&ts).assert_clean();
}

#[test]
fn gather_lists_and_single_slices_give_identical_bytes() {
    let data = bytes(9, 5000);
    let mut a = Muxer::new(MuxerConfig::default()).unwrap();
    let mut b = a.clone();
    let (mut out_a, mut out_b) = (Vec::new(), Vec::new());
    a.start_segment(&mut out_a);
    b.start_segment(&mut out_b);
    a.write_video(0, 0, true, &[&data], &mut out_a).unwrap();
    let pieces: Vec<&[u8]> = data.chunks(7).chain([&[][..], &[][..]]).collect();
    b.write_video(0, 0, true, &pieces, &mut out_b).unwrap();
    a.write_audio(1, &[&data[..1000]], &mut out_a).unwrap();
    b.write_audio(1, &[&data[..1], &[][..], &data[1..1000]], &mut out_b)
        .unwrap();
    assert_eq!(out_a, out_b);
}

#[test]
fn config_errors() {
    let bad = |f: fn(&mut MuxerConfig)| {
        let mut c = MuxerConfig::default();
        f(&mut c);
        Muxer::new(c).unwrap_err()
    };
    assert_eq!(
        bad(|c| c.pmt_pid = 0x000F),
        Error::PidOutOfRange {
            role: "pmt",
            pid: 0x000F
        }
    );
    assert_eq!(
        bad(|c| c.video_pid = 0x1FFF),
        Error::PidOutOfRange {
            role: "video",
            pid: 0x1FFF
        }
    );
    assert_eq!(
        bad(|c| c.audio_pid = 0),
        Error::PidOutOfRange {
            role: "audio",
            pid: 0
        }
    );
    assert_eq!(
        bad(|c| c.audio_pid = 0x100),
        Error::DuplicatePid {
            first: "video",
            second: "audio",
            pid: 0x100
        }
    );
    assert_eq!(
        bad(|c| c.pmt_pid = 0x101),
        Error::DuplicatePid {
            first: "pmt",
            second: "audio",
            pid: 0x101
        }
    );
    assert_eq!(bad(|c| c.program_number = 0), Error::ReservedProgramNumber);
    assert_eq!(
        bad(|c| c.pcr_period = 0),
        Error::InvalidPcrPeriod { period: 0 }
    );
    assert_eq!(
        bad(|c| {
            c.video = false;
            c.audio = false;
        }),
        Error::NoTracks
    );
    assert!(Muxer::new(MuxerConfig {
        pmt_pid: 0x10,
        video_pid: 0x1FFE,
        ..MuxerConfig::default()
    })
    .is_ok());
    let msg = Error::PidOutOfRange {
        role: "video",
        pid: 0x1FFF,
    }
    .to_string();
    assert_eq!(
        msg,
        "video pid 0x1fff is outside the usable range 0x0010..=0x1ffe"
    );
}

#[test]
fn custom_pids_and_program_number_reach_the_tables() {
    let config = MuxerConfig {
        pmt_pid: 0x20,
        video_pid: 0x1FFE,
        audio_pid: 0x30,
        program_number: 7,
        ..MuxerConfig::default()
    };
    let mut mux = Muxer::new(config).unwrap();
    let mut out = Vec::new();
    mux.start_segment(&mut out);
    mux.write_video(0, 0, true, &[[1u8; 10]], &mut out).unwrap();
    mux.write_audio(0, &[[2u8; 10]], &mut out).unwrap();
    let report = demux(&out);
    report.assert_clean();
    assert_eq!(
        report.pmt_streams,
        vec![(0x1FFE, 0x1FFE, 0x1B), (0x1FFE, 0x30, 0x0F)]
    );
    assert_eq!(&out[13..15], &[0, 7], "program number in the pat");
    assert_eq!(report.pes.len(), 2);
}
