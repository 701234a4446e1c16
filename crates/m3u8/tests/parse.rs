//! The parser on real playlists, on what it must tolerate, and on every
//! malformed input it must refuse.

use livechannel_m3u8::{Error, MediaPlaylist, MediaSegment, PlaylistType, MAX_SEGMENTS};

const FFMPEG: &str = include_str!("data/ffmpeg_hls_time2_high_bframes.m3u8");
const OSS_VOD: &str = include_str!("data/oss_get_vod_playlist.m3u8");

fn err(text: &str) -> Error {
    MediaPlaylist::parse(text).expect_err("must be rejected")
}

#[test]
fn reads_an_ffmpeg_playlist() {
    // ffmpeg 5.1: -c copy -f hls -hls_time 2 -hls_list_size 0 on high_bframes_gop2s_aac44k.flv
    let p = MediaPlaylist::parse(FFMPEG).unwrap();
    assert_eq!(p.version, 3);
    assert_eq!(p.target_duration, 2);
    assert_eq!(p.media_sequence, 0);
    assert!(p.end_list);
    let durations: Vec<f64> = p.segments.iter().map(|s| s.duration).collect();
    assert_eq!(durations, vec![2.0, 2.0, 2.0, 1.98]);
    let uris: Vec<&str> = p.segments.iter().map(|s| s.uri.as_str()).collect();
    assert_eq!(uris, vec!["out0.ts", "out1.ts", "out2.ts", "out3.ts"]);
}

#[test]
fn reads_and_reproduces_the_oss_vod_example() {
    let p = MediaPlaylist::parse(OSS_VOD).unwrap();
    let expected = MediaPlaylist::vod(vec![
        MediaSegment::new("1543895706266.ts", 7.12),
        MediaSegment::new("1543895706468.ts", 13.32),
    ]);
    assert_eq!(p, expected);
    // Byte for byte what OSS GetVodPlaylist returns.
    assert_eq!(expected.to_string(), OSS_VOD);
}

#[test]
fn tolerates_crlf_bom_blank_lines_comments_and_unknown_tags() {
    let text = "\u{FEFF}\r\n#EXTM3U\r\n\r\n# a comment\r\n#EXT-X-TARGETDURATION:10\r\n\
                #EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00Z\r\n#EXT-X-ALLOW-CACHE:NO\r\n\
                #EXTINF:9,\r\n#EXT-X-BYTERANGE:100@0\r\nseg1.ts?token=a&b=c\r\n\r\n\
                #EXTINF:  8.5 ,My Title, with comma\r\n  http://cdn.example/seg2.ts  \r\n";
    let p = MediaPlaylist::parse(text).unwrap();
    assert_eq!(p.version, 1, "no #EXT-X-VERSION means version 1");
    assert_eq!(p.target_duration, 10);
    assert_eq!(p.segments.len(), 2);
    assert_eq!(p.segments[0].uri, "seg1.ts?token=a&b=c");
    assert_eq!(p.segments[0].duration, 9.0);
    assert_eq!(p.segments[0].title, "");
    assert_eq!(p.segments[1].uri, "http://cdn.example/seg2.ts");
    assert_eq!(p.segments[1].duration, 8.5);
    assert_eq!(p.segments[1].title, "My Title, with comma");
    assert!(!p.end_list);
}

#[test]
fn reads_every_header_tag() {
    let text = "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-MEDIA-SEQUENCE:18446744073709551615\n\
                #EXT-X-DISCONTINUITY-SEQUENCE:7\n#EXT-X-TARGETDURATION:6\n\
                #EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-INDEPENDENT-SEGMENTS\n\
                #EXTINF:6\na.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:.5,\nb.ts\n#EXT-X-ENDLIST\n";
    let p = MediaPlaylist::parse(text).unwrap();
    assert_eq!(p.version, 4);
    assert_eq!(p.media_sequence, u64::MAX);
    assert_eq!(p.discontinuity_sequence, 7);
    assert_eq!(p.playlist_type, Some(PlaylistType::Event));
    assert!(p.independent_segments && p.end_list);
    assert!(!p.segments[0].discontinuity && p.segments[1].discontinuity);
    assert_eq!(p.segments[1].duration, 0.5);
    let vod =
        MediaPlaylist::parse("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-PLAYLIST-TYPE:VOD").unwrap();
    assert_eq!(vod.playlist_type, Some(PlaylistType::Vod));
}

