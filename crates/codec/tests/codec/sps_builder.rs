//! Builds SPS NAL units bit by bit, so the parser can be checked against h264-reader on SPS
//! that no fixture has (cropping, 4:2:2 with scaling matrices, field coding, HRD, ...).

use proptest::prelude::*;

/// MSB-first bit writer with exp-Golomb codes.
#[derive(Default)]
pub struct Bits {
    bytes: Vec<u8>,
    len: usize,
}

impl Bits {
    pub fn u(&mut self, n: u32, v: u64) {
        for i in (0..n).rev() {
            if self.len % 8 == 0 {
                self.bytes.push(0);
            }
            if (v >> i) & 1 == 1 {
                *self.bytes.last_mut().unwrap() |= 0x80 >> (self.len % 8);
            }
            self.len += 1;
        }
    }
    pub fn flag(&mut self, b: bool) {
        self.u(1, b as u64);
    }
    pub fn ue(&mut self, v: u32) {
        let v = u64::from(v) + 1;
        let bits = 64 - v.leading_zeros();
        self.u(bits - 1, 0);
        self.u(bits, v);
    }
    pub fn se(&mut self, v: i32) {
        let k = if v > 0 {
            2 * i64::from(v) - 1
        } else {
            -2 * i64::from(v)
        };
        self.ue(k as u32);
    }
    /// rbsp_trailing_bits: a one, then zeros to the byte boundary.
    pub fn finish(mut self) -> Vec<u8> {
        self.flag(true);
        while self.len % 8 != 0 {
            self.flag(false);
        }
        self.bytes
    }
}

