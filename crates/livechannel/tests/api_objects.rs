//! Buckets and objects (`docs/oss-compatibility.md`, "Bucket and object
//! calls"), addressing ("Addressing"), key safety,
//! ranges, CORS and HEAD errors, through `Service::handle`.

mod api_support;

use api_support::*;
use base64::Engine;

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

fn setup() -> Api {
    let api = Api::new();
    api.create_bucket("test-bucket", "public-read");
    api
}

#[test]
fn buckets_are_created_listed_and_deleted() {
    let api = Api::new();
    let res = api.signed("PUT", "/test-bucket/", &[], b"");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["location"], "/test-bucket");
    assert_common_headers(&res);
    api.create_bucket("other-bucket", "public-read-write");
    let res = api.signed("GET", "/", &[], b"");
    assert_eq!(res.status(), 200);
    let xml = text(&res);
    assert_eq!(xml_root(&xml), "ListAllMyBucketsResult");
    assert_eq!(
        xml_all(&xml, "Buckets/Bucket/Name"),
        vec!["other-bucket", "test-bucket"]
    );
    for path in [
        "Location",
        "CreationDate",
        "ExtranetEndpoint",
        "IntranetEndpoint",
        "StorageClass",
    ] {
        assert_eq!(
            xml_all(&xml, &format!("Buckets/Bucket/{path}")).len(),
            2,
            "{path}"
        );
    }
    assert_eq!(
        xml_get(&xml, "Buckets/Bucket/CreationDate").as_deref(),
        Some("2023-11-14T22:13:20.000Z")
    );
    assert_eq!(
        xml_get(&xml, "Buckets/Bucket/ExtranetEndpoint").as_deref(),
        Some(HOST)
    );
    // Paging and prefix.
    let xml = text(&api.signed("GET", "/?prefix=&marker=&max-keys=1", &[], b""));
    assert_eq!(xml_get(&xml, "IsTruncated").as_deref(), Some("true"));
    assert_eq!(xml_get(&xml, "NextMarker").as_deref(), Some("other-bucket"));
    let xml = text(&api.signed("GET", "/?prefix=test", &[], b""));
    assert_eq!(xml_all(&xml, "Buckets/Bucket/Name"), vec!["test-bucket"]);

    // ACL: re-creating keeps the bucket and applies a given ACL; ?acl reads and sets it.
    let acl = |api: &Api| {
        xml_get(
            &text(&api.signed("GET", "/test-bucket/?acl", &[], b"")),
            "AccessControlList/Grant",
        )
    };
    assert_eq!(acl(&api).as_deref(), Some("private"));
    api.signed("PUT", "/test-bucket/", &[("x-oss-acl", "public-read")], b"");
    assert_eq!(acl(&api).as_deref(), Some("public-read"));
    api.signed(
        "PUT",
        "/test-bucket/?acl",
        &[("x-oss-acl", "public-read-write")],
        b"",
    );
    assert_eq!(acl(&api).as_deref(), Some("public-read-write"));
    assert_error(
        &api.signed(
            "PUT",
            "/test-bucket/?acl",
            &[("x-oss-acl", "everyone")],
            b"",
        ),
        400,
        "InvalidArgument",
    );
    assert_error(
        &api.signed("PUT", "/test-bucket/?acl", &[], b""),
        400,
        "InvalidArgument",
    );

    // Not empty while it holds an object or a channel.
    api.signed("PUT", "/test-bucket/a.txt", &[], b"a");
    assert_error(
        &api.signed("DELETE", "/test-bucket/", &[], b""),
        409,
        "BucketNotEmpty",
    );
    api.signed("DELETE", "/test-bucket/a.txt", &[], b"");
    api.create_channel("test-bucket", "ch");
    assert_error(
        &api.signed("DELETE", "/test-bucket/", &[], b""),
        409,
        "BucketNotEmpty",
    );
    api.signed("DELETE", "/test-bucket/ch?live", &[], b"");
    let res = api.signed("DELETE", "/test-bucket/", &[], b"");
    assert_eq!(res.status(), 204);
    assert_error(
        &api.signed("DELETE", "/test-bucket/", &[], b""),
        404,
        "NoSuchBucket",
    );
    assert_error(
        &api.signed("PUT", "/Bad_Bucket/", &[], b""),
        400,
        "InvalidBucketName",
    );
}

