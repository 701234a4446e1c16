//! Shared helpers of the ingest tests: a service over a MemoryStore, an
//! RTMP publish of FLV tags through the real `Connection` on a virtual
//! clock, and readers of what was stored.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures::executor::block_on;
use livechannel::catalog::{Acl, BucketRecord, ChannelConfig, ChannelRecord, Target};
use livechannel::store::{MemoryStore, ObjectStore};
use livechannel::{
    Connection, ConnectionConfig, ConnectionEvent, IngestWarning, PublishRequest, Service,
    ServiceConfig,
};
use livechannel_flv::{Tag, TagType};
use livechannel_m3u8::MediaPlaylist;
use livechannel_rtmp::{ClientConfig, ClientEvent, ClientSession};
use livechannel_testkit::ffprobe::{self, Counts};
use livechannel_testkit::have;

pub const FIXTURE: &str = "high_bframes_gop2s_aac44k.flv";
/// 2023-11-14T22:13:20Z: the virtual wall clock at connect time.
pub const T0_MS: u64 = 1_700_000_000_000;

pub fn t(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}

pub fn tags() -> Vec<Tag> {
    fixture_tags(FIXTURE)
}

/// The tags of `tests/fixtures/NAME`.
pub fn fixture_tags(name: &str) -> Vec<Tag> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name);
    livechannel_flv::read_all(std::fs::read(path).unwrap().into()).unwrap()
}

pub fn service(store: Arc<MemoryStore>, node: &str) -> Arc<Service> {
    let mut config = ServiceConfig {
        domain: Some("oss.example".into()),
        node_id: node.into(),
        ..ServiceConfig::default()
    };
    config.access_keys.insert("AKID".into(), "SECRET".into());
    Arc::new(Service::new(store, config))
}

pub fn setup(service: &Service, acl: Acl, frag_duration: u32) {
    let catalog = service.catalog();
    block_on(catalog.put_bucket(&BucketRecord {
        name: "bkt".into(),
        acl,
        created_ms: T0_MS,
    }))
    .unwrap();
    let config = ChannelConfig {
        target: Target {
            frag_duration,
            frag_count: 3,
            playlist_name: "playlist.m3u8".into(),
        },
        ..ChannelConfig::default()
    };
    block_on(catalog.put_channel(
        "bkt",
        &ChannelRecord {
            name: "ch".into(),
            config,
            last_modified_ms: T0_MS,
        },
    ))
    .unwrap();
}

/// Runs one RTMP publish of `tags` into `service`, the virtual clock
/// following the media timestamps from `start_ms`. Returns how the publish
/// ended (Ok, or the refusal or ingest error).
pub fn publish(
    service: &Arc<Service>,
    stream: &str,
    tags: &[Tag],
    start_ms: u64,
) -> Result<(), String> {
    publish_with(service, stream, tags, start_ms, |_, _| {})
}

pub fn publish_with(
    service: &Arc<Service>,
    stream: &str,
    tags: &[Tag],
    start_ms: u64,
    during: impl FnMut(usize, &Arc<Service>),
) -> Result<(), String> {
    publish_clocked(service, stream, tags, start_ms, 1, during).0
}

/// A publish whose media arrives `speed` times faster than real time: the
/// virtual wall clock reads `start_ms + timestamp / speed` when a message
/// arrives (`u32::MAX`: everything at `start_ms`), and the publisher
/// disconnects 100 ms after the last one. Our RTMP client session publishes
/// into the real bridge, [`Connection`], as the server drives it. Returns
/// how it ended and the warnings the connection gave.
pub fn publish_clocked(
    service: &Arc<Service>,
    stream: &str,
    tags: &[Tag],
    start_ms: u64,
    speed: u32,
    mut during: impl FnMut(usize, &Arc<Service>),
) -> (Result<(), String>, Vec<IngestWarning>) {
    let i0 = Instant::now();
    // Virtual-host style where the service has a domain, else path style
    // (as oss2 signs for an IP endpoint).
    let (app, tc_url) = match service.config().domain {
        Some(_) => ("live", "rtmp://bkt.oss.example/live"),
        None => ("bkt/live", "rtmp://127.0.0.1/bkt/live"),
    };
    let mut client = ClientSession::new(ClientConfig::new(app, tc_url, stream), i0);
    let config = ConnectionConfig {
        peer: "10.0.0.7:50000".into(),
        ..ConnectionConfig::default()
    };
    let mut conn = Connection::new(service.clone(), config, i0);
    let mut outcome = Outcome::default();
    let mut now_ms = start_ms;
    let mut sent = 0;
    loop {
        while let Some(bytes) = client.poll_transmit() {
            conn.handle_input(&bytes, i0);
        }
        block_on(conn.process(t(now_ms)));
        outcome.read(&mut conn);
        while let Some(bytes) = conn.poll_transmit() {
            let _ = client.handle_input(&bytes, i0);
        }
        while let Some(event) = client.poll_event() {
            if let ClientEvent::Rejected { code, description } = event {
                outcome.fail(format!("the publisher heard {code}: {description}"));
            }
        }
        if conn.is_closed() || outcome.unpublished {
            break;
        }
        if client.is_publishing() && sent < tags.len() {
            let tag = &tags[sent];
            sent += 1;
            now_ms = start_ms + u64::from(tag.timestamp / speed);
            match tag.tag_type {
                TagType::Audio => client.send_audio(tag.timestamp, tag.body.clone()).unwrap(),
                TagType::Video => client.send_video(tag.timestamp, tag.body.clone()).unwrap(),
                _ => {}
            }
            during(sent, service);
        } else if client.is_publishing() && sent == tags.len() {
            client.unpublish().unwrap();
            now_ms += 100;
            sent += 1;
        } else if client.is_closed() {
            break;
        }
    }
    block_on(conn.finish(t(now_ms + 100)));
    outcome.read(&mut conn);
    (outcome.result, outcome.warnings)
}

