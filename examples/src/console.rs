//! The web console: `GET /` from a browser shows every bucket with its
//! channels, their status and statistics (refreshed every 2 s), and plays a
//! channel's live playlist or a VOD range with hls.js, served from this
//! binary (`examples/assets/hls.light.min.js`, no CDN).
//!
//! | path | what |
//! |---|---|
//! | `GET /` with `Accept: text/html`, unsigned, not on a bucket's virtual host | the page |
//! | `GET /-/hls.min.js` | hls.js (light build) |
//! | `GET /-/status.json` | buckets, channels, status, stats, history |
//! | `GET /-/vod/BUCKET/CHANNEL.m3u8?startTime=S&endTime=E` | a VOD playlist of the segments starting in [S, E] (Unix seconds), with absolute segment paths so it plays from any URL |
//!
//! Every other `GET /` (signed, or asking for XML as SDKs and curl do) is
//! still the OSS ListBuckets call. `-` cannot start a bucket name, so the
//! `/-/` paths collide with nothing in path style; on a bucket's virtual
//! host (`BUCKET.DOMAIN`) the console answers nothing, every path being an
//! object key there.
//!
//! What anonymous viewers may see follows the API's rules for anonymous
//! callers: a public-read-write bucket's channels with their status,
//! statistics and history (GetLiveChannelStat and History are open there);
//! a public-read bucket's channel names, playable live and as VOD (its
//! objects are readable) but without their state; a private bucket's name
//! only.

use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{ACCEPT, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HOST};
use hyper::{Method, Response, StatusCode};
use livechannel::addressing::virtual_host_bucket;
use livechannel::catalog::{Acl, ChannelRecord, ChannelStatus, LiveRecord};
use livechannel::{unix_ms, LiveStat, Service};
use livechannel_m3u8::{MediaPlaylist, MediaSegment};
use serde::Serialize;

const PAGE: &str = include_str!("../assets/console.html");
const HLS_JS: &[u8] = include_bytes!("../assets/hls.light.min.js");
/// Channels listed per bucket.
const MAX_CHANNELS: usize = 100;

/// The console's answer to this request, or None when it is an API call.
pub async fn respond(
    service: &Service,
    parts: &hyper::http::request::Parts,
) -> Option<Response<Full<Bytes>>> {
    // On a bucket's virtual host every path is an object key.
    if (parts.method != Method::GET && parts.method != Method::HEAD)
        || is_bucket_host(service, parts)
    {
        return None;
    }
    let path = parts.uri.path();
    let response = match path {
        "/" if wants_page(service, parts) => reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "no-cache",
            Bytes::from_static(PAGE.as_bytes()),
        ),
        "/-/hls.min.js" => reply(
            StatusCode::OK,
            "text/javascript; charset=utf-8",
            "public, max-age=86400",
            Bytes::from_static(HLS_JS),
        ),
        "/-/status.json" => match status(service, SystemTime::now()).await {
            Ok(status) => json(&status),
            Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e),
        },
        _ => match path.strip_prefix("/-/vod/") {
            Some(rest) => vod(service, rest, parts.uri.query().unwrap_or("")).await,
            None if path.starts_with("/-/") => error(StatusCode::NOT_FOUND, "no such console path"),
            None => return None,
        },
    };
    Some(response)
}

/// A browser's page load: HTML accepted, no signature, on the service host.
fn wants_page(service: &Service, parts: &hyper::http::request::Parts) -> bool {
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let signed = parts.headers.contains_key(AUTHORIZATION)
        || parts
            .uri
            .query()
            .is_some_and(|q| q.contains("Signature=") || q.contains("OSSAccessKeyId="));
    header(ACCEPT).contains("text/html") && !signed && !is_bucket_host(service, parts)
}

/// True when the request is addressed to a bucket's virtual host
/// (`BUCKET.DOMAIN`), where every path is an object key: the API's own
/// rule ([`virtual_host_bucket`]).
pub fn is_bucket_host(service: &Service, parts: &hyper::http::request::Parts) -> bool {
    let host = parts
        .uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| parts.headers.get(HOST).and_then(|v| v.to_str().ok()))
        .unwrap_or("");
    virtual_host_bucket(host, service.config().domain.as_deref()).is_some()
}

