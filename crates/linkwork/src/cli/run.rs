//! Carrying out a parsed command: serving, the demo, set-up commands, audit, directory
//! import and export, benchmarks, backup and restore.

use super::users::user;
use super::{
    find_pcn, AuditCommand, BenchCommand, Command, ConfigCommand, ExportCommand, ImportCommand,
};
use crate::config::{self, Config};
use crate::demo;
use anyhow::{anyhow, bail, Context, Result};
use domain::Code;
use std::path::PathBuf;
use std::process::ExitCode;
use storage::AuditVerification;

async fn listener(cfg: &Config) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.listen))
}

pub(super) async fn run(command: Command, cfg: Config) -> Result<ExitCode> {
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
            if let Some(plan) = demo::plan_link(&store).await? {
                println!(
                    "A person's own plan (synthetic): http://{}/my-plan?code={}",
                    l.local_addr()?,
                    plan.code
                );
                println!(
                    "  for {}, born {}. Without GOV.UK Notify or email the one-time code is not sent: sign in as {} and open http://{}/people/{} to read it.",
                    plan.name,
                    plan.date_of_birth.format("%-d %B %Y"),
                    plan.link_worker,
                    l.local_addr()?,
                    plan.person_id
                );
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
        Command::Audit { command } => return audit(command, &cfg).await,
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
            command:
                BenchCommand::Audit {
                    server,
                    writers,
                    seconds,
                    connections,
                    delay_us,
                },
        } => {
            let connections = connections.unwrap_or(writers as u32 + 4).max(2);
            let server = if delay_us == 0 {
                server
            } else {
                delayed(&server, std::time::Duration::from_micros(delay_us))?
            };
            println!(
                "{}",
                if delay_us == 0 {
                    "PostgreSQL connected directly.".to_string()
                } else {
                    format!("PostgreSQL through a relay adding {delay_us} µs each way.")
                }
            );
            bench_audit(&server, writers.max(1), seconds.max(1), connections).await?
        }
        Command::Bench {
            command: BenchCommand::Search { services, queries },
        } => {
            crate::directory_cli::bench_search(services, queries.max(1)).await?;
        }
        Command::Bench {
            command:
                BenchCommand::Matching {
                    eval,
                    show,
                    classes,
                    vocabulary,
                },
        } => {
            if let Some(path) = vocabulary {
                install_vocabulary(&path)?;
            }
            for set in &eval {
                crate::bench_matching::run(set, show, classes).await?;
            }
        }
        Command::Bench {
            command:
                BenchCommand::Reading {
                    phrases,
                    show,
                    vocabulary,
                },
        } => {
            if let Some(path) = vocabulary {
                install_vocabulary(&path)?;
            }
            crate::bench_reading::run(&phrases, show).await?;
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

async fn audit(command: AuditCommand, cfg: &crate::config::Config) -> anyhow::Result<ExitCode> {
    let store = crate::open_storage(&cfg.database_url(), cfg.pg_max_connections).await?;
    match command {
        AuditCommand::Verify { checkpoints } => {
            let records = store.all_audit().await?;
            let mut results = vec![storage::audit::verify(&records)];
            for path in &checkpoints {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    let cp: storage::Checkpoint = serde_json::from_str(line).map_err(|e| {
                        anyhow::anyhow!("{} is not a checkpoint file: {e}", path.display())
                    })?;
                    results.push(storage::verify_checkpoint(&records, &cp));
                }
            }
            for r in results {
                if let AuditVerification::Broken { at_seq, reason } = r {
                    println!("Audit log BROKEN at record {at_seq}: {reason}");
                    return Ok(ExitCode::FAILURE);
                }
            }
            let held = if checkpoints.is_empty() {
                String::new()
            } else {
                ", every checkpoint held".to_string()
            };
            println!(
                "Audit log intact: {} records, hash chain verified{held}.",
                records.len()
            );
        }
        AuditCommand::Checkpoint { out } => {
            let records = store.all_audit().await?;
            let Some(cp) = storage::checkpoint(&records) else {
                println!("The audit log is empty: nothing to checkpoint.");
                return Ok(ExitCode::FAILURE);
            };
            let line = serde_json::to_string(&cp)?;
            match out {
                Some(path) => {
                    use std::io::Write;
                    let mut f = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)
                        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                    writeln!(f, "{line}")?;
                    println!(
                        "Checkpoint of record {} added to {}.",
                        cp.seq,
                        path.display()
                    );
                }
                None => println!("{line}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The server URL rewritten to pass through a relay that delays each direction by
/// `one_way` (see `delay.rs`).
fn delayed(server: &str, one_way: std::time::Duration) -> anyhow::Result<String> {
    use anyhow::Context;
    let mut url = reqwest::Url::parse(server).context("the --server URL")?;
    let host = url.host_str().context("the --server URL has no host")?;
    let port = url.port().unwrap_or(5432);
    let upstream = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))?
        .next()
        .context("the --server host does not resolve")?;
    let relay = super::delay::start(upstream, one_way)?;
    url.set_host(Some("127.0.0.1"))?;
    url.set_port(Some(relay.port()))
        .map_err(|()| anyhow::anyhow!("the --server URL cannot take a port"))?;
    Ok(url.to_string())
}

/// `linkwork bench audit`: both designs of the audit path, one after the other, each on its
/// own scratch database on `server` (dropped afterwards).
async fn bench_audit(
    server: &str,
    writers: usize,
    seconds: u64,
    connections: u32,
) -> anyhow::Result<()> {
    use storage_sql::postgres::{bench_audit_scratch, AuditPath};
    println!(
        "Audit path on PostgreSQL: {writers} concurrent writers sharing {connections} connections, {seconds} s each, one audit entry per transaction."
    );
    println!(
        "{:<8} {:>10} {:>12} {:>9} {:>9} {:>14}",
        "design", "committed", "per second", "p50 ms", "p99 ms", "queued at end"
    );
    for (name, path) in [("locked", AuditPath::Locked), ("queued", AuditPath::Queued)] {
        let r = bench_audit_scratch(
            server,
            path,
            writers,
            connections,
            std::time::Duration::from_secs(seconds),
        )
        .await?;
        println!(
            "{:<8} {:>10} {:>12.0} {:>9.1} {:>9.1} {:>14}",
            name,
            r.committed,
            r.committed as f64 / r.seconds,
            r.p50_ms,
            r.p99_ms,
            r.queued_at_end
        );
    }
    println!("After each run the chain was sealed and verified, holding every committed entry.");
    Ok(())
}

/// Uses an edited vocabulary file in place of the built-in one, for a bench that measures
/// an edit without rebuilding.
fn install_vocabulary(path: &std::path::Path) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    directory::vocabulary::Vocabulary::install(&text)
        .map_err(|e| anyhow!("{} is not a usable vocabulary: {e}", path.display()))?;
    println!("Vocabulary: {}", path.display());
    Ok(())
}
