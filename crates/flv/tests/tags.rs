//! Audio, video and script tag bodies.

use bytes::Bytes;
use livechannel_amf0::{encode, Value};
use livechannel_flv::{
    AacPacketType, AudioTag, Error, FourCc, FrameType, ModEx, MultitrackType, ScriptTag,
    SoundFormat, VideoCodec, VideoPacketType, VideoTag,
};
use proptest::prelude::*;

fn video(bytes: &[u8]) -> Result<VideoTag, Error> {
    VideoTag::parse(Bytes::copy_from_slice(bytes))
}

fn audio(bytes: &[u8]) -> Result<AudioTag, Error> {
    AudioTag::parse(Bytes::copy_from_slice(bytes))
}

fn rewritten(tag: &VideoTag) -> Vec<u8> {
    let mut out = Vec::new();
    tag.write_header(&mut out);
    out.extend_from_slice(&tag.data);
    out
}

#[test]
fn avc_negative_composition_time_is_sign_extended() {
    let tag = video(&[0x27, 0x01, 0xFF, 0xFF, 0xFE, 0xAB]).unwrap();
    assert_eq!(tag.composition_time, -2);
    let tag = video(&[0x27, 0x01, 0x80, 0x00, 0x00]).unwrap();
    assert_eq!(tag.composition_time, -0x80_0000);
    let tag = video(&[0x27, 0x01, 0x7F, 0xFF, 0xFF]).unwrap();
    assert_eq!(tag.composition_time, 0x7F_FFFF);
    assert_eq!(rewritten(&tag), [0x27, 0x01, 0x7F, 0xFF, 0xFF]);
}

#[test]
fn avc_sequence_header_and_end_of_sequence() {
    let seq = video(&[0x17, 0x00, 0, 0, 0, 0x01, 0x64, 0x00, 0x1F]).unwrap();
    assert_eq!(seq.codec, VideoCodec::Avc);
    assert_eq!(seq.frame_type, FrameType::Key);
    assert_eq!(seq.packet_type, VideoPacketType::SequenceHeader);
    assert!(seq.is_h264() && seq.is_sequence_header() && seq.is_keyframe());
    assert!(!seq.is_coded_frame());
    assert_eq!(seq.data.as_ref(), &[0x01, 0x64, 0x00, 0x1F]);

    let eos = video(&[0x17, 0x02, 0, 0, 0]).unwrap();
    assert_eq!(eos.packet_type, VideoPacketType::EndOfSequence);
    assert!(!eos.is_sequence_header() && !eos.is_coded_frame());
    assert!(eos.data.is_empty());
}

#[test]
fn enhanced_hvc1_coded_frames_with_composition_time() {
    // IsExHeader | key frame | CodedFrames, "hvc1", SI24 = -33, one NAL.
    let body = [
        0x91, b'h', b'v', b'c', b'1', 0xFF, 0xFF, 0xDF, 0, 0, 0, 2, 0x26, 0x01,
    ];
    let tag = video(&body).unwrap();
    assert_eq!(tag.codec, VideoCodec::Enhanced(FourCc::HVC1));
    assert_eq!(tag.frame_type, FrameType::Key);
    assert_eq!(tag.packet_type, VideoPacketType::CodedFrames);
    assert_eq!(tag.composition_time, -33);
    assert_eq!(tag.data.as_ref(), &body[8..]);
    assert!(!tag.is_h264() && tag.is_coded_frame() && tag.is_keyframe());
    assert_eq!(rewritten(&tag), body);
}

#[test]
fn enhanced_hvc1_sequence_start() {
    let body = [0x90, b'h', b'v', b'c', b'1', 0x01, 0x02];
    let tag = video(&body).unwrap();
    assert_eq!(tag.packet_type, VideoPacketType::SequenceStart);
    assert!(tag.is_sequence_header());
    assert_eq!(tag.composition_time, 0);
    assert_eq!(tag.data.as_ref(), &[0x01, 0x02]);
    assert_eq!(rewritten(&tag), body);
}

