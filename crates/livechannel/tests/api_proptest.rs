//! Arbitrary requests never panic `Service::handle`, always get the common
//! headers and a well-formed answer, never change the store unless signed,
//! and never put an object outside its bucket.

mod api_support;

use api_support::*;
use futures::executor::block_on;
use proptest::prelude::*;

const METHODS: &[&str] = &[
    "GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "FOO",
];
const SEGMENTS: &[&str] = &[
    "test-bucket",
    "other-bucket",
    "ch",
    "test-channel",
    "..",
    ".",
    "",
    "%2F",
    "%2E%2E",
    "a%00b",
    "playlist.m3u8",
    "1700000000000.ts",
    "vod.m3u8",
    "%FF",
    "x y",
    "%",
    "ü",
    "\\",
    "a%5C..",
    "Bad_Bucket",
];
const PARAMS: &[&str] = &[
    "live",
    "vod",
    "comp",
    "status",
    "startTime",
    "endTime",
    "prefix",
    "marker",
    "max-keys",
    "delimiter",
    "encoding-type",
    "comp",
    "comp",
    "startTime",
    "endTime",
    "max-keys",
    "acl",
    "uploads",
    "append",
    "OSSAccessKeyId",
    "Expires",
    "Signature",
    "security-token",
    "response-content-type",
];
const VALUES: &[&str] = &[
    "",
    "stat",
    "history",
    "enabled",
    "disabled",
    "1700000000",
    "1700000600",
    "-1",
    "0",
    "1000",
    "1001",
    "/",
    "url",
    "AKIDEXAMPLE",
    "99999999999999999999",
    "%2F",
    "test",
    "bogus",
];
const HEADERS: &[(&str, &[&str])] = &[
    (
        "range",
        &[
            "bytes=0-3",
            "bytes=-5",
            "bytes=5-",
            "bytes=9999999999999999999-",
            "bytes=-0",
            "bytes=3-1",
            "bytes=a",
        ],
    ),
    (
        "x-oss-acl",
        &["private", "public-read", "public-read-write", "bogus"],
    ),
    ("content-md5", &["1B2M2Y8AsgTpgAmY7PhCfg==", "bad"]),
    (
        "authorization",
        &[
            "OSS AKIDEXAMPLE:xx",
            "OSS",
            "OSS4-HMAC-SHA256 x",
            "OSS :",
            "Basic abc",
        ],
    ),
    ("date", &["Tue, 14 Nov 2023 22:13:20 GMT", "yesterday", ""]),
    ("content-type", &["text/plain", ""]),
    ("if-none-match", &["*", "\"x\""]),
    ("access-control-request-headers", &["range", ""]),
];
const HOSTS: &[&str] = &[
    HOST,
    "test-bucket.oss.example",
    "TEST-BUCKET.oss.example:9000",
    "oss.example",
    "a.b.oss.example",
    "",
    "[::1]:9000",
    "bad_bucket.oss.example",
];

#[derive(Debug, Clone)]
struct Req {
    method: String,
    segments: Vec<String>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    host: String,
    absolute: bool,
    body: Vec<u8>,
}

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![9 => prop::sample::select(list).prop_map(str::to_owned), 1 => "[ -~]{0,6}"]
}

