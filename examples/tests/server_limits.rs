//! livechannel-server at the process's limits: a burst of connections
//! beyond its file descriptors makes accept fail (`EMFILE`); the server
//! keeps serving, and takes new connections once the burst has gone. Slow
//! and idle clients are bounded (a request head, a keep-alive pause, a
//! stalled body, a response nobody reads, a stalled RTMP handshake) while
//! a publish and other requests go on undisturbed.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::fixture;
use common::server_process::{create, file_store, free_port, Server};
use livechannel_testkit::have;

/// At most 64 open files: enough to start and serve, few enough for a
/// burst of 100 connections to run out.
fn few_file_descriptors(cmd: &mut Command) {
    // SAFETY: setrlimit is async-signal-safe and touches no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 64,
                rlim_max: 64,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[test]
fn running_out_of_file_descriptors_does_not_stop_the_server() {
    if !have("curl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (http, rtmp) = (free_port(), free_port());
    let mut server = Server::start_with(&file_store(dir.path()), http, rtmp, few_file_descriptors);

    // The kernel completes all 100 (listen backlog); the server accepts
    // until it has no descriptor left, and accept then fails.
    let burst: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(("127.0.0.1", rtmp)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server exited when accept failed"
    );
    drop(burst);

    // Still serving: the API answers, and a new RTMP connection gets the
    // server's handshake (S0 is the version, 3).
    server.wait(10, "the API to answer after the burst", || {
        server.get("/demo/?live").0 == 200
    });
    let mut rtmp_conn = TcpStream::connect(("127.0.0.1", rtmp)).unwrap();
    rtmp_conn
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut c0c1 = vec![3u8];
    c0c1.resize(1 + 1536, 0);
    rtmp_conn.write_all(&c0c1).unwrap();
    let mut s0 = [0u8; 1];
    rtmp_conn.read_exact(&mut s0).unwrap();
    assert_eq!(s0[0], 3, "RTMP version in S0");
    assert!(server.child.try_wait().unwrap().is_none());
}

/// The server with `flags` added to its command line.
fn start_with_flags(dir: &std::path::Path, flags: &[&str]) -> Server {
    let (http, rtmp) = (free_port(), free_port());
    Server::start_with(&file_store(dir), http, rtmp, |cmd| {
        cmd.args(flags);
    })
}

/// A connection to `port` with a read timeout well past every bound tested.
fn connect(port: u16) -> TcpStream {
    let socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    socket
}

/// Read until the server closes `socket` (end of stream or reset); what
/// was read and when it closed, counted from `since`. Fails when it is
/// still open after the read timeout.
fn read_until_closed(socket: &mut TcpStream, since: Instant) -> (Vec<u8>, Duration) {
    let mut data = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match socket.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("still open after {:?}: {e}", since.elapsed()),
        }
    }
    (data, since.elapsed())
}

/// One response on a kept-alive connection: its head and body.
fn read_response(socket: &mut TcpStream) -> (String, Vec<u8>) {
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") {
        assert_eq!(socket.read(&mut byte).unwrap(), 1, "closed mid-head");
        data.push(byte[0]);
    }
    let head = String::from_utf8(data).unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    socket.read_exact(&mut body).unwrap();
    (head, body)
}

/// `livechannel_http_timeouts_total{bound="BOUND"}` from `/metrics`.
fn timeouts(server: &Server, bound: &str) -> u64 {
    let metrics = server.get("/metrics").1;
    let prefix = format!("livechannel_http_timeouts_total{{bound=\"{bound}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map_or(0, |v| v.trim().parse().unwrap())
}

/// A publish of the 8 s fixture twice over (16 s, real time) to `demo/CHANNEL`.
fn publish(server: &Server, channel: &str) -> Child {
    Command::new("ffmpeg")
        .args(["-v", "error", "-re", "-stream_loop", "1", "-i"])
        .arg(fixture("high_bframes_gop2s_aac44k.flv"))
        .args(["-c", "copy", "-f", "flv"])
        .arg(format!(
            "rtmp://127.0.0.1:{}/demo/live/{channel}",
            server.rtmp
        ))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ffmpeg")
}

/// While `slow` holds its connections: the publish to `channel` stays
/// live, and API requests are answered within a second. Then the publish
/// ends cleanly with its segments stored. `check` looks at what `slow`
/// found first: when a bound is not kept, that is the failure to report,
/// not the publish ending before the slow connections did.
fn undisturbed<T>(
    server: &Server,
    channel: &str,
    slow: impl FnOnce() -> T,
    check: impl FnOnce(&T),
) -> T {
    create(server, channel);
    let mut push = publish(server, channel);
    let stat = format!("/demo/{channel}?live&comp=stat");
    server.wait(10, "the publish to be live", || {
        server.get(&stat).1.contains("<Status>Live</Status>")
    });
    let done = std::sync::atomic::AtomicBool::new(false);
    let (result, answers) = std::thread::scope(|scope| {
        let checker = scope.spawn(|| {
            let mut slowest = Duration::ZERO;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let asked = Instant::now();
                let (status, body) = server.get(&stat);
                slowest = slowest.max(asked.elapsed());
                if status != 200 || !body.contains("<Status>Live</Status>") {
                    return Err(format!("{status} {body}"));
                }
                std::thread::sleep(Duration::from_millis(250));
            }
            Ok(slowest)
        });
        let result = slow();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        (result, checker.join().unwrap())
    });
    check(&result);
    let slowest = answers.expect("the publish stayed live and the API answered");
    assert!(
        slowest < Duration::from_secs(1),
        "an API request took {slowest:?}"
    );
    assert!(push.wait().unwrap().success(), "the publish failed");
    server.wait_ended(channel);
    server.check_playlist(channel);
    result
}

