//! The RTMP-to-LiveChannel bridge on its own: what the publisher is told
//! when a push is refused (typed, not parsed back from text), where the
//! push parameters may be, and a channel disabled while no media flows.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures::executor::block_on;
use livechannel::catalog::{Acl, BucketRecord, ChannelConfig, ChannelRecord};
use livechannel::store::MemoryStore;
use livechannel::{
    AddressError, Connection, ConnectionConfig, ConnectionEvent, IngestError, PublishError,
    ReadHint, Refusal, Service, ServiceConfig,
};
use livechannel_rtmp::{ClientConfig, ClientEvent, ClientSession};

const T0_MS: u64 = 1_700_000_000_000;

fn wall(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}

fn service(acl: Acl) -> Arc<Service> {
    let mut config = ServiceConfig {
        domain: Some("oss.example".into()),
        ..ServiceConfig::default()
    };
    config.access_keys.insert("AKID".into(), "SECRET".into());
    let service = Arc::new(Service::new(Arc::new(MemoryStore::new()), config));
    let catalog = service.catalog();
    let bucket = BucketRecord {
        name: "bkt".into(),
        acl,
        created_ms: T0_MS,
    };
    block_on(catalog.put_bucket(&bucket)).unwrap();
    let channel = ChannelRecord {
        name: "ch".into(),
        config: ChannelConfig::default(),
        last_modified_ms: T0_MS,
    };
    block_on(catalog.put_channel("bkt", &channel)).unwrap();
    service
}

/// A client and the bridge, joined in memory.
struct Pair {
    client: ClientSession,
    conn: Connection,
    now: Instant,
    client_events: Vec<ClientEvent>,
    events: Vec<ConnectionEvent>,
}

impl Pair {
    fn new(service: &Arc<Service>, app: &str, tc_url: &str, stream: &str) -> Pair {
        let now = Instant::now();
        let config = ConnectionConfig {
            peer: "10.0.0.7:50000".into(),
            ..ConnectionConfig::default()
        };
        let mut pair = Pair {
            client: ClientSession::new(ClientConfig::new(app, tc_url, stream), now),
            conn: Connection::new(service.clone(), config, now),
            now,
            client_events: Vec::new(),
            events: Vec::new(),
        };
        pair.pump();
        pair
    }

    fn pump(&mut self) {
        loop {
            let mut moved = false;
            while let Some(bytes) = self.client.poll_transmit() {
                self.conn.handle_input(&bytes, self.now);
                moved = true;
            }
            block_on(self.conn.process(wall(T0_MS)));
            while let Some(bytes) = self.conn.poll_transmit() {
                let _ = self.client.handle_input(&bytes, self.now);
                moved = true;
            }
            self.events
                .extend(std::iter::from_fn(|| self.conn.poll_event()));
            self.client_events
                .extend(std::iter::from_fn(|| self.client.poll_event()));
            if !moved {
                return;
            }
        }
    }

    /// The `onStatus` code the publisher was refused with.
    fn rejected_with(&self) -> Option<&str> {
        self.client_events.iter().find_map(|e| match e {
            ClientEvent::Rejected { code, .. } => Some(code.as_str()),
            _ => None,
        })
    }

    fn refusal(&self) -> Option<&Refusal> {
        self.events.iter().find_map(|e| match e {
            ConnectionEvent::Refused { refusal } => Some(refusal),
            _ => None,
        })
    }
}

#[test]
fn a_url_that_names_no_bucket_is_a_bad_name() {
    let service = service(Acl::PublicReadWrite);
    // App `live` on a host that is not BUCKET.oss.example, no default bucket.
    let pair = Pair::new(&service, "live", "rtmp://10.0.0.1/live", "ch");
    assert_eq!(pair.rejected_with(), Some("NetStream.Publish.BadName"));
    assert!(matches!(
        pair.refusal(),
        Some(Refusal::Address(AddressError::NoBucket))
    ));
    assert!(pair.conn.is_closed());
}

