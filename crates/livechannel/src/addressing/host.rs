//! From the host a client addressed to the bucket it names: one rule for
//! the HTTP `Host` (or absolute-form authority) and the RTMP tcUrl.

/// The authority without `user[:password]@`.
pub(crate) fn strip_userinfo(authority: &str) -> &str {
    authority.rsplit('@').next().unwrap_or(authority)
}

/// The host name an authority (`[user@]host[:port]`) names, normalised so
/// that two spellings of one host compare equal: ASCII lower case (DNS
/// names are case-insensitive), without user information, without the
/// port (when numeric, or empty as in `host:`), without a trailing dot
/// (`example.com.` is the absolute form of `example.com`). An IPv6 literal
/// keeps its brackets (`[::1]:8080` is `[::1]`); an unbracketed one (not
/// valid in a URL or a `Host`) is kept whole, since its last `:` does not
/// start a port.
///
/// ```
/// use livechannel::addressing::host_name;
///
/// assert_eq!(host_name("Bucket.OSS.example:1935"), "bucket.oss.example");
/// assert_eq!(host_name("[::1]:8080"), "[::1]");
/// assert_eq!(host_name("user@oss.example.:80"), "oss.example");
/// ```
pub fn host_name(authority: &str) -> String {
    let host = strip_userinfo(authority.trim());
    let name = match host.strip_prefix('[') {
        // `[v6]` or `[v6]:port`: the literal, brackets included.
        Some(v6) => match v6.find(']') {
            Some(end) => &host[..end + 2],
            None => host,
        },
        None => match host.split_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    name.to_ascii_lowercase()
}

/// The bucket a virtual-host authority `BUCKET.DOMAIN[:port]` names under
/// `domain` (itself normalised by [`host_name`], so `OSS.example:8080`
/// matches `bucket.oss.example`): exactly one non-empty label above the
/// domain, in lower case. `None` for any other host, the domain itself
/// included: the request is then path style (or, for RTMP, may go to the
/// default bucket). `None` too without a domain.
///
/// ```
/// use livechannel::addressing::virtual_host_bucket;
///
/// let domain = Some("oss.example");
/// assert_eq!(virtual_host_bucket("Bkt.OSS.Example:1935", domain).as_deref(), Some("bkt"));
/// assert_eq!(virtual_host_bucket("oss.example", domain), None);
/// assert_eq!(virtual_host_bucket("a.bkt.oss.example", domain), None);
/// assert_eq!(virtual_host_bucket("[::1]:1935", domain), None);
/// ```
pub fn virtual_host_bucket(authority: &str, domain: Option<&str>) -> Option<String> {
    let domain = host_name(domain?);
    if domain.is_empty() {
        return None;
    }
    let name = host_name(authority);
    let label = name.strip_suffix(domain.as_str())?.strip_suffix('.')?;
    (!label.is_empty() && !label.contains('.')).then(|| label.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_stripped_only_when_numeric() {
        assert_eq!(host_name("a.b:90"), "a.b");
        assert_eq!(host_name("a.b:"), "a.b");
        assert_eq!(host_name("a.b"), "a.b");
        assert_eq!(host_name("a.b:x"), "a.b:x");
        assert_eq!(host_name("[::1]:90"), "[::1]");
        assert_eq!(host_name("[::1]"), "[::1]");
        assert_eq!(host_name("[::FFFF:10.0.0.1]:1935"), "[::ffff:10.0.0.1]");
        assert_eq!(host_name("::1"), "::1");
        assert_eq!(host_name("10.0.0.1:1935"), "10.0.0.1");
    }

    #[test]
    fn case_userinfo_and_trailing_dot_do_not_matter() {
        assert_eq!(host_name(" U:P@Bkt.OSS.example.:1935 "), "bkt.oss.example");
        assert_eq!(host_name("oss.example."), "oss.example");
    }

    #[test]
    fn one_label_above_the_domain_is_a_bucket() {
        let d = Some("OSS.example:8080");
        assert_eq!(
            virtual_host_bucket("bkt.oss.example", d).as_deref(),
            Some("bkt")
        );
        assert_eq!(
            virtual_host_bucket("BKT.oss.example.:9", d).as_deref(),
            Some("bkt")
        );
        assert_eq!(virtual_host_bucket("oss.example", d), None);
        assert_eq!(virtual_host_bucket(".oss.example", d), None);
        assert_eq!(virtual_host_bucket("a.bkt.oss.example", d), None);
        assert_eq!(virtual_host_bucket("bktoss.example", d), None);
        assert_eq!(virtual_host_bucket("bkt.oss.example", None), None);
        assert_eq!(virtual_host_bucket("bkt.", Some("")), None);
    }
}
