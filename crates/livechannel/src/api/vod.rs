//! GetVodPlaylist and PostVodPlaylist (`docs/oss-compatibility.md`,
//! "PostVodPlaylist", "GetVodPlaylist" and "VOD playlists").

use bytes::Bytes;
use http::header::{CONTENT_TYPE, ETAG};
use livechannel_m3u8::{MediaPlaylist, MediaSegment, SegmentMap};

use super::error::ApiError;
use super::request::ApiRequest;
use super::response::Reply;
use super::validate;
use crate::catalog::{object_key, SegmentEntry};
use crate::Service;

/// Longest VOD span, seconds (one day).
const MAX_SPAN_S: u64 = 86_400;
/// The content type of every playlist.
pub(crate) const M3U8: &str = "application/x-mpegURL";

/// `startTime` and `endTime`, Unix seconds, with end > start and a span of
/// at most one day.
fn time_span(req: &ApiRequest) -> Result<(u64, u64), ApiError> {
    let time = |name: &str, ec: &'static str| {
        let value = req.param(name).unwrap_or_default();
        value.trim().parse::<u64>().map_err(|_| {
            ApiError::invalid_argument(
                format!("{name} must be a unix time in seconds."),
                name,
                value,
            )
            .with_ec(Some(ec))
        })
    };
    let start = time("startTime", "0044-00000304")?;
    let end = time("endTime", "0044-00000305")?;
    if end <= start {
        return Err(ApiError::invalid_argument(
            "endTime must be later than startTime.",
            "endTime",
            &end.to_string(),
        )
        .with_ec(Some("0044-00000306")));
    }
    if end - start > MAX_SPAN_S {
        return Err(ApiError::invalid_argument(
            "The time span must not exceed one day.",
            "endTime",
            &end.to_string(),
        )
        .with_ec(Some("0044-00000307")));
    }
    Ok((start, end))
}

/// The VOD playlist of `entries` (in time order): each fMP4 segment after
/// the `#EXT-X-MAP` of its init segment. MPEG-TS segments after fMP4 ones
/// (a channel republished from HEVC to H.264 in TS) cannot be described,
/// as a map holds to the playlist's end: such a span is refused, naming
/// where the container changed.
fn vod_of(entries: &[SegmentEntry]) -> Result<MediaPlaylist, ApiError> {
    let mut maps = Vec::new();
    let mut current_init = None;
    for (i, entry) in entries.iter().enumerate() {
        match (entry.init_file_name(), &current_init) {
            (Some(init), Some(current)) if init == *current => {}
            (Some(init), _) => {
                maps.push(SegmentMap::new(i, init.clone()));
                current_init = Some(init);
            }
            (None, None) => {}
            (None, Some(_)) => {
                return Err(ApiError::invalid_argument(
                    "The time span holds MPEG-TS segments after fMP4 segments, which one \
                     playlist cannot describe; ask for the spans before and after this time.",
                    "startTime",
                    &(entry.start_ms / 1000).to_string(),
                ))
            }
        }
    }
    let segments = entries
        .iter()
        .enumerate()
        .map(|(i, e)| MediaSegment {
            uri: e.file_name(),
            duration: e.duration_ms as f64 / 1000.0,
            // A discontinuity before the first segment separates it from nothing.
            discontinuity: e.discontinuity && i > 0,
            title: String::new(),
        })
        .collect();
    let mut playlist = MediaPlaylist::vod(segments);
    for map in maps {
        playlist.add_map(map);
    }
    Ok(playlist)
}

