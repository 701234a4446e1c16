//! vui_parameters() of H.265 Annex E (§E.2.1), read up to the timing info.

use crate::bits::BitReader;
use crate::h264::sps::vui::{completed, read_head};
use crate::h264::{ColourDescription, TimingInfo};
use crate::Error;

/// The VUI fields before and including the timing info. What follows it (the HRD parameters and
/// the bitstream restrictions) is not read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vui {
    /// Sample aspect ratio (width, height), when signalled and not "unspecified" (Table E-1).
    pub sample_aspect_ratio: Option<(u16, u16)>,
    /// video_full_range_flag, when the video signal type is present.
    pub video_full_range: Option<bool>,
    /// The colour description, when present.
    pub colour_description: Option<ColourDescription>,
    /// field_seq_flag: pictures are fields.
    pub field_seq: bool,
    /// The default display window offsets (left, right, top, bottom), when present.
    pub default_display_window: Option<[u32; 4]>,
    /// vui_num_units_in_tick and vui_time_scale; `fixed_frame_rate` holds
    /// vui_poc_proportional_to_timing_flag.
    pub timing_info: Option<TimingInfo>,
    /// False when the VUI ended before the timing info was complete (seen from some encoders);
    /// the fields not reached are `None`.
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
        r.read_flag("neutral_chroma_indication_flag")?;
        self.field_seq = r.read_flag("field_seq_flag")?;
        r.read_flag("frame_field_info_present_flag")?;
        if r.read_flag("default_display_window_flag")? {
            self.default_display_window = Some([
                r.read_ue("def_disp_win_left_offset")?,
                r.read_ue("def_disp_win_right_offset")?,
                r.read_ue("def_disp_win_top_offset")?,
                r.read_ue("def_disp_win_bottom_offset")?,
            ]);
        }
        if r.read_flag("vui_timing_info_present_flag")? {
            let num_units_in_tick = r.read_bits(32, "vui_num_units_in_tick")?;
            let time_scale = r.read_bits(32, "vui_time_scale")?;
            let fixed_frame_rate = r.read_flag("vui_poc_proportional_to_timing_flag")?;
            self.timing_info = Some(TimingInfo {
                num_units_in_tick,
                time_scale,
                fixed_frame_rate,
            });
        }
        Ok(())
    }

    /// `vui_time_scale / vui_num_units_in_tick` (one tick per picture in HEVC, unlike H.264's
    /// field-based two), when timing info is present and both are non-zero.
    pub fn frame_rate(&self) -> Option<f64> {
        let t = self.timing_info?;
        if t.num_units_in_tick == 0 || t.time_scale == 0 {
            return None;
        }
        Some(f64::from(t.time_scale) / f64::from(t.num_units_in_tick))
    }
}
