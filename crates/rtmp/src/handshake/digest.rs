//! The Flash Player 9 "digest" handshake: where the digest sits in a
//! 1536-byte handshake packet and how it is computed (HMAC-SHA256).
//!
//! Learnt from librtmp's handshake.h and nginx-rtmp's
//! ngx_rtmp_handshake.c; written from their description, not copied.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub(crate) const PACKET_LEN: usize = 1536;
pub(crate) const DIGEST_LEN: usize = 32;

/// "Genuine Adobe Flash Player 001" followed by 32 fixed bytes; the first
/// 30 bytes sign a client's C1, all 62 derive the key that signs C2.
const FP_KEY: [u8; 62] = *b"Genuine Adobe Flash Player 001\
\xF0\xEE\xC2\x4A\x80\x68\xBE\xE8\x2E\x00\xD0\xD1\x02\x9E\x7E\x57\
\x6E\xEC\x5D\x2D\x29\x80\x6F\xAB\x93\xB8\xE6\x36\xCF\xEB\x31\xAE";

/// "Genuine Adobe Flash Media Server 001" followed by the same 32 bytes;
/// the first 36 bytes sign a server's S1, all 68 derive the key for S2.
const FMS_KEY: [u8; 68] = *b"Genuine Adobe Flash Media Server 001\
\xF0\xEE\xC2\x4A\x80\x68\xBE\xE8\x2E\x00\xD0\xD1\x02\x9E\x7E\x57\
\x6E\xEC\x5D\x2D\x29\x80\x6F\xAB\x93\xB8\xE6\x36\xCF\xEB\x31\xAE";

/// Which side signed a packet: decides the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signer {
    Client,
    Server,
}

impl Signer {
    /// Key for the digest inside P1.
    fn p1_key(self) -> &'static [u8] {
        match self {
            Signer::Client => FP_KEY.get(..30).unwrap_or_default(),
            Signer::Server => FMS_KEY.get(..36).unwrap_or_default(),
        }
    }

    /// Key from which the P2 signing key is derived.
    fn p2_key(self) -> &'static [u8] {
        match self {
            Signer::Client => &FP_KEY,
            Signer::Server => &FMS_KEY,
        }
    }
}

pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; DIGEST_LEN] {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return [0; DIGEST_LEN];
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Offset of the digest in a packet for scheme 0 (digest block first,
/// offset bytes 8..12) or scheme 1 (key block first, offset bytes 772..776).
pub(crate) fn digest_offset(packet: &[u8; PACKET_LEN], scheme: u8) -> usize {
    let base = if scheme == 0 { 8 } else { 772 };
    let sum: usize = packet
        .get(base..base + 4)
        .unwrap_or_default()
        .iter()
        .map(|&b| usize::from(b))
        .sum();
    sum % 728 + base + 4
}

fn compute(packet: &[u8; PACKET_LEN], offset: usize, signer: Signer) -> [u8; DIGEST_LEN] {
    let before = packet.get(..offset).unwrap_or_default();
    let after = packet.get(offset + DIGEST_LEN..).unwrap_or_default();
    hmac_sha256(signer.p1_key(), &[before, after])
}

/// Writes the digest into `packet` at the place `scheme` gives; returns it.
pub(crate) fn sign_p1(
    packet: &mut [u8; PACKET_LEN],
    scheme: u8,
    signer: Signer,
) -> [u8; DIGEST_LEN] {
    let offset = digest_offset(packet, scheme);
    let digest = compute(packet, offset, signer);
    if let Some(slot) = packet.get_mut(offset..offset + DIGEST_LEN) {
        slot.copy_from_slice(&digest);
    }
    digest
}

/// Finds a valid digest in a peer's P1: `(scheme, digest)`.
pub(crate) fn find_p1_digest(
    packet: &[u8; PACKET_LEN],
    signer: Signer,
) -> Option<(u8, [u8; DIGEST_LEN])> {
    [0u8, 1].into_iter().find_map(|scheme| {
        let offset = digest_offset(packet, scheme);
        let expected = compute(packet, offset, signer);
        let found = packet.get(offset..offset + DIGEST_LEN)?;
        (found == expected).then_some((scheme, expected))
    })
}

/// The signature at the end of a P2 answering a P1 whose digest was
/// `peer_digest`, signed by `signer`.
pub(crate) fn p2_signature(
    packet: &[u8; PACKET_LEN],
    peer_digest: &[u8; DIGEST_LEN],
    signer: Signer,
) -> [u8; DIGEST_LEN] {
    let key = hmac_sha256(signer.p2_key(), &[peer_digest]);
    hmac_sha256(
        &key,
        &[packet.get(..PACKET_LEN - DIGEST_LEN).unwrap_or_default()],
    )
}

/// Fills `packet`'s last 32 bytes with its P2 signature.
pub(crate) fn sign_p2(
    packet: &mut [u8; PACKET_LEN],
    peer_digest: &[u8; DIGEST_LEN],
    signer: Signer,
) {
    let sig = p2_signature(packet, peer_digest, signer);
    if let Some(slot) = packet.get_mut(PACKET_LEN - DIGEST_LEN..) {
        slot.copy_from_slice(&sig);
    }
}

/// Whether a P2 carries the signature expected for our digest.
pub(crate) fn verify_p2(
    packet: &[u8; PACKET_LEN],
    our_digest: &[u8; DIGEST_LEN],
    signer: Signer,
) -> bool {
    let sig = p2_signature(packet, our_digest, signer);
    packet.get(PACKET_LEN - DIGEST_LEN..) == Some(&sig[..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", &[b"what do ya ", b"want for nothing?"]);
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn digest_offsets_of_both_schemes() {
        let mut packet = [0u8; PACKET_LEN];
        assert_eq!(digest_offset(&packet, 0), 12);
        assert_eq!(digest_offset(&packet, 1), 776);
        packet[8..12].copy_from_slice(&[255, 255, 255, 255]);
        packet[772..776].copy_from_slice(&[200, 200, 200, 200]);
        assert_eq!(digest_offset(&packet, 0), 1020 % 728 + 12);
        assert_eq!(digest_offset(&packet, 1), 800 % 728 + 776);
        // The digest always fits inside the packet.
        assert!(digest_offset(&packet, 1) + DIGEST_LEN <= PACKET_LEN);
    }

    #[test]
    fn signed_p1_is_found_with_the_right_key_only() {
        let mut packet = [7u8; PACKET_LEN];
        let digest = sign_p1(&mut packet, 1, Signer::Server);
        assert_eq!(find_p1_digest(&packet, Signer::Server), Some((1, digest)));
        assert_eq!(find_p1_digest(&packet, Signer::Client), None);
        let mut p2 = [9u8; PACKET_LEN];
        sign_p2(&mut p2, &digest, Signer::Client);
        assert!(verify_p2(&p2, &digest, Signer::Client));
        assert!(!verify_p2(&p2, &digest, Signer::Server));
    }
}
