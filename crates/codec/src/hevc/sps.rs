//! HEVC sequence parameter set (H.265 (V10, 07/2024) §7.3.2.2.1, semantics §7.4.3.2.1), read up
//! to and including the VUI timing info.

mod rps;
mod vui;

pub use vui::Vui;

use crate::bits::BitReader;
use crate::h264::remove_emulation_prevention;
use crate::hevc::nal::{nal_unit_type, NAL_SPS};
use crate::hevc::ptl::{self, ProfileTierLevel};
use crate::Error;

/// Cap on pic_width/height_in_luma_samples. Level 6.2 allows at most 35,651,584 luma samples per
/// picture and a side of at most sqrt(8 * MaxLumaPs) = 16888; 65536 is generous and keeps every
/// derived size in `u32`.
const MAX_SIDE: u32 = 65536;

/// The conformance cropping window as coded (in chroma sample units, see [`Sps::width`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConformanceWindow {
    /// conf_win_left_offset.
    pub left: u32,
    /// conf_win_right_offset.
    pub right: u32,
    /// conf_win_top_offset.
    pub top: u32,
    /// conf_win_bottom_offset.
    pub bottom: u32,
}

/// The parts of an HEVC sequence parameter set a remuxer needs: profile, tier and level,
/// picture size after the conformance window, chroma format, bit depths and frame rate.
///
/// ```
/// use livechannel_codec::hevc::Sps;
/// // SPS of a 320x180 Main 10 stream at 30 fps (x265 via FFmpeg 9).
/// let nal = [
///     0x42, 0x01, 0x01, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00,
///     0x00, 0x03, 0x00, 0x3C, 0xA0, 0x0A, 0x08, 0x0B, 0x9F, 0x6D, 0x96, 0x56, 0x69, 0x24,
///     0xCA, 0xF0, 0x16, 0x80, 0x80, 0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x0F, 0x04,
/// ];
/// let sps = Sps::parse(&nal)?;
/// assert_eq!((sps.width, sps.height), (320, 180));
/// assert_eq!((sps.profile_name(), sps.bit_depth_luma), ("Main 10", 10));
/// assert_eq!(sps.frame_rate, Some(30.0));
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sps {
    /// sps_video_parameter_set_id (4 bits).
    pub sps_video_parameter_set_id: u8,
    /// sps_max_sub_layers_minus1 (3 bits).
    pub sps_max_sub_layers_minus1: u8,
    /// sps_temporal_id_nesting_flag.
    pub sps_temporal_id_nesting: bool,
    /// The general profile, tier and level.
    pub profile_tier_level: ProfileTierLevel,
    /// sps_seq_parameter_set_id (0..=15).
    pub sps_seq_parameter_set_id: u32,
    /// chroma_format_idc: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub chroma_format_idc: u32,
    /// separate_colour_plane_flag (4:4:4 only).
    pub separate_colour_plane: bool,
    /// pic_width_in_luma_samples.
    pub pic_width_in_luma_samples: u32,
    /// pic_height_in_luma_samples.
    pub pic_height_in_luma_samples: u32,
    /// The conformance window, when conformance_window_flag is set.
    pub conformance_window: Option<ConformanceWindow>,
    /// Width in luma samples after the conformance window.
    pub width: u32,
    /// Height in luma samples after the conformance window.
    pub height: u32,
    /// BitDepthY: bit_depth_luma_minus8 + 8 (8..=16).
    pub bit_depth_luma: u8,
    /// BitDepthC: bit_depth_chroma_minus8 + 8 (8..=16).
    pub bit_depth_chroma: u8,
    /// log2_max_pic_order_cnt_lsb_minus4 + 4 (4..=16).
    pub log2_max_pic_order_cnt_lsb: u8,
    /// sps_max_dec_pic_buffering_minus1 + 1 of the highest sub-layer.
    pub max_dec_pic_buffering: u32,
    /// sps_max_num_reorder_pics of the highest sub-layer: how far pictures reorder.
    pub max_num_reorder_pics: u32,
    /// num_short_term_ref_pic_sets (0..=64).
    pub num_short_term_ref_pic_sets: u32,
    /// Frames per second from the VUI timing info, `vui_time_scale / vui_num_units_in_tick`;
    /// `None` without timing info or when either value is 0.
    pub frame_rate: Option<f64>,
    /// The VUI, when vui_parameters_present_flag is set.
    pub vui: Option<Vui>,
}

