//! Logical backups: one text file holding every table's rows, restorable into a new, empty
//! Linkwork database on the same engine and schema version. The same format on both engines,
//! written from one consistent snapshot and checked end to end before anything is restored.
//!
//! ```text
//! LINKWORK-BACKUP 1 {"engine":"sqlite","schema":6,"created_at":"…"}
//! T pcns
//! R {"id":1,"name":"…",…}
//! T practices
//! R …
//! END {"tables":31,"rows":52840,"sha256":"<hex of every byte before this line>"}
//! ```
//!
//! Tables come parents first (by their foreign keys), so rows restore in file order. Sign-in
//! sessions are not backed up: a restored Linkwork starts with everyone signed out.

use crate::{Result, StorageError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};

/// The first bytes of every Linkwork backup.
pub const MAGIC: &str = "LINKWORK-BACKUP 1 ";

/// Tables that are never backed up (live sign-in sessions of staff and of people, the
/// migration ledger).
pub const SKIPPED: &[&str] = &["sessions", "person_sessions", "_sqlx_migrations"];

/// Rows handed to the engine per insert statement on restore.
pub const BATCH_ROWS: usize = 500;

/// The highest migration applied (the schema version a backup records and needs).
pub const SCHEMA_SQL: &str = "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success";

/// What makes a database "in use" for a restore: accounts, people or audit entries.
pub const HELD_SQL: &str = "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM people) \
     + (SELECT COUNT(*) FROM audit_log) + (SELECT COUNT(*) FROM audit_queue)";

/// Moves the directory's generation past every search index built before the restore (any
/// node's index of the old or another database), so each node rebuilds its index.
pub fn generation_after_restore() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Refuses a restore into a database that holds anything of [`HELD_SQL`]'s.
pub fn refuse_if_held(held: i64) -> Result<()> {
    if held > 0 {
        return Err(StorageError::Rule(format!(
            "this database already holds Linkwork data ({held} accounts, people and audit \
             entries): restore only into a new, empty database"
        )));
    }
    Ok(())
}

/// What a backup says about itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupHeader {
    /// "sqlite" or "postgres": the engine it restores into.
    pub engine: String,
    /// The highest migration applied when it was taken.
    pub schema: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Trailer {
    tables: u64,
    rows: u64,
    sha256: String,
}

/// Receives a backup as the engine reads it: a table, then its rows as JSON objects.
pub trait DumpSink: Send {
    fn table(&mut self, name: &str) -> Result<()>;
    fn row(&mut self, json: &str) -> Result<()>;
}

/// Hands the engine a checked backup's rows, a batch at a time, in file order.
pub trait RestoreSource: Send {
    /// The next table's next rows (at most [`BATCH_ROWS`]), or `None` at the end.
    fn next_batch(&mut self) -> Result<Option<(String, Vec<String>)>>;
}

/// Orders tables so that every table comes after the tables its foreign keys point at.
/// `deps` maps a table to the tables it references; self-references are ignored.
pub fn parents_first(tables: &[String], deps: &[(String, String)]) -> Result<Vec<String>> {
    let known: BTreeSet<&str> = tables.iter().map(String::as_str).collect();
    let mut needs: BTreeMap<&str, BTreeSet<&str>> = tables
        .iter()
        .map(|t| (t.as_str(), BTreeSet::new()))
        .collect();
    for (child, parent) in deps {
        if child != parent && known.contains(parent.as_str()) {
            if let Some(n) = needs.get_mut(child.as_str()) {
                n.insert(parent.as_str());
            }
        }
    }
    let mut done: Vec<String> = Vec::with_capacity(tables.len());
    while done.len() < tables.len() {
        let ready: Vec<&str> = needs
            .iter()
            .filter(|(t, n)| {
                !done.iter().any(|d| d == *t) && n.iter().all(|p| done.iter().any(|d| d == p))
            })
            .map(|(t, _)| *t)
            .collect();
        if ready.is_empty() {
            return Err(StorageError::Backend(
                "the tables' foreign keys form a cycle; cannot order a backup".into(),
            ));
        }
        done.extend(ready.into_iter().map(String::from));
    }
    Ok(done)
}

