//! One live push: media in, segments out to the [`SegmentWriter`], the
//! lease kept, the Stat refreshed, and the History written at the end.

use std::collections::VecDeque;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use livechannel_hls::{Output, Segmenter, VideoCodecKind};

use crate::catalog::{ChannelStatus, Lease, LiveRecord};
use crate::live::{FAST_PACE, PACE_WINDOW_MS};
use crate::time::unix_ms;
use crate::VideoCodecs;

use super::context::Push;
use super::meter::Meter;
use super::writer::SegmentWriter;
use super::{EndReason, IngestError, IngestWarning};

/// How often (by the `now` passed in) a publish looks whether its channel
/// was disabled: [`Publisher::video`] and [`Publisher::audio`] return
/// [`IngestError::Disabled`] at most this long after the change.
pub const DISABLED_CHECK_MS: u64 = 100;

/// One live push: feed it the publisher's media, then [`finish`](Self::finish) it.
///
/// Made by [`Service::publish`](crate::Service::publish), which has taken
/// the channel for it (in this process and, through a lease in the store,
/// across nodes); [`finish`](Self::finish) frees it.
pub struct Publisher {
    push: Push,
    remote_addr: String,
    connected_ms: u64,
    segmenter: Segmenter,
    writer: SegmentWriter,
    lease: Lease,
    meter: Meter,
    /// When (Unix ms) to look at the channel's disabled flag next.
    disabled_check_ms: u64,
    /// Where the current window of [`pace`](Self::pace) began: Unix ms and
    /// stream time.
    pace_window: Option<(u64, u32)>,
    /// A new publish of the channel waits for this one (read from the
    /// `LiveEntry` on the beat of [`check`](Self::check), not per read).
    republish_waiting: bool,
    /// Whether the video's codec is still to be checked against the service's rule.
    codec_check: CodecCheck,
    /// The discarded audio was reported (once per publish).
    audio_warned: bool,
    warnings: VecDeque<IngestWarning>,
    finished: bool,
}

/// What [`Service::publish`](crate::Service::publish) hands a new publisher.
pub(crate) struct Admitted {
    pub(crate) push: Push,
    pub(crate) remote_addr: String,
    pub(crate) connected_ms: u64,
    pub(crate) segmenter: Segmenter,
    pub(crate) writer: SegmentWriter,
    pub(crate) lease: Lease,
    pub(crate) video_codecs: VideoCodecs,
}

/// The video codec's check, under [`VideoCodecs::H264Only`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodecCheck {
    /// Once the video's sequence header names its codec.
    Pending,
    /// Checked (or nothing to check).
    Done,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("bucket", &self.push.bucket)
            .field("channel", &self.push.channel)
            .field("remote_addr", &self.remote_addr)
            .finish_non_exhaustive()
    }
}

impl Publisher {
    pub(crate) fn new(admitted: Admitted) -> Self {
        let Admitted {
            push,
            remote_addr,
            connected_ms,
            segmenter,
            writer,
            lease,
            video_codecs,
        } = admitted;
        Publisher {
            push,
            remote_addr,
            connected_ms,
            segmenter,
            writer,
            lease,
            meter: Meter::new(connected_ms),
            disabled_check_ms: 0,
            pace_window: None,
            republish_waiting: false,
            codec_check: match video_codecs {
                VideoCodecs::H264Only => CodecCheck::Pending,
                _ => CodecCheck::Done,
            },
            audio_warned: false,
            warnings: VecDeque::new(),
            finished: false,
        }
    }

    /// The bucket pushed to.
    pub fn bucket(&self) -> &str {
        &self.push.bucket
    }

    /// The channel pushed to.
    pub fn channel(&self) -> &str {
        &self.push.channel
    }

    /// The segmenter's counters: frames in and out, and every frame not used, by reason.
    pub fn stats(&self) -> &livechannel_hls::Stats {
        self.segmenter.stats()
    }

    /// True once the channel was disabled: end the RTMP publish and call [`finish`](Self::finish).
    pub fn is_disabled(&self) -> bool {
        self.push.entry.is_disabled()
    }

    /// Why the publish must end though its publisher goes on: the channel
    /// was disabled ([`IngestError::Disabled`]), or a new publish found it
    /// silent and takes it over ([`IngestError::Superseded`]). A driver
    /// whose publisher sends nothing looks now and then (media is looked at
    /// as it arrives): end the RTMP publish and call [`finish`](Self::finish).
    pub fn stop_request(&self) -> Option<IngestError> {
        self.push.entry.stop_request()
    }

    /// How long the publisher's next bytes may wait unread without
    /// delaying a stored segment: the stream time until the open segment
    /// can be cut ([`Segmenter::ms_until_cut`]), zero before the first
    /// frame.
    pub fn slack(&self) -> Duration {
        Duration::from_millis(self.segmenter.ms_until_cut().unwrap_or(0))
    }

