//! Signatures (`docs/oss-compatibility.md`, "Signatures" and "Push URL
//! signature") and the access matrix of `livechannel::api` ("Access").

mod api_support;

use std::collections::BTreeMap;

use api_support::*;
use http::HeaderMap;
use livechannel::auth::{
    canonical_resource, is_subresource, rtmp_string_to_sign, sign, sign_v2, string_to_sign,
    v2_string_to_sign, v4_canonical_request, v4_sign, v4_string_to_sign, verify_request,
    verify_rtmp, AuthError, Principal, RtmpAuthError, SignedRequest, DEFAULT_REGION, SUBRESOURCES,
};

const DATE: &str = "Thu, 25 Aug 2016 05:52:40 GMT";
const DATE_S: u64 = 1_472_104_360;

fn date_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("date", DATE.parse().unwrap());
    h
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn keys() -> BTreeMap<String, String> {
    BTreeMap::from([(AK.to_owned(), SK.to_owned())])
}

/// V1 vectors checked against oss2 (`docs/oss-compatibility.md`, "Signature
/// V1"): (method, key, query in oss2's wire order, expected signature).
type Pairs = &'static [(&'static str, &'static str)];

const V1_VECTORS: &[(&str, &str, Pairs, &str)] = &[
    (
        "PUT",
        "test-channel",
        &[("live", "")],
        "TSUyJCbFU+UgM8d/4+krnpQ09Lo=",
    ),
    (
        "GET",
        "test-channel",
        &[("live", "")],
        "IaMPcfs97ake9W+O1DQHSmeRmok=",
    ),
    (
        "GET",
        "test-channel",
        &[("live", ""), ("comp", "stat")],
        "s2QJzaOAJtkeO66NV3DtB+uXTSY=",
    ),
    (
        "GET",
        "test-channel",
        &[("live", ""), ("comp", "history")],
        "1pZqxoGJ8FUuU5DE66HnaZtnlm8=",
    ),
    (
        "PUT",
        "test-channel",
        &[("live", ""), ("status", "disabled")],
        "AJpb5KFRdT6Bpz5jdRHViavRd5A=",
    ),
    (
        "DELETE",
        "test-channel",
        &[("live", "")],
        "Trt8joOvsVQzw/R7lHbEOxg2haI=",
    ),
    (
        "GET",
        "",
        &[
            ("live", ""),
            ("prefix", ""),
            ("marker", ""),
            ("max-keys", "100"),
        ],
        "H2zf0T69/FY/qsqMkrbWvqZ9jig=",
    ),
    (
        "POST",
        "test-channel/vod.m3u8",
        &[
            ("vod", ""),
            ("startTime", "1472020031"),
            ("endTime", "1472020226"),
        ],
        "Ra0eanq8iRFnycRd3ZvC15huk+U=",
    ),
    (
        "GET",
        "test-channel",
        &[
            ("vod", ""),
            ("startTime", "1472020031"),
            ("endTime", "1472020226"),
        ],
        "QbC6mVmJTBPMVGoh8R/U/iPtvIE=",
    ),
];

#[test]
fn every_v1_vector_of_the_spec() {
    for (method, key, query, expected) in V1_VECTORS {
        let sts = string_to_sign(method, &date_headers(), Some("test-bucket"), key, &q(query));
        assert_eq!(
            &sign(SK, &sts),
            expected,
            "{method} {key} {query:?}: {sts:?}"
        );
        // And the server accepts it, whatever the parameter order.
        let mut headers = date_headers();
        headers.insert(
            "authorization",
            format!("OSS {AK}:{expected}").parse().unwrap(),
        );
        let mut reversed = q(query);
        reversed.reverse();
        let req = SignedRequest {
            method,
            headers: &headers,
            bucket: Some("test-bucket"),
            key,
            query: &reversed,
            raw_query: "",
        };
        let who = verify_request(&keys(), DEFAULT_REGION, &req, DATE_S);
        assert_eq!(who, Ok(Principal::AccessKey(AK.into())));
    }
}