#[test]
fn a_discontinuity_after_the_extinf_still_marks_its_segment() {
    let p = MediaPlaylist::parse(
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n#EXT-X-DISCONTINUITY\na.ts\n",
    )
    .unwrap();
    assert!(p.segments[0].discontinuity);
}

#[test]
fn empty_text_has_no_header() {
    assert_eq!(
        err(""),
        Error::MissingHeader {
            line: 1,
            found: String::new()
        }
    );
    assert_eq!(
        err("\n\n  \n"),
        Error::MissingHeader {
            line: 4,
            found: String::new()
        }
    );
}

#[test]
fn first_line_must_be_extm3u() {
    assert_eq!(
        err("\n#EXT-X-TARGETDURATION:2\n#EXTM3U\n"),
        Error::MissingHeader {
            line: 2,
            found: "#EXT-X-TARGETDURATION:2".into()
        }
    );
    assert_eq!(
        err("#EXTM3U8\n"),
        Error::MissingHeader {
            line: 1,
            found: "#EXTM3U8".into()
        }
    );
    // Long junk is quoted, but cut short.
    let Error::MissingHeader { found, .. } = err(&"x".repeat(10_000)) else {
        panic!()
    };
    assert_eq!(found.len(), 40);
}

#[test]
fn extinf_followed_by_extinf() {
    let text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n#EXTINF:2,\na.ts\n";
    assert_eq!(err(text), Error::ExtinfWithoutUri { line: 3 });
}

#[test]
fn extinf_at_the_end() {
    let text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\n#EXTINF:2,\n\n";
    assert_eq!(err(text), Error::ExtinfWithoutUri { line: 5 });
}

#[test]
fn uri_without_extinf() {
    let text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\nb.ts\n";
    assert_eq!(err(text), Error::UriWithoutExtinf { line: 5 });
}

#[test]
fn integers_must_be_plain_decimal() {
    let cases = [
        ("#EXT-X-TARGETDURATION", "abc"),
        ("#EXT-X-TARGETDURATION", "6.5"),
        ("#EXT-X-TARGETDURATION", "-1"),
        ("#EXT-X-TARGETDURATION", "+3"),
        ("#EXT-X-TARGETDURATION", ""),
        ("#EXT-X-MEDIA-SEQUENCE", "18446744073709551616"),
        ("#EXT-X-DISCONTINUITY-SEQUENCE", "0x10"),
        ("#EXT-X-VERSION", "256"),
    ];
    for (tag, value) in cases {
        let text = format!("#EXTM3U\n#EXT-X-TARGETDURATION:2\n{tag}:{value}\n");
        assert_eq!(
            err(&text),
            Error::InvalidNumber {
                line: 3,
                tag,
                expected: "a decimal integer",
                found: value.into()
            },
            "{tag}:{value}"
        );
    }
}

#[test]
fn extinf_durations_must_be_decimal_and_bounded() {
    for value in [
        "abc",
        "-1",
        "1e3",
        "nan",
        "inf",
        "1.2.3",
        "",
        ".",
        "1000000000.001",
        &"9".repeat(400),
    ] {
        let text = format!("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:{value},x\na.ts\n");
        let Error::InvalidNumber {
            line, tag, found, ..
        } = err(&text)
        else {
            panic!("{value:?} must be an invalid number");
        };
        assert_eq!((line, tag), (3, "#EXTINF"), "{value:?}");
        assert!(value.starts_with(&found), "{value:?} quoted as {found:?}");
    }
    let ok = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1000000000,\na.ts\n";
    assert_eq!(MediaPlaylist::parse(ok).unwrap().segments[0].duration, 1e9);
}

