//! RTMP against real peers over loopback: ffmpeg, GStreamer `rtmpsink`
//! (librtmp, the library OBS's RTMP output derives from) and `rtmp2sink`
//! publish to the `rtmp-dump` example; our client publishes to
//! `ffmpeg -listen 1`. The recorded FLV must hold exactly the source's
//! frames with the same timestamps.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::fixture;
use livechannel_examples::rtmp_publish::{publish, Media, Pacing};
use livechannel_testkit::{have, run};

const SOURCE: &str = "high_bframes_gop2s_aac44k.flv";

/// (codec_type, pts in ms, dts in ms) of every audio and video packet, as
/// ffprobe reads them, sorted.
fn packets(path: &Path) -> Vec<(String, i64, i64)> {
    let (out, _) = run(Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "packet=codec_type,pts,dts",
            "-of",
            "csv=p=0",
        ])
        .arg(path));
    let mut v: Vec<(String, i64, i64)> = out
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((
                f.first()?.to_string(),
                f.get(1)?.parse().ok()?,
                f.get(2)?.parse().ok()?,
            ))
        })
        .filter(|p: &(String, i64, i64)| p.0 == "audio" || p.0 == "video")
        .collect();
    v.sort();
    v
}

fn count(p: &[(String, i64, i64)], kind: &str) -> usize {
    p.iter().filter(|x| x.0 == kind).count()
}

/// A running rtmp-dump server on a free loopback port.
struct Dump {
    port: u16,
    dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
}

impl Dump {
    fn start() -> Dump {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        runtime.spawn(livechannel_examples::rtmp_dump::serve(
            listener,
            dir.path().to_path_buf(),
        ));
        Dump { port, dir, runtime }
    }

    fn url(&self, stream: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{stream}", self.port)
    }

    /// Wait until the publish of `stream` ended and its FLV was written.
    fn recorded(&self, stream: &str) -> PathBuf {
        let path = self.dir.path().join("live").join(format!("{stream}.flv"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while !path.exists() {
            assert!(
                Instant::now() < deadline,
                "{} never appeared",
                path.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        path
    }
}

fn assert_same_frames(source: &Path, recorded: &Path) {
    let (a, b) = (packets(source), packets(recorded));
    assert_eq!(
        count(&b, "video"),
        count(&a, "video"),
        "video frames of {}",
        recorded.display()
    );
    assert_eq!(
        count(&b, "audio"),
        count(&a, "audio"),
        "audio frames of {}",
        recorded.display()
    );
    if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
        panic!(
            "{} differs from {} at packet {i}: {:?} vs {:?}",
            recorded.display(),
            source.display(),
            a[i],
            b[i]
        );
    }
}

#[test]
fn ffmpeg_publishes_to_rtmp_dump() {
    if !have("ffmpeg") || !have("ffprobe") {
        return;
    }
    let dump = Dump::start();
    let src = fixture(SOURCE);
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&src)
        .args(["-c", "copy", "-f", "flv", &dump.url("ffmpeg")]));
    let out = dump.recorded("ffmpeg");
    assert_same_frames(&src, &out);
    // Byte for byte: the media bodies arrive exactly as ffmpeg sent them.
    let media = |p: &Path| {
        let m = Media::load(std::fs::read(p).unwrap()).unwrap();
        m.tags
            .into_iter()
            .filter(|t| t.tag_type != livechannel_flv::TagType::Script)
            .map(|t| (t.timestamp, t.body))
            .collect::<Vec<_>>()
    };
    assert_eq!(media(&out), media(&src));
    drop(dump.runtime);
}

/// Runs the GStreamer pipeline that re-muxes the fixture into `sink`.
fn gst(sink: &str) {
    let src = fixture(SOURCE);
    let pipeline = format!(
        "filesrc location={} ! flvdemux name=d d.video ! queue ! h264parse ! m.video d.audio ! queue ! aacparse ! m.audio flvmux name=m streamable=true ! {sink}",
        src.display()
    );
    let status = Command::new("gst-launch-1.0")
        .arg("-q")
        .args(pipeline.split(' '))
        .stdout(Stdio::null())
        .status()
        .expect("gst-launch-1.0");
    assert!(status.success(), "gst-launch-1.0 ... {sink} failed");
}

/// GStreamer's flvdemux/flvmux re-time the stream (the first B-frames get
/// DTS 0), so the reference for what the client sent is the same pipeline
/// writing to a file; the source is the reference for the frame counts.
fn gst_check(sink: &str, stream: &str) {
    let dump = Dump::start();
    gst(&format!("{sink} location={}", dump.url(stream)));
    let reference = dump.dir.path().join("reference.flv");
    gst(&format!("filesink location={}", reference.display()));
    let recorded = dump.recorded(stream);
    let (src, rec) = (packets(&fixture(SOURCE)), packets(&recorded));
    assert_eq!(
        (count(&rec, "video"), count(&rec, "audio")),
        (count(&src, "video"), count(&src, "audio"))
    );
    assert_same_frames(&reference, &recorded);
}

#[test]
fn gstreamer_rtmpsink_librtmp_publishes_to_rtmp_dump() {
    if !have("gst-launch-1.0") || !have("ffprobe") {
        return;
    }
    gst_check("rtmpsink", "librtmp");
}

#[test]
fn gstreamer_rtmp2sink_publishes_to_rtmp_dump() {
    if !have("gst-launch-1.0") || !have("ffprobe") {
        return;
    }
    gst_check("rtmp2sink", "rtmp2");
}

#[test]
fn our_client_publishes_to_ffmpeg_listen() {
    publish_to_ffmpeg_listen(Pacing::RealTime);
}

/// The load generator's batched pacing (`rtmp-publish --batch-ms`): the
/// tags of each 100 ms in one write reach FFmpeg whole and in order.
#[test]
fn our_client_publishes_in_batches_to_ffmpeg_listen() {
    publish_to_ffmpeg_listen(Pacing::Batched(Duration::from_millis(100)));
}

fn publish_to_ffmpeg_listen(pacing: Pacing) {
    if !have("ffmpeg") || !have("ffprobe") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("rtmp://127.0.0.1:{port}/live/ours");
    let out = dir.path().join("received.flv");
    let ffmpeg = Command::new("ffmpeg")
        .args([
            "-v", "error", "-listen", "1", "-i", &url, "-c", "copy", "-f", "flv",
        ])
        .arg(&out)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg");
    let src = fixture(SOURCE);
    let media = Media::load(std::fs::read(&src).unwrap()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // ffmpeg accepts exactly one client, so no probe connection: retry the
    // publish itself until ffmpeg listens. Real time, because FFmpeg's
    // listener drops the tail of unthrottled pushes (hls-pitfalls.md).
    let deadline = Instant::now() + Duration::from_secs(10);
    let report = loop {
        match runtime.block_on(publish(&url, &media, pacing, 7)) {
            Err(livechannel_examples::rtmp_publish::Error::Io(e))
                if e.kind() == std::io::ErrorKind::ConnectionRefused
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            r => break r.expect("publish"),
        }
    };
    assert_eq!(report.bytes, media.bytes);
    // ffmpeg says "Input/output error" when the publisher hangs up, even
    // after a clean unpublish; what counts is its exit status and the file.
    let done = ffmpeg.wait_with_output().unwrap();
    assert!(
        done.status.success(),
        "ffmpeg -listen failed: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_same_frames(&src, &out);
}
