//! Buffers for messages that arrive in several chunks, used again.

use bytes::Bytes;
use livechannel_buffers::BufferPool;

/// The smallest and largest buffer sizes kept (powers of two). A message
/// of more than [`MAX_CLASS`] starts in a buffer of that size and grows
/// past it; such a buffer goes back to the allocator.
const MIN_CLASS: usize = 1024;
const MAX_CLASS: usize = 64 * 1024;
const CLASSES: usize = (MAX_CLASS.trailing_zeros() - MIN_CLASS.trailing_zeros() + 1) as usize;

/// Buffers in which [`ChunkDecoder`](crate::ChunkDecoder)s assemble the
/// messages that come in several chunks (video frames: a 720p frame at
/// 3 Mb/s is about three 4 KiB chunks), given back when the last
/// [`Bytes`] of a message is dropped and used again for the next message
/// of any decoder sharing the pool.
///
/// Why: each such message was a fresh allocation of its own size (10 to
/// 100 KiB, about 30 a second per stream), and with a thousand streams
/// the allocator's search for a block of that size was about 4 % of a
/// server's CPU. Buffers here come in powers of two from 1 KiB to 64 KiB,
/// so a message holds at most twice its size while it lives; the pool
/// keeps at most `max_idle_bytes` of idle ones.
///
/// Give one pool to every session of a process (through
/// [`ServerConfig::message_pool`](crate::ServerConfig::message_pool), or
/// [`ChunkDecoder::with_pool`](crate::ChunkDecoder::with_pool)). It is cheap to clone (an `Arc`) and
/// may be used from any thread. Two handles are equal when they share a pool.
///
/// ```
/// use livechannel_rtmp::{MessagePool, ServerConfig};
///
/// let pool = MessagePool::new(1 << 20);
/// let config = ServerConfig { message_pool: Some(pool.clone()), ..ServerConfig::default() };
/// assert_eq!(config.message_pool, Some(pool));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessagePool {
    buffers: BufferPool,
}

impl MessagePool {
    /// A pool that keeps up to `max_idle_bytes` of idle buffers.
    pub fn new(max_idle_bytes: usize) -> Self {
        MessagePool {
            buffers: BufferPool::new(CLASSES, max_idle_bytes),
        }
    }

    /// The capacity of the idle buffers it holds now, in bytes.
    pub fn idle_bytes(&self) -> usize {
        self.buffers.idle_bytes()
    }

    /// An empty buffer for a message of `len` bytes: of the smallest size
    /// that holds it (at most [`MAX_CLASS`]), idle or new.
    pub(crate) fn take(&self, len: usize) -> Vec<u8> {
        let size = len.clamp(MIN_CLASS, MAX_CLASS).next_power_of_two();
        class(size)
            .and_then(|c| self.buffers.pop(c))
            .unwrap_or_else(|| Vec::with_capacity(size))
    }

    /// `buffer`'s bytes as [`Bytes`] that give the buffer back to the pool
    /// when the last of them is dropped (a buffer of a size the pool does
    /// not keep, one that grew past [`MAX_CLASS`], is simply frozen).
    pub(crate) fn freeze(&self, buffer: Vec<u8>) -> Bytes {
        match class(buffer.capacity()) {
            Some(c) => self.buffers.lend(c, buffer),
            None => Bytes::from(buffer),
        }
    }
}

/// The class of a buffer of `capacity` bytes, if the pool keeps such.
fn class(capacity: usize) -> Option<usize> {
    let kept = capacity.is_power_of_two() && (MIN_CLASS..=MAX_CLASS).contains(&capacity);
    kept.then(|| (capacity.trailing_zeros() - MIN_CLASS.trailing_zeros()) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_comes_back_when_its_last_bytes_are_dropped() {
        let pool = MessagePool::new(1 << 20);
        let mut buffer = pool.take(12_000);
        assert_eq!(buffer.capacity(), 16 * 1024);
        buffer.extend_from_slice(&[7; 12_000]);
        let bytes = pool.freeze(buffer);
        let part = bytes.slice(100..200);
        drop(bytes);
        assert_eq!(pool.idle_bytes(), 0, "a slice still holds it");
        assert_eq!(&part[..], &[7; 100][..]);
        drop(part);
        assert_eq!(pool.idle_bytes(), 16 * 1024);
        let again = pool.take(9_000);
        assert_eq!((again.capacity(), again.len()), (16 * 1024, 0));
        assert_eq!(pool.idle_bytes(), 0);
    }

    #[test]
    fn sizes_outside_the_classes_and_beyond_the_idle_bound_are_not_kept() {
        let pool = MessagePool::new(40 * 1024);
        assert_eq!(pool.take(10).capacity(), MIN_CLASS);
        // A message larger than the largest class grows past it.
        let mut big = pool.take(200_000);
        assert_eq!(big.capacity(), MAX_CLASS);
        big.extend_from_slice(&vec![1; 200_000]);
        drop(pool.freeze(big));
        assert_eq!(pool.idle_bytes(), 0);
        // 32 KiB fits under the bound, a second one does not.
        let (a, b) = (pool.take(20_000), pool.take(20_000));
        drop((pool.freeze(a), pool.freeze(b)));
        assert_eq!(pool.idle_bytes(), 32 * 1024);
    }

    #[test]
    fn handles_are_equal_when_they_share_a_pool() {
        let pool = MessagePool::new(0);
        assert_eq!(pool, pool.clone());
        assert_ne!(pool, MessagePool::new(0));
    }
}
