//! Retries of a failed store write during ingest: the one layer that
//! retries (the stores do not; see `docs/architecture.md`), because only
//! ingest knows what waits on the write (the publisher, held by
//! backpressure) and where to show the failure (the channel's Stat).

use std::sync::atomic::Ordering::Relaxed;

use crate::live::LiveEntry;

use super::context::IngestContext;
use super::IngestError;

/// Run `op` until it succeeds, the failure is not transient, or the
/// [`RetryPolicy`](crate::RetryPolicy) gives up; every failure is counted,
/// and shown in the channel's stat. Meanwhile the publisher waits.
pub(crate) async fn retry<T, E, Fut>(
    ctx: &IngestContext,
    entry: &LiveEntry,
    what: &str,
    mut op: impl FnMut() -> Fut,
) -> Result<T, IngestError>
where
    Fut: std::future::Future<Output = Result<T, E>>,
    E: Into<IngestError>,
{
    let mut backoff = Backoff::new(ctx);
    loop {
        match op().await {
            Ok(value) => return Ok(value),
            Err(e) => backoff.failed(entry, what, e.into()).await?,
        }
    }
}

/// Count a failed store write and show it in the channel's stat (as
/// `WHAT: ERROR`).
pub(crate) fn count_failure(
    ctx: &IngestContext,
    entry: &LiveEntry,
    what: &str,
    error: &dyn std::fmt::Display,
) {
    ctx.counters.store_write_failures.fetch_add(1, Relaxed);
    entry.update(|stat| {
        stat.store_errors += 1;
        stat.last_store_error = Some(format!("{what}: {error}"));
    });
}

/// The waits between the tries of one store write.
pub(crate) struct Backoff<'a> {
    ctx: &'a IngestContext,
    waited_ms: u64,
    wait_ms: u64,
}

impl<'a> Backoff<'a> {
    pub(crate) fn new(ctx: &'a IngestContext) -> Self {
        Backoff {
            ctx,
            waited_ms: 0,
            wait_ms: ctx.retry.initial_ms.max(1),
        }
    }

    /// Count a failed try and wait before the next, or give the error back
    /// when it is not worth another try.
    pub(crate) async fn failed(
        &mut self,
        entry: &LiveEntry,
        what: &str,
        error: IngestError,
    ) -> Result<(), IngestError> {
        let (ctx, policy) = (self.ctx, self.ctx.retry);
        count_failure(ctx, entry, what, &error);
        let sleep = match &ctx.sleep {
            Some(sleep) if error.is_transient() && self.waited_ms < policy.give_up_ms => sleep,
            _ => return Err(error),
        };
        sleep
            .sleep(std::time::Duration::from_millis(self.wait_ms))
            .await;
        self.waited_ms = self.waited_ms.saturating_add(self.wait_ms);
        self.wait_ms = self.wait_ms.saturating_mul(2).min(policy.max_ms.max(1));
        Ok(())
    }
}
