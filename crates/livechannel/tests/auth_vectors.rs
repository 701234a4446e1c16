//! Signature V4 and V2 test vectors.
//!
//! - `GO_*`: the worked examples of Alibaba's official Go SDK v2
//!   (aliyun/alibabacloud-oss-go-sdk-v2, `oss/signer/signer_test.go`,
//!   `TestV4AuthHeader*` and `TestV4AuthQuery*`): request shape, time and
//!   the signature that SDK produces, which this server must accept.
//! - `OSS2_*`: derived from oss2 2.19.1 itself (`ProviderAuthV4`,
//!   `ProviderAuthV2`, `StsAuth`), run with AK `ak`, SK `sk`, its clock fixed
//!   at 2023-12-16T16:20:57Z (1702743657) and the intermediate strings read
//!   from its private helpers. No official V2 worked example was found, and
//!   the OSS V4 doc page gives none with a full canonical request.

use std::collections::BTreeMap;

use http::HeaderMap;
use livechannel::addressing::{parse_query, Plus};
use livechannel::auth::{
    v2_string_to_sign, v4_canonical_request, v4_sign, v4_signing_key, v4_string_to_sign,
    verify_request, AuthError, Principal, SignedRequest,
};

fn keys() -> BTreeMap<String, String> {
    BTreeMap::from([("ak".to_owned(), "sk".to_owned())])
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    h
}

/// Verifies a request to `bucket`/`key` with `raw_query` at `now`.
fn verify(
    method: &str,
    h: &HeaderMap,
    key: &str,
    raw_query: &str,
    now: u64,
) -> Result<Principal, AuthError> {
    let query = parse_query(raw_query, Plus::Space);
    let req = SignedRequest {
        method,
        headers: h,
        bucket: Some("bucket"),
        key,
        query: &query,
        raw_query,
    };
    verify_request(&keys(), "cn-hangzhou", &req, now)
}

/// `url.Values{...}.Encode()` of the Go tests: `param1=value1`,
/// `+param1=value3`, `|param1=value4`, `+param2`, `|param2`, `param2`.
const GO_QUERY: &str =
    "%2Bparam1=value3&%2Bparam2=&%7Cparam1=value4&%7Cparam2=&param1=value1&param2=";
const GO_KEY: &str = "1234+-/123/1.txt";

/// (x-oss-date, security token, AdditionalHeaders, Authorization) of the
/// Go SDK's header cases.
const GO_HEADER_CASES: &[(&str, Option<&str>, Option<&str>, &str)] = &[
    (
        "20231216T162057Z",
        None,
        None,
        "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe",
    ),
    (
        "20231217T034736Z",
        Some("token"),
        None,
        "OSS4-HMAC-SHA256 Credential=ak/20231217/cn-hangzhou/oss/aliyun_v4_request,Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea",
    ),
    (
        "20231216T172512Z",
        None,
        Some("abc;zabc"),
        "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f",
    ),
];

fn unix_of(datetime: &str) -> u64 {
    let hms = |s: &str| s.parse::<u64>().unwrap();
    // Only December 2023 occurs here: 2023-12-01T00:00:00Z is 1701388800.
    assert!(datetime.starts_with("202312"));
    1_701_388_800
        + (hms(&datetime[6..8]) - 1) * 86_400
        + hms(&datetime[9..11]) * 3600
        + hms(&datetime[11..13]) * 60
        + hms(&datetime[13..15])
}

#[test]
fn the_go_sdk_header_vectors_verify() {
    for (datetime, token, _, authorization) in GO_HEADER_CASES {
        let mut h = headers(&[
            ("x-oss-head1", "value"),
            ("abc", "value"),
            ("zabc", "value"),
            ("xyz", "value"),
            ("content-type", "text/plain"),
            ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
            ("x-oss-date", datetime),
            ("authorization", authorization),
        ]);
        if let Some(token) = token {
            h.insert("x-oss-security-token", token.parse().unwrap());
        }
        let now = unix_of(datetime);
        assert_eq!(
            verify("PUT", &h, GO_KEY, GO_QUERY, now),
            Ok(Principal::AccessKey("ak".into())),
            "{authorization}"
        );
        // The same with the doc's ", " separators.
        h.insert(
            "authorization",
            authorization.replace(",", ", ").parse().unwrap(),
        );
        assert!(verify("PUT", &h, GO_KEY, GO_QUERY, now).is_ok());
        // A header outside the signed set may change; a signed one may not.
        h.insert("xyz", "changed".parse().unwrap());
        assert!(verify("PUT", &h, GO_KEY, GO_QUERY, now).is_ok());
        h.insert("content-type", "text/html".parse().unwrap());
        assert!(matches!(
            verify("PUT", &h, GO_KEY, GO_QUERY, now),
            Err(AuthError::SignatureDoesNotMatch { .. })
        ));
    }
}

