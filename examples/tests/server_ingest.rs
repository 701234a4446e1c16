//! livechannel-server with real publishers: ffmpeg, GStreamer rtmpsink
//! (librtmp) and rtmp2sink push to a channel; ffprobe reads the live
//! playlist over HTTP while they push; the VOD rendition afterwards has
//! exactly the source's frames. Refusals: a second publisher, unsigned,
//! expired and wrongly signed pushes to a private bucket; disabling a
//! channel ends its publisher.

mod common;
mod server;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::fixture;
use livechannel_examples::file_store::{FileOptions, FileStore, SmallJobs};
use livechannel_testkit::ffprobe::count_frames;
use livechannel_testkit::{have, run};
use server::{ffmpeg_push, vod_dir, TestServer, AK, SK, SOURCE};

fn stat(server: &TestServer, bucket: &str, ch: &str) -> String {
    server
        .curl("GET", &format!("/{bucket}/{ch}?live&comp=stat"), None)
        .1
}

#[test]
fn ffmpeg_push_is_playable_live_and_complete_as_vod() {
    if !have("ffmpeg") || !have("ffprobe") || !have("curl") {
        return;
    }
    let server = TestServer::start();
    server.create_channel("open", "ch1", 2, 3);
    let mut push = ffmpeg_push(&server.rtmp_url("open", "ch1"), true);
    // While it publishes: Live with the right size, and ffprobe reads the live playlist.
    server.wait_for(15, "stat Live", || {
        stat(&server, "open", "ch1").contains("<Width>320</Width>")
    });
    let s = stat(&server, "open", "ch1");
    assert!(
        s.contains("<Status>Live</Status>") && s.contains("<Height>180</Height>"),
        "{s}"
    );
    server.wait_for(15, "a live playlist", || {
        server.object("open/ch1/playlist.m3u8").is_some()
    });
    let live = server.http_url("/open/ch1/playlist.m3u8");
    let (out, _) = run(Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,width,height",
            "-of",
            "csv=p=0",
        ])
        .arg(&live));
    assert!(
        out.contains("video,320,180") && out.contains("audio"),
        "{out}"
    );
    assert!(push.wait().unwrap().success());

    // After the publisher stops: ENDLIST, Idle, one history record, and a VOD with every frame.
    server.wait_for_endlist(10, "open", "ch1");
    assert!(stat(&server, "open", "ch1").contains("<Status>Idle</Status>"));
    let history = server.curl("GET", "/open/ch1?live&comp=history", None).1;
    assert_eq!(history.matches("<LiveRecord>").count(), 1, "{history}");
    let dir = tempfile::tempdir().unwrap();
    let vod = vod_dir(&server, "open", "ch1", dir.path());
    let (video, audio, errors) = count_frames(&vod);
    assert_eq!(errors.trim(), "");
    assert_eq!((video, audio), (240, 346));
    // The API's VOD playlist names the same segments and plays over HTTP.
    let now = common::now_ms() / 1000;
    let (status, body) = server.curl(
        "GET",
        &format!(
            "/open/ch1?vod&startTime={}&endTime={}",
            now - 3600,
            now + 60
        ),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("#EXT-X-ENDLIST"));
}

/// The file store with its small jobs inline (as on tmpfs: segment ends,
/// index entries, playlists, leases on the thread that reads the
/// publisher), ffmpeg pushing as fast as it reads: every frame in the VOD.
#[test]
fn ffmpeg_push_to_the_file_store_with_small_jobs_inline_is_complete() {
    if !have("ffmpeg") || !have("ffprobe") || !have("curl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let options = FileOptions {
        small_jobs: SmallJobs::Inline,
        ..FileOptions::default()
    };
    let store = FileStore::open_with(dir.path(), options).unwrap();
    assert!(store.small_jobs_inline());
    let server = TestServer::with_store(Arc::new(store));
    server.create_channel("open", "ch1", 2, 3);
    let mut push = ffmpeg_push(&server.rtmp_url("open", "ch1"), false);
    assert!(push.wait().unwrap().success());
    server.wait_for_endlist(10, "open", "ch1");
    let out = tempfile::tempdir().unwrap();
    let (video, audio, errors) = count_frames(&vod_dir(&server, "open", "ch1", out.path()));
    assert_eq!(errors.trim(), "");
    assert_eq!((video, audio), (240, 346));
}

