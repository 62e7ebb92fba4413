//! The `linkwork` command: configuration, opening the chosen storage engine, serving, the
//! demo, and the administrative commands. `main.rs` only parses the command line.

pub mod backup_cli;
pub mod bench_data;
pub mod bench_load;
pub mod bench_matching;
pub mod bench_reading;
pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_directory;
pub mod demo_journey;
pub mod demo_workforce;
pub mod directory_cli;

use anyhow::{bail, Context, Result};
use std::sync::Arc;
use storage::Storage;

/// Opens (and migrates) the database named by a URL: `sqlite://…` or `postgres://…`.
pub async fn open_storage(url: &str, pg_max_connections: u32) -> Result<Arc<dyn Storage>> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(parent) = std::path::Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).with_context(|| {
                format!("cannot create the data directory {}", parent.display())
            })?;
        }
        let s = storage_sql::SqliteStorage::open(url)
            .await
            .with_context(|| format!("cannot open SQLite database {path}"))?;
        Ok(Arc::new(s))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let s = storage_sql::PgStorage::open(url, pg_max_connections)
            .await
            .with_context(|| {
                format!(
                    "cannot open PostgreSQL database {}",
                    config::redact_url(url)
                )
            })?;
        Ok(Arc::new(s))
    } else {
        bail!(
            "database_url must start with sqlite:// or postgres:// (got {})",
            config::redact_url(url)
        )
    }
}

/// Serves until Ctrl-C or SIGTERM. The directory search index lives in `index_dir`
/// (rebuilt there if missing or stale).
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Storage>,
    index_dir: &std::path::Path,
    web: web::WebConfig,
) -> Result<()> {
    let directory = directory::Directory::open(store.clone(), Some(index_dir))
        .await
        .context("cannot open the directory search index")?;
    if let Some(mail) = &web.mail {
        match web::mail::relay(&mail.smtp_url, mail.allow_plain) {
            Ok(r) if r.may_be_plain() => tracing::warn!(
                relay = %r.host,
                "smtp_allow_plain is set: email to this relay may travel unencrypted; \
                 personal data must not leave the machine in plain text"
            ),
            Ok(_) => {}
            Err(e) => anyhow::bail!(e),
        }
    }
    let state = web::AppState::new(store, Arc::new(directory), web);
    web::serve(listener, state, shutdown_signal())
        .await
        .context("server failed")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
