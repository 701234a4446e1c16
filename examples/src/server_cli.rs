//! The livechannel-server command line: RTMP ingest, the OSS LiveChannel
//! HTTP API, and playback of the stored HLS objects.
//!
//! ```text
//! cargo run --release --example livechannel-server -- \
//!   [--http 127.0.0.1:8080] [--rtmp 127.0.0.1:1935] \
//!   [--rtmps 127.0.0.1:1936 --tls-cert cert.pem --tls-key key.pem] \
//!   [--store file://./data | memory:// | s3://BUCKET?endpoint=URL&region=R&prefix=P] \
//!   [--domain localhost] [--region cn-hangzhou] [--access-key ID:SECRET]... [--bucket NAME[:private|public-read|public-read-write]]...
//! ```
//! With no flags: a file store in `./data` and one public-read-write bucket `demo`.
//! With `--store s3://...` everything lives in that S3 bucket (see
//! [`crate::s3_store`]); credentials come from the AWS environment variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, ...).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use crate::file_store::{Appends, FileOptions, FileStore, SmallJobs};
use crate::metrics::{MeteredStore, Metrics};
use crate::s3_store::S3Store;
use crate::server::{serve, Listeners, RtmpsListener, TokioSleep};
use crate::tls::Certificate;
use clap::Parser;
use livechannel::catalog::{Acl, BucketRecord};
use livechannel::store::{MemoryStore, Store};
use livechannel::{unix_ms, SegmentFormat, Service, ServiceConfig, VideoCodecs};

/// RTMP ingest to HLS objects, with an OSS-compatible LiveChannel API.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// HTTP API and playback address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    http: String,
    /// RTMP ingest address.
    #[arg(long, default_value = "127.0.0.1:1935")]
    rtmp: String,
    /// RTMPS ingest address (RTMP over TLS, e.g. 0.0.0.0:1936; off unless
    /// given): the same ingest as --rtmp, after a TLS handshake with the
    /// certificate of --tls-cert and --tls-key. SIGHUP reads both files
    /// again: new connections get the new certificate, connections made
    /// keep theirs, and a failed reload keeps the old one (logged).
    #[arg(long, value_name = "ADDR", requires_all = ["tls_cert", "tls_key"])]
    rtmps: Option<String>,
    /// The RTMPS certificate chain, PEM (leaf first).
    #[arg(long, value_name = "PEM", requires = "rtmps")]
    tls_cert: Option<PathBuf>,
    /// The RTMPS certificate's private key, PEM (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "rtmps")]
    tls_key: Option<PathBuf>,
    /// Where objects and records live: file://DIR, memory://, or
    /// s3://BUCKET?endpoint=URL&region=R&prefix=P (every parameter optional;
    /// credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...).
    #[arg(long, default_value = "file://./data")]
    store: String,
    /// Base domain for virtual-host addressing (Host: BUCKET.DOMAIN selects BUCKET).
    #[arg(long, default_value = "localhost")]
    domain: String,
    /// The region signature V4 requests must be scoped to (oss2 clients
    /// pass the same as `region=`). V1 and V2 signatures name no region.
    #[arg(long, default_value = livechannel::auth::DEFAULT_REGION)]
    region: String,
    /// An access key, ID:SECRET (repeatable; also LIVECHANNEL_ACCESS_KEYS=ID:SECRET,ID2:SECRET2).
    #[arg(long = "access-key")]
    access_keys: Vec<String>,
    /// A bucket to create at start if missing, NAME[:ACL] (repeatable; default: demo:public-read-write).
    #[arg(long = "bucket")]
    buckets: Vec<String>,
    /// Runtime threads. 1 (the default) runs every connection on one
    /// thread, like an nginx worker (file I/O still uses a small blocking
    /// pool); more spreads connections over that many threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Threads for file I/O (the file store's writes, fsyncs and reads).
    /// Default: as many as the cores this process may use, at least 2 and
    /// at most 8. Writing into the page cache is CPU work, and segments of
    /// all channels tend to end together (same keyframe interval): more
    /// threads than cores then crowd out the thread that reads the
    /// publishers. Raise it for disks whose fsync is slow (spinning,
    /// network), where the threads mostly wait.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=512))]
    io_threads: Option<u64>,
    /// This node's name in publish leases. Stable across restarts, so a
    /// restarted server takes its own leases back at once; several servers
    /// sharing one store need distinct names.
    #[arg(long, default_value = "local")]
    node_id: String,
    /// How long a publish lease lasts without renewal, in seconds: after a
    /// node dies, its channels can be published through another node after
    /// at most this long.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    lease_secs: u64,
    /// Ingest stores each segment while it is made, this many KiB at a
    /// time: memory per stream against store calls per segment.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(4..=65536))]
    segment_chunk_kib: u64,
    /// Where the file store appends a segment's chunks: `inline`, on the
    /// thread that reads the publishers (a copy into the page cache), or
    /// `blocking`, on the I/O threads, for disks slower than the ingest
    /// rate, where the kernel makes writers wait.
    #[arg(long, value_enum, default_value_t = Appends::Inline)]
    file_appends: Appends,
    /// Where the file store runs its small jobs (the end of each
    /// segment with its index entry and playlist, puts up to 1 MiB,
    /// reads up to 64 KiB, deletes, listings):
    /// `auto` on the thread that reads the publishers when DIR is on
    /// tmpfs or ramfs, where nothing waits for a device, else on the I/O
    /// threads; `inline` or `blocking` to choose.
    #[arg(long, value_enum, default_value_t = SmallJobs::Auto)]
    file_small_jobs: SmallJobs,
    /// Whether the file store writes new segments over the files of
    /// deleted ones (kept up to 5 s), instead of into new files: on tmpfs
    /// writing a segment then costs about a third of the CPU. Turn it off
    /// when another process (a web server) reads the store's directory:
    /// it could see a deleted segment's file overwritten while it still
    /// sends it.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    file_reuse_deleted: bool,
    /// Delete each segment (and its VOD index entry) once it has left the
    /// live playlist and ended this many seconds before the newest one:
    /// a live-only service whose storage does not grow. A VOD playlist
    /// (`POST ?vod`) then covers only the segments still kept. Default:
    /// keep every segment, as OSS does.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    segment_retention: Option<u64>,
    /// The container of H.264 channels' segments: `ts` (MPEG-TS, as OSS)
    /// or `fmp4` (CMAF: `.m4s` segments after an init segment named in
    /// `#EXT-X-MAP`). HEVC and AV1 channels always write fMP4.
    #[arg(long, value_enum, default_value_t = SegmentFormatArg::Ts)]
    segment_format: SegmentFormatArg,
    /// Take H.264 video only, as OSS LiveChannel: HEVC or AV1 ends the
    /// publish with an RTMP error naming the codec.
    #[arg(long)]
    h264_only: bool,
    #[command(flatten)]
    http_timeouts: crate::http_timeouts::HttpTimeouts,
}

