//! The muxer: the init segment, fragment sequence numbers and track ends.

use bytes::Bytes;

use crate::fragment::Layout;
use crate::{Error, MuxerConfig, Sample};

/// What one fragment call wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentInfo {
    /// The `mfhd` sequence number: 1 for the first fragment, then +1 each.
    pub sequence_number: u32,
    /// Bytes of `styp` + `moof` + the `mdat` header.
    pub header_len: u64,
    /// Bytes of the whole fragment, media included.
    pub size: u64,
}

/// Writes a CMAF / fragmented MP4 presentation: one init segment, then
/// media fragments of every track.
///
/// The muxer is sans-IO and parses no codec: the caller gives each track's
/// configuration record once ([`MuxerConfig`]) and then the samples of each
/// fragment, and decides where the bytes go.
///
/// What the caller must do:
/// - store or send [`init_segment`](Muxer::init_segment) before any
///   fragment (HLS `EXT-X-MAP`, DASH initialization);
/// - pass one sample list per configured track, in configuration order, to
///   each fragment call (an empty list leaves that track out of the
///   fragment), and begin segments on a video sync sample so each one
///   decodes on its own;
/// - give each track's samples back to back: inside a fragment
///   `dts[i + 1] == dts[i] + duration[i]`, and a fragment may not start
///   before the previous one of the same track ended (a gap is allowed:
///   each fragment carries its start in `tfdt`). The last sample's
///   duration is the caller's estimate when the next dts is not yet known.
///
/// Output, with the media copied once or not at all:
/// - [`write_fragment`](Muxer::write_fragment) appends the whole fragment
///   to a `Vec<u8>`: the one copy of the media, as the MPEG-TS muxer does;
/// - [`write_fragment_gather`](Muxer::write_fragment_gather) appends only
///   the boxes (`styp`, `moof`, `mdat` header) to a `Vec<u8>` and the
///   samples' own `Bytes` (reference-counted clones) to a `Vec<Bytes>`:
///   the fragment is the header followed by those buffers in order, ready
///   for a vectored write or a multi-part upload without copying media.
///
/// ```
/// use bytes::Bytes;
/// use livechannel_fmp4::{Codec, Muxer, MuxerConfig, Sample, SampleData};
///
/// let avcc = Bytes::from_static(&[1, 0x42, 0xC0, 0x1E, 0xFF, 0xE0, 0x00]);
/// let mut mux = Muxer::new(MuxerConfig::new(vec![
///     Codec::Avc { width: 640, height: 360, avcc },
///     Codec::Aac {
///         sample_rate: 48_000,
///         channels: 2,
///         audio_specific_config: Bytes::from_static(&[0x11, 0x90]),
///     },
/// ]))?;
/// let init = mux.init_segment().to_vec();
/// assert_eq!(&init[4..8], b"ftyp");
///
/// // One IDR (a 4-byte-length-prefixed NAL unit) and one AAC frame.
/// let idr = Bytes::from_static(&[0, 0, 0, 2, 0x65, 0x88]);
/// let video = [Sample {
///     dts: 0, duration: 3000, composition_offset: 0, is_sync: true,
///     data: SampleData::One(idr),
/// }];
/// let audio = [Sample {
///     dts: 0, duration: 1024, composition_offset: 0, is_sync: true,
///     data: SampleData::One(Bytes::from_static(&[0x21, 0x10, 0x04])),
/// }];
///
/// // Zero copies: header bytes here, media buffers there.
/// let (mut header, mut media) = (Vec::new(), Vec::new());
/// let info = mux.write_fragment_gather(&[&video[..], &audio[..]], &mut header, &mut media)?;
/// assert_eq!(info.sequence_number, 1);
/// assert_eq!(media.len(), 2);
/// assert_eq!(info.size, header.len() as u64 + 6 + 3);
///
/// // One copy: the next fragment in one buffer.
/// let video = [Sample { dts: 3000, ..video[0].clone() }];
/// let mut fragment = Vec::new();
/// let info = mux.write_fragment(&[&video[..], &[][..]], &mut fragment)?;
/// assert_eq!((info.sequence_number, info.size), (2, fragment.len() as u64));
/// # Ok::<(), livechannel_fmp4::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Muxer {
    config: MuxerConfig,
    init: Vec<u8>,
    /// `mfhd` sequence number of the last fragment written (0 before the first).
    pub(crate) sequence_number: u32,
    /// Per track: last dts + duration of its last fragment.
    track_end: Vec<Option<u64>>,
}

