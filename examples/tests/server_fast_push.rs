//! The OSS guide's flow, against the livechannel-server binary: push a
//! recorded file with `ffmpeg -i FILE -c copy -f flv rtmp://…` (no `-re`:
//! as fast as the link allows, much faster than real time), then
//! PostVodPlaylist over the push's wall-clock time, and over its History
//! record: the VOD holds every frame of the file. And a push with MP3
//! audio: stored without audio, as OSS does, and the server says so once.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::server_process::{create, file_store, free_port, Server};
use common::{fixture, now_ms};
use livechannel_testkit::ffprobe::{count_frames, count_packets};
use livechannel_testkit::{have, run};

/// The longest fixture: 12 s of 320x180 H.264 (5 s GOP) and AAC.
const SOURCE: &str = "long_gop_5s.flv";

/// `ffmpeg -i FILE -c copy -f flv URL`, as the OSS guide pushes a file
/// (no `-re`); fails the test if ffmpeg fails.
fn push_as_fast_as_possible(file: &Path, url: &str) {
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(["-c", "copy", "-f", "flv", url])
        .stdin(Stdio::null()));
}

fn wait_ended(server: &Server, channel: &str) {
    server.wait(20, "ENDLIST and a history record", || {
        server
            .get(&format!("/demo/{channel}/playlist.m3u8"))
            .1
            .contains("#EXT-X-ENDLIST")
            && server
                .get(&format!("/demo/{channel}?live&comp=history"))
                .1
                .contains("<LiveRecord>")
    });
}

/// How ffprobe counts a file's (video, audio) frames.
#[derive(Clone, Copy)]
enum Count {
    /// Decode them (`-count_frames`): the segments must also be decodable.
    Frames,
    /// Read the packets (`-count_packets`): for long files, no decoding.
    Packets,
}

impl Count {
    fn of(self, path: &Path) -> (u64, u64) {
        let (video, audio, errors) = match self {
            Count::Frames => count_frames(path),
            Count::Packets => count_packets(path),
        };
        assert_eq!(errors.trim(), "", "ffprobe {}", path.display());
        (video, audio)
    }
}

/// PostVodPlaylist `demo/CHANNEL/NAME` over `[start_s, end_s]`, then
/// ffprobe's (video, audio) count of it, read over HTTP as a player would.
fn post_vod_count(
    server: &Server,
    channel: &str,
    name: &str,
    (start_s, end_s): (u64, u64),
    count: Count,
) -> (u64, u64) {
    let (status, body) = server.curl(
        "POST",
        &format!("/demo/{channel}/{name}?vod&startTime={start_s}&endTime={end_s}"),
        None,
    );
    assert_eq!(status, 200, "PostVodPlaylist {start_s}..{end_s}: {body}");
    count.of(Path::new(&server.url(&format!("/demo/{channel}/{name}"))))
}

/// Unix seconds of `YYYY-MM-DDTHH:MM:SS.000Z` (History's form).
fn unix_s(iso: &str) -> u64 {
    let n = |r: std::ops::Range<usize>| iso[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Days from civil (Howard Hinnant), as the server formats them.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)) as u64
}

/// The text of each `<TAG>` in `xml`.
fn all(xml: &str, tag: &str) -> Vec<String> {
    xml.split(&format!("<{tag}>"))
        .skip(1)
        .map(|s| s.split(&format!("</{tag}>")).next().unwrap().to_owned())
        .collect()
}

