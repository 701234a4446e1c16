//! A cursor over the caller's gather list, so payload bytes go straight
//! from the caller's buffers into the output without an intermediate copy.

/// Reads consecutive bytes out of a list of chunks.
pub(crate) struct Gather<'a, B> {
    chunks: &'a [B],
    index: usize,
    offset: usize,
}

impl<'a, B: AsRef<[u8]>> Gather<'a, B> {
    pub(crate) fn new(chunks: &'a [B]) -> Self {
        Gather {
            chunks,
            index: 0,
            offset: 0,
        }
    }

    /// Total number of bytes in the list.
    pub(crate) fn total_len(chunks: &[B]) -> u64 {
        chunks.iter().fold(0u64, |sum, c| {
            sum.saturating_add(u64::try_from(c.as_ref().len()).unwrap_or(u64::MAX))
        })
    }

    /// Appends exactly `n` bytes to `out`.
    ///
    /// The packet layout was computed from the chunk lengths up front; should
    /// an `AsRef` implementation report fewer bytes now than it did then, the
    /// gap is filled with 0xFF so packets keep their 188-byte size.
    pub(crate) fn copy_into(&mut self, out: &mut Vec<u8>, mut n: usize) {
        while n > 0 {
            let Some(chunk) = self.chunks.get(self.index) else {
                out.resize(out.len() + n, 0xFF);
                return;
            };
            let rest = chunk.as_ref().get(self.offset..).unwrap_or_default();
            if rest.is_empty() {
                self.index += 1;
                self.offset = 0;
                continue;
            }
            let take = rest.len().min(n);
            let (now, _) = rest.split_at(take);
            out.extend_from_slice(now);
            self.offset += take;
            n -= take;
        }
    }
}
