//! The response bodies. Element names, order and presence follow OSS's
//! documented examples (`docs/oss-compatibility.md`) and the elements oss2's parsers require (`_find_tag` raises on a
//! missing element, so those are always written, empty if need be).

use bytes::Bytes;

use super::XmlWriter;
use crate::catalog::{Acl, BucketRecord, ChannelConfig, ChannelRecord, LiveRecord};
use crate::live::LiveStat;
use crate::store::ObjectMeta;
use crate::time::{iso8601, unix_ms};

/// The `<Error>` body (`docs/oss-compatibility.md`, "Errors"). `extra` elements (`ArgumentName`,
/// `StringToSign`, ...) come after `HostId`, and `EC` last.
pub(crate) fn error(
    code: &str,
    message: &str,
    request_id: &str,
    host_id: &str,
    ec: Option<&str>,
    extra: &[(&str, String)],
) -> Bytes {
    let mut w = XmlWriter::new();
    w.start("Error")
        .text("Code", code)
        .text("Message", message)
        .text("RequestId", request_id)
        .text("HostId", host_id);
    for (name, value) in extra {
        w.text(name, value);
    }
    if let Some(ec) = ec {
        w.text("EC", ec);
    }
    w.end("Error");
    w.finish()
}

/// PutLiveChannel's `<CreateLiveChannelResult>` (`docs/oss-compatibility.md`, "PutLiveChannel").
pub(crate) fn create_live_channel_result(publish_url: &str, play_url: &str) -> Bytes {
    let mut w = XmlWriter::new();
    w.start("CreateLiveChannelResult");
    urls(&mut w, publish_url, play_url);
    w.end("CreateLiveChannelResult");
    w.finish()
}

fn urls(w: &mut XmlWriter, publish_url: &str, play_url: &str) {
    w.start("PublishUrls")
        .text("Url", publish_url)
        .end("PublishUrls");
    w.start("PlayUrls").text("Url", play_url).end("PlayUrls");
}

/// GetLiveChannelInfo's `<LiveChannelConfiguration>` (`docs/oss-compatibility.md`,
/// "GetLiveChannelInfo").
pub(crate) fn live_channel_configuration(config: &ChannelConfig) -> Bytes {
    let mut w = XmlWriter::new();
    w.start("LiveChannelConfiguration")
        .text("Description", &config.description)
        .text("Status", config.status.as_str())
        .start("Target")
        .text("Type", "HLS")
        .text("FragDuration", &config.target.frag_duration.to_string())
        .text("FragCount", &config.target.frag_count.to_string())
        .text("PlaylistName", &config.target.playlist_name)
        .end("Target");
    if let Some(s) = &config.snapshot {
        w.start("Snapshot")
            .text("RoleName", &s.role_name)
            .text("DestBucket", &s.dest_bucket)
            .text("NotifyTopic", &s.notify_topic)
            .text("Interval", &s.interval.to_string())
            .end("Snapshot");
    }
    w.end("LiveChannelConfiguration");
    w.finish()
}

/// What GetLiveChannelStat reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum StatXml<'a> {
    /// `Idle`: enabled, nobody pushing.
    Idle,
    /// `Disabled`.
    Disabled,
    /// `Live`, with the publisher's statistics when this node has them.
    Live(Option<&'a LiveStat>),
}

