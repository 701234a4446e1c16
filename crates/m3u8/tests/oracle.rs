//! Everything our writer produces must parse strictly with `hls_m3u8`
//! (an independent implementation that also enforces the EXTINF ≤
//! TARGETDURATION rule) and mean the same thing.

use std::time::Duration;

use livechannel_m3u8::{
    duration_millis, LiveWindow, MediaPlaylist, MediaSegment, PlaylistType, SegmentMap,
};
use proptest::prelude::*;

fn check(ours: &MediaPlaylist) {
    let text = ours.to_string();
    let theirs = hls_m3u8::MediaPlaylist::try_from(text.as_str())
        .unwrap_or_else(|e| panic!("hls_m3u8 rejected our playlist: {e}\n{text}"));
    assert_eq!(
        theirs.target_duration,
        Duration::from_secs(ours.target_duration)
    );
    assert_eq!(theirs.media_sequence as u64, ours.media_sequence);
    assert_eq!(
        theirs.discontinuity_sequence as u64,
        ours.discontinuity_sequence
    );
    assert_eq!(theirs.has_end_list, ours.end_list);
    assert_eq!(theirs.has_independent_segments, ours.independent_segments);
    let kind = theirs.playlist_type.map(|t| match t {
        hls_m3u8::types::PlaylistType::Vod => PlaylistType::Vod,
        hls_m3u8::types::PlaylistType::Event => PlaylistType::Event,
    });
    assert_eq!(kind, ours.playlist_type);
    let segments: Vec<_> = theirs.segments.values().collect();
    assert_eq!(segments.len(), ours.segments.len());
    for (i, (t, o)) in segments.iter().zip(&ours.segments).enumerate() {
        assert_eq!(t.uri(), o.uri.as_str());
        // hls_m3u8 attaches a map to the segment right after it.
        let map = ours.maps.iter().rfind(|m| m.first_segment == i);
        assert_eq!(
            t.map.as_ref().map(|m| m.uri().to_string()),
            map.map(|m| m.uri.clone()),
            "map of {}",
            o.uri
        );
        let ms = (t.duration.duration().as_secs_f64() * 1000.0).round() as u64;
        assert_eq!(ms, duration_millis(o.duration), "duration of {}", o.uri);
        assert_eq!(
            t.has_discontinuity, o.discontinuity,
            "discontinuity of {}",
            o.uri
        );
        assert_eq!(t.duration.title().as_deref().unwrap_or(""), o.title);
    }
}

#[test]
fn the_oracle_enforces_the_target_duration_rule() {
    // Control: proves `check` can fail on the rule our window maintains.
    let mut p = MediaPlaylist::vod(vec![MediaSegment::new("a.ts", 5.5)]);
    assert_eq!(p.target_duration, 6);
    check(&p);
    p.target_duration = 5;
    assert!(hls_m3u8::MediaPlaylist::try_from(p.to_string().as_str()).is_err());
    p.segments[0].duration = 5.499;
    check(&p);
}

#[test]
fn vod_playlists() {
    check(&MediaPlaylist::vod(vec![
        MediaSegment::new("1543895706266.ts", 7.12),
        MediaSegment::new("1543895706468.ts", 13.32),
    ]));
    check(&MediaPlaylist::vod(Vec::new()));
    let mut typed = MediaPlaylist::vod(vec![MediaSegment::new("x.ts?sig=1&t=2", 0.001)]);
    typed.playlist_type = Some(PlaylistType::Vod);
    typed.independent_segments = true;
    check(&typed);
    typed.playlist_type = Some(PlaylistType::Event);
    typed.end_list = false;
    check(&typed);
}

#[test]
fn fmp4_playlists_with_a_map_per_discontinuity() {
    let mut segments: Vec<_> = (0..4)
        .map(|i| MediaSegment::new(format!("{i}.m4s"), 2.0))
        .collect();
    segments[2].discontinuity = true;
    let mut vod = MediaPlaylist::vod(segments);
    vod.add_map(SegmentMap::new(0, "a/init.mp4"));
    vod.add_map(SegmentMap::new(2, "https://cdn.example/b/init.mp4?sig=1,2"));
    assert_eq!(vod.version, 7);
    check(&vod);
    assert_eq!(MediaPlaylist::parse(&vod.to_string()).unwrap(), vod);

    let mut live = LiveWindow::new(2, 2);
    live.set_map("a.mp4");
    live.push(MediaSegment::new("a0.m4s", 2.0));
    check(&live.playlist());
    live.mark_discontinuity();
    live.set_map("b.mp4");
    for i in 0..3 {
        live.push(MediaSegment::new(format!("b{i}.m4s"), 2.0));
        check(&live.playlist());
    }
}

#[test]
fn live_window_with_discontinuities_scrolling_out() {
    let mut live = LiveWindow::new(3, 6);
    for i in 0..4 {
        live.push(MediaSegment::new(format!("{i}.ts"), 6.0));
    }
    live.mark_discontinuity();
    live.push(MediaSegment::new("4.ts", 4.133));
    check(&live.playlist());
    for i in 5..7 {
        live.push(MediaSegment::new(format!("{i}.ts"), 5.995));
        check(&live.playlist());
    }
    live.push(MediaSegment::new("7.ts", 2.0));
    let p = live.playlist();
    assert_eq!(
        p.discontinuity_sequence, 1,
        "the discontinuity scrolled out"
    );
    check(&p);
    live.end();
    check(&live.playlist());
}

#[derive(Debug, Clone)]
enum Action {
    Push { ms: u64, title: bool },
    Discontinuity,
    Map(u8),
    End,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => (0u64..20_000, any::<bool>()).prop_map(|(ms, title)| Action::Push { ms, title }),
        1 => Just(Action::Discontinuity),
        1 => (0u8..3).prop_map(Action::Map),
        1 => Just(Action::End),
    ]
}

proptest! {
    #[test]
    fn every_live_window_state_is_valid_for_the_oracle(
        frag_count in 1usize..8,
        target in 1u64..10,
        actions in prop::collection::vec(action(), 0..40),
    ) {
        let mut live = LiveWindow::new(frag_count, target);
        for (i, a) in actions.iter().enumerate() {
            match *a {
                Action::Push { ms, title } => {
                    let mut seg = MediaSegment::new(format!("{i}.ts"), ms as f64 / 1000.0);
                    if title {
                        seg.title = format!("segment {i}");
                    }
                    live.push(seg);
                }
                Action::Discontinuity => live.mark_discontinuity(),
                Action::Map(n) => live.set_map(format!("init-{n}.mp4")),
                Action::End => live.end(),
            }
            check(&live.playlist());
        }
    }
}
