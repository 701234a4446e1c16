//! One test per malformed-input case of the brief, each checking the exact error.

use bytes::Bytes;
use livechannel_codec::aac::{AdtsHeader, AudioSpecificConfig};
use livechannel_codec::h264::{AvcDecoderConfigurationRecord, Sps};
use livechannel_codec::Error;

use crate::sps_builder::{to_nal, Bits, Poc, SpsSpec};

#[test]
fn truncated_avcc() {
    // Announces one 0x20-byte SPS but carries 4 bytes of it.
    let data = Bytes::from_static(&[
        0x01, 0x64, 0x00, 0x1F, 0xFF, 0xE1, 0x00, 0x20, 0x67, 0x64, 0x00, 0x1F,
    ]);
    assert_eq!(
        AvcDecoderConfigurationRecord::parse(&data),
        Err(Error::Truncated {
            what: "avcC sequenceParameterSetNALUnit",
            offset: 8,
            needed: 0x20,
            available: 4
        })
    );
    assert_eq!(
        AvcDecoderConfigurationRecord::parse(&data.slice(..3)),
        Err(Error::Truncated {
            what: "avcC AVCLevelIndication",
            offset: 3,
            needed: 1,
            available: 0
        })
    );
}

#[test]
fn avcc_length_size_three() {
    let data = Bytes::from_static(&[0x01, 0x42, 0xC0, 0x1E, 0xFE, 0xE0, 0x00]);
    assert_eq!(
        AvcDecoderConfigurationRecord::parse(&data),
        Err(Error::InvalidLengthSize { length_size: 3 })
    );
}

#[test]
fn sps_exp_golomb_overflow() {
    // seq_parameter_set_id coded with 32 leading zeros.
    let mut b = Bits::default();
    b.u(24, 0x42_C0_1E);
    b.u(32, 0);
    b.u(1, 1);
    b.u(32, 0);
    let nal = to_nal(0x67, &b.finish());
    assert_eq!(
        Sps::parse(&nal),
        Err(Error::ExpGolombOverflow {
            field: "seq_parameter_set_id",
            bit_offset: 24
        })
    );
}

#[test]
fn sps_huge_num_ref_frames_in_pic_order_cnt_cycle() {
    // A spec builder with POC type 1 and a cycle of 256 would be out of range; write the count
    // directly: 4 million entries must be rejected before any is read.
    let mut b = Bits::default();
    b.u(24, 0x4D_40_1F);
    b.ue(0); // sps id
    b.ue(0); // log2_max_frame_num_minus4
    b.ue(1); // pic_order_cnt_type
    b.flag(false);
    b.se(0);
    b.se(0);
    b.ue(4_000_000);
    let nal = to_nal(0x67, &b.finish());
    assert_eq!(
        Sps::parse(&nal),
        Err(Error::OutOfRange {
            field: "num_ref_frames_in_pic_order_cnt_cycle",
            value: 4_000_000,
            min: 0,
            max: 255
        })
    );
    // 255 is the largest allowed cycle.
    let spec = SpsSpec {
        poc: Poc::One {
            always_zero: true,
            non_ref: 0,
            top_bottom: 0,
            cycle: vec![1; 255],
        },
        ..SpsSpec::simple(20, 15)
    };
    assert_eq!(Sps::parse(&spec.build()).unwrap().width, 320);
}

#[test]
fn sps_cropping_larger_than_picture() {
    let spec = SpsSpec {
        crop: Some([80, 80, 0, 0]),
        ..SpsSpec::simple(20, 15)
    };
    assert_eq!(
        Sps::parse(&spec.build()),
        Err(Error::InvalidCropping {
            coded_width: 320,
            coded_height: 240,
            crop_width: 320,
            crop_height: 0
        })
    );
}

#[test]
fn sps_picture_too_large() {
    let spec = SpsSpec::simple(1, 1);
    let mut huge = spec.clone();
    huge.width_mbs_minus1 = 65536;
    assert_eq!(
        Sps::parse(&huge.build()),
        Err(Error::OutOfRange {
            field: "pic_width_in_mbs_minus1",
            value: 65536,
            min: 0,
            max: 65535
        })
    );
    let mut tall = spec;
    tall.height_map_units_minus1 = 40000;
    tall.frame_mbs_only = false;
    assert!(matches!(
        Sps::parse(&tall.build()),
        Err(Error::OutOfRange {
            field: "FrameHeightInMbs",
            value: 80002,
            ..
        })
    ));
}

#[test]
fn asc_explicit_frequency_with_too_few_bytes() {
    // AAC LC, sampling index 15, then only 7 of the 24 frequency bits.
    assert_eq!(
        AudioSpecificConfig::parse(&[0x17, 0x80]),
        Err(Error::BitstreamEnd {
            field: "samplingFrequency",
            bit_offset: 9,
            needed: 24,
            available: 7
        })
    );
}

#[test]
fn asc_empty_and_one_byte() {
    assert!(matches!(
        AudioSpecificConfig::parse(&[]),
        Err(Error::BitstreamEnd {
            field: "audioObjectType",
            ..
        })
    ));
    assert!(matches!(
        AudioSpecificConfig::parse(&[0x12]),
        Err(Error::BitstreamEnd {
            field: "samplingFrequencyIndex",
            bit_offset: 5,
            needed: 4,
            available: 3
        })
    ));
}

#[test]
fn adts_bad_syncword() {
    assert_eq!(
        AdtsHeader::parse(&[0xFF, 0x71, 0x50, 0x80, 0x02, 0x1F, 0xFC]),
        Err(Error::AdtsBadSyncword {
            offset: 0,
            found: 0xFF7
        })
    );
}

#[test]
fn error_messages_are_lower_case_sentences_with_facts() {
    let e = Error::NalLengthOutOfBounds {
        offset: 13,
        length: 300,
        remaining: 2,
    };
    assert_eq!(
        e.to_string(),
        "NAL unit at offset 13 declares 300 bytes but only 2 remain"
    );
    let e = Error::AdtsFrameTooLong { len: 9000 };
    assert!(e.to_string().contains("9000") && e.to_string().contains("8191"));
}
