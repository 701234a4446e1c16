//! Aggregate messages (§7.1.6): FLV-tag-like sub-messages in one body.

use bytes::Bytes;

use crate::chunk::header::read_u24;

/// One message carried inside an aggregate message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubMessage {
    /// The sub-message's type id (8 audio, 9 video, 18 data, ...).
    pub type_id: u8,
    /// Absolute timestamp: the aggregate's timestamp plus this
    /// sub-message's offset from the first sub-message.
    pub timestamp: u32,
    /// The body, a slice of the aggregate's body.
    pub payload: Bytes,
}

/// Walks the sub-messages of an aggregate body.
///
/// Each sub-message is an 11-byte header (type, 24-bit size, 24-bit
/// timestamp plus an 8-bit extension, 24-bit stream id), the body and a
/// 4-byte back pointer. Iteration stops at the first sub-message that does
/// not fit in the remaining bytes; [`truncated`](AggregateIter::truncated)
/// tells whether that happened.
///
/// ```
/// use bytes::Bytes;
/// use livechannel_rtmp::AggregateIter;
///
/// let mut body = vec![8, 0, 0, 2, 0, 0, 10, 0, 0, 0, 1, 0xAF, 0x01, 0, 0, 0, 13];
/// let subs: Vec<_> = AggregateIter::new(1000, Bytes::from(body)).collect();
/// assert_eq!(subs.len(), 1);
/// assert_eq!(subs[0].timestamp, 1000);
/// assert_eq!(&subs[0].payload[..], &[0xAF, 0x01]);
/// ```
#[derive(Debug, Clone)]
pub struct AggregateIter {
    body: Bytes,
    pos: usize,
    timestamp: u32,
    first: Option<u32>,
    truncated: bool,
}

impl AggregateIter {
    /// Iterates over `body`, an aggregate message received with `timestamp`.
    pub fn new(timestamp: u32, body: Bytes) -> Self {
        AggregateIter {
            body,
            pos: 0,
            timestamp,
            first: None,
            truncated: false,
        }
    }

    /// Whether iteration stopped on bytes that do not form a sub-message.
    pub fn truncated(&self) -> bool {
        self.truncated
    }
}

impl Iterator for AggregateIter {
    type Item = SubMessage;

    fn next(&mut self) -> Option<SubMessage> {
        let rest = self.body.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let Some(header) = rest.get(..11) else {
            self.truncated = true;
            self.pos = self.body.len();
            return None;
        };
        let type_id = header.first().copied().unwrap_or(0);
        let size = read_u24(header.get(1..).unwrap_or_default()) as usize;
        let ts_low = read_u24(header.get(4..).unwrap_or_default());
        let ts_high = u32::from(header.get(7).copied().unwrap_or(0));
        let sub_ts = (ts_high << 24) | ts_low;
        let start = self.pos + 11;
        let end = start.saturating_add(size);
        if end > self.body.len() {
            self.truncated = true;
            self.pos = self.body.len();
            return None;
        }
        let payload = self.body.slice(start..end);
        // The back pointer is often missing after the last sub-message.
        self.pos = end.saturating_add(4).min(self.body.len());
        let first = *self.first.get_or_insert(sub_ts);
        Some(SubMessage {
            type_id,
            timestamp: self.timestamp.wrapping_add(sub_ts.wrapping_sub(first)),
            payload,
        })
    }
}
