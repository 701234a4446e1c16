//! Ingest end to end, in memory and on a virtual clock: an FLV fixture is
//! published by our RTMP client session into the RTMP-to-LiveChannel
//! bridge (`livechannel::Connection`, what the server runs per socket);
//! then the stored objects are checked.

mod ingest_support;

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use futures::executor::block_on;
use livechannel::catalog::{Acl, ChannelStatus};
use livechannel::store::{MemoryStore, ObjectStore, StoreError, Upload, Uploads};
use livechannel::{IngestError, IngestWarning, PublishError, Service, ServiceConfig};
use livechannel_flv::{Tag, TagType};
use livechannel_m3u8::MediaPlaylist;
use livechannel_testkit::ffprobe;
use livechannel_testkit::have;
use livechannel_testkit::vod::{write_vod, Segment};

use ingest_support::*;

#[test]
fn a_publish_becomes_segments_a_live_playlist_and_a_complete_vod() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone(), "node-a");
    setup(&service, Acl::PublicReadWrite, 2);
    let tags = tags();
    publish(&service, "ch", &tags, T0_MS).unwrap();

    // The live playlist: FragCount segments, ENDLIST after stop, strict RFC 8216.
    let text =
        String::from_utf8(get(&store, "bkt/ch/playlist.m3u8").expect("playlist stored")).unwrap();
    hls_m3u8::MediaPlaylist::try_from(text.as_str())
        .unwrap_or_else(|e| panic!("hls_m3u8: {e}\n{text}"));
    let live = MediaPlaylist::parse(&text).unwrap();
    assert!(live.end_list, "{text}");
    assert_eq!(live.segments.len(), 3);

    // Every segment of the VOD index is stored, starts with PAT/PMT, and the
    // names are wall-clock milliseconds from the connect time on.
    let index = block_on(service.catalog().segments("bkt", "ch", 0, u64::MAX)).unwrap();
    assert_eq!(index.len(), 4, "8 s at FragDuration 2 with a 2 s GOP");
    assert_eq!(index[0].start_ms, T0_MS);
    let dir = tempfile::tempdir().unwrap();
    let mut vod = Vec::new();
    for (i, entry) in index.iter().enumerate() {
        let ts = get(&store, &format!("bkt/ch/{}", entry.file_name())).expect("segment stored");
        assert_eq!(&ts[..3], &[0x47, 0x40, 0x00]);
        // The session's first segment starts its timeline; no other.
        assert_eq!(entry.discontinuity, i == 0);
        if i + 1 < index.len() {
            assert!(entry.duration_ms >= 2000, "{entry:?}");
            assert_eq!(index[i + 1].start_ms - entry.start_ms, entry.duration_ms);
        }
        vod.push(Segment {
            name: entry.file_name(),
            duration_ms: entry.duration_ms,
            discontinuity: entry.discontinuity,
            data: ts,
        });
    }
    // History: one session, connect to disconnect.
    let history = block_on(service.catalog().history("bkt", "ch")).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].start_ms, history[0].remote_addr.as_str()),
        (T0_MS, "10.0.0.7:50000")
    );
    assert!(!service.is_live("bkt", "ch"));

    // The names are the stream-time ones: real time is unchanged.
    let names: Vec<u64> = index.iter().map(|e| e.start_ms - T0_MS).collect();
    assert_eq!(names, [0, 2000, 4000, 6000]);

    if have("ffprobe") {
        ffprobe::assert_frames(&write_vod(dir.path(), vod), 240, 346);
    }
}

#[test]
fn a_republish_continues_the_media_sequence_after_a_discontinuity() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone(), "node-a");
    setup(&service, Acl::PublicReadWrite, 2);
    let tags = tags();
    publish(&service, "ch", &tags, T0_MS).unwrap();
    // Reconnect 1 s after the first session ended.
    publish(&service, "ch", &tags, T0_MS + 9_000).unwrap();
    let text = String::from_utf8(get(&store, "bkt/ch/playlist.m3u8").unwrap()).unwrap();
    hls_m3u8::MediaPlaylist::try_from(text.as_str())
        .unwrap_or_else(|e| panic!("hls_m3u8: {e}\n{text}"));
    let live = MediaPlaylist::parse(&text).unwrap();
    assert_eq!(live.media_sequence, 5, "{text}");
    assert!(live.end_list);
    let index = block_on(service.catalog().segments("bkt", "ch", 0, u64::MAX)).unwrap();
    assert_eq!(index.len(), 8);
    // Each session's first segment: a VOD over both separates them.
    let marked: Vec<usize> = (0..index.len())
        .filter(|&i| index[i].discontinuity)
        .collect();
    assert_eq!(marked, [0, 4]);
    assert!(index.windows(2).all(|w| w[0].start_ms < w[1].start_ms));
    assert_eq!(
        block_on(service.catalog().history("bkt", "ch"))
            .unwrap()
            .len(),
        2
    );
}

/// A second session pushing to another playlist starts a new timeline too:
/// a VOD over both sessions separates them with a discontinuity.
#[test]
fn a_vod_over_two_sessions_with_different_playlists_has_a_discontinuity() {
    let (store, service) = open_channel();
    let tags = tags();
    publish(&service, "ch", &tags, T0_MS).unwrap();
    publish(&service, "ch?playlistName=other.m3u8", &tags, T0_MS + 9_000).unwrap();
    assert!(
        get(&store, "bkt/ch/other.m3u8").is_some(),
        "the second playlist"
    );
    let uri = vod_uri("ch/vod.m3u8", T0_MS / 1000, T0_MS / 1000 + 30);
    let (status, body) = api(&service, "POST", &uri, T0_MS + 40_000);
    assert_eq!(status, 200, "{body}");
    let text = String::from_utf8(get(&store, "bkt/ch/vod.m3u8").unwrap()).unwrap();
    let vod = MediaPlaylist::parse(&text).unwrap();
    let marked: Vec<usize> = (0..vod.segments.len())
        .filter(|&i| vod.segments[i].discontinuity)
        .collect();
    assert_eq!(vod.segments.len(), 8, "{text}");
    assert_eq!(marked, [4], "{text}");
}

#[test]
fn a_republish_overlapping_the_last_ones_times_keeps_names_unique_and_ordered() {
    let (store, service) = open_channel();
    let tags = tags();
    publish(&service, "ch", &tags, T0_MS).unwrap();
    // The second session's clock reads (T0 + 1 s ...) times the first
    // session's segments already have (a clock stepped back, or two nodes
    // whose clocks disagree).
    publish(&service, "ch", &tags, T0_MS + 1_000).unwrap();
    let index = block_on(service.catalog().segments("bkt", "ch", 0, u64::MAX)).unwrap();
    assert_eq!(index.len(), 8);
    assert!(
        index.windows(2).all(|w| w[0].start_ms < w[1].start_ms),
        "{index:?}"
    );
    // The second History record still spans its segments.
    let second: Vec<String> = index[4..].iter().map(|e| e.file_name()).collect();
    let over_history = vod_over_history(&service, &store, 1);
    assert!(
        second.iter().all(|name| over_history.contains(name)),
        "{second:?} not all in {over_history:?}"
    );
}