    /// What the operator should hear about this publish, once each (see
    /// [`IngestWarning`]). Worth calling after [`audio`](Self::audio).
    pub fn poll_warning(&mut self) -> Option<IngestWarning> {
        self.warnings.pop_front()
    }

    /// An RTMP video message (an FLV video tag body), received at `now`:
    /// a segment it starts is dated `now`.
    pub async fn video(
        &mut self,
        timestamp: u32,
        body: Bytes,
        now: SystemTime,
    ) -> Result<(), IngestError> {
        let now_ms = self.arrived(timestamp, &body, now)?;
        self.meter.video_bytes += body.len() as u64;
        self.meter.video_frames += 1;
        if let Err(e) = self.segmenter.push_video_at(timestamp, body, now_ms) {
            if e.is_fatal() {
                return Err(IngestError::Unsupported(e));
            }
            // A damaged frame: counted in stats(), the stream goes on.
        }
        self.check_codec()?;
        self.drain(now_ms).await
    }

    /// Under [`VideoCodecs::H264Only`], refuse other video as soon as its
    /// sequence header names it (before any of it is stored: a segment
    /// needs a keyframe after the header).
    fn check_codec(&mut self) -> Result<(), IngestError> {
        if self.codec_check == CodecCheck::Done {
            return Ok(());
        }
        let Some(video) = self.segmenter.media_info().video else {
            return Ok(());
        };
        self.codec_check = CodecCheck::Done;
        match video.codec {
            VideoCodecKind::H264 => Ok(()),
            codec => Err(IngestError::CodecRefused { codec }),
        }
    }

    /// An RTMP audio message (an FLV audio tag body), received at `now`.
    /// Audio other than AAC is discarded (and counted), as OSS does; the
    /// video goes on, and [`poll_warning`](Self::poll_warning) says so once.
    pub async fn audio(
        &mut self,
        timestamp: u32,
        body: Bytes,
        now: SystemTime,
    ) -> Result<(), IngestError> {
        let now_ms = self.arrived(timestamp, &body, now)?;
        self.meter.audio_bytes += body.len() as u64;
        let _ = self.segmenter.push_audio_at(timestamp, body, now_ms);
        if !self.audio_warned {
            if let Some(discarded) = self.segmenter.discarded_audio() {
                self.audio_warned = true;
                self.warnings.push_back(IngestWarning::AudioDiscarded {
                    codec: discarded.format,
                });
            }
        }
        self.drain(now_ms).await
    }

    /// Its publisher has left (closed the connection), though what it sent
    /// may not all be pushed yet: a republish of the channel from now on
    /// waits for this publish's end rather than being refused as busy.
    pub fn publisher_left(&self) {
        self.push.entry.set_ending();
    }

    /// Whether a new publish of the channel has found this one holding it
    /// (as of the last message's look, within [`DISABLED_CHECK_MS`]):
    /// then, and only then, is it worth a driver's look at whether the
    /// publisher has left (see [`publisher_left`](Self::publisher_left)).
    pub fn republish_waiting(&self) -> bool {
        self.republish_waiting
    }

    /// The publish ended (the publisher left, or the channel was disabled):
    /// stores the last partial segment, ends the playlist (EXT-X-ENDLIST),
    /// records the session in the channel's history and frees the channel.
    pub async fn finish(self, now: SystemTime) -> Result<(), IngestError> {
        self.finish_because(now, None).await
    }

    /// [`finish`](Self::finish), recording in the History why the publish
    /// ended (the console shows it; History's XML keeps to OSS's elements).
    pub async fn finish_because(
        mut self,
        now: SystemTime,
        reason: Option<EndReason>,
    ) -> Result<(), IngestError> {
        self.finished = true;
        // A republish of the channel now waits for the end, not refused.
        self.push.entry.set_ending();
        self.segmenter.finish();
        let mut result = self.drain(unix_ms(now)).await;
        if result.is_ok() {
            result = self.writer.end(&self.push).await;
        }
        // The record spans every segment of the publish, so that a VOD
        // over its times holds them all, even where a segment's time is
        // after the disconnect (bumped past an earlier publish's names).
        let (first_ms, last_ms) = self.writer.stored_wall_ms().unwrap_or((u64::MAX, 0));
        let record = LiveRecord {
            start_ms: self.connected_ms.min(first_ms),
            end_ms: unix_ms(now).max(last_ms),
            remote_addr: self.remote_addr.clone(),
            end_reason: reason.map(|r| r.to_string()),
        };
        let push = &self.push;
        let catalog = &push.ctx.catalog;
        let history = push
            .retry("history", || {
                catalog.add_history(&push.bucket, &push.channel, record.clone())
            })
            .await;
        let lease = push
            .retry("lease", || {
                catalog.release_lease(&push.bucket, &push.channel, &self.lease)
            })
            .await;
        push.release();
        result?;
        history?;
        lease?;
        Ok(())
    }

