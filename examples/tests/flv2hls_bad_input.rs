//! flv2hls on damaged input: a clear error, and whatever came before the
//! damage is still remuxed and listed. And on input it cannot map (a
//! pipe): read instead, with the same result.

mod common;

use std::path::Path;

use common::fixture;
use livechannel_examples::flv2hls::{run, Error, Options};

fn opts(input: &Path, out: &Path) -> Options {
    Options {
        input: input.to_path_buf(),
        out_dir: out.to_path_buf(),
        frag_duration: 2.0,
        frag_count: 3,
        playlist: "playlist.m3u8".into(),
        vod: Some("vod.m3u8".into()),
        base_time_ms: 0,
        format: Default::default(),
    }
}

/// What the FLV parser found, for an [`Error::Flv`].
fn flv_error(err: &Error) -> &livechannel_flv::Error {
    match err {
        Error::Flv { source, .. } => source,
        other => panic!("not an FLV error: {other}"),
    }
}

#[test]
fn random_bytes_are_not_flv() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("random.flv");
    // A fixed pseudo-random sequence (xorshift), so the test is repeatable.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let bytes: Vec<u8> = (0..100_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(&input, bytes).unwrap();
    let err = run(&opts(&input, &dir.path().join("out")), |_| {}).unwrap_err();
    assert!(
        matches!(flv_error(&err), livechannel_flv::Error::NotFlv { .. }),
        "{err}"
    );
}

#[test]
fn truncated_file_keeps_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let data = std::fs::read(fixture("high_bframes_gop2s_aac44k.flv")).unwrap();
    let input = dir.path().join("truncated.flv");
    std::fs::write(&input, &data[..data.len() * 2 / 3 + 7]).unwrap();
    let out = dir.path().join("out");
    let err = run(&opts(&input, &out), |_| {}).unwrap_err();
    assert!(
        matches!(flv_error(&err), livechannel_flv::Error::Truncated { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("truncated"), "{err}");
    // Five seconds or so were remuxed, and both playlists name them.
    let vod = std::fs::read_to_string(out.join("vod.m3u8")).unwrap();
    let playlist = livechannel_m3u8::MediaPlaylist::parse(&vod).unwrap();
    let total: f64 = playlist.segments.iter().map(|s| s.duration).sum();
    assert!(total > 4.0, "only {total} s kept");
    for s in &playlist.segments {
        assert!(out.join(&s.uri).exists());
    }
    let live = std::fs::read_to_string(out.join("playlist.m3u8")).unwrap();
    assert!(live.contains("#EXT-X-ENDLIST"));
}

#[test]
fn a_16_mib_tag_size_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    livechannel_flv::write_header(&mut data, true, true);
    // Tag header claiming 0xFFFFFF bytes of video, and nothing after it.
    data.extend_from_slice(&[9, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0]);
    let input = dir.path().join("huge.flv");
    std::fs::write(&input, &data).unwrap();
    let err = run(&opts(&input, &dir.path().join("out")), |_| {}).unwrap_err();
    assert!(
        matches!(flv_error(&err), livechannel_flv::Error::TagTooLarge { .. }),
        "{err}"
    );
}

#[test]
fn missing_input_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = run(
        &opts(&dir.path().join("nope.flv"), &dir.path().join("out")),
        |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
}

/// Remux `data` through a named pipe (which flv2hls reads, not maps) into
/// `out`.
fn run_from_pipe(data: Vec<u8>, dir: &Path, out: &Path) -> Result<u64, Error> {
    let fifo = dir.join("input.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, data).unwrap())
    };
    let result = run(&opts(&fifo, out), |_| {});
    writer.join().unwrap();
    result.map(|report| report.bytes_in)
}

#[test]
fn a_pipe_is_read_into_the_same_files_as_the_mapped_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("high_bframes_gop2s_aac44k.flv");
    let data = std::fs::read(&input).unwrap();
    let mapped = dir.path().join("mapped");
    let mut progress = Vec::new();
    let report = run(&opts(&input, &mapped), |n| progress.push(n)).unwrap();
    assert_eq!(report.bytes_in, data.len() as u64);
    assert_eq!(progress.last(), Some(&report.bytes_in));
    assert!(progress.windows(2).all(|w| w[0] < w[1]), "{progress:?}");

    let piped = dir.path().join("piped");
    let bytes_in = run_from_pipe(data.clone(), dir.path(), &piped).unwrap();
    assert_eq!(bytes_in, data.len() as u64);
    let names = |d: &Path| {
        let mut names: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(&mapped), names(&piped));
    assert!(names(&mapped).len() > 3);
    for name in names(&mapped) {
        let a = std::fs::read(mapped.join(&name)).unwrap();
        let b = std::fs::read(piped.join(&name)).unwrap();
        assert!(a == b, "{name:?} differs");
    }
}

#[test]
fn a_truncated_pipe_keeps_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let data = std::fs::read(fixture("high_bframes_gop2s_aac44k.flv")).unwrap();
    let cut = data[..data.len() * 2 / 3 + 7].to_vec();
    let out = dir.path().join("out");
    let err = run_from_pipe(cut, dir.path(), &out).unwrap_err();
    assert!(
        matches!(flv_error(&err), livechannel_flv::Error::Truncated { .. }),
        "{err}"
    );
    let vod = std::fs::read_to_string(out.join("vod.m3u8")).unwrap();
    assert!(vod.contains("#EXT-X-ENDLIST"));
}
