//! The segmenter in fMP4 mode over the HEVC, AV1 and H.264 fixtures: one
//! init segment, then `moof`+`mdat` segments that open on keyframes and
//! carry every frame; HEVC and AV1 get fMP4 when the caller allows the
//! switch, and are refused by default.

use livechannel_flv::{Tag, TagType, VideoTag};
use livechannel_hls::{
    Output, OutputMode, Segment, SegmentFormat, Segmenter, SegmenterConfig, VideoCodecKind,
};

fn tags(name: &str) -> Vec<Tag> {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    livechannel_flv::read_all(std::fs::read(path).unwrap().into()).unwrap()
}

fn run(tags: &[Tag], config: SegmenterConfig) -> (Vec<Segment>, Segmenter) {
    let mut s = Segmenter::new(config);
    let mut out = Vec::new();
    let mut drain = |s: &mut Segmenter| {
        while let Some(output) = s.poll_output() {
            match output {
                Output::Segment(seg) => out.push(seg),
                Output::Chunk(c) => panic!("an fMP4 chunk of segment {}", c.index),
            }
        }
    };
    for tag in tags {
        s.push_tag(tag.clone()).unwrap();
        drain(&mut s);
    }
    s.finish();
    drain(&mut s);
    (out, s)
}

/// Coded video frames and audio frames (sequence headers excluded).
fn frames(tags: &[Tag]) -> (u32, u32) {
    let mut counts = (0, 0);
    for tag in tags {
        match tag.tag_type {
            TagType::Video if VideoTag::parse(tag.body.clone()).unwrap().is_coded_frame() => {
                counts.0 += 1;
            }
            TagType::Audio if tag.body.get(1) == Some(&1) => counts.1 += 1,
            _ => {}
        }
    }
    counts
}

/// The top-level boxes of a segment, by type.
fn boxes(data: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 8 <= data.len() {
        let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        out.push(String::from_utf8_lossy(&data[at + 4..at + 8]).into_owned());
        assert!(size >= 8, "box size {size}");
        at += size;
    }
    assert_eq!(at, data.len(), "boxes cover the segment");
    out
}

fn check(name: &str, format: SegmentFormat, codec: VideoCodecKind, size: (u32, u32)) {
    let tags = tags(name);
    // The fixtures are one or two seconds long, with keyframes 0.43 to 1 s apart.
    let mut config = SegmenterConfig::new(400, 1_700_000_000_000);
    config.format = format;
    config.hevc_av1_in_fmp4 = true;
    // Streamed chunks are not given out in fMP4: segments come whole.
    config.output = OutputMode::StreamedChunks;
    let (segments, s) = run(&tags, config);
    assert_eq!(s.format(), SegmentFormat::Fmp4, "{name}");
    assert!(segments.len() >= 2, "{name}: {} segments", segments.len());
    let init = segments[0]
        .init
        .as_ref()
        .expect("the first segment brings the init");
    assert_eq!(
        init.file_name(),
        format!("{}.init.mp4", segments[0].wall_ms)
    );
    assert_eq!(boxes(&init.data), ["ftyp", "moov"], "{name}");
    for seg in &segments {
        assert_eq!(seg.format, SegmentFormat::Fmp4);
        assert!(seg.file_name().ends_with(".m4s"));
        assert!(seg.starts_with_keyframe, "{name}: segment {}", seg.index);
        assert_eq!(boxes(&seg.to_bytes()), ["styp", "moof", "mdat"], "{name}");
        assert!(
            seg.index == 0 || seg.init.is_none(),
            "one init for one configuration"
        );
    }
    let (video, audio) = frames(&tags);
    let out_video: u32 = segments.iter().map(|s| s.video_frames).sum();
    let out_audio: u32 = segments.iter().map(|s| s.audio_frames).sum();
    assert_eq!((out_video, out_audio), (video, audio), "{name}");
    assert_eq!(s.stats().damaged_frames, 0);
    let info = s.media_info().video.unwrap();
    assert_eq!(info.codec, codec);
    assert_eq!((info.width, info.height), size, "{name}");
    assert!(
        info.frame_rate.is_some() || codec == VideoCodecKind::Av1,
        "{name}"
    );
}

