//! Client session settings.

use std::time::Duration;

use super::RtmpUrl;
use crate::ChunkLimits;

/// Settings of a [`ClientSession`](crate::ClientSession).
///
/// ```
/// use livechannel_rtmp::{parse_rtmp_url, ClientConfig};
///
/// let config = ClientConfig::from_url(&parse_rtmp_url("rtmp://localhost/live/ch?k=v")?);
/// assert_eq!(config.app, "live");
/// assert_eq!(config.stream_name, "ch?k=v");
/// # Ok::<(), livechannel_rtmp::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The application to connect to (`connect`'s `app`).
    pub app: String,
    /// The `tcUrl` sent in `connect`, e.g. `rtmp://host/live`.
    pub tc_url: String,
    /// The stream to publish; may carry a `?query`.
    pub stream_name: String,
    /// The chunk size we send with (announced right after the handshake).
    /// Default 4096.
    pub chunk_size: u32,
    /// The `flashVer` sent in `connect`. Default `FMLE/3.0 (compatible; livechannel)`.
    pub flash_ver: String,
    /// Seed for the handshake's filler bytes.
    pub seed: u64,
    /// How long to wait for the handshake and for each answer of the
    /// server (connect, createStream, publish). Default 10 s.
    pub response_timeout: Duration,
    /// Bounds on what the server can make the session hold.
    pub limits: ChunkLimits,
}

impl ClientConfig {
    /// Settings with defaults for everything but the three names.
    pub fn new(app: &str, tc_url: &str, stream_name: &str) -> Self {
        ClientConfig {
            app: app.to_owned(),
            tc_url: tc_url.to_owned(),
            stream_name: stream_name.to_owned(),
            chunk_size: 4096,
            flash_ver: "FMLE/3.0 (compatible; livechannel)".to_owned(),
            seed: 0,
            response_timeout: Duration::from_secs(10),
            limits: ChunkLimits::default(),
        }
    }

    /// Settings for a parsed URL (see [`parse_rtmp_url`](crate::parse_rtmp_url)).
    pub fn from_url(url: &RtmpUrl) -> Self {
        Self::new(&url.app, &url.tc_url, &url.stream_name)
    }
}
