//! `linkwork backup` and `linkwork restore`: the whole database to one checked file and back
//! (format and checks in `storage::backup`).

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use storage::backup::{self, BackupHeader, BackupReader, BackupWriter, DumpSink, RestoreSource};
use storage::{AuditVerification, Storage};

fn rows_bar(len: Option<u64>, what: &str) -> ProgressBar {
    let b = match len {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    let template = if len.is_some() {
        format!("  {what} {{bar:40}} {{pos}}/{{len}} rows {{eta}}")
    } else {
        format!("  {what} {{spinner}} {{pos}} rows")
    };
    b.set_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b
}

/// Counts rows onto a progress bar on their way through.
struct Progress<S> {
    inner: S,
    bar: ProgressBar,
}

impl<S: DumpSink> DumpSink for Progress<S> {
    fn table(&mut self, name: &str) -> storage::Result<()> {
        self.inner.table(name)
    }
    fn row(&mut self, json: &str) -> storage::Result<()> {
        self.bar.inc(1);
        self.inner.row(json)
    }
}

impl<S: RestoreSource> RestoreSource for Progress<S> {
    fn next_batch(&mut self) -> storage::Result<Option<(String, Vec<String>)>> {
        let batch = self.inner.next_batch()?;
        if let Some((_, rows)) = &batch {
            self.bar.inc(rows.len() as u64);
        }
        Ok(batch)
    }
}

/// Writes the backup beside its final name and links it into place once whole, so a file
/// under the final name is always complete and never replaces another. Only the owner may
/// read it: it holds every person's record.
pub async fn backup(store: &dyn Storage, path: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if path.exists() {
        bail!("{} already exists: choose another path", path.display());
    }
    let header = BackupHeader {
        engine: store.engine_name().into(),
        schema: store.schema_version().await?,
        created_at: chrono::Utc::now(),
    };
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(parent)
        .with_context(|| format!("could not create {}", parent.display()))?;
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("could not create {}", partial.display()))?;
    let written = async {
        let mut sink = Progress {
            inner: BackupWriter::new(BufWriter::new(file), &header)?,
            bar: rows_bar(None, "backing up"),
        };
        store.dump(&mut sink).await?;
        sink.bar.finish_and_clear();
        let (out, tables, rows) = sink.inner.finish()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        // A hard link fails rather than replace a file that appeared meanwhile.
        std::fs::hard_link(&partial, path)
            .with_context(|| format!("could not create {}", path.display()))?;
        File::open(parent)?.sync_all()?;
        anyhow::Ok((tables, rows))
    }
    .await;
    let _ = std::fs::remove_file(&partial);
    let (tables, rows) = written.map_err(|e| e.context("the backup was not written"))?;
    println!(
        "Backup written to {}: {tables} tables, {rows} rows, {} schema {}.",
        path.display(),
        header.engine,
        header.schema
    );
    Ok(())
}

/// Checks the whole file first; restores in one transaction into an empty database; then
/// verifies the restored audit chain.
pub async fn restore(store: &dyn Storage, path: &Path) -> Result<()> {
    let open = || File::open(path).with_context(|| format!("could not open {}", path.display()));
    let checked = backup::check(BufReader::new(open()?))
        .with_context(|| format!("{} was not restored", path.display()))?;
    let h = &checked.header;
    if h.engine != store.engine_name() {
        bail!(
            "{} is a {} backup and this database is {}: restore it into a {} database",
            path.display(),
            h.engine,
            store.engine_name(),
            h.engine
        );
    }
    let here = store.schema_version().await?;
    if h.schema != here {
        bail!(
            "{} was taken at schema {} and this Linkwork is at schema {here}: restore it with \
             the Linkwork version that took it, then upgrade",
            path.display(),
            h.schema
        );
    }
    let mut source = Progress {
        inner: BackupReader::new(BufReader::new(open()?))?,
        bar: rows_bar(Some(checked.rows), "restoring"),
    };
    let restored = store.restore(&mut source).await.with_context(|| {
        format!(
            "{} was not restored; the database is unchanged",
            path.display()
        )
    })?;
    source.bar.finish_and_clear();
    if restored != checked.rows {
        bail!(
            "restored {restored} rows but the backup holds {}",
            checked.rows
        );
    }
    println!(
        "Restored {restored} rows in {} tables from {} (taken {}).",
        checked.tables,
        path.display(),
        h.created_at.format("%Y-%m-%d %H:%M UTC")
    );
    match store.verify_audit().await? {
        AuditVerification::Intact { records } => {
            println!("Audit log intact: {records} records, hash chain verified.");
        }
        AuditVerification::Broken { at_seq, reason } => {
            bail!("the restored audit log is BROKEN at record {at_seq}: {reason}");
        }
    }
    std::io::stdout().flush()?;
    Ok(())
}
