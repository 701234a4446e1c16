//! Every row of the error catalogue (`docs/oss-compatibility.md`, "Errors"):
//! HTTP status and Code as oss2 maps them to exception classes, plus EC
//! where OSS documents one.

mod api_support;

use api_support::*;
use futures::executor::block_on;

fn setup() -> Api {
    let api = Api::new();
    api.create_bucket("test-bucket", "private");
    api.create_channel("test-bucket", "test-channel");
    api
}

fn ec(res: &http::Response<bytes::Bytes>) -> Option<String> {
    xml_get(&text(res), "EC")
}

#[test]
fn channel_missing_is_404_no_such_live_channel() {
    let api = setup();
    let calls = [
        ("GET", "/test-bucket/nope?live="),
        ("GET", "/test-bucket/nope?live=&comp=stat"),
        ("GET", "/test-bucket/nope?live=&comp=history"),
        ("PUT", "/test-bucket/nope?live=&status=disabled"),
        ("DELETE", "/test-bucket/nope?live="),
        (
            "GET",
            "/test-bucket/nope?vod=&startTime=1700000000&endTime=1700000100",
        ),
        (
            "POST",
            "/test-bucket/nope%2Fv.m3u8?vod=&startTime=1700000000&endTime=1700000100",
        ),
    ];
    for (method, uri) in calls {
        let res = api.signed(method, uri, &[], b"");
        assert_error(&res, 404, "NoSuchLiveChannel");
        assert_eq!(ec(&res).as_deref(), Some("0026-00000021"), "{method} {uri}");
        assert_eq!(
            xml_get(&text(&res), "Message").as_deref(),
            Some("The specified live channel does not exist.")
        );
    }
}

#[test]
fn bucket_missing_is_404_no_such_bucket() {
    let api = setup();
    for (method, uri, body) in [
        ("PUT", "/no-bucket/ch?live=", OSS2_BODY.as_bytes()),
        ("GET", "/no-bucket/ch?live=", b"".as_slice()),
        ("GET", "/no-bucket/?live=&prefix=&marker=&max-keys=100", b""),
        ("GET", "/no-bucket/key", b""),
        ("PUT", "/no-bucket/key", b"x"),
        ("GET", "/no-bucket/", b""),
        ("DELETE", "/no-bucket/", b""),
    ] {
        assert_error(&api.signed(method, uri, &[], body), 404, "NoSuchBucket");
        // Anonymous callers learn the same (the bucket is looked up before its ACL).
        assert_error(&api.anon(method, uri, &[], body), 404, "NoSuchBucket");
    }
}

#[test]
fn bad_xml_is_400_malformed_xml() {
    let api = setup();
    for body in [
        "",
        "not xml",
        "<LiveChannelConfiguration><Target><Type>HLS</Type></Target>",
        "<LiveChannelConfiguration><Target><Type>HLS</Target></Type></LiveChannelConfiguration>",
        "<LiveChannelConfiguration><Description>&nbsp;</Description></LiveChannelConfiguration>",
        "<CreateBucketConfiguration><Target><Type>HLS</Type></Target></CreateBucketConfiguration>",
        "<LiveChannelConfiguration/><LiveChannelConfiguration/>",
    ] {
        let res = api.signed("PUT", "/test-bucket/ch?live=", &[], body.as_bytes());
        assert_error(&res, 400, "MalformedXML");
    }
    let res = api.signed("PUT", "/test-bucket/ch?live=", &[], b"\xff\xfe<A/>");
    assert_error(&res, 400, "MalformedXML");
    let huge = format!(
        "<LiveChannelConfiguration><Description>{}</Description></LiveChannelConfiguration>",
        "x".repeat(70_000)
    );
    assert_eq!(
        api.signed("PUT", "/test-bucket/ch?live=", &[], huge.as_bytes())
            .status(),
        400
    );
}

