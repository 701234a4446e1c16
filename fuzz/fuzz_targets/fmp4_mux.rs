//! The fMP4 muxer never panics on arbitrary sample lists and timestamps: a
//! refused fragment writes nothing, and every accepted one (one-copy or
//! gather output) is `[styp] moof mdat` whose boxes nest exactly, whose
//! `trun` sizes add up to the `mdat` payload and whose data offsets point
//! at each track's first byte in it.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use livechannel_fmp4::{Codec, Muxer, MuxerConfig, Sample, SampleData};

/// Reads the fuzzer's bytes as numbers; zeros once they run out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn u8(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        *first
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        (u64::from(self.u32()) << 32) | u64::from(self.u32())
    }
    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

/// (type, start, end) of each box in `bytes[range]`; panics unless they
/// tile it exactly.
fn boxes(bytes: &[u8], mut at: usize, end: usize) -> Vec<([u8; 4], usize, usize, usize)> {
    let mut out = Vec::new();
    while at < end {
        assert!(end - at >= 8);
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = bytes[at + 4..at + 8].try_into().unwrap();
        let (header, size) = if size == 1 {
            (
                16,
                u64::from_be_bytes(bytes[at + 8..at + 16].try_into().unwrap()) as usize,
            )
        } else {
            (8, size)
        };
        assert!(size >= header && at + size <= end, "{kind:?} at {at}");
        out.push((kind, at, at + header, at + size));
        at += size;
    }
    out
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// Walks a fragment; returns the sample sizes of every `trun` in order.
fn check_fragment(bytes: &[u8], styp: bool) -> Vec<u32> {
    let top = boxes(bytes, 0, bytes.len());
    let kinds: Vec<_> = top.iter().map(|b| &b.0).collect();
    let (moof, mdat) = if styp {
        assert_eq!(kinds, [b"styp", b"moof", b"mdat"]);
        (top[1], top[2])
    } else {
        assert_eq!(kinds, [b"moof", b"mdat"]);
        (top[0], top[1])
    };
    let mut next = mdat.2;
    let mut sizes = Vec::new();
    for (kind, _, body, end) in boxes(bytes, moof.2, moof.3) {
        if &kind == b"mfhd" {
            continue;
        }
        assert_eq!(&kind, b"traf");
        let children = boxes(bytes, body, end);
        let kinds: Vec<_> = children.iter().map(|b| &b.0).collect();
        assert_eq!(kinds, [b"tfhd", b"tfdt", b"trun"]);
        let trun = children[2];
        let count = be32(bytes, trun.2 + 4) as usize;
        let offset = be32(bytes, trun.2 + 8) as i32;
        assert_eq!(trun.3 - trun.2, 12 + 16 * count);
        assert_eq!(moof.1 + offset as usize, next);
        for i in 0..count {
            let size = be32(bytes, trun.2 + 12 + 16 * i + 4);
            sizes.push(size);
            next += size as usize;
        }
    }
    assert_eq!(next, mdat.3);
    sizes
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let flags = input.u8();
    let styp = flags & 1 != 0;
    let video = Codec::Avc {
        width: 16,
        height: 16,
        avcc: Bytes::from_static(&[1, 0x42, 0xC0, 0x1E, 0xFF, 0xE0, 0x00]),
    };
    let audio = Codec::Aac {
        sample_rate: u32::from(input.u8()) * 400,
        channels: u16::from(input.u8() & 3),
        audio_specific_config: Bytes::from_static(&[0x12, 0x10]),
    };
    let tracks = match flags >> 1 & 3 {
        0 => vec![video],
        1 => vec![audio],
        _ => vec![video, audio],
    };
    let Ok(mut mux) = Muxer::new(MuxerConfig { tracks, styp }) else {
        return;
    };
    let init = mux.init_segment();
    let top = boxes(init, 0, init.len());
    assert_eq!(
        top.iter().map(|b| b.0).collect::<Vec<_>>(),
        [*b"ftyp", *b"moov"]
    );
    let n = mux.config().tracks.len();
    let payload = Bytes::from(vec![0xA5u8; 4096]);
    let mut sequence = 0;
    while !input.done() {
        let gather = input.u8() & 1 != 0;
        // Per track: a sample count and, per sample, a dts step (mostly
        // contiguous, sometimes not), duration, offset, flag and size.
        let lists: Vec<Vec<Sample>> = (0..n + usize::from(input.u8() == 0xFF))
            .map(|_| {
                let mut dts = input.u64() >> (input.u8() & 63);
                (0..input.u8() % 8)
                    .map(|_| {
                        let shape = input.u8();
                        if shape == 0xFE {
                            dts = input.u64();
                        }
                        let duration = if shape & 0x80 != 0 { input.u32() } else { 1024 };
                        let len = usize::from(input.u8()) * 16;
                        let data = if shape & 1 != 0 {
                            SampleData::Gather(vec![
                                payload.slice(..len / 2),
                                payload.slice(..len - len / 2),
                            ])
                        } else {
                            SampleData::One(payload.slice(..len))
                        };
                        let sample = Sample {
                            dts,
                            duration,
                            composition_offset: input.u32() as i32,
                            is_sync: shape & 2 != 0,
                            data,
                        };
                        dts = dts.wrapping_add(u64::from(duration));
                        sample
                    })
                    .collect()
            })
            .collect();
        let mut out = vec![0x5A];
        let mut media = Vec::new();
        let result = if gather {
            mux.write_fragment_gather(&lists, &mut out, &mut media)
        } else {
            mux.write_fragment(&lists, &mut out)
        };
        let Ok(info) = result else {
            assert_eq!(out, [0x5A]);
            assert!(media.is_empty());
            continue;
        };
        sequence += 1;
        assert_eq!(info.sequence_number, sequence);
        for m in &media {
            out.extend_from_slice(m);
        }
        assert_eq!(info.size, out.len() as u64 - 1);
        let sizes = check_fragment(&out[1..], styp);
        let given: Vec<u32> = lists
            .iter()
            .flatten()
            .map(|s| s.data.len() as u32)
            .collect();
        assert_eq!(sizes, given);
    }
});
