//! Our client publishes the FLV fixture to our server in memory; the server
//! must report every tag with the same timestamp and bytes, whatever the
//! split of its input.

#[path = "support/drive.rs"]
mod drive;
#[path = "support/flv.rs"]
mod flv;

use std::time::Instant;

use livechannel_rtmp::{ClientConfig, ClientEvent, ServerConfig, ServerEvent};
use proptest::prelude::*;

use drive::{media_events, metadata_of, publish};
use flv::{read_tags, Tag, FIXTURE};
use livechannel_testkit::rtmp::AcceptAll;

fn expected_events(tags: &[Tag], stream_id: u32) -> Vec<ServerEvent> {
    tags.iter()
        .filter_map(|t| match t.tag_type {
            8 => Some(ServerEvent::Audio {
                stream_id,
                timestamp: t.timestamp,
                data: t.body.clone(),
            }),
            9 => Some(ServerEvent::Video {
                stream_id,
                timestamp: t.timestamp,
                data: t.body.clone(),
            }),
            18 => Some(ServerEvent::Metadata {
                stream_id,
                metadata: metadata_of(t),
            }),
            _ => None,
        })
        .collect()
}

fn client_config(chunk_size: u32) -> ClientConfig {
    let mut c = ClientConfig::new("live", "rtmp://127.0.0.1/live?tc=1", "channel?key=abc");
    c.chunk_size = chunk_size;
    c.seed = 42;
    c
}

#[test]
fn fixture_publish_arrives_intact() {
    let tags = read_tags(FIXTURE);
    assert_eq!(tags.iter().filter(|t| t.tag_type == 9).count(), 242); // 240 frames, sequence header, end of sequence
    assert_eq!(tags.iter().filter(|t| t.tag_type == 8).count(), 347);
    for chunk_size in [128, 4096, 60_000] {
        let p = publish(&tags, client_config(chunk_size), ServerConfig::default());
        assert_eq!(
            p.client_events,
            vec![ClientEvent::Connected, ClientEvent::Publishing]
        );
        let media = media_events(&p.server_events);
        assert_eq!(media.len(), tags.len());
        assert_eq!(media, expected_events(&tags, 1), "chunk size {chunk_size}");

        match &p.server_events[0] {
            ServerEvent::ConnectRequested {
                app,
                tc_url,
                query,
                flash_ver,
                ..
            } => {
                assert_eq!(app, "live");
                assert_eq!(tc_url.as_deref(), Some("rtmp://127.0.0.1/live?tc=1"));
                assert_eq!(query.as_deref(), Some("tc=1"));
                assert!(flash_ver.as_deref().unwrap().starts_with("FMLE/3.0"));
            }
            other => panic!("first event {other:?}"),
        }
        match &p.server_events[1] {
            ServerEvent::PublishRequested {
                app,
                stream_name,
                query,
                publish_type,
                ..
            } => {
                assert_eq!(app, "live");
                assert_eq!(stream_name, "channel");
                assert_eq!(query.as_deref(), Some("key=abc"));
                assert_eq!(publish_type, "live");
            }
            other => panic!("second event {other:?}"),
        }
        assert_eq!(
            p.server_events.last(),
            Some(&ServerEvent::Unpublished { stream_id: 1 })
        );
    }
}

/// A short recorded publish: the first tags of the fixture.
/// A short recorded publish (the first tags of the fixture), and what the
/// server reports and sends for it.
fn recording() -> Recording {
    let tags: Vec<Tag> = read_tags(FIXTURE).into_iter().take(60).collect();
    let p = publish(&tags, client_config(1000), ServerConfig::default());
    let expected = replay(&p.client_bytes, &[]);
    assert_eq!(expected.0, p.server_events);
    (p.client_bytes, expected)
}

/// Events and bytes sent by a server fed `bytes` cut at `splits`.
fn replay(bytes: &[u8], splits: &[usize]) -> (Vec<ServerEvent>, Vec<u8>) {
    let now = Instant::now();
    let mut server = AcceptAll::new(ServerConfig::default(), now);
    server.ignore_accept_errors = true;
    let mut start = 0;
    for &end in splits.iter().chain(std::iter::once(&bytes.len())) {
        let end = end.clamp(start, bytes.len());
        server.input(&bytes[start..end], now).unwrap();
        start = end;
    }
    (server.events, server.sent)
}

#[test]
fn byte_at_a_time_gives_the_same_events() {
    let (bytes, expected) = recording();
    let every: Vec<usize> = (1..bytes.len()).collect();
    assert_eq!(replay(&bytes, &every), expected);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, max_global_rejects: 0, max_local_rejects: 0, ..ProptestConfig::default() })]
    #[test]
    fn any_split_gives_the_same_events(mut cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..40)) {
        let (bytes, expected) = recording_cached();
        let mut splits: Vec<usize> = cuts.drain(..).map(|i| i.index(bytes.len())).collect();
        splits.sort_unstable();
        prop_assert_eq!(&replay(bytes, &splits), expected);
    }
}

type Recording = (Vec<u8>, (Vec<ServerEvent>, Vec<u8>));

fn recording_cached() -> &'static Recording {
    static CELL: std::sync::OnceLock<Recording> = std::sync::OnceLock::new();
    CELL.get_or_init(recording)
}
