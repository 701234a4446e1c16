//! The chunk decoder on arbitrary bytes: one push equals a two-way split
//! (the split point comes from the first byte), memory stays bounded, and
//! every decoded message survives an encode/decode round trip, and what
//! the decoder says it wants next is bounded (for awaited messages, no
//! more than for all). The split run assembles in a
//! message pool's buffers, used again from run to run: pooling changes
//! nothing decoded.
#![no_main]

use std::sync::LazyLock;

use livechannel_rtmp::{
    awaited, ChunkDecoder, ChunkEncoder, ChunkLimits, Error, MessagePool, RawMessage,
};

static POOL: LazyLock<MessagePool> = LazyLock::new(|| MessagePool::new(256 * 1024));

const LIMITS: ChunkLimits = ChunkLimits {
    max_message_size: 64 * 1024,
    max_partial_bytes: 128 * 1024,
    max_chunk_streams: 8,
};

fn run(data: &[u8], split: usize, pool: Option<&MessagePool>) -> (Vec<RawMessage>, Option<Error>) {
    let mut decoder = ChunkDecoder::with_limits(LIMITS);
    if let Some(pool) = pool {
        decoder = decoder.with_pool(pool.clone());
    }
    let mut out = Vec::new();
    for part in [&data[..split], &data[split..]] {
        decoder.push(part);
        loop {
            match decoder.poll() {
                Ok(Some(m)) => out.push(m),
                Ok(None) => {
                    // What a driver may wait for: at most a whole message
                    // sent in chunks of one byte (one header byte each).
                    // Counting only the awaited messages asks for no more.
                    let all = decoder.bytes_wanted();
                    if let Some(wanted) = all {
                        assert!(wanted.get() <= 2 * LIMITS.max_message_size as usize + 32);
                    }
                    if let Some(awaited) = decoder.bytes_wanted_by(awaited) {
                        assert!(all.is_some_and(|all| all <= awaited));
                    }
                    break;
                }
                Err(e) => return (out, Some(e)),
            }
            // Undecoded input is at most one chunk (≤ a message) plus its
            // header; partial messages are capped.
            assert!(decoder.buffered() <= data.len());
        }
    }
    (out, None)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let whole = run(data, 0, None);
    if let Some(&first) = data.first() {
        let split = first as usize * data.len() / 256;
        assert_eq!(run(data, split, Some(&POOL)), whole);
    }
    for m in &whole.0 {
        assert!((2..=65599).contains(&m.csid));
        assert!(m.payload.len() <= LIMITS.max_message_size as usize);
        if m.type_id == 1 || m.type_id == 2 {
            continue; // they change the decoder's state
        }
        let mut wire = Vec::new();
        ChunkEncoder::new().encode(m, &mut wire).unwrap();
        let mut decoder = ChunkDecoder::new();
        decoder.push(&wire);
        assert_eq!(decoder.poll().unwrap().as_ref(), Some(m));
        assert_eq!(decoder.poll().unwrap(), None);
    }
});
