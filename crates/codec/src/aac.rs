//! AAC: AudioSpecificConfig parsing and ADTS framing for MPEG-TS.
//!
//! Typical flow for an FLV/RTMP audio track: parse the AAC sequence header with
//! [`AudioSpecificConfig::parse`], build an [`AdtsWriter`] from it once (this is where
//! configurations ADTS cannot express are rejected), then prefix every raw AAC frame with
//! [`AdtsWriter::header`].

mod adts;
mod asc;
mod pce;
mod raw_bits;
mod sampling;

pub use crate::Error;
pub use adts::{AdtsFrames, AdtsHeader, AdtsWriter};
pub use asc::AudioSpecificConfig;
pub use raw_bits::RawBits;
pub use sampling::{sampling_frequency, sampling_frequency_index};
