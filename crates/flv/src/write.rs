//! Writing FLV: tags into a `Vec`, or a whole file through `std::io::Write`.

use std::io;

use crate::{write_header, Error, TagType};

/// Largest body the 24-bit DataSize field can describe.
const MAX_BODY: usize = 0xFF_FFFF;

/// Appends one tag: the 11-byte tag header (stream id 0), `body`, and the
/// PreviousTagSize that follows it.
///
/// `timestamp` is split into Timestamp (low 24 bits) and
/// TimestampExtended (high 8). Fails with [`Error::BodyTooLarge`] for a
/// body over 0xFFFFFF bytes and [`Error::InvalidTagType`] for an
/// [`TagType::Other`] value over 31; `out` is unchanged then.
///
/// ```
/// use livechannel_flv::{write_tag, TagType};
///
/// let mut out = Vec::new();
/// write_tag(&mut out, TagType::Script, 0x0100_0002, b"xy")?;
/// assert_eq!(out, [18, 0, 0, 2, 0, 0, 2, 1, 0, 0, 0, b'x', b'y', 0, 0, 0, 13]);
/// # Ok::<(), livechannel_flv::Error>(())
/// ```
pub fn write_tag(
    out: &mut Vec<u8>,
    tag_type: TagType,
    timestamp: u32,
    body: &[u8],
) -> Result<(), Error> {
    let (header, trailer) = framing(tag_type, timestamp, body.len())?;
    out.reserve(header.len() + body.len() + trailer.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(body);
    out.extend_from_slice(&trailer);
    Ok(())
}

/// The tag header and the PreviousTagSize around a body of `len` bytes.
fn framing(tag_type: TagType, timestamp: u32, len: usize) -> Result<([u8; 11], [u8; 4]), Error> {
    let type_byte = tag_type.as_u8();
    if type_byte > 0x1F {
        return Err(Error::InvalidTagType { value: type_byte });
    }
    let size = u32::try_from(len)
        .ok()
        .filter(|&size| size as usize <= MAX_BODY)
        .ok_or(Error::BodyTooLarge {
            size: len,
            limit: MAX_BODY,
        })?;
    let [_, s0, s1, s2] = size.to_be_bytes();
    let [ext, t0, t1, t2] = timestamp.to_be_bytes();
    let header = [type_byte, s0, s1, s2, t0, t1, t2, ext, 0, 0, 0];
    Ok((header, (size + 11).to_be_bytes()))
}

/// Writes an FLV file to any [`io::Write`]: the header on creation, then
/// one tag per [`write_tag`](Writer::write_tag) call.
///
/// Each tag goes to the writer in three `write_all` calls (header, body,
/// PreviousTagSize) without copying the body; wrap unbuffered sinks in a
/// [`io::BufWriter`].
///
/// ```
/// use livechannel_flv::{TagType, Writer};
///
/// let mut writer = Writer::new(Vec::new(), true, false)?;
/// writer.write_tag(TagType::Audio, 0, &[0xAF, 0x00, 0x12, 0x10])?;
/// let file = writer.into_inner();
/// assert_eq!(&file[..3], b"FLV");
/// assert_eq!(file.len(), 13 + 11 + 4 + 4);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Writer<W> {
    inner: W,
}

impl<W: io::Write> Writer<W> {
    /// Writes the FLV header and PreviousTagSize0 to `inner`.
    pub fn new(mut inner: W, has_audio: bool, has_video: bool) -> io::Result<Self> {
        let mut header = Vec::with_capacity(13);
        write_header(&mut header, has_audio, has_video);
        inner.write_all(&header)?;
        Ok(Writer { inner })
    }

    /// Writes one tag (see [`write_tag`](crate::write_tag)). A body that
    /// cannot be written is an [`io::ErrorKind::InvalidInput`] error whose
    /// inner error is the crate's [`Error`]; nothing is written then.
    pub fn write_tag(&mut self, tag_type: TagType, timestamp: u32, body: &[u8]) -> io::Result<()> {
        let (header, trailer) = framing(tag_type, timestamp, body.len())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        self.inner.write_all(&header)?;
        self.inner.write_all(body)?;
        self.inner.write_all(&trailer)
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Returns the underlying writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}