#[test]
fn a_missing_signature_is_denied_and_a_missing_channel_a_bad_name() {
    let service = service(Acl::Private);
    let pair = Pair::new(&service, "live", "rtmp://bkt.oss.example/live", "ch");
    assert_eq!(pair.rejected_with(), Some("NetStream.Publish.Denied"));
    assert!(matches!(
        pair.refusal(),
        Some(Refusal::Publish(PublishError::Auth(_)))
    ));

    let service = self::service(Acl::PublicReadWrite);
    let pair = Pair::new(&service, "live", "rtmp://bkt.oss.example/live", "nope");
    assert_eq!(pair.rejected_with(), Some("NetStream.Publish.BadName"));
    assert!(matches!(
        pair.refusal(),
        Some(Refusal::Publish(PublishError::NoSuchLiveChannel(_)))
    ));
    assert_eq!(service.live_count(), 0);
}

#[test]
fn push_parameters_on_the_app_alone_are_read() {
    // Some encoders put the query on the app only (`live?…`), with a
    // tcUrl and stream name without one.
    let service = service(Acl::Private);
    let expires = T0_MS / 1000 + 3600;
    let signature = livechannel::auth::sign("SECRET", &format!("{expires}\n/bkt/ch"));
    let signature =
        percent_encoding::utf8_percent_encode(&signature, percent_encoding::NON_ALPHANUMERIC);
    let app = format!("live?OSSAccessKeyId=AKID&Expires={expires}&Signature={signature}");
    let pair = Pair::new(&service, &app, "rtmp://bkt.oss.example/live", "ch");
    assert_eq!(pair.rejected_with(), None, "{:?}", pair.events);
    assert!(pair.client.is_publishing());
    assert!(service.is_live("bkt", "ch"));
}

#[test]
fn a_channel_disabled_while_no_media_flows_ends_at_the_next_timeout() {
    let service = service(Acl::PublicReadWrite);
    let mut pair = Pair::new(&service, "live", "rtmp://bkt.oss.example/live", "ch");
    assert!(pair.client.is_publishing());
    // While publishing, the bridge asks to be woken to look at the channel.
    let wake = pair
        .conn
        .poll_timeout()
        .expect("a wake-up while publishing");
    assert!(wake <= pair.now + Duration::from_secs(1));
    assert!(service.disconnect("bkt", "ch"));
    pair.conn.handle_timeout(wake);
    pair.pump();
    assert!(pair.events.iter().any(|e| matches!(
        e,
        ConnectionEvent::Ending {
            error: IngestError::Disabled,
            ..
        }
    )));
    assert!(pair.conn.is_closed());
    block_on(pair.conn.finish(wall(T0_MS + 1000)));
    let finished = std::iter::from_fn(|| pair.conn.poll_event())
        .any(|e| matches!(e, ConnectionEvent::Finished { result: Ok(()), .. }));
    assert!(finished);
    assert_eq!(service.live_count(), 0);
}

#[test]
fn a_live_publish_says_how_long_its_bytes_may_wait() {
    let service = service(Acl::PublicReadWrite);
    let mut pair = Pair::new(&service, "live", "rtmp://bkt.oss.example/live", "ch");
    assert!(pair.client.is_publishing());
    let slack = |pair: &Pair| match pair.conn.read_hint() {
        ReadHint::Media { slack, .. } => slack,
        ReadHint::Eager => panic!("a live publish lets bytes gather"),
    };
    // No frame yet: nothing to wait for, nothing to spare.
    assert_eq!(slack(&pair), Duration::ZERO);
    // AAC (LC, 44.1 kHz, stereo): the segment opened by the first frame
    // can be cut FragDuration (5 s by default) later; 1024 samples on
    // (23.2 ms), that much less, in whole ms rounded down.
    let aac = |body: &'static [u8]| Bytes::from_static(body);
    pair.client
        .send_audio(0, aac(&[0xaf, 0x00, 0x12, 0x10]))
        .unwrap();
    pair.client.send_audio(0, aac(&[0xaf, 0x01, 0x21])).unwrap();
    pair.pump();
    let frag = Duration::from_secs(u64::from(ChannelConfig::default().target.frag_duration));
    assert_eq!(slack(&pair), frag);
    pair.client
        .send_audio(23, aac(&[0xaf, 0x01, 0x21]))
        .unwrap();
    pair.pump();
    assert_eq!(slack(&pair), frag - Duration::from_millis(24));
    // Once the publish ends: read as bytes come.
    pair.client.unpublish().unwrap();
    pair.pump();
    assert_eq!(pair.conn.read_hint(), ReadHint::Eager);
}
