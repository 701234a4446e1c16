//! The real oss2 SDK against `Service::handle` behind a minimal HTTP/1.1
//! loopback server: oss2's own parsers read every answer. Our script runs
//! once per auth mode (V1, V2, V4, ProviderAuthV4, StsAuth v4/v2), and
//! oss2's own `tests/test_live_channel.py` (from its source distribution,
//! fetched with pip at run time) once per `OSS_TEST_AUTH_VERSION` v1/v2/v4.
//!
//! Needs a Python with oss2 2.19.1: `$OSS2_PYTHON`, else a venv the test
//! makes under target/oss2-venv (pip install oss2==2.19.1). Without one it
//! fails under `CI=true` and prints a loud SKIPPED line elsewhere.

mod api_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::SystemTime;

use api_support::*;
use bytes::Bytes;
use futures::executor::block_on;
use livechannel::addressing::{parse_query, Plus};
use livechannel::auth::verify_rtmp;
use livechannel::Service;
use livechannel_testkit::oss2::python;
use livechannel_testkit::skip_or_fail;

/// Serves `service` on a loopback port (one thread per connection); the port.
fn listen(service: Arc<Service>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let service = service.clone();
            std::thread::spawn(move || serve(stream, service));
        }
    });
    port
}

fn serve(stream: TcpStream, service: Arc<Service>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.trim_end().split(' ');
        let (method, target) = (
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
        );
        let mut builder = http::Request::builder()
            .method(method.as_str())
            .uri(target.as_str());
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (name, value) = h.split_once(':').unwrap();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
            builder = builder.header(name.trim(), value.trim());
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let req = builder.body(Bytes::from(body)).unwrap();
        let res = block_on(service.handle(req, SystemTime::now()));
        let mut head = format!(
            "HTTP/1.1 {} {}\r\n",
            res.status().as_u16(),
            res.status().canonical_reason().unwrap_or("")
        );
        for (name, value) in res.headers() {
            head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
        }
        head.push_str("\r\n");
        // One write: head and body in separate segments stall on delayed ACKs.
        let mut message = head.into_bytes();
        if method != "HEAD" {
            message.extend_from_slice(res.body());
        }
        out.write_all(&message).unwrap();
        out.flush().unwrap();
    }
}

const SCRIPT: &str = r#"
import datetime, email.utils, hashlib, sys, time, requests, oss2
from oss2 import exceptions as E
port, mode = sys.argv[1], sys.argv[2]
endpoint = 'http://127.0.0.1:' + port
REGION = 'cn-hangzhou'
TOKEN = 'STS/TOKEN+1='
version = mode.split('-')[-1]

def make(ak, sk):
    """The auth object of this run: v1, v2, v4, provider-v4, sts-v1, sts-v4, sts-v2."""
    if mode.startswith('sts-'):
        return oss2.StsAuth(ak, sk, TOKEN, auth_version=version)
    if mode == 'provider-v4':
        return oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(ak, sk))
    return oss2.make_auth(ak, sk, version)

auth = make('AKIDEXAMPLE', 'SECRETEXAMPLE')
service = oss2.Service(auth, endpoint, region=REGION)
bucket = oss2.Bucket(auth, endpoint, 'test-bucket', region=REGION)

def raises(cls, fn):
    try:
        fn()
    except cls as e:
        assert len(e.request_id) == 24, e.request_id
        return e
    raise AssertionError('expected %s' % cls.__name__)

bucket.create_bucket(oss2.BUCKET_ACL_PRIVATE)
assert [b.name for b in service.list_buckets().buckets] == ['test-bucket']
assert [b.name for b in oss2.BucketIterator(service)] == ['test-bucket']

info = oss2.models.LiveChannelInfo(status='enabled', description='my channel',
    target=oss2.models.LiveChannelInfoTarget(type='HLS', frag_duration=5, frag_count=3, playlist_name=''))
