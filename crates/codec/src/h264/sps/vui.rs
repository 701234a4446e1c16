//! Video usability information (H.264 Annex E, §E.1.1).

use crate::bits::BitReader;
use crate::Error;

/// Table E-1: sample aspect ratios for aspect_ratio_idc 1..=16.
const SAMPLE_ASPECT_RATIOS: [(u16, u16); 16] = [
    (1, 1),
    (12, 11),
    (10, 11),
    (16, 11),
    (40, 33),
    (24, 11),
    (20, 11),
    (32, 11),
    (80, 33),
    (18, 11),
    (15, 11),
    (64, 33),
    (160, 99),
    (4, 3),
    (3, 2),
    (2, 1),
];

/// aspect_ratio_idc value that codes the ratio explicitly.
const EXTENDED_SAR: u8 = 255;

/// The VUI timing info.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimingInfo {
    /// num_units_in_tick.
    pub num_units_in_tick: u32,
    /// time_scale (Hz).
    pub time_scale: u32,
    /// fixed_frame_rate_flag.
    pub fixed_frame_rate: bool,
}

/// The VUI colour description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColourDescription {
    /// colour_primaries (Table E-3).
    pub colour_primaries: u8,
    /// transfer_characteristics (Table E-4).
    pub transfer_characteristics: u8,
    /// matrix_coefficients (Table E-5).
    pub matrix_coefficients: u8,
}

/// The parts of vui_parameters() (§E.1.1) a remuxer may want.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vui {
    /// Sample aspect ratio (width, height), when signalled and not "unspecified".
    pub sample_aspect_ratio: Option<(u16, u16)>,
    /// video_full_range_flag, when the video signal type is present.
    pub video_full_range: Option<bool>,
    /// Colour description, when present.
    pub colour_description: Option<ColourDescription>,
    /// Timing info, when present.
    pub timing_info: Option<TimingInfo>,
    /// pic_struct_present_flag.
    pub pic_struct_present: bool,
    /// max_num_reorder_frames from the bitstream restrictions (how far B-frames reorder).
    pub max_num_reorder_frames: Option<u32>,
    /// max_dec_frame_buffering from the bitstream restrictions.
    pub max_dec_frame_buffering: Option<u32>,
    /// False when the VUI ended before its last field; the fields not reached are `None`.
    pub complete: bool,
}

impl Vui {
    pub(super) fn read(r: &mut BitReader<'_>) -> Result<Vui, Error> {
        let mut vui = Vui::default();
        vui.complete = completed(vui.read_fields(r))?;
        Ok(vui)
    }

    fn read_fields(&mut self, r: &mut BitReader<'_>) -> Result<(), Error> {
        read_head(
            r,
            &mut self.sample_aspect_ratio,
            &mut self.video_full_range,
            &mut self.colour_description,
        )?;
        if r.read_flag("timing_info_present_flag")? {
            self.timing_info = Some(TimingInfo {
                num_units_in_tick: r.read_bits(32, "num_units_in_tick")?,
                time_scale: r.read_bits(32, "time_scale")?,
                fixed_frame_rate: r.read_flag("fixed_frame_rate_flag")?,
            });
        }
        let nal_hrd = r.read_flag("nal_hrd_parameters_present_flag")?;
        if nal_hrd {
            skip_hrd_parameters(r)?;
        }
        let vcl_hrd = r.read_flag("vcl_hrd_parameters_present_flag")?;
        if vcl_hrd {
            skip_hrd_parameters(r)?;
        }
        if nal_hrd || vcl_hrd {
            r.read_flag("low_delay_hrd_flag")?;
        }
        self.pic_struct_present = r.read_flag("pic_struct_present_flag")?;
        if r.read_flag("bitstream_restriction_flag")? {
            r.read_flag("motion_vectors_over_pic_boundaries_flag")?;
            r.read_ue_max("max_bytes_per_pic_denom", 16)?;
            r.read_ue_max("max_bits_per_mb_denom", 16)?;
            // The spec says 0..=15; 16 is accepted as h264-reader and FFmpeg do.
            r.read_ue_max("log2_max_mv_length_horizontal", 16)?;
            r.read_ue_max("log2_max_mv_length_vertical", 16)?;
            let reorder = r.read_ue("max_num_reorder_frames")?;
            let buffering = r.read_ue("max_dec_frame_buffering")?;
            self.max_num_reorder_frames = Some(reorder);
            self.max_dec_frame_buffering = Some(buffering);
        }
        Ok(())
    }

