//! livechannel-server's RTMPS listener (`--rtmps`), against FFmpeg 9 (the
//! imageio-ffmpeg build, which checks the server's certificate: the tests
//! give it the test certificate with `-ca_file`) and a rustls client:
//! a push over TLS stores every frame; plain RTMP, garbage and a stalled
//! handshake on the TLS port end only that connection, while a push goes
//! on; TLS on the plain ports is logged as such; SIGHUP reloads the
//! certificate for new connections.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::tls_server::{write_certificate, TlsServer};
use common::{ffmpeg9_tools, fixture};
use livechannel_testkit::ffprobe::count_frames;
use livechannel_testkit::have;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};

/// The fixture pushed: 8 s, 240 video and 346 audio frames.
const SOURCE: &str = "high_bframes_gop2s_aac44k.flv";

impl TlsServer {
    /// FFmpeg 9 pushing the fixture to `demo/live/CHANNEL` over RTMPS,
    /// checking the server's certificate (ffmpeg checks by default) against
    /// the test's own (`-ca_file`).
    fn push(&self, ffmpeg: &Path, channel: &str, realtime: bool) -> Child {
        let mut cmd = Command::new(ffmpeg);
        cmd.args(["-hide_banner", "-v", "error"]);
        if realtime {
            cmd.arg("-re");
        }
        cmd.arg("-i")
            .arg(fixture(SOURCE))
            .args(["-c", "copy", "-ca_file"])
            .arg(&self.cert)
            .args(["-f", "flv", &self.url(channel)])
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ffmpeg 9")
    }

    /// After the push to `channel` ended: the live playlist is ended and
    /// ffprobe reads every frame of the fixture through it.
    fn assert_complete(&self, channel: &str) {
        self.server.wait_ended(channel);
        let playlist = format!("/demo/{channel}/playlist.m3u8");
        let (video, audio, errors) = count_frames(Path::new(&self.server.url(&playlist)));
        assert_eq!(errors.trim(), "");
        assert_eq!((video, audio), (240, 346), "{channel}");
    }
}

#[test]
fn ffmpeg9_pushes_over_rtmps_and_every_frame_is_stored() {
    let Some(ffmpeg) = ffmpeg9_tools() else {
        return;
    };
    let (_dir, server) = TlsServer::start_new();
    server.create("tls");
    let push = server
        .push(&ffmpeg, "tls", false)
        .wait_with_output()
        .unwrap();
    assert!(
        push.status.success(),
        "ffmpeg: {}\nserver: {}",
        String::from_utf8_lossy(&push.stderr),
        server.log()
    );
    server.wait_for_log("the publish", &["publishing", "channel=\"tls\""]);
    server.assert_complete("tls");
}

/// Reads until the peer closes (or fails the read); panics if that takes
/// longer than `within`. Returns when it closed, from `since`.
fn closed_within(socket: &mut TcpStream, within: Duration, since: Instant) -> Duration {
    socket.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match socket.read(&mut buf) {
            Ok(0) => return since.elapsed(),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                panic!("still open after {:?}", since.elapsed())
            }
            Err(_) => return since.elapsed(),
        }
    }
}

#[test]
fn bad_tls_ends_only_its_connection_and_tls_on_plain_ports_is_named() {
    let Some(ffmpeg) = ffmpeg9_tools() else {
        return;
    };
    let (_dir, server) = TlsServer::start_new();
    server.create("steady");
    // A push in real time (8 s) that everything below must leave alone.
    let push = server.push(&ffmpeg, "steady", true);
    server.wait_for_log("the publish", &["publishing", "channel=\"steady\""]);

    // A stalled TLS handshake: the record header of a ClientHello, then
    // nothing. Closed at the RTMP handshake's bound, 10 s.
    let stalled_at = Instant::now();
    let mut stalled = TcpStream::connect(("127.0.0.1", server.rtmps)).unwrap();
    stalled.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00]).unwrap();
    let stalled_peer = stalled.local_addr().unwrap().to_string();

    // Plain RTMP (C0 C1) on the TLS port: refused by TLS, closed at once.
    let mut plain = TcpStream::connect(("127.0.0.1", server.rtmps)).unwrap();
    let mut c0c1 = vec![3u8];
    c0c1.resize(1 + 1536, 0);
    plain.write_all(&c0c1).unwrap();
    let plain_peer = plain.local_addr().unwrap().to_string();
    closed_within(&mut plain, Duration::from_secs(5), Instant::now());
    server.wait_for_log(
        "plain RTMP on the TLS port logged",
        &["INFO", "TLS handshake failed", &plain_peer],
    );

    // Garbage (an HTTP request) on the TLS port.
    let mut garbage = TcpStream::connect(("127.0.0.1", server.rtmps)).unwrap();
    garbage
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let garbage_peer = garbage.local_addr().unwrap().to_string();
    closed_within(&mut garbage, Duration::from_secs(5), Instant::now());
    server.wait_for_log(
        "garbage on the TLS port logged",
        &["INFO", "TLS handshake failed", &garbage_peer],
    );

    // A TLS client on the plain RTMP port and on the HTTP port (which takes
    // RTMP too): closed, and the log says what happened.
    for port in [server.server.rtmp, server.server.http] {
        let (recorder, _) = recording_client();
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let peer = tcp.local_addr().unwrap().to_string();
        let mut conn =
            ClientConnection::new(recorder, ServerName::try_from("localhost").unwrap()).unwrap();
        let mut handshake = Ok((0, 0));
        while conn.is_handshaking() && handshake.is_ok() {
            handshake = conn.complete_io(&mut tcp);
        }
        assert!(handshake.is_err(), "a TLS handshake on plain port {port}");
        server.wait_for_log(
            "TLS on a plain port logged",
            &[
                "INFO",
                "TLS on a plain RTMP port; use the rtmps listener (--rtmps)",
                &peer,
            ],
        );
    }

    let took = closed_within(&mut stalled, Duration::from_secs(15), stalled_at);
    assert!(
        took >= Duration::from_secs(9) && took <= Duration::from_secs(12),
        "the stalled TLS handshake was closed after {took:?}, not about 10 s"
    );
    server.wait_for_log(
        "the stalled handshake logged",
        &[
            "INFO",
            "TLS handshake not complete after 10s",
            &stalled_peer,
        ],
    );

    // The push went on undisturbed: it ends well, with every frame.
    let push = push.wait_with_output().unwrap();
    assert!(
        push.status.success(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&push.stderr)
    );
    server.assert_complete("steady");
    assert!(
        !server.log().contains("WARN"),
        "warnings in the log: {}",
        server.log()
    );
}