fn io(e: std::io::Error) -> StorageError {
    StorageError::Backend(format!("could not write the backup: {e}"))
}

/// Writes the backup format, counting and hashing as it goes.
pub struct BackupWriter<W: Write + Send> {
    out: W,
    hash: Sha256,
    tables: u64,
    rows: u64,
}

impl<W: Write + Send> BackupWriter<W> {
    pub fn new(mut out: W, header: &BackupHeader) -> Result<Self> {
        let mut hash = Sha256::new();
        let line = format!(
            "{MAGIC}{}\n",
            serde_json::to_string(header).map_err(|e| StorageError::Backend(e.to_string()))?
        );
        out.write_all(line.as_bytes()).map_err(io)?;
        hash.update(line.as_bytes());
        Ok(Self {
            out,
            hash,
            tables: 0,
            rows: 0,
        })
    }

    fn line(&mut self, tag: &str, text: &str) -> Result<()> {
        if text.contains('\n') {
            return Err(StorageError::Backend(format!(
                "a {tag} line holds a newline; the backup would not read back"
            )));
        }
        for part in [tag.as_bytes(), b" ", text.as_bytes(), b"\n"] {
            self.out.write_all(part).map_err(io)?;
            self.hash.update(part);
        }
        Ok(())
    }

    /// Writes the END line and flushes. Returns the output, and the tables and rows written.
    pub fn finish(mut self) -> Result<(W, u64, u64)> {
        let trailer = Trailer {
            tables: self.tables,
            rows: self.rows,
            sha256: hex::encode(self.hash.clone().finalize()),
        };
        let end =
            serde_json::to_string(&trailer).map_err(|e| StorageError::Backend(e.to_string()))?;
        writeln!(self.out, "END {end}").map_err(io)?;
        self.out.flush().map_err(io)?;
        Ok((self.out, self.tables, self.rows))
    }
}

impl<W: Write + Send> DumpSink for BackupWriter<W> {
    fn table(&mut self, name: &str) -> Result<()> {
        self.tables += 1;
        self.line("T", name)
    }

    fn row(&mut self, json: &str) -> Result<()> {
        self.rows += 1;
        self.line("R", json)
    }
}

fn bad(why: impl Into<String>) -> StorageError {
    StorageError::Rule(why.into())
}

/// A backup file that has been read through once and found whole.
#[derive(Debug, Clone)]
pub struct CheckedBackup {
    pub header: BackupHeader,
    pub tables: u64,
    pub rows: u64,
}

enum Item {
    Table(String),
    Row(String),
}

/// Reads a backup line by line, checking as it goes: the magic line, only T and R lines, a
/// table before any row, no table twice, each row one JSON object, and an END line whose
/// counts and SHA-256 match what came before, with nothing after it. [`check`] and the
/// restore both read through this, so what is restored is exactly what was checked.
struct Lines<R: BufRead> {
    lines: std::io::Split<R>,
    header: BackupHeader,
    hash: Sha256,
    tables: u64,
    rows: u64,
    seen: BTreeSet<String>,
    in_table: bool,
    at: usize,
    ended: bool,
}

impl<R: BufRead> Lines<R> {
    fn open(input: R) -> Result<Self> {
        let mut lines = input.split(b'\n');
        let first = match lines.next() {
            Some(Ok(l)) => l,
            Some(Err(e)) => return Err(bad(format!("could not read the file: {e}"))),
            None => return Err(bad("the file is empty: it is not a Linkwork backup")),
        };
        let Some(head) = first.strip_prefix(MAGIC.as_bytes()) else {
            return Err(bad(
                "this is not a Linkwork backup (it does not begin with LINKWORK-BACKUP 1)",
            ));
        };
        let header: BackupHeader = serde_json::from_slice(head)
            .map_err(|e| bad(format!("the backup's first line is damaged: {e}")))?;
        let mut hash = Sha256::new();
        hash.update(&first);
        hash.update(b"\n");
        Ok(Self {
            lines,
            header,
            hash,
            tables: 0,
            rows: 0,
            seen: BTreeSet::new(),
            in_table: false,
            at: 1,
            ended: false,
        })
    }

