//! Server and client session behaviour: answers, refusals, unpublish,
//! acknowledgements, pings, AMF3 commands, aggregates, timeouts.

use std::time::{Duration, Instant};

use bytes::Bytes;
use livechannel_amf0::Value;
use livechannel_rtmp::{
    ChunkDecoder, ChunkEncoder, ClientConfig, ClientEvent, ClientSession, CloseReason, Command,
    Error, Handshake, Message, PublishRejection, ServerConfig, ServerEvent, ServerSession,
    UserControlEvent,
};

/// Runs a client against a server with a decision function for requests.
struct Pair {
    client: ClientSession,
    server: ServerSession,
    client_events: Vec<ClientEvent>,
    server_events: Vec<ServerEvent>,
    now: Instant,
}

impl Pair {
    fn new(stream_name: &str) -> Self {
        let now = Instant::now();
        Pair {
            client: ClientSession::new(
                ClientConfig::new("live", "rtmp://h/live", stream_name),
                now,
            ),
            server: ServerSession::new(ServerConfig::default(), now),
            client_events: Vec::new(),
            server_events: Vec::new(),
            now,
        }
    }

    /// Pumps bytes both ways; `decide` answers requests.
    fn run(&mut self, mut decide: impl FnMut(&mut ServerSession, &ServerEvent)) {
        for _ in 0..20 {
            let mut progress = false;
            while let Some(b) = self.client.poll_transmit() {
                let _ = self.server.handle_input(&b, self.now);
                progress = true;
            }
            while let Some(e) = self.server.poll_event() {
                decide(&mut self.server, &e);
                self.server_events.push(e);
                progress = true;
            }
            while let Some(b) = self.server.poll_transmit() {
                let _ = self.client.handle_input(&b, self.now);
                progress = true;
            }
            while let Some(e) = self.client.poll_event() {
                self.client_events.push(e);
                progress = true;
            }
            if !progress {
                return;
            }
        }
    }
}

/// A `decide` that accepts every request (and fails the test when that fails).
fn accept_all(s: &mut ServerSession, e: &ServerEvent) {
    livechannel_testkit::rtmp::accept(s, e).unwrap();
}

#[test]
fn rejected_connect_reaches_the_client() {
    let mut p = Pair::new("ch");
    p.run(|s, e| {
        if let ServerEvent::ConnectRequested { request, .. } = e {
            s.reject_connect(*request, "unknown app").unwrap();
        }
    });
    let rejected = ClientEvent::Rejected {
        code: "NetConnection.Connect.Rejected".into(),
        description: "unknown app".into(),
    };
    assert_eq!(p.client_events[0], rejected);
    assert!(
        matches!(&p.client_events[1], ClientEvent::Closed { reason: CloseReason::Rejected { code, .. } } if code == "NetConnection.Connect.Rejected")
    );
    assert!(
        matches!(p.server_events.last(), Some(ServerEvent::Closed { reason: CloseReason::Application { reason } }) if reason == "connect rejected: unknown app")
    );
    assert!(p.client.is_closed() && p.server.is_closed());
}

#[test]
fn rejected_publish_reaches_the_client() {
    for (rejection, code) in [
        (PublishRejection::BadName, "NetStream.Publish.BadName"),
        (PublishRejection::Denied, "NetStream.Publish.Denied"),
        (
            PublishRejection::Other("NetStream.Publish.Custom".into()),
            "NetStream.Publish.Custom",
        ),
    ] {
        let mut p = Pair::new("ch");
        p.run(|s, e| match e {
            ServerEvent::ConnectRequested { request, .. } => s.accept_connect(*request).unwrap(),
            ServerEvent::PublishRequested { request, .. } => s
                .reject_publish(*request, rejection.clone(), "in use")
                .unwrap(),
            _ => {}
        });
        assert_eq!(
            p.client_events,
            vec![
                ClientEvent::Connected,
                ClientEvent::Rejected {
                    code: code.into(),
                    description: "in use".into()
                },
                ClientEvent::Closed {
                    reason: CloseReason::Rejected {
                        code: code.into(),
                        description: "in use".into()
                    }
                },
            ]
        );
        assert!(p.server.is_closed());
    }
}

