//! s3s-fs, a real S3 server over a local directory, for the tests that
//! need S3 (installed with [`INSTALL`]).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use livechannel_examples::s3_store::S3Store;
use object_store::aws::AmazonS3Builder;

use super::server_process::{free_port, Server};
use livechannel_testkit::cargo_installed;

use super::wait_for;

/// How to install it (the newest version that builds on rustc 1.95).
pub const INSTALL: &str = "cargo install s3s-fs --version 0.14.1 --locked --features binary";
pub const ACCESS_KEY: &str = "lc-test-access";
pub const SECRET_KEY: &str = "lc-test-secret";

/// An s3s-fs process on a free port over a temporary root directory;
/// killed when dropped.
pub struct S3sFs {
    child: Child,
    pub port: u16,
    pub root: tempfile::TempDir,
    /// The stderr of each livechannel-server started over this bucket.
    logs: tempfile::TempDir,
}

impl S3sFs {
    /// s3s-fs with an empty bucket `bucket`; None when s3s-fs is not
    /// installed (and not under CI=true, which fails instead).
    pub fn start(bucket: &str) -> Option<S3sFs> {
        let program = cargo_installed("s3s-fs", INSTALL)?;
        let root = tempfile::tempdir().unwrap();
        // A bucket is a directory under the root.
        std::fs::create_dir(root.path().join(bucket)).unwrap();
        let port = free_port();
        let child = Command::new(program)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root.path())
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("s3s-fs");
        let logs = tempfile::tempdir().unwrap();
        let s3 = S3sFs {
            child,
            port,
            root,
            logs,
        };
        wait_for(10, "s3s-fs listening", || {
            std::net::TcpStream::connect(("127.0.0.1", s3.port)).is_ok()
        });
        Some(s3)
    }

    pub fn store_url(&self, bucket: &str, prefix: Option<&str>) -> String {
        let mut url = format!(
            "s3://{bucket}?endpoint=http://127.0.0.1:{}&region=test-1",
            self.port
        );
        if let Some(p) = prefix {
            url.push_str("&prefix=");
            url.push_str(p);
        }
        url
    }

    /// A store with the test credentials (not read from the environment).
    pub fn store(&self, bucket: &str, prefix: Option<&str>) -> S3Store {
        let credentials = AmazonS3Builder::new()
            .with_access_key_id(ACCESS_KEY)
            .with_secret_access_key(SECRET_KEY);
        S3Store::from_url_with(&self.store_url(bucket, prefix), credentials).unwrap()
    }

    /// Where s3s-fs keeps the object `key` of `bucket`.
    pub fn file(&self, bucket: &str, key: &str) -> PathBuf {
        self.root.path().join(bucket).join(key)
    }

    /// The livechannel-server binary over `bucket`, credentials in its environment.
    pub fn server(&self, bucket: &str, prefix: Option<&str>, http: u16, rtmp: u16) -> Server {
        self.server_with(bucket, prefix, http, rtmp, |_| {})
    }

    /// Like [`S3sFs::server`], with more arguments from `configure`.
    pub fn server_with(
        &self,
        bucket: &str,
        prefix: Option<&str>,
        http: u16,
        rtmp: u16,
        configure: impl FnOnce(&mut Command),
    ) -> Server {
        let url = self.store_url(bucket, prefix);
        Server::start_with(&url, http, rtmp, |cmd| {
            configure(cmd);
            cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
                .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
                .env_remove("AWS_SESSION_TOKEN")
                .env_remove("AWS_PROFILE");
            // Kept for the failure report (see Drop).
            let n = std::fs::read_dir(self.logs.path()).unwrap().count();
            let log = std::fs::File::create(self.logs.path().join(format!("server-{n}.log")));
            cmd.stderr(log.unwrap());
        })
    }
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            for entry in std::fs::read_dir(self.logs.path()).into_iter().flatten() {
                let path = entry.unwrap().path();
                let log = std::fs::read_to_string(&path).unwrap_or_default();
                eprintln!("---- {} ----\n{log}", path.display());
            }
        }
    }
}
