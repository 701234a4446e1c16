#![no_main]
//! Audio, video and script tag parsers never panic; parsed audio and video
//! tags written back (header + data) parse to the same tag, and their data
//! is a suffix of the body. The Enhanced RTMP views of a video tag
//! (multitrack tracks, metadata, command, ModEx) never panic either, and
//! multitrack track payloads lie inside the tag's data.

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
        assert_eq!(VideoTag::parse(Bytes::from(again)), Ok(tag.clone()));

        if let Some(Ok(multitrack)) = tag.multitrack() {
            let range = tag.data.as_ptr_range();
            for track in &multitrack.tracks {
                assert!(track.data.is_empty() || range.contains(&track.data.as_ptr()));
                assert!(track.data.len() < tag.data.len());
            }
        }
        let _ = tag.metadata();
        let _ = (tag.command(), tag.timestamp_offset_nanos(), tag.fourcc());
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
