//! The OSS-compatible HTTP API as a function: [`Service::handle`] turns an
//! `http::Request` into an `http::Response`. What each call accepts and
//! answers is in `docs/oss-compatibility.md`; this is the summary.
//!
//! # Addressing
//! The rules are those of [`crate::addressing`], shared with RTMP ingest
//! (a push to `rtmp://h/live/ch` goes to the bucket `GET /` with `Host: h`
//! names).
//! - Virtual-host style when the host is `BUCKET.DOMAIN[:port]` for
//!   [`ServiceConfig::domain`](crate::ServiceConfig::domain), compared
//!   case-insensitively, without port or trailing dot
//!   ([`virtual_host_bucket`](crate::addressing::virtual_host_bucket));
//!   path style (`/BUCKET/KEY`) for any other host, IPv4 and IPv6
//!   literals (`[::1]:8080`) included. The host is the authority of an
//!   absolute-form target (`GET http://bucket.domain:port/key` through an
//!   HTTP proxy), else the `Host` header. CNAME mode is not supported.
//! - The path is percent-decoded before routing and signing (oss2 sends
//!   `ch%2Fvod.m3u8`); query values too (`+` is a space, as in a form:
//!   [`Plus::Space`](crate::addressing::Plus::Space)), and `live=` equals
//!   a bare `live`. Signature V2 and V4 re-encode every parameter from the
//!   raw query.
//! - Keys that could leave the bucket or alias another key are refused
//!   with 400 `InvalidObjectName`: a leading `/` or `\`, a `.` or `..`
//!   segment, an empty segment (`a//b`), a control character (NUL
//!   included), more than 1023 bytes, or bytes that do not decode to UTF-8.
//!   Bad bucket names give 400 `InvalidBucketName`.
//!
//! # Operations
//! | Request | Operation |
//! |---|---|
//! | `GET /` on the service host | ListBuckets |
//! | `PUT /` (+ `x-oss-acl`), `DELETE /`, `GET /` on a bucket | PutBucket, DeleteBucket, ListObjects |
//! | `GET /?acl`, `PUT /?acl` (+ `x-oss-acl`), `GET /?uploads` | GetBucketAcl, PutBucketAcl, ListMultipartUploads (always empty) |
//! | `GET /?live` | ListLiveChannel |
//! | `PUT /ch?live`, `PUT /ch?live&status=`, `DELETE /ch?live` | PutLiveChannel, PutLiveChannelStatus, DeleteLiveChannel |
//! | `GET /ch?live`, `&comp=stat`, `&comp=history` | GetLiveChannelInfo, Stat, History |
//! | `GET /ch?vod&startTime=&endTime=`, `POST /ch/name.m3u8?vod&…` | GetVodPlaylist, PostVodPlaylist |
//! | `GET`/`HEAD`/`PUT`/`DELETE /key` | GetObject (with `Range`), HeadObject, PutObject, DeleteObject |
//! | `OPTIONS` anything | CORS preflight, 200 |
//!
//! HEAD is answered as the matching GET without a body (errors then come in
//! the `x-oss-err` header, base64 of the error XML). Any other signed
//! sub-resource (`?append`, `?uploadId`, `?tagging`, ...) gives 400
//! `NotImplemented` rather than being mistaken for a plain object call.
//!
//! # Access
//! A request signed with any key of
//! [`ServiceConfig::access_keys`](crate::ServiceConfig::access_keys) may do
//! everything: the server has one tenant. Signatures V1, V2 and V4 are
//! checked, each in the `Authorization` header or as a presigned URL (see
//! [`crate::auth`]); a V4 credential must be scoped to
//! [`ServiceConfig::region`](crate::ServiceConfig::region). An STS
//! security token is signed but not checked (there is no STS service).
//! An anonymous request may do:
//!
//! | Operation | private | public-read | public-read-write |
//! |---|---|---|---|
//! | GetObject, HeadObject, ListObjects, ListMultipartUploads | no | yes | yes |
//! | PutObject, DeleteObject | no | no | yes |
//! | every LiveChannel and VOD call (including Get*, List, GetVodPlaylist) | no | no | yes |
//! | ListBuckets, PutBucket, DeleteBucket, Get/PutBucketAcl | no¹ | no¹ | no¹ |
//! | OPTIONS (CORS preflight) | yes | yes | yes |
//!
//! ¹ Yes when no access key is configured at all: a development setup,
//! where nobody could sign and buckets could not be created otherwise.
//!
//! The bucket's existence is checked before its ACL (a missing bucket is
//! 404 `NoSuchBucket` even for anonymous callers, as on OSS). A bad
//! signature is 403 `SignatureDoesNotMatch` (with `<StringToSign>`, and
//! for V4 `<CanonicalRequest>`), an unknown key 403 `InvalidAccessKeyId`,
//! an expired presigned URL 403 `AccessDenied`, a `Date`/`x-oss-date` more
//! than 15 minutes off 403 `RequestTimeTooSkewed`, a V4 credential for
//! another region 403 `AccessDenied`, a malformed `Authorization` or V4
//! credential 400 `InvalidArgument`.
//!
//! # Live state
//! A channel counts as live while this service has a publisher on it
//! ([`Service::is_live`]) or while another node holds an unexpired publish
//! lease in the shared store; PutLiveChannel and DeleteLiveChannel then
//! answer 409 `ChannelStillLive`.

