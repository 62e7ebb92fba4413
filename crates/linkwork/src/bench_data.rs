//! `linkwork bench-data`: synthetic data at PCN, ICB or national scale, fast.
//!
//! The demo generator makes one PCN through the storage API, with every rule and audit
//! entry that involves, at a few hundred people a second: far too slow for millions of
//! contacts. So this runs it once, at full size for one PCN (its people, five years of
//! journeys, and the whole directory), into a scratch database that never waits for the
//! disk. Then it copies that PCN into the target as many times as the scale needs, each copy
//! a PCN of its own with fresh ids, names, NHS numbers, ODS codes and sign-ins, in one
//! restore transaction through the engine's bulk path (the one `linkwork restore` uses).
//! Ids and foreign keys are moved on by the schema's own foreign keys, so a new table is
//! copied correctly without changing this file.

use crate::demo::{Rng, Shape};
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;
use storage::backup::{DumpSink, RestoreSource};
use storage_sql::TableFacts;

/// The scales of the issue: link workers × years at 250 people a year each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// One PCN: 4 link workers over 3 years (3,000 people), 2,000 services.
    Pcn,
    /// An ICB: 38 PCNs, 152 link workers over 5 years (190,000 people), 20,000 services.
    Icb,
    /// England: 1,250 PCNs, 5,000 link workers over 1 year (1.25 million people).
    National,
}

/// How many PCNs, and the shape of each.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub pcns: u32,
    pub shape: Shape,
}

impl Scale {
    pub fn sizes(self) -> Sizes {
        let (pcns, people, years, services) = match self {
            Scale::Pcn => (1, 3_000, 3, 2_000),
            Scale::Icb => (38, 5_000, 5, 20_000),
            Scale::National => (1_250, 1_000, 1, 20_000),
        };
        Sizes {
            pcns,
            shape: Shape {
                people,
                span_days: years * 365,
                services,
            },
        }
    }
}

/// Tables copied once, with the first PCN only: credentials whose names must be unique.
const FIRST_PCN_ONLY: &[&str] = &["api_clients", "api_client_tokens", "api_tokens"];

/// How a table's rows reach the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Shared by every PCN (directory, postcodes, catalogues, the template's audit chain).
    Once,
    /// One copy per PCN.
    PerPcn,
}

struct Table {
    facts: TableFacts,
    rows: Vec<String>,
    mode: Mode,
}

/// Collects a dump in memory, table by table.
#[derive(Default)]
struct Collect {
    tables: Vec<(String, Vec<String>)>,
}

impl DumpSink for Collect {
    fn table(&mut self, name: &str) -> storage::Result<()> {
        self.tables.push((name.to_string(), Vec::new()));
        Ok(())
    }
    fn row(&mut self, json: &str) -> storage::Result<()> {
        if let Some((_, rows)) = self.tables.last_mut() {
            rows.push(json.to_string());
        }
        Ok(())
    }
}

/// Which tables belong to a PCN: those whose foreign keys lead to `pcns`.
fn per_pcn(facts: &[TableFacts]) -> Vec<String> {
    let mut tenant: Vec<String> = vec!["pcns".into()];
    loop {
        let before = tenant.len();
        for t in facts {
            if !tenant.contains(&t.name)
                && !FIRST_PCN_ONLY.contains(&t.name.as_str())
                && t.foreign_keys.iter().any(|(_, p)| tenant.contains(p))
            {
                tenant.push(t.name.clone());
            }
        }
        if tenant.len() == before {
            return tenant;
        }
    }
}

/// Streams the template's rows into the target: shared tables once, a PCN's tables once
/// per PCN with their ids moved on.
struct Copier {
    tables: Vec<Table>,
    /// Per PCN table: how far one copy moves its ids (the template's largest id).
    stride: HashMap<String, i64>,
    pcns: u32,
    /// Write booleans as JSON booleans (PostgreSQL) instead of 0/1 (SQLite).
    booleans: bool,
    at: (usize, u32, usize),
    next_nhs: u32,
    rows_out: BTreeMap<String, u64>,
    bar: ProgressBar,
}

const BATCH: usize = 1_000;
const NHS_FIRST: u32 = 999_000_000;
const NHS_LAST: u32 = 999_999_999;

impl RestoreSource for Copier {
    fn next_batch(&mut self) -> storage::Result<Option<(String, Vec<String>)>> {
        loop {
            let (t, k, pos) = self.at;
            let Some(table) = self.tables.get(t) else {
                return Ok(None);
            };
            let copies = if table.mode == Mode::PerPcn {
                self.pcns
            } else {
                1
            };
            if k >= copies {
                self.at = (t + 1, 0, 0);
                continue;
            }
            if pos >= table.rows.len() {
                self.at = (t, k + 1, 0);
                continue;
            }
            let end = (pos + BATCH).min(table.rows.len());
            let mut out = Vec::with_capacity(end - pos);
            for row in &table.rows[pos..end] {
                out.push(
                    copy_row(
                        table,
                        k,
                        row,
                        &self.stride,
                        self.booleans,
                        &mut self.next_nhs,
                    )
                    .map_err(|e| {
                        storage::StorageError::Rule(format!("{}: {e}", table.facts.name))
                    })?,
                );
            }
            self.at = (t, k, end);
            *self.rows_out.entry(table.facts.name.clone()).or_default() += out.len() as u64;
            self.bar.inc(out.len() as u64);
            return Ok(Some((table.facts.name.clone(), out)));
        }
    }
}

