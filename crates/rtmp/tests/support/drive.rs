//! Runs our client and server sessions against each other in memory.

use std::time::Instant;

use livechannel_amf0::Value;
use livechannel_rtmp::{ClientConfig, ClientEvent, ClientSession, ServerConfig, ServerEvent};
pub use livechannel_testkit::rtmp::media_events;
use livechannel_testkit::rtmp::AcceptAll;

use super::flv::Tag;

/// What a full in-memory publish produced.
pub struct Publish {
    /// Every byte the client sent, in order (handshake included).
    pub client_bytes: Vec<u8>,
    pub server_events: Vec<ServerEvent>,
    pub client_events: Vec<ClientEvent>,
}

/// Publishes `tags` (FLV tags: 8 audio, 9 video, 18 script) from our client
/// to our server, pumping bytes both ways.
pub fn publish(tags: &[Tag], client_config: ClientConfig, server_config: ServerConfig) -> Publish {
    let now = Instant::now();
    let mut client = ClientSession::new(client_config, now);
    let mut server = AcceptAll::new(server_config, now);
    // An accept the session refuses is not this helper's failure.
    server.ignore_accept_errors = true;
    let mut client_bytes = Vec::new();
    let mut client_events = Vec::new();
    let mut sent = false;
    for _ in 0..100 {
        let mut progress = false;
        while let Some(b) = client.poll_transmit() {
            client_bytes.extend_from_slice(&b);
            server.input(&b, now).expect("server accepts client bytes");
            progress = true;
        }
        let b = server.take_sent();
        if !b.is_empty() {
            client
                .handle_input(&b, now)
                .expect("client accepts server bytes");
            progress = true;
        }
        while let Some(e) = client.poll_event() {
            client_events.push(e);
            progress = true;
        }
        if client.is_publishing() && !sent {
            sent = true;
            progress = true;
            for tag in tags {
                match tag.tag_type {
                    8 => client.send_audio(tag.timestamp, tag.body.clone()).unwrap(),
                    9 => client.send_video(tag.timestamp, tag.body.clone()).unwrap(),
                    18 => {
                        let values = livechannel_amf0::decode_all(&tag.body).unwrap();
                        if let Some(meta) = values.get(1) {
                            client.send_metadata(meta).unwrap();
                        }
                    }
                    _ => {}
                }
            }
            client.unpublish().unwrap();
        }
        if !progress {
            break;
        }
    }
    assert!(sent, "client never reached publishing: {client_events:?}");
    Publish {
        client_bytes,
        server_events: server.events,
        client_events,
    }
}

pub fn metadata_of(tag: &Tag) -> Value {
    livechannel_amf0::decode_all(&tag.body).unwrap()[1].clone()
}
