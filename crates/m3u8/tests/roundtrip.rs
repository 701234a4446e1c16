//! Write → parse round trips and the live window's invariants, on random
//! values that are valid by construction.

use livechannel_m3u8::{
    rounded_duration, LiveWindow, MediaPlaylist, MediaSegment, PlaylistType, SegmentMap,
};
use proptest::prelude::*;

fn segment() -> impl Strategy<Value = MediaSegment> {
    (
        "[a-zA-Z0-9_][a-zA-Z0-9_./?=&%-]{0,40}",
        // Whole milliseconds up to the parser's limit of 1e9 s.
        prop_oneof![0u64..100_000, 0u64..=1_000_000_000_000],
        any::<bool>(),
        // Titles keep leading spaces; trailing ones are trimmed with the line.
        "([ ]?[a-zA-Z0-9,:#\"=]{1,10}){0,3}",
    )
        .prop_map(|(uri, ms, discontinuity, title)| MediaSegment {
            uri,
            duration: ms as f64 / 1000.0,
            discontinuity,
            title,
        })
}

fn playlist() -> impl Strategy<Value = MediaPlaylist> {
    (
        any::<u8>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        prop_oneof![
            Just(None),
            Just(Some(PlaylistType::Vod)),
            Just(Some(PlaylistType::Event))
        ],
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(segment(), 0..30),
        // Where maps start (made unique and sorted below) and their URIs.
        prop::collection::vec((0usize..30, "[a-zA-Z0-9_][a-zA-Z0-9_./?=&%,-]{0,20}"), 0..5),
    )
        .prop_map(
            |(
                version,
                target_duration,
                media_sequence,
                discontinuity_sequence,
                playlist_type,
                independent_segments,
                end_list,
                segments,
                maps,
            )| {
                let mut maps: Vec<SegmentMap> = maps
                    .into_iter()
                    .filter(|(first, _)| *first < segments.len())
                    .map(|(first, uri)| SegmentMap::new(first, uri))
                    .collect();
                maps.sort_by_key(|m| m.first_segment);
                maps.dedup_by_key(|m| m.first_segment);
                MediaPlaylist {
                    version,
                    target_duration,
                    media_sequence,
                    discontinuity_sequence,
                    playlist_type,
                    independent_segments,
                    end_list,
                    segments,
                    maps,
                }
            },
        )
}

#[derive(Debug, Clone)]
enum Action {
    Push(u64),
    Discontinuity,
    Map(u8),
    End,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        8 => (0u64..30_000).prop_map(Action::Push),
        1 => Just(Action::Discontinuity),
        1 => (0u8..3).prop_map(Action::Map),
        1 => Just(Action::End),
    ]
}

proptest! {
    #[test]
    fn write_then_parse_is_exact(p in playlist()) {
        let text = p.to_string();
        let back = MediaPlaylist::parse(&text);
        prop_assert_eq!(back.as_ref(), Ok(&p), "text:\n{}", text);
    }

    #[test]
    fn live_window_invariants(
        frag_count in 1usize..10,
        target in 1u64..8,
        actions in prop::collection::vec(action(), 0..80),
    ) {
        let mut live = LiveWindow::new(frag_count, target);
        // A model of the whole history: every pushed segment with its flag.
        let mut pushed: Vec<MediaSegment> = Vec::new();
        let mut pending = false;
        let mut last_target = live.target_duration();
        let mut ended = false;
        // The init URI each pushed segment starts from, and the one set for the next.
        let mut inits: Vec<Option<String>> = Vec::new();
        let mut init: Option<String> = None;
        for (i, a) in actions.iter().enumerate() {
            match *a {
                Action::Push(ms) => {
                    let seg = MediaSegment::new(format!("{i}.ts"), ms as f64 / 1000.0);
                    live.push(seg.clone());
                    pushed.push(MediaSegment { discontinuity: pending, ..seg });
                    inits.push(init.clone());
                    pending = false;
                    ended = false;
                }
                Action::Discontinuity => {
                    live.mark_discontinuity();
                    pending = !pushed.is_empty();
                }
                Action::Map(n) => {
                    live.set_map(format!("init{n}.mp4"));
                    init = Some(format!("init{n}.mp4"));
                }
                Action::End => {
                    live.end();
                    ended = true;
                }
            }
            let shown = pushed.len().min(frag_count);
            let evicted = &pushed[..pushed.len() - shown];
            prop_assert!(live.len() <= frag_count);
            prop_assert_eq!(live.len(), shown);
            prop_assert_eq!(live.media_sequence() + live.len() as u64, pushed.len() as u64);
            prop_assert_eq!(
                live.discontinuity_sequence(),
                evicted.iter().filter(|s| s.discontinuity).count() as u64
            );
            prop_assert!(live.target_duration() >= last_target, "target duration decreased");
            last_target = live.target_duration();
            for s in live.segments() {
                prop_assert!(rounded_duration(s.duration) <= live.target_duration());
            }
            let window: Vec<&MediaSegment> = live.segments().collect();
            let expected: Vec<&MediaSegment> = pushed[pushed.len() - shown..].iter().collect();
            prop_assert_eq!(window, expected);
            prop_assert_eq!(live.playlist().end_list, ended);
            // Every shown segment starts from the init set before it was pushed.
            let p = live.playlist();
            let shown_inits = &inits[inits.len() - shown..];
            for (k, expected) in shown_inits.iter().enumerate() {
                let in_effect = p.maps.iter().rev().find(|m| m.first_segment <= k).map(|m| &m.uri);
                prop_assert_eq!(in_effect, expected.as_ref(), "segment {} of {:?}", k, p);
            }
            let has_maps = shown_inits.iter().any(Option::is_some);
            prop_assert_eq!(p.version, if has_maps { 7 } else { 3 });

            // The text round-trips, and resuming from it continues identically.
            let mut text = String::new();
            live.write(&mut text);
            let stored = MediaPlaylist::parse(&text).unwrap();
            prop_assert_eq!(&stored, &live.playlist());
            let resumed = LiveWindow::resume(&stored, frag_count);
            prop_assert_eq!(resumed.playlist(), MediaPlaylist { end_list: false, ..live.playlist() });
        }
    }
}
