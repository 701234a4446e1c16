//! OSS LiveChannel as a runtime-free library.
//!
//! | Specification | Version / section | Link |
//! |---|---|---|
//! | Alibaba Cloud OSS LiveChannel API, as implemented here | `docs/oss-compatibility.md` (every call, error, signature and ingest rule, and what differs from OSS); tested with oss2 2.19.1 | <https://www.alibabacloud.com/help/en/oss/developer-reference/livechannel> |
//! | OSS signatures V1, V2 and V4 (header and presigned URL), RTMP URL signatures | `docs/oss-compatibility.md`, "Signatures" and "Push URL signature"; oss2 2.19.1 `auth.py` | <https://www.alibabacloud.com/help/en/oss/developer-reference/recommend-to-use-signature-version-4> |
//! | HTTP Live Streaming | RFC 8216 | <https://www.rfc-editor.org/rfc/rfc8216> |
//!
//! This crate owns the OSS side of the system: the HTTP API as a function
//! ([`Service::handle`]: addressing, signatures, access rules, XML bodies,
//! errors), the records kept in the store ([`catalog`]: buckets, channels,
//! history, the VOD index, publish leases), the [`ObjectStore`](store::ObjectStore)
//! trait with an in-memory store, and RTMP ingest from a publisher's bytes
//! to stored segments and playlists ([`Connection`], which runs a
//! `livechannel-rtmp` session and feeds a [`Publisher`]). The RTMP
//! protocol, FLV, codecs, MPEG-TS, playlists and segmenting belong to the
//! other crates of the workspace; sockets, files and clocks to the driver
//! (`examples/`).
//!
//! [`Service`] composes the media crates (FLV tag bodies → `livechannel-hls`
//! segments → `livechannel-m3u8` playlists) with channel records kept in an
//! [`ObjectStore`](store::ObjectStore), and answers the OSS-compatible HTTP
//! API as a function of a request. It opens no socket, reads no clock and
//! needs no runtime: the driver brings all three.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]
#![forbid(clippy::print_stdout, clippy::print_stderr)]

pub mod addressing;
pub mod api;
pub mod auth;
pub mod catalog;
mod ingest;
mod live;
mod service;
pub mod store;
mod time;
mod xml;

pub use addressing::{resolve_publish, AddressError, PublishAddress};
pub use ingest::{
    Connection, ConnectionConfig, ConnectionEvent, EndReason, IngestError, IngestWarning,
    PublishError, PublishRequest, Publisher, Refusal, BUSY_WAIT, DISABLED_CHECK_MS, TAKEOVER_WAIT,
};
pub use live::{AudioStat, LiveStat, VideoStat, SILENT_TAKEOVER_MS};
pub use livechannel_hls::{SegmentFormat, VideoCodecKind};
pub use livechannel_rtmp::ReadHint;
pub use service::{Counters, RetryPolicy, Service, ServiceConfig, VideoCodecs};
pub use time::unix_ms;
