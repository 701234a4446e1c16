//! `/metrics`: the server's counters in the Prometheus text exposition
//! format, through the `prometheus-client` crate.
//!
//! | metric | type | labels | what |
//! |---|---|---|---|
//! | `livechannel_publishers` | gauge | | channels being pushed to on this node now |
//! | `livechannel_publishes_total` | counter | | publishes accepted |
//! | `livechannel_rtmp_connections_total` | counter | | RTMP connections accepted |
//! | `livechannel_rtmp_received_bytes_total` | counter | | bytes read from RTMP sockets |
//! | `livechannel_media_received_bytes_total` | counter | | audio/video message bytes given to ingest |
//! | `livechannel_segments_written_total` | counter | | segments stored by ingest |
//! | `livechannel_segment_written_bytes_total` | counter | | their bytes |
//! | `livechannel_playlists_written_total` | counter | | live playlists stored by ingest |
//! | `livechannel_segments_deleted_total` | counter | | segments deleted by `--segment-retention` |
//! | `livechannel_ingest_store_write_failures_total` | counter | | ingest store writes that failed (then retried) |
//! | `livechannel_store_request_duration_seconds` | histogram | `operation` | every store call (put, put_if_absent, get, head, delete, list) |
//! | `livechannel_store_errors_total` | counter | `operation` | store calls that failed (a missing key is not an error) |
//! | `livechannel_api_requests_total` | counter | `operation`, `status` | HTTP API requests by OSS operation and status code |
//! | `livechannel_http_timeouts_total` | counter | `bound` | HTTP connections closed by a bound: `header`, `idle`, `body`, `write` |
//!
//! Ingest totals come from [`Service::counters`]; store timings from
//! [`MeteredStore`], which wraps whatever store the server runs on.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use livechannel::store::{
    BoxFuture, DynUpload, ListPage, Object, ObjectMeta, ObjectStore, Store, StoreError, Upload,
    Uploads, Write, WritesFailed,
};
use livechannel::Service;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The Content-Type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `operation` label of store metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreLabels {
    operation: &'static str,
}

/// The labels of `livechannel_api_requests_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ApiLabels {
    operation: &'static str,
    status: u16,
}

/// The label of `livechannel_http_timeouts_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TimeoutLabels {
    bound: &'static str,
}

/// Everything `/metrics` reports. Cheap to update from any task.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    rtmp_connections: Counter,
    rtmp_bytes: Counter,
    store_seconds: Family<StoreLabels, Histogram>,
    store_errors: Family<StoreLabels, Counter>,
    api_requests: Family<ApiLabels, Counter>,
    http_timeouts: Family<TimeoutLabels, Counter>,
}

impl Metrics {
    /// A registry with every metric, reading ingest totals from `service`
    /// at each scrape.
    pub fn new(service: Arc<Service>) -> Arc<Metrics> {
        let mut registry = Registry::with_prefix("livechannel");
        let rtmp_connections = Counter::default();
        registry.register(
            "rtmp_connections",
            "RTMP connections accepted",
            rtmp_connections.clone(),
        );
        let rtmp_bytes = Counter::default();
        registry.register(
            "rtmp_received_bytes",
            "Bytes read from RTMP sockets",
            rtmp_bytes.clone(),
        );
        // 1 ms .. ~16 s: a local disk answers in well under a millisecond,
        // a remote S3 in tens of milliseconds, and retries take seconds.
        let store_seconds = Family::<StoreLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 15))
        });
        registry.register(
            "store_request_duration_seconds",
            "Time taken by store calls, by operation",
            store_seconds.clone(),
        );
        let store_errors = Family::<StoreLabels, Counter>::default();
        registry.register(
            "store_errors",
            "Store calls that failed, by operation",
            store_errors.clone(),
        );
        let api_requests = Family::<ApiLabels, Counter>::default();
        registry.register(
            "api_requests",
            "HTTP API requests, by OSS operation and status code",
            api_requests.clone(),
        );
        let http_timeouts = Family::<TimeoutLabels, Counter>::default();
        registry.register(
            "http_timeouts",
            "HTTP connections closed by a time bound, by bound",
            http_timeouts.clone(),
        );
        registry.register_collector(Box::new(IngestCollector(service)));
        Arc::new(Metrics {
            registry,
            rtmp_connections,
            rtmp_bytes,
            store_seconds,
            store_errors,
            api_requests,
            http_timeouts,
        })
    }

    /// An RTMP connection was accepted.
    pub fn rtmp_connection(&self) {
        self.rtmp_connections.inc();
    }

    /// `n` bytes were read from an RTMP socket.
    pub fn rtmp_bytes(&self, n: usize) {
        self.rtmp_bytes.inc_by(n as u64);
    }

    /// An API request was answered.
    pub fn api_request(&self, operation: &'static str, status: u16) {
        self.api_requests
            .get_or_create(&ApiLabels { operation, status })
            .inc();
    }

    /// An HTTP connection was closed by `bound` (`header`, `idle`, `body`, `write`).
    pub fn http_timeout(&self, bound: &'static str) {
        self.http_timeouts
            .get_or_create(&TimeoutLabels { bound })
            .inc();
    }

    fn store_call(&self, operation: &'static str, started: Instant, failed: bool) {
        let labels = StoreLabels { operation };
        self.store_seconds
            .get_or_create(&labels)
            .observe(started.elapsed().as_secs_f64());
        if failed {
            self.store_errors.get_or_create(&labels).inc();
        }
    }

    /// The OpenMetrics text exposition (served with [`CONTENT_TYPE`]),
    /// which Prometheus reads natively: counters are typed without their
    /// `_total` suffix, and the text ends with `# EOF`.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// The ingest totals of a [`Service`], read at each scrape.
