//! Runs our client and server sessions against each other in memory.

use std::time::Instant;

use livechannel_amf0::Value;
use livechannel_rtmp::{
    ClientConfig, ClientEvent, ClientSession, Error, ServerConfig, ServerEvent, ServerSession,
};

use super::flv::Tag;

/// Feeds bytes to a server, auto-accepting every request; returns the
/// events (requests included) seen.
pub struct AutoServer {
    pub session: ServerSession,
    pub events: Vec<ServerEvent>,
    /// Every byte the session sent, when `record_output` is set.
    pub sent: Vec<u8>,
    pub record_output: bool,
}

impl AutoServer {
    pub fn new(config: ServerConfig, now: Instant) -> Self {
        AutoServer {
            session: ServerSession::new(config, now),
            events: Vec::new(),
            sent: Vec::new(),
            record_output: false,
        }
    }

    pub fn input(&mut self, data: &[u8], now: Instant) -> Result<(), Error> {
        let result = self.session.handle_input(data, now);
        self.drain();
        result
    }

    pub fn drain(&mut self) {
        while let Some(event) = self.session.poll_event() {
            match &event {
                ServerEvent::ConnectRequested { request, .. } => {
                    let _ = self.session.accept_connect(*request);
                }
                ServerEvent::PublishRequested { request, .. } => {
                    let _ = self.session.accept_publish(*request);
                }
                _ => {}
            }
            self.events.push(event);
        }
        if self.record_output {
            while let Some(b) = self.session.poll_transmit() {
                self.sent.extend_from_slice(&b);
            }
        }
    }
}

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
    let mut server = AutoServer::new(server_config, now);
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
        while let Some(b) = server.session.poll_transmit() {
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

/// The media and metadata events only.
pub fn media_events(events: &[ServerEvent]) -> Vec<ServerEvent> {
    events
        .iter()
        .filter(|e| {
            matches!(
                e,
                ServerEvent::Audio { .. }
                    | ServerEvent::Video { .. }
                    | ServerEvent::Metadata { .. }
            )
        })
        .cloned()
        .collect()
}

pub fn metadata_of(tag: &Tag) -> Value {
    livechannel_amf0::decode_all(&tag.body).unwrap()[1].clone()
}
