//! The bad-input catalogue: each case ends the session with one specific
//! error, never panics, and leaves the session holding bounded memory.

use std::time::{Duration, Instant};

use bytes::Bytes;
use livechannel_amf0::Value;
use livechannel_rtmp::{
    ChunkDecoder, ChunkEncoder, ChunkLimits, CloseReason, Command, Error, Handshake, Message,
    RawMessage, ServerConfig, ServerEvent, ServerSession, UserControlEvent,
};
// A server driven with auto-accept.
use livechannel_testkit::rtmp::AcceptAll as Server;

const HS: u64 = 3073;

/// The client side of a connection, writing raw chunks.
struct Peer {
    encoder: ChunkEncoder,
}

impl Peer {
    fn new() -> Self {
        Peer {
            encoder: ChunkEncoder::new(),
        }
    }

    fn handshake() -> Vec<u8> {
        let mut bytes = Handshake::client_simple(1).take_output().to_vec();
        bytes.extend_from_slice(&[0u8; 1536]); // C2: the server does not require an exact echo
        bytes
    }

    fn command(
        &mut self,
        name: &str,
        tid: f64,
        object: Value,
        args: Vec<Value>,
        stream_id: u32,
    ) -> Vec<u8> {
        let msg = Message::Command {
            command: Command::new(name, tid, object, args),
            amf3: false,
        };
        let mut out = Vec::new();
        self.encoder
            .encode(&msg.to_raw(3, 0, stream_id).unwrap(), &mut out)
            .unwrap();
        out
    }

    fn connect(&mut self) -> Vec<u8> {
        let obj = Value::Object(vec![
            ("app".into(), Value::String("live".into())),
            ("tcUrl".into(), Value::String("rtmp://h/live".into())),
        ]);
        self.command("connect", 1.0, obj, vec![], 0)
    }

    fn publish(&mut self, name: &str, stream_id: u32) -> Vec<u8> {
        self.command(
            "publish",
            5.0,
            Value::Null,
            vec![Value::String(name.into()), Value::String("live".into())],
            stream_id,
        )
    }
}

/// What a test reads from the accept-all server: its close reason, the
/// status codes it sent.
trait Seen {
    fn closed_with(&self) -> Option<CloseReason>;
    /// The status codes of onStatus / _error commands we sent (after the handshake).
    fn sent_status_codes(&self) -> Vec<String>;
}

impl Seen for Server {
    fn closed_with(&self) -> Option<CloseReason> {
        self.events.iter().find_map(|e| match e {
            ServerEvent::Closed { reason } => Some(reason.clone()),
            _ => None,
        })
    }

    fn sent_status_codes(&self) -> Vec<String> {
        let mut d = ChunkDecoder::new();
        d.push(&self.sent[HS as usize..]);
        let mut codes = Vec::new();
        while let Ok(Some(raw)) = d.poll() {
            if let Ok(Message::Command { command, .. }) = Message::decode(&raw) {
                if let Some((code, _)) = command.status() {
                    codes.push(code.to_owned());
                }
            }
        }
        codes
    }
}

fn after_handshake(now: Instant) -> Server {
    let mut s = Server::new(ServerConfig::default(), now);
    s.input(&Peer::handshake(), now).unwrap();
    s
}

fn connected(now: Instant) -> (Server, Peer) {
    let mut s = after_handshake(now);
    let mut peer = Peer::new();
    s.input(&peer.connect(), now).unwrap();
    (s, peer)
}

fn publishing(now: Instant) -> (Server, Peer) {
    let (mut s, mut peer) = connected(now);
    s.input(
        &peer.command("createStream", 4.0, Value::Null, vec![], 0),
        now,
    )
    .unwrap();
    s.input(&peer.publish("ch", 1), now).unwrap();
    assert_eq!(s.session.publishing_stream(), Some(1));
    (s, peer)
}

