//! Splitting an `rtmp://` publish URL into what the protocol needs.

use crate::Error;

/// The parts of an RTMP URL that a publishing client needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtmpUrl {
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// TCP port; 1935 when the URL gives none.
    pub port: u16,
    /// The application: every path segment but the last.
    pub app: String,
    /// The last path segment with the URL's query string, if any
    /// (`channel?key=v`), as sent in `publish`.
    pub stream_name: String,
    /// `rtmp://host[:port]/app`, as sent in `connect`.
    pub tc_url: String,
}

/// Splits `rtmp://host[:port]/app.../stream[?query]`.
///
/// The application is everything between the host and the last path
/// segment, and the stream name is the last segment plus the query. That
/// gives the same split as FFmpeg for `rtmp://h/live/ch?q` (app `live`,
/// stream `ch?q`) and `rtmp://h/app/instance/ch` (app `app/instance`), and
/// the path style of object-storage ingest `rtmp://h/bucket/live/ch`
/// (app `bucket/live`). FFmpeg differs for four or more segments, where it
/// keeps only two in the app. Only the `rtmp` scheme is accepted; a URL
/// without both an app and a stream name is refused.
///
/// ```
/// use livechannel_rtmp::parse_rtmp_url;
///
/// let url = parse_rtmp_url("rtmp://example.com/live/channel?token=1")?;
/// assert_eq!((url.host.as_str(), url.port), ("example.com", 1935));
/// assert_eq!(url.app, "live");
/// assert_eq!(url.stream_name, "channel?token=1");
/// assert_eq!(url.tc_url, "rtmp://example.com/live");
/// # Ok::<(), livechannel_rtmp::Error>(())
/// ```
pub fn parse_rtmp_url(url: &str) -> Result<RtmpUrl, Error> {
    let invalid = |reason| Error::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let rest = match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("rtmp") => rest,
        Some(_) => return Err(invalid("only the rtmp:// scheme is supported")),
        None => return Err(invalid("missing rtmp:// scheme")),
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.contains('@') {
        return Err(invalid("user information in the URL is not supported"));
    }
    let (host, port) = split_host_port(authority).ok_or_else(|| invalid("invalid host or port"))?;
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let Some((stream, app_segments)) = segments.split_last() else {
        return Err(invalid("missing application and stream name"));
    };
    if app_segments.is_empty() {
        return Err(invalid("missing application or stream name"));
    }
    let app = app_segments.join("/");
    let stream_name = match query {
        Some(q) if !q.is_empty() => format!("{stream}?{q}"),
        _ => (*stream).to_owned(),
    };
    Ok(RtmpUrl {
        tc_url: format!("rtmp://{authority}/{app}"),
        host,
        port,
        app,
        stream_name,
    })
}

fn split_host_port(authority: &str) -> Option<(String, u16)> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => 1935,
    };
    Some((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_style_keeps_all_but_the_last_segment_in_the_app() {
        let url = parse_rtmp_url("rtmp://h:1936/bucket/live/ch?a=b").unwrap();
        assert_eq!(url.app, "bucket/live");
        assert_eq!(url.stream_name, "ch?a=b");
        assert_eq!(url.port, 1936);
        assert_eq!(url.tc_url, "rtmp://h:1936/bucket/live");
    }

    #[test]
    fn ipv6_hosts() {
        let url = parse_rtmp_url("rtmp://[::1]:1940/live/ch").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("::1", 1940));
        let url = parse_rtmp_url("rtmp://[::1]/live/ch").unwrap();
        assert_eq!(url.port, 1935);
    }

    #[test]
    fn refusals() {
        for bad in [
            "http://h/live/ch",
            "h/live/ch",
            "rtmp://h/live",
            "rtmp://h/",
            "rtmp:///live/ch",
            "rtmp://h:99999/live/ch",
            "rtmp://u@h/live/ch",
            "rtmp://[::1/live/ch",
        ] {
            assert!(
                matches!(parse_rtmp_url(bad), Err(Error::InvalidUrl { .. })),
                "{bad} accepted"
            );
        }
    }
}
