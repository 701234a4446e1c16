//! The AMF0 decoder and the limits it enforces.

use crate::marker;
use crate::{Error, Value};

/// Bounds on what a [`Decoder`] accepts, so that hostile input cannot make it
/// use unbounded memory or stack.
///
/// ```
/// use livechannel_amf0::{Decoder, Error, Limits};
///
/// // A strict array that claims 1000 elements.
/// let input = [0x0A, 0x00, 0x00, 0x03, 0xE8];
/// let limits = Limits { max_elements: 100, ..Limits::default() };
/// let err = Decoder::new(&input).with_limits(limits).decode().unwrap_err();
/// assert_eq!(err, Error::TooManyElements { offset: 0, count: 1000, limit: 100 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How many objects/arrays may be open at once (a top-level object is
    /// depth 1). Default 64.
    ///
    /// The decoder itself does not recurse, but dropping, cloning, comparing
    /// and encoding a [`Value`] do, once per level; so values above
    /// [`Limits::MAX_DEPTH_CEILING`] are treated as that ceiling.
    pub max_depth: usize,
    /// Longest string, key, class name or XML document in bytes. Default 1 MiB.
    pub max_string_len: usize,
    /// Most entries in one object, ECMA array or strict array. Default 65536.
    pub max_elements: usize,
}

impl Limits {
    /// The hard upper bound applied to [`Limits::max_depth`].
    pub const MAX_DEPTH_CEILING: usize = 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_string_len: 1 << 20,
            max_elements: 65536,
        }
    }
}

/// Decodes AMF0 values one after another from a byte slice.
///
/// The decoder borrows the input and never allocates more than the input
/// holds: declared lengths and counts are checked against [`Limits`] and
/// against the bytes actually present before anything is reserved.
///
/// Leniency, because real encoders need it:
/// - the element count in front of an ECMA array is ignored; entries are read
///   up to the end marker (FFmpeg and others write counts that disagree);
/// - an ECMA array whose end marker is missing because the input ends right
///   after a complete entry (or after the empty key) is accepted as read;
/// - an empty key that is not followed by the end marker is a property named
///   `""` (the encoder writes such properties the same way).
///
/// ```
/// use livechannel_amf0::{Decoder, Value};
///
/// // "connect", 1.0, null
/// let input = [
///     0x02, 0x00, 0x07, b'c', b'o', b'n', b'n', b'e', b'c', b't',
///     0x00, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0,
///     0x05,
/// ];
/// let mut decoder = Decoder::new(&input);
/// assert_eq!(decoder.decode()?, Value::String("connect".into()));
/// assert_eq!(decoder.position(), 10);
/// assert_eq!(decoder.decode_all()?, vec![Value::Number(1.0), Value::Null]);
/// assert!(decoder.is_empty());
/// # Ok::<(), livechannel_amf0::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    limits: Limits,
}

impl<'a> Decoder<'a> {
    /// A decoder at the start of `input`, with [`Limits::default`].
    pub fn new(input: &'a [u8]) -> Self {
        Decoder {
            input,
            pos: 0,
            limits: Limits::default(),
        }
    }

    /// Replaces the limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Decodes the next value and advances past it.
    ///
    /// On error the position stays at the start of the value that failed,
    /// so the caller can report [`position`](Decoder::position) or give up.
    pub fn decode(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        let result = self.value();
        if result.is_err() {
            self.pos = start;
        }
        result
    }

    /// Decodes values until the input is exhausted.
    pub fn decode_all(&mut self) -> Result<Vec<Value>, Error> {
        let mut values = Vec::new();
        while !self.is_empty() {
            values.push(self.decode()?);
        }
        Ok(values)
    }

    /// Whether every byte of the input has been consumed.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The bytes not consumed yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }

