//! The LiveChannel operations through `Service::handle`
//! (`docs/oss-compatibility.md`, "LiveChannel calls"): XML against OSS's
//! documented examples and the elements oss2 requires.

mod api_support;

use api_support::*;
use futures::executor::block_on;
use livechannel::catalog::LiveRecord;
use livechannel::PublishRequest;

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

fn setup() -> Api {
    let api = Api::new();
    api.create_bucket("test-bucket", "private");
    api
}

fn put(api: &Api, channel: &str, body: &str) -> http::Response<bytes::Bytes> {
    api.signed(
        "PUT",
        &format!("/test-bucket/{channel}?live="),
        &[],
        body.as_bytes(),
    )
}

fn info(api: &Api, channel: &str) -> String {
    let res = api.signed("GET", &format!("/test-bucket/{channel}?live="), &[], b"");
    assert_eq!(res.status(), 200, "{}", text(&res));
    text(&res)
}

#[test]
fn put_live_channel_answers_the_urls_path_style() {
    let api = setup();
    let res = put(&api, "test-channel", OSS2_BODY);
    assert_eq!(res.status(), 200);
    assert_common_headers(&res);
    assert_eq!(res.headers()["content-type"], "application/xml");
    assert_eq!(
        text(&res),
        format!(
            "{DECL}<CreateLiveChannelResult><PublishUrls><Url>rtmp://127.0.0.1:9000/test-bucket/live/test-channel</Url></PublishUrls><PlayUrls><Url>http://127.0.0.1:9000/test-bucket/test-channel/playlist.m3u8</Url></PlayUrls></CreateLiveChannelResult>"
        )
    );
}

#[test]
fn put_live_channel_answers_the_urls_virtual_host_and_absolute_form() {
    let api = setup();
    let req = signed_request(
        "PUT",
        "/test-bucket/test-channel?live=",
        "test-bucket.oss.example:8080",
        &[],
        OSS2_BODY.as_bytes(),
        api.now,
        AK,
        SK,
    );
    // Re-address the signed request in virtual-host style: same signature
    // (docs/oss-compatibility.md, "Signature V1": the resource is the same in every style).
    let (mut parts, body) = req.into_parts();
    parts.uri = "/test-channel?live=".parse().unwrap();
    let res = api.send(http::Request::from_parts(parts.clone(), body.clone()));
    assert_eq!(res.status(), 200, "{}", text(&res));
    let xml = text(&res);
    assert_eq!(
        xml_get(&xml, "PublishUrls/Url").unwrap(),
        "rtmp://test-bucket.oss.example:8080/live/test-channel"
    );
    assert_eq!(
        xml_get(&xml, "PlayUrls/Url").unwrap(),
        "http://test-bucket.oss.example:8080/test-channel/playlist.m3u8"
    );
    // Through an HTTP proxy: absolute-form target, the authority wins over Host.
    parts.uri = "http://test-bucket.oss.example:8080/test-channel?live="
        .parse()
        .unwrap();
    parts
        .headers
        .insert("host", "proxy.invalid".parse().unwrap());
    let res = api.send(http::Request::from_parts(parts, body));
    assert_eq!(res.status(), 200, "{}", text(&res));
    assert_eq!(
        xml_get(&text(&res), "PublishUrls/Url").unwrap(),
        "rtmp://test-bucket.oss.example:8080/live/test-channel"
    );
}

#[test]
fn get_live_channel_info_matches_the_spec() {
    let api = setup();
    put(&api, "test-channel", OSS2_BODY);
    assert_eq!(
        info(&api, "test-channel"),
        format!("{DECL}<LiveChannelConfiguration><Description></Description><Status>enabled</Status><Target><Type>HLS</Type><FragDuration>5</FragDuration><FragCount>3</FragCount><PlaylistName>playlist.m3u8</PlaylistName></Target></LiveChannelConfiguration>")
    );
    // A bare `live` (Go SDK) is the same call.
    let res = api.signed("GET", "/test-bucket/test-channel?live", &[], b"");
    assert_eq!(text(&res), info(&api, "test-channel"));
}

