//! The media playlist parser on arbitrary text: it must never panic, and
//! whatever it accepts must survive write → parse unchanged (durations
//! compared in the milliseconds that are written), with the second write
//! byte-identical to the first.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livechannel_m3u8::{duration_millis, MediaPlaylist};

/// The playlist with durations as written (whole milliseconds).
fn as_written(p: &MediaPlaylist) -> (MediaPlaylist, Vec<u64>) {
    let millis = p
        .segments
        .iter()
        .map(|s| duration_millis(s.duration))
        .collect();
    let mut without = p.clone();
    for s in &mut without.segments {
        s.duration = 0.0;
    }
    (without, millis)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(parsed) = MediaPlaylist::parse(&text) else {
        return;
    };
    let written = parsed.to_string();
    let back = match MediaPlaylist::parse(&written) {
        Ok(back) => back,
        Err(e) => panic!("our own output was rejected: {e}\n{written}"),
    };
    assert_eq!(as_written(&parsed), as_written(&back), "{written}");
    assert_eq!(back.to_string(), written);
});