    /// The next table or row; `None` once the END line has been read and found right.
    fn next(&mut self) -> Result<Option<Item>> {
        let line = match self.lines.next() {
            None if self.ended => return Ok(None),
            None => return Err(bad(
                "the backup is incomplete: it has no END line (was it cut short while copying?)",
            )),
            Some(Err(e)) => return Err(bad(format!("could not read the file: {e}"))),
            Some(Ok(_)) if self.ended => {
                return Err(bad(
                    "the backup is damaged: there is more after its END line",
                ))
            }
            Some(Ok(l)) => l,
        };
        self.at += 1;
        if let Some(end) = line.strip_prefix(b"END ") {
            let trailer: Trailer = serde_json::from_slice(end)
                .map_err(|e| bad(format!("the backup's END line is damaged: {e}")))?;
            let sum = hex::encode(self.hash.clone().finalize());
            if trailer.sha256 != sum {
                return Err(bad(
                    "the backup is damaged: its contents do not match its checksum",
                ));
            }
            if trailer.tables != self.tables || trailer.rows != self.rows {
                return Err(bad(format!(
                    "the backup is damaged: it says {} tables and {} rows but holds {} and {}",
                    trailer.tables, trailer.rows, self.tables, self.rows
                )));
            }
            self.ended = true;
            return self.next();
        }
        self.hash.update(&line);
        self.hash.update(b"\n");
        let at = self.at;
        if let Some(name) = line.strip_prefix(b"T ") {
            let name = String::from_utf8(name.to_vec())
                .map_err(|_| bad(format!("the backup is damaged at line {at}: not UTF-8")))?;
            if !self.seen.insert(name.clone()) {
                return Err(bad(format!(
                    "the backup is damaged: table {name} appears twice"
                )));
            }
            self.tables += 1;
            self.in_table = true;
            Ok(Some(Item::Table(name)))
        } else if let (Some(row), true) = (line.strip_prefix(b"R "), self.in_table) {
            if serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(row).is_err() {
                if self.lines.next().is_none() {
                    return Err(bad(
                        "the backup is incomplete: it ends part-way through a row (was it cut short while copying?)",
                    ));
                }
                return Err(bad(format!(
                    "the backup is damaged at line {at}: a row that is not one JSON object"
                )));
            }
            self.rows += 1;
            let row = String::from_utf8(row.to_vec())
                .map_err(|_| bad(format!("the backup is damaged at line {at}: not UTF-8")))?;
            Ok(Some(Item::Row(row)))
        } else if self.lines.next().is_none() {
            // The last line, and not a whole one: the file was cut short (mid-line).
            Err(bad(
                "the backup is incomplete: it ends part-way through a line (was it cut short while copying?)",
            ))
        } else {
            Err(bad(format!(
                "the backup is damaged at line {at}: not a table or a row"
            )))
        }
    }
}

/// Reads a backup through and checks it is a whole, unaltered Linkwork backup (see
/// [`Lines`]). Nothing is restored from a file that fails this.
pub fn check(input: impl BufRead) -> Result<CheckedBackup> {
    let mut lines = Lines::open(input)?;
    while lines.next()?.is_some() {}
    Ok(CheckedBackup {
        header: lines.header,
        tables: lines.tables,
        rows: lines.rows,
    })
}

/// Reads a backup's rows back in batches, checking every line again as it goes: a file
/// changed since [`check`] fails at its END line, before the restore commits.
pub struct BackupReader<R: BufRead + Send> {
    lines: Lines<R>,
    table: Option<String>,
    pending_table: Option<String>,
}

impl<R: BufRead + Send> BackupReader<R> {
    pub fn new(input: R) -> Result<Self> {
        Ok(Self {
            lines: Lines::open(input)?,
            table: None,
            pending_table: None,
        })
    }
}

impl<R: BufRead + Send> RestoreSource for BackupReader<R> {
    fn next_batch(&mut self) -> Result<Option<(String, Vec<String>)>> {
        if let Some(t) = self.pending_table.take() {
            self.table = Some(t);
        }
        let mut rows = Vec::new();
        while let Some(item) = self.lines.next()? {
            match item {
                Item::Table(name) if rows.is_empty() => self.table = Some(name),
                Item::Table(name) => {
                    self.pending_table = Some(name);
                    break;
                }
                Item::Row(row) => {
                    rows.push(row);
                    if rows.len() >= BATCH_ROWS {
                        break;
                    }
                }
            }
        }
        if rows.is_empty() {
            return Ok(None);
        }
        let table = self
            .table
            .clone()
            .ok_or_else(|| bad("the backup is damaged: a row before any table"))?;
        Ok(Some((table, rows)))
    }
}

