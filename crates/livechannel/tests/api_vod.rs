//! GetVodPlaylist and PostVodPlaylist (`docs/oss-compatibility.md`,
//! "PostVodPlaylist", "GetVodPlaylist" and "VOD playlists").

mod api_support;

use api_support::*;

/// Segments at 1543895706.266 s (7.12 s) and .468 (13.32 s) as in OSS's
/// GetVodPlaylist example, then a second session with a discontinuity, then one a day later.
fn setup() -> Api {
    let api = Api::new();
    api.create_bucket("test-bucket", "private");
    api.create_channel("test-bucket", "test-channel");
    let segments = [
        (1_543_895_706_266, 7_120, false),
        (1_543_895_706_468, 13_320, false),
        (1_543_895_800_000, 2_000, true),
        (1_543_895_802_000, 2_000, false),
        (1_543_990_000_000, 2_000, true),
    ];
    api.add_segments("test-bucket", "test-channel", &segments);
    api
}

#[test]
fn get_vod_playlist_matches_the_spec_example() {
    let api = setup();
    let res = api.signed(
        "GET",
        "/test-bucket/test-channel?vod=&startTime=1543895706&endTime=1543895707",
        &[],
        b"",
    );
    assert_eq!(res.status(), 200, "{}", text(&res));
    assert_common_headers(&res);
    assert_eq!(res.headers()["content-type"], "application/x-mpegURL");
    let body = text(&res);
    assert_eq!(
        body,
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:13\n#EXTINF:7.120,\n1543895706266.ts\n#EXTINF:13.320,\n1543895706468.ts\n#EXT-X-ENDLIST\n"
    );
    let etag = res.headers()["etag"].to_str().unwrap();
    assert_eq!(
        etag,
        format!("\"{}\"", livechannel::store::etag(body.as_bytes()))
    );
    // An independent reader accepts it.
    let parsed = hls_m3u8::MediaPlaylist::try_from(body.as_str()).expect("hls_m3u8 parses it");
    assert_eq!(parsed.segments.num_elements(), 2);
}

#[test]
fn sessions_are_separated_by_discontinuities_and_the_span_is_inclusive() {
    let api = setup();
    // endTime covers the whole second 1543895802 (segment at .000 included).
    let res = api.signed(
        "GET",
        "/test-bucket/test-channel?vod&startTime=1543895700&endTime=1543895802",
        &[],
        b"",
    );
    let body = text(&res);
    assert_eq!(
        body,
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:13\n#EXTINF:7.120,\n1543895706266.ts\n#EXTINF:13.320,\n1543895706468.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2.000,\n1543895800000.ts\n#EXTINF:2.000,\n1543895802000.ts\n#EXT-X-ENDLIST\n"
    );
    // A playlist that starts at a session boundary does not begin with a discontinuity.
    let res = api.signed(
        "GET",
        "/test-bucket/test-channel?vod&startTime=1543895800&endTime=1543895900",
        &[],
        b"",
    );
    assert_eq!(
        text(&res),
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\n1543895800000.ts\n#EXTINF:2.000,\n1543895802000.ts\n#EXT-X-ENDLIST\n"
    );
}

#[test]
fn post_vod_playlist_stores_the_object() {
    let api = setup();
    let res = api.signed(
        "POST",
        "/test-bucket/test-channel%2Fvod.m3u8?vod=&endTime=1543895707&startTime=1543895706",
        &[],
        b"",
    );
    assert_eq!(res.status(), 200, "{}", text(&res));
    assert!(res.body().is_empty());
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let res = api.signed("GET", "/test-bucket/test-channel/vod.m3u8", &[], b"");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-mpegURL");
    assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);
    assert!(text(&res)
        .contains("1543895706266.ts\n#EXTINF:13.320,\n1543895706468.ts\n#EXT-X-ENDLIST\n"));
    // The key may also arrive with a literal slash.
    let res = api.signed(
        "POST",
        "/test-bucket/test-channel/vod2.m3u8?vod&endTime=1543895707&startTime=1543895706",
        &[],
        b"",
    );
    assert_eq!(res.status(), 200);
}

#[test]
fn vod_errors() {
    let api = setup();
    let get = |q: &str| {
        api.signed(
            "GET",
            &format!("/test-bucket/test-channel?vod&{q}"),
            &[],
            b"",
        )
    };
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("endTime=1543895707", "startTime", Some("0044-00000304")),
        (
            "startTime=x&endTime=1543895707",
            "startTime",
            Some("0044-00000304"),
        ),
        ("startTime=1543895706", "endTime", Some("0044-00000305")),
        (
            "startTime=1543895706&endTime=1543895706",
            "endTime",
            Some("0044-00000306"),
        ),
        (
            "startTime=1543895707&endTime=1543895706",
            "endTime",
            Some("0044-00000306"),
        ),
        (
            "startTime=1543895706&endTime=1543982107",
            "endTime",
            Some("0044-00000307"),
        ),
        (
            "startTime=1000&endTime=2000",
            "startTime",
            Some("0044-00000308"),
        ),
    ];
    for (query, argument, ec) in cases {
        let res = get(query);
        assert_error(&res, 400, "InvalidArgument");
        let xml = text(&res);
        assert_eq!(
            xml_get(&xml, "ArgumentName").as_deref(),
            Some(*argument),
            "{query}"
        );
        assert_eq!(xml_get(&xml, "EC").as_deref(), *ec, "{query}");
    }
    let res = get("startTime=1000&endTime=2000");
    assert_eq!(
        xml_get(&text(&res), "Message").as_deref(),
        Some("No ts file found in specified time span.")
    );
    // Exactly one day is fine.
    assert_eq!(get("startTime=1543895706&endTime=1543982106").status(), 200);
    assert_error(
        &api.signed(
            "GET",
            "/test-bucket/nope?vod&startTime=1543895706&endTime=1543895707",
            &[],
            b"",
        ),
        404,
        "NoSuchLiveChannel",
    );
    // Post: playlist name rules and an empty span store nothing.
    let post = |key: &str| {
        api.signed(
            "POST",
            &format!("/test-bucket/{key}?vod&startTime=1543895706&endTime=1543895707"),
            &[],
            b"",
        )
    };
    let res = post("test-channel%2Fvod.m3u");
    assert_error(&res, 400, "InvalidArgument");
    assert_eq!(xml_get(&text(&res), "EC").as_deref(), Some("0044-00000403"));
    assert_error(&post("test-channel"), 400, "InvalidArgument");
    assert_error(&post("test-channel%2Fa%2Fb.m3u8"), 400, "InvalidArgument");
    assert_error(&post("nope%2Fvod.m3u8"), 404, "NoSuchLiveChannel");
    let res = api.signed(
        "POST",
        "/test-bucket/test-channel%2Fempty.m3u8?vod&startTime=1000&endTime=2000",
        &[],
        b"",
    );
    assert_error(&res, 400, "InvalidArgument");
    assert_error(
        &api.signed("GET", "/test-bucket/test-channel/empty.m3u8", &[], b""),
        404,
        "NoSuchKey",
    );
}
