//! `s3://BUCKET?endpoint=URL&region=R&prefix=P`: an [`ObjectStore`] in an
//! S3 bucket (AWS S3 or an S3-compatible service such as MinIO or Ceph RGW;
//! s3s-fs in the tests), through the [`object_store`] crate.
//!
//! - **Configuration.** Credentials and defaults come from the usual AWS
//!   environment variables, as [`AmazonS3Builder::from_env`] reads them
//!   (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
//!   `AWS_REGION` / `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`, ...); the URL's
//!   parameters override them. With an `endpoint` the requests are path
//!   style (`http://host/BUCKET/key`), and an `http://` endpoint is allowed
//!   (TLS otherwise). `prefix=P` keeps every object under `P/`, so several
//!   deployments can share a bucket.
//! - **Puts** are single `PutObject` requests: S3 makes them atomic. The
//!   content type is stored with the object and returned by `get`/`head`;
//!   listings (`ListObjectsV2`) do not carry it, so listed objects have an
//!   empty content type. The `last_modified` a put returns is the local clock
//!   (S3 does not send it back); `get`, `head` and `list` give the server's.
//! - **`put_if_absent`** is a `PutObject` with `If-None-Match: *` (object_store's
//!   [`PutMode::Create`], conditional put enabled with
//!   [`S3ConditionalPut::ETagMatch`]); `412 Precondition Failed` (and the
//!   `409 Conflict` S3 sends while a concurrent conditional write is in
//!   flight) mean "already there": `Ok(None)`. Exclusivity is the server's:
//!   AWS S3 documents conditional writes as exclusive (the first to finish
//!   wins); some emulators check, then write, and let racing writers both
//!   win (s3s-fs 0.14.1 does).
//! - **ETags** are the server's, without quotes, upper-cased (the MD5 hex
//!   for simple uploads on AWS S3; anything the server chooses elsewhere).
//! - **Ranges** are HTTP ranges, clamped to the object's end like
//!   [`clamp_range`] (one ending past `i64::MAX`, livechannel's form of
//!   `bytes=N-`, is sent as `bytes=N-`); a range starting at or past the
//!   end is [`StoreError::RangeNotSatisfiable`].
//! - **Listing** is `ListObjectsV2` with `prefix`, `start-after` and
//!   `max-keys`, following continuation tokens until `max_keys` objects are
//!   gathered (a server may return short pages); keys come back in byte order.
//!   A listed object without an ETag (s3s-fs sends none) costs a `HEAD`
//!   for it: listings carry the same ETag as `head`.
//! - **No retries here.** Each call is one request (a listing, one per
//!   page); a transient failure (5xx, 429, 408, a connection error, a
//!   timeout: object_store's default 30 s per request, 5 s to connect)
//!   comes back at once as [`StoreError::Backend`], which
//!   [`StoreError::is_transient`] calls worth retrying. The layer above
//!   owns retries, because it knows what a retry means: ingest retries
//!   each write with its own backoff (`ServiceConfig::store_retry`: 100 ms
//!   doubling to 5 s, 2 minutes per write), stops reading from the
//!   publisher meanwhile, and counts every failure in
//!   `<StoreErrors>` and `/metrics`; an HTTP API request answers 500, which
//!   the client may retry. Retrying here as well (object_store's
//!   [`RetryConfig`], up to 30 s) multiplied the two: a write ingest would
//!   give up after 2 minutes could take 2 minutes of 30 s attempts, none
//!   of its failures was counted until the inner retries gave up, and an
//!   API client waited 30 s for an answer it could have retried itself.
//!   [`NO_RETRY`] is the configuration that says so. A `put_if_absent`
//!   retried by ingest after a 5xx may find its own earlier attempt and
//!   report `Ok(None)`: the lease logic in `livechannel::catalog` reads the
//!   lease back and recognises its own holder, so that is harmless there.
//!
//! Keys are used as they are (no escaping): they must be valid object_store
//! paths (no empty, `.` or `..` segments, no control characters, no leading
//! or trailing `/`), which livechannel's keys are.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use livechannel::store::{
    clamp_range, write_each, BoxFuture, ETag, ListPage, Object, ObjectMeta, ObjectStore, Parts,
    StoreError, Upload, Uploads, Write, WritesFailed,
};
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey, S3ConditionalPut};
use object_store::list::{PaginatedListOptions, PaginatedListStore};
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, BackoffConfig, GetOptions, GetRange, ObjectStore as _,
    ObjectStoreExt as _, PutMode, PutOptions, PutPayload, RetryConfig,
};

