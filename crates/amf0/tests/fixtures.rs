//! The `onMetaData` script tags that FFmpeg (Lavf 59.27) wrote into the
//! shared FLV fixtures decode to the values ffprobe reports.

use livechannel_amf0::{decode_all, encode, Value};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The body of the first tag, which FFmpeg makes the script tag. Parsed by
/// hand here so this crate's tests do not depend on the FLV crate.
fn first_script_body(flv: &[u8]) -> &[u8] {
    let data_offset = u32::from_be_bytes(flv[5..9].try_into().unwrap()) as usize;
    let tag = &flv[data_offset + 4..];
    assert_eq!(tag[0], 18, "first tag is a script tag");
    let size = u32::from_be_bytes([0, tag[1], tag[2], tag[3]]) as usize;
    &tag[11..11 + size]
}

fn metadata(name: &str) -> Value {
    let flv = fixture(name);
    let values = decode_all(first_script_body(&flv)).unwrap();
    assert_eq!(values.len(), 2);
    assert_eq!(values[0].as_str(), Some("onMetaData"));
    // Decoding and re-encoding gives back FFmpeg's exact bytes.
    let mut again = Vec::new();
    for v in &values {
        encode(v, &mut again).unwrap();
    }
    assert_eq!(again, first_script_body(&flv));
    values[1].clone()
}

fn num(meta: &Value, key: &str) -> f64 {
    meta.get(key)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no number {key}"))
}

#[test]
fn high_bframes_metadata() {
    let meta = metadata("high_bframes_gop2s_aac44k.flv");
    assert!(matches!(meta, Value::EcmaArray(_)));
    assert_eq!(num(&meta, "duration"), 8.067);
    assert_eq!(num(&meta, "width"), 320.0);
    assert_eq!(num(&meta, "height"), 180.0);
    assert_eq!(num(&meta, "framerate"), 30.0);
    assert_eq!(num(&meta, "videocodecid"), 7.0);
    assert_eq!(num(&meta, "audiocodecid"), 10.0);
    assert_eq!(num(&meta, "audiosamplerate"), 44100.0);
    assert_eq!(num(&meta, "filesize"), 274823.0);
    assert_eq!(meta.get("stereo").and_then(Value::as_bool), Some(true));
    assert_eq!(
        meta.get("encoder").and_then(Value::as_str),
        Some("Lavf59.27.100")
    );
}

#[test]
fn baseline_metadata() {
    let meta = metadata("baseline_aac48k.flv");
    assert_eq!(num(&meta, "duration"), 6.021);
    assert_eq!(num(&meta, "width"), 320.0);
    assert_eq!(num(&meta, "height"), 240.0);
    assert_eq!(num(&meta, "framerate"), 25.0);
    assert_eq!(num(&meta, "audiosamplerate"), 48000.0);
}

#[test]
fn video_only_metadata_has_no_audio_fields() {
    let meta = metadata("video_only.flv");
    assert_eq!(num(&meta, "videocodecid"), 7.0);
    assert!(meta.get("audiocodecid").is_none());
}

#[test]
fn long_gop_metadata() {
    let meta = metadata("long_gop_5s.flv");
    assert_eq!(num(&meta, "duration"), 12.067);
    assert_eq!(num(&meta, "videocodecid"), 7.0);
}
