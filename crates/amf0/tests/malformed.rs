//! One test per kind of malformed input: each must give its specific error.

use livechannel_amf0::{decode, decode_all, encode, Decoder, Error, Limits, Value};

#[test]
fn empty_input_is_eof() {
    assert_eq!(
        decode(&[]),
        Err(Error::UnexpectedEof {
            offset: 0,
            needed: 1,
            available: 0
        })
    );
}

#[test]
fn truncated_number_is_eof() {
    assert_eq!(
        decode(&[0x00, 0x3F, 0xF0]),
        Err(Error::UnexpectedEof {
            offset: 1,
            needed: 8,
            available: 2
        })
    );
}

#[test]
fn truncated_string_is_eof() {
    assert_eq!(
        decode(b"\x02\x00\x05ab"),
        Err(Error::UnexpectedEof {
            offset: 3,
            needed: 5,
            available: 2
        })
    );
}

#[test]
fn nesting_ten_thousand_deep_is_too_deep() {
    // Strict arrays of one element, each holding the next.
    let arrays = [0x0A, 0x00, 0x00, 0x00, 0x01].repeat(10_000);
    assert_eq!(
        decode(&arrays),
        Err(Error::TooDeep {
            offset: 64 * 5,
            limit: 64
        })
    );

    // Objects whose only property "a" holds the next object.
    let objects = [0x03, 0x00, 0x01, b'a'].repeat(10_000);
    assert_eq!(
        decode(&objects),
        Err(Error::TooDeep {
            offset: 64 * 4,
            limit: 64
        })
    );

    // ECMA arrays, and typed objects, the other two containers.
    let ecma = [0x08, 0, 0, 0, 1, 0x00, 0x01, b'a'].repeat(10_000);
    assert_eq!(
        decode(&ecma),
        Err(Error::TooDeep {
            offset: 64 * 8,
            limit: 64
        })
    );
    let typed = [0x10, 0x00, 0x01, b'C', 0x00, 0x01, b'a'].repeat(10_000);
    assert_eq!(
        decode(&typed),
        Err(Error::TooDeep {
            offset: 64 * 7,
            limit: 64
        })
    );
}

#[test]
fn depth_limit_is_capped_by_the_ceiling() {
    let arrays = [0x0A, 0x00, 0x00, 0x00, 0x01].repeat(10_000);
    let limits = Limits {
        max_depth: usize::MAX,
        ..Limits::default()
    };
    let err = Decoder::new(&arrays)
        .with_limits(limits)
        .decode()
        .unwrap_err();
    assert_eq!(
        err,
        Error::TooDeep {
            offset: Limits::MAX_DEPTH_CEILING * 5,
            limit: usize::MAX
        }
    );
}

#[test]
fn depth_exactly_at_the_limit_decodes() {
    let mut bytes = [0x0A, 0x00, 0x00, 0x00, 0x01].repeat(3);
    bytes.push(0x05);
    let limits = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    assert!(Decoder::new(&bytes).with_limits(limits).decode().is_ok());
    let limits = Limits {
        max_depth: 2,
        ..Limits::default()
    };
    assert_eq!(
        Decoder::new(&bytes).with_limits(limits).decode(),
        Err(Error::TooDeep {
            offset: 10,
            limit: 2
        })
    );
}

#[test]
fn four_gib_long_string_claim_does_not_allocate() {
    let claim = [0x0C, 0xFF, 0xFF, 0xFF, 0xFF, b'a', b'b'];
    assert_eq!(
        decode(&claim),
        Err(Error::TooLong {
            offset: 1,
            len: 0xFFFF_FFFF,
            limit: 1 << 20
        })
    );
    // With the limit lifted it is simply missing data, still without allocating.
    let limits = Limits {
        max_string_len: usize::MAX,
        ..Limits::default()
    };
    assert_eq!(
        Decoder::new(&claim).with_limits(limits).decode(),
        Err(Error::UnexpectedEof {
            offset: 5,
            needed: 0xFFFF_FFFF,
            available: 2
        })
    );
    // Same for XML documents.
    let xml = [0x0F, 0xFF, 0xFF, 0xFF, 0xFF];
    assert_eq!(
        decode(&xml),
        Err(Error::TooLong {
            offset: 1,
            len: 0xFFFF_FFFF,
            limit: 1 << 20
        })
    );
}

