//! `flv2hls`: remux an FLV file into HLS segments (MPEG-TS, or fMP4 with an
//! init segment) and playlists.
//!
//! The whole pipeline in one loop: `livechannel-flv` splits the file into
//! tags, `livechannel-hls` cuts them into segments, `livechannel-m3u8`
//! writes the live window and the VOD playlist. Each segment is written
//! before the playlist that names it. The live window is rewritten after
//! a segment at most every [`LIVE_REWRITE`] (and always at the end): an
//! input piped in real time updates it with every segment, a file remuxed
//! at full speed does not rewrite it 30 times in 20 ms for nobody.
//!
//! A file has no arrival times, so unlike a live ingest (where a segment
//! is dated when its first frame reached the server) segments are dated
//! by stream time: `<base-time-ms + start>.ts`, `start` being the segment's
//! first frame in ms from the file's first frame.
//!
//! HEVC and AV1 (Enhanced FLV) always give fMP4 segments (`.m4s`), as does
//! [`Options::format`] [`SegmentFormat::Fmp4`] for H.264: the init segment
//! (`<ms>.init.mp4`) is written before the first segment that needs it, and
//! both playlists name it in `#EXT-X-MAP` (version 7).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use livechannel_flv::{Demuxer, Event};
pub use livechannel_hls::SegmentFormat;
use livechannel_hls::{ChunkPool, Segment, Segmenter, SegmenterConfig, Stats};
use livechannel_m3u8::{LiveWindow, MediaPlaylist, MediaSegment, SegmentMap};

use crate::fs_util::write_atomic;

/// Bytes read at a time from an input that cannot be mapped.
const READ_CHUNK: usize = 1 << 20;

/// Idle chunk buffers kept for reuse, in bytes: a segment's worth at up to
/// 8 Mb/s and 4 s fragments (longer segments allocate the rest).
const POOL_BYTES: usize = 4 << 20;

/// Input bytes between two calls of the progress callback.
const PROGRESS_STEP: u64 = 1 << 20;

/// What to remux and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The FLV file.
    pub input: PathBuf,
    /// Where segments and playlists go (created if missing).
    pub out_dir: PathBuf,
    /// Cut at the first keyframe after this many seconds (OSS FragDuration).
    pub frag_duration: f64,
    /// Segments in the live playlist window (OSS FragCount).
    pub frag_count: usize,
    /// File name of the live-window playlist.
    pub playlist: String,
    /// File name of a VOD playlist naming every segment, if wanted.
    pub vod: Option<String>,
    /// Unix milliseconds of stream time zero: segments are named
    /// `<base_time_ms + start>.ts` by their start in stream time (a file
    /// has no arrival times to date them by).
    pub base_time_ms: u64,
    /// MPEG-TS (the default) or fMP4 segments. HEVC and AV1 video get fMP4
    /// whatever this says.
    pub format: SegmentFormat,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct Report {
    /// The segments written, in order: (file name, duration in seconds).
    pub segments: Vec<(String, f64)>,
    /// The fMP4 init segments written, in order (none for MPEG-TS).
    pub init_segments: Vec<String>,
    /// The container the segments were written in.
    pub format: SegmentFormat,
    /// Bytes of FLV read.
    pub bytes_in: u64,
    /// The segmenter's counters (frames in and out, anything refused).
    pub stats: Stats,
    /// Frames the segmenter refused, one line each.
    pub warnings: Vec<String>,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the input or writing the output failed.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The input is not a usable FLV file. Whatever came before the damage
    /// was still written out, playlists included.
    #[error("{path}: {source}")]
    Flv {
        /// The input file.
        path: PathBuf,
        /// What the parser found, with the byte offset.
        source: livechannel_flv::Error,
    },
    /// The stream cannot be remuxed (for example the video is VP9).
    #[error("{path}: {source}")]
    Stream {
        /// The input file.
        path: PathBuf,
        /// What the segmenter found.
        source: livechannel_hls::Error,
    },
    /// The input held no video or audio that could be remuxed.
    #[error("{path}: no H.264, HEVC or AV1 video or AAC audio found")]
    Empty {
        /// The input file.
        path: PathBuf,
    },
}