mod access;
mod bucket;
mod channel;
mod error;
mod object;
pub(crate) mod request;
mod response;
pub(crate) mod validate;
mod vod;

use std::time::SystemTime;

use bytes::Bytes;
use http::{Method, Request, Response};

use self::access::Access;
use self::error::ApiError;
use self::request::ApiRequest;
use self::response::{Context, Reply};
use crate::auth;
use crate::catalog::BucketRecord;
use crate::time::unix_ms;
use crate::Service;

/// The operations of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Options,
    ListBuckets,
    PutBucket,
    DeleteBucket,
    GetBucketAcl,
    PutBucketAcl,
    ListObjects,
    ListMultipartUploads,
    ListLiveChannel,
    PutLiveChannel,
    PutLiveChannelStatus,
    GetLiveChannelInfo,
    GetLiveChannelStat,
    GetLiveChannelHistory,
    DeleteLiveChannel,
    GetVodPlaylist,
    PostVodPlaylist,
    GetObject,
    PutObject,
    DeleteObject,
}

/// `response-*` parameters override GetObject's response headers.
const RESPONSE_OVERRIDES: &[&str] = &[
    "response-content-type",
    "response-content-language",
    "response-expires",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
];

/// Which operation answered a request: [`Service::handle`] puts it in
/// every response's extensions, for the driver's metrics and logs.
///
/// ```
/// # use livechannel::api::Operation;
/// # fn f(response: &http::Response<bytes::Bytes>) {
/// let name = response.extensions().get::<Operation>().map_or("?", |op| op.name());
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation(&'static str);

impl Operation {
    /// The OSS name (`GetObject`, `PutLiveChannel`, ...), or `Invalid` for a
    /// request that matched no operation.
    pub fn name(self) -> &'static str {
        self.0
    }
}

impl Op {
    fn name(self) -> &'static str {
        use Op::*;
        match self {
            Options => "Options",
            ListBuckets => "ListBuckets",
            PutBucket => "PutBucket",
            DeleteBucket => "DeleteBucket",
            GetBucketAcl => "GetBucketAcl",
            PutBucketAcl => "PutBucketAcl",
            ListObjects => "ListObjects",
            ListMultipartUploads => "ListMultipartUploads",
            ListLiveChannel => "ListLiveChannel",
            PutLiveChannel => "PutLiveChannel",
            PutLiveChannelStatus => "PutLiveChannelStatus",
            GetLiveChannelInfo => "GetLiveChannelInfo",
            GetLiveChannelStat => "GetLiveChannelStat",
            GetLiveChannelHistory => "GetLiveChannelHistory",
            DeleteLiveChannel => "DeleteLiveChannel",
            GetVodPlaylist => "GetVodPlaylist",
            PostVodPlaylist => "PostVodPlaylist",
            GetObject => "GetObject",
            PutObject => "PutObject",
            DeleteObject => "DeleteObject",
        }
    }

    fn access(self) -> Access {
        use Op::*;
        match self {
            Options => Access::Open,
            ListBuckets | PutBucket | DeleteBucket | GetBucketAcl | PutBucketAcl => Access::Admin,
            ListObjects | ListMultipartUploads | GetObject => Access::Read,
            PutObject | DeleteObject => Access::Write,
            ListLiveChannel
            | PutLiveChannel
            | PutLiveChannelStatus
            | GetLiveChannelInfo
            | GetLiveChannelStat
            | GetLiveChannelHistory
            | DeleteLiveChannel
            | GetVodPlaylist
            | PostVodPlaylist => Access::Channel,
        }
    }

    /// The signed sub-resources this operation understands (besides `security-token`).
    fn subresources(self) -> &'static [&'static str] {
        use Op::*;
        match self {
            Options => &[],
            GetBucketAcl | PutBucketAcl => &["acl"],
            ListMultipartUploads => &["uploads"],
            ListLiveChannel | PutLiveChannel | GetLiveChannelInfo | DeleteLiveChannel => &["live"],
            PutLiveChannelStatus => &["live", "status"],
            GetLiveChannelStat | GetLiveChannelHistory => &["live", "comp"],
            GetVodPlaylist | PostVodPlaylist => &["vod", "startTime", "endTime"],
            GetObject => RESPONSE_OVERRIDES,
            ListBuckets | PutBucket | DeleteBucket | ListObjects | PutObject | DeleteObject => &[],
        }
    }
}

