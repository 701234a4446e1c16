//! Where an RTMP push goes: bucket, channel and query from the tcUrl, the
//! app and the stream name.

use super::host::virtual_host_bucket;
use super::query::{decode_lossy, join_queries, split_query};
use super::Style;
use crate::PublishRequest;

/// The app every push URL ends in (`rtmp://BUCKET.DOMAIN/live/CHANNEL`).
const LIVE_APP: &str = "live";

/// A push resolved by [`resolve_publish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishAddress {
    /// The bucket.
    pub bucket: String,
    /// The channel: the stream name without its query, percent-decoded.
    pub channel: String,
    /// The push parameters, from wherever the client put them (stream
    /// name, app, tcUrl), joined with `&`, each once, without `?`.
    pub query: String,
    /// How the URL named the bucket.
    pub style: Style,
}

impl PublishAddress {
    /// The request to pass to [`Service::publish`](crate::Service::publish)
    /// for a publisher at `remote_addr` (`ip:port`).
    pub fn into_request(self, remote_addr: String) -> PublishRequest {
        PublishRequest {
            bucket: self.bucket,
            channel: self.channel,
            query: self.query,
            remote_addr,
        }
    }
}

/// Why a push URL names no bucket or no channel; the publish is refused
/// (`NetStream.Publish.BadName`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The stream name (the channel) is empty.
    #[error("the push url names no channel")]
    NoChannel,
    /// The decoded channel name contains `/`.
    #[error("channel name {0:?} contains '/'")]
    ChannelWithSlash(String),
    /// App `live` on a host that names no bucket, and no default bucket.
    #[error("the host names no bucket (expected BUCKET.<domain>, or app BUCKET/live)")]
    NoBucket,
    /// The app is neither `live` nor `BUCKET/live`, or is `BUCKET/live`
    /// on a host that already names a bucket.
    #[error("app {app:?} is not live or BUCKET/live")]
    UnknownApp {
        /// The app, without its query.
        app: String,
    },
}

/// Where a push goes, from what RTMP clients send (`docs/oss-compatibility.md`, "Push URLs").
///
/// The bucket comes from the tcUrl host when it is `BUCKET.<domain>`
/// (virtual-host style, [`virtual_host_bucket`]: the rule of the HTTP
/// API), else from an app `BUCKET/live` (path style, as oss2 builds for
/// IP endpoints), else, for app `live`, `default_bucket`. The query may
/// be on the stream name (ffmpeg, OBS), the app or the tcUrl; all of them
/// are joined, each parameter once. `stream_query` is the query a session
/// already split off the stream name (`ServerEvent::PublishRequested`);
/// `app` and `stream_name` may still carry theirs.
///
/// ```
/// use livechannel::addressing::{resolve_publish, Style};
///
/// let to = resolve_publish(
///     Some("rtmp://Bkt.OSS.example:1935/live"), "live", "ch", Some("a=1"),
///     Some("oss.example"), None,
/// )?;
/// assert_eq!((to.bucket.as_str(), to.channel.as_str(), to.query.as_str()), ("bkt", "ch", "a=1"));
/// assert_eq!(to.style, Style::VirtualHost);
/// # Ok::<(), livechannel::addressing::AddressError>(())
/// ```
pub fn resolve_publish(
    tc_url: Option<&str>,
    app: &str,
    stream_name: &str,
    stream_query: Option<&str>,
    domain: Option<&str>,
    default_bucket: Option<&str>,
) -> Result<PublishAddress, AddressError> {
    let (app, app_query) = split_query(app);
    let (url, url_query) = tc_url.map_or(("", None), split_query);
    let (stream, name_query) = split_query(stream_name);
    let query = join_queries(
        [app_query, url_query, name_query, stream_query]
            .into_iter()
            .flatten(),
    );
    let channel = decode_lossy(stream);
    if channel.is_empty() {
        return Err(AddressError::NoChannel);
    }
    if channel.contains('/') {
        return Err(AddressError::ChannelWithSlash(channel));
    }
    let host_bucket = url_authority(url).and_then(|host| virtual_host_bucket(host, domain));
    let app = app.trim_matches('/');
    let (bucket, style) = match (host_bucket, app.split_once('/')) {
        (Some(bucket), _) if app == LIVE_APP => (bucket, Style::VirtualHost),
        (None, Some((bucket, LIVE_APP))) => (bucket.to_owned(), Style::Path),
        (None, None) if app == LIVE_APP => (
            default_bucket.ok_or(AddressError::NoBucket)?.to_owned(),
            Style::DefaultBucket,
        ),
        _ => {
            return Err(AddressError::UnknownApp {
                app: app.to_owned(),
            })
        }
    };
    Ok(PublishAddress {
        bucket,
        channel,
        query,
        style,
    })
}