#[test]
fn request_ids_are_checked() {
    let mut p = Pair::new("ch");
    let mut seen = None;
    p.run(|s, e| {
        if let ServerEvent::ConnectRequested { request, .. } = e {
            seen = Some(*request);
        }
        let _ = s;
    });
    let id = seen.unwrap();
    assert!(matches!(
        p.server.accept_publish(id),
        Err(Error::UnknownRequest { .. })
    ));
    assert!(!p.server.is_closed());
    p.server.accept_connect(id).unwrap();
    assert_eq!(
        p.server.accept_connect(id),
        Err(Error::UnknownRequest { request: id })
    );
}

#[test]
fn end_publish_from_the_application() {
    let mut p = Pair::new("ch");
    p.run(accept_all);
    assert!(p.client.is_publishing());
    p.server.end_publish("channel disabled");
    p.run(accept_all);
    assert!(
        !p.client.is_publishing(),
        "client saw NetStream.Unpublish.Success"
    );
    assert_eq!(
        p.server_events.last(),
        Some(&ServerEvent::Closed {
            reason: CloseReason::Application {
                reason: "channel disabled".into()
            }
        })
    );
    assert_eq!(
        p.client.send_audio(0, Bytes::new()),
        Err(Error::NotPublishing { what: "audio" })
    );
}

#[test]
fn a_failed_publish_reaches_the_publisher_as_an_error() {
    let mut p = Pair::new("ch");
    p.run(accept_all);
    p.server
        .fail_publish("H.265 video is refused: this server takes H.264 only");
    p.run(accept_all);
    assert!(
        p.client_events.iter().any(|e| matches!(
            e,
            ClientEvent::Rejected { code, description }
                if code == "NetStream.Failed" && description.contains("H.265")
        )),
        "{:?}",
        p.client_events
    );
    assert!(p.server.is_closed());
}