/// The retry policy of every request: none, the caller retries (see the
/// module documentation). The backoff is never used.
pub const NO_RETRY: RetryConfig = RetryConfig {
    backoff: BackoffConfig {
        init_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_secs(2),
        base: 2.0,
    },
    max_retries: 0,
    retry_timeout: Duration::ZERO,
};

/// Why an `s3://` store URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum S3UrlError {
    /// Not of the form `s3://BUCKET[?NAME=VALUE&...]`.
    #[error("{url}: expected s3://BUCKET?endpoint=URL&region=R[&prefix=P]")]
    Syntax {
        /// The URL given.
        url: String,
    },
    /// A parameter other than `endpoint`, `region` or `prefix`, or one given twice.
    #[error("{url}: unknown or repeated parameter {name:?} (use endpoint, region, prefix)")]
    Parameter {
        /// The URL given.
        url: String,
        /// The parameter's name.
        name: String,
    },
    /// The prefix is not a valid key prefix (empty or `.`/`..` segments, control characters).
    #[error("{url}: prefix {prefix:?} is not a valid key prefix")]
    Prefix {
        /// The URL given.
        url: String,
        /// The prefix asked for.
        prefix: String,
    },
    /// object_store refused the configuration (bad endpoint URL, ...).
    #[error("{url}: {message}")]
    Config {
        /// The URL given.
        url: String,
        /// object_store's explanation.
        message: String,
    },
}

/// Objects in an S3 bucket, optionally under a key prefix. Cloning is cheap.
#[derive(Debug, Clone)]
pub struct S3Store {
    s3: Arc<AmazonS3>,
    /// Empty, or ends with `/`.
    prefix: String,
    /// What [`fmt::Display`] shows: bucket, endpoint, region, prefix.
    description: Arc<str>,
}

/// The parts of an `s3://BUCKET?endpoint=URL&region=R&prefix=P` URL, each
/// parameter at most once and percent-decoded.
struct S3Url<'a> {
    /// The URL as given, for errors.
    url: &'a str,
    bucket: &'a str,
    endpoint: Option<String>,
    region: Option<String>,
    prefix: Option<String>,
}

impl<'a> S3Url<'a> {
    /// Splits `url`; an unknown or repeated parameter is refused rather
    /// than ignored, so a typo cannot silently select another store.
    fn parse(url: &'a str) -> Result<S3Url<'a>, S3UrlError> {
        let syntax = || S3UrlError::Syntax {
            url: url.to_owned(),
        };
        let rest = url.strip_prefix("s3://").ok_or_else(syntax)?;
        let (bucket, query) = rest.split_once('?').unwrap_or((rest, ""));
        if bucket.is_empty() || bucket.contains('/') {
            return Err(syntax());
        }
        let mut parsed = S3Url {
            url,
            bucket,
            endpoint: None,
            region: None,
            prefix: None,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').ok_or_else(syntax)?;
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| syntax())?
                .into_owned();
            let refused = || S3UrlError::Parameter {
                url: url.to_owned(),
                name: name.to_owned(),
            };
            let slot = match name {
                "endpoint" => &mut parsed.endpoint,
                "region" => &mut parsed.region,
                "prefix" => &mut parsed.prefix,
                _ => return Err(refused()),
            };
            if slot.replace(value).is_some() {
                return Err(refused());
            }
        }
        Ok(parsed)
    }

