//! Sequence parameter set parsing (H.264 §7.3.2.1.1, semantics §7.4.2.1.1).

mod profile;
pub(crate) mod vui;

pub use vui::{ColourDescription, TimingInfo, Vui};

use crate::bits::BitReader;
use crate::h264::nal::{nal_unit_type, remove_emulation_prevention};
use crate::Error;

/// Caps on `pic_width_in_mbs_minus1` and the frame height in macroblocks. The spec has no
/// explicit bound, but level 6.2 allows at most 139264 macroblocks per frame, so 65536 per side
/// is generous and keeps pixel sizes within `u32`.
const MAX_MBS_PER_SIDE: u32 = 65536;

/// Frame cropping offsets as coded (in crop units, §7.4.2.1.1; see [`Sps::width`] for pixels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameCropping {
    /// frame_crop_left_offset.
    pub left: u32,
    /// frame_crop_right_offset.
    pub right: u32,
    /// frame_crop_top_offset.
    pub top: u32,
    /// frame_crop_bottom_offset.
    pub bottom: u32,
}

/// The parts of a sequence parameter set that a remuxer needs: profile, level, picture size and
/// frame rate.
///
/// ```
/// use livechannel_codec::h264::Sps;
/// // SPS of a 320x240 Constrained Baseline stream at 25 fps (from an FFmpeg/x264 encode).
/// let nal = [
///     0x67, 0x42, 0xC0, 0x0D, 0xD9, 0x01, 0x41, 0xFB, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00,
///     0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xF1, 0x42, 0xA4, 0x80,
/// ];
/// let sps = Sps::parse(&nal)?;
/// assert_eq!((sps.width, sps.height), (320, 240));
/// assert_eq!(sps.profile_name(), "Constrained Baseline");
/// assert_eq!(sps.frame_rate, Some(25.0));
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sps {
    /// profile_idc.
    pub profile_idc: u8,
    /// constraint_set0_flag (bit 7) to constraint_set5_flag (bit 2) and the two reserved bits.
    pub constraint_flags: u8,
    /// level_idc (e.g. 31 for level 3.1).
    pub level_idc: u8,
    /// seq_parameter_set_id (0..=31).
    pub seq_parameter_set_id: u32,
    /// chroma_format_idc: 0 monochrome, 1 4:2:0 (the default when not coded), 2 4:2:2, 3 4:4:4.
    pub chroma_format_idc: u32,
    /// separate_colour_plane_flag (4:4:4 only).
    pub separate_colour_plane: bool,
    /// Luma bit depth (8 when not coded).
    pub bit_depth_luma: u8,
    /// Chroma bit depth (8 when not coded).
    pub bit_depth_chroma: u8,
    /// Whether seq_scaling_matrix_present_flag was set (the lists themselves are skipped).
    pub scaling_matrix_present: bool,
    /// log2_max_frame_num_minus4 + 4 (4..=16).
    pub log2_max_frame_num: u8,
    /// pic_order_cnt_type (0..=2).
    pub pic_order_cnt_type: u8,
    /// max_num_ref_frames (0..=16).
    pub max_num_ref_frames: u32,
    /// pic_width_in_mbs_minus1 + 1.
    pub pic_width_in_mbs: u32,
    /// pic_height_in_map_units_minus1 + 1 (map units are field macroblock pairs when
    /// `frame_mbs_only` is false).
    pub pic_height_in_map_units: u32,
    /// frame_mbs_only_flag: false means the stream may contain field pictures or MBAFF frames.
    pub frame_mbs_only: bool,
    /// The cropping rectangle, when frame_cropping_flag is set.
    pub frame_cropping: Option<FrameCropping>,
    /// Width in luma samples after cropping.
    pub width: u32,
    /// Height in luma samples after cropping (frame height, also for interlaced streams).
    pub height: u32,
    /// Frames per second from the VUI timing info, `time_scale / (2 * num_units_in_tick)`;
    /// `None` without timing info or when either value is 0.
    pub frame_rate: Option<f64>,
    /// The video usability information, when present.
    pub vui: Option<Vui>,
}

