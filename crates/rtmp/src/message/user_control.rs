//! User Control Message events (§6.2, §7.1.7).

use bytes::Bytes;

use crate::chunk::header::read_u32_be;

/// One user control event (message type 4).
///
/// ```
/// use livechannel_rtmp::UserControlEvent;
///
/// let ping = UserControlEvent::PingRequest { timestamp: 1234 };
/// let mut body = Vec::new();
/// ping.encode(&mut body);
/// assert_eq!(body, [0, 6, 0, 0, 0x04, 0xD2]);
/// assert_eq!(UserControlEvent::decode(&body), Some(ping));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserControlEvent {
    /// 0: the stream became functional.
    StreamBegin {
        /// The message stream id.
        stream_id: u32,
    },
    /// 1: playback of the stream ended.
    StreamEof {
        /// The message stream id.
        stream_id: u32,
    },
    /// 2: no more data on the stream for now.
    StreamDry {
        /// The message stream id.
        stream_id: u32,
    },
    /// 3: the client's buffer length.
    SetBufferLength {
        /// The message stream id.
        stream_id: u32,
        /// Buffer length in milliseconds.
        buffer_ms: u32,
    },
    /// 4: the stream is recorded.
    StreamIsRecorded {
        /// The message stream id.
        stream_id: u32,
    },
    /// 6: the server checks the client is alive; answer with a `PingResponse`.
    PingRequest {
        /// The sender's local time, echoed back.
        timestamp: u32,
    },
    /// 7: the answer to a `PingRequest`.
    PingResponse {
        /// The timestamp from the request.
        timestamp: u32,
    },
    /// Any other event type (e.g. Red5's buffer empty/ready), kept as read.
    Other {
        /// The event type.
        event_type: u16,
        /// The event data.
        data: Bytes,
    },
}

impl UserControlEvent {
    /// Reads an event from a message body; `None` when the body is too
    /// short for its event type.
    pub fn decode(body: &[u8]) -> Option<UserControlEvent> {
        let (&[hi, lo], rest) = (body.get(..2)?, body.get(2..)?) else {
            return None;
        };
        let event_type = u16::from_be_bytes([hi, lo]);
        let first = || rest.get(..4).map(read_u32_be);
        Some(match event_type {
            0 => UserControlEvent::StreamBegin {
                stream_id: first()?,
            },
            1 => UserControlEvent::StreamEof {
                stream_id: first()?,
            },
            2 => UserControlEvent::StreamDry {
                stream_id: first()?,
            },
            3 => UserControlEvent::SetBufferLength {
                stream_id: first()?,
                buffer_ms: rest.get(4..8).map(read_u32_be)?,
            },
            4 => UserControlEvent::StreamIsRecorded {
                stream_id: first()?,
            },
            6 => UserControlEvent::PingRequest {
                timestamp: first()?,
            },
            7 => UserControlEvent::PingResponse {
                timestamp: first()?,
            },
            _ => UserControlEvent::Other {
                event_type,
                data: Bytes::copy_from_slice(rest),
            },
        })
    }

    /// Appends the event's message body to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let (event_type, a, b): (u16, u32, Option<u32>) = match self {
            UserControlEvent::StreamBegin { stream_id } => (0, *stream_id, None),
            UserControlEvent::StreamEof { stream_id } => (1, *stream_id, None),
            UserControlEvent::StreamDry { stream_id } => (2, *stream_id, None),
            UserControlEvent::SetBufferLength {
                stream_id,
                buffer_ms,
            } => (3, *stream_id, Some(*buffer_ms)),
            UserControlEvent::StreamIsRecorded { stream_id } => (4, *stream_id, None),
            UserControlEvent::PingRequest { timestamp } => (6, *timestamp, None),
            UserControlEvent::PingResponse { timestamp } => (7, *timestamp, None),
            UserControlEvent::Other { event_type, data } => {
                out.extend_from_slice(&event_type.to_be_bytes());
                out.extend_from_slice(data);
                return;
            }
        };
        out.extend_from_slice(&event_type.to_be_bytes());
        out.extend_from_slice(&a.to_be_bytes());
        if let Some(b) = b {
            out.extend_from_slice(&b.to_be_bytes());
        }
    }
}
