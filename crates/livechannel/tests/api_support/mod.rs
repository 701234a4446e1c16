//! Shared helpers of the api_* tests: a service over a MemoryStore, signed
//! and anonymous requests, and a small XML reader for the answers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::executor::block_on;
use http::{HeaderMap, Request, Response};
use livechannel::auth::{sign, string_to_sign};
use livechannel::catalog::{Container, SegmentEntry};
use livechannel::store::MemoryStore;
use livechannel::{Service, ServiceConfig};
use percent_encoding::percent_decode_str;
use quick_xml::events::Event;
use quick_xml::Reader;

pub const AK: &str = "AKIDEXAMPLE";
pub const SK: &str = "SECRETEXAMPLE";
pub const HOST: &str = "127.0.0.1:9000";
pub const DOMAIN: &str = "oss.example";
/// 2023-11-14T22:13:20Z
pub const NOW_S: u64 = 1_700_000_000;

pub fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

pub struct Api {
    pub service: Arc<Service>,
    pub store: Arc<MemoryStore>,
    pub now: SystemTime,
}

pub fn config(keys: bool) -> ServiceConfig {
    ServiceConfig {
        domain: Some(DOMAIN.to_owned()),
        access_keys: if keys {
            BTreeMap::from([
                (AK.to_owned(), SK.to_owned()),
                ("AK2".to_owned(), "SK2".to_owned()),
            ])
        } else {
            BTreeMap::new()
        },
        ..ServiceConfig::default()
    }
}

impl Api {
    /// Keys AKIDEXAMPLE and AK2 configured, domain oss.example, now = NOW_S.
    pub fn new() -> Api {
        Api::with_config(config(true))
    }

    /// No access key configured (development setup).
    pub fn dev() -> Api {
        Api::with_config(config(false))
    }

    pub fn with_config(config: ServiceConfig) -> Api {
        let store = Arc::new(MemoryStore::new());
        let now = at(NOW_S);
        store.set_now(now);
        let service = Arc::new(Service::new(store.clone(), config));
        Api {
            service,
            store,
            now,
        }
    }

    pub fn send(&self, req: Request<Bytes>) -> Response<Bytes> {
        block_on(self.service.handle(req, self.now))
    }

    pub fn send_at(&self, req: Request<Bytes>, now: SystemTime) -> Response<Bytes> {
        block_on(self.service.handle(req, now))
    }