r = bucket.create_live_channel('test-channel', info)
assert r.publish_url == 'rtmp://127.0.0.1:%s/test-bucket/live/test-channel' % port, r.publish_url
assert r.play_url == 'http://127.0.0.1:%s/test-bucket/test-channel/playlist.m3u8' % port, r.play_url
assert len(r.request_id) == 24
g = bucket.get_live_channel('test-channel')
assert (g.description, g.status, g.target.type, g.target.frag_duration, g.target.frag_count, g.target.playlist_name) == \
    ('my channel', 'enabled', 'HLS', '5', '3', 'playlist.m3u8'), vars(g)
s = bucket.get_live_channel_stat('test-channel')
assert s.status == 'Idle', s.status
h = bucket.get_live_channel_history('test-channel')
assert len(h.records) == 2 and h.records[0].start_time == 1700000000 and h.records[0].remote_addr == '10.1.2.3:4567', vars(h.records[0])

for i in range(150):
    bucket.create_live_channel('channel-%03d' % i, info)
names = [c.name for c in oss2.LiveChannelIterator(bucket, prefix='channel-', max_keys=40)]
assert names == ['channel-%03d' % i for i in range(150)], names[:3]
page = bucket.list_live_channel(prefix='channel-', marker='', max_keys=100)
assert page.is_truncated and page.next_marker == 'channel-099' and len(page.channels) == 100
c = page.channels[0]
assert c.publish_url.endswith('/test-bucket/live/channel-000') and c.last_modified > 1700000000, vars(c)

bucket.put_live_channel_status('test-channel', 'disabled')
assert bucket.get_live_channel_stat('test-channel').status == 'Disabled'
bucket.put_live_channel_status('test-channel', 'enabled')

pl = bucket.get_vod_playlist('test-channel', 1700000000, 1700000600).playlist
assert pl.startswith('#EXTM3U') and '1700000010000.ts' in pl, pl
bucket.post_vod_playlist('test-channel', 'vod.m3u8', start_time=1700000000, end_time=1700000600)
assert bucket.get_object('test-channel/vod.m3u8').read().decode() == pl
e = raises(E.InvalidArgument, lambda: bucket.get_vod_playlist('test-channel', 1000, 2000))
assert e.details.get('Message') == 'No ts file found in specified time span.'
raises(E.InvalidArgument, lambda: bucket.post_vod_playlist('test-channel', 'vod.txt', 1700000000, 1700000600))

bad = oss2.models.LiveChannelInfo(target=oss2.models.LiveChannelInfoTarget(type='RTMP'))
raises(E.InvalidArgument, lambda: bucket.create_live_channel('bad', bad))
bad = oss2.models.LiveChannelInfo(target=oss2.models.LiveChannelInfoTarget(frag_duration=200, frag_count=3))
raises(E.InvalidArgument, lambda: bucket.create_live_channel('bad', bad))
e = raises(E.NoSuchLiveChannel, lambda: bucket.get_live_channel('nope'))
assert e.ec == '0026-00000021', e.ec
raises(E.NoSuchLiveChannel, lambda: bucket.get_live_channel_stat('nope'))
raises(E.NoSuchLiveChannel, lambda: bucket.delete_live_channel('nope'))
raises(E.NoSuchBucket, lambda: oss2.Bucket(auth, endpoint, 'no-bucket', region=REGION).get_live_channel('x'))
raises(E.AccessDenied, lambda: oss2.Bucket(oss2.AnonymousAuth(), endpoint, 'test-bucket').get_live_channel('test-channel'))
e = raises(E.SignatureDoesNotMatch, lambda: oss2.Bucket(make('AKIDEXAMPLE', 'wrong'), endpoint, 'test-bucket', region=REGION).get_live_channel('test-channel'))
assert e.status == 403 and ('CanonicalRequest' in e.details) == (version == 'v4'), (e.status, e.details)
e = raises(E.ServerError, lambda: oss2.Bucket(make('NOBODY', 'x'), endpoint, 'test-bucket', region=REGION).get_live_channel('test-channel'))
assert (e.status, e.code) == (403, 'InvalidAccessKeyId'), (e.status, e.code)

