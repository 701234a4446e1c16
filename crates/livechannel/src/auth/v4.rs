//! OSS signature V4 (`OSS4-HMAC-SHA256`): the `Authorization` header and
//! presigned URLs (`docs/oss-compatibility.md`, "Signature V4"; OSS doc "Include a V4 signature in the
//! Authorization header"; oss2 `ProviderAuthV4`).

use std::collections::BTreeMap;

use super::{
    additional_headers, auth_field, canonical_path, canonical_query, hex, hmac_sha256,
    push_canonical_headers, secret_of, sha256_hex, sha256_mac_matches, verdict, AuthError,
    Principal, SignedRequest, MAX_DATE_SKEW_S,
};

/// The region a server has unless configured otherwise: the one oss2's
/// own tests and examples sign for.
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// Longest validity of a V4 presigned URL, seconds (`x-oss-expires`
/// ranges over 1..=604800, seven days, as on OSS).
pub const MAX_PRESIGN_EXPIRES_S: u64 = 7 * 24 * 3600;

/// The `Authorization` scheme and `x-oss-signature-version` of V4.
pub(super) const ALGORITHM: &str = "OSS4-HMAC-SHA256";
/// The product of the credential scope (`oss-cloudbox` is not served here).
const PRODUCT: &str = "oss";
const TERMINATOR: &str = "aliyun_v4_request";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
const PAYLOAD_HEADER: &str = "x-oss-content-sha256";

/// The V4 canonical request: method, URI-encoded `/bucket/key` (keeping
/// `/`), the canonical query of every parameter (but `x-oss-signature` when
/// `presigned`), the canonical headers (every `x-oss-*`, `content-type`,
/// `content-md5` and the `additional_headers`), the additional header
/// names, and the payload hash (`x-oss-content-sha256`, by default
/// `UNSIGNED-PAYLOAD`), joined by `\n`.
///
/// `additional_headers` are lower-case and sorted, as the `AdditionalHeaders`
/// list is canonicalised.
///
/// ```
/// use livechannel::auth::{v4_canonical_request, SignedRequest};
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-oss-date", "20231216T162057Z".parse().unwrap());
/// headers.insert("x-oss-content-sha256", "UNSIGNED-PAYLOAD".parse().unwrap());
/// let req = SignedRequest {
///     method: "GET",
///     headers: &headers,
///     bucket: Some("b"),
///     key: "ch/a b.m3u8",
///     query: &[],
///     raw_query: "comp=stat&live",
/// };
/// assert_eq!(
///     v4_canonical_request(&req, &[], false),
///     "GET\n/b/ch/a%20b.m3u8\ncomp=stat&live\n\
///      x-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\n\n\nUNSIGNED-PAYLOAD"
/// );
/// ```
pub fn v4_canonical_request(
    req: &SignedRequest<'_>,
    additional_headers: &[String],
    presigned: bool,
) -> String {
    let mut out = String::new();
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_path(req.bucket, req.key, true));
    out.push('\n');
    let skip = presigned.then_some("x-oss-signature");
    out.push_str(&canonical_query(req.raw_query, skip));
    out.push('\n');
    let signed = |name: &str| {
        name.starts_with("x-oss-")
            || name == "content-type"
            || name == "content-md5"
            || additional_headers.iter().any(|h| h == name)
    };
    push_canonical_headers(&mut out, req.headers, signed, true);
    out.push('\n');
    out.push_str(&additional_headers.join(";"));
    out.push('\n');
    match req.headers.get(PAYLOAD_HEADER) {
        Some(v) => out.push_str(String::from_utf8_lossy(v.as_bytes()).trim()),
        None => out.push_str(UNSIGNED_PAYLOAD),
    }
    out
}

/// The V4 string to sign: `OSS4-HMAC-SHA256\n{datetime}\n{scope}\n` +
/// hex SHA-256 of the canonical request, where `scope` is
/// `YYYYMMDD/REGION/oss/aliyun_v4_request`.
pub fn v4_string_to_sign(datetime: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{datetime}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The V4 signing key: HMAC-SHA256 over `date` (`YYYYMMDD`), `region`,
/// `product` (`oss`) and `aliyun_v4_request` in turn, starting from the key
/// `"aliyun_v4" + secret`.
pub fn v4_signing_key(secret: &str, date: &str, region: &str, product: &str) -> [u8; 32] {
    let k = hmac_sha256(format!("aliyun_v4{secret}").as_bytes(), date.as_bytes());
    let k = hmac_sha256(&k, region.as_bytes());
    let k = hmac_sha256(&k, product.as_bytes());
    hmac_sha256(&k, TERMINATOR.as_bytes())
}

/// The V4 signature (lower-case hex) of `string_to_sign` for a scope of
/// `date` (`YYYYMMDD`), `region` and `product` (`oss`).
///
/// ```
/// use livechannel::auth::{v4_sign, v4_string_to_sign};
/// let sts = v4_string_to_sign("20231216T162057Z", "20231216/cn-hangzhou/oss/aliyun_v4_request", "");
/// assert_eq!(v4_sign("sk", "20231216", "cn-hangzhou", "oss", &sts).len(), 64);
/// ```
pub fn v4_sign(
    secret: &str,
    date: &str,
    region: &str,
    product: &str,
    string_to_sign: &str,
) -> String {
    hex(&hmac_sha256(
        &v4_signing_key(secret, date, region, product),
        string_to_sign.as_bytes(),
    ))
}

/// `AK/YYYYMMDD/REGION/oss/aliyun_v4_request`, checked.
struct Credential<'a> {
    id: &'a str,
    date: &'a str,
    region: &'a str,
}

