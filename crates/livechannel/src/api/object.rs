//! Object calls (`docs/oss-compatibility.md`, "Bucket and object calls"):
//! GetObject/HeadObject with `Range`, PutObject,
//! DeleteObject, and the CORS preflight.

use std::ops::Range;

use base64::Engine;
use bytes::Bytes;
use http::header::{
    HeaderName, ACCEPT_RANGES, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    LAST_MODIFIED,
};
use http::StatusCode;

use super::error::ApiError;
use super::request::ApiRequest;
use super::response::{clamp_time, Reply};
use crate::catalog::object_key;
use crate::store::{content_type_by_extension, Object, ObjectMeta};
use crate::Service;

/// What a `Range` header asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ByteRange {
    /// `bytes=first-` or `bytes=first-last` (inclusive).
    From { first: u64, last: Option<u64> },
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

/// One `bytes=` range; None (serve the whole object, as OSS does) for
/// anything else: other units, several ranges, bad numbers, last < first.
fn parse_range(value: &str) -> Option<ByteRange> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if first.is_empty() {
        return digits(last)
            .then(|| last.parse().ok().map(ByteRange::Suffix))
            .flatten();
    }
    if !digits(first) {
        return None;
    }
    let first: u64 = first.parse().ok()?;
    if last.is_empty() {
        return Some(ByteRange::From { first, last: None });
    }
    if !digits(last) {
        return None;
    }
    let last: u64 = last.parse().ok()?;
    (last >= first).then_some(ByteRange::From {
        first,
        last: Some(last),
    })
}

fn object_headers(reply: Reply, meta: &ObjectMeta, key: &str) -> Reply {
    let content_type = content_type_by_extension(key)
        .map(str::to_owned)
        .or_else(|| (!meta.content_type.is_empty()).then(|| meta.content_type.clone()))
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let reply = reply
        .header(CONTENT_TYPE, &content_type)
        .header(ETAG, &meta.etag.quoted())
        .header(
            LAST_MODIFIED,
            &httpdate::fmt_http_date(clamp_time(meta.last_modified)),
        )
        .header(ACCEPT_RANGES, "bytes")
        .header(HeaderName::from_static("x-oss-object-type"), "Normal")
        .header(HeaderName::from_static("x-oss-storage-class"), "Standard");
    // A live playlist changes with every segment: without this, a browser
    // may reuse a stale copy by heuristic freshness (a tenth of its age) and
    // a player stalls. Segments never change, and keep the default.
    if key.ends_with(".m3u8") {
        reply.header(CACHE_CONTROL, "no-cache")
    } else {
        reply
    }
}

/// The CORS preflight: any origin, the methods of this API, the headers asked for.
pub(crate) fn preflight(req: &ApiRequest) -> Reply {
    let headers = req
        .header("access-control-request-headers")
        .filter(|h| !h.trim().is_empty())
        .unwrap_or("*")
        .to_owned();
    Reply::empty(StatusCode::OK)
        .header(
            HeaderName::from_static("access-control-allow-methods"),
            "GET, HEAD, PUT, POST, DELETE",
        )
        .header(
            HeaderName::from_static("access-control-allow-headers"),
            &headers,
        )
        .header(HeaderName::from_static("access-control-max-age"), "86400")
}

impl Service {
    pub(super) async fn get_object(&self, req: &ApiRequest) -> Result<Reply, ApiError> {
        let store = self.catalog.store();
        let key = object_key(req.bucket(), &req.key);
        let range = req.header("range").and_then(parse_range);
        let (object, ranged): (Object, bool) = match range {
            None => (store.get(&key, None).await?, false),
            Some(ByteRange::From { first, last }) => {
                let end = last.map_or(u64::MAX, |l| l.saturating_add(1));
                (store.get(&key, Some(first..end)).await?, true)
            }
            Some(ByteRange::Suffix(n)) => {
                let size = store.head(&key).await?.size;
                if n == 0 || size == 0 {
                    return Err(ApiError::invalid_range(size));
                }
                (
                    store.get(&key, Some(size.saturating_sub(n)..size)).await?,
                    true,
                )
            }
        };
        if let Some(tag) = req.header("if-none-match") {
            if tag
                .split(',')
                .any(|t| t.trim() == "*" || object.meta.etag.matches(t))
            {
                return Ok(object_headers(
                    Reply::empty(StatusCode::NOT_MODIFIED),
                    &object.meta,
                    &req.key,
                )
                .header(CONTENT_LENGTH, "0"));
            }
        }
        let Object { meta, data, range } = object;
        let mut reply = match (ranged, range) {
            (true, Some(Range { start, end })) => {
                let content_range =
                    format!("bytes {start}-{}/{}", end.saturating_sub(1), meta.size);
                let mut reply = Reply::ok(data).header(CONTENT_RANGE, &content_range);
                reply.status = StatusCode::PARTIAL_CONTENT;
                reply
            }
            _ => Reply::ok(data),
        };
        reply = object_headers(reply, &meta, &req.key);
        for (param, value) in &req.query {
            if !super::RESPONSE_OVERRIDES.contains(&param.as_str()) {
                continue;
            }
            if let Some(header) = param.strip_prefix("response-") {
                if let Ok(name) = HeaderName::from_bytes(header.as_bytes()) {
                    reply.headers.remove(&name);
                    reply = reply.header(name, value);
                }
            }
        }
        Ok(reply)
    }

    pub(super) async fn put_object(
        &self,
        req: &ApiRequest,
        body: Bytes,
    ) -> Result<Reply, ApiError> {
        if let Some(md5) = req.header("content-md5") {
            use md5::{Digest, Md5};
            let expected = base64::engine::general_purpose::STANDARD
                .decode(md5.trim())
                .ok();
            if expected.as_deref() != Some(Md5::digest(&body).as_slice()) {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidDigest",
                    "The Content-MD5 you specified is not valid.",
                ));
            }
        }
        let content_type = req
            .header("content-type")
            .filter(|t| !t.trim().is_empty())
            .map(str::to_owned)
            .or_else(|| content_type_by_extension(&req.key).map(str::to_owned))
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let meta = self
            .catalog
            .store()
            .put(&object_key(req.bucket(), &req.key), body, &content_type)
            .await?;
        Ok(Reply::empty(StatusCode::OK).header(ETAG, &meta.etag.quoted()))
    }

    pub(super) async fn delete_object(&self, req: &ApiRequest) -> Result<Reply, ApiError> {
        self.catalog
            .store()
            .delete(&object_key(req.bucket(), &req.key))
            .await?;
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        use ByteRange::*;
        assert_eq!(
            parse_range("bytes=0-99"),
            Some(From {
                first: 0,
                last: Some(99)
            })
        );
        assert_eq!(
            parse_range("bytes=5-"),
            Some(From {
                first: 5,
                last: None
            })
        );
        assert_eq!(parse_range("bytes=-7"), Some(Suffix(7)));
        for ignored in [
            "bytes=9-3",
            "bytes=0-1,3-4",
            "items=0-1",
            "bytes=a-b",
            "bytes=-",
            "bytes=1-2-3",
            "bytes=99999999999999999999-",
        ] {
            assert_eq!(parse_range(ignored), None, "{ignored}");
        }
    }

    #[test]
    fn types_by_extension() {
        assert_eq!(
            content_type_by_extension("ch/playlist.m3u8"),
            Some("application/x-mpegURL")
        );
        assert_eq!(content_type_by_extension("ch/1.TS"), Some("video/MP2T"));
        assert_eq!(content_type_by_extension("noext"), None);
    }
}