impl Service {
    /// The VOD playlist of the segments of `channel` starting in
    /// `[start, end]` (seconds, end inclusive to its last millisecond).
    async fn vod_playlist(
        &self,
        bucket: &str,
        channel: &str,
        start: u64,
        end: u64,
    ) -> Result<Bytes, ApiError> {
        if self.catalog.channel(bucket, channel).await?.is_none() {
            return Err(ApiError::no_such_live_channel(channel));
        }
        let entries = self
            .catalog
            .segments(
                bucket,
                channel,
                start.saturating_mul(1000),
                end.saturating_mul(1000).saturating_add(999),
            )
            .await?;
        if entries.is_empty() {
            return Err(ApiError::invalid_argument(
                "No ts file found in specified time span.",
                "startTime",
                &start.to_string(),
            )
            .with_ec(Some("0044-00000308")));
        }
        Ok(Bytes::from(vod_of(&entries)?.to_string()))
    }

    pub(super) async fn get_vod_playlist(&self, req: &ApiRequest) -> Result<Reply, ApiError> {
        validate::channel_name(&req.key, Some("0044-00000302"))?;
        let (start, end) = time_span(req)?;
        let body = self
            .vod_playlist(req.bucket(), &req.key, start, end)
            .await?;
        let etag = crate::store::etag(&body).quoted();
        Ok(Reply::ok(body)
            .header(CONTENT_TYPE, M3U8)
            .header(ETAG, &etag))
    }

    pub(super) async fn post_vod_playlist(&self, req: &ApiRequest) -> Result<Reply, ApiError> {
        let Some((channel, playlist)) = req.key.split_once('/') else {
            return Err(ApiError::invalid_argument(
                "The key must be {ChannelName}/{PlaylistName}.",
                "PlaylistName",
                "",
            ));
        };
        validate::channel_name(channel, Some("0044-00000302"))?;
        if !playlist.ends_with(".m3u8") {
            return Err(ApiError::invalid_argument(
                "PlaylistName must end with .m3u8.",
                "PlaylistName",
                playlist,
            )
            .with_ec(Some("0044-00000403")));
        }
        validate::playlist_name(playlist)?;
        let (start, end) = time_span(req)?;
        let body = self.vod_playlist(req.bucket(), channel, start, end).await?;
        let meta = self
            .catalog
            .store()
            .put(&object_key(req.bucket(), &req.key), body, M3U8)
            .await?;
        Ok(Reply::empty(http::StatusCode::OK).header(ETAG, &meta.etag.quoted()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Container;

    fn entry(start_ms: u64, discontinuity: bool, container: Container) -> SegmentEntry {
        SegmentEntry {
            start_ms,
            duration_ms: 2000,
            discontinuity,
            container,
        }
    }

    #[test]
    fn fmp4_segments_follow_their_init_segment() {
        let fmp4 = |init_ms| Container::Fmp4 { init_ms };
        let entries = [
            entry(1000, true, Container::Ts),
            entry(3000, true, fmp4(3000)),
            entry(5000, false, fmp4(3000)),
            entry(7000, true, fmp4(7000)),
        ];
        let text = vod_of(&entries).unwrap().to_string();
        assert!(text.starts_with("#EXTM3U\n#EXT-X-VERSION:7\n"), "{text}");
        assert!(
            text.ends_with(
                "#EXTINF:2.000,\n1000.ts\n\
                 #EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"3000.init.mp4\"\n#EXTINF:2.000,\n3000.m4s\n\
                 #EXTINF:2.000,\n5000.m4s\n\
                 #EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"7000.init.mp4\"\n#EXTINF:2.000,\n7000.m4s\n\
                 #EXT-X-ENDLIST\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn ts_after_fmp4_is_refused_with_the_time_it_changed() {
        let entries = [
            entry(3000, true, Container::Fmp4 { init_ms: 3000 }),
            entry(9000, true, Container::Ts),
        ];
        let err = vod_of(&entries).unwrap_err();
        assert!(format!("{err:?}").contains("\"9\""), "{err:?}");
        // TS alone stays version 3, as OSS.
        let ts = vod_of(&entries[1..]).unwrap().to_string();
        assert!(ts.starts_with("#EXTM3U\n#EXT-X-VERSION:3\n"), "{ts}");
    }
}