#[test]
fn lenient_bodies_and_defaults() {
    let api = setup();
    // (body, (Description, Status, FragDuration, FragCount, PlaylistName))
    type Expected<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str);
    let cases: &[(&str, Expected)] = &[
        // Go SDK minimal body: everything but Type defaults.
        ("<LiveChannelConfiguration><Target><Type>HLS</Type></Target></LiveChannelConfiguration>", ("", "enabled", "5", "3", "playlist.m3u8")),
        // Declaration, whitespace, any order, no Description/Status.
        (
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LiveChannelConfiguration>\n  <Target>\n    <PlaylistName> my.m3u8 </PlaylistName>\n    <FragCount>4</FragCount>\n    <FragDuration>10</FragDuration>\n    <Type>HLS</Type>\n  </Target>\n</LiveChannelConfiguration>\n",
            ("", "enabled", "10", "4", "my.m3u8"),
        ),
        (
            "<LiveChannelConfiguration><Status>disabled</Status><Description>a &amp; b &lt;c&gt;</Description><Target><Type>HLS</Type><FragDuration>100</FragDuration><FragCount>99</FragCount><PlaylistName/></Target><Unknown>x</Unknown></LiveChannelConfiguration>",
            ("a & b <c>", "disabled", "100", "99", "playlist.m3u8"),
        ),
    ];
    for (body, (description, status, duration, count, playlist)) in cases {
        let res = put(&api, "ch", body);
        assert_eq!(res.status(), 200, "{body}: {}", text(&res));
        assert_eq!(
            xml_get(&text(&res), "PlayUrls/Url").unwrap(),
            format!("http://127.0.0.1:9000/test-bucket/ch/{playlist}")
        );
        let xml = info(&api, "ch");
        assert_eq!(
            xml_get(&xml, "Description").as_deref(),
            Some(*description),
            "{xml}"
        );
        assert_eq!(xml_get(&xml, "Status").as_deref(), Some(*status));
        assert_eq!(xml_get(&xml, "Target/Type").as_deref(), Some("HLS"));
        assert_eq!(
            xml_get(&xml, "Target/FragDuration").as_deref(),
            Some(*duration)
        );
        assert_eq!(xml_get(&xml, "Target/FragCount").as_deref(), Some(*count));
        assert_eq!(
            xml_get(&xml, "Target/PlaylistName").as_deref(),
            Some(*playlist)
        );
    }
    // Escaped text comes back escaped.
    put(&api, "esc", "<LiveChannelConfiguration><Description>a &amp; b &lt;c&gt;</Description><Target><Type>HLS</Type></Target></LiveChannelConfiguration>");
    assert!(info(&api, "esc").contains("<Description>a &amp; b &lt;c&gt;</Description>"));
}

#[test]
fn recreating_overwrites_the_whole_configuration() {
    let api = setup();
    put(&api, "ch", "<LiveChannelConfiguration><Description>d</Description><Status>disabled</Status><Target><Type>HLS</Type><FragDuration>9</FragDuration><FragCount>9</FragCount><PlaylistName>x.m3u8</PlaylistName></Target></LiveChannelConfiguration>");
    put(
        &api,
        "ch",
        "<LiveChannelConfiguration><Target><Type>HLS</Type></Target></LiveChannelConfiguration>",
    );
    let xml = info(&api, "ch");
    assert_eq!(xml_get(&xml, "Description").as_deref(), Some(""));
    assert_eq!(xml_get(&xml, "Status").as_deref(), Some("enabled"));
    assert_eq!(xml_get(&xml, "Target/FragDuration").as_deref(), Some("5"));
    assert_eq!(
        xml_get(&xml, "Target/PlaylistName").as_deref(),
        Some("playlist.m3u8")
    );
}

