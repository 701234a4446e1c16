//! The sliding-window live playlist (RFC 8216 §6.2.2).

use std::collections::VecDeque;
use std::fmt;

use crate::duration::rounded_duration;
use crate::write::{self, Header};
use crate::{MediaPlaylist, MediaSegment, SegmentMap};

/// The state of a live playlist that shows the last `frag_count` segments.
///
/// Sans-IO: the window only produces text; the caller stores it (atomically
/// replacing the previous playlist, and only after the segments it names
/// are stored) and keeps it to [`resume`](LiveWindow::resume) from after a
/// restart or a republish.
///
/// It maintains what RFC 8216 asks of a live playlist server:
/// - `#EXT-X-MEDIA-SEQUENCE` grows by one per segment that slides out;
/// - `#EXT-X-DISCONTINUITY-SEQUENCE` grows by one per sliding-out segment
///   that carried `#EXT-X-DISCONTINUITY` (§6.2.2), which players such as
///   hls.js need to keep playing across a republish;
/// - `#EXT-X-TARGETDURATION` does not change (§6.2.1) unless a segment
///   would break the rule that its rounded `#EXTINF` is at most the target
///   duration: then it grows to that segment's [`rounded_duration`], and
///   it never shrinks. Pass [`new`](LiveWindow::new) a target duration at
///   least as long as the longest segment you expect (FragDuration rounded
///   up, or more if keyframes can come late), so it never has to grow:
///   growth is the only way to stay valid when a stream's GOP suddenly
///   lengthens, but players may not expect the change.
///
/// ```
/// use livechannel_m3u8::{LiveWindow, MediaSegment};
///
/// let mut live = LiveWindow::new(3, 6);
/// for i in 0..5 {
///     live.push(MediaSegment::new(format!("{i}.ts"), 6.0));
/// }
/// live.mark_discontinuity(); // e.g. the publisher reconnected
/// live.push(MediaSegment::new("5.ts", 4.133));
/// assert_eq!(live.media_sequence(), 3);
/// let mut text = String::new();
/// live.write(&mut text);
/// assert!(text.contains("#EXT-X-MEDIA-SEQUENCE:3\n"));
/// assert!(text.ends_with("#EXT-X-DISCONTINUITY\n#EXTINF:4.133,\n5.ts\n"));
/// live.end();
/// assert!(live.playlist().end_list);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LiveWindow {
    frag_count: usize,
    target_duration: u64,
    media_sequence: u64,
    discontinuity_sequence: u64,
    segments: VecDeque<MediaSegment>,
    /// `mark_discontinuity` was called; the next pushed segment carries it.
    discontinuity_pending: bool,
    /// A segment was pushed at some point (now or before a resume), so a
    /// discontinuity has something to separate.
    has_history: bool,
    ended: bool,
    /// `(absolute segment number, init URI)`, sorted; the first one is the
    /// map in effect for the oldest shown segment (or for the next pushed).
    maps: VecDeque<(u64, String)>,
}

impl LiveWindow {
    /// An empty window keeping the last `frag_count` segments (at least 1;
    /// 0 is taken as 1) with a target duration of `target_duration` seconds
    /// (at least 1; 0 is taken as 1). See the type docs on choosing it.
    pub fn new(frag_count: usize, target_duration: u64) -> LiveWindow {
        LiveWindow {
            frag_count: frag_count.max(1),
            target_duration: target_duration.max(1),
            media_sequence: 0,
            discontinuity_sequence: 0,
            segments: VecDeque::new(),
            discontinuity_pending: false,
            has_history: false,
            ended: false,
            maps: VecDeque::new(),
        }
    }