#[test]
fn bad_fields_are_400_invalid_argument() {
    let api = setup();
    let body =
        |inner: &str| format!("<LiveChannelConfiguration>{inner}</LiveChannelConfiguration>");
    let target = |inner: &str| body(&format!("<Target>{inner}</Target>"));
    let long_description = body(&format!(
        "<Description>{}</Description><Target><Type>HLS</Type></Target>",
        "d".repeat(129)
    ));
    let cases: Vec<(String, &str)> = vec![
        (long_description, "Description"),
        (body("<Description>a\u{1}b</Description><Target><Type>HLS</Type></Target>"), "Description"),
        (body("<Status>paused</Status><Target><Type>HLS</Type></Target>"), "Status"),
        (body("<Description>x</Description>"), "Target"),
        (target("<Type>RTMP</Type>"), "Type"),
        (target("<FragDuration>5</FragDuration><FragCount>3</FragCount>"), "Type"),
        (target("<Type>HLS</Type><FragDuration>200</FragDuration><FragCount>3</FragCount>"), "FragDuration"),
        (target("<Type>HLS</Type><FragDuration>0</FragDuration><FragCount>3</FragCount>"), "FragDuration"),
        (target("<Type>HLS</Type><FragDuration>five</FragDuration><FragCount>3</FragCount>"), "FragDuration"),
        (target("<Type>HLS</Type><FragDuration>5</FragDuration><FragCount>0</FragCount>"), "FragCount"),
        (target("<Type>HLS</Type><FragDuration>5</FragDuration><FragCount>199</FragCount>"), "FragCount"),
        (target("<Type>HLS</Type><FragDuration>5</FragDuration>"), "FragCount"),
        (target("<Type>HLS</Type><FragCount>3</FragCount>"), "FragDuration"),
        (target("<Type>HLS</Type><PlaylistName>a.m3u8x</PlaylistName>"), "PlaylistName"),
        (target("<Type>HLS</Type><PlaylistName>.m3u8</PlaylistName>"), "PlaylistName"),
        (target(&format!("<Type>HLS</Type><PlaylistName>{}.m3u8</PlaylistName>", "p".repeat(124))), "PlaylistName"),
        (target("<Type>HLS</Type><PlaylistName>a/b.m3u8</PlaylistName>"), "PlaylistName"),
        (body("<Target><Type>HLS</Type></Target><Snapshot><RoleName>r</RoleName><DestBucket>dest-bucket</DestBucket><NotifyTopic>t</NotifyTopic><Interval>101</Interval></Snapshot>"), "Interval"),
    ];
    for (body, argument) in &cases {
        let res = api.signed("PUT", "/test-bucket/ch?live=", &[], body.as_bytes());
        assert_error(&res, 400, "InvalidArgument");
        assert_eq!(
            xml_get(&text(&res), "ArgumentName").as_deref(),
            Some(*argument),
            "{body}"
        );
        assert!(xml_get(&text(&res), "ArgumentValue").is_some());
    }
    // Limits themselves are accepted: FragDuration 100 with FragCount 99 (Java SDK test), 128-character playlist.
    for ok in [
        target("<Type>HLS</Type><FragDuration>100</FragDuration><FragCount>99</FragCount>"),
        target(&format!(
            "<Type>HLS</Type><PlaylistName>{}.m3u8</PlaylistName>",
            "p".repeat(123)
        )),
        body(&format!(
            "<Description>{}</Description><Target><Type>HLS</Type></Target>",
            "d".repeat(128)
        )),
    ] {
        assert_eq!(
            api.signed("PUT", "/test-bucket/ch?live=", &[], ok.as_bytes())
                .status(),
            200,
            "{ok}"
        );
    }
    // Nothing invalid was stored.
    let xml = text(&api.signed("GET", "/test-bucket/?live=", &[], b""));
    assert_eq!(
        xml_all(&xml, "LiveChannel/Name"),
        vec!["ch", "test-channel"]
    );

    // The query-side rows: max-keys, status value, VOD times and names, no TS (see also api_vod).
    for (method, uri) in [
        ("GET", "/test-bucket/?live=&max-keys=1001"),
        ("PUT", "/test-bucket/test-channel?live=&status=on"),
        (
            "GET",
            "/test-bucket/test-channel?vod=&startTime=a&endTime=1",
        ),
        ("GET", "/test-bucket/test-channel?vod=&startTime=1700000000"),
        (
            "GET",
            "/test-bucket/test-channel?vod=&startTime=1700000100&endTime=1700000000",
        ),
        (
            "GET",
            "/test-bucket/test-channel?vod=&startTime=1700000000&endTime=1700090000",
        ),
        (
            "POST",
            "/test-bucket/test-channel%2Fvod.txt?vod=&startTime=1700000000&endTime=1700000100",
        ),
        (
            "GET",
            "/test-bucket/test-channel?vod=&startTime=1700000000&endTime=1700000100",
        ),
    ] {
        assert_error(&api.signed(method, uri, &[], b""), 400, "InvalidArgument");
    }
}

#[test]
fn update_or_delete_while_live_is_409_channel_still_live() {
    let api = setup();
    let now_ms = NOW_S * 1000;
    assert!(block_on(api.service.catalog().take_lease(
        "test-bucket",
        "test-channel",
        "node-2",
        now_ms,
        now_ms + 30_000
    ))
    .unwrap()
    .is_some());
    for (method, body) in [("PUT", OSS2_BODY.as_bytes()), ("DELETE", b"".as_slice())] {
        let res = api.signed(method, "/test-bucket/test-channel?live=", &[], body);
        assert_error(&res, 409, "ChannelStillLive");
        assert_eq!(ec(&res).as_deref(), Some("0044-00000201"));
    }
    // Disabling is allowed while live.
    assert_eq!(
        api.signed(
            "PUT",
            "/test-bucket/test-channel?live=&status=disabled",
            &[],
            b""
        )
        .status(),
        200
    );
}

#[test]
fn unsigned_private_bad_signature_and_unknown_key_are_403() {
    let api = setup();
    assert_error(
        &api.anon("GET", "/test-bucket/test-channel?live=", &[], b""),
        403,
        "AccessDenied",
    );
    let req = signed_request(
        "GET",
        "/test-bucket/test-channel?live=",
        HOST,
        &[],
        b"",
        api.now,
        AK,
        "not-the-secret",
    );
    assert_error(&api.send(req), 403, "SignatureDoesNotMatch");
    let req = signed_request(
        "GET",
        "/test-bucket/test-channel?live=",
        HOST,
        &[],
        b"",
        api.now,
        "UNKNOWN",
        SK,
    );
    assert_error(&api.send(req), 403, "InvalidAccessKeyId");
    // A signature for another resource does not carry over.
    let req = signed_request(
        "GET",
        "/test-bucket/test-channel?live=",
        HOST,
        &[],
        b"",
        api.now,
        AK,
        SK,
    );
    let (mut parts, body) = req.into_parts();
    parts.uri = "/test-bucket/test-channel?live=&comp=stat".parse().unwrap();
    assert_error(
        &api.send(http::Request::from_parts(parts, body)),
        403,
        "SignatureDoesNotMatch",
    );
    // Unsupported authorization schemes.
    let res = api.anon(
        "GET",
        "/test-bucket/test-channel?live=",
        &[(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AK/20231114/us-east-1/s3/aws4_request, Signature=00",
        )],
        b"",
    );
    assert_error(&res, 400, "InvalidArgument");
}
