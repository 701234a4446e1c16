//! Cross-checks against the independent `amf` crate (sile/amf 1.0): it
//! decodes what we encode, and we decode what it encodes.
//!
//! The generated values stay within what both models can express: `amf` has
//! no Reference or Unsupported value, folds LongString into String and
//! TypedObject into Object, and stores dates as whole non-negative
//! milliseconds.

use amf::amf0::Value as Theirs;
use amf::Pair;
use livechannel_amf0::{decode, encode, Value};
use proptest::prelude::*;
use std::time::Duration;

fn number() -> impl Strategy<Value = f64> + Clone {
    use proptest::num::f64;
    f64::POSITIVE | f64::NEGATIVE | f64::NORMAL | f64::SUBNORMAL | f64::ZERO | f64::INFINITE
}

fn text() -> impl Strategy<Value = String> + Clone {
    ".{0,12}"
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        number().prop_map(Value::Number),
        any::<bool>().prop_map(Value::Boolean),
        text().prop_map(Value::String),
        Just(Value::Null),
        Just(Value::Undefined),
        // Whole milliseconds below 2^53, exactly representable in both models.
        (0u64..(1 << 53), any::<i16>()).prop_map(|(ms, time_zone)| Value::Date {
            millis: ms as f64,
            time_zone
        }),
        text().prop_map(Value::XmlDocument),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
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

fn pairs_to_theirs(props: &[(String, Value)]) -> Vec<Pair<String, Theirs>> {
    props
        .iter()
        .map(|(k, v)| Pair {
            key: k.clone(),
            value: to_theirs(v),
        })
        .collect()
}

fn to_theirs(v: &Value) -> Theirs {
    match v {
        Value::Number(n) => Theirs::Number(*n),
        Value::Boolean(b) => Theirs::Boolean(*b),
        Value::String(s) | Value::LongString(s) => Theirs::String(s.clone()),
        Value::Object(p) => Theirs::Object {
            class_name: None,
            entries: pairs_to_theirs(p),
        },
        Value::Null => Theirs::Null,
        Value::Undefined => Theirs::Undefined,
        Value::EcmaArray(p) => Theirs::EcmaArray {
            entries: pairs_to_theirs(p),
        },
        Value::StrictArray(items) => Theirs::Array {
            entries: items.iter().map(to_theirs).collect(),
        },
        Value::Date { millis, time_zone } => Theirs::Date {
            unix_time: Duration::from_millis(*millis as u64),
            time_zone: *time_zone,
        },
        Value::XmlDocument(s) => Theirs::XmlDocument(s.clone()),
        Value::TypedObject {
            class_name,
            properties,
        } => Theirs::Object {
            class_name: Some(class_name.clone()),
            entries: pairs_to_theirs(properties),
        },
        other => panic!("generator produced a value outside the shared model: {other:?}"),
    }
}

proptest! {
    #[test]
    fn they_decode_our_encoding(v in value()) {
        let mut out = Vec::new();
        prop_assert!(encode(&v, &mut out).is_ok());
        let theirs = Theirs::read_from(&mut &out[..])
            .map_err(|e| TestCaseError::fail(format!("amf rejected our bytes: {e}")))?;
        prop_assert_eq!(theirs, to_theirs(&v));
    }

    #[test]
    fn we_decode_their_encoding(v in value()) {
        let mut theirs = Vec::new();
        prop_assert!(to_theirs(&v).write_to(&mut theirs).is_ok());
        let (ours, used) = decode(&theirs).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(used, theirs.len());
        prop_assert_eq!(ours, v);
    }
}

#[test]
fn both_sides_agree_on_a_long_string() {
    let s = "é".repeat(40_000);
    let mut ours = Vec::new();
    encode(&Value::String(s.clone()), &mut ours).unwrap();
    let mut theirs = Vec::new();
    Theirs::String(s.clone()).write_to(&mut theirs).unwrap();
    assert_eq!(ours, theirs);
    assert_eq!(decode(&theirs).unwrap().0, Value::LongString(s));
}
