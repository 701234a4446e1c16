//! The live window: target duration policy, discontinuities, resume.

use livechannel_m3u8::{LiveWindow, MediaPlaylist, MediaSegment};

fn seg(uri: &str, duration: f64) -> MediaSegment {
    MediaSegment::new(uri, duration)
}

#[test]
fn writes_the_documented_format() {
    let stored = MediaPlaylist {
        media_sequence: 11,
        discontinuity_sequence: 1,
        target_duration: 6,
        segments: vec![seg("1543895700266.ts", 6.0)],
        ..MediaPlaylist::default()
    };
    let mut live = LiveWindow::resume(&stored, 2);
    live.push(seg("1543895706266.ts", 6.0));
    live.mark_discontinuity();
    live.push(seg("1543895712266.ts", 4.133));
    live.end();
    assert_eq!(
        live.to_string(),
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:12\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n\
         #EXT-X-TARGETDURATION:6\n#EXTINF:6.000,\n1543895706266.ts\n#EXT-X-DISCONTINUITY\n\
         #EXTINF:4.133,\n1543895712266.ts\n#EXT-X-ENDLIST\n"
    );
}

#[test]
fn target_duration_is_fixed_until_a_segment_exceeds_it() {
    let mut live = LiveWindow::new(2, 4);
    live.push(seg("a", 1.0));
    assert_eq!(
        live.target_duration(),
        4,
        "not lowered to fit short segments"
    );
    live.push(seg("b", 4.499));
    assert_eq!(live.target_duration(), 4, "4.499 rounds to 4");
    live.push(seg("c", 4.5));
    assert_eq!(live.target_duration(), 5, "4.5 rounds to 5: grow");
    live.push(seg("d", 1.0));
    live.push(seg("e", 1.0));
    assert_eq!(
        live.target_duration(),
        5,
        "never shrinks once the long one is gone"
    );
}

#[test]
fn discontinuity_before_the_first_segment_is_ignored() {
    let mut live = LiveWindow::new(3, 2);
    live.mark_discontinuity();
    live.push(seg("a", 2.0));
    assert!(!live.segments().next().unwrap().discontinuity);
    live.mark_discontinuity();
    live.mark_discontinuity();
    live.push(seg("b", 2.0));
    live.push(seg("c", 2.0));
    let flags: Vec<bool> = live.segments().map(|s| s.discontinuity).collect();
    assert_eq!(flags, vec![false, true, false]);
}

#[test]
fn pushing_after_end_makes_the_playlist_live_again() {
    let mut live = LiveWindow::new(3, 2);
    live.push(seg("a", 2.0));
    live.end();
    assert!(live.is_ended() && live.to_string().ends_with("#EXT-X-ENDLIST\n"));
    live.push(seg("b", 2.0));
    assert!(!live.is_ended() && !live.to_string().contains("ENDLIST"));
}

#[test]
fn resume_keeps_numbering_and_clears_endlist() {
    let stored = MediaPlaylist::parse(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:40\n#EXT-X-DISCONTINUITY-SEQUENCE:2\n\
         #EXT-X-TARGETDURATION:7\n#EXT-X-DISCONTINUITY\n#EXTINF:5,\na.ts\n#EXTINF:5,\nb.ts\n\
         #EXTINF:5,\nc.ts\n#EXT-X-ENDLIST\n",
    )
    .unwrap();
    let mut live = LiveWindow::resume(&stored, 3);
    assert!(!live.is_ended());
    assert_eq!(
        (
            live.media_sequence(),
            live.discontinuity_sequence(),
            live.target_duration()
        ),
        (40, 2, 7)
    );
    live.mark_discontinuity();
    live.push(seg("d.ts", 5.0));
    // a.ts (with its discontinuity) slid out.
    assert_eq!(
        (live.media_sequence(), live.discontinuity_sequence()),
        (41, 3)
    );
    assert!(live.segments().last().unwrap().discontinuity);
}

#[test]
fn resume_with_a_smaller_window_slides_and_covers_long_segments() {
    let stored = MediaPlaylist {
        target_duration: 2,
        segments: vec![
            seg("a", 2.0),
            MediaSegment {
                discontinuity: true,
                ..seg("b", 2.0)
            },
            seg("c", 3.2),
        ],
        ..MediaPlaylist::default()
    };
    let live = LiveWindow::resume(&stored, 1);
    assert_eq!(live.len(), 1);
    assert_eq!(
        (live.media_sequence(), live.discontinuity_sequence()),
        (2, 1)
    );
    assert_eq!(live.target_duration(), 3);
}

#[test]
fn resume_from_an_empty_playlist_has_no_history() {
    let mut live = LiveWindow::resume(&MediaPlaylist::default(), 3);
    assert!(live.is_empty());
    live.mark_discontinuity();
    live.push(seg("a", 1.0));
    assert!(!live.segments().next().unwrap().discontinuity);
}

#[test]
fn zero_sizes_are_clamped() {
    let mut live = LiveWindow::new(0, 0);
    assert_eq!(live.target_duration(), 1);
    live.push(seg("a", 0.2));
    live.push(seg("b", 0.2));
    assert_eq!(live.len(), 1);
    assert_eq!(live.media_sequence(), 1);
}

#[test]
fn write_appends_and_matches_playlist() {
    let mut live = LiveWindow::new(5, 3);
    live.push(seg("x.ts", 2.5));
    let mut text = String::from("prefix\n");
    live.write(&mut text);
    assert_eq!(text, format!("prefix\n{}", live.playlist()));
}

#[test]
fn line_feeds_in_uris_and_titles_cannot_break_lines() {
    let mut s = seg("a\nb.ts", 1.0);
    s.title = "t\nu".into();
    let p = MediaPlaylist::vod(vec![s]);
    let back = MediaPlaylist::parse(&p.to_string()).unwrap();
    assert_eq!(back.segments[0].uri, "a b.ts");
    assert_eq!(back.segments[0].title, "t u");
}

#[test]
fn resume_keeps_the_map_of_the_oldest_segment_and_ts_stays_version_3() {
    let mut live = LiveWindow::new(3, 2);
    live.push(seg("0.ts", 2.0));
    assert!(live.to_string().starts_with("#EXTM3U\n#EXT-X-VERSION:3\n"));
    live.mark_discontinuity();
    live.set_map("a.mp4");
    live.set_map("b.mp4"); // replaces the pending one
    live.push(seg("1.m4s", 2.0));
    live.push(seg("2.m4s", 2.0));
    let text = live.to_string();
    assert!(text.contains("#EXT-X-VERSION:7\n"));
    assert!(!text.contains("a.mp4"));
    let stored = MediaPlaylist::parse(&text).unwrap();
    let mut resumed = LiveWindow::resume(&stored, 1);
    assert_eq!(
        resumed.to_string(),
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MEDIA-SEQUENCE:2\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n\
         #EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"b.mp4\"\n#EXTINF:2.000,\n2.m4s\n"
    );
    resumed.set_map("b.mp4"); // already in effect: no new tag
    resumed.push(seg("3.m4s", 2.0));
    assert_eq!(resumed.to_string().matches("#EXT-X-MAP").count(), 1);
}
