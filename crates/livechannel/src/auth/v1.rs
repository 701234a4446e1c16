//! OSS signature V1: `Authorization: OSS id:signature` and presigned URLs
//! (`?OSSAccessKeyId=&Expires=&Signature=`): `docs/oss-compatibility.md`,
//! "Signature V1".

use std::collections::BTreeMap;

use http::HeaderMap;

use super::{
    check_expiry, check_http_date, header, push_canonical_headers, request_date, secret_of,
    signature_matches, verdict, AuthError, Principal, SignedRequest,
};

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

/// True when `name` is a sub-resource, i.e. it is signed (case-sensitive).
pub fn is_subresource(name: &str) -> bool {
    SUBRESOURCES.contains(&name)
}

/// `/bucket/key?sub&resources`, or `/?sub` without a bucket
/// (`docs/oss-compatibility.md`, "Signature V1").
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

/// The V1 StringToSign of a request (`docs/oss-compatibility.md`, "Signature
/// V1"): verb, `Content-MD5`,
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
    let date = request_date(headers);
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
    push_canonical_headers(&mut out, headers, |name| name.starts_with("x-oss-"), false);
    out.push_str(&canonical_resource(bucket, key, query));
    out
}

/// Checks a V1 presigned URL (`OSSAccessKeyId`, `Expires`, `Signature`);
/// without those parameters the request is anonymous.
pub(super) fn verify_presigned(
    keys: &BTreeMap<String, String>,
    req: &SignedRequest<'_>,
    now_unix_s: u64,
) -> Result<Principal, AuthError> {
    let (id, expires, signature) = (
        req.param("OSSAccessKeyId"),
        req.param("Expires"),
        req.param("Signature"),
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
    let secret = secret_of(keys, id)?;
    check_expiry("Expires", expires, now_unix_s)?;
    let sts = string_to_sign_with_date(
        req.method,
        req.headers,
        expires,
        req.bucket,
        req.key,
        req.query,
    );
    check(secret, id, sts, signature)
}

/// Checks `Authorization: OSS id:signature` (`credentials` is what follows
/// the scheme).
pub(super) fn verify_header(
    keys: &BTreeMap<String, String>,
    authorization: &str,
    credentials: &str,
    req: &SignedRequest<'_>,
    now_unix_s: u64,
) -> Result<Principal, AuthError> {
    let (id, signature) =
        credentials
            .trim()
            .rsplit_once(':')
            .ok_or_else(|| AuthError::Malformed {
                what: "Authorization",
                value: authorization.to_owned(),
            })?;
    let secret = secret_of(keys, id)?;
    check_http_date(req.headers, now_unix_s)?;
    let sts = string_to_sign(req.method, req.headers, req.bucket, req.key, req.query);
    check(secret, id, sts, signature)
}

fn check(secret: &str, id: &str, sts: String, signature: &str) -> Result<Principal, AuthError> {
    verdict(signature_matches(secret, &sts, signature), id, sts, None)
}
