//! RTMP ingest: from a publisher's bytes to stored segments and playlists.
//!
//! A driver that owns a socket feeds a [`Connection`]: the RTMP session
//! and the [`Publisher`] behind it, without I/O. It works out where the
//! push goes ([`resolve_publish`](crate::addressing::resolve_publish)),
//! admits it ([`Service::publish`](crate::Service::publish)), answers the
//! publisher (a [`Refusal`] carries its `onStatus` code), and feeds every
//! audio/video message to the publisher, awaiting each: that await is the
//! backpressure towards a publisher when the store is slow.
//!
//! A driver with an RTMP stack of its own uses the same pieces directly:
//! [`Service::publish`](crate::Service::publish), then
//! [`Publisher::video`]/[`Publisher::audio`] for each message, and
//! [`Publisher::finish`] when the connection ends or a push returns
//! [`IngestError::Disabled`] (within [`DISABLED_CHECK_MS`] of the channel
//! being disabled; [`Publisher::is_disabled`] tells without media).
//!
//! | module | holds |
//! |---|---|
//! | `connection` | the bridge from RTMP session events to a publisher |
//! | `admission` | the checks, the claim, the lease, the resumed playlist |
//! | `publisher` | one push: media to segments, lease renewal, History |
//! | `writer` | segment, index entry, playlist: the store side, in order |
//! | `retry` | the one place a failed store write is retried |
//! | `meter` | what Stat shows: tracks and rates |
//! | `context` | what ingest needs of the service |
//!
//! For each segment the store sees, in this order: the segment object
//! `{channel}/{wall-ms}.ts`, its VOD index entry, then the live playlist
//! naming it. So no playlist ever names a segment that is not stored.
//!
//! A segment's time (its name, its index entry) is the wall-clock time at
//! which its first frame arrived: the `now` passed with that frame to
//! [`Publisher::video`] or [`Publisher::audio`]. Not the publish's start
//! plus stream time: a publisher pushing a recorded file as fast as the
//! link allows (the OSS guide's `ffmpeg -i 1.flv -c copy -f flv rtmp://…`)
//! sends a minute of media in seconds, and a VOD over the push's time must
//! hold all of it. Times are strictly increasing within a channel, across
//! publishes too; the History record spans every segment of its publish
//! ([`LiveRecord::whole_seconds`](crate::catalog::LiveRecord::whole_seconds)).
//!
//! Audio that is not AAC is dropped for the whole publish, as OSS does;
//! the driver learns it once, from [`Publisher::poll_warning`], to tell the
//! operator (the library prints nothing).

mod admission;
mod connection;
mod context;
mod error;
mod meter;
mod publisher;
mod retention;
mod retry;
mod writer;

pub use admission::{PublishRequest, BUSY_WAIT, TAKEOVER_WAIT};
pub use connection::{Connection, ConnectionConfig, ConnectionEvent};
pub use error::{EndReason, IngestError, IngestWarning, PublishError, Refusal};
pub use publisher::{Publisher, DISABLED_CHECK_MS};