/// The OSS guide's `ffmpeg -i 1.flv -c copy -f flv rtmp://…` (no `-re`):
/// 8 s of media arrive in a quarter of a second. Each segment is dated
/// when its first frame arrived, so a VOD over the push's wall-clock span
/// (and over its History record) holds every frame.
#[test]
fn a_push_faster_than_real_time_is_dated_by_arrival_and_its_vod_is_complete() {
    let (store, service) = open_channel();
    let tags = tags();
    // Connect at T0 + 0.3 s; 32 times real time: the last message at about
    // T0 + 0.55 s, the disconnect 100 ms later.
    let connect = T0_MS + 300;
    let (result, warnings) = publish_clocked(&service, "ch", &tags, connect, 32, |_, _| {});
    result.unwrap();
    assert_eq!(warnings, []);
    let end = connect + 8_067 / 32 + 100;
    let times = segment_times(&service);
    assert_eq!(times.len(), 4);
    assert!(
        times.iter().all(|&t| (connect..=end).contains(&t)),
        "segment times {times:?} outside the push {connect}..={end}"
    );
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");

    // The push's span in whole seconds (start down, end up): all of it.
    let (names, frames) = post_vod(&service, &store, connect / 1000, end.div_ceil(1000));
    assert_eq!(names.len(), 4, "{names:?}");
    if let Some(counts) = frames {
        assert_every_frame(&counts);
    }

    // History: 22:13:20 to 22:13:21, not 22:13:20 to 22:13:20 (an empty
    // span no VOD request can use); a VOD over it holds the whole push.
    let (status, xml) = api(&service, "GET", "/bkt/ch?live&comp=history", end + 1_000);
    assert_eq!(status, 200, "{xml}");
    assert!(
        xml.contains("<StartTime>2023-11-14T22:13:20.000Z</StartTime><EndTime>2023-11-14T22:13:21.000Z</EndTime>"),
        "{xml}"
    );
    let history = block_on(service.catalog().history("bkt", "ch")).unwrap();
    assert_eq!(history[0].whole_seconds(), (T0_MS / 1000, T0_MS / 1000 + 1));
    assert_eq!(vod_over_history(&service, &store, 0), names);
}

#[test]
fn segments_arriving_in_one_millisecond_are_one_millisecond_apart() {
    let (store, service) = open_channel();
    // Every message at T0: each segment's time ties with the last one's.
    let (result, _) = publish_clocked(&service, "ch", &tags(), T0_MS, u32::MAX, |_, _| {});
    result.unwrap();
    assert_eq!(
        segment_times(&service),
        [T0_MS, T0_MS + 1, T0_MS + 2, T0_MS + 3]
    );
    assert_eq!(vod_over_history(&service, &store, 0).len(), 4);
}

/// A channel whose last stored segment is dated ahead of the clock (as an
/// older version dated a fast push, by stream time): a new publish's
/// segments come after it, in order, and its History record still spans
/// them, so a VOD over the record holds them all.
#[test]
fn a_republish_after_names_ahead_of_the_clock_stays_after_them() {
    let (store, service) = open_channel();
    let ahead = T0_MS + 60_000;
    let old = format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\n{ahead}.ts\n#EXT-X-ENDLIST\n"
    );
    block_on(store.put("bkt/ch/playlist.m3u8", old.into(), "application/x-mpegURL")).unwrap();
    let (result, _) = publish_clocked(&service, "ch", &tags(), T0_MS + 1_000, 32, |_, _| {});
    result.unwrap();
    let times = segment_times(&service);
    assert_eq!(times.len(), 4);
    assert!(times[0] > ahead, "{times:?}");
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    let expected: Vec<String> = times.iter().map(|t| format!("{t}.ts")).collect();
    assert_eq!(vod_over_history(&service, &store, 0), expected);
}

/// MP3 audio: dropped, as OSS does, but said once (a typed warning for the
/// driver to log), and Stat names the incoming codec.
#[test]
fn mp3_audio_is_dropped_with_one_warning_and_stat_names_it() {
    let (store, service) = open_channel();
    // The fixture with each audio tag replaced by an MP3 one (44 kHz stereo).
    let tags: Vec<Tag> = tags()
        .into_iter()
        .map(|mut tag| {
            if tag.tag_type == TagType::Audio {
                tag.body = bytes::Bytes::from_static(&[0x2F, 0xFF, 0xFB, 0x90, 0x64]);
            }
            tag
        })
        .collect();
    let mut codec = None;
    let (result, warnings) = publish_clocked(&service, "ch", &tags, T0_MS, 1, |sent, s| {
        // Early on (tags 0..10 processed), not only after the rates' 2 s.
        if sent == 11 {
            let audio = s.live_stat("bkt", "ch").unwrap().audio.expect("audio stat");
            codec = Some((audio.codec, audio.sample_rate));
        }
    });
    result.unwrap();
    assert_eq!(codec, Some(("MP3".to_owned(), 44_100)));
    assert_eq!(
        warnings,
        [IngestWarning::AudioDiscarded {
            codec: livechannel_hls::SoundFormat::Mp3
        }]
    );
    assert_eq!(
        warnings[0].to_string(),
        "MP3 audio is not supported (AAC only, as OSS); the stream is stored without audio"
    );
    // The video is all there.
    let (names, frames) = post_vod(&service, &store, T0_MS / 1000, T0_MS / 1000 + 10);
    assert_eq!(names.len(), 4);
    if let Some(counts) = frames {
        assert_eq!(counts.errors.trim(), "");
        assert_eq!(counts.streams, [("video".to_owned(), 240)], "{counts:?}");
    }
}

/// A push's playlistName becomes an object key: it is held to the rules
/// PutLiveChannel applies, and nothing is stored under a refused one.
#[test]
fn a_playlist_name_that_is_no_valid_key_is_refused() {
    let (store, service) = open_channel();
    let tags = &tags()[..20];
    for name in ["a%01b.m3u8", "..%5Cx.m3u8", "a/b.m3u8", "x.m3u", ".m3u8"] {
        let err = publish(&service, &format!("ch?playlistName={name}"), tags, T0_MS).unwrap_err();
        assert!(err.contains("playlistName"), "{name}: {err}");
    }
    let stored = block_on(store.list("bkt/ch/", "", 10)).unwrap().objects;
    assert!(stored.is_empty(), "{stored:?}");
    publish(&service, "ch?playlistName=ok.m3u8", tags, T0_MS).unwrap();
}

