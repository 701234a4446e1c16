//! The shared FFmpeg-made fixtures demux completely, and the numbers match
//! what `ffprobe -count_packets` / `-show_packets` (FFmpeg 5.1) report.
//!
//! ffprobe's packets exclude the AVC/AAC sequence headers (they become
//! extradata) and FFmpeg's trailing AVC end-of-sequence tag, so those are
//! counted separately here.

use livechannel_flv::{
    AacPacketType, Demuxer, Event, Header, SoundFormat, Tag, TagType, VideoPacketType,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn demux(flv: &[u8], chunk: usize) -> (Header, Vec<Tag>) {
    let mut demuxer = Demuxer::new();
    let mut header = None;
    let mut tags = Vec::new();
    for piece in flv.chunks(chunk) {
        demuxer.push(piece);
        while let Some(event) = demuxer.poll().expect("fixture demuxes") {
            match event {
                Event::Header(h) => header = Some(h),
                Event::Tag(t) => tags.push(t),
            }
        }
    }
    demuxer.finish().expect("fixture ends cleanly");
    assert_eq!(demuxer.position(), flv.len() as u64);
    (header.expect("header event"), tags)
}

#[derive(Debug, Default, PartialEq)]
struct Summary {
    script: usize,
    video_seq: usize,
    video_eos: usize,
    /// NALU tags: ffprobe's video packets.
    video: usize,
    video_keyframes: usize,
    video_bytes: usize,
    cts_sum: i64,
    audio_seq: usize,
    /// Raw AAC tags: ffprobe's audio packets.
    audio: usize,
    audio_bytes: usize,
}

fn summarize(tags: &[Tag]) -> Summary {
    let mut s = Summary::default();
    for tag in tags {
        match tag.tag_type {
            TagType::Script => {
                let script = tag.script().unwrap();
                assert_eq!(script.name, "onMetaData");
                s.script += 1;
            }
            TagType::Video => {
                let v = tag.video().unwrap();
                assert!(v.is_h264());
                match v.packet_type {
                    VideoPacketType::SequenceHeader => s.video_seq += 1,
                    VideoPacketType::EndOfSequence => s.video_eos += 1,
                    VideoPacketType::Nalu => {
                        s.video += 1;
                        s.video_bytes += v.data.len();
                        s.cts_sum += i64::from(v.composition_time);
                        s.video_keyframes += usize::from(v.is_keyframe());
                    }
                    other => panic!("unexpected video packet type {other:?}"),
                }
            }
            TagType::Audio => {
                let a = tag.audio().unwrap();
                assert_eq!(a.sound_format, SoundFormat::Aac);
                match a.aac_packet_type {
                    Some(AacPacketType::SequenceHeader) => s.audio_seq += 1,
                    Some(AacPacketType::Raw) => {
                        s.audio += 1;
                        s.audio_bytes += a.data.len();
                    }
                    None => panic!("AAC without packet type"),
                }
            }
            TagType::Other(t) => panic!("unexpected tag type {t}"),
        }
    }
    s
}

fn check(name: &str, has_audio: bool, expected: Summary) {
    let flv = fixture(name);
    let (header, tags) = demux(&flv, 64 * 1024);
    assert_eq!(
        header,
        Header {
            version: 1,
            has_audio,
            has_video: true,
            data_offset: 9
        }
    );
    assert_eq!(summarize(&tags), expected, "{name}");
    // Byte-at-a-time gives the same tags.
    assert_eq!(demux(&flv, 1).1, tags, "{name} byte at a time");
}

#[test]
fn high_bframes_gop2s_aac44k() {
    check(
        "high_bframes_gop2s_aac44k.flv",
        true,
        Summary {
            script: 1,
            video_seq: 1,
            video_eos: 1,
            video: 240,
            video_keyframes: 4,
            video_bytes: 199_233,
            cts_sum: 16_000,
            audio_seq: 1,
            audio: 346,
            audio_bytes: 64_479,
        },
    );
}

#[test]
fn baseline_aac48k() {
    check(
        "baseline_aac48k.flv",
        true,
        Summary {
            script: 1,
            video_seq: 1,
            video_eos: 1,
            video: 150,
            video_keyframes: 3,
            video_bytes: 145_287,
            cts_sum: 0,
            audio_seq: 1,
            audio: 283,
            audio_bytes: 48_031,
        },
    );
}

#[test]
fn long_gop_5s() {
    check(
        "long_gop_5s.flv",
        true,
        Summary {
            script: 1,
            video_seq: 1,
            video_eos: 1,
            video: 360,
            video_keyframes: 3,
            video_bytes: 222_102,
            cts_sum: 24_000,
            audio_seq: 1,
            audio: 518,
            audio_bytes: 72_537,
        },
    );
}

#[test]
fn video_only() {
    check(
        "video_only.flv",
        false,
        Summary {
            script: 1,
            video_seq: 1,
            video_eos: 1,
            video: 180,
            video_keyframes: 6,
            video_bytes: 146_654,
            cts_sum: 12_000,
            ..Summary::default()
        },
    );
}

#[test]
fn first_video_frames_match_ffprobe_timestamps() {
    // ffprobe -show_packets: video (pts, dts) = (67, 0), (200, 34), (134, 67), (100, 100).
    let (_, tags) = demux(&fixture("high_bframes_gop2s_aac44k.flv"), 4096);
    let frames: Vec<(i64, i64)> = tags
        .iter()
        .filter(|t| t.tag_type == TagType::Video)
        .filter_map(|t| {
            let v = t.video().ok()?;
            v.is_coded_frame().then(|| {
                let dts = i64::from(t.timestamp);
                (dts + i64::from(v.composition_time), dts)
            })
        })
        .take(4)
        .collect();
    assert_eq!(frames, [(67, 0), (200, 34), (134, 67), (100, 100)]);
}
