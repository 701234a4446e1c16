//! The server binary with its RTMPS listener (`--rtmps`) and a
//! self-signed certificate, for the tests that push over TLS.

use std::path::{Path, PathBuf};

use super::server_process::{file_store, free_port, Server};
use super::wait_for;

/// A self-signed certificate for 127.0.0.1 and localhost, written as
/// `cert.pem` and `key.pem` into `dir`; returns its DER.
pub fn write_certificate(dir: &Path) -> Vec<u8> {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    std::fs::write(dir.join("cert.pem"), certified.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), certified.key_pair.serialize_pem()).unwrap();
    certified.cert.der().to_vec()
}

/// The server over a file store in `dir/data`, with `--rtmps` on a free
/// port and the certificate in `dir`; its log goes to `dir/stderr`.
pub struct TlsServer {
    pub server: Server,
    pub rtmps: u16,
    pub log: PathBuf,
    pub cert: PathBuf,
}

impl TlsServer {
    /// The server with a new certificate, in a new directory (kept alive
    /// by the `TempDir` returned with it).
    pub fn start_new() -> (tempfile::TempDir, TlsServer) {
        Self::start_new_with(&[])
    }

    /// [`TlsServer::start_new`] with more command-line arguments (e.g.
    /// `--h264-only`).
    pub fn start_new_with(args: &[&str]) -> (tempfile::TempDir, TlsServer) {
        let dir = tempfile::tempdir().unwrap();
        write_certificate(dir.path());
        let server = TlsServer::start_with(dir.path(), args);
        (dir, server)
    }

    pub fn start(dir: &Path) -> TlsServer {
        Self::start_with(dir, &[])
    }

    pub fn start_with(dir: &Path, args: &[&str]) -> TlsServer {
        let (http, rtmp, rtmps) = (free_port(), free_port(), free_port());
        let log = dir.join("stderr");
        let stderr = std::fs::File::create(&log).unwrap();
        let server = Server::start_with(&file_store(&dir.join("data")), http, rtmp, |cmd| {
            cmd.arg("--rtmps")
                .arg(format!("127.0.0.1:{rtmps}"))
                .arg("--tls-cert")
                .arg(dir.join("cert.pem"))
                .arg("--tls-key")
                .arg(dir.join("key.pem"))
                .args(args)
                .stderr(stderr);
        });
        TlsServer {
            server,
            rtmps,
            log,
            cert: dir.join("cert.pem"),
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    /// Waits until the log has a line containing every one of `parts`.
    pub fn wait_for_log(&self, what: &str, parts: &[&str]) {
        wait_for(10, what, || {
            self.log()
                .lines()
                .any(|l| parts.iter().all(|p| l.contains(p)))
        });
    }

    /// Channel `demo/CHANNEL` with room in the live playlist for a whole
    /// push of up to 40 s (2 s segments, 20 of them).
    pub fn create(&self, channel: &str) {
        let xml = "<LiveChannelConfiguration><Target><Type>HLS</Type><FragDuration>2</FragDuration><FragCount>20</FragCount></Target></LiveChannelConfiguration>";
        let (status, body) = self
            .server
            .curl("PUT", &format!("/demo/{channel}?live"), Some(xml));
        assert_eq!(status, 200, "{body}");
    }

    /// The RTMPS publish URL of `demo/CHANNEL`.
    pub fn url(&self, channel: &str) -> String {
        format!("rtmps://127.0.0.1:{}/live/{channel}", self.rtmps)
    }
}