/// Quotes an SQL identifier (both engines use double quotes).
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> BackupHeader {
        BackupHeader {
            engine: "sqlite".into(),
            schema: 6,
            created_at: Utc::now(),
        }
    }

    fn sample() -> Vec<u8> {
        let mut w = BackupWriter::new(Vec::new(), &header()).unwrap();
        w.table("a").unwrap();
        for i in 0..(BATCH_ROWS + 3) {
            w.row(&format!("{{\"id\":{i}}}")).unwrap();
        }
        w.table("empty").unwrap();
        w.table("b").unwrap();
        w.row("{\"id\":1,\"a_id\":2}").unwrap();
        w.finish().unwrap().0
    }

    #[test]
    fn a_backup_reads_back_in_batches_in_order() {
        let file = sample();
        let checked = check(&file[..]).unwrap();
        assert_eq!((checked.tables, checked.rows), (3, BATCH_ROWS as u64 + 4));
        let mut r = BackupReader::new(&file[..]).unwrap();
        let mut got = Vec::new();
        while let Some((t, rows)) = r.next_batch().unwrap() {
            got.push((t, rows.len()));
        }
        // A file changed after it was checked fails while being read back.
        let changed =
            String::from_utf8(file.clone())
                .unwrap()
                .replacen("\"a_id\":2", "\"a_id\":7", 1);
        let mut r = BackupReader::new(changed.as_bytes()).unwrap();
        let mut failed = false;
        loop {
            match r.next_batch() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        assert!(failed, "a changed file read back without complaint");
        assert_eq!(
            got,
            vec![("a".into(), BATCH_ROWS), ("a".into(), 3), ("b".into(), 1)]
        );
    }

    #[test]
    fn damaged_cut_or_foreign_files_are_refused() {
        let file = sample();
        let text = String::from_utf8(file.clone()).unwrap();
        let changed = text.replacen("\"a_id\":2", "\"a_id\":3", 1);
        let err = check(changed.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("do not match its checksum"), "{err}");
        let cut = &text[..text.rfind("END").unwrap()];
        let err = check(cut.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("incomplete"), "{err}");
        // Cut at every byte: always refused, and a cut anywhere says the file is incomplete
        // (not that a line is damaged), wherever in a line it falls.
        let header_end = text.find('\n').unwrap() + 1;
        for at in header_end + 1..text.len() - 1 {
            let err = check(&text.as_bytes()[..at]).unwrap_err().to_string();
            assert!(
                err.contains("incomplete") || err.contains("END line is damaged"),
                "cut at {at}: {err}"
            );
        }
        let err = check(&b"SQLite format 3\0..."[..]).unwrap_err().to_string();
        assert!(err.contains("not a Linkwork backup"), "{err}");
        let err = check(&b""[..]).unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
        let trailing = format!("{text}R {{\"id\": 9}}\n");
        let err = check(trailing.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("after its END"), "{err}");
        let mut w = BackupWriter::new(Vec::new(), &header()).unwrap();
        w.table("a").unwrap();
        w.row("{\"id\":1},{\"id\":2}").unwrap();
        let two = w.finish().unwrap().0;
        let err = check(&two[..]).unwrap_err().to_string();
        assert!(err.contains("not one JSON object"), "{err}");
    }

    #[test]
    fn parents_come_before_children() {
        let t = |s: &str| s.to_string();
        let order = parents_first(
            &[t("c"), t("b"), t("a")],
            &[(t("c"), t("b")), (t("b"), t("a")), (t("c"), t("c"))],
        )
        .unwrap();
        assert_eq!(order, vec!["a", "b", "c"]);
        assert!(parents_first(&[t("x"), t("y")], &[(t("x"), t("y")), (t("y"), t("x"))]).is_err());
    }
}
