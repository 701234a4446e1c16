//! A tiny deterministic generator for handshake filler bytes. The bytes
//! need not be secret (RTMP without RTMPE has no secrecy); determinism makes
//! sessions reproducible from the caller's seed.

/// xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift
/// generators, scrambled", 2016).
#[derive(Debug, Clone)]
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> Self {
        // The all-zero state is a fixed point; mix the seed so 0 is usable.
        let state = seed ^ 0x9E37_79B9_7F4A_7C15;
        XorShift(if state == 0 {
            0x2545_F491_4F6C_DD1D
        } else {
            state
        })
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            let n = chunk.len();
            chunk.copy_from_slice(bytes.get(..n).unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::XorShift;

    #[test]
    fn same_seed_same_bytes_and_seeds_differ() {
        let fill = |seed| {
            let mut out = [0u8; 37];
            XorShift::new(seed).fill(&mut out);
            out
        };
        assert_eq!(fill(1), fill(1));
        assert_ne!(fill(1), fill(2));
        // Seed 0 works too (the raw all-zero state would be stuck at 0).
        assert_ne!(fill(0), [0u8; 37]);
    }
}
