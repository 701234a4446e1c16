//! The one error type of this crate.

/// Everything that can go wrong while parsing or converting H.264, HEVC, AV1 and AAC data.
///
/// Each variant carries the facts needed to find the problem in a capture: byte or bit offsets,
/// the value found and the limit it broke. The enum holds no I/O errors, so it is `Clone` and
/// `PartialEq` and tests can compare errors with `assert_eq!`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A byte-oriented structure ended before a field it announces.
    #[error(
        "{what} is truncated: needs {needed} bytes at offset {offset}, only {available} available"
    )]
    Truncated {
        /// Which structure or field was being read.
        what: &'static str,
        /// Byte offset of the field within the input.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the input from `offset` on.
        available: usize,
    },
    /// A bit-oriented structure (SPS, AudioSpecificConfig) ended inside a field.
    #[error("bitstream ends inside {field}: needs {needed} bits at bit {bit_offset}, only {available} left")]
    BitstreamEnd {
        /// The syntax element being read.
        field: &'static str,
        /// Bit offset of the element from the start of the bitstream (after the NAL header for an SPS).
        bit_offset: usize,
        /// Bits the element needs (for an exp-Golomb code: the bits still missing when the data ran out).
        needed: u32,
        /// Bits left in the input.
        available: usize,
    },
    /// The AVCDecoderConfigurationRecord has a configurationVersion other than 1.
    #[error("unsupported avcC configurationVersion {version}, expected 1")]
    UnsupportedConfigurationVersion {
        /// The version found.
        version: u8,
    },
    /// The NAL unit length size is not 1, 2 or 4 bytes.
    #[error("invalid NAL unit length size {length_size}, expected 1, 2 or 4")]
    InvalidLengthSize {
        /// lengthSizeMinusOne + 1 as found (or as configured).
        length_size: u8,
    },
    /// A length-prefixed NAL unit runs past the end of the access unit.
    #[error("NAL unit at offset {offset} declares {length} bytes but only {remaining} remain")]
    NalLengthOutOfBounds {
        /// Offset of the NAL unit's first byte (after its length prefix) in the access unit.
        offset: usize,
        /// The declared length.
        length: usize,
        /// Bytes left in the access unit from `offset` on.
        remaining: usize,
    },
    /// The access unit ends inside a NAL length prefix.
    #[error("NAL length prefix at offset {offset} needs {length_size} bytes but only {remaining} remain")]
    TruncatedNalLength {
        /// Offset of the length prefix in the access unit.
        offset: usize,
        /// The configured length size.
        length_size: u8,
        /// Bytes left in the access unit from `offset` on.
        remaining: usize,
    },
    /// `Sps::parse` was given something that is not a sequence parameter set NAL unit.
    #[error(
        "expected a sequence parameter set (NAL unit type 7), found NAL unit type {nal_unit_type}"
    )]
    NotSps {
        /// nal_unit_type of the header byte found.
        nal_unit_type: u8,
    },
    /// An exp-Golomb code has 32 or more leading zero bits, so its value does not fit 32 bits.
    #[error("exp-Golomb code of {field} at bit {bit_offset} does not fit in 32 bits")]
    ExpGolombOverflow {
        /// The syntax element being read.
        field: &'static str,
        /// Bit offset where the code starts.
        bit_offset: usize,
    },
    /// A syntax element is outside the range the specification (or this crate's documented cap) allows.
    #[error("{field} is {value}, outside the allowed range {min}..={max}")]
    OutOfRange {
        /// The syntax element or derived value.
        field: &'static str,
        /// The value found.
        value: i64,
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// The SPS frame cropping removes the whole picture.
    #[error("frame cropping removes {crop_width}x{crop_height} samples from a {coded_width}x{coded_height} picture")]
    InvalidCropping {
        /// Coded width in luma samples.
        coded_width: u32,
        /// Coded height in luma samples.
        coded_height: u32,
        /// Luma columns removed (left + right, in samples), saturated at `u64::MAX`.
        crop_width: u64,
        /// Luma rows removed (top + bottom, in samples), saturated at `u64::MAX`.
        crop_height: u64,
    },
    /// The AudioSpecificConfig uses a reserved sampling frequency index (13 or 14).
    #[error("sampling frequency index {index} is reserved")]
    ReservedSamplingFrequencyIndex {
        /// The index found.
        index: u8,
    },
    /// The audio object type cannot be carried in ADTS (only AAC Main, LC, SSR and LTP can, with
    /// HE-AAC and HE-AACv2 mapped to their core).
    #[error("audio object type {object_type} cannot be carried in ADTS (only 1 to 4)")]
    AdtsUnsupportedObjectType {
        /// The (core) audio object type.
        object_type: u8,
    },
    /// The configuration uses an explicit sampling frequency, which ADTS cannot express.
    #[error("explicit sampling frequency {frequency} Hz (index 15) cannot be expressed in ADTS")]
    AdtsExplicitFrequency {
        /// The explicit frequency in Hz.
        frequency: u32,
    },
    /// Channel configuration 0 (layout in a program config element) cannot be expressed in ADTS here.
    #[error(
        "channel configuration 0 (program config element) cannot be expressed in an ADTS header"
    )]
    AdtsChannelConfigZero,
    /// The channel configuration does not fit the 3-bit ADTS field.
    #[error("channel configuration {channel_configuration} does not fit the ADTS header (1 to 7)")]
    AdtsChannelConfigUnsupported {
        /// The channel configuration found.
        channel_configuration: u8,
    },
    /// The frame, including its 7-byte header, is longer than the 13-bit ADTS frame length allows.
    #[error("ADTS frame of {len} bytes (header included) exceeds the 8191-byte maximum")]
    AdtsFrameTooLong {
        /// Frame length including the 7-byte header, saturated at `usize::MAX`.
        len: usize,
    },
    /// The configuration uses 960-sample frames, which ADTS cannot signal.
    #[error("960-sample frames (frameLengthFlag = 1) cannot be signalled in ADTS")]
    AdtsFrameLength960,
    /// The 12-bit ADTS syncword 0xFFF is missing.
    #[error("bad ADTS syncword at offset {offset}: found {found:#05x}, expected 0xfff")]
    AdtsBadSyncword {
        /// Offset of the header in the input.
        offset: usize,
        /// The 12 bits found.
        found: u16,
    },
    /// The ADTS layer field is not 0 (the data is probably MPEG audio layer I-III, not AAC).
    #[error("ADTS layer is {layer}, expected 0")]
    AdtsBadLayer {
        /// The layer bits found.
        layer: u8,
    },
    /// The ADTS header uses a sampling frequency index it may not use (13 to 15).
    #[error("ADTS sampling frequency index {index} is reserved or forbidden")]
    AdtsInvalidSamplingFrequencyIndex {
        /// The index found.
        index: u8,
    },
    /// The ADTS frame length is shorter than the header itself.
    #[error("ADTS frame length {frame_length} is shorter than its {header_len}-byte header")]
    AdtsFrameLengthTooShort {
        /// The aac_frame_length found.
        frame_length: u16,
        /// 7, or 9 with a CRC.
        header_len: usize,
    },
    /// An ADTS frame runs past the end of the stream.
    #[error(
        "ADTS frame at offset {offset} declares {frame_length} bytes but only {available} remain"
    )]
    AdtsTruncatedFrame {
        /// Offset of the frame's header in the stream.
        offset: usize,
        /// The aac_frame_length found.
        frame_length: usize,
        /// Bytes left in the stream from `offset` on.
        available: usize,
    },
    /// A parser was given a NAL unit of another type (e.g. [`hevc::Sps::parse`](crate::hevc::Sps::parse)
    /// given a PPS).
    #[error("expected {expected} (NAL unit type {expected_type}), found NAL unit type {found}")]
    UnexpectedNalUnitType {
        /// What the parser reads.
        expected: &'static str,
        /// The nal_unit_type it reads.
        expected_type: u8,
        /// The nal_unit_type found.
        found: u8,
    },
    /// The AV1CodecConfigurationRecord does not start with marker 1 and version 1.
    #[error(
        "av1C starts with marker {marker} and version {version}, expected marker 1 and version 1"
    )]
    InvalidAv1ConfigHeader {
        /// The marker bit.
        marker: u8,
        /// The 7-bit version.
        version: u8,
    },
    /// An AV1 OBU header has its forbidden bit set.
    #[error("OBU header at offset {offset} has the forbidden bit set")]
    ObuForbiddenBit {
        /// Offset of the OBU header.
        offset: usize,
    },
    /// A leb128() value (AV1 §4.10.5) is longer than 8 bytes or larger than 2^32 - 1.
    #[error("leb128 value at offset {offset} is longer than 8 bytes or exceeds 2^32 - 1")]
    InvalidLeb128 {
        /// Offset of the first byte of the value.
        offset: usize,
    },
    /// An OBU's obu_size runs past the end of the data.
    #[error("OBU at offset {offset} declares {size} payload bytes but only {remaining} remain")]
    ObuSizeOutOfBounds {
        /// Offset of the OBU header.
        offset: usize,
        /// The declared obu_size.
        size: u64,
        /// Bytes left after the OBU header.
        remaining: usize,
    },
    /// No sequence header OBU where one was required.
    #[error("no AV1 sequence header OBU found")]
    NoSequenceHeader,
}