#[test]
fn enhanced_avc1_is_h264() {
    // Inter frame, CodedFrames with CTS 66.
    let body = [
        0xA1, b'a', b'v', b'c', b'1', 0x00, 0x00, 0x42, 0, 0, 0, 1, 0x41,
    ];
    let tag = video(&body).unwrap();
    assert_eq!(tag.codec, VideoCodec::Enhanced(FourCc::AVC1));
    assert_eq!(tag.frame_type, FrameType::Inter);
    assert_eq!(tag.composition_time, 66);
    assert!(tag.is_h264() && tag.is_coded_frame() && !tag.is_keyframe());
    assert_eq!(tag.data.as_ref(), &body[8..]);
    assert_eq!(rewritten(&tag), body);

    // CodedFramesX: no composition time on the wire.
    let body = [0xA3, b'a', b'v', b'c', b'1', 0, 0, 0, 1, 0x41];
    let tag = video(&body).unwrap();
    assert_eq!(tag.packet_type, VideoPacketType::CodedFramesX);
    assert_eq!(tag.composition_time, 0);
    assert_eq!(tag.data.as_ref(), &body[5..]);
    assert!(tag.is_coded_frame());
    assert_eq!(rewritten(&tag), body);
}

#[test]
fn enhanced_av1_coded_frames_have_no_composition_time() {
    let body = [0x91, b'a', b'v', b'0', b'1', 0x12, 0x00];
    let tag = video(&body).unwrap();
    assert_eq!(tag.codec, VideoCodec::Enhanced(FourCc::AV01));
    assert_eq!(tag.data.as_ref(), &[0x12, 0x00]);
    assert_eq!(rewritten(&tag), body);
}

#[test]
fn enhanced_metadata_and_sequence_end() {
    let mut body = vec![0x84, b'h', b'v', b'c', b'1'];
    encode(&Value::String("colorInfo".into()), &mut body).unwrap();
    let tag = video(&body).unwrap();
    assert_eq!(tag.packet_type, VideoPacketType::Metadata);
    assert_eq!(tag.data.as_ref(), &body[5..]);
    assert!(!tag.is_coded_frame() && !tag.is_sequence_header());

    let tag = video(&[0x92, b'v', b'p', b'0', b'9']).unwrap();
    assert_eq!(tag.packet_type, VideoPacketType::SequenceEnd);
    assert_eq!(tag.codec, VideoCodec::Enhanced(FourCc::VP09));
}

#[test]
fn enhanced_command_frame_has_no_fourcc() {
    // Command frame type (5), packet type CodedFrames, then the command byte.
    let body = [0xD1, 0x00];
    let tag = video(&body).unwrap();
    assert_eq!(tag.frame_type, FrameType::Command);
    assert_eq!(tag.codec, VideoCodec::Enhanced(FourCc::NONE));
    assert_eq!(tag.data.as_ref(), &[0x00]);
    assert!(!tag.is_coded_frame());
    assert_eq!(rewritten(&tag), body);
}

#[test]
fn enhanced_multitrack_is_reported_with_its_shared_fourcc() {
    // OneTrack (0) | CodedFrames (1), "hvc1", track id 0, ...
    let body = [0x96, 0x01, b'h', b'v', b'c', b'1', 0x00, 0xAA];
    let tag = video(&body).unwrap();
    assert_eq!(tag.packet_type, VideoPacketType::Multitrack);
    assert_eq!(tag.codec, VideoCodec::Enhanced(FourCc::HVC1));
    assert_eq!(tag.data.as_ref(), &body[1..]);
    assert_eq!(rewritten(&tag), body);
    // ManyTracksManyCodecs (2): each track names its own codec.
    let tag = video(&[0x96, 0x21, b'h', b'v', b'c', b'1']).unwrap();
    assert_eq!(tag.codec, VideoCodec::Enhanced(FourCc::NONE));
    // Just the first byte.
    let tag = video(&[0x96]).unwrap();
    assert_eq!(tag.codec, VideoCodec::Enhanced(FourCc::NONE));
}

#[test]
fn legacy_non_avc_codecs_have_a_one_byte_header() {
    let tag = video(&[0x22, 0xAA, 0xBB]).unwrap();
    assert_eq!(tag.codec, VideoCodec::Legacy(2));
    assert_eq!(tag.frame_type, FrameType::Inter);
    assert_eq!(tag.data.as_ref(), &[0xAA, 0xBB]);
    assert!(!tag.is_h264());
    assert_eq!(rewritten(&tag), [0x22, 0xAA, 0xBB]);
}