/// The fields of seq_parameter_set_rbsp() before the coding-tool flags.
struct Head {
    vps_id: u8,
    max_sub_layers_minus1: u8,
    temporal_id_nesting: bool,
    ptl: ProfileTierLevel,
    sps_id: u32,
    chroma_format_idc: u32,
    separate_colour_plane: bool,
    pic_width: u32,
    pic_height: u32,
    window: Option<ConformanceWindow>,
    bit_depth_luma: u8,
    bit_depth_chroma: u8,
    log2_max_poc_lsb: u8,
    max_dec_pic_buffering: u32,
    max_num_reorder_pics: u32,
}

impl Sps {
    /// Parses an SPS NAL unit: `nal` starts with the two-byte NAL unit header (type 33) and may
    /// contain emulation prevention bytes.
    ///
    /// Every count and size read is checked against its range in §7.4.3.2.1 (the picture size
    /// against a cap of 65536 per side), so the loops it drives are bounded. Errors:
    /// [`Error::Truncated`] (no header), [`Error::UnexpectedNalUnitType`],
    /// [`Error::BitstreamEnd`], [`Error::ExpGolombOverflow`], [`Error::OutOfRange`],
    /// [`Error::InvalidCropping`]. A VUI that ends before its timing info is accepted with
    /// [`Vui::complete`] false. Nothing after the VUI timing info is read. Only base-layer
    /// SPS (nuh_layer_id 0) are read: the multi-layer syntax of Annex F is refused with
    /// [`Error::OutOfRange`].
    pub fn parse(nal: &[u8]) -> Result<Sps, Error> {
        let Some((&[first, second], payload)) = nal.split_first_chunk::<2>() else {
            return Err(Error::Truncated {
                what: "HEVC SPS NAL unit header",
                offset: 0,
                needed: 2,
                available: nal.len(),
            });
        };
        if nal_unit_type(first) != NAL_SPS {
            return Err(Error::UnexpectedNalUnitType {
                expected: "an HEVC sequence parameter set",
                expected_type: NAL_SPS,
                found: nal_unit_type(first),
            });
        }
        // Layers above 0 (multi-layer extensions, Annex F) use another SPS syntax.
        let nuh_layer_id = ((first & 1) << 5) | (second >> 3);
        if nuh_layer_id != 0 {
            return Err(out_of_range("nuh_layer_id", nuh_layer_id.into(), 0));
        }
        let rbsp = remove_emulation_prevention(payload);
        let mut r = BitReader::new(&rbsp);
        let head = read_head(&mut r)?;
        let (num_short_term_ref_pic_sets, vui) = read_tools(&mut r, &head)?;
        let (width, height) = cropped_size(&head)?;
        Ok(Sps {
            sps_video_parameter_set_id: head.vps_id,
            sps_max_sub_layers_minus1: head.max_sub_layers_minus1,
            sps_temporal_id_nesting: head.temporal_id_nesting,
            profile_tier_level: head.ptl,
            sps_seq_parameter_set_id: head.sps_id,
            chroma_format_idc: head.chroma_format_idc,
            separate_colour_plane: head.separate_colour_plane,
            pic_width_in_luma_samples: head.pic_width,
            pic_height_in_luma_samples: head.pic_height,
            conformance_window: head.window,
            width,
            height,
            bit_depth_luma: head.bit_depth_luma,
            bit_depth_chroma: head.bit_depth_chroma,
            log2_max_pic_order_cnt_lsb: head.log2_max_poc_lsb,
            max_dec_pic_buffering: head.max_dec_pic_buffering,
            max_num_reorder_pics: head.max_num_reorder_pics,
            num_short_term_ref_pic_sets,
            frame_rate: vui.as_ref().and_then(Vui::frame_rate),
            vui,
        })
    }

    /// The profile's name as in H.265 Annex A and as FFmpeg prints it: "Main", "Main 10",
    /// "Main Still Picture", "Rext", ...; "Unknown" for other values.
    pub fn profile_name(&self) -> &'static str {
        self.profile_tier_level.profile_name()
    }
}

