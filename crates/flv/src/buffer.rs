use bytes::{Buf, Bytes, BytesMut};

/// The demuxer's unread input.
///
/// Slices given to `push` are appended to an owned buffer. A `Bytes` given
/// to `push_bytes` while nothing is buffered is kept as it is, so tag
/// bodies are sliced out of it without a copy (a memory-mapped file, a
/// socket buffer). Only data that straddles two pushes is copied.
#[derive(Debug)]
pub(crate) enum InputBuffer {
    Owned(BytesMut),
    Shared(Bytes),
}

impl Default for InputBuffer {
    fn default() -> Self {
        InputBuffer::Owned(BytesMut::new())
    }
}

impl InputBuffer {
    pub(crate) fn len(&self) -> usize {
        self.as_slice().len()
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            InputBuffer::Owned(b) => b,
            InputBuffer::Shared(b) => b,
        }
    }

    pub(crate) fn extend_from_slice(&mut self, data: &[u8]) {
        match self {
            InputBuffer::Owned(b) => b.extend_from_slice(data),
            InputBuffer::Shared(shared) => {
                let mut owned = BytesMut::with_capacity(shared.len() + data.len());
                owned.extend_from_slice(shared);
                owned.extend_from_slice(data);
                *self = InputBuffer::Owned(owned);
            }
        }
    }

    pub(crate) fn push_bytes(&mut self, data: Bytes) {
        if self.len() == 0 {
            *self = InputBuffer::Shared(data);
        } else {
            self.extend_from_slice(&data);
        }
    }

    pub(crate) fn advance(&mut self, n: usize) {
        match self {
            InputBuffer::Owned(b) => b.advance(n),
            InputBuffer::Shared(b) => b.advance(n),
        }
    }

    /// The first `n` bytes; the caller has checked that they are there.
    pub(crate) fn split_to(&mut self, n: usize) -> Bytes {
        match self {
            InputBuffer::Owned(b) => b.split_to(n).freeze(),
            InputBuffer::Shared(b) => b.split_to(n),
        }
    }
}
