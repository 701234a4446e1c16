//! AnnexBConverter rules on hand-built access units, and property tests.

use bytes::Bytes;
use livechannel_codec::h264::{
    annexb_nal_units, AccessUnitInfo, AnnexB, AnnexBConverter, AvcDecoderConfigurationRecord,
};
use livechannel_codec::Error;
use proptest::prelude::*;

const SPS: &[u8] = &[0x67, 0x42, 0xC0, 0x1E, 0x80]; // seq_parameter_set_id 0
const PPS: &[u8] = &[0x68, 0xCE, 0x3C, 0x80]; // pic_parameter_set_id 0

fn config(length_size: u8) -> AvcDecoderConfigurationRecord {
    AvcDecoderConfigurationRecord {
        profile_indication: 66,
        profile_compatibility: 0xC0,
        level_indication: 30,
        length_size,
        sps: vec![Bytes::from_static(SPS)],
        pps: vec![Bytes::from_static(PPS)],
        high_profile_ext: None,
    }
}

/// Length-prefixes NAL units with `length_size` bytes.
fn avcc(length_size: usize, nals: &[&[u8]]) -> Bytes {
    let mut out = Vec::new();
    for nal in nals {
        out.extend_from_slice(&(nal.len() as u32).to_be_bytes()[4 - length_size..]);
        out.extend_from_slice(nal);
    }
    Bytes::from(out)
}

fn convert(c: &mut AnnexBConverter, data: &Bytes) -> (AccessUnitInfo, Vec<u8>) {
    let mut out = AnnexB::new();
    let info = c.convert(data, &mut out).unwrap();
    (info, out.to_vec())
}

#[test]
fn idr_access_unit_byte_exact() {
    let mut c = AnnexBConverter::new(&config(4));
    let sei: &[u8] = &[0x06, 0x05, 0x01, 0xFF, 0x80];
    let idr: &[u8] = &[0x65, 0x88, 0x84, 0x00, 0x33];
    let (info, bytes) = convert(&mut c, &avcc(4, &[sei, idr]));
    #[rustfmt::skip]
    let expected = [
        0, 0, 0, 1, 0x09, 0xF0,
        0, 0, 0, 1, 0x06, 0x05, 0x01, 0xFF, 0x80,
        0, 0, 0, 1, 0x67, 0x42, 0xC0, 0x1E, 0x80,
        0, 0, 0, 1, 0x68, 0xCE, 0x3C, 0x80,
        0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33,
    ];
    assert_eq!(bytes, expected);
    assert_eq!(
        info,
        AccessUnitInfo {
            keyframe: true,
            nal_count: 2,
            inserted_aud: true,
            inserted_parameter_sets: true
        }
    );
}

#[test]
fn non_idr_gets_only_an_aud_and_length_sizes_1_and_2_work() {
    for ls in [1u8, 2, 4] {
        let mut c = AnnexBConverter::new(&config(ls));
        let (info, bytes) = convert(&mut c, &avcc(ls as usize, &[&[0x41, 0x9A, 0x02]]));
        assert_eq!(
            bytes,
            [0, 0, 0, 1, 0x09, 0xF0, 0, 0, 0, 1, 0x41, 0x9A, 0x02]
        );
        assert!(!info.keyframe && info.inserted_aud && !info.inserted_parameter_sets);
    }
}

#[test]
fn existing_aud_is_not_duplicated() {
    let mut c = AnnexBConverter::new(&config(4));
    let (info, bytes) = convert(&mut c, &avcc(4, &[&[0x09, 0x10], &[0x41, 0x01]]));
    assert_eq!(bytes, [0, 0, 0, 1, 0x09, 0x10, 0, 0, 0, 1, 0x41, 0x01]);
    assert!(!info.inserted_aud);
}

