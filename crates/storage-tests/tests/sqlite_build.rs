//! The bundled SQLite is built the way `.cargo/config.toml` asks: without the shared page
//! cache and its global lock, and without memory statistics (each a global lock taken on
//! every page read or allocation, contended by the pool's reader threads).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[tokio::test]
async fn sqlite_is_built_without_global_locks_on_the_read_path() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("build.db").display());
    let store = storage_sql::SqliteStorage::open(&url).await.unwrap();
    let options = store.compile_options().await.unwrap();
    assert!(
        options.iter().any(|o| o == "THREADSAFE=1"),
        "still safe across threads: {options:?}"
    );
    assert!(
        !options.iter().any(|o| o == storage_sql::SHARED_PAGE_CACHE),
        "one page cache per connection: {options:?}"
    );
    assert!(
        options
            .iter()
            .any(|o| o == storage_sql::NO_MEMORY_STATISTICS),
        "no memory statistics: {options:?}"
    );
}
