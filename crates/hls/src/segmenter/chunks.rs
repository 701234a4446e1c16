//! The buffer the TS muxer writes into, and where its buffers come from.

use bytes::Bytes;
use livechannel_mpegts::PACKET_SIZE;

use crate::ChunkPool;

/// The chunk of TS being written. Room is made before each frame without
/// ever moving what is written (the muxer's own `reserve` then finds the
/// room and does nothing): when the chunk is too full it is given back to
/// the segmenter, trimmed to its length, and a new one starts. No byte is
/// copied twice.
#[derive(Debug)]
pub(super) struct ChunkWriter {
    chunk_bytes: usize,
    pool: Option<ChunkPool>,
    buf: Vec<u8>,
    origin: Origin,
}

/// Where the chunk being written came from, and so where it goes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The allocator (no pool, or a frame larger than a chunk).
    Allocator,
    /// The pool: the `Bytes` given out return it there once dropped.
    Pool,
}

impl ChunkWriter {
    pub(super) fn new(chunk_bytes: usize) -> Self {
        ChunkWriter {
            chunk_bytes,
            pool: None,
            buf: Vec::new(),
            origin: Origin::Allocator,
        }
    }

    pub(super) fn set_pool(&mut self, pool: ChunkPool) {
        self.pool = Some(pool);
    }

    /// The chunk being written, for the muxer.
    pub(super) fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    pub(super) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Make room for a frame of `payload` bytes; returns the chunk that was
    /// full, if one was.
    pub(super) fn room(&mut self, payload: usize) -> Option<Bytes> {
        let need = estimate_ts_len(payload, 1);
        if self.buf.capacity() - self.buf.len() >= need {
            return None;
        }
        let full = (!self.buf.is_empty()).then(|| self.take());
        let chunk_bytes = self.chunk_bytes;
        (self.buf, self.origin) = match &self.pool {
            Some(pool) if need <= chunk_bytes => (pool.take(chunk_bytes), Origin::Pool),
            _ => (Vec::with_capacity(need.max(chunk_bytes)), Origin::Allocator),
        };
        full
    }

    /// The chunk written so far, moved out (the next write makes room anew).
    pub(super) fn take(&mut self) -> Bytes {
        let mut chunk = std::mem::take(&mut self.buf);
        let origin = std::mem::replace(&mut self.origin, Origin::Allocator);
        match &self.pool {
            Some(pool) if origin == Origin::Pool => pool.freeze(chunk),
            _ => {
                // Shrinking gives the tail back to the allocator in place.
                chunk.shrink_to_fit();
                Bytes::from(chunk)
            }
        }
    }
}

/// TS size for `payload` bytes in `frames` PES packets: 184 payload bytes a
/// packet, plus one packet per PES for headers and stuffing, plus PAT/PMT.
fn estimate_ts_len(payload: usize, frames: usize) -> usize {
    (payload / 184 + frames + 3) * PACKET_SIZE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_is_at_least_the_packets_written() {
        assert!(estimate_ts_len(0, 0) >= 2 * PACKET_SIZE);
        assert_eq!(estimate_ts_len(184 * 10, 1), 14 * PACKET_SIZE);
    }
}
