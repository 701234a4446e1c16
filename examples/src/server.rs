//! `livechannel-server`: RTMP ingest, the OSS-compatible HTTP API and
//! playback, over a file or memory store.
//!
//! All protocol and storage logic is in the `livechannel` crate; this module
//! owns the sockets, the clock and the runtime: it reads RTMP bytes into a
//! [`ServerSession`], hands publishes to [`Service::publish`], and serves
//! each HTTP request with [`Service::handle`].

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use livechannel::{resolve_publish, IngestError, Publisher, Service};
use livechannel_rtmp::{PublishRejection, ServerConfig, ServerEvent, ServerSession};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::http_timeouts::{read_body, BodyError, Bound, Deadlines, HttpTimeouts, TimedIo};
use crate::metrics::Metrics;

/// Largest HTTP request body accepted (PutObject included).
const MAX_BODY: usize = 256 << 20;
/// How often a publisher checks whether its channel was disabled when no media arrives.
const TICK: Duration = Duration::from_millis(500);
/// A publisher that sends nothing for this long is dropped.
const IDLE_TIMEOUT: Duration = Duration::from_secs(20);
/// A write to a publisher that does not complete in this time ends the connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the listeners need to know.
#[derive(Debug)]
pub struct Listeners {
    /// The HTTP API listener.
    pub http: TcpListener,
    /// The RTMP ingest listener.
    pub rtmp: TcpListener,
    /// The bucket for `rtmp://IP/live/CHANNEL` pushes (no bucket in the URL).
    pub default_bucket: Option<String>,
    /// Bounds on slow and idle HTTP clients.
    pub http_timeouts: HttpTimeouts,
}

/// Waits with tokio's timer: the [`Sleep`](livechannel::store::Sleep)
/// that lets ingest back off between retries of a failed store write.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleep;

impl livechannel::store::Sleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> livechannel::store::BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Serve until `shutdown` turns true; then stop accepting, end every
/// publish (its last segment is stored and its playlist ended) and return.
/// `metrics` is served at `GET /metrics` and counts connections and requests.
pub async fn serve(
    service: Arc<Service>,
    metrics: Arc<Metrics>,
    listeners: Listeners,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let Listeners {
        http,
        rtmp,
        default_bucket,
        http_timeouts,
    } = listeners;
    let mut publishers = JoinSet::new();
    // RTMP connections found on the HTTP port come back here, so that
    // shutdown waits for them like for the others.
    let (rtmp_tx, mut sniffed) =
        tokio::sync::mpsc::unbounded_channel::<(TcpStream, SocketAddr, Instant)>();
    let mut seed = 0x5eed_u64;
    loop {
        let (socket, peer, accepted) = tokio::select! {
            accepted = http.accept() => {
                let Some((socket, peer)) = survive_accept_error(accepted).await else {
                    continue;
                };
                let (service, metrics, rtmp_tx) = (service.clone(), metrics.clone(), rtmp_tx.clone());
                tokio::spawn(async move {
                    // RTMP on the HTTP port too: oss2's sign_rtmp_url keeps the
                    // HTTP port (docs/oss-compatibility.md, "Push URLs"), and
                    // an RTMP handshake starts with 0x03, which no HTTP
                    // request does. The wait for that
                    // first byte is part of the first head's bound, which
                    // counts from here: one byte does not buy a second bound
                    // (nor, for RTMP, a second handshake bound).
                    let accepted = Instant::now();
                    let first_byte_by = accepted + http_timeouts.header();
                    let mut first = [0u8; 1];
                    let peeked = tokio::time::timeout_at(first_byte_by.into(), socket.peek(&mut first)).await;
                    let deadlines = Deadlines::new(http_timeouts, accepted);
                    match peeked {
                        Ok(Ok(1)) if first[0] == 0x03 => {
                            let _ = rtmp_tx.send((socket, peer, accepted));
                        }
                        Ok(Ok(_)) => http_connection(service, metrics, socket, deadlines).await,
                        Err(_) => metrics.http_timeout(Bound::Header.name()),
                        Ok(Err(_)) => {}
                    }
                });
                continue;
            }
            accepted = rtmp.accept() => match survive_accept_error(accepted).await {
                Some((socket, peer)) => (socket, peer, Instant::now()),
                None => continue,
            },
            Some(sniffed) = sniffed.recv() => sniffed,
            _ = shutdown.changed() => break,
            Some(_) = publishers.join_next(), if !publishers.is_empty() => continue,
        };
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        metrics.rtmp_connection();
        let connection = Connection {
            service: service.clone(),
            metrics: metrics.clone(),
            peer,
            default_bucket: default_bucket.clone(),
            seed,
            accepted,
        };
        let shutdown = shutdown.clone();
        publishers.spawn(async move {
            if let Err(e) = rtmp_connection(connection, socket, shutdown).await {
                tracing::warn!(%peer, "rtmp connection: {e}");
            }
        });
    }
    tracing::info!(
        "shutting down: ending {} rtmp connection(s)",
        publishers.len()
    );
    while publishers.join_next().await.is_some() {}
    Ok(())
}

