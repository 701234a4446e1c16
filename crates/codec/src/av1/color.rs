//! color_config() (AV1 §5.5.2, semantics §6.4.2).

use crate::bits::BitReader;
use crate::Error;

/// CP_BT_709, TC_SRGB and MC_IDENTITY (§6.4.2): the sRGB special case.
const CP_BT_709: u8 = 1;
const TC_SRGB: u8 = 13;
const MC_IDENTITY: u8 = 0;
/// CP_UNSPECIFIED, TC_UNSPECIFIED and MC_UNSPECIFIED.
const UNSPECIFIED: u8 = 2;
/// CSP_UNKNOWN.
const CSP_UNKNOWN: u8 = 0;

/// The colour configuration of a sequence header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColorConfig {
    /// BitDepth: 8, 10 or 12.
    pub bit_depth: u8,
    /// mono_chrome.
    pub mono_chrome: bool,
    /// color_primaries (2 when not coded).
    pub color_primaries: u8,
    /// transfer_characteristics (2 when not coded).
    pub transfer_characteristics: u8,
    /// matrix_coefficients (2 when not coded).
    pub matrix_coefficients: u8,
    /// color_range: true for full range.
    pub color_range: bool,
    /// subsampling_x.
    pub subsampling_x: bool,
    /// subsampling_y.
    pub subsampling_y: bool,
    /// chroma_sample_position (0 unknown, 1 vertical, 2 colocated).
    pub chroma_sample_position: u8,
    /// separate_uv_delta_q.
    pub separate_uv_delta_q: bool,
}

/// Reads color_config() for a seq_profile of 0..=2: a transcription of the syntax table.
pub(super) fn read(r: &mut BitReader<'_>, seq_profile: u8) -> Result<ColorConfig, Error> {
    let high_bitdepth = r.read_flag("high_bitdepth")?;
    let bit_depth = if seq_profile == 2 && high_bitdepth {
        if r.read_flag("twelve_bit")? {
            12
        } else {
            10
        }
    } else if high_bitdepth {
        10
    } else {
        8
    };
    let mono_chrome = seq_profile != 1 && r.read_flag("mono_chrome")?;
    let (color_primaries, transfer_characteristics, matrix_coefficients) =
        if r.read_flag("color_description_present_flag")? {
            (
                r.read_u8(8, "color_primaries")?,
                r.read_u8(8, "transfer_characteristics")?,
                r.read_u8(8, "matrix_coefficients")?,
            )
        } else {
            (UNSPECIFIED, UNSPECIFIED, UNSPECIFIED)
        };
    let mut c = ColorConfig {
        bit_depth,
        mono_chrome,
        color_primaries,
        transfer_characteristics,
        matrix_coefficients,
        color_range: false,
        subsampling_x: true,
        subsampling_y: true,
        chroma_sample_position: CSP_UNKNOWN,
        separate_uv_delta_q: false,
    };
    if mono_chrome {
        c.color_range = r.read_flag("color_range")?;
        return Ok(c);
    }
    if color_primaries == CP_BT_709
        && transfer_characteristics == TC_SRGB
        && matrix_coefficients == MC_IDENTITY
    {
        c.color_range = true;
        c.subsampling_x = false;
        c.subsampling_y = false;
    } else {
        c.color_range = r.read_flag("color_range")?;
        (c.subsampling_x, c.subsampling_y) = match seq_profile {
            0 => (true, true),
            1 => (false, false),
            _ if bit_depth == 12 => {
                let x = r.read_flag("subsampling_x")?;
                (x, x && r.read_flag("subsampling_y")?)
            }
            _ => (true, false),
        };
        if c.subsampling_x && c.subsampling_y {
            c.chroma_sample_position = r.read_u8(2, "chroma_sample_position")?;
        }
    }
    c.separate_uv_delta_q = r.read_flag("separate_uv_delta_q")?;
    Ok(c)
}
