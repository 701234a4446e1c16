//! HEVC and AV1 (Enhanced RTMP, FFmpeg 9) end to end through the
//! livechannel-server binary (issue 17): pushed over rtmp:// and rtmps://,
//! in real time and as fast as possible, every frame is in a VOD playlist
//! of fMP4 segments (`#EXT-X-MAP`, version 7) and Stat names the codec
//! during the push; `--h264-only` refuses HEVC with a reason FFmpeg shows
//! and stores nothing; hls.js in headless Chromium plays AV1 and fMP4
//! H.264 (`--segment-format fmp4`). Chromium on Linux does not decode
//! HEVC: ffprobe is its only player here.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::chromium::browser;
use common::tls_server::TlsServer;
use common::{ffmpeg9_tools, files_under, fixture, now_ms};
use fantoccini::Client;
use livechannel_testkit::ffprobe::count_frames;
use livechannel_testkit::{have, run};

/// A codec FFmpeg 9 encodes and pushes in Enhanced RTMP.
#[derive(Clone, Copy, Debug)]
struct Codec {
    /// ffprobe's `codec_name`.
    probe: &'static str,
    /// Stat's `<Codec>`.
    stat: &'static str,
    /// FFmpeg's video encoder options: fast presets, the test has 2 cores.
    encode: &'static [&'static str],
}

const HEVC: Codec = Codec {
    probe: "hevc",
    stat: "H265",
    encode: &[
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-x265-params",
        "log-level=error",
    ],
};

const AV1: Codec = Codec {
    probe: "av1",
    stat: "AV1",
    encode: &[
        "-c:v",
        "libsvtav1",
        "-preset",
        "11",
        "-crf",
        "45",
        "-svtav1-params",
        "verbosity=0",
    ],
};

/// Seconds of media in a source: long enough for three 2 s segments and
/// for a browser to play past 2 s, short enough to push in real time.
const SECONDS: &str = "6";

/// A source file made by FFmpeg 9 (Matroska: Debian's ffprobe 5.1 cannot
/// read Enhanced FLV) and its frames as ffprobe decodes them.
struct Source {
    path: PathBuf,
    video: u64,
    audio: u64,
}

/// The 640x360 25 fps source of `codec` with AAC, made once per test
/// binary: key frames every second (`-g 25`).
fn source(ffmpeg: &Path, codec: Codec) -> &'static Source {
    static HEVC_SOURCE: OnceLock<Source> = OnceLock::new();
    static AV1_SOURCE: OnceLock<Source> = OnceLock::new();
    let cell = if codec.probe == HEVC.probe {
        &HEVC_SOURCE
    } else {
        &AV1_SOURCE
    };
    cell.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{}.mkv", codec.probe));
        run(Command::new(ffmpeg)
            .args(["-hide_banner", "-v", "error", "-y"])
            .args(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25"])
            .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
            .args(["-t", SECONDS, "-g", "25"])
            .args(codec.encode)
            .args(["-c:a", "aac", "-b:a", "32k"])
            .arg(&path)
            .stdin(Stdio::null()));
        let (video, audio, errors) = count_frames(&path);
        assert_eq!(errors.trim(), "", "ffprobe {}", path.display());
        eprintln!(
            "source {}: {video} video, {audio} audio frames",
            path.display()
        );
        Source { path, video, audio }
    })
}

/// How a push reaches the server.
#[derive(Clone, Copy, Debug)]
enum Transport {
    Rtmp,
    Rtmps,
}

/// FFmpeg 9 pushing `source` to `demo/live/CHANNEL` as it is (`-c copy`),
/// in real time with `realtime`, else as fast as the link allows. Over
/// RTMPS it checks the server's certificate against the test's own.
fn push(
    ffmpeg: &Path,
    server: &TlsServer,
    source: &Path,
    (channel, transport): (&str, Transport),
    realtime: bool,
) -> Child {
    let mut cmd = Command::new(ffmpeg);
    cmd.args(["-hide_banner", "-v", "error"]);
    if realtime {
        cmd.arg("-re");
    }
    cmd.arg("-i").arg(source).args(["-c", "copy"]);
    let url = match transport {
        Transport::Rtmp => format!(
            "rtmp://127.0.0.1:{}/demo/live/{channel}",
            server.server.rtmp
        ),
        Transport::Rtmps => {
            cmd.arg("-ca_file").arg(&server.cert);
            server.url(channel)
        }
    };
    cmd.args(["-f", "flv", &url])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg 9")
}

/// Waits for `push` and fails the test, with both sides' words, if it
/// did not end well.
fn push_succeeded(push: Child, server: &TlsServer, what: &str) {
    let out = push.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{what}: ffmpeg: {}\nserver: {}",
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
}

