//! The writer: byte layout, limits, and the io::Write wrapper.

use livechannel_flv::{write_header, write_tag, Demuxer, Error, Event, TagType, Writer};

#[test]
fn header_bytes() {
    let mut out = Vec::new();
    write_header(&mut out, true, true);
    assert_eq!(out, b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00");
    out.clear();
    write_header(&mut out, false, true);
    assert_eq!(out[4], 0x01);
    out.clear();
    write_header(&mut out, true, false);
    assert_eq!(out[4], 0x04);
}

#[test]
fn body_over_24_bits_is_rejected_and_nothing_written() {
    let body = vec![0u8; 0x100_0000];
    let mut out = vec![1, 2, 3];
    assert_eq!(
        write_tag(&mut out, TagType::Video, 0, &body),
        Err(Error::BodyTooLarge {
            size: 0x100_0000,
            limit: 0xFF_FFFF
        })
    );
    assert_eq!(out, [1, 2, 3]);
    // The largest body fits.
    assert!(write_tag(&mut out, TagType::Video, 0, &body[..0xFF_FFFF]).is_ok());
    assert_eq!(&out[3..7], &[9, 0xFF, 0xFF, 0xFF]);
    assert_eq!(&out[out.len() - 4..], &(0xFF_FFFFu32 + 11).to_be_bytes());
}

#[test]
fn tag_type_over_five_bits_is_rejected() {
    let mut out = Vec::new();
    assert_eq!(
        write_tag(&mut out, TagType::Other(32), 0, b""),
        Err(Error::InvalidTagType { value: 32 })
    );
    assert!(out.is_empty());
    assert!(write_tag(&mut out, TagType::Other(31), 0, b"").is_ok());
}

#[test]
fn io_writer_produces_what_the_demuxer_reads() {
    let mut writer = Writer::new(Vec::new(), true, true).unwrap();
    writer
        .write_tag(TagType::Video, 0, &[0x17, 0x00, 0, 0, 0, 1])
        .unwrap();
    writer
        .write_tag(TagType::Audio, 0x0123_4567, &[0xAF, 0x01, 0x21])
        .unwrap();
    let err = writer.write_tag(TagType::Other(40), 0, b"").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    writer.flush().unwrap();
    assert_eq!(writer.get_ref().len(), 13 + (11 + 6 + 4) + (11 + 3 + 4));
    let file = writer.into_inner();

    let mut expected = Vec::new();
    write_header(&mut expected, true, true);
    write_tag(&mut expected, TagType::Video, 0, &[0x17, 0x00, 0, 0, 0, 1]).unwrap();
    write_tag(
        &mut expected,
        TagType::Audio,
        0x0123_4567,
        &[0xAF, 0x01, 0x21],
    )
    .unwrap();
    assert_eq!(file, expected);

    let mut demuxer = Demuxer::new();
    demuxer.push(&file);
    let mut timestamps = Vec::new();
    while let Some(event) = demuxer.poll().unwrap() {
        if let Event::Tag(tag) = event {
            timestamps.push(tag.timestamp);
        }
    }
    demuxer.finish().unwrap();
    assert_eq!(timestamps, [0, 0x0123_4567]);
}