#[test]
fn in_band_parameter_sets_are_kept_and_reused() {
    let mut c = AnnexBConverter::new(&config(4));
    let new_sps: &[u8] = &[0x67, 0x64, 0x00, 0x1F, 0x80];
    let new_pps: &[u8] = &[0x68, 0xEB, 0xE3];
    let idr: &[u8] = &[0x65, 0x01];
    // An IDR carrying its own SPS and PPS: nothing inserted, nothing duplicated.
    let (info, bytes) = convert(&mut c, &avcc(4, &[new_sps, new_pps, idr]));
    assert!(!info.inserted_parameter_sets);
    let nals: Vec<&[u8]> = annexb_nal_units(&bytes).collect();
    assert_eq!(nals, [&[0x09, 0xF0][..], new_sps, new_pps, idr]);
    // The next IDR without parameter sets repeats the in-band ones, not the config's.
    let (info, bytes) = convert(&mut c, &avcc(4, &[idr]));
    assert!(info.inserted_parameter_sets);
    let nals: Vec<&[u8]> = annexb_nal_units(&bytes).collect();
    assert_eq!(nals, [&[0x09, 0xF0][..], new_sps, new_pps, idr]);
    // A new sequence header replaces them again.
    c.set_config(&config(4));
    let (_, bytes) = convert(&mut c, &avcc(4, &[idr]));
    let nals: Vec<&[u8]> = annexb_nal_units(&bytes).collect();
    assert_eq!(nals, [&[0x09, 0xF0][..], SPS, PPS, idr]);
}

#[test]
fn in_band_sps_without_pps_gets_the_pps() {
    let mut c = AnnexBConverter::new(&config(4));
    let idr: &[u8] = &[0x65, 0x01];
    let (info, bytes) = convert(&mut c, &avcc(4, &[SPS, idr]));
    assert!(info.inserted_parameter_sets);
    let nals: Vec<&[u8]> = annexb_nal_units(&bytes).collect();
    assert_eq!(nals, [&[0x09, 0xF0][..], SPS, PPS, idr]);
}

#[test]
fn parameter_sets_only_before_the_first_idr_slice() {
    let mut c = AnnexBConverter::new(&config(4));
    let idr1: &[u8] = &[0x65, 0x01];
    let idr2: &[u8] = &[0x65, 0x02];
    let (_, bytes) = convert(&mut c, &avcc(4, &[idr1, idr2]));
    let nals: Vec<&[u8]> = annexb_nal_units(&bytes).collect();
    assert_eq!(nals, [&[0x09, 0xF0][..], SPS, PPS, idr1, idr2]);
}

#[test]
fn zero_length_nals_are_skipped_and_empty_units_append_nothing() {
    let mut c = AnnexBConverter::new(&config(4));
    let (info, bytes) = convert(&mut c, &avcc(4, &[&[], &[0x41, 0x07], &[]]));
    assert_eq!(bytes, [0, 0, 0, 1, 0x09, 0xF0, 0, 0, 0, 1, 0x41, 0x07]);
    assert_eq!(info.nal_count, 1);
    let mut out = AnnexB::new();
    let info = c.convert(&avcc(4, &[&[]]), &mut out).unwrap();
    assert!(out.is_empty());
    assert_eq!(info, AccessUnitInfo::default());
    c.convert(&Bytes::new(), &mut out).unwrap();
    assert!(out.is_empty());
}

#[test]
fn errors_leave_output_and_state_untouched() {
    let mut c = AnnexBConverter::new(&config(4));
    let mut out = AnnexB::new();
    c.convert(&avcc(4, &[&[0x41, 1]]), &mut out).unwrap();
    let before = out.clone();
    let mut bad = avcc(4, &[&[0x67, 0x64, 0x00, 0x1F, 0x80], &[0x65, 1, 2]]).to_vec();
    bad.truncate(bad.len() - 1);
    assert_eq!(
        c.convert(&Bytes::from(bad), &mut out),
        Err(Error::NalLengthOutOfBounds {
            offset: 13,
            length: 3,
            remaining: 2
        })
    );
    assert_eq!(out, before);
    // The SPS of the failed unit did not become current.
    out.clear();
    c.convert(&avcc(4, &[&[0x65, 9]]), &mut out).unwrap();
    let bytes = out.to_vec();
    let nals: Vec<&[u8]> = annexb_nal_units(&bytes).collect();
    assert_eq!(nals[1], SPS);
}