/// GetLiveChannelStat's `<LiveChannelStat>` (`docs/oss-compatibility.md`,
/// "GetLiveChannelStat"): only `Status` unless live; `Video`/`Audio` only
/// once their sequence headers arrived (for audio that is dropped, its
/// first tag).
pub(crate) fn live_channel_stat(stat: StatXml<'_>) -> Bytes {
    let mut w = XmlWriter::new();
    w.start("LiveChannelStat");
    match stat {
        StatXml::Idle => {
            w.text("Status", "Idle");
        }
        StatXml::Disabled => {
            w.text("Status", "Disabled");
        }
        StatXml::Live(live) => {
            w.text("Status", "Live");
            if let Some(live) = live {
                w.text("ConnectedTime", &iso8601(live.connected_ms))
                    .text("RemoteAddr", &live.remote_addr);
                if let Some(v) = &live.video {
                    w.start("Video")
                        .text("Width", &v.width.to_string())
                        .text("Height", &v.height.to_string())
                        .text("FrameRate", &v.frame_rate.to_string())
                        .text("Bandwidth", &v.bandwidth.to_string())
                        .text("Codec", &v.codec)
                        .end("Video");
                }
                if let Some(a) = &live.audio {
                    w.start("Audio")
                        .text("Bandwidth", &a.bandwidth.to_string())
                        .text("SampleRate", &a.sample_rate.to_string())
                        .text("Codec", &a.codec)
                        .end("Audio");
                }
                // Not in OSS's answer; only written while there is something
                // to tell, and SDKs skip elements they do not know.
                if live.store_errors > 0 {
                    w.text("StoreErrors", &live.store_errors.to_string());
                    if let Some(e) = &live.last_store_error {
                        w.text("LastStoreError", e);
                    }
                }
            }
        }
    }
    w.end("LiveChannelStat");
    w.finish()
}

/// GetLiveChannelHistory's `<LiveChannelHistory>` (`docs/oss-compatibility.md`,
/// "GetLiveChannelHistory"), records in the given order.
pub(crate) fn live_channel_history(records: &[LiveRecord]) -> Bytes {
    let mut w = XmlWriter::new();
    w.start("LiveChannelHistory");
    for r in records {
        let (start_s, end_s) = r.whole_seconds();
        w.start("LiveRecord")
            .text("StartTime", &iso8601(start_s * 1000))
            .text("EndTime", &iso8601(end_s * 1000))
            .text("RemoteAddr", &r.remote_addr)
            .end("LiveRecord");
    }
    w.end("LiveChannelHistory");
    w.finish()
}

/// One channel of a ListLiveChannel page, with its URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListedChannel {
    pub(crate) record: ChannelRecord,
    pub(crate) publish_url: String,
    pub(crate) play_url: String,
}

/// ListLiveChannel's `<ListLiveChannelResult>` (`docs/oss-compatibility.md`,
/// "ListLiveChannel"): `NextMarker` only when truncated.
pub(crate) fn list_live_channel_result(
    prefix: &str,
    marker: &str,
    max_keys: usize,
    next_marker: Option<&str>,
    channels: &[ListedChannel],
) -> Bytes {
    let mut w = XmlWriter::new();
    w.start("ListLiveChannelResult");
    paging(&mut w, prefix, marker, max_keys, next_marker);
    for c in channels {
        w.start("LiveChannel")
            .text("Name", &c.record.name)
            .text("Description", &c.record.config.description)
            .text("Status", c.record.config.status.as_str())
            .text("LastModified", &iso8601(c.record.last_modified_ms));
        urls(&mut w, &c.publish_url, &c.play_url);
        w.end("LiveChannel");
    }
    w.end("ListLiveChannelResult");
    w.finish()
}

