//! The 9-byte FLV file header (spec E.2).

use crate::Error;

/// Length of the FLV header of version 1 and of the minimum DataOffset.
pub(crate) const HEADER_LEN: usize = 9;

/// The FLV file header.
///
/// ```
/// use livechannel_flv::{write_header, Demuxer, Event, Header};
///
/// let mut out = Vec::new();
/// write_header(&mut out, true, true);
/// let mut demuxer = Demuxer::new();
/// demuxer.push(&out);
/// let expected = Header { version: 1, has_audio: true, has_video: true, data_offset: 9 };
/// assert_eq!(demuxer.poll()?, Some(Event::Header(expected)));
/// # Ok::<(), livechannel_flv::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// File version (1 for every FLV file in the wild).
    pub version: u8,
    /// TypeFlagsAudio: audio tags are present. Players treat it as a hint.
    pub has_audio: bool,
    /// TypeFlagsVideo: video tags are present. Players treat it as a hint.
    pub has_video: bool,
    /// Where the body (the first PreviousTagSize) starts; 9 for version 1.
    /// Bytes between the header and this offset are skipped.
    pub data_offset: u32,
}

impl Header {
    /// Parses the 9 header bytes. The signature has been checked by the caller.
    pub(crate) fn parse(bytes: [u8; HEADER_LEN]) -> Result<Header, Error> {
        let [_, _, _, version, flags, o0, o1, o2, o3] = bytes;
        let data_offset = u32::from_be_bytes([o0, o1, o2, o3]);
        if (data_offset as usize) < HEADER_LEN {
            return Err(Error::InvalidDataOffset { data_offset });
        }
        Ok(Header {
            version,
            has_audio: flags & 0x04 != 0,
            has_video: flags & 0x01 != 0,
            data_offset,
        })
    }
}

/// Appends a version-1 FLV header (9 bytes) and PreviousTagSize0 (4 zero
/// bytes): what comes before the first tag.
pub fn write_header(out: &mut Vec<u8>, has_audio: bool, has_video: bool) {
    let flags = (u8::from(has_audio) << 2) | u8::from(has_video);
    out.extend_from_slice(&[b'F', b'L', b'V', 1, flags, 0, 0, 0, 9, 0, 0, 0, 0]);
}
