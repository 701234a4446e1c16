//! The real oss2 Python SDK (2.19.1, in a venv made by the test) against the
//! server: channel management with paging, a signed push with ffmpeg, Stat
//! while live, history, VOD, anonymous denial, presigned reads (curl) and
//! refused signatures; path style and virtual host; signature V1, V2, V4
//! (also through STS and a credentials provider). And the README's oss2
//! example, run as written (but for the port) against the server binary
//! with its defaults, and signed as its comment says.

mod common;
mod server;

use std::path::Path;
use std::process::Command;

use common::fixture;
use common::server_process::{file_store, free_port, Server};
use livechannel_testkit::have;
use server::{TestServer, AK, SK};

fn flow(mode: &str, auth: &str) {
    if !have("ffmpeg") || !have("curl") {
        return;
    }
    let Some(python) = livechannel_testkit::oss2::python() else {
        return;
    };
    let server = TestServer::start();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oss2_flow.py");
    let mut cmd = Command::new(python);
    cmd.arg(script)
        .args([&server.http.to_string(), AK, SK])
        .arg(fixture("high_bframes_gop2s_aac44k.flv"))
        .args([mode, auth]);
    run_ok(cmd, &format!("oss2 flow ({mode}, {auth})"));
}

/// Runs a Python script without proxy settings: (success, stdout, stderr).
fn run_python(mut cmd: Command) -> (bool, String, String) {
    let out = cmd
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a Python script without proxy settings; it must print OK.
fn run_ok(cmd: Command, what: &str) {
    let (ok, stdout, stderr) = run_python(cmd);
    assert!(
        ok && stdout.contains("OK"),
        "{what} failed:\n{stdout}\n{stderr}"
    );
}

#[test]
fn oss2_sdk_path_style() {
    flow("path", "v1");
}

#[test]
fn oss2_sdk_virtual_host_through_a_proxy_setting() {
    flow("vhost", "v1");
}

#[test]
fn oss2_sdk_path_style_auth_v4() {
    flow("path", "v4");
}

#[test]
fn oss2_sdk_virtual_host_auth_v4() {
    flow("vhost", "provider-v4");
}

#[test]
fn oss2_sdk_path_style_sts_v4() {
    flow("path", "sts-v4");
}

#[test]
fn oss2_sdk_path_style_auth_v2() {
    flow("path", "v2");
}

/// The server binary's `--region`: oss2 V4 clients scoped to it are
/// served, those scoped to the default region are refused (403
/// `AccessDenied`), V1 and V2 do not care.
#[test]
fn the_region_flag_of_the_server_binary() {
    let Some(python) = livechannel_testkit::oss2::python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (http, rtmp) = (free_port(), free_port());
    let server = Server::start_with(&file_store(dir.path()), http, rtmp, |cmd| {
        cmd.args(["--region", "eu-central-1", "--access-key", "AK1:SK1"]);
        cmd.args(["--bucket", "regional:private"]);
    });
    let script = r#"
import sys, oss2
endpoint = 'http://127.0.0.1:' + sys.argv[1]
def bucket(version, region):
    return oss2.Bucket(oss2.make_auth('AK1', 'SK1', version), endpoint, 'regional', region=region)
bucket('v4', 'eu-central-1').put_object('k', b'v')
assert bucket('v4', 'eu-central-1').get_object('k').read() == b'v'
assert bucket('v1', None).get_object('k').read() == b'v'
assert bucket('v2', None).get_object('k').read() == b'v'
try:
    bucket('v4', 'cn-hangzhou').get_object('k')
    raise AssertionError('the default region was accepted')
except oss2.exceptions.AccessDenied as e:
    assert e.status == 403 and 'eu-central-1' in e.message, (e.status, e.message)
print('OK')
"#;
    let mut cmd = Command::new(python);
    cmd.args(["-c", script, &server.http.to_string()]);
    run_ok(cmd, "--region eu-central-1");
}

/// The README's oss2 example, as a script for the server at `port`.
fn readme_example(port: u16) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let start = readme
        .find("```python\n")
        .expect("a python block in README.md")
        + 10;
    let end = start + readme[start..].find("```").unwrap();
    let script = &readme[start..end];
    assert!(script.contains("127.0.0.1:8080"), "{script}");
    script.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
}

/// Run `script`; the RTMP URL it prints, pushed to with ffmpeg, publishes
/// the fixture to `demo/ch1` of `server`, whose file store is `store`.
fn run_and_push(python: &Path, script: &str, server: &Server, store: &Path) {
    let mut cmd = Command::new(python);
    cmd.args(["-c", script]);
    let (ok, stdout, stderr) = run_python(cmd);
    assert!(ok, "the README's oss2 example failed:\n{script}\n{stderr}");
    let url = stdout.trim();
    assert!(
        url.starts_with(&format!("rtmp://127.0.0.1:{}/demo/live/ch1?", server.http)),
        "{url}"
    );
    livechannel_testkit::run(
        Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(fixture("high_bframes_gop2s_aac44k.flv"))
            .args(["-c", "copy", "-f", "flv", url]),
    );
    server.wait(10, "the pushed playlist to end", || {
        let playlist =
            std::fs::read_to_string(store.join("demo/ch1/playlist.m3u8")).unwrap_or_default();
        playlist.contains("#EXT-X-ENDLIST") && playlist.contains(".ts")
    });
}

#[test]
fn the_readme_oss2_example_runs_as_written_on_the_default_server() {
    if !have("ffmpeg") || !have("curl") {
        return;
    }
    let Some(python) = livechannel_testkit::oss2::python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&file_store(dir.path()), free_port(), free_port());
    let script = readme_example(server.http);
    run_and_push(&python, &script, &server, dir.path());

    // The signed variant its comment gives, on a server started with that
    // key and `demo` private (so an unsigned request would be refused).
    let comment = script
        .lines()
        .find(|l| l.contains("--access-key"))
        .expect("the comment on signing");
    let key = comment
        .split("--access-key ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .trim_end_matches(':');
    let auth = &comment[comment.find("oss2.Auth(").unwrap()..];
    let auth = &auth[..=auth.find(')').unwrap()];
    let signed = script.replacen("oss2.AnonymousAuth()", auth, 1);
    let dir = tempfile::tempdir().unwrap();
    let (http, rtmp) = (free_port(), free_port());
    let private = Server::start_with(&file_store(dir.path()), http, rtmp, |cmd| {
        cmd.args(["--access-key", key, "--bucket", "demo:private"]);
    });
    assert_eq!(private.get("/demo/?live").0, 403, "demo is private");
    run_and_push(
        &python,
        &signed.replace(&format!(":{}", server.http), &format!(":{http}")),
        &private,
        dir.path(),
    );
}
