//! encode → decode round trips over generated values.
//!
//! Reproduce a run with `PROPTEST_RNG_SEED=<n>`; widen it with `PROPTEST_CASES`.

use livechannel_amf0::{decode, decode_all, encode, Decoder, Value};
use proptest::prelude::*;

/// Every f64 except NaN, so `PartialEq` on the decoded value is meaningful
/// (NaN payloads are covered bit-exactly by `nan_payload_survives`).
fn number() -> impl Strategy<Value = f64> + Clone {
    use proptest::num::f64;
    f64::POSITIVE | f64::NEGATIVE | f64::NORMAL | f64::SUBNORMAL | f64::ZERO | f64::INFINITE
}

/// Any Unicode text, including the empty string.
fn text() -> impl Strategy<Value = String> + Clone {
    ".{0,12}"
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        number().prop_map(Value::Number),
        any::<bool>().prop_map(Value::Boolean),
        text().prop_map(Value::String),
        Just(Value::Null),
        Just(Value::Undefined),
        Just(Value::Unsupported),
        any::<u16>().prop_map(Value::Reference),
        (number(), any::<i16>()).prop_map(|(millis, time_zone)| Value::Date { millis, time_zone }),
        text().prop_map(Value::LongString),
        text().prop_map(Value::XmlDocument),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 96, 6, |inner| {
        let props = prop::collection::vec((text(), inner.clone()), 0..6);
        prop_oneof![
            props.clone().prop_map(Value::Object),
            props.clone().prop_map(Value::EcmaArray),
            prop::collection::vec(inner, 0..6).prop_map(Value::StrictArray),
            (text(), props).prop_map(|(class_name, properties)| Value::TypedObject {
                class_name,
                properties
            }),
        ]
    })
}

