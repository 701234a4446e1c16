//! AV1: the FFmpeg 9 / SVT-AV1 fixtures' av1C records and sequence headers against what ffprobe
//! reports for the same streams (remuxed to Matroska), key frame detection against the FLV
//! frame type, and property tests.

use bytes::Bytes;
use livechannel_codec::av1::{
    is_key_frame, read_leb128, Av1CodecConfigurationRecord, ObuHeader, ObuType, Obus,
    SequenceHeader,
};
use proptest::prelude::*;

use crate::flv_walk::{self, AV1_10BIT, AV1_MAIN};

fn record(name: &str) -> (Bytes, Av1CodecConfigurationRecord) {
    let raw = flv_walk::read(name).enhanced_config.expect("SequenceStart");
    let record = Av1CodecConfigurationRecord::parse(&raw).expect("fixture av1C parses");
    (raw, record)
}

#[test]
fn fixture_records_and_sequence_headers() {
    // ffprobe (of `ffmpeg -i X.flv -c copy -map 0:v X.mkv`): profile Main (0), level, pix_fmt,
    // size. SVT-AV1 writes no timing info, so the frame rate (25 and 30 on the command line)
    // is not in the bitstream.
    for (name, level, depth, width, height) in
        [(AV1_MAIN, 1, 8, 640, 360), (AV1_10BIT, 0, 10, 320, 180)]
    {
        let (raw, c) = record(name);
        assert_eq!(
            (c.seq_profile, c.seq_level_idx_0, c.seq_tier_0),
            (0, level, 0),
            "{name}"
        );
        assert_eq!(c.bit_depth(), depth, "{name}");
        assert!(!c.monochrome && c.chroma_subsampling_x && c.chroma_subsampling_y);
        let mut encoded = Vec::new();
        c.encode(&mut encoded);
        assert_eq!(encoded, raw, "{name}: encode reproduces FFmpeg's record");

        let seq = c.sequence_header().unwrap();
        assert_eq!(seq.seq_profile, 0);
        assert_eq!(
            (seq.max_frame_width, seq.max_frame_height),
            (width, height),
            "{name}"
        );
        assert_eq!(seq.color_config.bit_depth, depth, "{name}");
        assert_eq!(seq.operating_points[0].seq_level_idx, level);
        assert!(!seq.reduced_still_picture_header && !seq.still_picture);
        assert_eq!((seq.timing_info, seq.frame_rate), (None, None), "{name}");
        assert!(seq.color_config.subsampling_x && seq.color_config.subsampling_y);
    }
    assert_eq!(
        record(AV1_MAIN).1.sequence_header().unwrap().codec_string(),
        "av01.0.01M.08"
    );
    assert_eq!(
        record(AV1_10BIT)
            .1
            .sequence_header()
            .unwrap()
            .codec_string(),
        "av01.0.00M.10"
    );
}

#[test]
fn key_frames_match_flv_frame_type() {
    for name in [AV1_MAIN, AV1_10BIT] {
        let tracks = flv_walk::read(name);
        let seq = record(name).1.sequence_header().unwrap();
        let mut keyframes = 0;
        for (i, frame) in tracks.video.iter().enumerate() {
            let key = is_key_frame(&frame.data, Some(&seq)).unwrap();
            assert_eq!(key, frame.keyframe, "{name} frame {i}");
            keyframes += usize::from(key);
            let obus: Vec<_> = Obus::new(&frame.data).collect::<Result<_, _>>().unwrap();
            assert_eq!(
                obus[0].header.obu_type,
                ObuType::TemporalDelimiter,
                "{name} frame {i}"
            );
            // Key temporal units repeat the sequence header, identical to av1C's.
            let in_tu = obus
                .iter()
                .find(|o| o.header.obu_type == ObuType::SequenceHeader);
            if key {
                let tu_seq = SequenceHeader::parse(&in_tu.unwrap().payload).unwrap();
                assert_eq!(tu_seq, seq);
            }
        }
        assert_eq!(keyframes, 2, "{name}");
    }
}