#[test]
fn objects_round_trip_with_types_etags_and_dates() {
    let api = setup();
    let res = api.signed(
        "PUT",
        "/test-bucket/ch/1543895706266.ts",
        &[],
        b"0123456789",
    );
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, "\"781E5E245D69B566979B86E28D23F2C7\"");
    let res = api.anon("GET", "/test-bucket/ch/1543895706266.ts", &[], b"");
    assert_eq!(res.status(), 200);
    assert_common_headers(&res);
    assert_eq!(res.body().as_ref(), b"0123456789");
    assert_eq!(res.headers()["content-type"], "video/MP2T");
    assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(
        res.headers()["last-modified"],
        "Tue, 14 Nov 2023 22:13:20 GMT"
    );
    assert_eq!(res.headers()["accept-ranges"], "bytes");
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(res.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("ETag"));
    // The stored type when the extension says nothing.
    api.signed(
        "PUT",
        "/test-bucket/blob",
        &[("content-type", "application/x-custom")],
        b"x",
    );
    assert_eq!(
        api.anon("GET", "/test-bucket/blob", &[], b"").headers()["content-type"],
        "application/x-custom"
    );
    api.signed("PUT", "/test-bucket/blob2", &[], b"x");
    assert_eq!(
        api.anon("GET", "/test-bucket/blob2", &[], b"").headers()["content-type"],
        "application/octet-stream"
    );
    // Presigned response-* overrides.
    let res = api.anon(
        "GET",
        "/test-bucket/blob?response-content-type=text%2Fplain&response-cache-control=no-cache",
        &[],
        b"",
    );
    assert_eq!(res.headers()["content-type"], "text/plain");
    assert_eq!(res.headers()["cache-control"], "no-cache");
    // If-None-Match.
    let res = api.anon(
        "GET",
        "/test-bucket/ch/1543895706266.ts",
        &[("if-none-match", &etag)],
        b"",
    );
    assert_eq!(res.status(), 304);
    assert!(res.body().is_empty());
    // Content-MD5 is checked.
    let md5 = base64::engine::general_purpose::STANDARD.encode([0u8; 16]);
    assert_error(
        &api.signed("PUT", "/test-bucket/x", &[("content-md5", &md5)], b"abc"),
        400,
        "InvalidDigest",
    );
    let md5 =
        base64::engine::general_purpose::STANDARD.encode(hex("900150983cd24fb0d6963f7d28e17f72"));
    assert_eq!(
        api.signed("PUT", "/test-bucket/x", &[("content-md5", &md5)], b"abc")
            .status(),
        200
    );
    // Delete is 204, also for a missing object; then GET is 404 NoSuchKey.
    let res = api.signed("DELETE", "/test-bucket/ch/1543895706266.ts", &[], b"");
    assert_eq!(res.status(), 204);
    assert_eq!(
        api.signed("DELETE", "/test-bucket/ch/1543895706266.ts", &[], b"")
            .status(),
        204
    );
    let res = api.anon("GET", "/test-bucket/ch/1543895706266.ts", &[], b"");
    assert_error(&res, 404, "NoSuchKey");
    assert_eq!(
        xml_get(&text(&res), "Key").as_deref(),
        Some("ch/1543895706266.ts")
    );
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn range_requests() {
    let api = setup();
    api.signed("PUT", "/test-bucket/r.bin", &[], b"0123456789");
    let get = |range: &str| api.anon("GET", "/test-bucket/r.bin", &[("range", range)], b"");
    let cases: &[(&str, u16, &[u8], Option<&str>)] = &[
        ("bytes=0-3", 206, b"0123", Some("bytes 0-3/10")),
        ("bytes=7-", 206, b"789", Some("bytes 7-9/10")),
        ("bytes=-2", 206, b"89", Some("bytes 8-9/10")),
        ("bytes=-20", 206, b"0123456789", Some("bytes 0-9/10")),
        ("bytes=8-100", 206, b"89", Some("bytes 8-9/10")),
        ("bytes=9-9", 206, b"9", Some("bytes 9-9/10")),
        // Ignored, as OSS does: the whole object.
        ("bytes=5-2", 200, b"0123456789", None),
        ("bytes=0-1,4-5", 200, b"0123456789", None),
        ("lines=1-2", 200, b"0123456789", None),
    ];
    for (range, status, body, content_range) in cases {
        let res = get(range);
        assert_eq!(res.status(), *status, "{range}");
        assert_eq!(res.body().as_ref(), *body, "{range}");
        assert_eq!(
            res.headers()
                .get("content-range")
                .map(|v| v.to_str().unwrap()),
            *content_range,
            "{range}"
        );
        assert_eq!(
            res.headers()["content-length"],
            body.len().to_string().as_str()
        );
    }
    for range in ["bytes=10-", "bytes=10-20", "bytes=-0"] {
        let res = get(range);
        assert_error(&res, 416, "InvalidRange");
        assert_eq!(res.headers()["content-range"], "bytes */10", "{range}");
    }
}