fn gst_push(sink: &str, url: &str) {
    let pipeline = format!(
        "filesrc location={} ! flvdemux name=d d.video ! queue ! h264parse ! m.video d.audio ! queue ! aacparse ! m.audio flvmux name=m streamable=true ! {sink} location={url}",
        fixture(SOURCE).display()
    );
    let status = Command::new("gst-launch-1.0")
        .arg("-q")
        .args(pipeline.split(' '))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "gst-launch-1.0 {sink}");
}

#[test]
fn gstreamer_publishers_give_complete_vods() {
    if !have("gst-launch-1.0") || !have("ffprobe") || !have("curl") {
        return;
    }
    let server = TestServer::start();
    for (sink, ch) in [("rtmpsink", "librtmp"), ("rtmp2sink", "rtmp2")] {
        server.create_channel("open", ch, 2, 3);
        gst_push(sink, &server.rtmp_url("open", ch));
        server.wait_for_endlist(10, "open", ch);
        let dir = tempfile::tempdir().unwrap();
        let (video, audio, errors) = count_frames(&vod_dir(&server, "open", ch, dir.path()));
        assert_eq!(errors.trim(), "", "{sink}");
        assert_eq!((video, audio), (240, 346), "{sink}");
    }
}

#[test]
fn a_second_publisher_is_refused_while_the_first_goes_on() {
    if !have("ffmpeg") || !have("curl") {
        return;
    }
    let server = TestServer::start();
    server.create_channel("open", "ch", 2, 3);
    let mut first = ffmpeg_push(&server.rtmp_url("open", "ch"), true);
    server.wait_for(15, "Live", || {
        stat(&server, "open", "ch").contains("<Status>Live</Status>")
    });
    let second = ffmpeg_push(&server.rtmp_url("open", "ch"), true)
        .wait_with_output()
        .unwrap();
    assert!(
        !second.status.success(),
        "the second publisher must be refused"
    );
    assert!(stat(&server, "open", "ch").contains("<Status>Live</Status>"));
    assert!(
        first.wait().unwrap().success(),
        "the first publisher goes on to the end"
    );
}

#[test]
fn pushes_to_a_private_bucket_need_a_valid_signature() {
    if !have("ffmpeg") || !have("curl") {
        return;
    }
    let server = TestServer::start();
    // Channels in a private bucket are created with a signed request; the
    // test signs through the library directly.
    let channel = livechannel::catalog::ChannelRecord {
        name: "ch".into(),
        config: livechannel::catalog::ChannelConfig::default(),
        last_modified_ms: 0,
    };
    futures::executor::block_on(server.service.catalog().put_channel("private", &channel)).unwrap();
    let refused = |url: &str| {
        !ffmpeg_push(url, false)
            .wait_with_output()
            .unwrap()
            .status
            .success()
    };
    let base = server.rtmp_url("private", "ch");
    assert!(refused(&base), "unsigned");
    let sign = |expires: u64| {
        let sig = livechannel::auth::sign(SK, &format!("{expires}\n/private/ch"));
        let enc = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        format!(
            "{base}?OSSAccessKeyId={AK}&Expires={expires}&Signature={}",
            enc(&sig)
        )
    };
    let now = common::now_ms() / 1000;
    assert!(refused(&sign(now - 10)), "expired");
    assert!(
        refused(&sign(now + 3600).replace("Signature=", "Signature=X")),
        "wrong"
    );
    let ok = ffmpeg_push(&sign(now + 3600), false)
        .wait_with_output()
        .unwrap();
    assert!(
        ok.status.success(),
        "signed push: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn disabling_a_channel_ends_its_publisher() {
    if !have("ffmpeg") || !have("curl") {
        return;
    }
    let server = TestServer::start();
    server.create_channel("open", "ch", 2, 3);
    let push = ffmpeg_push(&server.rtmp_url("open", "ch"), true);
    server.wait_for(15, "Live", || {
        stat(&server, "open", "ch").contains("<Status>Live</Status>")
    });
    let (status, body) = server.curl("PUT", "/open/ch?live&status=disabled", None);
    assert_eq!(status, 200, "{body}");
    let started = std::time::Instant::now();
    let out = push.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "the publisher must be ended promptly"
    );
    let _ = out;
    server.wait_for(5, "Disabled", || {
        stat(&server, "open", "ch").contains("<Status>Disabled</Status>")
    });
    let history = server.curl("GET", "/open/ch?live&comp=history", None).1;
    assert_eq!(history.matches("<LiveRecord>").count(), 1, "{history}");
}

