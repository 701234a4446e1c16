//! Heap per stream of the server with the file store and with the S3
//! store (against s3s-fs), measured by a counting allocator (not guessed
//! from RSS): 200 publishers push 720p 3 Mb/s in real time, and the
//! server's live heap above its idle level once the streams are running,
//! divided by the streams, stays under the bound (160 KiB; nginx-rtmp
//! holds about 73 KiB) in the median of 10 ms samples; with the S3 store,
//! which holds each segment until its one PutObject, under that bound plus
//! the largest segment and 64 KiB at its peak. The file store's peaks are
//! printed: there every publisher sends its keyframe at the same moment,
//! so for a few tens of milliseconds every stream holds a whole keyframe
//! (reassembled from its chunks) and its TS.
//!
//! The server runs in this process (its heap is what the allocator
//! counts); the publishers run in a child process, this test binary run
//! again with `LIVECHANNEL_MEMORY_CHILD` set, so their buffers are not
//! counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use livechannel::catalog::{Acl, BucketRecord, ChannelConfig, ChannelRecord};
use livechannel::store::{Store, PACKED_BLOCK};
use livechannel::{Service, ServiceConfig};
use livechannel_examples::file_store::FileStore;
use livechannel_examples::metrics::Metrics;
use livechannel_examples::rtmp_publish::{connection_url, publish, Media, Pacing};
use livechannel_examples::server::{serve, Listeners, TokioSleep};

mod common;
use common::s3s::S3sFs;

/// Counts the bytes allocated and not yet freed.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counter only observes sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Relaxed);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let out = System.realloc(ptr, layout, new_size);
        if !out.is_null() {
            LIVE.fetch_add(new_size, Relaxed);
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
        out
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const STREAMS: usize = 200;
/// The bound of issue 16: nginx-rtmp holds about 73 KiB per stream.
const BOUND_PER_STREAM: usize = 160 << 10;
const SECONDS: u32 = 8;
const CHILD: &str = "LIVECHANNEL_MEMORY_CHILD";
/// The child's: milliseconds over which the publishers' starts are spread
/// (0, all at once, if unset).
const SPREAD: &str = "LIVECHANNEL_MEMORY_SPREAD_MS";
/// From the publishers' start until every stream is past its held start
/// (16 frames at 30 fps, and the connects of 200 publishers).
const HOLDING: Duration = Duration::from_secs(2);

/// This process's CPU time (user + system): the server's, and the
/// sampling loop's, which is small.
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes the struct it is given, nothing else.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// The 720p 3 Mb/s input of `benches/compare-nginx.sh`, made once.
fn input() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-fixtures");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("720p_3mbps_{SECONDS}s.flv"));
    if !path.exists() {
        let partial = path.with_extension("partial.flv");
        let status = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30"])
            .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"])
            .args([
                "-t",
                &SECONDS.to_string(),
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
            ])
            .args([
                "-profile:v",
                "high",
                "-bf",
                "2",
                "-g",
                "60",
                "-keyint_min",
                "60",
            ])
            .args(["-sc_threshold", "0", "-b:v", "3000k", "-maxrate", "3000k"])
            .args([
                "-bufsize", "6000k", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
            ])
            .args(["-ac", "2", "-f", "flv"])
            .arg(&partial)
            .status()
            .unwrap();
        assert!(status.success(), "ffmpeg could not make the input");
        std::fs::rename(&partial, &path).unwrap();
    }
    path
}