impl Muxer {
    /// Creates a muxer and builds its init segment.
    ///
    /// Fails if there is no track or more than [`MAX_TRACKS`](crate::MAX_TRACKS),
    /// a configuration record is over [`MAX_CONFIG_RECORD`](crate::MAX_CONFIG_RECORD)
    /// bytes, or an audio track has a sample rate outside 1..=65535 or no channel.
    pub fn new(config: MuxerConfig) -> Result<Muxer, Error> {
        let init = crate::init::write(&config)?;
        let track_end = vec![None; config.tracks.len()];
        Ok(Muxer {
            config,
            init,
            sequence_number: 0,
            track_end,
        })
    }

    /// The configuration the muxer was made with.
    pub fn config(&self) -> &MuxerConfig {
        &self.config
    }

    /// The init segment: `ftyp` + `moov` with one `trak` per track and
    /// `mvex`/`trex`. It does not change for the life of the muxer; a new
    /// codec configuration needs a new muxer (and, in HLS, a new `EXT-X-MAP`).
    pub fn init_segment(&self) -> &[u8] {
        &self.init
    }

    /// Appends one fragment to `out`: `styp` (if configured), `moof`, and
    /// `mdat` with the samples copied in, track after track.
    ///
    /// `tracks` holds one sample list per configured track (may be empty,
    /// not all). On error nothing is written and the muxer is unchanged.
    pub fn write_fragment<S: AsRef<[Sample]>>(
        &mut self,
        tracks: &[S],
        out: &mut Vec<u8>,
    ) -> Result<FragmentInfo, Error> {
        let (layout, ends, sequence_number) = self.plan(tracks)?;
        let start = out.len();
        // A size the address space cannot hold fails on its own when
        // extending below; only reserve what can be asked for.
        if let Ok(total) = usize::try_from(layout.total()) {
            out.reserve(total);
        }
        layout.write_header(sequence_number, tracks, out);
        let header_len = (out.len() - start) as u64;
        for samples in tracks {
            for sample in samples.as_ref() {
                for chunk in sample.data.chunks() {
                    out.extend_from_slice(chunk);
                }
            }
        }
        self.commit(sequence_number, ends);
        Ok(FragmentInfo {
            sequence_number,
            header_len,
            size: (out.len() - start) as u64,
        })
    }

    /// Appends one fragment without copying media: the boxes (`styp`,
    /// `moof`, `mdat` header) go to `header`, and a clone of every sample
    /// buffer to `media`, in the order they follow the header.
    ///
    /// The fragment is `header[start..]` followed by the appended `media`
    /// buffers; [`FragmentInfo::size`] is its length. On error nothing is
    /// written and the muxer is unchanged.
    pub fn write_fragment_gather<S: AsRef<[Sample]>>(
        &mut self,
        tracks: &[S],
        header: &mut Vec<u8>,
        media: &mut Vec<Bytes>,
    ) -> Result<FragmentInfo, Error> {
        let (layout, ends, sequence_number) = self.plan(tracks)?;
        let start = header.len();
        layout.write_header(sequence_number, tracks, header);
        let header_len = (header.len() - start) as u64;
        media.reserve(tracks.iter().map(|s| s.as_ref().len()).sum());
        for samples in tracks {
            for sample in samples.as_ref() {
                media.extend(sample.data.chunks().iter().cloned());
            }
        }
        self.commit(sequence_number, ends);
        Ok(FragmentInfo {
            sequence_number,
            header_len,
            size: layout.total(),
        })
    }

    fn plan<S: AsRef<[Sample]>>(
        &self,
        tracks: &[S],
    ) -> Result<(Layout, Vec<Option<u64>>, u32), Error> {
        let sequence_number = self
            .sequence_number
            .checked_add(1)
            .ok_or(Error::SequenceExhausted)?;
        let (layout, ends) = Layout::plan(self.config.styp, tracks, &self.track_end)?;
        Ok((layout, ends, sequence_number))
    }

    fn commit(&mut self, sequence_number: u32, ends: Vec<Option<u64>>) {
        self.sequence_number = sequence_number;
        self.track_end = ends;
    }
}
