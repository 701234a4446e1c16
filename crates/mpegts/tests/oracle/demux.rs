//! Demultiplexes our output with `mpeg2ts-reader` (an independent
//! implementation) and records what it saw, plus a few raw-packet checks of
//! our own that the oracle does not report.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Once;

use mpeg2ts_reader::demultiplex::{self, DemuxContext, FilterChangeset, FilterRequest};
use mpeg2ts_reader::packet::Packet;
use mpeg2ts_reader::pes::{self, PesContents, PesLength, PtsDts};
use mpeg2ts_reader::{packet_filter_switch, psi};

pub const MASK_33: u64 = (1 << 33) - 1;

/// One PES packet as the oracle reassembled it.
#[derive(Debug, Clone, Default)]
pub struct PesRecord {
    pub pid: u16,
    pub stream_id: String,
    pub pts: Option<u64>,
    pub dts: Option<u64>,
    /// `PES_packet_length`, `None` when unbounded.
    pub length: Option<u16>,
    pub aligned: bool,
    /// From the adaptation field of the packet that started this PES.
    pub random_access: bool,
    pub pcr: Option<u64>,
    pub payload: Vec<u8>,
}

impl PesRecord {
    /// DTS, or PTS when only that is present.
    pub fn decode_time(&self) -> u64 {
        self.dts.or(self.pts).unwrap_or(0)
    }
}

/// A PCR seen anywhere, with the PES that followed it.
#[derive(Debug, Clone)]
pub struct PcrRecord {
    pub pid: u16,
    pub base: u64,
    pub extension: u16,
    /// Index into `Report::pes` of the next PES to start.
    pub next_pes: Option<usize>,
    /// The packet had no payload (a PCR-only packet).
    pub adaptation_only: bool,
    pub packet_index: usize,
}

#[derive(Debug, Default)]
pub struct Report {
    pub pes: Vec<PesRecord>,
    pub pcrs: Vec<PcrRecord>,
    pub continuity_errors: Vec<u16>,
    /// `(pcr_pid, elementary_pid, stream_type)` for every stream of every new PMT.
    pub pmt_streams: Vec<(u16, u16, u8)>,
    /// Warnings the oracle logged.
    pub warnings: Vec<String>,
    /// PAT/PMT sections whose CRC `mpeg2ts_reader::mpegts_crc` confirmed.
    pub psi_sections: usize,
    open: HashMap<u16, usize>,
    start_af: Option<(bool, Option<u64>)>,
}

impl Report {
    pub fn pes_on(&self, pid: u16) -> impl Iterator<Item = &PesRecord> {
        self.pes.iter().filter(move |p| p.pid == pid)
    }

    /// Panics with a description of the first broken invariant that every
    /// stream we write must satisfy.
    pub fn assert_clean(&self) {
        assert!(
            self.warnings.is_empty(),
            "oracle warnings: {:?}",
            self.warnings
        );
        assert!(
            self.continuity_errors.is_empty(),
            "continuity errors on {:?}",
            self.continuity_errors
        );
        for (i, pcr) in self.pcrs.iter().enumerate() {
            assert_eq!(pcr.extension, 0);
            if let Some(next) = pcr.next_pes {
                let dts = self.pes[next].decode_time();
                assert!(
                    wrapping_diff(dts, pcr.base) >= 0,
                    "pcr #{i} {} is after the dts {dts} of the pes that follows it",
                    pcr.base
                );
            }
        }
        for pair in self.pcrs.windows(2) {
            assert!(
                wrapping_diff(pair[1].base, pair[0].base) >= 0,
                "pcr went backwards: {pair:?}"
            );
        }
    }

    /// Largest step between consecutive PCRs, in 90 kHz ticks.
    pub fn max_pcr_interval(&self) -> i64 {
        self.pcrs
            .windows(2)
            .map(|w| wrapping_diff(w[1].base, w[0].base))
            .max()
            .unwrap_or(0)
    }
}

/// `a - b` on the 33-bit circle, in -2^32..2^32.
pub fn wrapping_diff(a: u64, b: u64) -> i64 {
    let d = a.wrapping_sub(b) & MASK_33;
    if d >= 1 << 32 {
        d as i64 - (1 << 33)
    } else {
        d as i64
    }
}

pub struct Ctx {
    changeset: FilterChangeset<Switch>,
    pub report: Report,
    packet_index: usize,
}

