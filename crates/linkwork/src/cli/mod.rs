//! Command-line interface: the commands and flags, and starting up. Each command is
//! carried out in `run`; the `user` commands in `users`.

mod delay;
mod run;
mod users;

use crate::config::{Config, Overrides};
use anyhow::{anyhow, bail, Result};
use clap::{Parser, Subcommand};
use run::run;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "linkwork",
    version,
    about = "Linkwork: social prescribing for NHS Primary Care Networks"
)]
pub struct Cli {
    /// Configuration file (TOML). Default: $LINKWORK_CONFIG, else ./linkwork.toml if present.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory (default linkwork-data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://path or postgres://user:password@host/db.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long, global = true)]
    listen: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// An Open Referral UK 3.0 JSON file, or the base URL of a live ORUK API.
    Oruk { source: String },
    /// A spreadsheet (CSV) in the layout of docs/directory.md.
    Csv { file: PathBuf },
    /// Postcode centroids: CSV of postcode,latitude,longitude (see docs/directory.md).
    Postcodes { file: PathBuf },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// The published directory as an ORUK 3.0 feed (JSON).
    Oruk {
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Directory search latency and index build time on a generated directory.
    Search {
        #[arg(long, default_value_t = 20_000)]
        services: usize,
        #[arg(long, default_value_t = 500)]
        queries: usize,
    },
    /// Search and matching quality on a graded evaluation set, imported through the real
    /// import into a scratch database: nDCG@5, recall@10 and "must never" violations.
    Matching {
        /// An evaluation set's folder (feed.json, postcodes.csv, searches.toml, people.toml;
        /// split.toml draws the development/held-out line). Repeat for several; by default
        /// Harrowby and Fenbridge, two towns' directories under different taxonomies.
        #[arg(
            long,
            default_values = ["crates/directory/eval", "crates/directory/eval-fenbridge"]
        )]
        eval: Vec<PathBuf>,
        /// Print each development case's top 10 (never a held-out case).
        #[arg(long)]
        show: bool,
        /// Also print how each service in the set was classified: its concepts, each with
        /// its strength and the words that were the evidence (no case is printed).
        #[arg(long)]
        classes: bool,
        /// Measure with this vocabulary file instead of the built-in one (to try an edit to
        /// crates/directory/vocabulary.toml without rebuilding).
        #[arg(long)]
        vocabulary: Option<PathBuf>,
    },
    /// How well the vocabulary reads people's own words: phrases judged by hand (what
    /// each is about, and traps it must not be read as), read as matching and search read
    /// them.
    Reading {
        /// The phrase set (TOML: [[phrase]] with id, kind, text, expect, never).
        #[arg(long, default_value = "crates/directory/eval-reading/phrases.toml")]
        phrases: PathBuf,
        /// Print each phrase read wrongly: what was read, what was missed.
        #[arg(long)]
        show: bool,
        /// Read with this vocabulary file instead of the built-in one.
        #[arg(long)]
        vocabulary: Option<PathBuf>,
    },
    /// Load a running Linkwork on this machine as signed-in link workers (a realistic mix,
    /// about one request in ten a write) and print throughput and latency per route.
    Load {
        /// The server, on this machine (e.g. http://127.0.0.1:8080).
        #[arg(long)]
        url: String,
        /// Concurrent link workers.
        #[arg(long, default_value_t = 50)]
        users: usize,
        /// Seconds to run the mix for.
        #[arg(long, default_value_t = 30)]
        duration: u64,
        /// The server's process id, to report its peak memory.
        #[arg(long)]
        pid: Option<u32>,
        /// An account to sign in as, email:password (repeatable). Default: the demo's link workers.
        #[arg(long = "login")]
        logins: Vec<String>,
        /// Spread the default sign-ins over this many PCNs of `bench-data` (copy k adds +pcnk).
        #[arg(long, default_value_t = 1)]
        pcns: u32,
        /// The server's database URL: also time the person page's queries without HTTP.
        #[arg(long)]
        db: Option<String>,
    },
    /// Time the last 12 months' manager reports for each PCN of a running Linkwork on this
    /// machine, one PCN after another: referrals, caseloads and outcomes, then every report
    /// on the printable page (the demo's manager; +pcnk for `bench-data` copies).
    Reports {
        /// The server, on this machine (e.g. http://127.0.0.1:8080).
        #[arg(long)]
        url: String,
        /// How many PCNs.
        #[arg(long, default_value_t = 1)]
        pcns: u32,
    },
    /// The audit path on PostgreSQL: audited transactions a second from concurrent writers,
    /// with each transaction taking the chain's lock (the design before issue 26) and with
    /// the queue and sealer (now), on a scratch database the benchmark makes and drops.
    Audit {
        /// A PostgreSQL server where the user may create databases, e.g.
        /// postgres://linkwork@127.0.0.1/postgres.
        #[arg(long)]
        server: String,
        /// Concurrent writers.
        #[arg(long, default_value_t = 64)]
        writers: usize,
        /// Seconds each design runs for.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Connections the writers share (default: one per writer). A node's pool is
        /// `pg_max_connections` (16 unless configured), so 64 requests at once on four nodes
        /// share 4 × 16.
        #[arg(long)]
        connections: Option<u32>,
        /// Microseconds added to each direction between the writers and PostgreSQL, by a
        /// relay on loopback: the database on another host (250 is about a data centre's
        /// 0.5 ms round trip). 0 (the default) connects directly.
        #[arg(long, default_value_t = 0)]
        delay_us: u64,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve,
    /// Create a fresh demo database with a synthetic PCN and serve it.
    Demo {
        /// How many synthetic people to create.
        #[arg(long, default_value_t = 400)]
        people: u32,
        /// Reuse the existing demo database instead of making a fresh one.
        #[arg(long)]
        keep: bool,
        /// Create the database and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Add a Primary Care Network.
    PcnAdd {
        #[arg(long)]
        name: String,
        /// ODS code of the PCN.
        #[arg(long)]
        ods: String,
    },
    /// Add a GP practice to a PCN.
    PracticeAdd {
        /// ODS code of the PCN.
        #[arg(long)]
        pcn: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        ods: String,
    },
    /// Add a VCSE partner organisation.
    PartnerOrgAdd {
        #[arg(long)]
        name: String,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Import community directory data.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Export the community directory.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Generate synthetic data at PCN, ICB or national scale into a new, empty database,
    /// for the benchmarks.
    BenchData {
        /// pcn (3,000 people), icb (190,000 people, 20,000 services) or national (1.25 million people).
        #[arg(long, value_enum)]
        scale: crate::bench_data::Scale,
        /// The new database: sqlite://path or postgres://user:password@host/db.
        #[arg(long)]
        db: String,
        /// How many PCNs, instead of the scale's.
        #[arg(long)]
        pcns: Option<u32>,
        /// People per PCN, instead of the scale's.
        #[arg(long)]
        people: Option<u32>,
        /// Services in the directory, instead of the scale's.
        #[arg(long)]
        services: Option<usize>,
    },
    /// Benchmarks that print figures.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Write a backup of the whole database (either engine) to one checked file.
    Backup {
        /// Where to write it (default: <data_dir>/backups/linkwork-<time>.lwbackup).
        path: Option<PathBuf>,
    },
    /// Restore a backup into a new, empty database (the one --data-dir or --database-url names).
    Restore {
        /// A file written by `linkwork backup`.
        path: PathBuf,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented example configuration file.
    Example,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the audit log's hash chain from the first record to the last, and that it still
    /// holds each checkpoint given (files written by `audit checkpoint`).
    Verify {
        /// A checkpoint file kept outside the database (repeatable; each line one checkpoint).
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
    },
    /// Print the chain's head (record number, hash, time) as one line of JSON, after sealing
    /// any queued entries: keep it somewhere the database's owners cannot change (another
    /// system, write-once storage, a signed email), and give it to `audit verify --checkpoint`.
    Checkpoint {
        /// Append the line to this file instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account. Prints a generated password when none is given.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, manager, link_worker, supervisor, referrer or partner.
        #[arg(long)]
        role: String,
        /// ODS code of the user's PCN (default: the only PCN).
        #[arg(long)]
        pcn: Option<String>,
        /// Partner organisation name (partners only).
        #[arg(long)]
        partner_org: Option<String>,
        /// Initial password (default: generated and printed). Prefer LINKWORK_NEW_PASSWORD.
        #[arg(long, env = "LINKWORK_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// List accounts.
    List,
    /// Disable an account and end its sessions.
    Disable { email: String },
    /// Set a new generated password, clear any lock and end sessions; prints the password.
    ResetPassword { email: String },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let flags = Overrides {
        config_file: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
        listen: cli.listen.clone(),
    };
    let cfg = match Config::load(&flags, &|k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("linkwork: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(&cfg.log);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("linkwork: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, cfg)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("linkwork: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn find_pcn(store: &dyn storage::Storage, ods: Option<&str>) -> Result<i64> {
    let pcns = store.list_pcns().await?;
    match ods {
        Some(ods) => pcns
            .iter()
            .find(|p| p.ods_code.eq_ignore_ascii_case(ods))
            .map(|p| p.id)
            .ok_or_else(|| anyhow!("no PCN with ODS code {ods}: add it with `linkwork pcn-add`")),
        None => match pcns.as_slice() {
            [only] => Ok(only.id),
            [] => bail!("there is no PCN yet: add one with `linkwork pcn-add --name … --ods …`"),
            _ => bail!("there are several PCNs: say which with --pcn <ODS code>"),
        },
    }
}
