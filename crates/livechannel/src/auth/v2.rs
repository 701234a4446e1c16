//! OSS signature V2 (`OSS2`): the `Authorization` header and presigned
//! URLs, byte for byte as oss2's `ProviderAuthV2` signs them.

use std::collections::BTreeMap;

use base64::Engine;

use super::{
    additional_headers, auth_field, canonical_path, canonical_query, check_expiry, check_http_date,
    header, push_canonical_headers, secret_of, sha256_mac_matches, verdict, AuthError, Principal,
    SignedRequest,
};

/// The V2 string to sign: method, `Content-MD5`, `Content-Type` and `date`
/// lines, the `x-oss-*` and `additional_headers` as `name:value\n` sorted by
/// name, the additional header names joined by `;` and a newline, then the
/// canonical resource: `/bucket/key` URI-encoded **including** its `/`s,
/// then `?` and every query parameter URI-encoded and sorted (but
/// `x-oss-signature` when `presigned`).
///
/// `date` is the `Date` header of a header-signed request and the
/// `x-oss-expires` value of a presigned URL; `additional_headers` are
/// lower-case and sorted.
///
/// ```
/// use livechannel::auth::{v2_string_to_sign, SignedRequest};
///
/// let headers = http::HeaderMap::new();
/// let req = SignedRequest {
///     method: "GET",
///     headers: &headers,
///     bucket: Some("b"),
///     key: "ch/a b",
///     query: &[],
///     raw_query: "live=&comp=stat",
/// };
/// assert_eq!(
///     v2_string_to_sign(&req, &[], "Thu, 25 Aug 2016 05:52:40 GMT", false),
///     "GET\n\n\nThu, 25 Aug 2016 05:52:40 GMT\n\n%2Fb%2Fch%2Fa%20b?comp=stat&live"
/// );
/// ```
pub fn v2_string_to_sign(
    req: &SignedRequest<'_>,
    additional_headers: &[String],
    date: &str,
    presigned: bool,
) -> String {
    let mut out = String::new();
    for line in [
        req.method,
        &header(req.headers, "content-md5"),
        &header(req.headers, "content-type"),
        date,
    ] {
        out.push_str(line);
        out.push('\n');
    }
    let signed =
        |name: &str| name.starts_with("x-oss-") || additional_headers.iter().any(|h| h == name);
    push_canonical_headers(&mut out, req.headers, signed, false);
    out.push_str(&additional_headers.join(";"));
    out.push('\n');
    out.push_str(&canonical_path(req.bucket, req.key, false));
    let query = canonical_query(req.raw_query, presigned.then_some("x-oss-signature"));
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query);
    }
    out
}

fn check(secret: &str, id: &str, sts: String, signature: &str) -> Result<Principal, AuthError> {
    let provided = base64::engine::general_purpose::STANDARD.decode(signature.trim());
    let matches = provided.is_ok_and(|p| sha256_mac_matches(secret.as_bytes(), sts.as_bytes(), &p));
    verdict(matches, id, sts, None)
}

/// Checks `Authorization: OSS2 AccessKeyId:…[,AdditionalHeaders:…],Signature:…`
/// (`fields` is what follows the scheme).
pub(super) fn verify_header(
    keys: &BTreeMap<String, String>,
    authorization: &str,
    fields: &str,
    req: &SignedRequest<'_>,
    now_unix_s: u64,
) -> Result<Principal, AuthError> {
    let field = |name| auth_field(fields, ':', name);
    let (Some(id), Some(signature)) = (field("AccessKeyId"), field("Signature")) else {
        return Err(AuthError::Malformed {
            what: "Authorization",
            value: authorization.to_owned(),
        });
    };
    let secret = secret_of(keys, id)?;
    check_http_date(req.headers, now_unix_s)?;
    let additional = additional_headers(field("AdditionalHeaders").unwrap_or_default());
    let sts = v2_string_to_sign(req, &additional, &header(req.headers, "date"), false);
    check(secret, id, sts, signature)
}

/// Checks a V2 presigned URL (`x-oss-signature-version=OSS2`).
pub(super) fn verify_presigned(
    keys: &BTreeMap<String, String>,
    req: &SignedRequest<'_>,
    now_unix_s: u64,
) -> Result<Principal, AuthError> {
    let (Some(id), Some(expires), Some(signature)) = (
        req.param("x-oss-access-key-id"),
        req.param("x-oss-expires"),
        req.param("x-oss-signature"),
    ) else {
        return Err(AuthError::Malformed {
            what: "presigned url",
            value: "x-oss-access-key-id, x-oss-expires and x-oss-signature go together".to_owned(),
        });
    };
    let secret = secret_of(keys, id)?;
    check_expiry("x-oss-expires", expires, now_unix_s)?;
    let additional = additional_headers(req.param("x-oss-additional-headers").unwrap_or_default());
    let sts = v2_string_to_sign(req, &additional, expires, true);
    check(secret, id, sts, signature)
}
