//! The web console in headless Chromium (driven over WebDriver by
//! chromedriver): the page lists the live channel with every column
//! labelled, and its rows and cells outlive refreshes and channels added
//! and removed; its player plays the live playlist; choosing VOD on another
//! channel stops it, and that channel's VOD range then plays alone; then a
//! VOD range of the first channel plays, with hls.js served by the server,
//! and the video's `currentTime` advances. Screenshots are kept in
//! `target/console-artifacts/` as test artifacts.

mod common;
mod server;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::chromium::browser;
use common::live_push;
use fantoccini::{Client, Locator};
use livechannel_testkit::have;
use server::{ffmpeg_push, TestServer};

/// The video's currentTime, in seconds.
async fn current_time(client: &Client) -> f64 {
    client
        .execute(
            "return document.getElementById('video').currentTime;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap_or(0.0)
}

/// Wait until the video has played `seconds`, or fail with what the page shows.
async fn wait_playing(client: &Client, seconds: f64, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let t = current_time(client).await;
        if t >= seconds {
            return;
        }
        if Instant::now() > deadline {
            let error = client
                .find(Locator::Id("player-error"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            panic!("{what}: currentTime {t} after 40 s; player error: {error:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Counts the page's hls.js players: every one made is kept in
/// `window.hlsMade`, marked when destroyed.
const COUNT_PLAYERS: &str = r#"
const Made = window.Hls;
window.hlsMade = [];
window.Hls = class extends Made {
  constructor(config) { super(config); window.hlsMade.push(this); }
  destroy() { this.destroyedByPage = true; super.destroy(); }
};
"#;

/// The players not destroyed (their source URLs), and how many video
/// elements are playing.
async fn players(client: &Client) -> (Vec<String>, u64) {
    let value = client
        .execute(
            "return [window.hlsMade.filter(h => !h.destroyedByPage).map(h => h.url),
                     [...document.querySelectorAll('video')].filter(v => !v.paused).length];",
            vec![],
        )
        .await
        .unwrap();
    let urls = value[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap_or_default().to_owned())
        .collect();
    (urls, value[1].as_u64().unwrap())
}

/// How many requests the page has made for `path`.
async fn requests_for(client: &Client, path: &str) -> u64 {
    client
        .execute(
            "return performance.getEntriesByType('resource').filter(e => e.name.includes(arguments[0])).length;",
            vec![path.into()],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

/// Wait until the console lists `channel` (or, with `listed` false, no
/// longer does), or fail after 10 s.
async fn wait_for_row(client: &Client, channel: &str, listed: bool) {
    let css = format!(r#"tr[data-channel="{channel}"]"#);
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.find(Locator::Css(&css)).await.is_ok() != listed {
        assert!(
            Instant::now() < deadline,
            "{channel} listed: {} after 10 s",
            !listed
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn screenshot(client: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/console-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

#[test]
fn the_console_lists_the_live_channel_and_plays_it_live_and_as_vod() {
    if !have("chromium") || !have("chromedriver") || !have("ffmpeg") || !have("curl") {
        return;
    }
    let server = TestServer::start();
    server.create_channel("open", "cam", 1, 3);
    // A second channel with a recording, to choose VOD on while cam plays.
    server.create_channel("open", "other", 2, 3);
    let mut recorded = ffmpeg_push(&server.rtmp_url("open", "other"), false);
    assert!(recorded.wait().unwrap().success());
    let mut push = live_push(&server.rtmp_url("open", "cam"), 20);
    server.wait_for(20, "two live segments", || {
        server
            .object("open/cam/playlist.m3u8")
            .is_some_and(|p| String::from_utf8_lossy(&p).matches(".ts").count() >= 2)
    });
    let profile = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (_driver, client) = browser(profile.path()).await;
        client.goto(&server.http_url("/")).await.unwrap();
        let row = Locator::Css(r#"tr[data-channel="open/cam"]"#);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let live = match client.find(row).await {
                Ok(el) => el.text().await.unwrap_or_default().contains("Live"),
                Err(_) => false,
            };
            if live {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the console never showed open/cam Live"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let page = client.source().await.unwrap();
        assert!(page.contains("640×360"), "the stat's size is shown");
        assert!(
            page.contains("not shown to anonymous viewers"),
            "the private bucket"
        );
        // Every column has a heading, and the store column says something
        // for a live channel.
        let headings: Vec<String> = client
            .execute(
                "return [...document.querySelectorAll('#buckets th')].map(th => th.textContent);",
                vec![],
            )
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap().to_owned())
            .collect();
        assert!(
            headings.iter().all(|h| !h.is_empty()) && headings.contains(&"store errors".to_owned()),
            "{headings:?}"
        );
        let store_errors = client
            .execute(
                "const column = [...document.querySelectorAll('#buckets th')].findIndex(th => th.textContent === 'store errors');
                 return document.querySelector('tr[data-channel=\"open/cam\"]').children[column].textContent;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(store_errors, "0", "a live channel's store errors");

        client.execute(COUNT_PLAYERS, vec![]).await.unwrap();
        // The table refreshes every 2 s; a button found before a refresh
        // must still be the one on the page after it (else a click whose
        // press and release straddle a refresh is lost).
        let play_live = client
            .find(Locator::Css(r#"tr[data-channel="open/cam"] .play-live"#))
            .await
            .unwrap();
        // Likewise a value cell (a tooltip or a selection in it would go
        // with it): the refresh changes its text, not the cell.
        let live_for = client
            .find(Locator::Css(r#"tr[data-channel="open/cam"] td:nth-child(5)"#))
            .await
            .unwrap();
        let before = live_for.text().await.unwrap();
        assert!(before.ends_with(" s"), "live for {before:?}");
        // A channel added (listed before cam) and one removed change the
        // rows, not the others: both elements above must survive that too.
        server.create_channel("open", "added", 2, 3);
        wait_for_row(&client, "open/added", true).await;
        let (status, body) = server.curl("DELETE", "/open/added?live", None);
        assert!(status < 300, "DeleteLiveChannel: {status} {body}");
        wait_for_row(&client, "open/added", false).await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let now = live_for
                .text()
                .await
                .expect("the live-for cell outlives refreshes, a channel added and one removed");
            if now != before {
                break;
            }
            assert!(Instant::now() < deadline, "live for stayed {before:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        play_live
            .click()
            .await
            .expect("the play button outlives refreshes, a channel added and one removed");
        // Several playlist refreshes: a stale cached playlist would stall here.
        wait_playing(&client, 5.0, "live").await;
        screenshot(&client, "console-live.png").await;

        // Choosing VOD on the other channel stops the live player at once...
        click(&client, r#"tr[data-channel="open/other"] .play-vod"#).await;
        assert_eq!(players(&client).await, (vec![], 0), "cam still playing");
        let heading = client.find(Locator::Id("playing")).await.unwrap();
        assert!(heading.text().await.unwrap().starts_with("open/other"));
        let fetched = requests_for(&client, "/open/cam/").await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(
            requests_for(&client, "/open/cam/").await,
            fetched,
            "cam is still loaded"
        );
        screenshot(&client, "console-vod-choose.png").await;
        // ...and its VOD range then plays, alone.
        click(&client, "#vod-play").await;
        wait_playing(&client, 3.0, "the other channel's VOD").await;
        let (urls, playing) = players(&client).await;
        assert_eq!(playing, 1, "videos playing");
        assert!(
            urls.len() == 1 && urls[0].contains("/-/vod/open/other.m3u8?"),
            "players: {urls:?}"
        );
        screenshot(&client, "console-vod-other.png").await;

        // After the publish ends, a VOD range of the whole session plays.
        assert!(push.wait().unwrap().success());
        server.wait_for_endlist(15, "open", "cam");
        click(&client, r#"tr[data-channel="open/cam"] .play-vod"#).await;
        click(&client, "#vod-play").await;
        wait_playing(&client, 3.0, "VOD").await;
        let (urls, playing) = players(&client).await;
        assert!(
            playing == 1 && urls.len() == 1 && urls[0].contains("/-/vod/open/cam.m3u8?"),
            "players: {urls:?}, {playing} playing"
        );
        screenshot(&client, "console-vod.png").await;
        let _ = client.close().await;
    });

    // SDKs and curl still get the API at `/`: ListBuckets (refused here:
    // anonymous, and the server has access keys).
    let (status, body) = server.curl("GET", "/", None);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
}
