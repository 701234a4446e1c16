//! The HTTP API and RTMP ingest pick the same bucket for every host: the
//! HTTP request `GET /bkt/ch` with `Host: h` against the push
//! `rtmp://h/live/ch` and `rtmp://h/bkt/live/ch`.
//!
//! Reproduce a run with `PROPTEST_RNG_SEED=<n>`.

use proptest::prelude::*;

use super::{resolve_publish, AddressError, Style};
use crate::api::request::parse;
use crate::ServiceConfig;

/// The bucket RTMP pushes go to when the host names none.
const DEFAULT_BUCKET: &str = "dflt";
/// The bucket in the path (HTTP) or the app (RTMP).
const PATH_BUCKET: &str = "bkt";

/// (bucket, style) as the HTTP API resolves `GET /bkt/ch` for `Host: host`
/// (or, with `absolute`, for the absolute-form target `http://host/bkt/ch`).
fn http(host: &str, domain: &str, absolute: bool) -> Option<(String, Style)> {
    let target = format!("http://{host}/{PATH_BUCKET}/ch");
    let request = if absolute {
        http::Request::builder().uri(target.parse::<http::Uri>().ok()?)
    } else {
        http::Request::builder()
            .uri(format!("/{PATH_BUCKET}/ch"))
            .header("host", host)
    };
    let parts = request.body(()).ok()?.into_parts().0;
    let config = ServiceConfig {
        domain: Some(domain.to_owned()),
        ..ServiceConfig::default()
    };
    let request = parse(&parts, &config).expect("valid buckets and key");
    Some((request.bucket().to_owned(), request.style))
}

/// (bucket, style) as RTMP ingest resolves a push to `rtmp://host/app`.
fn rtmp(host: &str, app: &str, domain: &str) -> Result<(String, Style), AddressError> {
    let tc_url = format!("rtmp://{host}/{app}");
    resolve_publish(
        Some(&tc_url),
        app,
        "ch",
        None,
        Some(domain),
        Some(DEFAULT_BUCKET),
    )
    .map(|a| (a.bucket, a.style))
}

/// Checks one host: the bucket HTTP picks, RTMP picks too.
fn agree(host: &str, domain: &str) -> Result<(), TestCaseError> {
    for absolute in [false, true] {
        let Some((bucket, style)) = http(host, domain, absolute) else {
            continue;
        };
        match style {
            Style::VirtualHost => {
                prop_assert_eq!(rtmp(host, "live", domain), Ok((bucket, style)));
                // A bucket in both the host and the app is refused.
                prop_assert!(rtmp(host, "bkt/live", domain).is_err());
            }
            Style::Path => {
                prop_assert_eq!(&bucket, PATH_BUCKET);
                prop_assert_eq!(rtmp(host, "bkt/live", domain), Ok((bucket, Style::Path)));
                prop_assert_eq!(
                    rtmp(host, "live", domain),
                    Ok((DEFAULT_BUCKET.to_owned(), Style::DefaultBucket))
                );
            }
            Style::DefaultBucket => prop_assert!(false, "HTTP has no default bucket"),
        }
    }
    Ok(())
}

/// `s` with each letter in upper or lower case, as `mask` says.
fn random_case(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| match mask >> (i % 64) & 1 {
            1 => c.to_ascii_uppercase(),
            _ => c,
        })
        .collect()
}

/// A label that is a valid bucket name once in lower case.
fn label() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9-]{1,10}[a-z0-9]"
}

/// Hosts: subdomains of the domain (one label or more) and not, the
/// domain itself, IPv4 and IPv6 literals; each with or without a port and
/// a trailing dot, in random case.
fn host(domain: &'static str) -> impl Strategy<Value = String> {
    let name = prop_oneof![
        label().prop_map(move |b| format!("{b}.{domain}")),
        (label(), label()).prop_map(move |(a, b)| format!("{a}.{b}.{domain}")),
        Just(domain.to_owned()),
        prop::collection::vec(label(), 1..4).prop_map(|labels| labels.join(".")),
        (label(), label()).prop_map(move |(a, b)| format!("{a}.{b}{domain}")),
        any::<[u8; 4]>().prop_map(|[a, b, c, d]| format!("{a}.{b}.{c}.{d}")),
        any::<[u16; 8]>().prop_map(|g| format!("[{}]", std::net::Ipv6Addr::from(g))),
        Just("[::1]".to_owned()),
    ];
    (
        name,
        any::<u64>(),
        prop::option::of(any::<u16>()),
        any::<bool>(),
    )
        .prop_map(|(name, mask, port, dot)| {
            let dot = if dot && !name.ends_with(']') { "." } else { "" };
            let port = port.map_or(String::new(), |p| format!(":{p}"));
            format!("{}{dot}{port}", random_case(&name, mask))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn http_and_rtmp_pick_the_same_bucket(
        host in host("oss.example"),
        domain in prop_oneof![Just("oss.example"), Just("OSS.Example:8080"), Just("oss.example.")],
    ) {
        agree(&host, domain)?;
    }

    #[test]
    fn http_and_rtmp_agree_under_localhost(host in host("localhost")) {
        agree(&host, "localhost")?;
    }
}

/// The cases where the old RTMP rule (split at the first `:`, compare
/// case-sensitively with the domain as configured) picked another bucket
/// than HTTP.
#[test]
fn http_and_rtmp_agree_on_the_old_differences() {
    for (host, domain) in [
        ("Bucket.LOCALHOST", "localhost"),
        ("bucket.localhost:1935", "LocalHost"),
        ("bucket.oss.example", "oss.example:8080"),
        ("u:p@bucket.oss.example:1935", "oss.example"),
        ("bucket.oss.example.", "oss.example"),
        ("[::1]:1935", "oss.example"),
    ] {
        agree(host, domain).unwrap_or_else(|e| panic!("{host} under {domain}: {e}"));
    }
    assert_eq!(
        rtmp("Bucket.LOCALHOST", "live", "localhost"),
        Ok(("bucket".to_owned(), Style::VirtualHost))
    );
}
