"""The real oss2 SDK against a running livechannel server.

usage: oss2_flow.py PORT AK SK FIXTURE MODE [AUTH]    (MODE: path | vhost)
path:  endpoint http://127.0.0.1:PORT (oss2 uses path style for IPs)
vhost: endpoint http://oss.test:PORT with the SDK's HTTP proxy setting
       pointing at the server (virtual-host addressing without DNS)
AUTH:  v1 (default), v2, v4, provider-v4, sts-v4, sts-v2: which oss2 auth
       object signs; V4 scopes to region cn-hangzhou, the server's default.
Prints OK at the end; any failure raises.
"""
import subprocess
import sys
import time
import urllib.request

import oss2
from oss2.models import LiveChannelInfo, LiveChannelInfoTarget

port, ak, sk, fixture, mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
auth_mode = sys.argv[6] if len(sys.argv) > 6 else "v1"
version = auth_mode.split("-")[-1]
REGION = "cn-hangzhou"


def make_auth(ak, sk):
    if auth_mode.startswith("sts-"):
        return oss2.StsAuth(ak, sk, "STS/TOKEN+1=", auth_version=version)
    if auth_mode == "provider-v4":
        return oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(ak, sk))
    return oss2.make_auth(ak, sk, version)


auth = make_auth(ak, sk)
if mode == "path":
    endpoint, proxies = "http://127.0.0.1:%s" % port, None
else:
    endpoint, proxies = "http://oss.test:%s" % port, {"http": "http://127.0.0.1:%s" % port}
bucket = oss2.Bucket(auth, endpoint, "private", proxies=proxies, region=REGION)
prefix = "sdk-%s-" % mode

# ListBuckets (GET /, which browsers get the web console from) is the API for the SDK.
names = [b.name for b in oss2.BucketIterator(oss2.Service(auth, endpoint, proxies=proxies, region=REGION))]
assert "open" in names and "private" in names, names

# Create 150 channels and page over them.
for i in range(150):
    r = bucket.create_live_channel(prefix + "%03d" % i, LiveChannelInfo(target=LiveChannelInfoTarget(playlist_name="")))
assert r.publish_url.endswith("/live/" + prefix + "149"), r.publish_url
assert r.play_url.endswith("/" + prefix + "149/playlist.m3u8"), r.play_url
names = [c.name for c in oss2.LiveChannelIterator(bucket, prefix=prefix, max_keys=40)]
assert names == [prefix + "%03d" % i for i in range(150)], names[:5]

info = bucket.get_live_channel(prefix + "000")
assert (info.status, info.target.type, info.target.frag_duration, info.target.frag_count, info.target.playlist_name) == (
    "enabled", "HLS", "5", "3", "playlist.m3u8"), vars(info.target)
bucket.put_live_channel_status(prefix + "001", "disabled")
assert bucket.get_live_channel_stat(prefix + "001").status == "Disabled"
assert bucket.get_live_channel_stat(prefix + "000").status == "Idle"
assert bucket.get_live_channel_history(prefix + "000").records == []
for i in range(150):
    bucket.delete_live_channel(prefix + "%03d" % i)
try:
    bucket.get_live_channel(prefix + "000")
    raise AssertionError("deleted channel still there")
except oss2.exceptions.NoSuchLiveChannel:
    pass

# Publish with ffmpeg to the signed URL; Stat while live; VOD afterwards.
ch = prefix + "live"
bucket.create_live_channel(ch, LiveChannelInfo(target=LiveChannelInfoTarget(frag_duration=2, frag_count=3, playlist_name="playlist.m3u8")))
url = bucket.sign_rtmp_url(ch, "playlist.m3u8", 3600)
cmd = ["ffmpeg", "-v", "error", "-re", "-i", fixture, "-c", "copy", "-f", "flv"]
if mode == "vhost":
    # rtmp://private.oss.test:PORT/live/ch?...: connect to 127.0.0.1 but keep the tcUrl's host.
    cmd += ["-rtmp_tcurl", "rtmp://private.oss.test:%s/live" % port]
    url = url.replace("private.oss.test", "127.0.0.1", 1)
push = subprocess.Popen(cmd + [url])
deadline = time.time() + 15
while True:
    stat = bucket.get_live_channel_stat(ch)
    if stat.status == "Live" and stat.video is not None:
        break
    assert time.time() < deadline, "never Live"
    time.sleep(0.2)
assert (stat.video.width, stat.video.height, stat.video.codec) == (320, 180, "H264"), vars(stat.video)
assert stat.audio.sample_rate == 44100 and stat.audio.codec == "AAC", vars(stat.audio)
assert stat.remote_addr.startswith("127.0.0.1:"), stat.remote_addr
assert push.wait() == 0, "ffmpeg failed"
time.sleep(0.5)
history = bucket.get_live_channel_history(ch).records
assert len(history) == 1 and history[0].remote_addr.startswith("127.0.0.1:"), history
now = int(time.time())
bucket.post_vod_playlist(ch, "vod.m3u8", start_time=now - 3600, end_time=now + 60)
vod = bucket.get_vod_playlist(ch, now - 3600, now + 60).playlist
vod = vod.decode() if isinstance(vod, bytes) else vod
assert vod.count("#EXTINF") == 4 and "#EXT-X-ENDLIST" in vod, vod
stored = bucket.get_object(ch + "/vod.m3u8").read().decode()
assert stored.count("#EXTINF") == 4, stored
try:
    bucket.get_vod_playlist(ch, now - 86400 * 3, now - 86400 * 2 - 60)
    raise AssertionError("empty range accepted")
except oss2.exceptions.InvalidArgument as e:
    assert "No ts file found" in e.message, e.message

# Anonymous access to the private bucket is denied; a presigned URL plays.
anonymous = oss2.Bucket(oss2.AnonymousAuth(), endpoint, "private", proxies=proxies)
for call in (lambda: anonymous.get_live_channel(ch), lambda: anonymous.get_object(ch + "/vod.m3u8")):
    try:
        call()
        raise AssertionError("anonymous access allowed")
    except oss2.exceptions.AccessDenied:
        pass
if mode == "path":
    signed = bucket.sign_url("GET", ch + "/vod.m3u8", 600)
    assert b"#EXTM3U" in urllib.request.urlopen(signed).read()
    # The private live playlist through a 60 s presigned URL, read with curl.
    signed = bucket.sign_url("GET", ch + "/playlist.m3u8", 60)
    out = subprocess.run(["curl", "-sS", "-f", signed], capture_output=True)
    assert out.returncode == 0 and out.stdout.startswith(b"#EXTM3U"), (out.returncode, out.stderr)


def refused(call, status, code):
    try:
        call()
    except oss2.exceptions.OssError as e:
        assert (e.status, e.code) == (status, code), (e.status, e.code, e.message)
        return
    raise AssertionError("accepted, expected %s %s" % (status, code))


wrong = oss2.Bucket(make_auth(ak, "wrong-secret"), endpoint, "private", proxies=proxies, region=REGION)
refused(lambda: wrong.get_live_channel(ch), 403, "SignatureDoesNotMatch")
refused(lambda: oss2.Bucket(make_auth("NOBODY", sk), endpoint, "private", proxies=proxies, region=REGION).get_live_channel(ch),
        403, "InvalidAccessKeyId")
if version == "v4":
    other = oss2.Bucket(auth, endpoint, "private", proxies=proxies, region="us-east-1")
    refused(lambda: other.get_live_channel(ch), 403, "AccessDenied")
print("OK")
