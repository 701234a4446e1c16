//! Every message type: encode → chunk → decode round trips, and rml_rtmp's
//! message serializer as an oracle in both directions.

use bytes::Bytes;
use livechannel_amf0::Value;
use livechannel_rtmp::{
    BandwidthLimit, ChunkDecoder, ChunkEncoder, Command, Message, UserControlEvent,
};
use proptest::prelude::*;

fn arb_value() -> impl Strategy<Value = Value> {
    let key = "[a-zA-Z][a-zA-Z0-9_]{0,12}";
    let leaf = prop_oneof![
        (-1e12f64..1e12).prop_map(Value::Number),
        any::<bool>().prop_map(Value::Boolean),
        ".{0,20}".prop_map(Value::String),
        Just(Value::Null),
        Just(Value::Undefined),
        any::<u16>().prop_map(Value::Reference),
        (-1e12f64..1e12, any::<i16>())
            .prop_map(|(millis, time_zone)| Value::Date { millis, time_zone }),
        ".{0,20}".prop_map(Value::LongString),
    ];
    leaf.prop_recursive(4, 40, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec((key, inner.clone()), 0..5).prop_map(Value::Object),
            proptest::collection::vec((key, inner.clone()), 0..5).prop_map(Value::EcmaArray),
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::StrictArray),
            (key, proptest::collection::vec((key, inner), 0..4)).prop_map(
                |(class_name, properties)| Value::TypedObject {
                    class_name,
                    properties
                }
            ),
        ]
    })
}

fn arb_bytes() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..300).prop_map(Bytes::from)
}

fn arb_user_control() -> impl Strategy<Value = UserControlEvent> {
    prop_oneof![
        any::<u32>().prop_map(|stream_id| UserControlEvent::StreamBegin { stream_id }),
        any::<u32>().prop_map(|stream_id| UserControlEvent::StreamEof { stream_id }),
        any::<u32>().prop_map(|stream_id| UserControlEvent::StreamDry { stream_id }),
        (any::<u32>(), any::<u32>()).prop_map(|(stream_id, buffer_ms)| {
            UserControlEvent::SetBufferLength {
                stream_id,
                buffer_ms,
            }
        }),
        any::<u32>().prop_map(|stream_id| UserControlEvent::StreamIsRecorded { stream_id }),
        any::<u32>().prop_map(|timestamp| UserControlEvent::PingRequest { timestamp }),
        any::<u32>().prop_map(|timestamp| UserControlEvent::PingResponse { timestamp }),
        (prop_oneof![Just(5u16), 8u16..=u16::MAX], arb_bytes())
            .prop_map(|(event_type, data)| UserControlEvent::Other { event_type, data }),
    ]
}

fn arb_message() -> impl Strategy<Value = Message> {
    let limit = prop_oneof![
        Just(BandwidthLimit::Hard),
        Just(BandwidthLimit::Soft),
        Just(BandwidthLimit::Dynamic),
        (3u8..=255).prop_map(BandwidthLimit::Other),
    ];
    let command = (
        "[a-zA-Z_@]{1,16}",
        0u32..1000,
        arb_value(),
        proptest::collection::vec(arb_value(), 0..4),
    )
        .prop_map(|(name, tid, object, arguments)| {
            Command::new(&name, f64::from(tid), object, arguments)
        });
    let unassigned: Vec<u8> = (0u8..=255)
        .filter(|t| ![1, 2, 3, 4, 5, 6, 8, 9, 15, 17, 18, 20, 22].contains(t))
        .collect();
    let other_type = prop::sample::select(unassigned);
    prop_oneof![
        (1u32..=0x7FFF_FFFF).prop_map(Message::SetChunkSize),
        any::<u32>().prop_map(|csid| Message::Abort { csid }),
        any::<u32>().prop_map(|sequence_number| Message::Acknowledgement { sequence_number }),
        arb_user_control().prop_map(Message::UserControl),
        any::<u32>().prop_map(Message::WindowAckSize),
        (any::<u32>(), limit).prop_map(|(size, limit)| Message::SetPeerBandwidth { size, limit }),
        arb_bytes().prop_map(Message::Audio),
        arb_bytes().prop_map(Message::Video),
        (proptest::collection::vec(arb_value(), 0..4), any::<bool>())
            .prop_map(|(values, amf3)| Message::Data { values, amf3 }),
        (command, any::<bool>()).prop_map(|(command, amf3)| Message::Command { command, amf3 }),
        arb_bytes().prop_map(Message::Aggregate),
        (other_type, arb_bytes())
            .prop_map(|(type_id, payload)| Message::Other { type_id, payload }),
    ]
}

