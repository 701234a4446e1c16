//! Building responses: the headers every response carries
//! (`docs/oss-compatibility.md`, "Responses"),
//! error bodies, HEAD handling and CORS.

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use base64::Engine;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, DATE, SERVER};
use http::{HeaderMap, Response, StatusCode};

use super::error::ApiError;
use crate::Service;

/// A successful answer before the common headers are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    /// 200 with an XML body.
    pub(crate) fn xml(body: Bytes) -> Self {
        Reply::ok(body).header(CONTENT_TYPE, "application/xml")
    }

    /// 200 with `body` and no content type.
    pub(crate) fn ok(body: Bytes) -> Self {
        Reply {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body,
        }
    }

    /// `status` with an empty body.
    pub(crate) fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// Adds a header; a value that is not a valid header value is dropped.
    pub(crate) fn header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.append(name, value);
        }
        self
    }
}

/// The headers browsers may read from object responses.
const EXPOSE_HEADERS: &str =
    "ETag, Content-Length, Content-Range, Content-Type, Last-Modified, Accept-Ranges, x-oss-request-id";

/// Everything `finish` needs to know about the request besides the result.
pub(crate) struct Context<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) host: &'a str,
    pub(crate) now: SystemTime,
    /// A HEAD request: no body, errors in `x-oss-err`.
    pub(crate) head: bool,
    /// Add `Access-Control-Allow-Origin: *` (object reads, preflights).
    pub(crate) cors: bool,
}

/// The HTTP response for `result`, with `x-oss-request-id`, `Server`,
/// `Date` and `Content-Length` on every response.
pub(crate) fn finish(result: Result<Reply, ApiError>, cx: &Context<'_>) -> Response<Bytes> {
    let mut reply = match result {
        Ok(reply) => reply,
        Err(e) => error_reply(&e, cx),
    };
    let headers = &mut reply.headers;
    insert(
        headers,
        HeaderName::from_static("x-oss-request-id"),
        cx.request_id,
    );
    insert(headers, SERVER, "AliyunOSS");
    insert(headers, DATE, &httpdate::fmt_http_date(clamp_time(cx.now)));
    if cx.cors {
        insert(
            headers,
            HeaderName::from_static("access-control-allow-origin"),
            "*",
        );
        insert(
            headers,
            HeaderName::from_static("access-control-expose-headers"),
            EXPOSE_HEADERS,
        );
    }
    if !headers.contains_key(CONTENT_LENGTH) {
        insert(headers, CONTENT_LENGTH, &reply.body.len().to_string());
    }
    if cx.head {
        reply.body = Bytes::new();
    }
    let mut response = Response::new(reply.body);
    *response.status_mut() = reply.status;
    *response.headers_mut() = reply.headers;
    response
}

fn error_reply(e: &ApiError, cx: &Context<'_>) -> Reply {
    let body = crate::xml::error(e.code, &e.message, cx.request_id, cx.host, e.ec, &e.extra);
    let mut reply = Reply {
        status: e.status,
        headers: HeaderMap::new(),
        body,
    }
    .header(CONTENT_TYPE, "application/xml");
    for (name, value) in &e.headers {
        reply = reply.header(name.clone(), value);
    }
    if let Some(ec) = e.ec {
        reply = reply.header(HeaderName::from_static("x-oss-ec"), ec);
    }
    if cx.head {
        // oss2 reads a HEAD error's details from this header (exceptions.make_exception).
        let encoded = base64::engine::general_purpose::STANDARD.encode(&reply.body);
        reply = reply.header(HeaderName::from_static("x-oss-err"), &encoded);
    }
    reply
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// httpdate cannot format years past 9999.
pub(crate) fn clamp_time(t: SystemTime) -> SystemTime {
    let max = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(253_402_300_799);
    t.clamp(SystemTime::UNIX_EPOCH, max)
}

impl Service {
    /// 24 upper-case hex digits: Unix seconds (8), a hash of the node id (4),
    /// and this service's request counter (12), so ids differ across the
    /// nodes sharing a store and across requests of one second.
    pub(crate) fn next_request_id(&self, now: SystemTime) -> String {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let secs = crate::time::unix_ms(now) / 1000;
        // FNV-1a: stable across runs and platforms, unlike std's hasher.
        let node = self.config.node_id.bytes().fold(0x811c_9dc5u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        format!(
            "{:08X}{:04X}{:012X}",
            secs & 0xFFFF_FFFF,
            node & 0xFFFF,
            n & 0xFFFF_FFFF_FFFF
        )
    }
}
