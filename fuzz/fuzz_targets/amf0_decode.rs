#![no_main]
//! Decoding never panics; whatever decodes re-encodes to bytes that decode
//! to the same value (NaNs compared bit for bit) and re-encode identically.

use libfuzzer_sys::fuzz_target;
use livechannel_amf0::{decode, encode, Decoder, Error, Limits, Value};

/// Structural equality with numbers compared by bits, so NaN equals itself.
fn same(a: &Value, b: &Value) -> bool {
    fn props(a: &[(String, Value)], b: &[(String, Value)]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.to_bits() == y.to_bits(),
        (
            Value::Date {
                millis: x,
                time_zone: tx,
            },
            Value::Date {
                millis: y,
                time_zone: ty,
            },
        ) => x.to_bits() == y.to_bits() && tx == ty,
        (Value::Object(x), Value::Object(y)) | (Value::EcmaArray(x), Value::EcmaArray(y)) => {
            props(x, y)
        }
        (
            Value::TypedObject {
                class_name: cx,
                properties: x,
            },
            Value::TypedObject {
                class_name: cy,
                properties: y,
            },
        ) => cx == cy && props(x, y),
        (Value::StrictArray(x), Value::StrictArray(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        _ => a == b,
    }
}

fn offset(e: &Error) -> Option<usize> {
    match *e {
        Error::UnexpectedEof { offset, .. }
        | Error::UnknownMarker { offset, .. }
        | Error::UnsupportedMarker { offset, .. }
        | Error::UnexpectedObjectEnd { offset }
        | Error::Amf3NotSupported { offset }
        | Error::TooDeep { offset, .. }
        | Error::TooLong { offset, .. }
        | Error::TooManyElements { offset, .. }
        | Error::InvalidUtf8 { offset } => Some(offset),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    match decode(data) {
        Ok((value, used)) => {
            assert!(used <= data.len());
            let mut first = Vec::new();
            encode(&value, &mut first).expect("a decoded value is encodable");
            assert_eq!(first.len(), value.encoded_len());
            let (again, used_again) = decode(&first).expect("our encoding decodes");
            assert_eq!(used_again, first.len());
            assert!(same(&value, &again), "{value:?} != {again:?}");
            let mut second = Vec::new();
            encode(&again, &mut second).expect("encodable");
            assert_eq!(first, second);
        }
        Err(e) => {
            let offset = offset(&e).expect("decode errors carry an offset");
            assert!(offset <= data.len(), "{e}: offset past the input");
        }
    }

    // Tight limits exercise the limit paths; the decoder must stay consistent.
    let limits = Limits {
        max_depth: 3,
        max_string_len: 8,
        max_elements: 4,
    };
    let mut decoder = Decoder::new(data).with_limits(limits);
    while !decoder.is_empty() {
        let before = decoder.position();
        match decoder.decode() {
            Ok(_) => assert!(decoder.position() > before),
            Err(_) => {
                assert_eq!(decoder.position(), before);
                break;
            }
        }
    }
});
