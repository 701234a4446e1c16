//! ffprobe reads an fMP4 built from the real H.264 and AAC frames of an FLV
//! fixture: every frame back, the right codecs and picture size, and every
//! packet's pts, dts and key flag as written.
//!
//! Needs `ffprobe` on the PATH: without it the test fails under `CI=true`
//! and prints a loud SKIPPED line elsewhere.

use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use livechannel_codec::aac::AudioSpecificConfig;
use livechannel_codec::h264::{AvcDecoderConfigurationRecord, Sps};
use livechannel_flv::{AacPacketType, FrameType, TagType, VideoPacketType};
use livechannel_fmp4::{Codec, Muxer, MuxerConfig, Sample, SampleData};

const FIXTURE: &str = "../../tests/fixtures/high_bframes_gop2s_aac44k.flv";

/// A video frame: FLV dts and composition time (ms), key flag, AVCC bytes.
struct Frame {
    dts_ms: u32,
    cts_ms: i32,
    key: bool,
    data: Bytes,
}

/// The fixture's tracks: configuration records and the frames.
struct Input {
    avcc: Bytes,
    asc: Bytes,
    video: Vec<Frame>,
    /// Raw AAC frames with their FLV timestamp (ms).
    audio: Vec<(u32, Bytes)>,
}

fn read_fixture() -> Input {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let tags = livechannel_flv::read_all(Bytes::from(std::fs::read(path).unwrap())).unwrap();
    let (mut avcc, mut asc) = (None, None);
    let (mut video, mut audio) = (Vec::new(), Vec::new());
    for tag in &tags {
        match tag.tag_type {
            TagType::Video => {
                let v = tag.video().unwrap();
                match v.packet_type {
                    VideoPacketType::SequenceHeader => avcc = Some(v.data),
                    VideoPacketType::Nalu => video.push(Frame {
                        dts_ms: tag.timestamp,
                        cts_ms: v.composition_time,
                        key: v.frame_type == FrameType::Key,
                        data: v.data,
                    }),
                    _ => {}
                }
            }
            TagType::Audio => {
                let a = tag.audio().unwrap();
                match a.aac_packet_type {
                    Some(AacPacketType::SequenceHeader) => asc = Some(a.data),
                    Some(AacPacketType::Raw) => audio.push((tag.timestamp, a.data)),
                    None => {}
                }
            }
            _ => {}
        }
    }
    Input {
        avcc: avcc.expect("AVC sequence header"),
        asc: asc.expect("AAC sequence header"),
        video,
        audio,
    }
}

/// Video samples in 90 kHz (duration up to the next frame; the last one
/// repeats the previous duration) and AAC samples of 1024 ticks each at the
/// sample rate, starting at the first audio tag's time.
fn samples(input: &Input, sample_rate: u32) -> (Vec<Sample>, Vec<Sample>) {
    let dts = |ms: u32| u64::from(ms) * 90;
    let mut video: Vec<Sample> = input
        .video
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let next = input.video.get(i + 1).map(|n| dts(n.dts_ms));
            Sample {
                dts: dts(f.dts_ms),
                duration: next.map_or(0, |n| (n - dts(f.dts_ms)) as u32),
                composition_offset: f.cts_ms * 90,
                is_sync: f.key,
                data: SampleData::One(f.data.clone()),
            }
        })
        .collect();
    let n = video.len();
    video[n - 1].duration = video[n - 2].duration;
    let start = u64::from(input.audio[0].0) * u64::from(sample_rate) / 1000;
    let audio = input
        .audio
        .iter()
        .enumerate()
        .map(|(i, (_, data))| Sample {
            dts: start + i as u64 * 1024,
            duration: 1024,
            composition_offset: 0,
            is_sync: true,
            data: SampleData::One(data.clone()),
        })
        .collect();
    (video, audio)
}

/// `packet,pts,dts,K|_` for every packet of one stream type.
fn packets(path: &Path, stream: &str) -> Vec<String> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", stream])
        .args(["-show_entries", "packet=pts,dts,flags", "-of", "csv"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        // Flags are K (key), D (discard), C (corrupt): keep K.
        .map(|l| l.trim_end_matches(['_', 'D', 'C']).to_owned())
        .map(|l| if l.ends_with(',') { l + "_" } else { l })
        .collect()
}

#[test]
fn ffprobe_reads_every_frame_of_an_h264_aac_fmp4() {
    let input = read_fixture();
    let record = AvcDecoderConfigurationRecord::parse(&input.avcc).unwrap();
    let sps = Sps::parse(&record.sps[0]).unwrap();
    let asc = AudioSpecificConfig::parse(&input.asc).unwrap();
    let sample_rate = asc.sampling_frequency;
    let config = MuxerConfig::new(vec![
        Codec::Avc {
            width: sps.width as u16,
            height: sps.height as u16,
            avcc: input.avcc.clone(),
        },
        Codec::Aac {
            sample_rate,
            channels: u16::from(asc.channel_configuration),
            audio_specific_config: input.asc.clone(),
        },
    ]);
    let mut mux = Muxer::new(config).unwrap();
    let (video, audio) = samples(&input, sample_rate);
    assert!(video[0].is_sync);

    // One fragment per GOP; audio up to the next keyframe goes with it.
    let mut file = mux.init_segment().to_vec();
    let keys: Vec<usize> = (0..video.len()).filter(|&i| video[i].is_sync).collect();
    let mut a = 0;
    let mut fragments = 0;
    for (k, &first) in keys.iter().enumerate() {
        let last = keys.get(k + 1).copied().unwrap_or(video.len());
        let until = keys.get(k + 1).map(|&i| video[i].dts);
        let a_start = a;
        while a < audio.len()
            && until.map_or(true, |t| audio[a].dts * 90_000 < t * u64::from(sample_rate))
        {
            a += 1;
        }
        let tracks = [&video[first..last], &audio[a_start..a]];
        mux.write_fragment(&tracks, &mut file).unwrap();
        fragments += 1;
    }
    assert_eq!(a, audio.len());
    assert!(fragments >= 2, "the fixture has several GOPs");

    if !livechannel_testkit::tools::have("ffprobe") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h264_aac.mp4");
    std::fs::write(&path, &file).unwrap();
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-show_entries",
            "stream=codec_type,codec_name,width,height,sample_rate,channels,nb_read_frames",
            "-of",
            "compact=p=0",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ffprobe failed: {stderr}");
    assert_eq!(stderr.trim(), "", "ffprobe complained");
    let report = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "codec_name=h264|codec_type=video|width={}|height={}|nb_read_frames={}",
                sps.width,
                sps.height,
                video.len()
            ),
            format!(
                "codec_name=aac|codec_type=audio|sample_rate={sample_rate}|channels={}|nb_read_frames={}",
                asc.channel_configuration,
                audio.len()
            ),
        ],
        "{report}"
    );

    // Packet times and key flags as ffmpeg's demuxer reads tfdt and trun.
    let expected = |samples: &[Sample]| -> Vec<String> {
        samples
            .iter()
            .map(|s| {
                let pts = s.dts as i64 + i64::from(s.composition_offset);
                let key = if s.is_sync { "K" } else { "_" };
                format!("packet,{pts},{},{key}", s.dts)
            })
            .collect()
    };
    assert_eq!(packets(&path, "v"), expected(&video));
    assert_eq!(packets(&path, "a"), expected(&audio));
    eprintln!(
        "ffprobe read {} video and {} audio frames of {}x{} in {fragments} fragments",
        video.len(),
        audio.len(),
        sps.width,
        sps.height
    );
}
