//! A whole server session after a valid handshake, fed arbitrary chunk
//! stream bytes, auto-accepting every request: never panics, memory stays
//! bounded, and one push equals a two-way split (events and bytes sent).
#![no_main]

use std::time::{Duration, Instant};

use livechannel_rtmp::{ChunkLimits, Error, Handshake, ServerConfig, ServerEvent, ServerSession};

const LIMITS: ChunkLimits = ChunkLimits {
    max_message_size: 64 * 1024,
    max_partial_bytes: 128 * 1024,
    max_chunk_streams: 16,
};

fn handshake() -> Vec<u8> {
    let mut bytes = Handshake::client_simple(7).take_output().to_vec();
    bytes.extend_from_slice(&[0u8; 1536]);
    bytes
}

fn run(prefix: &[u8], data: &[u8], split: usize) -> (Vec<ServerEvent>, Vec<u8>, Option<Error>) {
    let now = Instant::now();
    let config = ServerConfig {
        limits: LIMITS,
        seed: 1,
        ..ServerConfig::default()
    };
    let mut session = ServerSession::new(config, now);
    let mut events = Vec::new();
    let mut sent = Vec::new();
    let mut error = None;
    for (i, part) in [prefix, &data[..split], &data[split..]]
        .into_iter()
        .enumerate()
    {
        if let Err(e) = session.handle_input(part, now + Duration::from_millis(i as u64)) {
            error = Some(e);
        }
        while let Some(event) = session.poll_event() {
            match &event {
                ServerEvent::ConnectRequested { request, .. } => {
                    let _ = session.accept_connect(*request);
                }
                ServerEvent::PublishRequested { request, .. } => {
                    let _ = session.accept_publish(*request);
                }
                _ => {}
            }
            events.push(event);
        }
        while let Some(b) = session.poll_transmit() {
            sent.extend_from_slice(&b);
        }
        // Publishing, the session may let a message's rest gather: never
        // more than a message in chunks of one byte.
        if let livechannel_rtmp::ReadHint::Media {
            message_rest: Some(rest),
            ..
        } = session.read_hint()
        {
            assert!(rest.get() <= 2 * LIMITS.max_message_size as usize + 32);
        }
        // Held input is capped by the partial/backlog limit plus one message.
        let bound = LIMITS.max_partial_bytes + LIMITS.max_message_size as usize + 64;
        assert!(
            session.buffered_bytes() <= bound,
            "{} > {bound}",
            session.buffered_bytes()
        );
        if error.is_some() {
            break;
        }
    }
    if error.is_some() {
        assert!(session.is_closed());
    }
    // Errors found while resuming after an accept surface through the
    // close reason, not through handle_input.
    let error = session.close_reason().and_then(|r| r.error().cloned());
    (events, sent, error)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&seed, data)) = data.split_first() else {
        return;
    };
    let prefix = handshake();
    let whole = run(&prefix, data, 0);
    let split = (seed as usize * data.len()) / 256;
    // Compared as text: AMF numbers may be NaN, which is not equal to
    // itself, and a metadata event carrying one would fail an `==`.
    assert_eq!(
        format!("{:?}", run(&prefix, data, split)),
        format!("{whole:?}")
    );
    if let Some(err) = &whole.2 {
        // An error always ends with a Closed event that carries it (or a
        // rejection reason derived from it).
        assert!(
            matches!(whole.0.last(), Some(ServerEvent::Closed { .. })),
            "{err:?}"
        );
    }
});
