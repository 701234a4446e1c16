//! Arbitrary sample lists, written by the muxer and read back by the oracle.

use proptest::prelude::*;

use super::{aac, check_fragment, h264, read_fragment};
use bytes::Bytes;
use livechannel_fmp4::{Muxer, MuxerConfig, Sample, SampleData};

/// One sample before placement on its track's timeline.
#[derive(Debug, Clone)]
struct Spec {
    duration: u32,
    cto: i32,
    is_sync: bool,
    /// Sizes of the gather list's pieces; one piece is `SampleData::One`.
    pieces: Vec<usize>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop_oneof![Just(0u32), 1u32..5000, Just(u32::MAX)],
        prop_oneof![Just(0i32), -9000i32..9000, Just(i32::MIN), Just(i32::MAX)],
        any::<bool>(),
        prop::collection::vec(0usize..300, 1..4),
    )
        .prop_map(|(duration, cto, is_sync, pieces)| Spec {
            duration,
            cto,
            is_sync,
            pieces,
        })
}

/// A fragment: per track a start offset from the previous end and samples.
fn fragment() -> impl Strategy<Value = Vec<(u64, Vec<Spec>)>> {
    prop::collection::vec(
        (
            prop_oneof![Just(0u64), 0u64..100_000],
            prop::collection::vec(spec(), 0..12),
        ),
        2,
    )
}

fn place(start: u64, specs: &[Spec], seed: &mut u8) -> Vec<Sample> {
    let mut dts = start;
    specs
        .iter()
        .map(|s| {
            let mut pieces: Vec<Bytes> = s
                .pieces
                .iter()
                .map(|&len| {
                    *seed = seed.wrapping_add(1);
                    Bytes::from(
                        (0..len)
                            .map(|i| seed.wrapping_add(i as u8))
                            .collect::<Vec<u8>>(),
                    )
                })
                .collect();
            let data = if pieces.len() == 1 {
                SampleData::One(pieces.remove(0))
            } else {
                SampleData::Gather(pieces)
            };
            let sample = Sample {
                dts,
                duration: s.duration,
                composition_offset: s.cto,
                is_sync: s.is_sync,
                data,
            };
            dts += u64::from(s.duration);
            sample
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_fragments_round_trip(
        fragments in prop::collection::vec(fragment(), 1..5),
        styp in any::<bool>(),
        gather in any::<bool>(),
        base in prop_oneof![Just(0u64), 0u64..(1 << 40)],
    ) {
        let config = MuxerConfig { tracks: vec![h264(1920, 1080), aac()], styp };
        let mut mux = Muxer::new(config).unwrap();
        let mut ends = [base, base];
        let mut sequence = 0;
        let mut seed = 0u8;
        for fragment in fragments {
            let tracks: Vec<Vec<Sample>> = fragment
                .iter()
                .zip(&ends)
                .map(|((gap, specs), end)| place(end + gap, specs, &mut seed))
                .collect();
            let (mut header, mut media) = (Vec::new(), Vec::new());
            let result = if gather {
                mux.write_fragment_gather(&tracks, &mut header, &mut media)
            } else {
                mux.write_fragment(&tracks, &mut header)
            };
            if tracks.iter().all(|t| t.is_empty()) {
                prop_assert_eq!(result, Err(livechannel_fmp4::Error::EmptyFragment));
                prop_assert!(header.is_empty() && media.is_empty());
                continue;
            }
            let info = result.unwrap();
            sequence += 1;
            let bytes: Vec<u8> = std::iter::once(header.as_slice())
                .chain(media.iter().map(|b| b.as_ref()))
                .collect::<Vec<_>>()
                .concat();
            prop_assert_eq!(info.size, bytes.len() as u64);
            prop_assert_eq!(info.sequence_number, sequence);
            let read = read_fragment(&bytes);
            prop_assert_eq!(read.styp.is_some(), styp);
            check_fragment(&read, sequence, &tracks);
            for (end, samples) in ends.iter_mut().zip(&tracks) {
                if let Some(last) = samples.last() {
                    *end = last.dts + u64::from(last.duration);
                }
            }
        }
    }
}