fn parse_credential(credential: &str) -> Result<Credential<'_>, AuthError> {
    let invalid = |reason: &str| AuthError::InvalidCredential {
        credential: credential.to_owned(),
        reason: reason.to_owned(),
    };
    // The AccessKeyId is everything before the last four `/`.
    let mut parts = credential.trim().rsplitn(5, '/');
    let (Some(terminator), Some(product), Some(region), Some(date), Some(id)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(invalid(
            "expected AccessKeyId/YYYYMMDD/Region/oss/aliyun_v4_request",
        ));
    };
    if terminator != TERMINATOR {
        return Err(invalid("the scope must end with aliyun_v4_request"));
    }
    if product != PRODUCT {
        return Err(invalid("the scope's product must be oss"));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("the scope's date must be YYYYMMDD"));
    }
    if id.is_empty() || region.is_empty() {
        return Err(invalid("the AccessKeyId and the region must not be empty"));
    }
    Ok(Credential { id, date, region })
}

/// Unix seconds of an ISO 8601 basic UTC time, `YYYYMMDDTHHMMSSZ`.
fn parse_datetime(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u64> {
        let digits = s.get(range)?;
        digits
            .bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days since 1970-01-01 of a Gregorian date (Howard Hinnant's algorithm).
    let (y, m) = (y as i64 - i64::from(m <= 2), m as i64);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + (hh * 3600 + mm * 60 + ss) as i64).ok()
}

fn check_region(region: &str, credential: &Credential<'_>) -> Result<(), AuthError> {
    if credential.region == region {
        Ok(())
    } else {
        Err(AuthError::RegionMismatch {
            expected: region.to_owned(),
            found: credential.region.to_owned(),
        })
    }
}

fn check_scope_date(
    credential: &Credential<'_>,
    raw: &str,
    datetime: &str,
) -> Result<(), AuthError> {
    if datetime.starts_with(credential.date) {
        Ok(())
    } else {
        Err(AuthError::InvalidCredential {
            credential: raw.to_owned(),
            reason: format!("the scope's date is not the date of x-oss-date {datetime}"),
        })
    }
}

fn check_payload_hash(req: &SignedRequest<'_>, required: bool) -> Result<(), AuthError> {
    match req.headers.get(PAYLOAD_HEADER) {
        None if required => Err(AuthError::Malformed {
            what: PAYLOAD_HEADER,
            value: String::new(),
        }),
        None => Ok(()),
        Some(v) if v.as_bytes() == UNSIGNED_PAYLOAD.as_bytes() => Ok(()),
        Some(v) => Err(AuthError::UnsupportedPayloadHash(
            String::from_utf8_lossy(v.as_bytes()).into_owned(),
        )),
    }
}

/// Recomputes the signature and compares it with `signature` (hex).
fn check_signature(
    secret: &str,
    credential: &Credential<'_>,
    datetime: &str,
    canonical_request: String,
    signature: &str,
) -> Result<Principal, AuthError> {
    let scope = format!(
        "{}/{}/{PRODUCT}/{TERMINATOR}",
        credential.date, credential.region
    );
    let sts = v4_string_to_sign(datetime, &scope, &canonical_request);
    let key = v4_signing_key(secret, credential.date, credential.region, PRODUCT);
    let provided = decode_hex(signature.trim());
    let matches = provided.is_some_and(|p| sha256_mac_matches(&key, sts.as_bytes(), &p));
    verdict(matches, credential.id, sts, Some(canonical_request))
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks `Authorization: OSS4-HMAC-SHA256 Credential=…, [AdditionalHeaders=…, ]Signature=…`
/// (`fields` is what follows the scheme; the fields may come in any order,
/// separated by `,` with or without a space).
pub(super) fn verify_header(
    keys: &BTreeMap<String, String>,
    region: &str,
    authorization: &str,
    fields: &str,
    req: &SignedRequest<'_>,
    now_unix_s: u64,
) -> Result<Principal, AuthError> {
    let field = |name| auth_field(fields, '=', name);
    let (Some(raw_credential), Some(signature)) = (field("Credential"), field("Signature")) else {
        return Err(AuthError::Malformed {
            what: "Authorization",
            value: authorization.to_owned(),
        });
    };
    let credential = parse_credential(raw_credential)?;
    let secret = secret_of(keys, credential.id)?;
    check_region(region, &credential)?;
    let datetime = req
        .headers
        .get("x-oss-date")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .ok_or(AuthError::MissingDate)?;
    let date_s = parse_datetime(datetime).ok_or(AuthError::MissingDate)?;
    if date_s.abs_diff(now_unix_s) > MAX_DATE_SKEW_S {
        return Err(AuthError::RequestTimeTooSkewed {
            date: datetime.to_owned(),
            now: now_unix_s,
        });
    }
    check_scope_date(&credential, raw_credential, datetime)?;
    check_payload_hash(req, true)?;
    let additional = additional_headers(field("AdditionalHeaders").unwrap_or_default());
    let canonical = v4_canonical_request(req, &additional, false);
    check_signature(secret, &credential, datetime, canonical, signature)
}

/// Checks a V4 presigned URL (`x-oss-signature-version=OSS4-HMAC-SHA256`).
pub(super) fn verify_presigned(
    keys: &BTreeMap<String, String>,
    region: &str,
    req: &SignedRequest<'_>,
    now_unix_s: u64,
) -> Result<Principal, AuthError> {
    let (Some(raw_credential), Some(datetime), Some(expires), Some(signature)) = (
        req.param("x-oss-credential"),
        req.param("x-oss-date"),
        req.param("x-oss-expires"),
        req.param("x-oss-signature"),
    ) else {
        return Err(AuthError::Malformed {
            what: "presigned url",
            value: "x-oss-credential, x-oss-date, x-oss-expires and x-oss-signature go together"
                .to_owned(),
        });
    };
    let credential = parse_credential(raw_credential)?;
    let secret = secret_of(keys, credential.id)?;
    check_region(region, &credential)?;
    let date_s = parse_datetime(datetime).ok_or_else(|| AuthError::Malformed {
        what: "x-oss-date",
        value: datetime.to_owned(),
    })?;
    let expires_s = expires
        .parse::<u64>()
        .ok()
        .filter(|s| (1..=MAX_PRESIGN_EXPIRES_S).contains(s))
        .ok_or_else(|| AuthError::Malformed {
            what: "x-oss-expires",
            value: expires.to_owned(),
        })?;
    if date_s > now_unix_s + MAX_DATE_SKEW_S {
        return Err(AuthError::RequestTimeTooSkewed {
            date: datetime.to_owned(),
            now: now_unix_s,
        });
    }
    if date_s + expires_s < now_unix_s {
        return Err(AuthError::Expired {
            expires: date_s + expires_s,
            now: now_unix_s,
        });
    }
    check_scope_date(&credential, raw_credential, datetime)?;
    check_payload_hash(req, false)?;
    let additional = additional_headers(req.param("x-oss-additional-headers").unwrap_or_default());
    let canonical = v4_canonical_request(req, &additional, true);
    check_signature(secret, &credential, datetime, canonical, signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes() {
        assert_eq!(parse_datetime("19700101T000000Z"), Some(0));
        assert_eq!(parse_datetime("20231216T162057Z"), Some(1_702_743_657));
        assert_eq!(parse_datetime("20240229T235959Z"), Some(1_709_251_199));
        for bad in [
            "20231216T162057",
            "2023121GT162057Z",
            "20231316T162057Z",
            "+0231216T162057Z",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn credentials() {
        let c = parse_credential("ak/20231216/cn-hangzhou/oss/aliyun_v4_request").unwrap();
        assert_eq!((c.id, c.date, c.region), ("ak", "20231216", "cn-hangzhou"));
        for bad in [
            "ak/20231216/cn-hangzhou/oss/abc",
            "ak/20231216/cn-hangzhou/oss-cloudbox/aliyun_v4_request",
            "ak/2023-12-16/cn-hangzhou/oss/aliyun_v4_request",
            "20231216/cn-hangzhou/oss/aliyun_v4_request",
            "/20231216/cn-hangzhou/oss/aliyun_v4_request",
        ] {
            assert!(
                matches!(
                    parse_credential(bad),
                    Err(AuthError::InvalidCredential { .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(decode_hex("0aFf"), Some(vec![10, 255]));
        assert_eq!(decode_hex("0a0"), None);
        assert_eq!(decode_hex("zz"), None);
    }
}
