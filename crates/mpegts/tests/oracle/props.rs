//! Random DTS-ordered sequences of writes, read back by the oracle.

use proptest::prelude::*;

use super::{assert_pes_match, bytes, demux, run, Op};
use livechannel_mpegts::{Muxer, MuxerConfig};

#[derive(Debug, Clone)]
enum Step {
    Segment,
    Video {
        gap: i64,
        reorder: i64,
        key: bool,
        len: usize,
    },
    Audio {
        gap: i64,
        len: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => Just(Step::Segment),
        4 => (0i64..6000, 0i64..9000, any::<bool>(), 0usize..3000)
            .prop_map(|(gap, reorder, key, len)| Step::Video { gap, reorder, key, len }),
        4 => (0i64..4000, 0usize..1500).prop_map(|(gap, len)| Step::Audio { gap, len }),
    ]
}

/// Turns steps into ops the muxer must accept: only enabled tracks, a
/// segment first, non-decreasing DTS.
fn ops_for(video: bool, audio: bool, start: i64, steps: &[Step]) -> Vec<Op> {
    let mut t = start;
    let mut ops = vec![Op::Segment];
    for (i, s) in steps.iter().enumerate() {
        match *s {
            Step::Segment => ops.push(Op::Segment),
            Step::Video {
                gap,
                reorder,
                key,
                len,
            } if video => {
                t += gap;
                ops.push(Op::Video {
                    pts: t + reorder,
                    dts: t,
                    key,
                    data: bytes(i as u64, len),
                });
            }
            Step::Audio { gap, len } if audio => {
                t += gap;
                ops.push(Op::Audio {
                    pts: t,
                    data: bytes(i as u64, len),
                });
            }
            _ => {}
        }
    }
    ops
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn random_write_sequences_demux_exactly(
        tracks in prop_oneof![Just((true, true)), Just((true, false)), Just((false, true))],
        start in prop_oneof![Just(-60_000i64), Just(0), Just((1i64 << 33) - 200_000), 0i64..(1 << 40)],
        steps in prop::collection::vec(step(), 0..60),
    ) {
        let (video, audio) = tracks;
        let ops = ops_for(video, audio, start, &steps);
        let mut mux = Muxer::new(MuxerConfig { video, audio, ..MuxerConfig::default() }).unwrap();
        // `run` unwraps every write: none of these valid inputs may be refused.
        let ts = run(&mut mux, &ops);
        let report = demux(&ts);
        report.assert_clean();
        assert_pes_match(&report, &ops);
    }

    #[test]
    fn any_split_of_the_payload_gives_the_same_bytes(
        len in 0usize..2000,
        cuts in prop::collection::vec(0usize..2000, 0..8),
        audio in any::<bool>(),
    ) {
        let data = bytes(len as u64, len);
        let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(len)).collect();
        points.sort_unstable();
        let mut pieces = Vec::new();
        let mut last = 0;
        for p in points {
            pieces.push(&data[last..p]);
            last = p;
        }
        pieces.push(&data[last..]);

        let mut one = Muxer::new(MuxerConfig::default()).unwrap();
        let mut split = one.clone();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        if audio {
            one.write_audio(5, &[&data], &mut a).unwrap();
            split.write_audio(5, &pieces, &mut b).unwrap();
        } else {
            one.write_video(9, 5, true, &[&data], &mut a).unwrap();
            split.write_video(9, 5, true, &pieces, &mut b).unwrap();
        }
        prop_assert_eq!(a, b);
    }
}
