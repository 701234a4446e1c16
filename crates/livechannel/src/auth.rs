//! Request authentication: OSS signature V1 in the `Authorization` header
//! and in presigned URLs (spec §4.1, §4.2), and RTMP push URL signatures
//! (spec §5.2–§5.4).
//!
//! Everything here is a pure function of the request and of `now`; secrets
//! are compared in constant time (through [`hmac::Mac::verify_slice`]).
//!
//! ```
//! use livechannel::auth::{sign, string_to_sign};
//!
//! let mut headers = http::HeaderMap::new();
//! headers.insert("date", "Thu, 25 Aug 2016 05:52:40 GMT".parse().unwrap());
//! let query = [("live".to_owned(), String::new())];
//! let sts = string_to_sign("GET", &headers, Some("test-bucket"), "test-channel", &query);
//! assert_eq!(sts, "GET\n\n\nThu, 25 Aug 2016 05:52:40 GMT\n/test-bucket/test-channel?live");
//! assert_eq!(sign("SECRETEXAMPLE", &sts), "IaMPcfs97ake9W+O1DQHSmeRmok=");
//! ```

mod rtmp;
mod v1;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

pub use rtmp::{rtmp_string_to_sign, verify_rtmp, RtmpAuthError};
pub use v1::{
    canonical_resource, is_subresource, string_to_sign, verify_request, AuthError, Principal,
    MAX_DATE_SKEW_S, SUBRESOURCES,
};

type HmacSha1 = Hmac<Sha1>;

fn mac(secret: &str, string_to_sign: &str) -> HmacSha1 {
    let mut mac =
        HmacSha1::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(string_to_sign.as_bytes());
    mac
}

/// `base64(HMAC-SHA1(secret, string_to_sign))`: the signature of OSS V1
/// requests, presigned URLs and RTMP push URLs.
///
/// ```
/// let sts = "1700003600\nplaylistName:test.m3u8\n/test-bucket/test-channel";
/// assert_eq!(livechannel::auth::sign("SECRETEXAMPLE", sts), "5NcRdpiH0MRxiMnKbcHuAL3v2Ew=");
/// ```
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(mac(secret, string_to_sign).finalize().into_bytes())
}

/// True when `signature` (base64) is the signature of `string_to_sign`
/// under `secret`, compared in constant time.
fn signature_matches(secret: &str, string_to_sign: &str, signature: &str) -> bool {
    let Ok(provided) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    mac(secret, string_to_sign).verify_slice(&provided).is_ok()
}