    /// `base` with the bucket, the URL's endpoint and region, and what this
    /// store always needs (no retries, conditional puts, single deletes);
    /// also the endpoint finally in effect (the URL's, or the
    /// environment's), `None` for AWS S3.
    fn configure(
        &self,
        base: AmazonS3Builder,
    ) -> Result<(AmazonS3Builder, Option<String>), S3UrlError> {
        let mut builder = base
            .with_bucket_name(self.bucket)
            .with_retry(NO_RETRY)
            .with_conditional_put(S3ConditionalPut::ETagMatch)
            // One DELETE per key: we only ever delete one key at a time, and
            // not every S3-compatible service implements DeleteObjects.
            .with_disable_bulk_delete(true);
        if let Some(endpoint) = &self.endpoint {
            if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                return Err(S3UrlError::Config {
                    url: self.url.to_owned(),
                    message: format!("endpoint {endpoint:?} is not an http:// or https:// URL"),
                });
            }
            builder = builder
                .with_endpoint(endpoint)
                // AWS_ENDPOINT_URL_S3 would win over the endpoint: the URL's must.
                .with_config(AmazonS3ConfigKey::S3Endpoint, endpoint)
                .with_virtual_hosted_style_request(false);
        }
        if let Some(region) = &self.region {
            builder = builder.with_region(region);
        }
        let endpoint = builder
            .get_config_value(&AmazonS3ConfigKey::S3Endpoint)
            .or_else(|| builder.get_config_value(&AmazonS3ConfigKey::Endpoint));
        if endpoint
            .as_deref()
            .is_some_and(|e| e.starts_with("http://"))
        {
            builder = builder.with_allow_http(true);
        }
        Ok((builder, endpoint))
    }
}

/// The `prefix=` parameter as the store's key prefix: empty, or a valid
/// object_store path ending with `/` (outer slashes are dropped).
fn key_prefix(url: &str, prefix: Option<&str>) -> Result<String, S3UrlError> {
    match prefix.map(|p| p.trim_matches('/')) {
        None | Some("") => Ok(String::new()),
        Some(p) => match Path::parse(p) {
            Ok(path) if path.as_ref() == p => Ok(format!("{p}/")),
            _ => Err(S3UrlError::Prefix {
                url: url.to_owned(),
                prefix: p.to_owned(),
            }),
        },
    }
}

impl S3Store {
    /// A store from `s3://BUCKET?endpoint=URL&region=R&prefix=P` (every
    /// parameter optional), with credentials from the AWS environment variables.
    pub fn from_url(url: &str) -> Result<S3Store, S3UrlError> {
        Self::from_url_with(url, AmazonS3Builder::from_env())
    }

    /// Like [`S3Store::from_url`], starting from `base` instead of the
    /// environment (tests give credentials this way). The URL's parameters
    /// override `base`; retries (none), conditional puts and single-object
    /// deletes are always configured here.
    pub fn from_url_with(url: &str, base: AmazonS3Builder) -> Result<S3Store, S3UrlError> {
        let parsed = S3Url::parse(url)?;
        let (builder, endpoint) = parsed.configure(base)?;
        let region = builder
            .get_config_value(&AmazonS3ConfigKey::Region)
            .unwrap_or_else(|| "us-east-1".to_owned());
        let prefix = key_prefix(url, parsed.prefix.as_deref())?;
        let s3 = builder.build().map_err(|e| S3UrlError::Config {
            url: url.to_owned(),
            message: e.to_string(),
        })?;
        let description = format!(
            "s3://{}/{prefix} at {} (region {region})",
            parsed.bucket,
            endpoint.as_deref().unwrap_or("AWS S3")
        );
        Ok(S3Store {
            s3: Arc::new(s3),
            prefix,
            description: description.into(),
        })
    }

    /// The object_store path of `key`, refused when it would not be the key itself.
    fn path(&self, key: &str) -> Result<Path, StoreError> {
        let full = format!("{}{key}", self.prefix);
        match Path::parse(&full) {
            Ok(path) if !key.is_empty() && path.as_ref() == full => Ok(path),
            _ => Err(StoreError::Backend(format!(
                "key {key:?} cannot be stored in S3 (empty, `.` or `..` segment, control character, or leading/trailing `/`)"
            ))),
        }
    }