#[test]
fn the_example_string_to_sign_and_canonical_resources() {
    let sts = string_to_sign(
        "GET",
        &date_headers(),
        Some("test-bucket"),
        "test-channel",
        &q(&[("live", ""), ("comp", "stat")]),
    );
    assert_eq!(
        sts,
        "GET\n\n\nThu, 25 Aug 2016 05:52:40 GMT\n/test-bucket/test-channel?comp=stat&live"
    );
    let rows: &[(&str, Pairs, &str)] = &[
        ("ch", &[("live", "")], "/b/ch?live"),
        (
            "ch",
            &[("live", ""), ("comp", "stat")],
            "/b/ch?comp=stat&live",
        ),
        (
            "ch",
            &[("live", ""), ("comp", "history")],
            "/b/ch?comp=history&live",
        ),
        (
            "ch",
            &[("live", ""), ("status", "disabled")],
            "/b/ch?live&status=disabled",
        ),
        (
            "",
            &[
                ("live", ""),
                ("prefix", "x"),
                ("marker", ""),
                ("max-keys", "1"),
            ],
            "/b/?live",
        ),
        (
            "ch/vod.m3u8",
            &[
                ("vod", ""),
                ("endTime", "1472020226"),
                ("startTime", "1472020031"),
            ],
            "/b/ch/vod.m3u8?endTime=1472020226&startTime=1472020031&vod",
        ),
        (
            "ch",
            &[
                ("vod", ""),
                ("startTime", "1472020031"),
                ("endTime", "1472020226"),
            ],
            "/b/ch?endTime=1472020226&startTime=1472020031&vod",
        ),
        (
            "k",
            &[
                ("OSSAccessKeyId", "a"),
                ("Expires", "1"),
                ("Signature", "s"),
                ("security-token", "t"),
            ],
            "/b/k?security-token=t",
        ),
    ];
    for (key, query, expected) in rows {
        assert_eq!(canonical_resource(Some("b"), key, &q(query)), *expected);
    }
    assert_eq!(canonical_resource(None, "", &q(&[("prefix", "a")])), "/");
}

#[test]
fn the_whitelist_is_oss2s() {
    assert_eq!(SUBRESOURCES.len(), 86);
    for name in [
        "live",
        "comp",
        "status",
        "vod",
        "startTime",
        "endTime",
        "security-token",
        "stat",
        "acl",
        "uploads",
        "x-oss-process",
        "response-content-type",
        "resourcePoolBuckets",
    ] {
        assert!(is_subresource(name), "{name}");
    }
    for name in [
        "prefix",
        "marker",
        "max-keys",
        "delimiter",
        "encoding-type",
        "OSSAccessKeyId",
        "Expires",
        "Signature",
        "Live",
        "playlistName",
    ] {
        assert!(!is_subresource(name), "{name}");
    }
}

#[test]
fn oss_headers_content_type_and_md5_are_signed() {
    let mut h = date_headers();
    h.insert("content-type", "text/plain".parse().unwrap());
    h.insert("content-md5", "eB5eJF1ptWaXm4bijSPyxw==".parse().unwrap());
    h.insert("X-OSS-Meta-B", "2".parse().unwrap());
    h.insert("x-oss-meta-a", "1".parse().unwrap());
    h.insert(
        "x-oss-date",
        "Thu, 25 Aug 2016 05:52:41 GMT".parse().unwrap(),
    );
    h.insert("x-other", "no".parse().unwrap());
    let sts = string_to_sign("PUT", &h, Some("b"), "k", &[]);
    assert_eq!(
        sts,
        "PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/plain\nThu, 25 Aug 2016 05:52:41 GMT\nx-oss-date:Thu, 25 Aug 2016 05:52:41 GMT\nx-oss-meta-a:1\nx-oss-meta-b:2\n/b/k"
    );
}