/// seq_parameter_set_rbsp() from its start to sps_max_latency_increase_plus1: a transcription
/// of the syntax table.
fn read_head(r: &mut BitReader<'_>) -> Result<Head, Error> {
    let vps_id = r.read_u8(4, "sps_video_parameter_set_id")?;
    let max_sub_layers_minus1 = r.read_u8(3, "sps_max_sub_layers_minus1")?;
    if max_sub_layers_minus1 > 6 {
        return Err(out_of_range(
            "sps_max_sub_layers_minus1",
            max_sub_layers_minus1.into(),
            6,
        ));
    }
    let temporal_id_nesting = r.read_flag("sps_temporal_id_nesting_flag")?;
    let ptl = ptl::read(r, max_sub_layers_minus1)?;
    let sps_id = r.read_ue_max("sps_seq_parameter_set_id", 15)?;
    let chroma_format_idc = r.read_ue_max("chroma_format_idc", 3)?;
    let separate_colour_plane =
        chroma_format_idc == 3 && r.read_flag("separate_colour_plane_flag")?;
    let pic_width = r.read_ue_max("pic_width_in_luma_samples", MAX_SIDE)?;
    let pic_height = r.read_ue_max("pic_height_in_luma_samples", MAX_SIDE)?;
    if pic_width == 0 || pic_height == 0 {
        let (field, value) = if pic_width == 0 {
            ("pic_width_in_luma_samples", pic_width)
        } else {
            ("pic_height_in_luma_samples", pic_height)
        };
        return Err(Error::OutOfRange {
            field,
            value: value.into(),
            min: 1,
            max: MAX_SIDE.into(),
        });
    }
    let window = if r.read_flag("conformance_window_flag")? {
        Some(ConformanceWindow {
            left: r.read_ue("conf_win_left_offset")?,
            right: r.read_ue("conf_win_right_offset")?,
            top: r.read_ue("conf_win_top_offset")?,
            bottom: r.read_ue("conf_win_bottom_offset")?,
        })
    } else {
        None
    };
    let bit_depth_luma = 8 + r.read_ue_max("bit_depth_luma_minus8", 8)? as u8;
    let bit_depth_chroma = 8 + r.read_ue_max("bit_depth_chroma_minus8", 8)? as u8;
    let log2_max_poc_lsb = 4 + r.read_ue_max("log2_max_pic_order_cnt_lsb_minus4", 12)? as u8;
    let ordering_info_present = r.read_flag("sps_sub_layer_ordering_info_present_flag")?;
    let first = if ordering_info_present {
        0
    } else {
        max_sub_layers_minus1
    };
    let (mut max_dec_pic_buffering, mut max_num_reorder_pics) = (1, 0);
    for _ in first..=max_sub_layers_minus1 {
        max_dec_pic_buffering = r.read_ue_max("sps_max_dec_pic_buffering_minus1", 15)? + 1;
        max_num_reorder_pics = r.read_ue_max("sps_max_num_reorder_pics", 15)?;
        r.read_ue("sps_max_latency_increase_plus1")?;
    }
    Ok(Head {
        vps_id,
        max_sub_layers_minus1,
        temporal_id_nesting,
        ptl,
        sps_id,
        chroma_format_idc,
        separate_colour_plane,
        pic_width,
        pic_height,
        window,
        bit_depth_luma,
        bit_depth_chroma,
        log2_max_poc_lsb,
        max_dec_pic_buffering,
        max_num_reorder_pics,
    })
}

