//! ADTS header and AudioSpecificConfig parsing never panic. A parsed ADTS header without CRC
//! writes back to the same header (and the same 7 bytes, apart from the bits ADTS keeps out of
//! `AdtsHeader`); a parsed AudioSpecificConfig encodes to bytes that parse to the same config.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livechannel_codec::aac::{AdtsFrames, AdtsHeader, AdtsWriter, AudioSpecificConfig};

/// The bits `AdtsHeader` keeps: all but ID, private, original/copy, home and copyright bits.
const KEPT: [u8; 7] = [0xFF, 0xF7, 0xFD, 0xC3, 0xFF, 0xFF, 0xFF];

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = AdtsHeader::parse(data) {
        assert!(usize::from(h.frame_length) >= h.header_len());
        if h.protection_absent {
            let bytes = h.to_bytes();
            assert_eq!(AdtsHeader::parse(&bytes), Ok(h));
            for i in 0..7 {
                assert_eq!(bytes[i] & KEPT[i], data[i] & KEPT[i], "byte {i}");
            }
        }
    }
    let mut total = 0usize;
    for frame in AdtsFrames::new(data) {
        let Ok((h, payload)) = frame else { break };
        assert_eq!(payload.len() + h.header_len(), usize::from(h.frame_length));
        total += usize::from(h.frame_length);
    }
    assert!(total <= data.len());

    if let Ok(asc) = AudioSpecificConfig::parse(data) {
        let mut encoded = Vec::new();
        asc.encode(&mut encoded);
        let again = AudioSpecificConfig::parse(&encoded).expect("an encoded config parses");
        assert_eq!(again, asc, "encoded {encoded:02x?}");
        // ADTS is either possible for this config, for every frame size up to the limit, or not.
        match AdtsWriter::new(&asc) {
            Ok(w) => {
                let h = AdtsHeader::for_frame(&asc, 100).expect("same validation");
                assert_eq!(w.header(100), Ok(h.to_bytes()));
                assert!(w.header(8184).is_ok() && w.header(8185).is_err());
            }
            Err(e) => assert_eq!(AdtsHeader::for_frame(&asc, 100), Err(e)),
        }
    }
});