#[derive(Debug)]
struct IngestCollector(Arc<Service>);

impl Collector for IngestCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let c = self.0.counters();
        let counters: [(&str, &str, &AtomicU64); 7] = [
            ("publishes", "Publishes accepted", &c.publishes),
            (
                "media_received_bytes",
                "Audio and video message bytes given to ingest",
                &c.media_bytes,
            ),
            ("segments_written", "Segments stored by ingest", &c.segments),
            (
                "segment_written_bytes",
                "Bytes of the segments stored by ingest",
                &c.segment_bytes,
            ),
            (
                "playlists_written",
                "Live playlists stored by ingest",
                &c.playlists,
            ),
            (
                "segments_deleted",
                "Segments deleted by --segment-retention",
                &c.segments_deleted,
            ),
            (
                "ingest_store_write_failures",
                "Ingest store writes that failed (each retry counts)",
                &c.store_write_failures,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value.load(Relaxed));
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        let publishers = ConstGauge::new(self.0.live_count() as i64);
        let metric = encoder.encode_descriptor(
            "publishers",
            "Channels being pushed to on this node",
            None,
            publishers.metric_type(),
        )?;
        publishers.encode(metric)
    }
}

/// A failed store call: counted as an error when the backend failed.
trait Failure {
    fn is_transient(&self) -> bool;
}

impl Failure for StoreError {
    fn is_transient(&self) -> bool {
        StoreError::is_transient(self)
    }
}

impl Failure for WritesFailed {
    fn is_transient(&self) -> bool {
        self.error.is_transient()
    }
}

/// An [`ObjectStore`] that times every call of the store it wraps into
/// [`Metrics`].
pub struct MeteredStore {
    inner: Arc<dyn Store>,
    metrics: std::sync::OnceLock<Arc<Metrics>>,
}

impl MeteredStore {
    /// Wraps `inner`; calls are measured once [`MeteredStore::attach`] is called.
    pub fn new(inner: Arc<dyn Store>) -> Arc<MeteredStore> {
        Arc::new(MeteredStore {
            inner,
            metrics: std::sync::OnceLock::new(),
        })
    }

    /// Report into `metrics` from now on (the metrics need the service,
    /// which needs the store: this breaks the cycle).
    pub fn attach(&self, metrics: Arc<Metrics>) {
        let _ = self.metrics.set(metrics);
    }

    async fn timed<T, E: Failure>(
        &self,
        operation: &'static str,
        call: BoxFuture<'_, Result<T, E>>,
    ) -> Result<T, E> {
        let started = Instant::now();
        let result = call.await;
        if let Some(metrics) = self.metrics.get() {
            let failed = matches!(&result, Err(e) if e.is_transient());
            metrics.store_call(operation, started, failed);
        }
        result
    }
}

/// The wrapped store's uploads, each call timed. Every method of
/// [`ObjectStore`] and [`Uploads`] is required, so none can be left to a
/// default that would bypass the wrapped store's own.
impl Uploads for MeteredStore {
    type State = DynUpload;

    fn begin_upload<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<Upload<DynUpload>, StoreError>> {
        let begin = self.inner.clone().begin_dyn_upload(key, content_type);
        Box::pin(async move {
            let upload = self.timed("begin_upload", begin).await?;
            Ok(Upload::new(key, content_type, upload))
        })
    }

    fn append<'a>(
        &'a self,
        upload: &'a mut Upload<DynUpload>,
        data: Bytes,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let len = data.len() as u64;
            self.timed("append", upload.state_mut().append(data))
                .await?;
            upload.add_size(len);
            Ok(())
        })
    }

    fn complete_upload<'a>(
        &'a self,
        upload: &'a mut Upload<DynUpload>,
    ) -> BoxFuture<'a, Result<ObjectMeta, StoreError>> {
        Box::pin(self.timed("complete_upload", upload.state_mut().complete()))
    }

    fn write_in_order<'a>(
        &'a self,
        upload: Option<&'a mut Upload<DynUpload>>,
        writes: &'a [Write],
    ) -> BoxFuture<'a, Result<(), WritesFailed>> {
        Box::pin(async move {
            let Some(upload) = upload else {
                let writes = self.inner.write_in_order_dyn(None, writes);
                return self.timed("write_in_order", writes).await;
            };
            let result = self
                .timed("write_in_order", upload.state_mut().write_in_order(writes))
                .await;
            // What the wrapped upload took of the appends.
            let appended = upload.state().size() - upload.size();
            upload.add_size(appended);
            result
        })
    }
}

impl ObjectStore for MeteredStore {
    fn put<'a>(
        &'a self,
        key: &'a str,
        data: Bytes,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<ObjectMeta, StoreError>> {
        Box::pin(self.timed("put", self.inner.put(key, data, content_type)))
    }

    fn put_if_absent<'a>(
        &'a self,
        key: &'a str,
        data: Bytes,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<Option<ObjectMeta>, StoreError>> {
        Box::pin(self.timed(
            "put_if_absent",
            self.inner.put_if_absent(key, data, content_type),
        ))
    }

    fn get<'a>(
        &'a self,
        key: &'a str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'a, Result<Object, StoreError>> {
        Box::pin(self.timed("get", self.inner.get(key, range)))
    }

    fn head<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<ObjectMeta, StoreError>> {
        Box::pin(self.timed("head", self.inner.head(key)))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.timed("delete", self.inner.delete(key)))
    }

    fn list<'a>(
        &'a self,
        prefix: &'a str,
        marker: &'a str,
        max_keys: usize,
    ) -> BoxFuture<'a, Result<ListPage, StoreError>> {
        Box::pin(self.timed("list", self.inner.list(prefix, marker, max_keys)))
    }
}