#[test]
fn header_signature_failures() {
    let k = keys();
    let query = q(&[("live", "")]);
    let with_auth = |auth: &str| {
        let mut h = date_headers();
        h.insert("authorization", auth.parse().unwrap());
        h
    };
    let good = with_auth("OSS AKIDEXAMPLE:IaMPcfs97ake9W+O1DQHSmeRmok=");
    let verify = |h: &HeaderMap, now| {
        let req = SignedRequest {
            method: "GET",
            headers: h,
            bucket: Some("test-bucket"),
            key: "test-channel",
            query: &query,
            raw_query: "live",
        };
        verify_request(&k, DEFAULT_REGION, &req, now)
    };
    assert!(matches!(
        verify(
            &with_auth("OSS AKIDEXAMPLE:IaMPcfs97ake9W+O1DQHSmeRmoK="),
            DATE_S
        ),
        Err(AuthError::SignatureDoesNotMatch { .. })
    ));
    assert!(matches!(
        verify(&with_auth("OSS AKIDEXAMPLE:!!notbase64"), DATE_S),
        Err(AuthError::SignatureDoesNotMatch { .. })
    ));
    assert_eq!(
        verify(
            &with_auth("OSS NOBODY:IaMPcfs97ake9W+O1DQHSmeRmok="),
            DATE_S
        ),
        Err(AuthError::InvalidAccessKeyId("NOBODY".into()))
    );
    assert!(matches!(
        verify(&with_auth("OSS AKIDEXAMPLE"), DATE_S),
        Err(AuthError::Malformed { .. })
    ));
    assert!(matches!(
        verify(&with_auth("AWS4-HMAC-SHA256 Credential=x"), DATE_S),
        Err(AuthError::UnsupportedScheme(_))
    ));
    assert!(matches!(
        verify(&with_auth("OSS4-HMAC-SHA256 Credential=x"), DATE_S),
        Err(AuthError::Malformed { .. })
    ));
    // 15 minutes of skew either way are fine, one second more is not.
    assert!(verify(&good, DATE_S + 900).is_ok());
    assert!(verify(&good, DATE_S - 900).is_ok());
    assert!(matches!(
        verify(&good, DATE_S + 901),
        Err(AuthError::RequestTimeTooSkewed { .. })
    ));
    let mut no_date = good.clone();
    no_date.remove("date");
    assert_eq!(verify(&no_date, DATE_S), Err(AuthError::MissingDate));
    // Anonymous: neither header nor presigned parameters.
    assert_eq!(verify(&date_headers(), DATE_S), Ok(Principal::Anonymous));
}

#[test]
fn presigned_urls_verify_until_they_expire() {
    let k = keys();
    let mut h = HeaderMap::new();
    h.insert("date", "1700003600".parse().unwrap());
    let sts = string_to_sign("GET", &h, Some("b"), "ch/playlist.m3u8", &[]);
    assert_eq!(sts, "GET\n\n\n1700003600\n/b/ch/playlist.m3u8");
    let sig = sign(SK, &sts);
    let query = q(&[
        ("OSSAccessKeyId", AK),
        ("Expires", "1700003600"),
        ("Signature", &sig),
    ]);
    let verify = |query: &[(String, String)], now| {
        let req = SignedRequest {
            method: "GET",
            headers: &HeaderMap::new(),
            bucket: Some("b"),
            key: "ch/playlist.m3u8",
            query,
            raw_query: "",
        };
        verify_request(&k, DEFAULT_REGION, &req, now)
    };
    assert_eq!(
        verify(&query, 1_700_003_600),
        Ok(Principal::AccessKey(AK.into()))
    );
    assert_eq!(
        verify(&query, 1_700_003_601),
        Err(AuthError::Expired {
            expires: 1_700_003_600,
            now: 1_700_003_601
        })
    );
    let mut tampered = query.clone();
    tampered[1].1 = "1700003700".into();
    assert!(matches!(
        verify(&tampered, 1_700_000_000),
        Err(AuthError::SignatureDoesNotMatch { .. })
    ));
    assert!(matches!(
        verify(&query[..2], 1_700_000_000),
        Err(AuthError::Malformed { .. })
    ));
    let mut bad_expiry = query.clone();
    bad_expiry[1].1 = "soon".into();
    assert!(matches!(
        verify(&bad_expiry, 1_700_000_000),
        Err(AuthError::Malformed { .. })
    ));
}

fn rtmp_params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    q(pairs)
}