/// The common ending: the error, returned again, and a Closed event with it.
fn assert_closed(s: &mut Server, result: Result<(), Error>, expected: Error, now: Instant) {
    assert_eq!(result, Err(expected.clone()));
    assert_eq!(
        s.closed_with().and_then(|r| r.error().cloned()),
        Some(expected.clone())
    );
    assert!(s.session.is_closed());
    assert_eq!(s.input(&[0; 10], now), Err(expected), "errors are sticky");
    assert!(
        s.session.buffered_bytes() < 64 * 1024,
        "holds {} bytes",
        s.session.buffered_bytes()
    );
}

#[test]
fn wrong_version_byte() {
    let now = Instant::now();
    let mut s = Server::new(ServerConfig::default(), now);
    let r = s.input(&[6, 0, 0, 0], now);
    assert_closed(&mut s, r, Error::UnsupportedVersion { found: 6 }, now);
    assert!(s.sent.is_empty());
}

#[test]
fn tls_client_hello_closes_with_its_own_reason() {
    let now = Instant::now();
    let mut s = Server::new(ServerConfig::default(), now);
    let r = s.input(&[0x16, 0x03, 0x01, 0x02, 0x00], now);
    assert_closed(&mut s, r, Error::TlsOnPlainPort, now);
    assert!(s.sent.is_empty());
}

#[test]
fn truncated_handshake_then_timeout() {
    let now = Instant::now();
    let mut s = Server::new(ServerConfig::default(), now);
    let hs = Peer::handshake();
    s.input(&hs[..1000], now).unwrap();
    assert_eq!(
        s.session.poll_timeout(),
        Some(now + Duration::from_secs(10))
    );
    s.session.handle_timeout(now + Duration::from_secs(9));
    assert!(!s.session.is_closed());
    s.session.handle_timeout(now + Duration::from_secs(10));
    s.drain();
    let expected = Error::HandshakeTimeout {
        timeout: Duration::from_secs(10),
        received: 1000,
    };
    assert_eq!(
        s.closed_with(),
        Some(CloseReason::Timeout(expected.clone()))
    );
    assert_eq!(s.session.poll_timeout(), None);
    assert_eq!(s.input(&hs[1000..], now), Err(expected));
    assert!(s.session.buffered_bytes() <= 1536);
}

#[test]
fn handshake_trickling_one_byte_per_minute() {
    let start = Instant::now();
    let mut s = Server::new(ServerConfig::default(), start);
    let hs = Peer::handshake();
    s.input(&hs[..1], start).unwrap();
    // The driver sleeps until poll_timeout...
    let wake = s.session.poll_timeout().unwrap();
    assert_eq!(wake, start + Duration::from_secs(10));
    s.session.handle_timeout(wake);
    s.drain();
    let expected = Error::HandshakeTimeout {
        timeout: Duration::from_secs(10),
        received: 1,
    };
    assert_eq!(
        s.closed_with(),
        Some(CloseReason::Timeout(expected.clone()))
    );

    // ...and a driver that only reacts to input is stopped too.
    let mut s = Server::new(ServerConfig::default(), start);
    let mut result = Ok(());
    for (minute, byte) in hs.iter().enumerate().take(5) {
        result = s.input(&[*byte], start + Duration::from_secs(60 * minute as u64));
        if result.is_err() {
            break;
        }
    }
    assert_closed(&mut s, result, expected, start);
}

#[test]
fn compressed_header_on_unknown_chunk_stream() {
    let now = Instant::now();
    let mut s = after_handshake(now);
    let r = s.input(&[0x43, 0, 0, 0, 0, 0, 1, 20], now);
    assert_closed(
        &mut s,
        r,
        Error::CompressedHeaderOnUnknownChunkStream {
            offset: HS,
            csid: 3,
            fmt: 1,
        },
        now,
    );
}

#[test]
fn message_length_over_the_cap() {
    let now = Instant::now();
    let mut s = after_handshake(now);
    // Only the header of a 9 MiB message: the error comes before any body.
    let r = s.input(&[0x06, 0, 0, 0, 0x90, 0, 0, 9, 1, 0, 0, 0], now);
    assert_closed(
        &mut s,
        r,
        Error::MessageTooLarge {
            offset: HS,
            csid: 6,
            len: 0x90_0000,
            limit: 8 << 20,
        },
        now,
    );
}

