//! `--segment-retention`: the server binary with the file store, ffmpeg
//! pushing in real time. Segments that left the live playlist are deleted
//! while the publish goes on, with their VOD index entries; what is left
//! is what the ended playlist names, every one of them readable, and the
//! store's upload directory holds no spare once the server has exited.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::server_process::{file_store, free_port, Server};
use livechannel_testkit::have;

const SOURCE: &str = "high_bframes_gop2s_aac44k.flv";

/// The files below `dir` whose names end with `suffix`, by name.
fn names(dir: &Path, suffix: &str) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n.ends_with(suffix))
                .collect()
        })
        .unwrap_or_default()
}

fn metric(server: &Server, name: &str) -> f64 {
    let (_, text) = server.get("/metrics");
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} not in /metrics"))
}

#[test]
fn old_segments_are_deleted_during_the_publish_and_the_playlists_stay() {
    if !have("ffmpeg") || !have("curl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_with(&file_store(dir.path()), free_port(), free_port(), |cmd| {
        cmd.args(["--segment-retention", "1"]);
    });
    // One segment in the playlist: each older one leaves it at once.
    let xml = "<LiveChannelConfiguration><Target><Type>HLS</Type><FragDuration>2</FragDuration>\
               <FragCount>1</FragCount></Target></LiveChannelConfiguration>";
    assert_eq!(server.curl("PUT", "/demo/r?live", Some(xml)).0, 200);

    // 8 s in real time, 2 s segments.
    let mut push = server.push("r", SOURCE);
    server.wait(15, "a segment deleted while publishing", || {
        metric(&server, "livechannel_segments_deleted_total") >= 1.0
            && metric(&server, "livechannel_publishers") == 1.0
    });
    assert!(push.wait().unwrap().success());
    server.wait_ended("r");

    let playlist = server.check_playlist("r");
    let named: BTreeSet<String> = playlist
        .lines()
        .filter(|l| l.ends_with(".ts"))
        .map(str::to_owned)
        .collect();
    assert_eq!(named.len(), 1, "{playlist}");
    assert_eq!(names(&dir.path().join("demo/r"), ".ts"), named);
    let index = names(&dir.path().join(".livechannel/index/demo/r"), "");
    assert_eq!(index.len(), 1, "{index:?}");
    let deleted = metric(&server, "livechannel_segments_deleted_total");
    let written = metric(&server, "livechannel_segments_written_total");
    assert_eq!(deleted + 1.0, written);

    assert!(server.terminate());
    let uploads = dir.path().join(".tmp-uploads");
    for d in std::fs::read_dir(uploads).unwrap() {
        assert_eq!(names(&d.unwrap().path(), ".part"), BTreeSet::new());
    }
}
