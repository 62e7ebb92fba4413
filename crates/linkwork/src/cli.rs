//! Command-line interface.

use crate::config::{self, Config, Overrides};
use crate::demo;
use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand};
use domain::{Code, Role};
use std::path::PathBuf;
use std::process::ExitCode;
use storage::{Actor, AuditVerification, NewUser};

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
    /// Check the audit log's hash chain from the first record to the last.
    Verify,
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

async fn listener(cfg: &Config) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.listen))
}

async fn run(command: Command, cfg: Config) -> Result<ExitCode> {
    match command {
        Command::Config {
            command: ConfigCommand::Example,
        } => {
            print!("{}", config::EXAMPLE);
        }
        Command::Serve => {
            let store = crate::open_storage(&cfg.database_url(), cfg.pg_max_connections).await?;
            let l = listener(&cfg).await?;
            tracing::info!(config = ?cfg, engine = store.engine_name(), "Linkwork listening on http://{}", l.local_addr()?);
            crate::serve(l, store, &cfg.data_dir.join("search-index"), cfg.web()).await?;
        }
        Command::Demo {
            people,
            keep,
            no_serve,
        } => {
            let path = cfg.data_dir.join("demo.db");
            std::fs::create_dir_all(&cfg.data_dir)
                .with_context(|| format!("cannot create {}", cfg.data_dir.display()))?;
            let fresh = !keep || !path.exists();
            let index = cfg.data_dir.join("demo-search-index");
            if fresh && index.exists() {
                std::fs::remove_dir_all(&index)
                    .with_context(|| format!("cannot remove {}", index.display()))?;
            }
            if fresh {
                for suffix in ["", "-wal", "-shm"] {
                    let p = PathBuf::from(format!("{}{suffix}", path.display()));
                    if p.exists() {
                        std::fs::remove_file(&p).with_context(|| {
                            format!("cannot remove the old demo database {}", p.display())
                        })?;
                    }
                }
            }
            let store = crate::open_storage(&config::sqlite_url(&path), 1).await?;
            if fresh {
                println!("Creating the demo database at {} …", path.display());
                let started = std::time::Instant::now();
                demo::seed(&store, people, true).await?;
                println!(
                    "Created {people} synthetic people in {:.1} s.",
                    started.elapsed().as_secs_f64()
                );
            }
            if no_serve {
                return Ok(ExitCode::SUCCESS);
            }
            let l = listener(&cfg).await?;
            println!("\nLinkwork demo is running at http://{}/", l.local_addr()?);
            println!("Sign in with one of these synthetic accounts (role, email, password):");
            for (role, email, password, _) in demo::LOGINS {
                println!("  {}, {}, {}", role.label(), email, password);
            }
            println!("FHIR API clients (client id, secret; see docs/interoperability.md):");
            for (_, id, secret, name, _) in demo::API_CLIENTS {
                println!("  {name}: {id}, {secret}");
            }
            println!("Press Ctrl-C to stop. Running `linkwork demo` again starts from a fresh demo database.\n");
            crate::serve(l, store, &index, cfg.web()).await?;
        }
        Command::Migrate => {
            let url = cfg.database_url();
            let store = crate::open_storage(&url, cfg.pg_max_connections).await?;
            println!(
                "Database {} ({}) is up to date.",
                config::redact_url(&url),
                store.engine_name()
            );
        }
        Command::PcnAdd { name, ods } => {
            let store = crate::open_storage(&cfg.database_url(), cfg.pg_max_connections).await?;
            let p = store.create_pcn(&name, &ods.to_uppercase()).await?;
            println!("Added PCN {} ({}), id {}", p.name, p.ods_code, p.id);
        }
        Command::PracticeAdd { pcn, name, ods } => {
            let store = crate::open_storage(&cfg.database_url(), cfg.pg_max_connections).await?;
            let pcn_id = find_pcn(&*store, Some(&pcn)).await?;
            let p = store
                .create_practice(pcn_id, &name, &ods.to_uppercase())
                .await?;
            println!("Added practice {} ({}), id {}", p.name, p.ods_code, p.id);
        }
        Command::PartnerOrgAdd { name } => {
            let store = crate::open_storage(&cfg.database_url(), cfg.pg_max_connections).await?;
            let o = store.create_partner_org(&name).await?;
            println!("Added partner organisation {}, id {}", o.name, o.id);
        }
        Command::User { command } => return user(command, &cfg).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let store = crate::open_storage(&cfg.database_url(), cfg.pg_max_connections).await?;
            match store.verify_audit().await? {
                AuditVerification::Intact { records } => {
                    println!("Audit log intact: {records} records, hash chain verified.")
                }
                AuditVerification::Broken { at_seq, reason } => {
                    println!("Audit log BROKEN at record {at_seq}: {reason}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Import { command } => {
            let store = crate::open_storage(&cfg.database_url(), cfg.pg_max_connections).await?;
            match command {
                ImportCommand::Oruk { source } => {
                    crate::directory_cli::import_oruk(store, &source).await?
                }
                ImportCommand::Csv { file } => {
                    crate::directory_cli::import_csv(store, &file).await?
                }
                ImportCommand::Postcodes { file } => {
                    crate::directory_cli::import_postcodes(store, &file).await?
                }
            }
        }
        Command::Export {
            command: ExportCommand::Oruk { out },
        } => {
            let store = crate::open_storage(&cfg.database_url(), cfg.pg_max_connections).await?;
            crate::directory_cli::export_oruk(store, out.as_deref()).await?;
        }
        Command::BenchData {
            scale,
            db,
            pcns,
            people,
            services,
        } => {
            crate::bench_data::run(
                crate::bench_data::DataPlan {
                    scale,
                    url: db,
                    pcns,
                    people,
                    services,
                },
                cfg.pg_max_connections,
            )
            .await?;
        }
        Command::Bench {
            command: BenchCommand::Search { services, queries },
        } => {
            crate::directory_cli::bench_search(services, queries.max(1)).await?;
        }
        Command::Bench {
            command:
                BenchCommand::Load {
                    url,
                    users,
                    duration,
                    pid,
                    logins,
                    pcns,
                    db,
                },
        } => {
            let logins = if logins.is_empty() {
                (0..pcns.max(1))
                    .flat_map(|k| {
                        crate::demo::LOGINS
                            .iter()
                            .filter(|(role, ..)| *role == domain::Role::LinkWorker)
                            .map(move |(_, email, password, _)| {
                                (crate::bench_data::pcn_email(email, k), password.to_string())
                            })
                    })
                    .collect()
            } else {
                logins
                    .iter()
                    .map(|l| {
                        l.split_once(':')
                            .map(|(e, p)| (e.to_string(), p.to_string()))
                            .ok_or_else(|| anyhow!("--login takes email:password, not {l}"))
                    })
                    .collect::<Result<Vec<_>>>()?
            };
            if users == 0 || duration == 0 {
                bail!("--users and --duration must be at least 1");
            }
            crate::bench_load::run(crate::bench_load::LoadPlan {
                url,
                users,
                duration: std::time::Duration::from_secs(duration),
                pid,
                logins,
                db,
                pcns,
            })
            .await?;
        }
        Command::Bench {
            command: BenchCommand::Reports { url, pcns },
        } => {
            let (_, email, password, _) = crate::demo::LOGINS
                .iter()
                .find(|(role, ..)| *role == domain::Role::Manager)
                .context("the demo has a manager")?;
            let logins: Vec<(String, String)> = (0..pcns.max(1))
                .map(|k| (crate::bench_data::pcn_email(email, k), password.to_string()))
                .collect();
            crate::bench_load::reports(&url, &logins).await?;
        }
        Command::Backup { path } => {
            // Opening a SQLite URL creates the file: backing up a data directory with no
            // database would otherwise write an empty backup without a word.
            let url = cfg.database_url();
            if let Some(file) = url.strip_prefix("sqlite://") {
                let file = file.split('?').next().unwrap_or(file);
                if !std::path::Path::new(file).exists() {
                    bail!("there is no Linkwork database at {file}: check --data-dir or --database-url");
                }
            }
            let store = crate::open_storage(&url, cfg.pg_max_connections).await?;
            let path = path.unwrap_or_else(|| {
                cfg.data_dir.join("backups").join(format!(
                    "linkwork-{}.lwbackup",
                    chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
                ))
            });
            crate::backup_cli::backup(store.as_ref(), &path).await?;
        }
        Command::Restore { path } => {
            let store = crate::open_storage(&cfg.database_url(), cfg.pg_max_connections).await?;
            crate::backup_cli::restore(store.as_ref(), &path).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
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

async fn user(command: UserCommand, cfg: &Config) -> Result<ExitCode> {
    let store = crate::open_storage(&cfg.database_url(), cfg.pg_max_connections).await?;
    let actor = Actor::system("cli");
    let web_err = |e: web::AppError| anyhow!("{}", e.explain().1);
    match command {
        UserCommand::Add {
            email,
            name,
            role,
            pcn,
            partner_org,
            password,
        } => {
            let role = Role::from_code(&role).ok_or_else(|| {
                anyhow!(
                    "unknown role '{role}': use one of {}",
                    Role::ALL
                        .iter()
                        .map(|r| r.code())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            let (pcn_id, partner_org_id) = if role == Role::Partner {
                let name = partner_org
                    .ok_or_else(|| anyhow!("a partner needs --partner-org <organisation name>"))?;
                let org = store.list_partner_orgs().await?.into_iter().find(|o| o.name == name).ok_or_else(|| anyhow!("no partner organisation named '{name}': add it with `linkwork partner-org-add`"))?;
                (None, Some(org.id))
            } else if role == Role::Operator {
                (None, None)
            } else {
                (Some(find_pcn(&*store, pcn.as_deref()).await?), None)
            };
            let generated = password.is_none();
            let password = match password {
                Some(p) => p,
                None => web::auth::random_token().map_err(web_err)?[..20].to_string(),
            };
            if let Some(problem) = web::auth::password_problem(&password, &email) {
                bail!("{problem}");
            }
            let hash = web::auth::hash_password(&password).map_err(web_err)?;
            let u = store
                .create_user(
                    NewUser {
                        email,
                        name,
                        role,
                        pcn_id,
                        partner_org_id,
                        password_hash: hash,
                    },
                    &actor,
                )
                .await?;
            println!(
                "Added {} ({}) as {}, id {}",
                u.name,
                u.email,
                u.role.label(),
                u.id
            );
            if generated {
                println!("Password: {password}");
            }
        }
        UserCommand::List => {
            for u in store.list_users(None).await? {
                let status = if u.disabled { "disabled" } else { "active" };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.id,
                    u.email,
                    u.name,
                    u.role.code(),
                    status
                );
            }
        }
        UserCommand::Disable { email } => {
            let u = store
                .user_by_email(&email)
                .await?
                .ok_or_else(|| anyhow!("no account with email {email}"))?;
            store.set_user_disabled(u.id, true, &actor).await?;
            println!("Disabled {} and ended their sessions.", u.email);
        }
        UserCommand::ResetPassword { email } => {
            let u = store
                .user_by_email(&email)
                .await?
                .ok_or_else(|| anyhow!("no account with email {email}"))?;
            let password = web::auth::random_token().map_err(web_err)?[..20].to_string();
            store
                .set_password(
                    u.id,
                    &web::auth::hash_password(&password).map_err(web_err)?,
                    &actor,
                )
                .await?;
            println!("New password for {}: {password}", u.email);
        }
    }
    Ok(ExitCode::SUCCESS)
}