    fn available(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let bytes = self
            .pos
            .checked_add(n)
            .and_then(|end| self.input.get(self.pos..end))
            .ok_or_else(|| Error::UnexpectedEof {
                offset: self.pos,
                needed: n,
                available: self.available(),
            })?;
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, Error> {
        self.array().map(u16::from_be_bytes)
    }

    fn u32(&mut self) -> Result<u32, Error> {
        self.array().map(u32::from_be_bytes)
    }

    fn f64(&mut self) -> Result<f64, Error> {
        self.array().map(f64::from_be_bytes)
    }

    /// Reads `len` bytes of UTF-8; `len_offset` is where the length field was.
    fn utf8(&mut self, len: usize, len_offset: usize) -> Result<String, Error> {
        if len > self.limits.max_string_len {
            return Err(Error::TooLong {
                offset: len_offset,
                len,
                limit: self.limits.max_string_len,
            });
        }
        let offset = self.pos;
        let bytes = self.take(len)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => {
                self.pos = offset;
                Err(Error::InvalidUtf8 { offset })
            }
        }
    }

    fn short_string(&mut self) -> Result<String, Error> {
        let len_offset = self.pos;
        let len = self.u16()?;
        self.utf8(usize::from(len), len_offset)
    }

    fn long_string(&mut self) -> Result<String, Error> {
        let len_offset = self.pos;
        let len = self.u32()?;
        // A length beyond usize is beyond any limit as well.
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        self.utf8(len, len_offset)
    }

    /// Decodes one value. Containers are tracked on an explicit stack rather
    /// than by recursion, so the thread's stack use does not grow with the
    /// nesting depth of the input.
    fn value(&mut self) -> Result<Value, Error> {
        let mut stack: Vec<Open> = Vec::new();
        loop {
            let complete = match stack.last_mut() {
                Some(top) => self.advance(top)?,
                None => false,
            };
            let closed = if complete {
                stack.pop().map(Open::into_value)
            } else {
                None
            };
            let value = match closed {
                Some(value) => value,
                None => match self.start(&mut stack)? {
                    Some(value) => value,
                    // A container was opened; read its first entry next.
                    None => continue,
                },
            };
            match stack.last_mut() {
                None => return Ok(value),
                Some(top) => top.attach(value),
            }
        }
    }

    /// Reads a marker. Returns a scalar value, or pushes a newly opened
    /// container onto `stack` and returns `None`.
    fn start(&mut self, stack: &mut Vec<Open>) -> Result<Option<Value>, Error> {
        let offset = self.pos;
        let marker = self.u8()?;
        let value = match marker {
            marker::NUMBER => Value::Number(self.f64()?),
            marker::BOOLEAN => Value::Boolean(self.u8()? != 0),
            marker::STRING => Value::String(self.short_string()?),
            marker::NULL => Value::Null,
            marker::UNDEFINED => Value::Undefined,
            marker::REFERENCE => Value::Reference(self.u16()?),
            marker::DATE => {
                let millis = self.f64()?;
                let time_zone = i16::from_be_bytes(self.array()?);
                Value::Date { millis, time_zone }
            }
            marker::LONG_STRING => Value::LongString(self.long_string()?),
            marker::UNSUPPORTED => Value::Unsupported,
            marker::XML_DOCUMENT => Value::XmlDocument(self.long_string()?),
            marker::OBJECT | marker::ECMA_ARRAY | marker::STRICT_ARRAY | marker::TYPED_OBJECT => {
                let limit = self.limits.max_depth.min(Limits::MAX_DEPTH_CEILING);
                if stack.len() >= limit {
                    return Err(Error::TooDeep {
                        offset,
                        limit: self.limits.max_depth,
                    });
                }
                stack.push(self.open(marker, offset)?);
                return Ok(None);
            }
            marker::OBJECT_END => return Err(Error::UnexpectedObjectEnd { offset }),
            marker::MOVIECLIP | marker::RECORDSET => {
                return Err(Error::UnsupportedMarker { offset, marker })
            }
            marker::AVMPLUS => return Err(Error::Amf3NotSupported { offset }),
            _ => return Err(Error::UnknownMarker { offset, marker }),
        };
        Ok(Some(value))
    }

