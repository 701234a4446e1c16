//! Enhanced RTMP: the FFmpeg 9 fixtures (HEVC and AV1, tests/fixtures/README.md) demux into
//! the tags ffprobe counts, for any split of the input; ModEx, Multitrack, command and
//! Metadata tags parse as enhanced-rtmp-v2.md lays them out.
//!
//! Video packet counts are ffprobe 5.1's `-count_packets` of the video remuxed to Matroska
//! (ffprobe 5.1 cannot read Enhanced FLV); the byte, key frame and composition time sums come
//! from an independent walk of the files (a Python script following the v1 ExVideoTagHeader).

use bytes::Bytes;
use livechannel_amf0::Value;
use livechannel_flv::{
    AacPacketType, Demuxer, Error, Event, FourCc, FrameType, ModEx, MultitrackType, Tag, TagType,
    VideoCodec, VideoPacketType, VideoTag,
};
use proptest::prelude::*;

const HEVC_MAIN: &str = "hevc_main_640x360_25fps_aac.flv";
const HEVC_MAIN10: &str = "hevc_main10_320x180_30fps.flv";
const AV1_MAIN: &str = "av1_main_640x360_25fps_aac.flv";
const AV1_10BIT: &str = "av1_10bit_320x180_30fps.flv";
const ALL: [&str; 4] = [HEVC_MAIN, HEVC_MAIN10, AV1_MAIN, AV1_10BIT];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn demux_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<Tag> {
    let mut demuxer = Demuxer::new();
    let mut tags = Vec::new();
    for chunk in chunks {
        demuxer.push(chunk);
        while let Some(event) = demuxer.poll().expect("fixture demuxes") {
            if let Event::Tag(t) = event {
                tags.push(t);
            }
        }
    }
    demuxer.finish().expect("fixture ends cleanly");
    tags
}

#[derive(Debug, Default, PartialEq)]
struct Summary {
    sequence_start: usize,
    color_info: usize,
    video: usize,
    keyframes: usize,
    video_bytes: usize,
    cts_sum: i64,
    audio: usize,
}

fn summarize(tags: &[Tag], fourcc: FourCc) -> Summary {
    let mut s = Summary::default();
    for tag in tags {
        match tag.tag_type {
            TagType::Video => {
                let v = tag.video().unwrap();
                assert_eq!(v.fourcc(), Some(fourcc));
                assert!(v.mod_ex.is_empty() && v.multitrack().is_none());
                match v.packet_type {
                    VideoPacketType::SequenceStart => s.sequence_start += 1,
                    VideoPacketType::Metadata => {
                        // FFmpeg sends it with frame type 5, which Metadata ignores.
                        assert_eq!(v.frame_type, FrameType::Command);
                        assert_eq!(v.command(), None);
                        let meta = v.metadata().unwrap().unwrap();
                        assert_eq!(meta.name, "colorInfo");
                        assert!(meta.value.get("colorConfig").is_some());
                        s.color_info += 1;
                    }
                    VideoPacketType::CodedFrames | VideoPacketType::CodedFramesX => {
                        assert!(v.is_coded_frame());
                        s.video += 1;
                        s.keyframes += usize::from(v.is_keyframe());
                        s.video_bytes += v.data.len();
                        s.cts_sum += i64::from(v.composition_time);
                    }
                    other => panic!("unexpected packet type {other:?}"),
                }
            }
            TagType::Audio => {
                let raw = tag.audio().unwrap().aac_packet_type == Some(AacPacketType::Raw);
                s.audio += usize::from(raw);
            }
            _ => {}
        }
    }
    s
}

#[test]
fn fixtures_demux_to_what_ffprobe_counts() {
    for (name, fourcc, expected) in [
        (HEVC_MAIN, FourCc::HVC1, (50, 132_456, 4_000, 95)),
        (HEVC_MAIN10, FourCc::HVC1, (30, 24_849, 2_000, 0)),
        (AV1_MAIN, FourCc::AV01, (50, 78_838, 0, 95)),
        (AV1_10BIT, FourCc::AV01, (30, 18_179, 0, 0)),
    ] {
        let tags = demux_chunks([&fixture(name)[..]]);
        let (video, video_bytes, cts_sum, audio) = expected;
        assert_eq!(
            summarize(&tags, fourcc),
            Summary {
                sequence_start: 1,
                color_info: 1,
                video,
                keyframes: 2,
                video_bytes,
                cts_sum,
                audio,
            },
            "{name}"
        );
        let first = tags.iter().find(|t| t.tag_type == TagType::Video).unwrap();
        let v = first.video().unwrap();
        assert!(v.is_sequence_header());
        assert_eq!(v.is_hevc(), fourcc == FourCc::HVC1);
        assert_eq!(v.is_av1(), fourcc == FourCc::AV01);
    }
}

#[test]
fn hevc_uses_coded_frames_x_when_the_composition_time_is_zero() {
    let tags = demux_chunks([&fixture(HEVC_MAIN)[..]]);
    let x: Vec<VideoTag> = tags
        .iter()
        .filter_map(|t| t.video().ok())
        .filter(|v| v.packet_type == VideoPacketType::CodedFramesX)
        .collect();
    assert_eq!(x.len(), 9);
    assert!(x.iter().all(|v| v.composition_time == 0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any split of an Enhanced FLV file gives the same tags as the whole file.
    #[test]
    fn any_split_of_enhanced_fixtures_gives_the_same_tags(
        which in 0usize..4,
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let flv = fixture(ALL[which]);
        let whole = demux_chunks([&flv[..]]);
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(flv.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut start = 0;
        for p in points {
            chunks.push(&flv[start..p]);
            start = p;
        }
        chunks.push(&flv[start..]);
        prop_assert_eq!(demux_chunks(chunks), whole);
    }
}

fn video(bytes: &[u8]) -> Result<VideoTag, Error> {
    VideoTag::parse(Bytes::copy_from_slice(bytes))
}

fn rewritten(tag: &VideoTag) -> Vec<u8> {
    let mut out = Vec::new();
    tag.write_header(&mut out);
    out.extend_from_slice(&tag.data);
    out
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