/// Serve HTTP on `socket` until the client closes it or runs into a bound
/// of `deadlines` (see [`crate::http_timeouts`]).
async fn http_connection(
    service: Arc<Service>,
    metrics: Arc<Metrics>,
    socket: TcpStream,
    deadlines: Deadlines,
) {
    let _ = socket.set_nodelay(true);
    let body_pause = deadlines.timeouts().body();
    let deadlines = Arc::new(std::sync::Mutex::new(deadlines));
    let io = TimedIo::new(socket, deadlines.clone());
    let (handler_metrics, handler_deadlines) = (metrics.clone(), deadlines.clone());
    let handler = service_fn(move |request: hyper::Request<Incoming>| {
        let (service, metrics, deadlines) = (
            service.clone(),
            handler_metrics.clone(),
            handler_deadlines.clone(),
        );
        async move {
            crate::http_timeouts::lock(&deadlines).request();
            let response = respond(&service, &metrics, request, body_pause).await;
            crate::http_timeouts::lock(&deadlines).answered(Instant::now());
            Ok::<_, Infallible>(response)
        }
    });
    if let Err(e) = http1::Builder::new()
        .serve_connection(TokioIo::new(io), handler)
        .await
    {
        tracing::debug!("http connection: {e}");
    }
    let expired = crate::http_timeouts::lock(&deadlines).expired();
    if let Some(bound) = expired {
        metrics.http_timeout(bound.name());
    }
}

/// The answer to one HTTP request: the console, `/metrics`, or the API.
async fn respond(
    service: &Service,
    metrics: &Metrics,
    request: hyper::Request<Incoming>,
    body_pause: Duration,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    if let Some(response) = crate::console::respond(service, &parts).await {
        return response;
    }
    // `metrics` is a valid bucket name, but buckets are made by the
    // operator (--bucket), who is told it is reserved. On a bucket's
    // virtual host it is an object key.
    if parts.uri.path() == "/metrics"
        && parts.method == hyper::Method::GET
        && !crate::console::is_bucket_host(service, &parts)
    {
        return hyper::Response::builder()
            .header(hyper::header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)
            .header(hyper::header::CACHE_CONTROL, "no-cache")
            .body(Full::new(Bytes::from(metrics.render())))
            .unwrap_or_default();
    }
    let body = match read_body(body, MAX_BODY, body_pause).await {
        Ok(body) => body,
        // The rest of the body is not read: the connection cannot carry
        // another request.
        Err(e) => {
            let (status, code, message) = match e {
                BodyError::TooLarge => (413, "EntityTooLarge", "request body too large"),
                BodyError::Stalled => {
                    metrics.http_timeout(Bound::Body.name());
                    (
                        400,
                        "RequestTimeout",
                        "the request body stopped arriving; the connection is closed",
                    )
                }
                BodyError::Broken => (400, "IncompleteBody", "the request body was cut short"),
            };
            metrics.api_request("Invalid", status);
            return hyper::Response::builder()
                .status(status)
                .header(hyper::header::CONTENT_TYPE, "application/xml")
                .header(hyper::header::CONNECTION, "close")
                .body(Full::new(Bytes::from(format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>\n"
                ))))
                .unwrap_or_default();
        }
    };
    let response = service
        .handle(hyper::Request::from_parts(parts, body), SystemTime::now())
        .await;
    let operation = response
        .extensions()
        .get::<livechannel::api::Operation>()
        .map_or("Invalid", |op| op.name());
    metrics.api_request(operation, response.status().as_u16());
    response.map(Full::new)
}

