//! sequence_header_obu() (AV1 §5.5.1, semantics §6.4.1).

use bytes::Bytes;

use crate::av1::color::{self, ColorConfig};
use crate::av1::obu::{ObuType, Obus};
use crate::bits::BitReader;
use crate::Error;

/// timing_info() (§5.5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimingInfo {
    /// num_units_in_display_tick.
    pub num_units_in_display_tick: u32,
    /// time_scale (Hz).
    pub time_scale: u32,
    /// num_ticks_per_picture_minus_1 + 1, when equal_picture_interval is set.
    pub num_ticks_per_picture: Option<u64>,
}

/// One operating point of the sequence header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperatingPoint {
    /// operating_point_idc (12 bits): the spatial and temporal layers it decodes.
    pub idc: u16,
    /// seq_level_idx (5 bits): 0 is level 2.0, 1 is 2.1, ..., 31 is "no level".
    pub seq_level_idx: u8,
    /// seq_tier (0 Main, 1 High; only coded above level 3.3).
    pub seq_tier: u8,
}

/// The fields of an AV1 sequence header a remuxer needs.
///
/// ```
/// use livechannel_codec::av1::SequenceHeader;
/// // The sequence header OBU payload of a 640x360 8-bit stream from SVT-AV1 (via FFmpeg 9).
/// let payload = [0x02, 0x00, 0x00, 0x0D, 0x66, 0x27, 0xFB, 0x38, 0x05, 0xF0, 0x00, 0x80];
/// let seq = SequenceHeader::parse(&payload)?;
/// assert_eq!((seq.max_frame_width, seq.max_frame_height), (640, 360));
/// assert_eq!((seq.seq_profile, seq.color_config.bit_depth), (0, 8));
/// assert_eq!(seq.codec_string(), "av01.0.01M.08");
/// # Ok::<(), livechannel_codec::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceHeader {
    /// seq_profile: 0 Main, 1 High, 2 Professional.
    pub seq_profile: u8,
    /// still_picture.
    pub still_picture: bool,
    /// reduced_still_picture_header.
    pub reduced_still_picture_header: bool,
    /// The timing info, when timing_info_present_flag is set.
    pub timing_info: Option<TimingInfo>,
    /// decoder_model_info_present_flag.
    pub decoder_model_info_present: bool,
    /// The operating points (1 to 32); the first is the one av1C's seq_level_idx_0 describes.
    pub operating_points: Vec<OperatingPoint>,
    /// max_frame_width_minus_1 + 1: the largest frame width of the sequence.
    pub max_frame_width: u32,
    /// max_frame_height_minus_1 + 1.
    pub max_frame_height: u32,
    /// frame_id_numbers_present_flag.
    pub frame_id_numbers_present: bool,
    /// use_128x128_superblock.
    pub use_128x128_superblock: bool,
    /// enable_order_hint.
    pub enable_order_hint: bool,
    /// OrderHintBits (0 when order hints are off).
    pub order_hint_bits: u8,
    /// The colour configuration (bit depth, chroma subsampling).
    pub color_config: ColorConfig,
    /// film_grain_params_present.
    pub film_grain_params_present: bool,
    /// Frames per second from the timing info: `time_scale / (num_units_in_display_tick *
    /// num_ticks_per_picture)` with equal_picture_interval, else `time_scale /
    /// num_units_in_display_tick` (the display tick as the nominal rate). `None` without
    /// timing info or when a term is 0.
    pub frame_rate: Option<f64>,
}

impl SequenceHeader {
    /// Parses the payload of a sequence header OBU (after the OBU header and size).
    ///
    /// Errors: [`Error::BitstreamEnd`] when the payload ends inside the header,
    /// [`Error::OutOfRange`] for a seq_profile above 2 (reserved: no bit depth is defined).
    /// Trailing bits and anything after film_grain_params_present are not read.
    pub fn parse(payload: &[u8]) -> Result<SequenceHeader, Error> {
        let mut r = BitReader::new(payload);
        read(&mut r)
    }

    /// Finds the first sequence header OBU in low-overhead format data (e.g. the av1C
    /// configOBUs, or a temporal unit) and parses it. Errors: OBU framing errors,
    /// [`Error::NoSequenceHeader`], and those of [`parse`](Self::parse).
    pub fn find(obus: &Bytes) -> Result<SequenceHeader, Error> {
        for obu in Obus::new(obus) {
            let obu = obu?;
            if obu.header.obu_type == ObuType::SequenceHeader {
                return Self::parse(&obu.payload);
            }
        }
        Err(Error::NoSequenceHeader)
    }

