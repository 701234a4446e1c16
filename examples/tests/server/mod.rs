//! A livechannel server running in-process on free loopback ports, for the
//! interop tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::executor::block_on;
use livechannel::catalog::{Acl, BucketRecord};
use livechannel::store::{MemoryStore, Store};
use livechannel::{Service, ServiceConfig};
use livechannel_examples::metrics::{MeteredStore, Metrics};
use livechannel_examples::server::{serve, Listeners, TokioSleep};
use livechannel_testkit::vod::{write_vod, Segment};

pub const AK: &str = "AKIDTEST";
pub const SK: &str = "SECRETTEST";

pub struct TestServer {
    pub http: u16,
    pub rtmp: u16,
    pub service: Arc<Service>,
    pub metrics: Arc<Metrics>,
    pub store: Arc<dyn Store>,
    stop: tokio::sync::watch::Sender<bool>,
    pub runtime: tokio::runtime::Runtime,
}

impl TestServer {
    /// Buckets: `open` (public-read-write) and `private`; one access key.
    pub fn start() -> TestServer {
        Self::with_store(Arc::new(MemoryStore::with_system_clock()))
    }

    pub fn with_store(store: Arc<dyn Store>) -> TestServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut keys = BTreeMap::new();
        keys.insert(AK.to_owned(), SK.to_owned());
        let config = ServiceConfig {
            domain: Some("oss.test".into()),
            access_keys: keys,
            ..ServiceConfig::default()
        };
        let metered = MeteredStore::new(store.clone());
        let service =
            Arc::new(Service::new(metered.clone(), config).with_sleep(Arc::new(TokioSleep)));
        let metrics = Metrics::new(service.clone());
        metered.attach(metrics.clone());
        for (name, acl) in [("open", Acl::PublicReadWrite), ("private", Acl::Private)] {
            let record = BucketRecord {
                name: name.into(),
                acl,
                created_ms: crate::common::now_ms(),
            };
            block_on(service.catalog().put_bucket(&record)).unwrap();
        }
        let (http, rtmp) = runtime.block_on(async {
            (
                tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
                tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
            )
        });
        let (http_port, rtmp_port) = (
            http.local_addr().unwrap().port(),
            rtmp.local_addr().unwrap().port(),
        );
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let listeners = Listeners {
            http,
            rtmp,
            rtmps: None,
            default_bucket: Some("open".into()),
            http_timeouts: Default::default(),
        };
        runtime.spawn(serve(service.clone(), metrics.clone(), listeners, shutdown));
        TestServer {
            http: http_port,
            rtmp: rtmp_port,
            service,
            metrics,
            store,
            stop,
            runtime,
        }
    }

    pub fn http_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http)
    }

    pub fn rtmp_url(&self, bucket: &str, channel: &str) -> String {
        format!("rtmp://127.0.0.1:{}/{bucket}/live/{channel}", self.rtmp)
    }

    /// HTTP request through curl; returns (status, body).
    pub fn curl(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        crate::common::curl(&self.http_url(path), method, body)
    }

    pub fn create_channel(&self, bucket: &str, channel: &str, frag_duration: u32, frag_count: u32) {
        let xml = format!(
            "<LiveChannelConfiguration><Target><Type>HLS</Type><FragDuration>{frag_duration}</FragDuration><FragCount>{frag_count}</FragCount></Target></LiveChannelConfiguration>"
        );
        let (status, body) = self.curl("PUT", &format!("/{bucket}/{channel}?live"), Some(&xml));
        assert_eq!(status, 200, "{body}");
    }

    /// Wait until `f` holds, or fail after `secs`.
    pub fn wait_for(&self, secs: u64, what: &str, f: impl FnMut() -> bool) {
        crate::common::wait_for(secs, what, f)
    }

    /// Wait until `bucket/channel`'s live playlist is ended (ENDLIST), or
    /// fail after `secs`.
    pub fn wait_for_endlist(&self, secs: u64, bucket: &str, channel: &str) {
        let key = format!("{bucket}/{channel}/playlist.m3u8");
        self.wait_for(secs, "ENDLIST", || {
            self.object(&key)
                .is_some_and(|p| String::from_utf8_lossy(&p).contains("#EXT-X-ENDLIST"))
        });
    }

    /// The stored object at `key`.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        let (store, key) = (self.store.clone(), key.to_owned());
        self.on_runtime(async move { store.get(&key, None).await })
            .ok()
            .map(|o| o.data.to_vec())
    }

    /// Runs `task` on the server's runtime (a file store reads large
    /// objects on its blocking pool, which needs one) and waits for it
    /// from any thread, a runtime's too.
    pub fn on_runtime<T: Send + 'static>(
        &self,
        task: impl std::future::Future<Output = T> + Send + 'static,
    ) -> T {
        block_on(self.runtime.spawn(task)).unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Copy a channel's segments and a VOD playlist naming them into `dir`, for ffprobe.
pub fn vod_dir(server: &TestServer, bucket: &str, channel: &str, dir: &Path) -> PathBuf {
    let (service, b, ch) = (
        server.service.clone(),
        bucket.to_owned(),
        channel.to_owned(),
    );
    let entries = server
        .on_runtime(async move { service.catalog().segments(&b, &ch, 0, u64::MAX).await })
        .unwrap();
    let segments = entries.iter().map(|e| Segment {
        name: e.file_name(),
        duration_ms: e.duration_ms,
        discontinuity: e.discontinuity,
        data: server
            .object(&format!("{bucket}/{channel}/{}", e.file_name()))
            .expect("segment stored"),
    });
    write_vod(dir, segments)
}

/// ffmpeg pushing the fixture `source` to `url` (in real time with `realtime`).
pub fn ffmpeg_push_file(source: &str, url: &str, realtime: bool) -> std::process::Child {
    let mut cmd = std::process::Command::new("ffmpeg");
    cmd.args(["-v", "error"]);
    if realtime {
        cmd.arg("-re");
    }
    cmd.arg("-i")
        .arg(crate::common::fixture(source))
        .args(["-c", "copy", "-f", "flv", url]);
    cmd.stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ffmpeg")
}

/// ffmpeg pushing the 8 s 320x180 fixture (240 video, 346 audio frames).
pub fn ffmpeg_push(url: &str, realtime: bool) -> std::process::Child {
    ffmpeg_push_file(SOURCE, url, realtime)
}

/// The fixture most tests push: 8 s, H.264 High with B-frames, 2 s GOP, AAC 44.1 kHz.
pub const SOURCE: &str = "high_bframes_gop2s_aac44k.flv";