#[test]
fn set_chunk_size_zero_and_too_large() {
    for size in [0u32, 0x8000_0000, u32::MAX] {
        let now = Instant::now();
        let mut s = after_handshake(now);
        let mut wire = vec![0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0];
        wire.extend_from_slice(&size.to_be_bytes());
        let r = s.input(&wire, now);
        assert_closed(&mut s, r, Error::InvalidChunkSize { offset: HS, size }, now);
    }
}

#[test]
fn extended_timestamp_missing_on_continuations_is_tolerated() {
    let now = Instant::now();
    let (mut s, _) = publishing(now);
    let ts = 0x0123_4567u32;
    // csid 10 is new: a format-0 header, 300 bytes, chunk size 128, no
    // extended timestamp on the two continuation chunks (librtmp style).
    let body: Vec<u8> = (0..300).map(|i| (i % 200) as u8 + 10).collect();
    let mut wire = vec![0x0A, 0xFF, 0xFF, 0xFF, 0, 0x01, 0x2C, 9, 1, 0, 0, 0];
    wire.extend_from_slice(&ts.to_be_bytes());
    wire.extend_from_slice(&body[..128]);
    wire.push(0xCA);
    wire.extend_from_slice(&body[128..256]);
    wire.push(0xCA);
    wire.extend_from_slice(&body[256..]);
    s.input(&wire, now).unwrap();
    assert_eq!(
        s.events.last(),
        Some(&ServerEvent::Video {
            stream_id: 1,
            timestamp: ts,
            data: Bytes::from(body)
        })
    );
}

#[test]
fn extended_timestamp_garbage_on_every_continuation() {
    // The 4 bytes after a continuation's basic header are not the message's
    // extended timestamp, so they are payload; the message ends 4 bytes
    // early and its real tail (0x47 ...) is read as a chunk header: format
    // 1 on the never-seen chunk stream 7.
    let now = Instant::now();
    let (mut s, _) = publishing(now);
    let mut wire = vec![0x0A, 0xFF, 0xFF, 0xFF, 0, 0x01, 0x2C, 9, 1, 0, 0, 0];
    wire.extend_from_slice(&0x0100_0000u32.to_be_bytes());
    wire.extend_from_slice(&[0x47; 128]);
    wire.push(0xCA);
    wire.extend_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF]);
    wire.extend_from_slice(&[0x47; 128]);
    let start = s.received;
    let r = s.input(&wire, now);
    let offset = start + 12 + 4 + 128 + 1 + 128;
    assert_closed(
        &mut s,
        r,
        Error::CompressedHeaderOnUnknownChunkStream {
            offset,
            csid: 7,
            fmt: 1,
        },
        now,
    );
}

#[test]
fn amf_nesting_ten_thousand_deep_in_a_command() {
    let now = Instant::now();
    let mut s = after_handshake(now);
    let mut body = Vec::new();
    livechannel_amf0::encode(&Value::String("connect".into()), &mut body).unwrap();
    livechannel_amf0::encode(&Value::Number(1.0), &mut body).unwrap();
    let prefix = body.len();
    for _ in 0..10_000 {
        body.extend_from_slice(&[0x03, 0x00, 0x01, b'a']);
    }
    let mut wire = Vec::new();
    ChunkEncoder::new()
        .encode(
            &RawMessage::new(3, 0, 20, 0, Bytes::from(body.clone())),
            &mut wire,
        )
        .unwrap();
    let last_chunk = HS + wire.len() as u64 - 1 - (body.len() % 128) as u64;
    let r = s.input(&wire, now);
    let expected = Error::Amf {
        source: livechannel_amf0::Error::TooDeep {
            offset: prefix + 64 * 4,
            limit: 64,
        },
        context: "command message",
        offset: last_chunk,
    };
    assert_closed(&mut s, r, expected, now);
}

