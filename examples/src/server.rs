//! `livechannel-server`: RTMP ingest, the OSS-compatible HTTP API and
//! playback, over a file or memory store.
//!
//! All protocol and storage logic is in the `livechannel` crate; this module
//! owns the sockets, the clock and the runtime: it reads RTMP bytes into a
//! [`livechannel::Connection`] (the RTMP session and the publisher behind
//! it) through [`rtmp_socket::drive`], and serves each HTTP request with
//! [`Service::handle`].

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
use livechannel::{ConnectionConfig, ConnectionEvent, Service};
use livechannel_rtmp::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::http_timeouts::{read_body, BodyError, Bound, Deadlines, HttpTimeouts, TimedIo};
use crate::metrics::Metrics;
use crate::read_gather::GatherSocket;
use crate::rtmp_socket::{self, DriveOptions, Driven};

/// Largest HTTP request body accepted (PutObject included).
const MAX_BODY: usize = 256 << 20;
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
    /// The RTMPS ingest listener (`--rtmps`), if any.
    pub rtmps: Option<RtmpsListener>,
    /// The bucket for `rtmp://IP/live/CHANNEL` pushes (no bucket in the URL).
    pub default_bucket: Option<String>,
    /// Bounds on slow and idle HTTP clients.
    pub http_timeouts: HttpTimeouts,
}

/// The RTMPS listener: TLS with the certificate in use when a connection
/// is accepted, then the same ingest as plain RTMP.
#[derive(Debug)]
pub struct RtmpsListener {
    /// Where TLS connections are accepted.
    pub listener: TcpListener,
    /// The certificate (reloaded on SIGHUP by the command line).
    pub certificate: Arc<crate::tls::Certificate>,
}

/// What an accepted RTMP connection speaks.
enum Transport {
    /// RTMP from the first byte.
    Plain,
    /// TLS first, RTMP inside it.
    Tls(tokio_rustls::TlsAcceptor),
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
        rtmps,
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
        let (socket, peer, accepted, transport) = tokio::select! {
            accepted = http.accept() => {
                let Some((socket, peer)) = survive_accept_error(accepted).await else {
                    continue;
                };
                let (service, metrics, rtmp_tx) = (service.clone(), metrics.clone(), rtmp_tx.clone());
                tokio::spawn(http_port_connection(service, metrics, socket, peer, rtmp_tx, http_timeouts));
                continue;
            }
            accepted = rtmp.accept() => match survive_accept_error(accepted).await {
                Some((socket, peer)) => (socket, peer, Instant::now(), Transport::Plain),
                None => continue,
            },
            accepted = accept_tls(rtmps.as_ref()) => match survive_accept_error(accepted).await {
                // The certificate in use now, for this connection.
                Some((socket, peer)) => match &rtmps {
                    Some(l) => (socket, peer, Instant::now(), Transport::Tls(l.certificate.acceptor())),
                    None => continue,
                },
                None => continue,
            },
            Some((socket, peer, accepted)) = sniffed.recv() => (socket, peer, accepted, Transport::Plain),
            _ = shutdown.changed() => break,
            Some(_) = publishers.join_next(), if !publishers.is_empty() => continue,
        };
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        metrics.rtmp_connection();
        let connection = Accepted {
            service: service.clone(),
            metrics: metrics.clone(),
            peer,
            default_bucket: default_bucket.clone(),
            seed,
            accepted,
        };
        let shutdown = shutdown.clone();
        publishers.spawn(rtmp_task(connection, socket, transport, shutdown));
    }
    tracing::info!(
        "shutting down: ending {} rtmp connection(s)",
        publishers.len()
    );
    while publishers.join_next().await.is_some() {}
    Ok(())
}

/// A connection to the HTTP port: HTTP, or RTMP (sent back to `serve` on
/// `rtmp_tx`, so that shutdown waits for it like for the others).
async fn http_port_connection(
    service: Arc<Service>,
    metrics: Arc<Metrics>,
    socket: TcpStream,
    peer: SocketAddr,
    rtmp_tx: tokio::sync::mpsc::UnboundedSender<(TcpStream, SocketAddr, Instant)>,
    http_timeouts: HttpTimeouts,
) {
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
        // 0x16 starts a TLS ClientHello: RTMPS sent here
        // goes to the RTMP session, which logs that it came
        // to a plain port (as on the RTMP port).
        Ok(Ok(1)) if first[0] == 0x03 || first[0] == 0x16 => {
            let _ = rtmp_tx.send((socket, peer, accepted));
        }
        Ok(Ok(_)) => http_connection(service, metrics, socket, deadlines).await,
        Err(_) => metrics.http_timeout(Bound::Header.name()),
        Ok(Err(_)) => {}
    }
}

