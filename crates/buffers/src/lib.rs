//! Buffers lent out as [`Bytes`] and given back to their pool when the
//! last of those is dropped: the one rule under the pools of the other
//! crates (`livechannel_hls::ChunkPool` for TS chunks,
//! `livechannel_rtmp::MessagePool` for reassembled RTMP messages), which
//! choose the buffers' sizes and when to lend.
//!
//! ```
//! use livechannel_buffers::BufferPool;
//!
//! let pool = BufferPool::new(1, 1 << 20);
//! let mut buffer = pool.pop(0).unwrap_or_else(|| Vec::with_capacity(4096));
//! buffer.extend_from_slice(b"a frame");
//! let bytes = pool.lend(0, buffer);
//! let part = bytes.slice(2..);
//! drop(bytes);
//! assert_eq!(pool.idle_bytes(), 0, "a slice still holds the buffer");
//! drop(part);
//! assert_eq!(pool.idle_bytes(), 4096);
//! assert!(pool.pop(0).is_some_and(|b| b.is_empty() && b.capacity() == 4096));
//! ```
#![deny(missing_docs)]

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

/// Lists of idle buffers (one per size the owner distinguishes), at most
/// `max_idle_bytes` of capacity in all. Cheap to clone (an [`Arc`]); may
/// be used from any thread. Two handles are equal when they share a pool.
#[derive(Clone, Debug)]
pub struct BufferPool {
    shared: Arc<Shared>,
}

impl PartialEq for BufferPool {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Eq for BufferPool {}

#[derive(Debug)]
struct Shared {
    idle: Mutex<Idle>,
    max_idle_bytes: usize,
}

#[derive(Debug)]
struct Idle {
    lists: Vec<Vec<Vec<u8>>>,
    bytes: usize,
}

impl BufferPool {
    /// A pool of `lists` lists (at least one) that keeps up to
    /// `max_idle_bytes` of idle buffers.
    pub fn new(lists: usize, max_idle_bytes: usize) -> Self {
        BufferPool {
            shared: Arc::new(Shared {
                idle: Mutex::new(Idle {
                    lists: vec![Vec::new(); lists.max(1)],
                    bytes: 0,
                }),
                max_idle_bytes,
            }),
        }
    }

    /// The capacity of the idle buffers it holds now, in bytes.
    pub fn idle_bytes(&self) -> usize {
        self.shared.lock().bytes
    }

    /// An idle buffer of list `list` (empty), if there is one.
    ///
    /// # Panics
    ///
    /// If `list` is not below the number of lists.
    pub fn pop(&self, list: usize) -> Option<Vec<u8>> {
        let mut idle = self.shared.lock();
        let buffer = idle.lists[list].pop()?;
        idle.bytes -= buffer.capacity();
        Some(buffer)
    }

    /// Keep `buffer` (emptied) in list `list`, unless that would make the
    /// idle buffers more than the bound: then it is freed.
    ///
    /// # Panics
    ///
    /// If `list` is not below the number of lists.
    pub fn give_back(&self, list: usize, buffer: Vec<u8>) {
        self.shared.give_back(list, buffer);
    }

    /// `buffer`'s bytes, without a copy, as [`Bytes`] that give the buffer
    /// back to list `list` when the last of them (slices included) is
    /// dropped.
    ///
    /// # Panics
    ///
    /// If `list` is not below the number of lists (when the buffer comes back).
    pub fn lend(&self, list: usize, buffer: Vec<u8>) -> Bytes {
        Bytes::from_owner(Lent {
            buffer,
            list,
            shared: Arc::clone(&self.shared),
        })
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Idle> {
        // The lists stay consistent whatever panicked while holding them.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn give_back(&self, list: usize, mut buffer: Vec<u8>) {
        let mut idle = self.lock();
        if idle.bytes + buffer.capacity() <= self.max_idle_bytes {
            buffer.clear();
            idle.bytes += buffer.capacity();
            idle.lists[list].push(buffer);
        }
    }
}

/// A lent buffer, as the owner of a [`Bytes`].
struct Lent {
    buffer: Vec<u8>,
    list: usize,
    shared: Arc<Shared>,
}

impl AsRef<[u8]> for Lent {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        self.shared
            .give_back(self.list, std::mem::take(&mut self.buffer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lent_bytes_are_the_buffer_and_it_comes_back_to_its_list() {
        let pool = BufferPool::new(2, 1 << 20);
        let mut buffer = Vec::with_capacity(1000);
        buffer.extend_from_slice(&[7; 600]);
        let address = buffer.as_ptr();
        let bytes = pool.lend(1, buffer);
        assert_eq!(bytes.as_ptr(), address, "lent, not copied");
        drop(bytes);
        assert!(pool.pop(0).is_none());
        let again = pool.pop(1).unwrap();
        assert_eq!((again.as_ptr(), again.len()), (address, 0));
        assert_eq!(pool.idle_bytes(), 0);
    }

    #[test]
    fn idle_buffers_are_bounded() {
        let pool = BufferPool::new(1, 2500);
        for _ in 0..5 {
            pool.give_back(0, Vec::with_capacity(1000));
        }
        assert_eq!(pool.idle_bytes(), 2000);
    }

    #[test]
    fn handles_are_equal_when_they_share_a_pool() {
        let pool = BufferPool::new(1, 0);
        assert_eq!(pool, pool.clone());
        assert_ne!(pool, BufferPool::new(1, 0));
    }
}
