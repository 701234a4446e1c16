//! AMF0 (Action Message Format 0) decoding and encoding, as carried by RTMP
//! command messages and FLV script tags (`onMetaData`, `@setDataFrame`).
//!
//! | Specification | Version / section | Link |
//! |---|---|---|
//! | Adobe, *Action Message Format -- AMF 0* | December 2007, sections 2.1–2.18 (all AMF0 types); 3.1 AVM+ marker (reported, not decoded) | <http://download.macromedia.com/pub/labs/amf/amf0_spec_121207.pdf> |
//!
//! The decoder works on a byte slice, bounds every length, count and nesting
//! level from the wire with [`Limits`], and never panics. Object-like values
//! keep their properties in wire order. Not supported: AMF3 (marker 0x11, see
//! [`Error::Amf3NotSupported`]), the reserved MovieClip and RecordSet markers,
//! and resolving [`Value::Reference`]s.
//!
//! ```
//! use livechannel_amf0::{decode_all, encode, Value};
//!
//! // What an FLV script tag holds: a name, then an ECMA array of metadata.
//! let meta = Value::EcmaArray(vec![
//!     ("duration".to_owned(), Value::Number(8.067)),
//!     ("videocodecid".to_owned(), Value::Number(7.0)),
//! ]);
//! let mut body = Vec::new();
//! encode(&Value::String("onMetaData".to_owned()), &mut body)?;
//! encode(&meta, &mut body)?;
//!
//! let values = decode_all(&body)?;
//! assert_eq!(values[0].as_str(), Some("onMetaData"));
//! assert_eq!(values[1].get("videocodecid").and_then(Value::as_f64), Some(7.0));
//! # Ok::<(), livechannel_amf0::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]
#![forbid(clippy::print_stdout, clippy::print_stderr)]

mod decode;
mod encode;
mod error;
mod marker;
mod value;

pub use decode::{decode, decode_all, Decoder, Limits};
pub use encode::encode;
pub use error::Error;
pub use value::Value;