#[test]
fn private_buckets_need_a_valid_signature() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store, "node-a");
    setup(&service, Acl::Private, 2);
    let tags = &tags()[..20];
    let err = publish(&service, "ch", tags, T0_MS).unwrap_err();
    assert!(err.contains("signature"), "{err}");
    // oss2's sign_rtmp_url for bucket bkt, channel ch, expiring at T0 + 1 h.
    let expires = T0_MS / 1000 + 3600;
    let to_sign = format!("{expires}\n/bkt/ch");
    let signature = livechannel::auth::sign("SECRET", &to_sign);
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let stream = format!(
        "ch?OSSAccessKeyId=AKID&Expires={expires}&Signature={}",
        enc(&signature)
    );
    publish(&service, &stream, tags, T0_MS).unwrap();
    // Expired, and wrong.
    let err = publish(&service, &stream, tags, (expires + 1) * 1000).unwrap_err();
    assert!(err.contains("expire"), "{err}");
    let wrong = format!(
        "ch?OSSAccessKeyId=AKID&Expires={expires}&Signature={}",
        enc("AAAA")
    );
    assert!(publish(&service, &wrong, tags, T0_MS)
        .unwrap_err()
        .contains("signature"));
}

#[test]
fn a_missing_or_disabled_channel_is_refused() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store, "node-a");
    setup(&service, Acl::PublicReadWrite, 2);
    assert!(publish(&service, "nope", &tags()[..5], T0_MS)
        .unwrap_err()
        .contains("no such live channel"));
    let mut record = block_on(service.catalog().channel("bkt", "ch"))
        .unwrap()
        .unwrap();
    record.config.status = ChannelStatus::Disabled;
    block_on(service.catalog().put_channel("bkt", &record)).unwrap();
    assert!(publish(&service, "ch", &tags()[..5], T0_MS)
        .unwrap_err()
        .contains("disabled"));
}

#[test]
fn two_publish_requests_for_one_channel_exactly_one_wins() {
    let store = Arc::new(MemoryStore::new());
    let a = service(store.clone(), "node-a");
    let b = service(store, "node-b");
    setup(&a, Acl::PublicReadWrite, 2);
    let (first, second) = block_on(futures::future::join(
        a.publish(request(), t(T0_MS)),
        a.publish(request(), t(T0_MS)),
    ));
    assert!(
        first.is_ok() != second.is_ok(),
        "exactly one of two simultaneous requests wins"
    );
    // Another node over the same store is refused through the lease...
    assert!(matches!(
        block_on(b.publish(request(), t(T0_MS + 1000))),
        Err(PublishError::AlreadyLive(_))
    ));
    // ...until the publish ends.
    let winner = first.or(second).unwrap();
    block_on(winner.finish(t(T0_MS + 2000))).unwrap();
    let again = block_on(b.publish(request(), t(T0_MS + 3000))).unwrap();
    block_on(again.finish(t(T0_MS + 4000))).unwrap();
}

/// A timer that waits until the test opens it.
#[derive(Clone, Default)]
struct Gate(Arc<std::sync::Mutex<(bool, Vec<std::task::Waker>)>>);

impl Gate {
    fn open(&self) {
        let mut state = self.0.lock().unwrap();
        state.0 = true;
        state.1.drain(..).for_each(std::task::Waker::wake);
    }
}

impl livechannel::store::Sleep for Gate {
    fn sleep(&self, _: Duration) -> livechannel::store::BoxFuture<'static, ()> {
        let state = self.0.clone();
        Box::pin(std::future::poll_fn(move |cx| {
            let mut state = state.lock().unwrap();
            if state.0 {
                return std::task::Poll::Ready(());
            }
            state.1.push(cx.waker().clone());
            std::task::Poll::Pending
        }))
    }
}

/// The waiting publish `again` is taken, and ends: the channel's History
/// holds both publishes.
fn taken_after_the_first(
    service: &Service,
    again: impl std::future::Future<Output = Result<livechannel::Publisher, PublishError>>,
) {
    let second = block_on(again).expect("taken once the first publish ended");
    block_on(second.finish(t(T0_MS + 2000))).unwrap();
    let history = block_on(service.catalog().history("bkt", "ch")).unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
}

#[test]
fn a_republish_waits_for_the_ending_publish_of_its_channel() {
    use std::future::Future;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::task::{Context, Waker};
    // The first History write fails, and its retry waits on a gate: the
    // ending publish holds the channel until the test opens it.
    let failed = AtomicBool::new(false);
    let store = Arc::new(Faulty(
        MemoryStore::new(),
        Box::new(move |op, key| {
            op == "put" && key.starts_with(".livechannel/history/") && !failed.swap(true, SeqCst)
        }),
    ));
    let gate = Gate::default();
    let config = ServiceConfig {
        node_id: "node-a".into(),
        ..ServiceConfig::default()
    };
    let service = Arc::new(Service::new(store.clone(), config).with_sleep(Arc::new(gate.clone())));
    setup(&service, Acl::PublicReadWrite, 2);
    let first = block_on(service.publish(request(), t(T0_MS))).unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    let mut ending = std::pin::pin!(first.finish(t(T0_MS + 1000)));
    assert!(
        ending.as_mut().poll(&mut cx).is_pending(),
        "retrying History"
    );
    let mut again = std::pin::pin!(service.publish(request(), t(T0_MS + 1100)));
    assert!(
        again.as_mut().poll(&mut cx).is_pending(),
        "a republish waits for the ending publish instead of being refused"
    );
    gate.open();
    block_on(ending).unwrap();
    taken_after_the_first(&service, again);
}

#[test]
fn a_publish_still_receiving_media_is_waited_for_then_refused() {
    /// Every wait passes at once.
    struct Now;
    impl livechannel::store::Sleep for Now {
        fn sleep(&self, _: Duration) -> livechannel::store::BoxFuture<'static, ()> {
            Box::pin(std::future::ready(()))
        }
    }
    let config = ServiceConfig {
        node_id: "node-a".into(),
        ..ServiceConfig::default()
    };
    let service =
        Arc::new(Service::new(Arc::new(MemoryStore::new()), config).with_sleep(Arc::new(Now)));
    setup(&service, Acl::PublicReadWrite, 2);
    let first = block_on(service.publish(request(), t(T0_MS))).unwrap();
    // BUSY_WAIT passed, and the first is still publishing.
    assert!(matches!(
        block_on(service.publish(request(), t(T0_MS + 500))),
        Err(PublishError::AlreadyLive(_))
    ));
    block_on(first.finish(t(T0_MS + 1000))).unwrap();
}

