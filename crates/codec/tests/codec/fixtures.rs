//! The FFmpeg-made FLV fixtures: configuration records, SPS, Annex B output checked with
//! h264-reader's Annex B splitter, and ADTS output checked with ffprobe.

use std::io::Read;

use bytes::Bytes;
use h264_reader::annexb::AnnexBReader;
use h264_reader::nal::{Nal, RefNal};
use h264_reader::push::NalInterest;
use livechannel_codec::aac::{AdtsFrames, AdtsWriter, AudioSpecificConfig};
use livechannel_codec::h264::{
    annexb_nal_units, nal_unit_type, AnnexB, AnnexBConverter, AvcDecoderConfigurationRecord, Sps,
};

use crate::flv_walk::{self, BASELINE, HIGH, LONG_GOP, VIDEO_ONLY};
use crate::sps_oracle::assert_matches_oracle;

const AUD: &[u8] = &[0x09, 0xF0];

fn config(name: &str) -> AvcDecoderConfigurationRecord {
    let tracks = flv_walk::read(name);
    AvcDecoderConfigurationRecord::parse(&tracks.avc_config.expect("AVC sequence header"))
        .expect("fixture avcC parses")
}

/// NAL units of an Annex B stream as h264-reader's push parser sees them.
fn oracle_nal_units(stream: &[u8]) -> Vec<Vec<u8>> {
    let mut nals = Vec::new();
    let mut reader = AnnexBReader::accumulate(|nal: RefNal<'_>| {
        if nal.is_complete() {
            let mut buf = Vec::new();
            nal.reader().read_to_end(&mut buf).expect("complete NAL");
            nals.push(buf);
        }
        NalInterest::Buffer
    });
    reader.push(stream);
    reader.reset();
    drop(reader);
    nals
}

/// The NAL units of an AVCC access unit, read independently of the converter.
fn avcc_nal_units(data: &[u8], length_size: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let len = data[pos..pos + length_size]
            .iter()
            .fold(0usize, |a, &b| (a << 8) | b as usize);
        pos += length_size;
        if len > 0 {
            out.push(data[pos..pos + len].to_vec());
        }
        pos += len;
    }
    out
}

#[test]
fn configuration_records() {
    for (name, profile, sps_count, has_ext) in [
        (HIGH, 100, 1, true),
        (LONG_GOP, 100, 1, true),
        (BASELINE, 66, 1, false),
        (VIDEO_ONLY, 77, 1, false),
    ] {
        let raw = flv_walk::read(name).avc_config.unwrap();
        let c = AvcDecoderConfigurationRecord::parse(&raw).unwrap();
        assert_eq!(c.profile_indication, profile, "{name}");
        assert_eq!(c.length_size, 4, "{name}");
        assert_eq!((c.sps.len(), c.pps.len()), (sps_count, 1), "{name}");
        assert_eq!(c.high_profile_ext.is_some(), has_ext, "{name}");
        if let Some(ext) = &c.high_profile_ext {
            assert_eq!(ext.chroma_format, 1);
            assert_eq!(ext.bit_depth_luma_minus8, 0);
        }
        assert_eq!(nal_unit_type(c.sps[0][0]), 7);
        assert_eq!(nal_unit_type(c.pps[0][0]), 8);
        let mut encoded = Vec::new();
        c.encode(&mut encoded);
        assert_eq!(encoded, raw, "{name}: encode reproduces FFmpeg's record");
    }
}

#[test]
fn fixture_sps_values() {
    // Expected values from ffprobe: profile, size and r_frame_rate.
    for (name, profile, width, height, fps) in [
        (HIGH, "High", 320, 180, 30.0),
        (LONG_GOP, "High", 320, 180, 30.0),
        (BASELINE, "Constrained Baseline", 320, 240, 25.0),
        (VIDEO_ONLY, "Main", 320, 180, 30.0),
    ] {
        let c = config(name);
        let sps = assert_matches_oracle(&c.sps[0]);
        assert_eq!(sps.profile_name(), profile, "{name}");
        assert_eq!((sps.width, sps.height), (width, height), "{name}");
        assert_eq!(sps.frame_rate, Some(fps), "{name}");
        assert_eq!(sps.profile_idc, c.profile_indication);
        assert_eq!(sps.level_idc, c.level_indication);
        assert_eq!(sps.codec_string(), c.codec_string());
    }
    // 180 rows are coded as 192 (12 macroblocks) and cropped.
    let high = Sps::parse(&config(HIGH).sps[0]).unwrap();
    assert_eq!(high.pic_height_in_map_units, 12);
    assert_eq!(high.frame_cropping.map(|c| c.bottom), Some(6));
}

