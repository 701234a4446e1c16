//! rml_rtmp's sessions as independent peers: its client publishes to our
//! server, and our client publishes to its server.

use std::time::Instant;

use bytes::Bytes;
use livechannel_amf0::Value;
use livechannel_rtmp::{ClientConfig, ClientEvent, ClientSession, ServerConfig, ServerEvent};
use livechannel_testkit::rtmp::AcceptAll;
use rml_rtmp::handshake::{Handshake as RmlHandshake, HandshakeProcessResult, PeerType};
use rml_rtmp::sessions::{
    ClientSession as RmlClient, ClientSessionConfig, ClientSessionEvent, ClientSessionResult,
    PublishRequestType, ServerSession as RmlServer, ServerSessionConfig, ServerSessionEvent,
    ServerSessionResult, StreamMetadata,
};
use rml_rtmp::time::RtmpTimestamp;

/// Our server with auto-accept, collecting every event.
struct Ours {
    server: AcceptAll,
    now: Instant,
}

impl Ours {
    /// Feeds `bytes`; what the server answered.
    fn input(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.server.input(bytes, self.now).unwrap();
        self.server.take_sent()
    }
}

/// Sends rml client results to our server and feeds answers back until quiet.
fn pump(
    client: &mut RmlClient,
    ours: &mut Ours,
    results: Vec<ClientSessionResult>,
    events: &mut Vec<ClientSessionEvent>,
) {
    let mut queue = results;
    while !queue.is_empty() {
        let mut to_server = Vec::new();
        for r in queue.drain(..) {
            match r {
                ClientSessionResult::OutboundResponse(p) => to_server.extend_from_slice(&p.bytes),
                ClientSessionResult::RaisedEvent(e) => events.push(e),
                ClientSessionResult::UnhandleableMessageReceived(_) => {}
            }
        }
        if to_server.is_empty() {
            break;
        }
        let reply = ours.input(&to_server);
        if !reply.is_empty() {
            queue = client.handle_input(&reply).unwrap();
        }
    }
}

#[test]
fn rml_client_publishes_to_our_server() {
    let now = Instant::now();
    let mut ours = Ours {
        server: AcceptAll::new(
            ServerConfig {
                seed: 3,
                ..ServerConfig::default()
            },
            now,
        ),
        now,
    };

    let mut hs = RmlHandshake::new(PeerType::Client);
    let s0s1s2 = ours.input(&hs.generate_outbound_p0_and_p1().unwrap());
    let c2 = match hs.process_bytes(&s0s1s2).unwrap() {
        HandshakeProcessResult::Completed {
            response_bytes,
            remaining_bytes,
        } => {
            assert!(remaining_bytes.is_empty());
            response_bytes
        }
        other => panic!("{other:?}"),
    };
    assert!(ours.input(&c2).is_empty());

    let mut config = ClientSessionConfig::new();
    config.tc_url = Some("rtmp://localhost/live?token=t".to_owned());
    config.chunk_size = 1000;
    let (mut client, initial) = RmlClient::new(config).unwrap();
    let mut events = Vec::new();
    pump(&mut client, &mut ours, initial, &mut events);
    let connect = client.request_connection("live".to_owned()).unwrap();
    pump(&mut client, &mut ours, vec![connect], &mut events);
    assert!(
        events.contains(&ClientSessionEvent::ConnectionRequestAccepted),
        "{events:?}"
    );

    let publish = client
        .request_publishing("stream1?k=v".to_owned(), PublishRequestType::Live)
        .unwrap();
    pump(&mut client, &mut ours, vec![publish], &mut events);
    assert!(
        events.contains(&ClientSessionEvent::PublishRequestAccepted),
        "{events:?}"
    );

    let mut meta = StreamMetadata::new();
    meta.video_width = Some(1280);
    meta.video_height = Some(720);
    meta.encoder = Some("rml".to_owned());
    let r = client.publish_metadata(&meta).unwrap();
    pump(&mut client, &mut ours, vec![r], &mut events);

    let mut sent = Vec::new();
    for i in 0..50u32 {
        let video = Bytes::from([0x17, 1, 0, 0, 0, i as u8].repeat(1 + (i as usize * 37) % 400));
        let audio = Bytes::from(vec![0xAF, 1, i as u8, 0x21]);
        let v = client
            .publish_video_data(video.clone(), RtmpTimestamp::new(i * 40), false)
            .unwrap();
        let a = client
            .publish_audio_data(audio.clone(), RtmpTimestamp::new(i * 23 + 5), true)
            .unwrap();
        pump(&mut client, &mut ours, vec![v, a], &mut events);
        sent.push(ServerEvent::Video {
            stream_id: 1,
            timestamp: i * 40,
            data: video,
        });
        sent.push(ServerEvent::Audio {
            stream_id: 1,
            timestamp: i * 23 + 5,
            data: audio,
        });
    }
    let stop = client.stop_publishing().unwrap();
    pump(&mut client, &mut ours, stop, &mut events);

    let mut ev = ours.server.events.into_iter();
    match ev.next() {
        Some(ServerEvent::ConnectRequested {
            app,
            tc_url,
            query,
            flash_ver,
            object_encoding,
            ..
        }) => {
            assert_eq!(app, "live");
            assert_eq!(tc_url.as_deref(), Some("rtmp://localhost/live?token=t"));
            assert_eq!(query.as_deref(), Some("token=t"));
            assert_eq!(flash_ver.as_deref(), Some("WIN 23,0,0,207"));
            assert_eq!(object_encoding, 0.0);
        }
        other => panic!("{other:?}"),
    }
    match ev.next() {
        Some(ServerEvent::PublishRequested {
            app,
            connect,
            stream_name,
            query,
            publish_type,
            ..
        }) => {
            assert_eq!((app.as_str(), stream_name.as_str()), ("live", "stream1"));
            assert_eq!(
                connect.tc_url.as_deref(),
                Some("rtmp://localhost/live?token=t")
            );
            assert_eq!(connect.query.as_deref(), Some("token=t"));
            assert_eq!(query.as_deref(), Some("k=v"));
            assert_eq!(publish_type, "live");
        }
        other => panic!("{other:?}"),
    }
    match ev.next() {
        Some(ServerEvent::Metadata {
            stream_id: 1,
            metadata,
        }) => {
            assert_eq!(metadata.get("width"), Some(&Value::Number(1280.0)));
            assert_eq!(metadata.get("height"), Some(&Value::Number(720.0)));
            assert_eq!(metadata.get("encoder"), Some(&Value::String("rml".into())));
        }
        other => panic!("{other:?}"),
    }
    let rest: Vec<ServerEvent> = ev.collect();
    assert_eq!(rest.len(), sent.len() + 1);
    assert_eq!(&rest[..sent.len()], &sent[..]);
    assert_eq!(
        rest.last(),
        Some(&ServerEvent::Unpublished { stream_id: 1 })
    );
}

