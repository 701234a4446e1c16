//! Segment retention ([`ServiceConfig::segment_retention_ms`](crate::ServiceConfig::segment_retention_ms)):
//! which stored segments a publish deletes, and when.
//!
//! A segment goes once the live playlist no longer names it *and* it
//! ended at least the retention before the newest stored segment did:
//! a player that read an older playlist still finds the segments it
//! names for that long. Times are the segments' own (wall clock at their
//! first frame, plus their duration). A publisher pushing a file faster
//! than real time has its segments dated by arrival, milliseconds apart
//! (`docs/architecture.md`, "Segment times"): none is old enough while
//! it pushes, and those that left the playlist go at its end. The VOD
//! index entry goes first,
//! then the segment: a VOD assembled in between names neither.

use std::collections::VecDeque;

use crate::catalog::SegmentEntry;

/// A stored segment not yet deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Kept {
    /// Its number in the live playlist (media sequence numbering).
    pub(crate) sequence: u64,
    /// The segment object's key.
    pub(crate) key: String,
    /// Its VOD index entry.
    pub(crate) entry: SegmentEntry,
}

impl Kept {
    fn end_ms(&self) -> u64 {
        self.entry.start_ms.saturating_add(self.entry.duration_ms)
    }
}

/// The segments a publish stored and has not deleted, oldest first.
#[derive(Debug)]
pub(crate) struct Retention {
    /// None: segments are kept forever; nothing is tracked.
    retention_ms: Option<u64>,
    kept: VecDeque<Kept>,
}

impl Retention {
    pub(crate) fn new(retention_ms: Option<u64>) -> Self {
        Retention {
            retention_ms,
            kept: VecDeque::new(),
        }
    }

    /// A segment was stored and the playlist naming it written.
    pub(crate) fn stored(&mut self, kept: Kept) {
        if self.retention_ms.is_some() {
            self.kept.push_back(kept);
        }
    }

    /// The oldest segment due for deletion, now that the playlist's oldest
    /// segment is `first_shown` (its media sequence). `ending`: the publish
    /// is over, and every segment the playlist no longer names is due.
    /// Take it with [`pop`](Self::pop) once deleted.
    pub(crate) fn due(&self, first_shown: u64, ending: bool) -> Option<&Kept> {
        let retention = self.retention_ms?;
        let newest_end = self.kept.back()?.end_ms();
        let oldest = self.kept.front()?;
        let aged = ending || oldest.end_ms().saturating_add(retention) <= newest_end;
        (oldest.sequence < first_shown && aged).then_some(oldest)
    }

    /// The segment [`due`](Self::due) gave was deleted.
    pub(crate) fn pop(&mut self) {
        self.kept.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Container;

    fn kept(sequence: u64, start_ms: u64) -> Kept {
        Kept {
            sequence,
            key: format!("b/c/{start_ms}.ts"),
            entry: SegmentEntry {
                start_ms,
                duration_ms: 2_000,
                discontinuity: false,
                container: Container::Ts,
            },
        }
    }

    #[test]
    fn nothing_is_due_without_retention() {
        let mut r = Retention::new(None);
        for i in 0..10 {
            r.stored(kept(i, i * 2_000));
        }
        assert_eq!(r.due(9, true), None);
    }

    #[test]
    fn a_segment_is_due_when_out_of_the_playlist_and_old_enough() {
        let mut r = Retention::new(Some(8_000));
        r.stored(kept(0, 0));
        for i in 1..=4 {
            r.stored(kept(i, i * 2_000));
        }
        // Segment 0 ended at 2 s, the newest at 10 s: 8 s, old enough, but
        // still in a playlist starting at 0.
        assert_eq!(r.due(0, false), None);
        assert_eq!(r.due(1, false).map(|k| k.sequence), Some(0));
        r.pop();
        // Segment 1 ended at 4 s: 6 s before the newest.
        assert_eq!(r.due(3, false), None);
        r.stored(kept(5, 10_000));
        assert_eq!(r.due(3, false).map(|k| k.sequence), Some(1));
    }

    #[test]
    fn at_the_end_every_segment_out_of_the_playlist_is_due() {
        let mut r = Retention::new(Some(60_000));
        for i in 0..5 {
            r.stored(kept(i, i * 2_000));
        }
        let mut deleted = Vec::new();
        while let Some(k) = r.due(3, true) {
            deleted.push(k.sequence);
            r.pop();
        }
        assert_eq!(deleted, [0, 1, 2]);
    }
}
