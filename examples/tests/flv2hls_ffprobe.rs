//! flv2hls against ffprobe: for every fixture, the VOD rendition has exactly
//! the source's frames, each segment opens with PAT, PMT and a keyframe,
//! ffprobe reports no errors, and every EXTINF is within one frame of the
//! segment's real duration. In fMP4 (HEVC, AV1, and H.264 on request) it
//! reads the VOD playlist through its `#EXT-X-MAP` with every packet of the
//! source, the codec and the size.

mod common;

use std::path::Path;

use bytes::Bytes;
use common::fixture;
use livechannel_examples::flv2hls::{run, Options, SegmentFormat};
use livechannel_flv::{TagType, VideoTag};
use livechannel_m3u8::MediaPlaylist;
use livechannel_testkit::ffprobe::{count_frames, count_packets, video_packets};
use livechannel_testkit::have;

fn remux(input: &Path, out: &Path, frag_duration: f64) -> livechannel_examples::flv2hls::Report {
    let opts = Options {
        input: input.to_path_buf(),
        out_dir: out.to_path_buf(),
        frag_duration,
        frag_count: 3,
        playlist: "playlist.m3u8".into(),
        vod: Some("vod.m3u8".into()),
        base_time_ms: 1_700_000_000_000,
        format: Default::default(),
    };
    run(&opts, |_| {}).expect("flv2hls")
}

fn check(input: &Path, frag_duration: f64, expect_audio: bool) {
    if !have("ffprobe") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = remux(input, dir.path(), frag_duration);
    assert_eq!(report.warnings, Vec::<String>::new());

    let (src_video, src_audio, _) = count_frames(input);
    let vod = dir.path().join("vod.m3u8");
    let (video, audio, errors) = count_frames(&vod);
    assert_eq!(
        errors.trim(),
        "",
        "ffprobe complained about {}",
        vod.display()
    );
    assert_eq!(
        (video, audio),
        (src_video, src_audio),
        "frames of {}",
        input.display()
    );
    assert!(src_video > 0 && (src_audio > 0) == expect_audio);

    // Decode order is valid over the whole rendition: DTS strictly
    // increasing and never after PTS (negative composition times included).
    let (out, warnings) = livechannel_testkit::run(
        std::process::Command::new("ffprobe")
            .args([
                "-v",
                "warning",
                "-select_streams",
                "v",
                "-show_entries",
                "packet=pts,dts",
                "-of",
                "csv=p=0",
            ])
            .arg(&vod),
    );
    assert!(
        !warnings.contains("DTS") && !warnings.contains("dts"),
        "{warnings}"
    );
    let mut last_dts = i64::MIN;
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let mut f = line
            .split(',')
            .filter(|x| !x.trim().is_empty())
            .map(|x| x.trim().parse::<i64>().unwrap());
        let (pts, dts) = (f.next().unwrap(), f.next().unwrap());
        assert!(dts <= pts, "dts {dts} after pts {pts}");
        assert!(dts > last_dts, "dts {dts} not after {last_dts}");
        last_dts = dts;
    }

    // Both playlists pass an independent, strict RFC 8216 parser.
    for name in ["vod.m3u8", "playlist.m3u8"] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let strict = hls_m3u8::MediaPlaylist::try_from(text.as_str()).map_err(|e| e.to_string());
        assert!(
            strict.is_ok(),
            "hls_m3u8 rejects {name}: {strict:?}\n{text}"
        );
    }

    let playlist = MediaPlaylist::parse(&std::fs::read_to_string(&vod).unwrap()).unwrap();
    assert_eq!(playlist.segments.len(), report.segments.len());
    assert!(playlist.end_list);
    let n = playlist.segments.len();
    assert!(n >= 2, "{} gave {n} segments", input.display());
    for (i, seg) in playlist.segments.iter().enumerate() {
        let path = dir.path().join(&seg.uri);
        let ts = std::fs::read(&path).unwrap();
        assert_eq!(ts.len() % 188, 0);
        let pid = |k: usize| (u16::from(ts[k * 188 + 1] & 0x1F) << 8) | u16::from(ts[k * 188 + 2]);
        assert_eq!(
            (ts[0], pid(0)),
            (0x47, 0),
            "{} must open with the PAT",
            seg.uri
        );
        assert_eq!(pid(1), 0x1000, "{} must have the PMT second", seg.uri);

        let packets = video_packets(&path);
        assert!(
            packets.first().is_some_and(|p| p.2),
            "{} must start with a keyframe",
            seg.uri
        );
        let first = packets.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let end = packets
            .iter()
            .map(|p| p.0 + p.1)
            .fold(f64::NEG_INFINITY, f64::max);
        let frame = packets.iter().map(|p| p.1).fold(0.0, f64::max);
        let real = end - first;
        assert!(
            (seg.duration - real).abs() <= frame + 0.0015,
            "{}: EXTINF {} vs real {real} (frame {frame})",
            seg.uri,
            seg.duration
        );
        let rounded = livechannel_m3u8::rounded_duration(seg.duration);
        assert!(
            rounded <= playlist.target_duration,
            "{} longer than the target duration",
            seg.uri
        );
        // Segments other than the last are cut at the first keyframe after FragDuration.
        if i + 1 < n {
            assert!(
                seg.duration + 0.0015 >= frag_duration,
                "{} shorter than FragDuration",
                seg.uri
            );
        }
    }
}

