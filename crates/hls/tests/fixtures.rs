//! The segmenter over the ffmpeg-made fixtures: every frame comes out, in
//! segments that open on keyframes and whose durations add up.

use livechannel_flv::{Tag, TagType, VideoTag};
use livechannel_hls::{ChunkPool, Output, OutputMode, Segment, Segmenter, SegmenterConfig};
use proptest::prelude::*;

fn tags(name: &str) -> Vec<Tag> {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    livechannel_flv::read_all(std::fs::read(path).unwrap().into()).unwrap()
}

fn segment(tags: &[Tag], frag_ms: u64) -> (Vec<Segment>, Segmenter) {
    let mut s = Segmenter::new(SegmenterConfig::new(frag_ms, 1_000_000));
    let mut out = Vec::new();
    for tag in tags {
        s.push_tag(tag.clone()).unwrap();
        whole_segments(&mut s, &mut out);
    }
    s.finish();
    whole_segments(&mut s, &mut out);
    (out, s)
}

/// Drains the one poll of a segmenter in [`OutputMode::WholeSegments`]:
/// segments only, each with all its bytes.
fn whole_segments(s: &mut Segmenter, out: &mut Vec<Segment>) {
    while let Some(output) = s.poll_output() {
        match output {
            Output::Segment(seg) => {
                assert_eq!(seg.streamed, 0);
                out.push(seg);
            }
            Output::Chunk(c) => panic!("a chunk of segment {} in whole-segment mode", c.index),
        }
    }
}

struct Source {
    video: u32,
    audio: u32,
    keyframes_ms: Vec<u32>,
    last_video_ms: u32,
    /// The first audio or video frame: stream time zero.
    origin_ms: u32,
}

fn source(tags: &[Tag]) -> Source {
    let mut src = Source {
        video: 0,
        audio: 0,
        keyframes_ms: Vec::new(),
        last_video_ms: 0,
        origin_ms: u32::MAX,
    };
    for tag in tags {
        match tag.tag_type {
            TagType::Video => {
                let v = VideoTag::parse(tag.body.clone()).unwrap();
                if v.is_coded_frame() {
                    src.origin_ms = src.origin_ms.min(tag.timestamp);
                    src.video += 1;
                    src.last_video_ms = tag.timestamp;
                    if v.is_keyframe() {
                        src.keyframes_ms.push(tag.timestamp);
                    }
                }
            }
            TagType::Audio if tag.body.get(1) == Some(&1) => {
                src.origin_ms = src.origin_ms.min(tag.timestamp);
                src.audio += 1;
            }
            _ => {}
        }
    }
    src
}

fn check(name: &str, frag_ms: u64) {
    let tags = tags(name);
    let src = source(&tags);
    let (segments, s) = segment(&tags, frag_ms);
    let video: u32 = segments.iter().map(|s| s.video_frames).sum();
    let audio: u32 = segments.iter().map(|s| s.audio_frames).sum();
    assert_eq!(
        (video, audio),
        (src.video, src.audio),
        "{name} at {frag_ms} ms"
    );
    assert_eq!(s.stats().video_frames, u64::from(video));
    assert_eq!(
        s.stats().damaged_frames + s.stats().dropped_before_config + s.stats().forced_cuts,
        0
    );

    let origin = i64::from(src.origin_ms);
    for (i, seg) in segments.iter().enumerate() {
        assert!(seg.starts_with_keyframe, "{name}: segment {i}");
        assert_eq!(seg.index, i as u64);
        assert_eq!(seg.len() % 188, 0);
        assert_eq!(seg.last, i + 1 == segments.len());
        // Every segment starts on a source keyframe.
        let start_ms = seg.stream_start_ticks / 90 + origin;
        assert!(
            src.keyframes_ms.contains(&(start_ms as u32)),
            "{name}: segment {i} starts at {start_ms} ms"
        );
        if i + 1 < segments.len() {
            assert!(
                seg.duration * 1000.0 >= frag_ms as f64 - 0.5,
                "{name}: segment {i} is {} s",
                seg.duration
            );
            let next = &segments[i + 1];
            assert!(
                (seg.stream_start_ticks as f64 / 90_000.0 + seg.duration
                    - next.stream_start_ticks as f64 / 90_000.0)
                    .abs()
                    < 1e-9
            );
            assert!(next.wall_ms > seg.wall_ms);
        }
    }
    // The durations add up to the video's span plus its last frame.
    let total: f64 = segments.iter().map(|s| s.duration).sum();
    let span = f64::from(src.last_video_ms - src.keyframes_ms[0]) / 1000.0;
    assert!(
        total > span && total < span + 0.05,
        "{name}: {total} vs {span}"
    );
}