impl Sps {
    /// Parses a sequence parameter set NAL unit: `nal` starts with the NAL header byte (type 7)
    /// and may contain emulation prevention bytes.
    ///
    /// Every value is checked against its range in §7.4.2.1.1 (and the picture size against a
    /// cap of 65536 macroblocks per side), so the loops this drives are bounded. Errors:
    /// [`Error::NotSps`], [`Error::BitstreamEnd`], [`Error::ExpGolombOverflow`],
    /// [`Error::OutOfRange`], [`Error::InvalidCropping`]. A VUI that ends early (seen from some
    /// encoders) is accepted, with [`Vui::complete`] false and the unread parts `None`.
    /// rbsp_trailing_bits and anything after them are ignored.
    pub fn parse(nal: &[u8]) -> Result<Sps, Error> {
        let (&header, payload) = nal.split_first().ok_or(Error::Truncated {
            what: "SPS NAL unit header",
            offset: 0,
            needed: 1,
            available: 0,
        })?;
        if nal_unit_type(header) != 7 {
            return Err(Error::NotSps {
                nal_unit_type: nal_unit_type(header),
            });
        }
        let rbsp = remove_emulation_prevention(payload);
        let mut r = BitReader::new(&rbsp);
        Self::read(&mut r)
    }

    fn read(r: &mut BitReader<'_>) -> Result<Sps, Error> {
        let profile_idc = r.read_u8(8, "profile_idc")?;
        let constraint_flags = r.read_u8(8, "constraint_set_flags")?;
        let level_idc = r.read_u8(8, "level_idc")?;
        let seq_parameter_set_id = r.read_ue_max("seq_parameter_set_id", 31)?;

        let mut chroma_format_idc = 1;
        let mut separate_colour_plane = false;
        let mut bit_depth_luma = 8;
        let mut bit_depth_chroma = 8;
        let mut scaling_matrix_present = false;
        if matches!(
            profile_idc,
            100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
        ) {
            chroma_format_idc = r.read_ue_max("chroma_format_idc", 3)?;
            if chroma_format_idc == 3 {
                separate_colour_plane = r.read_flag("separate_colour_plane_flag")?;
            }
            bit_depth_luma = 8 + r.read_ue_max("bit_depth_luma_minus8", 6)? as u8;
            bit_depth_chroma = 8 + r.read_ue_max("bit_depth_chroma_minus8", 6)? as u8;
            r.read_flag("qpprime_y_zero_transform_bypass_flag")?;
            scaling_matrix_present = r.read_flag("seq_scaling_matrix_present_flag")?;
            if scaling_matrix_present {
                let lists = if chroma_format_idc == 3 { 12 } else { 8 };
                for i in 0..lists {
                    if r.read_flag("seq_scaling_list_present_flag")? {
                        skip_scaling_list(r, if i < 6 { 16 } else { 64 })?;
                    }
                }
            }
        }

        let log2_max_frame_num = 4 + r.read_ue_max("log2_max_frame_num_minus4", 12)? as u8;
        let pic_order_cnt_type = r.read_ue_max("pic_order_cnt_type", 2)? as u8;
        match pic_order_cnt_type {
            0 => {
                r.read_ue_max("log2_max_pic_order_cnt_lsb_minus4", 12)?;
            }
            1 => {
                r.read_flag("delta_pic_order_always_zero_flag")?;
                r.read_se("offset_for_non_ref_pic")?;
                r.read_se("offset_for_top_to_bottom_field")?;
                let cycle = r.read_ue_max("num_ref_frames_in_pic_order_cnt_cycle", 255)?;
                for _ in 0..cycle {
                    r.read_se("offset_for_ref_frame")?;
                }
            }
            _ => {}
        }
        let max_num_ref_frames = r.read_ue_max("max_num_ref_frames", 16)?;
        r.read_flag("gaps_in_frame_num_value_allowed_flag")?;
        let pic_width_in_mbs = r.read_ue_max("pic_width_in_mbs_minus1", MAX_MBS_PER_SIDE - 1)? + 1;
        let pic_height_in_map_units =
            r.read_ue_max("pic_height_in_map_units_minus1", MAX_MBS_PER_SIDE - 1)? + 1;
        let frame_mbs_only = r.read_flag("frame_mbs_only_flag")?;
        if !frame_mbs_only {
            r.read_flag("mb_adaptive_frame_field_flag")?;
        }
        let frame_height_in_mbs = if frame_mbs_only { 1 } else { 2 } * pic_height_in_map_units;
        if frame_height_in_mbs > MAX_MBS_PER_SIDE {
            return Err(Error::OutOfRange {
                field: "FrameHeightInMbs",
                value: i64::from(frame_height_in_mbs),
                min: 1,
                max: i64::from(MAX_MBS_PER_SIDE),
            });
        }
        r.read_flag("direct_8x8_inference_flag")?;
        let frame_cropping = if r.read_flag("frame_cropping_flag")? {
            Some(FrameCropping {
                left: r.read_ue("frame_crop_left_offset")?,
                right: r.read_ue("frame_crop_right_offset")?,
                top: r.read_ue("frame_crop_top_offset")?,
                bottom: r.read_ue("frame_crop_bottom_offset")?,
            })
        } else {
            None
        };
        let vui = if r.read_flag("vui_parameters_present_flag")? {
            Some(Vui::read(r)?)
        } else {
            None
        };

        // Table 6-1 and §7.4.2.1.1: crop units depend on chroma subsampling and field coding.
        let chroma_array_type = if separate_colour_plane {
            0
        } else {
            chroma_format_idc
        };
        let (sub_width_c, sub_height_c) = match chroma_array_type {
            1 => (2u64, 2u64),
            2 => (2, 1),
            _ => (1, 1),
        };
        let field_factor: u64 = if frame_mbs_only { 1 } else { 2 };
        let (crop_unit_x, crop_unit_y) = if chroma_array_type == 0 {
            (1, field_factor)
        } else {
            (sub_width_c, sub_height_c * field_factor)
        };
        // ≤ 65536 * 16, far inside u32.
        let coded_width = pic_width_in_mbs * 16;
        let coded_height = frame_height_in_mbs * 16;
        let (width, height) = match frame_cropping {
            None => (coded_width, coded_height),
            Some(c) => {
                // Inputs are < 2^32 and units ≤ 4, so these cannot overflow u64.
                let crop_width = crop_unit_x * (u64::from(c.left) + u64::from(c.right));
                let crop_height = crop_unit_y * (u64::from(c.top) + u64::from(c.bottom));
                if crop_width >= u64::from(coded_width) || crop_height >= u64::from(coded_height) {
                    return Err(Error::InvalidCropping {
                        coded_width,
                        coded_height,
                        crop_width,
                        crop_height,
                    });
                }
                (
                    coded_width - crop_width as u32,
                    coded_height - crop_height as u32,
                )
            }
        };
        let frame_rate = vui.as_ref().and_then(Vui::frame_rate);
        Ok(Sps {
            profile_idc,
            constraint_flags,
            level_idc,
            seq_parameter_set_id,
            chroma_format_idc,
            separate_colour_plane,
            bit_depth_luma,
            bit_depth_chroma,
            scaling_matrix_present,
            log2_max_frame_num,
            pic_order_cnt_type,
            max_num_ref_frames,
            pic_width_in_mbs,
            pic_height_in_map_units,
            frame_mbs_only,
            frame_cropping,
            width,
            height,
            frame_rate,
            vui,
        })
    }

