//! The commands livechannel-server prints at start work when pasted: the
//! test reads them from the server's stderr and runs them through `sh`
//! (create a channel with curl, push with ffmpeg to the URL PutLiveChannel
//! answered, store a VOD playlist with curl), and reads the two playable
//! URLs with ffprobe where a user would run ffplay. Changes to a command:
//! the push is limited to 12 s (`-t 12` before the output) and quiet.

mod common;

use std::process::{Command, Stdio};

use common::server_process::{file_store, free_port, Server};
use livechannel_testkit::have;

/// The commands in the banner, in order, as printed (one per line).
fn banner_commands(banner: &str) -> Vec<String> {
    banner
        .lines()
        .map(str::trim)
        .filter(|l| {
            ["curl ", "ffmpeg ", "ffplay "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .map(str::to_owned)
        .collect()
}

/// Run `line` through `sh -c`; its stdout, failing the test when it fails.
fn sh(line: &str) -> String {
    livechannel_testkit::run(Command::new("sh").args(["-c", line])).0
}

/// The codecs ffprobe finds at `url`, each once.
fn codecs(url: &str) -> Vec<String> {
    let (out, _) = livechannel_testkit::run(Command::new("ffprobe").args([
        "-v",
        "error",
        "-show_entries",
        "stream=codec_name",
        "-of",
        "csv=p=0",
        url,
    ]));
    let mut names: Vec<String> = out
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The URL in `<Element><Url>...</Url>` of an XML answer.
fn url_in(xml: &str, element: &str) -> String {
    let start = xml
        .find(&format!("<{element}><Url>"))
        .unwrap_or_else(|| panic!("no {element} in {xml}"))
        + element.len()
        + 7;
    let end = start + xml[start..].find("</Url>").unwrap();
    xml[start..end].to_owned()
}

#[test]
fn the_banner_commands_work_when_pasted() {
    if !have("curl") || !have("ffmpeg") || !have("ffprobe") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr");
    let (http, rtmp) = (free_port(), free_port());
    let stderr = std::fs::File::create(&log).unwrap();
    let server = Server::start_with(&file_store(&dir.path().join("data")), http, rtmp, |cmd| {
        cmd.stderr(stderr);
    });
    let banner = std::fs::read_to_string(&log).unwrap();
    let commands = banner_commands(&banner);
    let [create, push, play_live, post_vod, play_vod] = &commands[..] else {
        panic!("expected curl, ffmpeg, ffplay, curl, ffplay in the banner: {banner}");
    };
    assert!(create.starts_with("curl -X PUT"), "{create}");
    assert!(push.starts_with("ffmpeg "), "{push}");
    assert!(play_live.starts_with("ffplay "), "{play_live}");
    assert!(post_vod.starts_with("curl -X POST"), "{post_vod}");
    assert!(play_vod.starts_with("ffplay "), "{play_vod}");

    // PutLiveChannel names the URLs the banner pushes to and plays.
    let created = sh(create);
    let publish_url = url_in(&created, "PublishUrls");
    assert!(
        push.ends_with(&format!(" {publish_url}")),
        "the banner pushes elsewhere than PublishUrls ({publish_url}): {push}"
    );
    let live_url = play_live.strip_prefix("ffplay ").unwrap();
    assert_eq!(live_url, url_in(&created, "PlayUrls"));

    let limited =
        push.replacen("ffmpeg ", "ffmpeg -v error ", 1)
            .replacen(" -f flv ", " -t 12 -f flv ", 1);
    let mut pushing = Command::new("sh")
        .args(["-c", &limited])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    server.wait(20, "two live segments", || {
        common::curl(live_url, "GET", None).1.matches(".ts").count() >= 2
    });
    assert_eq!(codecs(live_url), ["aac", "h264"], "live");
    assert!(pushing.wait().unwrap().success(), "the push failed");
    server.wait(10, "the live playlist to end", || {
        common::curl(live_url, "GET", None)
            .1
            .contains("#EXT-X-ENDLIST")
    });

    // PostVodPlaylist over the last hour, then the playlist it stored.
    let posted = sh(post_vod);
    assert!(!posted.contains("<Error>"), "{posted}");
    let vod_url = play_vod.strip_prefix("ffplay ").unwrap();
    assert_eq!(codecs(vod_url), ["aac", "h264"], "vod");
    let (video, audio, errors) =
        livechannel_testkit::ffprobe::count_frames(std::path::Path::new(vod_url));
    assert_eq!(errors.trim(), "", "VOD");
    // 12 s at 30 fps; AAC at 44.1 kHz is 43 frames a second.
    assert!((350..=370).contains(&video), "VOD video frames: {video}");
    assert!((500..=540).contains(&audio), "VOD audio frames: {audio}");
}