#[test]
fn every_fixture_at_2s() {
    for name in [
        "high_bframes_gop2s_aac44k.flv",
        "baseline_aac48k.flv",
        "video_only.flv",
        "long_gop_5s.flv",
    ] {
        check(name, 2_000);
    }
}

#[test]
fn names_follow_base_time() {
    let (segments, _) = segment(&tags("high_bframes_gop2s_aac44k.flv"), 2_000);
    let names: Vec<String> = segments.iter().map(Segment::file_name).collect();
    assert_eq!(
        names,
        ["1000000.ts", "1002000.ts", "1004000.ts", "1006000.ts"]
    );
}

#[test]
fn a_cut_is_forced_when_no_keyframe_comes() {
    // Keep only the first keyframe: the GOP becomes 12 s, with a 1 s FragDuration
    // and a 3 s maximum the segmenter must cut without keyframes.
    let mut seen_key = false;
    let tags: Vec<Tag> = tags("long_gop_5s.flv")
        .into_iter()
        .filter(|t| {
            if t.tag_type != TagType::Video {
                return true;
            }
            let v = VideoTag::parse(t.body.clone()).unwrap();
            if v.is_coded_frame() && v.is_keyframe() {
                let keep = !seen_key;
                seen_key = true;
                return keep;
            }
            true
        })
        .collect();
    let mut config = SegmenterConfig::new(1_000, 0);
    config.max_segment_duration_ms = 3_000;
    let mut s = Segmenter::new(config);
    let mut segments = Vec::new();
    for tag in tags {
        s.push_tag(tag).unwrap();
        whole_segments(&mut s, &mut segments);
    }
    s.finish();
    whole_segments(&mut s, &mut segments);
    assert!(segments.len() >= 4);
    assert!(segments[0].starts_with_keyframe);
    assert!(!segments[1].starts_with_keyframe);
    assert!(s.stats().forced_cuts >= 3);
    for seg in &segments[..segments.len() - 1] {
        assert!((seg.duration - 3.0).abs() < 0.05, "{}", seg.duration);
    }
}

/// Segments rebuilt from streamed chunks: (segment, its whole bytes).
/// Checks the order rules of `Output` on the way.
fn segment_streamed(tags: &[Tag], frag_ms: u64) -> Vec<(Segment, Vec<u8>)> {
    let mut config = SegmenterConfig::new(frag_ms, 1_000_000);
    config.output = OutputMode::StreamedChunks;
    segment_streamed_by(Segmenter::new(config), tags)
}

fn segment_streamed_by(s: Segmenter, tags: &[Tag]) -> Vec<(Segment, Vec<u8>)> {
    let (out, chunks_seen) = rebuild(s, tags);
    assert!(chunks_seen > 0, "nothing was streamed");
    out
}

/// Segments rebuilt from what the one poll gives, in either output mode:
/// (segment, its whole bytes), and how many chunks came before their
/// segments. Checks the order rules of `Output` on the way.
fn rebuild(mut s: Segmenter, tags: &[Tag]) -> (Vec<(Segment, Vec<u8>)>, usize) {
    let mut out = Vec::new();
    let mut open: Option<(u64, String, Vec<u8>)> = None;
    let mut drain = |s: &mut Segmenter, chunks_seen: &mut usize| {
        while let Some(output) = s.poll_output() {
            match output {
                Output::Chunk(c) => {
                    *chunks_seen += 1;
                    assert_eq!(c.data.len() % 188, 0);
                    let (index, name, bytes) =
                        open.get_or_insert_with(|| (c.index, c.file_name(), Vec::new()));
                    assert_eq!((*index, name.as_str()), (c.index, c.file_name().as_str()));
                    bytes.extend_from_slice(&c.data);
                }
                Output::Segment(seg) => {
                    let mut bytes = match open.take() {
                        Some((index, name, bytes)) => {
                            assert_eq!((index, name), (seg.index, seg.file_name()));
                            bytes
                        }
                        None => Vec::new(),
                    };
                    assert_eq!(bytes.len(), seg.streamed);
                    for c in &seg.chunks {
                        bytes.extend_from_slice(c);
                    }
                    assert_eq!(bytes.len(), seg.len());
                    out.push((seg, bytes));
                }
            }
        }
    };
    let mut chunks_seen = 0;
    for tag in tags {
        s.push_tag(tag.clone()).unwrap();
        drain(&mut s, &mut chunks_seen);
    }
    s.finish();
    drain(&mut s, &mut chunks_seen);
    assert!(open.is_none(), "chunks of a segment that never finished");
    (out, chunks_seen)
}

/// What places a segment: index, stream-time start and duration, wall-clock
/// name, keyframe start, frames, last.
type Placement = (u64, i64, f64, u64, bool, u32, u32, bool);