/// seq_parameter_set_rbsp() from log2_min_luma_coding_block_size_minus3 to the VUI: a
/// transcription of the syntax table, walking the scaling lists, PCM parameters, short-term
/// and long-term reference picture sets. Returns num_short_term_ref_pic_sets and the VUI.
fn read_tools(r: &mut BitReader<'_>, head: &Head) -> Result<(u32, Option<Vui>), Error> {
    let log2_min_cb = r.read_ue_max("log2_min_luma_coding_block_size_minus3", 3)? + 3;
    r.read_ue_max("log2_diff_max_min_luma_coding_block_size", 6 - log2_min_cb)?;
    r.read_ue_max("log2_min_luma_transform_block_size_minus2", 3)?;
    r.read_ue_max("log2_diff_max_min_luma_transform_block_size", 3)?;
    r.read_ue_max("max_transform_hierarchy_depth_inter", 4)?;
    r.read_ue_max("max_transform_hierarchy_depth_intra", 4)?;
    if r.read_flag("scaling_list_enabled_flag")?
        && r.read_flag("sps_scaling_list_data_present_flag")?
    {
        skip_scaling_list_data(r)?;
    }
    r.read_flag("amp_enabled_flag")?;
    r.read_flag("sample_adaptive_offset_enabled_flag")?;
    if r.read_flag("pcm_enabled_flag")? {
        r.read_bits(4, "pcm_sample_bit_depth_luma_minus1")?;
        r.read_bits(4, "pcm_sample_bit_depth_chroma_minus1")?;
        r.read_ue_max("log2_min_pcm_luma_coding_block_size_minus3", 2)?;
        r.read_ue_max("log2_diff_max_min_pcm_luma_coding_block_size", 2)?;
        r.read_flag("pcm_loop_filter_disabled_flag")?;
    }
    let num_sets = r.read_ue_max("num_short_term_ref_pic_sets", 64)?;
    let mut sets = Vec::new();
    for idx in 0..num_sets as usize {
        let set = rps::read(r, idx, &sets)?;
        sets.push(set);
    }
    if r.read_flag("long_term_ref_pics_present_flag")? {
        let num_long_term = r.read_ue_max("num_long_term_ref_pics_sps", 32)?;
        for _ in 0..num_long_term {
            r.read_bits(u32::from(head.log2_max_poc_lsb), "lt_ref_pic_poc_lsb_sps")?;
            r.read_flag("used_by_curr_pic_lt_sps_flag")?;
        }
    }
    r.read_flag("sps_temporal_mvp_enabled_flag")?;
    r.read_flag("strong_intra_smoothing_enabled_flag")?;
    let vui = if r.read_flag("vui_parameters_present_flag")? {
        Some(Vui::read(r)?)
    } else {
        None
    };
    Ok((num_sets, vui))
}

/// Walks scaling_list_data() (§7.3.4) without keeping it.
fn skip_scaling_list_data(r: &mut BitReader<'_>) -> Result<(), Error> {
    for size_id in 0..4u32 {
        let step = if size_id == 3 { 3 } else { 1 };
        for matrix_id in (0..6u32).step_by(step) {
            if !r.read_flag("scaling_list_pred_mode_flag")? {
                let max = matrix_id / if size_id == 3 { 3 } else { 1 };
                r.read_ue_max("scaling_list_pred_matrix_id_delta", max)?;
                continue;
            }
            let coef_num = 64.min(1u32 << (4 + (size_id << 1)));
            if size_id > 1 {
                r.read_se_range("scaling_list_dc_coef_minus8", -7, 247)?;
            }
            for _ in 0..coef_num {
                r.read_se_range("scaling_list_delta_coef", -128, 127)?;
            }
        }
    }
    Ok(())
}

/// The picture size after the conformance window (§7.4.3.2.1, Table 6-1 for SubWidthC and
/// SubHeightC).
fn cropped_size(head: &Head) -> Result<(u32, u32), Error> {
    let Some(w) = head.window else {
        return Ok((head.pic_width, head.pic_height));
    };
    let chroma_array_type = if head.separate_colour_plane {
        0
    } else {
        head.chroma_format_idc
    };
    let (sub_width_c, sub_height_c): (u64, u64) = match chroma_array_type {
        1 => (2, 2),
        2 => (2, 1),
        _ => (1, 1),
    };
    // Offsets are < 2^32 and factors ≤ 2, so the sums fit in u64.
    let crop_width = sub_width_c * (u64::from(w.left) + u64::from(w.right));
    let crop_height = sub_height_c * (u64::from(w.top) + u64::from(w.bottom));
    if crop_width >= u64::from(head.pic_width) || crop_height >= u64::from(head.pic_height) {
        return Err(Error::InvalidCropping {
            coded_width: head.pic_width,
            coded_height: head.pic_height,
            crop_width,
            crop_height,
        });
    }
    Ok((
        head.pic_width - crop_width as u32,
        head.pic_height - crop_height as u32,
    ))
}

fn out_of_range(field: &'static str, value: i64, max: i64) -> Error {
    Error::OutOfRange {
        field,
        value,
        min: 0,
        max,
    }
}
