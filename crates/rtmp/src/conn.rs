//! What both session sides share: handshake, chunk decoder and encoder,
//! acknowledgements, ping replies and the outgoing byte queue.

use bytes::{Buf, Bytes, BytesMut};

use crate::handshake::{Handshake, HANDSHAKE_LEN};
use crate::message::encode_amf;
use crate::{
    ChunkDecoder, ChunkEncoder, ChunkLimits, Command, Error, Message, MessagePool, RawMessage,
    UserControlEvent,
};

/// Chunk stream ids we send on (the usual FFmpeg/OBS assignment).
pub(crate) const CSID_CONTROL: u32 = 2;
pub(crate) const CSID_COMMAND: u32 = 3;
pub(crate) const CSID_AUDIO: u32 = 4;
pub(crate) const CSID_DATA: u32 = 5;
pub(crate) const CSID_VIDEO: u32 = 6;

/// The largest command or data message a session decodes. Decoded AMF0
/// values take up to ~60 times their wire size, so the chunk layer's
/// message cap alone would let a peer make us allocate hundreds of MiB;
/// real commands and `@setDataFrame` bodies are a few hundred bytes.
pub(crate) const MAX_AMF_MESSAGE: usize = 256 * 1024;

/// A received message with its interpretation (which may have failed).
pub(crate) type Received = (RawMessage, Result<Message, Error>);

#[derive(Debug)]
pub(crate) struct Conn {
    handshake: Option<Handshake>,
    pub(crate) decoder: ChunkDecoder,
    pub(crate) encoder: ChunkEncoder,
    out: Vec<u8>,
    /// Stream position (handshake included) of the last Acknowledgement.
    last_ack: u64,
    peer_window: Option<u32>,
}

impl Conn {
    pub(crate) fn new(
        handshake: Handshake,
        limits: ChunkLimits,
        pool: Option<MessagePool>,
    ) -> Self {
        let decoder = ChunkDecoder::with_limits(limits).with_start_offset(HANDSHAKE_LEN as u64);
        Conn {
            handshake: Some(handshake),
            decoder: match pool {
                Some(pool) => decoder.with_pool(pool),
                None => decoder,
            },
            encoder: ChunkEncoder::new(),
            out: Vec::new(),
            last_ack: 0,
            peer_window: None,
        }
    }

    pub(crate) fn handshaking(&self) -> bool {
        self.handshake.is_some()
    }

    pub(crate) fn handshake_bytes(&self) -> usize {
        self.handshake
            .as_ref()
            .map_or(HANDSHAKE_LEN, Handshake::bytes_received)
    }

    /// Takes the initial output of a client handshake.
    pub(crate) fn flush_handshake(&mut self) {
        if let Some(hs) = &mut self.handshake {
            self.out.extend_from_slice(&hs.take_output());
        }
    }

    /// Takes received bytes: the handshake's share first, then the chunk
    /// stream's. Returns true when this call completed the handshake.
    pub(crate) fn receive(&mut self, data: &[u8]) -> Result<bool, Error> {
        self.decoder.push(data);
        self.received_in_place()
    }

    /// Room for `room` more received bytes, appended in place (see
    /// [`received_in_place`](Self::received_in_place)).
    pub(crate) fn input_buffer(&mut self, room: usize) -> &mut BytesMut {
        let buf = self.decoder.input_mut();
        buf.reserve(room);
        buf
    }

    /// Bytes were appended to the input: the handshake takes its share
    /// first, the chunk stream the rest. Returns true when this call
    /// completed the handshake.
    pub(crate) fn received_in_place(&mut self) -> Result<bool, Error> {
        let Some(hs) = &mut self.handshake else {
            return Ok(false);
        };
        let input = self.decoder.input_mut();
        let used = hs.handle_input(input)?;
        input.advance(used);
        self.out.extend_from_slice(&hs.take_output());
        if hs.is_complete() {
            self.handshake = None;
            return Ok(true);
        }
        Ok(false)
    }