#[test]
fn truncated_length_prefix() {
    let mut c = AnnexBConverter::new(&config(4));
    let mut data = avcc(4, &[&[0x41, 1]]).to_vec();
    data.extend_from_slice(&[0, 0]);
    assert_eq!(
        c.convert(&Bytes::from(data), &mut AnnexB::new()),
        Err(Error::TruncatedNalLength {
            offset: 6,
            length_size: 4,
            remaining: 2
        })
    );
}

#[test]
fn unusable_length_size_in_a_hand_built_config() {
    let mut c = AnnexBConverter::new(&config(0));
    assert_eq!(
        c.convert(&Bytes::from_static(&[1, 0x41]), &mut AnnexB::new()),
        Err(Error::InvalidLengthSize { length_size: 0 })
    );
}

#[test]
fn append_to_equals_to_vec() {
    let mut c = AnnexBConverter::new(&config(4));
    let mut out = AnnexB::new();
    c.convert(&avcc(4, &[&[0x65, 1, 2, 3]]), &mut out).unwrap();
    let mut v = vec![0xAA];
    out.append_to(&mut v);
    assert_eq!(v[0], 0xAA);
    assert_eq!(&v[1..], &out.to_vec()[..]);
    assert_eq!(
        out.chunks().iter().map(Bytes::len).sum::<usize>(),
        out.len()
    );
}

fn arb_nal() -> impl Strategy<Value = Vec<u8>> {
    // Real NAL units never end in a zero byte (rbsp_stop_one_bit) and contain no start code.
    // In-band SPS/PPS are left to the unit tests above, so the expected insertions are the
    // configuration's.
    (
        prop::sample::select(vec![0x01u8, 0x05, 0x06, 0x09, 0x0C, 0x41, 0x65, 0x21, 0x25]),
        prop::collection::vec(1u8..=255, 0..40),
    )
        .prop_map(|(h, mut rest)| {
            rest.insert(0, h);
            rest
        })
}

proptest! {
    /// Arbitrary bytes as an access unit: an error or output, never a panic; on success the
    /// output splits back into the input's NAL units plus the documented insertions.
    #[test]
    fn converter_never_panics(data in prop::collection::vec(any::<u8>(), 0..300), ls in prop::sample::select(vec![1u8, 2, 4])) {
        let mut c = AnnexBConverter::new(&config(ls));
        let mut out = AnnexB::new();
        match c.convert(&Bytes::from(data), &mut out) {
            Ok(info) => prop_assert!(out.is_empty() || info.nal_count > 0),
            Err(e) => {
                prop_assert!(out.is_empty());
                let is_framing_error = matches!(
                    e,
                    Error::NalLengthOutOfBounds { .. } | Error::TruncatedNalLength { .. }
                );
                prop_assert!(is_framing_error);
            }
        }
    }

    /// Well-formed access units: Annex B output splits back to AUD? + params? + input NALs.
    #[test]
    fn output_splits_back_to_input(nals in prop::collection::vec(arb_nal(), 1..8), ls in prop::sample::select(vec![2u8, 4])) {
        let mut c = AnnexBConverter::new(&config(ls));
        let refs: Vec<&[u8]> = nals.iter().map(Vec::as_slice).collect();
        let (info, bytes) = convert(&mut c, &avcc(ls as usize, &refs));
        let got: Vec<&[u8]> = annexb_nal_units(&bytes).collect();
        let mut expected: Vec<&[u8]> = Vec::new();
        if nals[0][0] & 0x1F != 9 {
            expected.push(&[0x09, 0xF0]);
        }
        let first_idr = nals.iter().position(|n| n[0] & 0x1F == 5);
        for (i, n) in nals.iter().enumerate() {
            if Some(i) == first_idr {
                expected.push(SPS);
                expected.push(PPS);
            }
            expected.push(n);
        }
        prop_assert_eq!(info.inserted_parameter_sets, first_idr.is_some());
        prop_assert_eq!(info.keyframe, first_idr.is_some());
        prop_assert_eq!(info.nal_count, nals.len());
        prop_assert_eq!(got, expected);
    }
}
