//! From an HTTP request to (bucket, key, query): addressing (`docs/oss-compatibility.md`, "Addressing")
//! and percent-decoding.

use http::request::Parts;
use http::{HeaderMap, Method};
use percent_encoding::percent_decode_str;

use super::error::ApiError;
use super::validate;
use crate::addressing::{parse_query, strip_userinfo, virtual_host_bucket, Plus, Style};
use crate::ServiceConfig;

/// A request resolved to its bucket and key.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    pub(crate) headers: HeaderMap,
    /// The host as the client addressed it (lower case, with its port).
    pub(crate) host: String,
    pub(crate) style: Style,
    /// None for service-level calls (ListBuckets).
    pub(crate) bucket: Option<String>,
    /// The percent-decoded object key; "" for bucket-level calls.
    pub(crate) key: String,
    /// Percent-decoded parameters in wire order, `+` read as a space
    /// ([`Plus::Space`]); a bare `live` is `("live", "")`.
    pub(crate) query: Vec<(String, String)>,
    /// The query string as received (signature V2 and V4 re-encode every
    /// parameter from it: the decoded `query` has lost `+` versus `%2B`).
    pub(crate) raw_query: String,
}

impl ApiRequest {
    /// True when the parameter is present (with or without a value).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.query.iter().any(|(k, _)| k == name)
    }

    /// The parameter's first value.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a header as text, if it is valid UTF-8.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The bucket, for routes that have one.
    pub(crate) fn bucket(&self) -> &str {
        self.bucket.as_deref().unwrap_or_default()
    }

    /// The base URL of the bucket for `scheme`: `scheme://bucket.endpoint`
    /// (virtual-host) or `scheme://endpoint/bucket` (path style).
    pub(crate) fn bucket_url(&self, scheme: &str) -> String {
        match self.style {
            Style::VirtualHost => format!("{scheme}://{}", self.host),
            Style::Path | Style::DefaultBucket => {
                format!("{scheme}://{}/{}", self.host, self.bucket())
            }
        }
    }

    /// The host without the bucket label (the service endpoint).
    pub(crate) fn endpoint(&self) -> &str {
        match self.style {
            Style::VirtualHost => self
                .host
                .split_once('.')
                .map_or(self.host.as_str(), |(_, rest)| rest),
            Style::Path | Style::DefaultBucket => &self.host,
        }
    }
}

/// The host the client addressed: the authority of an absolute-form target
/// (a request sent through an HTTP proxy), else the `Host` header.
fn host_of(parts: &Parts) -> String {
    let host = match parts.uri.authority() {
        Some(authority) => strip_userinfo(authority.as_str()).to_owned(),
        None => parts
            .headers
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .trim()
            .to_owned(),
    };
    host.to_ascii_lowercase()
}

fn decode(raw: &str) -> Result<String, ApiError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::invalid_object_name(raw, "the decoded path is not utf-8"))
}

/// Resolves bucket, key and query; refuses bucket names and keys that are
/// invalid or could escape the bucket.
pub(crate) fn parse(parts: &Parts, config: &ServiceConfig) -> Result<ApiRequest, ApiError> {
    let host = host_of(parts);
    let path = parts.uri.path();
    let path = path.strip_prefix('/').unwrap_or(path);
    let (style, bucket, raw_key) = match virtual_host_bucket(&host, config.domain.as_deref()) {
        Some(bucket) => (Style::VirtualHost, Some(bucket), path),
        None => match path.split_once('/') {
            Some((bucket, key)) => (Style::Path, Some(decode(bucket)?), key),
            None if path.is_empty() => (Style::Path, None, ""),
            None => (Style::Path, Some(decode(path)?), ""),
        },
    };
    if let Some(bucket) = &bucket {
        validate::bucket_name(bucket)?;
    }
    let key = decode(raw_key)?;
    if !key.is_empty() {
        validate::object_key(&key)?;
    }
    Ok(ApiRequest {
        method: parts.method.clone(),
        headers: parts.headers.clone(),
        host,
        style,
        bucket,
        key,
        query: parse_query(parts.uri.query().unwrap_or_default(), Plus::Space),
        raw_query: parts.uri.query().unwrap_or_default().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, host: Option<&str>) -> Parts {
        let mut b = http::Request::builder().uri(uri);
        if let Some(h) = host {
            b = b.header("host", h);
        }
        b.body(()).unwrap().into_parts().0
    }

    fn config() -> ServiceConfig {
        ServiceConfig {
            domain: Some("oss.example".into()),
            ..ServiceConfig::default()
        }
    }

    #[test]
    fn virtual_host_path_style_and_absolute_form() {
        let r = parse(
            &parts(
                "/ch%2Fvod.m3u8?vod=&startTime=1",
                Some("bk1.OSS.example:9000"),
            ),
            &config(),
        )
        .unwrap();
        assert_eq!(
            (r.style, r.bucket(), r.key.as_str()),
            (Style::VirtualHost, "bk1", "ch/vod.m3u8")
        );
        assert_eq!(
            (r.host.as_str(), r.endpoint()),
            ("bk1.oss.example:9000", "oss.example:9000")
        );
        assert_eq!(
            r.query,
            vec![("vod".into(), "".into()), ("startTime".into(), "1".into())]
        );

        let r = parse(&parts("/bk1/ch?live", Some("127.0.0.1:9000")), &config()).unwrap();
        assert_eq!(
            (r.style, r.bucket(), r.key.as_str()),
            (Style::Path, "bk1", "ch")
        );
        assert_eq!(r.bucket_url("rtmp"), "rtmp://127.0.0.1:9000/bk1");
        assert!(r.has("live"));

        let r = parse(
            &parts("http://bk1.oss.example:9000/ch?live", Some("ignored")),
            &config(),
        )
        .unwrap();
        assert_eq!(
            (r.style, r.bucket(), r.key.as_str()),
            (Style::VirtualHost, "bk1", "ch")
        );
        assert_eq!(r.bucket_url("http"), "http://bk1.oss.example:9000");

        let r = parse(&parts("/", Some("oss.example")), &config()).unwrap();
        assert_eq!(
            (r.style, r.bucket.as_deref(), r.key.as_str()),
            (Style::Path, None, "")
        );
        let r = parse(&parts("/bk1", Some("oss.example")), &config()).unwrap();
        assert_eq!((r.bucket(), r.key.as_str()), ("bk1", ""));
        // Two labels above the domain are not a bucket: path style.
        let r = parse(&parts("/bk2/k", Some("a.bk1.oss.example")), &config()).unwrap();
        assert_eq!((r.style, r.bucket()), (Style::Path, "bk2"));
    }

    #[test]
    fn escaping_keys_and_bad_buckets_are_refused() {
        for uri in [
            "/bk1/../x",
            "/bk1/a/%2E%2E/x",
            "/bk1//x",
            "/bk1/a%00b",
            "/bk1/%2Fx",
            "/bk1/a/..",
            "/bk1/a\\..\\x",
            "/bk1/%FF",
        ] {
            let e = parse(&parts(uri, Some("h")), &config()).unwrap_err();
            assert_eq!(e.code, "InvalidObjectName", "{uri}");
        }
        for uri in ["/B1/x", "/ab/x", "/-ab/x", "/ab-/", "/a_b/"] {
            let e = parse(&parts(uri, Some("h")), &config()).unwrap_err();
            assert_eq!(e.code, "InvalidBucketName", "{uri}");
        }
    }
}
