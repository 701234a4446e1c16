//! Media fragments: optional `styp`, `moof` (`mfhd`, a `traf` per track
//! with `tfhd`, `tfdt`, `trun`) and the `mdat` header (ISO/IEC 14496-12
//! §8.8.4–§8.8.12, §8.16.2; CMAF fragment, ISO/IEC 23000-19 §7.3.2.4).

use crate::boxes::{begin, begin_full, close, u32, u64};
use crate::{Error, Sample};

/// `styp` brands: `msdh` (a DASH/ISO BMFF media segment) and `cmfs` (a CMAF
/// segment). The major brand is `msdh`, which players of every HLS and DASH
/// flavour know.
pub(crate) const STYP_BRANDS: [[u8; 4]; 2] = [*b"msdh", *b"cmfs"];
pub(crate) const STYP_SIZE: u64 = 8 + 8 + 4 * STYP_BRANDS.len() as u64;

/// `tfhd` flag: sample data offsets count from the first byte of `moof`.
pub(crate) const DEFAULT_BASE_IS_MOOF: u32 = 0x02_0000;
/// `trun` flags: data-offset, sample-duration, -size, -flags and
/// -composition-time-offset present.
pub(crate) const TRUN_FLAGS: u32 = 0x00_0001 | 0x00_0100 | 0x00_0200 | 0x00_0400 | 0x00_0800;
/// sample_depends_on = 2 (depends on no other sample), is_non_sync 0.
pub const SYNC_SAMPLE_FLAGS: u32 = 0x0200_0000;
/// sample_depends_on = 1 (depends on others), sample_is_non_sync_sample = 1.
pub const NON_SYNC_SAMPLE_FLAGS: u32 = 0x0101_0000;

const MOOF_HEADER: u64 = 8;
const MFHD_SIZE: u64 = 16;
/// `traf` header 8 + `tfhd` 16 + `tfdt` (version 1) 20 + `trun` without entries 20.
const TRAF_FIXED: u64 = 8 + 16 + 20 + 20;
/// Per sample in `trun`: duration, size, flags, composition offset.
const TRUN_ENTRY: u64 = 16;
/// The largest `mdat` whose size fits the 32-bit box size.
const MDAT_SMALL_MAX: u64 = u32::MAX as u64;

/// Sizes of a fragment, computed and checked before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// `styp` box size, 0 when there is none.
    pub(crate) styp: u64,
    /// `moof` box size.
    pub(crate) moof: u64,
    /// `mdat` header: 8, or 16 with a 64-bit `largesize`.
    pub(crate) mdat_header: u64,
    /// Media bytes in `mdat`.
    pub(crate) payload: u64,
}

impl Layout {
    /// Checks the samples of every track against the box fields and the
    /// end of each track's previous fragment; returns the layout and the
    /// new end (last dts + duration) of every non-empty track.
    pub(crate) fn plan<S: AsRef<[Sample]>>(
        styp: bool,
        tracks: &[S],
        previous_end: &[Option<u64>],
    ) -> Result<(Layout, Vec<Option<u64>>), Error> {
        if tracks.len() != previous_end.len() {
            return Err(Error::TrackCountMismatch {
                expected: previous_end.len(),
                got: tracks.len(),
            });
        }
        let mut moof = MOOF_HEADER + MFHD_SIZE;
        let mut track_sizes = Vec::with_capacity(tracks.len());
        let mut ends = previous_end.to_vec();
        for (i, samples) in tracks.iter().enumerate() {
            let samples = samples.as_ref();
            let track_id = i as u32 + 1;
            let (size, end) = check_track(track_id, samples, previous_end[i])?;
            track_sizes.push(size);
            if !samples.is_empty() {
                moof += TRAF_FIXED + TRUN_ENTRY * samples.len() as u64;
                ends[i] = Some(end);
            }
        }
        if tracks.iter().all(|s| s.as_ref().is_empty()) {
            return Err(Error::EmptyFragment);
        }
        let payload = track_sizes
            .iter()
            .try_fold(0u64, |sum, &s| sum.checked_add(s))
            .ok_or(Error::FragmentTooLarge)?;
        let mdat_header = if payload <= MDAT_SMALL_MAX - 8 { 8 } else { 16 };
        let layout = Layout {
            styp: if styp { STYP_SIZE } else { 0 },
            moof,
            mdat_header,
            payload,
        };
        layout.checked_total().ok_or(Error::FragmentTooLarge)?;
        // Each track's data offset must fit trun's signed 32 bits.
        let mut offset = moof + mdat_header;
        for (i, (samples, size)) in tracks.iter().zip(&track_sizes).enumerate() {
            if samples.as_ref().is_empty() {
                continue;
            }
            if offset > i32::MAX as u64 {
                return Err(Error::DataOffsetOverflow {
                    track_id: i as u32 + 1,
                    offset,
                });
            }
            offset = offset.saturating_add(*size);
        }
        Ok((layout, ends))
    }

