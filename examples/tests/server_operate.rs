//! Operating livechannel-server: `/metrics` parses as Prometheus text and
//! its counters match what was published; with a store that fails and
//! delays a quarter of its writes, no segment is lost, the channel's stat
//! shows the errors, and no playlist ever names a missing segment.

mod common;
mod server;

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::executor::block_on;
use livechannel::store::{
    BoxFuture, ListPage, MemoryStore, Object, ObjectMeta, ObjectStore, StoreError,
};
use livechannel_m3u8::MediaPlaylist;
use livechannel_testkit::ffprobe::count_frames;
use livechannel_testkit::have;
use server::{ffmpeg_push, vod_dir, TestServer};

/// Samples of `/metrics` by name and labels (`name{a="x",b="y"}` → value).
fn scrape(server: &TestServer) -> HashMap<String, f64> {
    let (status, text) = server.curl("GET", "/metrics", None);
    assert_eq!(status, 200, "{text}");
    assert!(text.ends_with("# EOF\n"), "OpenMetrics ends with # EOF");
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let parsed = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
    let mut samples = HashMap::new();
    for sample in parsed.samples {
        let mut labels: Vec<String> = sample
            .labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        labels.sort();
        let value = match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            prometheus_parse::Value::Histogram(_) | prometheus_parse::Value::Summary(_) => continue,
        };
        let key = match labels.is_empty() {
            true => sample.metric,
            false => format!("{}{{{}}}", sample.metric, labels.join(",")),
        };
        samples.insert(key, value);
    }
    samples
}

fn get(samples: &HashMap<String, f64>, key: &str) -> f64 {
    *samples
        .get(key)
        .unwrap_or_else(|| panic!("{key} not in /metrics: {:?}", samples.keys()))
}

#[test]
fn metrics_parse_and_count_what_was_published() {
    if !have("ffmpeg") || !have("curl") {
        return;
    }
    let server = TestServer::start();
    server.create_channel("open", "m", 2, 3);
    let before = scrape(&server);
    assert_eq!(get(&before, "livechannel_publishers"), 0.0);
    assert_eq!(get(&before, "livechannel_segments_written_total"), 0.0);

    let mut push = ffmpeg_push(&server.rtmp_url("open", "m"), true);
    server.wait_for(15, "a publisher in /metrics", || {
        get(&scrape(&server), "livechannel_publishers") == 1.0
    });
    assert!(push.wait().unwrap().success());
    server.wait_for(10, "the publish to end", || {
        get(&scrape(&server), "livechannel_publishers") == 0.0
    });

    let m = scrape(&server);
    let index = block_on(server.service.catalog().segments("open", "m", 0, u64::MAX)).unwrap();
    let stored_bytes: u64 = index
        .iter()
        .map(|e| {
            server
                .object(&format!("open/m/{}", e.file_name()))
                .unwrap()
                .len() as u64
        })
        .sum();
    assert_eq!(get(&m, "livechannel_publishes_total"), 1.0);
    assert_eq!(
        get(&m, "livechannel_segments_written_total"),
        index.len() as f64
    );
    assert_eq!(
        get(&m, "livechannel_segment_written_bytes_total"),
        stored_bytes as f64
    );
    // One playlist per segment, and the last one again with ENDLIST.
    assert_eq!(
        get(&m, "livechannel_playlists_written_total"),
        index.len() as f64 + 1.0
    );
    let source = std::fs::metadata(common::fixture(server::SOURCE))
        .unwrap()
        .len() as f64;
    let media = get(&m, "livechannel_media_received_bytes_total");
    let received = get(&m, "livechannel_rtmp_received_bytes_total");
    assert!(
        media > source * 0.9 && media < source,
        "{media} of {source}"
    );
    assert!(
        received > media,
        "{received} socket bytes carry {media} media bytes"
    );
    assert_eq!(get(&m, "livechannel_rtmp_connections_total"), 1.0);
    assert_eq!(
        get(&m, "livechannel_ingest_store_write_failures_total"),
        0.0
    );
    assert_eq!(
        get(
            &m,
            r#"livechannel_api_requests_total{operation="PutLiveChannel",status="200"}"#
        ),
        1.0
    );
    // Store calls are timed: one write_in_order per segment (its end, its
    // index entry and the playlist), and puts (the ended playlist, records).
    assert_eq!(
        get(
            &m,
            r#"livechannel_store_request_duration_seconds_count{operation="write_in_order"}"#
        ),
        index.len() as f64
    );
    assert!(
        get(
            &m,
            r#"livechannel_store_request_duration_seconds_count{operation="put"}"#
        ) >= 1.0
    );

    // A request the API refuses is counted with its status.
    let (status, _) = server.curl("GET", "/nosuchbucket/x?live", None);
    assert_eq!(status, 404);
    let m = scrape(&server);
    assert_eq!(
        get(
            &m,
            r#"livechannel_api_requests_total{operation="GetLiveChannelInfo",status="404"}"#
        ),
        1.0
    );
}

