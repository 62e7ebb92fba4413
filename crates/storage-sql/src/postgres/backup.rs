//! Logical backup and restore on PostgreSQL (the format is in `storage::backup`): rows leave
//! as `row_to_json` from one repeatable-read snapshot and come back through
//! `json_populate_recordset`; sequences are moved past the restored ids.

use super::seam::backend;
use futures_util::TryStreamExt;
use sqlx::{PgConnection, PgPool};
use storage::backup::{self, quote, DumpSink, RestoreSource};
use storage::{Result, StorageError};

/// Every table in the current schema but those never backed up, parents first.
async fn tables(conn: &mut PgConnection) -> Result<Vec<String>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    let names: Vec<String> = names
        .into_iter()
        .filter(|n| !backup::SKIPPED.contains(&n.as_str()))
        .collect();
    let deps: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, p.relname::text FROM pg_constraint k \
         JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE k.contype = 'f' AND n.nspname = current_schema()",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    backup::parents_first(&names, &deps)
}

pub(crate) async fn schema_version(pool: &PgPool) -> Result<i64> {
    sqlx::query_scalar(backup::SCHEMA_SQL)
        .fetch_one(pool)
        .await
        .map_err(backend)
}

pub(crate) async fn dump(pool: &PgPool, sink: &mut (dyn DumpSink + Send)) -> Result<()> {
    let mut tx = pool.begin().await.map_err(backend)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    for table in tables(&mut tx).await? {
        sink.table(&table)?;
        let sql = format!("SELECT row_to_json(t)::text FROM {} t", quote(&table));
        let mut rows = sqlx::query_scalar::<_, String>(&sql).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await.map_err(backend)? {
            sink.row(&row)?;
        }
    }
    tx.rollback().await.map_err(backend)?;
    Ok(())
}

pub(crate) async fn restore(pool: &PgPool, source: &mut (dyn RestoreSource + Send)) -> Result<u64> {
    let mut tx = pool.begin().await.map_err(backend)?;
    let held: i64 = sqlx::query_scalar(backup::HELD_SQL)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
    backup::refuse_if_held(held)?;
    let order = tables(&mut tx).await?;
    // Only the reference rows the migrations seed are here; the backup brings its own.
    for table in order.iter().rev() {
        if table != "audit_log" {
            sqlx::query(&format!("DELETE FROM {}", quote(table)))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
    }
    let mut restored = 0u64;
    while let Some((table, rows)) = source.next_batch()? {
        if !order.contains(&table) {
            return Err(StorageError::Rule(format!(
                "the backup has a table ({table}) this database does not"
            )));
        }
        let q = quote(&table);
        sqlx::query(&format!(
            "INSERT INTO {q} SELECT * FROM json_populate_recordset(NULL::{q}, $1::json)"
        ))
        .bind(format!("[{}]", rows.join(",")))
        .execute(&mut *tx)
        .await
        .map_err(|e| StorageError::Rule(format!("restoring {table}: {e}")))?;
        restored += rows.len() as u64;
    }
    let serials: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?;
    for (table, column) in serials {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({c}), 0) + 1, false) \
             FROM {t}",
            c = quote(&column),
            t = quote(&table)
        ))
        .bind(quote(&table))
        .bind(&column)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    }
    sqlx::query("UPDATE dir_generation SET generation = GREATEST(generation, $1)")
        .bind(backup::generation_after_restore())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    tx.commit().await.map_err(backend)?;
    Ok(restored)
}