fn boundaries(segments: &[(Segment, Vec<u8>)]) -> Vec<Placement> {
    segments
        .iter()
        .map(|(s, _)| {
            (
                s.index,
                s.stream_start_ticks,
                s.duration,
                s.wall_ms,
                s.starts_with_keyframe,
                s.video_frames,
                s.audio_frames,
                s.last,
            )
        })
        .collect()
}

#[test]
fn one_poll_gives_the_same_segments_in_every_output_mode_for_every_fixture() {
    let dir = format!("{}/../../tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".flv"))
        .collect();
    names.sort();
    assert!(names.len() >= 4, "{names:?}");
    for name in &names {
        let tags = tags(name);
        let mut config = SegmenterConfig::new(2_000, 1_000_000);
        config.hevc_av1_in_fmp4 = true;
        let (whole, chunks) = rebuild(Segmenter::new(config.clone()), &tags);
        assert_eq!(chunks, 0, "{name}: chunks in whole-segment mode");
        assert!(!whole.is_empty(), "{name}");
        config.output = OutputMode::StreamedChunks;
        let (streamed, chunks) = rebuild(Segmenter::new(config.clone()), &tags);
        // HEVC and AV1 go in fMP4, whose segments always come out whole.
        let fmp4 = whole[0].0.format == livechannel_hls::SegmentFormat::Fmp4;
        assert_eq!(chunks > 0, !fmp4, "{name}: streamed {chunks} chunks");
        config.chunk_bytes = 8 << 10;
        let pool = ChunkPool::new(1 << 20);
        let (pooled, _) = rebuild(Segmenter::new(config).with_pool(pool), &tags);
        for (mode, other) in [("streamed", &streamed), ("pooled", &pooled)] {
            assert_eq!(boundaries(&whole), boundaries(other), "{name}, {mode}");
            for ((w, w_bytes), (_, o_bytes)) in whole.iter().zip(other) {
                assert!(w_bytes == o_bytes, "{name}, {mode}: segment {}", w.index);
            }
        }
    }
}

#[test]
fn streamed_chunks_make_the_same_segments() {
    for (name, frag_ms) in [
        ("high_bframes_gop2s_aac44k.flv", 2_000),
        ("baseline_aac48k.flv", 1_000),
        ("video_only.flv", 2_000),
        ("long_gop_5s.flv", 2_000),
    ] {
        let tags = tags(name);
        let (whole, _) = segment(&tags, frag_ms);
        let streamed = segment_streamed(&tags, frag_ms);
        assert_eq!(whole.len(), streamed.len(), "{name}");
        for (w, (s, bytes)) in whole.iter().zip(&streamed) {
            assert_eq!(w.to_bytes(), bytes[..], "{name} segment {}", w.index);
            assert_eq!(
                (
                    w.wall_ms,
                    w.duration,
                    w.video_frames,
                    w.audio_frames,
                    w.last
                ),
                (
                    s.wall_ms,
                    s.duration,
                    s.video_frames,
                    s.audio_frames,
                    s.last
                ),
                "{name}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn any_frag_duration_keeps_every_frame(frag_ms in 500u64..9_000) {
        check("high_bframes_gop2s_aac44k.flv", frag_ms);
    }

    #[test]
    fn streaming_chunks_changes_no_byte(frag_ms in 500u64..9_000) {
        let tags = tags("high_bframes_gop2s_aac44k.flv");
        let (whole, _) = segment(&tags, frag_ms);
        let streamed = segment_streamed(&tags, frag_ms);
        prop_assert_eq!(whole.len(), streamed.len());
        for (w, (s, bytes)) in whole.iter().zip(&streamed) {
            prop_assert_eq!(&w.to_bytes()[..], &bytes[..]);
            prop_assert_eq!(w.wall_ms, s.wall_ms);
        }
    }
}

#[test]
fn pooled_chunks_make_the_same_segments_and_come_back() {
    let tags = tags("high_bframes_gop2s_aac44k.flv");
    let expected = segment_streamed(&tags, 2_000);
    let pool = ChunkPool::new(1 << 20);
    let mut config = SegmenterConfig::new(2_000, 1_000_000);
    config.output = OutputMode::StreamedChunks;
    // Small chunks: many reuses, and keyframes larger than a chunk (which
    // get a buffer of their own, outside the pool).
    config.chunk_bytes = 8 << 10;
    let pooled = segment_streamed_by(Segmenter::new(config).with_pool(pool.clone()), &tags);
    assert_eq!(expected.len(), pooled.len());
    for ((e, e_bytes), (p, p_bytes)) in expected.iter().zip(&pooled) {
        assert_eq!(e_bytes, p_bytes, "segment {}", e.index);
        assert_eq!((e.wall_ms, e.duration), (p.wall_ms, p.duration));
    }
    // Every chunk was dropped once copied: its buffer went back, and was
    // taken again by the next chunk rather than a new one being made.
    let idle = pool.idle_bytes();
    assert!(idle >= 8 << 10, "{idle}");
    assert!(idle <= 4 * (8 << 10), "{idle}: buffers were not reused");
}

/// Pushes `tags` as a live stream whose `i`th tag arrived at `arrival(i)`
/// (wall clock, Unix ms); returns the segments and, for each, the arrival
/// of the keyframe it starts with.
fn segment_live(
    tags: &[Tag],
    mut config: SegmenterConfig,
    arrival: impl Fn(usize) -> u64,
) -> Vec<(Segment, u64)> {
    // Streamed chunks name the object before the segment closes: the same
    // time must come out of both.
    config.output = OutputMode::StreamedChunks;
    let mut s = Segmenter::new(config);
    let mut out = Vec::new();
    let mut keyframe_arrivals = Vec::new();
    let mut chunk_names = std::collections::BTreeMap::new();
    let mut drain = |s: &mut Segmenter, out: &mut Vec<Segment>| {
        while let Some(o) = s.poll_output() {
            match o {
                Output::Chunk(c) => {
                    chunk_names.entry(c.index).or_insert(c.wall_ms);
                }
                Output::Segment(seg) => {
                    if let Some(&named) = chunk_names.get(&seg.index) {
                        assert_eq!(named, seg.wall_ms, "chunk and segment disagree");
                    }
                    out.push(seg);
                }
            }
        }
    };
    for (i, tag) in tags.iter().enumerate() {
        let at = arrival(i);
        match tag.tag_type {
            TagType::Video => {
                let v = VideoTag::parse(tag.body.clone()).unwrap();
                if v.is_coded_frame() && v.is_keyframe() {
                    keyframe_arrivals.push(at);
                }
                s.push_video_at(tag.timestamp, tag.body.clone(), at)
                    .unwrap();
            }
            TagType::Audio => s
                .push_audio_at(tag.timestamp, tag.body.clone(), at)
                .unwrap(),
            _ => {}
        }
        drain(&mut s, &mut out);
    }
    s.finish();
    drain(&mut s, &mut out);
    // With a 2 s GOP and FragDuration 2 s every keyframe opens a segment.
    assert_eq!(out.len(), keyframe_arrivals.len());
    out.into_iter().zip(keyframe_arrivals).collect()
}

#[test]
fn a_live_segment_is_dated_when_its_first_frame_arrived() {
    let tags = tags("high_bframes_gop2s_aac44k.flv");
    const T: u64 = 1_700_000_000_000;
    // Faster than real time: 8 s of media arriving at 1 ms a tag (about 0.6 s).
    let fast = segment_live(&tags, SegmenterConfig::new(2_000, 0), |i| T + i as u64);
    assert_eq!(fast.len(), 4);
    for (seg, keyframe_arrival) in &fast {
        assert_eq!(seg.wall_ms, *keyframe_arrival, "segment {}", seg.index);
        assert!((T..T + tags.len() as u64).contains(&seg.wall_ms));
    }
    assert!(fast.windows(2).all(|w| w[0].0.wall_ms < w[1].0.wall_ms));
    // EXTINF stays the media duration.
    let media: f64 = fast.iter().map(|(s, _)| s.duration).sum();
    assert!(media > 7.9, "{media}");

    // Real time (arrival = connect + timestamp): the names stream time gave.
    let real = segment_live(&tags, SegmenterConfig::new(2_000, 0), |i| {
        T + u64::from(tags[i].timestamp)
    });
    let by_stream_time: Vec<u64> = segment(&tags, 2_000)
        .0
        .iter()
        .map(|s| s.wall_ms - 1_000_000 + T)
        .collect();
    let by_arrival: Vec<u64> = real.iter().map(|(s, _)| s.wall_ms).collect();
    assert_eq!(by_arrival, by_stream_time);
}

#[test]
fn live_segments_arriving_together_are_one_ms_apart_and_after_the_floor() {
    let tags = tags("high_bframes_gop2s_aac44k.flv");
    const T: u64 = 1_700_000_000_000;
    // Everything within one millisecond: a tie each time, bumped by 1 ms.
    let tied = segment_live(&tags, SegmenterConfig::new(2_000, 0), |_| T);
    let names: Vec<u64> = tied.iter().map(|(s, _)| s.wall_ms).collect();
    assert_eq!(names, [T, T + 1, T + 2, T + 3]);
    // A previous publish's names ran ahead of the clock: these stay after them.
    let mut config = SegmenterConfig::new(2_000, 0);
    config.min_wall_ms = T + 10_000;
    let after = segment_live(&tags, config, |i| T + i as u64);
    // Every arrival (T + at most 600 ms) is below the floor.
    let names: Vec<u64> = after.iter().map(|(s, _)| s.wall_ms).collect();
    assert_eq!(names, [T + 10_000, T + 10_001, T + 10_002, T + 10_003]);
}
