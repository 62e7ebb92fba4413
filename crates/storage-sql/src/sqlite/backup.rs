//! Logical backup and restore on SQLite (the format is in `storage::backup`): rows leave
//! as `json_object(…)` from one read snapshot and come back through `json_each`.

use super::seam::backend;
use futures_util::TryStreamExt;
use sqlx::{SqliteConnection, SqlitePool};
use storage::backup::{self, quote, DumpSink, RestoreSource};
use storage::{Result, StorageError};

/// Every table but those never backed up, parents first.
async fn tables(conn: &mut SqliteConnection) -> Result<Vec<String>> {
    let facts: Vec<_> = super::table_facts(conn)
        .await?
        .into_iter()
        .filter(|t| !backup::SKIPPED.contains(&t.name.as_str()))
        .collect();
    let names: Vec<String> = facts.iter().map(|t| t.name.clone()).collect();
    let deps: Vec<(String, String)> = facts
        .iter()
        .flat_map(|t| {
            t.foreign_keys
                .iter()
                .map(|(_, parent)| (t.name.clone(), parent.clone()))
        })
        .collect();
    backup::parents_first(&names, &deps)
}

async fn columns(conn: &mut SqliteConnection, table: &str) -> Result<Vec<String>> {
    sqlx::query_scalar("SELECT name FROM pragma_table_info(?) ORDER BY cid")
        .bind(table)
        .fetch_all(conn)
        .await
        .map_err(backend)
}

pub(crate) async fn schema_version(pool: &SqlitePool) -> Result<i64> {
    sqlx::query_scalar(backup::SCHEMA_SQL)
        .fetch_one(pool)
        .await
        .map_err(backend)
}

pub(crate) async fn dump(pool: &SqlitePool, sink: &mut (dyn DumpSink + Send)) -> Result<()> {
    let mut tx = pool.begin().await.map_err(backend)?;
    for table in tables(&mut tx).await? {
        let cols = columns(&mut tx, &table).await?;
        let pairs: Vec<String> = cols
            .iter()
            .map(|c| format!("'{}', {}", c.replace('\'', "''"), quote(c)))
            .collect();
        let sql = format!(
            "SELECT json_object({}) FROM {} ORDER BY rowid",
            pairs.join(", "),
            quote(&table)
        );
        sink.table(&table)?;
        let mut rows = sqlx::query_scalar::<_, String>(&sql).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await.map_err(backend)? {
            sink.row(&row)?;
        }
    }
    tx.rollback().await.map_err(backend)?;
    Ok(())
}

pub(crate) async fn restore(
    pool: &SqlitePool,
    source: &mut (dyn RestoreSource + Send),
) -> Result<u64> {
    let mut tx = pool.begin().await.map_err(backend)?;
    let held: i64 = sqlx::query_scalar(backup::HELD_SQL)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
    backup::refuse_if_held(held)?;
    // Only the reference rows the migrations seed are here; the backup brings its own.
    let order = tables(&mut tx).await?;
    for table in order.iter().rev() {
        if table != "audit_log" {
            sqlx::query(&format!("DELETE FROM {}", quote(table)))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
    }
    let mut restored = 0u64;
    let mut current: Option<(String, String)> = None;
    while let Some((table, rows)) = source.next_batch()? {
        if current.as_ref().is_none_or(|(t, _)| *t != table) {
            // Only tables a backup holds: never sessions, the migration ledger or SQLite's own.
            let cols = if order.contains(&table) {
                columns(&mut tx, &table).await?
            } else {
                Vec::new()
            };
            if cols.is_empty() {
                return Err(StorageError::Rule(format!(
                    "the backup has a table ({table}) this database does not"
                )));
            }
            let names: Vec<String> = cols.iter().map(|c| quote(c)).collect();
            let values: Vec<String> = cols
                .iter()
                .map(|c| format!("json_extract(value, '$.{}')", quote(c).replace('\'', "''")))
                .collect();
            let sql = format!(
                "INSERT INTO {} ({}) SELECT {} FROM json_each(?)",
                quote(&table),
                names.join(", "),
                values.join(", ")
            );
            current = Some((table.clone(), sql));
        }
        let Some((_, sql)) = &current else { continue };
        sqlx::query(sql)
            .bind(format!("[{}]", rows.join(",")))
            .execute(&mut *tx)
            .await
            .map_err(|e| StorageError::Rule(format!("restoring {table}: {e}")))?;
        restored += rows.len() as u64;
    }
    sqlx::query("UPDATE dir_generation SET generation = MAX(generation, ?)")
        .bind(backup::generation_after_restore())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    tx.commit().await.map_err(backend)?;
    Ok(restored)
}