#[test]
fn annexb_output_matches_oracle_splitter() {
    for name in flv_walk::ALL {
        let tracks = flv_walk::read(name);
        let config = config(name);
        let mut converter = AnnexBConverter::new(&config);
        let mut out = AnnexB::new();
        let mut keyframes = 0;
        assert!(!tracks.video.is_empty());
        for (i, frame) in tracks.video.iter().enumerate() {
            out.clear();
            let info = converter.convert(&frame.data, &mut out).unwrap();
            let input = avcc_nal_units(&frame.data, 4);
            let has_sps = input.iter().any(|n| nal_unit_type(n[0]) == 7);
            let keyframe = input.iter().any(|n| nal_unit_type(n[0]) == 5);
            assert_eq!(info.keyframe, keyframe, "{name} frame {i}");
            assert_eq!(
                info.keyframe, frame.keyframe,
                "{name} frame {i}: FLV frame type"
            );
            assert_eq!(info.nal_count, input.len());
            keyframes += usize::from(keyframe);

            let mut expected = Vec::new();
            if nal_unit_type(input[0][0]) != 9 {
                expected.push(AUD.to_vec());
            }
            let mut inserted = false;
            for nal in &input {
                if nal_unit_type(nal[0]) == 5 && !inserted && !has_sps {
                    expected.push(config.sps[0].to_vec());
                    expected.push(config.pps[0].to_vec());
                    inserted = true;
                }
                expected.push(nal.clone());
            }
            assert_eq!(info.inserted_parameter_sets, inserted, "{name} frame {i}");
            assert_eq!(info.inserted_aud, expected[0] == AUD);

            let stream = out.to_vec();
            assert_eq!(stream.len(), out.len());
            assert_eq!(oracle_nal_units(&stream), expected, "{name} frame {i}");
            let ours: Vec<Vec<u8>> = annexb_nal_units(&stream).map(<[u8]>::to_vec).collect();
            assert_eq!(ours, expected, "{name} frame {i}: annexb_nal_units");
            // Every NAL unit gets a 4-byte start code.
            assert_eq!(
                stream.len(),
                expected.iter().map(|n| n.len() + 4).sum::<usize>()
            );
        }
        assert!(keyframes >= 1, "{name}");
    }
}

#[test]
fn annexb_nal_payloads_are_zero_copy() {
    let tracks = flv_walk::read(HIGH);
    let mut converter = AnnexBConverter::new(&config(HIGH));
    let mut out = AnnexB::new();
    let frame = &tracks.video[1].data;
    converter.convert(frame, &mut out).unwrap();
    let range = frame.as_ptr_range();
    let from_input = out
        .chunks()
        .iter()
        .filter(|c| range.contains(&c.as_ptr()))
        .count();
    assert_eq!(from_input, avcc_nal_units(frame, 4).len());
}

/// ffprobe counts the frames of an ADTS file we wrote; skipped loudly without ffprobe (fails
/// under CI=true).
fn ffprobe_frame_count(adts: &[u8], tag: &str) -> Option<usize> {
    if !livechannel_testkit::have("ffprobe") {
        return None;
    }
    let dir = std::env::temp_dir().join(format!(
        "livechannel-codec-adts-{}-{tag}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("out.aac");
    std::fs::write(&file, adts).unwrap();
    let counts = livechannel_testkit::ffprobe::count_frames_as(&file, "aac");
    let _ = std::fs::remove_dir_all(&dir);
    Some(counts.audio as usize)
}

#[test]
fn adts_from_fixture_frames() {
    for (name, rate, channels) in [(HIGH, 44100, 2), (BASELINE, 48000, 2), (LONG_GOP, 44100, 1)] {
        let tracks = flv_walk::read(name);
        let asc = AudioSpecificConfig::parse(&tracks.asc.clone().unwrap()).unwrap();
        assert_eq!(asc.object_type, 2, "{name}");
        assert_eq!(asc.sampling_frequency, rate, "{name}");
        assert_eq!(asc.channel_configuration, channels, "{name}");
        assert!(
            asc.sync_extension && !asc.sbr,
            "{name}: FFmpeg signals 'no SBR'"
        );
        let mut reencoded = Vec::new();
        asc.encode(&mut reencoded);
        assert_eq!(Bytes::from(reencoded), tracks.asc.unwrap());

        let writer = AdtsWriter::new(&asc).unwrap();
        let mut stream = Vec::new();
        for frame in &tracks.audio {
            writer.write_frame(frame, &mut stream).unwrap();
        }
        let parsed: Vec<&[u8]> = AdtsFrames::new(&stream)
            .map(|f| {
                f.map(|(h, p)| {
                    assert_eq!(h.sampling_frequency(), Some(rate));
                    p
                })
            })
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(parsed.len(), tracks.audio.len());
        assert!(parsed.iter().zip(&tracks.audio).all(|(a, b)| *a == &b[..]));
        if let Some(count) = ffprobe_frame_count(&stream, name) {
            assert_eq!(count, tracks.audio.len(), "{name}: ffprobe frame count");
        }
    }
}