    /// `styp` + `moof` + `mdat`; `None` on overflow.
    fn checked_total(&self) -> Option<u64> {
        self.header_len().checked_add(self.payload)
    }

    /// `styp` + `moof` + `mdat` (checked by [`Layout::plan`]).
    pub(crate) fn total(&self) -> u64 {
        self.header_len().saturating_add(self.payload)
    }

    /// `styp` + `moof` + the `mdat` header.
    pub(crate) fn header_len(&self) -> u64 {
        self.styp + self.moof + self.mdat_header
    }

    /// Writes `styp` (if asked), `moof` and the `mdat` header. The media
    /// bytes, track after track and sample after sample, must follow.
    pub(crate) fn write_header<S: AsRef<[Sample]>>(
        &self,
        sequence_number: u32,
        tracks: &[S],
        out: &mut Vec<u8>,
    ) {
        out.reserve(self.header_len() as usize);
        if self.styp > 0 {
            write_styp(out);
        }
        let moof = begin(out, b"moof");
        let mfhd = begin_full(out, b"mfhd", 0, 0);
        u32(out, sequence_number);
        close(out, mfhd);
        let mut data_offset = self.moof + self.mdat_header;
        for (i, samples) in tracks.iter().enumerate() {
            let samples = samples.as_ref();
            if let Some(first) = samples.first() {
                write_traf(out, i as u32 + 1, first.dts, data_offset as i32, samples);
                let size: u64 = samples.iter().map(|s| s.data.len()).sum();
                data_offset += size;
            }
        }
        close(out, moof);
        if self.mdat_header == 8 {
            u32(out, (8 + self.payload) as u32);
            out.extend_from_slice(b"mdat");
        } else {
            u32(out, 1); // size 1: a 64-bit largesize follows the type
            out.extend_from_slice(b"mdat");
            u64(out, 16 + self.payload);
        }
    }
}

/// Total bytes of a track's samples, and where its last sample ends.
fn check_track(
    track_id: u32,
    samples: &[Sample],
    previous_end: Option<u64>,
) -> Result<(u64, u64), Error> {
    if u32::try_from(samples.len()).is_err() {
        return Err(Error::TooManySamples {
            track_id,
            count: samples.len(),
        });
    }
    let mut size = 0u64;
    let mut expected: Option<u64> = None;
    for (index, sample) in samples.iter().enumerate() {
        let len = sample.data.len();
        if len > u64::from(u32::MAX) {
            return Err(Error::SampleTooLarge {
                track_id,
                index,
                size: len,
            });
        }
        size = size.checked_add(len).ok_or(Error::FragmentTooLarge)?;
        match expected {
            Some(expected) if sample.dts != expected => {
                return Err(Error::NonContiguousDts {
                    track_id,
                    index,
                    dts: sample.dts,
                    expected,
                });
            }
            None => {
                if let Some(previous_end) = previous_end.filter(|&end| sample.dts < end) {
                    return Err(Error::DtsBackwards {
                        track_id,
                        dts: sample.dts,
                        previous_end,
                    });
                }
            }
            _ => {}
        }
        expected = Some(sample.dts.checked_add(u64::from(sample.duration)).ok_or(
            Error::TimestampOverflow {
                track_id,
                index,
                dts: sample.dts,
                duration: sample.duration,
            },
        )?);
    }
    Ok((size, expected.unwrap_or(0)))
}