/// BUSY_WAIT and TAKEOVER_WAIT, each behind its own gate.
struct Waits {
    busy: Gate,
    takeover: Gate,
}

impl livechannel::store::Sleep for Waits {
    fn sleep(&self, d: Duration) -> livechannel::store::BoxFuture<'static, ()> {
        if d <= livechannel::BUSY_WAIT {
            self.busy.sleep(d)
        } else {
            self.takeover.sleep(d)
        }
    }
}

/// Pushes `tags` to `publisher`, `pace` times faster than real time from
/// `T0_MS` (the clock follows the timestamps); returns when the last of
/// them arrived (Unix ms).
fn push_paced(
    publisher: &mut livechannel::Publisher,
    tags: impl IntoIterator<Item = Tag>,
    pace: u64,
) -> u64 {
    let mut last = T0_MS;
    for tag in tags {
        last = T0_MS + u64::from(tag.timestamp) / pace;
        let pushed = match tag.tag_type {
            TagType::Video => block_on(publisher.video(tag.timestamp, tag.body, t(last))),
            TagType::Audio => block_on(publisher.audio(tag.timestamp, tag.body, t(last))),
            _ => Ok(()),
        };
        pushed.unwrap();
    }
    last
}

#[test]
fn a_publish_pushed_faster_than_real_time_is_waited_for_not_refused() {
    use std::future::Future;
    use std::task::{Context, Waker};
    // Real time: refused once BUSY_WAIT (open at once here) passes. Four
    // times real time, a file pushed without -re: waited for (up to
    // TAKEOVER_WAIT, shut here), and taken once it ends.
    for (pace, waited) in [(1, false), (4, true)] {
        let busy = Gate::default();
        busy.open();
        let waits = Waits {
            busy,
            takeover: Gate::default(),
        };
        let config = ServiceConfig {
            node_id: "node-a".into(),
            ..ServiceConfig::default()
        };
        let service = Arc::new(
            Service::new(Arc::new(MemoryStore::new()), config).with_sleep(Arc::new(waits)),
        );
        setup(&service, Acl::PublicReadWrite, 2);
        let mut first = block_on(service.publish(request(), t(T0_MS))).unwrap();
        let end = push_paced(&mut first, tags(), pace);
        let mut cx = Context::from_waker(Waker::noop());
        let mut again = std::pin::pin!(service.publish(request(), t(end + 100)));
        let pending = again.as_mut().poll(&mut cx).is_pending();
        assert_eq!(pending, waited, "{pace} times real time");
        block_on(first.finish(t(end + 200))).unwrap();
        if waited {
            taken_after_the_first(&service, again);
        }
    }
}

#[test]
fn a_publish_whose_publisher_left_is_waited_for_past_busy_wait() {
    use std::future::Future;
    use std::task::{Context, Waker};
    assert!(livechannel::BUSY_WAIT < livechannel::TAKEOVER_WAIT);
    let busy = Gate::default();
    let config = ServiceConfig {
        node_id: "node-a".into(),
        ..ServiceConfig::default()
    };
    let waits = Waits {
        busy: busy.clone(),
        takeover: Gate::default(),
    };
    let service =
        Arc::new(Service::new(Arc::new(MemoryStore::new()), config).with_sleep(Arc::new(waits)));
    setup(&service, Acl::PublicReadWrite, 2);
    let mut first = block_on(service.publish(request(), t(T0_MS))).unwrap();
    // The publisher looks at the channel's state with the messages it
    // takes, at most every DISABLED_CHECK_MS.
    let video = tags()
        .into_iter()
        .find(|tag| tag.tag_type == TagType::Video)
        .unwrap();
    let message_at = |first: &mut livechannel::Publisher, ms: u64| {
        block_on(first.video(video.timestamp, video.body.clone(), t(ms))).unwrap();
    };
    message_at(&mut first, T0_MS + 100);
    assert!(!first.republish_waiting(), "nobody asked for the channel");
    // Its publisher pushed a file faster than it is stored, closed the
    // connection and pushes again: the rest of the first push is still
    // being read. The republish makes the driver look, and it finds the
    // FIN: nothing more will come on the first connection.
    let mut cx = Context::from_waker(Waker::noop());
    let mut again = std::pin::pin!(service.publish(request(), t(T0_MS + 500)));
    assert!(again.as_mut().poll(&mut cx).is_pending(), "BUSY_WAIT");
    message_at(&mut first, T0_MS + 600);
    assert!(first.republish_waiting(), "the republish is known");
    first.publisher_left();
    busy.open();
    assert!(
        again.as_mut().poll(&mut cx).is_pending(),
        "waits past BUSY_WAIT for the publish whose publisher left"
    );
    block_on(first.finish(t(T0_MS + 1000))).unwrap();
    taken_after_the_first(&service, again);
}

#[test]
fn a_publish_that_ends_within_busy_wait_is_followed_by_the_waiting_one() {
    use std::future::Future;
    use std::task::{Context, Waker};
    // The gate stays shut: BUSY_WAIT never passes.
    let config = ServiceConfig {
        node_id: "node-a".into(),
        ..ServiceConfig::default()
    };
    let service = Arc::new(
        Service::new(Arc::new(MemoryStore::new()), config).with_sleep(Arc::new(Gate::default())),
    );
    setup(&service, Acl::PublicReadWrite, 2);
    let first = block_on(service.publish(request(), t(T0_MS))).unwrap();
    // A publisher pushing a file faster than real time pushes it again:
    // its first publish is still being read.
    let mut cx = Context::from_waker(Waker::noop());
    let mut again = std::pin::pin!(service.publish(request(), t(T0_MS + 500)));
    assert!(
        again.as_mut().poll(&mut cx).is_pending(),
        "waits for the busy publish"
    );
    block_on(first.finish(t(T0_MS + 1000))).unwrap();
    taken_after_the_first(&service, again);
}

#[test]
fn a_republish_waits_no_longer_than_takeover_wait_for_an_end_stuck_on_the_store() {
    use std::future::Future;
    use std::task::{Context, Waker};
    /// Retries wait forever; the republish's bound passes at once.
    struct Stuck;
    impl livechannel::store::Sleep for Stuck {
        fn sleep(&self, duration: Duration) -> livechannel::store::BoxFuture<'static, ()> {
            if duration >= livechannel::TAKEOVER_WAIT {
                Box::pin(std::future::ready(()))
            } else {
                Box::pin(std::future::pending())
            }
        }
    }
    let store = Arc::new(Faulty(
        MemoryStore::new(),
        Box::new(|op, key| op == "put" && key.starts_with(".livechannel/history/")),
    ));
    let config = ServiceConfig {
        node_id: "node-a".into(),
        ..ServiceConfig::default()
    };
    let service = Arc::new(Service::new(store, config).with_sleep(Arc::new(Stuck)));
    setup(&service, Acl::PublicReadWrite, 2);
    let first = block_on(service.publish(request(), t(T0_MS))).unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    let mut ending = std::pin::pin!(first.finish(t(T0_MS + 1000)));
    assert!(ending.as_mut().poll(&mut cx).is_pending(), "stuck retrying");
    assert!(matches!(
        block_on(service.publish(request(), t(T0_MS + 1100))),
        Err(PublishError::AlreadyLive(_))
    ));
}

