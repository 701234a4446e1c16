//! OSS signature V1: `Authorization: OSS id:signature` and presigned URLs
//! (`?OSSAccessKeyId=&Expires=&Signature=`), spec §4.1 and §4.2.

use std::collections::BTreeMap;

use http::HeaderMap;

use super::signature_matches;

/// The query parameters that take part in the V1 CanonicalizedResource:
/// `ProviderAuth._subresource_key_set` of oss2 2.19.1 (`auth.py`), in full.
/// Every other parameter (`prefix`, `marker`, `max-keys`, ...) is unsigned.
pub const SUBRESOURCES: &[&str] = &[
    "response-content-type",
    "response-content-language",
    "response-cache-control",
    "logging",
    "response-content-encoding",
    "acl",
    "uploadId",
    "uploads",
    "partNumber",
    "group",
    "link",
    "delete",
    "website",
    "location",
    "objectInfo",
    "objectMeta",
    "response-expires",
    "response-content-disposition",
    "cors",
    "lifecycle",
    "restore",
    "qos",
    "referer",
    "stat",
    "bucketInfo",
    "append",
    "position",
    "security-token",
    "live",
    "comp",
    "status",
    "vod",
    "startTime",
    "endTime",
    "x-oss-process",
    "symlink",
    "callback",
    "callback-var",
    "tagging",
    "encryption",
    "versions",
    "versioning",
    "versionId",
    "policy",
    "requestPayment",
    "x-oss-traffic-limit",
    "qosInfo",
    "asyncFetch",
    "x-oss-request-payer",
    "sequential",
    "inventory",
    "inventoryId",
    "continuation-token",
    "worm",
    "wormId",
    "wormExtend",
    "replication",
    "replicationLocation",
    "replicationProgress",
    "transferAcceleration",
    "cname",
    "metaQuery",
    "x-oss-ac-source-ip",
    "x-oss-ac-subnet-mask",
    "x-oss-ac-vpc-id",
    "x-oss-ac-forward-allow",
    "resourceGroup",
    "style",
    "styleName",
    "x-oss-async-process",
    "regionList",
    "x-oss-write-get-object-response",
    "bucketArchiveDirectRead",
    "httpsConfig",
    "redundancyTransition",
    "x-oss-target-redundancy-type",
    "x-oss-redundancy-transition-taskid",
    "accessPoint",
    "accessPointPolicy",
    "publicAccessBlock",
    "x-oss-access-point-name",
    "requesterQosInfo",
    "qosRequester",
    "resourcePoolInfo",
    "resourcePool",
    "resourcePoolBuckets",
];

/// Largest accepted difference between a signed request's `Date` and now,
/// in seconds (OSS answers `RequestTimeTooSkewed` beyond 15 minutes).
pub const MAX_DATE_SKEW_S: u64 = 15 * 60;

/// True when `name` is a sub-resource, i.e. it is signed (case-sensitive).
pub fn is_subresource(name: &str) -> bool {
    SUBRESOURCES.contains(&name)
}

/// Who made a request, once its signature (if any) checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No `Authorization` header and no presigned parameters.
    Anonymous,
    /// Signed with this AccessKeyId's secret.
    AccessKey(String),
}

/// Why a signed request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The AccessKeyId is not configured.
    #[error("access key id {0:?} is not known")]
    InvalidAccessKeyId(String),
    /// The signature is not the one this server computes.
    #[error("signature does not match the string to sign {string_to_sign:?}")]
    SignatureDoesNotMatch {
        /// The AccessKeyId the request named.
        access_key_id: String,
        /// What the server signed (OSS returns it in `<StringToSign>`).
        string_to_sign: String,
    },
    /// A presigned URL whose `Expires` lies before now.
    #[error("presigned url expired at {expires}, now is {now}")]
    Expired {
        /// The URL's `Expires`, Unix seconds.
        expires: u64,
        /// Now, Unix seconds.
        now: u64,
    },
    /// The `Date` (or `x-oss-date`) header is more than [`MAX_DATE_SKEW_S`] from now.
    #[error("request date {date:?} is more than {MAX_DATE_SKEW_S} s from now ({now})")]
    RequestTimeTooSkewed {
        /// The header value.
        date: String,
        /// Now, Unix seconds.
        now: u64,
    },
    /// A header-signed request without a parseable `Date` or `x-oss-date`.
    #[error("a signed request needs a valid date header")]
    MissingDate,
    /// The `Authorization` header or the presigned parameters are malformed.
    #[error("malformed {what}: {value:?}")]
    Malformed {
        /// Which part (`Authorization`, `Expires`, ...).
        what: &'static str,
        /// What was received.
        value: String,
    },
    /// An `Authorization` scheme other than V1 (`OSS2`, `OSS4-HMAC-SHA256`).
    #[error("authorization scheme {0:?} is not supported (signature v1 only)")]
    UnsupportedScheme(String),
}