/// The paging elements ListLiveChannel and ListBuckets share: NextMarker
/// only when truncated (`docs/oss-compatibility.md`, "ListLiveChannel").
fn paging(
    w: &mut XmlWriter,
    prefix: &str,
    marker: &str,
    max_keys: usize,
    next_marker: Option<&str>,
) {
    w.text("Prefix", prefix)
        .text("Marker", marker)
        .text("MaxKeys", &max_keys.to_string())
        .text("IsTruncated", bool_str(next_marker.is_some()));
    if let Some(next) = next_marker {
        w.text("NextMarker", next);
    }
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// The owner every bucket and object reports (one tenant per server).
pub(crate) const OWNER: &str = "livechannel";
/// The `Location` every bucket reports.
pub(crate) const LOCATION: &str = "oss-local";

fn owner(w: &mut XmlWriter) {
    w.start("Owner")
        .text("ID", OWNER)
        .text("DisplayName", OWNER)
        .end("Owner");
}

/// ListBuckets' `<ListAllMyBucketsResult>` (`docs/oss-compatibility.md`,
/// "ListBuckets"); `endpoint` is the service host the buckets are reached
/// under.
pub(crate) fn list_all_my_buckets(
    prefix: &str,
    marker: &str,
    max_keys: usize,
    next_marker: Option<&str>,
    buckets: &[BucketRecord],
    endpoint: &str,
) -> Bytes {
    let mut w = XmlWriter::new();
    w.start("ListAllMyBucketsResult");
    paging(&mut w, prefix, marker, max_keys, next_marker);
    owner(&mut w);
    w.start("Buckets");
    for b in buckets {
        w.start("Bucket")
            .text("CreationDate", &iso8601(b.created_ms))
            .text("ExtranetEndpoint", endpoint)
            .text("IntranetEndpoint", endpoint)
            .text("Location", LOCATION)
            .text("Name", &b.name)
            .text("StorageClass", "Standard")
            .end("Bucket");
    }
    w.end("Buckets").end("ListAllMyBucketsResult");
    w.finish()
}

/// The parameters and results of one ListObjects page, names as they go on
/// the wire (already URL-encoded when `encoding_type` is `url`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ObjectListing {
    pub(crate) bucket: String,
    pub(crate) prefix: String,
    pub(crate) marker: String,
    pub(crate) max_keys: usize,
    pub(crate) delimiter: String,
    pub(crate) url_encoded: bool,
    pub(crate) next_marker: Option<String>,
    /// (wire key, metadata)
    pub(crate) contents: Vec<(String, ObjectMeta)>,
    pub(crate) common_prefixes: Vec<String>,
}

/// ListObjects' `<ListBucketResult>` (`docs/oss-compatibility.md`,
/// "ListObjects"): `IsTruncated` always, and per object `Key`, `LastModified`, `ETag`, `Type`, `Size`, `StorageClass`.
pub(crate) fn list_bucket_result(l: &ObjectListing) -> Bytes {
    let mut w = XmlWriter::new();
    w.start("ListBucketResult")
        .text("Name", &l.bucket)
        .text("Prefix", &l.prefix)
        .text("Marker", &l.marker)
        .text("MaxKeys", &l.max_keys.to_string())
        .text("Delimiter", &l.delimiter);
    if l.url_encoded {
        w.text("EncodingType", "url");
    }
    w.text("IsTruncated", bool_str(l.next_marker.is_some()));
    if let Some(next) = &l.next_marker {
        w.text("NextMarker", next);
    }
    for (key, meta) in &l.contents {
        w.start("Contents")
            .text("Key", key)
            .text("LastModified", &iso8601(unix_ms(meta.last_modified)))
            .text("ETag", &meta.etag.quoted())
            .text("Type", "Normal")
            .text("Size", &meta.size.to_string())
            .text("StorageClass", "Standard");
        owner(&mut w);
        w.end("Contents");
    }
    for prefix in &l.common_prefixes {
        w.start("CommonPrefixes")
            .text("Prefix", prefix)
            .end("CommonPrefixes");
    }
    w.end("ListBucketResult");
    w.finish()
}

/// ListMultipartUploads' empty `<ListMultipartUploadsResult>`
/// (`docs/oss-compatibility.md`, "ListMultipartUploads"): no upload is
/// ever in progress here.
pub(crate) fn list_multipart_uploads_result(bucket: &str, prefix: &str, delimiter: &str) -> Bytes {
    let mut w = XmlWriter::new();
    w.start("ListMultipartUploadsResult")
        .text("Bucket", bucket)
        .text("KeyMarker", "")
        .text("UploadIdMarker", "")
        .text("NextKeyMarker", "")
        .text("NextUploadIdMarker", "")
        .text("Delimiter", delimiter)
        .text("Prefix", prefix)
        .text("MaxUploads", "1000")
        .text("IsTruncated", "false")
        .end("ListMultipartUploadsResult");
    w.finish()
}

