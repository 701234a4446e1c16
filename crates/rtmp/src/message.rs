//! Typed RTMP messages (§5.4 protocol control, §6.2 user control, §7.1
//! command, data, audio, video and aggregate messages).

mod aggregate;
pub(crate) mod command;
mod user_control;

pub use aggregate::{AggregateIter, SubMessage};
pub use command::Command;
pub use user_control::UserControlEvent;

use bytes::Bytes;
use livechannel_amf0::{Decoder, Value};

use crate::chunk::header::read_u32_be;
use crate::{Error, RawMessage};

/// Message type ids (§5.4, §7.1).
pub mod type_id {
    /// Set Chunk Size.
    pub const SET_CHUNK_SIZE: u8 = 1;
    /// Abort Message.
    pub const ABORT: u8 = 2;
    /// Acknowledgement.
    pub const ACKNOWLEDGEMENT: u8 = 3;
    /// User Control Message.
    pub const USER_CONTROL: u8 = 4;
    /// Window Acknowledgement Size.
    pub const WINDOW_ACK_SIZE: u8 = 5;
    /// Set Peer Bandwidth.
    pub const SET_PEER_BANDWIDTH: u8 = 6;
    /// Audio data (an FLV audio tag body).
    pub const AUDIO: u8 = 8;
    /// Video data (an FLV video tag body).
    pub const VIDEO: u8 = 9;
    /// Data message, AMF3 form.
    pub const DATA_AMF3: u8 = 15;
    /// Shared object message, AMF3 form.
    pub const SHARED_OBJECT_AMF3: u8 = 16;
    /// Command message, AMF3 form.
    pub const COMMAND_AMF3: u8 = 17;
    /// Data message, AMF0 form.
    pub const DATA_AMF0: u8 = 18;
    /// Shared object message, AMF0 form.
    pub const SHARED_OBJECT_AMF0: u8 = 19;
    /// Command message, AMF0 form.
    pub const COMMAND_AMF0: u8 = 20;
    /// Aggregate message.
    pub const AGGREGATE: u8 = 22;
}

/// The limit type of a Set Peer Bandwidth message (§5.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandwidthLimit {
    /// 0: limit the output bandwidth to the window size.
    Hard,
    /// 1: limit to the window or the current limit, whichever is smaller.
    Soft,
    /// 2: hard if the previous limit was hard, else ignore.
    Dynamic,
    /// Any other value, kept as read.
    Other(u8),
}

impl BandwidthLimit {
    fn from_byte(b: u8) -> Self {
        match b {
            0 => BandwidthLimit::Hard,
            1 => BandwidthLimit::Soft,
            2 => BandwidthLimit::Dynamic,
            other => BandwidthLimit::Other(other),
        }
    }

    fn to_byte(self) -> u8 {
        match self {
            BandwidthLimit::Hard => 0,
            BandwidthLimit::Soft => 1,
            BandwidthLimit::Dynamic => 2,
            BandwidthLimit::Other(b) => b,
        }
    }
}