/// During a push: Stat says Live, names `codec` and the size.
fn assert_stat_during_push(server: &TlsServer, channel: &str, codec: Codec) {
    let path = format!("/demo/{channel}?live&comp=stat");
    server
        .server
        .wait(10, "Stat Live with the video's size", || {
            server.server.get(&path).1.contains("<Width>640</Width>")
        });
    let stat = server.server.get(&path).1;
    for part in [
        "<Status>Live</Status>",
        &format!("<Codec>{}</Codec>", codec.stat),
        "<Width>640</Width>",
        "<Height>360</Height>",
    ] {
        assert!(
            stat.contains(part),
            "Stat of {channel} lacks {part}: {stat}"
        );
    }
}

/// A media playlist of fMP4 segments: the init segment named once in
/// `#EXT-X-MAP`, version 7, every URI stored.
fn assert_fmp4_playlist(server: &TlsServer, channel: &str, playlist: &str) {
    assert!(playlist.contains("#EXT-X-VERSION:7\n"), "{playlist}");
    let maps: Vec<&str> = playlist
        .lines()
        .filter_map(|l| l.strip_prefix("#EXT-X-MAP:URI=\""))
        .map(|l| l.trim_end_matches('"'))
        .collect();
    assert_eq!(maps.len(), 1, "one EXT-X-MAP: {playlist}");
    assert!(maps[0].ends_with(".init.mp4"), "{playlist}");
    let segments: Vec<&str> = playlist.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(
        segments.len() >= 3 && segments.iter().all(|s| s.ends_with(".m4s")),
        "{playlist}"
    );
    for uri in segments.iter().chain(&maps) {
        let status = server.server.get(&format!("/demo/{channel}/{uri}")).0;
        assert_eq!(status, 200, "{uri} of {channel}");
    }
}

/// ffprobe's `codec_name,width,height` of the first video stream of `url`.
fn video_stream(url: &str) -> String {
    let (out, _) = run(Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=codec_name,width,height"])
        .args(["-of", "csv=p=0", url]));
    out.lines().next().unwrap_or_default().to_owned()
}

/// PostVodPlaylist `demo/CHANNEL/vod.m3u8` over the Unix seconds
/// `[start_s, end_s]`; checks that it is fMP4 and returns its path.
fn post_vod(server: &TlsServer, channel: &str, (start_s, end_s): (u64, u64)) -> String {
    let vod = format!("/demo/{channel}/vod.m3u8");
    let range = format!("vod&startTime={start_s}&endTime={end_s}");
    let (status, body) = server.server.curl("POST", &format!("{vod}?{range}"), None);
    assert_eq!(status, 200, "PostVodPlaylist: {body}");
    assert_fmp4_playlist(server, channel, &server.server.get(&vod).1);
    vod
}

/// After the publish to `channel` ended (within the Unix seconds `span`):
/// the live playlist and the VOD playlists (GetVodPlaylist, and
/// PostVodPlaylist read back by ffprobe) are fMP4, and the VOD holds every
/// frame of `source` in `codec` at 640x360.
fn assert_stored(
    server: &TlsServer,
    channel: &str,
    (codec, source): (Codec, &Source),
    (start_s, end_s): (u64, u64),
) {
    let live = format!("/demo/{channel}/playlist.m3u8");
    assert_fmp4_playlist(server, channel, &server.server.get(&live).1);
    let range = format!("vod&startTime={start_s}&endTime={end_s}");
    let (status, got) = server.server.get(&format!("/demo/{channel}?{range}"));
    assert_eq!(status, 200, "GetVodPlaylist: {got}");
    assert_fmp4_playlist(server, channel, &got);
    let url = server
        .server
        .url(&post_vod(server, channel, (start_s, end_s)));
    let (video, audio, errors) = count_frames(Path::new(&url));
    eprintln!("{channel}: VOD {video} video, {audio} audio frames");
    assert_eq!(errors.trim(), "", "ffprobe {url}");
    assert_eq!((video, audio), (source.video, source.audio), "{channel}");
    assert_eq!(video_stream(&url), format!("{},640,360", codec.probe));
}

/// Unix seconds now, rounded down (`up`: up), for a VOD range.
fn unix_s(up: bool) -> u64 {
    let ms = now_ms();
    if up {
        ms.div_ceil(1000)
    } else {
        ms / 1000
    }
}