    /// The profile's name as in H.264 Annex A (and as FFmpeg prints it): "Baseline",
    /// "Constrained Baseline", "Main", "Extended", "High", "High 10", "High 4:2:2", ...;
    /// "Unknown" for profile_idc values the spec does not define.
    pub fn profile_name(&self) -> &'static str {
        profile::name(self.profile_idc, self.constraint_flags)
    }

    /// The RFC 6381 codec string for HLS `CODECS` attributes, e.g. `avc1.64001F`.
    pub fn codec_string(&self) -> String {
        format!(
            "avc1.{:02X}{:02X}{:02X}",
            self.profile_idc, self.constraint_flags, self.level_idc
        )
    }
}

/// Walks a scaling_list() (§7.3.2.1.1.1) without keeping it: only its length matters here.
fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Result<(), Error> {
    let mut last_scale: i32 = 8;
    let mut next_scale: i32 = 8;
    for _ in 0..size {
        if next_scale != 0 {
            let delta = r.read_se_range("delta_scale", -128, 127)?;
            next_scale = (last_scale + delta + 256) % 256;
        }
        // nextScale == 0 ends the explicit list (the rest repeats lastScale): no more bits.
        if next_scale == 0 {
            break;
        }
        last_scale = next_scale;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_other_nal_types_and_empty_input() {
        assert_eq!(
            Sps::parse(&[0x68, 0]),
            Err(Error::NotSps { nal_unit_type: 8 })
        );
        assert!(matches!(Sps::parse(&[]), Err(Error::Truncated { .. })));
    }

    #[test]
    fn scaling_list_stops_at_zero() {
        // delta_scale = -8 → nextScale 0: the list ends after one code (se(-8) = ue 16 = 000010001).
        let data = [0b0000_1000, 0b1000_0000];
        let mut r = BitReader::new(&data);
        skip_scaling_list(&mut r, 16).unwrap();
        assert_eq!(r.position(), 9);
    }
}
