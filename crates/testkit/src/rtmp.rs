//! An RTMP server session for tests that only need a server to say yes.

use std::time::Instant;

use livechannel_rtmp::{Error, ServerConfig, ServerEvent, ServerSession};

/// Accepts `event` if it is a connect or publish request; any other event
/// is left alone (`Ok`). For loops that drive a [`ServerSession`] by hand
/// and decide some requests themselves.
pub fn accept(session: &mut ServerSession, event: &ServerEvent) -> Result<(), Error> {
    match event {
        ServerEvent::ConnectRequested { request, .. } => session.accept_connect(*request),
        ServerEvent::PublishRequested { request, .. } => session.accept_publish(*request),
        _ => Ok(()),
    }
}

/// A [`ServerSession`] that accepts every connect and publish request and
/// collects every event (requests included) and every byte it sends.
///
/// Feed it with [`input`](Self::input); the caller passes [`sent`](Self::sent)
/// (or [`take_sent`](Self::take_sent)) on to the client when the client
/// needs the answers. By default an accept the session refuses fails the
/// test; set [`ignore_accept_errors`](Self::ignore_accept_errors) when the
/// input may have closed the session before its requests are answered.
pub struct AcceptAll {
    /// The session; drive it directly for anything [`input`](Self::input) does not do.
    pub session: ServerSession,
    /// Every event polled so far, in order.
    pub events: Vec<ServerEvent>,
    /// Every byte the session sent and nobody has taken yet.
    pub sent: Vec<u8>,
    /// Bytes given to [`input`](Self::input) so far.
    pub received: u64,
    /// Don't fail the test when accepting a request fails.
    pub ignore_accept_errors: bool,
}

impl AcceptAll {
    /// A fresh server session.
    pub fn new(config: ServerConfig, now: Instant) -> Self {
        AcceptAll {
            session: ServerSession::new(config, now),
            events: Vec::new(),
            sent: Vec::new(),
            received: 0,
            ignore_accept_errors: false,
        }
    }

    /// Gives `data` to the session at `now`, then [`drain`](Self::drain)s;
    /// returns what `handle_input` returned.
    pub fn input(&mut self, data: &[u8], now: Instant) -> Result<(), Error> {
        self.received += data.len() as u64;
        let result = self.session.handle_input(data, now);
        self.drain();
        result
    }

    /// Polls every event (accepting requests) into [`events`](Self::events)
    /// and every output into [`sent`](Self::sent).
    pub fn drain(&mut self) {
        while let Some(event) = self.session.poll_event() {
            let accepted = accept(&mut self.session, &event);
            if !self.ignore_accept_errors {
                if let Err(e) = accepted {
                    panic!("accepting {event:?}: {e}");
                }
            }
            self.events.push(event);
        }
        while let Some(bytes) = self.session.poll_transmit() {
            self.sent.extend_from_slice(&bytes);
        }
    }

    /// The bytes sent since the last call (empties [`sent`](Self::sent)).
    pub fn take_sent(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.sent)
    }

    /// The audio, video and metadata events seen, in order.
    pub fn media_events(&self) -> Vec<ServerEvent> {
        media_events(&self.events)
    }
}

/// The audio, video and metadata events of `events`, in order.
pub fn media_events(events: &[ServerEvent]) -> Vec<ServerEvent> {
    events
        .iter()
        .filter(|e| {
            matches!(
                e,
                ServerEvent::Audio { .. }
                    | ServerEvent::Video { .. }
                    | ServerEvent::Metadata { .. }
            )
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use livechannel_rtmp::{ClientConfig, ClientSession};

    #[test]
    fn a_client_publishes_and_the_media_is_collected() {
        let now = Instant::now();
        let mut client = ClientSession::new(ClientConfig::new("live", "rtmp://h/live", "ch"), now);
        let mut server = AcceptAll::new(ServerConfig::default(), now);
        let mut sent = false;
        for _ in 0..20 {
            while let Some(b) = client.poll_transmit() {
                server.input(&b, now).unwrap();
            }
            let answers = server.take_sent();
            if !answers.is_empty() {
                client.handle_input(&answers, now).unwrap();
            }
            if client.is_publishing() && !sent {
                sent = true;
                client.send_audio(0, vec![0xAF, 1, 2].into()).unwrap();
            }
        }
        assert!(sent, "{:?}", server.events);
        assert!(matches!(
            server.events[..2],
            [
                ServerEvent::ConnectRequested { .. },
                ServerEvent::PublishRequested { .. }
            ]
        ));
        assert!(matches!(
            &server.media_events()[..],
            [ServerEvent::Audio { timestamp: 0, data, .. }] if data[..] == [0xAF, 1, 2]
        ));
    }
}