/// One accepted RTMP or RTMPS connection, to its end.
async fn rtmp_task(
    connection: Accepted,
    socket: TcpStream,
    transport: Transport,
    shutdown: watch::Receiver<bool>,
) {
    let peer = connection.peer;
    // Before TLS wraps it: acks and pings must not wait for Nagle.
    if let Err(e) = socket.set_nodelay(true) {
        tracing::debug!(%peer, "rtmp connection: {e}");
        return;
    }
    let driven = match transport {
        Transport::Plain => rtmp_connection(connection, socket, shutdown).await,
        Transport::Tls(acceptor) => rtmps_connection(connection, socket, acceptor, shutdown).await,
    };
    if let Err(e) = driven {
        tracing::warn!(%peer, "rtmp connection: {e}");
    }
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
struct Accepted {
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

/// The next connection on the RTMPS listener; never, without one.
async fn accept_tls(rtmps: Option<&RtmpsListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match rtmps {
        Some(rtmps) => rtmps.listener.accept().await,
        None => std::future::pending().await,
    }
}

/// The RTMP session's configuration (its handshake bound bounds a TLS
/// handshake too).
fn session_config(seed: u64) -> ServerConfig {
    ServerConfig {
        seed,
        idle_timeout: IDLE_TIMEOUT,
        ..ServerConfig::default()
    }
}

/// How long to stop accepting after accept fails.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// One RTMP connection, over TCP or TLS: the [`livechannel::Connection`]
/// does the work, [`rtmp_socket::drive`] the I/O; this logs what happened.
async fn rtmp_connection<S: AsyncRead + AsyncWrite + GatherSocket + Unpin>(
    connection: Accepted,
    mut socket: S,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let Accepted {
        service,
        metrics,
        peer,
        default_bucket,
        seed,
        accepted,
    } = connection;
    let config = ConnectionConfig {
        session: session_config(seed),
        peer: peer.to_string(),
        default_bucket,
    };
    let mut ingest = Ingest {
        conn: livechannel::Connection::new(service, config, accepted),
        peer,
    };
    let options = DriveOptions {
        write_timeout: WRITE_TIMEOUT,
        shutdown: Some(shutdown),
    };
    let driven =
        rtmp_socket::drive(&mut ingest, &mut socket, options, |n| metrics.rtmp_bytes(n)).await;
    // However the socket ended, the publish is stored to its end.
    ingest.conn.finish(SystemTime::now()).await;
    ingest.log_events();
    driven
}

/// One RTMPS connection: the TLS handshake, then [`rtmp_connection`] over
/// the TLS stream. The TLS handshake has the RTMP handshake's bound, from
/// the accept: both must be done by then. A handshake that fails or runs
/// out of time ends this connection only, logged at info; shutting down
/// ends one in progress at once.
async fn rtmps_connection(
    connection: Accepted,
    socket: TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let peer = connection.peer;
    let bound = session_config(0).handshake_timeout;
    let handshake = tokio::time::timeout_at(
        (connection.accepted + bound).into(),
        acceptor.accept(socket),
    );
    let mut stop = shutdown.clone();
    let tls = tokio::select! {
        done = handshake => done,
        _ = stop.changed() => return Ok(()),
    };
    match tls {
        Ok(Ok(tls)) => rtmp_connection(connection, tls, shutdown).await,
        Ok(Err(e)) => {
            tracing::info!(%peer, "rtmps: TLS handshake failed: {e}");
            Ok(())
        }
        Err(_) => {
            tracing::info!(%peer, "rtmps: TLS handshake not complete after {bound:?}");
            Ok(())
        }
    }
}

/// A [`livechannel::Connection`] whose events go to the log.
struct Ingest {
    conn: livechannel::Connection,
    peer: SocketAddr,
}

impl Ingest {
    fn log_events(&mut self) {
        let peer = self.peer;
        while let Some(event) = self.conn.poll_event() {
            match event {
                ConnectionEvent::Publishing { bucket, channel } => {
                    tracing::info!(%peer, bucket, channel, "publishing")
                }
                ConnectionEvent::Refused { refusal } => {
                    tracing::info!(%peer, "publish refused: {refusal}")
                }
                // Once per publish (e.g. MP3 audio dropped): the publisher
                // cannot hear it, the operator must.
                ConnectionEvent::Warning {
                    bucket,
                    channel,
                    warning,
                } => tracing::warn!(%peer, "{bucket}/{channel}: {warning}"),
                ConnectionEvent::Ending { error, .. } => {
                    tracing::info!(%peer, "ending publish: {error}")
                }
                ConnectionEvent::Finished {
                    bucket,
                    channel,
                    reason,
                    result: Ok(()),
                } => tracing::info!(bucket, channel, "publish ended: {reason}"),
                ConnectionEvent::Finished {
                    bucket,
                    channel,
                    reason,
                    result: Err(e),
                } => tracing::warn!(
                    bucket,
                    channel,
                    "publish ended ({reason}); storing its end failed: {e}"
                ),
                ConnectionEvent::Closed { reason }
                    if matches!(
                        reason.error(),
                        Some(livechannel_rtmp::Error::TlsOnPlainPort)
                    ) =>
                {
                    tracing::info!(
                        %peer,
                        "TLS on a plain RTMP port; use the rtmps listener (--rtmps)"
                    )
                }
                ConnectionEvent::Closed { reason } => {
                    tracing::info!(%peer, ?reason, "rtmp session closed")
                }
                _ => {}
            }
        }
    }
}

impl Driven for Ingest {
    fn input_buffer(&mut self, room: usize) -> &mut bytes::BytesMut {
        self.conn.input_buffer(room)
    }
    fn handle_received(&mut self, n: usize, now: Instant) {
        self.conn.handle_received(n, now)
    }
    fn handle_eof(&mut self) {
        self.conn.handle_eof()
    }
    fn handle_peer_closed(&mut self) {
        self.conn.handle_peer_closed()
    }
    fn peer_close_wanted(&self) -> bool {
        self.conn.republish_waiting()
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.conn.handle_timeout(now)
    }
    fn shut_down(&mut self, reason: &str) {
        self.conn.shut_down(reason)
    }
    fn close(&mut self, reason: &str) {
        self.conn.close(reason)
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.conn.poll_transmit()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.conn.poll_timeout()
    }
    fn is_closed(&self) -> bool {
        self.conn.is_closed()
    }
    fn read_hint(&self) -> livechannel::ReadHint {
        self.conn.read_hint()
    }
    async fn process(&mut self, wall: SystemTime) -> std::io::Result<()> {
        self.conn.process(wall).await;
        self.log_events();
        Ok(())
    }
}