    /// A PutObject of the concatenated `chunks` at `path` (the key's), in `mode`.
    async fn put_with(
        &self,
        key: &str,
        path: Path,
        chunks: Vec<Bytes>,
        content_type: &str,
        mode: PutMode,
    ) -> Result<ObjectMeta, object_store::Error> {
        let mut attributes = Attributes::new();
        if !content_type.is_empty() {
            attributes.insert(Attribute::ContentType, content_type.to_owned().into());
        }
        let size = chunks.iter().map(|c| c.len() as u64).sum();
        let etag_of = |e: Option<String>| match e {
            Some(e) => ETag::parse(&e),
            // Some services send no ETag back: the MD5 is what S3 would send.
            None => livechannel::store::etag_of_chunks(&chunks),
        };
        let opts = PutOptions {
            mode,
            attributes,
            ..PutOptions::default()
        };
        let result = self
            .s3
            .put_opts(&path, PutPayload::from_iter(chunks.iter().cloned()), opts)
            .await?;
        Ok(ObjectMeta {
            key: key.to_owned(),
            size,
            etag: etag_of(result.e_tag),
            content_type: content_type.to_owned(),
            last_modified: SystemTime::now(),
        })
    }

    async fn get_async(&self, key: &str, range: Option<Range<u64>>) -> Result<Object, StoreError> {
        let path = self.path(key)?;
        if let Some(r) = &range {
            if r.start >= r.end {
                // No request can express an empty range: report it like clamp_range.
                let meta = self.head_async(key).await?;
                clamp_range(key, r.clone(), meta.size)?;
            }
        }
        let opts = GetOptions {
            range: range.clone().map(|r| {
                if r.end > i64::MAX as u64 {
                    // An open range (`bytes=N-` arrives as N..u64::MAX):
                    // servers refuse a last byte beyond i64 (s3s-fs does).
                    GetRange::Offset(r.start)
                } else {
                    GetRange::Bounded(r)
                }
            }),
            ..GetOptions::default()
        };
        let result = match self.s3.get_opts(&path, opts).await {
            Ok(result) => result,
            Err(e) => {
                let e = store_error(key, e);
                if let (Some(r), StoreError::Backend(_)) = (&range, &e) {
                    // 416 past the end: say so with the size, as the other stores do.
                    if let Ok(meta) = self.head_async(key).await {
                        clamp_range(key, r.clone(), meta.size)?;
                    }
                }
                return Err(e);
            }
        };
        let meta = meta_from(
            key,
            &result.meta,
            result.attributes.get(&Attribute::ContentType),
        );
        let returned = result.range.clone();
        let data = result.bytes().await.map_err(|e| store_error(key, e))?;
        Ok(Object {
            meta,
            data,
            range: range.map(|_| returned),
        })
    }

    async fn head_async(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        let path = self.path(key)?;
        let result = self
            .s3
            .get_opts(&path, GetOptions::new().with_head(true))
            .await
            .map_err(|e| store_error(key, e))?;
        Ok(meta_from(
            key,
            &result.meta,
            result.attributes.get(&Attribute::ContentType),
        ))
    }

    async fn list_async(
        &self,
        prefix: &str,
        marker: &str,
        max_keys: usize,
    ) -> Result<ListPage, StoreError> {
        let full_prefix = format!("{}{prefix}", self.prefix);
        let mut page = ListPage::default();
        let mut token = None;
        loop {
            // One more than still needed tells whether more follow (max-keys 0
            // would answer nothing, not even IsTruncated).
            let want = (max_keys - page.objects.len()).saturating_add(1);
            let opts = PaginatedListOptions {
                offset: (!marker.is_empty()).then(|| format!("{}{marker}", self.prefix)),
                max_keys: Some(want.min(1000)),
                page_token: token.take(),
                ..PaginatedListOptions::default()
            };
            let result = self
                .s3
                .list_paginated(Some(&full_prefix), opts)
                .await
                .map_err(|e| store_error(prefix, e))?;
            for meta in &result.result.objects {
                let Some(key) = meta.location.as_ref().strip_prefix(&self.prefix) else {
                    continue;
                };
                if page.objects.len() == max_keys {
                    page.truncated = true;
                    return Ok(page);
                }
                let mut listed = meta_from(key, meta, None);
                if listed.etag.is_empty() {
                    // The server's listing has no ETag (s3s-fs 0.14.1 sends
                    // none; AWS S3 always does): ask for it, so a listing
                    // says what a head says.
                    match self.head_async(key).await {
                        Ok(head) => listed.etag = head.etag,
                        // Deleted since it was listed.
                        Err(StoreError::NotFound { .. }) => continue,
                        Err(e) => return Err(e),
                    }
                }
                page.objects.push(listed);
            }
            match result.page_token {
                Some(t) => token = Some(t),
                None => return Ok(page),
            }
        }
    }
}

