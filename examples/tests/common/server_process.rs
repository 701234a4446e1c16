//! The livechannel-server binary as a child process on loopback ports, for
//! the tests that restart or kill it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::fixture;

/// The server binary cargo built for the tests.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_livechannel-server"))
}

/// A loopback port nothing listens on (at the time of asking).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `livechannel-server`; killed (SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    pub http: u16,
    pub rtmp: u16,
}

impl Server {
    /// Start the server over `--store STORE` and wait until its HTTP API answers.
    pub fn start(store: &str, http: u16, rtmp: u16) -> Server {
        Self::start_with(store, http, rtmp, |_| {})
    }

    /// Like [`Server::start`], letting `configure` add to the command
    /// (environment, stderr) before it is spawned.
    pub fn start_with(
        store: &str,
        http: u16,
        rtmp: u16,
        configure: impl FnOnce(&mut Command),
    ) -> Server {
        let mut cmd = Command::new(binary());
        cmd.args([
            "--http",
            &format!("127.0.0.1:{http}"),
            "--rtmp",
            &format!("127.0.0.1:{rtmp}"),
            "--store",
            store,
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null());
        configure(&mut cmd);
        let child = cmd
            .spawn()
            .expect("livechannel-server (built by cargo test)");
        let server = Server { child, http, rtmp };
        server.wait(10, "listening", || server.get("/demo/?live").0 != 0);
        server
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        self.curl("GET", path, None)
    }

    pub fn curl(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        super::curl(&self.url(path), method, body)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http)
    }

    pub fn wait(&self, secs: u64, what: &str, f: impl FnMut() -> bool) {
        super::wait_for(secs, what, f)
    }

    /// ffmpeg publishing the fixture `source` in real time (`-re`) to `demo/live/CHANNEL`.
    pub fn push(&self, channel: &str, source: &str) -> Child {
        Command::new("ffmpeg")
            .args(["-v", "quiet", "-re", "-i"])
            .arg(fixture(source))
            .args([
                "-c",
                "copy",
                "-f",
                "flv",
                &format!("rtmp://127.0.0.1:{}/demo/live/{channel}", self.rtmp),
            ])
            .stdin(Stdio::null())
            .spawn()
            .expect("ffmpeg")
    }

    /// After a `kill -9` and a restart: the live playlist names only
    /// stored segments, every segment `indexed` before the kill (VOD index
    /// entry names) is still there, and a new publish of `source` goes
    /// through at once (the dead server's lease is this node's) with the
    /// numbering going on.
    pub fn check_resumes_after_kill(&self, channel: &str, indexed: &[String], source: &str) {
        self.check_playlist(channel);
        for name in indexed {
            let start = name.split('-').next().unwrap().trim_start_matches('0');
            assert_eq!(
                self.get(&format!("/demo/{channel}/{start}.ts")).0,
                200,
                "segment {start} lost"
            );
        }
        let mut again = self.push(channel, source);
        assert!(again.wait().unwrap().success());
        self.wait_ended(channel);
        let playlist = self.check_playlist(channel);
        assert!(
            !playlist.contains("#EXT-X-MEDIA-SEQUENCE:0\n"),
            "{playlist}"
        );
    }

    /// Wait (up to 10 s) until the publish to `demo/CHANNEL` has ended:
    /// its live playlist is ended, a little after the publisher exits.
    pub fn wait_ended(&self, channel: &str) {
        let live = format!("/demo/{channel}/playlist.m3u8");
        self.wait(10, "ENDLIST", || {
            self.get(&live).1.contains("#EXT-X-ENDLIST")
        });
    }

    /// Every segment the live playlist names is readable.
    pub fn check_playlist(&self, channel: &str) -> String {
        let (status, playlist) = self.get(&format!("/demo/{channel}/playlist.m3u8"));
        assert_eq!(status, 200, "{playlist}");
        for uri in playlist.lines().filter(|l| l.ends_with(".ts")) {
            assert_eq!(
                self.get(&format!("/demo/{channel}/{uri}")).0,
                200,
                "{uri} named by the playlist but missing"
            );
        }
        playlist
    }

    /// SIGTERM, then wait for the exit; true when the server exited successfully.
    #[cfg(unix)]
    pub fn terminate(&mut self) -> bool {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.child.wait().unwrap().success()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `file://DIR` for `--store`.
pub fn file_store(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

/// Create channel `demo/CHANNEL` (FragDuration 1 s, 3 segments, a description to check later).
pub fn create(server: &Server, channel: &str) {
    let xml = "<LiveChannelConfiguration><Description>kept</Description><Target><Type>HLS</Type><FragDuration>1</FragDuration><FragCount>3</FragCount></Target></LiveChannelConfiguration>";
    assert_eq!(
        server
            .curl("PUT", &format!("/demo/{channel}?live"), Some(xml))
            .0,
        200
    );
}
