//! `name?query` splitting and query parsing, for the HTTP API and RTMP push
//! URLs alike: one parser, with the reading of `+` chosen by the caller.

use percent_encoding::percent_decode;

/// How a query reads `+`: the one difference between the HTTP API's
/// queries and RTMP push URLs.
///
/// Both readings are on purpose. HTTP clients encode a query as a form
/// (Python `requests` under oss2, the Go SDK's `url.Values`): a space
/// becomes `+` and a literal `+` is sent as `%2B`. An RTMP push URL is
/// pasted into an encoder (ffmpeg, OBS) and sent as typed, and its
/// `Signature` is base64: a raw `+` there is a plus, and reading it as a
/// space would break the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plus {
    /// `+` is a space (`application/x-www-form-urlencoded`): the HTTP API,
    /// and the V2 and V4 signatures computed over its query.
    Space,
    /// `+` stays `+`: RTMP push URLs (stream name, app, tcUrl).
    Literal,
}

/// `("name", Some("query"))` for `"name?query"`, split at the first `?`.
/// The query is `None` when there is no `?` or nothing after it: `ch?` is
/// `ch` without a query (the same rule as `livechannel-rtmp`'s
/// `ServerSession`, which splits stream names before they get here).
///
/// ```
/// use livechannel::addressing::split_query;
///
/// assert_eq!(split_query("ch?a=1?b"), ("ch", Some("a=1?b")));
/// assert_eq!(split_query("ch?"), ("ch", None));
/// assert_eq!(split_query("ch"), ("ch", None));
/// ```
pub fn split_query(s: &str) -> (&str, Option<&str>) {
    match s.split_once('?') {
        Some((name, query)) if !query.is_empty() => (name, Some(query)),
        Some((name, _)) => (name, None),
        None => (s, None),
    }
}

/// `a=b&c` as percent-decoded pairs in wire order, with `+` read as `plus`
/// says. A parameter without `=` has an empty value (`live` equals
/// `live=`); empty parameters (`a&&b`) are skipped; bytes that do not
/// decode to UTF-8 become U+FFFD.
///
/// ```
/// use livechannel::addressing::{parse_query, Plus};
///
/// let pairs = |plus| parse_query("Signature=a+b%2B&live", plus);
/// assert_eq!(pairs(Plus::Literal), [("Signature".into(), "a+b+".into()), ("live".into(), String::new())]);
/// assert_eq!(pairs(Plus::Space), [("Signature".into(), "a b+".into()), ("live".into(), String::new())]);
/// ```
pub fn parse_query(query: &str, plus: Plus) -> Vec<(String, String)> {
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    decoded_pairs(query, plus)
        .map(|(k, v)| (text(k), text(v)))
        .collect()
}

/// The pairs of [`parse_query`] as bytes, for callers that must re-encode
/// exactly what was sent (the V2 and V4 canonical query).
pub(crate) fn decoded_pairs(
    query: &str,
    plus: Plus,
) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(move |(k, v)| (decode(k, plus), decode(v, plus)))
}

/// One percent-decoded query component, as bytes.
fn decode(component: &str, plus: Plus) -> Vec<u8> {
    match plus {
        Plus::Space => percent_decode(component.replace('+', " ").as_bytes()).collect(),
        Plus::Literal => percent_decode(component.as_bytes()).collect(),
    }
}

/// A percent-decoded path segment (`+` is literal in paths), bytes that
/// are not UTF-8 as U+FFFD.
pub(crate) fn decode_lossy(segment: &str) -> String {
    String::from_utf8_lossy(&decode(segment, Plus::Literal)).into_owned()
}

/// The queries joined with `&`, each parameter once (in the order first
/// seen): some RTMP clients repeat the query of the stream name on the
/// tcUrl or the app.
pub(crate) fn join_queries<'q>(queries: impl IntoIterator<Item = &'q str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for param in queries
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter(|p| !p.is_empty())
    {
        if !seen.contains(&param) {
            seen.push(param);
        }
    }
    seen.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same table as `livechannel-rtmp`'s `query.rs`: the two crates
    /// split `name?query` by one rule.
    #[test]
    fn splits_at_the_first_question_mark() {
        assert_eq!(split_query("ch"), ("ch", None));
        assert_eq!(split_query("ch?"), ("ch", None));
        assert_eq!(split_query("ch?a=1?b"), ("ch", Some("a=1?b")));
        assert_eq!(split_query("?a"), ("", Some("a")));
    }

    #[test]
    fn plus_is_a_space_only_in_form_queries() {
        let q = "Signature=a%2Bb%3D&x=1+2&flag";
        assert_eq!(
            parse_query(q, Plus::Literal),
            vec![
                ("Signature".into(), "a+b=".into()),
                ("x".into(), "1+2".into()),
                ("flag".into(), String::new())
            ]
        );
        assert_eq!(
            parse_query(q, Plus::Space),
            vec![
                ("Signature".into(), "a+b=".into()),
                ("x".into(), "1 2".into()),
                ("flag".into(), String::new())
            ]
        );
    }

    #[test]
    fn empty_parameters_are_skipped_and_bad_utf8_is_replaced() {
        assert_eq!(
            parse_query("&&a=%FF&=v&", Plus::Space),
            vec![("a".into(), "\u{FFFD}".into()), (String::new(), "v".into())]
        );
        assert_eq!(
            decoded_pairs("a=%FF", Plus::Space).collect::<Vec<_>>(),
            vec![(b"a".to_vec(), vec![0xFF])]
        );
    }

    #[test]
    fn joined_queries_keep_each_parameter_once() {
        assert_eq!(join_queries(["a=1", "a=1&b=2", "", "b=2&c"]), "a=1&b=2&c");
    }
}