#[test]
fn head_answers_headers_only_and_errors_in_x_oss_err() {
    let api = setup();
    api.signed("PUT", "/test-bucket/ch/playlist.m3u8", &[], b"#EXTM3U\n");
    let res = api.anon("HEAD", "/test-bucket/ch/playlist.m3u8", &[], b"");
    assert_eq!(res.status(), 200);
    assert!(res.body().is_empty());
    assert_eq!(res.headers()["content-length"], "8");
    assert_eq!(res.headers()["content-type"], "application/x-mpegURL");
    // Playlists change: players must revalidate them.
    assert_eq!(res.headers()["cache-control"], "no-cache");
    api.signed("PUT", "/test-bucket/ch/1.ts", &[], b"G");
    let res = api.anon("GET", "/test-bucket/ch/1.ts", &[], b"");
    assert!(!res.headers().contains_key("cache-control"));
    let res = api.anon("HEAD", "/test-bucket/ch/missing.ts", &[], b"");
    assert_eq!(res.status(), 404);
    assert!(res.body().is_empty());
    let err = base64::engine::general_purpose::STANDARD
        .decode(res.headers()["x-oss-err"].as_bytes())
        .unwrap();
    let err = String::from_utf8(err).unwrap();
    assert!(err.starts_with(DECL));
    assert_eq!(xml_get(&err, "Code").as_deref(), Some("NoSuchKey"));
    assert_eq!(
        xml_get(&err, "RequestId").as_deref(),
        Some(res.headers()["x-oss-request-id"].to_str().unwrap())
    );
}