#[test]
fn a_publish_silent_for_five_seconds_is_taken_over_by_a_new_one() {
    use std::future::Future;
    use std::task::{Context, Waker};
    let store = Arc::new(MemoryStore::new());
    let service = service(store, "node-a");
    setup(&service, Acl::PublicReadWrite, 2);
    let mut first = block_on(service.publish(request(), t(T0_MS))).unwrap();
    // Media until T0 + 4 s.
    let media = tags().into_iter().take_while(|tag| tag.timestamp <= 4_000);
    push_paced(&mut first, media, 1);
    // 4.9 s after its last media: still its channel.
    assert!(matches!(
        block_on(service.publish(request(), t(T0_MS + 8_900))),
        Err(PublishError::AlreadyLive(_))
    ));
    assert_eq!(first.stop_request(), None);
    // 6 s after: the new publish tells it to stop and waits for its end.
    let mut cx = Context::from_waker(Waker::noop());
    let mut again = std::pin::pin!(service.publish(request(), t(T0_MS + 10_000)));
    assert!(again.as_mut().poll(&mut cx).is_pending());
    let stop = first.stop_request().expect("told to stop");
    assert!(
        matches!(stop, IngestError::Superseded { silent_ms } if (6_000..=6_100).contains(&silent_ms)),
        "{stop:?}"
    );
    block_on(first.finish(t(T0_MS + 10_500))).unwrap();
    let second = block_on(again).expect("taken once the silent publish ended");
    block_on(second.finish(t(T0_MS + 11_000))).unwrap();
}

#[test]
fn a_dead_nodes_lease_expires() {
    let store = Arc::new(MemoryStore::new());
    let a = service(store.clone(), "node-a");
    let b = service(store, "node-b");
    setup(&a, Acl::PublicReadWrite, 2);
    let orphan = block_on(a.publish(request(), t(T0_MS))).unwrap();
    std::mem::forget(orphan); // node A dies without releasing anything
    assert!(block_on(b.publish(request(), t(T0_MS + 29_000))).is_err());
    let taken =
        block_on(b.publish(request(), t(T0_MS + 31_000))).expect("lease expired after 30 s");
    block_on(taken.finish(t(T0_MS + 32_000))).unwrap();
}

#[test]
fn disabling_a_live_channel_ends_its_publisher_and_history_records_it() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone(), "node-a");
    setup(&service, Acl::PublicReadWrite, 2);
    let tags = tags();
    let err = publish_with(&service, "ch", &tags, T0_MS, |sent, s| {
        if sent == 300 {
            assert!(s.is_live("bkt", "ch"));
            let stat = s.live_stat("bkt", "ch").unwrap();
            let video = stat.video.expect("video stat");
            assert_eq!(
                (video.width, video.height, video.codec.as_str()),
                (320, 180, "H264")
            );
            assert_eq!(stat.audio.expect("audio stat").sample_rate, 44_100);
            assert!(s.disconnect("bkt", "ch"));
        }
    })
    .unwrap_err();
    assert!(err.contains("disabled"), "{err}");
    assert!(!service.is_live("bkt", "ch"));
    assert_eq!(
        block_on(service.catalog().history("bkt", "ch"))
            .unwrap()
            .len(),
        1
    );
    // What was received before the disable is stored and the playlist ended.
    let text = String::from_utf8(get(&store, "bkt/ch/playlist.m3u8").unwrap()).unwrap();
    assert!(text.contains("#EXT-X-ENDLIST"), "{text}");
}

/// Disabling through another node (the API of a second service over the
/// same store) ends the publish at the next lease renewal.
#[test]
fn a_channel_disabled_through_another_node_ends_its_publish() {
    let store = Arc::new(MemoryStore::new());
    let mut config = ServiceConfig {
        domain: Some("oss.example".into()),
        node_id: "node-a".into(),
        lease_ms: 3_000,
        ..ServiceConfig::default()
    };
    config.access_keys.insert("AKID".into(), "SECRET".into());
    let a = Arc::new(Service::new(store.clone(), config));
    let b = service(store.clone(), "node-b");
    setup(&a, Acl::PublicReadWrite, 2);
    let tags = tags();
    let mut disabled_at = None;
    let mut last_sent = 0;
    let err = publish_with(&a, "ch", &tags, T0_MS, |sent, _| {
        last_sent = sent;
        if sent == 100 {
            let (status, body) = api(&b, "PUT", "/bkt/ch?live&status=disabled", T0_MS);
            assert_eq!(status, 200, "{body}");
            disabled_at = Some(tags[sent].timestamp);
        }
    })
    .unwrap_err();
    assert!(err.contains("disabled"), "{err}");
    // The renewal comes a third of the lease (1 s) after the last one.
    let ended_at = tags[last_sent].timestamp;
    let after = ended_at - disabled_at.unwrap();
    assert!(after <= 1_100, "ended {after} ms after the disable");
    assert!(!a.is_live("bkt", "ch"));
    let text = String::from_utf8(get(&store, "bkt/ch/playlist.m3u8").unwrap()).unwrap();
    assert!(text.contains("#EXT-X-ENDLIST"), "{text}");
}

type FailWhen = Box<dyn Fn(&str, &str) -> bool + Send + Sync>;

/// A memory store whose calls fail (a passing backend error) when `fail`,
/// given the operation (`put`, `get`...) and the key, says so.
struct Faulty(MemoryStore, FailWhen);

impl Faulty {
    fn check(&self, op: &str, key: &str) -> Result<(), livechannel::store::StoreError> {
        match (self.1)(op, key) {
            true => Err(livechannel::store::StoreError::Backend(format!(
                "injected {op} failure"
            ))),
            false => Ok(()),
        }
    }
}

livechannel::uploads_in_memory!(Faulty);

