//! A minimal FLV walk for the fixtures, kept independent of the flv crate so that these tests
//! only depend on this one.

use bytes::Bytes;

/// The fixtures made with FFmpeg (see tests/fixtures at the workspace root).
pub const HIGH: &str = "high_bframes_gop2s_aac44k";
pub const BASELINE: &str = "baseline_aac48k";
pub const VIDEO_ONLY: &str = "video_only";
pub const LONG_GOP: &str = "long_gop_5s";
pub const ALL: [&str; 4] = [HIGH, BASELINE, VIDEO_ONLY, LONG_GOP];

pub struct VideoFrame {
    /// FLV frame type 1.
    pub keyframe: bool,
    /// The AVCC access unit after the 5-byte video tag header.
    pub data: Bytes,
}

#[derive(Default)]
pub struct Tracks {
    pub avc_config: Option<Bytes>,
    pub video: Vec<VideoFrame>,
    pub asc: Option<Bytes>,
    pub audio: Vec<Bytes>,
}

pub fn path(name: &str) -> String {
    format!(
        "{}/../../tests/fixtures/{name}.flv",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// FLV header (9 bytes) and PreviousTagSize0 (4), then tags: 11-byte header, body, 4-byte size.
pub fn read(name: &str) -> Tracks {
    let file = std::fs::read(path(name)).expect("fixture exists");
    let file = Bytes::from(file);
    let mut tracks = Tracks::default();
    let mut pos = 13;
    while pos + 11 <= file.len() {
        let tag_type = file[pos] & 0x1F;
        let size = u32::from_be_bytes([0, file[pos + 1], file[pos + 2], file[pos + 3]]) as usize;
        let body = file.slice(pos + 11..pos + 11 + size);
        match tag_type {
            9 if body[0] & 0x0F == 7 => match body[1] {
                0 => tracks.avc_config = Some(body.slice(5..)),
                1 => tracks.video.push(VideoFrame {
                    keyframe: body[0] >> 4 == 1,
                    data: body.slice(5..),
                }),
                _ => {}
            },
            8 if body[0] >> 4 == 10 => match body[1] {
                0 => tracks.asc = Some(body.slice(2..)),
                _ => tracks.audio.push(body.slice(2..)),
            },
            _ => {}
        }
        pos += 11 + size + 4;
    }
    tracks
}