#[test]
fn list_objects_with_prefix_delimiter_paging_and_url_encoding() {
    let api = setup();
    for key in [
        "a/1.ts",
        "a/2.ts",
        "b/x/1.ts",
        "b/y.ts",
        "c.txt",
        "d e/ü.ts",
        "e/1",
        "e/2",
        "e/3",
    ] {
        api.signed(
            "PUT",
            &format!(
                "/test-bucket/{}",
                key.replace(' ', "%20").replace('ü', "%C3%BC")
            ),
            &[],
            b"data",
        );
    }
    let list = |q: &str| {
        let res = api.anon("GET", &format!("/test-bucket/?{q}"), &[], b"");
        assert_eq!(res.status(), 200, "{q}: {}", text(&res));
        text(&res)
    };
    let xml = list("prefix=&marker=&max-keys=100&delimiter=%2F");
    assert_eq!(xml_root(&xml), "ListBucketResult");
    assert_eq!(xml_get(&xml, "Name").as_deref(), Some("test-bucket"));
    assert_eq!(xml_get(&xml, "IsTruncated").as_deref(), Some("false"));
    assert_eq!(xml_all(&xml, "Contents/Key"), vec!["c.txt"]);
    assert_eq!(
        xml_all(&xml, "CommonPrefixes/Prefix"),
        vec!["a/", "b/", "d e/", "e/"]
    );
    for path in ["LastModified", "ETag", "Type", "Size", "StorageClass"] {
        assert_eq!(
            xml_all(&xml, &format!("Contents/{path}")).len(),
            1,
            "{path}"
        );
    }
    assert_eq!(
        xml_get(&xml, "Contents/ETag").as_deref(),
        Some("\"8D777F385D3DFEC8815D20F7496026DC\"")
    );
    assert_eq!(xml_get(&xml, "Contents/Size").as_deref(), Some("4"));
    assert_eq!(
        xml_get(&xml, "Contents/LastModified").as_deref(),
        Some("2023-11-14T22:13:20.000Z")
    );

    let xml = list("prefix=b%2F&delimiter=%2F");
    assert_eq!(xml_all(&xml, "Contents/Key"), vec!["b/y.ts"]);
    assert_eq!(xml_all(&xml, "CommonPrefixes/Prefix"), vec!["b/x/"]);

    // Common prefixes and keys count together against max-keys; NextMarker pages on.
    let xml = list("delimiter=%2F&max-keys=2");
    assert_eq!(xml_get(&xml, "IsTruncated").as_deref(), Some("true"));
    assert_eq!(xml_get(&xml, "NextMarker").as_deref(), Some("b/"));
    let xml = list("delimiter=%2F&max-keys=2&marker=b%2F");
    assert_eq!(xml_all(&xml, "Contents/Key"), vec!["c.txt"]);
    assert_eq!(xml_all(&xml, "CommonPrefixes/Prefix"), vec!["d e/"]);
    assert_eq!(xml_get(&xml, "NextMarker").as_deref(), Some("d e/"));

    // Without delimiter, paging visits every key once.
    let mut marker = String::new();
    let mut keys = Vec::new();
    loop {
        let xml = list(&format!("max-keys=4&encoding-type=url&marker={marker}"));
        assert_eq!(xml_get(&xml, "EncodingType").as_deref(), Some("url"));
        keys.extend(xml_all(&xml, "Contents/Key"));
        match xml_get(&xml, "NextMarker") {
            Some(next) => marker = next,
            None => break,
        }
    }
    assert_eq!(
        keys,
        vec![
            "a/1.ts",
            "a/2.ts",
            "b/x/1.ts",
            "b/y.ts",
            "c.txt",
            "d%20e/%C3%BC.ts",
            "e/1",
            "e/2",
            "e/3"
        ]
    );
    assert_error(
        &api.anon("GET", "/test-bucket/?encoding-type=base64", &[], b""),
        400,
        "InvalidArgument",
    );
    assert_error(
        &api.anon("GET", "/test-bucket/?max-keys=0", &[], b""),
        400,
        "InvalidArgument",
    );
    // Another bucket's objects never show.
    api.create_bucket("test-bucket-2", "public-read");
    api.signed("PUT", "/test-bucket-2/zz", &[], b"x");
    assert_eq!(
        xml_all(&list("prefix=z"), "Contents/Key"),
        Vec::<String>::new()
    );
    // ListMultipartUploads: empty, with the elements oss2 requires.
    let xml = text(&api.anon("GET", "/test-bucket/?uploads", &[], b""));
    assert_eq!(xml_root(&xml), "ListMultipartUploadsResult");
    for path in ["IsTruncated", "NextKeyMarker", "NextUploadIdMarker"] {
        assert!(xml_get(&xml, path).is_some(), "{path}");
    }
    assert_eq!(xml_get(&xml, "IsTruncated").as_deref(), Some("false"));
}

