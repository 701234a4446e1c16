//! Script data tags (spec E.4.4, SCRIPTDATA).

use livechannel_amf0::{Decoder, Value};

use crate::Error;

/// The name RTMP publishers wrap metadata in (`@setDataFrame`, name, value).
const SET_DATA_FRAME: &str = "@setDataFrame";

/// A script tag: a method name and its value, e.g. `onMetaData` and an ECMA
/// array of stream properties.
///
/// ```
/// use livechannel_amf0::{encode, Value};
/// use livechannel_flv::ScriptTag;
///
/// // What OBS and FFmpeg send over RTMP: the metadata wrapped in @setDataFrame.
/// let mut body = Vec::new();
/// encode(&Value::String("@setDataFrame".into()), &mut body)?;
/// encode(&Value::String("onMetaData".into()), &mut body)?;
/// encode(&Value::EcmaArray(vec![("width".into(), Value::Number(1920.0))]), &mut body)?;
///
/// let script = ScriptTag::parse(&body)?;
/// assert_eq!(script.name, "onMetaData");
/// assert_eq!(script.value.get("width").and_then(Value::as_f64), Some(1920.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptTag {
    /// The method name, e.g. `onMetaData`.
    pub name: String,
    /// The value after the name ([`Value::Undefined`] when the tag has only
    /// a name).
    pub value: Value,
}

impl ScriptTag {
    /// Parses a script tag body: an AMF0 string (the name) and the value
    /// after it. When the name is `@setDataFrame`, the next string is the
    /// name and the value after it the value. Bytes after the value (such as
    /// further arguments) are ignored.
    pub fn parse(body: &[u8]) -> Result<ScriptTag, Error> {
        let mut decoder = Decoder::new(body);
        let mut name = as_name(decoder.decode()?, "does not start with a string name")?;
        if name == SET_DATA_FRAME {
            if decoder.is_empty() {
                return Err(Error::InvalidScriptTag {
                    reason: "has @setDataFrame without a name after it",
                });
            }
            name = as_name(
                decoder.decode()?,
                "has @setDataFrame followed by something other than a string",
            )?;
        }
        let value = if decoder.is_empty() {
            Value::Undefined
        } else {
            decoder.decode()?
        };
        Ok(ScriptTag { name, value })
    }
}

fn as_name(value: Value, reason: &'static str) -> Result<String, Error> {
    match value {
        Value::String(s) | Value::LongString(s) => Ok(s),
        _ => Err(Error::InvalidScriptTag { reason }),
    }
}