proptest! {
    // Generators build valid values by construction: no input may be rejected.
    #![proptest_config(ProptestConfig { max_global_rejects: 0, max_local_rejects: 0, ..ProptestConfig::default() })]
    #[test]
    fn every_message_type_round_trips_through_chunks(msgs in proptest::collection::vec(arb_message(), 1..12)) {
        let mut encoder = ChunkEncoder::new();
        let mut wire = Vec::new();
        for (i, m) in msgs.iter().enumerate() {
            let raw = m.to_raw(3 + (i as u32 % 4), i as u32 * 10, 1).unwrap();
            prop_assert_eq!(&Message::decode(&raw).unwrap(), m);
            encoder.encode(&raw, &mut wire).unwrap();
            if let Message::SetChunkSize(size) = m {
                encoder.set_chunk_size(*size).unwrap();
            }
        }
        let mut decoder = ChunkDecoder::new();
        decoder.push(&wire);
        let mut decoded = Vec::new();
        while let Some(raw) = decoder.poll().unwrap() {
            decoded.push(Message::decode(&raw).unwrap());
        }
        prop_assert_eq!(decoded, msgs);
    }
}

#[test]
fn short_control_bodies_are_invalid() {
    use livechannel_rtmp::{Error, RawMessage};
    for type_id in [1u8, 2, 3, 4, 5, 6] {
        let raw = RawMessage::new(2, 0, type_id, 0, Bytes::from_static(&[0, 0]));
        assert!(
            matches!(Message::decode(&raw), Err(Error::InvalidMessage { type_id: t, .. }) if t == type_id),
            "type {type_id}"
        );
    }
    // A command must start with its name.
    let raw = RawMessage::new(3, 0, 20, 0, Bytes::from_static(&[0x05]));
    assert!(matches!(
        Message::decode(&raw),
        Err(Error::InvalidMessage { type_id: 20, .. })
    ));
}

#[test]
fn set_peer_bandwidth_without_limit_type_is_dynamic() {
    let raw = livechannel_rtmp::RawMessage::new(2, 0, 6, 0, Bytes::from_static(&[0, 0, 1, 0]));
    assert_eq!(
        Message::decode(&raw),
        Ok(Message::SetPeerBandwidth {
            size: 256,
            limit: BandwidthLimit::Dynamic
        })
    );
}

mod oracle {
    use super::*;
    use rml_rtmp::messages::{
        MessagePayload, PeerBandwidthLimitType, RtmpMessage, UserControlEventType,
    };
    use rml_rtmp::rml_amf0::Amf0Value;
    use rml_rtmp::time::RtmpTimestamp;
    use std::collections::HashMap;