#[test]
fn keys_that_could_escape_the_bucket_are_refused() {
    let api = setup();
    for uri in [
        "/test-bucket/../other/x",
        "/test-bucket/ch/../../x",
        "/test-bucket/%2E%2E/x",
        "/test-bucket/ch%2F..%2F..%2Fx",
        "/test-bucket//etc/passwd",
        "/test-bucket/%2Fetc%2Fpasswd",
        "/test-bucket/a%00b",
        "/test-bucket/a/./b",
        "/test-bucket/a%5C..%5Cb",
    ] {
        for method in ["GET", "PUT", "DELETE", "HEAD"] {
            let res = api.signed(method, uri, &[], b"x");
            assert_eq!(res.status(), 400, "{method} {uri}");
            if method != "HEAD" {
                assert_error(&res, 400, "InvalidObjectName");
            }
        }
    }
    // Channel names go through the same check.
    assert_error(
        &api.signed("PUT", "/test-bucket/..?live", &[], OSS2_BODY.as_bytes()),
        400,
        "InvalidObjectName",
    );
    let res = api.signed("PUT", "/test-bucket/a%2Fb?live", &[], OSS2_BODY.as_bytes());
    assert_error(&res, 400, "InvalidArgument");
    assert_error(
        &api.signed("GET", "/test-bucket/a%2Fb?live", &[], b""),
        400,
        "InvalidArgument",
    );
    assert_eq!(
        xml_get(
            &text(&api.signed("GET", "/test-bucket/a%2Fb?live", &[], b"")),
            "EC"
        )
        .as_deref(),
        Some("0017-00000260")
    );
    // An empty channel name.
    assert_error(
        &api.signed("PUT", "/test-bucket/?live", &[], OSS2_BODY.as_bytes()),
        400,
        "InvalidArgument",
    );
    // Nothing was written outside the bucket.
    assert_eq!(api.store.len(), 1, "only the bucket record");
}

#[test]
fn virtual_host_path_style_and_absolute_form_reach_the_same_object() {
    let api = setup();
    api.signed("PUT", "/test-bucket/ch/playlist.m3u8", &[], b"#EXTM3U\n");
    let v = api.send(request(
        "GET",
        "/ch/playlist.m3u8",
        "test-bucket.oss.example",
        &[],
        b"",
    ));
    assert_eq!(v.body().as_ref(), b"#EXTM3U\n");
    let v_port = api.send(request(
        "GET",
        "/ch%2Fplaylist.m3u8",
        "TEST-BUCKET.oss.example:9000",
        &[],
        b"",
    ));
    assert_eq!(v_port.body().as_ref(), b"#EXTM3U\n");
    let p = api.send(request(
        "GET",
        "/test-bucket/ch/playlist.m3u8",
        "oss.example",
        &[],
        b"",
    ));
    assert_eq!(p.body().as_ref(), b"#EXTM3U\n");
    let abs = api.send(request(
        "GET",
        "http://test-bucket.oss.example:9000/ch/playlist.m3u8",
        "127.0.0.1:3128",
        &[],
        b"",
    ));
    assert_eq!(abs.body().as_ref(), b"#EXTM3U\n");
    // A signed virtual-host request signs /bucket/key.
    let req = signed_request(
        "PUT",
        "/test-bucket/ch/v.txt",
        "test-bucket.oss.example",
        &[],
        b"v",
        api.now,
        AK,
        SK,
    );
    let (mut parts, body) = req.into_parts();
    parts.uri = "/ch/v.txt".parse().unwrap();
    assert_eq!(
        api.send(http::Request::from_parts(parts, body)).status(),
        200
    );
    assert_eq!(
        api.anon("GET", "/test-bucket/ch/v.txt", &[], b"")
            .body()
            .as_ref(),
        b"v"
    );
}

