//! The RTMP-to-LiveChannel bridge (`livechannel::Connection`) over a memory
//! store, after a valid connect and publish, fed a script of media (real
//! tags of an H.264 or an HEVC fixture and arbitrary bodies), clock jumps, raw bytes,
//! disables and unpublishes: never panics, every segment the stored live
//! playlist names is stored, and the channel is free again at the end.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures::executor::block_on;
use livechannel::catalog::{Acl, BucketRecord, ChannelConfig, ChannelRecord};
use livechannel::store::{MemoryStore, ObjectStore};
use livechannel::{Connection, ConnectionConfig, Service, ServiceConfig};
use livechannel_flv::{Tag, TagType};
use livechannel_m3u8::MediaPlaylist;
use livechannel_rtmp::{ClientConfig, ClientSession};

const T0_MS: u64 = 1_700_000_000_000;

/// The tags of an H.264 fixture (`hevc` false) or an HEVC one (fMP4 segments).
fn fixture(hevc: bool) -> &'static [Tag] {
    static H264: OnceLock<Vec<Tag>> = OnceLock::new();
    static HEVC: OnceLock<Vec<Tag>> = OnceLock::new();
    let (cell, data): (_, &'static [u8]) = match hevc {
        false => (
            &H264,
            include_bytes!("../../tests/fixtures/high_bframes_gop2s_aac44k.flv"),
        ),
        true => (
            &HEVC,
            include_bytes!("../../tests/fixtures/hevc_main_640x360_25fps_aac.flv"),
        ),
    };
    cell.get_or_init(|| livechannel_flv::read_all(Bytes::from_static(data)).unwrap_or_default())
}

fn wall(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}

fn service(store: Arc<MemoryStore>) -> Arc<Service> {
    let service = Arc::new(Service::new(store, ServiceConfig::default()));
    let catalog = service.catalog();
    let bucket = BucketRecord {
        name: "bkt".into(),
        acl: Acl::PublicReadWrite,
        created_ms: T0_MS,
    };
    block_on(catalog.put_bucket(&bucket)).unwrap();
    let mut config = ChannelConfig::default();
    config.target.frag_duration = 1;
    let channel = ChannelRecord {
        name: "ch".into(),
        config,
        last_modified_ms: T0_MS,
    };
    block_on(catalog.put_channel("bkt", &channel)).unwrap();
    service
}

/// Move bytes both ways until neither side has more to say.
fn pump(client: &mut ClientSession, conn: &mut Connection, now: Instant, ms: u64) {
    loop {
        let mut moved = false;
        while let Some(bytes) = client.poll_transmit() {
            conn.handle_input(&bytes, now);
            moved = true;
        }
        block_on(conn.process(wall(ms)));
        let _ = conn.read_hint();
        while let Some(bytes) = conn.poll_transmit() {
            let _ = client.handle_input(&bytes, now);
            moved = true;
        }
        while conn.poll_event().is_some() {}
        while client.poll_event().is_some() {}
        if !moved {
            return;
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone());
    let i0 = Instant::now();
    let mut client = ClientSession::new(
        ClientConfig::new("bkt/live", "rtmp://127.0.0.1/bkt/live", "ch"),
        i0,
    );
    let mut conn = Connection::new(service.clone(), ConnectionConfig::default(), i0);
    let mut ms = T0_MS;
    pump(&mut client, &mut conn, i0, ms);
    let mut timestamp = 0u32;
    for record in data.chunks(4) {
        let [kind, a, b, c] = <[u8; 4]>::try_from(record).unwrap_or([0xFF; 4]);
        let n = u16::from_le_bytes([a, b]);
        match kind % 8 {
            // A run of a fixture's tags, from tag n (HEVC when c's top bit is set).
            0..=2 => {
                let tags = fixture(c & 0x80 != 0);
                for tag in tags
                    .iter()
                    .skip(usize::from(n) % tags.len().max(1))
                    .take(usize::from(c & 0x7F) + 1)
                {
                    timestamp = timestamp.wrapping_add(tag.timestamp % 64);
                    let body = tag.body.clone();
                    let _ = match tag.tag_type {
                        TagType::Audio => client.send_audio(timestamp, body),
                        TagType::Video => client.send_video(timestamp, body),
                        _ => Ok(()),
                    };
                }
            }
            // An arbitrary body after a codec byte.
            3 => {
                let body = Bytes::from(vec![a, b, c, a ^ c]);
                let _ = if c & 1 == 0 {
                    client.send_audio(u32::from(n), body)
                } else {
                    client.send_video(u32::from(n), body)
                };
            }
            // The clock jumps (milliseconds to an hour).
            4 => ms += u64::from(n) * u64::from(c % 60 + 1),
            // Raw bytes straight into the connection.
            5 => conn.handle_input(&[a, b, c], i0),
            6 => {
                service.disconnect("bkt", "ch");
                conn.handle_timeout(i0 + Duration::from_secs(1));
            }
            _ => {
                let _ = client.unpublish();
            }
        }
        ms += 1;
        pump(&mut client, &mut conn, i0, ms);
        if conn.is_closed() {
            break;
        }
    }
    block_on(conn.finish(wall(ms + 100)));
    while conn.poll_event().is_some() {}
    assert_eq!(service.live_count(), 0, "the channel is free after finish");
    // A segment is stored before any playlist names it.
    if let Ok(object) = block_on(store.get("bkt/ch/playlist.m3u8", None)) {
        let text = std::str::from_utf8(&object.data).expect("utf-8 playlist");
        let playlist = MediaPlaylist::parse(text).expect("a playlist we wrote parses");
        let maps = playlist.maps.iter().map(|m| &m.uri);
        for uri in playlist.segments.iter().map(|s| &s.uri).chain(maps) {
            let key = format!("bkt/ch/{uri}");
            assert!(
                block_on(store.head(&key)).is_ok(),
                "{key} named but not stored"
            );
        }
    }
});