#[test]
fn high_profile_with_b_frames_and_aac_44k() {
    check(&fixture("high_bframes_gop2s_aac44k.flv"), 2.0, true);
}

#[test]
fn baseline_with_aac_48k() {
    check(&fixture("baseline_aac48k.flv"), 2.0, true);
}

#[test]
fn video_only() {
    check(&fixture("video_only.flv"), 2.0, false);
}

#[test]
fn gop_longer_than_frag_duration() {
    // 5 s GOP with a 2 s FragDuration: segments follow the GOP.
    check(&fixture("long_gop_5s.flv"), 2.0, true);
}

#[test]
fn default_frag_duration() {
    check(&fixture("high_bframes_gop2s_aac44k.flv"), 5.0, true);
}

/// Rewrite a fixture so its video DTS runs later by `delay_ms` and its
/// composition times are correspondingly lower: PTS is unchanged, and the
/// B-frames' composition times become negative, as some hardware encoders
/// send them (FFmpeg refuses to write such a file itself).
fn with_negative_cts(input: &Path, output: &Path, delay_ms: u32) -> usize {
    let tags = livechannel_flv::read_all(std::fs::read(input).unwrap().into()).unwrap();
    let mut out = Vec::new();
    livechannel_flv::write_header(&mut out, true, true);
    let mut negatives = 0;
    for tag in tags {
        let (ts, body) = if tag.tag_type == TagType::Video {
            let mut v = VideoTag::parse(tag.body.clone()).unwrap();
            if v.is_coded_frame() {
                v.composition_time -= delay_ms as i32;
                negatives += usize::from(v.composition_time < 0);
                let mut body = Vec::new();
                v.write_header(&mut body);
                body.extend_from_slice(&v.data);
                (tag.timestamp + delay_ms, Bytes::from(body))
            } else {
                (tag.timestamp, tag.body)
            }
        } else {
            (tag.timestamp, tag.body)
        };
        livechannel_flv::write_tag(&mut out, tag.tag_type, ts, &body).unwrap();
    }
    std::fs::write(output, out).unwrap();
    negatives
}

#[test]
fn negative_composition_times() {
    if !have("ffprobe") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("negative_cts.flv");
    let negatives = with_negative_cts(&fixture("high_bframes_gop2s_aac44k.flv"), &input, 100);
    assert!(
        negatives > 50,
        "the fixture must really have negative composition times ({negatives})"
    );
    check(&input, 2.0, true);
}

/// Coded video frames and AAC frames of an FLV file, from its tags
/// (ffprobe 5.1 cannot read Enhanced FLV video).
fn flv_frames(input: &Path) -> (u64, u64) {
    let tags = livechannel_flv::read_all(std::fs::read(input).unwrap().into()).unwrap();
    let mut counts = (0, 0);
    for tag in tags {
        match tag.tag_type {
            TagType::Video if VideoTag::parse(tag.body.clone()).unwrap().is_coded_frame() => {
                counts.0 += 1
            }
            // AAC raw frame: sound format 10, packet type 1.
            TagType::Audio if tag.body.len() > 2 && tag.body[0] >> 4 == 10 && tag.body[1] == 1 => {
                counts.1 += 1;
            }
            _ => {}
        }
    }
    counts
}

