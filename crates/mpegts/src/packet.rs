//! Transport packet headers, adaptation fields (§2.4.3.2, §2.4.3.4) and the
//! split of one PES packet into transport packets.

use crate::gather::Gather;
use crate::PACKET_SIZE;

const SYNC_BYTE: u8 = 0x47;
const HEADER_SIZE: usize = 4;
/// Bytes after the 4-byte transport packet header.
pub(crate) const BODY_SIZE: usize = PACKET_SIZE - HEADER_SIZE;

/// `adaptation_field_control`: payload only.
const AFC_PAYLOAD: u8 = 0b01;
/// `adaptation_field_control`: adaptation field only.
const AFC_ADAPTATION: u8 = 0b10;
/// `adaptation_field_control`: adaptation field followed by payload.
const AFC_BOTH: u8 = 0b11;

const FLAG_RANDOM_ACCESS: u8 = 0x40;
const FLAG_PCR: u8 = 0x10;
/// Length byte + flags byte + 6 PCR bytes.
const AF_WITH_PCR: usize = 8;
/// Length byte + flags byte.
const AF_FLAGS_ONLY: usize = 2;

/// The 33-bit mask of PTS, DTS and PCR base values.
pub(crate) const MASK_33: u64 = (1 << 33) - 1;

fn header(pid: u16, unit_start: bool, afc: u8, cc: u8) -> [u8; HEADER_SIZE] {
    let [pid_hi, pid_lo] = pid.to_be_bytes();
    [
        SYNC_BYTE,
        (u8::from(unit_start) << 6) | (pid_hi & 0x1F),
        pid_lo,
        (afc << 4) | (cc & 0x0F),
    ]
}

/// `program_clock_reference_base` (33 bits), 6 reserved bits, extension 0.
fn encode_pcr(base: u64) -> [u8; 6] {
    let base = base & MASK_33;
    [
        (base >> 25) as u8,
        (base >> 17) as u8,
        (base >> 9) as u8,
        (base >> 1) as u8,
        (((base & 1) as u8) << 7) | 0x7E,
        0x00,
    ]
}

/// What the adaptation field of a packet carries besides stuffing.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AdaptationFlags {
    /// PCR base to write.
    pub(crate) pcr: Option<u64>,
    pub(crate) random_access: bool,
}

impl AdaptationFlags {
    /// Smallest adaptation field (in bytes, length byte included) carrying these flags.
    fn min_size(self) -> usize {
        if self.pcr.is_some() {
            AF_WITH_PCR
        } else if self.random_access {
            AF_FLAGS_ONLY
        } else {
            0
        }
    }
}

/// Writes a packet header and an adaptation field of exactly `af_size` bytes
/// (0 for none; `af_size >= flags.min_size()`), leaving `BODY_SIZE - af_size`
/// bytes of payload for the caller to append.
fn write_header(
    out: &mut Vec<u8>,
    pid: u16,
    unit_start: bool,
    cc: u8,
    flags: AdaptationFlags,
    af_size: usize,
    has_payload: bool,
) {
    let afc = match (af_size > 0, has_payload) {
        (false, _) => AFC_PAYLOAD,
        (true, true) => AFC_BOTH,
        (true, false) => AFC_ADAPTATION,
    };
    out.extend_from_slice(&header(pid, unit_start, afc, cc));
    if af_size == 0 {
        return;
    }
    // adaptation_field_length counts the bytes after itself; a 1-byte field
    // (length 0) is the only way to stuff exactly one byte.
    out.push((af_size - 1) as u8);
    if af_size == 1 {
        return;
    }
    let mut flag_byte = 0;
    if flags.random_access {
        flag_byte |= FLAG_RANDOM_ACCESS;
    }
    if flags.pcr.is_some() {
        flag_byte |= FLAG_PCR;
    }
    out.push(flag_byte);
    let mut used = AF_FLAGS_ONLY;
    if let Some(pcr) = flags.pcr {
        out.extend_from_slice(&encode_pcr(pcr));
        used = AF_WITH_PCR;
    }
    out.resize(out.len() + (af_size - used), 0xFF);
}

/// A packet with an adaptation field only, carrying a PCR. It has no
/// payload, so its continuity counter repeats the previous one (§2.4.3.3).
pub(crate) fn write_pcr_only(out: &mut Vec<u8>, pid: u16, last_cc: u8, pcr: u64) {
    let flags = AdaptationFlags {
        pcr: Some(pcr),
        random_access: false,
    };
    write_header(out, pid, false, last_cc, flags, BODY_SIZE, false);
}

/// A PES packet (header + payload) in transport packets.
pub(crate) struct Pes<'a, B> {
    pub(crate) pid: u16,
    /// Carried by the adaptation field of the first packet.
    pub(crate) flags: AdaptationFlags,
    /// The PES header, at most `BODY_SIZE - AF_WITH_PCR` bytes.
    pub(crate) header: &'a [u8],
    pub(crate) payload: &'a [B],
    /// Sum of the payload chunk lengths.
    pub(crate) payload_len: usize,
}

