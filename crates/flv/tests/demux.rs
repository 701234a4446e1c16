//! Demuxer behaviour: round trips with the writer, split invariance, and one
//! test per malformed-stream case.
//!
//! Reproduce a proptest run with `PROPTEST_RNG_SEED=<n>`.

use livechannel_flv::{
    write_header, write_tag, Demuxer, Error, Event, Header, Limits, Tag, TagType,
};
use proptest::prelude::*;

/// Pushes `chunks` one by one, polling after each until the demuxer needs
/// more input; stops at the first error. Returns the events and the error,
/// or the result of `finish` when there was none.
fn run<'a>(
    demuxer: &mut Demuxer,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<Event>, Result<(), Error>) {
    let mut events = Vec::new();
    for chunk in chunks {
        demuxer.push(chunk);
        loop {
            match demuxer.poll() {
                Ok(Some(event)) => events.push(event),
                Ok(None) => break,
                Err(e) => return (events, Err(e)),
            }
        }
    }
    let end = demuxer.finish();
    (events, end)
}

fn run_whole(input: &[u8]) -> (Vec<Event>, Result<(), Error>) {
    run(&mut Demuxer::new(), [input])
}

fn tags(events: &[Event]) -> Vec<Tag> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Tag(t) => Some(t.clone()),
            Event::Header(_) => None,
        })
        .collect()
}

fn tag_type() -> impl Strategy<Value = TagType> {
    prop_oneof![
        Just(TagType::Audio),
        Just(TagType::Video),
        Just(TagType::Script),
        (0u8..32).prop_filter_map("named types are generated above", |n| {
            matches!(TagType::from_u8(n), TagType::Other(_)).then_some(TagType::Other(n))
        }),
    ]
}

type TagSpec = (TagType, u32, Vec<u8>);

fn tag_specs() -> impl Strategy<Value = Vec<TagSpec>> {
    prop::collection::vec(
        (
            tag_type(),
            any::<u32>(),
            prop::collection::vec(any::<u8>(), 0..200),
        ),
        0..12,
    )
}

fn file(has_audio: bool, has_video: bool, specs: &[TagSpec]) -> Vec<u8> {
    let mut out = Vec::new();
    write_header(&mut out, has_audio, has_video);
    for (tag_type, timestamp, body) in specs {
        write_tag(&mut out, *tag_type, *timestamp, body).expect("generated tags are writable");
    }
    out
}

proptest! {
    #[test]
    fn written_tags_demux_back(has_audio: bool, has_video: bool, specs in tag_specs()) {
        let flv = file(has_audio, has_video, &specs);
        let (events, end) = run_whole(&flv);
        prop_assert_eq!(end, Ok(()));
        prop_assert_eq!(
            &events[0],
            &Event::Header(Header { version: 1, has_audio, has_video, data_offset: 9 })
        );
        let got = tags(&events);
        prop_assert_eq!(got.len(), specs.len());
        let mut offset = 13u64;
        for (tag, (tag_type, timestamp, body)) in got.iter().zip(&specs) {
            prop_assert_eq!(tag.tag_type, *tag_type);
            prop_assert_eq!(tag.timestamp, *timestamp);
            prop_assert_eq!(tag.stream_id, 0);
            prop_assert_eq!(tag.body.as_ref(), body.as_slice());
            prop_assert_eq!(tag.offset, offset);
            offset += 11 + body.len() as u64 + 4;
        }
    }

    #[test]
    fn any_split_gives_the_same_events(
        specs in tag_specs(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        truncate in any::<prop::sample::Index>(),
        truncated: bool,
    ) {
        let mut flv = file(true, true, &specs);
        if truncated {
            let len = truncate.index(flv.len() + 1);
            flv.truncate(len);
        }
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(flv.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut start = 0;
        for p in points {
            chunks.push(&flv[start..p]);
            start = p;
        }
        chunks.push(&flv[start..]);
        prop_assert_eq!(run(&mut Demuxer::new(), chunks), run_whole(&flv));
    }

    #[test]
    fn push_bytes_mixed_with_push_gives_the_same_events(
        specs in tag_specs(),
        cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<bool>()), 0..6),
        last_shared: bool,
    ) {
        let flv = bytes::Bytes::from(file(true, true, &specs));
        let mut points: Vec<(usize, bool)> = cuts.iter().map(|(c, shared)| (c.index(flv.len() + 1), *shared)).collect();
        points.sort_unstable();
        points.push((flv.len(), last_shared));
        let mut demuxer = Demuxer::new();
        let mut events = Vec::new();
        let mut start = 0;
        let mut error = None;
        for (end, shared) in points {
            let end = end.max(start);
            if shared {
                demuxer.push_bytes(flv.slice(start..end));
            } else {
                demuxer.push(&flv[start..end]);
            }
            start = end;
            loop {
                match demuxer.poll() {
                    Ok(Some(event)) => events.push(event),
                    Ok(None) => break,
                    Err(e) => { error = Some(e); break; }
                }
            }
        }
        let end = match error { Some(e) => Err(e), None => demuxer.finish() };
        prop_assert_eq!((events, end), run_whole(&flv));
    }

    #[test]
    fn random_bytes_give_errors_not_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let (_, end) = run_whole(&bytes);
        prop_assert!(end.is_err() || bytes.len() >= 13);
        let mut with_signature = b"FLV".to_vec();
        with_signature.extend_from_slice(&bytes);
        let whole = run_whole(&with_signature);
        let split = run(&mut Demuxer::new(), with_signature.chunks(3));
        prop_assert_eq!(whole, split);
    }
}