impl ObjectStore for Faulty {
    fn put<'a>(
        &'a self,
        key: &'a str,
        data: bytes::Bytes,
        ct: &'a str,
    ) -> livechannel::store::BoxFuture<
        'a,
        Result<livechannel::store::ObjectMeta, livechannel::store::StoreError>,
    > {
        Box::pin(async move {
            self.check("put", key)?;
            self.0.put(key, data, ct).await
        })
    }
    fn put_if_absent<'a>(
        &'a self,
        key: &'a str,
        data: bytes::Bytes,
        ct: &'a str,
    ) -> livechannel::store::BoxFuture<
        'a,
        Result<Option<livechannel::store::ObjectMeta>, livechannel::store::StoreError>,
    > {
        Box::pin(async move {
            self.check("put_if_absent", key)?;
            self.0.put_if_absent(key, data, ct).await
        })
    }
    fn get<'a>(
        &'a self,
        key: &'a str,
        range: Option<std::ops::Range<u64>>,
    ) -> livechannel::store::BoxFuture<
        'a,
        Result<livechannel::store::Object, livechannel::store::StoreError>,
    > {
        Box::pin(async move {
            self.check("get", key)?;
            self.0.get(key, range).await
        })
    }
    fn head<'a>(
        &'a self,
        key: &'a str,
    ) -> livechannel::store::BoxFuture<
        'a,
        Result<livechannel::store::ObjectMeta, livechannel::store::StoreError>,
    > {
        self.0.head(key)
    }
    fn delete<'a>(
        &'a self,
        key: &'a str,
    ) -> livechannel::store::BoxFuture<'a, Result<(), livechannel::store::StoreError>> {
        Box::pin(async move {
            self.check("delete", key)?;
            self.0.delete(key).await
        })
    }
    fn list<'a>(
        &'a self,
        prefix: &'a str,
        marker: &'a str,
        max_keys: usize,
    ) -> livechannel::store::BoxFuture<
        'a,
        Result<livechannel::store::ListPage, livechannel::store::StoreError>,
    > {
        self.0.list(prefix, marker, max_keys)
    }
}

/// A timer that does not wait, and remembers what it was asked.
#[derive(Default)]
struct NoWait(std::sync::Mutex<Vec<Duration>>);

impl livechannel::store::Sleep for NoWait {
    fn sleep(&self, duration: Duration) -> livechannel::store::BoxFuture<'static, ()> {
        self.0.lock().unwrap().push(duration);
        Box::pin(std::future::ready(()))
    }
}

#[test]
fn failed_store_writes_are_retried_with_backoff_and_nothing_is_lost() {
    // The first two puts of every segment, index entry and playlist fail.
    let tries = std::sync::Mutex::new(std::collections::HashMap::<String, u32>::new());
    let store = Arc::new(Faulty(
        MemoryStore::new(),
        Box::new(move |op, key| {
            let media = key.starts_with("bkt/ch/") || key.starts_with(".livechannel/index/");
            if op != "put" || !media {
                return false;
            }
            let mut tries = tries.lock().unwrap();
            let n = tries.entry(key.to_owned()).or_default();
            *n += 1;
            *n <= 2
        }),
    ));
    let sleeps = Arc::new(NoWait::default());
    let service = Arc::new(
        Service::new(
            store.clone(),
            ServiceConfig {
                node_id: "node-a".into(),
                ..ServiceConfig::default()
            },
        )
        .with_sleep(sleeps.clone()),
    );
    setup(&service, Acl::PublicReadWrite, 2);
    let mut errors_seen = 0;
    publish_with(&service, "ch", &tags(), T0_MS, |_, service| {
        if let Some(stat) = service.live_stat("bkt", "ch") {
            errors_seen = errors_seen.max(stat.store_errors);
            if stat.store_errors > 0 {
                let last = stat.last_store_error.unwrap();
                assert!(last.contains("injected put failure"), "{last}");
            }
        }
    })
    .unwrap();
    assert!(
        errors_seen >= 2,
        "the stat counts the failures: {errors_seen}"
    );
    // Backoff doubles from 100 ms, per write.
    let waits = sleeps.0.lock().unwrap().clone();
    assert_eq!(
        &waits[..2],
        &[Duration::from_millis(100), Duration::from_millis(200)]
    );
    // Every indexed segment is stored, and the playlist names only stored ones.
    let index = block_on(service.catalog().segments("bkt", "ch", 0, u64::MAX)).unwrap();
    assert!(index.len() >= 4, "{index:?}"); // (retried writes repeat)
    for entry in &index {
        assert!(block_on(store.0.head(&format!("bkt/ch/{}", entry.file_name()))).is_ok());
    }
    let text = String::from_utf8(get(&store.0, "bkt/ch/playlist.m3u8").unwrap()).unwrap();
    let live = MediaPlaylist::parse(&text).unwrap();
    assert!(live.end_list);
    for segment in &live.segments {
        assert!(index.iter().any(|e| e.file_name() == segment.uri), "{text}");
    }
}