#[test]
fn playlist_type_must_be_event_or_vod() {
    let text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:LIVE\n";
    assert_eq!(
        err(text),
        Error::InvalidPlaylistType {
            line: 3,
            found: "LIVE".into()
        }
    );
}

#[test]
fn target_duration_is_required() {
    let text = "#EXTM3U\n#EXTINF:2,\na.ts\n#EXT-X-ENDLIST";
    assert_eq!(err(text), Error::MissingTargetDuration { line: 4 });
}

#[test]
fn master_playlists_are_refused() {
    let text = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1280000\nlow/index.m3u8\n";
    assert_eq!(
        err(text),
        Error::MasterPlaylist {
            line: 2,
            tag: "#EXT-X-STREAM-INF"
        }
    );
    let text = "#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI=\"a\"\n";
    assert_eq!(
        err(text),
        Error::MasterPlaylist {
            line: 2,
            tag: "#EXT-X-I-FRAME-STREAM-INF"
        }
    );
}

#[test]
fn at_most_a_million_segments() {
    let mut text = String::from("#EXTM3U\n#EXT-X-TARGETDURATION:1\n");
    for _ in 0..MAX_SEGMENTS {
        text.push_str("#EXTINF:1,\na\n");
    }
    assert_eq!(
        MediaPlaylist::parse(&text).unwrap().segments.len(),
        MAX_SEGMENTS
    );
    text.push_str("#EXTINF:1,\nb\n");
    assert_eq!(
        err(&text),
        Error::TooManySegments {
            line: 2 + 2 * MAX_SEGMENTS + 2,
            limit: MAX_SEGMENTS
        }
    );
}

#[test]
fn huge_lines_are_linear() {
    // 8 MB of title and unknown tag: one pass, no quadratic rescans.
    let big = "t".repeat(4 << 20);
    let text =
        format!("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#X-UNKNOWN:{big}\n#EXTINF:1,{big}\na.ts\n");
    let p = MediaPlaylist::parse(&text).unwrap();
    assert_eq!(p.segments[0].title.len(), big.len());
}

#[test]
fn error_messages_are_lower_case_sentences_with_the_line() {
    assert_eq!(
        Error::ExtinfWithoutUri { line: 3 }.to_string(),
        "line 3: #EXTINF is not followed by a segment uri"
    );
    assert_eq!(
        Error::InvalidNumber {
            line: 2,
            tag: "#EXT-X-VERSION",
            expected: "a decimal integer",
            found: "x".into()
        }
        .to_string(),
        "line 2: #EXT-X-VERSION needs a decimal integer, found \"x\""
    );
}

#[test]
fn ext_x_map_applies_from_the_next_segment() {
    use livechannel_m3u8::SegmentMap;
    let text = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n\
                #EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"100@0\"\n#EXTINF:2,\n0.m4s\n\
                #EXTINF:2,\n1.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"b.mp4\"\n\
                #EXTINF:2,\n2.m4s\n#EXT-X-MAP:URI=\"dangling.mp4\"\n";
    let p = MediaPlaylist::parse(text).unwrap();
    assert_eq!(p.version, 7);
    assert_eq!(
        p.maps,
        vec![SegmentMap::new(0, "init.mp4"), SegmentMap::new(2, "b.mp4")]
    );
    assert!(p.segments[2].discontinuity);
}

#[test]
fn ext_x_map_without_a_quoted_uri_is_an_error() {
    for bad in [
        "URI=init.mp4",
        "URI=\"\"",
        "BYTERANGE=\"1@0\"",
        "URI=\"x",
        "",
    ] {
        let text =
            format!("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:{bad}\n#EXTINF:2,\n0.m4s\n");
        assert!(
            matches!(
                MediaPlaylist::parse(&text),
                Err(livechannel_m3u8::Error::InvalidMap { line: 3, .. })
            ),
            "{bad}"
        );
    }
}