    /// Reads the header of the container whose marker at `offset` was just read.
    fn open(&mut self, marker: u8, offset: usize) -> Result<Open, Error> {
        let kind = match marker {
            marker::OBJECT => Kind::Object,
            marker::ECMA_ARRAY => {
                // The count is only a hint; see the type's docs.
                let _count = self.u32()?;
                Kind::Ecma
            }
            marker::TYPED_OBJECT => Kind::Typed(self.short_string()?),
            _ => {
                let count = usize::try_from(self.u32()?).unwrap_or(usize::MAX);
                if count > self.limits.max_elements {
                    return Err(Error::TooManyElements {
                        offset,
                        count,
                        limit: self.limits.max_elements,
                    });
                }
                // No reservation from `count`: nested arrays could multiply it.
                return Ok(Open::Array {
                    items: Vec::new(),
                    remaining: count,
                });
            }
        };
        Ok(Open::Props {
            offset,
            kind,
            props: Vec::new(),
            key: String::new(),
        })
    }

    /// Moves an open container to its next entry: reads the next key of an
    /// object (up to the end marker). Returns whether the container is
    /// complete; otherwise the next value in the input belongs to it.
    fn advance(&mut self, open: &mut Open) -> Result<bool, Error> {
        let (offset, kind, props, key) = match open {
            Open::Array { remaining, .. } => return Ok(*remaining == 0),
            Open::Props {
                offset,
                kind,
                props,
                key,
            } => (*offset, kind, props, key),
        };
        let ecma = matches!(kind, Kind::Ecma);
        // Some encoders leave out the end marker of a trailing ECMA array.
        if ecma && self.is_empty() {
            return Ok(true);
        }
        let len_offset = self.pos;
        let len = self.u16()?;
        if len == 0 {
            match self.input.get(self.pos) {
                Some(&marker::OBJECT_END) => {
                    self.pos += 1;
                    return Ok(true);
                }
                None if ecma => return Ok(true),
                _ => {}
            }
        }
        *key = self.utf8(usize::from(len), len_offset)?;
        if props.len() >= self.limits.max_elements {
            return Err(Error::TooManyElements {
                offset,
                count: props.len().saturating_add(1),
                limit: self.limits.max_elements,
            });
        }
        Ok(false)
    }
}

/// A container being decoded.
enum Open {
    /// Object, ECMA array or typed object; `key` is the key of the value
    /// being read.
    Props {
        offset: usize,
        kind: Kind,
        props: Vec<(String, Value)>,
        key: String,
    },
    Array {
        items: Vec<Value>,
        remaining: usize,
    },
}

enum Kind {
    Object,
    Ecma,
    Typed(String),
}

impl Open {
    fn attach(&mut self, value: Value) {
        match self {
            Open::Props { props, key, .. } => props.push((std::mem::take(key), value)),
            Open::Array {
                items, remaining, ..
            } => {
                items.push(value);
                *remaining = remaining.saturating_sub(1);
            }
        }
    }

    fn into_value(self) -> Value {
        match self {
            Open::Props {
                kind: Kind::Object,
                props,
                ..
            } => Value::Object(props),
            Open::Props {
                kind: Kind::Ecma,
                props,
                ..
            } => Value::EcmaArray(props),
            Open::Props {
                kind: Kind::Typed(class_name),
                props,
                ..
            } => Value::TypedObject {
                class_name,
                properties: props,
            },
            Open::Array { items, .. } => Value::StrictArray(items),
        }
    }
}

/// Decodes one value from the start of `input` with [`Limits::default`].
///
/// Returns the value and the number of bytes it took; bytes after it are
/// left alone.
///
/// ```
/// let (value, used) = livechannel_amf0::decode(&[0x01, 0x01, 0xFF])?;
/// assert_eq!(value, livechannel_amf0::Value::Boolean(true));
/// assert_eq!(used, 2);
/// # Ok::<(), livechannel_amf0::Error>(())
/// ```
pub fn decode(input: &[u8]) -> Result<(Value, usize), Error> {
    let mut decoder = Decoder::new(input);
    let value = decoder.decode()?;
    Ok((value, decoder.position()))
}

/// Decodes every value in `input` with [`Limits::default`]; the input must
/// end exactly after the last value.
pub fn decode_all(input: &[u8]) -> Result<Vec<Value>, Error> {
    Decoder::new(input).decode_all()
}
