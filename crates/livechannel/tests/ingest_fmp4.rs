//! Ingest of HEVC and AV1 (Enhanced RTMP), and of H.264 with fMP4 chosen:
//! fMP4 segments after their init segment, `#EXT-X-MAP` in the live and
//! VOD playlists, the codec in Stat, and the H.264-only rule.
//! Published by our RTMP client into the real `Connection`, in memory, on a
//! virtual clock (`ingest_support`).

mod ingest_support;

use std::sync::Arc;

use futures::executor::block_on;
use livechannel::catalog::{Acl, Container};
use livechannel::store::{MemoryStore, ObjectStore};
use livechannel::{SegmentFormat, Service, ServiceConfig, VideoCodecs};
use livechannel_m3u8::MediaPlaylist;
use livechannel_testkit::have;

use ingest_support::*;

const HEVC: &str = "hevc_main_640x360_25fps_aac.flv";
const AV1: &str = "av1_main_640x360_25fps_aac.flv";

/// A service over a fresh store with bucket bkt (public-read-write) and
/// channel ch (FragDuration 1 s, 3 segments shown), set up by `config`.
fn channel_with(config: impl FnOnce(&mut ServiceConfig)) -> (Arc<MemoryStore>, Arc<Service>) {
    let store = Arc::new(MemoryStore::new());
    let mut c = ServiceConfig {
        domain: Some("oss.example".into()),
        ..ServiceConfig::default()
    };
    config(&mut c);
    let service = Arc::new(Service::new(store.clone(), c));
    setup(&service, Acl::PublicReadWrite, 1);
    (store, service)
}

fn live_playlist(store: &MemoryStore) -> (String, MediaPlaylist) {
    let text = String::from_utf8(get(store, "bkt/ch/playlist.m3u8").expect("playlist")).unwrap();
    hls_m3u8::MediaPlaylist::try_from(text.as_str())
        .unwrap_or_else(|e| panic!("hls_m3u8: {e}\n{text}"));
    let playlist = MediaPlaylist::parse(&text).unwrap();
    (text, playlist)
}

/// Every segment and init segment the stored live playlist names is
/// stored: checked after each message of a publish.
fn assert_named_objects_stored(store: &MemoryStore) {
    let Some(text) = get(store, "bkt/ch/playlist.m3u8") else {
        return;
    };
    let playlist = MediaPlaylist::parse(std::str::from_utf8(&text).unwrap()).unwrap();
    let named = playlist.segments.iter().map(|s| &s.uri);
    for uri in named.chain(playlist.maps.iter().map(|m| &m.uri)) {
        assert!(
            get(store, &format!("bkt/ch/{uri}")).is_some(),
            "{uri} named before it was stored"
        );
    }
}

/// Publishes `fixture` at real time from `start_ms`, checking after every
/// message that the playlist names only stored objects.
fn publish_checked(store: &Arc<MemoryStore>, service: &Arc<Service>, fixture: &str, start_ms: u64) {
    let tags = fixture_tags(fixture);
    let check = |_: usize, _: &Arc<Service>| assert_named_objects_stored(store);
    publish_with(service, "ch", &tags, start_ms, check).unwrap();
}

/// HEVC and AV1 become fMP4: the init segment stored first and named in
/// `#EXT-X-MAP`, version 7, `.m4s` segments indexed as fMP4, a VOD that
/// ffprobe decodes whole, and Stat naming the codec as OSS names H.264.
#[test]
fn hevc_and_av1_are_stored_as_fmp4_with_their_init_segment() {
    for (fixture, codec) in [(HEVC, "H265"), (AV1, "AV1")] {
        let (store, service) = channel_with(|_| {});
        let tags = fixture_tags(fixture);
        let mut stat = String::new();
        let during = |sent: usize, service: &Arc<Service>| {
            assert_named_objects_stored(&store);
            if sent == tags.len() / 2 {
                stat = api(service, "GET", "/bkt/ch?live&comp=stat", T0_MS + 1_000).1;
            }
        };
        publish_with(&service, "ch", &tags, T0_MS, during).unwrap();
        assert!(stat.contains(&format!("<Codec>{codec}</Codec>")), "{stat}");
        assert!(
            stat.contains("<Width>640</Width><Height>360</Height>"),
            "{stat}"
        );

        let (text, live) = live_playlist(&store);
        assert!(text.starts_with("#EXTM3U\n#EXT-X-VERSION:7\n"), "{text}");
        assert_eq!(live.maps.len(), 1, "{text}");
        assert!(
            live.segments.iter().all(|s| s.uri.ends_with(".m4s")),
            "{text}"
        );
        let index = block_on(service.catalog().segments("bkt", "ch", 0, u64::MAX)).unwrap();
        // Named by the first segment, which is named by its first frame's arrival.
        let first_ms = index[0].start_ms;
        assert_eq!(live.maps[0].uri, format!("{first_ms}.init.mp4"));
        let init = get(&store, &format!("bkt/ch/{first_ms}.init.mp4")).expect("init stored");
        assert_eq!(&init[4..8], b"ftyp");

        // 2 s with keyframes 1 s apart in presentation time, but not in
        // decode time (the cut rule's clock): HEVC's second keyframe has
        // DTS 960 ms, under FragDuration; AV1 has no reordering.
        let expected = if fixture == HEVC { 1 } else { 2 };
        assert_eq!(index.len(), expected, "{fixture}");
        for entry in &index {
            assert_eq!(entry.container, Container::Fmp4 { init_ms: first_ms });
            let segment = get(&store, &format!("bkt/ch/{}", entry.file_name())).unwrap();
            assert_eq!(&segment[4..8], b"styp", "{fixture}: {}", entry.file_name());
        }

        let (names, counts) = post_vod(&service, &store, T0_MS / 1000, T0_MS / 1000 + 10);
        assert_eq!(names.len(), expected);
        if let Some(counts) = counts {
            assert_eq!(counts.errors.trim(), "", "{fixture}");
            // 2 s at 25 fps; AAC at 48 kHz, 1024 samples a frame.
            assert_eq!((counts.video, counts.audio), (50, 95), "{fixture}");
        } else {
            eprintln!("SKIP: ffprobe not found; the VOD was not decoded");
        }
    }
}

