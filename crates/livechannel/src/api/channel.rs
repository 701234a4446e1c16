//! The LiveChannel operations (`docs/oss-compatibility.md`, "LiveChannel
//! calls").

use http::StatusCode;

use super::error::ApiError;
use super::request::ApiRequest;
use super::response::Reply;
use super::validate;
use crate::catalog::{ChannelConfig, ChannelRecord, ChannelStatus, Snapshot, Target};
use crate::xml::{self, Document, ListedChannel, StatXml};
use crate::Service;

/// Longest Description, in bytes.
const MAX_DESCRIPTION_BYTES: usize = 128;
/// ListLiveChannel's `max-keys` bounds and default.
const MAX_KEYS: usize = 1000;
const DEFAULT_MAX_KEYS: usize = 100;

/// The publish and play URLs of a channel, from the request's host and style
/// (`docs/oss-compatibility.md`, "Addressing" and "PutLiveChannel").
pub(crate) fn urls(req: &ApiRequest, channel: &str, playlist: &str) -> (String, String) {
    (
        format!("{}/live/{channel}", req.bucket_url("rtmp")),
        format!("{}/{channel}/{playlist}", req.bucket_url("http")),
    )
}

/// `max-keys`: absent or empty gives the default; otherwise 1..=1000.
pub(crate) fn max_keys(req: &ApiRequest, ec: Option<&'static str>) -> Result<usize, ApiError> {
    match req.param("max-keys") {
        None | Some("") => Ok(DEFAULT_MAX_KEYS),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_KEYS).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid_argument(
                "max-keys must be an integer from 1 to 1000.",
                "max-keys",
                v,
            )
            .with_ec(ec)),
        },
    }
}

fn text_ok(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// An integer in 1..=100 (FragDuration, FragCount, Interval).
fn one_to_hundred(name: &str, value: &str, ec: Option<&'static str>) -> Result<u32, ApiError> {
    match value.parse::<u32>() {
        Ok(n) if (1..=100).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid_argument(
            format!("{name} must be an integer from 1 to 100."),
            name,
            value,
        )
        .with_ec(ec)),
    }
}