fn req() -> impl Strategy<Value = Req> {
    let body = prop_oneof![
        Just(Vec::new()),
        Just(OSS2_BODY.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
        (0..OSS2_BODY.len(), any::<u8>()).prop_map(|(at, b)| {
            let mut v = OSS2_BODY.as_bytes().to_vec();
            v[at] = b;
            v
        }),
    ];
    let header = prop::sample::select(HEADERS).prop_flat_map(|(name, values)| {
        prop::sample::select(values).prop_map(move |v| (name.to_owned(), v.to_owned()))
    });
    (
        prop::sample::select(METHODS),
        (
            prop_oneof![8 => Just(vec!["test-bucket".to_owned()]), 1 => Just(Vec::new()), 2 => prop::collection::vec(pick(SEGMENTS), 1..2)],
            prop::collection::vec(prop_oneof![3 => Just("test-channel".to_owned()), 3 => pick(SEGMENTS)], 0..3),
        )
            .prop_map(|(mut a, b)| {
                a.extend(b);
                a
            }),
        prop::collection::vec(
            prop_oneof![
                3 => Just(("live".to_owned(), String::new())),
                2 => Just(("vod".to_owned(), String::new())),
                4 => (pick(PARAMS), pick(VALUES)),
            ],
            0..5,
        ),
        prop::collection::vec(header, 0..3),
        prop::sample::select(HOSTS),
        any::<bool>(),
        body,
    )
        .prop_map(|(method, segments, query, headers, host, absolute, body)| Req {
            method: method.to_owned(),
            segments,
            query,
            headers,
            host: host.to_owned(),
            absolute,
            body,
        })
}

impl Req {
    fn uri(&self) -> String {
        let path: String = self
            .segments
            .iter()
            .map(|s| format!("/{}", s.replace(' ', "%20")))
            .collect();
        let path = if path.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        let query: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| {
                if v.is_empty() && k.len() % 2 == 0 {
                    k.clone()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{}", query.join("&"))
        };
        let authority = if self.absolute && !self.host.is_empty() {
            format!("http://{}", self.host)
        } else {
            String::new()
        };
        format!("{authority}{path}{query}")
    }

    fn build(&self, signed: bool, api: &Api) -> Option<http::Request<bytes::Bytes>> {
        let uri = self.uri();
        let mut b = http::Request::builder()
            .method(self.method.as_str())
            .uri(uri.as_str());
        if !self.host.is_empty() {
            b = b.header("host", self.host.as_str());
        }
        for (k, v) in &self.headers {
            if signed && (k == "authorization" || k == "date") {
                continue;
            }
            b = b.header(k.as_str(), v.as_str());
        }
        let mut req = b.body(bytes::Bytes::from(self.body.clone())).ok()?;
        if signed {
            // Sign exactly what the server will see (path style: /bucket/key of the decoded path).
            let target = req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            let (mut bucket, mut key, query) = resource(&target);
            let host = req
                .uri()
                .authority()
                .map_or(self.host.as_str(), |a| a.as_str())
                .to_ascii_lowercase();
            let name = host.split(':').next().unwrap_or_default();
            if let Some(label) = name
                .strip_suffix(".oss.example")
                .filter(|l| !l.contains('.'))
            {
                // Virtual-host style: the bucket is the host's label, the key the whole path.
                let path = target
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches('/');
                key = percent_encoding::percent_decode_str(path)
                    .decode_utf8_lossy()
                    .into_owned();
                bucket = Some(label.to_owned());
            }
            req.headers_mut()
                .insert("date", httpdate::fmt_http_date(api.now).parse().ok()?);
            let sts = livechannel::auth::string_to_sign(
                self.method.as_str(),
                req.headers(),
                bucket.as_deref(),
                &key,
                &query,
            );
            let auth = format!("OSS {AK}:{}", livechannel::auth::sign(SK, &sts));
            req.headers_mut()
                .insert("authorization", auth.parse().ok()?);
        }
        Some(req)
    }
}

fn fixture() -> Api {
    let api = Api::new();
    api.create_bucket("test-bucket", "private");
    api.create_channel("test-bucket", "test-channel");
    api.signed(
        "PUT",
        "/test-bucket/test-channel/playlist.m3u8",
        &[],
        b"#EXTM3U\n",
    );
    api.add_segments(
        "test-bucket",
        "test-channel",
        &[(1_700_000_000_000, 2000, false)],
    );
    api
}

fn store_keys(api: &Api) -> Vec<(String, String)> {
    use livechannel::store::ObjectStore;
    let page = block_on(api.store.list("", "", 100_000)).unwrap();
    page.objects
        .into_iter()
        .map(|m| (m.key, m.etag.to_string()))
        .collect()
}

fn check_response(req: &Req, res: &http::Response<bytes::Bytes>) -> Result<(), TestCaseError> {
    let id = res
        .headers()
        .get("x-oss-request-id")
        .expect("x-oss-request-id")
        .to_str()
        .unwrap();
    prop_assert_eq!(id.len(), 24);
    prop_assert!(res.headers().contains_key("date") && res.headers().contains_key("server"));
    if req.method == "HEAD" {
        prop_assert!(res.body().is_empty());
        if res.status().as_u16() >= 400 {
            prop_assert!(res.headers().contains_key("x-oss-err"));
        }
    } else {
        prop_assert_eq!(
            res.headers()["content-length"].to_str().unwrap(),
            res.body().len().to_string()
        );
        if res.status().as_u16() >= 400 {
            let body = text(res);
            prop_assert_eq!(xml_root(&body), "Error");
            prop_assert!(
                xml_get(&body, "Code").is_some_and(|c| !c.is_empty()),
                "{}",
                body
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn anonymous_requests_never_panic_nor_write(r in req()) {
        let api = fixture();
        let before = store_keys(&api);
        let Some(request) = r.build(false, &api) else { return Ok(()) };
        let res = api.send(request);
        check_response(&r, &res)?;
        prop_assert_eq!(store_keys(&api), before, "{} {} -> {}", r.method, r.uri(), res.status());
    }

    #[test]
    fn signed_requests_never_panic_nor_escape_the_bucket(r in req()) {
        let api = fixture();
        let Some(request) = r.build(true, &api) else { return Ok(()) };
        let res = api.send(request);
        check_response(&r, &res)?;
        for (key, _) in store_keys(&api) {
            let ok = key.starts_with(".livechannel/")
                || key.split_once('/').is_some_and(|(bucket, rest)| {
                    ["test-bucket", "other-bucket"].contains(&bucket)
                        && !rest.is_empty()
                        && !rest.starts_with('/')
                        && !rest.split(['/', '\\']).any(|s| s == ".." || s == ".")
                        && !rest.contains('\0')
                });
            prop_assert!(ok, "{:?} after {} {}", key, r.method, r.uri());
        }
    }
}