#[test]
fn snapshot_is_validated_stored_and_echoed() {
    let api = setup();
    let body = |snapshot: &str| {
        format!("<LiveChannelConfiguration><Target><Type>HLS</Type></Target><Snapshot>{snapshot}</Snapshot></LiveChannelConfiguration>")
    };
    let res = put(&api, "ch", &body("<RoleName>role</RoleName><DestBucket>dest-bucket</DestBucket><NotifyTopic>topic</NotifyTopic><Interval>5</Interval>"));
    assert_eq!(res.status(), 200, "{}", text(&res));
    let xml = info(&api, "ch");
    assert_eq!(xml_get(&xml, "Snapshot/RoleName").as_deref(), Some("role"));
    assert_eq!(
        xml_get(&xml, "Snapshot/DestBucket").as_deref(),
        Some("dest-bucket")
    );
    assert_eq!(
        xml_get(&xml, "Snapshot/NotifyTopic").as_deref(),
        Some("topic")
    );
    assert_eq!(xml_get(&xml, "Snapshot/Interval").as_deref(), Some("5"));
    for (snapshot, ec) in [
        ("<RoleName>r</RoleName><DestBucket>dest-bucket</DestBucket><NotifyTopic>t</NotifyTopic><Interval>0</Interval>", Some("0044-00000005")),
        ("<RoleName>r</RoleName><DestBucket>dest-bucket</DestBucket><NotifyTopic/><Interval>5</Interval>", Some("0044-00000006")),
        ("<RoleName>r</RoleName><DestBucket>Bad_Bucket</DestBucket><NotifyTopic>t</NotifyTopic><Interval>5</Interval>", Some("0044-00000008")),
        ("<RoleName>r</RoleName><NotifyTopic>t</NotifyTopic><Interval>5</Interval>", Some("0044-00000009")),
        ("<DestBucket>dest-bucket</DestBucket><NotifyTopic>t</NotifyTopic><Interval>5</Interval>", None),
    ] {
        let res = put(&api, "ch2", &body(snapshot));
        assert_error(&res, 400, "InvalidArgument");
        assert_eq!(xml_get(&text(&res), "EC").as_deref(), ec, "{snapshot}");
    }
}

