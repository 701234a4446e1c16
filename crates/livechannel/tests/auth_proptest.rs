//! Property: a V4 or V2 request (header or presigned form) signed for any
//! method, key and query verifies, and changing any signed element
//! afterwards (method, path, a signed header, a query parameter, an added
//! parameter, the date) makes verification fail.
//!
//! Seeds are reproducible with `PROPTEST_RNG_SEED` (proptest's own variable).

use std::collections::BTreeMap;

use http::{HeaderMap, HeaderValue};
use livechannel::auth::{
    sign_v2, v2_string_to_sign, v4_canonical_request, v4_sign, v4_string_to_sign, verify_request,
    AuthError, Principal, SignedRequest,
};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use proptest::prelude::*;

/// 2023-12-16T10:00:00Z.
const T0: u64 = 1_702_720_800;
const DATETIME: &str = "20231216T100000Z";
const DATETIME_PLUS_1: &str = "20231216T100001Z";
const HTTP_DATE: &str = "Sat, 16 Dec 2023 10:00:00 GMT";
const HTTP_DATE_PLUS_1: &str = "Sat, 16 Dec 2023 10:00:01 GMT";
const SCOPE: &str = "20231216/cn-hangzhou/oss/aliyun_v4_request";

const METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD"];
const KEYS: &[&str] = &["", "ch", "ch/playlist.m3u8", "a b/ü%", "x+y~z"];
const NAMES: &[&str] = &[
    "live", "comp", "status", "prefix", "a b", "ü", "%", "+", "acl", "vod",
];
const VALUES: &[&str] = &["", "stat", "a b", "ü", "+", "%2F", "1", "/"];

#[derive(Debug, Clone, Copy)]
enum Form {
    V4Header,
    V4Presigned,
    V2Header,
    V2Presigned,
}

#[derive(Debug, Clone, Copy)]
enum Change {
    Method,
    Path,
    OssHeader,
    ContentType,
    QueryValue,
    AddedParameter,
    Date,
}

#[derive(Debug, Clone)]
struct Req {
    method: String,
    key: String,
    headers: HeaderMap,
    params: Vec<(String, String)>,
}