    /// Continues a stored playlist (after a restart, or for a republish):
    /// keeps its segments, media sequence, discontinuity sequence and target
    /// duration, and clears `#EXT-X-ENDLIST`. If the stored playlist holds
    /// more than `frag_count` segments, the oldest slide out as in
    /// [`push`](LiveWindow::push); if one of its segments rounds above its
    /// target duration, the target duration grows to cover it. For a
    /// republish, call [`mark_discontinuity`](LiveWindow::mark_discontinuity)
    /// next, and [`set_map`](LiveWindow::set_map) if the new stream is fMP4.
    pub fn resume(stored: &MediaPlaylist, frag_count: usize) -> LiveWindow {
        let mut window = LiveWindow {
            frag_count: frag_count.max(1),
            target_duration: stored.target_duration.max(1),
            media_sequence: stored.media_sequence,
            discontinuity_sequence: stored.discontinuity_sequence,
            segments: stored.segments.iter().cloned().collect(),
            discontinuity_pending: false,
            has_history: !stored.segments.is_empty() || stored.media_sequence > 0,
            ended: false,
            maps: stored
                .maps
                .iter()
                .filter(|m| m.first_segment < stored.segments.len())
                .map(|m| {
                    let first = stored.media_sequence.saturating_add(m.first_segment as u64);
                    (first, m.uri.clone())
                })
                .collect(),
        };
        for segment in &stored.segments {
            window.cover(segment.duration);
        }
        window.slide();
        window
    }

    /// Appends a segment, sliding out the oldest beyond `frag_count`
    /// (sliding out one that carries a discontinuity increments the
    /// discontinuity sequence). Clears [`end`](LiveWindow::end): a playlist
    /// that grows again is live again.
    pub fn push(&mut self, mut segment: MediaSegment) {
        if self.discontinuity_pending {
            segment.discontinuity = true;
            self.discontinuity_pending = false;
        }
        self.cover(segment.duration);
        self.segments.push_back(segment);
        self.has_history = true;
        self.ended = false;
        self.slide();
    }

    /// The next pushed segment carries `#EXT-X-DISCONTINUITY`. Does nothing
    /// before the first segment ever (there is nothing to be discontinuous with).
    pub fn mark_discontinuity(&mut self) {
        if self.has_history {
            self.discontinuity_pending = true;
        }
    }

    /// The next pushed segment, and every one after it until the next
    /// call, starts from the init segment at `uri` (`#EXT-X-MAP`). Calling
    /// it again before a push replaces the pending map; calling it with the
    /// URI already in effect does nothing.
    ///
    /// ```
    /// use livechannel_m3u8::{LiveWindow, MediaSegment};
    ///
    /// let mut live = LiveWindow::new(2, 2);
    /// live.set_map("a-init.mp4");
    /// live.push(MediaSegment::new("a0.m4s", 2.0));
    /// live.mark_discontinuity(); // republished: new codec parameters
    /// live.set_map("b-init.mp4");
    /// live.push(MediaSegment::new("b0.m4s", 2.0));
    /// live.push(MediaSegment::new("b1.m4s", 2.0));
    /// // a0 slid out; b-init is written before the oldest shown segment.
    /// assert_eq!(
    ///     live.to_string(),
    ///     "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MEDIA-SEQUENCE:1\n#EXT-X-TARGETDURATION:2\n\
    ///      #EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"b-init.mp4\"\n#EXTINF:2.000,\nb0.m4s\n\
    ///      #EXTINF:2.000,\nb1.m4s\n"
    /// );
    /// ```
    pub fn set_map(&mut self, uri: impl Into<String>) {
        let uri = uri.into();
        let next = self
            .media_sequence
            .saturating_add(self.segments.len() as u64);
        match self.maps.back_mut() {
            Some((_, current)) if *current == uri => {}
            Some((first, pending)) if *first == next => *pending = uri,
            _ => self.maps.push_back((next, uri)),
        }
    }

    /// Whether the next pushed segment starts from an init segment
    /// (`#EXT-X-MAP`): true once [`set_map`](LiveWindow::set_map) was
    /// called, until [`restart`](LiveWindow::restart).
    pub fn has_map(&self) -> bool {
        !self.maps.is_empty()
    }

