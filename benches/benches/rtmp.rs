//! RTMP throughput: chunk decoding of a recorded publish at chunk sizes 128
//! and 4096, and a whole server session ingesting a recorded publish.
//!
//! Input: the tags of high_bframes_gop2s_aac44k.flv repeated 10 times with
//! shifted timestamps (about 2.7 MB of media), pushed in 64 KiB pieces.

use std::time::Instant;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use livechannel_flv::{Demuxer, Event, Tag, TagType};
use livechannel_rtmp::{
    ChunkDecoder, ChunkEncoder, ClientConfig, ClientSession, RawMessage, ServerConfig, ServerEvent,
    ServerSession,
};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/high_bframes_gop2s_aac44k.flv"
);
const REPEAT: u32 = 10;
const PIECE: usize = 64 * 1024;

/// The fixture's audio and video tags, repeated with shifted timestamps.
fn media_tags() -> Vec<Tag> {
    let data = std::fs::read(FIXTURE).expect("fixture readable");
    let mut demuxer = Demuxer::new();
    demuxer.push(&data);
    let mut tags = Vec::new();
    while let Some(event) = demuxer.poll().expect("fixture demuxes") {
        if let Event::Tag(tag) = event {
            if matches!(tag.tag_type, TagType::Audio | TagType::Video) {
                tags.push(tag);
            }
        }
    }
    let span = tags.iter().map(|t| t.timestamp).max().unwrap_or(0) + 40;
    (0..REPEAT)
        .flat_map(|round| {
            tags.iter().map(move |t| Tag {
                timestamp: t.timestamp + round * span,
                ..t.clone()
            })
        })
        .collect()
}

fn chunk_stream(tags: &[Tag], chunk_size: u32) -> Vec<u8> {
    let mut encoder = ChunkEncoder::new();
    let mut wire = Vec::new();
    encoder
        .encode_set_chunk_size(chunk_size, &mut wire)
        .unwrap();
    for tag in tags {
        let (csid, type_id) = if tag.tag_type == TagType::Audio {
            (4, 8)
        } else {
            (6, 9)
        };
        let msg = RawMessage::new(csid, tag.timestamp, type_id, 1, tag.body.clone());
        encoder.encode(&msg, &mut wire).unwrap();
    }
    wire
}

/// Every byte our client sends to publish `tags` (handshake included).
fn recorded_publish(tags: &[Tag]) -> Vec<u8> {
    let now = Instant::now();
    let mut client = ClientSession::new(ClientConfig::new("live", "rtmp://h/live", "ch"), now);
    let mut server = ServerSession::new(ServerConfig::default(), now);
    let mut recorded = Vec::new();
    let mut sent = false;
    for _ in 0..20 {
        while let Some(b) = client.poll_transmit() {
            recorded.extend_from_slice(&b);
            server.handle_input(&b, now).unwrap();
        }
        accept_all(&mut server);
        while let Some(b) = server.poll_transmit() {
            client.handle_input(&b, now).unwrap();
        }
        while client.poll_event().is_some() {}
        if client.is_publishing() && !sent {
            sent = true;
            for tag in tags {
                if tag.tag_type == TagType::Audio {
                    client.send_audio(tag.timestamp, tag.body.clone()).unwrap();
                } else {
                    client.send_video(tag.timestamp, tag.body.clone()).unwrap();
                }
            }
        }
    }
    assert!(sent, "publish was not accepted");
    recorded
}

fn accept_all(server: &mut ServerSession) -> usize {
    let mut media = 0;
    while let Some(event) = server.poll_event() {
        match event {
            ServerEvent::ConnectRequested { request, .. } => {
                server.accept_connect(request).unwrap()
            }
            ServerEvent::PublishRequested { request, .. } => {
                server.accept_publish(request).unwrap()
            }
            ServerEvent::Audio { data, .. } | ServerEvent::Video { data, .. } => {
                media += black_box(data).len();
            }
            _ => {}
        }
    }
    media
}

fn decode(wire: &[u8]) -> usize {
    let mut decoder = ChunkDecoder::new();
    let mut bytes = 0;
    for piece in wire.chunks(PIECE) {
        decoder.push(piece);
        while let Some(msg) = decoder.poll().unwrap() {
            bytes += black_box(msg.payload).len();
        }
    }
    bytes
}

fn bench(c: &mut Criterion) {
    let tags = media_tags();
    let media: usize = tags.iter().map(|t| t.body.len()).sum();

    let mut group = c.benchmark_group("rtmp_chunk_decode");
    for chunk_size in [128u32, 4096] {
        let wire = chunk_stream(&tags, chunk_size);
        assert_eq!(decode(&wire), media + 4);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_function(format!("chunk_size_{chunk_size}"), |b| {
            b.iter(|| decode(black_box(&wire)))
        });
    }
    group.finish();

    let recorded = recorded_publish(&tags);
    let mut group = c.benchmark_group("rtmp_server_session");
    group.throughput(Throughput::Bytes(recorded.len() as u64));
    group.bench_function("ingest_recorded_publish", |b| {
        b.iter(|| {
            let now = Instant::now();
            let mut server = ServerSession::new(ServerConfig::default(), now);
            let mut got = 0;
            for piece in recorded.chunks(PIECE) {
                server.handle_input(piece, now).unwrap();
                got += accept_all(&mut server);
                while let Some(b) = server.poll_transmit() {
                    black_box(b);
                }
            }
            assert_eq!(got, media);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