/// Picks the operation from the method, the bucket/key and the sub-resources.
fn route(req: &ApiRequest) -> Result<Op, ApiError> {
    let m = &req.method;
    let get = *m == Method::GET || *m == Method::HEAD;
    if *m == Method::OPTIONS {
        return Ok(Op::Options);
    }
    let op = if req.bucket.is_none() {
        get.then_some(Op::ListBuckets)
    } else if req.key.is_empty() {
        if req.has("live") || req.has("vod") {
            if req.has("live") && get {
                Some(Op::ListLiveChannel)
            } else {
                return Err(ApiError::invalid_argument(
                    "A live channel name is required.",
                    "ChannelName",
                    "",
                ));
            }
        } else if req.has("acl") {
            match *m {
                Method::PUT => Some(Op::PutBucketAcl),
                _ => get.then_some(Op::GetBucketAcl),
            }
        } else if req.has("uploads") {
            get.then_some(Op::ListMultipartUploads)
        } else {
            match *m {
                Method::PUT => Some(Op::PutBucket),
                Method::DELETE => Some(Op::DeleteBucket),
                _ => get.then_some(Op::ListObjects),
            }
        }
    } else if req.has("live") {
        match *m {
            Method::PUT if req.has("status") => Some(Op::PutLiveChannelStatus),
            Method::PUT => Some(Op::PutLiveChannel),
            Method::DELETE => Some(Op::DeleteLiveChannel),
            _ if get => match req.param("comp") {
                None => Some(Op::GetLiveChannelInfo),
                Some("stat") => Some(Op::GetLiveChannelStat),
                Some("history") => Some(Op::GetLiveChannelHistory),
                Some(other) => {
                    return Err(ApiError::invalid_argument(
                        "comp must be stat or history.",
                        "comp",
                        other,
                    ))
                }
            },
            _ => None,
        }
    } else if req.has("vod") {
        match *m {
            Method::POST => Some(Op::PostVodPlaylist),
            _ => get.then_some(Op::GetVodPlaylist),
        }
    } else {
        match *m {
            Method::PUT => Some(Op::PutObject),
            Method::DELETE => Some(Op::DeleteObject),
            _ => get.then_some(Op::GetObject),
        }
    };
    match op {
        Some(op) => Ok(op),
        // `POST /key?uploads` and the like: a call this server does not implement.
        None => match req
            .query
            .iter()
            .find(|(k, _)| auth::is_subresource(k) && k != "security-token")
        {
            Some((k, _)) => Err(ApiError::not_implemented(&format!(
                "{m} with the sub-resource {k:?}"
            ))),
            None => Err(ApiError::method_not_allowed(m)),
        },
    }
}

/// Refuses signed sub-resources the operation does not implement, so that
/// e.g. `PUT /key?append` cannot silently overwrite an object.
fn check_subresources(op: Op, req: &ApiRequest) -> Result<(), ApiError> {
    let known = op.subresources();
    match req.query.iter().find(|(k, _)| {
        auth::is_subresource(k) && k != "security-token" && !known.contains(&k.as_str())
    }) {
        Some((k, _)) => Err(ApiError::not_implemented(&format!(
            "The sub-resource {k:?} of this operation"
        ))),
        None => Ok(()),
    }
}