/// NAL header + RBSP with emulation prevention bytes inserted.
pub fn to_nal(header: u8, rbsp: &[u8]) -> Vec<u8> {
    let mut out = vec![header];
    let mut zeros = 0;
    for &b in rbsp {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(b);
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
    out
}

#[derive(Debug, Clone)]
pub struct Chroma {
    pub chroma_format_idc: u32,
    pub separate_colour_plane: bool,
    pub bit_depth_luma_minus8: u32,
    pub bit_depth_chroma_minus8: u32,
    pub qpprime: bool,
    /// One entry per list (8, or 12 for 4:4:4): `None` = not present, else the delta_scale values.
    pub scaling: Option<Vec<Option<Vec<i32>>>>,
}

#[derive(Debug, Clone)]
pub enum Poc {
    Zero(u32),
    One {
        always_zero: bool,
        non_ref: i32,
        top_bottom: i32,
        cycle: Vec<i32>,
    },
    Two,
}

#[derive(Debug, Clone)]
pub struct Hrd {
    pub bit_rate_scale: u8,
    pub cpb_size_scale: u8,
    pub cpbs: Vec<(u32, u32, bool)>,
    pub delays: [u8; 4],
}

#[derive(Debug, Clone)]
pub struct Restriction {
    pub mv_over_boundaries: bool,
    pub bytes_denom: u32,
    pub bits_denom: u32,
    pub mv_h: u32,
    pub mv_v: u32,
    pub reorder: u32,
    pub dec_buffering: u32,
}

/// video_format, video_full_range_flag and the optional colour description.
pub type SignalType = (u8, bool, Option<(u8, u8, u8)>);

#[derive(Debug, Clone, Default)]
pub struct VuiSpec {
    pub aspect: Option<(u8, u16, u16)>,
    pub overscan: Option<bool>,
    pub signal: Option<SignalType>,
    pub chroma_loc: Option<(u32, u32)>,
    pub timing: Option<(u32, u32, bool)>,
    pub nal_hrd: Option<Hrd>,
    pub vcl_hrd: Option<Hrd>,
    pub low_delay: bool,
    pub pic_struct: bool,
    pub restriction: Option<Restriction>,
}

#[derive(Debug, Clone)]
pub struct SpsSpec {
    pub profile_idc: u8,
    pub constraint_flags: u8,
    pub level_idc: u8,
    pub sps_id: u32,
    pub chroma: Option<Chroma>,
    pub log2_max_frame_num_minus4: u32,
    pub poc: Poc,
    pub max_num_ref_frames: u32,
    pub gaps: bool,
    pub width_mbs_minus1: u32,
    pub height_map_units_minus1: u32,
    pub frame_mbs_only: bool,
    pub mbaff: bool,
    pub direct_8x8: bool,
    pub crop: Option<[u32; 4]>,
    pub vui: Option<VuiSpec>,
}

pub fn has_chroma_info(profile_idc: u8) -> bool {
    matches!(profile_idc, 100 | 110 | 122 | 244 | 44 | 83 | 86)
}

impl SpsSpec {
    /// A progressive 4:2:0 Main profile SPS of the given size in macroblocks.
    pub fn simple(width_mbs: u32, height_mbs: u32) -> Self {
        SpsSpec {
            profile_idc: 77,
            constraint_flags: 0x40,
            level_idc: 31,
            sps_id: 0,
            chroma: None,
            log2_max_frame_num_minus4: 0,
            poc: Poc::Zero(2),
            max_num_ref_frames: 1,
            gaps: false,
            width_mbs_minus1: width_mbs - 1,
            height_map_units_minus1: height_mbs - 1,
            frame_mbs_only: true,
            mbaff: false,
            direct_8x8: true,
            crop: None,
            vui: None,
        }
    }

    pub fn chroma_array_type(&self) -> u32 {
        match &self.chroma {
            None => 1,
            Some(c) if c.separate_colour_plane => 0,
            Some(c) => c.chroma_format_idc,
        }
    }

    /// Crop units (x, y) of §7.4.2.1.1.
    pub fn crop_units(&self) -> (u32, u32) {
        let field = if self.frame_mbs_only { 1 } else { 2 };
        match self.chroma_array_type() {
            0 | 3 => (1, field),
            1 => (2, 2 * field),
            _ => (2, field),
        }
    }

    pub fn coded_size(&self) -> (u32, u32) {
        let field = if self.frame_mbs_only { 1 } else { 2 };
        (
            (self.width_mbs_minus1 + 1) * 16,
            field * (self.height_map_units_minus1 + 1) * 16,
        )
    }

    pub fn rbsp(&self) -> Vec<u8> {
        let mut b = Bits::default();
        b.u(8, self.profile_idc.into());
        b.u(8, self.constraint_flags.into());
        b.u(8, self.level_idc.into());
        b.ue(self.sps_id);
        if let Some(c) = &self.chroma {
            b.ue(c.chroma_format_idc);
            if c.chroma_format_idc == 3 {
                b.flag(c.separate_colour_plane);
            }
            b.ue(c.bit_depth_luma_minus8);
            b.ue(c.bit_depth_chroma_minus8);
            b.flag(c.qpprime);
            b.flag(c.scaling.is_some());
            if let Some(lists) = &c.scaling {
                for (i, list) in lists.iter().enumerate() {
                    b.flag(list.is_some());
                    if let Some(deltas) = list {
                        write_scaling_list(&mut b, deltas, if i < 6 { 16 } else { 64 });
                    }
                }
            }
        }
        b.ue(self.log2_max_frame_num_minus4);
        match &self.poc {
            Poc::Zero(lsb) => {
                b.ue(0);
                b.ue(*lsb);
            }
            Poc::One {
                always_zero,
                non_ref,
                top_bottom,
                cycle,
            } => {
                b.ue(1);
                b.flag(*always_zero);
                b.se(*non_ref);
                b.se(*top_bottom);
                b.ue(cycle.len() as u32);
                for &o in cycle {
                    b.se(o);
                }
            }
            Poc::Two => b.ue(2),
        }
        b.ue(self.max_num_ref_frames);
        b.flag(self.gaps);
        b.ue(self.width_mbs_minus1);
        b.ue(self.height_map_units_minus1);
        b.flag(self.frame_mbs_only);
        if !self.frame_mbs_only {
            b.flag(self.mbaff);
        }
        b.flag(self.direct_8x8);
        b.flag(self.crop.is_some());
        if let Some(c) = self.crop {
            for v in c {
                b.ue(v);
            }
        }
        b.flag(self.vui.is_some());
        if let Some(v) = &self.vui {
            write_vui(&mut b, v);
        }
        b.finish()
    }

    pub fn build(&self) -> Vec<u8> {
        to_nal(0x67, &self.rbsp())
    }
}

/// Writes deltas until the list is full or a delta makes nextScale 0 (which ends the list).
fn write_scaling_list(b: &mut Bits, deltas: &[i32], size: usize) {
    let mut last = 8;
    for &d in deltas.iter().take(size) {
        b.se(d);
        let next = (last + d + 256) % 256;
        if next == 0 {
            return;
        }
        last = next;
    }
    // Fill the rest with deltas of 0 so the list is complete.
    for _ in deltas.len().min(size)..size {
        b.se(0);
    }
}

fn write_hrd(b: &mut Bits, h: &Hrd) {
    b.ue(h.cpbs.len() as u32 - 1);
    b.u(4, h.bit_rate_scale.into());
    b.u(4, h.cpb_size_scale.into());
    for &(rate, size, cbr) in &h.cpbs {
        b.ue(rate);
        b.ue(size);
        b.flag(cbr);
    }
    for d in h.delays {
        b.u(5, d.into());
    }
}

fn write_vui(b: &mut Bits, v: &VuiSpec) {
    b.flag(v.aspect.is_some());
    if let Some((idc, w, h)) = v.aspect {
        b.u(8, idc.into());
        if idc == 255 {
            b.u(16, w.into());
            b.u(16, h.into());
        }
    }
    b.flag(v.overscan.is_some());
    if let Some(o) = v.overscan {
        b.flag(o);
    }
    b.flag(v.signal.is_some());
    if let Some((fmt, full, colour)) = v.signal {
        b.u(3, fmt.into());
        b.flag(full);
        b.flag(colour.is_some());
        if let Some((p, t, m)) = colour {
            b.u(8, p.into());
            b.u(8, t.into());
            b.u(8, m.into());
        }
    }
    b.flag(v.chroma_loc.is_some());
    if let Some((t, bo)) = v.chroma_loc {
        b.ue(t);
        b.ue(bo);
    }
    b.flag(v.timing.is_some());
    if let Some((n, s, f)) = v.timing {
        b.u(32, n.into());
        b.u(32, s.into());
        b.flag(f);
    }
    b.flag(v.nal_hrd.is_some());
    if let Some(h) = &v.nal_hrd {
        write_hrd(b, h);
    }
    b.flag(v.vcl_hrd.is_some());
    if let Some(h) = &v.vcl_hrd {
        write_hrd(b, h);
    }
    if v.nal_hrd.is_some() || v.vcl_hrd.is_some() {
        b.flag(v.low_delay);
    }
    b.flag(v.pic_struct);
    b.flag(v.restriction.is_some());
    if let Some(r) = &v.restriction {
        b.flag(r.mv_over_boundaries);
        b.ue(r.bytes_denom);
        b.ue(r.bits_denom);
        b.ue(r.mv_h);
        b.ue(r.mv_v);
        b.ue(r.reorder);
        b.ue(r.dec_buffering);
    }
}

fn arb_hrd() -> impl Strategy<Value = Hrd> {
    (
        0u8..16,
        0u8..16,
        prop::collection::vec(
            (
                any::<u32>().prop_map(|v| v >> 1),
                0u32..100_000,
                any::<bool>(),
            ),
            1..=32,
        ),
        any::<[u8; 4]>().prop_map(|d| d.map(|x| x % 32)),
    )
        .prop_map(|(bit_rate_scale, cpb_size_scale, cpbs, delays)| Hrd {
            bit_rate_scale,
            cpb_size_scale,
            cpbs,
            delays,
        })
}

fn arb_vui(max_num_ref_frames: u32) -> impl Strategy<Value = VuiSpec> {
    let aspect = prop::option::of(prop_oneof![
        (0u8..=16).prop_map(|i| (i, 0, 0)),
        (any::<u16>(), any::<u16>()).prop_map(|(w, h)| (255, w, h)),
    ]);
    let signal = prop::option::of((
        0u8..8,
        any::<bool>(),
        prop::option::of(any::<(u8, u8, u8)>()),
    ));
    let timing = prop::option::of((1u32.., 1u32.., any::<bool>()));
    let restriction = prop::option::of((
        any::<bool>(),
        0u32..=16,
        0u32..=16,
        0u32..=16,
        0u32..=16,
        0u32..=16,
        0u32..=16,
    ))
    .prop_map(move |r| {
        r.map(|(mv, bytes, bits, h, v, reorder, dec)| {
            // h264-reader checks these two relations of §E.2.1.
            let dec_buffering = dec.max(max_num_ref_frames);
            Restriction {
                mv_over_boundaries: mv,
                bytes_denom: bytes,
                bits_denom: bits,
                mv_h: h,
                mv_v: v,
                reorder: reorder.min(dec_buffering),
                dec_buffering,
            }
        })
    });
    (
        aspect,
        prop::option::of(any::<bool>()),
        signal,
        prop::option::of((0u32..=5, 0u32..=5)),
        timing,
        prop::option::of(arb_hrd()),
        prop::option::of(arb_hrd()),
        any::<bool>(),
        any::<bool>(),
        restriction,
    )
        .prop_map(
            |(
                aspect,
                overscan,
                signal,
                chroma_loc,
                timing,
                nal_hrd,
                vcl_hrd,
                low_delay,
                pic_struct,
                restriction,
            )| VuiSpec {
                aspect,
                overscan,
                signal,
                chroma_loc,
                timing,
                nal_hrd,
                vcl_hrd,
                low_delay,
                pic_struct,
                restriction,
            },
        )
}

fn arb_chroma() -> impl Strategy<Value = Chroma> {
    (
        0u32..=3,
        any::<bool>(),
        0u32..=6,
        0u32..=6,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(|(cf, sep, bl, bc, q, scaling)| {
            let lists = if cf == 3 { 12 } else { 8 };
            let list = prop::option::of(prop::collection::vec(-128i32..=127, 0..70));
            let scaling = if scaling {
                prop::collection::vec(list, lists).prop_map(Some).boxed()
            } else {
                Just(None).boxed()
            };
            scaling.prop_map(move |scaling| Chroma {
                chroma_format_idc: cf,
                separate_colour_plane: cf == 3 && sep,
                bit_depth_luma_minus8: bl,
                bit_depth_chroma_minus8: bc,
                qpprime: q,
                scaling,
            })
        })
}

fn arb_poc() -> impl Strategy<Value = Poc> {
    prop_oneof![
        (0u32..=12).prop_map(Poc::Zero),
        (
            any::<bool>(),
            any::<i32>().prop_map(|v| v.max(-i32::MAX)),
            any::<i32>().prop_map(|v| v.max(-i32::MAX)),
            prop::collection::vec(any::<i32>().prop_map(|v| v.max(-i32::MAX)), 0..=255)
        )
            .prop_map(|(always_zero, non_ref, top_bottom, cycle)| Poc::One {
                always_zero,
                non_ref,
                top_bottom,
                cycle
            }),
        Just(Poc::Two),
    ]
}

/// Valid SPS by construction (every value in its range, cropping smaller than the picture).
pub fn arb_sps() -> impl Strategy<Value = SpsSpec> {
    let profile = prop::sample::select(vec![66u8, 77, 88, 100, 110, 122, 244, 44]);
    let size = prop_oneof![
        4 => (0u32..200, 0u32..200),
        1 => (0u32..65536, 0u32..32768),
    ];
    (
        (profile, any::<u8>(), any::<u8>(), 0u32..=31, arb_chroma()),
        (0u32..=12, arb_poc(), 0u32..=16, any::<bool>()),
        (size, any::<bool>(), any::<bool>(), any::<bool>()),
        (prop::option::of(any::<[u32; 4]>()), any::<bool>()),
    )
        .prop_flat_map(
            |(
                (profile_idc, constraint_flags, level_idc, sps_id, chroma),
                (log2_fn, poc, refs, gaps),
                ((w, h), fmo, mbaff, d8),
                (crop, has_vui),
            )| {
                let mut spec = SpsSpec {
                    profile_idc,
                    constraint_flags,
                    level_idc,
                    sps_id,
                    chroma: has_chroma_info(profile_idc).then_some(chroma),
                    log2_max_frame_num_minus4: log2_fn,
                    poc,
                    max_num_ref_frames: refs,
                    gaps,
                    width_mbs_minus1: w,
                    height_map_units_minus1: h,
                    frame_mbs_only: fmo,
                    mbaff: !fmo && mbaff,
                    direct_8x8: d8 || !fmo,
                    crop: None,
                    vui: None,
                };
                // Crop strictly less than the coded picture in each direction.
                let (cw, ch) = spec.coded_size();
                let (ux, uy) = spec.crop_units();
                spec.crop = crop.map(|[a, b, c, d]| {
                    let max_x = (cw - 1) / ux;
                    let max_y = (ch - 1) / uy;
                    let left = a % (max_x + 1);
                    let right = b % (max_x - left + 1);
                    let top = c % (max_y + 1);
                    let bottom = d % (max_y - top + 1);
                    [left, right, top, bottom]
                });
                let vui = if has_vui {
                    arb_vui(refs).prop_map(Some).boxed()
                } else {
                    Just(None).boxed()
                };
                vui.prop_map(move |vui| SpsSpec {
                    vui,
                    ..spec.clone()
                })
            },
        )
}
