//! livechannel-server at the process's limits: a burst of connections
//! beyond its file descriptors makes accept fail (`EMFILE`); the server
//! keeps serving, and takes new connections once the burst has gone.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use common::have;
use common::server_process::{file_store, free_port, Server};

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