#[test]
fn cors_preflight_and_unsupported_calls() {
    let api = setup();
    let res = api.anon(
        "OPTIONS",
        "/test-bucket/ch/playlist.m3u8",
        &[
            ("origin", "https://player.example"),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "range"),
        ],
        b"",
    );
    assert_eq!(res.status(), 200);
    assert_common_headers(&res);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(res.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("GET"));
    assert_eq!(res.headers()["access-control-allow-headers"], "range");
    // Sub-resources this server does not implement are refused, not mistaken for object calls.
    for (method, uri) in [
        ("PUT", "/test-bucket/k?append&position=0"),
        ("POST", "/test-bucket/k?uploads"),
        ("GET", "/test-bucket/k?tagging"),
        ("GET", "/test-bucket/?cors"),
    ] {
        assert_error(&api.signed(method, uri, &[], b"x"), 400, "NotImplemented");
    }
    assert_eq!(api.store.len(), 1, "nothing was written");
    assert_error(
        &api.signed("POST", "/test-bucket/k", &[], b""),
        405,
        "MethodNotAllowed",
    );
    assert_error(
        &api.signed("PATCH", "/test-bucket/k", &[], b""),
        405,
        "MethodNotAllowed",
    );
    assert_error(
        &api.signed("DELETE", "/", &[], b""),
        405,
        "MethodNotAllowed",
    );
    assert_error(
        &api.signed("GET", "/test-bucket/ch?live&comp=bogus", &[], b""),
        400,
        "InvalidArgument",
    );
}

#[test]
fn request_ids_differ_and_have_the_oss_form() {
    let api = setup();
    let ids: Vec<String> = (0..5)
        .map(|_| {
            api.anon("GET", "/test-bucket/none", &[], b"").headers()["x-oss-request-id"]
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for id in &ids {
        assert_eq!(id.len(), 24);
        assert!(id.starts_with("6553F100"), "{id}: the Unix seconds first");
    }
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), 5);
}

#[test]
fn the_handle_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let api = setup();
    let fut = api
        .service
        .handle(request("GET", "/", HOST, &[], b""), api.now);
    assert_send(&fut);
}

#[test]
fn a_common_prefix_larger_than_a_store_page_is_one_entry() {
    use livechannel::store::ObjectStore;
    let api = setup();
    for i in 0..2500 {
        let key = format!("test-bucket/big/{i:05}.ts");
        futures::executor::block_on(api.store.put(
            &key,
            bytes::Bytes::from_static(b"x"),
            "video/MP2T",
        ))
        .unwrap();
    }
    api.signed("PUT", "/test-bucket/after.txt", &[], b"x");
    api.signed("PUT", "/test-bucket/aaa/1", &[], b"x");
    let xml = text(&api.anon("GET", "/test-bucket/?delimiter=%2F", &[], b""));
    assert_eq!(xml_all(&xml, "CommonPrefixes/Prefix"), vec!["aaa/", "big/"]);
    assert_eq!(xml_all(&xml, "Contents/Key"), vec!["after.txt"]);
    assert_eq!(xml_get(&xml, "IsTruncated").as_deref(), Some("false"));
    let xml = text(&api.anon("GET", "/test-bucket/?delimiter=%2F&max-keys=2", &[], b""));
    assert_eq!(xml_all(&xml, "CommonPrefixes/Prefix"), vec!["aaa/"]);
    assert_eq!(xml_all(&xml, "Contents/Key"), vec!["after.txt"]);
    assert_eq!(xml_get(&xml, "NextMarker").as_deref(), Some("after.txt"));
    let xml = text(&api.anon("GET", "/test-bucket/?prefix=big%2F&max-keys=1000", &[], b""));
    assert_eq!(xml_all(&xml, "Contents/Key").len(), 1000);
    assert_eq!(xml_get(&xml, "NextMarker").as_deref(), Some("big/00999.ts"));
}