#[test]
fn huge_strict_array_claim_is_rejected_or_eof() {
    let claim = [0x0A, 0xFF, 0xFF, 0xFF, 0xFF];
    assert_eq!(
        decode(&claim),
        Err(Error::TooManyElements {
            offset: 0,
            count: 0xFFFF_FFFF,
            limit: 65536
        })
    );
    // Within the limit, but the elements are not there.
    let claim = [0x0A, 0x00, 0x01, 0x00, 0x00];
    assert_eq!(
        decode(&claim),
        Err(Error::UnexpectedEof {
            offset: 5,
            needed: 1,
            available: 0
        })
    );
}

#[test]
fn too_many_object_properties() {
    let mut bytes = vec![0x03];
    for _ in 0..3 {
        bytes.extend_from_slice(b"\x00\x01k\x05");
    }
    bytes.extend_from_slice(b"\x00\x00\x09");
    let limits = Limits {
        max_elements: 2,
        ..Limits::default()
    };
    assert_eq!(
        Decoder::new(&bytes).with_limits(limits).decode(),
        Err(Error::TooManyElements {
            offset: 0,
            count: 3,
            limit: 2
        })
    );
    let limits = Limits {
        max_elements: 3,
        ..Limits::default()
    };
    assert!(Decoder::new(&bytes).with_limits(limits).decode().is_ok());
}

#[test]
fn long_key_is_too_long() {
    let bytes = b"\x03\x00\x05hello\x05\x00\x00\x09";
    let limits = Limits {
        max_string_len: 4,
        ..Limits::default()
    };
    assert_eq!(
        Decoder::new(bytes).with_limits(limits).decode(),
        Err(Error::TooLong {
            offset: 1,
            len: 5,
            limit: 4
        })
    );
}

#[test]
fn movieclip_and_recordset_are_unsupported() {
    assert_eq!(
        decode(&[0x04]),
        Err(Error::UnsupportedMarker {
            offset: 0,
            marker: 0x04
        })
    );
    assert_eq!(
        decode(&[0x0E]),
        Err(Error::UnsupportedMarker {
            offset: 0,
            marker: 0x0E
        })
    );
}

#[test]
fn unsupported_marker_is_a_value() {
    assert_eq!(decode(&[0x0D]), Ok((Value::Unsupported, 1)));
}

#[test]
fn top_level_object_end_is_unexpected() {
    assert_eq!(
        decode(&[0x09]),
        Err(Error::UnexpectedObjectEnd { offset: 0 })
    );
    // Inside a strict array, and as a property value, too.
    assert_eq!(
        decode(&[0x0A, 0, 0, 0, 1, 0x09]),
        Err(Error::UnexpectedObjectEnd { offset: 5 })
    );
    assert_eq!(
        decode(b"\x03\x00\x01a\x09"),
        Err(Error::UnexpectedObjectEnd { offset: 4 })
    );
}

#[test]
fn avmplus_is_amf3() {
    assert_eq!(
        decode_all(&[0x05, 0x11, 0x02]),
        Err(Error::Amf3NotSupported { offset: 1 })
    );
}

#[test]
fn unknown_markers() {
    for marker in 0x12..=0xFF {
        assert_eq!(
            decode(&[marker]),
            Err(Error::UnknownMarker { offset: 0, marker })
        );
    }
}

#[test]
fn invalid_utf8() {
    assert_eq!(
        decode(b"\x02\x00\x02\xC3\x28"),
        Err(Error::InvalidUtf8 { offset: 3 })
    );
    assert_eq!(
        decode(b"\x03\x00\x01\xFF\x05\x00\x00\x09"),
        Err(Error::InvalidUtf8 { offset: 3 })
    );
}