impl Req {
    fn raw_query(&self) -> String {
        let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
        self.params
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn verify(&self) -> Result<Principal, AuthError> {
        let raw = self.raw_query();
        let query = self.params.clone();
        let req = SignedRequest {
            method: &self.method,
            headers: &self.headers,
            bucket: Some("test-bucket"),
            key: &self.key,
            query: &query,
            raw_query: &raw,
        };
        let keys = BTreeMap::from([("ak".to_owned(), "sk".to_owned())]);
        verify_request(&keys, "cn-hangzhou", &req, T0 + 1)
    }

    /// Runs `f` on the request as the server sees it (no signature yet).
    fn with_signed_request<T>(&self, f: impl FnOnce(&SignedRequest<'_>) -> T) -> T {
        let raw = self.raw_query();
        f(&SignedRequest {
            method: &self.method,
            headers: &self.headers,
            bucket: Some("test-bucket"),
            key: &self.key,
            query: &self.params,
            raw_query: &raw,
        })
    }

    fn set(&mut self, name: &'static str, value: &str) {
        self.headers
            .insert(name, HeaderValue::from_str(value).unwrap());
    }

    fn param(&mut self, name: &str, value: &str) {
        self.params.push((name.to_owned(), value.to_owned()));
    }
}

/// The client side: what oss2 / the Go SDK would send.
fn sign(form: Form, mut req: Req) -> Req {
    match form {
        Form::V4Header => {
            req.set("x-oss-date", DATETIME);
            req.set("x-oss-content-sha256", "UNSIGNED-PAYLOAD");
            let canonical = req.with_signed_request(|r| v4_canonical_request(r, &[], false));
            let sts = v4_string_to_sign(DATETIME, SCOPE, &canonical);
            let sig = v4_sign("sk", "20231216", "cn-hangzhou", "oss", &sts);
            req.set(
                "authorization",
                &format!("OSS4-HMAC-SHA256 Credential=ak/{SCOPE}, Signature={sig}"),
            );
        }
        Form::V4Presigned => {
            req.param("x-oss-signature-version", "OSS4-HMAC-SHA256");
            req.param("x-oss-credential", &format!("ak/{SCOPE}"));
            req.param("x-oss-date", DATETIME);
            req.param("x-oss-expires", "3600");
            let canonical = req.with_signed_request(|r| v4_canonical_request(r, &[], true));
            let sts = v4_string_to_sign(DATETIME, SCOPE, &canonical);
            let sig = v4_sign("sk", "20231216", "cn-hangzhou", "oss", &sts);
            req.param("x-oss-signature", &sig);
        }
        Form::V2Header => {
            req.set("date", HTTP_DATE);
            let sts = req.with_signed_request(|r| v2_string_to_sign(r, &[], HTTP_DATE, false));
            let sig = sign_v2("sk", &sts);
            req.set(
                "authorization",
                &format!("OSS2 AccessKeyId:ak,Signature:{sig}"),
            );
        }
        Form::V2Presigned => {
            let expires = (T0 + 3600).to_string();
            req.param("x-oss-signature-version", "OSS2");
            req.param("x-oss-access-key-id", "ak");
            req.param("x-oss-expires", &expires);
            let sts = req.with_signed_request(|r| v2_string_to_sign(r, &[], &expires, true));
            let sig = sign_v2("sk", &sts);
            req.param("x-oss-signature", &sig);
        }
    }
    req
}

fn tamper(form: Form, change: Change, req: &mut Req) {
    let replace_param = |req: &mut Req, name: &str, value: &str| {
        for (k, v) in &mut req.params {
            if k == name {
                *v = value.to_owned();
            }
        }
    };
    match change {
        Change::Method => {
            let i = METHODS.iter().position(|m| *m == req.method).unwrap();
            req.method = METHODS[(i + 1) % METHODS.len()].to_owned();
        }
        Change::Path => req.key.push('x'),
        Change::OssHeader => req.set("x-oss-meta-a", "changed"),
        Change::ContentType => req.set("content-type", "text/changed"),
        Change::QueryValue => {
            match req
                .params
                .iter_mut()
                .find(|(k, _)| !k.starts_with("x-oss-"))
            {
                Some((_, v)) => v.push('x'),
                None => req.param("zz", "1"),
            }
        }
        Change::AddedParameter => req.param("zz-added", ""),
        Change::Date => match form {
            Form::V4Header => req.set("x-oss-date", DATETIME_PLUS_1),
            Form::V4Presigned => replace_param(req, "x-oss-date", DATETIME_PLUS_1),
            Form::V2Header => req.set("date", HTTP_DATE_PLUS_1),
            Form::V2Presigned => replace_param(req, "x-oss-expires", &(T0 + 3601).to_string()),
        },
    }
}

fn arb_form() -> impl Strategy<Value = Form> {
    prop_oneof![
        Just(Form::V4Header),
        Just(Form::V4Presigned),
        Just(Form::V2Header),
        Just(Form::V2Presigned),
    ]
}

fn arb_change() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::Method),
        Just(Change::Path),
        Just(Change::OssHeader),
        Just(Change::ContentType),
        Just(Change::QueryValue),
        Just(Change::AddedParameter),
        Just(Change::Date),
    ]
}

fn arb_req() -> impl Strategy<Value = Req> {
    (
        prop::sample::select(METHODS),
        prop::sample::select(KEYS),
        prop::collection::vec(
            (prop::sample::select(NAMES), prop::sample::select(VALUES)),
            0..4,
        ),
        "[a-z0-9 ]{0,8}",
    )
        .prop_map(|(method, key, params, meta)| {
            let mut headers = HeaderMap::new();
            headers.insert("x-oss-meta-a", HeaderValue::from_str(&meta).unwrap());
            headers.insert("content-type", HeaderValue::from_static("text/plain"));
            headers.insert("user-agent", HeaderValue::from_static("unsigned"));
            Req {
                method: method.to_owned(),
                key: key.to_owned(),
                headers,
                params: params
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_change_to_a_signed_element_fails(form in arb_form(), req in arb_req(), change in arb_change()) {
        let signed = sign(form, req);
        prop_assert_eq!(signed.verify(), Ok(Principal::AccessKey("ak".into())), "{:?}", signed);
        // An unsigned header may change.
        let mut other = signed.clone();
        other.set("user-agent", "changed");
        prop_assert!(other.verify().is_ok());
        let mut tampered = signed.clone();
        tamper(form, change, &mut tampered);
        let result = tampered.verify();
        prop_assert!(
            matches!(result, Err(AuthError::SignatureDoesNotMatch { .. })),
            "{:?} {:?}: {:?}", form, change, result
        );
    }
}