fn sample_file() -> Vec<u8> {
    file(
        true,
        true,
        &[
            (TagType::Script, 0, b"\x02\x00\x0aonMetaData\x05".to_vec()),
            (TagType::Video, 0, vec![0x17, 0x00, 0, 0, 0, 1, 2, 3]),
            (TagType::Audio, 0, vec![0xAF, 0x00, 0x12, 0x10]),
            (TagType::Video, 33, vec![0x27, 0x01, 0xFF, 0xFF, 0xFE, 9, 9]),
            (TagType::Audio, 23, vec![0xAF, 0x01, 0x21]),
        ],
    )
}

#[test]
fn byte_at_a_time_gives_the_same_events() {
    let flv = sample_file();
    let one = run_whole(&flv);
    assert_eq!(one.1, Ok(()));
    assert_eq!(tags(&one.0).len(), 5);
    assert_eq!(run(&mut Demuxer::new(), flv.chunks(1)), one);
}

#[test]
fn position_and_buffered_track_consumption() {
    let flv = sample_file();
    let mut d = Demuxer::new();
    d.push(&flv[..30]);
    assert_eq!(d.buffered(), 30);
    assert!(matches!(d.poll(), Ok(Some(Event::Header(_)))));
    assert_eq!(d.position(), 9);
    assert_eq!(d.poll(), Ok(None));
    // PreviousTagSize0 and the 11-byte tag header are consumed; the body waits.
    assert_eq!(d.position(), 24);
    assert_eq!(d.buffered(), 6);
    d.push(&flv[30..]);
    while d.poll().unwrap().is_some() {}
    assert_eq!(d.position(), flv.len() as u64);
    assert_eq!(d.buffered(), 0);
}

#[test]
fn not_flv() {
    let (events, end) = run_whole(b"GIF89a....");
    assert!(events.is_empty());
    assert_eq!(end, Err(Error::NotFlv { found: *b"GIF" }));
}

#[test]
fn not_flv_is_reported_once_three_bytes_arrive() {
    let mut d = Demuxer::new();
    d.push(b"FL");
    assert_eq!(d.poll(), Ok(None));
    d.push(b"X");
    assert_eq!(d.poll(), Err(Error::NotFlv { found: *b"FLX" }));
}

#[test]
fn data_offset_inside_the_header_is_invalid() {
    let mut flv = sample_file();
    flv[8] = 8;
    assert_eq!(
        run_whole(&flv).1,
        Err(Error::InvalidDataOffset { data_offset: 8 })
    );
}

#[test]
fn bytes_before_data_offset_are_skipped() {
    let plain = sample_file();
    let mut padded = plain[..9].to_vec();
    padded[8] = 9 + 5;
    padded.extend_from_slice(b"extra");
    padded.extend_from_slice(&plain[9..]);
    let (events, end) = run(&mut Demuxer::new(), padded.chunks(2));
    assert_eq!(end, Ok(()));
    let got = tags(&events);
    let want = tags(&run_whole(&plain).0);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.offset, w.offset + 5);
        assert_eq!(g.body, w.body);
    }
}

#[test]
fn truncated_file_is_reported_by_finish() {
    let flv = sample_file();
    // The script tag is at 13 (11 + 14 bytes), its PreviousTagSize at 38,
    // the second tag at 42 (11 + 8 bytes). Cut 3 bytes into its body.
    let cut = 42 + 11 + 3;
    let (events, end) = run_whole(&flv[..cut]);
    assert_eq!(tags(&events).len(), 1);
    assert_eq!(
        end,
        Err(Error::Truncated {
            offset: 42,
            what: "tag",
            needed: 19,
            available: 14
        })
    );
    // Inside a tag header, a PreviousTagSize, the file header.
    assert_eq!(
        run_whole(&flv[..42 + 5]).1,
        Err(Error::Truncated {
            offset: 42,
            what: "tag header",
            needed: 11,
            available: 5
        })
    );
    assert_eq!(
        run_whole(&flv[..38 + 2]).1,
        Err(Error::Truncated {
            offset: 38,
            what: "previous tag size",
            needed: 4,
            available: 2
        })
    );
    assert_eq!(
        run_whole(&flv[..5]).1,
        Err(Error::Truncated {
            offset: 0,
            what: "file header",
            needed: 9,
            available: 5
        })
    );
    assert_eq!(
        run_whole(&[]).1,
        Err(Error::Truncated {
            offset: 0,
            what: "file header",
            needed: 9,
            available: 0
        })
    );
    // A header without PreviousTagSize0.
    assert_eq!(
        run_whole(&flv[..9]).1,
        Err(Error::Truncated {
            offset: 9,
            what: "previous tag size",
            needed: 4,
            available: 0
        })
    );
}