#[test]
fn video_bodies_too_short_for_their_header() {
    let short = |len, needed| {
        Err(Error::TagBodyTooShort {
            kind: "video",
            len,
            needed,
        })
    };
    assert_eq!(video(&[]), short(0, 1));
    assert_eq!(video(&[0x17, 0x01, 0x00, 0x00]), short(4, 5));
    assert_eq!(video(&[0x90, b'h', b'v']), short(3, 5));
    assert_eq!(video(&[0x91, b'h', b'v', b'c', b'1', 0x00]), short(6, 8));
}

#[test]
fn aac_audio() {
    let tag = audio(&[0xAF, 0x01, 0x21, 0x10]).unwrap();
    assert_eq!(tag.sound_format, SoundFormat::Aac);
    assert_eq!(tag.sound_rate, 3);
    assert!(tag.sound_size_16bit && tag.stereo);
    assert_eq!(tag.aac_packet_type, Some(AacPacketType::Raw));
    assert_eq!(tag.data.as_ref(), &[0x21, 0x10]);
}

#[test]
fn non_aac_audio_has_a_one_byte_header() {
    let tag = audio(&[0x2A, 0xFF, 0xFB]).unwrap();
    assert_eq!(tag.sound_format, SoundFormat::Mp3);
    assert_eq!(tag.sound_rate, 2);
    assert!(tag.sound_size_16bit && !tag.stereo);
    assert_eq!(tag.aac_packet_type, None);
    assert_eq!(tag.data.as_ref(), &[0xFF, 0xFB]);
    assert_eq!(audio(&[0x90]).unwrap().sound_format, SoundFormat::Other(9));
}

#[test]
fn audio_malformed() {
    let short = |len, needed| {
        Err(Error::TagBodyTooShort {
            kind: "audio",
            len,
            needed,
        })
    };
    assert_eq!(audio(&[]), short(0, 1));
    assert_eq!(audio(&[0xAF]), short(1, 2));
    assert_eq!(
        audio(&[0xAF, 0x02]),
        Err(Error::UnknownAacPacketType { value: 2 })
    );
}

#[test]
fn every_sound_format_value_maps_back() {
    for v in 0..16 {
        assert_eq!(SoundFormat::from_u8(v).as_u8(), v);
    }
}

fn script_body(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        encode(v, &mut out).unwrap();
    }
    out
}

#[test]
fn script_on_metadata() {
    let meta = Value::EcmaArray(vec![("duration".into(), Value::Number(1.0))]);
    let body = script_body(&[Value::String("onMetaData".into()), meta.clone()]);
    let tag = ScriptTag::parse(&body).unwrap();
    assert_eq!(
        tag,
        ScriptTag {
            name: "onMetaData".into(),
            value: meta
        }
    );
}

#[test]
fn script_set_data_frame_is_unwrapped() {
    let meta = Value::Object(vec![("width".into(), Value::Number(640.0))]);
    let body = script_body(&[
        Value::String("@setDataFrame".into()),
        Value::String("onMetaData".into()),
        meta.clone(),
    ]);
    let tag = ScriptTag::parse(&body).unwrap();
    assert_eq!(tag.name, "onMetaData");
    assert_eq!(tag.value, meta);
}

#[test]
fn script_name_only_and_trailing_values() {
    let tag = ScriptTag::parse(&script_body(&[Value::String("onFI".into())])).unwrap();
    assert_eq!(tag.value, Value::Undefined);
    let body = script_body(&[Value::String("onCuePoint".into()), Value::Null, Value::Null]);
    assert_eq!(ScriptTag::parse(&body).unwrap().value, Value::Null);
}

#[test]
fn script_malformed() {
    assert_eq!(
        ScriptTag::parse(&script_body(&[Value::Number(1.0)])),
        Err(Error::InvalidScriptTag {
            reason: "does not start with a string name"
        })
    );
    assert!(matches!(
        ScriptTag::parse(&script_body(&[Value::String("@setDataFrame".into())])),
        Err(Error::InvalidScriptTag { .. })
    ));
    assert!(matches!(
        ScriptTag::parse(&script_body(&[
            Value::String("@setDataFrame".into()),
            Value::Null
        ])),
        Err(Error::InvalidScriptTag { .. })
    ));
    assert_eq!(
        ScriptTag::parse(&[]),
        Err(Error::Amf0(livechannel_amf0::Error::UnexpectedEof {
            offset: 0,
            needed: 1,
            available: 0
        }))
    );
}