#[test]
fn publish_before_connect() {
    let now = Instant::now();
    let mut s = after_handshake(now);
    let mut peer = Peer::new();
    let r = s.input(&peer.publish("ch", 1), now);
    assert_closed(&mut s, r, Error::PublishBeforeConnect, now);
    assert_eq!(s.sent_status_codes(), vec!["NetStream.Publish.Denied"]);
}

#[test]
fn create_stream_before_connect() {
    let now = Instant::now();
    let mut s = after_handshake(now);
    let mut peer = Peer::new();
    let r = s.input(
        &peer.command("createStream", 2.0, Value::Null, vec![], 0),
        now,
    );
    assert_closed(&mut s, r, Error::PublishBeforeConnect, now);
    assert_eq!(s.sent_status_codes(), vec!["NetConnection.Call.Failed"]);
}

#[test]
fn play_request() {
    let now = Instant::now();
    let (mut s, mut peer) = connected(now);
    s.input(
        &peer.command("createStream", 2.0, Value::Null, vec![], 0),
        now,
    )
    .unwrap();
    let r = s.input(
        &peer.command(
            "play",
            0.0,
            Value::Null,
            vec![Value::String("ch".into())],
            1,
        ),
        now,
    );
    assert_closed(
        &mut s,
        r,
        Error::PlayNotSupported {
            stream_name: "ch".into(),
        },
        now,
    );
    assert_eq!(
        s.sent_status_codes(),
        vec!["NetConnection.Connect.Success", "NetStream.Play.Failed"]
    );
}

#[test]
fn second_publish_on_the_same_connection() {
    let now = Instant::now();
    let (mut s, mut peer) = publishing(now);
    let r = s.input(&peer.publish("other", 1), now);
    assert_closed(
        &mut s,
        r,
        Error::AlreadyPublishing {
            stream_id: 1,
            stream_name: "other".into(),
        },
        now,
    );
    assert_eq!(
        s.sent_status_codes(),
        vec![
            "NetConnection.Connect.Success",
            "NetStream.Publish.Start",
            "NetStream.Publish.BadName"
        ]
    );
}

#[test]
fn second_connect() {
    let now = Instant::now();
    let (mut s, mut peer) = connected(now);
    let r = s.input(&peer.connect(), now);
    assert_closed(
        &mut s,
        r,
        Error::UnexpectedCommand {
            name: "connect".into(),
            state: "connected",
        },
        now,
    );
}

#[test]
fn garbage_after_the_handshake() {
    let now = Instant::now();
    let mut s = after_handshake(now);
    let r = s.input(&[0xFF; 100], now);
    assert_closed(
        &mut s,
        r,
        Error::CompressedHeaderOnUnknownChunkStream {
            offset: HS,
            csid: 63,
            fmt: 3,
        },
        now,
    );
}

#[test]
fn too_many_chunk_streams() {
    let now = Instant::now();
    let mut s = after_handshake(now);
    let mut wire = Vec::new();
    for csid in 3..3 + 65u8 {
        // Zero-length acknowledgement-type messages on ever new chunk streams.
        wire.extend_from_slice(&[0x00, csid, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0]);
    }
    let r = s.input(&wire, now);
    assert_closed(
        &mut s,
        r,
        Error::TooManyChunkStreams {
            offset: HS + 64 * 13,
            csid: 64 + 3 + 64,
            limit: 64,
        },
        now,
    );
}

