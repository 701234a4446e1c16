//! `auth::verify_request` on arbitrary `Authorization` headers, dates and
//! presigned parameters: no panic, the same answer twice, and a request
//! made of the fuzzed method, key and raw query, signed here with V4,
//! verifies (whatever the key and query bytes, the canonical forms agree).
//!
//! Input: lines `METHOD\nKEY\nRAW_QUERY\nAUTHORIZATION\nDATE\nHEADER_VALUE`.
//! The one configured key is `AK`/`SK`; the server's region `cn-hangzhou`.
#![no_main]

use std::collections::BTreeMap;

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use livechannel::auth::{
    v4_canonical_request, v4_sign, v4_string_to_sign, verify_request, Principal, SignedRequest,
};

/// 2023-12-16T10:00:00Z, the `now` of every check.
const NOW: u64 = 1_702_720_800;
const DATETIME: &str = "20231216T100000Z";
const REGION: &str = "cn-hangzhou";

/// `a=b&c` split without decoding: enough for the parameter look-ups of
/// the presigned forms (the signatures re-read `raw_query` themselves).
fn pairs(raw_query: &str) -> Vec<(String, String)> {
    raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.splitn(6, '\n');
    let mut next = || lines.next().unwrap_or_default();
    let (method, key, raw_query) = (next(), next(), next());
    let (authorization, date, value) = (next(), next(), next());
    let keys = BTreeMap::from([("AK".to_owned(), "SK".to_owned())]);
    let query = pairs(raw_query);

    // Whatever arrives: an answer, the same one twice.
    let mut headers = HeaderMap::new();
    for (name, v) in [
        ("authorization", authorization),
        ("x-oss-date", date),
        ("date", date),
        ("x-oss-meta-a", value),
        ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
    ] {
        if let Ok(v) = HeaderValue::from_str(v) {
            headers.insert(name, v);
        }
    }
    let req = SignedRequest {
        method,
        headers: &headers,
        bucket: Some("test-bucket"),
        key,
        query: &query,
        raw_query,
    };
    let first = verify_request(&keys, REGION, &req, NOW);
    assert_eq!(first, verify_request(&keys, REGION, &req, NOW));

    // The same request signed with V4 here verifies.
    let mut headers = HeaderMap::new();
    headers.insert("x-oss-date", HeaderValue::from_static(DATETIME));
    headers.insert(
        "x-oss-content-sha256",
        HeaderValue::from_static("UNSIGNED-PAYLOAD"),
    );
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert("x-oss-meta-a", v);
    }
    let unsigned = SignedRequest {
        headers: &headers,
        ..req
    };
    let canonical = v4_canonical_request(&unsigned, &[], false);
    let scope = format!("20231216/{REGION}/oss/aliyun_v4_request");
    let sts = v4_string_to_sign(DATETIME, &scope, &canonical);
    let signature = v4_sign("SK", "20231216", REGION, "oss", &sts);
    let authorization = format!("OSS4-HMAC-SHA256 Credential=AK/{scope}, Signature={signature}");
    let mut signed_headers = headers.clone();
    signed_headers.insert(
        "authorization",
        HeaderValue::from_str(&authorization).unwrap(),
    );
    let signed = SignedRequest {
        headers: &signed_headers,
        ..req
    };
    assert_eq!(
        verify_request(&keys, REGION, &signed, NOW),
        Ok(Principal::AccessKey("AK".to_owned())),
        "{canonical}"
    );
});
