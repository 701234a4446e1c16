//! The one rounding rule shared by the writer, the VOD target duration and
//! the live window, so they can never disagree.

/// Longest `#EXTINF` duration the parser accepts, in seconds (about 31
/// years). It keeps millisecond values exact in an `f64`.
pub const MAX_DURATION: f64 = 1e9;

/// A segment duration in whole milliseconds, as `#EXTINF` writes it: rounded
/// to nearest, halves up. Negative and NaN durations count as 0; values too
/// large for `u64` saturate.
///
/// ```
/// assert_eq!(livechannel_m3u8::duration_millis(2.0015), 2002);
/// assert_eq!(livechannel_m3u8::duration_millis(-1.0), 0);
/// ```
pub fn duration_millis(duration: f64) -> u64 {
    // `as` saturates and maps NaN to 0, which is exactly what we want here.
    (duration * 1000.0).round() as u64
}

/// The whole number of seconds a segment counts for against
/// `#EXT-X-TARGETDURATION`: the written millisecond value rounded to the
/// nearest second, halves up (RFC 8216 §4.3.3.1 compares the EXTINF
/// "rounded to the nearest integer"). `#EXTINF` is written with three
/// decimals and a comma (`#EXTINF:2.002,`), and this value of every segment
/// must be at most the target duration.
///
/// ```
/// use livechannel_m3u8::rounded_duration;
/// assert_eq!(rounded_duration(13.32), 13);
/// assert_eq!(rounded_duration(2.4996), 3); // written as 2.500
/// assert_eq!(rounded_duration(2.4994), 2); // written as 2.499
/// ```
pub fn rounded_duration(duration: f64) -> u64 {
    duration_millis(duration).saturating_add(500) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_up_on_the_written_value() {
        assert_eq!(rounded_duration(0.0), 0);
        assert_eq!(rounded_duration(0.4994), 0);
        assert_eq!(rounded_duration(0.4996), 1, "written as 0.500");
        assert_eq!(rounded_duration(0.5), 1);
        assert_eq!(rounded_duration(6.0), 6);
        assert_eq!(rounded_duration(f64::NAN), 0);
        assert_eq!(rounded_duration(f64::INFINITY), u64::MAX / 1000);
        assert_eq!(duration_millis(4.1334), 4133);
        assert_eq!(duration_millis(MAX_DURATION), 1_000_000_000_000);
    }
}
