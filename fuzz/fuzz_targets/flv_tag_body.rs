#![no_main]
//! Audio, video and script tag parsers never panic; parsed audio and video
//! tags written back (header + data) parse to the same tag, and their data
//! is a suffix of the body.

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use livechannel_flv::{AudioTag, ScriptTag, VideoTag};

fuzz_target!(|data: &[u8]| {
    let body = Bytes::copy_from_slice(data);

    if let Ok(tag) = VideoTag::parse(body.clone()) {
        assert!(data.ends_with(&tag.data));
        let mut again = Vec::new();
        tag.write_header(&mut again);
        assert_eq!(
            again.len() + tag.data.len(),
            data.len(),
            "header length changed"
        );
        again.extend_from_slice(&tag.data);
        assert_eq!(VideoTag::parse(Bytes::from(again)), Ok(tag));
    }

    if let Ok(tag) = AudioTag::parse(body) {
        assert!(data.ends_with(&tag.data));
        let mut again = Vec::new();
        tag.write_header(&mut again);
        again.extend_from_slice(&tag.data);
        assert_eq!(again, data, "audio header rewrites to the same bytes");
        assert_eq!(AudioTag::parse(Bytes::from(again)), Ok(tag));
    }

    let _ = ScriptTag::parse(data);
});
