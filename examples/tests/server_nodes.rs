//! Two livechannel-server processes over one S3 bucket (s3s-fs): both see the same
//! channels; a publish to node A holds the channel on node B too (through
//! the lease in the store); after `kill -9` of node A the publisher gets
//! through to node B within the lease time, the media sequence goes on
//! after a discontinuity, and the VOD playlist over the whole span plays.

mod common;

use std::time::{Duration, Instant};

use common::live_push;
use common::s3s::S3sFs;
use common::server_process::{free_port, Server};
use livechannel_testkit::have;

/// Lease time of both nodes: short, so that the test is quick.
const LEASE_SECS: u64 = 3;

/// A node over the shared bucket, with its own id and the short lease.
fn node(s3: &S3sFs, id: &str) -> Server {
    s3.server_with("media", None, free_port(), free_port(), |cmd| {
        cmd.args(["--node-id", id, "--lease-secs", &LEASE_SECS.to_string()]);
    })
}

fn rtmp_url(node: &Server, channel: &str) -> String {
    format!("rtmp://127.0.0.1:{}/demo/live/{channel}", node.rtmp)
}

fn media_sequence(playlist: &str) -> u64 {
    livechannel_m3u8::MediaPlaylist::parse(playlist)
        .unwrap_or_else(|e| panic!("{e}: {playlist}"))
        .media_sequence
}

#[test]
fn a_channel_moves_to_another_node_when_its_node_dies() {
    if !have("ffmpeg") || !have("ffprobe") || !have("curl") {
        return;
    }
    let Some(s3) = S3sFs::start("media") else {
        return;
    };
    let mut a = node(&s3, "node-a");
    let b = node(&s3, "node-b");
    let create = "<LiveChannelConfiguration><Target><Type>HLS</Type><FragDuration>1</FragDuration><FragCount>3</FragCount></Target></LiveChannelConfiguration>";
    let url = format!("http://127.0.0.1:{}/demo/ch?live", a.http);
    assert_eq!(common::curl(&url, "PUT", Some(create)).0, 200);
    // Node B sees the channel node A created.
    assert_eq!(b.get("/demo/ch?live").0, 200);

    let mut first = live_push(&rtmp_url(&a, "ch"), 120);
    common::wait_for(20, "segments through node A", || {
        b.get("/demo/ch/playlist.m3u8").1.matches(".ts").count() >= 2
    });
    // Node B reports the channel Live, with the statistics node A stored
    // with its lease (renewed every LEASE_SECS / 3).
    common::wait_for(10, "node B's stat of node A's publish", || {
        b.get("/demo/ch?live&comp=stat")
            .1
            .contains("<Width>640</Width>")
    });
    // A second publisher through node B is refused while node A holds the channel.
    let mut second = live_push(&rtmp_url(&b, "ch"), 5);
    let refused = second.wait().unwrap();
    assert!(!refused.success(), "node B must refuse a second publisher");

    let before = b.get("/demo/ch/playlist.m3u8").1;
    let sequence_before = media_sequence(&before);
    let segments_before: Vec<String> = before
        .lines()
        .filter(|l| l.ends_with(".ts"))
        .map(str::to_owned)
        .collect();
    // kill -9 node A in the middle of the publish; its publisher dies with the connection.
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let _ = first.kill();
    let _ = first.wait();
    let killed = Instant::now();

    // The publisher reconnects to node B until it is accepted.
    let mut again = loop {
        let mut push = live_push(&rtmp_url(&b, "ch"), 6);
        std::thread::sleep(Duration::from_millis(700));
        match push.try_wait().unwrap() {
            None => break push,
            Some(_) => assert!(
                killed.elapsed() < Duration::from_secs(LEASE_SECS + 5),
                "node B still refuses {:?} after the kill",
                killed.elapsed()
            ),
        }
    };
    let took_over = killed.elapsed();
    eprintln!("node B accepted the publisher {took_over:?} after node A was killed (lease {LEASE_SECS} s)");
    assert!(again.wait().unwrap().success());
    common::wait_for(10, "ENDLIST through node B", || {
        b.get("/demo/ch/playlist.m3u8").1.contains("#EXT-X-ENDLIST")
    });

    // The live playlist went on: later sequence numbers, a discontinuity,
    // and every segment it names is stored.
    let after = b.get("/demo/ch/playlist.m3u8").1;
    assert!(
        media_sequence(&after) > sequence_before,
        "{before}\n{after}"
    );
    for uri in after.lines().filter(|l| l.ends_with(".ts")) {
        assert_eq!(b.get(&format!("/demo/ch/{uri}")).0, 200, "{uri} missing");
    }
    // Segments node A stored before it died are all kept.
    for uri in &segments_before {
        assert_eq!(b.get(&format!("/demo/ch/{uri}")).0, 200, "{uri} lost");
    }

    // The VOD playlist over the whole span marks the discontinuity and
    // plays. Its segment names are relative to the channel (as on OSS), so
    // it is stored next to them with PostVodPlaylist and read from there.
    let now = common::now_ms() / 1000;
    let post = format!(
        "http://127.0.0.1:{}/demo/ch/vod.m3u8?vod&startTime={}&endTime={}",
        b.http,
        now - 600,
        now + 60
    );
    assert_eq!(common::curl(&post, "POST", None).0, 200);
    let (status, playlist) = b.get("/demo/ch/vod.m3u8");
    assert_eq!(status, 200, "{playlist}");
    assert!(playlist.contains("#EXT-X-DISCONTINUITY"), "{playlist}");
    assert!(playlist.contains("#EXT-X-ENDLIST"), "{playlist}");
    let vod = format!("http://127.0.0.1:{}/demo/ch/vod.m3u8", b.http);
    let (video, audio, errors) =
        livechannel_testkit::ffprobe::count_frames(std::path::Path::new(&vod));
    assert_eq!(errors.trim(), "");
    // Node A's stored segments (2 s or more) and node B's 6 s, at 30 fps.
    assert!(
        video >= 8 * 30 && audio > 0,
        "{video} video, {audio} audio frames"
    );
}