#[test]
fn get_live_channel_stat_idle_disabled_and_live() {
    let api = Api::new();
    api.create_bucket("test-bucket", "public-read-write");
    put(&api, "test-channel", OSS2_BODY);
    let stat = |api: &Api| {
        let res = api.signed("GET", "/test-bucket/test-channel?live=&comp=stat", &[], b"");
        assert_eq!(res.status(), 200);
        text(&res)
    };
    assert_eq!(
        stat(&api),
        format!("{DECL}<LiveChannelStat><Status>Idle</Status></LiveChannelStat>")
    );

    // Live through this service: ConnectedTime and RemoteAddr; no Video/Audio before media.
    let publisher = block_on(api.service.publish(
        PublishRequest {
            bucket: "test-bucket".into(),
            channel: "test-channel".into(),
            query: String::new(),
            remote_addr: "10.1.2.3:47745".into(),
        },
        api.now,
    ))
    .expect("publish");
    let xml = stat(&api);
    assert_eq!(xml_get(&xml, "Status").as_deref(), Some("Live"), "{xml}");
    assert_eq!(
        xml_get(&xml, "ConnectedTime").as_deref(),
        Some("2023-11-14T22:13:20.000Z")
    );
    assert_eq!(
        xml_get(&xml, "RemoteAddr").as_deref(),
        Some("10.1.2.3:47745")
    );
    assert_eq!(xml_get(&xml, "Video"), None);

    // While live: no re-create, no delete; disabling works and tells the publisher.
    assert_error(
        &put(&api, "test-channel", OSS2_BODY),
        409,
        "ChannelStillLive",
    );
    let res = api.signed("DELETE", "/test-bucket/test-channel?live=", &[], b"");
    assert_error(&res, 409, "ChannelStillLive");
    assert_eq!(xml_get(&text(&res), "EC").as_deref(), Some("0044-00000201"));
    assert!(!publisher.is_disabled());
    let res = api.signed(
        "PUT",
        "/test-bucket/test-channel?live=&status=disabled",
        &[],
        b"",
    );
    assert_eq!(res.status(), 200);
    assert!(res.body().is_empty());
    assert!(publisher.is_disabled());
    assert_eq!(
        stat(&api),
        format!("{DECL}<LiveChannelStat><Status>Disabled</Status></LiveChannelStat>")
    );

    block_on(publisher.finish(at(NOW_S + 10))).unwrap();
    let res = api.signed(
        "PUT",
        "/test-bucket/test-channel?live=&status=enabled",
        &[],
        b"",
    );
    assert_eq!(res.status(), 200);
    assert_eq!(
        stat(&api),
        format!("{DECL}<LiveChannelStat><Status>Idle</Status></LiveChannelStat>")
    );
    // The push session is in the history.
    let res = api.signed(
        "GET",
        "/test-bucket/test-channel?live=&comp=history",
        &[],
        b"",
    );
    let xml = text(&res);
    assert_eq!(
        xml_all(&xml, "LiveRecord/StartTime"),
        vec!["2023-11-14T22:13:20.000Z"],
        "{xml}"
    );
    assert_eq!(
        xml_all(&xml, "LiveRecord/RemoteAddr"),
        vec!["10.1.2.3:47745"]
    );
    assert_eq!(
        api.signed("DELETE", "/test-bucket/test-channel?live=", &[], b"")
            .status(),
        204
    );
}

#[test]
fn a_channel_leased_by_another_node_is_live() {
    let api = setup();
    put(&api, "ch", OSS2_BODY);
    let now_ms = NOW_S * 1000;
    let catalog = api.service.catalog();
    let lease =
        block_on(catalog.take_lease("test-bucket", "ch", "node-2", now_ms, now_ms + 30_000))
            .unwrap()
            .expect("a free channel");
    let res = api.signed("GET", "/test-bucket/ch?live&comp=stat", &[], b"");
    assert_eq!(
        text(&res),
        format!("{DECL}<LiveChannelStat><Status>Live</Status></LiveChannelStat>")
    );
    // Node 2 renews, storing its statistics: this node reports them.
    let stat = livechannel::LiveStat {
        connected_ms: now_ms,
        remote_addr: "10.0.0.9:5000".into(),
        video: Some(livechannel::VideoStat {
            width: 1280,
            height: 720,
            frame_rate: 30,
            bandwidth: 375_000,
            codec: "H264".into(),
        }),
        ..Default::default()
    };
    assert!(block_on(catalog.renew_lease(
        "test-bucket",
        "ch",
        &lease,
        now_ms + 30_000,
        Some(stat)
    ))
    .unwrap()
    .is_some());
    let res = api.signed("GET", "/test-bucket/ch?live&comp=stat", &[], b"");
    let body = text(&res);
    assert_eq!(
        xml_get(&body, "RemoteAddr").as_deref(),
        Some("10.0.0.9:5000")
    );
    assert_eq!(xml_get(&body, "Video/Height").as_deref(), Some("720"));
    assert_error(&put(&api, "ch", OSS2_BODY), 409, "ChannelStillLive");
    // Once the lease expires, the channel is idle again.
    let req = signed_request(
        "GET",
        "/test-bucket/ch?live&comp=stat",
        HOST,
        &[],
        b"",
        at(NOW_S + 31),
        AK,
        SK,
    );
    let res = api.send_at(req, at(NOW_S + 31));
    assert_eq!(xml_get(&text(&res), "Status").as_deref(), Some("Idle"));
}