/// `--segment-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SegmentFormatArg {
    /// MPEG-TS.
    Ts,
    /// Fragmented MP4 (CMAF).
    Fmp4,
}

/// A listener on `addr` (resolved; the first address that binds) with a
/// backlog of 4096, capped by the kernel at `net.core.somaxconn`.
/// Publishers reconnecting together (after a network blip or a restart)
/// arrive as one burst; with tokio's default of 1024 the rest of a burst
/// of 1,600 waited for SYN retries and took 9 s to be publishing.
async fn listen(addr: &str) -> std::io::Result<tokio::net::TcpListener> {
    let mut failed = None;
    for a in tokio::net::lookup_host(addr).await? {
        let socket = if a.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        // As std's bind does: a restart can bind while old connections linger.
        socket.set_reuseaddr(true)?;
        match socket.bind(a).and_then(|()| socket.listen(4096)) {
            Ok(listener) => return Ok(listener),
            Err(e) => failed = Some(e),
        }
    }
    Err(failed.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address to listen on")
    }))
}

/// `--io-threads` when not given: the cores this process may use (which
/// honours `taskset` and cgroup CPU limits), within 2..=8.
fn default_io_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

/// Parse the command line and run the server until SIGINT/SIGTERM.
pub fn main() -> ExitCode {
    crate::init_logging();
    let args = Args::parse();
    let io_threads = args
        .io_threads
        .map_or_else(default_io_threads, |n| n as usize);
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(io_threads)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .max_blocking_threads(io_threads)
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("livechannel-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("livechannel-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the store, builds the service, creates the `--bucket` buckets,
/// binds both listeners, then serves until a signal. Each step's error is
/// returned as the message to print, naming the flag at fault.
async fn run(args: Args) -> Result<(), String> {
    let access_keys = access_keys(&args.access_keys)?;
    let file_options = FileOptions {
        appends: args.file_appends,
        small_jobs: args.file_small_jobs,
        reuse_deleted: args.file_reuse_deleted,
    };
    let (store, store_name, file_store) = open_store(&args.store, file_options)?;
    let config = ServiceConfig {
        domain: Some(args.domain.clone()),
        access_keys,
        region: args.region.clone(),
        node_id: args.node_id.clone(),
        lease_ms: args.lease_secs * 1000,
        segment_chunk_bytes: (args.segment_chunk_kib as usize) << 10,
        segment_retention_ms: args.segment_retention.map(|s| s * 1000),
        segment_format: match args.segment_format {
            SegmentFormatArg::Ts => SegmentFormat::Ts,
            SegmentFormatArg::Fmp4 => SegmentFormat::Fmp4,
        },
        video_codecs: match args.h264_only {
            true => VideoCodecs::H264Only,
            false => VideoCodecs::All,
        },
        ..ServiceConfig::default()
    };
    let store = MeteredStore::new(store);
    let service = Arc::new(Service::new(store.clone(), config).with_sleep(Arc::new(TokioSleep)));
    let metrics = Metrics::new(service.clone());
    store.attach(metrics.clone());

    let default_bucket = create_buckets(&service, &args.buckets).await?;

    let http = listen(&args.http)
        .await
        .map_err(|e| format!("--http {}: {e}", args.http))?;
    let rtmp = listen(&args.rtmp)
        .await
        .map_err(|e| format!("--rtmp {}: {e}", args.rtmp))?;
    let rtmps = match (&args.rtmps, &args.tls_cert, &args.tls_key) {
        (Some(addr), Some(cert), Some(key)) => {
            let certificate = Arc::new(Certificate::load(cert, key)?);
            let listener = listen(addr)
                .await
                .map_err(|e| format!("--rtmps {addr}: {e}"))?;
            Some(RtmpsListener {
                listener,
                certificate,
            })
        }
        _ => None,
    };
    let (http_addr, rtmp_addr) = (
        http.local_addr().map_err(|e| e.to_string())?,
        rtmp.local_addr().map_err(|e| e.to_string())?,
    );
    let rtmps_addr = match &rtmps {
        Some(l) => Some(l.listener.local_addr().map_err(|e| e.to_string())?),
        None => None,
    };
    banner(
        &args,
        &store_name,
        Addrs {
            http: http_addr,
            rtmp: rtmp_addr,
            rtmps: rtmps_addr,
        },
        default_bucket.as_deref(),
        service.config().access_keys.is_empty(),
    );
    #[cfg(unix)]
    if let Some(rtmps) = &rtmps {
        tokio::spawn(crate::tls::reload_on_sighup(rtmps.certificate.clone()));
    }

    let (stop, shutdown) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("signal received");
        let _ = stop.send(true);
    });
    serve(
        service,
        metrics,
        Listeners {
            http,
            rtmp,
            rtmps,
            default_bucket,
            http_timeouts: args.http_timeouts,
        },
        shutdown,
    )
    .await
    .map_err(|e| e.to_string())?;
    // (The store itself outlives this: the service and the metrics hold
    // each other.)
    if let Some(store) = file_store {
        store.remove_spares();
    }
    Ok(())
}

