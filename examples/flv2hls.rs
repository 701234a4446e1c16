//! Remux an FLV file into HLS: MPEG-TS or fMP4 segments, a live-window
//! playlist and optionally a VOD playlist. HEVC and AV1 (Enhanced FLV)
//! always give fMP4 with an init segment named in `#EXT-X-MAP`.
//!
//! ```text
//! cargo run --release --example flv2hls -- INPUT.flv OUTDIR [--frag-duration 5] [--frag-count 3] \
//!     [--playlist playlist.m3u8] [--vod vod.m3u8] [--format ts|fmp4]
//! ```

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use livechannel_examples::flv2hls::{run, Options, SegmentFormat};

/// The `--format` values.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Format {
    /// MPEG-TS segments (H.264 only; HEVC and AV1 still get fMP4).
    Ts,
    /// fMP4 (CMAF) segments with an init segment.
    Fmp4,
}

/// Remux an FLV file (H.264, HEVC or AV1 video; AAC audio) into HLS segments and playlists.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The FLV file to read.
    input: PathBuf,
    /// Output directory (created if missing).
    out_dir: PathBuf,
    /// Cut at the first keyframe once a segment holds this many seconds (OSS FragDuration).
    #[arg(long, default_value_t = 5.0)]
    frag_duration: f64,
    /// Segments listed in the live playlist (OSS FragCount).
    #[arg(long, default_value_t = 3)]
    frag_count: usize,
    /// Name of the live-window playlist.
    #[arg(long, default_value = "playlist.m3u8")]
    playlist: String,
    /// Also write a VOD playlist naming every segment, under this name.
    #[arg(long)]
    vod: Option<String>,
    /// Unix milliseconds of stream time zero; segments are named
    /// `<MS + start>.ts`, start being the segment's stream time in ms (a
    /// file has no arrival times; a live ingest dates a segment when its
    /// first frame arrived instead).
    #[arg(long, default_value_t = 0)]
    base_time_ms: u64,
    /// Segment container. HEVC and AV1 video are always written as fMP4.
    #[arg(long, value_enum, default_value = "ts")]
    format: Format,
    /// No progress bar and no summary.
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let valid = args.frag_duration > 0.0
        && args.frag_duration <= 100.0
        && (1..=100).contains(&args.frag_count);
    if !valid {
        eprintln!(
            "flv2hls: --frag-duration must be in (0, 100] seconds and --frag-count in 1..=100"
        );
        return ExitCode::from(2);
    }
    let opts = Options {
        input: args.input,
        out_dir: args.out_dir,
        frag_duration: args.frag_duration,
        frag_count: args.frag_count,
        playlist: args.playlist,
        vod: args.vod,
        base_time_ms: args.base_time_ms,
        format: match args.format {
            Format::Ts => SegmentFormat::Ts,
            Format::Fmp4 => SegmentFormat::Fmp4,
        },
    };
    let len = std::fs::metadata(&opts.input).map(|m| m.len()).unwrap_or(0);
    let bar = if !args.quiet && std::io::stderr().is_terminal() && len > 16 << 20 {
        let bar = indicatif::ProgressBar::new(len);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let result = run(&opts, |n| {
        if let Some(bar) = &bar {
            bar.set_position(n);
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    match result {
        Ok(report) => {
            for w in &report.warnings {
                eprintln!("flv2hls: warning: {w}");
            }
            if !args.quiet {
                let s = &report.stats;
                let total: f64 = report.segments.iter().map(|(_, d)| d).sum();
                eprintln!(
                    "flv2hls: {} segments, {:.3} s, {} video + {} audio frames, {} → {} bytes",
                    report.segments.len(),
                    total,
                    s.video_frames,
                    s.audio_frames,
                    report.bytes_in,
                    s.bytes_out
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("flv2hls: error: {e}");
            ExitCode::FAILURE
        }
    }
}