#[test]
fn unpublish_then_publish_again_on_the_same_connection() {
    let mut p = Pair::new("ch");
    p.run(accept_all);
    p.client
        .send_video(0, Bytes::from_static(&[0x17, 0, 0, 0, 0]))
        .unwrap();
    p.client.unpublish().unwrap();
    p.run(accept_all);
    assert_eq!(p.server.publishing_stream(), None);
    let unpublished = p
        .server_events
        .iter()
        .filter(|e| matches!(e, ServerEvent::Unpublished { stream_id: 1 }))
        .count();
    assert_eq!(
        unpublished, 1,
        "FCUnpublish and deleteStream end one publish"
    );

    // Drive a second publish by hand on stream 1 with the client's encoder state
    // unknown to us: use a fresh server instead and raw commands.
    let now = Instant::now();
    let mut server = ServerSession::new(ServerConfig::default(), now);
    let mut enc = ChunkEncoder::new();
    let mut wire = Handshake::client_simple(1).take_output().to_vec();
    wire.extend_from_slice(&[0; 1536]);
    let mut cmd = |name: &str, args: Vec<Value>, sid: u32| {
        let obj = if name == "connect" {
            Value::Object(vec![("app".into(), Value::String("live".into()))])
        } else {
            Value::Null
        };
        let m = Message::Command {
            command: Command::new(name, 1.0, obj, args),
            amf3: false,
        };
        enc.encode(&m.to_raw(3, 0, sid).unwrap(), &mut wire)
            .unwrap();
    };
    cmd("connect", vec![], 0);
    cmd("publish", vec![Value::String("a".into())], 1);
    cmd("closeStream", vec![], 1);
    cmd("publish", vec![Value::String("b".into())], 1);
    cmd("deleteStream", vec![Value::Number(1.0)], 0);
    server.handle_input(&wire, now).unwrap();
    let mut names = Vec::new();
    let mut unpublished = 0;
    while let Some(e) = server.poll_event() {
        match e {
            ServerEvent::ConnectRequested { request, .. } => {
                server.accept_connect(request).unwrap()
            }
            ServerEvent::PublishRequested {
                request,
                stream_name,
                publish_type,
                ..
            } => {
                assert_eq!(publish_type, "live", "default when absent");
                names.push(stream_name);
                server.accept_publish(request).unwrap();
            }
            ServerEvent::Unpublished { stream_id: 1 } => unpublished += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(names, vec!["a", "b"]);
    assert_eq!(unpublished, 2);
}

/// A server after the handshake and an accepted connect + publish, fed by
/// a raw chunk encoder.
fn raw_publishing() -> (ServerSession, ChunkEncoder, ChunkDecoder, Instant) {
    let now = Instant::now();
    let mut server = ServerSession::new(ServerConfig::default(), now);
    let mut enc = ChunkEncoder::new();
    let mut wire = Handshake::client_simple(1).take_output().to_vec();
    wire.extend_from_slice(&[0; 1536]);
    // connect in the AMF3 form (type 17), then publish.
    let connect = Message::Command {
        command: Command::new(
            "connect",
            1.0,
            Value::Object(vec![("app".into(), Value::String("live?x=1".into()))]),
            vec![],
        ),
        amf3: true,
    };
    enc.encode(&connect.to_raw(3, 0, 0).unwrap(), &mut wire)
        .unwrap();
    let publish = Message::Command {
        command: Command::new("publish", 0.0, Value::Null, vec![Value::String("s".into())]),
        amf3: false,
    };
    enc.encode(&publish.to_raw(3, 0, 1).unwrap(), &mut wire)
        .unwrap();
    server.handle_input(&wire, now).unwrap();
    match server.poll_event() {
        Some(ServerEvent::ConnectRequested {
            request,
            app,
            query,
            tc_url: None,
            ..
        }) => {
            assert_eq!((app.as_str(), query.as_deref()), ("live", Some("x=1")));
            server.accept_connect(request).unwrap();
        }
        other => panic!("{other:?}"),
    }
    match server.poll_event() {
        Some(ServerEvent::PublishRequested {
            request,
            app,
            connect,
            ..
        }) => {
            // The connect's tcUrl and query come again with the publish.
            assert_eq!(app, "live");
            assert_eq!(
                (connect.tc_url, connect.query.as_deref()),
                (None, Some("x=1"))
            );
            server.accept_publish(request).unwrap();
        }
        other => panic!("{other:?}"),
    }
    // A decoder that has seen every reply so far (header compression
    // depends on it).
    let mut sent = Vec::new();
    while let Some(b) = server.poll_transmit() {
        sent.extend_from_slice(&b);
    }
    let mut dec = ChunkDecoder::new();
    dec.push(&sent[3073..]);
    while dec.poll().unwrap().is_some() {}
    (server, enc, dec, now)
}

fn send(
    server: &mut ServerSession,
    enc: &mut ChunkEncoder,
    msg: &Message,
    csid: u32,
    ts: u32,
    sid: u32,
    now: Instant,
) {
    let mut wire = Vec::new();
    enc.encode(&msg.to_raw(csid, ts, sid).unwrap(), &mut wire)
        .unwrap();
    server.handle_input(&wire, now).unwrap();
}

fn replies(server: &mut ServerSession, decoder: &mut ChunkDecoder) -> Vec<Message> {
    while let Some(b) = server.poll_transmit() {
        decoder.push(&b);
    }
    let mut out = Vec::new();
    while let Some(raw) = decoder.poll().unwrap() {
        out.push(Message::decode(&raw).unwrap());
    }
    out
}

#[test]
fn acknowledgements_follow_the_peer_window() {
    let now = Instant::now();
    let mut server = ServerSession::new(ServerConfig::default(), now);
    let mut wire = Handshake::client_simple(1).take_output().to_vec();
    wire.extend_from_slice(&[0; 1536]);
    let mut enc = ChunkEncoder::new();
    enc.encode(
        &Message::WindowAckSize(5000).to_raw(2, 0, 0).unwrap(),
        &mut wire,
    )
    .unwrap();
    server.handle_input(&wire, now).unwrap();
    let mut dec = ChunkDecoder::new();
    let mut out = server.poll_transmit().unwrap();
    let _s0s1s2 = out.split_to(3073);
    dec.push(&out);
    // 3073 + 16 bytes so far; unknown-type messages up to 5000 in total.
    let filler = Message::Other {
        type_id: 7,
        payload: Bytes::from(vec![0; 1900]),
    };
    send(&mut server, &mut enc, &filler, 5, 0, 0, now);
    let acks = replies(&mut server, &mut dec);
    assert_eq!(acks.len(), 1);
    let Message::Acknowledgement { sequence_number } = acks[0] else {
        panic!("{acks:?}")
    };
    assert!(sequence_number >= 5000, "{sequence_number}");
    send(&mut server, &mut enc, &filler, 5, 0, 0, now);
    assert!(
        replies(&mut server, &mut dec).is_empty(),
        "next ack after another window"
    );
}

#[test]
fn ping_requests_are_answered_and_media_flows() {
    let (mut server, mut enc, mut dec, now) = raw_publishing();
    send(
        &mut server,
        &mut enc,
        &Message::UserControl(UserControlEvent::PingRequest { timestamp: 77 }),
        2,
        0,
        0,
        now,
    );
    let r = replies(&mut server, &mut dec);
    assert_eq!(
        r,
        vec![Message::UserControl(UserControlEvent::PingResponse {
            timestamp: 77
        })]
    );

    // onMetaData without @setDataFrame, then an undecodable data message (ignored).
    let meta = Message::Data {
        values: vec![Value::String("onMetaData".into()), Value::Number(1.0)],
        amf3: false,
    };
    send(&mut server, &mut enc, &meta, 5, 0, 1, now);
    send(
        &mut server,
        &mut enc,
        &Message::Other {
            type_id: 18,
            payload: Bytes::from_static(&[0x11, 0x22]),
        },
        5,
        0,
        1,
        now,
    );
    assert_eq!(
        server.poll_event(),
        Some(ServerEvent::Metadata {
            stream_id: 1,
            metadata: Value::Number(1.0)
        })
    );
    assert_eq!(server.poll_event(), None);

    // An aggregate with a video and an audio sub-message (timestamps 1000 and 1020 → 50 and 70).
    let mut agg = Vec::new();
    for (ty, ts, body) in [
        (9u8, 1000u32, &[0x17u8, 1, 0, 0, 0][..]),
        (8, 1020, &[0xAF, 1][..]),
    ] {
        agg.push(ty);
        agg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        agg.extend_from_slice(&ts.to_be_bytes()[1..]);
        agg.push((ts >> 24) as u8);
        agg.extend_from_slice(&[0, 0, 0]);
        agg.extend_from_slice(body);
        agg.extend_from_slice(&(11 + body.len() as u32).to_be_bytes());
    }
    send(
        &mut server,
        &mut enc,
        &Message::Aggregate(Bytes::from(agg)),
        7,
        50,
        1,
        now,
    );
    assert_eq!(
        server.poll_event(),
        Some(ServerEvent::Video {
            stream_id: 1,
            timestamp: 50,
            data: Bytes::from_static(&[0x17, 1, 0, 0, 0])
        })
    );
    assert_eq!(
        server.poll_event(),
        Some(ServerEvent::Audio {
            stream_id: 1,
            timestamp: 70,
            data: Bytes::from_static(&[0xAF, 1])
        })
    );
}

#[test]
fn peer_eof_closes() {
    let (mut server, _, _, _) = raw_publishing();
    server.handle_eof();
    assert_eq!(
        server.poll_event(),
        Some(ServerEvent::Closed {
            reason: CloseReason::PeerClosed
        })
    );
    assert_eq!(
        server.handle_input(&[1], Instant::now()),
        Err(Error::SessionClosed)
    );
    server.handle_eof();
    assert_eq!(server.poll_event(), None, "one Closed event only");
}

#[test]
fn requests_wait_for_the_application() {
    // connect and createStream pipelined: createStream is answered only
    // after the connect is accepted.
    let now = Instant::now();
    let mut server = ServerSession::new(ServerConfig::default(), now);
    let mut wire = Handshake::client_simple(1).take_output().to_vec();
    wire.extend_from_slice(&[0; 1536]);
    let mut enc = ChunkEncoder::new();
    let connect = Message::Command {
        command: Command::new("connect", 1.0, Value::Object(vec![]), vec![]),
        amf3: false,
    };
    let create = Message::Command {
        command: Command::new("createStream", 2.0, Value::Null, vec![]),
        amf3: false,
    };
    enc.encode(&connect.to_raw(3, 0, 0).unwrap(), &mut wire)
        .unwrap();
    enc.encode(&create.to_raw(3, 0, 0).unwrap(), &mut wire)
        .unwrap();
    server.handle_input(&wire, now).unwrap();
    let mut out = server.poll_transmit().unwrap();
    assert_eq!(
        out.len(),
        3073,
        "nothing but the handshake before the answer"
    );
    let Some(ServerEvent::ConnectRequested { request, app, .. }) = server.poll_event() else {
        panic!()
    };
    assert_eq!(app, "");
    server.accept_connect(request).unwrap();
    out = server.poll_transmit().unwrap();
    let mut dec = ChunkDecoder::new();
    dec.push(&out);
    let mut names = Vec::new();
    while let Some(raw) = dec.poll().unwrap() {
        if let Message::Command { command, .. } = Message::decode(&raw).unwrap() {
            names.push((command.name, command.transaction_id, command.arguments));
        }
    }
    assert_eq!(names.len(), 2);
    assert_eq!((names[0].0.as_str(), names[0].1), ("_result", 1.0));
    assert_eq!(
        names[1],
        ("_result".to_owned(), 2.0, vec![Value::Number(1.0)])
    );
}

#[test]
fn client_refuses_media_before_publishing_and_times_out() {
    let now = Instant::now();
    let mut client = ClientSession::new(ClientConfig::new("live", "rtmp://h/live", "ch"), now);
    assert_eq!(
        client.send_video(0, Bytes::new()),
        Err(Error::NotPublishing { what: "video" })
    );
    assert_eq!(
        client.send_metadata(&Value::Null),
        Err(Error::NotPublishing { what: "metadata" })
    );
    assert_eq!(
        client.unpublish(),
        Err(Error::NotPublishing { what: "unpublish" })
    );
    assert_eq!(client.poll_timeout(), Some(now + Duration::from_secs(10)));
    client.handle_timeout(now + Duration::from_secs(10));
    assert_eq!(
        client.poll_event(),
        Some(ClientEvent::Closed {
            reason: CloseReason::Timeout(Error::HandshakeTimeout {
                timeout: Duration::from_secs(10),
                received: 0
            })
        })
    );

    // A server that completes the handshake but never answers connect.
    let mut client = ClientSession::new(ClientConfig::new("live", "rtmp://h/live", "ch"), now);
    let mut server_hs = Handshake::server(1);
    server_hs
        .handle_input(&client.poll_transmit().unwrap())
        .unwrap();
    let later = now + Duration::from_secs(5);
    client
        .handle_input(&server_hs.take_output(), later)
        .unwrap();
    assert_eq!(client.poll_timeout(), Some(later + Duration::from_secs(10)));
    client.handle_timeout(later + Duration::from_secs(10));
    assert_eq!(
        client.poll_event(),
        Some(ClientEvent::Closed {
            reason: CloseReason::Timeout(Error::ResponseTimeout {
                request: "connect",
                timeout: Duration::from_secs(10)
            })
        })
    );
}

#[test]
fn client_publish_sequence_on_the_wire() {
    let mut p = Pair::new("ch?k=1");
    p.run(accept_all);
    assert_eq!(
        p.client_events,
        vec![ClientEvent::Connected, ClientEvent::Publishing]
    );
    assert!(
        p.client.poll_timeout().is_none(),
        "no deadline while publishing"
    );
    assert!(
        matches!(&p.server_events[1], ServerEvent::PublishRequested { stream_name, query, .. }
        if stream_name == "ch" && query.as_deref() == Some("k=1"))
    );
}

/// Every media message becomes an event as large as the largest: keep
/// the rare ones (connect, publish) from growing it.
#[test]
fn events_stay_small() {
    assert!(
        std::mem::size_of::<ServerEvent>() <= 120,
        "{} bytes",
        std::mem::size_of::<ServerEvent>()
    );
}