#[test]
fn every_rtmp_vector_of_the_spec() {
    let k = keys();
    assert_eq!(
        rtmp_string_to_sign(
            1_700_003_600,
            &q(&[("playlistName", "test.m3u8")]),
            "test-bucket",
            "test-channel",
            true
        ),
        "1700003600\nplaylistName:test.m3u8\n/test-bucket/test-channel"
    );
    assert_eq!(
        rtmp_string_to_sign(1_700_003_600, &[], "test-bucket", "test-channel", true),
        "1700003600\n/test-bucket/test-channel"
    );
    // (params as decoded from oss2's sign_rtmp_url URLs, in wire order)
    let with_playlist = rtmp_params(&[
        ("playlistName", "test.m3u8"),
        ("OSSAccessKeyId", AK),
        ("Expires", "1700003600"),
        ("Signature", "5NcRdpiH0MRxiMnKbcHuAL3v2Ew="),
    ]);
    let without_playlist = rtmp_params(&[
        ("OSSAccessKeyId", AK),
        ("Expires", "1700003600"),
        ("Signature", "SvU9Zb/Zz1HEOwZFG/Npniob/Ek="),
    ]);
    let sts_token = rtmp_params(&[
        ("playlistName", "test.m3u8"),
        ("security-token", "STS/TOKEN+1="),
        ("OSSAccessKeyId", AK),
        ("Expires", "1700003600"),
        ("Signature", "WsMll72cR78F2KHgGoe02UALMHU="),
    ]);
    for params in [&with_playlist, &without_playlist, &sts_token] {
        assert_eq!(
            verify_rtmp(&k, "test-bucket", "test-channel", params, 1_700_000_000),
            Ok(()),
            "{params:?}"
        );
        // Expires is checked at connect time: equal is fine, later is not.
        assert_eq!(
            verify_rtmp(&k, "test-bucket", "test-channel", params, 1_700_003_600),
            Ok(())
        );
        assert_eq!(
            verify_rtmp(&k, "test-bucket", "test-channel", params, 1_700_003_601),
            Err(RtmpAuthError::Expired {
                expires: 1_700_003_600,
                now: 1_700_003_601
            })
        );
        // The resource is /bucket/channel: another channel or bucket does not verify.
        assert_eq!(
            verify_rtmp(&k, "test-bucket", "other", params, 1_700_000_000),
            Err(RtmpAuthError::SignatureDoesNotMatch)
        );
        assert_eq!(
            verify_rtmp(&k, "other-bucket", "test-channel", params, 1_700_000_000),
            Err(RtmpAuthError::SignatureDoesNotMatch)
        );
    }
    assert_eq!(sign(SK, "1700003600\nplaylistName:test.m3u8\nsecurity-token:STS/TOKEN+1=\n/test-bucket/test-channel"), "WsMll72cR78F2KHgGoe02UALMHU=");
}

#[test]
fn rtmp_signatures_without_the_security_token_are_accepted_too() {
    // The Go SDK leaves security-token out of the canonical parameters
    // (docs/oss-compatibility.md, "Push URL signature").
    let sig = sign(
        SK,
        "1700003600\nplaylistName:test.m3u8\n/test-bucket/test-channel",
    );
    let params = rtmp_params(&[
        ("playlistName", "test.m3u8"),
        ("security-token", "STS/TOKEN+1="),
        ("OSSAccessKeyId", AK),
        ("Expires", "1700003600"),
        ("Signature", &sig),
    ]);
    assert_eq!(
        verify_rtmp(
            &keys(),
            "test-bucket",
            "test-channel",
            &params,
            1_700_000_000
        ),
        Ok(())
    );
    // Extra parameters are signed, sorted by name.
    let sig = sign(SK, "1700003600\na:1\nplaylistName:p.m3u8\nz:2\n/b/c");
    let params = rtmp_params(&[
        ("z", "2"),
        ("playlistName", "p.m3u8"),
        ("a", "1"),
        ("OSSAccessKeyId", AK),
        ("Expires", "1700003600"),
        ("Signature", &sig),
    ]);
    assert_eq!(verify_rtmp(&keys(), "b", "c", &params, 0), Ok(()));
    let mut changed = params.clone();
    changed[0].1 = "3".into();
    assert_eq!(
        verify_rtmp(&keys(), "b", "c", &changed, 0),
        Err(RtmpAuthError::SignatureDoesNotMatch)
    );
}