    /// A message arrived at `now`: counted, and refused once the channel
    /// is disabled. Returns `now` in Unix ms (one conversion for the check
    /// and the drain).
    fn arrived(
        &mut self,
        timestamp: u32,
        body: &Bytes,
        now: SystemTime,
    ) -> Result<u64, IngestError> {
        let now_ms = unix_ms(now);
        self.check(now_ms, timestamp)?;
        let counters = &self.push.ctx.counters;
        counters.media_bytes.fetch_add(body.len() as u64, Relaxed);
        Ok(now_ms)
    }

    /// A disabled channel is noticed within [`DISABLED_CHECK_MS`] of `now_ms`:
    /// the flag lives in this process's `LiveEntry`, which the API's
    /// threads write, so reading it on every message would be a cache miss
    /// each time. Only this node's API sets it; a channel disabled through
    /// another node is seen in the store when the lease is renewed.
    fn check(&mut self, now_ms: u64, timestamp: u32) -> Result<(), IngestError> {
        if now_ms < self.disabled_check_ms {
            return Ok(());
        }
        self.disabled_check_ms = now_ms.saturating_add(DISABLED_CHECK_MS);
        // On the same beat: when media last came, for a republish that
        // finds this publish silent, and how fast, for one that finds it
        // busy.
        self.push.entry.media_at(now_ms);
        self.pace(now_ms, timestamp);
        self.republish_waiting = self.push.entry.is_wanted();
        match self.push.entry.stop_request() {
            Some(stop) => Err(stop),
            None => Ok(()),
        }
    }

    /// Over windows of at least [`PACE_WINDOW_MS`]: whether the media
    /// (stream time `timestamp` at `now_ms`) came [`FAST_PACE`] times
    /// faster than real time. A timestamp that goes back or leaps (a
    /// discontinuity) makes one window look slow or fast, which at worst
    /// has a republish wait longer for this publish's end, or less.
    fn pace(&mut self, now_ms: u64, timestamp: u32) {
        let Some((start_ms, start_ts)) = self.pace_window else {
            self.pace_window = Some((now_ms, timestamp));
            return;
        };
        let wall = now_ms.saturating_sub(start_ms);
        if wall < PACE_WINDOW_MS {
            return;
        }
        let media = u64::from(timestamp.wrapping_sub(start_ts));
        // Backwards (wrapped to near 2^32): not fast.
        let fast = media < 1 << 31 && media >= wall.saturating_mul(FAST_PACE);
        self.push.entry.set_fast(fast);
        self.pace_window = Some((now_ms, timestamp));
    }

    /// Store whatever segments are ready, in order, and refresh the stats and the lease.
    async fn drain(&mut self, now_ms: u64) -> Result<(), IngestError> {
        while let Some(output) = self.segmenter.poll_output() {
            match output {
                Output::Chunk(chunk) => self.writer.chunk(&self.push, chunk).await?,
                Output::Segment(segment) => self.writer.segment(&self.push, &segment).await?,
            }
        }
        self.meter
            .refresh(now_ms, &self.segmenter, &self.push.entry);
        // Renew the lease once a third of it has passed.
        let lease_ms = self.push.ctx.lease_ms;
        if !self.finished && now_ms + lease_ms * 2 / 3 >= self.lease.expires_ms {
            self.renew_lease(now_ms).await?;
        }
        Ok(())
    }

    /// Renew the lease, and look whether the channel was disabled through
    /// another node.
    async fn renew_lease(&mut self, now_ms: u64) -> Result<(), IngestError> {
        let push = &self.push;
        let (catalog, lease_ms) = (&push.ctx.catalog, push.ctx.lease_ms);
        let stat = push.entry.stat();
        let lease = &self.lease;
        let renewed = push
            .retry("lease", || {
                let stat = Some(stat.clone());
                catalog.renew_lease(&push.bucket, &push.channel, lease, now_ms + lease_ms, stat)
            })
            .await?;
        match renewed {
            Some(lease) => self.lease = lease,
            // Another node took the channel over (our lease had expired).
            None => return Err(IngestError::Disabled),
        }
        // Another node's PutLiveChannelStatus only reaches the stored
        // record: look at it as often as the lease is renewed (every
        // 10 s by default, as OSS ends a disabled push within about 10 s).
        let push = &self.push;
        let record = push
            .retry("channel", || catalog.channel(&push.bucket, &push.channel))
            .await?;
        if record.is_some_and(|r| r.config.status == ChannelStatus::Disabled) {
            return Err(IngestError::Disabled);
        }
        Ok(())
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        // A publisher dropped without finish() (the driver's task was
        // cancelled): free the channel here at least; the store lease
        // expires on its own.
        if !self.finished {
            self.push.release();
        }
    }
}