    /// Values both crates represent: numbers, booleans, strings, null,
    /// undefined, objects (unordered in rml_amf0), strict arrays.
    fn arb_common_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            (-1e9f64..1e9).prop_map(Value::Number),
            any::<bool>().prop_map(Value::Boolean),
            "[ -~]{0,20}".prop_map(Value::String),
            Just(Value::Null),
            Just(Value::Undefined),
        ];
        leaf.prop_recursive(3, 20, 4, |inner| {
            prop_oneof![
                proptest::collection::btree_map("[a-z]{1,8}", inner.clone(), 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                proptest::collection::vec(inner, 0..4).prop_map(Value::StrictArray),
            ]
        })
    }

    fn to_rml(v: &Value) -> Amf0Value {
        match v {
            Value::Number(n) => Amf0Value::Number(*n),
            Value::Boolean(b) => Amf0Value::Boolean(*b),
            Value::String(s) => Amf0Value::Utf8String(s.clone()),
            Value::Null => Amf0Value::Null,
            Value::Undefined => Amf0Value::Undefined,
            Value::Object(p) => Amf0Value::Object(
                p.iter()
                    .map(|(k, v)| (k.clone(), to_rml(v)))
                    .collect::<HashMap<_, _>>(),
            ),
            Value::StrictArray(a) => Amf0Value::StrictArray(a.iter().map(to_rml).collect()),
            other => panic!("not generated: {other:?}"),
        }
    }

    /// Our value with object keys sorted, to compare with a HashMap round trip.
    fn sorted(v: Value) -> Value {
        match v {
            Value::Object(mut p) => {
                p.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(p.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            Value::StrictArray(a) => Value::StrictArray(a.into_iter().map(sorted).collect()),
            other => other,
        }
    }

    fn from_rml_payload(p: &MessagePayload) -> Message {
        Message::decode(&livechannel_rtmp::RawMessage::new(
            3,
            p.timestamp.value,
            p.type_id,
            p.message_stream_id,
            p.data.clone(),
        ))
        .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { max_global_rejects: 0, max_local_rejects: 0, ..ProptestConfig::default() })]
        #[test]
        fn commands_agree(name in "[a-zA-Z]{1,12}", tid in 0u32..100, object in arb_common_value(), args in proptest::collection::vec(arb_common_value(), 0..3)) {
            // rml_rtmp → ours
            let rml = RtmpMessage::Amf0Command {
                command_name: name.clone(),
                transaction_id: f64::from(tid),
                command_object: to_rml(&object),
                additional_arguments: args.iter().map(to_rml).collect(),
            };
            let payload = rml.clone().into_message_payload(RtmpTimestamp::new(0), 0).unwrap();
            let ours = from_rml_payload(&payload);
            let expected = Message::Command {
                command: Command::new(&name, f64::from(tid), sorted(object.clone()), args.iter().cloned().map(sorted).collect()),
                amf3: false,
            };
            let ours = match ours {
                Message::Command { command, amf3 } => Message::Command {
                    command: Command { object: sorted(command.object), arguments: command.arguments.into_iter().map(sorted).collect(), ..command },
                    amf3,
                },
                other => other,
            };
            prop_assert_eq!(ours, expected);

            // ours → rml_rtmp
            let msg = Message::Command { command: Command::new(&name, f64::from(tid), object, args), amf3: false };
            let raw = msg.to_raw(3, 0, 0).unwrap();
            let back = MessagePayload { timestamp: RtmpTimestamp::new(0), type_id: raw.type_id, message_stream_id: 0, data: raw.payload }
                .to_rtmp_message()
                .unwrap();
            prop_assert_eq!(back, rml);
        }

        #[test]
        fn control_messages_agree(v in any::<u32>(), ty in 0usize..6) {
            let (rml, ours) = match ty {
                0 => (RtmpMessage::SetChunkSize { size: v & 0x7FFF_FFFF }, Message::SetChunkSize(v & 0x7FFF_FFFF)),
                1 => (RtmpMessage::Acknowledgement { sequence_number: v }, Message::Acknowledgement { sequence_number: v }),
                2 => (RtmpMessage::WindowAcknowledgement { size: v }, Message::WindowAckSize(v)),
                3 => (
                    RtmpMessage::SetPeerBandwidth { size: v, limit_type: PeerBandwidthLimitType::Dynamic },
                    Message::SetPeerBandwidth { size: v, limit: BandwidthLimit::Dynamic },
                ),
                4 => (
                    RtmpMessage::UserControl { event_type: UserControlEventType::PingRequest, stream_id: None, buffer_length: None, timestamp: Some(RtmpTimestamp::new(v)) },
                    Message::UserControl(UserControlEvent::PingRequest { timestamp: v }),
                ),
                _ => (
                    RtmpMessage::UserControl { event_type: UserControlEventType::SetBufferLength, stream_id: Some(v), buffer_length: Some(v / 3), timestamp: None },
                    Message::UserControl(UserControlEvent::SetBufferLength { stream_id: v, buffer_ms: v / 3 }),
                ),
            };
            let payload = rml.clone().into_message_payload(RtmpTimestamp::new(0), 0).unwrap();
            prop_assert_eq!(from_rml_payload(&payload), ours.clone());
            let raw = ours.to_raw(2, 0, 0).unwrap();
            prop_assert_eq!(&raw.payload, &payload.data);
        }
    }
}