#[test]
fn mod_ex_timestamp_offset_nano_then_coded_frames() {
    // Key | ModEx; size 3 (UI8 2), 500,000 ns; TimestampOffsetNano (0) | CodedFrames (1);
    // "hvc1", SI24 40, one NAL.
    let body = [
        0x97, 0x02, 0x07, 0xA1, 0x20, 0x01, b'h', b'v', b'c', b'1', 0, 0, 40, 0, 0, 0, 1, 0x26,
    ];
    let tag = video(&body).unwrap();
    assert_eq!(tag.packet_type, VideoPacketType::CodedFrames);
    assert_eq!(tag.codec, VideoCodec::Enhanced(FourCc::HVC1));
    assert_eq!(tag.composition_time, 40);
    assert_eq!(tag.timestamp_offset_nanos(), Some(500_000));
    assert_eq!(tag.data.as_ref(), &body[13..]);
    assert_eq!(rewritten(&tag), body);
}

#[test]
fn mod_ex_chains_and_wide_sizes_round_trip() {
    // Two entries: a 300-byte one of type 5 (16-bit size form), then a 1-byte one coded in
    // the 16-bit form although it would fit 8 bits; then SequenceStart "av01".
    let mut body = vec![0x97, 0xFF, 0x01, 0x2B];
    body.extend_from_slice(&[0xEE; 300]);
    body.extend_from_slice(&[0x57, 0xFF, 0x00, 0x00, 0x09, 0x10]);
    body.extend_from_slice(b"av01\x81\x00");
    let tag = video(&body).unwrap();
    assert_eq!(tag.packet_type, VideoPacketType::SequenceStart);
    assert!(tag.is_av1() && tag.is_sequence_header());
    assert_eq!(tag.mod_ex.len(), 2);
    assert_eq!(
        (tag.mod_ex[0].mod_ex_type, tag.mod_ex[0].data.len()),
        (5, 300)
    );
    assert_eq!(
        tag.mod_ex[1],
        ModEx {
            mod_ex_type: 1,
            data: Bytes::from_static(&[0x09]),
            wide_size: true
        }
    );
    assert_eq!(tag.timestamp_offset_nanos(), None);
    assert_eq!(tag.data.as_ref(), &[0x81, 0x00]);
    assert_eq!(rewritten(&tag), body);
    // Cut inside the second entry's size.
    assert!(matches!(
        video(&body[..306]),
        Err(Error::TagBodyTooShort { .. })
    ));
}

#[test]
fn multitrack_one_track() {
    // OneTrack | CodedFrames, "hvc1", track 0, SI24 -1, data.
    let body = [
        0x96, 0x01, b'h', b'v', b'c', b'1', 0x00, 0xFF, 0xFF, 0xFF, 0xAA, 0xBB,
    ];
    let tag = video(&body).unwrap();
    assert_eq!(tag.packet_type, VideoPacketType::Multitrack);
    assert!(!tag.is_coded_frame());
    let m = tag.multitrack().unwrap().unwrap();
    assert_eq!(m.multitrack_type, MultitrackType::OneTrack);
    assert_eq!(m.packet_type, VideoPacketType::CodedFrames);
    assert_eq!(m.tracks.len(), 1);
    let t = &m.tracks[0];
    assert_eq!(
        (t.track_id, t.codec, t.composition_time),
        (0, FourCc::HVC1, -1)
    );
    assert_eq!(t.data.as_ref(), &[0xAA, 0xBB]);
    assert_eq!(rewritten(&tag), body);
}