/// Remux `opts.input` into `opts.out_dir`. `progress` is called with the
/// number of input bytes remuxed so far, about every MiB and at the end.
///
/// A regular file is mapped rather than read (see `map`); anything else
/// (a pipe, `/dev/stdin`) is read a MiB at a time.
pub fn run(opts: &Options, mut progress: impl FnMut(u64)) -> Result<Report, Error> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(&opts.out_dir).map_err(io_err(&opts.out_dir))?;
    let file = File::open(&opts.input).map_err(io_err(&opts.input))?;

    let frag_ms = (opts.frag_duration * 1000.0).round().max(1.0) as u64;
    let mut out = Output::new(opts);
    let mut config = SegmenterConfig::new(frag_ms, opts.base_time_ms);
    config.format = opts.format;
    // This driver stores init segments and writes EXT-X-MAP.
    config.hevc_av1_in_fmp4 = true;
    // A segment's chunks are written together, in one vectored write, and
    // their buffers then go back to the pool for the next segment: the
    // muxer writes into buffers already mapped rather than into fresh
    // memory the kernel has to fault in and zero page by page.
    let pool = ChunkPool::new(POOL_BYTES);
    let mut segmenter = Segmenter::new(config).with_pool(pool);
    let mut remux = Remux {
        demuxer: Demuxer::new(),
        segmenter: &mut segmenter,
        out: &mut out,
        input: &opts.input,
        progress: &mut progress,
        reported: 0,
    };
    let (bytes_in, failure) = match map(&file).map_err(io_err(&opts.input))? {
        Some(data) => remux.mapped(data)?,
        None => remux.streamed(file)?,
    };

    // Even after damage, what was read is remuxed and listed.
    segmenter.finish();
    out.drain(&mut segmenter)?;
    out.finish()?;
    if let Some(e) = failure {
        return Err(e);
    }
    if out.segments.is_empty() {
        return Err(Error::Empty {
            path: opts.input.clone(),
        });
    }
    Ok(Report {
        segments: out.segments,
        init_segments: out.init_segments,
        format: segmenter.format(),
        bytes_in,
        stats: segmenter.stats().clone(),
        warnings: out.warnings,
    })
}

/// Map `file` when it is a regular file that is not empty: its tag
/// bodies are then slices of the page cache, neither copied nor zeroed in
/// between. `None` for anything else (a pipe, a terminal, a file its file
/// system cannot map): that is read instead.
#[allow(unsafe_code)]
fn map(file: &File) -> io::Result<Option<bytes::Bytes>> {
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() == 0 {
        return Ok(None);
    }
    // SAFETY: the mapping is only read. Another process truncating the
    // file while it is remuxed would make reading the lost pages fault
    // (SIGBUS), as it would for any program mapping its input; shortening
    // an input file during its remux is not something flv2hls supports.
    let Ok(map) = (unsafe { memmap2::Mmap::map(file) }) else {
        // A file system that cannot map it (ENODEV): read it instead.
        return Ok(None);
    };
    // Read once, front to back: the kernel may read ahead further and
    // drop the pages behind. Advice only, so a refusal changes nothing.
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(Some(bytes::Bytes::from_owner(map)))
}

/// One remux: the FLV demuxer feeding the segmenter, whose output is
/// stored as it comes.
struct Remux<'a, 'o, P> {
    demuxer: Demuxer,
    segmenter: &'a mut Segmenter,
    out: &'a mut Output<'o>,
    input: &'a Path,
    progress: &'a mut P,
    /// Input position last given to `progress`.
    reported: u64,
}

impl<P: FnMut(u64)> Remux<'_, '_, P> {
    /// The whole file at once: every tag body is a slice of `data`.
    /// Returns the bytes read and the damage that ended the remux early.
    fn mapped(&mut self, data: bytes::Bytes) -> Result<(u64, Option<Error>), Error> {
        let len = data.len() as u64;
        self.demuxer.push_bytes(data);
        let failure = match self.tags()? {
            Some(e) => Some(e),
            None => self.finish(),
        };
        (self.progress)(len);
        Ok((len, failure))
    }

    /// `file` read a chunk at a time, for inputs that cannot be mapped.
    fn streamed(&mut self, mut file: File) -> Result<(u64, Option<Error>), Error> {
        let mut bytes_in = 0u64;
        loop {
            // Read into spare capacity: nothing is zeroed first.
            let mut buf = Vec::with_capacity(READ_CHUNK);
            let n = (&mut file)
                .take(READ_CHUNK as u64)
                .read_to_end(&mut buf)
                .map_err(|source| Error::Io {
                    path: self.input.to_path_buf(),
                    source,
                })?;
            if n == 0 {
                return Ok((bytes_in, self.finish()));
            }
            bytes_in += n as u64;
            self.demuxer.push_bytes(buf.into());
            if let Some(failure) = self.tags()? {
                return Ok((bytes_in, Some(failure)));
            }
        }
    }

    /// The end of the input: damage if it ends inside a tag.
    fn finish(&mut self) -> Option<Error> {
        let source = self.demuxer.finish().err()?;
        let path = self.input.to_path_buf();
        Some(Error::Flv { path, source })
    }

    /// Push every tag the demuxer has to the segmenter and store what comes
    /// out. Returns the damage that ends the remux (`Ok(Some(..))`: the
    /// input is no FLV any more, or its video cannot be remuxed); a tag the
    /// segmenter skips is a warning.
    fn tags(&mut self) -> Result<Option<Error>, Error> {
        loop {
            let tag = match self.demuxer.poll() {
                Ok(Some(Event::Tag(tag))) => tag,
                Ok(Some(Event::Header(_))) => continue,
                Ok(None) => return Ok(None),
                Err(source) => {
                    let path = self.input.to_path_buf();
                    return Ok(Some(Error::Flv { path, source }));
                }
            };
            let timestamp = tag.timestamp;
            if let Err(e) = self.segmenter.push_tag(tag) {
                if e.is_fatal() {
                    let path = self.input.to_path_buf();
                    return Ok(Some(Error::Stream { path, source: e }));
                }
                self.out
                    .warnings
                    .push(format!("tag at {timestamp} ms: {e}"));
            }
            self.out.drain(self.segmenter)?;
            let position = self.demuxer.position();
            if position >= self.reported + PROGRESS_STEP {
                self.reported = position;
                (self.progress)(position);
            }
        }
    }
}