#[derive(Serialize)]
struct Status {
    node: String,
    now_ms: u64,
    buckets: Vec<BucketStatus>,
}

#[derive(Serialize)]
struct BucketStatus {
    name: String,
    acl: &'static str,
    /// None for private buckets (not shown to anonymous viewers).
    channels: Option<Vec<ChannelStatusJson>>,
    /// True when the bucket has more channels than listed.
    truncated: bool,
}

#[derive(Serialize)]
struct ChannelStatusJson {
    name: String,
    /// The live playlist's name (`playlist.m3u8` unless configured).
    playlist: String,
    /// `Live`, `Idle` or `Disabled`, as GetLiveChannelStat says; `Hidden`
    /// where anonymous callers may not ask (public-read buckets).
    status: &'static str,
    /// Which node the publish goes through, when live.
    node: Option<String>,
    /// The channel's configuration (public-read-write buckets only).
    config: Option<livechannel::catalog::ChannelConfig>,
    stat: Option<LiveStat>,
    history: Vec<LiveRecord>,
}

async fn status(service: &Service, now: SystemTime) -> Result<Status, String> {
    let now_ms = unix_ms(now);
    let catalog = service.catalog();
    let mut buckets = Vec::new();
    for bucket in catalog.buckets().await.map_err(|e| e.to_string())? {
        let readable = bucket.acl != Acl::Private;
        let (channels, truncated) = if readable {
            let (records, more) = catalog
                .list_channels(&bucket.name, "", "", MAX_CHANNELS)
                .await
                .map_err(|e| e.to_string())?;
            let mut channels = Vec::with_capacity(records.len());
            for record in records {
                channels.push(if bucket.acl == Acl::PublicReadWrite {
                    channel_status(service, &bucket.name, record, now_ms).await?
                } else {
                    // As through the API: anonymous callers may read a
                    // public-read bucket's objects, not its channels' state.
                    ChannelStatusJson {
                        playlist: record.config.target.playlist_name,
                        name: record.name,
                        status: "Hidden",
                        node: None,
                        config: None,
                        stat: None,
                        history: Vec::new(),
                    }
                });
            }
            (Some(channels), more)
        } else {
            (None, false)
        };
        buckets.push(BucketStatus {
            name: bucket.name,
            acl: bucket.acl.as_str(),
            channels,
            truncated,
        });
    }
    Ok(Status {
        node: service.config().node_id.clone(),
        now_ms,
        buckets,
    })
}

async fn channel_status(
    service: &Service,
    bucket: &str,
    record: ChannelRecord,
    now_ms: u64,
) -> Result<ChannelStatusJson, String> {
    let catalog = service.catalog();
    let history = catalog
        .history(bucket, &record.name)
        .await
        .map_err(|e| e.to_string())?;
    let local = service.live_stat(bucket, &record.name);
    let (status, node, stat) = if record.config.status == ChannelStatus::Disabled {
        ("Disabled", None, None)
    } else if local.is_some() {
        ("Live", Some(service.config().node_id.clone()), local)
    } else {
        // Live through another node while its lease holds.
        let lease = service
            .remote_lease(bucket, &record.name, now_ms)
            .await
            .map_err(|e| e.to_string())?;
        match lease {
            Some(lease) => ("Live", Some(lease.holder), lease.stat),
            None => ("Idle", None, None),
        }
    };
    let last = history.len().saturating_sub(5);
    Ok(ChannelStatusJson {
        name: record.name,
        playlist: record.config.target.playlist_name.clone(),
        status,
        node,
        config: Some(record.config),
        stat,
        history: history[last..].to_vec(),
    })
}

