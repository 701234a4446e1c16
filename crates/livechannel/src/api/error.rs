//! The errors the API answers with: HTTP status, OSS `Code` (the pair oss2
//! maps to an exception class), message, and the optional `EC` and extra
//! elements (`docs/oss-compatibility.md`, "Errors").

use http::StatusCode;

use crate::auth::AuthError;
use crate::catalog::CatalogError;
use crate::store::StoreError;

/// An error response, before it gets its request id and host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) ec: Option<&'static str>,
    /// Elements after `HostId` (`ArgumentName`, `StringToSign`, ...).
    pub(crate) extra: Vec<(&'static str, String)>,
    /// Headers the error response carries besides the usual ones.
    pub(crate) headers: Vec<(http::HeaderName, String)>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            ec: None,
            extra: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub(crate) fn with_ec(mut self, ec: Option<&'static str>) -> Self {
        self.ec = ec;
        self
    }

    pub(crate) fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }

    pub(crate) fn invalid_argument(message: impl Into<String>, name: &str, value: &str) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
            .with("ArgumentName", name)
            .with("ArgumentValue", value)
    }

    pub(crate) fn malformed_xml(reason: &str) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "MalformedXML",
            format!("The XML you provided was not well-formed or did not validate against our published schema: {reason}."),
        )
    }

    pub(crate) fn invalid_object_name(key: &str, reason: &str) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidObjectName",
            format!("The specified object name is not valid: {reason}."),
        )
        .with("ObjectName", key)
    }

    pub(crate) fn invalid_bucket_name(bucket: &str) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidBucketName",
            "The specified bucket is not valid.",
        )
        .with("BucketName", bucket)
    }

    pub(crate) fn no_such_bucket(bucket: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist.",
        )
        .with("BucketName", bucket)
    }

    pub(crate) fn no_such_key(key: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        )
        .with("Key", key)
    }

    pub(crate) fn no_such_live_channel(channel: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NoSuchLiveChannel",
            "The specified live channel does not exist.",
        )
        .with("ChannelName", channel)
        .with_ec(Some("0026-00000021"))
    }

    pub(crate) fn channel_still_live(channel: &str) -> Self {
        ApiError::new(
            StatusCode::CONFLICT,
            "ChannelStillLive",
            "The live channel is in Live state, cannot be deleted or updated.",
        )
        .with("ChannelName", channel)
        .with_ec(Some("0044-00000201"))
    }

    pub(crate) fn bucket_not_empty(bucket: &str) -> Self {
        ApiError::new(
            StatusCode::CONFLICT,
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty.",
        )
        .with("BucketName", bucket)
    }

    pub(crate) fn access_denied(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "AccessDenied", message)
    }

    pub(crate) fn method_not_allowed(method: &http::Method) -> Self {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )
        .with("Method", method.as_str())
    }

    /// oss2 maps (400, `NotImplemented`) to `oss2.exceptions.NotImplemented`.
    pub(crate) fn not_implemented(what: &str) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "NotImplemented",
            format!("{what} is not implemented by this server."),
        )
    }

    pub(crate) fn invalid_range(size: u64) -> Self {
        let mut e = ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "InvalidRange",
            "The requested range cannot be satisfied.",
        );
        e.headers
            .push((http::header::CONTENT_RANGE, format!("bytes */{size}")));
        e
    }

    pub(crate) fn internal(reason: impl std::fmt::Display) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            format!("We encountered an internal error: {reason}."),
        )
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        ApiError::internal(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { key } => {
                // Store keys are `{bucket}/{key}`: report the object key.
                let key = key
                    .split_once('/')
                    .map_or(key.as_str(), |(_, k)| k)
                    .to_owned();
                ApiError::no_such_key(&key)
            }
            StoreError::RangeNotSatisfiable { size, .. } => ApiError::invalid_range(size),
            other => ApiError::internal(other),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidAccessKeyId(id) => ApiError::new(
                StatusCode::FORBIDDEN,
                "InvalidAccessKeyId",
                "The OSS Access Key Id you provided does not exist in our records.",
            )
            .with("OSSAccessKeyId", id),
            AuthError::SignatureDoesNotMatch {
                access_key_id,
                string_to_sign,
                canonical_request,
            } => {
                let e = ApiError::new(
                    StatusCode::FORBIDDEN,
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                )
                .with("OSSAccessKeyId", access_key_id)
                .with("StringToSign", string_to_sign);
                match canonical_request {
                    // V4: OSS adds the canonical request and EC 0002-00000201.
                    Some(canonical) => e
                        .with("CanonicalRequest", canonical)
                        .with_ec(Some("0002-00000201")),
                    None => e,
                }
            }
            AuthError::Expired { expires, now } => ApiError::access_denied("Request has expired.")
                .with("Expires", httpdate_of(expires))
                .with("ServerTime", httpdate_of(now)),
            AuthError::RequestTimeTooSkewed { date, now } => ApiError::new(
                StatusCode::FORBIDDEN,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            )
            .with("RequestTime", date)
            .with("ServerTime", httpdate_of(now)),
            AuthError::MissingDate => ApiError::access_denied("OSS authentication requires a valid Date."),
            AuthError::Malformed { what, value } => {
                ApiError::invalid_argument(format!("The {what} is not valid."), what, &value)
            }
            AuthError::InvalidCredential { credential, reason } => ApiError::invalid_argument(
                format!("Invalid credential in the V4 signature: {reason}."),
                "Credential",
                &credential,
            )
            .with_ec(Some("0002-00000213")),
            AuthError::RegionMismatch { expected, found } => ApiError::access_denied(format!(
                "Invalid signing region in the V4 credential: it names {found}, this server's region is {expected}."
            ))
            .with("SigningRegion", found)
            .with("ServerRegion", expected)
            .with_ec(Some("0002-00000228")),
            AuthError::UnsupportedPayloadHash(value) => ApiError::invalid_argument(
                "x-oss-content-sha256 must be UNSIGNED-PAYLOAD.",
                "x-oss-content-sha256",
                &value,
            ),
            AuthError::UnsupportedScheme(scheme) => ApiError::invalid_argument(
                "Supported signatures are OSS (V1), OSS2 (V2) and OSS4-HMAC-SHA256 (V4).",
                "Authorization",
                &scheme,
            ),
        }
    }
}

fn httpdate_of(unix_s: u64) -> String {
    httpdate::fmt_http_date(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_s.min(253_402_300_799)),
    )
}