/// `--segment-format fmp4`: H.264 in fMP4 too, every frame kept.
#[test]
fn h264_is_stored_as_fmp4_when_chosen() {
    let (store, service) = channel_with(|c| c.segment_format = SegmentFormat::Fmp4);
    publish_checked(&store, &service, FIXTURE, T0_MS);
    let (text, live) = live_playlist(&store);
    assert_eq!(live.maps.len(), 1, "{text}");
    assert!(
        live.segments.iter().all(|s| s.uri.ends_with(".m4s")),
        "{text}"
    );
    let (_, counts) = post_vod(&service, &store, T0_MS / 1000, T0_MS / 1000 + 20);
    match counts {
        Some(counts) => assert_every_frame(&counts),
        None => eprintln!("SKIP: ffprobe not found; the VOD was not decoded"),
    }
}

/// OSS takes H.264 only; so does the server under `--h264-only`: HEVC
/// ends the publish with an error the publisher hears (naming the codec)
/// before anything of it is stored, and the History says why it ended.
#[test]
fn h264_only_refuses_hevc_naming_it_and_stores_nothing() {
    for (fixture, codec) in [(HEVC, "H265"), (AV1, "AV1")] {
        let (store, service) = channel_with(|c| c.video_codecs = VideoCodecs::H264Only);
        let tags = fixture_tags(fixture);
        let err = publish(&service, "ch", &tags, T0_MS).unwrap_err();
        assert!(err.contains(&format!("{codec} video is refused")), "{err}");
        let heard = format!("the publisher heard NetStream.Failed: {codec} video is refused");
        assert!(err.contains(&heard), "{err}");
        let objects = block_on(store.list("bkt/ch/", "", 100)).unwrap();
        assert!(objects.objects.is_empty(), "{objects:?}");
        let history = block_on(service.catalog().history("bkt", "ch")).unwrap();
        let reason = history[0].end_reason.as_deref().unwrap_or_default();
        assert!(
            reason.contains(&format!("{codec} video is refused")),
            "{reason}"
        );
        assert!(!service.is_live("bkt", "ch"));

        // H.264 is taken as before.
        let (store, service) = channel_with(|c| c.video_codecs = VideoCodecs::H264Only);
        publish_checked(&store, &service, FIXTURE, T0_MS);
        assert!(get(&store, "bkt/ch/playlist.m3u8").is_some());
    }
}

/// A republish in another container: HEVC (fMP4) then H.264 (TS). An
/// `#EXT-X-MAP` holds to the playlist's end, so the fMP4 segments leave
/// the live playlist; a VOD over both sessions is refused, saying when the
/// container changed, and a VOD over each works.
#[test]
fn a_republish_from_fmp4_to_ts_restarts_the_live_playlist() {
    let (store, service) = channel_with(|_| {});
    publish_checked(&store, &service, HEVC, T0_MS);
    let second_ms = T0_MS + 10_000;
    publish_checked(&store, &service, FIXTURE, second_ms);

    let (text, live) = live_playlist(&store);
    assert!(live.maps.is_empty(), "{text}");
    assert!(text.starts_with("#EXTM3U\n#EXT-X-VERSION:3\n"), "{text}");
    assert!(
        live.segments.iter().all(|s| s.uri.ends_with(".ts")),
        "{text}"
    );
    // The fMP4 segment slid out at once, then one of the four TS ones.
    assert_eq!(live.media_sequence, 2, "{text}");
    assert_eq!(live.discontinuity_sequence, 1, "{text}");

    let uri = vod_uri("ch", T0_MS / 1000, second_ms / 1000 + 20);
    let (status, body) = api(&service, "GET", &uri, second_ms + 30_000);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("after fMP4 segments"), "{body}");
    let (names, _) = post_vod(&service, &store, second_ms / 1000, second_ms / 1000 + 20);
    assert_eq!(names.len(), 4);
    let (names, _) = post_vod(&service, &store, T0_MS / 1000, T0_MS / 1000 + 5);
    assert!(names.iter().all(|n| n.ends_with(".m4s")), "{names:?}");
}

/// HEVC republished: a new init segment (named by its first segment's
/// time), a second `#EXT-X-MAP` after the discontinuity in the live
/// playlist and in a VOD over both sessions.
#[test]
fn each_fmp4_publish_gets_its_own_init_segment() {
    let (store, service) = channel_with(|_| {});
    publish_checked(&store, &service, HEVC, T0_MS);
    let second_ms = T0_MS + 10_000;
    publish_checked(&store, &service, HEVC, second_ms);

    let (text, live) = live_playlist(&store);
    let maps: Vec<&str> = live.maps.iter().map(|m| m.uri.as_str()).collect();
    assert_eq!(
        maps,
        [format!("{T0_MS}.init.mp4"), format!("{second_ms}.init.mp4")],
        "{text}"
    );
    let (names, counts) = post_vod(&service, &store, T0_MS / 1000, second_ms / 1000 + 5);
    assert_eq!(names.len(), 2, "one segment each (see above)");
    match counts {
        Some(counts) => {
            assert_eq!(counts.errors.trim(), "");
            assert_eq!((counts.video, counts.audio), (100, 190));
        }
        None => assert!(!have("ffprobe")),
    }
}