/// The OSS guide's flow for `file` (`media_s` seconds of media): push it
/// without `-re` to a fresh server, then a VOD over the push's wall-clock
/// span and one over its History record both hold every frame of it.
fn documented_flow(file: &Path, media_s: u32, count: Count) {
    let source = count.of(file);
    assert!(source.0 > 0 && source.1 > 0, "{source:?}");

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&file_store(dir.path()), free_port(), free_port());
    create(&server, "ch");
    let url = format!("rtmp://127.0.0.1:{}/demo/live/ch", server.rtmp);

    let before_ms = now_ms();
    let clock = Instant::now();
    push_as_fast_as_possible(file, &url);
    let push_s = clock.elapsed().as_secs_f64();
    // The push as the server saw it ends when it ended the publish (the
    // last frames may still sit in the socket when ffmpeg exits).
    wait_ended(&server, "ch");
    let after_ms = now_ms();
    eprintln!(
        "{}: {media_s} s of media pushed in {push_s:.2} s; publish ended {:.2} s after the push began",
        file.display(),
        (after_ms - before_ms) as f64 / 1000.0
    );
    assert!(
        push_s < f64::from(media_s) / 2.0,
        "not faster than real time: {push_s:.2} s"
    );

    // PostVodPlaylist over the push's span, in OSS's whole seconds.
    let span = (before_ms / 1000, after_ms.div_ceil(1000));
    let vod = post_vod_count(&server, "ch", "push.m3u8", span, count);
    eprintln!("VOD over the push's time {span:?}: {vod:?} (video, audio); source: {source:?}");
    assert_eq!(vod, source, "VOD over the push's time");

    // And over the History record's StartTime and EndTime.
    let history = server.get("/demo/ch?live&comp=history").1;
    let (start, end) = (all(&history, "StartTime"), all(&history, "EndTime"));
    assert_eq!((start.len(), end.len()), (1, 1), "{history}");
    let span = (unix_s(&start[0]), unix_s(&end[0]));
    assert!(span.1 > span.0, "an empty History span: {history}");
    let vod = post_vod_count(&server, "ch", "history.m3u8", span, count);
    assert_eq!(vod, source, "VOD over History: {history}");
}

#[test]
fn a_file_pushed_without_re_is_all_in_a_vod_over_the_push_and_over_its_history() {
    if !have("ffmpeg") || !have("ffprobe") || !have("curl") {
        return;
    }
    documented_flow(&fixture(SOURCE), 12, Count::Frames);
}

/// The case: a 60 s 720p file (made here: 57 MB is too large to
/// commit), pushed in well under a second. Before segments were dated by
/// arrival, a VOD over the push held its first segment or two (one run:
/// 60 of 1,800 video frames, push 0.78 s).
#[test]
fn a_60_s_720p_file_pushed_without_re_is_all_in_the_vod() {
    if !have("ffmpeg") || !have("ffprobe") || !have("curl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("60s-720p.flv");
    run(Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=30",
        ])
        .args([
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100",
            "-t",
            "60",
        ])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "60",
            "-pix_fmt",
            "yuv420p",
        ])
        .args(["-c:a", "aac", "-f", "flv"])
        .arg(&file));
    documented_flow(&file, 60, Count::Packets);
}

#[test]
fn mp3_audio_is_dropped_and_the_server_says_so_once() {
    if !have("ffmpeg") || !have("ffprobe") || !have("curl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The 8 s fixture with its audio re-encoded to MP3 (FLV SoundFormat 2).
    let mp3 = dir.path().join("mp3.flv");
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(fixture("high_bframes_gop2s_aac44k.flv"))
        .args([
            "-c:v",
            "copy",
            "-c:a",
            "libmp3lame",
            "-ar",
            "44100",
            "-f",
            "flv",
        ])
        .arg(&mp3));
    let store = dir.path().join("store");
    let mut server = Server::start_with(&file_store(&store), free_port(), free_port(), |cmd| {
        cmd.stderr(Stdio::piped());
    });
    create(&server, "mp3");
    let url = format!("rtmp://127.0.0.1:{}/demo/live/mp3", server.rtmp);
    push_as_fast_as_possible(&mp3, &url);
    wait_ended(&server, "mp3");
    let now_s = now_ms() / 1000;
    let vod = post_vod_count(
        &server,
        "mp3",
        "vod.m3u8",
        (now_s - 60, now_s + 1),
        Count::Frames,
    );
    assert_eq!(vod, (240, 0), "the video, all of it, and no audio");

    assert!(server.terminate(), "the server exits cleanly");
    let mut log = String::new();
    server
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let warned: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("audio is not supported"))
        .collect();
    assert_eq!(warned.len(), 1, "one warning per publish:\n{log}");
    assert!(
        warned[0].contains("WARN")
            && warned[0].contains(
                "demo/mp3: MP3 audio is not supported (AAC only, as OSS); the stream is stored without audio"
            ),
        "{log}"
    );
}