/// What an RTMP connection task needs besides its socket.
struct Connection {
    service: Arc<Service>,
    metrics: Arc<Metrics>,
    peer: SocketAddr,
    default_bucket: Option<String>,
    seed: u64,
    /// When the connection was accepted: the handshake's bound counts from
    /// there, including the wait for the first byte on the HTTP port.
    accepted: Instant,
}

/// The accepted connection, or None after logging why accept failed and
/// pausing. Accept fails for reasons that pass: out of file descriptors
/// (`EMFILE`, until connections close), a connection reset before it was
/// taken. None of them is a reason to stop serving the publishers and
/// players already connected; the pause keeps a lasting one from spinning.
async fn survive_accept_error(
    accepted: std::io::Result<(TcpStream, SocketAddr)>,
) -> Option<(TcpStream, SocketAddr)> {
    match accepted {
        Ok(accepted) => Some(accepted),
        Err(e) => {
            tracing::warn!("accept: {e}");
            tokio::time::sleep(ACCEPT_PAUSE).await;
            None
        }
    }
}

/// How long to stop accepting after accept fails.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// One RTMP connection: handshake, connect, publish, media, end.
async fn rtmp_connection(
    connection: Connection,
    mut socket: TcpStream,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let Connection {
        service,
        metrics,
        peer,
        default_bucket,
        seed,
        accepted,
    } = connection;
    socket.set_nodelay(true)?;
    let config = ServerConfig {
        seed,
        idle_timeout: IDLE_TIMEOUT,
        ..ServerConfig::default()
    };
    let mut session = ServerSession::new(config, accepted);
    let mut tc_url: Option<String> = None;
    let mut publisher: Option<Publisher> = None;
    let mut ending = false;
    // One timer and one shutdown wait for the whole connection: making new
    // ones on every read cost a trip through tokio's timer wheel per read.
    // The timer is moved only to an earlier deadline; waking early is
    // harmless (the session checks its own deadlines), and it fires at
    // least every TICK to look at the channel's state.
    let timer = tokio::time::sleep(TICK);
    tokio::pin!(timer);
    let shutdown_signal = async move {
        let _ = shutdown.changed().await;
    };
    tokio::pin!(shutdown_signal);
    // The time of the last read or tick: one clock read per event. The
    // timer's deadline counts from it; it may lag a little (a store write
    // in between), which only wakes the timer early.
    let mut now = Instant::now();
    loop {
        while let Some(bytes) = session.poll_transmit() {
            // A publisher that stops reading (acks, pings) must not hold the task forever.
            match tokio::time::timeout(WRITE_TIMEOUT, socket.write_all(&bytes)).await {
                Ok(written) => written?,
                Err(_) => {
                    session.close("write timeout");
                    break;
                }
            }
        }
        if session.is_closed() {
            break;
        }
        let wanted = session
            .poll_timeout()
            .map_or(now + TICK, |d| d.min(now + TICK));
        if timer.is_elapsed() || wanted < timer.deadline().into_std() {
            timer.as_mut().reset(tokio::time::Instant::from_std(wanted));
        }
        tokio::select! {
            // Read straight into the session's buffer (no copy through ours):
            // up to 16 KiB a read, ample for a few Mb/s. `read_buf`, not
            // `readable` + `try_read_buf`: after a short read tokio knows the
            // socket is drained, where `try_read_buf` needs a second recv
            // that fails with EAGAIN (a third of all recv calls under load).
            read = socket.read_buf(session.input_buffer(16 * 1024)) => match read {
                // The buffer has room, so 0 is the end of the stream.
                Ok(0) => session.handle_eof(),
                // A protocol error also arrives as a Closed event below.
                Ok(n) => {
                    now = Instant::now();
                    metrics.rtmp_bytes(n);
                    let _ = session.handle_received(n, now);
                }
                Err(_) => session.handle_eof(),
            },
            _ = &mut timer => {
                now = Instant::now();
                session.handle_timeout(now);
                // Looked at on the tick, not on every read: the channel's
                // record is shared and cold by the time the next read comes.
                if publisher.as_ref().is_some_and(Publisher::is_disabled) && !ending {
                    ending = true;
                    session.end_publish("the live channel was disabled");
                }
            }
            _ = &mut shutdown_signal, if !ending => {
                ending = true;
                session.end_publish("server shutting down");
            }
        }
        // One wall-clock time for all the messages of one read.
        let wall = SystemTime::now();
        while let Some(event) = session.poll_event() {
            match event {
                ServerEvent::ConnectRequested {
                    request,
                    tc_url: url,
                    ..
                } => {
                    tc_url = url;
                    let _ = session.accept_connect(request);
                }
                ServerEvent::PublishRequested {
                    request,
                    app,
                    stream_name,
                    query,
                    ..
                } => {
                    let domain = service.config().domain.clone();
                    let target = resolve_publish(
                        tc_url.as_deref(),
                        &app,
                        &stream_name,
                        query.as_deref(),
                        domain.as_deref(),
                        default_bucket.as_deref(),
                    );
                    let request_info = match target {
                        Ok(address) => address.into_request(peer.to_string()),
                        Err(e) => {
                            tracing::info!(%peer, "publish refused: {e}");
                            let _ = session.reject_publish(
                                request,
                                PublishRejection::BadName,
                                &e.to_string(),
                            );
                            continue;
                        }
                    };
                    match service.publish(request_info, SystemTime::now()).await {
                        Ok(p) => {
                            tracing::info!(%peer, bucket = p.bucket(), channel = p.channel(), "publishing");
                            publisher = Some(p);
                            let _ = session.accept_publish(request);
                        }
                        Err(e) => {
                            tracing::info!(%peer, "publish refused: {e}");
                            let (code, description) = e.rtmp_status();
                            let rejection = if code.ends_with("Denied") {
                                PublishRejection::Denied
                            } else {
                                PublishRejection::BadName
                            };
                            let _ = session.reject_publish(request, rejection, &description);
                        }
                    }
                }
                ServerEvent::Audio {
                    timestamp, data, ..
                } => {
                    if let Some(p) = publisher.as_mut() {
                        ingest(
                            p.audio(timestamp, data, wall).await,
                            &mut session,
                            &mut ending,
                        );
                        // Once per publish (e.g. MP3 audio dropped): the
                        // publisher cannot hear it, the operator must.
                        while let Some(w) = p.poll_warning() {
                            tracing::warn!(%peer, "{}/{}: {w}", p.bucket(), p.channel());
                        }
                    }
                }
                ServerEvent::Video {
                    timestamp, data, ..
                } => {
                    if let Some(p) = publisher.as_mut() {
                        ingest(
                            p.video(timestamp, data, wall).await,
                            &mut session,
                            &mut ending,
                        );
                    }
                }
                ServerEvent::Unpublished { .. } => {
                    if let Some(p) = publisher.take() {
                        finish(p).await;
                    }
                }
                ServerEvent::Closed { reason } => {
                    tracing::info!(%peer, ?reason, "rtmp session closed")
                }
                _ => {}
            }
        }
    }
    if let Some(p) = publisher.take() {
        finish(p).await;
    }
    Ok(())
}

fn ingest(result: Result<(), IngestError>, session: &mut ServerSession, ending: &mut bool) {
    if let Err(e) = result {
        if !*ending {
            *ending = true;
            tracing::info!("ending publish: {e}");
            session.end_publish(&e.to_string());
        }
    }
}

async fn finish(publisher: Publisher) {
    let (bucket, channel) = (
        publisher.bucket().to_owned(),
        publisher.channel().to_owned(),
    );
    match publisher.finish(SystemTime::now()).await {
        Ok(()) => tracing::info!(bucket, channel, "publish ended"),
        Err(e) => tracing::warn!(bucket, channel, "publish ended with an error: {e}"),
    }
}
