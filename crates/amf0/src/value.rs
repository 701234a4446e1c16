//! The AMF0 value tree.

/// One AMF0 value (spec section 2).
///
/// Object-like values keep their properties as an ordered `Vec` of
/// `(key, value)` pairs: AMF0 preserves order and allows duplicate keys, and
/// encoders such as FFmpeg rely on the order of `onMetaData` fields.
///
/// ```
/// use livechannel_amf0::Value;
///
/// let meta = Value::EcmaArray(vec![
///     ("width".to_owned(), Value::Number(1280.0)),
///     ("encoder".to_owned(), Value::String("obs".to_owned())),
/// ]);
/// assert_eq!(meta.get("width").and_then(Value::as_f64), Some(1280.0));
/// assert_eq!(meta.get("encoder").and_then(Value::as_str), Some("obs"));
/// assert!(meta.get("height").is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// 0x00: an IEEE 754 double.
    Number(f64),
    /// 0x01: a boolean (any non-zero byte decodes as `true`).
    Boolean(bool),
    /// 0x02: a UTF-8 string with a 16-bit length.
    ///
    /// [`encode`](crate::encode) writes strings longer than 65535 bytes with
    /// the long-string marker, so they decode as [`Value::LongString`].
    String(String),
    /// 0x03: an anonymous object.
    Object(Vec<(String, Value)>),
    /// 0x05: null.
    Null,
    /// 0x06: undefined.
    Undefined,
    /// 0x07: a reference to an earlier complex value by index. It is kept as
    /// read; this crate does not resolve references.
    Reference(u16),
    /// 0x08: an associative array. The count in front of it is only a hint
    /// on the wire; the decoder reads entries up to the end marker.
    EcmaArray(Vec<(String, Value)>),
    /// 0x0A: a dense array.
    StrictArray(Vec<Value>),
    /// 0x0B: milliseconds since the Unix epoch (UTC) and a time-zone field
    /// the spec reserves (should be 0).
    Date {
        /// Milliseconds since 1970-01-01T00:00:00Z.
        millis: f64,
        /// Reserved; kept as read.
        time_zone: i16,
    },
    /// 0x0C: a UTF-8 string with a 32-bit length.
    LongString(String),
    /// 0x0F: an XML document as a UTF-8 string with a 32-bit length.
    XmlDocument(String),
    /// 0x10: an object with a class name.
    TypedObject {
        /// The registered class name.
        class_name: String,
        /// The properties in wire order.
        properties: Vec<(String, Value)>,
    },
    /// 0x0D: the "unsupported" marker, sent for values that have no AMF0 form.
    Unsupported,
}

impl Value {
    /// The text of a [`Value::String`] or [`Value::LongString`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::LongString(s) => Some(s),
            _ => None,
        }
    }

    /// The number of a [`Value::Number`].
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The value of a [`Value::Boolean`].
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The properties of an [`Object`](Value::Object),
    /// [`EcmaArray`](Value::EcmaArray) or [`TypedObject`](Value::TypedObject).
    pub fn properties(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(p) | Value::EcmaArray(p) => Some(p),
            Value::TypedObject { properties, .. } => Some(properties),
            _ => None,
        }
    }

    /// The elements of a [`Value::StrictArray`].
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::StrictArray(items) => Some(items),
            _ => None,
        }
    }

    /// The first property named `key` of an object-like value (see
    /// [`properties`](Value::properties)); `None` for other values.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.properties()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}
