//! Handshake: both forms, both sides, against rml_rtmp, split anywhere.

use hmac::{Hmac, Mac};
use livechannel_rtmp::{Error, Handshake, HandshakeKind};
use proptest::prelude::*;
use rml_rtmp::handshake::{Handshake as RmlHandshake, HandshakeProcessResult, PeerType};
use sha2::Sha256;

fn run(mut client: Handshake, mut server: Handshake) -> (Handshake, Handshake) {
    let c0c1 = client.take_output();
    assert_eq!(c0c1.len(), 1537);
    assert_eq!(server.handle_input(&c0c1).unwrap(), 1537);
    let s0s1s2 = server.take_output();
    assert_eq!(s0s1s2.len(), 3073);
    assert_eq!(client.handle_input(&s0s1s2).unwrap(), 3073);
    let c2 = client.take_output();
    assert_eq!(c2.len(), 1536);
    assert_eq!(server.handle_input(&c2).unwrap(), 1536);
    assert!(client.is_complete() && server.is_complete());
    (client, server)
}

#[test]
fn digest_form_between_our_sides() {
    let (client, server) = run(Handshake::client(1), Handshake::server(2));
    assert_eq!(
        server.peer_kind(),
        Some(HandshakeKind::Digest { scheme: 0 })
    );
    assert_eq!(
        client.peer_kind(),
        Some(HandshakeKind::Digest { scheme: 0 })
    );
    assert!(server.peer_response_verified());
    assert!(client.peer_response_verified());
}

#[test]
fn simple_form_between_our_sides() {
    let (client, server) = run(Handshake::client_simple(1), Handshake::server(2));
    assert_eq!(server.peer_kind(), Some(HandshakeKind::Simple));
    assert_eq!(client.peer_kind(), Some(HandshakeKind::Simple));
    assert!(server.peer_response_verified());
    assert!(client.peer_response_verified());
}

fn rml_bytes(r: HandshakeProcessResult) -> Vec<u8> {
    match r {
        HandshakeProcessResult::InProgress { response_bytes } => response_bytes,
        HandshakeProcessResult::Completed { response_bytes, .. } => response_bytes,
    }
}

#[test]
fn rml_client_accepts_our_server_digest() {
    let mut rml = RmlHandshake::new(PeerType::Client);
    let mut server = Handshake::server(9);
    let c0c1 = rml.generate_outbound_p0_and_p1().unwrap();
    server.handle_input(&c0c1).unwrap();
    assert_eq!(
        server.peer_kind(),
        Some(HandshakeKind::Digest { scheme: 0 })
    );
    let s0s1s2 = server.take_output();
    let c2 = rml_bytes(rml.process_bytes(&s0s1s2).unwrap());
    // rml_rtmp answers with a digest C2 only if it found our S1 digest; an
    // echo would equal S1.
    assert_ne!(&c2[..], &s0s1s2[1..1537]);
    server.handle_input(&c2).unwrap();
    assert!(server.is_complete());
    assert!(server.peer_response_verified());
}