/// One RTMP message, its body interpreted by type.
///
/// AMF3-form command and data messages (types 17 and 15) are read as a
/// format byte 0x00 followed by AMF0 values, which is what publishers send;
/// values that switch to AMF3 inside fail with
/// [`livechannel_amf0::Error::Amf3NotSupported`].
///
/// ```
/// use livechannel_amf0::Value;
/// use livechannel_rtmp::{Command, Message};
///
/// let msg = Message::Command {
///     command: Command::new("createStream", 2.0, Value::Null, vec![]),
///     amf3: false,
/// };
/// let raw = msg.to_raw(3, 0, 0)?;
/// assert_eq!(raw.type_id, 20);
/// assert_eq!(Message::decode(&raw)?, msg);
/// # Ok::<(), livechannel_rtmp::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Type 1: the sender's new chunk size.
    SetChunkSize(u32),
    /// Type 2: discard the partial message on this chunk stream.
    Abort {
        /// The chunk stream id.
        csid: u32,
    },
    /// Type 3: bytes received so far (wrapping at 2³²).
    Acknowledgement {
        /// The byte count.
        sequence_number: u32,
    },
    /// Type 4: a user control event.
    UserControl(UserControlEvent),
    /// Type 5: acknowledge after this many bytes.
    WindowAckSize(u32),
    /// Type 6: limit the peer's output bandwidth.
    SetPeerBandwidth {
        /// The window size in bytes.
        size: u32,
        /// How to apply it.
        limit: BandwidthLimit,
    },
    /// Type 8: audio, an FLV audio tag body.
    Audio(Bytes),
    /// Type 9: video, an FLV video tag body.
    Video(Bytes),
    /// Types 18 (AMF0) and 15 (AMF3 form): a data message such as
    /// `@setDataFrame` / `onMetaData`.
    Data {
        /// The values in order.
        values: Vec<Value>,
        /// Whether it is the AMF3 form (type 15).
        amf3: bool,
    },
    /// Types 20 (AMF0) and 17 (AMF3 form): a command.
    Command {
        /// The command.
        command: Command,
        /// Whether it is the AMF3 form (type 17).
        amf3: bool,
    },
    /// Type 22: several audio/video/data messages in one (see [`AggregateIter`]).
    Aggregate(Bytes),
    /// Any other type (shared objects and unassigned ids), uninterpreted.
    Other {
        /// The type id.
        type_id: u8,
        /// The body.
        payload: Bytes,
    },
}

impl Message {
    /// Interprets a received message's body.
    pub fn decode(raw: &RawMessage) -> Result<Message, Error> {
        Self::decode_at(
            raw.type_id,
            &raw.payload,
            0,
            livechannel_amf0::Limits::default(),
        )
    }

    /// Like [`decode`](Self::decode), with the stream offset to put in
    /// errors and the AMF0 limits to apply.
    pub fn decode_at(
        type_id: u8,
        payload: &Bytes,
        offset: u64,
        amf_limits: livechannel_amf0::Limits,
    ) -> Result<Message, Error> {
        let invalid = |reason| Error::InvalidMessage {
            offset,
            type_id,
            reason,
        };
        let u32_body = |reason| {
            payload
                .get(..4)
                .map(read_u32_be)
                .ok_or_else(|| invalid(reason))
        };
        Ok(match type_id {
            type_id::SET_CHUNK_SIZE => {
                Message::SetChunkSize(u32_body("set chunk size body is shorter than 4 bytes")?)
            }
            type_id::ABORT => Message::Abort {
                csid: u32_body("abort message body is shorter than 4 bytes")?,
            },
            type_id::ACKNOWLEDGEMENT => Message::Acknowledgement {
                sequence_number: u32_body("acknowledgement body is shorter than 4 bytes")?,
            },
            type_id::USER_CONTROL => Message::UserControl(
                UserControlEvent::decode(payload)
                    .ok_or_else(|| invalid("user control body is too short for its event type"))?,
            ),
            type_id::WINDOW_ACK_SIZE => Message::WindowAckSize(u32_body(
                "window acknowledgement size body is shorter than 4 bytes",
            )?),
            type_id::SET_PEER_BANDWIDTH => Message::SetPeerBandwidth {
                size: u32_body("set peer bandwidth body is shorter than 4 bytes")?,
                // Some peers send only the size; treat that as dynamic.
                limit: BandwidthLimit::from_byte(payload.get(4).copied().unwrap_or(2)),
            },
            type_id::AUDIO => Message::Audio(payload.clone()),
            type_id::VIDEO => Message::Video(payload.clone()),
            type_id::DATA_AMF0 | type_id::DATA_AMF3 => {
                let amf3 = type_id == type_id::DATA_AMF3;
                let values = decode_values(payload, amf3, offset, amf_limits, "data message")?;
                Message::Data { values, amf3 }
            }
            type_id::COMMAND_AMF0 | type_id::COMMAND_AMF3 => {
                let amf3 = type_id == type_id::COMMAND_AMF3;
                let values = decode_values(payload, amf3, offset, amf_limits, "command message")?;
                let command = Command::from_values(values)
                    .ok_or_else(|| invalid("command message does not start with a name string"))?;
                Message::Command { command, amf3 }
            }
            type_id::AGGREGATE => Message::Aggregate(payload.clone()),
            other => Message::Other {
                type_id: other,
                payload: payload.clone(),
            },
        })
    }