    /// The short codec string of the AV1 ISOBMFF binding (§5) for HLS `CODECS`:
    /// `av01.P.LLT.DD`, e.g. `av01.0.04M.10`.
    pub fn codec_string(&self) -> String {
        let op = self
            .operating_points
            .first()
            .copied()
            .unwrap_or(OperatingPoint {
                idc: 0,
                seq_level_idx: 31,
                seq_tier: 0,
            });
        let tier = if op.seq_tier == 1 { 'H' } else { 'M' };
        format!(
            "av01.{}.{:02}{tier}.{:02}",
            self.seq_profile, op.seq_level_idx, self.color_config.bit_depth
        )
    }
}

/// A transcription of sequence_header_obu() up to film_grain_params_present.
fn read(r: &mut BitReader<'_>) -> Result<SequenceHeader, Error> {
    let seq_profile = r.read_u8(3, "seq_profile")?;
    if seq_profile > 2 {
        return Err(Error::OutOfRange {
            field: "seq_profile",
            value: seq_profile.into(),
            min: 0,
            max: 2,
        });
    }
    let still_picture = r.read_flag("still_picture")?;
    let reduced_still_picture_header = r.read_flag("reduced_still_picture_header")?;
    let mut timing_info = None;
    let mut decoder_model_info_present = false;
    let mut operating_points = Vec::new();
    if reduced_still_picture_header {
        operating_points.push(OperatingPoint {
            idc: 0,
            seq_level_idx: r.read_u8(5, "seq_level_idx")?,
            seq_tier: 0,
        });
    } else {
        let mut buffer_delay_length = 0;
        if r.read_flag("timing_info_present_flag")? {
            timing_info = Some(read_timing_info(r)?);
            decoder_model_info_present = r.read_flag("decoder_model_info_present_flag")?;
            if decoder_model_info_present {
                buffer_delay_length = u32::from(r.read_u8(5, "buffer_delay_length_minus_1")?) + 1;
                r.read_bits(32, "num_units_in_decoding_tick")?;
                r.read_bits(5, "buffer_removal_time_length_minus_1")?;
                r.read_bits(5, "frame_presentation_time_length_minus_1")?;
            }
        }
        let initial_display_delay_present = r.read_flag("initial_display_delay_present_flag")?;
        let count = r.read_u8(5, "operating_points_cnt_minus_1")? + 1;
        for _ in 0..count {
            let idc = r.read_bits(12, "operating_point_idc")? as u16;
            let seq_level_idx = r.read_u8(5, "seq_level_idx")?;
            let seq_tier = if seq_level_idx > 7 {
                r.read_u8(1, "seq_tier")?
            } else {
                0
            };
            if decoder_model_info_present && r.read_flag("decoder_model_present_for_this_op")? {
                // operating_parameters_info(): two n-bit delays and low_delay_mode_flag.
                r.read_bits(buffer_delay_length, "decoder_buffer_delay")?;
                r.read_bits(buffer_delay_length, "encoder_buffer_delay")?;
                r.read_flag("low_delay_mode_flag")?;
            }
            if initial_display_delay_present
                && r.read_flag("initial_display_delay_present_for_this_op")?
            {
                r.read_bits(4, "initial_display_delay_minus_1")?;
            }
            operating_points.push(OperatingPoint {
                idc,
                seq_level_idx,
                seq_tier,
            });
        }
    }
    let width_bits = u32::from(r.read_u8(4, "frame_width_bits_minus_1")?) + 1;
    let height_bits = u32::from(r.read_u8(4, "frame_height_bits_minus_1")?) + 1;
    let max_frame_width = r.read_bits(width_bits, "max_frame_width_minus_1")? + 1;
    let max_frame_height = r.read_bits(height_bits, "max_frame_height_minus_1")? + 1;
    let frame_id_numbers_present =
        !reduced_still_picture_header && r.read_flag("frame_id_numbers_present_flag")?;
    if frame_id_numbers_present {
        r.read_bits(4, "delta_frame_id_length_minus_2")?;
        r.read_bits(3, "additional_frame_id_length_minus_1")?;
    }
    let use_128x128_superblock = r.read_flag("use_128x128_superblock")?;
    r.read_flag("enable_filter_intra")?;
    r.read_flag("enable_intra_edge_filter")?;
    let (enable_order_hint, order_hint_bits) = if reduced_still_picture_header {
        (false, 0)
    } else {
        read_inter_tools(r)?
    };
    r.read_flag("enable_superres")?;
    r.read_flag("enable_cdef")?;
    r.read_flag("enable_restoration")?;
    let color_config = color::read(r, seq_profile)?;
    let film_grain_params_present = r.read_flag("film_grain_params_present")?;
    let frame_rate = timing_info.and_then(|t| frame_rate(&t));
    Ok(SequenceHeader {
        seq_profile,
        still_picture,
        reduced_still_picture_header,
        timing_info,
        decoder_model_info_present,
        operating_points,
        max_frame_width,
        max_frame_height,
        frame_id_numbers_present,
        use_128x128_superblock,
        enable_order_hint,
        order_hint_bits,
        color_config,
        film_grain_params_present,
        frame_rate,
    })
}

