//! XML bodies: writers for every response body of the API and the error
//! body, and a lenient reader for request bodies (`docs/oss-compatibility.md`,
//! "LiveChannel calls", "Bucket and object calls", "Errors", "Request bodies").

mod parse;
mod write;

use bytes::Bytes;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

pub(crate) use parse::{parse, Document};
pub(crate) use write::*;

/// Builds one XML document: the declaration OSS writes, then elements.
///
/// Writing into a `Vec` cannot fail, so the writer's `io::Result`s are dropped.
pub(crate) struct XmlWriter {
    inner: quick_xml::Writer<Vec<u8>>,
}

impl XmlWriter {
    /// A document starting with `<?xml version="1.0" encoding="UTF-8"?>`.
    pub(crate) fn new() -> Self {
        let mut inner = quick_xml::Writer::new(Vec::with_capacity(256));
        let _ = inner.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        inner.get_mut().push(b'\n');
        XmlWriter { inner }
    }

    /// `<name>`.
    pub(crate) fn start(&mut self, name: &str) -> &mut Self {
        let _ = self.inner.write_event(Event::Start(BytesStart::new(name)));
        self
    }

    /// `</name>`.
    pub(crate) fn end(&mut self, name: &str) -> &mut Self {
        let _ = self.inner.write_event(Event::End(BytesEnd::new(name)));
        self
    }

    /// `<name>text</name>`, the text escaped; an empty text gives `<name></name>`.
    pub(crate) fn text(&mut self, name: &str, text: &str) -> &mut Self {
        self.start(name);
        if !text.is_empty() {
            let _ = self.inner.write_event(Event::Text(BytesText::new(text)));
        }
        self.end(name)
    }

    /// The document's bytes.
    pub(crate) fn finish(self) -> Bytes {
        Bytes::from(self.inner.into_inner())
    }
}