#[test]
fn hevc_goes_to_fmp4_when_ts_is_configured_and_the_caller_allows_it() {
    check(
        "hevc_main_640x360_25fps_aac.flv",
        SegmentFormat::Ts,
        VideoCodecKind::Hevc,
        (640, 360),
    );
    check(
        "hevc_main10_320x180_30fps.flv",
        SegmentFormat::Fmp4,
        VideoCodecKind::Hevc,
        (320, 180),
    );
}

#[test]
fn av1_goes_to_fmp4_when_the_caller_allows_it() {
    check(
        "av1_main_640x360_25fps_aac.flv",
        SegmentFormat::Ts,
        VideoCodecKind::Av1,
        (640, 360),
    );
    check(
        "av1_10bit_320x180_30fps.flv",
        SegmentFormat::Fmp4,
        VideoCodecKind::Av1,
        (320, 180),
    );
}

#[test]
fn h264_in_fmp4_when_asked() {
    check(
        "high_bframes_gop2s_aac44k.flv",
        SegmentFormat::Fmp4,
        VideoCodecKind::H264,
        (320, 180),
    );
}

#[test]
fn h264_stays_in_ts_by_default() {
    let tags = tags("high_bframes_gop2s_aac44k.flv");
    let (segments, s) = run(&tags, SegmenterConfig::new(2_000, 0));
    assert_eq!(s.format(), SegmentFormat::Ts);
    assert!(segments
        .iter()
        .all(|s| s.init.is_none() && s.file_name().ends_with(".ts")));
}

/// A TS-only caller (the default) never gets fMP4: HEVC and AV1 end the stream.
#[test]
fn hevc_and_av1_are_refused_by_default() {
    for name in [
        "hevc_main_640x360_25fps_aac.flv",
        "av1_10bit_320x180_30fps.flv",
    ] {
        let mut s = Segmenter::new(SegmenterConfig::new(1_000, 0));
        let header = tags(name)
            .into_iter()
            .find(|t| t.tag_type == TagType::Video)
            .unwrap();
        let err = s.push_tag(header).unwrap_err();
        assert!(err.is_fatal(), "{name}: {err}");
        assert!(
            err.to_string().contains("MPEG-TS carries H.264 only"),
            "{err}"
        );
        assert_eq!(s.format(), SegmentFormat::Ts);
        // A coded frame without its sequence header is refused as well.
        let frame = tags(name)
            .into_iter()
            .filter(|t| t.tag_type == TagType::Video)
            .nth(2)
            .unwrap();
        assert!(s.push_tag(frame).unwrap_err().is_fatal(), "{name}");
    }
}

fn switching() -> SegmenterConfig {
    let mut config = SegmenterConfig::new(1_000, 0);
    config.hevc_av1_in_fmp4 = true;
    config
}

#[test]
fn hevc_after_ts_segments_is_refused() {
    let h264 = tags("high_bframes_gop2s_aac44k.flv");
    let hevc = tags("hevc_main_640x360_25fps_aac.flv");
    let mut s = Segmenter::new(switching());
    for tag in h264 {
        s.push_tag(tag).unwrap();
    }
    while s.poll_output().is_some() {}
    let header = hevc
        .into_iter()
        .find(|t| t.tag_type == TagType::Video)
        .unwrap();
    let err = s.push_tag(header).unwrap_err();
    assert!(err.is_fatal(), "{err}");
}

#[test]
fn hevc_after_h264_frames_were_held_is_refused() {
    let h264 = tags("high_bframes_gop2s_aac44k.flv");
    let hevc = tags("hevc_main_640x360_25fps_aac.flv");
    let mut s = Segmenter::new(switching());
    // The sequence headers and a few frames: nothing written yet.
    for tag in h264.into_iter().take(8) {
        s.push_tag(tag).unwrap();
    }
    assert!(s.poll_output().is_none());
    let header = hevc
        .into_iter()
        .find(|t| t.tag_type == TagType::Video)
        .unwrap();
    assert!(s.push_tag(header).unwrap_err().is_fatal());
    s.finish();
    assert!(
        s.poll_output().is_some(),
        "the H.264 start is still written"
    );
}