#[test]
fn rtmp_failures() {
    let k = keys();
    let p = |pairs: &[(&str, &str)]| rtmp_params(pairs);
    assert_eq!(
        verify_rtmp(&k, "b", "c", &p(&[("playlistName", "x.m3u8")]), 0),
        Err(RtmpAuthError::MissingSignature)
    );
    assert_eq!(
        verify_rtmp(
            &k,
            "b",
            "c",
            &p(&[("OSSAccessKeyId", AK), ("Signature", "x")]),
            0
        ),
        Err(RtmpAuthError::MissingSignature)
    );
    assert_eq!(
        verify_rtmp(
            &k,
            "b",
            "c",
            &p(&[
                ("OSSAccessKeyId", "NOBODY"),
                ("Expires", "1"),
                ("Signature", "x")
            ]),
            0
        ),
        Err(RtmpAuthError::InvalidAccessKeyId("NOBODY".into()))
    );
    assert!(matches!(
        verify_rtmp(
            &k,
            "b",
            "c",
            &p(&[
                ("OSSAccessKeyId", AK),
                ("Expires", "-1"),
                ("Signature", "x")
            ]),
            0
        ),
        Err(RtmpAuthError::Malformed(_))
    ));
    assert_eq!(
        verify_rtmp(
            &k,
            "b",
            "c",
            &p(&[
                ("OSSAccessKeyId", AK),
                ("Expires", "10"),
                ("Signature", "x")
            ]),
            0
        ),
        Err(RtmpAuthError::SignatureDoesNotMatch)
    );
}

// ---- through Service::handle ----

#[test]
fn presigned_get_of_a_private_object() {
    let api = Api::new();
    api.create_bucket("test-bucket", "private");
    let res = api.signed("PUT", "/test-bucket/ch/playlist.m3u8", &[], b"#EXTM3U\n");
    assert_eq!(res.status(), 200);
    // Anonymous: refused.
    assert_error(
        &api.anon("GET", "/test-bucket/ch/playlist.m3u8", &[], b""),
        403,
        "AccessDenied",
    );
    let url = presign("GET", "/test-bucket/ch/playlist.m3u8", NOW_S + 60, AK, SK);
    let res = api.anon("GET", &url, &[], b"");
    assert_eq!(res.status(), 200, "{}", text(&res));
    assert_eq!(res.body().as_ref(), b"#EXTM3U\n");
    assert_eq!(res.headers()["content-type"], "application/x-mpegURL");
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    // Expired.
    let res = api.send_at(request("GET", &url, HOST, &[], b""), at(NOW_S + 61));
    assert_error(&res, 403, "AccessDenied");
    // Another object with the same signature.
    let other = url.replace("playlist.m3u8", "other.m3u8");
    assert_error(
        &api.anon("GET", &other, &[], b""),
        403,
        "SignatureDoesNotMatch",
    );
    // Unknown key.
    let url = presign(
        "GET",
        "/test-bucket/ch/playlist.m3u8",
        NOW_S + 60,
        "NOBODY",
        SK,
    );
    assert_error(&api.anon("GET", &url, &[], b""), 403, "InvalidAccessKeyId");
    // A presigned HEAD is signed for HEAD.
    let url = presign("HEAD", "/test-bucket/ch/playlist.m3u8", NOW_S + 60, AK, SK);
    let res = api.anon("HEAD", &url, &[], b"");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-length"], "8");
    assert!(res.body().is_empty());
}

#[test]
fn signature_errors_through_handle() {
    let api = Api::new();
    api.create_bucket("test-bucket", "private");
    let req = signed_request(
        "GET",
        "/test-bucket/?live",
        HOST,
        &[],
        b"",
        api.now,
        AK,
        "WRONG",
    );
    let res = api.send(req);
    assert_error(&res, 403, "SignatureDoesNotMatch");
    let body = text(&res);
    assert!(
        xml_get(&body, "StringToSign")
            .unwrap()
            .ends_with("\n/test-bucket/?live"),
        "{body}"
    );
    assert_eq!(xml_get(&body, "OSSAccessKeyId").as_deref(), Some(AK));
    let req = signed_request(
        "GET",
        "/test-bucket/?live",
        HOST,
        &[],
        b"",
        api.now,
        "NOBODY",
        SK,
    );
    assert_error(&api.send(req), 403, "InvalidAccessKeyId");
    let req = signed_request("GET", "/test-bucket/?live", HOST, &[], b"", api.now, AK, SK);
    assert_error(
        &api.send_at(req, at(NOW_S + 3600)),
        403,
        "RequestTimeTooSkewed",
    );
    // The second configured key works as well.
    let req = signed_request(
        "GET",
        "/test-bucket/?live",
        HOST,
        &[],
        b"",
        api.now,
        "AK2",
        "SK2",
    );
    assert_eq!(api.send(req).status(), 200);
    // A signed request for a bucket that does not exist is 404, after the signature.
    let res = api.signed("GET", "/nobucket/?live", &[], b"");
    assert_error(&res, 404, "NoSuchBucket");
}

