//! RTMP push URL signatures (`docs/oss-compatibility.md`, "Push URL
//! signature").

use std::collections::BTreeMap;

use super::signature_matches;

/// Why a push URL's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtmpAuthError {
    /// One of `OSSAccessKeyId`, `Expires`, `Signature` is absent.
    #[error("the push url needs OSSAccessKeyId, Expires and Signature parameters")]
    MissingSignature,
    /// The AccessKeyId is not configured.
    #[error("access key id {0:?} is not known")]
    InvalidAccessKeyId(String),
    /// `Expires` lies before now (checked at connect time only).
    #[error("the push url expired at {expires}, now is {now}")]
    Expired {
        /// The URL's `Expires`, Unix seconds.
        expires: u64,
        /// Now, Unix seconds.
        now: u64,
    },
    /// The signature is not the one this server computes.
    #[error("the push url signature does not match")]
    SignatureDoesNotMatch,
    /// A parameter is not what it should be (e.g. `Expires` is not an integer).
    #[error("malformed push url parameter: {0}")]
    Malformed(String),
}

/// Parameters that are never part of CanonicalizedParams (oss2 `_sign_rtmp_url`).
const UNSIGNED: [&str; 4] = ["OSSAccessKeyId", "Signature", "Expires", "SecurityToken"];

/// The StringToSign of a push URL (`docs/oss-compatibility.md`, "Push URL
/// signature"):
/// `{Expires}\n` + `{k}:{v}\n` for each other parameter sorted by name
/// (byte order) + `/{bucket}/{channel}`.
///
/// `params` are percent-decoded. oss2 and the Java SDK sign
/// `security-token`; the Go SDK does not: `include_security_token` chooses.
///
/// ```
/// use livechannel::auth::rtmp_string_to_sign;
/// let params = [("playlistName".to_owned(), "test.m3u8".to_owned())];
/// assert_eq!(
///     rtmp_string_to_sign(1700003600, &params, "test-bucket", "test-channel", true),
///     "1700003600\nplaylistName:test.m3u8\n/test-bucket/test-channel"
/// );
/// ```
pub fn rtmp_string_to_sign(
    expires: u64,
    params: &[(String, String)],
    bucket: &str,
    channel: &str,
    include_security_token: bool,
) -> String {
    let mut signed: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| !UNSIGNED.contains(&k.as_str()))
        .filter(|(k, _)| include_security_token || k != "security-token")
        .collect();
    signed.sort();
    let mut out = format!("{expires}\n");
    for (k, v) in signed {
        out.push_str(k);
        out.push(':');
        out.push_str(v);
        out.push('\n');
    }
    out.push('/');
    out.push_str(bucket);
    out.push('/');
    out.push_str(channel);
    out
}

/// Checks a push URL's signature (`docs/oss-compatibility.md`, "Publish
/// checks") for `bucket` and `channel`, the raw, percent-decoded channel name.
///
/// `params` are the push parameters, percent-decoded, in wire order; `keys`
/// maps AccessKeyId → secret. Whether the bucket's ACL requires a signature
/// at all (it does unless public-read-write) is the caller's decision.
/// A signature made with or without `security-token` in the canonical
/// parameters is accepted (the SDKs disagree: `docs/oss-compatibility.md`,
/// "Push URL signature").
///
/// ```
/// use std::collections::BTreeMap;
/// use livechannel::auth::{verify_rtmp, RtmpAuthError};
///
/// let keys = BTreeMap::from([("AKIDEXAMPLE".to_owned(), "SECRETEXAMPLE".to_owned())]);
/// let params: Vec<(String, String)> = [
///     ("playlistName", "test.m3u8"),
///     ("OSSAccessKeyId", "AKIDEXAMPLE"),
///     ("Expires", "1700003600"),
///     ("Signature", "5NcRdpiH0MRxiMnKbcHuAL3v2Ew="),
/// ]
/// .into_iter()
/// .map(|(k, v)| (k.to_owned(), v.to_owned()))
/// .collect();
/// assert_eq!(verify_rtmp(&keys, "test-bucket", "test-channel", &params, 1_700_000_000), Ok(()));
/// assert_eq!(
///     verify_rtmp(&keys, "test-bucket", "other", &params, 1_700_000_000),
///     Err(RtmpAuthError::SignatureDoesNotMatch)
/// );
/// ```
pub fn verify_rtmp(
    keys: &BTreeMap<String, String>,
    bucket: &str,
    channel: &str,
    params: &[(String, String)],
    now_unix_s: u64,
) -> Result<(), RtmpAuthError> {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(id), Some(expires), Some(signature)) = (
        param("OSSAccessKeyId"),
        param("Expires"),
        param("Signature"),
    ) else {
        return Err(RtmpAuthError::MissingSignature);
    };
    let secret = keys
        .get(id)
        .ok_or_else(|| RtmpAuthError::InvalidAccessKeyId(id.to_owned()))?;
    let expires: u64 = expires
        .trim()
        .parse()
        .map_err(|_| RtmpAuthError::Malformed(format!("Expires {expires:?} is not a unix time")))?;
    if expires < now_unix_s {
        return Err(RtmpAuthError::Expired {
            expires,
            now: now_unix_s,
        });
    }
    let with_token = rtmp_string_to_sign(expires, params, bucket, channel, true);
    if signature_matches(secret, &with_token, signature) {
        return Ok(());
    }
    if param("security-token").is_some() {
        let without_token = rtmp_string_to_sign(expires, params, bucket, channel, false);
        if signature_matches(secret, &without_token, signature) {
            return Ok(());
        }
    }
    Err(RtmpAuthError::SignatureDoesNotMatch)
}