impl fmt::Display for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

/// Our metadata from object_store's: key without the store's prefix,
/// normalised ETag, content type from the response headers when known.
fn meta_from(
    key: &str,
    meta: &object_store::ObjectMeta,
    content_type: Option<&object_store::AttributeValue>,
) -> ObjectMeta {
    ObjectMeta {
        key: key.to_owned(),
        size: meta.size,
        etag: meta.e_tag.as_deref().map(ETag::parse).unwrap_or_default(),
        content_type: content_type.map(|c| c.to_string()).unwrap_or_default(),
        last_modified: meta.last_modified.into(),
    }
}

fn store_error(key: &str, e: object_store::Error) -> StoreError {
    match e {
        object_store::Error::NotFound { .. } => StoreError::NotFound {
            key: key.to_owned(),
        },
        e => StoreError::Backend(format!("S3 {key}: {e}")),
    }
}

impl S3Store {
    /// One PutObject whose body is the chunks in turn: no join.
    async fn put_chunks(
        &self,
        key: &str,
        chunks: Vec<Bytes>,
        content_type: &str,
    ) -> Result<ObjectMeta, StoreError> {
        let path = self.path(key)?;
        self.put_with(key, path, chunks, content_type, PutMode::Overwrite)
            .await
            .map_err(|e| store_error(key, e))
    }
}

/// Uploads are kept in memory and stored by one PutObject of their parts:
/// a segment is below the 5 MiB a multipart upload's parts need.
impl Uploads for S3Store {
    type State = Parts;

    fn begin_upload<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<Upload<Parts>, StoreError>> {
        Parts::begin(key, content_type)
    }

    fn append<'a>(
        &'a self,
        upload: &'a mut Upload<Parts>,
        data: Bytes,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Parts::append(upload, data)
    }

    fn complete_upload<'a>(
        &'a self,
        upload: &'a mut Upload<Parts>,
    ) -> BoxFuture<'a, Result<ObjectMeta, StoreError>> {
        Parts::complete_by(upload, move |key, blocks, content_type| {
            Box::pin(async move { self.put_chunks(&key, blocks, &content_type).await })
        })
    }

    fn write_in_order<'a>(
        &'a self,
        upload: Option<&'a mut Upload<Parts>>,
        writes: &'a [Write],
    ) -> BoxFuture<'a, Result<(), WritesFailed>> {
        write_each(self, upload, writes)
    }
}

impl ObjectStore for S3Store {
    fn put<'a>(
        &'a self,
        key: &'a str,
        data: Bytes,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<ObjectMeta, StoreError>> {
        Box::pin(self.put_chunks(key, vec![data], content_type))
    }

