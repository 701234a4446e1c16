//! How urgently a session needs the peer's next bytes.

use std::num::NonZeroUsize;
use std::time::Duration;

/// What a driver may do to read the socket less often, from
/// [`ServerSession::read_hint`](crate::ServerSession::read_hint).
///
/// Why: a publisher sends 60 to 80 small messages a second (a video frame,
/// audio frames in between), and reading each as it arrives costs a wake,
/// a `recv` and usually a TCP ACK each: at hundreds of streams, most of a
/// server's CPU. While media flows one way nothing waits for the server's
/// answer, so the bytes may gather in the socket for a moment (with
/// `SO_RCVLOWAT` on Linux) and be read in one go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadHint {
    /// Read every byte as soon as it comes: the handshake and the commands
    /// before a publish, where the peer waits for each answer.
    Eager,
    /// A publish is under way: the driver may let bytes gather, for a
    /// bounded time (a publisher may still send a command and wait).
    Media {
        /// The fewest bytes that complete the message under way that
        /// something waits for ([`awaited`]; see
        /// [`ChunkDecoder::bytes_wanted_by`](crate::ChunkDecoder::bytes_wanted_by)):
        /// waiting for fewer holds it back. `None` when no such message
        /// is under way: audio and inter frames may gather with the rest.
        message_rest: Option<NonZeroUsize>,
        /// How long no message that arrives can change anything yet, so
        /// that even `message_rest` may wait. Always zero from
        /// [`ServerSession`](crate::ServerSession), which cannot know; a
        /// layer that does raises it (`livechannel`'s ingest: the stream
        /// time until the open segment can be cut).
        slack: Duration,
    },
}

/// Whether a message, by its type id and the first byte of its body
/// (`None` while that has not come), is one to read the moment it is
/// whole: anything but audio and video inter frames.
///
/// Why those two may wait: a segment is cut at a keyframe, so the
/// keyframe is what makes the previous segment playable; audio and inter
/// frames only join the segment under way, and reading them a few tens of
/// milliseconds later changes no segment's time. Reading each video frame
/// as soon as it was whole doubled the reads of a 3 Mb/s publish.
///
/// The first byte of a video body holds its frame type in bits 4 to 6,
/// in legacy and Enhanced RTMP alike: 2 (inter) and 3 (disposable inter)
/// may wait; keyframes (1, 4), command frames (5) and sequence headers
/// (sent as keyframes) may not.
///
/// ```
/// use livechannel_rtmp::awaited;
/// assert!(awaited(9, Some(0x17))); // AVC keyframe
/// assert!(!awaited(9, Some(0x27))); // AVC inter frame
/// assert!(!awaited(8, Some(0xaf))); // AAC
/// assert!(awaited(20, Some(0x02))); // a command
/// assert!(awaited(9, None)); // not known yet
/// ```
pub fn awaited(type_id: u8, first: Option<u8>) -> bool {
    use crate::message::type_id::{AUDIO, VIDEO};
    match (type_id, first) {
        (AUDIO, _) => false,
        (VIDEO, Some(b)) => !matches!((b >> 4) & 0x07, 2 | 3),
        _ => true,
    }
}