    /// `time_scale / (2 * num_units_in_tick)`, when timing info is present and both are non-zero.
    pub fn frame_rate(&self) -> Option<f64> {
        let t = self.timing_info?;
        if t.num_units_in_tick == 0 || t.time_scale == 0 {
            return None;
        }
        Some(f64::from(t.time_scale) / (2.0 * f64::from(t.num_units_in_tick)))
    }
}

/// Whether a VUI was read to its end: some encoders cut it short (FFmpeg's
/// h264_ps.c tolerates "Truncated VUI" too), and what was read stays valid.
pub(crate) fn completed(read: Result<(), Error>) -> Result<bool, Error> {
    match read {
        Ok(()) => Ok(true),
        Err(Error::BitstreamEnd { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The start of the VUI, the same in H.264 §E.1.1 and H.265 §E.2.1: aspect ratio, overscan,
/// video signal type with colour description, chroma location. Each value is stored as soon as
/// it is read, so a VUI cut short keeps what came before the cut.
pub(crate) fn read_head(
    r: &mut BitReader<'_>,
    sample_aspect_ratio: &mut Option<(u16, u16)>,
    video_full_range: &mut Option<bool>,
    colour_description: &mut Option<ColourDescription>,
) -> Result<(), Error> {
    if r.read_flag("aspect_ratio_info_present_flag")? {
        let idc = r.read_u8(8, "aspect_ratio_idc")?;
        *sample_aspect_ratio = if idc == EXTENDED_SAR {
            let w = r.read_bits(16, "sar_width")? as u16;
            let h = r.read_bits(16, "sar_height")? as u16;
            // §E.2.1: a zero in either term means "unspecified".
            Some((w, h)).filter(|_| w != 0 && h != 0)
        } else {
            usize::from(idc)
                .checked_sub(1)
                .and_then(|i| SAMPLE_ASPECT_RATIOS.get(i))
                .copied()
        };
    }
    if r.read_flag("overscan_info_present_flag")? {
        r.read_flag("overscan_appropriate_flag")?;
    }
    if r.read_flag("video_signal_type_present_flag")? {
        r.read_bits(3, "video_format")?;
        *video_full_range = Some(r.read_flag("video_full_range_flag")?);
        if r.read_flag("colour_description_present_flag")? {
            *colour_description = Some(ColourDescription {
                colour_primaries: r.read_u8(8, "colour_primaries")?,
                transfer_characteristics: r.read_u8(8, "transfer_characteristics")?,
                matrix_coefficients: r.read_u8(8, "matrix_coefficients")?,
            });
        }
    }
    if r.read_flag("chroma_loc_info_present_flag")? {
        r.read_ue_max("chroma_sample_loc_type_top_field", 5)?;
        r.read_ue_max("chroma_sample_loc_type_bottom_field", 5)?;
    }
    Ok(())
}

/// Walks hrd_parameters() (§E.1.2).
fn skip_hrd_parameters(r: &mut BitReader<'_>) -> Result<(), Error> {
    let cpb_cnt = r.read_ue_max("cpb_cnt_minus1", 31)? + 1;
    r.read_bits(4, "bit_rate_scale")?;
    r.read_bits(4, "cpb_size_scale")?;
    for _ in 0..cpb_cnt {
        r.read_ue("bit_rate_value_minus1")?;
        r.read_ue("cpb_size_value_minus1")?;
        r.read_flag("cbr_flag")?;
    }
    r.skip(20, "hrd delay lengths")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_vui_keeps_what_was_read() {
        // aspect ratio present, idc 1 (1:1), then the data ends.
        let data = [0b1000_0000, 0b1000_0000];
        let vui = Vui::read(&mut BitReader::new(&data)).unwrap();
        assert_eq!(vui.sample_aspect_ratio, Some((1, 1)));
        assert!(!vui.complete);
        assert_eq!(vui.timing_info, None);
    }

    #[test]
    fn zero_timing_gives_no_frame_rate() {
        let vui = Vui {
            timing_info: Some(TimingInfo {
                num_units_in_tick: 0,
                time_scale: 50,
                fixed_frame_rate: true,
            }),
            ..Vui::default()
        };
        assert_eq!(vui.frame_rate(), None);
    }
}