/// Each row: the request an anonymous client makes, and whether each ACL allows it.
#[test]
fn the_access_matrix_through_handle() {
    type Row = (&'static str, &'static str, &'static [u8], [bool; 3]);
    let rows: &[Row] = &[
        ("GET", "/{b}/obj.txt", b"", [false, true, true]),
        ("HEAD", "/{b}/obj.txt", b"", [false, true, true]),
        ("GET", "/{b}/", b"", [false, true, true]),
        ("GET", "/{b}/?uploads", b"", [false, true, true]),
        ("PUT", "/{b}/new.txt", b"x", [false, false, true]),
        ("DELETE", "/{b}/obj.txt", b"", [false, false, true]),
        ("GET", "/{b}/ch?live", b"", [false, false, true]),
        ("GET", "/{b}/ch?live&comp=stat", b"", [false, false, true]),
        (
            "GET",
            "/{b}/ch?live&comp=history",
            b"",
            [false, false, true],
        ),
        ("GET", "/{b}/?live", b"", [false, false, true]),
        (
            "PUT",
            "/{b}/ch2?live",
            OSS2_BODY.as_bytes(),
            [false, false, true],
        ),
        (
            "PUT",
            "/{b}/ch?live&status=enabled",
            b"",
            [false, false, true],
        ),
        (
            "GET",
            "/{b}/ch?vod&startTime=1700000000&endTime=1700000100",
            b"",
            [false, false, true],
        ),
        ("DELETE", "/{b}/ch?live", b"", [false, false, true]),
        ("GET", "/{b}/?acl", b"", [false, false, false]),
        ("PUT", "/{b}/?acl", b"", [false, false, false]),
        ("DELETE", "/{b}/", b"", [false, false, false]),
        ("PUT", "/{b}/", b"", [false, false, false]),
        ("GET", "/", b"", [false, false, false]),
        ("OPTIONS", "/{b}/obj.txt", b"", [true, true, true]),
    ];
    for (i, acl) in ["private", "public-read", "public-read-write"]
        .into_iter()
        .enumerate()
    {
        for (method, uri, body, allowed) in rows {
            let api = Api::new();
            api.create_bucket("bkt", acl);
            api.create_channel("bkt", "ch");
            api.signed("PUT", "/bkt/obj.txt", &[], b"hello");
            api.add_segments("bkt", "ch", &[(1_700_000_000_000, 2000, false)]);
            let uri = uri.replace("{b}", "bkt");
            let res = api.anon(method, &uri, &[("x-oss-acl", "public-read")], body);
            let ok = res.status().is_success();
            assert_eq!(
                ok,
                allowed[i],
                "{acl}: {method} {uri} -> {} {}",
                res.status(),
                text(&res)
            );
            if !ok {
                assert_eq!(res.status(), 403, "{acl}: {method} {uri}");
            }
        }
    }
}

#[test]
fn without_access_keys_bucket_administration_is_open() {
    let api = Api::dev();
    assert_eq!(
        api.anon(
            "PUT",
            "/dev-bucket/",
            &[("x-oss-acl", "public-read-write")],
            b""
        )
        .status(),
        200
    );
    let res = api.anon("GET", "/", &[], b"");
    assert_eq!(res.status(), 200);
    assert_eq!(
        xml_all(&text(&res), "Buckets/Bucket/Name"),
        vec!["dev-bucket"]
    );
    // ACLs still apply to objects and channels.
    assert_eq!(api.anon("PUT", "/priv-bucket/", &[], b"").status(), 200);
    assert_error(
        &api.anon("GET", "/priv-bucket/ch?live", &[], b""),
        403,
        "AccessDenied",
    );
    assert_eq!(
        api.anon("PUT", "/dev-bucket/ch?live", &[], OSS2_BODY.as_bytes())
            .status(),
        200
    );
    assert_eq!(api.anon("DELETE", "/priv-bucket/", &[], b"").status(), 204);
}

/// `x-oss-date` of NOW_S (2023-11-14T22:13:20Z).
const NOW_DATETIME: &str = "20231114T221320Z";

/// A path-style request to HOST signed with V4 (header form) at NOW_S for
/// `region`, with `headers` (an `x-oss-content-sha256` given there wins).
fn v4_request(
    method: &str,
    uri: &str,
    region: &str,
    headers: &[(&str, &str)],
    secret: &str,
) -> (http::Request<bytes::Bytes>, String) {
    let mut req = request(method, uri, HOST, headers, b"");
    let h = req.headers_mut();
    h.insert("x-oss-date", NOW_DATETIME.parse().unwrap());
    if !h.contains_key("x-oss-content-sha256") {
        h.insert("x-oss-content-sha256", "UNSIGNED-PAYLOAD".parse().unwrap());
    }
    let (bucket, key, query) = resource(uri);
    let raw_query = uri.split_once('?').map_or("", |(_, q)| q);
    let signed = SignedRequest {
        method,
        headers: req.headers(),
        bucket: bucket.as_deref(),
        key: &key,
        query: &query,
        raw_query,
    };
    let canonical = v4_canonical_request(&signed, &[], false);
    let scope = format!("20231114/{region}/oss/aliyun_v4_request");
    let sts = v4_string_to_sign(NOW_DATETIME, &scope, &canonical);
    let sig = v4_sign(secret, "20231114", region, "oss", &sts);
    let auth = format!("OSS4-HMAC-SHA256 Credential={AK}/{scope},Signature={sig}");
    req.headers_mut()
        .insert("authorization", auth.parse().unwrap());
    (req, canonical)
}

#[test]
fn v4_answers_through_handle() {
    let api = Api::new();
    api.create_bucket("test-bucket", "private");
    api.create_channel("test-bucket", "test-channel");
    let uri = "/test-bucket/test-channel?live=&comp=stat";
    let (req, _) = v4_request("GET", uri, DEFAULT_REGION, &[], SK);
    let res = api.send(req);
    assert_eq!(res.status(), 200, "{}", text(&res));

    // Wrong secret: 403 with the canonical request and the string to sign.
    let (req, canonical) = v4_request("GET", uri, DEFAULT_REGION, &[], "wrong");
    let res = api.send(req);
    assert_error(&res, 403, "SignatureDoesNotMatch");
    let body = text(&res);
    assert_eq!(xml_get(&body, "CanonicalRequest"), Some(canonical));
    assert!(xml_get(&body, "StringToSign").unwrap().starts_with(
        "OSS4-HMAC-SHA256\n20231114T221320Z\n20231114/cn-hangzhou/oss/aliyun_v4_request\n"
    ));
    assert_eq!(xml_get(&body, "EC").as_deref(), Some("0002-00000201"));

    // Another region's scope.
    let (req, _) = v4_request("GET", uri, "us-east-1", &[], SK);
    let res = api.send(req);
    assert_error(&res, 403, "AccessDenied");
    let body = text(&res);
    assert_eq!(xml_get(&body, "EC").as_deref(), Some("0002-00000228"));
    assert!(
        xml_get(&body, "Message").unwrap().contains("us-east-1"),
        "{body}"
    );

    // A date 16 minutes off.
    let (req, _) = v4_request("GET", uri, DEFAULT_REGION, &[], SK);
    assert_error(
        &api.send_at(req, at(NOW_S + 16 * 60)),
        403,
        "RequestTimeTooSkewed",
    );

    // A payload hash OSS does not take, a malformed scope, no signature.
    let (req, _) = v4_request(
        "GET",
        uri,
        DEFAULT_REGION,
        &[(
            "x-oss-content-sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        )],
        SK,
    );
    assert_error(&api.send(req), 400, "InvalidArgument");
    for auth in [
        "OSS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/cn-hangzhou/oss/abc,Signature=00",
        "OSS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231113/cn-hangzhou/oss/aliyun_v4_request,Signature=00",
        "OSS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/cn-hangzhou/oss/aliyun_v4_request",
    ] {
        let (mut req, _) = v4_request("GET", uri, DEFAULT_REGION, &[], SK);
        req.headers_mut()
            .insert("authorization", auth.parse().unwrap());
        assert_error(&api.send(req), 400, "InvalidArgument");
    }
    // An unknown key.
    let (mut req, _) = v4_request("GET", uri, DEFAULT_REGION, &[], SK);
    let auth = req.headers()["authorization"]
        .to_str()
        .unwrap()
        .replace(AK, "NOBODY");
    req.headers_mut()
        .insert("authorization", auth.parse().unwrap());
    assert_error(&api.send(req), 403, "InvalidAccessKeyId");
}

/// A V4 presigned GET of `uri` signed at `signed_at` for `expires` seconds.
fn v4_presign(uri: &str, signed_at: &str, expires: &str) -> String {
    let mut url = format!(
        "{uri}?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential={AK}%2F{}%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date={signed_at}&x-oss-expires={expires}",
        &signed_at[..8]
    );
    let (bucket, key, query) = resource(&url);
    let headers = HeaderMap::new();
    let signed = SignedRequest {
        method: "GET",
        headers: &headers,
        bucket: bucket.as_deref(),
        key: &key,
        query: &query,
        raw_query: url.split_once('?').unwrap().1,
    };
    let canonical = v4_canonical_request(&signed, &[], true);
    let scope = format!("{}/cn-hangzhou/oss/aliyun_v4_request", &signed_at[..8]);
    let sts = v4_string_to_sign(signed_at, &scope, &canonical);
    let sig = v4_sign(SK, &signed_at[..8], "cn-hangzhou", "oss", &sts);
    url.push_str(&format!("&x-oss-signature={sig}"));
    url
}

#[test]
fn v4_presigned_urls_through_handle() {
    let api = Api::new();
    api.create_bucket("test-bucket", "private");
    api.signed(
        "PUT",
        "/test-bucket/ch/a%20b%2B%C3%BC.m3u8",
        &[],
        b"#EXTM3U\n",
    );
    let uri = "/test-bucket/ch/a%20b%2B%C3%BC.m3u8";
    let url = v4_presign(uri, NOW_DATETIME, "60");
    let res = api.send(request("GET", &url, HOST, &[], b""));
    assert_eq!(res.status(), 200, "{}", text(&res));
    assert_eq!(text(&res), "#EXTM3U\n");
    // Expired one second after date + expires.
    let res = api.send_at(request("GET", &url, HOST, &[], b""), at(NOW_S + 61));
    assert_error(&res, 403, "AccessDenied");
    assert!(text(&res).contains("Request has expired"));
    // Signed for more than seven days, or for no time at all.
    for expires in ["604801", "0", "-1"] {
        let url = v4_presign(uri, NOW_DATETIME, expires);
        let res = api.send(request("GET", &url, HOST, &[], b""));
        assert_error(&res, 400, "InvalidArgument");
    }
    // Signed in the future, beyond the allowed skew.
    let url = v4_presign(uri, "20231114T223000Z", "60");
    let res = api.send(request("GET", &url, HOST, &[], b""));
    assert_error(&res, 403, "RequestTimeTooSkewed");
    // Another object with the same signature.
    let res = api.send(request(
        "GET",
        &url.replace("a%20b", "a%20c"),
        HOST,
        &[],
        b"",
    ));
    assert!(res.status() == 403, "{}", text(&res));
}

#[test]
fn v2_answers_through_handle() {
    let api = Api::new();
    api.create_bucket("test-bucket", "private");
    api.create_channel("test-bucket", "test-channel");
    let v2 = |secret: &str| {
        let uri = "/test-bucket/test-channel?live=&comp=history";
        let mut req = request("GET", uri, HOST, &[("range", "bytes=0-1")], b"");
        let date = httpdate::fmt_http_date(at(NOW_S));
        req.headers_mut().insert("date", date.parse().unwrap());
        let (bucket, key, query) = resource(uri);
        let signed = SignedRequest {
            method: "GET",
            headers: req.headers(),
            bucket: bucket.as_deref(),
            key: &key,
            query: &query,
            raw_query: "live=&comp=history",
        };
        let sts = v2_string_to_sign(&signed, &["range".to_owned()], &date, false);
        let auth = format!(
            "OSS2 AccessKeyId:{AK},AdditionalHeaders:range,Signature:{}",
            sign_v2(secret, &sts)
        );
        req.headers_mut()
            .insert("authorization", auth.parse().unwrap());
        req
    };
    let res = api.send(v2(SK));
    assert_eq!(res.status(), 200, "{}", text(&res));
    let res = api.send(v2("wrong"));
    assert_error(&res, 403, "SignatureDoesNotMatch");
    assert!(xml_get(&text(&res), "StringToSign")
        .unwrap()
        .ends_with("range\n%2Ftest-bucket%2Ftest-channel?comp=history&live"));
    assert_error(
        &api.send_at(v2(SK), at(NOW_S + 901)),
        403,
        "RequestTimeTooSkewed",
    );
}