/// The first value of a header as text (non-UTF-8 bytes replaced), or "".
fn header<'a>(headers: &'a HeaderMap, name: &str) -> std::borrow::Cow<'a, str> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .unwrap_or_default()
}

/// `/bucket/key?sub&resources`, or `/?sub` without a bucket (spec §4.1).
///
/// `key` is the percent-decoded object key (`""` for bucket-level calls);
/// `query` holds the percent-decoded parameters in any order.
pub fn canonical_resource(bucket: Option<&str>, key: &str, query: &[(String, String)]) -> String {
    let mut out = match bucket {
        Some(bucket) => format!("/{bucket}/{key}"),
        None => "/".to_owned(),
    };
    let mut subresources: Vec<&(String, String)> =
        query.iter().filter(|(k, _)| is_subresource(k)).collect();
    // oss2 sorts on the name only (a stable sort, so duplicates keep wire order).
    subresources.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, (k, v)) in subresources.into_iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        if !v.is_empty() {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// The V1 StringToSign of a request (spec §4.1): verb, `Content-MD5`,
/// `Content-Type`, `x-oss-date` or else `Date`, the `x-oss-*` headers sorted
/// by lower-cased name, and the [`canonical_resource`].
///
/// Header values are used exactly as received. For a presigned URL, pass a
/// `date` header holding the `Expires` value (that is what oss2 signs).
pub fn string_to_sign(
    method: &str,
    headers: &HeaderMap,
    bucket: Option<&str>,
    key: &str,
    query: &[(String, String)],
) -> String {
    let date = match headers.get("x-oss-date") {
        Some(_) => header(headers, "x-oss-date"),
        None => header(headers, "date"),
    };
    string_to_sign_with_date(method, headers, &date, bucket, key, query)
}

fn string_to_sign_with_date(
    method: &str,
    headers: &HeaderMap,
    date: &str,
    bucket: Option<&str>,
    key: &str,
    query: &[(String, String)],
) -> String {
    let mut out = String::new();
    out.push_str(method);
    out.push('\n');
    out.push_str(&header(headers, "content-md5"));
    out.push('\n');
    out.push_str(&header(headers, "content-type"));
    out.push('\n');
    out.push_str(date);
    out.push('\n');
    // HeaderMap names are already lower-case; BTreeMap sorts them.
    let mut oss_headers = BTreeMap::new();
    for (name, value) in headers {
        if name.as_str().starts_with("x-oss-") {
            oss_headers
                .entry(name.as_str())
                .or_insert_with(|| String::from_utf8_lossy(value.as_bytes()));
        }
    }
    for (name, value) in oss_headers {
        out.push_str(name);
        out.push(':');
        out.push_str(&value);
        out.push('\n');
    }
    out.push_str(&canonical_resource(bucket, key, query));
    out
}

/// Checks a request's V1 signature, from its `Authorization` header or its
/// presigned query parameters; a request with neither is
/// [`Principal::Anonymous`] (the caller then applies the bucket ACL).
///
/// `keys` maps AccessKeyId → secret; `bucket`, `key` and `query` are
/// percent-decoded as in [`string_to_sign`]. A header-signed request must
/// carry a `Date` (or `x-oss-date`) within [`MAX_DATE_SKEW_S`] of `now_unix_s`;
/// a presigned one an `Expires` not before it.
///
/// ```
/// use std::collections::BTreeMap;
/// use livechannel::auth::{verify_request, AuthError, Principal};
///
/// let keys = BTreeMap::from([("AKIDEXAMPLE".to_owned(), "SECRETEXAMPLE".to_owned())]);
/// let mut headers = http::HeaderMap::new();
/// headers.insert("date", "Thu, 25 Aug 2016 05:52:40 GMT".parse().unwrap());
/// headers.insert("authorization", "OSS AKIDEXAMPLE:IaMPcfs97ake9W+O1DQHSmeRmok=".parse().unwrap());
/// let query = [("live".to_owned(), String::new())];
/// let now = 1_472_104_360; // the Date above
/// let who = verify_request(&keys, "GET", &headers, Some("test-bucket"), "test-channel", &query, now);
/// assert_eq!(who, Ok(Principal::AccessKey("AKIDEXAMPLE".into())));
/// let who = verify_request(&keys, "PUT", &headers, Some("test-bucket"), "test-channel", &query, now);
/// assert!(matches!(who, Err(AuthError::SignatureDoesNotMatch { .. })));
/// ```
pub fn verify_request(
    keys: &BTreeMap<String, String>,
    method: &str,
    headers: &HeaderMap,
    bucket: Option<&str>,
    key: &str,
    query: &[(String, String)],
    now_unix_s: u64,
) -> Result<Principal, AuthError> {
    if let Some(value) = headers.get(http::header::AUTHORIZATION) {
        let value = String::from_utf8_lossy(value.as_bytes());
        return verify_header(
            keys, &value, method, headers, bucket, key, query, now_unix_s,
        );
    }
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (id, expires, signature) = (
        param("OSSAccessKeyId"),
        param("Expires"),
        param("Signature"),
    );
    if id.is_none() && signature.is_none() {
        return Ok(Principal::Anonymous);
    }
    let (Some(id), Some(expires), Some(signature)) = (id, expires, signature) else {
        return Err(AuthError::Malformed {
            what: "presigned url",
            value: "OSSAccessKeyId, Expires and Signature go together".to_owned(),
        });
    };
    let secret = keys
        .get(id)
        .ok_or_else(|| AuthError::InvalidAccessKeyId(id.to_owned()))?;
    let expires_s: u64 = expires.parse().map_err(|_| AuthError::Malformed {
        what: "Expires",
        value: expires.to_owned(),
    })?;
    if expires_s < now_unix_s {
        return Err(AuthError::Expired {
            expires: expires_s,
            now: now_unix_s,
        });
    }
    let sts = string_to_sign_with_date(method, headers, expires, bucket, key, query);
    if signature_matches(secret, &sts, signature) {
        Ok(Principal::AccessKey(id.to_owned()))
    } else {
        Err(AuthError::SignatureDoesNotMatch {
            access_key_id: id.to_owned(),
            string_to_sign: sts,
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn verify_header(
    keys: &BTreeMap<String, String>,
    authorization: &str,
    method: &str,
    headers: &HeaderMap,
    bucket: Option<&str>,
    key: &str,
    query: &[(String, String)],
    now_unix_s: u64,
) -> Result<Principal, AuthError> {
    let malformed = || AuthError::Malformed {
        what: "Authorization",
        value: authorization.to_owned(),
    };
    let (scheme, credentials) = authorization.trim().split_once(' ').ok_or_else(malformed)?;
    if scheme != "OSS" {
        return Err(AuthError::UnsupportedScheme(scheme.to_owned()));
    }
    let (id, signature) = credentials.trim().rsplit_once(':').ok_or_else(malformed)?;
    let secret = keys
        .get(id)
        .ok_or_else(|| AuthError::InvalidAccessKeyId(id.to_owned()))?;
    let date = match headers.get("x-oss-date") {
        Some(_) => header(headers, "x-oss-date"),
        None => header(headers, "date"),
    };
    let date_s = httpdate::parse_http_date(date.trim())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .ok_or(AuthError::MissingDate)?;
    if date_s.abs_diff(now_unix_s) > MAX_DATE_SKEW_S {
        return Err(AuthError::RequestTimeTooSkewed {
            date: date.into_owned(),
            now: now_unix_s,
        });
    }
    let sts = string_to_sign_with_date(method, headers, &date, bucket, key, query);
    if signature_matches(secret, &sts, signature) {
        Ok(Principal::AccessKey(id.to_owned()))
    } else {
        Err(AuthError::SignatureDoesNotMatch {
            access_key_id: id.to_owned(),
            string_to_sign: sts,
        })
    }
}
