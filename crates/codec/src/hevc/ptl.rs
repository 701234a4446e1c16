//! profile_tier_level() (H.265 §7.3.3), read with profilePresentFlag = 1 as in an SPS; its
//! general part is repeated in the hvcC record.

use crate::bits::BitReader;
use crate::Error;

/// The general part of profile_tier_level(): what the hvcC record repeats, so
/// [`Sps::profile_tier_level`](crate::hevc::Sps::profile_tier_level) and
/// [`HevcDecoderConfigurationRecord::profile_tier_level`](crate::hevc::HevcDecoderConfigurationRecord::profile_tier_level)
/// compare equal in a consistent stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileTierLevel {
    /// general_profile_space (2 bits).
    pub general_profile_space: u8,
    /// general_tier_flag.
    pub general_tier_flag: bool,
    /// general_profile_idc (5 bits).
    pub general_profile_idc: u8,
    /// general_profile_compatibility_flag[0..32], flag 0 in the most significant bit.
    pub general_profile_compatibility_flags: u32,
    /// The 48 bits from general_progressive_source_flag to general_inbld_flag/reserved bit, as
    /// in the hvcC record's general_constraint_indicator_flags.
    pub general_constraint_indicator_flags: u64,
    /// general_level_idc (30 times the level).
    pub general_level_idc: u8,
}

impl ProfileTierLevel {
    /// general_progressive_source_flag.
    pub fn progressive_source(&self) -> bool {
        self.general_constraint_indicator_flags & (1 << 47) != 0
    }

    /// general_interlaced_source_flag.
    pub fn interlaced_source(&self) -> bool {
        self.general_constraint_indicator_flags & (1 << 46) != 0
    }

    /// The profile's name as in H.265 Annex A and as FFmpeg prints it: "Main", "Main 10",
    /// "Main Still Picture", "Rext", ...; "Unknown" for other values.
    pub fn profile_name(&self) -> &'static str {
        profile_name(self)
    }
}

/// Reads profile_tier_level(1, max_sub_layers_minus1); the sub-layer parts are read and dropped.
pub(crate) fn read(
    r: &mut BitReader<'_>,
    max_sub_layers_minus1: u8,
) -> Result<ProfileTierLevel, Error> {
    let general_profile_space = r.read_u8(2, "general_profile_space")?;
    let general_tier_flag = r.read_flag("general_tier_flag")?;
    let general_profile_idc = r.read_u8(5, "general_profile_idc")?;
    let general_profile_compatibility_flags =
        r.read_bits(32, "general_profile_compatibility_flag")?;
    let hi = r.read_bits(16, "general_constraint_flags")?;
    let lo = r.read_bits(32, "general_constraint_flags")?;
    let general_level_idc = r.read_u8(8, "general_level_idc")?;

    // At most 7 sub-layers (sps_max_sub_layers_minus1 is 3 bits).
    let mut profile_present = [false; 8];
    let mut level_present = [false; 8];
    let n = usize::from(max_sub_layers_minus1.min(7));
    for i in 0..n {
        profile_present[i] = r.read_flag("sub_layer_profile_present_flag")?;
        level_present[i] = r.read_flag("sub_layer_level_present_flag")?;
    }
    if n > 0 {
        for _ in n..8 {
            r.read_bits(2, "reserved_zero_2bits")?;
        }
    }
    for i in 0..n {
        if profile_present[i] {
            // sub_layer_profile_space .. sub_layer_inbld_flag: 2+1+5+32+4+43+1 bits.
            r.skip(88, "sub_layer profile")?;
        }
        if level_present[i] {
            r.read_bits(8, "sub_layer_level_idc")?;
        }
    }
    Ok(ProfileTierLevel {
        general_profile_space,
        general_tier_flag,
        general_profile_idc,
        general_profile_compatibility_flags,
        general_constraint_indicator_flags: (u64::from(hi) << 32) | u64::from(lo),
        general_level_idc,
    })
}

/// Profile names of H.265 Annex A, from general_profile_idc or, when that is 0, the first
/// compatibility flag set (as FFmpeg does).
fn profile_name(ptl: &ProfileTierLevel) -> &'static str {
    let idc = if ptl.general_profile_idc == 0 {
        // The index of the highest-order set flag, 32 when none.
        ptl.general_profile_compatibility_flags.leading_zeros() as u8
    } else {
        ptl.general_profile_idc
    };
    match idc {
        1 => "Main",
        2 => "Main 10",
        3 => "Main Still Picture",
        4 => "Rext",
        5 => "High Throughput 4:4:4",
        6 => "Multiview Main",
        7 => "Scalable Main",
        8 => "3D Main",
        9 => "Screen Content Coding Extensions",
        10 => "Scalable Rext",
        11 => "High Throughput Screen Content Coding Extensions",
        _ => "Unknown",
    }
}
