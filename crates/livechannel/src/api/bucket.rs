//! The bucket calls (`docs/oss-compatibility.md`, "Bucket and object
//! calls"): PutBucket, DeleteBucket, ListBuckets,
//! bucket ACL, ListObjects, ListMultipartUploads.

use http::header::LOCATION;
use http::StatusCode;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::channel::max_keys;
use super::error::ApiError;
use super::request::ApiRequest;
use super::response::Reply;
use crate::catalog::{Acl, BucketRecord};
use crate::store::ObjectMeta;
use crate::xml::{self, ObjectListing};
use crate::Service;

/// `encoding-type=url` keeps unreserved characters and `/` as they are.
const URL_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

fn acl_header(req: &ApiRequest) -> Result<Option<Acl>, ApiError> {
    match req.headers.get("x-oss-acl") {
        None => Ok(None),
        Some(v) => {
            let v = String::from_utf8_lossy(v.as_bytes());
            Acl::parse(v.trim()).map(Some).ok_or_else(|| {
                ApiError::invalid_argument(
                    "x-oss-acl must be private, public-read or public-read-write.",
                    "x-oss-acl",
                    &v,
                )
            })
        }
    }
}

/// ListMultipartUploads: never an upload in progress (multipart upload is not implemented).
pub(crate) fn list_multipart_uploads(req: &ApiRequest) -> Reply {
    let url = req.param("encoding-type") == Some("url");
    let encode = |s: &str| {
        if url {
            utf8_percent_encode(s, URL_ENCODE).to_string()
        } else {
            s.to_owned()
        }
    };
    let prefix = encode(req.param("prefix").unwrap_or_default());
    let delimiter = encode(req.param("delimiter").unwrap_or_default());
    Reply::xml(xml::list_multipart_uploads_result(
        req.bucket(),
        &prefix,
        &delimiter,
    ))
}

impl Service {
    pub(super) async fn put_bucket(
        &self,
        req: &ApiRequest,
        now_ms: u64,
    ) -> Result<Reply, ApiError> {
        let name = req.bucket();
        let acl = acl_header(req)?;
        let record = match self.catalog.bucket(name).await? {
            // Re-creating a bucket keeps it, and changes its ACL if one is given.
            Some(existing) => BucketRecord {
                acl: acl.unwrap_or(existing.acl),
                ..existing
            },
            None => BucketRecord {
                name: name.to_owned(),
                acl: acl.unwrap_or(Acl::Private),
                created_ms: now_ms,
            },
        };
        self.catalog.put_bucket(&record).await?;
        Ok(Reply::empty(StatusCode::OK).header(LOCATION, &format!("/{name}")))
    }

    pub(super) async fn put_bucket_acl(
        &self,
        req: &ApiRequest,
        bucket: BucketRecord,
    ) -> Result<Reply, ApiError> {
        let acl = acl_header(req)?
            .ok_or_else(|| ApiError::invalid_argument("x-oss-acl is required.", "x-oss-acl", ""))?;
        self.catalog
            .put_bucket(&BucketRecord { acl, ..bucket })
            .await?;
        Ok(Reply::empty(StatusCode::OK))
    }

    pub(super) async fn delete_bucket(&self, req: &ApiRequest) -> Result<Reply, ApiError> {
        if self.catalog.bucket_in_use(req.bucket()).await? {
            return Err(ApiError::bucket_not_empty(req.bucket()));
        }
        self.catalog.delete_bucket(req.bucket()).await?;
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    }

    pub(super) async fn list_buckets(&self, req: &ApiRequest) -> Result<Reply, ApiError> {
        let max = max_keys(req, None)?;
        let prefix = req.param("prefix").unwrap_or_default();
        let marker = req.param("marker").unwrap_or_default();
        let mut buckets: Vec<BucketRecord> = self
            .catalog
            .buckets()
            .await?
            .into_iter()
            .filter(|b| b.name.starts_with(prefix) && b.name.as_str() > marker)
            .collect();
        buckets.sort_by(|a, b| a.name.cmp(&b.name));
        let truncated = buckets.len() > max;
        buckets.truncate(max);
        let next = match buckets.last() {
            Some(last) if truncated => Some(last.name.clone()),
            _ => None,
        };
        Ok(Reply::xml(xml::list_all_my_buckets(
            prefix,
            marker,
            max,
            next.as_deref(),
            &buckets,
            req.endpoint(),
        )))
    }

