//! Profile names of H.264 Annex A.

/// Names a profile from profile_idc and the constraint flags byte (constraint_set0_flag is bit 7).
pub(super) fn name(profile_idc: u8, constraint_flags: u8) -> &'static str {
    let set = |n: u8| constraint_flags & (0x80 >> n) != 0;
    match profile_idc {
        // A.2.1.1: constraint_set1_flag marks a stream that is also Main-conformant.
        66 if set(1) => "Constrained Baseline",
        66 => "Baseline",
        77 => "Main",
        88 => "Extended",
        100 if set(4) && set(5) => "Constrained High",
        100 if set(4) => "Progressive High",
        100 => "High",
        110 if set(3) => "High 10 Intra",
        110 if set(4) => "Progressive High 10",
        110 => "High 10",
        122 if set(3) => "High 4:2:2 Intra",
        122 => "High 4:2:2",
        244 if set(3) => "High 4:4:4 Intra",
        244 => "High 4:4:4 Predictive",
        44 => "CAVLC 4:4:4 Intra",
        83 if set(5) => "Scalable Constrained Baseline",
        83 => "Scalable Baseline",
        86 if set(3) => "Scalable High Intra",
        86 if set(5) => "Scalable Constrained High",
        86 => "Scalable High",
        118 => "Multiview High",
        128 => "Stereo High",
        134 => "MFC High",
        135 => "MFC Depth High",
        138 => "Multiview Depth High",
        139 => "Enhanced Multiview Depth High",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::name;

    #[test]
    fn names() {
        assert_eq!(name(66, 0x00), "Baseline");
        assert_eq!(name(66, 0xC0), "Constrained Baseline");
        assert_eq!(name(77, 0x40), "Main");
        assert_eq!(name(100, 0x00), "High");
        assert_eq!(name(100, 0x0C), "Constrained High");
        assert_eq!(name(100, 0x08), "Progressive High");
        assert_eq!(name(110, 0x10), "High 10 Intra");
        assert_eq!(name(122, 0), "High 4:2:2");
        assert_eq!(name(244, 0), "High 4:4:4 Predictive");
        assert_eq!(name(1, 0), "Unknown");
    }
}