packet_filter_switch! {
    Switch<Ctx> {
        Pes: EsFilter,
        Pat: demultiplex::PatPacketFilter<Ctx>,
        Pmt: demultiplex::PmtPacketFilter<Ctx>,
        Null: demultiplex::NullPacketFilter<Ctx>,
    }
}

impl DemuxContext for Ctx {
    type F = Switch;
    fn filter_changeset(&mut self) -> &mut FilterChangeset<Switch> {
        &mut self.changeset
    }
    fn construct(&mut self, req: FilterRequest<'_, '_>) -> Switch {
        match req {
            FilterRequest::ByPid(psi::pat::PAT_PID) => {
                Switch::Pat(demultiplex::PatPacketFilter::default())
            }
            FilterRequest::ByPid(_) | FilterRequest::Nit { .. } => {
                Switch::Null(demultiplex::NullPacketFilter::default())
            }
            FilterRequest::Pmt {
                pid,
                program_number,
            } => Switch::Pmt(demultiplex::PmtPacketFilter::new(pid, program_number)),
            FilterRequest::ByStream {
                stream_type,
                pmt,
                stream_info,
                ..
            } => {
                let pid = u16::from(stream_info.elementary_pid());
                self.report
                    .pmt_streams
                    .push((u16::from(pmt.pcr_pid()), pid, stream_type.0));
                Switch::Pes(EsFilter {
                    inner: pes::PesPacketFilter::new(Consumer { pid }),
                })
            }
        }
    }
}

/// Wraps the oracle's PES filter to also look at adaptation fields.
pub struct EsFilter {
    inner: pes::PesPacketFilter<Ctx, Consumer>,
}

impl demultiplex::PacketFilter for EsFilter {
    type Ctx = Ctx;
    fn consume(&mut self, ctx: &mut Ctx, pk: &Packet<'_>) {
        let pid = u16::from(pk.pid());
        let mut ra = false;
        let mut pcr = None;
        if let Some(af) = pk.adaptation_field() {
            ra = af.random_access_indicator();
            if let Ok(clock) = af.pcr() {
                pcr = Some(clock.base());
                ctx.report.pcrs.push(PcrRecord {
                    pid,
                    base: clock.base(),
                    extension: clock.extension(),
                    next_pes: None,
                    adaptation_only: !pk.adaptation_control().has_payload(),
                    packet_index: ctx.packet_index,
                });
            }
        }
        if pk.payload_unit_start_indicator() {
            ctx.report.start_af = Some((ra, pcr));
        } else {
            assert!(
                !ra,
                "random_access_indicator on a packet that starts no pes"
            );
        }
        self.inner.consume(ctx, pk);
    }
}

pub struct Consumer {
    pid: u16,
}

impl pes::ElementaryStreamConsumer<Ctx> for Consumer {
    fn start_stream(&mut self, _ctx: &mut Ctx) {}
    fn begin_packet(&mut self, ctx: &mut Ctx, header: pes::PesHeader<'_>) {
        let report = &mut ctx.report;
        let (random_access, pcr) = report.start_af.take().unwrap_or_default();
        let mut rec = PesRecord {
            pid: self.pid,
            stream_id: format!("{:?}", header.stream_id()),
            length: match header.pes_packet_length() {
                PesLength::Unbounded => None,
                PesLength::Bounded(n) => Some(n.get()),
            },
            random_access,
            pcr,
            ..PesRecord::default()
        };
        match header.contents() {
            PesContents::Parsed(Some(parsed)) => {
                rec.aligned = matches!(
                    parsed.data_alignment_indicator(),
                    pes::DataAlignment::Aligned
                );
                match parsed.pts_dts() {
                    Ok(PtsDts::PtsOnly(Ok(pts))) => rec.pts = Some(pts.value()),
                    Ok(PtsDts::Both {
                        pts: Ok(pts),
                        dts: Ok(dts),
                    }) => {
                        rec.pts = Some(pts.value());
                        rec.dts = Some(dts.value());
                    }
                    other => panic!("bad timestamps on pid {:#x}: {other:?}", self.pid),
                }
                rec.payload.extend_from_slice(parsed.payload());
            }
            _ => panic!("pes header not parsed on pid {:#x}", self.pid),
        }
        let index = report.pes.len();
        for pcr in report.pcrs.iter_mut().rev() {
            if pcr.next_pes.is_some() {
                break;
            }
            pcr.next_pes = Some(index);
        }
        report.pes.push(rec);
        report.open.insert(self.pid, index);
    }
    fn continue_packet(&mut self, ctx: &mut Ctx, data: &[u8]) {
        let index = *ctx
            .report
            .open
            .get(&self.pid)
            .expect("continuation without an open pes");
        ctx.report.pes[index].payload.extend_from_slice(data);
    }
    fn end_packet(&mut self, ctx: &mut Ctx) {
        ctx.report.open.remove(&self.pid);
    }
    fn continuity_error(&mut self, ctx: &mut Ctx) {
        ctx.report.continuity_errors.push(self.pid);
    }
}

