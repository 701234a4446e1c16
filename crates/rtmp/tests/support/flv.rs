//! A minimal FLV walk for tests (livechannel-flv is developed in parallel;
//! this keeps the RTMP tests independent of it).

use bytes::Bytes;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub tag_type: u8,
    pub timestamp: u32,
    pub body: Bytes,
}

pub const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/high_bframes_gop2s_aac44k.flv"
);

/// All tags of an FLV file; panics on malformed files (fixtures only).
pub fn read_tags(path: &str) -> Vec<Tag> {
    let data = std::fs::read(path).expect("fixture readable");
    assert_eq!(&data[..3], b"FLV");
    let header_len = u32::from_be_bytes([data[5], data[6], data[7], data[8]]) as usize;
    let mut pos = header_len + 4;
    let mut tags = Vec::new();
    while pos + 11 <= data.len() {
        let h = &data[pos..pos + 11];
        let size = u32::from_be_bytes([0, h[1], h[2], h[3]]) as usize;
        let timestamp = u32::from_be_bytes([h[7], h[4], h[5], h[6]]);
        let body = Bytes::copy_from_slice(&data[pos + 11..pos + 11 + size]);
        tags.push(Tag {
            tag_type: h[0],
            timestamp,
            body,
        });
        pos += 11 + size + 4;
    }
    tags
}
