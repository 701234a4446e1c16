//! HEVCDecoderConfigurationRecord: parsing never panics; a parsed record encodes to bytes that
//! parse to the same record and encode again identically; the rest of the input, split as an
//! access unit with the record's length size, never panics either.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use livechannel_codec::hevc::{access_unit_is_irap, HevcDecoderConfigurationRecord};
use livechannel_codec::length_prefixed_nal_units;

fuzz_target!(|data: &[u8]| {
    let input = Bytes::copy_from_slice(data);
    let Ok(record) = HevcDecoderConfigurationRecord::parse(&input) else {
        return;
    };
    assert!(matches!(record.length_size, 1 | 2 | 4));
    assert!(record.arrays.iter().all(|a| a.nal_unit_type < 64));
    let mut encoded = Vec::new();
    record.encode(&mut encoded);
    assert!(
        encoded.len() <= data.len(),
        "encode only writes what parse read"
    );
    let again = HevcDecoderConfigurationRecord::parse(&Bytes::from(encoded.clone()))
        .expect("an encoded record parses");
    assert_eq!(again, record);
    let mut encoded_again = Vec::new();
    again.encode(&mut encoded_again);
    assert_eq!(encoded_again, encoded);
    assert!(record.codec_string().starts_with("hvc1."));

    let au = input.slice(encoded.len().min(input.len())..);
    let mut total = 0;
    for nal in length_prefixed_nal_units(&au, record.length_size) {
        match nal {
            Ok(nal) => {
                assert!(!nal.is_empty());
                total += nal.len() + usize::from(record.length_size);
            }
            Err(_) => break,
        }
    }
    assert!(total <= au.len());
    let _ = access_unit_is_irap(&au, record.length_size);
});