#[test]
fn the_go_sdk_presigned_vectors_verify() {
    // (x-oss-date, token, x-oss-additional-headers, x-oss-signature)
    let cases = [
        (
            "20231217T025437Z",
            None,
            None,
            "a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe",
        ),
        (
            "20231217T035628Z",
            Some("token"),
            None,
            "3817ac9d206cd6dfc90f1c09c00be45005602e55898f26f5ddb06d7892e1f8b5",
        ),
        (
            "20231217T033009Z",
            None,
            Some("abc%3Bzabc"),
            "6bd984bfe531afb6db1f7550983a741b103a8c58e5e14f83ea474c2322dfa2b7",
        ),
    ];
    let h = headers(&[
        ("x-oss-head1", "value"),
        ("abc", "value"),
        ("zabc", "value"),
        ("xyz", "value"),
        ("content-type", "application/octet-stream"),
    ]);
    for (datetime, token, additional, signature) in cases {
        let mut query = format!(
            "{GO_QUERY}&x-oss-credential=ak%2F{}%2Fcn-hangzhou%2Foss%2Faliyun_v4_request\
             &x-oss-date={datetime}&x-oss-expires=599&x-oss-signature-version=OSS4-HMAC-SHA256",
            &datetime[..8]
        );
        if let Some(token) = token {
            query.push_str(&format!("&x-oss-security-token={token}"));
        }
        if let Some(additional) = additional {
            query.push_str(&format!("&x-oss-additional-headers={additional}"));
        }
        query.push_str(&format!("&x-oss-signature={signature}"));
        let signed_at = unix_of(datetime);
        for now in [signed_at, signed_at + 599] {
            assert_eq!(
                verify("PUT", &h, GO_KEY, &query, now),
                Ok(Principal::AccessKey("ak".into())),
                "{query}"
            );
        }
        assert_eq!(
            verify("PUT", &h, GO_KEY, &query, signed_at + 600),
            Err(AuthError::Expired {
                expires: signed_at + 599,
                now: signed_at + 600
            })
        );
        let tampered = query.replace("param1=value1", "param1=value2");
        assert!(matches!(
            verify("PUT", &h, GO_KEY, &tampered, signed_at),
            Err(AuthError::SignatureDoesNotMatch { .. })
        ));
    }
}

/// oss2 `AuthV4._sign_request` of GET `test-bucket/ch/a b%ü.m3u8` with
/// params `live`, `comp=stat`, `prefix=a b+c` and `content-type: text/plain`.
const OSS2_V4_CANONICAL_REQUEST: &str = "GET\n/test-bucket/ch/a%20b%25%C3%BC.m3u8\ncomp=stat&live&prefix=a%20b%2Bc\ncontent-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\n\n\nUNSIGNED-PAYLOAD";
const OSS2_V4_STRING_TO_SIGN: &str = "OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\nf50816d0beee040533cfe1dfd635ff939b2d513cfd71e0d19453b8ee3c3a23c8";
const OSS2_V4_SIGNING_KEY: &str =
    "b412a03b134ebddd720f5167b5de6db66620ebb3b01cff4d49e3ccb09f8de97f";
const OSS2_V4_AUTHORIZATION: &str = "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request, Signature=65f35e1796ca7ce7fe44bd145bd001d42cdc810390eae5814846f871bb8bd3e2";
const OSS2_TIME: u64 = 1_702_743_657;

#[test]
fn the_oss2_v4_vector_step_by_step() {
    let key = "ch/a b%ü.m3u8";
    // How Python requests puts those params on the wire.
    let raw_query = "live=&comp=stat&prefix=a+b%2Bc";
    let h = headers(&[
        ("content-type", "text/plain"),
        ("x-oss-date", "20231216T162057Z"),
        ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
        ("user-agent", "aliyun-sdk-python/2.19.1"),
        ("authorization", OSS2_V4_AUTHORIZATION),
    ]);
    let query = parse_query(raw_query, Plus::Space);
    let req = SignedRequest {
        method: "GET",
        headers: &h,
        bucket: Some("test-bucket"),
        key,
        query: &query,
        raw_query,
    };
    let canonical = v4_canonical_request(&req, &[], false);
    assert_eq!(canonical, OSS2_V4_CANONICAL_REQUEST);
    let scope = "20231216/cn-hangzhou/oss/aliyun_v4_request";
    let sts = v4_string_to_sign("20231216T162057Z", scope, &canonical);
    assert_eq!(sts, OSS2_V4_STRING_TO_SIGN);
    let signing_key: String = v4_signing_key("sk", "20231216", "cn-hangzhou", "oss")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(signing_key, OSS2_V4_SIGNING_KEY);
    let signature = v4_sign("sk", "20231216", "cn-hangzhou", "oss", &sts);
    assert!(OSS2_V4_AUTHORIZATION.ends_with(&signature));
    assert_eq!(
        verify_request(&keys(), "cn-hangzhou", &req, OSS2_TIME),
        Ok(Principal::AccessKey("ak".into()))
    );
    // The server's region decides: the same request for another one fails.
    assert_eq!(
        verify_request(&keys(), "us-east-1", &req, OSS2_TIME),
        Err(AuthError::RegionMismatch {
            expected: "us-east-1".into(),
            found: "cn-hangzhou".into()
        })
    );
}