fn shift(row: &mut Map<String, Value>, col: &str, by: i64) {
    if let Some(Value::Number(n)) = row.get(col) {
        if let Some(v) = n.as_i64() {
            row.insert(col.into(), Value::from(v + by));
        }
    }
}

fn text<'a>(row: &'a Map<String, Value>, col: &str) -> &'a str {
    row.get(col).and_then(Value::as_str).unwrap_or_default()
}

/// One row of copy `k` (copy 0 is the template itself).
fn copy_row(
    table: &Table,
    k: u32,
    row: &str,
    stride: &HashMap<String, i64>,
    booleans: bool,
    next_nhs: &mut u32,
) -> Result<String> {
    if k == 0 && !booleans {
        return Ok(row.to_string());
    }
    let mut v: Map<String, Value> = serde_json::from_str(row).context("a dumped row")?;
    let facts = &table.facts;
    if k > 0 {
        let k = i64::from(k);
        if let Some(key) = &facts.key {
            shift(
                &mut v,
                key,
                stride.get(&facts.name).copied().unwrap_or(0) * k,
            );
        }
        for (col, parent) in &facts.foreign_keys {
            if let Some(s) = stride.get(parent) {
                shift(&mut v, col, s * k);
            }
        }
        match facts.name.as_str() {
            "pcns" => {
                let name = format!("{} {k}", text(&v, "name"));
                v.insert("name".into(), name.into());
                v.insert("ods_code".into(), format!("U{k:05}").into());
            }
            "practices" => {
                let last = text(&v, "ods_code").chars().last().unwrap_or('0');
                let digit = last.to_digit(10).unwrap_or(0) as i64;
                v.insert("ods_code".into(), format!("Y{:05}", k * 10 + digit).into());
                let name = format!("{} {k}", text(&v, "name"));
                v.insert("name".into(), name.into());
            }
            "users" => {
                let email = pcn_email(text(&v, "email"), k as u32);
                v.insert("email".into(), email.into());
            }
            // A self-referral's reference is unique across the deployment.
            "referrals" if v.get("reference").is_some_and(|r| !r.is_null()) => {
                let reference = format!("{}-{k}", text(&v, "reference"));
                v.insert("reference".into(), reference.into());
            }
            "people" => {
                let id = v.get("id").and_then(Value::as_i64).unwrap_or(0);
                let mut rng = Rng::new(((k as u64) << 32) ^ id as u64);
                let female = text(&v, "sex") == "female";
                let given = *rng.pick(if female {
                    crate::demo::GIVEN_F
                } else {
                    crate::demo::GIVEN_M
                });
                let family = *rng.pick(crate::demo::FAMILY);
                v.insert("given_name".into(), given.into());
                v.insert("family_name".into(), family.into());
                v.insert(
                    "search_name".into(),
                    format!("{given} {family}").to_lowercase().into(),
                );
                if v.get("nhs_number").is_some_and(|n| !n.is_null()) {
                    v.insert("nhs_number".into(), next_nhs_number(next_nhs).into());
                }
            }
            _ => {}
        }
    }
    if booleans {
        for (col, is_bool) in &facts.columns {
            if *is_bool {
                if let Some(Value::Number(n)) = v.get(col) {
                    let b = n.as_i64().unwrap_or(0) != 0;
                    v.insert(col.clone(), Value::Bool(b));
                }
            }
        }
    }
    Ok(serde_json::to_string(&v)?)
}

/// The sign-in of a template account in PCN copy `k`: `name+pcnK@domain` (copy 0 keeps the
/// demo's own).
pub fn pcn_email(email: &str, k: u32) -> String {
    if k == 0 {
        return email.to_string();
    }
    match email.split_once('@') {
        Some((local, domain)) => format!("{local}+pcn{k}@{domain}"),
        None => format!("{email}+pcn{k}"),
    }
}

/// The next valid NHS number in the 999 test range. There are only about 909,000 of them:
/// past that, numbers come round again (each PCN's own stay distinct).
fn next_nhs_number(next: &mut u32) -> String {
    loop {
        let nine = *next;
        *next = if nine >= NHS_LAST {
            NHS_FIRST
        } else {
            nine + 1
        };
        if let Some(n) = domain::NhsNumber::from_first_nine(nine) {
            return n.as_str().to_string();
        }
    }
}

/// What to generate and where.
pub struct DataPlan {
    pub scale: Scale,
    pub url: String,
    /// Override the number of PCNs (small runs and CI).
    pub pcns: Option<u32>,
    /// Override the people per PCN.
    pub people: Option<u32>,
    /// Override the services in the directory.
    pub services: Option<usize>,
}

