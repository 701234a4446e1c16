//! One contract, every store: `livechannel::store::conformance` against
//! the file store and the S3 store (s3s-fs; skipped when it is not
//! installed, see `common::s3s::INSTALL`), and the metrics wrapper over
//! the file store (it must forward every call). The memory store runs the
//! same checks in livechannel's own tests.

mod common;

use std::sync::Arc;

use common::s3s::S3sFs;
use livechannel::store::conformance::assert_conforms;
use livechannel_examples::file_store::{FileOptions, FileStore, SmallJobs};
use livechannel_examples::metrics::MeteredStore;

#[tokio::test]
async fn the_file_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    assert_conforms(Arc::new(store), "conformance").await;
}

/// Small jobs inline (as on tmpfs) and on the blocking pool (as on a
/// disk), wherever the temporary directory is.
#[tokio::test]
async fn the_file_store_conforms_with_small_jobs_inline_and_blocking() {
    for small_jobs in [SmallJobs::Inline, SmallJobs::Blocking] {
        let dir = tempfile::tempdir().unwrap();
        let options = FileOptions {
            small_jobs,
            ..FileOptions::default()
        };
        let store = FileStore::open_with(dir.path(), options).unwrap();
        assert_conforms(Arc::new(store), "conformance").await;
    }
}

#[tokio::test]
async fn the_s3_store_conforms() {
    let Some(s3) = S3sFs::start("media") else {
        return;
    };
    assert_conforms(Arc::new(s3.store("media", Some("p"))), "conformance").await;
}

#[tokio::test]
async fn the_metered_file_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    assert_conforms(MeteredStore::new(Arc::new(store)), "conformance").await;
}
