//! `Service::handle` on arbitrary requests: no panic, the common headers,
//! a well-formed answer, objects only inside their bucket, and the same
//! answer from two fresh services (the handler is deterministic).
//!
//! Input: byte 0 picks the method, then `TARGET\nName: value\n...\n\nBODY`.
//! The bucket is public-read-write and no key is configured, so anonymous
//! requests reach every operation.
#![no_main]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;
use livechannel::catalog::{
    Acl, BucketRecord, ChannelConfig, ChannelRecord, Container, SegmentEntry,
};
use livechannel::store::{MemoryStore, ObjectStore};
use livechannel::{Service, ServiceConfig};

const METHODS: [&str; 8] = [
    "GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "GET",
];

fn service(now: SystemTime) -> (Service, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    store.set_now(now);
    let config = ServiceConfig {
        domain: Some("oss.example".into()),
        ..ServiceConfig::default()
    };
    let service = Service::new(store.clone(), config);
    let catalog = service.catalog();
    block_on(catalog.put_bucket(&BucketRecord {
        name: "test-bucket".into(),
        acl: Acl::PublicReadWrite,
        created_ms: 0,
    }))
    .unwrap();
    let channel = ChannelRecord {
        name: "ch".into(),
        config: ChannelConfig::default(),
        last_modified_ms: 0,
    };
    block_on(catalog.put_channel("test-bucket", &channel)).unwrap();
    // A TS segment, then a republish in fMP4: VODs with and without maps.
    let ts = SegmentEntry {
        start_ms: 1_700_000_000_000,
        duration_ms: 2000,
        discontinuity: false,
        container: Container::Ts,
    };
    let fmp4 = SegmentEntry {
        start_ms: 1_700_000_002_000,
        discontinuity: true,
        container: Container::Fmp4 {
            init_ms: 1_700_000_002_000,
        },
        ..ts
    };
    for entry in [ts, fmp4] {
        block_on(catalog.add_segment("test-bucket", "ch", entry)).unwrap();
    }
    block_on(store.put(
        "test-bucket/ch/playlist.m3u8",
        Bytes::from_static(b"#EXTM3U\n"),
        "",
    ))
    .unwrap();
    (service, store)
}

fn request(data: &[u8]) -> Option<http::Request<Bytes>> {
    let (&m, rest) = data.split_first()?;
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&rest[..at], &rest[at + 2..]),
        None => (rest, &[][..]),
    };
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.split('\n');
    let mut b = http::Request::builder()
        .method(METHODS[usize::from(m) % METHODS.len()])
        .uri(lines.next()?);
    for line in lines {
        let (name, value) = line.split_once(':')?;
        b = b.header(name.trim(), value.trim());
    }
    b.body(Bytes::copy_from_slice(body)).ok()
}

fn key_is_safe(key: &str) -> bool {
    key.starts_with(".livechannel/")
        || key.split_once('/').is_some_and(|(bucket, rest)| {
            !bucket.is_empty()
                && bucket
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                && !rest.is_empty()
                && !rest.starts_with('/')
                && !rest.split(['/', '\\']).any(|s| s == ".." || s == ".")
                && !rest.contains('\0')
        })
}

fuzz_target!(|data: &[u8]| {
    let Some(req) = request(data) else { return };
    let head = req.method() == http::Method::HEAD;
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let (a, store) = service(now);
    let (b, _) = service(now);
    let res = block_on(a.handle(req.clone(), now));
    let id = res
        .headers()
        .get("x-oss-request-id")
        .expect("x-oss-request-id")
        .to_str()
        .unwrap();
    assert_eq!(id.len(), 24);
    assert!(id
        .bytes()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
    assert!(res.headers().contains_key("date") && res.headers().contains_key("server"));
    if head {
        assert!(res.body().is_empty());
    } else {
        assert_eq!(
            res.headers()["content-length"].to_str().unwrap(),
            res.body().len().to_string()
        );
        if res.status().as_u16() >= 400 {
            assert!(res
                .body()
                .starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"));
        }
    }
    let page = block_on(store.list("", "", 1_000_000)).unwrap();
    for meta in &page.objects {
        assert!(key_is_safe(&meta.key), "{:?}", meta.key);
    }
    let again = block_on(b.handle(req, now));
    assert_eq!(res.status(), again.status());
    assert_eq!(res.headers(), again.headers());
    assert_eq!(res.body(), again.body());
});