#[test]
fn oversized_sequence_headers_are_refused() {
    let mut s = Segmenter::new(switching());
    let mut body = vec![0x9C, b'h', b'v', b'c', b'1'];
    body.resize(5 + (1 << 20) + 1, 0);
    body[0] = 0x90; // enhanced, key frame, SequenceStart
    let err = s.push_video(0, body.into()).unwrap_err();
    assert!(
        matches!(err, livechannel_hls::Error::ConfigTooLarge { .. }),
        "{err}"
    );
}

mod damaged {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Damaged HEVC and AV1 input (bytes overwritten, tags dropped,
        /// timestamps moved) never panics, and what comes out is still
        /// `styp`+`moof`+`mdat` after one init segment.
        #[test]
        fn damaged_enhanced_flv_never_panics(
            av1 in any::<bool>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<u8>()), 0..40),
            drops in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
            shifts in prop::collection::vec((any::<prop::sample::Index>(), any::<u32>()), 0..3),
        ) {
            let name = if av1 { "av1_main_640x360_25fps_aac.flv" } else { "hevc_main_640x360_25fps_aac.flv" };
            let mut tags = tags(name);
            for (tag, byte, value) in edits {
                let n = tags.len();
                let t = &mut tags[tag.index(n)];
                let mut body = t.body.to_vec();
                if !body.is_empty() {
                    let i = byte.index(body.len());
                    body[i] = value;
                }
                t.body = body.into();
            }
            for (tag, ms) in shifts {
                let i = tag.index(tags.len());
                tags[i].timestamp = ms;
            }
            for d in drops {
                if !tags.is_empty() {
                    let i = d.index(tags.len());
                    tags.remove(i);
                }
            }
            let mut config = SegmenterConfig::new(400, 0);
            config.format = SegmentFormat::Fmp4;
            let mut s = Segmenter::new(config);
            let mut segments = Vec::new();
            for tag in tags {
                let _ = s.push_tag(tag);
                while let Some(Output::Segment(seg)) = s.poll_output() {
                    segments.push(seg);
                }
            }
            s.finish();
            while let Some(Output::Segment(seg)) = s.poll_output() {
                segments.push(seg);
            }
            for seg in &segments {
                if let Some(init) = &seg.init {
                    prop_assert_eq!(boxes(&init.data), ["ftyp", "moov"]);
                }
                prop_assert_eq!(boxes(&seg.to_bytes()), ["styp", "moof", "mdat"]);
            }
            prop_assert!(segments.first().map_or(true, |s| s.init.is_some()));
        }
    }
}

#[test]
fn a_new_configuration_closes_the_segment_and_brings_a_new_init() {
    let first = tags("high_bframes_gop2s_aac44k.flv");
    let offset = first.iter().map(|t| t.timestamp).max().unwrap() + 40;
    let mut second = tags("baseline_aac48k.flv");
    for t in &mut second {
        t.timestamp += offset;
    }
    let all: Vec<Tag> = first.iter().chain(&second).cloned().collect();
    let mut config = SegmenterConfig::new(10_000, 0);
    config.format = SegmentFormat::Fmp4;
    let (segments, s) = run(&all, config);
    let inits: Vec<u64> = segments
        .iter()
        .filter(|s| s.init.is_some())
        .map(|s| s.index)
        .collect();
    assert_eq!(inits.len(), 2, "{inits:?}");
    // The second init comes with the first segment of the second file.
    let (video, audio) = frames(&first);
    let before: u32 = segments[..inits[1] as usize]
        .iter()
        .map(|s| s.video_frames)
        .sum();
    let audio_before: u32 = segments[..inits[1] as usize]
        .iter()
        .map(|s| s.audio_frames)
        .sum();
    assert_eq!((before, audio_before), (video, audio));
    assert_eq!(s.stats().damaged_frames, 0);
}