#[test]
fn without_a_timer_a_failed_segment_write_ends_the_publish_loudly() {
    let store = Arc::new(Faulty(
        MemoryStore::new(),
        Box::new(|op, key| op == "put" && key.ends_with(".ts")),
    ));
    let service = Arc::new(Service::new(
        store.clone(),
        ServiceConfig {
            node_id: "node-a".into(),
            ..ServiceConfig::default()
        },
    ));
    setup(&service, Acl::PublicReadWrite, 2);
    let err = publish(&service, "ch", &tags(), T0_MS).unwrap_err();
    assert!(err.contains("injected put failure"), "{err}");
    // Nothing names the segment that could not be stored.
    assert!(get(&store.0, "bkt/ch/playlist.m3u8").is_none());
    assert!(
        block_on(service.catalog().segments("bkt", "ch", 0, u64::MAX))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_store_error_reading_the_playlist_refuses_the_publish_and_frees_the_channel() {
    let store = Arc::new(Faulty(
        MemoryStore::new(),
        Box::new(|op, key| op == "get" && key.ends_with(".m3u8")),
    ));
    let mut config = ServiceConfig {
        node_id: "node-a".into(),
        ..ServiceConfig::default()
    };
    config.access_keys.insert("AKID".into(), "SECRET".into());
    let service = Arc::new(Service::new(store.clone(), config));
    setup(&service, Acl::PublicReadWrite, 2);
    let err = block_on(service.publish(request(), t(T0_MS))).unwrap_err();
    assert!(matches!(err, PublishError::Catalog(_)), "{err}");
    assert!(!service.is_live("bkt", "ch"));
    // The lease was released too: another node can take the channel at once.
    let other = Arc::new(Service::new(
        store,
        ServiceConfig {
            node_id: "node-b".into(),
            ..ServiceConfig::default()
        },
    ));
    assert!(block_on(
        other
            .catalog()
            .take_lease("bkt", "ch", "node-b", T0_MS + 1, T0_MS + 30_000)
    )
    .unwrap()
    .is_some());
}

/// A memory store that keeps uploads in its own state, as a store with
/// partial objects does, and fails the first try of every append and of
/// every completion; with `broken` set instead, every append after the
/// first of the upload it names (0 for the first upload) fails for good.
#[derive(Default)]
struct PartStore {
    objects: MemoryStore,
    appends: std::sync::atomic::AtomicU32,
    uploads: std::sync::atomic::AtomicU32,
    broken: Option<u32>,
    /// The key and durability of every put made in an ordered write.
    puts: std::sync::Mutex<Vec<(String, livechannel::store::Durability)>>,
}

/// What [`PartStore`] keeps in an upload.
#[derive(Default)]
struct Parts {
    number: u32,
    parts: Vec<bytes::Bytes>,
    failed_append_at: Option<u64>,
    failed_complete: bool,
}

impl Uploads for PartStore {
    type State = Parts;

    fn begin_upload<'a>(
        &'a self,
        key: &'a str,
        ct: &'a str,
    ) -> livechannel::store::BoxFuture<'a, Result<Upload<Parts>, StoreError>> {
        let number = self
            .uploads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Box::pin(std::future::ready(Ok(Upload::new(
            key,
            ct,
            Parts {
                number,
                ..Parts::default()
            },
        ))))
    }
    fn append<'a>(
        &'a self,
        upload: &'a mut Upload<Parts>,
        data: bytes::Bytes,
    ) -> livechannel::store::BoxFuture<'a, Result<(), StoreError>> {
        self.appends
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let size = upload.size();
        let parts = upload.state_mut();
        if Some(parts.number) == self.broken && size > 0 {
            return Box::pin(std::future::ready(Err(StoreError::Backend(
                "injected lasting append failure".into(),
            ))));
        }
        if self.broken.is_none() && parts.failed_append_at != Some(size) {
            parts.failed_append_at = Some(size);
            return Box::pin(std::future::ready(Err(StoreError::Backend(
                "injected append failure".into(),
            ))));
        }
        parts.parts.push(data.clone());
        upload.add_size(data.len() as u64);
        Box::pin(std::future::ready(Ok(())))
    }
    fn complete_upload<'a>(
        &'a self,
        upload: &'a mut Upload<Parts>,
    ) -> livechannel::store::BoxFuture<'a, Result<livechannel::store::ObjectMeta, StoreError>> {
        let key = upload.key().to_owned();
        let parts = upload.state_mut();
        if self.broken.is_none() && !std::mem::replace(&mut parts.failed_complete, true) {
            return Box::pin(std::future::ready(Err(StoreError::Backend(
                "injected complete failure".into(),
            ))));
        }
        let data = bytes::Bytes::from(parts.parts.concat());
        Box::pin(async move {
            // Nothing of the segment is visible before it completes.
            assert!(
                self.objects.head(&key).await.is_err(),
                "{key} visible early"
            );
            self.objects.put(&key, data, "video/MP2T").await
        })
    }
    fn write_in_order<'a>(
        &'a self,
        upload: Option<&'a mut Upload<Parts>>,
        writes: &'a [livechannel::store::Write],
    ) -> livechannel::store::BoxFuture<'a, Result<(), livechannel::store::WritesFailed>> {
        for write in writes {
            if let livechannel::store::Write::Put(put) = write {
                let mut puts = self.puts.lock().unwrap();
                puts.push((put.key.clone(), put.durability));
            }
        }
        livechannel::store::write_each(self, upload, writes)
    }
}

impl ObjectStore for PartStore {
    fn put<'a>(
        &'a self,
        key: &'a str,
        data: bytes::Bytes,
        ct: &'a str,
    ) -> livechannel::store::BoxFuture<'a, Result<livechannel::store::ObjectMeta, StoreError>> {
        self.objects.put(key, data, ct)
    }
    fn put_if_absent<'a>(
        &'a self,
        key: &'a str,
        data: bytes::Bytes,
        ct: &'a str,
    ) -> livechannel::store::BoxFuture<'a, Result<Option<livechannel::store::ObjectMeta>, StoreError>>
    {
        self.objects.put_if_absent(key, data, ct)
    }
    fn get<'a>(
        &'a self,
        key: &'a str,
        range: Option<std::ops::Range<u64>>,
    ) -> livechannel::store::BoxFuture<'a, Result<livechannel::store::Object, StoreError>> {
        self.objects.get(key, range)
    }
    fn head<'a>(
        &'a self,
        key: &'a str,
    ) -> livechannel::store::BoxFuture<'a, Result<livechannel::store::ObjectMeta, StoreError>> {
        self.objects.head(key)
    }
    fn delete<'a>(
        &'a self,
        key: &'a str,
    ) -> livechannel::store::BoxFuture<'a, Result<(), StoreError>> {
        self.objects.delete(key)
    }
    fn list<'a>(
        &'a self,
        prefix: &'a str,
        marker: &'a str,
        max_keys: usize,
    ) -> livechannel::store::BoxFuture<'a, Result<livechannel::store::ListPage, StoreError>> {
        self.objects.list(prefix, marker, max_keys)
    }
}

/// The fixture published into a plain memory store: whole segments, by the
/// default upload, to compare a chunked run against.
fn reference_run() -> Arc<MemoryStore> {
    let plain = Arc::new(MemoryStore::new());
    let service_plain = service(plain.clone(), "node-a");
    setup(&service_plain, Acl::PublicReadWrite, 2);
    publish(&service_plain, "ch", &tags(), T0_MS).unwrap();
    plain
}

/// Uploads in 16 KiB chunks: the fixture's segments (50-90 KB) take several.
fn chunked_config() -> ServiceConfig {
    ServiceConfig {
        node_id: "node-a".into(),
        segment_chunk_bytes: 16 << 10,
        ..ServiceConfig::default()
    }
}

#[test]
fn segments_are_uploaded_in_chunks_and_failed_chunks_are_retried() {
    // The same publish into a plain memory store and into one that takes
    // the chunks as they come.
    let plain = reference_run();
    let parts = Arc::new(PartStore::default());
    let sleeps = Arc::new(NoWait::default());
    let service_parts =
        Arc::new(Service::new(parts.clone(), chunked_config()).with_sleep(sleeps.clone()));
    setup(&service_parts, Acl::PublicReadWrite, 2);
    publish(&service_parts, "ch", &tags(), T0_MS).unwrap();

    let index = block_on(service_parts.catalog().segments("bkt", "ch", 0, u64::MAX)).unwrap();
    assert!(index.len() >= 4, "{index:?}"); // (retried writes repeat)
    for entry in &index {
        let key = format!("bkt/ch/{}", entry.file_name());
        let (a, b) = (get(&plain, &key), get(&parts.objects, &key));
        assert!(a.is_some() && a == b, "{key} differs between the stores");
    }
    // Every append and every completion failed once, and was retried.
    let appends = parts.appends.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        appends >= 8,
        "segments went in chunks: {appends} append calls"
    );
    let waits = sleeps.0.lock().unwrap().len();
    assert_eq!(
        waits as u32,
        appends / 2 + 4,
        "one retry per append and per completion"
    );
    let stat_errors = service_parts
        .counters()
        .store_write_failures
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(stat_errors, waits as u64);
    // The live playlist, rewritten with each segment, is not waited for
    // on a disk; index entries are.
    use livechannel::store::Durability::{Durable, Eventual};
    let puts = parts.puts.lock().unwrap();
    let playlists: Vec<_> = puts.iter().filter(|(k, _)| k.ends_with(".m3u8")).collect();
    assert!(!playlists.is_empty());
    assert!(
        playlists.iter().all(|(_, d)| *d == Eventual),
        "{playlists:?}"
    );
    let index: Vec<_> = puts
        .iter()
        .filter(|(k, _)| k.starts_with(".livechannel/index/"))
        .collect();
    assert!(index.len() >= 4, "{index:?}"); // (retried writes repeat)
    assert!(index.iter().all(|(_, d)| *d == Durable), "{index:?}");
}

