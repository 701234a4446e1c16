//! Both handshake sides on arbitrary bytes: never panic, one push equals a
//! two-way split, and the amounts consumed and produced follow the protocol.
#![no_main]

use livechannel_rtmp::{Error, Handshake};

fn run(mut hs: Handshake, data: &[u8], split: usize) -> (Result<usize, Error>, Vec<u8>, bool) {
    let mut out = hs.take_output().to_vec();
    let mut used = 0;
    for part in [&data[..split], &data[split..]] {
        match hs.handle_input(part) {
            Ok(n) => {
                assert!(n <= part.len());
                used += n;
            }
            Err(e) => return (Err(e), out, hs.is_complete()),
        }
        out.extend_from_slice(&hs.take_output());
        assert!(hs.buffered() <= 3073);
    }
    (Ok(used), out, hs.is_complete())
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&seed, data)) = data.split_first() else {
        return;
    };
    let split = (seed as usize * data.len()) / 256;

    let server = run(Handshake::server(u64::from(seed)), data, 0);
    assert_eq!(run(Handshake::server(u64::from(seed)), data, split), server);
    match (&server.0, data.first()) {
        (Err(Error::UnsupportedVersion { found }), Some(v)) => {
            assert_eq!(found, v);
            assert_ne!(*v, 0x16, "a TLS ClientHello is TlsOnPlainPort");
        }
        (Err(Error::TlsOnPlainPort), Some(v)) => assert_eq!(*v, 0x16),
        (Err(e), _) => panic!("unexpected error {e:?}"),
        (Ok(used), _) => {
            assert_eq!(*used, data.len().min(3073));
            assert_eq!(server.2, data.len() >= 3073);
            let expected_out = if data.len() >= 1537 { 3073 } else { 0 };
            assert_eq!(server.1.len(), expected_out);
        }
    }

    let client = run(Handshake::client(u64::from(seed)), data, 0);
    assert_eq!(run(Handshake::client(u64::from(seed)), data, split), client);
    if let Ok(used) = client.0 {
        assert_eq!(used, data.len().min(3073));
        assert_eq!(client.2, data.len() >= 3073);
        // C0+C1, then C2 once S1 is in.
        assert_eq!(client.1.len(), if data.len() >= 1537 { 3073 } else { 1537 });
    }
});