#[test]
fn history_lists_the_last_ten_sessions_oldest_first() {
    let api = setup();
    put(&api, "ch", OSS2_BODY);
    let res = api.signed("GET", "/test-bucket/ch?live=&comp=history", &[], b"");
    assert_eq!(
        text(&res),
        format!("{DECL}<LiveChannelHistory></LiveChannelHistory>")
    );
    for i in 0..12u64 {
        let record = LiveRecord {
            start_ms: 1_469_843_601_000 + i * 60_000,
            end_ms: 1_469_843_611_000 + i * 60_000,
            remote_addr: format!("10.101.194.148:{}", 56861 + i),
            end_reason: None,
        };
        block_on(
            api.service
                .catalog()
                .add_history("test-bucket", "ch", record),
        )
        .unwrap();
    }
    let xml = text(&api.signed("GET", "/test-bucket/ch?live=&comp=history", &[], b""));
    let starts = xml_all(&xml, "LiveRecord/StartTime");
    assert_eq!(starts.len(), 10);
    assert_eq!(starts[0], "2016-07-30T01:55:21.000Z");
    assert_eq!(
        xml_all(&xml, "LiveRecord/EndTime")[0],
        "2016-07-30T01:55:31.000Z"
    );
    assert_eq!(
        xml_all(&xml, "LiveRecord/RemoteAddr")[9],
        "10.101.194.148:56872"
    );
    assert!(xml.contains("<LiveRecord><StartTime>2016-07-30T01:55:21.000Z</StartTime><EndTime>2016-07-30T01:55:31.000Z</EndTime><RemoteAddr>10.101.194.148:56863</RemoteAddr></LiveRecord>"));
}

#[test]
fn list_live_channel_pages_over_150_channels() {
    let api = setup();
    for i in 0..150 {
        let res = put(&api, &format!("channel-{i:03}"), OSS2_BODY);
        assert_eq!(res.status(), 200);
    }
    put(&api, "other", OSS2_BODY);
    // oss2 sends all three parameters, even empty.
    let res = api.signed(
        "GET",
        "/test-bucket/?live=&prefix=channel-&marker=&max-keys=100",
        &[],
        b"",
    );
    assert_eq!(res.status(), 200);
    let xml = text(&res);
    assert_eq!(xml_get(&xml, "Prefix").as_deref(), Some("channel-"));
    assert_eq!(xml_get(&xml, "Marker").as_deref(), Some(""));
    assert_eq!(xml_get(&xml, "MaxKeys").as_deref(), Some("100"));
    assert_eq!(xml_get(&xml, "IsTruncated").as_deref(), Some("true"));
    assert_eq!(xml_get(&xml, "NextMarker").as_deref(), Some("channel-099"));
    let names = xml_all(&xml, "LiveChannel/Name");
    assert_eq!(names.len(), 100);
    assert_eq!(names[0], "channel-000");
    for path in [
        "Description",
        "Status",
        "LastModified",
        "PublishUrls/Url",
        "PlayUrls/Url",
    ] {
        assert_eq!(
            xml_all(&xml, &format!("LiveChannel/{path}")).len(),
            100,
            "{path}"
        );
    }
    assert_eq!(
        xml_all(&xml, "LiveChannel/LastModified")[0],
        "2023-11-14T22:13:20.000Z"
    );
    assert_eq!(
        xml_all(&xml, "LiveChannel/PublishUrls/Url")[0],
        "rtmp://127.0.0.1:9000/test-bucket/live/channel-000"
    );
    assert_eq!(
        xml_all(&xml, "LiveChannel/PlayUrls/Url")[0],
        "http://127.0.0.1:9000/test-bucket/channel-000/playlist.m3u8"
    );

    let res = api.signed(
        "GET",
        "/test-bucket/?live=&prefix=channel-&marker=channel-099&max-keys=100",
        &[],
        b"",
    );
    let xml = text(&res);
    assert_eq!(xml_get(&xml, "IsTruncated").as_deref(), Some("false"));
    assert_eq!(
        xml_get(&xml, "NextMarker"),
        None,
        "NextMarker only when truncated"
    );
    let names = xml_all(&xml, "LiveChannel/Name");
    assert_eq!(
        (names.len(), names[0].as_str(), names[49].as_str()),
        (50, "channel-100", "channel-149")
    );

    // Marker is exclusive; no max-keys means 100; a bare `live` works too.
    let xml = text(&api.signed("GET", "/test-bucket/?live&marker=channel-148", &[], b""));
    assert_eq!(
        xml_all(&xml, "LiveChannel/Name"),
        vec!["channel-149", "other"]
    );
    assert_eq!(xml_get(&xml, "MaxKeys").as_deref(), Some("100"));
    // Paging with max-keys=7 visits every channel once.
    let mut marker = String::new();
    let mut seen = Vec::new();
    loop {
        let xml = text(&api.signed(
            "GET",
            &format!("/test-bucket/?live=&prefix=&marker={marker}&max-keys=7"),
            &[],
            b"",
        ));
        seen.extend(xml_all(&xml, "LiveChannel/Name"));
        match xml_get(&xml, "NextMarker") {
            Some(next) => marker = next,
            None => break,
        }
    }
    assert_eq!(seen.len(), 151);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));

    for bad in ["0", "1001", "-1", "abc", "1.5"] {
        let res = api.signed(
            "GET",
            &format!("/test-bucket/?live=&max-keys={bad}"),
            &[],
            b"",
        );
        assert_error(&res, 400, "InvalidArgument");
        let xml = text(&res);
        assert_eq!(xml_get(&xml, "ArgumentName").as_deref(), Some("max-keys"));
        assert_eq!(xml_get(&xml, "EC").as_deref(), Some("0044-00000101"));
    }
    let res = api.signed("GET", "/test-bucket/?live=&max-keys=1000", &[], b"");
    assert_eq!(xml_all(&text(&res), "LiveChannel/Name").len(), 151);
}

