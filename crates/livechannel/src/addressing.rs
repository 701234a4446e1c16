//! Addressing: from what a client sent to a bucket, a key or channel, and
//! parameters. One module for the HTTP API ([`Service::handle`]) and RTMP
//! ingest ([`resolve_publish`]), so that the two read a host, a query and
//! a `name?query` string by the same rules (two copies of these drifted:
//! a mixed-case host or an IPv6 literal resolved differently on the two
//! paths).
//!
//! | What | Rule | Here |
//! |---|---|---|
//! | Host | ASCII lower case; without user information, a numeric port, a trailing dot; IPv6 literals keep their brackets (`[::1]:8080` is `[::1]`) | [`host_name`] |
//! | Virtual host | `BUCKET.DOMAIN[:port]` for [`ServiceConfig::domain`] (normalised the same way) names BUCKET: one non-empty label above the domain | [`virtual_host_bucket`] |
//! | Path style | HTTP: the first path segment (`/BUCKET/KEY`); RTMP: the app `BUCKET/live`, on a host that names no bucket | [`Style::Path`] |
//! | Default bucket | RTMP only: app `live` on a host that names no bucket goes to the driver's default bucket | [`Style::DefaultBucket`] |
//! | `name?query` | split at the first `?`; `ch?` has no query | [`split_query`] |
//! | Query | `a=b&c` percent-decoded in wire order; `+` is a space for HTTP ([`Plus::Space`]), a `+` for RTMP ([`Plus::Literal`]) | [`parse_query`] |
//!
//! Why two readings of `+`: HTTP clients encode queries as forms (a space
//! is `+`, a plus `%2B`), while an RTMP push URL is sent as typed and its
//! base64 `Signature` may hold a raw `+` (see [`Plus`]).
//!
//! The RTMP session (`livechannel-rtmp`'s `ServerSession`) splits the
//! query off the app and the stream name itself: `name?query` is RTMP's
//! own convention, and that crate cannot use this one. It splits by the
//! rule of [`split_query`] (both crates test the same table), and
//! [`resolve_publish`] accepts names with or without their query.
//!
//! [`Service::handle`]: crate::Service::handle
//! [`ServiceConfig::domain`]: crate::ServiceConfig::domain

mod host;
mod publish;
mod query;

pub(crate) use host::strip_userinfo;
pub use host::{host_name, virtual_host_bucket};
pub use publish::{resolve_publish, AddressError, PublishAddress};
pub(crate) use query::{decoded_pairs, join_queries};
pub use query::{parse_query, split_query, Plus};

/// How a request named its bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The host: `BUCKET.DOMAIN[:port]` (HTTP and RTMP).
    VirtualHost,
    /// The path: `/BUCKET/KEY` over HTTP, app `BUCKET/live` over RTMP.
    Path,
    /// Neither: RTMP app `live` on a host that names no bucket, pushed to
    /// the driver's default bucket. Never an HTTP request's style.
    DefaultBucket,
}

#[cfg(test)]
mod agreement;
