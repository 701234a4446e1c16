//! Server session settings.

use std::time::Duration;

use crate::{ChunkLimits, MessagePool};

/// Settings of a [`ServerSession`](crate::ServerSession).
///
/// ```
/// use std::time::Duration;
/// use livechannel_rtmp::ServerConfig;
///
/// let config = ServerConfig { idle_timeout: Duration::from_secs(10), seed: 7, ..ServerConfig::default() };
/// assert_eq!(config.chunk_size, 4096);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The chunk size we send with, announced when accepting `connect`.
    /// Default 4096 (what FFmpeg and nginx-rtmp use).
    pub chunk_size: u32,
    /// Window Acknowledgement Size we announce: the peer acknowledges after
    /// this many bytes. Default 2 500 000.
    pub window_ack_size: u32,
    /// Set Peer Bandwidth we announce (limit type dynamic). Default 2 500 000.
    pub peer_bandwidth: u32,
    /// The handshake must complete within this time from
    /// [`ServerSession::new`](crate::ServerSession::new). Default 10 s.
    pub handshake_timeout: Duration,
    /// After the handshake, nothing received for this long closes the
    /// session with [`Error::IdleTimeout`](crate::Error::IdleTimeout). Half
    /// way through a silence the session sends a ping request, which live
    /// clients answer. Default 30 s.
    pub idle_timeout: Duration,
    /// Bounds on what the peer can make the session hold.
    pub limits: ChunkLimits,
    /// Seed for the handshake's filler bytes (no OS randomness is used).
    pub seed: u64,
    /// Buffers for messages that come in several chunks, shared by the
    /// sessions of a server ([`MessagePool`]); None: each message is an
    /// allocation of its own. Default None.
    pub message_pool: Option<MessagePool>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            chunk_size: 4096,
            window_ack_size: 2_500_000,
            peer_bandwidth: 2_500_000,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            limits: ChunkLimits::default(),
            seed: 0,
            message_pool: None,
        }
    }
}
