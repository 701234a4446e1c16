//! A minimal FLV walk for the fixtures, kept independent of the flv crate so that these tests
//! only depend on this one.

use bytes::Bytes;

/// The fixtures made with FFmpeg (see tests/fixtures at the workspace root).
pub const HIGH: &str = "high_bframes_gop2s_aac44k";
pub const BASELINE: &str = "baseline_aac48k";
pub const VIDEO_ONLY: &str = "video_only";
pub const LONG_GOP: &str = "long_gop_5s";
pub const ALL: [&str; 4] = [HIGH, BASELINE, VIDEO_ONLY, LONG_GOP];
/// Enhanced RTMP fixtures made with FFmpeg 9 (tests/fixtures/README.md).
pub const HEVC_MAIN: &str = "hevc_main_640x360_25fps_aac";
pub const HEVC_MAIN10: &str = "hevc_main10_320x180_30fps";
pub const AV1_MAIN: &str = "av1_main_640x360_25fps_aac";
pub const AV1_10BIT: &str = "av1_10bit_320x180_30fps";

pub struct VideoFrame {
    /// FLV frame type 1.
    pub keyframe: bool,
    /// The AVCC access unit after the 5-byte video tag header.
    pub data: Bytes,
}

#[derive(Default)]
pub struct Tracks {
    pub avc_config: Option<Bytes>,
    /// The body of the Enhanced RTMP SequenceStart tag after its 5-byte header.
    pub enhanced_config: Option<Bytes>,
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
            // Enhanced RTMP: IsExHeader, frame type, packet type, FourCC (v1 ExVideoTagHeader).
            9 if body[0] & 0x80 != 0 => {
                let keyframe = (body[0] >> 4) & 7 == 1;
                let is_hvc1 = &body[1..5] == b"hvc1";
                match body[0] & 0x0F {
                    0 => tracks.enhanced_config = Some(body.slice(5..)),
                    1 => tracks.video.push(VideoFrame {
                        keyframe,
                        data: body.slice(if is_hvc1 { 8 } else { 5 }..),
                    }),
                    3 => tracks.video.push(VideoFrame {
                        keyframe,
                        data: body.slice(5..),
                    }),
                    _ => {}
                }
            }
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
