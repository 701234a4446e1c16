//! The AMF0 encoder.

use crate::marker;
use crate::{Error, Value};

const U16_LIMIT: usize = u16::MAX as usize;
const U32_LIMIT: usize = u32::MAX as usize;

/// Appends the AMF0 encoding of `value` to `out`.
///
/// A [`Value::String`] longer than 65535 bytes is written with the
/// long-string marker (so it decodes as [`Value::LongString`]).
///
/// Fails with [`Error::TooLongToEncode`] when a length does not fit its
/// field: an object key or class name over 65535 bytes, a long string or
/// XML document over 4 GiB, an array with more than 2³² − 1 entries. On
/// error `out` is left as it was.
///
/// Encoding recurses once per nesting level; values built by hand must not
/// be nested absurdly deep (thousands of levels).
///
/// ```
/// use livechannel_amf0::{encode, Value};
///
/// let mut out = Vec::new();
/// encode(&Value::String("onMetaData".into()), &mut out)?;
/// assert_eq!(out, b"\x02\x00\x0aonMetaData");
/// # Ok::<(), livechannel_amf0::Error>(())
/// ```
pub fn encode(value: &Value, out: &mut Vec<u8>) -> Result<(), Error> {
    let start = out.len();
    let result = write_value(value, out);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

impl Value {
    /// The number of bytes [`encode`] writes for this value (when it succeeds).
    pub fn encoded_len(&self) -> usize {
        fn props_len(props: &[(String, Value)]) -> usize {
            props
                .iter()
                .map(|(k, v)| {
                    2usize
                        .saturating_add(k.len())
                        .saturating_add(v.encoded_len())
                })
                .fold(3, usize::saturating_add)
        }
        match self {
            Value::Number(_) => 9,
            Value::Boolean(_) => 2,
            Value::String(s) if s.len() <= U16_LIMIT => 3 + s.len(),
            Value::String(s) | Value::LongString(s) | Value::XmlDocument(s) => {
                5usize.saturating_add(s.len())
            }
            Value::Object(p) => 1usize.saturating_add(props_len(p)),
            Value::Null | Value::Undefined | Value::Unsupported => 1,
            Value::Reference(_) => 3,
            Value::EcmaArray(p) => 5usize.saturating_add(props_len(p)),
            Value::StrictArray(items) => items
                .iter()
                .map(Value::encoded_len)
                .fold(5, usize::saturating_add),
            Value::Date { .. } => 11,
            Value::TypedObject {
                class_name,
                properties,
            } => 3usize
                .saturating_add(class_name.len())
                .saturating_add(props_len(properties)),
        }
    }
}

fn length<T: TryFrom<usize>>(what: &'static str, len: usize, limit: usize) -> Result<T, Error> {
    T::try_from(len).map_err(|_| Error::TooLongToEncode { what, len, limit })
}

fn write_short_str(what: &'static str, s: &str, out: &mut Vec<u8>) -> Result<(), Error> {
    let len: u16 = length(what, s.len(), U16_LIMIT)?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn write_long_str(what: &'static str, s: &str, out: &mut Vec<u8>) -> Result<(), Error> {
    let len: u32 = length(what, s.len(), U32_LIMIT)?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn write_properties(props: &[(String, Value)], out: &mut Vec<u8>) -> Result<(), Error> {
    for (key, value) in props {
        // An empty key is unambiguous: no value encodes to the 0x09 that would
        // make it an end marker.
        write_short_str("object key", key, out)?;
        write_value(value, out)?;
    }
    out.extend_from_slice(&[0x00, 0x00, marker::OBJECT_END]);
    Ok(())
}

fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<(), Error> {
    match value {
        Value::Number(n) => {
            out.push(marker::NUMBER);
            out.extend_from_slice(&n.to_be_bytes());
        }
        Value::Boolean(b) => out.extend_from_slice(&[marker::BOOLEAN, u8::from(*b)]),
        Value::String(s) if s.len() <= U16_LIMIT => {
            out.push(marker::STRING);
            write_short_str("string", s, out)?;
        }
        Value::String(s) | Value::LongString(s) => {
            out.push(marker::LONG_STRING);
            write_long_str("string", s, out)?;
        }
        Value::Object(props) => {
            out.push(marker::OBJECT);
            write_properties(props, out)?;
        }
        Value::Null => out.push(marker::NULL),
        Value::Undefined => out.push(marker::UNDEFINED),
        Value::Unsupported => out.push(marker::UNSUPPORTED),
        Value::Reference(index) => {
            out.push(marker::REFERENCE);
            out.extend_from_slice(&index.to_be_bytes());
        }
        Value::EcmaArray(props) => {
            let count: u32 = length("ECMA array", props.len(), U32_LIMIT)?;
            out.push(marker::ECMA_ARRAY);
            out.extend_from_slice(&count.to_be_bytes());
            write_properties(props, out)?;
        }
        Value::StrictArray(items) => {
            let count: u32 = length("strict array", items.len(), U32_LIMIT)?;
            out.push(marker::STRICT_ARRAY);
            out.extend_from_slice(&count.to_be_bytes());
            for item in items {
                write_value(item, out)?;
            }
        }
        Value::Date { millis, time_zone } => {
            out.push(marker::DATE);
            out.extend_from_slice(&millis.to_be_bytes());
            out.extend_from_slice(&time_zone.to_be_bytes());
        }
        Value::XmlDocument(s) => {
            out.push(marker::XML_DOCUMENT);
            write_long_str("XML document", s, out)?;
        }
        Value::TypedObject {
            class_name,
            properties,
        } => {
            out.push(marker::TYPED_OBJECT);
            write_short_str("class name", class_name, out)?;
            write_properties(properties, out)?;
        }
    }
    Ok(())
}