#[test]
fn rml_server_accepts_our_client_digest() {
    let mut rml = RmlHandshake::new(PeerType::Server);
    let mut client = Handshake::client(5);
    let c0c1 = client.take_output();
    let s0s1s2 = rml_bytes(rml.process_bytes(&c0c1).unwrap());
    assert_eq!(s0s1s2.len(), 3073);
    client.handle_input(&s0s1s2).unwrap();
    assert!(client.is_complete());
    // rml_rtmp's server places its S1 digest with scheme 1.
    assert_eq!(
        client.peer_kind(),
        Some(HandshakeKind::Digest { scheme: 1 })
    );
    // S2 is not an echo of C1 and carries the signature of our digest.
    assert_ne!(&s0s1s2[1537..], &c0c1[1..]);
    assert!(client.peer_response_verified());
    let c2 = client.take_output();
    match rml.process_bytes(&c2).unwrap() {
        HandshakeProcessResult::Completed {
            remaining_bytes, ..
        } => assert!(remaining_bytes.is_empty()),
        other => panic!("{other:?}"),
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

#[test]
fn scheme_1_client_gets_a_scheme_1_answer() {
    const FP: &[u8] = b"Genuine Adobe Flash Player 001";
    const FMS: &[u8] = b"Genuine Adobe Flash Media Server 001";
    const TAIL: [u8; 32] = [
        0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E,
        0x57, 0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB,
        0x31, 0xAE,
    ];
    let offset1 = |p: &[u8]| p[772..776].iter().map(|&b| b as usize).sum::<usize>() % 728 + 776;

    let mut c1 = [0u8; 1536];
    for (i, b) in c1.iter_mut().enumerate().skip(8) {
        *b = (i * 7 % 251) as u8;
    }
    c1[4..8].copy_from_slice(&[10, 0, 45, 2]);
    let off = offset1(&c1);
    let digest = hmac(FP, &[&c1[..off], &c1[off + 32..]]);
    c1[off..off + 32].copy_from_slice(&digest);

    let mut server = Handshake::server(3);
    server.handle_input(&[3]).unwrap();
    server.handle_input(&c1).unwrap();
    assert_eq!(
        server.peer_kind(),
        Some(HandshakeKind::Digest { scheme: 1 })
    );
    let out = server.take_output();
    let (s1, s2) = (&out[1..1537], &out[1537..]);
    let soff = offset1(s1);
    assert_eq!(
        &s1[soff..soff + 32],
        &hmac(FMS, &[&s1[..soff], &s1[soff + 32..]])
    );
    let key = hmac(&[FMS, &TAIL].concat(), &[&digest]);
    assert_eq!(&s2[1504..], &hmac(&key, &[&s2[..1504]]));
}

#[test]
fn digest_mismatch_falls_back_to_echo() {
    let mut c0c1 = vec![3u8];
    c0c1.extend((0..1536).map(|i| (i % 256) as u8)); // non-zero version, no valid digest
    let mut server = Handshake::server(1);
    server.handle_input(&c0c1).unwrap();
    assert_eq!(server.peer_kind(), Some(HandshakeKind::Simple));
    let out = server.take_output();
    assert_eq!(&out[1537..], &c0c1[1..]);
    assert_eq!(&out[5..9], &[0, 0, 0, 0], "simple S1 has a zero version");
}

#[test]
fn wrong_version_is_refused_and_sticky() {
    for v in [0u8, 6, 0xFF] {
        let mut server = Handshake::server(1);
        assert_eq!(
            server.handle_input(&[v, 1, 2]),
            Err(Error::UnsupportedVersion { found: v })
        );
        assert_eq!(
            server.handle_input(&[3]),
            Err(Error::UnsupportedVersion { found: v })
        );
        let mut client = Handshake::client(1);
        assert_eq!(
            client.handle_input(&[v]),
            Err(Error::UnsupportedVersion { found: v })
        );
    }
}

#[test]
fn a_tls_client_hello_on_the_server_side_is_named_as_such() {
    let mut server = Handshake::server(1);
    // A TLS 1.2/1.3 ClientHello record starts 0x16 0x03 0x01.
    assert_eq!(
        server.handle_input(&[0x16, 0x03, 0x01, 0x02, 0x00]),
        Err(Error::TlsOnPlainPort)
    );
    assert_eq!(server.handle_input(&[3]), Err(Error::TlsOnPlainPort));
    // A client is not on a port of its own: 0x16 is just a wrong version.
    let mut client = Handshake::client(1);
    assert_eq!(
        client.handle_input(&[0x16]),
        Err(Error::UnsupportedVersion { found: 0x16 })
    );
}

#[test]
fn bytes_after_the_handshake_are_left_over() {
    let mut client = Handshake::client(1);
    let mut server = Handshake::server(2);
    server.handle_input(&client.take_output()).unwrap();
    client.handle_input(&server.take_output()).unwrap();
    let mut c2 = client.take_output().to_vec();
    c2.extend_from_slice(&[0x02, 0, 0]);
    assert_eq!(server.handle_input(&c2).unwrap(), 1536);
    assert_eq!(server.handle_input(&[1, 2]).unwrap(), 0);
}

proptest! {
    // Generators build valid values by construction: no input may be rejected.
    #![proptest_config(ProptestConfig { max_global_rejects: 0, max_local_rejects: 0, ..ProptestConfig::default() })]
    #[test]
    fn any_split_gives_the_same_answer(cuts in proptest::collection::vec(0usize..3073, 0..10), seed in any::<u64>()) {
        let mut client = Handshake::client(seed);
        let mut reference = Handshake::server(seed);
        let c0c1 = client.take_output();
        reference.handle_input(&c0c1).unwrap();
        let s = reference.take_output();
        client.handle_input(&s).unwrap();
        let mut all = c0c1.to_vec();
        all.extend_from_slice(&client.take_output());

        let mut server = Handshake::server(seed);
        let mut out = Vec::new();
        let mut cuts = cuts;
        cuts.sort_unstable();
        let mut start = 0;
        for end in cuts.into_iter().chain(std::iter::once(all.len())) {
            let end = end.max(start);
            prop_assert_eq!(server.handle_input(&all[start..end]).unwrap(), end - start);
            out.extend_from_slice(&server.take_output());
            start = end;
        }
        prop_assert!(server.is_complete());
        prop_assert_eq!(&out[..], &s[..]);
        prop_assert!(server.peer_response_verified());
    }
}