/// What a [`Connection`] said of a publish.
pub struct Outcome {
    pub result: Result<(), String>,
    pub warnings: Vec<IngestWarning>,
    pub unpublished: bool,
}

impl Default for Outcome {
    fn default() -> Self {
        Outcome {
            result: Ok(()),
            warnings: Vec::new(),
            unpublished: false,
        }
    }
}

impl Outcome {
    /// Every failure is reported, in order: what the connection said,
    /// then what the publisher heard.
    fn fail(&mut self, why: String) {
        self.result = match std::mem::replace(&mut self.result, Ok(())) {
            Ok(()) => Err(why),
            Err(before) => Err(format!("{before}; then {why}")),
        };
    }

    fn read(&mut self, conn: &mut Connection) {
        while let Some(event) = conn.poll_event() {
            match event {
                ConnectionEvent::Refused { refusal } => self.fail(format!("refused: {refusal}")),
                ConnectionEvent::Ending { error, .. } => self.fail(format!("ingest: {error}")),
                ConnectionEvent::Warning { warning, .. } => self.warnings.push(warning),
                ConnectionEvent::Finished { result, .. } => {
                    self.unpublished = true;
                    if let Err(e) = result {
                        self.fail(format!("finish: {e}"));
                    }
                }
                _ => {}
            }
        }
    }
}

/// A push to bkt/ch without parameters, as the resolved RTMP request.
pub fn request() -> PublishRequest {
    PublishRequest {
        bucket: "bkt".into(),
        channel: "ch".into(),
        query: String::new(),
        remote_addr: "1.2.3.4:5".into(),
    }
}

pub fn get(store: &MemoryStore, key: &str) -> Option<Vec<u8>> {
    block_on(store.get(key, None)).ok().map(|o| o.data.to_vec())
}

/// The fixture's every frame, and no ffprobe complaint.
pub fn assert_every_frame(counts: &Counts) {
    assert_eq!(counts.errors.trim(), "");
    assert_eq!((counts.video, counts.audio), (240, 346), "{counts:?}");
}

/// An anonymous path-style API request (bkt is public-read-write) at
/// virtual time `now_ms`: (status, body).
pub fn api(service: &Service, method: &str, uri: &str, now_ms: u64) -> (u16, String) {
    let req = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "oss.example")
        .body(bytes::Bytes::new())
        .unwrap();
    let res = block_on(service.handle(req, t(now_ms)));
    let body = String::from_utf8_lossy(res.body()).into_owned();
    (res.status().as_u16(), body)
}

/// The URI of a VOD request on `bkt/KEY` (`ch` for GetVodPlaylist,
/// `ch/NAME.m3u8` for PostVodPlaylist) over `[start_s, end_s]`.
pub fn vod_uri(key: &str, start_s: u64, end_s: u64) -> String {
    format!("/bkt/{key}?vod&startTime={start_s}&endTime={end_s}")
}

/// PostVodPlaylist `bkt/ch/vod.m3u8` over `[start_s, end_s]`, then the
/// stored playlist: its segment names, and (when ffprobe is there) its
/// frames as ffprobe counts them, read from a copy of the segments.
pub fn post_vod(
    service: &Service,
    store: &MemoryStore,
    start_s: u64,
    end_s: u64,
) -> (Vec<String>, Option<Counts>) {
    let uri = vod_uri("ch/vod.m3u8", start_s, end_s);
    let (status, body) = api(service, "POST", &uri, end_s * 1000 + 5_000);
    assert_eq!(status, 200, "PostVodPlaylist {start_s}..{end_s}: {body}");
    let text = String::from_utf8(get(store, "bkt/ch/vod.m3u8").unwrap()).unwrap();
    let names: Vec<String> = MediaPlaylist::parse(&text)
        .unwrap()
        .segments
        .iter()
        .map(|s| s.uri.clone())
        .collect();
    if !have("ffprobe") {
        return (names, None);
    }
    let dir = tempfile::tempdir().unwrap();
    let playlist = MediaPlaylist::parse(&text).unwrap();
    for name in names.iter().chain(playlist.maps.iter().map(|m| &m.uri)) {
        let object = get(store, &format!("bkt/ch/{name}")).expect("segment stored");
        std::fs::write(dir.path().join(name), object).unwrap();
    }
    std::fs::write(dir.path().join("vod.m3u8"), &text).unwrap();
    (names, Some(ffprobe::frames(&dir.path().join("vod.m3u8"))))
}

/// The names of a VOD over the `i`th History record's StartTime and
/// EndTime (whole seconds, as History shows them).
pub fn vod_over_history(service: &Service, store: &MemoryStore, i: usize) -> Vec<String> {
    let history = block_on(service.catalog().history("bkt", "ch")).unwrap();
    let (start_s, end_s) = history[i].whole_seconds();
    post_vod(service, store, start_s, end_s).0
}

/// A fresh store and service, with bucket bkt (public-read-write) and
/// channel ch (FragDuration 2 s).
pub fn open_channel() -> (Arc<MemoryStore>, Arc<Service>) {
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone(), "node-a");
    setup(&service, Acl::PublicReadWrite, 2);
    (store, service)
}

/// The stored segments' times (Unix ms), in order.
pub fn segment_times(service: &Service) -> Vec<u64> {
    block_on(service.catalog().segments("bkt", "ch", 0, u64::MAX))
        .unwrap()
        .iter()
        .map(|e| e.start_ms)
        .collect()
}