impl Service {
    /// Answers one request of the OSS-compatible API (see the [module
    /// docs](crate::api) for addressing, operations and access rules).
    ///
    /// `now` is the current time: it stamps the `Date` header and new
    /// records, and checks request dates and presigned URL expiry. Every
    /// response carries `x-oss-request-id`, `Server` and `Date`; errors
    /// are the OSS `<Error>` XML. The request body must be complete (the
    /// driver buffers it, bounding its size as it sees fit).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::{Duration, SystemTime};
    /// use bytes::Bytes;
    /// use futures::executor::block_on;
    /// use livechannel::{store::MemoryStore, Service, ServiceConfig};
    ///
    /// // No access key configured: a development setup, where buckets may be
    /// // created anonymously (a real server configures `access_keys`).
    /// let service = Service::new(Arc::new(MemoryStore::new()), ServiceConfig::default());
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    ///
    /// let create_bucket = http::Request::put("/test-bucket/")
    ///     .header("host", "127.0.0.1:9000")
    ///     .header("x-oss-acl", "public-read-write")
    ///     .body(Bytes::new())?;
    /// assert_eq!(block_on(service.handle(create_bucket, now)).status(), 200);
    ///
    /// let body = "<LiveChannelConfiguration><Target><Type>HLS</Type></Target></LiveChannelConfiguration>";
    /// let create_channel = http::Request::put("/test-bucket/ch?live")
    ///     .header("host", "127.0.0.1:9000")
    ///     .body(Bytes::from(body))?;
    /// let res = block_on(service.handle(create_channel, now));
    /// assert_eq!(res.status(), 200);
    /// assert!(std::str::from_utf8(res.body())?.contains("<Url>rtmp://127.0.0.1:9000/test-bucket/live/ch</Url>"));
    /// assert_eq!(res.headers()["x-oss-request-id"].len(), 24);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn handle(&self, req: Request<Bytes>, now: SystemTime) -> Response<Bytes> {
        let request_id = self.next_request_id(now);
        let (parts, body) = req.into_parts();
        let head = parts.method == Method::HEAD;
        let mut operation = Operation("Invalid");
        let (result, host, cors) = match request::parse(&parts, &self.config) {
            Ok(req) => {
                let op = route(&req);
                if let Ok(op) = op {
                    operation = Operation(op.name());
                }
                let cors = matches!(op, Ok(Op::GetObject | Op::Options));
                let result = match op {
                    Ok(op) => self.run(op, &req, body, now).await,
                    Err(e) => Err(e),
                };
                (result, req.host, cors)
            }
            Err(e) => {
                let host = parts
                    .headers
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                (Err(e), host, false)
            }
        };
        let cx = Context {
            request_id: &request_id,
            host: &host,
            now,
            head,
            cors,
        };
        let mut response = response::finish(result, &cx);
        response.extensions_mut().insert(operation);
        response
    }

    async fn run(
        &self,
        op: Op,
        req: &ApiRequest,
        body: Bytes,
        now: SystemTime,
    ) -> Result<Reply, ApiError> {
        if op == Op::Options {
            return Ok(object::preflight(req));
        }
        check_subresources(op, req)?;
        let now_ms = unix_ms(now);
        let signed = auth::SignedRequest {
            method: req.method.as_str(),
            headers: &req.headers,
            bucket: req.bucket.as_deref(),
            key: &req.key,
            query: &req.query,
            raw_query: &req.raw_query,
        };
        let principal = auth::verify_request(
            &self.config.access_keys,
            &self.config.region,
            &signed,
            now_ms / 1000,
        )?;
        let no_keys = self.config.access_keys.is_empty();
        let record: Option<BucketRecord> = match (&req.bucket, op) {
            (None, _) | (_, Op::PutBucket) => None,
            (Some(name), _) => Some(
                self.catalog
                    .bucket(name)
                    .await?
                    .ok_or_else(|| ApiError::no_such_bucket(name))?,
            ),
        };
        access::check(
            op.access(),
            &principal,
            record.as_ref().map(|b| b.acl),
            no_keys,
        )?;
        let Some(bucket) = record else {
            return match op {
                Op::ListBuckets => self.list_buckets(req).await,
                Op::PutBucket => self.put_bucket(req, now_ms).await,
                _ => Err(ApiError::internal("operation without its bucket")),
            };
        };
        match op {
            Op::Options | Op::ListBuckets | Op::PutBucket => {
                Err(ApiError::internal("operation routed twice"))
            }
            Op::DeleteBucket => self.delete_bucket(req).await,
            Op::GetBucketAcl => Ok(Reply::xml(crate::xml::access_control_policy(bucket.acl))),
            Op::PutBucketAcl => self.put_bucket_acl(req, bucket).await,
            Op::ListObjects => self.list_objects(req).await,
            Op::ListMultipartUploads => Ok(bucket::list_multipart_uploads(req)),
            Op::ListLiveChannel => self.list_live_channel(req).await,
            Op::PutLiveChannel => self.put_live_channel(req, &body, now_ms).await,
            Op::PutLiveChannelStatus => self.put_live_channel_status(req, now_ms).await,
            Op::GetLiveChannelInfo => self.get_live_channel_info(req).await,
            Op::GetLiveChannelStat => self.get_live_channel_stat(req, now_ms).await,
            Op::GetLiveChannelHistory => self.get_live_channel_history(req).await,
            Op::DeleteLiveChannel => self.delete_live_channel(req, now_ms).await,
            Op::GetVodPlaylist => self.get_vod_playlist(req).await,
            Op::PostVodPlaylist => self.post_vod_playlist(req).await,
            Op::GetObject => self.get_object(req).await,
            Op::PutObject => self.put_object(req, body).await,
            Op::DeleteObject => self.delete_object(req).await,
        }
    }

    /// True while the channel is pushed to here, or on another node whose
    /// publish lease has not expired.
    async fn channel_is_live(
        &self,
        bucket: &str,
        channel: &str,
        now_ms: u64,
    ) -> Result<bool, ApiError> {
        if self.is_live(bucket, channel) {
            return Ok(true);
        }
        Ok(self.remote_lease(bucket, channel, now_ms).await?.is_some())
    }
}
