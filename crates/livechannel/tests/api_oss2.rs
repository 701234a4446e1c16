//! Requests captured from the real oss2 2.19.1 SDK (tests/data/oss2_*.txt,
//! see oss2_README.txt), replayed through `Service::handle`: each must
//! verify with the matching key and get the status oss2 expects.

mod api_support;

use std::time::SystemTime;

use api_support::*;
use bytes::Bytes;
use http::Request;
use livechannel::addressing::{parse_query, Plus};
use livechannel::auth::verify_rtmp;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/oss2_{name}.txt", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A raw HTTP/1.1 request (CRLF or LF line ends) as an `http::Request`.
fn parse_raw(raw: &[u8]) -> Request<Bytes> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| (at, at + 4))
        .or_else(|| {
            raw.windows(2)
                .position(|w| w == b"\n\n")
                .map(|at| (at, at + 2))
        })
        .expect("a blank line after the head");
    let head = std::str::from_utf8(&raw[..split.0]).unwrap();
    let mut lines = head.lines().map(|l| l.trim_end_matches('\r'));
    let mut request_line = lines.next().unwrap().split(' ');
    let (method, target) = (request_line.next().unwrap(), request_line.next().unwrap());
    let mut builder = Request::builder().method(method).uri(target);
    let mut length = 0;
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().unwrap();
        }
        builder = builder.header(name.trim(), value.trim());
    }
    let body = &raw[split.1..];
    assert_eq!(body.len(), length, "{head}");
    builder.body(Bytes::copy_from_slice(body)).unwrap()
}

/// The request's own Date (oss2 signs with the wall clock of the capture).
fn date_of(req: &Request<Bytes>) -> SystemTime {
    httpdate::parse_http_date(req.headers()["date"].to_str().unwrap()).unwrap()
}

fn replay(api: &Api, name: &str) -> http::Response<Bytes> {
    let req = parse_raw(&fixture(name));
    let now = date_of(&req);
    api.send_at(req, now)
}

#[test]
fn the_oss2_session_replays() {
    let api = Api::new();
    let steps: &[(&str, u16)] = &[
        ("put_bucket", 200),
        ("create_live_channel", 200),
        ("get_live_channel", 200),
        ("get_live_channel_stat", 200),
        ("get_live_channel_history", 200),
        ("list_live_channel", 200),
        ("put_live_channel_status", 200),
        ("post_vod_playlist", 200),
        ("get_vod_playlist", 200),
        ("put_object", 200),
        ("get_object_range", 206),
        ("head_object", 200),
        ("list_objects", 200),
        ("delete_object", 204),
        ("list_buckets", 200),
        ("sts_get_live_channel", 200),
        ("vhost_proxy_get_live_channel", 200),
        ("vhost_proxy_list_live_channel", 200),
        ("delete_live_channel", 204),
        // vod.m3u8 (written by PostVodPlaylist) is still in the bucket.
        ("delete_bucket", 409),
    ];
    for (name, status) in steps {
        if *name == "post_vod_playlist" {
            api.add_oss2_segments(3);
        }
        let res = replay(&api, name);
        assert_eq!(res.status(), *status, "{name}: {}", text(&res));
        let body = text(&res);
        match *name {
            "create_live_channel" => {
                assert_eq!(
                    xml_get(&body, "PublishUrls/Url").unwrap(),
                    "rtmp://127.0.0.1:41755/test-bucket/live/test-channel"
                );
                assert_eq!(
                    xml_get(&body, "PlayUrls/Url").unwrap(),
                    "http://127.0.0.1:41755/test-bucket/test-channel/playlist.m3u8"
                );
            }
            "get_live_channel" | "sts_get_live_channel" | "vhost_proxy_get_live_channel" => {
                assert_eq!(
                    xml_get(&body, "Description").as_deref(),
                    Some("my channel"),
                    "{name}"
                );
            }
            "get_live_channel_stat" => {
                assert_eq!(xml_get(&body, "Status").as_deref(), Some("Idle"))
            }
            "list_live_channel" => {
                assert_eq!(xml_all(&body, "LiveChannel/Name"), vec!["test-channel"])
            }
            "get_vod_playlist" => assert!(
                body.contains("1700000010000.ts\n#EXT-X-ENDLIST\n"),
                "{body}"
            ),
            "get_object_range" => assert_eq!(body, "hello"),
            "list_objects" => assert_eq!(
                xml_all(&body, "Contents/Key"),
                vec!["test-channel/notes.txt", "test-channel/vod.m3u8"]
            ),
            "list_buckets" => {
                assert_eq!(xml_all(&body, "Buckets/Bucket/Name"), vec!["test-bucket"])
            }
            "vhost_proxy_list_live_channel" => {
                assert_eq!(
                    xml_get(&body, "LiveChannel/PublishUrls/Url").unwrap(),
                    "rtmp://test-bucket.oss.example:9000/live/test-channel"
                );
            }
            _ => {}
        }
    }
}