#[test]
fn our_client_publishes_to_rml_server() {
    let now = Instant::now();
    let mut config = ClientConfig::new("app", "rtmp://localhost/app", "key1");
    config.chunk_size = 300;
    let mut client = ClientSession::new(config, now);

    let mut hs = RmlHandshake::new(PeerType::Server);
    let c0c1 = client.poll_transmit().unwrap();
    let s0s1s2 = match hs.process_bytes(&c0c1).unwrap() {
        HandshakeProcessResult::InProgress { response_bytes } => response_bytes,
        other => panic!("{other:?}"),
    };
    client.handle_input(&s0s1s2, now).unwrap();
    let mut to_server = client.poll_transmit().unwrap().to_vec(); // C2 + set chunk size + connect
    let after_c2 = match hs.process_bytes(&to_server[..1536]).unwrap() {
        HandshakeProcessResult::Completed {
            remaining_bytes, ..
        } => remaining_bytes,
        other => panic!("{other:?}"),
    };
    assert!(after_c2.is_empty());
    to_server.drain(..1536);

    let (mut server, initial) = RmlServer::new(ServerSessionConfig::new()).unwrap();
    let mut rml_events = Vec::new();
    let mut pending = initial;
    let mut client_events = Vec::new();
    let mut media_sent = false;
    for _ in 0..50 {
        if !to_server.is_empty() {
            pending.extend(server.handle_input(&to_server).unwrap());
            to_server.clear();
        }
        let mut to_client = Vec::new();
        while !pending.is_empty() {
            for r in std::mem::take(&mut pending) {
                match r {
                    ServerSessionResult::OutboundResponse(p) => {
                        to_client.extend_from_slice(&p.bytes)
                    }
                    ServerSessionResult::RaisedEvent(e) => {
                        match &e {
                            ServerSessionEvent::ConnectionRequested { request_id, .. }
                            | ServerSessionEvent::PublishStreamRequested { request_id, .. } => {
                                pending.extend(server.accept_request(*request_id).unwrap());
                            }
                            _ => {}
                        }
                        rml_events.push(e);
                    }
                    ServerSessionResult::UnhandleableMessageReceived(_) => {}
                }
            }
        }
        if !to_client.is_empty() {
            client.handle_input(&to_client, now).unwrap();
        }
        while let Some(e) = client.poll_event() {
            client_events.push(e);
        }
        if client.is_publishing() && !media_sent {
            media_sent = true;
            let meta = Value::Object(vec![("width".into(), Value::Number(320.0))]);
            client.send_metadata(&meta).unwrap();
            for i in 0..20u32 {
                client
                    .send_video(i * 33, Bytes::from(vec![i as u8; 700]))
                    .unwrap();
                client
                    .send_audio(i * 21, Bytes::from(vec![0xAF, 1, i as u8]))
                    .unwrap();
            }
        }
        while let Some(b) = client.poll_transmit() {
            to_server.extend_from_slice(&b);
        }
        if to_server.is_empty() && pending.is_empty() && media_sent {
            break;
        }
    }
    assert_eq!(
        client_events,
        vec![ClientEvent::Connected, ClientEvent::Publishing]
    );
    let media: Vec<(bool, u32, Bytes)> = rml_events
        .iter()
        .filter_map(|e| match e {
            ServerSessionEvent::VideoDataReceived {
                data, timestamp, ..
            } => Some((true, timestamp.value, data.clone())),
            ServerSessionEvent::AudioDataReceived {
                data, timestamp, ..
            } => Some((false, timestamp.value, data.clone())),
            _ => None,
        })
        .collect();
    let expected: Vec<(bool, u32, Bytes)> = (0..20u32)
        .flat_map(|i| {
            [
                (true, i * 33, Bytes::from(vec![i as u8; 700])),
                (false, i * 21, Bytes::from(vec![0xAF, 1, i as u8])),
            ]
        })
        .collect();
    assert_eq!(media, expected);
    assert!(rml_events.iter().any(|e| matches!(e,
        ServerSessionEvent::PublishStreamRequested { app_name, stream_key, .. } if app_name == "app" && stream_key == "key1")));
    assert!(rml_events.iter().any(|e| matches!(e,
        ServerSessionEvent::StreamMetadataChanged { metadata, .. } if metadata.video_width == Some(320))));
}