/// The child: push `input` over STREAMS connections in real time.
#[test]
fn publishers_child() {
    let Ok(url) = std::env::var(CHILD) else {
        return;
    };
    let media = Media::load(std::fs::read(input()).unwrap()).unwrap();
    let spread_ms: u64 = std::env::var(SPREAD).map_or(0, |v| v.parse().unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..STREAMS {
            let (url, media) = (connection_url(&url, i, STREAMS), media.clone());
            let wait = Duration::from_millis(spread_ms * i as u64 / STREAMS as u64);
            tasks.spawn(async move {
                tokio::time::sleep(wait).await;
                publish(&url, &media, Pacing::RealTime, i as u64).await
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap().expect("a publish failed");
        }
    });
}

#[test]
fn heap_per_stream_with_the_file_store_stays_under_the_bound() {
    if std::env::var(CHILD).is_ok() || !livechannel_testkit::tools::have("ffmpeg") {
        return;
    }
    let _alone = lock(&ONE_AT_A_TIME);
    // Made here, before the child starts: two makers would race.
    input();
    // tmpfs where there is one: the bound is about memory, not the disk.
    let parent = ["/dev/shm", "/tmp"]
        .into_iter()
        .find(|d| std::path::Path::new(d).is_dir())
        .unwrap();
    let dir = tempfile::tempdir_in(parent).unwrap();
    let heap = measure(
        Arc::new(FileStore::open(dir.path()).unwrap()),
        Duration::ZERO,
    );
    heap.print(
        "file",
        &format!("bound on the median {}", BOUND_PER_STREAM >> 10),
    );
    assert!(
        heap.median <= BOUND_PER_STREAM,
        "{} KiB per stream > {} KiB",
        heap.median >> 10,
        BOUND_PER_STREAM >> 10
    );
}

/// With the S3 store a stream holds its segment so far (one PutObject at
/// the end: a segment is below the 5 MiB of a multipart part), packed into
/// 64 KiB blocks, so the bound is the file store's plus the largest segment
/// stored plus one block (issue 16: "at most one segment + 64 KiB"), at
/// its peak once the streams run. The streams start spread over 2 s, as
/// streams not in step do. All 200 ending their segments at the same
/// moment, each held the segment being uploaded and the next one's start
/// while 200 PutObjects were in flight (p90 1,048 and 1,108 KiB against
/// 1,146 in a release build, the peak over it): that measured the S3
/// server's speed more than what a stream holds. Against s3s-fs, a real
/// S3 server in another process (its memory is not counted). A stored
/// segment's blocks are freed when its PutObject ends, not after the index
/// entry and playlist writes after it: in a debug build, where those queue
/// for up to 2 s, holding them made the peak 1,014–1,153 KiB (over the
/// bound in four runs of nine); freed at once, 611–774 (fourteen runs).
#[test]
fn heap_per_stream_with_the_s3_store_stays_under_the_bound_plus_a_segment() {
    if std::env::var(CHILD).is_ok() || !livechannel_testkit::tools::have("ffmpeg") {
        return;
    }
    let Some(s3) = S3sFs::start("media") else {
        return;
    };
    let _alone = lock(&ONE_AT_A_TIME);
    input();
    let heap = measure(Arc::new(s3.store("media", None)), S3_SPREAD);
    let segment = largest_ts(s3.root.path());
    assert!(segment > 0, "no segment in s3s-fs's directory");
    let bound = BOUND_PER_STREAM + segment + PACKED_BLOCK;
    let bound_text = format!(
        "bound on the peak {}, largest segment {}",
        bound >> 10,
        segment >> 10
    );
    heap.print("S3", &bound_text);
    assert!(
        heap.max <= bound,
        "peak {} KiB per stream > {} KiB",
        heap.max >> 10,
        bound >> 10
    );
}

/// Over how long the S3 test's publishers start.
const S3_SPREAD: Duration = Duration::from_secs(2);

/// One test at a time: the allocator counts the whole process.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn lock(m: &Mutex<()>) -> std::sync::MutexGuard<'_, ()> {
    // A failed test poisons it; the count is still whole.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The server's heap per stream above idle (bytes), over the run.
struct Heap {
    median: usize,
    p90: usize,
    max: usize,
    start_peak: usize,
    idle: usize,
    cpu: Duration,
}

impl Heap {
    fn print(&self, store: &str, bound: &str) {
        eprintln!(
            "server heap per stream over {STREAMS} streams with the {store} store (KiB): \
             median {}, p90 {}, max {} ({bound}); while the streams start {}; idle {} KiB; \
             CPU {:.2} s",
            self.median >> 10,
            self.p90 >> 10,
            self.max >> 10,
            self.start_peak >> 10,
            self.idle >> 10,
            self.cpu.as_secs_f64(),
        );
    }
}

/// Runs the server over `store` while the child process publishes
/// STREAMS streams, their starts spread over `spread`, sampling the heap
/// every 10 ms.
fn measure(store: Arc<dyn Store>, spread: Duration) -> Heap {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let service =
        Arc::new(Service::new(store, ServiceConfig::default()).with_sleep(Arc::new(TokioSleep)));
    let (rtmp_port, stop, served) = runtime.block_on(start(&service));
    // Idle: the service, its runtime and its listeners, before any publisher.
    std::thread::sleep(Duration::from_millis(200));
    let idle = LIVE.load(Relaxed);

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["publishers_child", "--exact", "--nocapture"])
        .env(CHILD, format!("rtmp://127.0.0.1:{rtmp_port}/live/s"))
        .env(SPREAD, spread.as_millis().to_string())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let cpu_before = cpu_time();
    // Each stream holds its first 16 video frames before it writes (see
    // docs/architecture.md, "Holding the start of a stream"): all 200
    // starting at once is a peak of its own, reported apart.
    let mut start_peak = idle;
    let mut running = Vec::new();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "publishers hung"
        );
        let live = LIVE.load(Relaxed);
        if started.elapsed() < HOLDING + spread {
            start_peak = start_peak.max(live);
        } else {
            running.push(live);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let cpu = cpu_time() - cpu_before;
    assert!(status.success(), "the publishers failed");
    // The server ends every publish (their last segments are stored) and returns.
    let _ = stop.send(true);
    runtime.block_on(served).unwrap().unwrap();
    running.sort_unstable();
    let per_stream = |bytes: usize| bytes.saturating_sub(idle) / STREAMS;
    let at = |q: f64| per_stream(running[((running.len() - 1) as f64 * q) as usize]);
    assert!(running.len() > 100, "too few samples: {}", running.len());
    let heap = Heap {
        median: at(0.5),
        p90: at(0.9),
        max: at(1.0),
        start_peak: per_stream(start_peak),
        idle,
        cpu,
    };
    drop(runtime);
    heap
}