#[test]
fn a_presigned_url_from_oss2_verifies() {
    let api = Api::new();
    api.create_bucket("test-bucket", "private");
    api.signed(
        "PUT",
        "/test-bucket/test-channel/notes.txt",
        &[],
        b"hello oss",
    );
    let req = parse_raw(&fixture("presigned_get"));
    let expires: u64 = req
        .uri()
        .query()
        .unwrap()
        .split('&')
        .find_map(|p| p.strip_prefix("Expires="))
        .unwrap()
        .parse()
        .unwrap();
    let res = api.send_at(req, at(expires - 3600));
    assert_eq!(res.status(), 200, "{}", text(&res));
    assert_eq!(text(&res), "hello oss");
    let res = api.send_at(parse_raw(&fixture("presigned_get")), at(expires + 1));
    assert_error(&res, 403, "AccessDenied");
}

#[test]
fn every_oss2_request_fails_with_another_secret() {
    let mut config = config(true);
    config
        .access_keys
        .insert(AK.to_owned(), "ANOTHER-SECRET".to_owned());
    let api = Api::with_config(config);
    for name in [
        "put_bucket",
        "create_live_channel",
        "get_live_channel",
        "get_live_channel_stat",
        "get_live_channel_history",
        "list_live_channel",
        "put_live_channel_status",
        "post_vod_playlist",
        "get_vod_playlist",
        "put_object",
        "get_object_range",
        "list_objects",
        "delete_object",
        "list_buckets",
        "sts_get_live_channel",
        "vhost_proxy_get_live_channel",
        "vhost_proxy_list_live_channel",
        "delete_live_channel",
        "delete_bucket",
    ] {
        let res = replay(&api, name);
        assert_error(&res, 403, "SignatureDoesNotMatch");
    }
    let res = replay(&api, "head_object");
    assert_eq!(res.status(), 403);
    assert!(res.headers().contains_key("x-oss-err"));
}

#[test]
fn oss2_rtmp_urls_verify() {
    let urls = String::from_utf8(fixture("sign_rtmp_url")).unwrap();
    let keys = config(true).access_keys;
    let mut count = 0;
    for url in urls.lines().filter(|l| !l.is_empty()) {
        let (_, query) = url.split_once('?').unwrap();
        let params = parse_query(query, Plus::Literal);
        let expires: u64 = params
            .iter()
            .find(|(k, _)| k == "Expires")
            .unwrap()
            .1
            .parse()
            .unwrap();
        assert_eq!(
            verify_rtmp(
                &keys,
                "test-bucket",
                "test-channel",
                &params,
                expires - 3600
            ),
            Ok(()),
            "{url}"
        );
        assert!(verify_rtmp(&keys, "test-bucket", "test-channel", &params, expires + 1).is_err());
        assert!(verify_rtmp(
            &keys,
            "test-bucket",
            "other-channel",
            &params,
            expires - 3600
        )
        .is_err());
        count += 1;
    }
    assert_eq!(count, 3);
}