/// The access keys of `--access-key` and then of `LIVECHANNEL_ACCESS_KEYS`
/// (comma-separated), each ID:SECRET; a later ID replaces an earlier one.
fn access_keys(flags: &[String]) -> Result<BTreeMap<String, String>, String> {
    let mut access_keys = BTreeMap::new();
    let env_keys = std::env::var("LIVECHANNEL_ACCESS_KEYS").unwrap_or_default();
    for pair in flags
        .iter()
        .map(String::as_str)
        .chain(env_keys.split(','))
        .filter(|p| !p.is_empty())
    {
        let (id, secret) = pair
            .split_once(':')
            .ok_or_else(|| format!("access key {pair:?} is not ID:SECRET"))?;
        access_keys.insert(id.to_owned(), secret.to_owned());
    }
    Ok(access_keys)
}

/// The store `--store` names, and the name the banner shows for it.
/// The store `--store` names, its name for the banner, and the file store
/// again if it is one (its spare files are removed at shutdown).
type OpenedStore = (Arc<dyn Store>, String, Option<FileStore>);

fn open_store(url: &str, options: FileOptions) -> Result<OpenedStore, String> {
    Ok(match url {
        "memory://" => (
            Arc::new(MemoryStore::with_system_clock()),
            "memory://".to_owned(),
            None,
        ),
        s if s.starts_with("s3://") => {
            let store = S3Store::from_url(s).map_err(|e| format!("--store {e}"))?;
            let name = store.to_string();
            (Arc::new(store), name, None)
        }
        s => {
            let dir = s.strip_prefix("file://").ok_or_else(|| {
                format!(
                    "--store {s}: use file://DIR, memory:// or s3://BUCKET?endpoint=URL&region=R"
                )
            })?;
            let store =
                FileStore::open_with(dir, options).map_err(|e| format!("--store {s}: {e}"))?;
            let jobs = if store.small_jobs_inline() {
                "small jobs inline"
            } else {
                "small jobs on the I/O threads"
            };
            (
                Arc::new(store.clone()),
                format!("{s} ({jobs})"),
                Some(store),
            )
        }
    })
}

