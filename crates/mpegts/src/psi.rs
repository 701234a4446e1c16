//! Program specific information (§2.4.4): the PAT and PMT sections, each in
//! one transport packet.

use crate::packet::BODY_SIZE;

/// CRC-32/MPEG-2 (§2.4.4.11, Annex A): polynomial 0x04C11DB7, init all ones, no reflection.
const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_MPEG_2);

const PAT_PID: u16 = 0x0000;
const TABLE_ID_PAT: u8 = 0x00;
const TABLE_ID_PMT: u8 = 0x02;
/// Value FFmpeg writes; a single-program stream has no reason to pick another.
const TRANSPORT_STREAM_ID: u16 = 1;

/// `stream_type` of H.264 video (Table 2-34).
pub(crate) const STREAM_TYPE_H264: u8 = 0x1B;
/// `stream_type` of AAC audio with ADTS transport syntax.
pub(crate) const STREAM_TYPE_AAC_ADTS: u8 = 0x0F;

/// Writes a packet carrying `pointer_field` 0 and one section, then 0xFF
/// padding. `body` writes the section from `table_id_extension` on, without
/// the CRC; it must fit in one packet (our sections are < 40 bytes).
fn write_section(
    out: &mut Vec<u8>,
    pid: u16,
    cc: &mut u8,
    table_id: u8,
    table_id_extension: u16,
    version: u8,
    body: &[u8],
) {
    let packet_start = out.len();
    let [pid_hi, pid_lo] = pid.to_be_bytes();
    out.extend_from_slice(&[0x47, 0x40 | (pid_hi & 0x1F), pid_lo, 0x10 | (*cc & 0x0F)]);
    *cc = (*cc + 1) & 0x0F;
    out.push(0); // pointer_field

    let section_start = out.len();
    // Bytes after section_length: table_id_extension, version byte,
    // section_number, last_section_number, body, CRC.
    let section_length = (5 + body.len() + 4) as u16;
    let [len_hi, len_lo] = section_length.to_be_bytes();
    let [ext_hi, ext_lo] = table_id_extension.to_be_bytes();
    out.extend_from_slice(&[
        table_id,
        // section_syntax_indicator 1, '0', reserved '11'
        0xB0 | (len_hi & 0x0F),
        len_lo,
        ext_hi,
        ext_lo,
        // reserved '11', version_number, current_next_indicator 1
        0xC1 | ((version & 0x1F) << 1),
        0, // section_number
        0, // last_section_number
    ]);
    out.extend_from_slice(body);
    let crc = CRC.checksum(out.get(section_start..).unwrap_or_default());
    out.extend_from_slice(&crc.to_be_bytes());
    let end = packet_start + 4 + BODY_SIZE;
    out.resize(end.max(out.len()), 0xFF);
}

/// The program association table naming one program.
pub(crate) fn write_pat(out: &mut Vec<u8>, cc: &mut u8, program_number: u16, pmt_pid: u16) {
    let [prog_hi, prog_lo] = program_number.to_be_bytes();
    let [pid_hi, pid_lo] = pmt_pid.to_be_bytes();
    let body = [prog_hi, prog_lo, 0xE0 | (pid_hi & 0x1F), pid_lo];
    write_section(
        out,
        PAT_PID,
        cc,
        TABLE_ID_PAT,
        TRANSPORT_STREAM_ID,
        0,
        &body,
    );
}

/// One elementary stream entry of the PMT.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stream {
    pub(crate) stream_type: u8,
    pub(crate) pid: u16,
}

