//! Splitting `name?query` strings as they appear in app names, tcUrls and
//! stream names.
//!
//! `livechannel::addressing::split_query` splits by the same rule (it
//! cannot be shared: this crate does not depend on `livechannel`); its
//! tests hold the same table, and `livechannel`'s `tests/rtmp_split.rs`
//! checks the two agree on real sessions.

/// `("name", Some("query"))` for `"name?query"`; the query is `None` when
/// there is no `?` or nothing after it.
pub(crate) fn split_query(s: &str) -> (String, Option<String>) {
    match s.split_once('?') {
        Some((name, query)) if !query.is_empty() => (name.to_owned(), Some(query.to_owned())),
        Some((name, _)) => (name.to_owned(), None),
        None => (s.to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::split_query;

    #[test]
    fn splits_at_the_first_question_mark() {
        assert_eq!(split_query("ch"), ("ch".into(), None));
        assert_eq!(split_query("ch?"), ("ch".into(), None));
        assert_eq!(split_query("ch?a=1?b"), ("ch".into(), Some("a=1?b".into())));
        assert_eq!(split_query("?a"), ("".into(), Some("a".into())));
    }
}