/// flv2hls in fMP4: ffprobe reads the VOD playlist (init segment through
/// `#EXT-X-MAP`, then `moof`+`mdat` segments) with every packet of the
/// source, decodes every frame, and reports the right codec and size.
fn check_fmp4(name: &str, codec: &str, size: (u32, u32)) {
    if !have("ffprobe") {
        return;
    }
    let input = fixture(name);
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        input: input.clone(),
        out_dir: dir.path().to_path_buf(),
        // The fixtures are 1 to 2.5 s long, keyframes 0.43 to 1 s apart.
        frag_duration: 0.4,
        frag_count: 3,
        playlist: "playlist.m3u8".into(),
        vod: Some("vod.m3u8".into()),
        base_time_ms: 1_700_000_000_000,
        format: SegmentFormat::Fmp4,
    };
    let report = run(&opts, |_| {}).expect("flv2hls");
    assert_eq!(report.warnings, Vec::<String>::new());
    assert_eq!(report.format, SegmentFormat::Fmp4);
    assert_eq!(report.init_segments.len(), 1, "{name}");
    assert!(report.segments.len() >= 2, "{name}: {:?}", report.segments);

    let vod = dir.path().join("vod.m3u8");
    let text = std::fs::read_to_string(&vod).unwrap();
    assert!(text.starts_with("#EXTM3U\n#EXT-X-VERSION:7\n"), "{text}");
    let map = format!("#EXT-X-MAP:URI=\"{}\"\n", report.init_segments[0]);
    assert_eq!(text.matches(&map).count(), 1, "{text}");
    for name in ["vod.m3u8", "playlist.m3u8"] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let strict = hls_m3u8::MediaPlaylist::try_from(text.as_str()).map_err(|e| e.to_string());
        assert!(
            strict.is_ok(),
            "hls_m3u8 rejects {name}: {strict:?}\n{text}"
        );
    }
    for (segment, _) in &report.segments {
        assert!(segment.ends_with(".m4s"), "{segment}");
        let data = std::fs::read(dir.path().join(segment)).unwrap();
        assert_eq!(&data[4..8], b"styp", "{segment}");
    }

    let (src_video, src_audio) = flv_frames(&input);
    let (video, audio, errors) = count_packets(&vod);
    assert_eq!(errors.trim(), "", "ffprobe complained about {name}");
    assert_eq!((video, audio), (src_video, src_audio), "packets of {name}");
    assert!(src_video > 0);
    // And every one of them decodes (init segment, sample entries, sizes).
    let (video, audio, errors) = count_frames(&vod);
    assert_eq!(errors.trim(), "", "ffprobe could not decode {name}");
    assert_eq!((video, audio), (src_video, src_audio), "frames of {name}");

    let (out, _) = livechannel_testkit::run(
        std::process::Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "stream=codec_name,width,height",
                "-of",
                "csv=p=0",
            ])
            .arg(&vod),
    );
    // The HLS demuxer lists the stream under its program and on its own.
    let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "no video stream in {name}");
    for line in lines {
        assert_eq!(
            line.trim(),
            format!("{codec},{},{}", size.0, size.1),
            "stream of {name}"
        );
    }
}

#[test]
fn hevc_in_fmp4() {
    check_fmp4("hevc_main_640x360_25fps_aac.flv", "hevc", (640, 360));
}

#[test]
fn hevc_main10_in_fmp4() {
    check_fmp4("hevc_main10_320x180_30fps.flv", "hevc", (320, 180));
}

#[test]
fn av1_in_fmp4() {
    check_fmp4("av1_main_640x360_25fps_aac.flv", "av1", (640, 360));
}

#[test]
fn av1_10bit_in_fmp4() {
    check_fmp4("av1_10bit_320x180_30fps.flv", "av1", (320, 180));
}

#[test]
fn h264_in_fmp4() {
    check_fmp4("high_bframes_gop2s_aac44k.flv", "h264", (320, 180));
}
