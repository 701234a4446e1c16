//! AV1CodecConfigurationRecord: parsing never panics; a parsed record round-trips through
//! encode; its configOBUs, walked as OBUs and searched for a sequence header, never panic.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use livechannel_codec::av1::{is_key_frame, Av1CodecConfigurationRecord, Obus};

fuzz_target!(|data: &[u8]| {
    let input = Bytes::copy_from_slice(data);
    let Ok(record) = Av1CodecConfigurationRecord::parse(&input) else {
        return;
    };
    assert!(matches!(record.bit_depth(), 8 | 10 | 12));
    let mut encoded = Vec::new();
    record.encode(&mut encoded);
    assert_eq!(encoded.len(), data.len());
    let again = Av1CodecConfigurationRecord::parse(&Bytes::from(encoded)).expect("re-parses");
    assert_eq!(again, record);

    let mut consumed = 0;
    for obu in Obus::new(&record.config_obus) {
        let Ok(obu) = obu else { break };
        consumed += obu.header.header_len + obu.payload.len();
    }
    assert!(consumed <= record.config_obus.len());
    let seq = record.sequence_header().ok();
    // The configOBUs as a temporal unit.
    let _ = is_key_frame(&record.config_obus, seq.as_ref());
});
