//! How urgently a session needs the peer's next bytes.

use std::num::NonZeroUsize;

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
        /// The fewest bytes that complete the message under way (see
        /// [`ChunkDecoder::bytes_wanted`](crate::ChunkDecoder::bytes_wanted)):
        /// waiting for fewer holds nothing back. `None` when no message is
        /// under way.
        message_rest: Option<NonZeroUsize>,
    },
}