    /// The next message and its interpretation. Control messages that need
    /// an automatic reaction (window size, ping) are handled here and still
    /// returned.
    pub(crate) fn next_message(&mut self) -> Result<Option<Received>, Error> {
        if self.handshake.is_some() {
            return Ok(None);
        }
        let Some(raw) = self.decoder.poll()? else {
            return Ok(None);
        };
        let offset = self.decoder.last_message_offset();
        let amf = matches!(
            raw.type_id,
            crate::type_id::COMMAND_AMF0
                | crate::type_id::COMMAND_AMF3
                | crate::type_id::DATA_AMF0
                | crate::type_id::DATA_AMF3
        );
        if amf && raw.payload.len() > MAX_AMF_MESSAGE {
            let err = Error::InvalidMessage {
                offset,
                type_id: raw.type_id,
                reason: "command or data message larger than 256 KiB",
            };
            return Ok(Some((raw, Err(err))));
        }
        let msg = Message::decode_at(
            raw.type_id,
            &raw.payload,
            offset,
            livechannel_amf0::Limits::default(),
        );
        self.maybe_acknowledge()?;
        match &msg {
            Ok(Message::WindowAckSize(size)) => self.peer_window = Some(*size),
            Ok(Message::UserControl(UserControlEvent::PingRequest { timestamp })) => {
                let pong = Message::UserControl(UserControlEvent::PingResponse {
                    timestamp: *timestamp,
                });
                self.send(&pong, CSID_CONTROL, 0, 0)?;
            }
            _ => {}
        }
        Ok(Some((raw, msg)))
    }

    /// Sends an Acknowledgement once a window's worth of bytes has been
    /// consumed since the last one (§5.4.3). Checked at message boundaries,
    /// so the bytes we send do not depend on how the input was split.
    fn maybe_acknowledge(&mut self) -> Result<(), Error> {
        let Some(window) = self.peer_window.filter(|w| *w > 0) else {
            return Ok(());
        };
        let consumed = self.decoder.position();
        if consumed.saturating_sub(self.last_ack) >= u64::from(window) {
            self.last_ack = consumed;
            // The sequence number wraps like the peer's counter.
            let seq = consumed as u32;
            self.send(
                &Message::Acknowledgement {
                    sequence_number: seq,
                },
                CSID_CONTROL,
                0,
                0,
            )?;
        }
        Ok(())
    }

    pub(crate) fn send(
        &mut self,
        msg: &Message,
        csid: u32,
        timestamp: u32,
        stream_id: u32,
    ) -> Result<(), Error> {
        let raw = msg.to_raw(csid, timestamp, stream_id)?;
        self.encoder.encode(&raw, &mut self.out)
    }

    pub(crate) fn send_media(
        &mut self,
        csid: u32,
        type_id: u8,
        timestamp: u32,
        stream_id: u32,
        data: &[u8],
    ) -> Result<(), Error> {
        self.encoder
            .encode_parts(csid, timestamp, type_id, stream_id, data, &mut self.out)
    }

    pub(crate) fn send_command(&mut self, command: &Command, stream_id: u32) -> Result<(), Error> {
        let mut body = Vec::new();
        command.encode(&mut body)?;
        self.encoder.encode_parts(
            CSID_COMMAND,
            0,
            crate::type_id::COMMAND_AMF0,
            stream_id,
            &body,
            &mut self.out,
        )
    }

    pub(crate) fn send_data(
        &mut self,
        values: &[livechannel_amf0::Value],
        stream_id: u32,
    ) -> Result<(), Error> {
        let mut body = Vec::new();
        for v in values {
            encode_amf(v, &mut body, "data message")?;
        }
        self.encoder.encode_parts(
            CSID_DATA,
            0,
            crate::type_id::DATA_AMF0,
            stream_id,
            &body,
            &mut self.out,
        )
    }

    pub(crate) fn set_chunk_size(&mut self, size: u32) -> Result<(), Error> {
        self.encoder.encode_set_chunk_size(size, &mut self.out)
    }

    /// Frees everything held for input once the session is closed; unsent
    /// output stays so a final status can still be flushed.
    pub(crate) fn release_input(&mut self) {
        self.decoder = ChunkDecoder::new();
        self.handshake = None;
    }

    pub(crate) fn take_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() {
            None
        } else {
            Some(Bytes::from(std::mem::take(&mut self.out)))
        }
    }

    /// Bytes held on behalf of the peer: handshake state, undecoded input,
    /// partial messages and unsent output.
    pub(crate) fn buffered(&self) -> usize {
        let hs = self.handshake.as_ref().map_or(0, Handshake::buffered);
        hs.saturating_add(self.decoder.buffered())
            .saturating_add(self.out.len())
    }
}