fn non_empty(doc: &Document, path: &str) -> Option<String> {
    doc.get(path).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// The configuration of a PutLiveChannel body, with the defaults and
/// ranges of `docs/oss-compatibility.md`, "PutLiveChannel": only
/// `Target/Type` is required; FragDuration and
/// FragCount default only together.
pub(crate) fn channel_config(doc: &Document) -> Result<ChannelConfig, ApiError> {
    if doc.root != "LiveChannelConfiguration" {
        return Err(ApiError::malformed_xml(&format!(
            "the root element is <{}>, not <LiveChannelConfiguration>",
            doc.root
        )));
    }
    // Checked in document order, so the first bad field is the one reported.
    Ok(ChannelConfig {
        description: description(doc)?,
        status: status(doc)?,
        target: target(doc)?,
        snapshot: snapshot(doc)?,
    })
}

/// `Description`: optional, at most [`MAX_DESCRIPTION_BYTES`] of text.
fn description(doc: &Document) -> Result<String, ApiError> {
    let description = doc.get("Description").unwrap_or_default().to_owned();
    if description.len() > MAX_DESCRIPTION_BYTES || !text_ok(&description) {
        return Err(ApiError::invalid_argument(
            "Description must be at most 128 bytes of text.",
            "Description",
            &description,
        ));
    }
    Ok(description)
}

/// `Status`: `enabled` unless given.
fn status(doc: &Document) -> Result<ChannelStatus, ApiError> {
    match non_empty(doc, "Status") {
        None => Ok(ChannelStatus::Enabled),
        Some(s) => ChannelStatus::parse(&s).ok_or_else(|| {
            ApiError::invalid_argument("Status must be enabled or disabled.", "Status", &s)
        }),
    }
}

/// `Target`: required, of type HLS; the fragment window and the playlist
/// name default when absent.
fn target(doc: &Document) -> Result<Target, ApiError> {
    if !doc.has("Target") {
        return Err(ApiError::invalid_argument(
            "Target is required.",
            "Target",
            "",
        ));
    }
    match doc.get("Target/Type") {
        Some("HLS") => {}
        other => {
            return Err(ApiError::invalid_argument(
                "Target Type must be HLS.",
                "Type",
                other.unwrap_or_default(),
            ))
        }
    }
    let (frag_duration, frag_count) = frag_window(doc)?;
    let playlist_name = match non_empty(doc, "Target/PlaylistName") {
        None => Target::default().playlist_name,
        Some(name) => {
            validate::playlist_name(&name)?;
            name
        }
    };
    Ok(Target {
        frag_duration,
        frag_count,
        playlist_name,
    })
}

/// `Target/FragDuration` and `Target/FragCount`: both or neither, since
/// the two together size the live window; neither gives the defaults.
fn frag_window(doc: &Document) -> Result<(u32, u32), ApiError> {
    match (
        non_empty(doc, "Target/FragDuration"),
        non_empty(doc, "Target/FragCount"),
    ) {
        (None, None) => Ok((
            Target::default().frag_duration,
            Target::default().frag_count,
        )),
        (Some(d), Some(c)) => Ok((
            one_to_hundred("FragDuration", &d, None)?,
            one_to_hundred("FragCount", &c, None)?,
        )),
        (None, Some(_)) => Err(ApiError::invalid_argument(
            "FragDuration and FragCount go together.",
            "FragDuration",
            "",
        )),
        (Some(_), None) => Err(ApiError::invalid_argument(
            "FragDuration and FragCount go together.",
            "FragCount",
            "",
        )),
    }
}

/// `Snapshot`: optional; when present every field is required, with the
/// EC codes `docs/oss-compatibility.md` lists for each missing or bad one.
fn snapshot(doc: &Document) -> Result<Option<Snapshot>, ApiError> {
    if !doc.has("Snapshot") {
        return Ok(None);
    }
    let role_name = non_empty(doc, "Snapshot/RoleName").ok_or_else(|| {
        ApiError::invalid_argument("Snapshot RoleName is required.", "RoleName", "")
    })?;
    let dest_bucket = non_empty(doc, "Snapshot/DestBucket").ok_or_else(|| {
        ApiError::invalid_argument("Snapshot DestBucket is required.", "DestBucket", "")
            .with_ec(Some("0044-00000009"))
    })?;
    if !validate::is_bucket_name(&dest_bucket) {
        return Err(ApiError::invalid_argument(
            "Snapshot DestBucket is not a valid bucket name.",
            "DestBucket",
            &dest_bucket,
        )
        .with_ec(Some("0044-00000008")));
    }
    let notify_topic = non_empty(doc, "Snapshot/NotifyTopic").ok_or_else(|| {
        ApiError::invalid_argument("Snapshot NotifyTopic is required.", "NotifyTopic", "")
            .with_ec(Some("0044-00000006"))
    })?;
    let interval = one_to_hundred(
        "Interval",
        doc.get("Snapshot/Interval").unwrap_or_default(),
        Some("0044-00000005"),
    )?;
    if !text_ok(&role_name) || !text_ok(&notify_topic) {
        return Err(ApiError::invalid_argument(
            "Snapshot fields must be text.",
            "Snapshot",
            "",
        ));
    }
    Ok(Some(Snapshot {
        role_name,
        dest_bucket,
        notify_topic,
        interval,
    }))
}

/// Largest PutLiveChannel body read.
const MAX_BODY: usize = 64 * 1024;

impl Service {
    async fn existing_channel(
        &self,
        req: &ApiRequest,
        ec: Option<&'static str>,
    ) -> Result<ChannelRecord, ApiError> {
        validate::channel_name(&req.key, ec)?;
        self.catalog
            .channel(req.bucket(), &req.key)
            .await?
            .ok_or_else(|| ApiError::no_such_live_channel(&req.key))
    }

    pub(super) async fn put_live_channel(
        &self,
        req: &ApiRequest,
        body: &[u8],
        now_ms: u64,
    ) -> Result<Reply, ApiError> {
        validate::channel_name(&req.key, None)?;
        if body.len() > MAX_BODY {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "EntityTooLarge",
                format!(
                    "The body is {} bytes; at most {MAX_BODY} are accepted.",
                    body.len()
                ),
            ));
        }
        let doc = xml::parse(body).map_err(|e| ApiError::malformed_xml(&e.0))?;
        let config = channel_config(&doc)?;
        if self.channel_is_live(req.bucket(), &req.key, now_ms).await? {
            return Err(ApiError::channel_still_live(&req.key));
        }
        let (publish_url, play_url) = urls(req, &req.key, &config.target.playlist_name);
        let record = ChannelRecord {
            name: req.key.clone(),
            config,
            last_modified_ms: now_ms,
        };
        self.catalog.put_channel(req.bucket(), &record).await?;
        Ok(Reply::xml(xml::create_live_channel_result(
            &publish_url,
            &play_url,
        )))
    }

    pub(super) async fn put_live_channel_status(
        &self,
        req: &ApiRequest,
        now_ms: u64,
    ) -> Result<Reply, ApiError> {
        let value = req.param("status").unwrap_or_default();
        let status = ChannelStatus::parse(value).ok_or_else(|| {
            ApiError::invalid_argument("status must be enabled or disabled.", "status", value)
                .with_ec(Some("0017-00000255"))
        })?;
        let mut record = self.existing_channel(req, Some("0017-00000260")).await?;
        if record.config.status != status {
            record.config.status = status;
            record.last_modified_ms = now_ms;
            self.catalog.put_channel(req.bucket(), &record).await?;
        }
        if status == ChannelStatus::Disabled {
            self.disconnect(req.bucket(), &req.key);
        }
        Ok(Reply::empty(StatusCode::OK))
    }

    pub(super) async fn get_live_channel_info(&self, req: &ApiRequest) -> Result<Reply, ApiError> {
        let record = self.existing_channel(req, Some("0017-00000260")).await?;
        Ok(Reply::xml(xml::live_channel_configuration(&record.config)))
    }

    pub(super) async fn get_live_channel_stat(
        &self,
        req: &ApiRequest,
        now_ms: u64,
    ) -> Result<Reply, ApiError> {
        let record = self.existing_channel(req, Some("0017-00000260")).await?;
        let local = self.live_stat(req.bucket(), &req.key);
        let body = if record.config.status == ChannelStatus::Disabled {
            xml::live_channel_stat(StatXml::Disabled)
        } else if local.is_some() {
            xml::live_channel_stat(StatXml::Live(local.as_ref()))
        } else if let Some(lease) = self.remote_lease(req.bucket(), &req.key, now_ms).await? {
            // Pushed through another node: the statistics it stored with
            // its lease (at most a lease renewal old).
            xml::live_channel_stat(StatXml::Live(lease.stat.as_ref()))
        } else {
            xml::live_channel_stat(StatXml::Idle)
        };
        Ok(Reply::xml(body))
    }

    pub(super) async fn get_live_channel_history(
        &self,
        req: &ApiRequest,
    ) -> Result<Reply, ApiError> {
        self.existing_channel(req, Some("0017-00000260")).await?;
        let history = self.catalog.history(req.bucket(), &req.key).await?;
        Ok(Reply::xml(xml::live_channel_history(&history)))
    }

    pub(super) async fn list_live_channel(&self, req: &ApiRequest) -> Result<Reply, ApiError> {
        let max = max_keys(req, Some("0044-00000101"))?;
        let prefix = req.param("prefix").unwrap_or_default();
        let marker = req.param("marker").unwrap_or_default();
        let (records, truncated) = self
            .catalog
            .list_channels(req.bucket(), prefix, marker, max)
            .await?;
        let next_marker = match records.last() {
            Some(last) if truncated => Some(last.name.clone()),
            _ => None,
        };
        let channels: Vec<ListedChannel> = records
            .into_iter()
            .map(|record| {
                let (publish_url, play_url) =
                    urls(req, &record.name, &record.config.target.playlist_name);
                ListedChannel {
                    record,
                    publish_url,
                    play_url,
                }
            })
            .collect();
        Ok(Reply::xml(xml::list_live_channel_result(
            prefix,
            marker,
            max,
            next_marker.as_deref(),
            &channels,
        )))
    }

    pub(super) async fn delete_live_channel(
        &self,
        req: &ApiRequest,
        now_ms: u64,
    ) -> Result<Reply, ApiError> {
        self.existing_channel(req, Some("0017-00000260")).await?;
        if self.channel_is_live(req.bucket(), &req.key, now_ms).await? {
            return Err(ApiError::channel_still_live(&req.key));
        }
        self.catalog.delete_channel(req.bucket(), &req.key).await?;
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        // Any printable text, XML metacharacters and non-ASCII included; no
        // leading/trailing whitespace (the reader trims values).
        "[a-zA-Z0-9<>&'\" é中/._-]{0,40}".prop_map(|s| s.trim().to_owned())
    }

    fn config() -> impl Strategy<Value = ChannelConfig> {
        let snapshot = prop::option::of(
            (
                text(),
                "[a-z0-9][a-z0-9-]{1,20}[a-z0-9]",
                text(),
                1u32..=100,
            )
                .prop_map(|(role, dest, topic, interval)| Snapshot {
                    role_name: format!("r{role}"),
                    dest_bucket: dest,
                    notify_topic: format!("t{topic}"),
                    interval,
                }),
        );
        (
            text().prop_filter("at most 128 bytes", |d| d.len() <= 128),
            any::<bool>(),
            1u32..=100,
            1u32..=100,
            "[a-zA-Z0-9_.-]{1,123}",
            snapshot,
        )
            .prop_map(
                |(description, enabled, d, c, name, snapshot)| ChannelConfig {
                    description,
                    status: if enabled {
                        ChannelStatus::Enabled
                    } else {
                        ChannelStatus::Disabled
                    },
                    target: Target {
                        frag_duration: d,
                        frag_count: c,
                        playlist_name: format!("{name}.m3u8"),
                    },
                    snapshot,
                },
            )
            .prop_filter("a valid playlist name", |c| {
                validate::playlist_name(&c.target.playlist_name).is_ok()
            })
    }

    proptest! {
        /// GetLiveChannelInfo's body, read back as a PutLiveChannel body,
        /// gives the same configuration: never rejected.
        #[test]
        fn configuration_round_trips(config in config()) {
            let body = xml::live_channel_configuration(&config);
            let doc = xml::parse(&body).expect("our own XML parses");
            prop_assert_eq!(channel_config(&doc), Ok(config));
        }
    }

    #[test]
    fn defaults_apply_only_when_both_fragment_fields_are_absent() {
        let parse = |body: &str| channel_config(&xml::parse(body.as_bytes()).unwrap());
        let c = parse("<LiveChannelConfiguration><Target><Type>HLS</Type><FragDuration/><FragCount></FragCount></Target></LiveChannelConfiguration>").unwrap();
        assert_eq!((c.target.frag_duration, c.target.frag_count), (5, 3));
        let e = parse("<LiveChannelConfiguration><Target><Type>HLS</Type><FragCount>4</FragCount></Target></LiveChannelConfiguration>").unwrap_err();
        assert_eq!(e.code, "InvalidArgument");
    }
}