#[test]
fn rtmp_works_on_the_http_port_too() {
    // oss2's sign_rtmp_url keeps the HTTP port; the server tells RTMP from
    // HTTP by the first byte.
    if !have("ffmpeg") || !have("curl") {
        return;
    }
    let server = TestServer::start();
    server.create_channel("open", "ch", 2, 3);
    let url = format!("rtmp://127.0.0.1:{}/open/live/ch", server.http);
    let out = ffmpeg_push(&url, false).wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.wait_for_endlist(10, "open", "ch");
    // And HTTP still works on it.
    assert_eq!(server.curl("GET", "/open/ch?live", None).0, 200);
}

#[test]
fn broken_publishers_do_not_disturb_another_channel() {
    if !have("ffmpeg") || !have("ffprobe") || !have("curl") {
        return;
    }
    let server = TestServer::start();
    server.create_channel("open", "good", 2, 3);
    server.create_channel("open", "bad", 2, 3);
    let mut good = ffmpeg_push(&server.rtmp_url("open", "good"), true);
    server.wait_for(15, "Live", || {
        stat(&server, "open", "good").contains("<Status>Live</Status>")
    });

    use std::io::Write;
    let addr = ("127.0.0.1", server.rtmp);
    // Garbage instead of a handshake.
    let mut garbage = std::net::TcpStream::connect(addr).unwrap();
    let noise: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let _ = garbage.write_all(&noise);
    // Half a handshake, then silence (held open).
    let mut stalled = std::net::TcpStream::connect(addr).unwrap();
    stalled.write_all(&[3; 700]).unwrap();
    // A real RTMP publisher sending Enhanced-RTMP VP9 (FourCC vp09), which
    // the server cannot store: it ends that publish.
    let vp9 = |ts: u32, packet_type: u8| livechannel_flv::Tag {
        tag_type: livechannel_flv::TagType::Video,
        timestamp: ts,
        stream_id: 0,
        body: bytes::Bytes::from(vec![0x90 | packet_type, b'v', b'p', b'0', b'9', 1, 2, 3, 4]),
        offset: 0,
    };
    let tags: Vec<_> = (0..50)
        .map(|i| vp9(i * 40, if i == 0 { 0 } else { 3 }))
        .collect();
    let media = livechannel_examples::rtmp_publish::Media {
        bytes: 450,
        duration: Duration::from_secs(2),
        tags,
    };
    let url = server.rtmp_url("open", "bad");
    let refused = server
        .runtime
        .block_on(livechannel_examples::rtmp_publish::publish(
            &url,
            &media,
            livechannel_examples::rtmp_publish::Pacing::RealTime,
            5,
        ));
    // Ended with an error the publisher is told, naming the codec.
    assert!(
        matches!(
            &refused,
            Err(livechannel_examples::rtmp_publish::Error::Rtmp(
                livechannel_rtmp::Error::Rejected { code, description }
            )) if code == "NetStream.Failed" && description.contains("vp09")
        ),
        "a VP9 publish must be ended by the server: {refused:?}"
    );

    assert!(good.wait().unwrap().success());
    drop((garbage, stalled));
    server.wait_for_endlist(10, "open", "good");
    let dir = tempfile::tempdir().unwrap();
    let (video, audio, errors) = count_frames(&vod_dir(&server, "open", "good", dir.path()));
    assert_eq!(errors.trim(), "");
    assert_eq!((video, audio), (240, 346), "the good channel lost frames");
    assert!(
        server.object("open/bad/playlist.m3u8").is_none(),
        "nothing from the broken publishers was stored"
    );
}