/// The authority of `scheme://authority/path`, `None` without a scheme.
fn url_authority(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    rest.split(['/', '#']).next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(
        r: Result<PublishAddress, AddressError>,
    ) -> Result<(String, String, String), AddressError> {
        r.map(|a| (a.bucket, a.channel, a.query))
    }

    #[test]
    fn resolves_the_three_addressing_forms() {
        let d = Some("oss.example");
        // Virtual host: rtmp://bkt.oss.example/live/ch?q (ffmpeg).
        let r = resolve_publish(
            Some("rtmp://bkt.oss.example:1935/live"),
            "live",
            "ch",
            Some("a=1"),
            d,
            None,
        );
        assert_eq!(r.as_ref().map(|a| a.style), Ok(Style::VirtualHost));
        assert_eq!(resolved(r), Ok(("bkt".into(), "ch".into(), "a=1".into())));
        // Path style as oss2 builds it for IP endpoints: app bkt/live.
        let r = resolve_publish(
            Some("rtmp://127.0.0.1:8080/bkt/live"),
            "bkt/live",
            "ch?x=%2F",
            None,
            d,
            None,
        );
        assert_eq!(r.as_ref().map(|a| a.style), Ok(Style::Path));
        assert_eq!(resolved(r), Ok(("bkt".into(), "ch".into(), "x=%2F".into())));
        // Plain `live` on an IP: the default bucket.
        let r = resolve_publish(
            Some("rtmp://127.0.0.1/live"),
            "live",
            "ch",
            None,
            d,
            Some("demo"),
        );
        assert_eq!(r.as_ref().map(|a| a.style), Ok(Style::DefaultBucket));
        assert_eq!(resolved(r), Ok(("demo".into(), "ch".into(), String::new())));
        assert_eq!(
            resolve_publish(Some("rtmp://127.0.0.1/live"), "live", "ch", None, d, None),
            Err(AddressError::NoBucket)
        );
        // Query on the tcUrl too (some clients), not repeated.
        assert_eq!(
            resolved(resolve_publish(
                Some("rtmp://h/live?a=1"),
                "live?a=1",
                "ch?b=2",
                None,
                None,
                Some("x")
            )),
            Ok(("x".into(), "ch".into(), "a=1&b=2".into()))
        );
        // Other apps, and channel names with '/', are refused.
        assert_eq!(
            resolve_publish(None, "other", "ch", None, None, Some("x")),
            Err(AddressError::UnknownApp {
                app: "other".into()
            })
        );
        assert_eq!(
            resolve_publish(None, "live", "a%2Fb", None, None, Some("x")),
            Err(AddressError::ChannelWithSlash("a/b".into()))
        );
        assert_eq!(
            resolve_publish(None, "live", "?a=1", None, None, Some("x")),
            Err(AddressError::NoChannel)
        );
    }

    /// The host rules of the HTTP API: case, ports, IPv6 literals, user
    /// information and a trailing dot. The old RTMP rule (split at the
    /// first `:`, case-sensitive) resolved the first three to the default
    /// bucket.
    #[test]
    fn the_tc_url_host_is_read_as_the_http_host() {
        let to = |url: &str, app: &str| {
            resolve_publish(
                Some(url),
                app,
                "ch",
                None,
                Some("OSS.example:8080"),
                Some("dflt"),
            )
            .map(|a| (a.bucket, a.style))
        };
        let vhost = |b: &str| Ok((b.to_owned(), Style::VirtualHost));
        let default = Ok(("dflt".to_owned(), Style::DefaultBucket));
        assert_eq!(to("rtmp://Bkt.OSS.Example/live", "live"), vhost("bkt"));
        assert_eq!(
            to("rtmp://u:p@bkt.oss.example:1935/live", "live"),
            vhost("bkt")
        );
        assert_eq!(to("rtmp://bkt.oss.example./live", "live"), vhost("bkt"));
        assert_eq!(to("RTMP://bkt.oss.example?x=1", "live"), vhost("bkt"));
        assert_eq!(to("rtmp://[::1]:1935/live", "live"), default);
        assert_eq!(to("rtmp://[::1]/live", "live"), default);
        assert_eq!(to("rtmp://oss.example:1935/live", "live"), default);
        assert_eq!(
            to("rtmp://[::1]:1935/bkt/live", "bkt/live"),
            Ok(("bkt".to_owned(), Style::Path))
        );
        assert_eq!(
            to("rtmp://bkt.oss.example/b2/live", "b2/live"),
            Err(AddressError::UnknownApp {
                app: "b2/live".into()
            })
        );
    }
}