/// `/-/vod/BUCKET/CHANNEL.m3u8?startTime=S&endTime=E`.
async fn vod(service: &Service, rest: &str, query: &str) -> Response<Full<Bytes>> {
    let rest = percent_encoding::percent_decode_str(rest).decode_utf8_lossy();
    let Some((bucket, channel)) = rest
        .strip_suffix(".m3u8")
        .and_then(|r| r.split_once('/'))
        .filter(|(_, c)| !c.is_empty() && !c.contains('/'))
    else {
        return error(StatusCode::NOT_FOUND, "use /-/vod/BUCKET/CHANNEL.m3u8");
    };
    let param = |name: &str| -> Option<u64> {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
    };
    let (Some(start), Some(end)) = (param("startTime"), param("endTime")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "startTime and endTime (Unix seconds) are required",
        );
    };
    let catalog = service.catalog();
    match catalog.bucket(bucket).await {
        Ok(Some(b)) if b.acl != Acl::Private => {}
        Ok(_) => return error(StatusCode::NOT_FOUND, "no such public bucket"),
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
    let entries = match catalog
        .segments(
            bucket,
            channel,
            start.saturating_mul(1000),
            end.saturating_mul(1000).saturating_add(999),
        )
        .await
    {
        Ok(entries) if !entries.is_empty() => entries,
        Ok(_) => return error(StatusCode::NOT_FOUND, "no segment in that time span"),
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    };
    let path = percent_encoding::utf8_percent_encode(channel, percent_encoding::NON_ALPHANUMERIC);
    let segments = entries
        .iter()
        .enumerate()
        .map(|(i, e)| MediaSegment {
            uri: format!("/{bucket}/{path}/{}", e.file_name()),
            duration: e.duration_ms as f64 / 1000.0,
            discontinuity: e.discontinuity && i > 0,
            title: String::new(),
        })
        .collect();
    reply(
        StatusCode::OK,
        "application/vnd.apple.mpegurl",
        "no-cache",
        Bytes::from(MediaPlaylist::vod(segments).to_string()),
    )
}

fn json(value: &impl Serialize) -> Response<Full<Bytes>> {
    match serde_json::to_vec(value) {
        Ok(body) => reply(
            StatusCode::OK,
            "application/json",
            "no-cache",
            Bytes::from(body),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    reply(
        status,
        "text/plain; charset=utf-8",
        "no-cache",
        Bytes::from(format!("{message}\n")),
    )
}

fn reply(
    status: StatusCode,
    content_type: &str,
    cache: &str,
    body: Bytes,
) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, content_type)
        .header(CACHE_CONTROL, cache)
        .body(Full::new(body))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use livechannel::ServiceConfig;

    fn parts(uri: &str, headers: &[(&str, &str)]) -> hyper::http::request::Parts {
        let mut request = hyper::Request::get(uri);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_an_unsigned_browser_load_of_the_service_host_gets_the_page() {
        let service = Service::new(
            std::sync::Arc::new(livechannel::store::MemoryStore::new()),
            ServiceConfig {
                domain: Some("oss.test".into()),
                ..ServiceConfig::default()
            },
        );
        let html = ("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        let host = ("host", "127.0.0.1:8080");
        assert!(wants_page(&service, &parts("/", &[html, host])));
        // SDKs and curl: no HTML in Accept.
        assert!(!wants_page(&service, &parts("/", &[host])));
        assert!(!wants_page(
            &service,
            &parts("/", &[("accept", "*/*"), host])
        ));
        // Signed, by header or by URL.
        let signed = ("authorization", "OSS AKID:c2ln");
        assert!(!wants_page(&service, &parts("/", &[html, host, signed])));
        let presigned = "/?OSSAccessKeyId=AKID&Expires=1&Signature=x";
        assert!(!wants_page(&service, &parts(presigned, &[html, host])));
        // A bucket's virtual host: GET / is ListObjects.
        let vhost = ("host", "demo.oss.test:8080");
        assert!(!wants_page(&service, &parts("/", &[html, vhost])));
        assert!(is_bucket_host(&service, &parts("/metrics", &[vhost])));
        assert!(is_bucket_host(
            &service,
            &parts("http://demo.oss.test/metrics", &[])
        ));
        assert!(!is_bucket_host(&service, &parts("/metrics", &[host])));
        let mixed_case = ("host", "Demo.OSS.test:8080");
        assert!(is_bucket_host(&service, &parts("/", &[mixed_case])));
    }
}
