//! Integration tests: FFmpeg-made fixtures, the h264-reader and ffprobe oracles, property tests
//! and one test per malformed-input case.

#[path = "codec/aac.rs"]
mod aac;
#[path = "codec/annexb.rs"]
mod annexb;
#[path = "codec/av1.rs"]
mod av1;
#[path = "codec/avcc.rs"]
mod avcc;
#[path = "codec/fixtures.rs"]
mod fixtures;
#[path = "codec/flv_walk.rs"]
mod flv_walk;
#[path = "codec/hevc.rs"]
mod hevc;
#[path = "codec/malformed.rs"]
mod malformed;
#[path = "codec/sps_builder.rs"]
mod sps_builder;
#[path = "codec/sps_oracle.rs"]
mod sps_oracle;
