//! AVCDecoderConfigurationRecord property tests.

use bytes::Bytes;
use livechannel_codec::h264::{AvcDecoderConfigurationRecord, HighProfileExt};
use livechannel_codec::Error;
use proptest::prelude::*;

fn arb_nal_list(max: usize) -> impl Strategy<Value = Vec<Bytes>> {
    prop::collection::vec(
        prop::collection::vec(any::<u8>(), 0..300).prop_map(Bytes::from),
        0..=max,
    )
}

/// Valid records by construction: length size 1/2/4, counts and sizes within the format, the
/// High extension only for the profiles that carry it.
fn arb_record() -> impl Strategy<Value = AvcDecoderConfigurationRecord> {
    (
        prop::sample::select(vec![66u8, 77, 88, 100, 110, 122, 144, 244]),
        any::<u8>(),
        any::<u8>(),
        prop::sample::select(vec![1u8, 2, 4]),
        arb_nal_list(31),
        arb_nal_list(12),
        (0u8..4, 0u8..8, 0u8..8, arb_nal_list(3)),
        any::<bool>(),
    )
        .prop_map(|(profile, compat, level, ls, sps, pps, ext, with_ext)| {
            let high = matches!(profile, 100 | 110 | 122 | 144);
            AvcDecoderConfigurationRecord {
                profile_indication: profile,
                profile_compatibility: compat,
                level_indication: level,
                length_size: ls,
                sps,
                pps,
                high_profile_ext: (high && with_ext).then(|| HighProfileExt {
                    chroma_format: ext.0,
                    bit_depth_luma_minus8: ext.1,
                    bit_depth_chroma_minus8: ext.2,
                    sps_ext: ext.3,
                }),
            }
        })
}

proptest! {
    #[test]
    fn record_round_trip(record in arb_record()) {
        let mut out = Vec::new();
        record.encode(&mut out);
        let parsed = AvcDecoderConfigurationRecord::parse(&Bytes::from(out.clone()));
        prop_assert_eq!(parsed.as_ref(), Ok(&record));
        // Encoding is canonical: the same bytes again.
        let mut again = Vec::new();
        parsed.unwrap().encode(&mut again);
        prop_assert_eq!(again, out);
    }

    #[test]
    fn record_prefixes_fail_cleanly(record in arb_record(), cut in any::<prop::sample::Index>()) {
        let mut out = Vec::new();
        record.encode(&mut out);
        let cut = cut.index(out.len());
        match AvcDecoderConfigurationRecord::parse(&Bytes::copy_from_slice(&out[..cut])) {
            Err(Error::Truncated { offset, needed, available, .. }) => {
                prop_assert!(offset <= cut);
                prop_assert!(needed > available);
            }
            // Only the optional High extension may be cut off without an error.
            Ok(r) => {
                prop_assert!(record.high_profile_ext.is_some());
                prop_assert_eq!(r.high_profile_ext, None);
                prop_assert_eq!(r.sps, record.sps);
            }
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = AvcDecoderConfigurationRecord::parse(&Bytes::from(data));
    }
}
