//! The contract of [`ObjectStore`](super::ObjectStore), as checks every store must pass: one
//! suite, run against the memory store here and against the file and S3
//! stores in `livechannel-examples` (enable the `conformance` feature).
//!
//! ```
//! use std::sync::Arc;
//! use livechannel::store::{conformance, MemoryStore};
//! # futures::executor::block_on(async {
//! let failures = conformance::check(Arc::new(MemoryStore::new()), "conformance").await;
//! assert!(failures.is_empty(), "{failures:#?}");
//! # });
//! ```
//!
//! The checks go through [`Store`], as the service does: a store's
//! [`Uploads`](super::Uploads) through the one type erasure.
//!
//! Each check writes under its own key prefix (`PREFIX/CHECK/`), which must
//! be empty, so one failing check cannot make the next one fail. Every
//! check runs, and all failures are returned: a report of what a store
//! breaks, not only the first thing.
//!
//! What a store may do differently is left out: `last_modified` (a store's
//! clock), the content type of listed objects (S3 listings do not carry
//! it), and how keys a store cannot hold are refused.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;

use super::{etag, Durability, ObjectMeta, PutObject, Store, StoreError, Write};

/// A check a store failed: which, and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The check's name (the function of this module that failed).
    pub check: &'static str,
    /// What was expected and what the store did.
    pub found: String,
}

/// What a check returns: `Err` says what went wrong.
type Checked = Result<(), String>;

/// Runs every check against `store` under `prefix` (no trailing `/`) and
/// returns the failures, none when the store meets the contract.
pub async fn check(store: Arc<dyn Store>, prefix: &str) -> Vec<Failure> {
    let mut failures = Vec::new();
    let mut run = |check: &'static str, result: Checked| {
        if let Err(found) = result {
            failures.push(Failure { check, found });
        }
    };
    macro_rules! checks {
        ($($name:ident),* $(,)?) => {
            $(run(stringify!($name), $name(&store, &format!("{prefix}/{}", stringify!($name))).await);)*
        };
    }
    checks!(
        put_get_head_delete,
        missing_keys_are_not_found,
        content_type_is_kept,
        etag_is_the_md5,
        ranges,
        list_in_byte_order,
        list_pages,
        put_if_absent,
        uploads,
        abandoned_upload,
        write_in_order,
    );
    failures
}

