//! AudioSpecificConfig and ADTS property tests.

use livechannel_codec::aac::{AdtsFrames, AdtsHeader, AdtsWriter, AudioSpecificConfig, RawBits};
use livechannel_codec::Error;
use proptest::prelude::*;

fn arb_adts_header() -> impl Strategy<Value = AdtsHeader> {
    (
        0u8..4,
        0u8..=12,
        0u8..8,
        7u16..=0x1FFF,
        0u16..=0x7FF,
        0u8..4,
    )
        .prop_map(
            |(
                profile,
                sampling_frequency_index,
                channel_configuration,
                frame_length,
                buffer_fullness,
                raw_data_blocks,
            )| AdtsHeader {
                profile,
                sampling_frequency_index,
                channel_configuration,
                frame_length,
                buffer_fullness,
                raw_data_blocks,
                protection_absent: true,
            },
        )
}

fn raw_bits(bit_len: usize) -> impl Strategy<Value = RawBits> {
    prop::collection::vec(any::<u8>(), bit_len.div_ceil(8)).prop_map(move |mut data| {
        if bit_len % 8 != 0 {
            if let Some(last) = data.last_mut() {
                *last &= 0xFFu8 << (8 - bit_len % 8);
            }
        }
        RawBits { data, bit_len }
    })
}

fn put(bits: &mut Vec<bool>, v: u64, n: u32) {
    bits.extend((0..n).rev().map(|i| (v >> i) & 1 == 1));
}

/// A valid PCE (counts, element tags, alignment, comment) as the parser captures it when it
/// starts at bit offset `start` of the config.
fn arb_pce(start: usize) -> impl Strategy<Value = RawBits> {
    (
        any::<u16>(),
        [0u64..4, 0..4, 0..4, 0..4, 0..8, 0..4],
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 0..4),
    )
        .prop_map(
            move |(head, [front, side, back, lfe, assoc, cc], tags, comment)| {
                let mut bits = Vec::new();
                put(&mut bits, head.into(), 10); // tag, object type, sampling index
                for (v, n) in [
                    (front, 4),
                    (side, 4),
                    (back, 4),
                    (lfe, 2),
                    (assoc, 3),
                    (cc, 4),
                ] {
                    put(&mut bits, v, n);
                }
                put(&mut bits, 0, 3); // no mixdowns
                let element_bits = 5 * (front + side + back + cc) + 4 * (lfe + assoc);
                bits.extend((0..element_bits).map(|i| (tags >> (i % 64)) & 1 == 1));
                while (start + bits.len()) % 8 != 0 {
                    bits.push(false);
                }
                put(&mut bits, comment.len() as u64, 8);
                for &c in &comment {
                    put(&mut bits, c.into(), 8);
                }
                let mut data = vec![0u8; bits.len().div_ceil(8)];
                for (i, &b) in bits.iter().enumerate() {
                    if b {
                        data[i / 8] |= 0x80 >> (i % 8);
                    }
                }
                RawBits {
                    data,
                    bit_len: bits.len(),
                }
            },
        )
}

fn header_bits(object_type: u8, index: u8) -> usize {
    (if object_type >= 31 { 11 } else { 5 }) + 4 + if index == 15 { 24 } else { 0 } + 4
}