#[test]
fn multitrack_many_tracks_many_codecs() {
    // ManyTracksManyCodecs | CodedFramesX; track 0 "hvc1" of 2 bytes; track 1 "av01" of 1.
    let body = [
        0x96, 0x23, b'h', b'v', b'c', b'1', 0x00, 0, 0, 2, 0x26, 0x01, b'a', b'v', b'0', b'1',
        0x01, 0, 0, 1, 0x12,
    ];
    let tag = video(&body).unwrap();
    assert_eq!(tag.codec, VideoCodec::Enhanced(FourCc::NONE));
    let m = tag.multitrack().unwrap().unwrap();
    assert_eq!(m.multitrack_type, MultitrackType::ManyTracksManyCodecs);
    let summary: Vec<(u8, FourCc, &[u8])> = m
        .tracks
        .iter()
        .map(|t| (t.track_id, t.codec, t.data.as_ref()))
        .collect();
    assert_eq!(
        summary,
        [
            (0, FourCc::HVC1, &[0x26, 0x01][..]),
            (1, FourCc::AV01, &[0x12][..])
        ]
    );
    // ManyTracks | SequenceStart with a shared FourCC, the second track cut short.
    let body = [
        0x96, 0x10, b'a', b'v', b'0', b'1', 0x00, 0, 0, 1, 0x81, 0x01, 0, 0, 9, 0x81,
    ];
    let tag = video(&body).unwrap();
    assert_eq!(tag.codec, VideoCodec::Enhanced(FourCc::AV01));
    assert_eq!(
        tag.multitrack().unwrap(),
        Err(Error::InvalidMultitrack {
            reason: "has a track running past the tag"
        })
    );
}

#[test]
fn multitrack_refusals() {
    let reason = |body: &[u8]| match video(body).unwrap().multitrack() {
        Some(Err(Error::InvalidMultitrack { reason })) => reason,
        other => panic!("{other:?}"),
    };
    assert_eq!(reason(&[0x96, 0x31]), "uses a reserved AvMultitrackType");
    assert_eq!(
        reason(&[0x96, 0x06]),
        "nests a Multitrack or ModEx packet type"
    );
    assert_eq!(reason(&[0x96]), "is empty");
    assert_eq!(reason(&[0x96, 0x01, b'h', b'v']), "ends inside a FourCC");
    // A command frame with packet type Multitrack is a command, not a multitrack tag.
    let tag = video(&[0xD6, 0x01]).unwrap();
    assert_eq!((tag.multitrack(), tag.command()), (None, Some(1)));
}

#[test]
fn vp09_is_reported_and_vvc1_has_a_composition_time() {
    let tag = video(&[0x91, b'v', b'p', b'0', b'9', 0xAA]).unwrap();
    assert!(tag.is_vp9() && tag.is_coded_frame());
    assert_eq!((tag.composition_time, tag.data.as_ref()), (0, &[0xAA][..]));
    let tag = video(&[0x91, b'v', b'v', b'c', b'1', 0, 0, 5, 0xAA]).unwrap();
    assert_eq!(
        (tag.fourcc(), tag.composition_time),
        (Some(FourCc::VVC1), 5)
    );
}

#[test]
fn metadata_of_another_tag_is_none_and_bad_amf_is_an_error() {
    let tag = video(&[0x92, b'h', b'v', b'c', b'1']).unwrap();
    assert!(tag.metadata().is_none());
    let tag = video(&[0x84, b'h', b'v', b'c', b'1', 0x00]).unwrap();
    assert!(matches!(tag.metadata(), Some(Err(_))));
    let mut body = vec![0x84, b'h', b'v', b'c', b'1'];
    livechannel_amf0::encode(&Value::String("colorInfo".into()), &mut body).unwrap();
    livechannel_amf0::encode(&Value::Undefined, &mut body).unwrap();
    let meta = video(&body).unwrap().metadata().unwrap().unwrap();
    assert_eq!(
        (meta.name.as_str(), meta.value),
        ("colorInfo", Value::Undefined)
    );
}

fn frame_type() -> impl Strategy<Value = FrameType> {
    prop_oneof![
        Just(FrameType::Key),
        Just(FrameType::Inter),
        Just(FrameType::DisposableInter),
        Just(FrameType::Generated),
        Just(FrameType::Command),
        prop_oneof![Just(0u8), Just(6), Just(7)].prop_map(FrameType::Other),
    ]
}

fn fourcc() -> impl Strategy<Value = FourCc> {
    prop_oneof![
        Just(FourCc::AVC1),
        Just(FourCc::HVC1),
        Just(FourCc::AV01),
        Just(FourCc::VP09),
        any::<[u8; 4]>().prop_map(FourCc),
    ]
}