# Objects, ranges, presigned URLs, HEAD errors through x-oss-err.
r = bucket.put_object('test-channel/notes.txt', b'hello oss')
assert r.etag == hashlib.md5(b'hello oss').hexdigest().upper(), r.etag
assert bucket.get_object('test-channel/notes.txt', byte_range=(0, 4)).read() == b'hello'
meta = bucket.head_object('test-channel/notes.txt')
assert meta.content_length == 9 and meta.etag == r.etag
e = raises(E.NoSuchKey, lambda: bucket.head_object('test-channel/missing.ts'))
url = bucket.sign_url('GET', 'test-channel/notes.txt', 60)
assert requests.get(url).content == b'hello oss'
assert requests.get(endpoint + '/test-bucket/test-channel/notes.txt').status_code == 403
keys = sorted(o.key for o in oss2.ObjectIterator(bucket, prefix='test-channel/', max_keys=1))
assert keys == ['test-channel/notes.txt', 'test-channel/vod.m3u8'], keys
res = bucket.list_objects(delimiter='/')
assert res.prefix_list == ['test-channel/'] and res.object_list == [], (res.prefix_list, res.object_list)
assert list(oss2.MultipartUploadIterator(bucket)) == []
bucket.delete_object('test-channel/notes.txt')
raises(E.NoSuchKey, lambda: bucket.get_object('test-channel/notes.txt'))

# Virtual-host style through the loopback server as an HTTP proxy.
vhost = oss2.Bucket(auth, 'http://oss.example:9000', 'test-bucket', proxies={'http': endpoint}, region=REGION)
assert vhost.get_live_channel('test-channel').description == 'my channel'
v = vhost.create_live_channel('vhost-channel', info)
assert v.publish_url == 'rtmp://test-bucket.oss.example:9000/live/vhost-channel', v.publish_url
assert v.play_url == 'http://test-bucket.oss.example:9000/vhost-channel/playlist.m3u8', v.play_url
sts = oss2.Bucket(oss2.StsAuth('AKIDEXAMPLE', 'SECRETEXAMPLE', TOKEN, auth_version=version), endpoint, 'test-bucket', region=REGION)
assert sts.get_live_channel('test-channel').status == 'enabled'
assert requests.get(sts.sign_url('GET', 'test-channel/vod.m3u8', 60)).text == pl

# Keys with '/', '%', '+', spaces and non-ASCII; a prefix with a space.
for key in ['dir/a b%25+c~.txt', 'dir/\u00fc\u00f1\u00ee/\u4e2d\u6587 key.txt']:
    bucket.put_object(key, b'odd key')
    assert bucket.get_object(key).read() == b'odd key', key
    assert bucket.head_object(key).content_length == 7
    assert requests.get(bucket.sign_url('GET', key, 60)).content == b'odd key', key
    vhost.put_object(key, b'odd key via vhost')
    assert vhost.get_object(key).read() == b'odd key via vhost'
    assert requests.get(vhost.sign_url('GET', key, 60), proxies={'http': endpoint}).content == b'odd key via vhost'
assert [o.key for o in bucket.list_objects(prefix='dir/a b').object_list] == ['dir/a b%25+c~.txt']
assert bucket.get_bucket_acl().acl == oss2.BUCKET_ACL_PRIVATE
bucket.put_bucket_acl(oss2.BUCKET_ACL_PRIVATE)
for key in ['dir/a b%25+c~.txt', 'dir/\u00fc\u00f1\u00ee/\u4e2d\u6587 key.txt']:
    bucket.delete_object(key)