    /// A path-style request to HOST signed with AKIDEXAMPLE.
    pub fn signed(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response<Bytes> {
        self.send(signed_request(
            method, uri, HOST, headers, body, self.now, AK, SK,
        ))
    }

    /// A path-style request to HOST without signature.
    pub fn anon(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response<Bytes> {
        self.send(request(method, uri, HOST, headers, body))
    }

    pub fn create_bucket(&self, bucket: &str, acl: &str) {
        let res = self.signed("PUT", &format!("/{bucket}/"), &[("x-oss-acl", acl)], b"");
        assert_eq!(res.status(), 200, "{}", text(&res));
    }

    /// Seeds `bucket/channel`'s VOD index with `(start_ms, duration_ms,
    /// discontinuity)` entries, as ingest records segments; writes no
    /// segment objects.
    pub fn add_segments(&self, bucket: &str, channel: &str, entries: &[(u64, u64, bool)]) {
        for &(start_ms, duration_ms, discontinuity) in entries {
            let entry = SegmentEntry {
                start_ms,
                duration_ms,
                discontinuity,
                container: Container::Ts,
            };
            block_on(self.service.catalog().add_segment(bucket, channel, entry)).unwrap();
        }
    }

    /// `count` back-to-back 5 s segments of test-bucket/test-channel from
    /// 2023-11-14T22:13:20Z (`NOW_S`) on: what the oss2 SDK tests list and
    /// make VOD playlists of.
    pub fn add_oss2_segments(&self, count: u64) {
        let entries: Vec<_> = (0..count)
            .map(|i| (NOW_S * 1000 + i * 5000, 5000, false))
            .collect();
        self.add_segments("test-bucket", "test-channel", &entries);
    }

    pub fn create_channel(&self, bucket: &str, channel: &str) {
        let res = self.signed(
            "PUT",
            &format!("/{bucket}/{channel}?live="),
            &[],
            OSS2_BODY.as_bytes(),
        );
        assert_eq!(res.status(), 200, "{}", text(&res));
    }
}

/// The PutLiveChannel body oss2 sends for the defaults
/// (`docs/oss-compatibility.md`, "Request bodies").
pub const OSS2_BODY: &str = "<LiveChannelConfiguration><Description /><Status>enabled</Status><Target><Type>HLS</Type><FragDuration>5</FragDuration><FragCount>3</FragCount><PlaylistName /></Target></LiveChannelConfiguration>";

pub fn request(
    method: &str,
    uri: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Request<Bytes> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", host);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Bytes::copy_from_slice(body)).unwrap()
}

/// (bucket, key, query) of a path-style URI, decoded as a client signs them.
pub fn resource(uri: &str) -> (Option<String>, String, Vec<(String, String)>) {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let path = path.trim_start_matches('/');
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    let bucket = (!bucket.is_empty()).then(|| decode(bucket));
    (bucket, decode(key), query)
}

#[allow(clippy::too_many_arguments)]
pub fn signed_request(
    method: &str,
    uri: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    now: SystemTime,
    ak: &str,
    sk: &str,
) -> Request<Bytes> {
    let mut req = request(method, uri, host, headers, body);
    if !req.headers().contains_key("date") {
        req.headers_mut()
            .insert("date", httpdate::fmt_http_date(now).parse().unwrap());
    }
    let (bucket, key, query) = resource(uri);
    let sts = string_to_sign(method, req.headers(), bucket.as_deref(), &key, &query);
    let auth = format!("OSS {ak}:{}", sign(sk, &sts));
    req.headers_mut()
        .insert("authorization", auth.parse().unwrap());
    req
}

/// The presigned form of a path-style GET: `uri?OSSAccessKeyId=&Expires=&Signature=`.
pub fn presign(method: &str, uri: &str, expires: u64, ak: &str, sk: &str) -> String {
    let (bucket, key, query) = resource(uri);
    let mut headers = HeaderMap::new();
    headers.insert("date", expires.to_string().parse().unwrap());
    let sts = string_to_sign(method, &headers, bucket.as_deref(), &key, &query);
    let signature: String =
        percent_encoding::utf8_percent_encode(&sign(sk, &sts), percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}OSSAccessKeyId={ak}&Expires={expires}&Signature={signature}")
}

pub fn text(res: &Response<Bytes>) -> String {
    String::from_utf8_lossy(res.body()).into_owned()
}

/// Every (path, text) of an XML document, paths relative to the root
/// (`Target/Type`); containers appear with their (empty) text.
pub fn xml_nodes(xml: &str) -> (String, Vec<(String, String)>) {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<String> = Vec::new();
    let mut root = String::new();
    let mut nodes: Vec<(String, String)> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed xml") {
            Event::Start(e) | Event::Empty(e) if root.is_empty() => {
                root = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
            }
            Event::Start(e) => {
                stack.push(String::from_utf8(e.name().as_ref().to_vec()).unwrap());
                nodes.push((stack.join("/"), String::new()));
            }
            Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                let path = if stack.is_empty() {
                    name
                } else {
                    format!("{}/{name}", stack.join("/"))
                };
                nodes.push((path, String::new()));
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(t) => {
                if let Some(last) = nodes.last_mut() {
                    if last.0 == stack.join("/") {
                        last.1.push_str(&t.unescape().unwrap());
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (root, nodes)
}

/// The root element's name.
pub fn xml_root(xml: &str) -> String {
    xml_nodes(xml).0
}

/// The text of the first element at `path`.
pub fn xml_get(xml: &str, path: &str) -> Option<String> {
    xml_nodes(xml)
        .1
        .into_iter()
        .find(|(p, _)| p == path)
        .map(|(_, t)| t)
}

/// The texts of every element at `path`.
pub fn xml_all(xml: &str, path: &str) -> Vec<String> {
    xml_nodes(xml)
        .1
        .into_iter()
        .filter(|(p, _)| p == path)
        .map(|(_, t)| t)
        .collect()
}

/// Asserts an OSS error answer: status, `<Code>`, 24-hex request id in body and header.
pub fn assert_error(res: &Response<Bytes>, status: u16, code: &str) {
    let body = text(res);
    assert_eq!(res.status(), status, "{body}");
    assert!(
        body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "{body}"
    );
    assert_eq!(xml_root(&body), "Error");
    assert_eq!(xml_get(&body, "Code").as_deref(), Some(code), "{body}");
    let id = res.headers()["x-oss-request-id"].to_str().unwrap();
    assert_eq!(xml_get(&body, "RequestId").as_deref(), Some(id));
    assert!(xml_get(&body, "Message").is_some_and(|m| !m.is_empty()));
    assert!(xml_get(&body, "HostId").is_some());
    assert_eq!(res.headers()["content-type"], "application/xml");
}

/// Asserts the headers every answer carries.
pub fn assert_common_headers(res: &Response<Bytes>) {
    let id = res.headers()["x-oss-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 24, "{id}");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
        "{id}"
    );
    assert_eq!(res.headers()["server"], "AliyunOSS");
    assert!(httpdate::parse_http_date(res.headers()["date"].to_str().unwrap()).is_ok());
    assert_eq!(
        res.headers()["content-length"].to_str().unwrap(),
        res.body().len().to_string()
    );
}
