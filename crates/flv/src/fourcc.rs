//! Four-character codes of Enhanced RTMP.

use std::fmt;

/// A FourCC codec identifier (Enhanced RTMP), e.g. `avc1` or `hvc1`.
///
/// `Debug` and `Display` show the ASCII text, with other bytes escaped.
///
/// ```
/// use livechannel_flv::FourCc;
///
/// assert_eq!(format!("{:?}", FourCc::HVC1), "FourCc(\"hvc1\")");
/// assert_eq!(FourCc(*b"av01"), FourCc::AV01);
/// assert_eq!(FourCc([b'a', 0, 1, b'z']).to_string(), "a\\x00\\x01z");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    /// H.264 / AVC.
    pub const AVC1: FourCc = FourCc(*b"avc1");
    /// H.265 / HEVC.
    pub const HVC1: FourCc = FourCc(*b"hvc1");
    /// AV1.
    pub const AV01: FourCc = FourCc(*b"av01");
    /// VP9.
    pub const VP09: FourCc = FourCc(*b"vp09");
    /// H.266 / VVC (Enhanced RTMP v2).
    pub const VVC1: FourCc = FourCc(*b"vvc1");
    /// VP8 (Enhanced RTMP v2).
    pub const VP08: FourCc = FourCc(*b"vp08");
    /// All zero: reported by [`VideoTag::parse`](crate::VideoTag::parse)
    /// for enhanced tags that carry no FourCC on the wire (command frames,
    /// multitrack tags with one codec per track, unknown packet types).
    pub const NONE: FourCc = FourCc([0; 4]);
}

impl fmt::Display for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in &self.0 {
            write!(f, "{}", std::ascii::escape_default(b))?;
        }
        Ok(())
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCc(\"{self}\")")
    }
}