/// Panics listing every failure of [`check`]: for a test.
pub async fn assert_conforms(store: Arc<dyn Store>, prefix: &str) {
    let failures = check(store, prefix).await;
    assert!(
        failures.is_empty(),
        "the store breaks the ObjectStore contract:\n{}",
        failures
            .iter()
            .map(|f| format!("- {}: {}", f.check, f.found))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `Err` unless `found == expected`, naming `what`.
fn same<T: PartialEq + std::fmt::Debug>(what: &str, found: T, expected: T) -> Checked {
    if found == expected {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected:?}, found {found:?}"))
    }
}

/// The result of a store call, or `Err` naming the call.
async fn call<T, E: std::fmt::Display>(
    what: &str,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    fut.await.map_err(|e| format!("{what} failed: {e}"))
}

/// `Err` unless `result` is [`StoreError::NotFound`] for `key`.
fn not_found<T: std::fmt::Debug>(what: &str, key: &str, result: Result<T, StoreError>) -> Checked {
    match result {
        Err(StoreError::NotFound { key: k }) if k == key => Ok(()),
        other => Err(format!(
            "{what}: expected NotFound {{ key: {key:?} }}, found {other:?}"
        )),
    }
}

/// Size, ETag and content type of `meta` are those of `data` stored with `content_type`.
fn describes(what: &str, meta: &ObjectMeta, key: &str, data: &[u8], content_type: &str) -> Checked {
    same(
        what,
        (
            meta.key.as_str(),
            meta.size,
            meta.etag.as_str(),
            meta.content_type.as_str(),
        ),
        (key, data.len() as u64, etag(data).as_str(), content_type),
    )
}

async fn put_get_head_delete(s: &Arc<dyn Store>, p: &str) -> Checked {
    let key = format!("{p}/a/b.bin");
    let put = call("put", s.put(&key, Bytes::from_static(b"first"), "x/y")).await?;
    describes("put's answer", &put, &key, b"first", "x/y")?;
    // A put replaces the object.
    let put = call("put", s.put(&key, Bytes::from_static(b"second!"), "x/z")).await?;
    describes("second put's answer", &put, &key, b"second!", "x/z")?;
    let got = call("get", s.get(&key, None)).await?;
    same("get data", got.data.as_ref(), b"second!")?;
    same("get range", got.range, None)?;
    describes("get meta", &got.meta, &key, b"second!", "x/z")?;
    describes(
        "head",
        &call("head", s.head(&key)).await?,
        &key,
        b"second!",
        "x/z",
    )?;
    // Chunks are stored joined.
    let chunks = vec![
        Bytes::from_static(b"ab"),
        Bytes::new(),
        Bytes::from_static(b"c"),
    ];
    let put = Write::Put(PutObject {
        key: key.clone(),
        chunks,
        content_type: "x/y".into(),
        durability: Durability::Eventual,
    });
    call("a put of chunks", s.write_in_order_dyn(None, &[put])).await?;
    let head = call("head", s.head(&key)).await?;
    describes("a put of chunks", &head, &key, b"abc", "x/y")?;
    let got = call("get", s.get(&key, None)).await?;
    same("get after a put of chunks", got.data.as_ref(), b"abc")?;
    // An empty object is an object.
    let empty = format!("{p}/empty");
    call("put", s.put(&empty, Bytes::new(), "x/y")).await?;
    describes(
        "empty object",
        &call("head", s.head(&empty)).await?,
        &empty,
        b"",
        "x/y",
    )?;
    call("delete", s.delete(&key)).await?;
    not_found("get after delete", &key, s.get(&key, None).await)?;
    not_found("head after delete", &key, s.head(&key).await)?;
    call("delete of a deleted key", s.delete(&key)).await?;
    call("delete", s.delete(&empty)).await
}

async fn missing_keys_are_not_found(s: &Arc<dyn Store>, p: &str) -> Checked {
    let key = format!("{p}/missing.ts");
    not_found("get", &key, s.get(&key, None).await)?;
    not_found("get of a range", &key, s.get(&key, Some(0..10)).await)?;
    not_found("head", &key, s.head(&key).await)?;
    call("delete of a missing key", s.delete(&key)).await?;
    let page = call("list", s.list(&format!("{p}/"), "", 10)).await?;
    same(
        "list of an empty prefix",
        (page.objects, page.truncated),
        (vec![], false),
    )
}

async fn content_type_is_kept(s: &Arc<dyn Store>, p: &str) -> Checked {
    // Types an extension would not give, so a store guessing by extension fails.
    for (name, content_type) in [
        ("noext", "text/custom"),
        ("a.ts", "application/x-custom"),
        ("b.json", "video/MP2T"),
    ] {
        let key = format!("{p}/{name}");
        call("put", s.put(&key, Bytes::from_static(b"x"), content_type)).await?;
        same(
            &format!("head of {name}"),
            call("head", s.head(&key)).await?.content_type,
            content_type.to_owned(),
        )?;
        same(
            &format!("get of {name}"),
            call("get", s.get(&key, Some(0..1)))
                .await?
                .meta
                .content_type,
            content_type.to_owned(),
        )?;
        call("delete", s.delete(&key)).await?;
    }
    Ok(())
}

async fn etag_is_the_md5(s: &Arc<dyn Store>, p: &str) -> Checked {
    let key = format!("{p}/e");
    let data = Bytes::from_static(b"the same bytes give the same ETag in every store");
    let expected = etag(&data);
    // Upper-case hex, no quotes: the form documented on ETag.
    same(
        "etag form",
        expected.as_str().len() == 32
            && expected
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
        true,
    )?;
    same(
        "put's etag",
        call("put", s.put(&key, data.clone(), "x/y")).await?.etag,
        expected.clone(),
    )?;
    same(
        "head's etag",
        call("head", s.head(&key)).await?.etag,
        expected.clone(),
    )?;
    same(
        "get's etag",
        call("get", s.get(&key, None)).await?.meta.etag,
        expected.clone(),
    )?;
    let page = call("list", s.list(&format!("{p}/"), "", 10)).await?;
    same(
        "list's etag",
        page.objects
            .iter()
            .map(|m| m.etag.clone())
            .collect::<Vec<_>>(),
        vec![expected],
    )?;
    call("delete", s.delete(&key)).await
}

async fn ranges(s: &Arc<dyn Store>, p: &str) -> Checked {
    let key = format!("{p}/r");
    call("put", s.put(&key, Bytes::from_static(b"0123456789"), "x/y")).await?;
    for (range, data, returned) in [
        (2..4, &b"23"[..], 2..4),
        (0..10, b"0123456789", 0..10),
        // Clamped to the end; `bytes=8-` arrives as 8..u64::MAX.
        (8..20, b"89", 8..10),
        (8..u64::MAX, b"89", 8..10),
        (9..10, b"9", 9..10),
    ] {
        let o = call("get of a range", s.get(&key, Some(range.clone()))).await?;
        same(
            &format!("range {range:?}: data, range, whole size"),
            (o.data.as_ref(), o.range, o.meta.size),
            (data, Some(returned), 10),
        )?;
        describes(
            &format!("range {range:?}: meta"),
            &o.meta,
            &key,
            b"0123456789",
            "x/y",
        )?;
    }
    for range in [10..12, 11..u64::MAX, 3..3] {
        match s.get(&key, Some(range.clone())).await {
            Err(StoreError::RangeNotSatisfiable { key: k, start, size })
                if k == key && start == range.start && size == 10 => {}
            other => {
                return Err(format!(
                    "range {range:?}: expected RangeNotSatisfiable {{ start: {}, size: 10 }}, found {other:?}",
                    range.start
                ))
            }
        }
    }
    call("delete", s.delete(&key)).await
}

/// Keys in byte order (upper case before lower, `-` before `/` before `0`,
/// multi-byte UTF-8 last), with keys outside the prefix around them.
const SORTED: [&str; 7] = ["B", "a", "a-1", "a0", "c/d/e", "c/f", "\u{e9}"];

async fn put_all(s: &Arc<dyn Store>, keys: &[String]) -> Checked {
    for key in keys {
        call("put", s.put(key, Bytes::from(key.clone()), "x/y")).await?;
    }
    Ok(())
}

async fn delete_all(s: &Arc<dyn Store>, keys: &[String]) -> Checked {
    for key in keys {
        call("delete", s.delete(key)).await?;
    }
    Ok(())
}

fn keys_of(objects: &[ObjectMeta]) -> Vec<String> {
    objects.iter().map(|m| m.key.clone()).collect()
}

async fn list_in_byte_order(s: &Arc<dyn Store>, p: &str) -> Checked {
    let inside: Vec<String> = SORTED.iter().map(|k| format!("{p}/in/{k}")).collect();
    let outside = vec![format!("{p}/im"), format!("{p}/in-x"), format!("{p}/io/a")];
    // Stored out of order.
    put_all(
        s,
        &inside
            .iter()
            .rev()
            .chain(&outside)
            .cloned()
            .collect::<Vec<_>>(),
    )
    .await?;
    let page = call("list", s.list(&format!("{p}/in/"), "", 100)).await?;
    same(
        "all keys under the prefix",
        (keys_of(&page.objects), page.truncated),
        (inside.clone(), false),
    )?;
    for m in &page.objects {
        same(
            &format!("size of listed {}", m.key),
            m.size,
            m.key.len() as u64,
        )?;
        same(
            &format!("etag of listed {}", m.key),
            m.etag.clone(),
            etag(m.key.as_bytes()),
        )?;
    }
    // A prefix that ends inside a name.
    let page = call("list", s.list(&format!("{p}/in/a"), "", 100)).await?;
    same("prefix in/a", keys_of(&page.objects), inside[1..4].to_vec())?;
    let page = call("list", s.list(&format!("{p}/in/c/"), "", 100)).await?;
    same(
        "prefix in/c/",
        keys_of(&page.objects),
        inside[4..6].to_vec(),
    )?;
    // A marker: strictly after it, and it need not be a key.
    let page = call("list", s.list(&format!("{p}/in/"), &inside[1], 100)).await?;
    same("after a key", keys_of(&page.objects), inside[2..].to_vec())?;
    let page = call(
        "list",
        s.list(&format!("{p}/in/"), &format!("{p}/in/a."), 100),
    )
    .await?;
    same(
        "after a non-key",
        keys_of(&page.objects),
        inside[3..].to_vec(),
    )?;
    let page = call("list", s.list(&format!("{p}/in/"), &inside[6], 100)).await?;
    same(
        "after the last key",
        (keys_of(&page.objects), page.truncated),
        (vec![], false),
    )?;
    delete_all(s, &inside).await?;
    delete_all(s, &outside).await
}

async fn list_pages(s: &Arc<dyn Store>, p: &str) -> Checked {
    let keys: Vec<String> = (0..7).map(|i| format!("{p}/k{i}")).collect();
    put_all(s, &keys).await?;
    let prefix = format!("{p}/");
    for max_keys in [1, 2, 3, 7, 8] {
        let (mut marker, mut listed) = (String::new(), Vec::new());
        loop {
            let page = call("list", s.list(&prefix, &marker, max_keys)).await?;
            let n = page.objects.len();
            let expected_truncated = listed.len() + n < keys.len();
            same(
                &format!("page of max_keys {max_keys} after {marker:?}: size, truncated"),
                (n, page.truncated),
                (max_keys.min(keys.len() - listed.len()), expected_truncated),
            )?;
            listed.extend(keys_of(&page.objects));
            match listed.last() {
                Some(last) if page.truncated => marker = last.clone(),
                _ => break,
            }
        }
        same(&format!("pages of {max_keys}"), &listed, &keys)?;
    }
    delete_all(s, &keys).await
}

async fn put_if_absent(s: &Arc<dyn Store>, p: &str) -> Checked {
    let key = format!("{p}/lease");
    let first = call(
        "put_if_absent",
        s.put_if_absent(&key, Bytes::from_static(b"1"), "x/y"),
    )
    .await?;
    match first {
        Some(meta) => describes("put_if_absent's answer", &meta, &key, b"1", "x/y")?,
        None => return Err("put_if_absent of a new key stored nothing".to_owned()),
    }
    let second = call(
        "put_if_absent",
        s.put_if_absent(&key, Bytes::from_static(b"2"), "x/z"),
    )
    .await?;
    same("put_if_absent over an object", second, None)?;
    let got = call("get", s.get(&key, None)).await?;
    same("the first object stays", got.data.as_ref(), b"1")?;
    describes("the first object's meta", &got.meta, &key, b"1", "x/y")?;
    call("delete", s.delete(&key)).await?;
    let again = call(
        "put_if_absent",
        s.put_if_absent(&key, Bytes::from_static(b"3"), "x/y"),
    )
    .await?;
    same("put_if_absent after delete stores", again.is_some(), true)?;
    same(
        "its data",
        call("get", s.get(&key, None)).await?.data.as_ref(),
        b"3",
    )?;
    call("delete", s.delete(&key)).await
}

async fn uploads(s: &Arc<dyn Store>, p: &str) -> Checked {
    let key = format!("{p}/u.ts");
    call("put", s.put(&key, Bytes::from_static(b"old"), "x/old")).await?;
    let mut upload = call("begin_upload", s.clone().begin_dyn_upload(&key, "x/new")).await?;
    same("upload key", upload.key(), key.as_str())?;
    call("append", upload.append(Bytes::from_static(b"abc"))).await?;
    call("append", upload.append(Bytes::new())).await?;
    call("append", upload.append(Bytes::from_static(b"defg"))).await?;
    same("upload size", upload.size(), 7)?;
    // Nothing of it is visible before completion.
    same(
        "get before completion",
        call("get", s.get(&key, None)).await?.data.as_ref(),
        b"old",
    )?;
    let page = call("list", s.list(&format!("{p}/"), "", 10)).await?;
    same(
        "listed before completion",
        keys_of(&page.objects),
        vec![key.clone()],
    )?;
    let meta = call("complete_upload", upload.complete()).await?;
    describes("complete_upload's answer", &meta, &key, b"abcdefg", "x/new")?;
    drop(upload);
    let got = call("get", s.get(&key, None)).await?;
    same("get after completion", got.data.as_ref(), b"abcdefg")?;
    describes(
        "get's meta after completion",
        &got.meta,
        &key,
        b"abcdefg",
        "x/new",
    )?;
    // An upload of nothing stores an empty object.
    let empty = format!("{p}/empty.ts");
    let mut upload = call("begin_upload", s.clone().begin_dyn_upload(&empty, "x/y")).await?;
    let meta = call("complete_upload", upload.complete()).await?;
    describes("empty upload", &meta, &empty, b"", "x/y")?;
    drop(upload);
    describes(
        "empty upload's head",
        &call("head", s.head(&empty)).await?,
        &empty,
        b"",
        "x/y",
    )?;
    delete_all(s, &[key, empty]).await
}

async fn abandoned_upload(s: &Arc<dyn Store>, p: &str) -> Checked {
    let key = format!("{p}/dropped.ts");
    let mut upload = call("begin_upload", s.clone().begin_dyn_upload(&key, "x/y")).await?;
    call("append", upload.append(Bytes::from_static(b"half"))).await?;
    drop(upload);
    not_found("head of an abandoned upload", &key, s.head(&key).await)?;
    let page = call("list", s.list(&format!("{p}/"), "", 10)).await?;
    same("listed after abandoning", keys_of(&page.objects), vec![])
}

async fn write_in_order(s: &Arc<dyn Store>, p: &str) -> Checked {
    let (a, b, seg) = (format!("{p}/a"), format!("{p}/b"), format!("{p}/1.ts"));
    // Without an upload, the Append fails: the one failure every store has.
    let writes = [
        Write::put(&a, Bytes::from_static(b"one"), "x/a"),
        Write::Append(Bytes::from_static(b"seg")),
        Write::Complete,
        Write::put(&b, Bytes::from_static(b"two"), "x/b"),
    ];
    let failed = match s.write_in_order_dyn(None, &writes).await {
        Ok(()) => return Err("writes with an Append and no upload all succeeded".to_owned()),
        Err(failed) => failed,
    };
    same("writes done before the failure", failed.done, 1)?;
    same(
        "a write before the failure",
        call("get", s.get(&a, None)).await?.data.as_ref(),
        b"one",
    )?;
    not_found("a write after the failure", &b, s.head(&b).await)?;
    // Going on from the failed write, with an upload.
    let mut upload = call(
        "begin_upload",
        s.clone().begin_dyn_upload(&seg, "video/MP2T"),
    )
    .await?;
    call("append", upload.append(Bytes::from_static(b"1-"))).await?;
    call(
        "write_in_order",
        s.write_in_order_dyn(Some(&mut upload), &writes[failed.done..]),
    )
    .await?;
    same("upload size", upload.size(), 5)?;
    drop(upload);
    let got = call("get", s.get(&seg, None)).await?;
    same("completed in order", got.data.as_ref(), b"1-seg")?;
    describes("its meta", &got.meta, &seg, b"1-seg", "video/MP2T")?;
    describes(
        "the last put",
        &call("head", s.head(&b)).await?,
        &b,
        b"two",
        "x/b",
    )?;
    delete_all(s, &[a, b, seg]).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn the_memory_store_conforms() {
        futures::executor::block_on(assert_conforms(Arc::new(MemoryStore::new()), "p"));
    }
}
