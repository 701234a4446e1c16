//! The RTMP handshake (§5.2), in its simple form and the Flash Player 9
//! digest form, for either side of a connection.

mod digest;

use bytes::Bytes;

use crate::random::XorShift;
use crate::Error;
use digest::{Signer, DIGEST_LEN, PACKET_LEN};

/// The only RTMP version this library speaks (§5.2.2).
pub const RTMP_VERSION: u8 = 3;

/// The first byte of a TLS handshake record (a ClientHello): RTMPS sent to
/// a plain RTMP port.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Bytes the handshake takes from the peer: the version byte and two
/// 1536-byte packets.
pub const HANDSHAKE_LEN: usize = 1 + 2 * PACKET_LEN;

/// The version field FFmpeg puts in a digest C1 (Flash Player 9.0.124.2).
const CLIENT_VERSION: [u8; 4] = [9, 0, 124, 2];
/// The version field nginx-rtmp puts in a digest S1 (FMS 3.5.1.1 style).
const SERVER_VERSION: [u8; 4] = [0x0D, 0x0E, 0x0A, 0x0D];

/// How the peer's first packet (C1 or S1) was formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeKind {
    /// The original handshake of the specification: the packets are echoed.
    Simple,
    /// The Flash Player 9 handshake with an HMAC-SHA256 digest in the packet.
    Digest {
        /// 0: digest block first (offset from bytes 8..12); 1: key block
        /// first (offset from bytes 772..776).
        scheme: u8,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Server,
    Client,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Version,
    Packet1,
    Packet2,
    Done,
}

/// One side of the handshake, fed with the peer's bytes.
///
/// A server answers C0+C1 with S0+S1+S2 at once and completes on C2. A
/// client sends C0+C1 on creation, C2 as soon as S1 is in, and completes on
/// S2. The peer's first packet decides the form: a valid digest (scheme 0
/// or 1) gets a digest answer; anything else, including a digest that does
/// not verify, gets the simple echo. The peer's answer to our packet is
/// checked but never fails the handshake (FFmpeg, OBS and Flash differ in
/// what they send); [`peer_response_verified`](Handshake::peer_response_verified)
/// tells the result.
///
/// Sessions run this themselves; it is public for tools and tests.
///
/// ```
/// use livechannel_rtmp::{Handshake, HandshakeKind};
///
/// let mut client = Handshake::client(1);
/// let mut server = Handshake::server(2);
/// let c0c1 = client.take_output();
/// assert_eq!(server.handle_input(&c0c1)?, c0c1.len());
/// let s0s1s2 = server.take_output();
/// client.handle_input(&s0s1s2)?;
/// server.handle_input(&client.take_output())?;
/// assert!(client.is_complete() && server.is_complete());
/// assert_eq!(server.peer_kind(), Some(HandshakeKind::Digest { scheme: 0 }));
/// assert!(client.peer_response_verified() && server.peer_response_verified());
/// # Ok::<(), livechannel_rtmp::Error>(())
/// ```
#[derive(Debug)]
pub struct Handshake {
    role: Role,
    stage: Stage,
    /// The packet being received (up to 1536 bytes).
    buf: Vec<u8>,
    out: Vec<u8>,
    rng: XorShift,
    /// Our P1, to check an echo of it.
    our_p1: Box<[u8; PACKET_LEN]>,
    /// The digest in our P1, to check a digest-form P2.
    our_digest: Option<[u8; DIGEST_LEN]>,
    peer_kind: Option<HandshakeKind>,
    verified: bool,
    received: usize,
    error: Option<Error>,
}

impl Handshake {
    /// The server side; it sends nothing until C0+C1 arrive.
    pub fn server(seed: u64) -> Self {
        Self::new(Role::Server, seed)
    }

    /// The client side in the digest form (scheme 0, as FFmpeg sends);
    /// C0+C1 are ready in [`take_output`](Self::take_output) at once.
    pub fn client(seed: u64) -> Self {
        let mut hs = Self::new(Role::Client, seed);
        let mut p1 = [0u8; PACKET_LEN];
        hs.rng.fill(&mut p1[8..]);
        p1[4..8].copy_from_slice(&CLIENT_VERSION);
        hs.our_digest = Some(digest::sign_p1(&mut p1, 0, Signer::Client));
        hs.send_p0_p1(p1);
        hs
    }

    /// The client side in the simple form (zero version field, no digest).
    pub fn client_simple(seed: u64) -> Self {
        let mut hs = Self::new(Role::Client, seed);
        let mut p1 = [0u8; PACKET_LEN];
        hs.rng.fill(&mut p1[8..]);
        hs.send_p0_p1(p1);
        hs
    }

    fn new(role: Role, seed: u64) -> Self {
        Handshake {
            role,
            stage: Stage::Version,
            buf: Vec::new(),
            out: Vec::new(),
            rng: XorShift::new(seed),
            our_p1: Box::new([0; PACKET_LEN]),
            our_digest: None,
            peer_kind: None,
            verified: false,
            received: 0,
            error: None,
        }
    }