    /// The message type id this message is sent with.
    pub fn type_id(&self) -> u8 {
        match self {
            Message::SetChunkSize(_) => type_id::SET_CHUNK_SIZE,
            Message::Abort { .. } => type_id::ABORT,
            Message::Acknowledgement { .. } => type_id::ACKNOWLEDGEMENT,
            Message::UserControl(_) => type_id::USER_CONTROL,
            Message::WindowAckSize(_) => type_id::WINDOW_ACK_SIZE,
            Message::SetPeerBandwidth { .. } => type_id::SET_PEER_BANDWIDTH,
            Message::Audio(_) => type_id::AUDIO,
            Message::Video(_) => type_id::VIDEO,
            Message::Data { amf3: false, .. } => type_id::DATA_AMF0,
            Message::Data { amf3: true, .. } => type_id::DATA_AMF3,
            Message::Command { amf3: false, .. } => type_id::COMMAND_AMF0,
            Message::Command { amf3: true, .. } => type_id::COMMAND_AMF3,
            Message::Aggregate(_) => type_id::AGGREGATE,
            Message::Other { type_id, .. } => *type_id,
        }
    }

    /// Appends the body to `out`. Fails only when an AMF0 value cannot be
    /// encoded (see [`livechannel_amf0::encode`]); `out` may then hold part
    /// of the body.
    pub fn encode_body(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        match self {
            Message::SetChunkSize(v)
            | Message::Abort { csid: v }
            | Message::Acknowledgement { sequence_number: v }
            | Message::WindowAckSize(v) => out.extend_from_slice(&v.to_be_bytes()),
            Message::UserControl(event) => event.encode(out),
            Message::SetPeerBandwidth { size, limit } => {
                out.extend_from_slice(&size.to_be_bytes());
                out.push(limit.to_byte());
            }
            Message::Audio(b) | Message::Video(b) | Message::Aggregate(b) => {
                out.extend_from_slice(b)
            }
            Message::Other { payload, .. } => out.extend_from_slice(payload),
            Message::Data { values, amf3 } => {
                if *amf3 {
                    out.push(0);
                }
                for v in values {
                    encode_amf(v, out, "data message")?;
                }
            }
            Message::Command { command, amf3 } => {
                if *amf3 {
                    out.push(0);
                }
                command.encode(out)?;
            }
        }
        Ok(())
    }

    /// The message with its header fields, ready for a
    /// [`ChunkEncoder`](crate::ChunkEncoder).
    pub fn to_raw(&self, csid: u32, timestamp: u32, stream_id: u32) -> Result<RawMessage, Error> {
        let payload = match self {
            // Media bodies are already `Bytes`: no copy.
            Message::Audio(b) | Message::Video(b) | Message::Aggregate(b) => b.clone(),
            Message::Other { payload, .. } => payload.clone(),
            _ => {
                let mut out = Vec::new();
                self.encode_body(&mut out)?;
                Bytes::from(out)
            }
        };
        Ok(RawMessage::new(
            csid,
            timestamp,
            self.type_id(),
            stream_id,
            payload,
        ))
    }
}

pub(crate) fn encode_amf(
    value: &Value,
    out: &mut Vec<u8>,
    context: &'static str,
) -> Result<(), Error> {
    livechannel_amf0::encode(value, out).map_err(|source| Error::Amf {
        source,
        context,
        offset: 0,
    })
}

fn decode_values(
    payload: &[u8],
    amf3: bool,
    offset: u64,
    limits: livechannel_amf0::Limits,
    context: &'static str,
) -> Result<Vec<Value>, Error> {
    // The AMF3 forms start with a format byte; 0 means AMF0 follows.
    let body = match payload {
        [0, rest @ ..] if amf3 => rest,
        _ => payload,
    };
    Decoder::new(body)
        .with_limits(limits)
        .decode_all()
        .map_err(|source| Error::Amf {
            source,
            context,
            offset,
        })
}
