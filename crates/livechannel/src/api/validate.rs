//! Name rules (`docs/oss-compatibility.md`, "Names"), and the key checks that keep every object inside
//! its bucket's part of the store.

use super::error::ApiError;

/// Longest object key, in bytes (OSS: 1023).
pub(crate) const MAX_KEY_BYTES: usize = 1023;

/// 3–63 of `[a-z0-9-]`, starting with a letter or digit, not ending with `-`.
pub(crate) fn is_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.first().is_some_and(|c| *c != b'-')
        && b.last().is_some_and(|c| *c != b'-')
}

pub(crate) fn bucket_name(name: &str) -> Result<(), ApiError> {
    if is_bucket_name(name) {
        Ok(())
    } else {
        Err(ApiError::invalid_bucket_name(name))
    }
}

/// A key the store may hold: 1–1023 bytes, no leading `/` or `\`, no `.` or
/// `..` segment (split on `/` and `\`), no empty segment inside, no control
/// character. The store maps keys to paths, so these are what could escape
/// the bucket or alias another key.
pub(crate) fn object_key(key: &str) -> Result<(), ApiError> {
    let reason = if key.is_empty() {
        Some("the key is empty")
    } else if key.len() > MAX_KEY_BYTES {
        Some("the key is longer than 1023 bytes")
    } else if key.starts_with('/') || key.starts_with('\\') {
        Some("the key starts with a slash")
    } else if key.chars().any(char::is_control) {
        Some("the key holds a control character")
    } else if key.split(['/', '\\']).any(|s| s == "." || s == "..") {
        Some("the key has a . or .. segment")
    } else if key.contains("//") {
        Some("the key has an empty segment")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ApiError::invalid_object_name(key, reason)),
        None => Ok(()),
    }
}

/// A channel name: an object key without `/` (`docs/oss-compatibility.md`,
/// "Names"). `ec` is the EC the operation reports for a bad name.
pub(crate) fn channel_name(name: &str, ec: Option<&'static str>) -> Result<(), ApiError> {
    let reason = if name.contains('/') {
        Some("a live channel name must not contain '/'")
    } else if object_key(name).is_err() {
        Some("a live channel name must be a valid object name")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ApiError::invalid_argument(reason, "ChannelName", name).with_ec(ec)),
        None => Ok(()),
    }
}

/// A PlaylistName: 6–128 characters, ending in `.m3u8`, no `/`
/// (`docs/oss-compatibility.md`, "Names").
pub(crate) fn playlist_name(name: &str) -> Result<(), ApiError> {
    let (reason, ec) = if name.contains('/') {
        ("PlaylistName must not contain '/'", "0044-00000016")
    } else if !(6..=128).contains(&name.chars().count()) {
        (
            "PlaylistName must have 6 to 128 characters",
            "0044-00000017",
        )
    } else if !name.ends_with(".m3u8") {
        ("PlaylistName must end with .m3u8", "0044-00000018")
    } else if object_key(name).is_err() {
        ("PlaylistName must be a valid object name", "0044-00000016")
    } else {
        return Ok(());
    };
    Err(ApiError::invalid_argument(reason, "PlaylistName", name).with_ec(Some(ec)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["abc", "test-bucket", "a1-2", &"a".repeat(63)] {
            assert!(is_bucket_name(ok), "{ok}");
        }
        for bad in ["ab", "-ab", "ab-", "Abc", "a_b", "a.b", &"a".repeat(64), ""] {
            assert!(!is_bucket_name(bad), "{bad}");
        }
    }

    #[test]
    fn keys() {
        for ok in ["a", "ch/1.ts", "a/b/", "..a/b..", "x.y/.z", "中文/名"] {
            assert!(object_key(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(1024);
        for bad in [
            "", "/a", "\\a", "a/../b", "..", ".", "a/.", "a\\..", "a//b", "a\0b", "a\nb", &long,
        ] {
            assert!(object_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn channel_and_playlist_names() {
        assert!(channel_name("test-channel", None).is_ok());
        for bad in ["a/b", "..", ".", "", "\\x"] {
            assert!(channel_name(bad, None).is_err(), "{bad:?}");
        }
        assert!(playlist_name("a.m3u8").is_ok());
        assert_eq!(
            playlist_name("a/b.m3u8").unwrap_err().ec,
            Some("0044-00000016")
        );
        assert_eq!(
            playlist_name(".m3u8").unwrap_err().ec,
            Some("0044-00000017")
        );
        assert_eq!(
            playlist_name("playlist.m3u").unwrap_err().ec,
            Some("0044-00000018")
        );
    }
}
