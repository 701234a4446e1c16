//! AVCDecoderConfigurationRecord: parsing never panics; a parsed record encodes to bytes that
//! parse to the same record, and that encoding is canonical (stable on a second round).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use livechannel_codec::h264::{AnnexB, AnnexBConverter, AvcDecoderConfigurationRecord};

fuzz_target!(|data: &[u8]| {
    let input = Bytes::copy_from_slice(data);
    let Ok(record) = AvcDecoderConfigurationRecord::parse(&input) else {
        return;
    };
    assert!(matches!(record.length_size, 1 | 2 | 4));
    assert!(record.sps.len() <= 31);
    let mut encoded = Vec::new();
    record.encode(&mut encoded);
    assert!(
        encoded.len() <= data.len(),
        "encode only writes what parse read"
    );
    let again = AvcDecoderConfigurationRecord::parse(&Bytes::from(encoded.clone()))
        .expect("an encoded record parses");
    assert_eq!(again, record);
    let mut encoded_again = Vec::new();
    again.encode(&mut encoded_again);
    assert_eq!(encoded_again, encoded);

    // The rest of the input as an access unit for a converter built from this record: either a
    // framing error with nothing written, or output that holds every input byte of the NALs.
    let mut converter = AnnexBConverter::new(&record);
    let mut out = AnnexB::new();
    let au = input.slice(encoded.len().min(input.len())..);
    match converter.convert(&au, &mut out) {
        Ok(info) => {
            assert_eq!(out.len(), out.to_vec().len());
            if info.nal_count == 0 {
                assert!(out.is_empty());
            } else {
                assert!(out.len() >= 4 * info.nal_count);
            }
        }
        Err(_) => assert!(out.is_empty()),
    }
});