/// `codec` pushed three ways to one server, each to its own channel: in
/// real time over `realtime` (Stat checked meanwhile), and, while that
/// goes on, as fast as possible over RTMP, then over RTMPS. Each
/// channel's VOD holds every source frame.
fn every_frame_stored(codec: Codec, realtime: Transport) {
    let Some(ffmpeg) = ffmpeg9_tools() else {
        return;
    };
    let source = source(&ffmpeg, codec);
    let (_dir, server) = TlsServer::start_new();
    let fast = [("fast", Transport::Rtmp), ("fast-tls", Transport::Rtmps)];
    for channel in ["live"].iter().chain(fast.iter().map(|(c, _)| c)) {
        server.create(channel);
    }
    let start_s = unix_s(false);
    let clock = Instant::now();
    let live = push(&ffmpeg, &server, &source.path, ("live", realtime), true);
    assert_stat_during_push(&server, "live", codec);
    for (channel, transport) in fast {
        let fast_clock = Instant::now();
        let pushed = push(&ffmpeg, &server, &source.path, (channel, transport), false);
        push_succeeded(pushed, &server, channel);
        let took = fast_clock.elapsed();
        eprintln!("{}: {channel} pushed in {took:.2?}", codec.probe);
        assert!(took < Duration::from_secs(3), "not faster than real time");
    }
    push_succeeded(live, &server, "live");
    eprintln!(
        "{}: the real-time push over {realtime:?} took {:.2?}",
        codec.probe,
        clock.elapsed()
    );
    let channels = ["live", "fast", "fast-tls"];
    channels.iter().for_each(|c| server.server.wait_ended(c));
    let span = (start_s, unix_s(true));
    for channel in channels {
        assert_stored(&server, channel, (codec, source), span);
    }
}

#[test]
fn hevc_over_rtmp_and_rtmps_in_real_time_and_fast_keeps_every_frame() {
    every_frame_stored(HEVC, Transport::Rtmps);
}

#[test]
fn av1_over_rtmp_and_rtmps_in_real_time_and_fast_keeps_every_frame() {
    every_frame_stored(AV1, Transport::Rtmp);
}

/// An HEVC push to `channel` on a `--h264-only` server (data in `data`)
/// fails, FFmpeg prints the server's reason, the log says why the publish
/// ended, and nothing of it is stored.
fn assert_refused(
    ffmpeg: &Path,
    (server, data): (&TlsServer, &Path),
    source: &Source,
    (channel, transport): (&str, Transport),
) {
    server.create(channel);
    // In real time: FFmpeg reads server messages only after a write, and a
    // push as fast as possible may have written the whole 6 s into the
    // socket buffers (and exit well) before the refusal comes (2 of 30
    // over RTMPS did).
    let out = push(ffmpeg, server, &source.path, (channel, transport), true)
        .wait_with_output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{channel}: the push went through");
    // FFmpeg prints an onStatus of level error as "Server error: ...".
    assert!(
        said.contains("Server error: H265 video is refused"),
        "{channel} over {transport:?}: ffmpeg said: {said}\nserver: {}",
        server.log()
    );
    server.wait_for_log(
        "why the publish ended",
        &[
            "publish ended: H265 video is refused",
            &format!("channel=\"{channel}\""),
        ],
    );
    let (status, _) = server.server.get(&format!("/demo/{channel}/playlist.m3u8"));
    assert_eq!(status, 404, "{channel}: a live playlist was stored");
    let stored = files_under(&data.join("demo").join(channel));
    assert!(stored.is_empty(), "stored for a refused push: {stored:?}");
}

#[test]
fn h264_only_refuses_hevc_saying_why_and_stores_nothing() {
    let Some(ffmpeg) = ffmpeg9_tools() else {
        return;
    };
    let source = source(&ffmpeg, HEVC);
    let (dir, server) = TlsServer::start_new_with(&["--h264-only"]);
    let data = dir.path().join("data");
    for refused in [("plain", Transport::Rtmp), ("tls", Transport::Rtmps)] {
        assert_refused(&ffmpeg, (&server, &data), source, refused);
    }
    // H.264 still goes through, and is stored where the refused channels'
    // objects would have been (so the check above looks in the right place).
    server.create("h264");
    let pushed = push(
        &ffmpeg,
        &server,
        &fixture(H264_SOURCE),
        ("h264", Transport::Rtmp),
        false,
    );
    push_succeeded(pushed, &server, "h264");
    server.server.wait_ended("h264");
    let stored = files_under(&data.join("demo/h264"));
    assert!(
        stored.iter().any(|f| f.ends_with("playlist.m3u8")),
        "{stored:?}"
    );
}

/// The H.264 fixture pushed in the browser test: 8 s, with B-frames.
const H264_SOURCE: &str = "high_bframes_gop2s_aac44k.flv";