/// Valid configs by construction, in the forms `parse` produces.
fn arb_asc() -> impl Strategy<Value = AudioSpecificConfig> {
    let frequency = prop_oneof![
        (0u8..=12).prop_map(|i| (i, livechannel_codec::aac::sampling_frequency(i).unwrap())),
        (0u32..1 << 24).prop_map(|f| (15u8, f)),
    ];
    let ga_core = prop::sample::select(vec![1u8, 2, 3, 4, 7]);
    let other_type = prop::sample::select(vec![8u8, 9, 12, 13, 24, 27, 32, 36, 39, 42, 45, 95]);
    let plain_ga = (
        ga_core,
        frequency.clone(),
        0u8..16,
        any::<bool>(),
        prop::option::of(0u16..1 << 14),
        prop::option::of((any::<bool>(), frequency.clone(), any::<bool>())),
    )
        .prop_flat_map(|(ot, (idx, f), ch, fl960, delay, sync)| {
            let start = header_bits(ot, idx) + 3 + if delay.is_some() { 14 } else { 0 };
            let pce = if ch == 0 {
                arb_pce(start).prop_map(Some).boxed()
            } else {
                Just(None).boxed()
            };
            pce.prop_map(move |program_config_element| {
                let (sbr, ext, ps) = match sync {
                    Some((true, e, ps)) => (true, Some(e), ps),
                    _ => (false, None, false),
                };
                AudioSpecificConfig {
                    object_type: ot,
                    core_object_type: ot,
                    sampling_frequency_index: idx,
                    sampling_frequency: f,
                    channel_configuration: ch,
                    frame_length: if fl960 { 960 } else { 1024 },
                    core_coder_delay: delay,
                    extension_flag: false,
                    program_config_element,
                    sbr,
                    ps,
                    extension_sampling_frequency_index: ext.map(|e| e.0),
                    extension_sampling_frequency: ext.map(|e| e.1),
                    sync_extension: sync.is_some(),
                    uninterpreted: None,
                }
            })
        });
    let explicit = (
        prop::sample::select(vec![5u8, 29]),
        frequency.clone(),
        1u8..16,
        frequency.clone(),
        prop::sample::select(vec![1u8, 2, 3, 4]),
        any::<bool>(),
    )
        .prop_map(
            |(ot, (idx, f), ch, (eidx, ef), core, fl960)| AudioSpecificConfig {
                object_type: ot,
                core_object_type: core,
                sampling_frequency_index: idx,
                sampling_frequency: f,
                channel_configuration: ch,
                frame_length: if fl960 { 960 } else { 1024 },
                core_coder_delay: None,
                extension_flag: false,
                program_config_element: None,
                sbr: true,
                ps: ot == 29,
                extension_sampling_frequency_index: Some(eidx),
                extension_sampling_frequency: Some(ef),
                sync_extension: false,
                uninterpreted: None,
            },
        );
    let opaque = (other_type, frequency, 0u8..16, 0usize..5).prop_flat_map(
        |(ot, (idx, f), ch, extra_bytes)| {
            // The tail runs to the end of the data, so it ends on a byte boundary.
            let header = header_bits(ot, idx);
            let tail = (8 - header % 8) % 8 + 8 * extra_bytes;
            let tail = if tail == 0 { 8 } else { tail };
            raw_bits(tail).prop_map(move |raw| AudioSpecificConfig {
                object_type: ot,
                core_object_type: ot,
                sampling_frequency_index: idx,
                sampling_frequency: f,
                channel_configuration: ch,
                frame_length: 1024,
                core_coder_delay: None,
                extension_flag: false,
                program_config_element: None,
                sbr: false,
                ps: false,
                extension_sampling_frequency_index: None,
                extension_sampling_frequency: None,
                sync_extension: false,
                uninterpreted: Some(raw),
            })
        },
    );
    prop_oneof![3 => plain_ga, 1 => explicit, 1 => opaque]
}

proptest! {
    #[test]
    fn adts_header_round_trip(h in arb_adts_header()) {
        let bytes = h.to_bytes();
        prop_assert_eq!(AdtsHeader::parse(&bytes), Ok(h));
        prop_assert_eq!(h.header_len(), 7);
    }

    #[test]
    fn asc_round_trip(asc in arb_asc()) {
        let mut out = Vec::new();
        asc.encode(&mut out);
        let parsed = AudioSpecificConfig::parse(&out);
        prop_assert_eq!(parsed.as_ref(), Ok(&asc), "encoded {:02x?}", out);
        let mut again = Vec::new();
        parsed.unwrap().encode(&mut again);
        prop_assert_eq!(again, out);
    }

    /// The ADTS writer accepts exactly the configs it documents and writes parseable headers.
    #[test]
    fn adts_writer_for_any_config(asc in arb_asc(), len in 0usize..9000) {
        match AdtsHeader::for_frame(&asc, len) {
            Ok(h) => {
                prop_assert!((1..=4).contains(&asc.core_object_type));
                prop_assert_eq!(h.profile, asc.core_object_type - 1);
                prop_assert_eq!(usize::from(h.frame_length), len + 7);
                let w = AdtsWriter::new(&asc).unwrap();
                prop_assert_eq!(w.header(len).unwrap(), h.to_bytes());
                prop_assert_eq!(AdtsHeader::parse(&h.to_bytes()), Ok(h));
            }
            Err(Error::AdtsUnsupportedObjectType { object_type }) => prop_assert!(!(1..=4).contains(&object_type)),
            Err(Error::AdtsExplicitFrequency { .. }) => prop_assert_eq!(asc.sampling_frequency_index, 15),
            Err(Error::AdtsChannelConfigZero) => prop_assert_eq!(asc.channel_configuration, 0),
            Err(Error::AdtsChannelConfigUnsupported { .. }) => prop_assert!(asc.channel_configuration > 7),
            Err(Error::AdtsFrameLength960) => prop_assert_eq!(asc.frame_length, 960),
            Err(Error::AdtsFrameTooLong { len: l }) => prop_assert!(l > 8191 && l == len + 7),
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }

    #[test]
    fn adts_stream_splits_back(payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..10)) {
        let asc = AudioSpecificConfig::parse(&[0x12, 0x10]).unwrap();
        let w = AdtsWriter::new(&asc).unwrap();
        let mut stream = Vec::new();
        for p in &payloads {
            w.write_frame(p, &mut stream).unwrap();
        }
        let got: Vec<Vec<u8>> = AdtsFrames::new(&stream)
            .map(|f| f.map(|(_, p)| p.to_vec()))
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(got, payloads);
    }

    #[test]
    fn aac_parsers_never_panic(data in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = AudioSpecificConfig::parse(&data);
        let _ = AdtsHeader::parse(&data);
        for frame in AdtsFrames::new(&data) {
            let _ = frame;
        }
    }
}