/// oss2 `AuthV2._sign_request` of PUT `test-bucket/ch/a b%ü.m3u8?live&status=disabled`
/// with `content-type`, `x-oss-meta-a` and `range` (a default additional header).
const OSS2_V2_STRING_TO_SIGN: &str = "PUT\n\ntext/plain\nSat, 16 Dec 2023 16:20:57 GMT\nrange:bytes=0-1\nx-oss-meta-a:1\nrange\n%2Ftest-bucket%2Fch%2Fa%20b%25%C3%BC.m3u8?live&status=disabled";
const OSS2_V2_AUTHORIZATION: &str = "OSS2 AccessKeyId:ak,AdditionalHeaders:range,Signature:2ptXETH77wXuyjPRB41TxR/8Knv0N1xm9+YAA8zOdt8=";
/// oss2 `AuthV2._sign_url('GET', 'ch/playlist.m3u8', 60)` at OSS2_TIME.
const OSS2_V2_PRESIGNED_QUERY: &str = "x-oss-signature-version=OSS2&x-oss-expires=1702743717&x-oss-access-key-id=ak&x-oss-signature=YiRp9SG8JD3IojNt68xzroSrOS3EXAENF3K9WXRfrvY%3D";
/// oss2 `StsAuth(ak, sk, 'STS/TOKEN+1=', auth_version='v4')._sign_url('GET', 'ch/playlist.m3u8', 60)`.
const OSS2_V4_STS_PRESIGNED_QUERY: &str = "x-oss-security-token=STS%2FTOKEN%2B1%3D&x-oss-date=20231216T162057Z&x-oss-expires=60&x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=ak%2F20231216%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-signature=06308abbfcfa3ca4c5bc5168160be564f5ef964fb9e15654ea352f22a14968ee";

#[test]
fn the_oss2_v2_vectors() {
    let h = headers(&[
        ("content-type", "text/plain"),
        ("x-oss-meta-a", "1"),
        ("range", "bytes=0-1"),
        ("date", "Sat, 16 Dec 2023 16:20:57 GMT"),
        ("authorization", OSS2_V2_AUTHORIZATION),
    ]);
    let raw_query = "live=&status=disabled";
    let query = parse_query(raw_query, Plus::Space);
    let req = SignedRequest {
        method: "PUT",
        headers: &h,
        bucket: Some("test-bucket"),
        key: "ch/a b%ü.m3u8",
        query: &query,
        raw_query,
    };
    let sts = v2_string_to_sign(
        &req,
        &["range".to_owned()],
        "Sat, 16 Dec 2023 16:20:57 GMT",
        false,
    );
    assert_eq!(sts, OSS2_V2_STRING_TO_SIGN);
    assert_eq!(
        livechannel::auth::sign_v2("sk", &sts),
        "2ptXETH77wXuyjPRB41TxR/8Knv0N1xm9+YAA8zOdt8="
    );
    assert_eq!(
        verify_request(&keys(), "cn-hangzhou", &req, OSS2_TIME),
        Ok(Principal::AccessKey("ak".into()))
    );
}

#[test]
fn the_oss2_presigned_v2_and_sts_v4_urls() {
    let h = HeaderMap::new();
    for raw_query in [OSS2_V2_PRESIGNED_QUERY, OSS2_V4_STS_PRESIGNED_QUERY] {
        let query = parse_query(raw_query, Plus::Space);
        let req = |key| SignedRequest {
            method: "GET",
            headers: &h,
            bucket: Some("test-bucket"),
            key,
            query: &query,
            raw_query,
        };
        assert_eq!(
            verify_request(
                &keys(),
                "cn-hangzhou",
                &req("ch/playlist.m3u8"),
                OSS2_TIME + 60
            ),
            Ok(Principal::AccessKey("ak".into())),
            "{raw_query}"
        );
        assert!(matches!(
            verify_request(
                &keys(),
                "cn-hangzhou",
                &req("ch/playlist.m3u8"),
                OSS2_TIME + 61
            ),
            Err(AuthError::Expired { .. })
        ));
        assert!(matches!(
            verify_request(&keys(), "cn-hangzhou", &req("ch/other.m3u8"), OSS2_TIME),
            Err(AuthError::SignatureDoesNotMatch { .. })
        ));
    }
}