/// Replaces the page (same origin as the server) with a bare video
/// element and the server's hls.js (`/-/hls.min.js`, the console's).
async fn bare_player_page(client: &Client, server: &TlsServer) {
    client
        .goto(&server.server.url("/-/status.json"))
        .await
        .unwrap();
    let loaded = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               document.body.innerHTML = '<video id="video" muted playsinline></video>';
               const script = document.createElement('script');
               script.src = '/-/hls.min.js';
               script.onload = () => done(Hls.isSupported());
               script.onerror = () => done(false);
               document.head.appendChild(script);"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(loaded, true, "hls.js loaded and MSE supported");
}

/// Plays `path` with a new hls.js, keeping every error event and the
/// codecs hls.js found in the init segment in `window.seen`.
const PLAY: &str = r#"
if (window.hls) window.hls.destroy();
const video = document.getElementById('video');
window.seen = { errors: [], codecs: {} };
const hls = new Hls();
hls.on(Hls.Events.ERROR, (_, d) => window.seen.errors.push(
  { fatal: d.fatal, type: d.type, details: d.details, reason: String(d.reason || d.error || '') }));
hls.on(Hls.Events.BUFFER_CODECS, (_, tracks) => {
  for (const [kind, track] of Object.entries(tracks)) if (track && track.codec) window.seen.codecs[kind] = track.codec;
});
hls.loadSource(arguments[0]);
hls.attachMedia(video);
video.play().catch(() => {});
window.hls = hls;
"#;

/// What the page has seen: currentTime, fatal errors, codecs, and whether
/// MSE takes each codec hls.js named.
const SEEN: &str = r#"
const seen = window.seen;
const supported = Object.values(seen.codecs).map(c =>
  c + ': ' + MediaSource.isTypeSupported('video/mp4; codecs="' + c + '"'));
return { time: document.getElementById('video').currentTime,
         fatal: seen.errors.filter(e => e.fatal), errors: seen.errors,
         codecs: seen.codecs, supported };
"#;

/// hls.js plays `path` past 2.5 s without a fatal error, and one codec
/// it found in the init segment starts with `codec` (e.g. `av01`).
async fn plays(client: &Client, server: &TlsServer, path: &str, codec: &str) {
    client
        .execute(PLAY, vec![server.server.url(path).into()])
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = client.execute(SEEN, vec![]).await.unwrap();
        let fatal = seen["fatal"].as_array().is_some_and(|f| !f.is_empty());
        assert!(!fatal, "{path}: {seen}");
        if seen["time"].as_f64().unwrap_or(0.0) > 2.5 {
            assert!(found_codec(&seen, codec), "{path}: {seen}");
            eprintln!("{path} plays: {seen}");
            return;
        }
        assert!(Instant::now() < deadline, "{path} did not play: {seen}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Whether a codec hls.js found (in [`SEEN`]'s answer) starts with
/// `codec`. One init segment holds both tracks, so hls.js names them
/// together (`audiovideo`: "mp4a.40.2,av01...").
fn found_codec(seen: &serde_json::Value, codec: &str) -> bool {
    seen["codecs"]
        .as_object()
        .into_iter()
        .flat_map(|codecs| codecs.values())
        .filter_map(|c| c.as_str())
        .flat_map(|c| c.split(','))
        .any(|c| c.starts_with(codec))
}

#[test]
fn hls_js_in_chromium_plays_av1_and_h264_in_fmp4() {
    let Some(ffmpeg) = ffmpeg9_tools() else {
        return;
    };
    if !have("chromium") || !have("chromedriver") {
        return;
    }
    let av1 = source(&ffmpeg, AV1);
    let (_dir, server) = TlsServer::start_new_with(&["--segment-format", "fmp4"]);
    let start_s = unix_s(false);
    for (channel, file) in [("av1", av1.path.clone()), ("h264", fixture(H264_SOURCE))] {
        server.create(channel);
        let pushed = push(&ffmpeg, &server, &file, (channel, Transport::Rtmp), false);
        push_succeeded(pushed, &server, channel);
    }
    ["av1", "h264"]
        .iter()
        .for_each(|c| server.server.wait_ended(c));
    let span = (start_s, unix_s(true));
    let vods = ["av1", "h264"].map(|c| post_vod(&server, c, span));

    let profile = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (_driver, client) = browser(profile.path()).await;
        bare_player_page(&client, &server).await;
        plays(&client, &server, &vods[0], "av01").await;
        plays(&client, &server, &vods[1], "avc1").await;
        let _ = client.close().await;
    });
}