/// A store that fails one call in `1/fail_every` (a passing backend error)
/// and delays others by up to `max_delay`, deterministically.
struct FlakyStore {
    inner: MemoryStore,
    calls: AtomicU64,
    failures: AtomicU64,
    fail_every: u64,
    max_delay: Duration,
    /// Calm until armed (the test server's set-up runs outside tokio).
    armed: std::sync::atomic::AtomicBool,
}

impl FlakyStore {
    /// Ok(()) to go on after the delay, or the injected failure.
    async fn weather(&self, op: &str, key: &str) -> Result<(), StoreError> {
        if !self.armed.load(Relaxed) {
            return Ok(());
        }
        let n = self.calls.fetch_add(1, Relaxed);
        // A multiplicative hash spreads failures over keys and operations.
        let roll = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        let delay = self.max_delay.mul_f64((roll % 1000) as f64 / 1000.0);
        tokio::time::sleep(delay).await;
        if roll.is_multiple_of(self.fail_every) {
            self.failures.fetch_add(1, Relaxed);
            return Err(StoreError::Backend(format!(
                "injected failure of {op} {key}"
            )));
        }
        Ok(())
    }
}

// Segments kept in memory until they end, stored by the flaky put.
livechannel::uploads_in_memory!(FlakyStore);

impl ObjectStore for FlakyStore {
    fn put<'a>(
        &'a self,
        key: &'a str,
        data: Bytes,
        ct: &'a str,
    ) -> BoxFuture<'a, Result<ObjectMeta, StoreError>> {
        Box::pin(async move {
            self.weather("put", key).await?;
            self.inner.put(key, data, ct).await
        })
    }
    fn put_if_absent<'a>(
        &'a self,
        key: &'a str,
        data: Bytes,
        ct: &'a str,
    ) -> BoxFuture<'a, Result<Option<ObjectMeta>, StoreError>> {
        Box::pin(async move {
            self.weather("put_if_absent", key).await?;
            self.inner.put_if_absent(key, data, ct).await
        })
    }
    fn get<'a>(
        &'a self,
        key: &'a str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'a, Result<Object, StoreError>> {
        // Reads go through untouched: players and the test read with them.
        self.inner.get(key, range)
    }
    fn head<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<ObjectMeta, StoreError>> {
        self.inner.head(key)
    }
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.inner.delete(key)
    }
    fn list<'a>(
        &'a self,
        prefix: &'a str,
        marker: &'a str,
        max_keys: usize,
    ) -> BoxFuture<'a, Result<ListPage, StoreError>> {
        self.inner.list(prefix, marker, max_keys)
    }
}

#[test]
fn a_flaky_store_loses_no_segment_and_no_playlist_names_a_missing_one() {
    if !have("ffmpeg") || !have("ffprobe") || !have("curl") {
        return;
    }
    let store = Arc::new(FlakyStore {
        inner: MemoryStore::new(),
        calls: AtomicU64::new(0),
        failures: AtomicU64::new(0),
        fail_every: 4,
        max_delay: Duration::from_millis(150),
        armed: false.into(),
    });
    let server = TestServer::with_store(store.clone());
    server.create_channel("open", "flaky", 1, 3);
    // From here on every write may fail, the publish's own (lease, history) included.
    store.armed.store(true, Relaxed);
    let mut push = ffmpeg_push(&server.rtmp_url("open", "flaky"), true);
    // While it publishes, every playlist the store holds names only stored segments.
    let mut checks = 0;
    let mut stat_errors = false;
    while push.try_wait().unwrap().is_none() {
        if let Ok(object) = block_on(store.inner.get("open/flaky/playlist.m3u8", None)) {
            let playlist =
                MediaPlaylist::parse(std::str::from_utf8(&object.data).unwrap()).unwrap();
            for segment in &playlist.segments {
                let key = format!("open/flaky/{}", segment.uri);
                assert!(
                    block_on(store.inner.head(&key)).is_ok(),
                    "{key} is named but not stored"
                );
            }
            checks += 1;
        }
        let stat = server.curl("GET", "/open/flaky?live&comp=stat", None).1;
        stat_errors |= stat.contains("<StoreErrors>") && stat.contains("injected failure");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(push.wait().unwrap().success());
    assert!(checks > 20, "{checks} playlist checks");
    assert!(
        stat_errors,
        "the stat showed the store errors while publishing"
    );
    server.wait_for_endlist(30, "open", "flaky");
    let (failures, calls) = (store.failures.load(Relaxed), store.calls.load(Relaxed));
    eprintln!("flaky store: {failures} of {calls} writes failed");
    assert!(
        failures * 10 >= calls,
        "faults were injected: {failures} of {calls} calls"
    );
    // Nothing lost: the VOD over every indexed segment has all the source's frames.
    let dir = tempfile::tempdir().unwrap();
    let (video, audio, errors) = count_frames(&vod_dir(&server, "open", "flaky", dir.path()));
    assert_eq!(errors.trim(), "");
    assert_eq!((video, audio), (240, 346));
    let m = scrape(&server);
    assert!(get(&m, "livechannel_ingest_store_write_failures_total") >= 1.0);
    assert!(get(&m, r#"livechannel_store_errors_total{operation="put"}"#) >= 1.0);
}
