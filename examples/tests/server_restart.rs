//! The livechannel-server binary over a file store: state survives a
//! restart; `kill -9` during a publish loses nothing written before it and
//! no playlist names a missing segment; SIGTERM ends publishes cleanly
//! (last segment stored, ENDLIST, history) before exiting.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::server_process::{create, file_store, free_port, Server};
use livechannel_testkit::have;

/// The fixture every publish of these tests sends.
const SOURCE: &str = "long_gop_5s.flv";

#[test]
fn kill_9_during_a_publish_loses_nothing_written_before_it() {
    if !have("ffmpeg") || !have("curl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (http, rtmp) = (free_port(), free_port());
    // Small chunks: the fixture's segments are uploaded in several, so the
    // kill catches half-written segments in the upload directory.
    let small_chunks = |cmd: &mut Command| {
        cmd.args(["--segment-chunk-kib", "4"]);
    };
    let mut server = Server::start_with(&file_store(dir.path()), http, rtmp, small_chunks);
    create(&server, "ch");
    // A complete earlier session, so there is history to keep.
    let mut first = server.push("ch", SOURCE);
    assert!(first.wait().unwrap().success());
    server.wait(10, "history", || {
        server
            .get("/demo/ch?live&comp=history")
            .1
            .contains("<LiveRecord>")
    });
    let half_segments = || -> usize {
        let Ok(dirs) = std::fs::read_dir(dir.path().join(".tmp-uploads")) else {
            return 0;
        };
        dirs.flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
            .filter(|f| f.as_ref().unwrap().path().extension() == Some("part".as_ref()))
            .count()
    };
    let mut push = server.push("ch", SOURCE);
    server.wait(
        15,
        "segments of the second session, and one half written",
        || {
            let playlist = server.check_playlist("ch");
            playlist.matches(".ts").count() >= 3
                && !playlist.contains("ENDLIST")
                && half_segments() > 0
        },
    );
    let index_before: Vec<String> =
        std::fs::read_dir(dir.path().join(".livechannel/index/demo/ch"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
    // kill -9 the server in the middle of the publish.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let _ = push.wait();
    drop(server);

    let uploads = || -> Vec<_> {
        std::fs::read_dir(dir.path().join(".tmp-uploads"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    };
    let dead = uploads();
    assert_eq!(
        dead.len(),
        1,
        "the killed server's upload directory: {dead:?}"
    );

    let server = Server::start_with(&file_store(dir.path()), http, rtmp, small_chunks);
    // The dead server's upload directory and its half segment are gone;
    // only the new server's is there.
    let now = uploads();
    assert!(now.len() == 1 && now != dead, "{dead:?} -> {now:?}");
    assert_eq!(half_segments(), 0);
    let (status, info) = server.get("/demo/ch?live");
    assert_eq!(status, 200, "{info}");
    assert!(
        info.contains("<Description>kept</Description>")
            && info.contains("<FragDuration>1</FragDuration>"),
        "{info}"
    );
    assert!(
        server
            .get("/demo/ch?live&comp=history")
            .1
            .contains("<LiveRecord>"),
        "history survives"
    );
    let stat = server.get("/demo/ch?live&comp=stat").1;
    assert!(stat.contains("<Status>Idle</Status>"), "{stat}");
    server.check_resumes_after_kill("ch", &index_before, SOURCE);
}

#[cfg(unix)]
#[test]
fn sigterm_ends_publishes_cleanly_and_state_survives_a_restart() {
    if !have("ffmpeg") || !have("curl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (http, rtmp) = (free_port(), free_port());
    let mut server = Server::start(&file_store(dir.path()), http, rtmp);
    create(&server, "ch");
    let mut push = server.push("ch", SOURCE);
    server.wait(15, "Live", || {
        server
            .get("/demo/ch?live&comp=stat")
            .1
            .contains("<Status>Live</Status>")
    });
    std::thread::sleep(Duration::from_secs(3));
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "graceful exit: {exit:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let _ = push.wait();
    drop(server);

    let server = Server::start(&file_store(dir.path()), http, rtmp);
    let playlist = server.check_playlist("ch");
    assert!(
        playlist.contains("#EXT-X-ENDLIST"),
        "the last segment is stored and the playlist ended: {playlist}"
    );
    assert_eq!(
        server
            .get("/demo/ch?live&comp=history")
            .1
            .matches("<LiveRecord>")
            .count(),
        1
    );
    assert!(server.get("/demo/?live").1.contains("<Name>ch</Name>"));
}
