//! Chunk stream decoding and encoding: round trips, interleaving, every
//! header form, extended timestamps, limits, and rml_rtmp as an oracle.

use bytes::Bytes;
use livechannel_rtmp::{
    awaited, ChunkDecoder, ChunkEncoder, ChunkLimits, Error, MessagePool, RawMessage,
};
use proptest::prelude::*;

fn decode_all(decoder: &mut ChunkDecoder) -> Result<Vec<RawMessage>, Error> {
    let mut out = Vec::new();
    while let Some(m) = decoder.poll()? {
        out.push(m);
    }
    Ok(out)
}

/// Decodes `wire` pushed in pieces cut at `splits`; stops at the first error.
fn decode_split(wire: &[u8], splits: &[usize]) -> (Vec<RawMessage>, Option<Error>) {
    decode_split_with(ChunkDecoder::new(), wire, splits)
}

fn decode_split_with(
    mut decoder: ChunkDecoder,
    wire: &[u8],
    splits: &[usize],
) -> (Vec<RawMessage>, Option<Error>) {
    let mut out = Vec::new();
    let mut start = 0;
    for &end in splits.iter().chain(std::iter::once(&wire.len())) {
        let end = end.clamp(start, wire.len());
        decoder.push(&wire[start..end]);
        start = end;
        loop {
            match decoder.poll() {
                Ok(Some(m)) => out.push(m),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

/// An independent, naive chunk writer: format 0 first chunks, format 3
/// continuations, and chunks of several messages interleaved round-robin.
fn interleave(msgs: &[RawMessage], chunk_size: usize) -> Vec<u8> {
    fn basic(out: &mut Vec<u8>, fmt: u8, csid: u32) {
        match csid {
            2..=63 => out.push(fmt << 6 | csid as u8),
            64..=319 => out.extend_from_slice(&[fmt << 6, (csid - 64) as u8]),
            _ => out.extend_from_slice(&[
                fmt << 6 | 1,
                ((csid - 64) & 0xFF) as u8,
                ((csid - 64) >> 8) as u8,
            ]),
        }
    }
    let mut out = Vec::new();
    let mut offsets = vec![0usize; msgs.len()];
    let mut started = vec![false; msgs.len()];
    loop {
        let mut any = false;
        for (i, m) in msgs.iter().enumerate() {
            if started[i] && offsets[i] >= m.payload.len() {
                continue;
            }
            any = true;
            let ext = m.timestamp >= 0xFF_FFFF;
            if !started[i] {
                started[i] = true;
                basic(&mut out, 0, m.csid);
                out.extend_from_slice(&m.timestamp.min(0xFF_FFFF).to_be_bytes()[1..]);
                out.extend_from_slice(&(m.payload.len() as u32).to_be_bytes()[1..]);
                out.push(m.type_id);
                out.extend_from_slice(&m.stream_id.to_le_bytes());
            } else {
                basic(&mut out, 3, m.csid);
            }
            if ext {
                out.extend_from_slice(&m.timestamp.to_be_bytes());
            }
            let end = (offsets[i] + chunk_size).min(m.payload.len());
            out.extend_from_slice(&m.payload[offsets[i]..end]);
            offsets[i] = end;
        }
        if !any {
            return out;
        }
    }
}

fn payload(len: usize, seed: u8) -> Bytes {
    Bytes::from(
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect::<Vec<_>>(),
    )
}

/// Messages with valid fields by construction: non-decreasing timestamps
/// per chunk stream (so nothing is rejected), type ids other than the
/// chunk-layer controls 1 and 2.
fn arb_messages() -> impl Strategy<Value = Vec<RawMessage>> {
    let csid = prop_oneof![
        2u32..=10,
        Just(63u32),
        Just(64),
        64u32..=319,
        Just(319),
        Just(320),
        320u32..=65599,
        Just(65599)
    ];
    let delta = prop_oneof![4 => 0u32..100, 1 => 0u32..0x0200_0000, 1 => Just(0xFF_FFFF)];
    let msg = (csid, delta, 3u8..=255, 0u32..4, 0usize..700, any::<u8>());
    proptest::collection::vec(msg, 1..30).prop_map(|specs| {
        let mut clock: std::collections::HashMap<u32, u32> = Default::default();
        specs
            .into_iter()
            .map(|(csid, delta, type_id, stream_id, len, seed)| {
                let ts = clock.entry(csid).or_insert(0);
                *ts = ts.saturating_add(delta);
                RawMessage::new(csid, *ts, type_id, stream_id, payload(len, seed))
            })
            .collect()
    })
}

proptest! {
    // Generators build valid values by construction: no input may be rejected.
    #![proptest_config(ProptestConfig { max_global_rejects: 0, max_local_rejects: 0, ..ProptestConfig::default() })]
    #[test]
    fn encode_then_decode_round_trips(msgs in arb_messages(), chunk_size in 1u32..=65536, cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8)) {
        let mut encoder = ChunkEncoder::new();
        let mut wire = Vec::new();
        encoder.encode_set_chunk_size(chunk_size, &mut wire).unwrap();
        for m in &msgs {
            encoder.encode(m, &mut wire).unwrap();
        }
        let (decoded, err) = decode_split(&wire, &[]);
        prop_assert_eq!(err, None);
        prop_assert_eq!(decoded[0].type_id, 1);
        prop_assert_eq!(&decoded[1..], &msgs[..]);

        let mut splits: Vec<usize> = cuts.iter().map(|i| i.index(wire.len())).collect();
        splits.sort_unstable();
        prop_assert_eq!(decode_split(&wire, &splits), (decoded, None));
    }

    #[test]
    fn interleaved_chunk_streams_reassemble(lens in proptest::collection::vec(0usize..2000, 1..8), ts in proptest::collection::vec(any::<u32>(), 8), chunk_size in 1usize..300) {
        let msgs: Vec<RawMessage> = lens
            .iter()
            .enumerate()
            .map(|(i, &len)| RawMessage::new(3 + i as u32 * 50, ts[i], 9, i as u32, payload(len, i as u8)))
            .collect();
        let mut wire = Vec::new();
        ChunkEncoder::new().encode_set_chunk_size(chunk_size as u32, &mut wire).unwrap();
        wire.extend_from_slice(&interleave(&msgs, chunk_size));
        let (mut decoded, err) = decode_split(&wire, &[]);
        prop_assert_eq!(err, None);
        decoded.remove(0);
        // Messages complete in order of their last chunk: compare as sets.
        decoded.sort_by_key(|m| m.csid);
        prop_assert_eq!(decoded, msgs);
    }

    /// Assembling in a pool's buffers decodes the same messages for any
    /// split of the input, also in buffers used before (given back by
    /// the messages of a first pass, whatever the pool keeps idle).
    #[test]
    fn a_message_pool_changes_nothing_decoded(lens in proptest::collection::vec(0usize..5000, 1..8), chunk_size in 1usize..3000, cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8), idle_kib in 0usize..64) {
        let msgs: Vec<RawMessage> = lens
            .iter()
            .enumerate()
            .map(|(i, &len)| RawMessage::new(3 + i as u32, i as u32, 9, 1, payload(len, i as u8)))
            .collect();
        let mut wire = Vec::new();
        ChunkEncoder::new().encode_set_chunk_size(chunk_size as u32, &mut wire).unwrap();
        wire.extend_from_slice(&interleave(&msgs, chunk_size));
        let mut splits: Vec<usize> = cuts.iter().map(|i| i.index(wire.len())).collect();
        splits.sort_unstable();
        let plain = decode_split(&wire, &splits);
        prop_assert_eq!(plain.1.as_ref(), None);
        prop_assert_eq!(plain.0.len(), msgs.len() + 1);
        let pool = MessagePool::new(idle_kib * 1024);
        let pooled = |pool: &MessagePool| {
            decode_split_with(ChunkDecoder::new().with_pool(pool.clone()), &wire, &splits)
        };
        let first = pooled(&pool);
        prop_assert_eq!(&first, &plain);
        drop(first);
        prop_assert_eq!(pooled(&pool), plain);
    }

    /// `bytes_wanted` never holds a message back when each message's
    /// chunks come back to back: fed byte by byte, no message completes
    /// sooner than the bytes it asked for. Interleaved, it still answers
    /// (a message started in between may complete sooner, which the
    /// method's documentation warns of).
    #[test]
    fn bytes_wanted_is_a_lower_bound(lens in proptest::collection::vec(0usize..2000, 1..8), chunk_size in 1usize..300, interleaved: bool) {
        let msgs: Vec<RawMessage> = lens
            .iter()
            .enumerate()
            .map(|(i, &len)| RawMessage::new(3 + i as u32 * 50, 0, 9, 1, payload(len, i as u8)))
            .collect();
        let mut encoder = ChunkEncoder::new();
        let mut wire = Vec::new();
        encoder.encode_set_chunk_size(chunk_size as u32, &mut wire).unwrap();
        if interleaved {
            wire.extend_from_slice(&interleave(&msgs, chunk_size));
        } else {
            for m in &msgs {
                encoder.encode(m, &mut wire).unwrap();
            }
        }
        // After byte p: what was asked for, and whether a message completed.
        let mut decoder = ChunkDecoder::new();
        let mut asked = Vec::new();
        let mut completed = Vec::new();
        for byte in &wire {
            decoder.push(&[*byte]);
            let mut done = false;
            while decoder.poll().unwrap().is_some() {
                done = true;
            }
            completed.push(done);
            asked.push(decoder.bytes_wanted().map(|w| w.get()));
        }
        // next[p]: the first byte after p that completes a message.
        let mut next = vec![usize::MAX; wire.len() + 1];
        for p in (0..wire.len()).rev() {
            next[p] = if completed.get(p + 1) == Some(&true) { p + 1 } else { next[p + 1] };
        }
        for (p, wanted) in asked.iter().enumerate() {
            let Some(w) = *wanted else { continue };
            if !interleaved {
                prop_assert!(next[p] >= p + w, "after byte {} it asked for {} more, a message came after {}", p, w, next[p] - p);
            }
        }
        prop_assert_eq!(asked.last().copied().flatten(), None);
    }

    /// `bytes_wanted_by(awaited)` is a lower bound for the awaited messages
    /// (keyframes among inter frames and audio, with extended timestamps
    /// too), and asks for nothing while only audio flows.
    #[test]
    fn bytes_wanted_by_waits_only_for_awaited_messages(
        frames in proptest::collection::vec((0u8..3, 1usize..1500), 1..10),
        chunk_size in 1usize..300,
        big_timestamps: bool,
    ) {
        let base = if big_timestamps { 0x0100_0000 } else { 0 };
        let msgs: Vec<RawMessage> = frames
            .iter()
            .enumerate()
            .map(|(i, &(kind, len))| {
                let (csid, type_id, first) = match kind {
                    0 => (4, 8, 0xaf),   // AAC
                    1 => (6, 9, 0x27),   // AVC inter frame
                    _ => (6, 9, 0x17),   // AVC keyframe
                };
                let mut body = payload(len, i as u8).to_vec();
                body[0] = first;
                RawMessage::new(csid, base + i as u32 * 40, type_id, 1, body.into())
            })
            .collect();
        let mut encoder = ChunkEncoder::new();
        let mut wire = Vec::new();
        encoder.encode_set_chunk_size(chunk_size as u32, &mut wire).unwrap();
        // A control message, awaited like any but media.
        let control = wire.len();
        for m in &msgs {
            encoder.encode(m, &mut wire).unwrap();
        }
        let mut decoder = ChunkDecoder::new();
        let mut asked = Vec::new();
        let mut awaited_done = vec![false];
        for byte in &wire {
            decoder.push(&[*byte]);
            let mut done = false;
            while let Some(m) = decoder.poll().unwrap() {
                done |= awaited(m.type_id, m.payload.first().copied());
            }
            awaited_done.push(done);
            asked.push(decoder.bytes_wanted_by(awaited).map(|w| w.get()));
        }
        let mut next = vec![usize::MAX; wire.len() + 1];
        for p in (0..wire.len()).rev() {
            next[p] = if awaited_done[p + 1] { p + 1 } else { next[p + 1] };
        }
        for (p, wanted) in asked.iter().enumerate() {
            if let Some(w) = *wanted {
                prop_assert!(next[p] >= p + w, "after byte {} it asked for {} more, an awaited message came after {}", p, w, next[p] - p);
            }
        }
        if frames.iter().all(|&(kind, _)| kind == 0) {
            prop_assert!(asked[control..].iter().all(Option::is_none), "audio only, yet it asked: {:?}", asked);
        }
    }
}

/// An inter frame under way is not waited for, a keyframe is, with or
/// without an extended timestamp between header and body.
#[test]
fn only_keyframes_are_awaited_under_way() {
    for timestamp in [0, 0x0100_0000] {
        for (first, waited) in [(0x27u8, false), (0x17, true)] {
            let mut body = payload(300, 1).to_vec();
            body[0] = first;
            let msg = RawMessage::new(6, timestamp, 9, 1, body.into());
            let mut wire = Vec::new();
            ChunkEncoder::new().encode(&msg, &mut wire).unwrap(); // chunks of 128
            let mut decoder = ChunkDecoder::new();
            // The header alone: the body's first byte is not known yet.
            let header = if timestamp == 0 { 12 } else { 16 };
            decoder.push(&wire[..header]);
            assert_eq!(decoder.poll().unwrap(), None);
            assert!(decoder.bytes_wanted_by(awaited).is_some());
            decoder.push(&wire[header..100]);
            assert_eq!(decoder.poll().unwrap(), None);
            assert!(decoder.bytes_wanted().is_some());
            assert_eq!(
                decoder.bytes_wanted_by(awaited).is_some(),
                waited,
                "{first:#x} at {timestamp}"
            );
        }
    }
}

#[test]
fn byte_at_a_time_equals_one_push() {
    let msgs: Vec<RawMessage> = (0..20)
        .map(|i| {
            RawMessage::new(
                4 + i % 3,
                i * 0x0100_0000,
                8 + (i % 2) as u8,
                1,
                payload(300 + i as usize, i as u8),
            )
        })
        .collect();
    let mut encoder = ChunkEncoder::new();
    let mut wire = Vec::new();
    for m in &msgs {
        encoder.encode(m, &mut wire).unwrap();
    }
    let every: Vec<usize> = (1..wire.len()).collect();
    assert_eq!(decode_split(&wire, &every), (msgs.clone(), None));
    assert_eq!(decode_split(&wire, &[]), (msgs, None));
}

#[test]
fn basic_header_forms() {
    // csid 5 (1 byte), 64 + 200 = 264 (2 bytes), 64 + 0x1234 = 4724 (3 bytes)
    let mut wire = vec![0x05, 0, 0, 10, 0, 0, 1, 8, 1, 0, 0, 0, 0xAA];
    wire.extend_from_slice(&[0x00, 200, 0, 0, 20, 0, 0, 1, 9, 1, 0, 0, 0, 0xBB]);
    wire.extend_from_slice(&[0x01, 0x34, 0x12, 0, 0, 30, 0, 0, 1, 18, 1, 0, 0, 0, 0xCC]);
    let (msgs, err) = decode_split(&wire, &[]);
    assert_eq!(err, None);
    let ids: Vec<(u32, u32, u8)> = msgs
        .iter()
        .map(|m| (m.csid, m.timestamp, m.type_id))
        .collect();
    assert_eq!(ids, vec![(5, 10, 8), (264, 20, 9), (4724, 30, 18)]);
    // And the encoder writes the same forms.
    for (csid, first) in [
        (5u32, vec![0x05]),
        (264, vec![0x00, 200]),
        (4724, vec![0x01, 0x34, 0x12]),
    ] {
        let mut out = Vec::new();
        ChunkEncoder::new()
            .encode(&RawMessage::new(csid, 0, 8, 1, payload(1, 0)), &mut out)
            .unwrap();
        assert_eq!(&out[..first.len()], &first[..]);
    }
}

#[test]
fn header_compression_uses_all_formats() {
    let mut encoder = ChunkEncoder::new();
    let mut sizes = Vec::new();
    let mut fmts = Vec::new();
    let steps = [
        (0u32, 10usize, 8u8), // format 0
        (23, 10, 8),          // same length and type: format 2
        (46, 10, 8),          // same delta again: format 3
        (69, 12, 8),          // new length: format 1
        (50, 12, 8),          // backwards: format 0
    ];
    for (ts, len, ty) in steps {
        let mut out = Vec::new();
        encoder
            .encode(&RawMessage::new(4, ts, ty, 1, payload(len, 1)), &mut out)
            .unwrap();
        fmts.push(out[0] >> 6);
        sizes.push(out.len() - len);
    }
    assert_eq!(fmts, vec![0, 2, 3, 1, 0]);
    assert_eq!(sizes, vec![12, 4, 1, 8, 12]);
}

/// A message that uses an extended timestamp, with the field present or
/// missing on its continuation chunk.
fn extended_wire(ext_on_continuation: bool) -> (Vec<u8>, RawMessage) {
    let body = payload(200, 7);
    let ts = 0x0123_4567u32;
    let mut wire = vec![0x04, 0xFF, 0xFF, 0xFF, 0, 0, 200, 9, 1, 0, 0, 0];
    wire.extend_from_slice(&ts.to_be_bytes());
    wire.extend_from_slice(&body[..128]);
    wire.push(0xC4);
    if ext_on_continuation {
        wire.extend_from_slice(&ts.to_be_bytes());
    }
    wire.extend_from_slice(&body[128..]);
    (wire, RawMessage::new(4, ts, 9, 1, body))
}

#[test]
fn extended_timestamp_on_continuation_is_optional() {
    for present in [true, false] {
        let (wire, msg) = extended_wire(present);
        let every: Vec<usize> = (1..wire.len()).collect();
        assert_eq!(
            decode_split(&wire, &[]),
            (vec![msg.clone()], None),
            "present={present}"
        );
        assert_eq!(
            decode_split(&wire, &every),
            (vec![msg], None),
            "present={present}"
        );
    }
}

#[test]
fn a_short_final_chunk_without_the_field_is_not_held_back() {
    // 130-byte message: the continuation carries 2 bytes and no extended
    // timestamp; the first of them already differs from the timestamp.
    let ts = 0x0123_4567u32;
    let mut wire = vec![0x04, 0xFF, 0xFF, 0xFF, 0, 0, 130, 9, 1, 0, 0, 0];
    wire.extend_from_slice(&ts.to_be_bytes());
    wire.extend_from_slice(&[0x55; 128]);
    wire.extend_from_slice(&[0xC4, 0x77, 0x88]);
    let (msgs, err) = decode_split(&wire, &[]);
    assert_eq!(err, None);
    assert_eq!(msgs.len(), 1);
    assert_eq!(&msgs[0].payload[128..], &[0x77, 0x88]);
}

#[test]
fn format_3_new_message_after_format_0_adds_the_previous_field() {
    // FFmpeg's rule: audio at 40 (format 0), then a format-3 message = 80.
    let mut wire = vec![0x04, 0, 0, 40, 0, 0, 1, 8, 1, 0, 0, 0, 0xAF];
    wire.extend_from_slice(&[0xC4, 0xAE]);
    let (msgs, err) = decode_split(&wire, &[]);
    assert_eq!(err, None);
    assert_eq!(
        msgs.iter().map(|m| m.timestamp).collect::<Vec<_>>(),
        vec![40, 80]
    );
}

#[test]
fn single_chunk_bodies_are_slices_of_the_receive_buffer() {
    let mut encoder = ChunkEncoder::new();
    let mut wire = Vec::new();
    for ts in [0, 23, 46] {
        encoder
            .encode(
                &RawMessage::new(4, ts, 8, 1, payload(50, ts as u8)),
                &mut wire,
            )
            .unwrap();
    }
    let mut decoder = ChunkDecoder::new();
    decoder.push(&wire);
    let msgs = decode_all(&mut decoder).unwrap();
    // Headers: 12 bytes, then 4 (format 2), then 1 (format 3).
    assert_eq!(
        msgs[1].payload.as_ptr() as usize,
        msgs[0].payload.as_ptr() as usize + 50 + 4
    );
    assert_eq!(
        msgs[2].payload.as_ptr() as usize,
        msgs[1].payload.as_ptr() as usize + 50 + 1
    );
}

#[test]
fn abort_discards_the_partial_message() {
    let mut wire = vec![0x04, 0, 0, 1, 0, 1, 0, 9, 1, 0, 0, 0];
    wire.extend_from_slice(&[0x11; 128]);
    // Abort (type 2) for chunk stream 4.
    wire.extend_from_slice(&[0x02, 0, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0, 0, 0, 0, 4]);
    // A new message on chunk stream 4 with a format-0 header is accepted.
    wire.extend_from_slice(&[0x04, 0, 0, 2, 0, 0, 1, 9, 1, 0, 0, 0, 0x22]);
    let mut decoder = ChunkDecoder::new();
    decoder.push(&wire[..140]);
    assert_eq!(decoder.poll(), Ok(None));
    assert_eq!(decoder.buffered(), 128);
    decoder.push(&wire[140..]);
    let msgs = decode_all(&mut decoder).unwrap();
    assert_eq!(
        msgs.iter().map(|m| m.type_id).collect::<Vec<_>>(),
        vec![2, 9]
    );
    assert_eq!(&msgs[1].payload[..], &[0x22]);
    assert_eq!(decoder.buffered(), 0);
}

#[test]
fn limits_are_enforced() {
    let limits = ChunkLimits {
        max_message_size: 1000,
        max_partial_bytes: 300,
        max_chunk_streams: 2,
    };
    let fresh = || ChunkDecoder::with_limits(limits);

    let mut d = fresh();
    d.push(&[0x04, 0, 0, 0, 0, 0x03, 0xE9, 9, 1, 0, 0, 0]);
    assert_eq!(
        d.poll(),
        Err(Error::MessageTooLarge {
            offset: 0,
            csid: 4,
            len: 1001,
            limit: 1000
        })
    );
    assert_eq!(
        d.poll(),
        Err(Error::MessageTooLarge {
            offset: 0,
            csid: 4,
            len: 1001,
            limit: 1000
        }),
        "sticky"
    );

    let mut d = fresh();
    let mut wire = Vec::new();
    for csid in [4u8, 5] {
        wire.extend_from_slice(&[csid, 0, 0, 0, 0, 0x03, 0xE8, 9, 1, 0, 0, 0]);
        wire.extend_from_slice(&[0; 128]);
    }
    wire.extend_from_slice(&[0xC4]);
    wire.extend_from_slice(&[0; 128]);
    d.push(&wire);
    assert_eq!(
        d.poll(),
        Err(Error::PartialMessagesTooLarge {
            offset: 280,
            csid: 4,
            buffered: 384,
            limit: 300
        })
    );

    let mut d = fresh();
    for csid in [4u8, 5, 6] {
        d.push(&[csid, 0, 0, 0, 0, 0, 1, 9, 1, 0, 0, 0, 0]);
    }
    assert_eq!(d.poll().unwrap().unwrap().csid, 4);
    assert_eq!(d.poll().unwrap().unwrap().csid, 5);
    assert_eq!(
        d.poll(),
        Err(Error::TooManyChunkStreams {
            offset: 26,
            csid: 6,
            limit: 2
        })
    );
}

#[test]
fn new_header_in_the_middle_of_a_message_is_an_error() {
    let mut wire = vec![0x04, 0, 0, 0, 0, 1, 0, 9, 1, 0, 0, 0];
    wire.extend_from_slice(&[0; 128]);
    wire.extend_from_slice(&[0x44, 0, 0, 5, 0, 0, 1, 9, 0]);
    let (_, err) = decode_split(&wire, &[]);
    assert_eq!(
        err,
        Some(Error::InterruptedMessage {
            offset: 140,
            csid: 4,
            missing: 128
        })
    );
}

#[test]
fn set_chunk_size_bounds() {
    let mut encoder = ChunkEncoder::new();
    assert_eq!(
        encoder.set_chunk_size(0),
        Err(Error::InvalidChunkSize { offset: 0, size: 0 })
    );
    assert_eq!(
        encoder.set_chunk_size(0x8000_0000),
        Err(Error::InvalidChunkSize {
            offset: 0,
            size: 0x8000_0000
        })
    );
    assert_eq!(encoder.set_chunk_size(0x7FFF_FFFF), Ok(()));
    for (size, ok) in [
        (0u32, false),
        (1, true),
        (0x7FFF_FFFF, true),
        (0x8000_0000, false),
        (u32::MAX, false),
    ] {
        let mut d = ChunkDecoder::new();
        let mut wire = vec![0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0];
        wire.extend_from_slice(&size.to_be_bytes());
        d.push(&wire);
        let r = d.poll();
        if ok {
            assert_eq!(r.unwrap().unwrap().type_id, 1);
            assert_eq!(d.chunk_size(), size);
        } else {
            assert_eq!(r, Err(Error::InvalidChunkSize { offset: 0, size }));
        }
    }
}

#[test]
fn encoder_refuses_what_the_wire_cannot_carry() {
    let mut encoder = ChunkEncoder::new();
    let mut out = Vec::new();
    let big = RawMessage::new(4, 0, 9, 1, Bytes::from(vec![0; 0x100_0000]));
    assert_eq!(
        encoder.encode(&big, &mut out),
        Err(Error::MessageTooLargeToSend { len: 0x100_0000 })
    );
    for csid in [0, 1, 65600] {
        let m = RawMessage::new(csid, 0, 9, 1, Bytes::new());
        assert_eq!(
            encoder.encode(&m, &mut out),
            Err(Error::InvalidChunkStreamId { csid })
        );
    }
    assert!(out.is_empty());
}

mod oracle {
    //! rml_rtmp's chunk serializer and deserializer as an independent check.
    use super::*;
    use rml_rtmp::chunk_io::{ChunkDeserializer, ChunkSerializer};
    use rml_rtmp::messages::MessagePayload;
    use rml_rtmp::time::RtmpTimestamp;

    fn rml_payload(m: &RawMessage) -> MessagePayload {
        MessagePayload {
            timestamp: RtmpTimestamp::new(m.timestamp),
            type_id: m.type_id,
            message_stream_id: m.stream_id,
            data: m.payload.clone(),
        }
    }

    /// Sequences rml_rtmp handles: timestamps below the extended range.
    fn arb_media() -> impl Strategy<Value = Vec<RawMessage>> {
        let msg = (
            prop_oneof![Just(8u8), Just(9), Just(18), Just(20)],
            0u32..3,
            prop_oneof![Just(0u32), Just(10), 0u32..50],
            1usize..1500, // rml_rtmp writes no chunk for an empty body
            any::<u8>(),
        );
        proptest::collection::vec(msg, 1..25).prop_map(|specs| {
            let mut clock = [0u32; 256];
            specs
                .into_iter()
                .map(|(ty, sid, delta, len, seed)| {
                    clock[ty as usize] += delta;
                    RawMessage::new(0, clock[ty as usize], ty, sid, payload(len, seed))
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { max_global_rejects: 0, max_local_rejects: 0, ..ProptestConfig::default() })]
        #[test]
        fn rml_serializer_output_decodes(msgs in arb_media(), chunk_size in prop_oneof![Just(128u32), 1u32..5000]) {
            let mut ser = ChunkSerializer::new();
            let mut wire = ser.set_max_chunk_size(chunk_size, RtmpTimestamp::new(0)).unwrap().bytes;
            for m in &msgs {
                wire.extend_from_slice(&ser.serialize(&rml_payload(m), false, false).unwrap().bytes);
            }
            let (decoded, err) = decode_split(&wire, &[]);
            prop_assert_eq!(err, None);
            let got: Vec<_> = decoded[1..].iter().map(|d| (d.timestamp, d.type_id, d.stream_id, d.payload.clone())).collect();
            let want: Vec<_> = msgs.iter().map(|d| (d.timestamp, d.type_id, d.stream_id, d.payload.clone())).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn our_encoder_output_decodes_with_rml(msgs in arb_media(), chunk_size in prop_oneof![Just(128u32), 1u32..5000]) {
            let mut encoder = ChunkEncoder::new();
            let mut wire = Vec::new();
            encoder.encode_set_chunk_size(chunk_size, &mut wire).unwrap();
            for m in &msgs {
                let csid = match m.type_id { 8 => 4, 9 => 6, 18 => 5, _ => 3 };
                encoder.encode(&RawMessage { csid, ..m.clone() }, &mut wire).unwrap();
            }
            let mut de = ChunkDeserializer::new();
            let mut got = Vec::new();
            let mut input: &[u8] = &wire;
            while let Some(p) = de.get_next_message(input).unwrap() {
                input = &[];
                if p.type_id == 1 {
                    let size = u32::from_be_bytes([p.data[0], p.data[1], p.data[2], p.data[3]]);
                    de.set_max_chunk_size(size as usize).unwrap();
                    continue;
                }
                got.push((p.timestamp.value, p.type_id, p.message_stream_id, p.data));
            }
            let want: Vec<_> = msgs.iter().map(|d| (d.timestamp, d.type_id, d.stream_id, d.payload.clone())).collect();
            prop_assert_eq!(got, want);
        }
    }
}