fn arb_record() -> impl Strategy<Value = Av1CodecConfigurationRecord> {
    (
        (
            0u8..8,
            0u8..32,
            0u8..2,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        (
            any::<bool>(),
            any::<bool>(),
            0u8..4,
            prop::option::of(1u8..=16),
        ),
        prop::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(|(a, b, obus)| Av1CodecConfigurationRecord {
            seq_profile: a.0,
            seq_level_idx_0: a.1,
            seq_tier_0: a.2,
            high_bitdepth: a.3,
            twelve_bit: a.4,
            monochrome: a.5,
            chroma_subsampling_x: b.0,
            chroma_subsampling_y: b.1,
            chroma_sample_position: b.2,
            initial_presentation_delay: b.3,
            config_obus: Bytes::from(obus),
        })
}

proptest! {
    #[test]
    fn av1c_round_trips(record in arb_record()) {
        let mut encoded = Vec::new();
        record.encode(&mut encoded);
        prop_assert_eq!(Av1CodecConfigurationRecord::parse(&Bytes::from(encoded)).unwrap(), record);
    }

    #[test]
    fn leb128_round_trips(value in any::<u32>(), pad in 0usize..3) {
        let mut bytes = Vec::new();
        let mut v = value;
        loop {
            let b = (v & 0x7F) as u8;
            v >>= 7;
            if v == 0 && pad == 0 {
                bytes.push(b);
                break;
            }
            bytes.push(b | 0x80);
            if v == 0 {
                // Padded encodings (allowed by §4.10.5) end in zero groups.
                for i in 0..pad {
                    bytes.push(if i + 1 == pad { 0 } else { 0x80 });
                }
                break;
            }
        }
        if bytes.len() <= 8 {
            prop_assert_eq!(read_leb128(&bytes).unwrap(), (value, bytes.len()));
        }
    }

    #[test]
    fn av1_parsers_never_panic(data in prop::collection::vec(any::<u8>(), 0..200)) {
        let bytes = Bytes::from(data.clone());
        let _ = Av1CodecConfigurationRecord::parse(&bytes).map(|r| r.sequence_header());
        let _ = SequenceHeader::parse(&data);
        let _ = ObuHeader::parse(&data);
        let _ = is_key_frame(&bytes, None);
        let total: usize = Obus::new(&bytes)
            .map_while(Result::ok)
            .map(|o| o.header.header_len + o.payload.len())
            .sum();
        prop_assert!(total <= data.len());
    }

    /// Flipping bits in a real sequence header never panics.
    #[test]
    fn mutated_fixture_sequence_header(index in 0usize..12, bit in 0u8..8, cut in 0usize..12) {
        let (_, c) = record(AV1_MAIN);
        let obu = Obus::new(&c.config_obus).next().unwrap().unwrap();
        let mut payload = obu.payload.to_vec();
        payload[index] ^= 1 << bit;
        let _ = SequenceHeader::parse(&payload);
        let _ = SequenceHeader::parse(&obu.payload[..cut]);
    }
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Sequence headers from libaom and rav1e (FFmpeg 9, 2 frames of 320x240, `-f obu`), against
/// ffprobe 5.1 on the same raw OBU streams. With `-aom-params timing-info=constant` libaom
/// writes timing info, and ffprobe's r_frame_rate of 30000/1001 can only come from it (without
/// timing info ffprobe guesses 25/1 for raw OBU, as it does for the other two files, which
/// were encoded at 24 fps).
#[test]
fn other_encoders_sequence_headers() {
    let timed = SequenceHeader::parse(&unhex("0400000fa40001d4c3400000bc3cffbcdaf90040")).unwrap();
    assert_eq!((timed.max_frame_width, timed.max_frame_height), (320, 240));
    let timing = timed.timing_info.unwrap();
    assert_eq!(
        (timing.num_units_in_display_tick, timing.time_scale),
        (1001, 30000)
    );
    assert_eq!(timing.num_ticks_per_picture, Some(1));
    assert_eq!(timed.frame_rate, Some(30000.0 / 1001.0));
    assert_eq!(timed.color_config.bit_depth, 8);

    for hex in ["000000043cffbcdaf90040", "000000fa1e7fde210a88101010a0"] {
        let seq = SequenceHeader::parse(&unhex(hex)).unwrap();
        assert_eq!(
            (seq.max_frame_width, seq.max_frame_height),
            (320, 240),
            "{hex}"
        );
        assert_eq!((seq.frame_rate, seq.seq_profile), (None, 0), "{hex}");
        assert_eq!(seq.color_config.bit_depth, 8, "{hex}");
    }
}
