//! Why a publish was refused or ended, and what the operator should hear.

use livechannel_hls::{SoundFormat, VideoCodecKind};
use livechannel_rtmp::{CloseReason, PublishRejection};

use crate::addressing::AddressError;
use crate::catalog::CatalogError;
use crate::store::StoreError;

/// Why a publish was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// No such bucket.
    #[error("no such bucket {0}")]
    NoSuchBucket(String),
    /// No such channel in the bucket.
    #[error("no such live channel {0}")]
    NoSuchLiveChannel(String),
    /// The channel is disabled.
    #[error("live channel {0} is disabled")]
    Disabled(String),
    /// Another publisher is pushing to the channel (here or on another node).
    #[error("live channel {0} already has a publisher")]
    AlreadyLive(String),
    /// The push URL's signature is missing, expired or wrong.
    #[error("rtmp url signature: {0}")]
    Auth(crate::auth::RtmpAuthError),
    /// A push parameter is invalid (e.g. `playlistName`).
    #[error("invalid push parameter: {0}")]
    InvalidArgument(String),
    /// The store failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl PublishError {
    /// The `onStatus` code to refuse the publisher with: `Denied` where
    /// the publisher may not push (a disabled channel, a bad signature),
    /// `BadName` where the URL names nothing it could push to.
    pub fn rejection(&self) -> PublishRejection {
        match self {
            PublishError::Disabled(_) | PublishError::Auth(_) => PublishRejection::Denied,
            _ => PublishRejection::BadName,
        }
    }
}

/// Why a [`Connection`](super::Connection) refused a publish: its URL
/// names no channel, or the channel may not be pushed to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The push URL names no bucket or channel.
    #[error(transparent)]
    Address(#[from] AddressError),
    /// The service refused the publish.
    #[error(transparent)]
    Publish(#[from] PublishError),
}

impl Refusal {
    /// The `onStatus` code the publisher was answered with.
    pub fn rejection(&self) -> PublishRejection {
        match self {
            Refusal::Address(_) => PublishRejection::BadName,
            Refusal::Publish(e) => e.rejection(),
        }
    }
}

/// Why ingest stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The channel was disabled while live: end the publish, then call
    /// [`Publisher::finish`](super::Publisher::finish).
    #[error("the live channel was disabled")]
    Disabled,
    /// Nothing had arrived for `silent_ms` when a new publish of the
    /// channel asked for it ([`SILENT_TAKEOVER_MS`](crate::SILENT_TAKEOVER_MS)
    /// or more): end the publish, then call
    /// [`Publisher::finish`](super::Publisher::finish); the new one takes
    /// the channel once this one has freed it.
    #[error("silent for {silent_ms} ms when a new publish asked for the channel")]
    Superseded {
        /// How long nothing had arrived, in ms.
        silent_ms: u64,
    },
    /// The video is in a codec or form ingest cannot store (VP9, a
    /// damaged sequence header, ...).
    #[error(transparent)]
    Unsupported(livechannel_hls::Error),
    /// The video is in a codec the service refuses
    /// ([`VideoCodecs::H264Only`](crate::VideoCodecs::H264Only), as OSS).
    #[error("{} video is refused: this server takes H.264 only (as OSS LiveChannel)", video_codec_name(*.codec))]
    CodecRefused {
        /// The codec sent.
        codec: VideoCodecKind,
    },
    /// The store failed; what was stored so far stays consistent.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A record could not be written.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl IngestError {
    /// True when the store failed in a way worth retrying.
    pub fn is_transient(&self) -> bool {
        match self {
            IngestError::Store(e) | IngestError::Catalog(CatalogError::Store(e)) => {
                e.is_transient()
            }
            _ => false,
        }
    }
}

/// Why a publish ended, as its History record keeps it for operators
/// ([`LiveRecord::end_reason`](crate::catalog::LiveRecord::end_reason)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndReason {
    /// The publisher unpublished (`FCUnpublish`, `deleteStream`).
    Unpublished,
    /// The RTMP session closed while publishing: how.
    Closed(CloseReason),
    /// Ingest ended it: a refused codec, a store that gave up, a disabled channel.
    Ended(IngestError),
}

impl std::fmt::Display for EndReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndReason::Unpublished => f.write_str("the publisher unpublished"),
            EndReason::Closed(CloseReason::PeerClosed) => {
                f.write_str("the publisher closed the connection")
            }
            EndReason::Closed(CloseReason::Application { reason }) => f.write_str(reason),
            EndReason::Closed(reason) => match reason.error() {
                Some(e) => write!(f, "the connection failed: {e}"),
                None => write!(f, "the connection closed: {reason:?}"),
            },
            EndReason::Ended(e) => e.fmt(f),
        }
    }
}

/// Something about a publish the operator should hear about, though the
/// publish goes on: from [`Publisher::poll_warning`](super::Publisher::poll_warning), once each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IngestWarning {
    /// The audio is not AAC: it is dropped for the whole publish (OSS keeps
    /// only AAC audio) and the video is stored alone. Stat still names the
    /// incoming codec, as OSS does.
    AudioDiscarded {
        /// The incoming audio codec.
        codec: SoundFormat,
    },
}

impl std::fmt::Display for IngestWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IngestWarning::AudioDiscarded { codec } => write!(
                f,
                "{} audio is not supported (AAC only, as OSS); the stream is stored without audio",
                audio_codec_name(*codec)
            ),
        }
    }
}

/// The video codec's name as Stat's `<Codec>` gives it (OSS: `H264`).
pub(crate) fn video_codec_name(codec: VideoCodecKind) -> &'static str {
    match codec {
        VideoCodecKind::H264 => "H264",
        VideoCodecKind::Hevc => "H265",
        VideoCodecKind::Av1 => "AV1",
        _ => "Unknown",
    }
}

/// The codec's name as Stat's `<Codec>` gives it.
pub(crate) fn audio_codec_name(format: SoundFormat) -> &'static str {
    match format {
        SoundFormat::LinearPcmPlatform | SoundFormat::LinearPcmLe => "PCM",
        SoundFormat::Adpcm => "ADPCM",
        SoundFormat::Mp3 | SoundFormat::Mp3_8k => "MP3",
        SoundFormat::Nellymoser16kMono
        | SoundFormat::Nellymoser8kMono
        | SoundFormat::Nellymoser => "Nellymoser",
        SoundFormat::G711ALaw => "G711A",
        SoundFormat::G711MuLaw => "G711U",
        SoundFormat::Aac => "AAC",
        SoundFormat::Speex => "Speex",
        SoundFormat::DeviceSpecific | SoundFormat::Other(_) => "Unknown",
    }
}