impl<B: AsRef<[u8]>> Pes<'_, B> {
    /// Number of transport packets and the stuffing bytes of the last one.
    fn layout(&self) -> (usize, usize) {
        let total = self.header.len().saturating_add(self.payload_len);
        let first_capacity = BODY_SIZE - self.flags.min_size();
        if total <= first_capacity {
            return (1, first_capacity - total);
        }
        let rest = total - first_capacity;
        let more = rest.div_ceil(BODY_SIZE);
        (1 + more, more * BODY_SIZE - rest)
    }

    /// Appends the packets to `out`, stuffing the last one so its payload
    /// ends exactly at the packet end. `cc` is the PID's next continuity
    /// counter and is advanced past every packet written.
    pub(crate) fn write(&self, out: &mut Vec<u8>, cc: &mut u8) {
        let (packets, stuffing) = self.layout();
        out.reserve(packets.saturating_mul(PACKET_SIZE));
        let mut payload = Gather::new(self.payload);

        let first_af = self.flags.min_size() + if packets == 1 { stuffing } else { 0 };
        write_header(out, self.pid, true, *cc, self.flags, first_af, true);
        *cc = (*cc + 1) & 0x0F;
        out.extend_from_slice(self.header);
        payload.copy_into(out, BODY_SIZE - first_af - self.header.len());

        if packets == 1 {
            return;
        }
        // Nearly every packet of a frame: header and 184 payload bytes,
        // nothing to decide (the hot loop of the muxer).
        let full = header(self.pid, false, AFC_PAYLOAD, 0);
        for _ in 2..packets {
            out.extend_from_slice(&[full[0], full[1], full[2], full[3] | (*cc & 0x0F)]);
            *cc = (*cc + 1) & 0x0F;
            payload.copy_into(out, BODY_SIZE);
        }
        // The last one, stuffed so that the payload ends with the packet.
        let no_flags = AdaptationFlags::default();
        write_header(out, self.pid, false, *cc, no_flags, stuffing, true);
        *cc = (*cc + 1) & 0x0F;
        payload.copy_into(out, BODY_SIZE - stuffing);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcr_encoding_matches_the_bit_layout() {
        // base = all ones: 32 bits in bytes 0..4, the 33rd in the top bit of byte 4.
        assert_eq!(encode_pcr(MASK_33), [0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0x00]);
        assert_eq!(encode_pcr(1), [0, 0, 0, 0, 0xFE, 0x00]);
        assert_eq!(encode_pcr(2), [0, 0, 0, 1, 0x7E, 0x00]);
    }

    #[test]
    fn header_packs_pid_flags_and_counter() {
        assert_eq!(
            header(0x1FFE, true, AFC_BOTH, 0x1F),
            [0x47, 0x5F, 0xFE, 0x3F]
        );
        assert_eq!(
            header(0x100, false, AFC_PAYLOAD, 3),
            [0x47, 0x01, 0x00, 0x13]
        );
    }

    #[test]
    fn layout_covers_every_stuffing_case() {
        let header = [0u8; 14];
        for len in 0..=2000usize {
            let data = vec![7u8; len];
            let pes = Pes {
                pid: 0x100,
                flags: AdaptationFlags::default(),
                header: &header,
                payload: &[&data[..]],
                payload_len: len,
            };
            let mut out = Vec::new();
            let mut cc = 0;
            pes.write(&mut out, &mut cc);
            assert_eq!(out.len() % PACKET_SIZE, 0, "len {len}");
            let (packets, _) = pes.layout();
            assert_eq!(out.len(), packets * PACKET_SIZE);
            assert_eq!(usize::from(cc), packets % 16);
        }
    }

    #[test]
    fn one_byte_and_two_byte_stuffing() {
        // 184 - 14 - 169 = 1 byte of stuffing: adaptation field of length 0.
        let header = [0u8; 14];
        let data = [1u8; 169];
        let pes = Pes {
            pid: 0x100,
            flags: AdaptationFlags::default(),
            header: &header,
            payload: &[&data[..]],
            payload_len: data.len(),
        };
        let mut out = Vec::new();
        pes.write(&mut out, &mut 0);
        assert_eq!(out[3] >> 4, AFC_BOTH);
        assert_eq!(out[4], 0);
        assert_eq!(out[5..19], header);

        let data = [1u8; 168];
        let pes = Pes {
            payload: &[&data[..]],
            payload_len: data.len(),
            ..pes
        };
        let mut out = Vec::new();
        pes.write(&mut out, &mut 0);
        assert_eq!(out[4], 1);
        assert_eq!(out[5], 0, "flags byte with nothing set");
        assert_eq!(out[6..20], header);
    }

    #[test]
    fn short_gather_list_is_padded_not_panicking() {
        let header = [0u8; 9];
        let data = [1u8; 10];
        let pes = Pes {
            pid: 0x101,
            flags: AdaptationFlags::default(),
            header: &header,
            payload: &[&data[..]],
            // Claims more than the list holds.
            payload_len: 500,
        };
        let mut out = Vec::new();
        pes.write(&mut out, &mut 0);
        assert_eq!(out.len(), 3 * PACKET_SIZE);
    }
}