# RTMP push URLs stay V1-style whatever the auth version (AuthBase._sign_rtmp_url).
rtmp = bucket.sign_rtmp_url('test-channel', 'playlist.m3u8', 3600)
assert 'OSSAccessKeyId=AKIDEXAMPLE' in rtmp and 'Signature=' in rtmp, rtmp
print('RTMP ' + rtmp)

# Refusals, each with the code and status OSS answers.
class Tamper(oss2.http.Session):
    def do_request(self, req, timeout):
        req.headers['x-oss-meta-tampered'] = '1'
        return super().do_request(req, timeout)
tampered = oss2.Bucket(auth, endpoint, 'test-bucket', region=REGION, session=Tamper())
e = raises(E.SignatureDoesNotMatch, lambda: tampered.put_object('t.txt', b'x'))
assert e.status == 403, e.status
real_datetime, real_http_date = oss2.auth.datetime, oss2.utils.http_date
class Skewed:
    @staticmethod
    def utcnow():
        return real_datetime.utcnow() - datetime.timedelta(hours=1)
oss2.auth.datetime = Skewed
oss2.utils.http_date = lambda t=None: email.utils.formatdate(time.time() - 3600, usegmt=True)
e = raises(E.ServerError, lambda: bucket.get_live_channel('test-channel'))
assert (e.status, e.code) == (403, 'RequestTimeTooSkewed'), (e.status, e.code)
if version == 'v4':
    # Signed an hour ago for 60 s.
    url = bucket.sign_url('GET', 'test-channel/vod.m3u8', 60)
else:
    url = bucket.sign_url('GET', 'test-channel/vod.m3u8', -10)
oss2.auth.datetime, oss2.utils.http_date = real_datetime, real_http_date
r = requests.get(url)
assert r.status_code == 403 and '<Code>AccessDenied</Code>' in r.text and 'Request has expired' in r.text, r.text
if version == 'v4':
    other = oss2.Bucket(auth, endpoint, 'test-bucket', region='us-east-1')
    e = raises(E.AccessDenied, lambda: other.get_live_channel('test-channel'))
    assert e.status == 403 and e.ec == '0002-00000228', (e.status, e.ec, e.message)
    r = requests.get(other.sign_url('GET', 'test-channel/vod.m3u8', 60))
    assert r.status_code == 403 and 'us-east-1' in r.text, r.text

bucket.delete_live_channel('test-channel')
raises(E.NoSuchLiveChannel, lambda: bucket.get_live_channel('test-channel'))
raises(E.BucketNotEmpty, lambda: bucket.delete_bucket())
print('oss2 ok')
"#;

/// The script with one auth mode (see `make` in SCRIPT).
fn oss2_sdk_end_to_end(mode: &str) {
    let Some(python) = python() else {
        return;
    };
    let api = Api::new();
    api.add_oss2_segments(3);
    for (start, addr) in [
        (1_700_000_000_000u64, "10.1.2.3:4567"),
        (1_700_000_100_000, "10.1.2.3:4568"),
    ] {
        let record = livechannel::catalog::LiveRecord {
            start_ms: start,
            end_ms: start + 60_000,
            remote_addr: addr.into(),
            end_reason: None,
        };
        block_on(
            api.service
                .catalog()
                .add_history("test-bucket", "test-channel", record),
        )
        .unwrap();
    }
    let port = listen(api.service.clone());
    let out = std::process::Command::new(python)
        .args(["-c", SCRIPT, &port.to_string(), mode])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("oss2 ok"),
        "{mode}: {stdout}\n{stderr}"
    );
    // The RTMP push URL oss2 signed verifies as the ingest checks it.
    let rtmp = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RTMP "))
        .expect("the script prints its RTMP url");
    let (_, query) = rtmp.split_once('?').unwrap();
    let params = parse_query(query, Plus::Literal);
    let now = livechannel::unix_ms(SystemTime::now()) / 1000;
    assert_eq!(
        verify_rtmp(
            &config(true).access_keys,
            "test-bucket",
            "test-channel",
            &params,
            now
        ),
        Ok(()),
        "{mode}: {rtmp}"
    );
}

