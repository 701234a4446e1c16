//! The sampling frequency table of ISO/IEC 14496-3 §1.6.3.4 (Table 1.18).

const FREQUENCIES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// The frequency in Hz for a samplingFrequencyIndex; `None` for 13 and 14 (reserved) and for 15
/// (explicit frequency) and above.
///
/// ```
/// assert_eq!(livechannel_codec::aac::sampling_frequency(4), Some(44100));
/// ```
pub fn sampling_frequency(index: u8) -> Option<u32> {
    FREQUENCIES.get(usize::from(index)).copied()
}

/// The samplingFrequencyIndex for a frequency that has one in the table.
///
/// ```
/// assert_eq!(livechannel_codec::aac::sampling_frequency_index(48000), Some(3));
/// assert_eq!(livechannel_codec::aac::sampling_frequency_index(44000), None);
/// ```
pub fn sampling_frequency_index(frequency: u32) -> Option<u8> {
    FREQUENCIES
        .iter()
        .position(|&f| f == frequency)
        .map(|i| i as u8)
}