/// Accepts any server certificate and keeps the last one presented.
#[derive(Debug)]
struct Recorder {
    presented: Mutex<Option<Vec<u8>>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.presented.lock().unwrap() = Some(end_entity.to_vec());
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A TLS client config whose verifier records the certificate presented.
fn recording_client() -> (Arc<ClientConfig>, Arc<Recorder>) {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let recorder = Arc::new(Recorder {
        presented: Mutex::new(None),
        provider: provider.clone(),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    (Arc::new(config), recorder)
}

/// A completed TLS connection to `port`, and the certificate the server
/// presented (DER).
fn tls_connect(port: u16) -> (rustls::StreamOwned<ClientConnection, TcpStream>, Vec<u8>) {
    let (config, recorder) = recording_client();
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut conn =
        ClientConnection::new(config, ServerName::try_from("localhost").unwrap()).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).unwrap();
    }
    let presented = recorder.presented.lock().unwrap().clone().unwrap();
    (rustls::StreamOwned::new(conn, tcp), presented)
}

/// Over an RTMPS connection: C0 C1 out, S0 (version 3) back.
fn rtmp_handshake_starts(tls: &mut rustls::StreamOwned<ClientConnection, TcpStream>) {
    let mut c0c1 = vec![3u8];
    c0c1.resize(1 + 1536, 0);
    tls.write_all(&c0c1).unwrap();
    tls.flush().unwrap();
    let mut s0 = [0u8; 1];
    tls.read_exact(&mut s0).unwrap();
    assert_eq!(s0[0], 3, "RTMP version in S0");
}

#[test]
fn sighup_reloads_the_certificate_for_new_connections() {
    if !have("curl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cert_a = write_certificate(dir.path());
    let mut server = TlsServer::start(dir.path());
    let banner = format!("RTMPS on rtmps://127.0.0.1:{}/", server.rtmps);
    assert!(server.log().contains(&banner), "{}", server.log());
    let (mut before, presented) = tls_connect(server.rtmps);
    assert_eq!(presented, cert_a, "the certificate at start");

    // New files, then SIGHUP: new connections get certificate B.
    let cert_b = write_certificate(dir.path());
    assert_ne!(cert_a, cert_b);
    let hup = || {
        let status = Command::new("kill")
            .args(["-HUP", &server.server.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    hup();
    server.wait_for_log("the reload", &["INFO", "certificate reloaded"]);
    let (mut after, presented) = tls_connect(server.rtmps);
    assert_eq!(presented, cert_b, "a new connection after SIGHUP");
    // Both connections are served: the one made before the reload keeps
    // its session, and RTMP runs inside either.
    rtmp_handshake_starts(&mut before);
    rtmp_handshake_starts(&mut after);

    // A reload that fails (the key file is not a key) keeps certificate B.
    std::fs::write(dir.path().join("key.pem"), "not a key\n").unwrap();
    hup();
    server.wait_for_log("the failed reload", &["WARN", "reload failed", "key.pem"]);
    let (_, presented) = tls_connect(server.rtmps);
    assert_eq!(presented, cert_b, "after a failed reload");
    assert!(
        server.server.child.try_wait().unwrap().is_none(),
        "the server exited"
    );
}

#[test]
fn a_certificate_that_does_not_load_stops_the_start_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_certificate(dir.path());
    let other = tempfile::tempdir().unwrap();
    write_certificate(other.path());
    let missing = dir.path().join("missing.pem");
    for (cert, key, named) in [
        (missing.clone(), dir.path().join("key.pem"), "--tls-cert"),
        (dir.path().join("cert.pem"), missing.clone(), "--tls-key"),
        // A key that is not the certificate's.
        (
            dir.path().join("cert.pem"),
            other.path().join("key.pem"),
            "--tls-key",
        ),
    ] {
        let out = Command::new(common::server_process::binary())
            .args(["--http", "127.0.0.1:0", "--rtmp", "127.0.0.1:0"])
            .args(["--rtmps", "127.0.0.1:0", "--store", "memory://"])
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "started with {cert:?} {key:?}");
        assert!(stderr.contains(named), "{stderr}");
    }
}

#[test]
fn shutdown_does_not_wait_for_a_stalled_tls_handshake() {
    if !have("curl") {
        return;
    }
    let (_dir, mut server) = TlsServer::start_new();
    let mut stalled = TcpStream::connect(("127.0.0.1", server.rtmps)).unwrap();
    stalled.write_all(&[0x16, 0x03, 0x01]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    assert!(server.server.terminate(), "{}", server.log());
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        asked.elapsed()
    );
}
