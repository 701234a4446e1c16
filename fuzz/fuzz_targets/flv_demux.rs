#![no_main]
//! The demuxer gives the same events and the same error or end result
//! whether the input arrives whole, in two pieces split where the first
//! byte says, or in small chunks. Tag bodies are then parsed (no panic).
//!
//! Input layout: [split, flags, flv...]. flags bit 0 turns the
//! PreviousTagSize check off, bit 1 lowers max_tag_size to 64 bytes.

use libfuzzer_sys::fuzz_target;
use livechannel_flv::{Demuxer, Error, Event, Limits, TagType};

fn run<'a>(
    limits: Limits,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<Event>, Result<(), Error>, u64) {
    let mut demuxer = Demuxer::with_limits(limits);
    let mut events = Vec::new();
    for chunk in chunks {
        demuxer.push(chunk);
        loop {
            match demuxer.poll() {
                Ok(Some(event)) => events.push(event),
                Ok(None) => break,
                Err(e) => {
                    // Sticky.
                    assert_eq!(demuxer.poll(), Err(e.clone()));
                    assert_eq!(demuxer.finish(), Err(e.clone()));
                    return (events, Err(e), demuxer.position());
                }
            }
        }
    }
    let end = demuxer.finish();
    (events, end, demuxer.position())
}

fuzz_target!(|data: &[u8]| {
    let [split, flags, flv @ ..] = data else {
        return;
    };
    let limits = Limits {
        check_previous_tag_size: flags & 1 == 0,
        max_tag_size: if flags & 2 != 0 {
            64
        } else {
            Limits::default().max_tag_size
        },
    };
    let whole = run(limits, [flv]);
    let at = usize::from(*split) * flv.len() / 255;
    let (a, b) = flv.split_at(at);
    assert_eq!(run(limits, [a, b]), whole);
    let chunk = usize::from(*split % 7) + 1;
    assert_eq!(run(limits, flv.chunks(chunk)), whole);

    let (events, end, position) = whole;
    assert!(position <= flv.len() as u64);
    if end.is_ok() {
        assert_eq!(
            position,
            flv.len() as u64,
            "a clean end consumed everything"
        );
    }
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Header(_) => assert_eq!(i, 0, "the header comes first, once"),
            Event::Tag(tag) => {
                assert!(tag.body.len() as u64 <= u64::from(limits.max_tag_size));
                assert!(tag.offset + 11 + tag.body.len() as u64 <= position);
                match tag.tag_type {
                    TagType::Audio => drop(tag.audio()),
                    TagType::Video => drop(tag.video()),
                    TagType::Script => drop(tag.script()),
                    TagType::Other(t) => assert!(t < 32 && ![8, 9, 18].contains(&t)),
                }
            }
        }
    }
});
