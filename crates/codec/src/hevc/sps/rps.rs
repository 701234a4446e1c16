//! st_ref_pic_set() (H.265 §7.3.7, semantics and derivation §7.4.8), walked to reach the VUI.
//!
//! With inter RPS prediction the number of coded flags depends on NumDeltaPocs of the reference
//! set, which depends on its delta POC values (equations 7-61 and 7-62), so the sets are
//! derived, not just skipped. Entries whose derived delta POC is 0 are dropped, as (7-61) and
//! (7-62) say (a picture cannot reference itself, so a conforming stream has none; other
//! readers may count them, which only matters for broken streams).

use crate::bits::BitReader;
use crate::Error;

/// Largest number of pictures a set may list: MaxDpbSize (16) is the bound of
/// sps_max_dec_pic_buffering_minus1 + 1.
const MAX_PICS: usize = 16;

/// A derived short-term reference picture set: DeltaPocS0 (negative) and DeltaPocS1 (positive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct StRps {
    s0: Vec<i32>,
    s1: Vec<i32>,
}

impl StRps {
    fn num_delta_pocs(&self) -> usize {
        self.s0.len() + self.s1.len()
    }
}

/// Reads st_ref_pic_set(idx) of an SPS; `previous` holds sets 0..idx.
///
/// The spec bounds each count by sps_max_dec_pic_buffering_minus1; like FFmpeg, this only
/// checks the total against MaxDpbSize (16), so streams FFmpeg decodes are not refused.
pub(super) fn read(r: &mut BitReader<'_>, idx: usize, previous: &[StRps]) -> Result<StRps, Error> {
    let inter = idx != 0 && r.read_flag("inter_ref_pic_set_prediction_flag")?;
    if !inter {
        return read_explicit(r);
    }
    // In an SPS stRpsIdx < num_short_term_ref_pic_sets, so delta_idx_minus1 is absent and the
    // reference is the previous set.
    let reference = previous.last().cloned().unwrap_or_default();
    let sign = r.read_flag("delta_rps_sign")?;
    let abs = r.read_ue_max("abs_delta_rps_minus1", (1 << 15) - 1)? as i32 + 1;
    let delta_rps = if sign { -abs } else { abs };
    let n = reference.num_delta_pocs();
    // use_delta_flag for j in 0..=NumDeltaPocs[RefRpsIdx]; inferred 1 when absent.
    let mut use_delta = Vec::with_capacity(n + 1);
    for _ in 0..=n {
        let used_by_curr = r.read_flag("used_by_curr_pic_flag")?;
        use_delta.push(used_by_curr || r.read_flag("use_delta_flag")?);
    }
    let (neg, pos) = (reference.s0.len(), reference.s1.len());
    let flag = |j: usize| use_delta.get(j).copied().unwrap_or(true);
    let mut set = StRps::default();
    // (7-61)
    for j in (0..pos).rev() {
        let d = reference.s1[j] + delta_rps;
        if d < 0 && flag(neg + j) {
            set.s0.push(d);
        }
    }
    if delta_rps < 0 && flag(n) {
        set.s0.push(delta_rps);
    }
    for j in 0..neg {
        let d = reference.s0[j] + delta_rps;
        if d < 0 && flag(j) {
            set.s0.push(d);
        }
    }
    // (7-62)
    for j in (0..neg).rev() {
        let d = reference.s0[j] + delta_rps;
        if d > 0 && flag(j) {
            set.s1.push(d);
        }
    }
    if delta_rps > 0 && flag(n) {
        set.s1.push(delta_rps);
    }
    for j in 0..pos {
        let d = reference.s1[j] + delta_rps;
        if d > 0 && flag(neg + j) {
            set.s1.push(d);
        }
    }
    check_size(set.num_delta_pocs())?;
    Ok(set)
}

fn read_explicit(r: &mut BitReader<'_>) -> Result<StRps, Error> {
    let max = MAX_PICS as u32;
    let num_negative = r.read_ue_max("num_negative_pics", max)?;
    let num_positive = r.read_ue_max("num_positive_pics", max - num_negative)?;
    let mut set = StRps::default();
    let mut poc = 0i32;
    for _ in 0..num_negative {
        poc -= r.read_ue_max("delta_poc_s0_minus1", (1 << 15) - 1)? as i32 + 1;
        r.read_flag("used_by_curr_pic_s0_flag")?;
        set.s0.push(poc);
    }
    poc = 0;
    for _ in 0..num_positive {
        poc += r.read_ue_max("delta_poc_s1_minus1", (1 << 15) - 1)? as i32 + 1;
        r.read_flag("used_by_curr_pic_s1_flag")?;
        set.s1.push(poc);
    }
    Ok(set)
}

/// Keeps derived sets within MaxDpbSize, which also bounds the flags the next set reads and
/// the POC values (64 sets of at most 2^15 steps stay far inside `i32`).
fn check_size(n: usize) -> Result<(), Error> {
    if n > MAX_PICS {
        return Err(Error::OutOfRange {
            field: "NumDeltaPocs",
            value: n as i64,
            min: 0,
            max: MAX_PICS as i64,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bits::BitWriter;

    fn ue(w: &mut BitWriter<'_>, v: u32) {
        let x = v + 1;
        let len = 32 - x.leading_zeros();
        w.write_bits(0, len - 1);
        w.write_bits(x, len);
    }

    #[test]
    fn inter_prediction_derives_delta_pocs() {
        let mut out = Vec::new();
        let mut w = BitWriter::new(&mut out);
        // Set 0: explicit, negatives -1, -3.
        ue(&mut w, 2);
        ue(&mut w, 0);
        ue(&mut w, 0);
        w.write_flag(true);
        ue(&mut w, 1);
        w.write_flag(true);
        // Set 1: predicted from set 0 with deltaRps = -1: flags for j = 0, 1 and 2 (the delta itself).
        w.write_flag(true); // inter_ref_pic_set_prediction_flag
        w.write_flag(true); // delta_rps_sign
        ue(&mut w, 0); // abs_delta_rps_minus1
        w.write_flag(true);
        w.write_flag(false); // j = 1 not used by curr...
        w.write_flag(false); // ...and not kept
        w.write_flag(true);
        w.write_bits(0, 8);
        let mut r = BitReader::new(&out);
        let s0 = read(&mut r, 0, &[]).unwrap();
        assert_eq!(s0.s0, [-1, -3]);
        let s1 = read(&mut r, 1, &[s0]).unwrap();
        // (7-61): deltaRps -1 first, then -1 + -1 = -2 (j = 0); j = 1 dropped.
        assert_eq!(s1.s0, [-1, -2]);
        assert!(s1.s1.is_empty());
    }
}