#[test]
fn partial_messages_over_the_cap() {
    let now = Instant::now();
    let limits = ChunkLimits {
        max_partial_bytes: 100_000,
        ..ChunkLimits::default()
    };
    let mut s = Server::new(
        ServerConfig {
            limits,
            ..ServerConfig::default()
        },
        now,
    );
    s.input(&Peer::handshake(), now).unwrap();
    // 1 MiB messages started on chunk streams 4..=63, then continued
    // round-robin, 128 bytes per chunk.
    let mut wire = Vec::new();
    for csid in 4..64u8 {
        wire.extend_from_slice(&[csid, 0, 0, 0, 0x10, 0, 0, 9, 1, 0, 0, 0]);
        wire.extend_from_slice(&[0; 128]);
    }
    for _ in 0..14 {
        for csid in 4..64u8 {
            wire.push(0xC0 | csid);
            wire.extend_from_slice(&[0; 128]);
        }
    }
    let r = s.input(&wire, now);
    // 781 chunks of 128 bytes fit in 100 000 bytes; chunk 782 does not.
    let k = 100_000 / 128;
    let offset = HS + 60 * 140 + (k as u64 - 60) * 129;
    let expected = Error::PartialMessagesTooLarge {
        offset,
        csid: 4 + (k % 60) as u32,
        buffered: (k + 1) * 128,
        limit: 100_000,
    };
    assert_closed(&mut s, r, expected, now);
}

#[test]
fn flooding_while_a_request_waits() {
    let now = Instant::now();
    let limits = ChunkLimits {
        max_partial_bytes: 10_000,
        ..ChunkLimits::default()
    };
    let mut session = ServerSession::new(
        ServerConfig {
            limits,
            ..ServerConfig::default()
        },
        now,
    );
    session.handle_input(&Peer::handshake(), now).unwrap();
    let mut peer = Peer::new();
    session.handle_input(&peer.connect(), now).unwrap();
    assert!(matches!(
        session.poll_event(),
        Some(ServerEvent::ConnectRequested { .. })
    ));
    // The application has not answered; the peer keeps sending.
    session.handle_input(&[0x55; 10_000], now).unwrap();
    let r = session.handle_input(&[0x55; 1], now);
    assert_eq!(
        r,
        Err(Error::BacklogTooLarge {
            buffered: 10_001,
            limit: 10_000
        })
    );
    while session.poll_transmit().is_some() {}
    assert_eq!(session.buffered_bytes(), 0, "input is released on close");
}

#[test]
fn idle_publisher_is_pinged_then_dropped() {
    let start = Instant::now();
    let (mut s, _) = publishing(start);
    assert_eq!(
        s.session.poll_timeout(),
        Some(start + Duration::from_secs(15))
    );
    s.session.handle_timeout(start + Duration::from_secs(15));
    s.drain();
    let mut d = ChunkDecoder::new();
    d.push(&s.sent[HS as usize..]);
    let mut last = None;
    while let Some(raw) = d.poll().unwrap() {
        last = Some(raw);
    }
    let ping = Message::decode(&last.unwrap()).unwrap();
    assert_eq!(
        ping,
        Message::UserControl(UserControlEvent::PingRequest { timestamp: 15_000 })
    );
    assert_eq!(
        s.session.poll_timeout(),
        Some(start + Duration::from_secs(30))
    );
    s.session.handle_timeout(start + Duration::from_secs(30));
    s.drain();
    let expected = Error::IdleTimeout {
        timeout: Duration::from_secs(30),
    };
    assert_eq!(
        s.closed_with(),
        Some(CloseReason::Timeout(expected.clone()))
    );
    assert_eq!(s.input(&[1], start), Err(expected));
}

#[test]
fn oversized_command_message() {
    // Decoded AMF takes many times its wire size: commands over 256 KiB are
    // refused before decoding.
    let now = Instant::now();
    let mut s = after_handshake(now);
    let mut body = Vec::new();
    livechannel_amf0::encode(&Value::String("connect".into()), &mut body).unwrap();
    body.push(0x0A);
    body.extend_from_slice(&65536u32.to_be_bytes());
    body.resize(body.len() + 65536 * 4, 0x05);
    let mut wire = Vec::new();
    let mut enc = ChunkEncoder::new();
    enc.encode_set_chunk_size(1 << 20, &mut wire).unwrap();
    enc.encode(&RawMessage::new(3, 0, 20, 0, Bytes::from(body)), &mut wire)
        .unwrap();
    let r = s.input(&wire, now);
    let expected = Error::InvalidMessage {
        offset: HS + 16,
        type_id: 20,
        reason: "command or data message larger than 256 KiB",
    };
    assert_closed(&mut s, r, expected, now);
}