/// GetBucketAcl's `<AccessControlPolicy>`.
pub(crate) fn access_control_policy(acl: Acl) -> Bytes {
    let mut w = XmlWriter::new();
    w.start("AccessControlPolicy");
    owner(&mut w);
    w.start("AccessControlList")
        .text("Grant", acl.as_str())
        .end("AccessControlList")
        .end("AccessControlPolicy");
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{AudioStat, VideoStat};

    const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

    fn s(b: Bytes) -> String {
        String::from_utf8(b.to_vec()).unwrap()
    }

    #[test]
    fn live_stat_with_video_and_audio_as_in_the_spec() {
        let stat = LiveStat {
            connected_ms: 1_472_106_315_000,
            remote_addr: "10.1.2.3:47745".into(),
            video: Some(VideoStat {
                width: 1280,
                height: 536,
                frame_rate: 24,
                bandwidth: 0,
                codec: "H264".into(),
            }),
            audio: Some(AudioStat {
                bandwidth: 0,
                sample_rate: 44100,
                codec: "AAC".into(),
            }),
            ..LiveStat::default()
        };
        assert_eq!(
            s(live_channel_stat(StatXml::Live(Some(&stat)))),
            format!("{DECL}<LiveChannelStat><Status>Live</Status><ConnectedTime>2016-08-25T06:25:15.000Z</ConnectedTime><RemoteAddr>10.1.2.3:47745</RemoteAddr><Video><Width>1280</Width><Height>536</Height><FrameRate>24</FrameRate><Bandwidth>0</Bandwidth><Codec>H264</Codec></Video><Audio><Bandwidth>0</Bandwidth><SampleRate>44100</SampleRate><Codec>AAC</Codec></Audio></LiveChannelStat>")
        );
        let audio_only = LiveStat {
            video: None,
            ..stat
        };
        let xml = s(live_channel_stat(StatXml::Live(Some(&audio_only))));
        assert!(!xml.contains("<Video>") && xml.contains("<Audio>"));
        let failing = LiveStat {
            store_errors: 3,
            last_store_error: Some("store backend: 503".into()),
            ..audio_only
        };
        let xml = s(live_channel_stat(StatXml::Live(Some(&failing))));
        assert!(xml.ends_with("</Audio><StoreErrors>3</StoreErrors><LastStoreError>store backend: 503</LastStoreError></LiveChannelStat>"), "{xml}");
        assert_eq!(
            s(live_channel_stat(StatXml::Live(None))),
            format!("{DECL}<LiveChannelStat><Status>Live</Status></LiveChannelStat>")
        );
    }

    #[test]
    fn error_body_with_extras_and_ec_last() {
        let body = error(
            "NoSuchLiveChannel",
            "The specified live channel does not exist.",
            "5C3D9175B6FC201293AD4890",
            "test-bucket.oss-cn-hangzhou.aliyuncs.com",
            Some("0026-00000021"),
            &[("ChannelName", "a<b&c".to_owned())],
        );
        assert_eq!(
            s(body),
            format!("{DECL}<Error><Code>NoSuchLiveChannel</Code><Message>The specified live channel does not exist.</Message><RequestId>5C3D9175B6FC201293AD4890</RequestId><HostId>test-bucket.oss-cn-hangzhou.aliyuncs.com</HostId><ChannelName>a&lt;b&amp;c</ChannelName><EC>0026-00000021</EC></Error>")
        );
    }

    #[test]
    fn configuration_echoes_the_snapshot() {
        let config = ChannelConfig {
            snapshot: Some(crate::catalog::Snapshot {
                role_name: "role".into(),
                dest_bucket: "dest".into(),
                notify_topic: "topic".into(),
                interval: 5,
            }),
            ..ChannelConfig::default()
        };
        assert!(s(live_channel_configuration(&config)).ends_with("<PlaylistName>playlist.m3u8</PlaylistName></Target><Snapshot><RoleName>role</RoleName><DestBucket>dest</DestBucket><NotifyTopic>topic</NotifyTopic><Interval>5</Interval></Snapshot></LiveChannelConfiguration>"));
    }

    #[test]
    fn acl_and_empty_multipart_listing() {
        assert_eq!(
            s(access_control_policy(Acl::PublicRead)),
            format!("{DECL}<AccessControlPolicy><Owner><ID>livechannel</ID><DisplayName>livechannel</DisplayName></Owner><AccessControlList><Grant>public-read</Grant></AccessControlList></AccessControlPolicy>")
        );
        assert!(s(list_multipart_uploads_result("b", "", ""))
            .contains("<NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker>"));
    }
}