thread_local! {
    static WARNINGS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Warn
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            WARNINGS.with(|w| w.borrow_mut().push(record.args().to_string()));
        }
    }
    fn flush(&self) {}
}

fn install_logger() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        log::set_logger(&Capture).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Warn);
    });
}

/// Raw checks the oracle does not make: sizes, sync bytes, our own
/// continuity check on every PID (PSI included), adaptation field lengths,
/// and the CRC of every PAT/PMT section computed by the oracle's CRC code.
fn raw_checks(ts: &[u8]) -> usize {
    assert_eq!(ts.len() % 188, 0, "output is not whole packets");
    let mut cc: HashMap<u16, u8> = HashMap::new();
    let mut sections = 0;
    let mut pmt_pids = std::collections::HashSet::new();
    for (i, p) in ts.chunks_exact(188).enumerate() {
        assert_eq!(p[0], 0x47, "sync byte of packet {i}");
        let pid = u16::from_be_bytes([p[1] & 0x1F, p[2]]);
        let afc = (p[3] >> 4) & 3;
        assert_ne!(afc, 0, "reserved adaptation_field_control in packet {i}");
        let count = p[3] & 0x0F;
        let has_payload = afc & 1 == 1;
        if let Some(&last) = cc.get(&pid) {
            let expected = if has_payload { (last + 1) & 0x0F } else { last };
            assert_eq!(
                count, expected,
                "continuity counter of packet {i} on pid {pid:#x}"
            );
        }
        cc.insert(pid, count);
        let mut body = 4;
        if afc & 2 == 2 {
            let len = usize::from(p[4]);
            if has_payload {
                assert!(len <= 182, "adaptation field too long in packet {i}");
            } else {
                assert_eq!(len, 183, "adaptation-only packet {i} must fill the packet");
            }
            body = 5 + len;
        }
        if pid == 0 || pmt_pids.contains(&pid) {
            assert_ne!(p[1] & 0x40, 0, "psi packet {i} must start a section");
            assert_eq!(p[body], 0, "pointer_field of packet {i}");
            let s = &p[body + 1..];
            let len = usize::from(u16::from_be_bytes([s[1] & 0x0F, s[2]]));
            let section = &s[..3 + len];
            assert_eq!(
                mpeg2ts_reader::mpegts_crc::sum32(&section[..section.len() - 4]),
                u32::from_be_bytes(section[section.len() - 4..].try_into().unwrap()),
                "crc of the section in packet {i}"
            );
            assert!(
                s[3 + len..].iter().all(|&b| b == 0xFF),
                "section padding in packet {i}"
            );
            if pid == 0 {
                assert_eq!(len, 13, "one program in the pat");
                pmt_pids.insert(u16::from_be_bytes([s[10] & 0x1F, s[11]]));
            }
            sections += 1;
        }
    }
    sections
}

/// Demultiplexes `ts` in one push.
pub fn demux(ts: &[u8]) -> Report {
    install_logger();
    WARNINGS.with(|w| w.borrow_mut().clear());
    let psi_sections = raw_checks(ts);
    let mut ctx = Ctx {
        changeset: FilterChangeset::default(),
        report: Report::default(),
        packet_index: 0,
    };
    let mut demux = demultiplex::Demultiplex::new(&mut ctx);
    for packet in ts.chunks(188) {
        demux.push(&mut ctx, packet);
        ctx.packet_index += 1;
    }
    let mut report = ctx.report;
    report.psi_sections = psi_sections;
    report.warnings = WARNINGS.with(|w| w.borrow_mut().drain(..).collect());
    // The oracle warns about packets on a PES PID before the first PES
    // start; our PCR-only packets are such packets, and legal.
    report
        .warnings
        .retain(|w| !w.contains("without a payload_start_indicator"));
    report
}
