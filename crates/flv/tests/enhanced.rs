//! Enhanced RTMP: the FFmpeg 9 fixtures (HEVC and AV1, tests/fixtures/README.md) demux into
//! the tags ffprobe counts, for any split of the input. (ModEx, Multitrack, command and
//! Metadata tags built by hand are in tags.rs.)
//!
//! Video packet counts are ffprobe 5.1's `-count_packets` of the video remuxed to Matroska
//! (ffprobe 5.1 cannot read Enhanced FLV); the byte, key frame and composition time sums come
//! from an independent walk of the files (a Python script following the v1 ExVideoTagHeader).

use livechannel_flv::{
    AacPacketType, Demuxer, Event, FourCc, FrameType, Tag, TagType, VideoPacketType, VideoTag,
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
