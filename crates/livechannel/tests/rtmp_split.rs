//! `livechannel-rtmp`'s `ServerSession` splits `name?query` off the app
//! and the stream name before ingest sees them; `livechannel::addressing`
//! splits the tcUrl (and names given whole). The two must split by one
//! rule (`ch?` has no query): checked here on real sessions, since the
//! rtmp crate cannot use the addressing module.

use std::time::Instant;

use livechannel::addressing::split_query;
use livechannel_rtmp::{ClientConfig, ClientSession, ServerConfig, ServerEvent, ServerSession};

/// The (app, app query) of `connect` and the (stream name, query) of
/// `publish` as the server session reports them.
type Split = ((String, Option<String>), (String, Option<String>));

fn server_split(app: &str, stream: &str) -> Split {
    let i0 = Instant::now();
    let mut client = ClientSession::new(ClientConfig::new(app, "rtmp://h/live", stream), i0);
    let mut server = ServerSession::new(ServerConfig::default(), i0);
    let mut connect = None;
    for _ in 0..100 {
        while let Some(bytes) = client.poll_transmit() {
            let _ = server.handle_input(&bytes, i0);
        }
        while let Some(bytes) = server.poll_transmit() {
            let _ = client.handle_input(&bytes, i0);
        }
        while let Some(event) = server.poll_event() {
            match event {
                ServerEvent::ConnectRequested {
                    request,
                    app,
                    query,
                    ..
                } => {
                    connect = Some((app, query));
                    server.accept_connect(request).unwrap();
                }
                ServerEvent::PublishRequested {
                    stream_name, query, ..
                } => return (connect.expect("connect first"), (stream_name, query)),
                _ => {}
            }
        }
    }
    panic!("no publish request for {app:?} {stream:?}");
}

fn owned((name, query): (&str, Option<&str>)) -> (String, Option<String>) {
    (name.to_owned(), query.map(str::to_owned))
}

#[test]
fn the_session_and_addressing_split_names_alike() {
    for (app, stream) in [
        ("live", "ch"),
        ("live?", "ch?"),
        ("live?a=1", "ch?a=1?b"),
        ("bkt/live?x=%2B+", "ch?Signature=a+b%2F&Expires=1"),
        ("live", "?a"),
    ] {
        assert_eq!(
            server_split(app, stream),
            (owned(split_query(app)), owned(split_query(stream))),
            "{app:?} {stream:?}"
        );
    }
}