/// The time from `since` until the server closes `socket`, from a thread.
fn closes<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    mut socket: TcpStream,
    since: Instant,
) -> std::thread::ScopedJoinHandle<'scope, Duration> {
    scope.spawn(move || read_until_closed(&mut socket, since).1)
}

#[test]
fn slow_request_heads_and_stalled_rtmp_handshakes_are_closed_after_10_s() {
    if !have("curl") || !have("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = start_with_flags(dir.path(), &[]);
    let slow = || {
        std::thread::scope(|scope| {
            let start = Instant::now();
            // Nothing at all.
            let silent = closes(scope, connect(server.http), start);
            // Half a request head.
            let mut half = connect(server.http);
            half.write_all(b"GET /demo/?live HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .unwrap();
            let half = closes(scope, half, start);
            // One byte: enough for the RTMP sniff, and no second bound.
            let mut one = connect(server.http);
            one.write_all(b"G").unwrap();
            let one = closes(scope, one, start);
            // One byte late: the wait for it counts in the head's bound.
            let late = connect(server.http);
            let mut late_writer = late.try_clone().unwrap();
            let late = closes(scope, late, start);
            scope.spawn(move || {
                std::thread::sleep(Duration::from_secs(5));
                let _ = late_writer.write_all(b"G");
            });
            // A byte every half second: a head that never ends.
            let trickle = connect(server.http);
            let trickled = trickle.try_clone().unwrap();
            let trickle = closes(scope, trickle, start);
            scope.spawn(move || {
                let mut trickled = trickled;
                for byte in b"GET /demo/?live HTTP/1.1\r\nX-Slow: ".iter().cycle() {
                    std::thread::sleep(Duration::from_millis(500));
                    if trickled.write_all(&[*byte]).is_err()
                        || start.elapsed() > Duration::from_secs(25)
                    {
                        break;
                    }
                }
            });
            // A complete request, answered; then a slow second head,
            // bounded from its first byte.
            let mut second = connect(server.http);
            second
                .write_all(b"GET /demo/?live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .unwrap();
            assert!(read_response(&mut second).0.starts_with("HTTP/1.1 200"));
            std::thread::sleep(Duration::from_secs(2));
            second.write_all(b"GET /demo/?live HTTP/1.1\r\n").unwrap();
            let second = closes(scope, second, Instant::now());
            // Half an RTMP handshake, on the RTMP port and on the HTTP port.
            let (mut rtmp, connected) = (connect(server.rtmp), Instant::now());
            rtmp.write_all(&[3; 700]).unwrap();
            let rtmp = closes(scope, rtmp, connected);
            let (mut rtmp_on_http, connected) = (connect(server.http), Instant::now());
            rtmp_on_http.write_all(&[3; 700]).unwrap();
            let rtmp_on_http = closes(scope, rtmp_on_http, connected);
            // The same, its first byte 5 s late: the handshake's bound
            // counts from the connect.
            let (late_rtmp, connected) = (connect(server.http), Instant::now());
            let mut late_rtmp_writer = late_rtmp.try_clone().unwrap();
            let late_rtmp = closes(scope, late_rtmp, connected);
            scope.spawn(move || {
                std::thread::sleep(Duration::from_secs(5));
                let _ = late_rtmp_writer.write_all(&[3; 700]);
            });
            [
                silent,
                half,
                one,
                late,
                trickle,
                second,
                rtmp,
                rtmp_on_http,
                late_rtmp,
            ]
            .map(|t| t.join().unwrap())
        })
    };
    let names = [
        "silent",
        "half a head",
        "one byte",
        "one byte after 5 s",
        "trickled head",
        "second head",
        "rtmp handshake",
        "rtmp handshake on the http port",
        "rtmp handshake on the http port, 5 s late",
    ];
    undisturbed(&server, "pub", slow, |closed| {
        for (name, at) in names.iter().zip(closed) {
            eprintln!("{name}: closed after {at:?}");
            // Each counted from its connect, or for the second head from its first byte.
            let (earliest, latest) = (9.5, 12.5);
            assert!(
                (earliest..latest).contains(&at.as_secs_f64()),
                "{name}: closed after {at:?}, not within {earliest}..{latest} s"
            );
        }
    });
    // Silent, half, one byte, late byte, trickled, second head.
    assert_eq!(timeouts(&server, "header"), 6);
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_its_own_bound() {
    if !have("curl") || !have("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The idle bound longer than the head's: a keep-alive pause is not
    // taken for a slow head.
    let server = start_with_flags(
        dir.path(),
        &[
            "--http-header-timeout-secs",
            "2",
            "--http-idle-timeout-secs",
            "5",
        ],
    );
    let slow = || {
        let mut socket = connect(server.http);
        let request = b"GET /demo/?live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        socket.write_all(request).unwrap();
        assert!(read_response(&mut socket).0.starts_with("HTTP/1.1 200"));
        // Kept alive past the head's bound, and a new request restarts the wait.
        std::thread::sleep(Duration::from_secs(4));
        socket.write_all(request).unwrap();
        assert!(read_response(&mut socket).0.starts_with("HTTP/1.1 200"));
        let answered = Instant::now();
        let (rest, closed) = read_until_closed(&mut socket, answered);
        assert!(rest.is_empty());
        closed
    };
    undisturbed(&server, "pub", slow, |closed| {
        assert!(
            (4.5..7.0).contains(&closed.as_secs_f64()),
            "idle connection closed after {closed:?}, not about 5 s"
        );
    });
    assert_eq!(timeouts(&server, "idle"), 1);
}

#[test]
fn a_stalled_body_and_an_unread_response_are_abandoned() {
    if !have("curl") || !have("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = start_with_flags(dir.path(), &["--http-body-timeout-secs", "2"]);
    // A 32 MiB object, more than the socket buffers hold.
    let big = dir.path().join("big");
    std::fs::write(&big, vec![7u8; 32 << 20]).unwrap();
    let status = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-T"])
        .arg(&big)
        .arg(server.url("/demo/big"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&status.stdout), "200");

    let slow = || {
        std::thread::scope(|scope| {
            // 100 bytes of a 1000-byte body, then nothing.
            let mut body = connect(server.http);
            body.write_all(
                b"PUT /demo/stalled HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n",
            )
            .unwrap();
            body.write_all(&[b'x'; 100]).unwrap();
            let sent = Instant::now();
            let stalled = scope.spawn(move || read_until_closed(&mut body, sent));
            // The big object asked for and never read.
            let mut unread = connect(server.http);
            unread
                .write_all(b"GET /demo/big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .unwrap();
            let asked = Instant::now();
            std::thread::sleep(Duration::from_secs(5));
            let (data, _) = read_until_closed(&mut unread, asked);
            (stalled.join().unwrap(), data.len())
        })
    };
    undisturbed(&server, "pub", slow, |((answer, after), unread)| {
        let answer = String::from_utf8_lossy(answer);
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert!(answer.contains("<Code>RequestTimeout</Code>"), "{answer}");
        assert!(
            (1.5..4.0).contains(&after.as_secs_f64()),
            "stalled body abandoned after {after:?}, not about 2 s"
        );
        assert!(
            *unread < 32 << 20,
            "the whole unread response was sent: {unread}"
        );
    });
    assert_eq!(
        server.get("/demo/stalled").0,
        404,
        "a partial body was stored"
    );
    assert_eq!(
        (timeouts(&server, "body"), timeouts(&server, "write")),
        (1, 1)
    );

    // A body announced larger than the limit is refused before it is sent.
    let mut huge = connect(server.http);
    huge.write_all(
        b"PUT /demo/huge HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000000\r\n\r\n",
    )
    .unwrap();
    let (answer, _) = read_until_closed(&mut huge, Instant::now());
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 413"));
}