#[test]
fn failed_decode_keeps_position() {
    let bytes = b"\x05\x02\x00\x09ab";
    let mut d = Decoder::new(bytes);
    d.decode().unwrap();
    assert!(d.decode().is_err());
    assert_eq!(d.position(), 1);
}

#[test]
fn ecma_count_disagreeing_with_entries_is_read_to_the_end_marker() {
    // Count says 0 (FFmpeg's live onMetaData does this) but two entries follow.
    let bytes = b"\x08\x00\x00\x00\x00\x00\x01a\x05\x00\x01b\x06\x00\x00\x09\x05";
    let mut d = Decoder::new(bytes);
    assert_eq!(
        d.decode().unwrap(),
        Value::EcmaArray(vec![
            ("a".into(), Value::Null),
            ("b".into(), Value::Undefined)
        ])
    );
    assert_eq!(d.decode().unwrap(), Value::Null);
    // Count says 9 with one entry.
    let bytes = b"\x08\x00\x00\x00\x09\x00\x01a\x05\x00\x00\x09";
    assert_eq!(
        decode(bytes).unwrap(),
        (
            Value::EcmaArray(vec![("a".into(), Value::Null)]),
            bytes.len()
        )
    );
}

#[test]
fn ecma_missing_end_marker_at_end_of_input_is_accepted() {
    let expected = Value::EcmaArray(vec![("a".into(), Value::Null)]);
    let no_end = b"\x08\x00\x00\x00\x01\x00\x01a\x05";
    assert_eq!(decode(no_end), Ok((expected.clone(), no_end.len())));
    let half_end = b"\x08\x00\x00\x00\x01\x00\x01a\x05\x00\x00";
    assert_eq!(decode(half_end), Ok((expected, half_end.len())));
    // A key cut in half is still an error.
    assert_eq!(
        decode(b"\x08\x00\x00\x00\x01\x00\x01a\x05\x00"),
        Err(Error::UnexpectedEof {
            offset: 9,
            needed: 2,
            available: 1
        })
    );
}

#[test]
fn object_missing_end_marker_is_eof() {
    assert_eq!(
        decode(b"\x03\x00\x01a\x05"),
        Err(Error::UnexpectedEof {
            offset: 5,
            needed: 2,
            available: 0
        })
    );
}

#[test]
fn unencodable_key_is_an_error_and_leaves_output_alone() {
    let v = Value::Object(vec![("k".repeat(0x1_0000), Value::Null)]);
    let mut out = vec![0xAA];
    assert_eq!(
        encode(&v, &mut out),
        Err(Error::TooLongToEncode {
            what: "object key",
            len: 0x1_0000,
            limit: 0xFFFF
        })
    );
    assert_eq!(out, [0xAA]);
    let v = Value::TypedObject {
        class_name: "c".repeat(0x1_0000),
        properties: vec![],
    };
    assert!(matches!(
        encode(&v, &mut out),
        Err(Error::TooLongToEncode {
            what: "class name",
            ..
        })
    ));
}

#[test]
fn errors_read_as_sentences() {
    let e = decode(&[0x0C, 0xFF, 0xFF, 0xFF, 0xFF]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "string at byte 1 declares 4294967295 bytes, over the limit of 1048576"
    );
}

#[test]
fn deepest_allowed_value_can_be_used_on_a_test_thread() {
    // At the ceiling the value decodes, and the recursive Clone, PartialEq,
    // encode and Drop of the result still fit the default 2 MiB test stack.
    let mut bytes = [0x0A, 0x00, 0x00, 0x00, 0x01].repeat(Limits::MAX_DEPTH_CEILING);
    bytes.push(0x05);
    let limits = Limits {
        max_depth: usize::MAX,
        ..Limits::default()
    };
    let value = Decoder::new(&bytes).with_limits(limits).decode().unwrap();
    let copy = value.clone();
    assert_eq!(copy, value);
    let mut out = Vec::new();
    encode(&copy, &mut out).unwrap();
    assert_eq!(out, bytes);
    assert_eq!(value.encoded_len(), bytes.len());
}
