//! The SPS and PPS a converter repeats before IDR slices, keyed by their ids.

use bytes::Bytes;

use super::AnnexB;
use crate::bits::BitReader;
use crate::h264::nal::remove_emulation_prevention;

/// Ids are read from the first bytes only; 16 bytes hold any SPS or PPS id with room to spare.
const ID_PREFIX: usize = 16;

/// Current parameter sets in id order. Replacing by id bounds the lists by the id spaces
/// (32 SPS, 256 PPS) whatever a stream sends.
#[derive(Debug, Clone, Default)]
pub(super) struct ParameterSets {
    sps: Vec<(Option<u32>, Bytes)>,
    pps: Vec<(Option<u32>, Bytes)>,
}

impl ParameterSets {
    pub(super) fn replace(&mut self, sps: &[Bytes], pps: &[Bytes]) {
        self.sps.clear();
        self.pps.clear();
        for s in sps {
            self.update_sps(s);
        }
        for p in pps {
            self.update_pps(p);
        }
    }

    pub(super) fn update_sps(&mut self, nal: &Bytes) {
        // seq_parameter_set_id follows profile_idc, the constraint flags and level_idc.
        upsert(&mut self.sps, nal, id(nal, 24, 31));
    }

    pub(super) fn update_pps(&mut self, nal: &Bytes) {
        upsert(&mut self.pps, nal, id(nal, 0, 255));
    }

    /// Writes the SPS; returns whether there was any.
    pub(super) fn write_sps(&self, out: &mut AnnexB) -> bool {
        write(&self.sps, out)
    }

    /// Writes the PPS; returns whether there was any.
    pub(super) fn write_pps(&self, out: &mut AnnexB) -> bool {
        write(&self.pps, out)
    }
}

/// Reads the ue(v) id at `skip_bits` into the RBSP after the NAL header; `None` when it cannot be
/// read or exceeds `max`.
fn id(nal: &[u8], skip_bits: usize, max: u32) -> Option<u32> {
    let prefix = nal.get(1..nal.len().min(ID_PREFIX))?;
    let rbsp = remove_emulation_prevention(prefix);
    let mut r = BitReader::new(&rbsp);
    r.skip(skip_bits, "parameter set prefix").ok()?;
    r.read_ue("parameter set id").ok().filter(|&v| v <= max)
}

fn upsert(list: &mut Vec<(Option<u32>, Bytes)>, nal: &Bytes, id: Option<u32>) {
    if nal.is_empty() {
        return;
    }
    if id.is_none() {
        // Without a readable id the set cannot be matched to others: keep just this one.
        list.clear();
    } else {
        list.retain(|(existing, _)| existing.is_some() && *existing != id);
    }
    let at = list.partition_point(|(existing, _)| *existing < id);
    list.insert(at, (id, nal.clone()));
}

fn write(list: &[(Option<u32>, Bytes)], out: &mut AnnexB) -> bool {
    for (_, nal) in list {
        out.push_nal(nal.clone());
    }
    !list.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_by_id_and_keeps_order() {
        let mut sets = ParameterSets::default();
        // PPS ids: 0x80 → ue "1" = 0, 0x40 → "010" = 1, 0x60 → "011" = 2.
        let p0 = Bytes::from_static(&[0x68, 0x80]);
        let p1 = Bytes::from_static(&[0x68, 0x40]);
        let p2 = Bytes::from_static(&[0x68, 0x60]);
        let p1b = Bytes::from_static(&[0x68, 0x41]);
        sets.replace(&[], &[p2.clone(), p0.clone()]);
        sets.update_pps(&p1);
        sets.update_pps(&p1b);
        let mut out = AnnexB::new();
        assert!(sets.write_pps(&mut out));
        let nals: Vec<&Bytes> = out.chunks().iter().skip(1).step_by(2).collect();
        assert_eq!(nals, [&p0, &p1b, &p2]);
        assert!(!sets.write_sps(&mut out));
    }

    #[test]
    fn unreadable_id_replaces_all() {
        let mut sets = ParameterSets::default();
        sets.replace(&[Bytes::from_static(&[0x67, 1, 2, 3, 0x80])], &[]);
        let broken = Bytes::from_static(&[0x67, 1]);
        sets.update_sps(&broken);
        let mut out = AnnexB::new();
        sets.write_sps(&mut out);
        assert_eq!(out.chunks().len(), 2);
        assert_eq!(out.chunks()[1], broken);
    }
}
