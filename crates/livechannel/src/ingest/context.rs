//! What a publish needs of the [`Service`], and nothing more.

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::live::{LiveEntry, LiveRegistry};
use crate::store::Sleep;
use crate::{Counters, RetryPolicy, Service};

use super::retry::retry;
use super::IngestError;

/// The parts of the service ingest uses: the records, this process's
/// registry of live channels, the counters, and the lease and retry
/// settings. Cloned into each publish (a few `Arc`s), so that a
/// [`Publisher`](super::Publisher) holds no `Service` and cannot reach
/// the API's state.
#[derive(Clone)]
pub(crate) struct IngestContext {
    pub(crate) catalog: Catalog,
    pub(crate) live: Arc<LiveRegistry>,
    pub(crate) counters: Arc<Counters>,
    /// How long a publish lease holds without renewal, ms.
    pub(crate) lease_ms: u64,
    pub(crate) retry: RetryPolicy,
    /// The driver's timer for backoff; None: a failed write is not retried.
    pub(crate) sleep: Option<Arc<dyn Sleep>>,
}

impl Service {
    pub(crate) fn ingest_context(&self) -> IngestContext {
        IngestContext {
            catalog: self.catalog.clone(),
            live: Arc::clone(&self.live),
            counters: Arc::clone(&self.counters),
            lease_ms: self.config.lease_ms,
            retry: self.config.store_retry,
            sleep: self.sleep.clone(),
        }
    }
}

/// One claimed channel: the context, the channel's name and its entry in
/// the live registry (its Stat, its disabled flag). Every store call of a
/// publish goes through [`Push::retry`], which records failures in the Stat.
pub(crate) struct Push {
    pub(crate) ctx: IngestContext,
    pub(crate) bucket: String,
    pub(crate) channel: String,
    pub(crate) entry: Arc<LiveEntry>,
}

impl Push {
    /// [`retry`] with this publish's context and Stat.
    pub(crate) async fn retry<T, E, Fut>(
        &self,
        what: &str,
        op: impl FnMut() -> Fut,
    ) -> Result<T, IngestError>
    where
        Fut: std::future::Future<Output = Result<T, E>>,
        E: Into<IngestError>,
    {
        retry(&self.ctx, &self.entry, what, op).await
    }

    /// Free the channel in this process (the store lease is the caller's).
    pub(crate) fn release(&self) {
        self.ctx
            .live
            .release(&self.bucket, &self.channel, &self.entry);
    }
}
