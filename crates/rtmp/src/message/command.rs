//! Command messages (§7.1.1, §7.2): a name, a transaction id, a command
//! object and arguments, all AMF0.

use livechannel_amf0::Value;

use super::encode_amf;
use crate::Error;

/// A command message's content.
///
/// ```
/// use livechannel_amf0::Value;
/// use livechannel_rtmp::Command;
///
/// let publish = Command::new(
///     "publish",
///     5.0,
///     Value::Null,
///     vec![Value::String("channel?key=1".into()), Value::String("live".into())],
/// );
/// assert_eq!(publish.string_argument(0), Some("channel?key=1"));
/// assert_eq!(publish.string_argument(1), Some("live"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// The command name, e.g. `connect`, `publish`, `_result`, `onStatus`.
    pub name: String,
    /// The transaction id; 0 for commands that get no `_result`.
    pub transaction_id: f64,
    /// The command object (an object for `connect` and `_result`, usually
    /// null otherwise).
    pub object: Value,
    /// The remaining values.
    pub arguments: Vec<Value>,
}

impl Command {
    /// Bundles the fields.
    pub fn new(name: &str, transaction_id: f64, object: Value, arguments: Vec<Value>) -> Self {
        Command {
            name: name.to_owned(),
            transaction_id,
            object,
            arguments,
        }
    }

    /// Builds a command from decoded values: a name string, then
    /// (leniently) a transaction id and a command object, which default to
    /// 0 and null when absent or of another type. `None` when the first
    /// value is not a string.
    pub fn from_values(values: Vec<Value>) -> Option<Command> {
        let mut values = values.into_iter();
        let name = match values.next()? {
            Value::String(s) | Value::LongString(s) => s,
            _ => return None,
        };
        let transaction_id = values.next().and_then(|v| v.as_f64()).unwrap_or(0.0);
        let object = values.next().unwrap_or(Value::Null);
        Some(Command {
            name,
            transaction_id,
            object,
            arguments: values.collect(),
        })
    }

    /// Appends the AMF0 encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        encode_amf(&Value::String(self.name.clone()), out, "command name")?;
        encode_amf(&Value::Number(self.transaction_id), out, "command")?;
        encode_amf(&self.object, out, "command object")?;
        for arg in &self.arguments {
            encode_amf(arg, out, "command argument")?;
        }
        Ok(())
    }

    /// The `index`th argument (after the command object) if it is a string.
    pub fn string_argument(&self, index: usize) -> Option<&str> {
        self.arguments.get(index).and_then(Value::as_str)
    }

    /// The `index`th argument (after the command object) if it is a number.
    pub fn number_argument(&self, index: usize) -> Option<f64> {
        self.arguments.get(index).and_then(Value::as_f64)
    }

    /// `code` and `description` of the status object (the first argument),
    /// as in `onStatus` and `_error` replies.
    pub fn status(&self) -> Option<(&str, &str)> {
        let info = self.arguments.first()?;
        let code = info.get("code").and_then(Value::as_str)?;
        let description = info
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        Some((code, description))
    }
}

/// A status info object (§7.2.1.1, §7.2.2): `level`, `code`, `description`.
pub(crate) fn status_object(level: &str, code: &str, description: &str) -> Value {
    Value::Object(vec![
        ("level".to_owned(), Value::String(level.to_owned())),
        ("code".to_owned(), Value::String(code.to_owned())),
        (
            "description".to_owned(),
            Value::String(description.to_owned()),
        ),
    ])
}