    /// ListObjects: up to `max-keys` objects and common prefixes after
    /// `marker`, grouped by `delimiter`.
    pub(super) async fn list_objects(&self, req: &ApiRequest) -> Result<Reply, ApiError> {
        let max = max_keys(req, None)?;
        let bucket = req.bucket();
        let prefix = req.param("prefix").unwrap_or_default();
        let marker = req.param("marker").unwrap_or_default();
        let delimiter = req.param("delimiter").unwrap_or_default();
        let url_encoded = url_encoding(req)?;
        let scope = ListScope {
            base: format!("{bucket}/"),
            prefix,
            delimiter,
        };
        let found = self
            .gather_objects(&scope, scope.start(marker), max)
            .await?;
        let encode = |s: &str| {
            if url_encoded {
                utf8_percent_encode(s, URL_ENCODE).to_string()
            } else {
                s.to_owned()
            }
        };
        let listing = ObjectListing {
            bucket: bucket.to_owned(),
            prefix: encode(prefix),
            marker: encode(marker),
            max_keys: max,
            delimiter: encode(delimiter),
            url_encoded,
            next_marker: if found.truncated {
                found.last_returned.as_deref().map(encode)
            } else {
                None
            },
            contents: found
                .contents
                .into_iter()
                .map(|(k, m)| (encode(&k), m))
                .collect(),
            common_prefixes: found.common_prefixes.iter().map(|p| encode(p)).collect(),
        };
        Ok(Reply::xml(xml::list_bucket_result(&listing)))
    }

    /// Reads store pages from `cursor` on until `max` entries are in or
    /// the keys under the prefix run out. The store lists keys one by
    /// one, so a group of many keys under one common prefix is skipped
    /// rather than read through.
    async fn gather_objects(
        &self,
        scope: &ListScope<'_>,
        mut cursor: String,
        max: usize,
    ) -> Result<Gathered, ApiError> {
        let full_prefix = format!("{}{}", scope.base, scope.prefix);
        let mut found = Gathered::default();
        loop {
            let page = self
                .catalog
                .store()
                .list(&full_prefix, &cursor, 1000)
                .await?;
            let mut in_group = false;
            for meta in page.objects {
                let Some(key) = meta.key.strip_prefix(&scope.base) else {
                    continue;
                };
                let group = scope.group(key);
                in_group = group.is_some();
                if !found.add(key, &meta, group, max) {
                    return Ok(found);
                }
                cursor = meta.key;
            }
            if !page.truncated {
                return Ok(found);
            }
            // A page that ends inside a group: skip the rest of that group
            // (however many keys it holds) by resuming after its last possible key.
            if let (true, Some(group)) = (in_group, found.common_prefixes.last()) {
                cursor = format!("{}{group}{}", scope.base, char::MAX);
            }
        }
    }
}

/// `encoding-type`: absent, empty or `url`.
fn url_encoding(req: &ApiRequest) -> Result<bool, ApiError> {
    match req.param("encoding-type") {
        None | Some("") => Ok(false),
        Some("url") => Ok(true),
        Some(other) => Err(ApiError::invalid_argument(
            "encoding-type must be url.",
            "encoding-type",
            other,
        )),
    }
}

/// Which store keys a ListObjects covers and how they group: the store
/// holds a bucket's objects under `<bucket>/`, and the listing shows keys
/// without that base.
struct ListScope<'a> {
    base: String,
    prefix: &'a str,
    delimiter: &'a str,
}

impl ListScope<'_> {
    /// The store key to list after for `marker`. A marker that is a common
    /// prefix (a NextMarker) skips its whole group.
    fn start(&self, marker: &str) -> String {
        let (prefix, delimiter) = (self.prefix, self.delimiter);
        let mut cursor = format!("{}{marker}", self.base);
        if !delimiter.is_empty() {
            if let Some(rest) = marker.strip_prefix(prefix) {
                if rest
                    .find(delimiter)
                    .is_some_and(|at| at + delimiter.len() == rest.len())
                {
                    cursor.push(char::MAX);
                }
            }
        }
        cursor
    }

    /// The common prefix `key` is rolled up into: the prefix plus the key
    /// up to and including the first delimiter after it; `None` for a key
    /// listed on its own.
    fn group<'k>(&self, key: &'k str) -> Option<&'k str> {
        let rest = key.get(self.prefix.len()..).unwrap_or_default();
        match (self.delimiter.is_empty(), rest.find(self.delimiter)) {
            (false, Some(at)) => key.get(..self.prefix.len() + at + self.delimiter.len()),
            _ => None,
        }
    }
}

/// What a ListObjects found, before encoding.
#[derive(Default)]
struct Gathered {
    contents: Vec<(String, ObjectMeta)>,
    common_prefixes: Vec<String>,
    /// The last key or common prefix returned: the NextMarker if truncated.
    last_returned: Option<String>,
    truncated: bool,
}

impl Gathered {
    /// Adds `key`, or the common prefix `group` it falls in (once per
    /// group: keys come in order, so a group's keys are adjacent). Returns
    /// false, and marks the listing truncated, when a new entry would go
    /// past `max`.
    fn add(&mut self, key: &str, meta: &ObjectMeta, group: Option<&str>, max: usize) -> bool {
        let full = self.contents.len() + self.common_prefixes.len() == max;
        match group {
            Some(group) if self.common_prefixes.last().map(String::as_str) == Some(group) => {}
            Some(group) => {
                if full {
                    self.truncated = true;
                    return false;
                }
                self.common_prefixes.push(group.to_owned());
                self.last_returned = Some(group.to_owned());
            }
            None => {
                if full {
                    self.truncated = true;
                    return false;
                }
                self.last_returned = Some(key.to_owned());
                self.contents.push((key.to_owned(), meta.clone()));
            }
        }
        true
    }
}