/// The size of the largest `.ts` file under `dir`.
fn largest_ts(dir: &std::path::Path) -> usize {
    common::files_under(dir)
        .iter()
        .filter(|path| path.extension().is_some_and(|e| e == "ts"))
        .map(|path| std::fs::metadata(path).unwrap().len() as usize)
        .max()
        .unwrap_or(0)
}

/// The server on loopback, with bucket `demo` (the default) and channels
/// s-0 ... s-{STREAMS-1} (2 s fragments); returns its RTMP port, its stop
/// switch and its task.
async fn start(
    service: &Arc<Service>,
) -> (
    u16,
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let catalog = service.catalog();
    let bucket = BucketRecord {
        name: "demo".into(),
        acl: Acl::PublicReadWrite,
        created_ms: 0,
    };
    catalog.put_bucket(&bucket).await.unwrap();
    for i in 0..STREAMS {
        let mut config = ChannelConfig::default();
        // 2 s fragments, as benches/compare-nginx.sh (keyframes every 2 s).
        config.target.frag_duration = 2;
        let channel = ChannelRecord {
            name: format!("s-{i}"),
            config,
            last_modified_ms: 0,
        };
        catalog.put_channel("demo", &channel).await.unwrap();
    }
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rtmp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = rtmp.local_addr().unwrap().port();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let listeners = Listeners {
        http,
        rtmp,
        rtmps: None,
        default_bucket: Some("demo".into()),
        http_timeouts: Default::default(),
    };
    let metrics = Metrics::new(service.clone());
    let served = tokio::spawn(serve(service.clone(), metrics, listeners, shutdown));
    (port, stop, served)
}
