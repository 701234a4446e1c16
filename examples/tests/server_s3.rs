//! The S3 store against a real S3 server, s3s-fs (an S3 implementation
//! over a local directory, installed with
//! `cargo install s3s-fs --version 0.14.1 --locked --features binary`):
//! the `ObjectStore` contract (put, ranges, head, delete, listing pages,
//! put_if_absent), then the livechannel-server binary with
//! `--store s3://...`: ffmpeg publishes, ffprobe reads the live playlist
//! and the VOD, the objects are in the bucket's directory, and SIGTERM or
//! `kill -9` then a restart over the same bucket lose nothing.
//!
//! s3s-fs answers `If-None-Match: *` with 412 when the object exists, but
//! checks and writes without a lock: two concurrent conditional puts of one
//! key usually both succeed. Against it the race test only checks what
//! our side controls. To hold a real S3 service (MinIO, AWS S3, ...) to
//! strict exclusivity, point the store tests at one:
//! `LIVECHANNEL_TEST_S3='s3://BUCKET?endpoint=URL&region=R'` (no prefix:
//! each test writes under a fresh `livechannel-test-...` prefix and leaves
//! its objects there) with credentials in `AWS_ACCESS_KEY_ID` and
//! `AWS_SECRET_ACCESS_KEY`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::s3s::S3sFs;
use common::server_process::{create, free_port, Server};
use livechannel::store::{ObjectStore, StoreError};
use livechannel_examples::s3_store::S3Store;
use livechannel_testkit::ffprobe::count_frames;
use livechannel_testkit::have;

/// The fixture the server tests publish: 240 video and 346 audio frames, 8 s.
const SOURCE: &str = "high_bframes_gop2s_aac44k.flv";

/// Where the store tests run: s3s-fs (bucket `media`), or the bucket named
/// by `LIVECHANNEL_TEST_S3` under a fresh prefix.
enum Target {
    Local(S3sFs),
    Remote { url: String, prefix: String },
}

impl Target {
    /// None when the test is to be skipped.
    fn start() -> Option<Target> {
        match std::env::var("LIVECHANNEL_TEST_S3") {
            Ok(url) if !url.is_empty() => {
                static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let prefix = format!(
                    "livechannel-test-{}-{}-{}",
                    common::now_ms(),
                    std::process::id(),
                    N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                );
                Some(Target::Remote { url, prefix })
            }
            _ => S3sFs::start("media").map(Target::Local),
        }
    }

    /// The store, under `sub` (a further key prefix) when given.
    fn store(&self, sub: Option<&str>) -> S3Store {
        match self {
            Target::Local(s3) => s3.store("media", sub),
            Target::Remote { url, prefix } => {
                let prefix = match sub {
                    Some(sub) => format!("{prefix}/{sub}"),
                    None => prefix.clone(),
                };
                let sep = if url.contains('?') { '&' } else { '?' };
                S3Store::from_url(&format!("{url}{sep}prefix={prefix}")).unwrap()
            }
        }
    }

    /// The file s3s-fs keeps `key` in (None for a remote bucket).
    fn file(&self, key: &str) -> Option<PathBuf> {
        match self {
            Target::Local(s3) => Some(s3.file("media", key)),
            Target::Remote { .. } => None,
        }
    }
}

fn b(data: &'static str) -> Bytes {
    Bytes::from_static(data.as_bytes())
}

