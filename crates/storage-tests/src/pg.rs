//! A throwaway PostgreSQL server for tests.
//!
//! Uses `LINKWORK_TEST_POSTGRES_URL` when set (a server where the user may create
//! databases); otherwise starts a private cluster with Debian's `initdb`/`postgres` in a
//! temporary directory on a random loopback port. As root (CI), the cluster runs as the
//! `postgres` system user, since `initdb` refuses root. The server is stopped and its
//! directory removed when the test process exits: a small shell supervisor holds the
//! server and waits on a pipe from this process, which the OS closes at exit.
//!
//! There is no silent skip: without PostgreSQL the tests fail and say how to get it.
//! `LINKWORK_TEST_SKIP_POSTGRES=1` skips the PostgreSQL half for a quick local run; it is
//! refused when `CI` is set.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

struct Server {
    base_url: String,
    // Held so the pipe stays open until the process exits.
    _supervisor: Option<Mutex<(Child, ChildStdin)>>,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static NEXT_DB: AtomicU64 = AtomicU64::new(1);

/// Whether the PostgreSQL half should be skipped (explicitly asked, never in CI).
pub fn skip_requested() -> bool {
    let skip = std::env::var("LINKWORK_TEST_SKIP_POSTGRES").is_ok_and(|v| v == "1");
    if skip && std::env::var("CI").is_ok() {
        panic!("LINKWORK_TEST_SKIP_POSTGRES is not allowed in CI: the PostgreSQL half must run");
    }
    skip
}

/// Creates an empty database on the test server and returns its URL.
pub async fn fresh_database() -> String {
    let base = match SERVER.get_or_init(start) {
        Ok(s) => s.base_url.clone(),
        Err(e) => panic!(
            "PostgreSQL is needed for these tests and could not be started: {e}\n\
             Install Debian's `postgresql` package (the README's test command does), or set \
             LINKWORK_TEST_POSTGRES_URL to a server where this user may create databases."
        ),
    };
    let name = format!(
        "lw_test_{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::SeqCst)
    );
    let mut conn = connect_retry(&base).await;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    with_database(&base, &name)
}

async fn connect_retry(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match sqlx::PgConnection::connect(url).await {
            Ok(c) => return c,
            Err(e) if Instant::now() > deadline => {
                panic!("cannot connect to test PostgreSQL at {url}: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

fn with_database(base: &str, name: &str) -> String {
    // Replace the path part of postgres://user@host:port/db?params.
    let (head, query) = base
        .split_once('?')
        .map_or((base, None), |(h, q)| (h, Some(q)));
    let after_scheme = head.find("://").map_or(0, |i| i + 3);
    let root = match head[after_scheme..].find('/') {
        Some(i) => &head[..after_scheme + i],
        None => head,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

fn start() -> Result<Server, String> {
    if let Ok(url) = std::env::var("LINKWORK_TEST_POSTGRES_URL") {
        return Ok(Server {
            base_url: url,
            _supervisor: None,
        });
    }
    let (bin, root, dir) = new_cluster("linkwork-pg-")?;
    let data = dir.join("data");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let script = r#"
        "$1" -D "$2" -p "$3" -k "$4" -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off \
             -c max_connections=200 -c shared_buffers=64MB > "$4/server.log" 2>&1 &
        pid=$!
        read ignored
        kill -INT "$pid"
        wait "$pid"
        rm -rf "$4"
    "#;
    let mut sup = as_postgres(root, Path::new("sh"));
    sup.arg("-c")
        .arg(script)
        .arg("sh")
        .arg(bin.join("postgres"))
        .arg(&data)
        .arg(port.to_string())
        .arg(&dir);
    let mut child = sup
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            let mut log = String::new();
            let _ = std::fs::File::open(dir.join("server.log"))
                .and_then(|mut f| f.read_to_string(&mut log));
            return Err(format!("the test server did not start within 30 s: {log}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "storage-tests: started PostgreSQL on 127.0.0.1:{port} in {}",
        dir.display()
    );
    Ok(Server {
        base_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        _supervisor: Some(Mutex::new((child, stdin))),
    })
}

/// A new cluster in a temporary folder named `prefix…` (its `data` inside), made by Debian's
/// `initdb` as `postgres` when running as root: the binaries' folder, whether root, the folder.
fn new_cluster(prefix: &str) -> Result<(PathBuf, bool, PathBuf), String> {
    let bin = find_bin_dir().ok_or("initdb was not found under /usr/lib/postgresql/*/bin")?;
    let root = is_root();
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    if root {
        run(Command::new("chown").arg("postgres:postgres").arg(&dir))?;
    }
    let mut cmd = as_postgres(root, &bin.join("initdb"));
    cmd.args([
        "-A",
        "trust",
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--no-sync",
        "-D",
    ])
    .arg(dir.join("data"));
    run(&mut cmd)?;
    Ok((bin, root, dir))
}

fn as_postgres(root: bool, program: &Path) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn find_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// A PostgreSQL server of a test's own, which the test may stop and start again (the shared
/// test server above is never restarted under other tests). Debian's binaries, a temporary
/// cluster on a random loopback port, run as `postgres` when the test runs as root; stopped
/// and removed when dropped.
pub struct OwnServer {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    root: bool,
}

fn free_port() -> Result<u16, String> {
    Ok(TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port())
}

impl OwnServer {
    /// Makes the cluster and starts it.
    pub fn start() -> Result<Self, String> {
        Self::start_with(&[])
    }

    /// Makes the cluster, adds `settings` (lines of `postgresql.conf`; `{dir}` stands for the
    /// cluster's folder) to its configuration, and starts it.
    pub fn start_with(settings: &[&str]) -> Result<Self, String> {
        let (bin, root, dir) = new_cluster("linkwork-own-pg-")?;
        let s = Self {
            bin,
            dir,
            port: free_port()?,
            root,
        };
        s.configure(settings)?;
        s.up()?;
        Ok(s)
    }

    /// A hot standby of `primary`, streaming from it (`pg_basebackup -R`), started.
    pub fn standby_of(primary: &OwnServer, settings: &[&str]) -> Result<Self, String> {
        let s = Self::empty_beside(primary, "linkwork-standby-pg-")?;
        primary.pg_basebackup(&s.dir.join("data"), true)?;
        s.configure(settings)?;
        s.up()?;
        Ok(s)
    }

    /// A base backup of this server (`pg_basebackup`, with the WAL to make it consistent)
    /// in `dest`, a folder that must not exist yet.
    pub fn base_backup(&self, dest: &Path) -> Result<(), String> {
        self.pg_basebackup(dest, false)
    }

    /// `pg_basebackup` of this server into `dest`, with the WAL streamed alongside; with
    /// `standby`, also the settings that make the copy a standby streaming from it (`-R`).
    fn pg_basebackup(&self, dest: &Path, standby: bool) -> Result<(), String> {
        let mut cmd = as_postgres(self.root, &self.bin.join("pg_basebackup"));
        cmd.args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-X",
            "stream",
            "-c",
            "fast",
        ])
        .arg("-p")
        .arg(self.port.to_string())
        .arg("-D")
        .arg(dest);
        if standby {
            cmd.arg("-R");
        }
        run(&mut cmd)
    }

    /// A new server recovered from the base backup in `base` and the WAL archived in
    /// `archive` (point-in-time recovery), up to `target` (a line such as
    /// `recovery_target_name = 'x'`), then promoted and started.
    pub fn recovered(
        beside: &OwnServer,
        base: &Path,
        archive: &Path,
        target: &str,
    ) -> Result<Self, String> {
        let s = Self::empty_beside(beside, "linkwork-recovered-pg-")?;
        let mut cmd = Command::new("cp");
        cmd.arg("-a").arg(base).arg(s.dir.join("data"));
        run(&mut cmd)?;
        std::fs::write(s.dir.join("data").join("recovery.signal"), "")
            .map_err(|e| e.to_string())?;
        let restore = format!("restore_command = 'cp {}/%f \"%p\"'", archive.display());
        s.configure(&[
            restore.as_str(),
            target,
            "recovery_target_action = 'promote'",
        ])?;
        s.up()?;
        Ok(s)
    }

    /// A folder for another cluster beside `other`, owned by `postgres` as root, with no
    /// cluster in it yet.
    fn empty_beside(other: &OwnServer, prefix: &str) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep();
        if other.root {
            run(Command::new("chown").arg("postgres:postgres").arg(&dir))?;
        }
        Ok(Self {
            bin: other.bin.clone(),
            dir,
            port: free_port()?,
            root: other.root,
        })
    }

    /// Appends `settings` to the cluster's `postgresql.auto.conf` (`{dir}` is its folder).
    fn configure(&self, settings: &[&str]) -> Result<(), String> {
        if settings.is_empty() {
            return Ok(());
        }
        use std::io::Write;
        let path = self.dir.join("data").join("postgresql.auto.conf");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        for line in settings {
            let line = line.replace("{dir}", &self.dir.display().to_string());
            writeln!(f, "{line}").map_err(|e| e.to_string())?;
        }
        drop(f);
        if self.root {
            run(Command::new("chown").arg("postgres:postgres").arg(&path))?;
        }
        Ok(())
    }

    /// The cluster's folder (its data in `data` inside); the test may make folders here.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A folder inside the cluster's folder that the server may write to.
    pub fn make_dir(&self, name: &str) -> Result<PathBuf, String> {
        let d = self.dir.join(name);
        std::fs::create_dir_all(&d).map_err(|e| e.to_string())?;
        if self.root {
            run(Command::new("chown").arg("postgres:postgres").arg(&d))?;
        }
        Ok(d)
    }

    /// Stops the server as a crash would (`immediate`: no shutdown checkpoint, clients cut).
    pub fn crash(&self) -> Result<(), String> {
        let mut cmd = as_postgres(self.root, &self.bin.join("pg_ctl"));
        cmd.arg("-D").arg(self.dir.join("data")).args([
            "-m",
            "immediate",
            "-w",
            "-t",
            "60",
            "stop",
        ]);
        run(&mut cmd)
    }

    /// Promotes a standby to a primary that takes writes.
    pub fn promote(&self) -> Result<(), String> {
        let mut cmd = as_postgres(self.root, &self.bin.join("pg_ctl"));
        cmd.arg("-D")
            .arg(self.dir.join("data"))
            .args(["-w", "-t", "60", "promote"]);
        run(&mut cmd)
    }

    /// The URL of database `name` on this server (`postgres` exists from the start).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Starts the server again after [`OwnServer::down`], on the same port and data.
    pub fn up(&self) -> Result<(), String> {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.display()
        );
        let mut cmd = as_postgres(self.root, &self.bin.join("pg_ctl"));
        cmd.arg("-D")
            .arg(self.dir.join("data"))
            .arg("-o")
            .arg(opts)
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-w", "-t", "60", "start"]);
        run(&mut cmd)
    }

    /// Stops the server (fast shutdown: open connections are cut, as in a restart).
    pub fn down(&self) -> Result<(), String> {
        let mut cmd = as_postgres(self.root, &self.bin.join("pg_ctl"));
        cmd.arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "fast", "-w", "-t", "60", "stop"]);
        run(&mut cmd)
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.down();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