/// From enable_interintra_compound to order_hint_bits_minus_1; returns enable_order_hint and
/// OrderHintBits.
fn read_inter_tools(r: &mut BitReader<'_>) -> Result<(bool, u8), Error> {
    r.read_flag("enable_interintra_compound")?;
    r.read_flag("enable_masked_compound")?;
    r.read_flag("enable_warped_motion")?;
    r.read_flag("enable_dual_filter")?;
    let enable_order_hint = r.read_flag("enable_order_hint")?;
    if enable_order_hint {
        r.read_flag("enable_jnt_comp")?;
        r.read_flag("enable_ref_frame_mvs")?;
    }
    // seq_choose_screen_content_tools set means SELECT_SCREEN_CONTENT_TOOLS (2), which is > 0.
    let force_screen_content_tools = r.read_flag("seq_choose_screen_content_tools")?
        || r.read_flag("seq_force_screen_content_tools")?;
    if force_screen_content_tools && !r.read_flag("seq_choose_integer_mv")? {
        r.read_flag("seq_force_integer_mv")?;
    }
    let order_hint_bits = if enable_order_hint {
        r.read_u8(3, "order_hint_bits_minus_1")? + 1
    } else {
        0
    };
    Ok((enable_order_hint, order_hint_bits))
}

/// timing_info() (§5.5.3), with uvlc() (§4.10.3) for num_ticks_per_picture_minus_1.
fn read_timing_info(r: &mut BitReader<'_>) -> Result<TimingInfo, Error> {
    let num_units_in_display_tick = r.read_bits(32, "num_units_in_display_tick")?;
    let time_scale = r.read_bits(32, "time_scale")?;
    let num_ticks_per_picture = if r.read_flag("equal_picture_interval")? {
        Some(read_uvlc(r, "num_ticks_per_picture_minus_1")? + 1)
    } else {
        None
    };
    Ok(TimingInfo {
        num_units_in_display_tick,
        time_scale,
        num_ticks_per_picture,
    })
}

/// uvlc() (§4.10.3): at 32 or more leading zeros the value is 2^32 - 1 and no value bits are
/// read, so the work is bounded by the data.
fn read_uvlc(r: &mut BitReader<'_>, field: &'static str) -> Result<u64, Error> {
    let mut leading_zeros = 0u32;
    while !r.read_flag(field)? {
        leading_zeros += 1;
    }
    if leading_zeros >= 32 {
        return Ok(u64::from(u32::MAX));
    }
    let value = r.read_bits(leading_zeros, field)?;
    Ok(u64::from(value) + (1u64 << leading_zeros) - 1)
}

fn frame_rate(t: &TimingInfo) -> Option<f64> {
    let ticks =
        t.num_ticks_per_picture.unwrap_or(1) as f64 * f64::from(t.num_units_in_display_tick);
    if ticks == 0.0 || t.time_scale == 0 {
        return None;
    }
    Some(f64::from(t.time_scale) / ticks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uvlc_values() {
        // 1 -> 0, 010 -> 1, 00111 -> 6.
        let data = [0b1010_0011, 0b1000_0000];
        let mut r = BitReader::new(&data);
        assert_eq!(read_uvlc(&mut r, "x").unwrap(), 0);
        assert_eq!(read_uvlc(&mut r, "x").unwrap(), 1);
        assert_eq!(read_uvlc(&mut r, "x").unwrap(), 6);
        let zeros = [0u8; 5];
        assert!(read_uvlc(&mut BitReader::new(&zeros), "x").is_err());
        let mut long = vec![0u8; 4];
        long.push(0x80);
        assert_eq!(
            read_uvlc(&mut BitReader::new(&long), "x").unwrap(),
            u64::from(u32::MAX)
        );
    }

    #[test]
    fn reserved_profile_is_refused() {
        assert!(matches!(
            SequenceHeader::parse(&[0xE0, 0, 0, 0]),
            Err(Error::OutOfRange {
                field: "seq_profile",
                value: 7,
                ..
            })
        ));
    }
}