fn keys(page: &livechannel::store::ListPage) -> Vec<&str> {
    page.objects.iter().map(|m| m.key.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_ranges_head_delete() {
    let Some(target) = Target::start() else {
        return;
    };
    let store = target.store(None);

    let put = store
        .put("demo/ch/1000.ts", b("0123456789"), "video/MP2T")
        .await
        .unwrap();
    assert_eq!((put.key.as_str(), put.size), ("demo/ch/1000.ts", 10));
    assert!(
        !put.etag.is_empty() && !put.etag.as_str().contains('"'),
        "{}",
        put.etag
    );
    assert_eq!(put.etag.as_str(), put.etag.as_str().to_ascii_uppercase());
    if let Some(file) = target.file("demo/ch/1000.ts") {
        // s3s-fs's ETag is the MD5, like AWS S3's for a simple upload.
        assert_eq!(put.etag, livechannel::store::etag(b"0123456789"));
        assert_eq!(std::fs::read(file).unwrap(), b"0123456789");
    }

    let whole = store.get("demo/ch/1000.ts", None).await.unwrap();
    assert_eq!(whole.data, b("0123456789"));
    assert_eq!(whole.range, None);
    assert_eq!(
        (
            whole.meta.size,
            whole.meta.etag.as_str(),
            whole.meta.content_type.as_str()
        ),
        (10, put.etag.as_str(), "video/MP2T")
    );
    let age = std::time::SystemTime::now()
        .duration_since(whole.meta.last_modified)
        .unwrap_or_default();
    assert!(age < Duration::from_secs(60), "last modified {age:?} ago");

    // Ranges: inside, clamped at the end, past the end, empty.
    let part = store.get("demo/ch/1000.ts", Some(2..4)).await.unwrap();
    assert_eq!(
        (part.data, part.range, part.meta.size),
        (b("23"), Some(2..4), 10)
    );
    let tail = store.get("demo/ch/1000.ts", Some(8..20)).await.unwrap();
    assert_eq!((tail.data, tail.range), (b("89"), Some(8..10)));
    // `Range: bytes=7-` (what ffmpeg sends) reaches the store as 7..u64::MAX.
    let open = store.get("demo/ch/1000.ts", Some(7..u64::MAX)).await;
    let open = open.unwrap();
    assert_eq!((open.data, open.range), (b("789"), Some(7..10)));
    for range in [10..12, 30..40, 5..5, 10..u64::MAX] {
        let start = range.start;
        match store.get("demo/ch/1000.ts", Some(range)).await {
            Err(StoreError::RangeNotSatisfiable {
                key,
                start: s,
                size,
            }) => assert_eq!((key.as_str(), s, size), ("demo/ch/1000.ts", start, 10)),
            other => panic!("range from {start}: {other:?}"),
        }
    }

    let head = store.head("demo/ch/1000.ts").await.unwrap();
    assert_eq!(
        (head.size, head.etag.as_str(), head.content_type.as_str()),
        (10, put.etag.as_str(), "video/MP2T")
    );

    // Overwriting replaces data and content type.
    let again = store
        .put("demo/ch/1000.ts", b("#EXTM3U\n"), "application/x-mpegURL")
        .await
        .unwrap();
    let head = store.head("demo/ch/1000.ts").await.unwrap();
    assert_eq!(
        (head.size, head.etag, head.content_type.as_str()),
        (8, again.etag, "application/x-mpegURL")
    );

    // Empty objects (the VOD index entries) and keys with unusual characters.
    for key in [
        ".livechannel/index/demo/ch/0000000000001000-2000-0",
        "a b/c+d%20e~f.txt",
    ] {
        store.put(key, Bytes::new(), "").await.unwrap();
        let o = store.get(key, None).await.unwrap();
        assert_eq!(
            (o.meta.key.as_str(), o.meta.size, o.data.len()),
            (key, 0, 0)
        );
        if let Some(file) = target.file(key) {
            assert!(file.is_file(), "{key} stored as {}", file.display());
        }
    }
    let page = store.list("a b/", "", 10).await.unwrap();
    assert_eq!(keys(&page), ["a b/c+d%20e~f.txt"]);

    // Missing objects, deletes (deleting a missing object is fine).
    for missing in [
        store.get("nope", None).await.err(),
        store.head("nope").await.err(),
    ] {
        assert_eq!(missing, Some(StoreError::NotFound { key: "nope".into() }));
    }
    store.delete("demo/ch/1000.ts").await.unwrap();
    assert!(matches!(
        store.get("demo/ch/1000.ts", Some(0..1)).await,
        Err(StoreError::NotFound { .. })
    ));
    store.delete("demo/ch/1000.ts").await.unwrap();
    if let Some(file) = target.file("demo/ch/1000.ts") {
        assert!(!file.exists());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn listing_pages_in_byte_order_and_prefixes_isolate() {
    let Some(target) = Target::start() else {
        return;
    };
    let store = Arc::new(target.store(None));
    // (s3s-fs, like the file store, cannot hold both `a` and `a/1`: a file
    // and a directory of one name.)
    for k in [
        "a/1",
        "a/2",
        "a/3",
        "b/1",
        "a-",
        "a/sub/x",
        ".livechannel/x",
        "a0",
    ] {
        store.put(k, b("x"), "text/plain").await.unwrap();
    }
    let page = store.list("a/", "", 2).await.unwrap();
    assert_eq!((keys(&page), page.truncated), (vec!["a/1", "a/2"], true));
    let page = store.list("a/", "a/2", 2).await.unwrap();
    assert_eq!(
        (keys(&page), page.truncated),
        (vec!["a/3", "a/sub/x"], false)
    );
    // Byte order: '-' < '/' < '0'.
    let page = store.list("", "", 100).await.unwrap();
    assert_eq!(
        (keys(&page), page.truncated),
        (
            vec![
                ".livechannel/x",
                "a-",
                "a/1",
                "a/2",
                "a/3",
                "a/sub/x",
                "a0",
                "b/1"
            ],
            false
        )
    );
    let page = store.list("a", "a-", 1).await.unwrap();
    assert_eq!((keys(&page), page.truncated), (vec!["a/1"], true));
    assert_eq!(page.objects[0].size, 1);
    let page = store.list("a/", "", 0).await.unwrap();
    assert_eq!((keys(&page), page.truncated), (vec![], true));
    let page = store.list("zzz", "", 10).await.unwrap();
    assert_eq!((keys(&page), page.truncated), (vec![], false));

    // More keys than one S3 response holds (1000): continuation tokens are followed.
    let mut tasks = Vec::new();
    for i in 0..1003 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .put(&format!("many/{i:04}"), Bytes::new(), "")
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let page = store.list("many/", "", 1002).await.unwrap();
    assert_eq!((page.objects.len(), page.truncated), (1002, true));
    assert!(page.objects.windows(2).all(|w| w[0].key < w[1].key));
    assert_eq!(page.objects[1001].key, "many/1001");
    let page = store.list("many/", "many/1001", 1000).await.unwrap();
    assert_eq!((keys(&page), page.truncated), (vec!["many/1002"], false));

    // A prefixed store sees only its own keys, without the prefix; its
    // objects are under the prefix in the bucket.
    let inner = target.store(Some("tenant/one"));
    inner.put("a/1", b("inner"), "text/plain").await.unwrap();
    if let Some(file) = target.file("tenant/one/a/1") {
        assert_eq!(std::fs::read(file).unwrap(), b"inner");
    }
    let page = inner.list("", "", 10).await.unwrap();
    assert_eq!((keys(&page), page.truncated), (vec!["a/1"], false));
    let page = inner.list("a/", "a/0", 10).await.unwrap();
    assert_eq!(keys(&page), ["a/1"]);
    assert_eq!(inner.get("a/1", None).await.unwrap().data, b("inner"));
    assert_eq!(store.get("a/1", None).await.unwrap().data, b("x"));
    assert_eq!(
        keys(&store.list("tenant/", "", 10).await.unwrap()),
        ["tenant/one/a/1"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn put_if_absent_is_exclusive() {
    let Some(target) = Target::start() else {
        return;
    };
    let store = Arc::new(target.store(None));
    let key = ".livechannel/leases/demo/ch";
    let first = store.put_if_absent(key, b("a"), "application/json").await;
    assert!(first.unwrap().is_some());
    // `If-None-Match: *` on an existing object: 412, so Ok(None).
    assert_eq!(store.put_if_absent(key, b("b"), "").await, Ok(None));
    let o = store.get(key, None).await.unwrap();
    assert_eq!(
        (o.data, o.meta.content_type.as_str()),
        (b("a"), "application/json")
    );
    store.delete(key).await.unwrap();
    assert!(store
        .put_if_absent(key, b("c"), "")
        .await
        .unwrap()
        .is_some());

    // Two publishers racing for one lease. Exactly one may win, and the
    // object must hold the winner's data; s3s-fs lets both win most of the
    // time (it checks, then writes), so there we check our side only: no
    // error, at least one winner, the object holds a winner's data, and
    // the key is taken afterwards.
    let strict = matches!(target, Target::Remote { .. });
    let rounds = 40;
    let mut both_won = 0;
    for round in 0..rounds {
        let key = format!("race/{round}");
        let attempt = |data: &'static str| {
            let (store, key) = (store.clone(), key.clone());
            tokio::spawn(async move { store.put_if_absent(&key, b(data), "").await.unwrap() })
        };
        let (one, two) = (attempt("one"), attempt("two"));
        let (one, two) = (one.await.unwrap().is_some(), two.await.unwrap().is_some());
        let stored = store.get(&key, None).await.unwrap().data;
        match (one, two) {
            (true, false) => assert_eq!(stored, b("one"), "round {round}"),
            (false, true) => assert_eq!(stored, b("two"), "round {round}"),
            (true, true) => {
                both_won += 1;
                assert!(stored == b("one") || stored == b("two"), "round {round}");
            }
            (false, false) => panic!("round {round}: nobody won"),
        }
        assert_eq!(store.put_if_absent(&key, b("late"), "").await, Ok(None));
    }
    eprintln!("put_if_absent: both racers won {both_won} of {rounds} rounds");
    if strict {
        assert_eq!(both_won, 0, "two concurrent If-None-Match: * puts both won");
    }
}

fn now_s() -> u64 {
    common::now_ms() / 1000
}

/// The files below `dir`, as `/`-separated paths relative to it.
fn files_below(dir: &Path) -> BTreeSet<String> {
    common::files_under(dir)
        .iter()
        .map(|path| {
            let rel = path.strip_prefix(dir).unwrap();
            rel.to_string_lossy().replace('\\', "/")
        })
        .collect()
}

fn ts_uris(playlist: &str) -> Vec<&str> {
    playlist.lines().filter(|l| l.ends_with(".ts")).collect()
}

fn stat(server: &Server, channel: &str) -> String {
    server.get(&format!("/demo/{channel}?live&comp=stat")).1
}

#[cfg(unix)]
#[test]
fn ffmpeg_publishes_into_s3_and_a_sigterm_restart_keeps_everything() {
    if !have("ffmpeg") || !have("ffprobe") || !have("curl") {
        return;
    }
    let Some(s3) = S3sFs::start("media") else {
        return;
    };
    let bucket_dir = s3.root.path().join("media");
    let (http, rtmp) = (free_port(), free_port());
    let mut server = s3.server("media", None, http, rtmp);
    create(&server, "ch");

    // While ffmpeg publishes: Live, and ffprobe reads the live playlist over HTTP.
    let mut push = server.push("ch", SOURCE);
    server.wait(15, "Live", || {
        stat(&server, "ch").contains("<Status>Live</Status>")
    });
    server.wait(15, "a live playlist", || {
        server.get("/demo/ch/playlist.m3u8").0 == 200
    });
    let (out, _) = livechannel_testkit::run(
        Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "stream=codec_type,width,height",
            ])
            .args(["-of", "csv=p=0"])
            .arg(server.url("/demo/ch/playlist.m3u8")),
    );
    assert!(
        out.contains("video,320,180") && out.contains("audio"),
        "{out}"
    );
    assert!(push.wait().unwrap().success());
    server.wait_ended("ch");
    let live = server.check_playlist("ch");

    // The VOD playlist names stored segments, and ffmpeg reading it over
    // HTTP finds exactly the source's frames. (GetVodPlaylist's relative
    // URIs resolve against /demo/, not /demo/ch/: ffprobe reads the same
    // playlist stored next to the segments by PostVodPlaylist.)
    let span = format!("startTime={}&endTime={}", now_s() - 3600, now_s() + 60);
    let (status, vod) = server.get(&format!("/demo/ch?vod&{span}"));
    assert_eq!(status, 200, "{vod}");
    assert!(vod.contains("#EXT-X-ENDLIST"), "{vod}");
    let segments = ts_uris(&vod);
    for uri in &segments {
        assert_eq!(server.get(&format!("/demo/ch/{uri}")).0, 200, "{uri}");
    }
    let (status, body) = server.curl("POST", &format!("/demo/ch/vod.m3u8?vod&{span}"), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.get("/demo/ch/vod.m3u8").1, vod);
    let (video, audio, errors) = count_frames(Path::new(&server.url("/demo/ch/vod.m3u8")));
    assert_eq!(errors.trim(), "");
    assert_eq!((video, audio), (240, 346));

    // Every object is really in s3s-fs's directory: segments, playlists,
    // and the records under .livechannel/.
    let files = files_below(&bucket_dir);
    for uri in &segments {
        assert!(
            files.contains(&format!("demo/ch/{uri}")),
            "{uri}: {files:?}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(bucket_dir.join("demo/ch/playlist.m3u8")).unwrap(),
        live
    );
    assert!(files.contains("demo/ch/vod.m3u8"));
    for record in [
        ".livechannel/buckets/demo",
        ".livechannel/channels/demo/ch",
        ".livechannel/history/demo/ch",
    ] {
        assert!(files.contains(record), "{record}: {files:?}");
    }
    let indexed = files
        .iter()
        .filter(|f| f.starts_with(".livechannel/index/demo/ch/"))
        .count();
    assert_eq!(indexed, segments.len(), "{files:?}");

    // A second publish, ended by SIGTERM in its middle: the server ends it
    // cleanly, and a restarted server over the same bucket has it all.
    let mut push = server.push("ch", SOURCE);
    server.wait(15, "Live again", || {
        stat(&server, "ch").contains("<Status>Live</Status>")
    });
    std::thread::sleep(Duration::from_secs(3));
    let sent = Instant::now();
    assert!(server.terminate(), "graceful exit");
    assert!(sent.elapsed() < Duration::from_secs(10));
    let _ = push.wait();
    drop(server);

    let server = s3.server("media", None, http, rtmp);
    assert!(server.get("/demo/?live").1.contains("<Name>ch</Name>"));
    let (status, info) = server.get("/demo/ch?live");
    assert_eq!(status, 200, "{info}");
    assert!(info.contains("<Description>kept</Description>"), "{info}");
    assert!(stat(&server, "ch").contains("<Status>Idle</Status>"));
    let history = server.get("/demo/ch?live&comp=history").1;
    assert_eq!(history.matches("<LiveRecord>").count(), 2, "{history}");
    let playlist = server.check_playlist("ch");
    assert!(
        playlist.contains("#EXT-X-ENDLIST"),
        "the last segment is stored and the playlist ended: {playlist}"
    );
    assert!(
        playlist != live,
        "the second session's playlist: {playlist}"
    );
    let span = format!("startTime={}&endTime={}", now_s() - 3600, now_s() + 60);
    let (status, vod) = server.get(&format!("/demo/ch?vod&{span}"));
    assert_eq!(status, 200, "{vod}");
    assert!(ts_uris(&vod).len() > segments.len(), "{vod}");
    for uri in ts_uris(&vod) {
        assert_eq!(server.get(&format!("/demo/ch/{uri}")).0, 200, "{uri}");
    }
}

#[test]
fn kill_9_during_a_publish_into_s3_loses_nothing() {
    if !have("ffmpeg") || !have("curl") {
        return;
    }
    let Some(s3) = S3sFs::start("media") else {
        return;
    };
    // Under a key prefix this time: everything lands below media/lc/.
    let prefix = Some("lc");
    let bucket_dir = s3.root.path().join("media");
    let (http, rtmp) = (free_port(), free_port());
    let mut server = s3.server("media", prefix, http, rtmp);
    create(&server, "ch");
    let mut push = server.push("ch", SOURCE);
    server.wait(15, "segments", || {
        let (status, playlist) = server.get("/demo/ch/playlist.m3u8");
        status == 200 && ts_uris(&playlist).len() >= 2 && !playlist.contains("ENDLIST")
    });
    server.check_playlist("ch");
    let indexed_before: Vec<String> =
        files_below(&bucket_dir.join("lc/.livechannel/index/demo/ch"))
            .into_iter()
            .collect();
    assert!(!indexed_before.is_empty());
    // kill -9 in the middle of the publish.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let _ = push.wait();
    drop(server);
    let top: Vec<String> = std::fs::read_dir(&bucket_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(top, ["lc"], "everything under the prefix");

    let server = s3.server("media", prefix, http, rtmp);
    let (status, info) = server.get("/demo/ch?live");
    assert_eq!(status, 200, "{info}");
    assert!(
        info.contains("<Description>kept</Description>")
            && info.contains("<FragDuration>1</FragDuration>"),
        "{info}"
    );
    assert!(stat(&server, "ch").contains("<Status>Idle</Status>"));
    server.check_resumes_after_kill("ch", &indexed_before, SOURCE);
    assert!(server
        .get("/demo/ch?live&comp=history")
        .1
        .contains("<LiveRecord>"));
}