#[test]
fn clean_ends_are_accepted() {
    let flv = sample_file();
    // Whole file; without the final PreviousTagSize; header and PreviousTagSize0 only.
    assert_eq!(run_whole(&flv).1, Ok(()));
    assert_eq!(run_whole(&flv[..flv.len() - 4]).1, Ok(()));
    assert_eq!(run_whole(&flv[..13]).1, Ok(()));
}

#[test]
fn lying_previous_tag_size() {
    let mut flv = sample_file();
    // The PreviousTagSize after the script tag (11 + 14 bytes) is at 38.
    flv[38 + 3] = 99;
    let (events, end) = run_whole(&flv);
    assert_eq!(
        tags(&events).len(),
        1,
        "the tag before the bad field is still yielded"
    );
    assert_eq!(
        end,
        Err(Error::PreviousTagSizeMismatch {
            offset: 38,
            expected: 25,
            found: 99
        })
    );
    // Accepted when the check is off.
    let lenient = Limits {
        check_previous_tag_size: false,
        ..Limits::default()
    };
    let (events, end) = run(&mut Demuxer::with_limits(lenient), [flv.as_slice()]);
    assert_eq!(end, Ok(()));
    assert_eq!(tags(&events).len(), 5);
}

#[test]
fn previous_tag_size_zero_is_not_checked() {
    let mut flv = sample_file();
    flv[12] = 0x55;
    assert_eq!(run_whole(&flv).1, Ok(()));
}

#[test]
fn sixteen_mib_tag_is_rejected_from_its_header_alone() {
    let mut flv = Vec::new();
    write_header(&mut flv, false, true);
    flv.extend_from_slice(&[9, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0]);
    let mut d = Demuxer::new();
    d.push(&flv);
    assert!(matches!(d.poll(), Ok(Some(Event::Header(_)))));
    let expected = Error::TagTooLarge {
        offset: 13,
        size: 0xFF_FFFF,
        limit: 8 << 20,
    };
    assert_eq!(d.poll(), Err(expected.clone()));
    assert_eq!(d.buffered(), 0);
    // With the limit lifted it waits for the body, holding nothing in advance.
    let mut d = Demuxer::with_limits(Limits {
        max_tag_size: u32::MAX,
        ..Limits::default()
    });
    d.push(&flv);
    assert!(matches!(d.poll(), Ok(Some(Event::Header(_)))));
    assert_eq!(d.poll(), Ok(None));
    assert_eq!(d.buffered(), 0);
}

#[test]
fn errors_are_sticky() {
    let mut d = Demuxer::new();
    d.push(b"NOPE");
    let first = d.poll().unwrap_err();
    d.push(&sample_file());
    assert_eq!(d.buffered(), 0, "data after an error is dropped");
    assert_eq!(d.poll(), Err(first.clone()));
    assert_eq!(d.poll(), Err(first.clone()));
    assert_eq!(d.finish(), Err(first));
}

#[test]
fn encrypted_tag() {
    let mut flv = sample_file();
    flv[13] |= 0x20;
    assert_eq!(run_whole(&flv).1, Err(Error::Encrypted { offset: 13 }));
}

#[test]
fn reserved_bits_are_ignored_and_unknown_types_pass_through() {
    let mut flv = Vec::new();
    write_header(&mut flv, false, false);
    write_tag(&mut flv, TagType::Other(15), 7, b"abc").unwrap();
    write_tag(&mut flv, TagType::Audio, 8, b"\x2f").unwrap();
    flv[13 + 18] |= 0xC0;
    let (events, end) = run_whole(&flv);
    assert_eq!(end, Ok(()));
    let got = tags(&events);
    assert_eq!(got[0].tag_type, TagType::Other(15));
    assert_eq!(got[0].body.as_ref(), b"abc");
    assert_eq!(got[1].tag_type, TagType::Audio);
}

#[test]
fn timestamp_extended_is_the_high_byte_and_stream_id_is_kept() {
    let mut flv = Vec::new();
    write_header(&mut flv, true, false);
    flv.extend_from_slice(&[
        8, 0, 0, 1, 0x12, 0x34, 0x56, 0x78, 0, 0, 5, 0x2f, 0, 0, 0, 12,
    ]);
    let (events, end) = run_whole(&flv);
    assert_eq!(end, Ok(()));
    let tag = &tags(&events)[0];
    assert_eq!(tag.timestamp, 0x7812_3456);
    assert_eq!(tag.stream_id, 5);
}

#[test]
fn body_bytes_are_shared_not_copied() {
    let flv = sample_file();
    let mut d = Demuxer::new();
    d.push(&flv);
    let mut bodies = Vec::new();
    while let Some(e) = d.poll().unwrap() {
        if let Event::Tag(t) = e {
            bodies.push(t.body);
        }
    }
    // Consecutive bodies are slices of the one buffer the input was pushed into.
    let a = bodies[0].as_ptr() as usize;
    let b = bodies[1].as_ptr() as usize;
    assert_eq!(b - a, bodies[0].len() + 4 + 11);
}