pub(crate) fn write_styp(out: &mut Vec<u8>) {
    let start = begin(out, b"styp");
    out.extend_from_slice(&STYP_BRANDS[0]);
    u32(out, 0); // minor_version
    for brand in STYP_BRANDS {
        out.extend_from_slice(&brand);
    }
    close(out, start);
}

/// The `sample_flags` of a sample (§8.8.3.1).
pub(crate) fn sample_flags(is_sync: bool) -> u32 {
    if is_sync {
        SYNC_SAMPLE_FLAGS
    } else {
        NON_SYNC_SAMPLE_FLAGS
    }
}

pub(crate) fn write_traf(
    out: &mut Vec<u8>,
    track_id: u32,
    base_media_decode_time: u64,
    data_offset: i32,
    samples: &[Sample],
) {
    let traf = begin(out, b"traf");
    let tfhd = begin_full(out, b"tfhd", 0, DEFAULT_BASE_IS_MOOF);
    u32(out, track_id);
    close(out, tfhd);
    let tfdt = begin_full(out, b"tfdt", 1, 0);
    u64(out, base_media_decode_time);
    close(out, tfdt);
    let trun = begin_full(out, b"trun", 1, TRUN_FLAGS);
    u32(out, samples.len() as u32);
    out.extend_from_slice(&data_offset.to_be_bytes());
    for sample in samples {
        u32(out, sample.duration);
        u32(out, sample.data.len() as u32);
        u32(out, sample_flags(sample.is_sync));
        out.extend_from_slice(&sample.composition_offset.to_be_bytes());
    }
    close(out, trun);
    close(out, traf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Codec, Muxer, MuxerConfig, SampleData};
    use bytes::Bytes;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn sample(dts: u64, duration: u32, cto: i32, is_sync: bool, data: &'static [u8]) -> Sample {
        Sample {
            dts,
            duration,
            composition_offset: cto,
            is_sync,
            data: SampleData::One(Bytes::from_static(data)),
        }
    }

    fn aac() -> Codec {
        Codec::Aac {
            sample_rate: 48_000,
            channels: 2,
            audio_specific_config: Bytes::from_static(&[0x11, 0x90]),
        }
    }

    fn avc() -> Codec {
        Codec::Avc {
            width: 64,
            height: 64,
            avcc: Bytes::from_static(&[1, 0x42, 0xC0, 0x1E, 0xFF, 0xE0, 0x00]),
        }
    }

    #[test]
    fn styp_bytes() {
        let mut out = Vec::new();
        write_styp(&mut out);
        assert_eq!(out, b"\0\0\0\x18stypmsdh\0\0\0\0msdhcmfs");
        assert_eq!(out.len() as u64, STYP_SIZE);
    }

    #[test]
    fn traf_bytes_one_sample() {
        let mut out = Vec::new();
        let s = [sample(0x1_0000_0002, 3000, -3000, false, b"abc")];
        write_traf(&mut out, 2, s[0].dts, 0x7C, &s);
        assert_eq!(out.len() as u64, TRAF_FIXED + TRUN_ENTRY);
        assert_eq!(
            hex(&out),
            "0000005074726166\
             00000010746668640002000000000002\
             000000147466647401000000000000010000000\
             2\
             000000247472756e01000f01000000010000007c\
             00000bb8000000030101000\
             0fffff448"
                .replace(' ', "")
        );
    }

    #[test]
    fn fragment_layout_two_tracks() {
        let mut mux = Muxer::new(MuxerConfig {
            tracks: vec![avc(), aac()],
            styp: false,
        })
        .unwrap();
        let video = [
            sample(9000, 3000, 3000, true, b"IDR!"),
            sample(12_000, 3000, 0, false, b"P"),
        ];
        let audio = [sample(480, 1024, 0, true, b"aa")];
        let mut out = Vec::new();
        let info = mux
            .write_fragment(&[&video[..], &audio[..]], &mut out)
            .unwrap();
        // moof 8 + mfhd 16 + traf (64 + 2 * 16) + traf (64 + 16); mdat 8 + 7.
        let moof = 8 + 16 + 96 + 80;
        assert_eq!(out.len(), moof + 8 + 7);
        assert_eq!(info.sequence_number, 1);
        assert_eq!(info.header_len, moof as u64 + 8);
        assert_eq!(info.size, out.len() as u64);
        assert_eq!(
            hex(&out[..24]),
            "000000c86d6f6f66000000106d6668640000000000000001"
        );
        // Video trun: data offset = moof + mdat header = 208.
        assert_eq!(&out[24 + 48..24 + 52], b"trun");
        assert_eq!(hex(&out[24 + 56..24 + 64]), "00000002000000d0");
        assert_eq!(
            hex(&out[24 + 64..24 + 96]),
            "00000bb800000004020000000000 0bb8 00000bb8000000010101000000000000".replace(' ', "")
        );
        // Audio trun: data offset 208 + 5; tfdt 480.
        let audio_traf = 24 + 96;
        assert_eq!(
            hex(&out[audio_traf + 36..audio_traf + 44]),
            "00000000000001e0"
        );
        assert_eq!(
            hex(&out[audio_traf + 56..audio_traf + 64]),
            "00000001000000d5"
        );
        assert_eq!(&out[moof..], b"\0\0\0\x0fmdatIDR!Paa");

        // The next fragment numbers on and may leave a track out.
        let video = [sample(15_000, 3000, 0, false, b"p")];
        let mut header = Vec::new();
        let mut media = Vec::new();
        let info = mux
            .write_fragment_gather(&[&video[..], &[][..]], &mut header, &mut media)
            .unwrap();
        assert_eq!(info.sequence_number, 2);
        assert_eq!(header.len() as u64, info.header_len);
        assert_eq!(info.size, info.header_len + 1);
        assert_eq!(header.len(), 8 + 16 + 80 + 8);
        assert_eq!(media, [Bytes::from_static(b"p")]);
    }

    #[test]
    fn refusals_write_nothing_and_keep_state() {
        let mut mux = Muxer::new(MuxerConfig::new(vec![avc(), aac()])).unwrap();
        let mut out = vec![0xAA];
        let v = [sample(0, 3000, 0, true, b"x")];
        let empty: [Sample; 0] = [];
        assert_eq!(
            mux.write_fragment(&[&v[..]], &mut out),
            Err(Error::TrackCountMismatch {
                expected: 2,
                got: 1
            })
        );
        assert_eq!(
            mux.write_fragment(&[&empty[..], &empty[..]], &mut out),
            Err(Error::EmptyFragment)
        );
        let gap = [
            sample(0, 3000, 0, true, b"x"),
            sample(3001, 3000, 0, false, b"y"),
        ];
        assert_eq!(
            mux.write_fragment(&[&gap[..], &empty[..]], &mut out),
            Err(Error::NonContiguousDts {
                track_id: 1,
                index: 1,
                dts: 3001,
                expected: 3000
            })
        );
        let overflow = [sample(u64::MAX - 10, 11, 0, true, b"x")];
        assert_eq!(
            mux.write_fragment(&[&empty[..], &overflow[..]], &mut out),
            Err(Error::TimestampOverflow {
                track_id: 2,
                index: 0,
                dts: u64::MAX - 10,
                duration: 11
            })
        );
        assert_eq!(out, [0xAA]);
        let info = mux.write_fragment(&[&v[..], &empty[..]], &mut out).unwrap();
        assert_eq!(info.sequence_number, 1);
        let early = [sample(2999, 1, 0, true, b"x")];
        assert_eq!(
            mux.write_fragment(&[&early[..], &empty[..]], &mut out),
            Err(Error::DtsBackwards {
                track_id: 1,
                dts: 2999,
                previous_end: 3000
            })
        );
        // A gap between fragments is fine.
        let later = [sample(9000, 1, 0, true, b"x")];
        let info = mux
            .write_fragment(&[&later[..], &empty[..]], &mut out)
            .unwrap();
        assert_eq!(info.sequence_number, 2);
    }

    #[test]
    fn sequence_number_runs_out() {
        let mut mux = Muxer::new(MuxerConfig::new(vec![aac()])).unwrap();
        mux.sequence_number = u32::MAX;
        let a = [sample(0, 1024, 0, true, b"x")];
        assert_eq!(
            mux.write_fragment(&[&a[..]], &mut Vec::new()),
            Err(Error::SequenceExhausted)
        );
    }

    /// A gather list of `n` views of one shared 64 MiB buffer: gigabytes of
    /// sample data in 64 MiB of memory.
    fn big(n: usize) -> SampleData {
        let block = Bytes::from(vec![0u8; 64 << 20]);
        SampleData::Gather(vec![block; n])
    }

    #[test]
    fn sample_over_4_gib_is_refused() {
        let mut mux = Muxer::new(MuxerConfig::new(vec![avc()])).unwrap();
        let s = [Sample {
            dts: 0,
            duration: 1,
            composition_offset: 0,
            is_sync: true,
            data: big(64),
        }];
        assert_eq!(
            mux.write_fragment_gather(&[&s[..]], &mut Vec::new(), &mut Vec::new()),
            Err(Error::SampleTooLarge {
                track_id: 1,
                index: 0,
                size: 1 << 32
            })
        );
    }

    #[test]
    fn mdat_over_4_gib_uses_largesize() {
        let mut mux = Muxer::new(MuxerConfig {
            tracks: vec![avc()],
            styp: false,
        })
        .unwrap();
        let block = big(1);
        let samples: Vec<Sample> = (0..65)
            .map(|i| Sample {
                dts: i,
                duration: 1,
                composition_offset: 0,
                is_sync: i == 0,
                data: block.clone(),
            })
            .collect();
        let (mut header, mut media) = (Vec::new(), Vec::new());
        let info = mux
            .write_fragment_gather(&[&samples], &mut header, &mut media)
            .unwrap();
        let payload = 65u64 << 26;
        let moof = 8 + 16 + 64 + 65 * 16;
        assert_eq!(header.len(), moof + 16);
        assert_eq!(&header[moof..moof + 8], b"\0\0\0\x01mdat");
        assert_eq!(header[moof + 8..], (16 + payload).to_be_bytes());
        assert_eq!(info.size, (moof as u64) + 16 + payload);
        assert_eq!(media.len(), 65);
        // The data offset skips the 16-byte mdat header.
        let trun = header.windows(4).position(|w| w == b"trun").unwrap();
        assert_eq!(
            header[trun + 12..trun + 16],
            ((moof + 16) as u32).to_be_bytes()
        );
    }

    #[test]
    fn data_offset_past_2_gib_is_refused() {
        let mut mux = Muxer::new(MuxerConfig {
            tracks: vec![avc(), aac()],
            styp: false,
        })
        .unwrap();
        let video = [Sample {
            dts: 0,
            duration: 1,
            composition_offset: 0,
            is_sync: true,
            data: big(32),
        }];
        let audio = [sample(0, 1024, 0, true, b"a")];
        let moof = 8 + 16 + 80 + 80;
        assert_eq!(
            mux.write_fragment_gather(&[&video[..], &audio[..]], &mut Vec::new(), &mut Vec::new()),
            Err(Error::DataOffsetOverflow {
                track_id: 2,
                offset: moof + 8 + (1 << 31)
            })
        );
    }
}