/// The program map table: `streams` is at most two entries.
pub(crate) fn write_pmt(
    out: &mut Vec<u8>,
    cc: &mut u8,
    pmt_pid: u16,
    program_number: u16,
    version: u8,
    pcr_pid: u16,
    streams: &[Stream],
) {
    // 4 fixed bytes + 5 per stream; two streams at most.
    let mut body = [0u8; 4 + 5 * 2];
    let [pcr_hi, pcr_lo] = pcr_pid.to_be_bytes();
    // reserved '111' + PCR_PID, reserved '1111' + program_info_length 0
    body[..4].copy_from_slice(&[0xE0 | (pcr_hi & 0x1F), pcr_lo, 0xF0, 0x00]);
    let mut len = 4;
    for (stream, slot) in streams.iter().zip(body[4..].chunks_exact_mut(5)) {
        let [hi, lo] = stream.pid.to_be_bytes();
        // reserved '111' + elementary_PID, reserved '1111' + ES_info_length 0
        slot.copy_from_slice(&[stream.stream_type, 0xE0 | (hi & 0x1F), lo, 0xF0, 0x00]);
        len += 5;
    }
    let body = body.get(..len).unwrap_or_default();
    write_section(
        out,
        pmt_pid,
        cc,
        TABLE_ID_PMT,
        program_number,
        version,
        body,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PACKET_SIZE;

    #[test]
    fn pat_matches_ffmpeg_bytes() {
        // FFmpeg's PAT for program 1 on PMT PID 0x1000 (first packet of any
        // `ffmpeg -f mpegts` output), CRC included.
        let mut out = Vec::new();
        let mut cc = 0;
        write_pat(&mut out, &mut cc, 1, 0x1000);
        assert_eq!(out.len(), PACKET_SIZE);
        assert_eq!(
            &out[..21],
            &[
                0x47, 0x40, 0x00, 0x10, 0x00, 0x00, 0xB0, 0x0D, 0x00, 0x01, 0xC1, 0x00, 0x00, 0x00,
                0x01, 0xF0, 0x00, 0x2A, 0xB1, 0x04, 0xB2
            ]
        );
        assert!(out[21..].iter().all(|&b| b == 0xFF));
        assert_eq!(cc, 1);
    }

    #[test]
    fn video_only_pmt_matches_ffmpeg_bytes() {
        // `ffmpeg -i video_only.flv -c copy -f mpegts`: PMT section, CRC included.
        let mut out = Vec::new();
        let h264 = [Stream {
            stream_type: STREAM_TYPE_H264,
            pid: 0x100,
        }];
        write_pmt(&mut out, &mut 0, 0x1000, 1, 0, 0x100, &h264);
        assert_eq!(
            &out[5..26],
            &[
                0x02, 0xB0, 0x12, 0x00, 0x01, 0xC1, 0x00, 0x00, 0xE1, 0x00, 0xF0, 0x00, 0x1B, 0xE1,
                0x00, 0xF0, 0x00, 0x15, 0xBD, 0x4D, 0x56
            ]
        );
    }

    #[test]
    fn pmt_lists_streams_and_crc_checks_out() {
        let mut out = Vec::new();
        let mut cc = 15;
        let streams = [
            Stream {
                stream_type: STREAM_TYPE_H264,
                pid: 0x100,
            },
            Stream {
                stream_type: STREAM_TYPE_AAC_ADTS,
                pid: 0x101,
            },
        ];
        write_pmt(&mut out, &mut cc, 0x1000, 1, 3, 0x100, &streams);
        assert_eq!(cc, 0);
        assert_eq!(&out[..5], &[0x47, 0x50, 0x00, 0x1F, 0x00]);
        let section_length = usize::from(u16::from_be_bytes([out[6], out[7]]) & 0x0FFF);
        assert_eq!(section_length, 13 + 10);
        assert_eq!(out[10], 0xC1 | (3 << 1));
        // The CRC over a whole section including its CRC is 0 for CRC-32/MPEG-2.
        assert_eq!(CRC.checksum(&out[5..5 + 3 + section_length]), 0);
        assert_eq!(&out[13..17], &[0xE1, 0x00, 0xF0, 0x00]);
        assert_eq!(&out[17..22], &[0x1B, 0xE1, 0x00, 0xF0, 0x00]);
        assert_eq!(&out[22..27], &[0x0F, 0xE1, 0x01, 0xF0, 0x00]);
    }
}