    fn send_p0_p1(&mut self, p1: [u8; PACKET_LEN]) {
        self.out.push(RTMP_VERSION);
        self.out.extend_from_slice(&p1);
        *self.our_p1 = p1;
    }

    /// Consumes handshake bytes from `data` and returns how many it took;
    /// bytes after the end of the handshake are left for the chunk stream.
    ///
    /// Fails with [`Error::UnsupportedVersion`] when the version byte is not
    /// 3, or, on the server side, [`Error::TlsOnPlainPort`] when it is 0x16
    /// (a TLS ClientHello); the error is sticky.
    pub fn handle_input(&mut self, data: &[u8]) -> Result<usize, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let mut used = 0;
        while used < data.len() && self.stage != Stage::Done {
            let rest = data.get(used..).unwrap_or_default();
            if self.stage == Stage::Version {
                let version = rest.first().copied().unwrap_or(0);
                used += 1;
                self.received += 1;
                if version != RTMP_VERSION {
                    let e = if version == TLS_HANDSHAKE_RECORD && self.role == Role::Server {
                        Error::TlsOnPlainPort
                    } else {
                        Error::UnsupportedVersion { found: version }
                    };
                    self.error = Some(e.clone());
                    return Err(e);
                }
                self.stage = Stage::Packet1;
                continue;
            }
            let take = (PACKET_LEN - self.buf.len()).min(rest.len());
            self.buf
                .extend_from_slice(rest.get(..take).unwrap_or_default());
            used += take;
            self.received += take;
            if self.buf.len() < PACKET_LEN {
                break;
            }
            let mut packet = [0u8; PACKET_LEN];
            packet.copy_from_slice(&self.buf);
            self.buf.clear();
            if self.stage == Stage::Packet1 {
                self.on_peer_p1(&packet);
                self.stage = Stage::Packet2;
            } else {
                self.on_peer_p2(&packet);
                self.stage = Stage::Done;
                self.buf = Vec::new();
            }
        }
        Ok(used)
    }

    fn on_peer_p1(&mut self, p1: &[u8; PACKET_LEN]) {
        let (peer_signer, our_signer) = match self.role {
            Role::Server => (Signer::Client, Signer::Server),
            Role::Client => (Signer::Server, Signer::Client),
        };
        // A zero version field announces the simple handshake (nginx-rtmp
        // does the same test); otherwise look for a digest.
        let version_zero = p1.get(4..8) == Some(&[0, 0, 0, 0][..]);
        let found = if version_zero {
            None
        } else {
            digest::find_p1_digest(p1, peer_signer)
        };
        self.peer_kind = Some(match found {
            Some((scheme, _)) => HandshakeKind::Digest { scheme },
            None => HandshakeKind::Simple,
        });

        if self.role == Role::Server {
            let mut s1 = [0u8; PACKET_LEN];
            self.rng.fill(&mut s1[8..]);
            if let Some((scheme, _)) = found {
                s1[4..8].copy_from_slice(&SERVER_VERSION);
                self.our_digest = Some(digest::sign_p1(&mut s1, scheme, our_signer));
            }
            self.send_p0_p1(s1);
        }
        // Our P2 answers the peer's P1.
        match found {
            Some((_, peer_digest)) => {
                let mut p2 = [0u8; PACKET_LEN];
                self.rng.fill(&mut p2);
                digest::sign_p2(&mut p2, &peer_digest, our_signer);
                self.out.extend_from_slice(&p2);
            }
            None => self.out.extend_from_slice(p1),
        }
    }

    fn on_peer_p2(&mut self, p2: &[u8; PACKET_LEN]) {
        let peer_signer = match self.role {
            Role::Server => Signer::Client,
            Role::Client => Signer::Server,
        };
        self.verified = match &self.our_digest {
            Some(d) => digest::verify_p2(p2, d, peer_signer) || p2 == &*self.our_p1,
            None => p2 == &*self.our_p1,
        };
    }

    /// Bytes to send to the peer (empty when there are none).
    pub fn take_output(&mut self) -> Bytes {
        Bytes::from(std::mem::take(&mut self.out))
    }

    /// Whether there are bytes to send.
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Whether the handshake is over (the peer's P2 has arrived).
    pub fn is_complete(&self) -> bool {
        self.stage == Stage::Done
    }

    /// The form of the peer's first packet, once it has arrived.
    pub fn peer_kind(&self) -> Option<HandshakeKind> {
        self.peer_kind
    }

    /// Whether the peer's second packet correctly answered ours (an echo, or
    /// a digest-form signature). Informational only.
    pub fn peer_response_verified(&self) -> bool {
        self.verified
    }

    /// Handshake bytes received so far.
    pub fn bytes_received(&self) -> usize {
        self.received
    }

    /// Bytes held: the partial packet and unsent output.
    pub fn buffered(&self) -> usize {
        self.buf.len() + self.out.len()
    }
}
