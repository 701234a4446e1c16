//! A cursor over the caller's gather list, so payload bytes go straight
//! from the caller's buffers into the output without an intermediate copy.

/// Reads consecutive bytes out of a list of chunks.
pub(crate) struct Gather<'a, B> {
    /// The unread part of the current chunk.
    current: &'a [u8],
    /// The chunks after it.
    rest: &'a [B],
}

impl<'a, B: AsRef<[u8]>> Gather<'a, B> {
    pub(crate) fn new(chunks: &'a [B]) -> Self {
        Gather {
            current: &[],
            rest: chunks,
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
    // Inlined into the muxer's per-packet loop: callgrind counted a fifth of
    // flv2hls's instructions in calling it.
    #[inline(always)]
    pub(crate) fn copy_into(&mut self, out: &mut Vec<u8>, n: usize) {
        // Nearly every call: the current chunk holds all `n` bytes (one
        // packet's payload out of a frame of many packets).
        if let Some((now, later)) = self.current.split_at_checked(n) {
            out.extend_from_slice(now);
            self.current = later;
        } else {
            self.copy_across(out, n);
        }
    }

    /// [`copy_into`](Self::copy_into) across the end of the current chunk.
    #[cold]
    fn copy_across(&mut self, out: &mut Vec<u8>, mut n: usize) {
        while self.current.len() < n {
            out.extend_from_slice(self.current);
            n -= self.current.len();
            let Some((next, rest)) = self.rest.split_first() else {
                self.current = &[];
                out.resize(out.len() + n, 0xFF);
                return;
            };
            (self.current, self.rest) = (next.as_ref(), rest);
        }
        let (now, later) = self.current.split_at(n);
        out.extend_from_slice(now);
        self.current = later;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_across_chunks_of_any_size_then_pads() {
        let chunks: Vec<Vec<u8>> = vec![vec![1, 2, 3], vec![], vec![4], vec![5, 6, 7, 8, 9]];
        for step in 1..=10 {
            let mut gather = Gather::new(&chunks);
            let mut out = Vec::new();
            while out.len() < 12 {
                let n = step.min(12 - out.len());
                gather.copy_into(&mut out, n);
            }
            assert_eq!(
                out,
                [1, 2, 3, 4, 5, 6, 7, 8, 9, 0xFF, 0xFF, 0xFF],
                "step {step}"
            );
        }
    }
}
