use bytes::Bytes;
use livechannel_buffers::BufferPool;

/// Chunk buffers shared by many [`Segmenter`](crate::Segmenter)s and used
/// again once the store is done with them.
///
/// Without a pool each chunk is a fresh allocation that the allocator may
/// take from, and give back to, the operating system: every page of it is
/// then faulted in and zeroed again while the muxer fills it. On a server
/// with hundreds of streams that is most of the page faults. With a pool a
/// chunk's buffer goes back to the pool when the last [`Bytes`] of it is
/// dropped (the store has written it) and the next chunk of any stream
/// reuses it, already mapped.
///
/// A lent chunk keeps its buffer's whole capacity while it lives; a chunk
/// that fills less than half of its buffer (the tail of a segment) is
/// copied out instead and the buffer goes back at once, so a chunk never
/// holds more than twice its length. The pool keeps at most
/// `max_idle_bytes` of idle buffers; beyond that, returned buffers are freed.
///
/// Give one pool to every segmenter of a process with
/// [`Segmenter::with_pool`](crate::Segmenter::with_pool). It is cheap to
/// clone (an `Arc`) and may be used from any thread.
///
/// ```
/// use livechannel_hls::{ChunkPool, OutputMode, Segmenter, SegmenterConfig};
///
/// let pool = ChunkPool::new(16 << 20);
/// let mut config = SegmenterConfig::new(2_000, 0);
/// config.output = OutputMode::StreamedChunks;
/// let a = Segmenter::new(config.clone()).with_pool(pool.clone());
/// let b = Segmenter::new(config).with_pool(pool.clone());
/// # let _ = (a, b);
/// assert_eq!(pool.idle_bytes(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct ChunkPool {
    buffers: BufferPool,
}

impl ChunkPool {
    /// A pool that keeps up to `max_idle_bytes` of idle buffers.
    pub fn new(max_idle_bytes: usize) -> Self {
        ChunkPool {
            buffers: BufferPool::new(1, max_idle_bytes),
        }
    }

    /// The capacity of the idle buffers it holds now, in bytes.
    pub fn idle_bytes(&self) -> usize {
        self.buffers.idle_bytes()
    }

    /// An empty buffer of at least `capacity` bytes: an idle one if there
    /// is one, else a new one.
    pub(crate) fn take(&self, capacity: usize) -> Vec<u8> {
        match self.buffers.pop(0) {
            Some(b) if b.capacity() >= capacity => b,
            // A pool shared by segmenters with different chunk sizes:
            // the small buffer goes to the allocator.
            _ => Vec::with_capacity(capacity),
        }
    }

    /// `buffer`'s bytes as [`Bytes`] that give the buffer back to the pool
    /// when the last of them is dropped; or, for a buffer less than half
    /// full, a copy of them (and the buffer goes back now).
    pub(crate) fn freeze(&self, buffer: Vec<u8>) -> Bytes {
        if buffer.len() < buffer.capacity() / 2 {
            let bytes = Bytes::copy_from_slice(&buffer);
            self.buffers.give_back(0, buffer);
            return bytes;
        }
        self.buffers.lend(0, buffer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_chunk_comes_back_and_is_reused() {
        let pool = ChunkPool::new(1 << 20);
        let mut buffer = pool.take(1000);
        buffer.extend_from_slice(&[7; 600]);
        let address = buffer.as_ptr();
        let bytes = pool.freeze(buffer);
        assert_eq!(bytes.as_ptr(), address, "lent, not copied");
        assert_eq!(&bytes[..], &[7; 600][..]);
        let part = bytes.slice(1..);
        drop(bytes);
        assert_eq!(pool.idle_bytes(), 0, "still lent while a slice lives");
        drop(part);
        assert!(pool.idle_bytes() >= 1000);
        let again = pool.take(1000);
        assert_eq!(again.as_ptr(), address);
        assert!(again.is_empty());
        assert_eq!(pool.idle_bytes(), 0);
    }

    fn full(capacity: usize) -> Vec<u8> {
        let mut buffer = Vec::with_capacity(capacity);
        buffer.resize(buffer.capacity(), 1);
        buffer
    }

    #[test]
    fn idle_buffers_are_bounded() {
        let pool = ChunkPool::new(2500);
        let lent: Vec<Bytes> = (0..5).map(|_| pool.freeze(full(1000))).collect();
        drop(lent);
        assert_eq!(pool.idle_bytes(), 2000);
    }

    #[test]
    fn a_mostly_empty_buffer_is_copied_and_goes_back_at_once() {
        let pool = ChunkPool::new(1 << 20);
        let mut buffer = pool.take(1000);
        buffer.extend_from_slice(b"tail");
        let address = buffer.as_ptr();
        let bytes = pool.freeze(buffer);
        assert_eq!(&bytes[..], b"tail");
        assert_ne!(bytes.as_ptr(), address);
        assert!(pool.idle_bytes() >= 1000, "given back while the copy lives");
        let again = pool.take(1000);
        assert_eq!(again.as_ptr(), address);
    }

    #[test]
    fn a_too_small_idle_buffer_is_not_given_out() {
        let pool = ChunkPool::new(1 << 20);
        drop(pool.freeze(full(100)));
        assert!(pool.idle_bytes() >= 100);
        assert!(pool.take(1000).capacity() >= 1000);
        assert_eq!(pool.idle_bytes(), 0);
    }
}