/// Creates (or re-ACLs) each `--bucket NAME[:ACL]`, `demo:public-read-write`
/// when none is given, keeping an existing bucket's creation time. Returns
/// the bucket a request without one goes to: the only bucket in the
/// store, else the first one named.
async fn create_buckets(service: &Service, flags: &[String]) -> Result<Option<String>, String> {
    let specs = if flags.is_empty() {
        vec!["demo:public-read-write".to_owned()]
    } else {
        flags.to_vec()
    };
    let mut names = Vec::new();
    for spec in &specs {
        if spec.split(':').next() == Some("metrics") {
            return Err("--bucket metrics: the name is reserved for GET /metrics".to_owned());
        }
        let (name, acl) = match spec.split_once(':') {
            Some((n, a)) => (
                n,
                Acl::parse(a).ok_or_else(|| format!("--bucket {spec}: unknown acl {a}"))?,
            ),
            None => (spec.as_str(), Acl::Private),
        };
        let catalog = service.catalog();
        let existing = catalog.bucket(name).await.map_err(|e| e.to_string())?;
        let created_ms = existing.map_or_else(|| unix_ms(SystemTime::now()), |b| b.created_ms);
        let record = BucketRecord {
            name: name.to_owned(),
            acl,
            created_ms,
        };
        catalog
            .put_bucket(&record)
            .await
            .map_err(|e| e.to_string())?;
        names.push((name.to_owned(), acl));
    }
    let all = service
        .catalog()
        .buckets()
        .await
        .map_err(|e| e.to_string())?;
    Ok(if all.len() == 1 {
        Some(all[0].name.clone())
    } else {
        names.first().map(|(n, _)| n.clone())
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The addresses the listeners are bound to.
struct Addrs {
    http: std::net::SocketAddr,
    rtmp: std::net::SocketAddr,
    rtmps: Option<std::net::SocketAddr>,
}

/// How to use the server, printed at start: each command works pasted
/// into a shell as it is (`examples/tests/server_banner.rs` runs them).
fn banner(args: &Args, store: &str, addrs: Addrs, bucket: Option<&str>, open: bool) {
    let bucket = bucket.unwrap_or("demo");
    // Listening on every address: the commands go to this machine's loopback.
    let local = |mut addr: std::net::SocketAddr| {
        if addr.ip().is_unspecified() {
            addr.set_ip(if addr.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        addr
    };
    let (http, rtmp) = (local(addrs.http), local(addrs.rtmp));
    let (rtmps_listener, rtmps_push) = match addrs.rtmps.map(local) {
        Some(rtmps) => (
            format!(", RTMPS on rtmps://{rtmps}/"),
            format!(
                "\n  # or over TLS (RTMPS; recent ffmpeg checks the certificate: for a self-signed one add -ca_file CERT.pem or -tls_verify 0 before the URL)\n\
                 \x20 #   ... -f flv rtmps://{rtmps}/{bucket}/live/ch1\n"
            ),
        ),
        None => (String::new(), String::new()),
    };
    let channel = format!("http://{http}/{bucket}/ch1");
    eprintln!(
        "\nlivechannel-server: HTTP on http://{http}/ (OSS API, path style; virtual host under *.{domain}; web console at /), RTMP on rtmp://{rtmp}/ and on the HTTP port{rtmps_listener}, store {store}\n\
         \n  # create a channel (FragDuration 2 s, 3 segments in the live playlist){auth}\n\
         \x20 curl -X PUT '{channel}?live' -d '<LiveChannelConfiguration><Target><Type>HLS</Type><FragDuration>2</FragDuration><FragCount>3</FragCount></Target></LiveChannelConfiguration>'\n\
         \n  # push to it, at the URL its PublishUrls names (the HTTP port takes RTMP too; rtmp://{rtmp}/{bucket}/live/ch1 works as well)\n\
         \x20 ffmpeg -re -f lavfi -i testsrc2=size=640x360:rate=30 -f lavfi -i sine -c:v libx264 -preset veryfast -g 60 -c:a aac -f flv rtmp://{http}/{bucket}/live/ch1\n{rtmps_push}\
         \n  # play it live\n\
         \x20 ffplay {channel}/playlist.m3u8\n\
         \n  # during or after the push: store a VOD playlist of the last hour (PostVodPlaylist), then play it\n\
         \x20 curl -X POST \"{channel}/vod.m3u8?vod&startTime=$(($(date +%s)-3600))&endTime=$(date +%s)\"\n\
         \x20 ffplay {channel}/vod.m3u8\n",
        domain = args.domain,
        auth = if open { "" } else { " -- sign requests with your access key (e.g. with the oss2 SDK) unless the bucket is public-read-write" },
    );
}