    fn put_if_absent<'a>(
        &'a self,
        key: &'a str,
        data: Bytes,
        content_type: &'a str,
    ) -> BoxFuture<'a, Result<Option<ObjectMeta>, StoreError>> {
        Box::pin(async move {
            let path = self.path(key)?;
            match self
                .put_with(key, path, vec![data], content_type, PutMode::Create)
                .await
            {
                Ok(meta) => Ok(Some(meta)),
                // object_store maps 412 (and 304) to AlreadyExists for
                // PutMode::Create, and 409 (a concurrent conditional write) too.
                Err(
                    object_store::Error::AlreadyExists { .. }
                    | object_store::Error::Precondition { .. },
                ) => Ok(None),
                Err(e) => Err(store_error(key, e)),
            }
        })
    }

    fn get<'a>(
        &'a self,
        key: &'a str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'a, Result<Object, StoreError>> {
        Box::pin(self.get_async(key, range))
    }

    fn head<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<ObjectMeta, StoreError>> {
        Box::pin(self.head_async(key))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let path = self.path(key)?;
            match self.s3.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(store_error(key, e)),
            }
        })
    }

    fn list<'a>(
        &'a self,
        prefix: &'a str,
        marker: &'a str,
        max_keys: usize,
    ) -> BoxFuture<'a, Result<ListPage, StoreError>> {
        Box::pin(self.list_async(prefix, marker, max_keys))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<S3Store, S3UrlError> {
        S3Store::from_url_with(
            url,
            AmazonS3Builder::new()
                .with_access_key_id("id")
                .with_secret_access_key("secret"),
        )
    }

    #[test]
    fn urls_name_bucket_endpoint_region_and_prefix() {
        let s =
            parse("s3://media?endpoint=http://127.0.0.1:9000&region=eu-1&prefix=/live/a/").unwrap();
        assert_eq!(s.prefix, "live/a/");
        assert_eq!(
            s.to_string(),
            "s3://media/live/a/ at http://127.0.0.1:9000 (region eu-1)"
        );
        let s = parse("s3://media").unwrap();
        assert_eq!(
            (s.prefix.as_str(), s.to_string().as_str()),
            ("", "s3://media/ at AWS S3 (region us-east-1)")
        );
        // Percent-encoded values are decoded.
        let s = parse("s3://m?endpoint=http%3A%2F%2Fh%3A1&prefix=a%20b").unwrap();
        assert_eq!(s.prefix, "a b/");
        assert_eq!(
            s.to_string(),
            "s3://m/a b/ at http://h:1 (region us-east-1)"
        );
    }

    #[test]
    fn bad_urls_are_refused() {
        for url in [
            "file://x",
            "s3://",
            "s3:///k",
            "s3://b/k",
            "s3://b?endpoint",
        ] {
            assert!(
                matches!(parse(url), Err(S3UrlError::Syntax { .. })),
                "{url}"
            );
        }
        assert!(matches!(
            parse("s3://b?bucket=x"),
            Err(S3UrlError::Parameter { .. })
        ));
        assert!(matches!(
            parse("s3://b?region=a&region=b"),
            Err(S3UrlError::Parameter { .. })
        ));
        assert!(matches!(
            parse("s3://b?prefix=a/../b"),
            Err(S3UrlError::Prefix { .. })
        ));
        assert!(matches!(
            parse("s3://b?endpoint=not%20a%20url"),
            Err(S3UrlError::Config { .. })
        ));
    }

    #[test]
    fn keys_map_to_paths_unchanged_or_are_refused() {
        let s = parse("s3://b?prefix=p").unwrap();
        assert_eq!(
            s.path(".livechannel/index/demo/ch/0001-2000-0~")
                .unwrap()
                .as_ref(),
            "p/.livechannel/index/demo/ch/0001-2000-0~"
        );
        assert_eq!(s.path("a b%20c").unwrap().as_ref(), "p/a b%20c");
        for key in ["", "a//b", "a/../b", "a/", "/a", "a\nb"] {
            assert!(s.path(key).is_err(), "{key:?}");
        }
    }

    /// A server that answers every request 503, counting the requests.
    async fn unavailable() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "s3://b?endpoint=http://{}&region=r",
            listener.local_addr().unwrap()
        );
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = requests.clone();
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let counted = counted.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0];
                    while !head.ends_with(b"\r\n\r\n") {
                        if socket.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let answer = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        (url, requests)
    }

    #[tokio::test]
    async fn a_transient_failure_is_returned_at_once_for_the_caller_to_retry() {
        let (url, requests) = unavailable().await;
        let store = parse(&url).unwrap();
        let started = std::time::Instant::now();
        let err = store.head("k").await.unwrap_err();
        let err_put = store.put("k", Bytes::new(), "").await.unwrap_err();
        // One request each: no retry underneath ingest's.
        assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert!(started.elapsed() < Duration::from_secs(5));
        // Ingest retries what is transient (crates/livechannel/tests/ingest.rs
        // `failed_store_writes_are_retried_with_backoff_and_nothing_is_lost`).
        assert!(
            err.is_transient() && err_put.is_transient(),
            "{err} {err_put}"
        );
    }

    #[test]
    fn etags_lose_quotes_and_case() {
        assert_eq!(ETag::parse("\"d41d8cd9\""), "D41D8CD9");
        assert_eq!(ETag::parse("W/\"ab-1\""), "AB-1");
    }
}