#[test]
fn oss2_sdk_end_to_end_v1() {
    oss2_sdk_end_to_end("v1");
}

#[test]
fn oss2_sdk_end_to_end_v2() {
    oss2_sdk_end_to_end("v2");
}

#[test]
fn oss2_sdk_end_to_end_v4() {
    oss2_sdk_end_to_end("v4");
}

#[test]
fn oss2_sdk_end_to_end_provider_v4() {
    oss2_sdk_end_to_end("provider-v4");
}

#[test]
fn oss2_sdk_end_to_end_sts_v4() {
    oss2_sdk_end_to_end("sts-v4");
}

#[test]
fn oss2_sdk_end_to_end_sts_v2() {
    oss2_sdk_end_to_end("sts-v2");
}

/// oss2's own LiveChannel tests (`tests/test_live_channel.py` and its
/// `tests/common.py`, from the oss2 2.19.1 source distribution, which this
/// fetches with pip into target/ at run time; nothing of it is in the
/// repository). Under `CI=true` not having them fails the test.
fn oss2_source_tests(python: &std::path::Path) -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/oss2-sdist");
    let root = dir.join("oss2-2.19.1");
    if !root.join("tests/test_live_channel.py").is_file() {
        let _ = std::process::Command::new(python)
            .args([
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
            ])
            .args(["oss2==2.19.1", "-d"])
            .arg(&dir)
            .status();
        let _ = std::process::Command::new(python)
            .args([
                "-c",
                "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])",
            ])
            .arg(dir.join("oss2-2.19.1.tar.gz"))
            .arg(&dir)
            .status();
    }
    if root.join("tests/test_live_channel.py").is_file() {
        return Some(root);
    }
    skip_or_fail("oss2's own test_live_channel.py could not be fetched (pip download oss2==2.19.1 --no-binary :all:)");
    None
}

/// Runs oss2's `tests/test_live_channel.py` with `OSS_TEST_AUTH_VERSION`
/// = `version` against `Service::handle`: virtual-host addressing under
/// oss.example through the loopback server as the HTTP proxy.
fn oss2_own_live_channel_tests(version: &str) {
    let Some(python) = python() else {
        return;
    };
    let Some(root) = oss2_source_tests(&python) else {
        return;
    };
    let api = Api::new();
    let port = listen(api.service.clone());
    let out = std::process::Command::new(&python)
        .args(["-m", "unittest", "-v", "tests.test_live_channel"])
        .current_dir(&root)
        .env("OSS_TEST_ACCESS_KEY_ID", AK)
        .env("OSS_TEST_ACCESS_KEY_SECRET", SK)
        .env("OSS_TEST_ENDPOINT", format!("http://{DOMAIN}:{port}"))
        .env("OSS_TEST_REGION", livechannel::auth::DEFAULT_REGION)
        .env("OSS_TEST_AUTH_VERSION", version)
        .env("HTTP_PROXY", format!("http://127.0.0.1:{port}"))
        .env("http_proxy", format!("http://127.0.0.1:{port}"))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("Ran ") || l.starts_with("OK") || l.starts_with("FAILED"))
        .collect();
    assert!(
        out.status.success() && stderr.contains("\nRan 10 tests ") && stderr.contains("\nOK"),
        "{version}: {summary:?}\n{}",
        stderr
            .lines()
            .filter(|l| !l.starts_with("DEBUG") && !l.starts_with("INFO"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn oss2_own_live_channel_tests_v1() {
    oss2_own_live_channel_tests("v1");
}

#[test]
fn oss2_own_live_channel_tests_v2() {
    oss2_own_live_channel_tests("v2");
}

#[test]
fn oss2_own_live_channel_tests_v4() {
    oss2_own_live_channel_tests("v4");
}
