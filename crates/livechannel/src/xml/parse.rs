//! A lenient reader for request bodies: any element order, whitespace
//! around values, with or without a declaration, self-closing empty
//! elements, unknown elements ignored (`docs/oss-compatibility.md`,
//! "Request bodies").

use std::collections::BTreeMap;

use quick_xml::events::Event;
use quick_xml::Reader;

/// Deepest element nesting accepted; OSS request bodies use three levels.
const MAX_DEPTH: usize = 16;
/// Most elements accepted in one body.
const MAX_ELEMENTS: usize = 1024;

/// Why a body is not well-formed XML (answered as `MalformedXML`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XmlError(pub(crate) String);

/// A parsed body: the root element's name and the text of every element
/// below it by path (`Target/FragDuration`), trimmed. Container elements
/// are present too (with the text between their children, usually empty).
/// When a path occurs more than once, the last occurrence wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Document {
    /// The root element's local name.
    pub(crate) root: String,
    values: BTreeMap<String, String>,
}

impl Document {
    /// The trimmed text of the element at `path` below the root, if present.
    pub(crate) fn get(&self, path: &str) -> Option<&str> {
        self.values.get(path).map(String::as_str)
    }

    /// True when an element at `path` is present.
    pub(crate) fn has(&self, path: &str) -> bool {
        self.values.contains_key(path)
    }
}

/// Reads `body` (UTF-8 XML with one root element).
pub(crate) fn parse(body: &[u8]) -> Result<Document, XmlError> {
    let text =
        std::str::from_utf8(body).map_err(|e| XmlError(format!("body is not utf-8: {e}")))?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut doc = Document::default();
    // Names of the open elements below the root.
    let mut stack: Vec<String> = Vec::new();
    let mut root_open = false;
    let mut root_done = false;
    let mut elements = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| XmlError(format!("at byte {}: {e}", reader.buffer_position())))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if root_done {
                    return Err(XmlError(format!("second root element <{name}>")));
                }
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(XmlError(format!("more than {MAX_ELEMENTS} elements")));
                }
                if !root_open {
                    doc.root = name;
                    root_open = !is_empty;
                    root_done = is_empty;
                    continue;
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError(format!("elements nested deeper than {MAX_DEPTH}")));
                }
                stack.push(name);
                doc.values.insert(stack.join("/"), String::new());
                if is_empty {
                    stack.pop();
                }
            }
            Event::End(_) => {
                if stack.pop().is_none() {
                    root_open = false;
                    root_done = true;
                }
            }
            Event::Text(t) => {
                let value = t
                    .unescape()
                    .map_err(|e| XmlError(format!("at byte {}: {e}", reader.buffer_position())))?;
                append(&mut doc, &stack, root_open, &value)?;
            }
            Event::CData(t) => {
                let value = String::from_utf8_lossy(&t.into_inner()).into_owned();
                append(&mut doc, &stack, root_open, &value)?;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !root_done {
        return Err(XmlError(if root_open {
            format!("element <{}> is not closed", doc.root)
        } else {
            "no root element".to_owned()
        }));
    }
    Ok(doc)
}

fn append(
    doc: &mut Document,
    stack: &[String],
    root_open: bool,
    value: &str,
) -> Result<(), XmlError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(());
    }
    if !root_open {
        return Err(XmlError(format!("text {value:?} outside the root element")));
    }
    if let Some(slot) = doc.values.get_mut(&stack.join("/")) {
        slot.push_str(value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_oss2_body() {
        let body = b"<LiveChannelConfiguration><Description /><Status>enabled</Status><Target><Type>HLS</Type><FragDuration>5</FragDuration><FragCount>3</FragCount><PlaylistName /></Target></LiveChannelConfiguration>";
        let doc = parse(body).unwrap();
        assert_eq!(doc.root, "LiveChannelConfiguration");
        assert_eq!(doc.get("Description"), Some(""));
        assert_eq!(doc.get("Status"), Some("enabled"));
        assert_eq!(doc.get("Target/FragCount"), Some("3"));
        assert_eq!(doc.get("Target/PlaylistName"), Some(""));
        assert!(doc.has("Target"));
        assert_eq!(doc.get("Snapshot"), None);
    }

    #[test]
    fn is_lenient_about_layout() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->\n<LiveChannelConfiguration>\n  <Target>\n    <PlaylistName> a&amp;b.m3u8 </PlaylistName>\n    <Type>HLS</Type>\n  </Target>\n  <Description><![CDATA[x<y]]></Description>\n</LiveChannelConfiguration>\n";
        let doc = parse(body.as_bytes()).unwrap();
        assert_eq!(doc.get("Target/PlaylistName"), Some("a&b.m3u8"));
        assert_eq!(doc.get("Target/Type"), Some("HLS"));
        assert_eq!(doc.get("Description"), Some("x<y"));
    }

    #[test]
    fn refuses_what_is_not_xml() {
        for body in [
            &b""[..],
            b"HLS",
            b"<A><B></A>",
            b"<A>",
            b"<A></A><B></B>",
            b"<A>&bogus;</A>",
            b"\xff\xfe<A/>",
            b"<A></A>trailing",
        ] {
            assert!(parse(body).is_err(), "{:?}", String::from_utf8_lossy(body));
        }
        let deep = format!("<A>{}{}</A>", "<B>".repeat(40), "</B>".repeat(40));
        assert!(parse(deep.as_bytes()).is_err());
        let wide = format!("<A>{}</A>", "<B/>".repeat(2000));
        assert!(parse(wide.as_bytes()).is_err());
    }
}