/// The least time between two rewrites of the live window while a remux
/// runs: a player polling it lags the segments by at most this.
pub const LIVE_REWRITE: Duration = Duration::from_millis(100);

/// The files written: segments first, then the playlists naming them.
struct Output<'a> {
    opts: &'a Options,
    window: LiveWindow,
    /// When the live window was last written.
    live_written: Option<Instant>,
    /// The segment file being written: (name, file).
    open: Option<(String, File)>,
    all: Vec<MediaSegment>,
    /// The VOD playlist's `#EXT-X-MAP`s: one per init segment.
    all_maps: Vec<SegmentMap>,
    segments: Vec<(String, f64)>,
    init_segments: Vec<String>,
    warnings: Vec<String>,
    text: String,
}

impl<'a> Output<'a> {
    fn new(opts: &'a Options) -> Self {
        let target = opts.frag_duration.round().max(1.0) as u64;
        Output {
            opts,
            window: LiveWindow::new(opts.frag_count.max(1), target),
            live_written: None,
            open: None,
            all: Vec::new(),
            all_maps: Vec::new(),
            segments: Vec::new(),
            init_segments: Vec::new(),
            warnings: Vec::new(),
            text: String::new(),
        }
    }

    /// Everything the segmenter has ready, in order: each segment's bytes
    /// (as chunks, in any output mode), then the playlists naming it.
    fn drain(&mut self, segmenter: &mut Segmenter) -> Result<(), Error> {
        while let Some(output) = segmenter.poll_output() {
            match output {
                livechannel_hls::Output::Chunk(chunk) => {
                    self.append(&chunk.file_name(), &[chunk.data])?;
                }
                livechannel_hls::Output::Segment(segment) => self.segment(&segment)?,
            }
        }
        Ok(())
    }

    /// Append to the segment file `name`, created by its first chunk.
    /// Plain writes, no temp file: no playlist names the segment until it
    /// is complete, so nobody can read it half-written.
    fn append(&mut self, name: &str, chunks: &[bytes::Bytes]) -> Result<(), Error> {
        let path = self.opts.out_dir.join(name);
        let io_err = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let file = match &mut self.open {
            Some((open, file)) if open == name => file,
            slot => {
                &mut slot
                    .insert((name.to_owned(), File::create(&path).map_err(io_err)?))
                    .1
            }
        };
        crate::fs_util::write_all_chunks(file, chunks).map_err(io_err)
    }

    /// The end of a segment: its init segment if it brings one, its last
    /// chunks, then the playlist.
    fn segment(&mut self, segment: &Segment) -> Result<(), Error> {
        if let Some(init) = &segment.init {
            let init_name = init.file_name();
            self.write(&init_name, &init.data)?;
            // From this segment on, players start from this init segment.
            self.window.set_map(init_name.clone());
            self.all_maps
                .push(SegmentMap::new(self.all.len(), init_name.clone()));
            self.init_segments.push(init_name);
        }
        let name = segment.file_name();
        self.append(&name, &segment.chunks)?;
        // Closed before any playlist names it.
        self.open = None;
        let entry = MediaSegment {
            uri: name.clone(),
            duration: segment.duration,
            discontinuity: false,
            title: String::new(),
        };
        self.window.push(entry.clone());
        if self.opts.vod.is_some() {
            self.all.push(entry);
        }
        self.segments.push((name, segment.duration));
        let due = self
            .live_written
            .is_none_or(|at| at.elapsed() >= LIVE_REWRITE);
        if due {
            self.write_live()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), Error> {
        if self.segments.is_empty() {
            return Ok(());
        }
        self.window.end();
        self.write_live()?;
        if let Some(vod) = &self.opts.vod {
            let mut playlist = MediaPlaylist::vod(std::mem::take(&mut self.all));
            for map in std::mem::take(&mut self.all_maps) {
                playlist.add_map(map);
            }
            self.text.clear();
            playlist.write(&mut self.text);
            let text = std::mem::take(&mut self.text);
            self.write(vod, text.as_bytes())?;
        }
        Ok(())
    }

    fn write_live(&mut self) -> Result<(), Error> {
        self.text.clear();
        self.window.write(&mut self.text);
        let text = std::mem::take(&mut self.text);
        let result = self.write(&self.opts.playlist, text.as_bytes());
        self.text = text;
        self.live_written = Some(Instant::now());
        result
    }

    /// Playlists are replaced atomically: a player polling one never reads half of it.
    fn write(&self, name: &str, data: &[u8]) -> Result<(), Error> {
        let path = self.opts.out_dir.join(name);
        write_atomic(&path, data).map_err(|source| Error::Io { path, source })
    }
}
