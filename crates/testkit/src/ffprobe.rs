//! ffprobe as an oracle: how many frames (decoded) or packets (read) each
//! stream type of a file, playlist or URL has.
//!
//! Every function here runs `ffprobe` and fails the test if it cannot run or
//! exits unsuccessfully; the caller must first check
//! [`have("ffprobe")`](crate::have) and return when it is `false`.
//! ffprobe's error output is returned, not judged: the caller asserts on it
//! (usually that it is empty).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::run;

/// What ffprobe counted: per stream type, per stream, and its error output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Each stream once, in index order: (codec type, count), e.g.
    /// `("video", 240)`; for "is there an audio stream at all".
    pub streams: Vec<(String, u64)>,
    /// Summed over the video streams.
    pub video: u64,
    /// Summed over the audio streams.
    pub audio: u64,
    /// ffprobe's stderr at `-v error`: empty when it found nothing wrong.
    pub errors: String,
}

impl Counts {
    /// `(video, audio, errors)`, for `let (video, audio, errors) = ...`.
    pub fn into_tuple(self) -> (u64, u64, String) {
        (self.video, self.audio, self.errors)
    }
}

/// Frames as ffprobe decodes them (`-count_frames`).
pub fn frames(path: &Path) -> Counts {
    count(path, "frames", None)
}

/// Frames per stream type as ffprobe decodes them (`-count_frames`):
/// `(video, audio, errors)`; [`frames`] as a tuple.
pub fn count_frames(path: &Path) -> (u64, u64, String) {
    frames(path).into_tuple()
}

/// Packets per stream type as ffprobe reads them, without decoding
/// (`-count_packets`, for long files): `(video, audio, errors)`.
pub fn count_packets(path: &Path) -> (u64, u64, String) {
    count(path, "packets", None).into_tuple()
}

/// Frames of `path` read as the input format `format` (`-f format`, for
/// raw streams such as ADTS `aac` that have no container to probe).
pub fn count_frames_as(path: &Path, format: &str) -> Counts {
    count(path, "frames", Some(format))
}

/// Asserts that ffprobe decodes `path` without any error output and finds
/// exactly `video` video and `audio` audio frames.
pub fn assert_frames(path: &Path, video: u64, audio: u64) {
    let Counts {
        video: v,
        audio: a,
        errors,
        ..
    } = frames(path);
    assert_eq!(errors.trim(), "", "ffprobe {}", path.display());
    assert_eq!(
        (v, a),
        (video, audio),
        "ffprobe frames of {}",
        path.display()
    );
}

/// ffprobe `-count_{what}`, summed per stream type.
fn count(path: &Path, what: &str, format: Option<&str>) -> Counts {
    let mut cmd = Command::new("ffprobe");
    cmd.args(["-v", "error"]);
    if let Some(format) = format {
        cmd.args(["-f", format]);
    }
    cmd.args([
        &format!("-count_{what}"),
        "-show_entries",
        &format!("stream=index,codec_type,nb_read_{what}"),
        "-of",
        "compact",
    ])
    .arg(path);
    let (out, errors) = run(&mut cmd);
    parse(&out, what, errors)
}

/// ffprobe's `-of compact` stream lines, summed per stream type.
fn parse(out: &str, what: &str, errors: String) -> Counts {
    // For HLS input ffprobe lists each stream twice (in the program and in
    // the stream list): count each stream index once.
    let mut streams = BTreeMap::new();
    let count_field = format!("nb_read_{what}=");
    for line in out.lines() {
        let field = |name: &str| {
            line.split('|')
                .find_map(|f| f.strip_prefix(name))
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        let n: u64 = field(&count_field).parse().unwrap_or(0);
        // Lines without a stream index (an HLS program's own line) are no stream.
        if let Ok(index) = field("index=").parse::<u64>() {
            streams.insert(index, (field("codec_type="), n));
        }
    }
    let sum = |kind: &str| {
        streams
            .values()
            .filter(|(k, _)| k == kind)
            .map(|(_, n)| n)
            .sum()
    };
    Counts {
        video: sum("video"),
        audio: sum("audio"),
        streams: streams.into_values().collect(),
        errors,
    }
}

/// Video packets of `path` as ffprobe sees them: (pts seconds, duration
/// seconds, keyframe).
pub fn video_packets(path: &Path) -> Vec<(f64, f64, bool)> {
    let (out, _) = run(Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v",
            "-show_entries",
            "packet=pts_time,duration_time,flags",
            "-of",
            "csv=p=0",
        ])
        .arg(path));
    out.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((
                f.first()?.parse().ok()?,
                f.get(1)?.parse().unwrap_or(0.0),
                f.get(2)?.contains('K'),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hls_streams_listed_twice_count_once() {
        let out = "program\n\
                   program|stream|index=0|codec_type=video|nb_read_frames=240\n\
                   program|stream|index=1|codec_type=audio|nb_read_frames=346\n\
                   stream|index=0|codec_type=video|nb_read_frames=240\n\
                   stream|index=1|codec_type=audio|nb_read_frames=346\n";
        let counts = parse(out, "frames", String::new());
        assert_eq!((counts.video, counts.audio), (240, 346));
        assert_eq!(
            counts.streams,
            [("video".to_owned(), 240), ("audio".to_owned(), 346)]
        );
    }

    #[test]
    fn streams_of_a_type_add_up() {
        let out = "stream|index=0|codec_type=audio|nb_read_packets=3\n\
                   stream|index=1|codec_type=audio|nb_read_packets=4\n";
        let counts = parse(out, "packets", "warning".into());
        assert_eq!(counts.into_tuple(), (0, 7, "warning".to_owned()));
    }
}