#[test]
fn a_segment_whose_upload_fails_is_never_stored_in_part() {
    let plain = reference_run();

    // No timer: the first failure is final. The second segment's upload
    // breaks after its first chunk; the publish ends, and the segments
    // still to come at the end of it are stored as usual.
    let parts = Arc::new(PartStore {
        broken: Some(1),
        ..PartStore::default()
    });
    let service_parts = Arc::new(Service::new(parts.clone(), chunked_config()));
    setup(&service_parts, Acl::PublicReadWrite, 2);
    let err = publish(&service_parts, "ch", &tags(), T0_MS).unwrap_err();
    assert!(err.contains("injected"), "{err}");

    // Whatever was stored is whole: the same bytes as the plain run.
    let page = block_on(parts.objects.list("bkt/ch/", "", 100)).unwrap();
    let stored: Vec<&str> = page
        .objects
        .iter()
        .map(|m| m.key.as_str())
        .filter(|k| k.ends_with(".ts"))
        .collect();
    assert!(!stored.is_empty());
    for key in &stored {
        let whole = get(&parts.objects, key) == get(&plain, key);
        assert!(whole, "{key} is not whole");
    }
    let index = block_on(service_parts.catalog().segments("bkt", "ch", 0, u64::MAX)).unwrap();
    assert!(index.len() < 4, "the broken segment is not indexed");
    if let Some(text) = get(&parts.objects, "bkt/ch/playlist.m3u8") {
        let text = String::from_utf8(text).unwrap();
        for uri in MediaPlaylist::parse(&text)
            .unwrap()
            .segments
            .iter()
            .map(|s| &s.uri)
        {
            assert!(stored.contains(&format!("bkt/ch/{uri}").as_str()), "{text}");
        }
    }
}

/// With segment retention, a segment that left the live playlist goes with
/// its VOD index entry; the ones the playlist names stay, and a VOD covers
/// what is kept.
#[test]
fn segment_retention_deletes_segments_out_of_the_playlist_with_their_index_entries() {
    for retention_ms in [2_000, 60_000] {
        let store = Arc::new(MemoryStore::new());
        let config = ServiceConfig {
            node_id: "node-a".into(),
            segment_retention_ms: Some(retention_ms),
            ..ServiceConfig::default()
        };
        let service = Arc::new(Service::new(store.clone(), config));
        setup(&service, Acl::PublicReadWrite, 2);
        publish(&service, "ch", &tags(), T0_MS).unwrap();

        // 4 segments, FragCount 3: the first left the playlist. With 2 s
        // retention it went when the fourth was stored (6 s older); with
        // 60 s, at the end of the publish.
        let text = String::from_utf8(get(&store, "bkt/ch/playlist.m3u8").unwrap()).unwrap();
        let live = MediaPlaylist::parse(&text).unwrap();
        assert_eq!((live.media_sequence, live.segments.len()), (1, 3), "{text}");
        assert!(get(&store, &format!("bkt/ch/{T0_MS}.ts")).is_none());
        for s in &live.segments {
            assert!(
                get(&store, &format!("bkt/ch/{}", s.uri)).is_some(),
                "{}",
                s.uri
            );
        }
        let index = block_on(service.catalog().segments("bkt", "ch", 0, u64::MAX)).unwrap();
        let names: Vec<String> = index.iter().map(|e| e.file_name()).collect();
        let shown: Vec<String> = live.segments.iter().map(|s| s.uri.clone()).collect();
        assert_eq!(names, shown, "retention {retention_ms} ms");
        let deleted = service.counters().segments_deleted.load(Relaxed);
        assert_eq!(deleted, 1);
    }
}

#[test]
fn without_retention_every_segment_is_kept() {
    let store = Arc::new(MemoryStore::new());
    let service = service(store.clone(), "node-a");
    setup(&service, Acl::PublicReadWrite, 2);
    publish(&service, "ch", &tags(), T0_MS).unwrap();
    assert!(get(&store, &format!("bkt/ch/{T0_MS}.ts")).is_some());
    let index = block_on(service.catalog().segments("bkt", "ch", 0, u64::MAX)).unwrap();
    assert_eq!(index.len(), 4);
    assert_eq!(service.counters().segments_deleted.load(Relaxed), 0);
}

/// A segment whose delete fails stays, the failure is counted, the publish
/// goes on, and the delete is tried again (here at the publish's end).
#[test]
fn a_failed_segment_delete_is_tried_again_and_the_publish_goes_on() {
    use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
    let tries = Arc::new(AtomicU32::new(0));
    let counted = tries.clone();
    let store = Arc::new(Faulty(
        MemoryStore::new(),
        Box::new(move |op, key| {
            // The first try of a segment's delete fails.
            op == "delete" && key.ends_with(".ts") && counted.fetch_add(1, SeqCst) == 0
        }),
    ));
    let config = ServiceConfig {
        node_id: "node-a".into(),
        segment_retention_ms: Some(1_000),
        ..ServiceConfig::default()
    };
    let service = Arc::new(Service::new(store.clone(), config));
    setup(&service, Acl::PublicReadWrite, 2);
    // The first segment leaves the playlist (FragCount 3) when the fourth
    // is stored: its delete fails then, and is done at the end.
    publish(&service, "ch", &tags(), T0_MS).unwrap();
    assert_eq!(tries.load(SeqCst), 2);
    assert!(get(&store.0, &format!("bkt/ch/{T0_MS}.ts")).is_none());
    let counters = service.counters();
    assert_eq!(counters.segments_deleted.load(Relaxed), 1);
    assert_eq!(counters.store_write_failures.load(Relaxed), 1);
    let index = block_on(service.catalog().segments("bkt", "ch", 0, u64::MAX)).unwrap();
    assert_eq!(index.len(), 3);
}