/// Tags in the form `parse` produces them, built from their parts.
fn video_tag() -> impl Strategy<Value = VideoTag> {
    let data = prop::collection::vec(any::<u8>(), 0..16).prop_map(Bytes::from);
    let cts = -0x80_0000i32..=0x7F_FFFF;
    let avc = (
        frame_type(),
        prop_oneof![
            Just(VideoPacketType::SequenceHeader),
            Just(VideoPacketType::Nalu),
            Just(VideoPacketType::EndOfSequence),
            (3u8..=255).prop_map(VideoPacketType::Other),
        ],
        cts.clone(),
        data.clone(),
    )
        .prop_map(
            |(frame_type, packet_type, composition_time, data)| VideoTag {
                frame_type,
                codec: VideoCodec::Avc,
                packet_type,
                composition_time,
                data,
                mod_ex: Vec::new(),
            },
        );
    let legacy = (
        frame_type(),
        (0u8..16).prop_filter("7 is AVC", |&id| id != 7),
        data.clone(),
    )
        .prop_map(|(frame_type, id, data)| VideoTag {
            frame_type,
            codec: VideoCodec::Legacy(id),
            packet_type: VideoPacketType::CodedFrames,
            composition_time: 0,
            data,
            mod_ex: Vec::new(),
        });
    let enhanced = (
        prop_oneof![
            Just(FrameType::Key),
            Just(FrameType::Inter),
            Just(FrameType::DisposableInter),
            Just(FrameType::Generated),
        ],
        prop_oneof![
            Just(VideoPacketType::SequenceStart),
            Just(VideoPacketType::CodedFrames),
            Just(VideoPacketType::SequenceEnd),
            Just(VideoPacketType::CodedFramesX),
            Just(VideoPacketType::Metadata),
            Just(VideoPacketType::Mpeg2TsSequenceStart),
        ],
        fourcc(),
        cts,
        data,
    )
        .prop_map(|(frame_type, packet_type, fourcc, cts, data)| {
            let has_cts = packet_type == VideoPacketType::CodedFrames
                && (fourcc == FourCc::AVC1 || fourcc == FourCc::HVC1);
            VideoTag {
                frame_type,
                codec: VideoCodec::Enhanced(fourcc),
                packet_type,
                composition_time: if has_cts { cts } else { 0 },
                data,
                mod_ex: Vec::new(),
            }
        });
    let mod_ex = (
        0u8..16,
        prop::collection::vec(any::<u8>(), 1..300),
        any::<bool>(),
    )
        .prop_map(|(mod_ex_type, data, wide)| ModEx {
            mod_ex_type,
            wide_size: wide || data.len() > 255,
            data: Bytes::from(data),
        });
    let enhanced = (enhanced, prop::collection::vec(mod_ex, 0..3)).prop_map(|(mut tag, mod_ex)| {
        tag.mod_ex = mod_ex;
        tag
    });
    prop_oneof![avc, legacy, enhanced]
}

fn audio_tag() -> impl Strategy<Value = AudioTag> {
    (
        0u8..16,
        0u8..4,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..16),
    )
        .prop_map(
            |(format, sound_rate, sound_size_16bit, stereo, raw, data)| {
                let sound_format = SoundFormat::from_u8(format);
                let aac_packet_type = (sound_format == SoundFormat::Aac).then_some(if raw {
                    AacPacketType::Raw
                } else {
                    AacPacketType::SequenceHeader
                });
                AudioTag {
                    sound_format,
                    sound_rate,
                    sound_size_16bit,
                    stereo,
                    aac_packet_type,
                    data: Bytes::from(data),
                }
            },
        )
}

proptest! {
    #[test]
    fn video_header_round_trips(tag in video_tag()) {
        let body = rewritten(&tag);
        prop_assert_eq!(VideoTag::parse(Bytes::from(body)), Ok(tag));
    }

    #[test]
    fn audio_header_round_trips(tag in audio_tag()) {
        let mut body = Vec::new();
        tag.write_header(&mut body);
        body.extend_from_slice(&tag.data);
        prop_assert_eq!(AudioTag::parse(Bytes::from(body)), Ok(tag));
    }

    #[test]
    fn any_video_body_parses_or_errors_and_reparses_the_same(
        body in prop::collection::vec(any::<u8>(), 0..24)
    ) {
        if let Ok(tag) = VideoTag::parse(Bytes::from(body)) {
            prop_assert_eq!(VideoTag::parse(Bytes::from(rewritten(&tag))), Ok(tag));
        }
    }
}