#[test]
fn status_changes_are_idempotent_and_checked() {
    let api = setup();
    put(&api, "ch", OSS2_BODY);
    for status in ["disabled", "disabled", "enabled", "enabled"] {
        let res = api.signed(
            "PUT",
            &format!("/test-bucket/ch?live=&status={status}"),
            &[],
            b"",
        );
        assert_eq!(res.status(), 200);
        assert_common_headers(&res);
        assert_eq!(
            xml_get(&info(&api, "ch"), "Status").as_deref(),
            Some(status)
        );
    }
    let res = api.signed("PUT", "/test-bucket/ch?live=&status=paused", &[], b"");
    assert_error(&res, 400, "InvalidArgument");
    assert_eq!(xml_get(&text(&res), "EC").as_deref(), Some("0017-00000255"));
    assert_error(
        &api.signed("PUT", "/test-bucket/nope?live=&status=enabled", &[], b""),
        404,
        "NoSuchLiveChannel",
    );
}

#[test]
fn delete_live_channel_keeps_the_objects() {
    let api = setup();
    put(&api, "ch", OSS2_BODY);
    api.signed("PUT", "/test-bucket/ch/playlist.m3u8", &[], b"#EXTM3U\n");
    let res = api.signed("DELETE", "/test-bucket/ch?live=", &[], b"");
    assert_eq!(res.status(), 204);
    assert!(res.body().is_empty());
    assert_common_headers(&res);
    assert_error(
        &api.signed("GET", "/test-bucket/ch?live=", &[], b""),
        404,
        "NoSuchLiveChannel",
    );
    assert_error(
        &api.signed("DELETE", "/test-bucket/ch?live=", &[], b""),
        404,
        "NoSuchLiveChannel",
    );
    assert_eq!(
        api.signed("GET", "/test-bucket/ch/playlist.m3u8", &[], b"")
            .status(),
        200
    );
}
