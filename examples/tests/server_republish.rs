//! A publisher that reconnects the moment its publish ended is taken, not
//! told the channel is busy (hls-pitfalls: "republish after a network drop
//! is the second most common complaint"). The server binary with the file
//! store on disk, where ending a publish takes a few `fsync`s (its last
//! segment, the ended playlist, the History record, the lease): 20
//! publishers in real time, then all again at once. Before the server
//! waited for an ending publish, the second round was refused with
//! `NetStream.Publish.BadName` ("already has a publisher"). Then ffmpeg
//! pushing a file twice in a row, and an ffmpeg whose process is stopped
//! mid-push (its connection open and silent, as after a network drop):
//! a second ffmpeg is not taken within the first 5 s of silence, and is
//! taken after.
//!
//!
//! Publishers that push faster than the server stores, then push again at
//! once: when one reconnects, the server may not have read to the end of
//! its first connection yet, and that publish is still receiving media.
//! The reconnect was refused; now it waits for it up to `BUSY_WAIT`.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::fixture;
use common::server_process::{create, file_store, free_port, Server};
use livechannel_examples::rtmp_publish::{publish, Media, Pacing};
use livechannel_flv::{Tag, TagType};
use livechannel_testkit::{have, run};

const STREAMS: usize = 20;
const SOURCE: &str = "high_bframes_gop2s_aac44k.flv";

/// ffmpeg pushing the fixture as the OSS guide pushes a file: no `-re`,
/// as fast as it goes.
fn push_file(url: &str) -> Command {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-i"])
        .arg(fixture(SOURCE))
        .args(["-c", "copy", "-f", "flv", url])
        .stdin(Stdio::null());
    cmd
}

/// A child process killed when dropped: a stopped ffmpeg left behind by a
/// failed assertion would hold the test's output open.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A directory on the disk the build is on (`/tmp` may be tmpfs, where
/// ending a publish costs no `fsync` and the first test would pass
/// without the wait it checks).
fn disk_dir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

/// A server on disk with channel `demo/ch`, and the channel's push URL.
fn server_with_channel() -> (tempfile::TempDir, Server, String) {
    let dir = disk_dir();
    let server = Server::start(&file_store(dir.path()), free_port(), free_port());
    create(&server, "ch");
    let url = format!("rtmp://127.0.0.1:{}/demo/live/ch", server.rtmp);
    (dir, server, url)
}

/// Until channel `demo/CHANNEL` has `n` History records (a publish's is
/// stored after its publisher left).
fn wait_for_records(server: &Server, channel: &str, n: usize) {
    server.wait(10, "the History records", || {
        let history = server.get(&format!("/demo/{channel}?live&comp=history")).1;
        history.matches("<LiveRecord>").count() == n
    });
}

/// Pushes `media` to channels ch0..ch19 at once, in real time or as fast
/// as it goes; the errors of those that failed.
fn publish_all(
    runtime: &tokio::runtime::Runtime,
    rtmp: u16,
    media: &Media,
    real_time: bool,
) -> Vec<String> {
    let pacing = if real_time {
        Pacing::RealTime
    } else {
        Pacing::Fast
    };
    runtime.block_on(async {
        let pushes = (0..STREAMS).map(|i| {
            let url = format!("rtmp://127.0.0.1:{rtmp}/demo/live/ch{i}");
            async move { publish(&url, media, pacing, i as u64).await }
        });
        futures::future::join_all(pushes)
            .await
            .into_iter()
            .enumerate()
            .filter_map(|(i, r)| r.err().map(|e| format!("ch{i}: {e}")))
            .collect()
    })
}

#[test]
fn publishers_that_reconnect_at_once_are_taken() {
    reconnect_at_once(true);
}

#[test]
fn fast_publishers_that_reconnect_at_once_are_taken() {
    reconnect_at_once(false);
}

/// 20 publishers, then all of them again the moment they are done: in real
/// time the fixture (6 s), as fast as they go the fixture 12 times over
/// (3.3 MB, as an 8 s 720p 3 Mb/s file): enough that its end is still in
/// the sockets' buffers when they reconnect (before the server waited for
/// a publish still receiving media, 9-11 of 20 and 40 of 50 such
/// reconnects were refused).
fn reconnect_at_once(real_time: bool) {
    let dir = disk_dir();
    let server = Server::start(&file_store(dir.path()), free_port(), free_port());
    for i in 0..STREAMS {
        create(&server, &format!("ch{i}"));
    }
    let media = Media::load(std::fs::read(fixture(SOURCE)).unwrap()).unwrap();
    let media = if real_time { media } else { looped(&media, 12) };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for round in 1..=2 {
        let refused = publish_all(&runtime, server.rtmp, &media, real_time);
        assert!(refused.is_empty(), "round {round}: {refused:#?}");
    }
    for i in 0..STREAMS {
        // The second publishes end after their publishers left.
        wait_for_records(&server, &format!("ch{i}"), 2);
        let playlist = server.check_playlist(&format!("ch{i}"));
        assert!(
            playlist.contains("#EXT-X-DISCONTINUITY") && playlist.ends_with("#EXT-X-ENDLIST\n"),
            "{playlist}"
        );
    }
}

/// `media` `times` over, each pass's timestamps after the last's (its
/// metadata once).
fn looped(media: &Media, times: u32) -> Media {
    let step = media.duration.as_millis() as u32 + 40;
    let tags: Vec<_> = (0..times)
        .flat_map(|k| {
            media.tags.iter().filter_map(move |tag| {
                let again = k > 0 && tag.tag_type == TagType::Script;
                (!again).then(|| Tag {
                    timestamp: tag.timestamp + k * step,
                    ..tag.clone()
                })
            })
        })
        .collect();
    Media {
        bytes: media.bytes * u64::from(times),
        duration: Duration::from_millis(u64::from(step * times)),
        tags,
    }
}

#[test]
fn ffmpeg_pushing_twice_in_a_row_is_taken_twice() {
    if !have("ffmpeg") {
        return;
    }
    let (_dir, server, url) = server_with_channel();
    for _ in 0..2 {
        run(&mut push_file(&url));
    }
    wait_for_records(&server, "ch", 2);
}

#[test]
fn a_publisher_gone_silent_is_taken_over_after_five_seconds() {
    if !have("ffmpeg") {
        return;
    }
    let (_dir, server, url) = server_with_channel();
    // The first publisher's network "drops": its process is stopped, its
    // connection stays open and sends nothing more.
    let first = Killed(server.push("ch", "long_gop_5s.flv"));
    server.wait(15, "Live", || {
        server
            .get("/demo/ch?live&comp=stat")
            .1
            .contains("<Status>Live</Status>")
    });
    let signal = |sig: &str, child: &std::process::Child| {
        let pid = child.id().to_string();
        assert!(Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success());
    };
    signal("-STOP", &first.0);
    let stopped = std::time::Instant::now();
    // Within the silence, a second publisher waits (BUSY_WAIT, 4 s): then
    // it is refused, or taken if the first has by then been silent for
    // 5 s, never before...
    let early = push_file(&url).output().unwrap();
    let taken_early = early.status.success();
    assert!(
        !taken_early || stopped.elapsed() >= std::time::Duration::from_secs(5),
        "taken over after {:?} of silence",
        stopped.elapsed()
    );
    // ...and one after that is taken.
    std::thread::sleep(std::time::Duration::from_secs(5).saturating_sub(stopped.elapsed()));
    run(&mut push_file(&url));
    drop(first);
    wait_for_records(&server, "ch", 2 + usize::from(taken_early));
    server.check_playlist("ch");
}