proptest! {
    #[test]
    fn value_round_trips(v in value()) {
        let mut out = Vec::new();
        // The generator only builds encodable values: none may be rejected.
        prop_assert!(encode(&v, &mut out).is_ok());
        prop_assert_eq!(out.len(), v.encoded_len());
        let (back, used) = decode(&out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(used, out.len());
        prop_assert_eq!(&back, &v);
    }

    #[test]
    fn sequence_round_trips(vs in prop::collection::vec(value(), 0..5)) {
        let mut out = Vec::new();
        for v in &vs {
            prop_assert!(encode(v, &mut out).is_ok());
        }
        prop_assert_eq!(decode_all(&out), Ok(vs));
    }

    /// Every strict prefix of an encoding is incomplete, never misread as a
    /// different value (except where an ECMA array may end at end of input).
    #[test]
    fn prefixes_fail_or_are_lenient_ecma(v in value(), cut in any::<prop::sample::Index>()) {
        let mut out = Vec::new();
        prop_assert!(encode(&v, &mut out).is_ok());
        let cut = cut.index(out.len());
        match decode(&out[..cut]) {
            Err(_) => {}
            Ok((_, used)) => {
                prop_assert!(contains_ecma(&v), "prefix of {} bytes decoded", cut);
                prop_assert_eq!(used, cut);
            }
        }
    }
}

fn contains_ecma(v: &Value) -> bool {
    match v {
        Value::EcmaArray(_) => true,
        Value::Object(p) | Value::TypedObject { properties: p, .. } => {
            p.iter().any(|(_, v)| contains_ecma(v))
        }
        Value::StrictArray(items) => items.iter().any(contains_ecma),
        _ => false,
    }
}

#[test]
fn nan_payload_survives() {
    let nan = f64::from_bits(0x7FF8_0000_DEAD_BEEF);
    let mut out = Vec::new();
    encode(&Value::Number(nan), &mut out).unwrap();
    let (back, _) = decode(&out).unwrap();
    assert_eq!(back.as_f64().map(f64::to_bits), Some(nan.to_bits()));
}

#[test]
fn long_string_switches_marker() {
    let short = "x".repeat(0xFFFF);
    let long = "x".repeat(0x1_0000);
    let mut out = Vec::new();
    encode(&Value::String(short.clone()), &mut out).unwrap();
    assert_eq!(&out[..3], &[0x02, 0xFF, 0xFF]);
    assert_eq!(decode(&out).unwrap().0, Value::String(short));

    out.clear();
    encode(&Value::String(long.clone()), &mut out).unwrap();
    assert_eq!(&out[..5], &[0x0C, 0x00, 0x01, 0x00, 0x00]);
    assert_eq!(out.len(), Value::String(long.clone()).encoded_len());
    assert_eq!(decode(&out).unwrap().0, Value::LongString(long));
}

#[test]
fn every_type_has_the_spec_bytes() {
    let cases: Vec<(Value, &[u8])> = vec![
        (Value::Number(1.5), b"\x00\x3f\xf8\0\0\0\0\0\0"),
        (Value::Boolean(true), b"\x01\x01"),
        (Value::String("ab".into()), b"\x02\x00\x02ab"),
        (
            Value::Object(vec![("a".into(), Value::Null)]),
            b"\x03\x00\x01a\x05\x00\x00\x09",
        ),
        (Value::Null, b"\x05"),
        (Value::Undefined, b"\x06"),
        (Value::Reference(0x0102), b"\x07\x01\x02"),
        (
            Value::EcmaArray(vec![("k".into(), Value::Boolean(false))]),
            b"\x08\x00\x00\x00\x01\x00\x01k\x01\x00\x00\x00\x09",
        ),
        (
            Value::StrictArray(vec![Value::Null, Value::Undefined]),
            b"\x0a\x00\x00\x00\x02\x05\x06",
        ),
        (
            Value::Date {
                millis: 0.0,
                time_zone: -60,
            },
            b"\x0b\0\0\0\0\0\0\0\0\xff\xc4",
        ),
        (Value::LongString("z".into()), b"\x0c\x00\x00\x00\x01z"),
        (Value::Unsupported, b"\x0d"),
        (
            Value::XmlDocument("<a/>".into()),
            b"\x0f\x00\x00\x00\x04<a/>",
        ),
        (
            Value::TypedObject {
                class_name: "C".into(),
                properties: vec![],
            },
            b"\x10\x00\x01C\x00\x00\x09",
        ),
    ];
    for (value, bytes) in cases {
        let mut out = Vec::new();
        encode(&value, &mut out).unwrap();
        assert_eq!(out, bytes, "encoding of {value:?}");
        assert_eq!(value.encoded_len(), bytes.len());
        assert_eq!(decode(bytes).unwrap(), (value, bytes.len()));
    }
}

#[test]
fn empty_key_property_round_trips() {
    let v = Value::Object(vec![
        (String::new(), Value::Number(1.0)),
        ("b".into(), Value::Null),
    ]);
    let mut out = Vec::new();
    encode(&v, &mut out).unwrap();
    assert_eq!(decode(&out).unwrap().0, v);
}

#[test]
fn decoder_reports_position_and_rest() {
    let bytes = b"\x05\x06\x01\x00";
    let mut d = Decoder::new(bytes);
    assert_eq!(d.decode().unwrap(), Value::Null);
    assert_eq!(d.position(), 1);
    assert_eq!(d.remaining(), b"\x06\x01\x00");
    assert!(!d.is_empty());
    assert_eq!(
        d.decode_all().unwrap(),
        vec![Value::Undefined, Value::Boolean(false)]
    );
    assert!(d.is_empty());
    assert_eq!(d.position(), 4);
}

#[test]
fn helpers_answer_only_for_their_type() {
    let obj = Value::TypedObject {
        class_name: "C".into(),
        properties: vec![
            ("x".into(), Value::Boolean(true)),
            ("x".into(), Value::Null),
        ],
    };
    assert_eq!(obj.get("x"), Some(&Value::Boolean(true)));
    assert_eq!(obj.get("x").and_then(Value::as_bool), Some(true));
    assert_eq!(obj.properties().map(<[_]>::len), Some(2));
    assert_eq!(Value::Null.get("x"), None);
    assert_eq!(Value::LongString("s".into()).as_str(), Some("s"));
    assert_eq!(Value::XmlDocument("s".into()).as_str(), None);
    assert_eq!(Value::Boolean(true).as_f64(), None);
    assert!(Value::Null.is_null());
    assert!(!Value::Undefined.is_null());
    assert_eq!(
        Value::StrictArray(vec![Value::Null])
            .as_array()
            .map(<[_]>::len),
        Some(1)
    );
}
