//! Reading our output back: a tiny walker finds the top-level boxes and
//! their positions, `mp4-atom` decodes each of them.

use mp4_atom::{Decode, Ftyp, Moof, Moov, Styp};

/// A top-level box: type, first byte, header length and total size.
#[derive(Debug, Clone, Copy)]
pub struct TopBox {
    pub kind: [u8; 4],
    pub start: usize,
    pub header: usize,
    pub size: usize,
}

/// Splits `bytes` into its top-level boxes (32-bit sizes and `largesize`);
/// panics unless they tile the input exactly.
pub fn top_boxes(bytes: &[u8]) -> Vec<TopBox> {
    let mut boxes = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        assert!(bytes.len() - at >= 8, "truncated box header at {at}");
        let size32 = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        let kind: [u8; 4] = bytes[at + 4..at + 8].try_into().unwrap();
        let (header, size) = if size32 == 1 {
            let large = u64::from_be_bytes(bytes[at + 8..at + 16].try_into().unwrap());
            (16, large as usize)
        } else {
            (8, size32 as usize)
        };
        assert!(size >= header, "box {kind:?} at {at}: size {size} < header");
        assert!(
            at + size <= bytes.len(),
            "box {kind:?} at {at} overruns the input"
        );
        boxes.push(TopBox {
            kind,
            start: at,
            header,
            size,
        });
        at += size;
    }
    boxes
}

/// Decodes one whole box with `mp4-atom`, which must consume all of it.
pub fn decode<T: Decode>(bytes: &[u8], b: TopBox) -> T {
    let mut slice = &bytes[b.start..b.start + b.size];
    let value = T::decode(&mut slice)
        .unwrap_or_else(|e| panic!("mp4-atom refused {}: {e}", String::from_utf8_lossy(&b.kind)));
    assert!(
        slice.is_empty(),
        "{} bytes left after decoding",
        slice.len()
    );
    value
}

/// The init segment as the oracle reads it.
pub fn read_init(bytes: &[u8]) -> (Ftyp, Moov) {
    let boxes = top_boxes(bytes);
    let kinds: Vec<_> = boxes.iter().map(|b| b.kind).collect();
    assert_eq!(kinds, [*b"ftyp", *b"moov"]);
    (decode(bytes, boxes[0]), decode(bytes, boxes[1]))
}

/// One sample as read from `trun` and `mdat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadSample {
    pub dts: u64,
    pub duration: u32,
    pub flags: u32,
    pub composition_offset: i64,
    pub data: Vec<u8>,
}

/// One track's run in a fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadTrack {
    pub track_id: u32,
    pub tfdt: u64,
    pub samples: Vec<ReadSample>,
}

/// A fragment as the oracle reads it.
#[derive(Debug, Clone)]
pub struct ReadFragment {
    pub styp: Option<Styp>,
    pub sequence_number: u32,
    pub tracks: Vec<ReadTrack>,
    /// `mdat` header length: 8, or 16 with `largesize`.
    pub mdat_header: usize,
}

/// Reads `[styp] moof mdat`; every sample's bytes are taken where the
/// `trun` data offset (from the first byte of `moof`) points, and must lie
/// inside the `mdat` payload, the runs tiling it exactly.
pub fn read_fragment(bytes: &[u8]) -> ReadFragment {
    let boxes = top_boxes(bytes);
    let kinds: Vec<_> = boxes.iter().map(|b| b.kind).collect();
    let (styp, moof_box, mdat_box) = match kinds.as_slice() {
        [s, m, d] if s == b"styp" && m == b"moof" && d == b"mdat" => {
            (Some(decode::<Styp>(bytes, boxes[0])), boxes[1], boxes[2])
        }
        [m, d] if m == b"moof" && d == b"mdat" => (None, boxes[0], boxes[1]),
        other => panic!("unexpected top-level boxes {other:?}"),
    };
    let moof: Moof = decode(bytes, moof_box);
    let payload = mdat_box.start + mdat_box.header..mdat_box.start + mdat_box.size;
    let mut next = payload.start;
    let mut tracks = Vec::new();
    for traf in &moof.traf {
        assert!(traf.tfhd.default_base_is_moof);
        assert_eq!(traf.tfhd.base_data_offset, None);
        assert_eq!(traf.trun.len(), 1, "one trun per traf");
        let trun = &traf.trun[0];
        let offset = trun.data_offset.expect("trun has a data offset");
        let mut at = moof_box.start + usize::try_from(offset).unwrap();
        assert_eq!(
            at, next,
            "track {} data does not follow the previous run",
            traf.tfhd.track_id
        );
        let mut dts = traf
            .tfdt
            .as_ref()
            .expect("traf has tfdt")
            .base_media_decode_time;
        let tfdt = dts;
        let mut samples = Vec::new();
        for entry in trun.samples.iter() {
            let size = entry.size.expect("per-sample size") as usize;
            assert!(at + size <= payload.end, "sample overruns mdat");
            let duration = entry.duration.expect("per-sample duration");
            samples.push(ReadSample {
                dts,
                duration,
                flags: entry.flags.expect("per-sample flags"),
                composition_offset: entry.cts.expect("per-sample composition offset"),
                data: bytes[at..at + size].to_vec(),
            });
            dts += u64::from(duration);
            at += size;
        }
        next = at;
        tracks.push(ReadTrack {
            track_id: traf.tfhd.track_id,
            tfdt,
            samples,
        });
    }
    assert_eq!(next, payload.end, "mdat holds bytes no trun points at");
    ReadFragment {
        styp,
        sequence_number: moof.mfhd.sequence_number,
        tracks,
        mdat_header: mdat_box.header,
    }
}