    /// Slides out every shown segment and forgets the maps, as if each
    /// segment had slid out in turn (the media and discontinuity sequences
    /// count them), and marks the next pushed segment with a discontinuity.
    ///
    /// For a stream that cannot follow the shown segments in one playlist:
    /// an `#EXT-X-MAP` applies up to the next map or the playlist's end, so
    /// MPEG-TS segments cannot come after fMP4 ones. A player polling the
    /// playlist sees the old segments go and the new ones follow.
    ///
    /// ```
    /// use livechannel_m3u8::{LiveWindow, MediaSegment};
    ///
    /// let mut live = LiveWindow::new(3, 2);
    /// live.set_map("init.mp4");
    /// live.push(MediaSegment::new("0.m4s", 2.0));
    /// live.push(MediaSegment::new("1.m4s", 2.0));
    /// live.restart(); // the publisher came back with H.264 in MPEG-TS
    /// live.push(MediaSegment::new("2.ts", 2.0));
    /// assert_eq!(
    ///     live.to_string(),
    ///     "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:2\n#EXT-X-TARGETDURATION:2\n\
    ///      #EXT-X-DISCONTINUITY\n#EXTINF:2.000,\n2.ts\n"
    /// );
    /// ```
    pub fn restart(&mut self) {
        let shown = self.segments.len() as u64;
        let discontinuities = self.segments.iter().filter(|s| s.discontinuity).count() as u64;
        self.media_sequence = self.media_sequence.saturating_add(shown);
        self.discontinuity_sequence = self.discontinuity_sequence.saturating_add(discontinuities);
        self.segments.clear();
        self.maps.clear();
        self.mark_discontinuity();
    }

    /// Adds `#EXT-X-ENDLIST`: the publisher stopped and players should stop polling.
    pub fn end(&mut self) {
        self.ended = true;
    }

    /// The playlist as a value (version 3, or 7 with maps; no playlist type).
    pub fn playlist(&self) -> MediaPlaylist {
        MediaPlaylist {
            version: MediaPlaylist::version_for(self.shown_maps().next().is_some()),
            target_duration: self.target_duration,
            media_sequence: self.media_sequence,
            discontinuity_sequence: self.discontinuity_sequence,
            playlist_type: None,
            independent_segments: false,
            end_list: self.ended,
            segments: self.segments.iter().cloned().collect(),
            maps: self
                .shown_maps()
                .map(|(first_segment, uri)| SegmentMap::new(first_segment, uri))
                .collect(),
        }
    }

    /// The maps that apply to shown segments, as (index into the shown
    /// segments, URI); a pending map (no segment pushed since) is not shown.
    fn shown_maps(&self) -> impl Iterator<Item = (usize, &str)> {
        let shown = self.segments.len() as u64;
        self.maps.iter().filter_map(move |(first, uri)| {
            let index = first.saturating_sub(self.media_sequence);
            (index < shown).then_some((index as usize, uri.as_str()))
        })
    }

    /// Appends the playlist text to `out` (same text as `playlist().write`, without the copy).
    pub fn write(&self, out: &mut String) {
        let header = Header {
            version: MediaPlaylist::version_for(self.shown_maps().next().is_some()),
            target_duration: self.target_duration,
            media_sequence: self.media_sequence,
            discontinuity_sequence: self.discontinuity_sequence,
            playlist_type: None,
            independent_segments: false,
        };
        write::playlist(
            out,
            &header,
            self.segments.iter(),
            self.shown_maps(),
            self.ended,
        );
    }

    /// The current `#EXT-X-TARGETDURATION`.
    pub fn target_duration(&self) -> u64 {
        self.target_duration
    }

    /// The current `#EXT-X-MEDIA-SEQUENCE`: the number of the oldest segment shown.
    pub fn media_sequence(&self) -> u64 {
        self.media_sequence
    }

    /// The current `#EXT-X-DISCONTINUITY-SEQUENCE`.
    pub fn discontinuity_sequence(&self) -> u64 {
        self.discontinuity_sequence
    }

    /// The segments shown, oldest first.
    pub fn segments(&self) -> impl Iterator<Item = &MediaSegment> {
        self.segments.iter()
    }

    /// Number of segments shown.
    pub fn len(&self) -> usize {
        self.segments.len()
    }

    /// No segment shown yet.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Whether [`end`](LiveWindow::end) was called since the last push.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    fn cover(&mut self, duration: f64) {
        self.target_duration = self.target_duration.max(rounded_duration(duration));
    }

    fn slide(&mut self) {
        while self.segments.len() > self.frag_count {
            if let Some(old) = self.segments.pop_front() {
                self.media_sequence = self.media_sequence.saturating_add(1);
                if old.discontinuity {
                    self.discontinuity_sequence = self.discontinuity_sequence.saturating_add(1);
                }
            }
        }
        // Keep the map in effect for the oldest segment, drop older ones.
        while self
            .maps
            .get(1)
            .is_some_and(|(first, _)| *first <= self.media_sequence)
        {
            self.maps.pop_front();
        }
    }
}

impl fmt::Display for LiveWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.write(&mut text);
        f.write_str(&text)
    }
}