/// Generates the data and prints what it made.
pub async fn run(plan: DataPlan, pg_max_connections: u32) -> Result<()> {
    let mut sizes = plan.scale.sizes();
    if let Some(p) = plan.pcns {
        sizes.pcns = p.max(1);
    }
    if let Some(p) = plan.people {
        sizes.shape.people = p.max(10);
    }
    if let Some(n) = plan.services {
        sizes.shape.services = n.max(10);
    }
    let started = Instant::now();
    let target = crate::open_storage(&plan.url, pg_max_connections).await?;
    if !target.list_pcns().await?.is_empty() || !target.list_users(None).await?.is_empty() {
        bail!(
            "{} already holds Linkwork data: bench-data writes only into a new, empty database",
            crate::config::redact_url(&plan.url)
        );
    }
    let shape = sizes.shape;
    println!(
        "Generating one PCN: {} people referred over {} years, a directory of {} services.",
        shape.people,
        shape.span_days / 365,
        shape.services
    );
    let scratch = tempfile::Builder::new()
        .prefix("linkwork-bench-")
        .tempdir()
        .context("cannot make a scratch directory")?;
    let template_url = format!("sqlite://{}", scratch.path().join("template.db").display());
    let template = storage_sql::SqliteStorage::open_scratch(&template_url).await?;
    let facts = template.table_facts().await?;
    let template_store: Arc<dyn storage::Storage> = Arc::new(template);
    crate::demo::seed_shaped(&template_store, shape, true).await?;
    let mut dump = Collect::default();
    template_store.dump(&mut dump).await?;
    drop(template_store);
    let generated = started.elapsed();

    let tenant = per_pcn(&facts);
    let mut by_name: HashMap<String, TableFacts> =
        facts.into_iter().map(|f| (f.name.clone(), f)).collect();
    let mut tables = Vec::new();
    let mut stride = HashMap::new();
    let mut total = 0u64;
    for (name, rows) in dump.tables {
        let Some(f) = by_name.remove(&name) else {
            bail!("the template has a table ({name}) its schema does not");
        };
        let mode = if tenant.contains(&name) {
            Mode::PerPcn
        } else {
            Mode::Once
        };
        if mode == Mode::PerPcn {
            let max = f
                .key
                .as_ref()
                .map(|key| {
                    rows.iter()
                        .filter_map(|r| serde_json::from_str::<Map<String, Value>>(r).ok())
                        .filter_map(|r| r.get(key).and_then(Value::as_i64))
                        .max()
                        .unwrap_or(0)
                })
                .unwrap_or(0);
            stride.insert(name.clone(), max);
            total += rows.len() as u64 * u64::from(sizes.pcns);
        } else {
            total += rows.len() as u64;
        }
        tables.push(Table {
            facts: f,
            rows,
            mode,
        });
    }
    println!(
        "Copying it into {} PCN{} ({} rows).",
        sizes.pcns,
        if sizes.pcns == 1 { "" } else { "s" },
        total
    );
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("  writing rows {bar:40} {pos}/{len} {per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut copier = Copier {
        tables,
        stride,
        pcns: sizes.pcns,
        booleans: target.engine_name() == "postgres",
        at: (0, 0, 0),
        next_nhs: NHS_FIRST + shape.people * 7 + 10,
        rows_out: BTreeMap::new(),
        bar,
    };
    let copy_started = Instant::now();
    target.restore(&mut copier).await?;
    copier.bar.finish_and_clear();
    let copied = copy_started.elapsed();
    println!(
        "Made {} rows in {:.1} s (one PCN generated in {:.1} s, copied in {:.1} s):",
        copier.rows_out.values().sum::<u64>(),
        started.elapsed().as_secs_f64(),
        generated.as_secs_f64(),
        copied.as_secs_f64()
    );
    for t in [
        "pcns",
        "users",
        "people",
        "episodes",
        "contacts",
        "episode_records",
        "connections",
        "episode_events",
        "dir_services",
    ] {
        println!(
            "  {t:<16} {:>12}",
            copier.rows_out.get(t).copied().unwrap_or(0)
        );
    }
    if sizes.pcns > 1 {
        println!(
            "The first PCN has the demo's accounts. Each copy k (1 to {}) is \"… PCN k\" and its \
             accounts add +pcnk before the @, e.g. {}.",
            sizes.pcns - 1,
            pcn_email("sam.okafor@linkwork.example", 1)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhs_numbers_are_valid_and_come_round() {
        let mut next = NHS_FIRST;
        let a = next_nhs_number(&mut next);
        assert!(domain::NhsNumber::parse(&a).is_ok(), "{a}");
        let mut next = 999_999_990;
        let mut seen = Vec::new();
        // At most ten candidates are left before the end of the range: the twelfth comes round.
        for _ in 0..12 {
            seen.push(next_nhs_number(&mut next));
        }
        assert!(seen.iter().all(|n| domain::NhsNumber::parse(n).is_ok()));
        assert!(seen.iter().any(|n| n.starts_with("999000")), "{seen:?}");
    }

    #[test]
    fn copies_get_their_own_sign_ins() {
        assert_eq!(pcn_email("a@b.example", 0), "a@b.example");
        assert_eq!(pcn_email("a@b.example", 3), "a+pcn3@b.example");
    }
}
