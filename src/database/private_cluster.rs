//! clinic's own PostgreSQL: when no `DATABASE_URL` is given and nothing answers at the default
//! address, `clinic` runs a private server from the machine's PostgreSQL programs, with its
//! data in a folder of its own, reached only through a socket inside that folder (no TCP
//! port), and stops it on exit. Plain `std::process` rather than a crate: it is three
//! programs (`initdb`, `postgres`, `pg_ctl`) and a lock file.
//!
//! Production keeps using a real server (docker-compose.yml); this is so the README's run
//! command is the whole set-up on a fresh machine.

use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The folder that holds clinic's own database (the cluster lives in its `postgres` folder).
#[derive(Clone, Debug, clap::Args)]
pub struct Options {
    /// Where clinic keeps its own PostgreSQL when DATABASE_URL is unset and no server answers
    /// at the default address. Default: $XDG_DATA_HOME/clinic, else ~/.local/share/clinic
    /// (as root: /var/lib/clinic).
    #[arg(long, env = "CLINIC_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
}

/// The three programs, each needed: `initdb` makes the cluster, `postgres` runs it, `pg_ctl`
/// stops it (also one left running by a clinic that crashed).
const PROGRAMS: [&str; 3] = ["initdb", "postgres", "pg_ctl"];

/// PostgreSQL's usual install folders, as (parent, prefix of the versioned folder name,
/// folder below it). The newest version comes first within each.
const INSTALL_FOLDERS: [(&str, &str, &str); 7] = [
    ("usr/lib/postgresql", "", "bin"),         // Debian, Ubuntu
    ("usr", "pgsql-", "bin"),                  // PGDG packages on Fedora, RHEL
    ("usr/local", "pgsql", "bin"),             // built from source
    ("opt/homebrew/opt", "postgresql", "bin"), // Homebrew on Apple silicon
    ("usr/local/opt", "postgresql", "bin"),    // Homebrew on Intel
    ("Applications/Postgres.app/Contents/Versions", "", "bin"),
    ("usr/local/Cellar", "postgresql", ""), // rare: not linked into opt
];

/// The server's socket port number (only names the socket file: no TCP port is opened).
const PORT: u16 = 5432;
/// A socket path longer than this does not fit in `sockaddr_un` on Linux and macOS.
const SOCKET_PATH_MAX: usize = 103;
const START_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "{why}, and PostgreSQL is not installed on this machine (no initdb, postgres and pg_ctl on the PATH or in the usual install folders). Install it with {install}, then run the same command again; or point DATABASE_URL at a running server."
    )]
    NotInstalled { why: String, install: String },
    #[error(
        "{why}, and there is no folder for clinic's own database: set CLINIC_DATA_DIR (or HOME), or point DATABASE_URL at a running server"
    )]
    NoDataDir { why: String },
    #[error("clinic's own PostgreSQL in {dir}: {reason}")]
    Failed { dir: String, reason: String },
}

/// A running private cluster. Dropping it stops the server if this process started it (or
/// took it over from a clinic that crashed).
pub struct PrivateCluster {
    pgdata: PathBuf,
    bin: PathBuf,
    run_as: Option<RunAs>,
    /// Whether this process stops the server on exit; another clinic that is still running
    /// (e.g. `clinic serve` while an admin runs `clinic user add`) keeps it.
    owner: bool,
    child: Option<Child>,
}

/// The unprivileged account the server runs as when clinic runs as root (PostgreSQL refuses
/// to run as root).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RunAs {
    uid: u32,
    gid: u32,
}

const UNPRIVILEGED_USER: &str = "postgres";

impl PrivateCluster {
    /// Starts (creating it the first time) the cluster in `data_dir/postgres`, or joins the one
    /// already running there. Blocking: call it from `spawn_blocking`.
    /// `why` says why clinic does not use the default server ("no PostgreSQL server answers
    /// at ...").
    pub fn start(data_dir: &Path, why: &str) -> Result<PrivateCluster, ClusterError> {
        let pgdata = data_dir.join("postgres");
        let failed = |reason: String| ClusterError::Failed {
            dir: pgdata.display().to_string(),
            reason,
        };
        let found = find_binaries(std::env::var_os("PATH").as_deref(), Path::new("/"));
        if found.is_empty() {
            return Err(ClusterError::NotInstalled {
                why: why.to_owned(),
                install: install_command(on_path).to_owned(),
            });
        }
        let socket = socket_path(&pgdata);
        if socket.as_os_str().len() > SOCKET_PATH_MAX {
            return Err(failed(format!(
                "the path of its socket ({}) is too long for the system; set CLINIC_DATA_DIR to a shorter folder",
                socket.display()
            )));
        }
        let run_as = if running_as_root() {
            Some(unprivileged_account().ok_or_else(|| {
                failed(format!(
                    "clinic runs as root, and PostgreSQL refuses to: it runs its server as the user `{UNPRIVILEGED_USER}`, which does not exist here. Create it (`useradd --system {UNPRIVILEGED_USER}`) or run clinic as an ordinary user"
                ))
            })?)
        } else {
            None
        };
        let on_disk = fs::read_to_string(pgdata.join("PG_VERSION"))
            .ok()
            .map(|v| v.trim().to_owned());
        let bin = choose_binaries(&found, on_disk.as_deref()).map_err(failed)?;
        prepare_folders(data_dir, &pgdata, run_as).map_err(failed)?;
        let mut cluster = PrivateCluster {
            pgdata: pgdata.clone(),
            bin,
            run_as,
            owner: true,
            child: None,
        };
        if on_disk.is_none() {
            cluster.initdb().map_err(failed)?;
        }
        match running_server(&pgdata) {
            Lock::Running => {
                // Another clinic started it; take it over only if that clinic is gone.
                cluster.owner = !owner_alive(data_dir);
                tracing::info!(
                    data = %pgdata.display(),
                    "using clinic's own PostgreSQL, already running"
                );
            }
            Lock::Stale => {
                // A crash left the lock file behind; its process id may now belong to
                // anything, which would make PostgreSQL refuse to start.
                fs::remove_file(pgdata.join("postmaster.pid"))
                    .map_err(|e| failed(format!("cannot remove the stale postmaster.pid: {e}")))?;
                tracing::info!("removed the lock file a stopped PostgreSQL left behind");
                cluster.launch().map_err(failed)?;
            }
            Lock::None => cluster.launch().map_err(failed)?,
        }
        if cluster.owner {
            let _ = fs::write(owner_file(data_dir), std::process::id().to_string());
        }
        cluster.wait_until_ready().map_err(failed)?;
        tracing::info!(
            data = %pgdata.display(),
            log = %pgdata.join("server.log").display(),
            "{why} and DATABASE_URL is unset: clinic runs its own, with its data in {} (reached through a socket in that folder, no TCP port); {}",
            pgdata.display(),
            if cluster.owner {
                "it stops when clinic does"
            } else {
                "the clinic that started it stops it"
            }
        );
        Ok(cluster)
    }

    /// The connection URL: superuser `postgres` over the socket in the data folder.
    pub fn database_url(&self) -> String {
        format!(
            "postgres://postgres@localhost/clinic?host={}&port={PORT}",
            percent_encode(&self.pgdata.to_string_lossy())
        )
    }

    /// The cluster's data folder (PGDATA).
    pub fn data_folder(&self) -> &Path {
        &self.pgdata
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        // PostgreSQL's programs complain when they cannot return to a current folder the
        // unprivileged user may not enter (e.g. /root).
        command.current_dir(&self.pgdata);
        if let Some(account) = self.run_as {
            command.uid(account.uid).gid(account.gid);
        }
        command
    }

    fn initdb(&self) -> Result<(), String> {
        tracing::info!(data = %self.pgdata.display(), "creating clinic's own PostgreSQL cluster");
        let output = self
            .command("initdb")
            .arg("--pgdata")
            .arg(&self.pgdata)
            .args(["--username", "postgres", "--encoding", "UTF8"])
            // C sorts the same everywhere and exists everywhere; the environment's locale
            // may be missing or not UTF-8.
            .args(["--locale", "C"])
            // Only local socket connections are possible, in a folder only the server's
            // user (and root) may enter.
            .args(["--auth-local", "trust", "--auth-host", "reject"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run initdb: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }

    fn launch(&mut self) -> Result<(), String> {
        let log_path = self.pgdata.join("server.log");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        let sockets = format!("\"{}\"", self.pgdata.to_string_lossy().replace('"', "\"\""));
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(&self.pgdata)
            .args(["-c", "listen_addresses="])
            .arg("-c")
            .arg(format!("unix_socket_directories={sockets}"))
            .args(["-c", "unix_socket_permissions=0700"])
            .arg("-c")
            .arg(format!("port={PORT}"))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // Its own process group: Ctrl-C in the terminal reaches clinic only, which then
            // finishes its requests before stopping the server.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot run postgres: {e}"))?;
        self.child = Some(child);
        Ok(())
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(format!(
                    "postgres stopped at once ({status}): {}",
                    self.log_tail()
                ));
            }
            let pid_file =
                fs::read_to_string(self.pgdata.join("postmaster.pid")).unwrap_or_default();
            if server_ready(&pid_file) && socket_path(&self.pgdata).exists() {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "postgres did not become ready within {} seconds: {}",
                    START_TIMEOUT.as_secs(),
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The end of the server's log, for an error message.
    fn log_tail(&self) -> String {
        let path = self.pgdata.join("server.log");
        let mut text = String::new();
        if let Ok(mut file) = fs::File::open(&path) {
            let length = file.metadata().map(|m| m.len()).unwrap_or(0);
            let _ = file.seek(SeekFrom::Start(length.saturating_sub(2000)));
            let _ = file.read_to_string(&mut text);
        }
        let last: Vec<&str> = text.lines().rev().take(5).collect();
        let last: Vec<&str> = last.into_iter().rev().collect();
        format!("{} (log: {})", last.join(" / "), path.display())
    }

    fn stop(&mut self) {
        if !self.owner {
            return;
        }
        self.owner = false;
        let stopped = self
            .command("pg_ctl")
            .args([
                "stop",
                "--mode",
                "fast",
                "--wait",
                "--timeout",
                "60",
                "--pgdata",
            ])
            .arg(&self.pgdata)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output();
        match stopped {
            Ok(output) if output.status.success() => {
                tracing::info!(data = %self.pgdata.display(), "stopped clinic's own PostgreSQL");
            }
            Ok(output) => tracing::warn!(
                data = %self.pgdata.display(),
                error = %String::from_utf8_lossy(&output.stderr).trim(),
                "could not stop clinic's own PostgreSQL"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "could not run pg_ctl to stop clinic's own PostgreSQL")
            }
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
        if let Some(data_dir) = self.pgdata.parent() {
            let _ = fs::remove_file(owner_file(data_dir));
        }
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where the data folder is by default: the XDG data folder, as root /var/lib/clinic (root's
/// home is closed to the unprivileged user the server runs as).
pub fn default_data_dir() -> Option<PathBuf> {
    if running_as_root() {
        return Some(PathBuf::from("/var/lib/clinic"));
    }
    data_dir_from(
        std::env::var_os("XDG_DATA_HOME").as_deref(),
        std::env::var_os("HOME").as_deref(),
    )
}

fn data_dir_from(xdg_data_home: Option<&OsStr>, home: Option<&OsStr>) -> Option<PathBuf> {
    // The XDG spec says to ignore a relative XDG_DATA_HOME.
    match xdg_data_home.map(Path::new).filter(|p| p.is_absolute()) {
        Some(xdg) => Some(xdg.join("clinic")),
        None => home
            .map(Path::new)
            .filter(|p| !p.as_os_str().is_empty())
            .map(|home| home.join(".local/share/clinic")),
    }
}

fn socket_path(pgdata: &Path) -> PathBuf {
    pgdata.join(format!(".s.PGSQL.{PORT}"))
}

fn owner_file(data_dir: &Path) -> PathBuf {
    data_dir.join("postgres.owner")
}

/// Makes the data folder and the cluster folder, the latter private to the server's user.
fn prepare_folders(data_dir: &Path, pgdata: &Path, run_as: Option<RunAs>) -> Result<(), String> {
    fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    if !pgdata.exists() {
        fs::DirBuilder::new()
            .mode(0o700)
            .create(pgdata)
            .map_err(|e| format!("cannot create {}: {e}", pgdata.display()))?;
    }
    if let Some(account) = run_as {
        std::os::unix::fs::chown(pgdata, Some(account.uid), Some(account.gid)).map_err(|e| {
            format!(
                "cannot give {} to the user {UNPRIVILEGED_USER}: {e}",
                pgdata.display()
            )
        })?;
        // The server's user must be able to pass through every folder above its own.
        let mut above = pgdata.parent();
        while let Some(folder) = above {
            if let Ok(meta) = fs::metadata(folder)
                && meta.permissions().mode() & 0o001 == 0
            {
                return Err(format!(
                    "the server runs as the user {UNPRIVILEGED_USER}, who cannot enter {}; choose a data folder outside it with CLINIC_DATA_DIR",
                    folder.display()
                ));
            }
            above = folder.parent();
        }
    }
    Ok(())
}

enum Lock {
    None,
    Running,
    Stale,
}

/// Whether a server holds the cluster's lock file: one whose process is gone, or is some
/// other program that reuses its id (common after a reboot or in a container), is stale.
fn running_server(pgdata: &Path) -> Lock {
    let Ok(content) = fs::read_to_string(pgdata.join("postmaster.pid")) else {
        return Lock::None;
    };
    let Some(pid) = content
        .lines()
        .next()
        .and_then(|l| l.trim().parse::<u32>().ok())
    else {
        return Lock::Stale;
    };
    let proc_dir = Path::new("/proc");
    if proc_dir.join("self").exists() {
        // Linux: the postmaster was started with this data folder on its command line.
        let cmdline = fs::read(proc_dir.join(pid.to_string()).join("cmdline")).unwrap_or_default();
        let wanted = pgdata.as_os_str().as_encoded_bytes();
        let found = cmdline.split(|b| *b == 0).any(|arg| arg == wanted);
        return if found { Lock::Running } else { Lock::Stale };
    }
    if process_alive(pid) {
        Lock::Running
    } else {
        Lock::Stale
    }
}

/// Whether the clinic process that started the server is still running.
fn owner_alive(data_dir: &Path) -> bool {
    fs::read_to_string(owner_file(data_dir))
        .ok()
        .and_then(|pid| pid.trim().parse::<u32>().ok())
        .is_some_and(|pid| pid != std::process::id() && process_alive(pid))
}

fn process_alive(pid: u32) -> bool {
    let proc_dir = Path::new("/proc");
    if proc_dir.join("self").exists() {
        return proc_dir.join(pid.to_string()).exists();
    }
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether postmaster.pid says the server accepts connections (its eighth line, since
/// PostgreSQL 10).
fn server_ready(pid_file: &str) -> bool {
    pid_file.lines().nth(7).is_some_and(|s| s.trim() == "ready")
}

fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The uid and gid of the unprivileged user, from /etc/passwd.
fn unprivileged_account() -> Option<RunAs> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    account_in_passwd(&passwd, UNPRIVILEGED_USER)
}

fn account_in_passwd(passwd: &str, name: &str) -> Option<RunAs> {
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 4 || fields[0] != name {
            return None;
        }
        Some(RunAs {
            uid: fields[2].parse().ok()?,
            gid: fields[3].parse().ok()?,
        })
    })
}

/// Folders holding all three programs: those on the PATH first (what the user chose), then
/// the usual install folders, newest version first. `root` is `/` except in tests.
pub fn find_binaries(path: Option<&OsStr>, root: &Path) -> Vec<PathBuf> {
    let mut candidates: Vec<PathBuf> = path
        .map(|p| std::env::split_paths(p).collect())
        .unwrap_or_default();
    for (parent, prefix, below) in INSTALL_FOLDERS {
        let parent = root.join(parent);
        let Ok(entries) = fs::read_dir(&parent) else {
            continue;
        };
        let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let rest = name.strip_prefix(prefix)?;
                let dir = entry.path().join(below);
                Some((version_key(rest), dir))
            })
            .collect();
        versions.sort_by(|a, b| b.0.cmp(&a.0));
        candidates.extend(versions.into_iter().map(|(_, dir)| dir));
    }
    let mut found: Vec<PathBuf> = Vec::new();
    for dir in candidates {
        if PROGRAMS.iter().all(|p| dir.join(p).is_file()) && !found.contains(&dir) {
            found.push(dir);
        }
    }
    found
}

/// "16" -> [16], "@15" -> [15], "9.6" -> [9, 6], "" -> [] (sorts last).
fn version_key(name: &str) -> Vec<u32> {
    name.split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .filter_map(|part| part.parse().ok())
        .collect()
}

/// The programs to use: for an existing cluster those of the version that made it (another
/// major version cannot read it), else the first found.
fn choose_binaries(found: &[PathBuf], on_disk: Option<&str>) -> Result<PathBuf, String> {
    let Some(wanted) = on_disk else {
        return found
            .first()
            .cloned()
            .ok_or_else(|| "no PostgreSQL programs".to_owned());
    };
    let mut seen = Vec::new();
    for dir in found {
        let version = Command::new(dir.join("postgres"))
            .arg("--version")
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .and_then(|text| major_version(&text));
        if version.as_deref() == Some(wanted) {
            return Ok(dir.clone());
        }
        seen.extend(version);
    }
    Err(format!(
        "its data was made by PostgreSQL {wanted}, and only PostgreSQL {} is installed; install PostgreSQL {wanted} or move the folder away to start afresh",
        if seen.is_empty() {
            "of unknown version".to_owned()
        } else {
            seen.join(", ")
        }
    ))
}

/// "postgres (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)" -> "15"; "9.6.24" -> "9.6".
fn major_version(version_output: &str) -> Option<String> {
    let number = version_output
        .split_whitespace()
        .find(|word| word.starts_with(|c: char| c.is_ascii_digit()))?;
    let parts: Vec<&str> = number.split('.').collect();
    let major: String = parts
        .first()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if major.parse::<u32>().ok()? < 10 {
        Some(format!("{major}.{}", parts.get(1)?))
    } else {
        Some(major)
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// The one command that installs PostgreSQL here, from the package manager on the PATH.
pub fn install_command(has: impl Fn(&str) -> bool) -> &'static str {
    if has("apt-get") {
        "`sudo apt install postgresql`"
    } else if has("dnf") {
        "`sudo dnf install postgresql-server`"
    } else if has("brew") {
        "`brew install postgresql@17`"
    } else {
        "`sudo apt install postgresql` (Debian, Ubuntu), `sudo dnf install postgresql-server` (Fedora, RHEL) or `brew install postgresql@17` (macOS)"
    }
}

/// Percent-encodes a query parameter value.
fn percent_encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("clinic-pg-lookup-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn install(dir: &Path, programs: &[&str]) {
        fs::create_dir_all(dir).unwrap();
        for program in programs {
            fs::write(dir.join(program), "").unwrap();
        }
    }

    #[test]
    fn finds_the_newest_install_folder_that_has_all_three_programs() {
        let root = scratch("newest");
        install(&root.join("usr/lib/postgresql/9.6/bin"), &PROGRAMS);
        install(&root.join("usr/lib/postgresql/16/bin"), &PROGRAMS);
        install(&root.join("usr/lib/postgresql/13/bin"), &PROGRAMS);
        // A client-only install (no server programs) does not count.
        install(&root.join("usr/lib/postgresql/17/bin"), &["pg_ctl"]);
        install(&root.join("opt/homebrew/opt/postgresql@15/bin"), &PROGRAMS);
        let found = find_binaries(None, &root);
        assert_eq!(
            found,
            [
                root.join("usr/lib/postgresql/16/bin"),
                root.join("usr/lib/postgresql/13/bin"),
                root.join("usr/lib/postgresql/9.6/bin"),
                root.join("opt/homebrew/opt/postgresql@15/bin"),
            ]
        );
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn programs_on_the_path_come_first() {
        let root = scratch("path");
        install(&root.join("usr/local/pgsql/bin"), &PROGRAMS);
        install(&root.join("mine/bin"), &PROGRAMS);
        install(&root.join("partial/bin"), &["initdb", "postgres"]);
        let path = std::env::join_paths([root.join("partial/bin"), root.join("mine/bin")]).unwrap();
        let found = find_binaries(Some(&path), &root);
        assert_eq!(
            found,
            [root.join("mine/bin"), root.join("usr/local/pgsql/bin")]
        );
        assert!(find_binaries(None, &root.join("nothing-here")).is_empty());
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn not_installed_names_the_command_for_the_package_manager_at_hand() {
        assert_eq!(
            install_command(|p| p == "apt-get"),
            "`sudo apt install postgresql`"
        );
        assert_eq!(
            install_command(|p| p == "dnf"),
            "`sudo dnf install postgresql-server`"
        );
        assert_eq!(
            install_command(|p| p == "brew"),
            "`brew install postgresql@17`"
        );
        let unknown = install_command(|_| false);
        for command in ["apt install postgresql", "dnf install", "brew install"] {
            assert!(unknown.contains(command), "{unknown}");
        }
        let message = ClusterError::NotInstalled {
            why: "no PostgreSQL server answers at postgres://postgres@localhost:5432/clinic".into(),
            install: install_command(|p| p == "apt-get").into(),
        }
        .to_string();
        assert!(
            message.contains("PostgreSQL is not installed")
                && message.contains("Install it with `sudo apt install postgresql`"),
            "{message}"
        );
    }

    #[test]
    fn reads_major_versions_and_the_ready_line() {
        assert_eq!(
            major_version("postgres (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)\n").as_deref(),
            Some("15")
        );
        assert_eq!(
            major_version("postgres (PostgreSQL) 9.6.24").as_deref(),
            Some("9.6")
        );
        assert_eq!(
            major_version("postgres (PostgreSQL) 17beta1").as_deref(),
            Some("17")
        );
        assert_eq!(major_version("nothing"), None);
        let ready = "123\n/d\n1\n5432\n/d\n\n0 0\nready   \n";
        assert!(server_ready(ready));
        assert!(!server_ready(&ready.replace("ready", "starting")));
        assert!(!server_ready(""));
    }

    #[test]
    fn data_folder_follows_xdg_then_home() {
        assert_eq!(
            data_dir_from(Some(OsStr::new("/x/data")), Some(OsStr::new("/home/a"))),
            Some(PathBuf::from("/x/data/clinic"))
        );
        assert_eq!(
            data_dir_from(Some(OsStr::new("relative")), Some(OsStr::new("/home/a"))),
            Some(PathBuf::from("/home/a/.local/share/clinic"))
        );
        assert_eq!(data_dir_from(None, None), None);
    }

    #[test]
    fn finds_the_unprivileged_account_and_encodes_the_socket_folder() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\npostgres:x:101:104:PostgreSQL:/var/lib/postgresql:/bin/bash\n";
        assert_eq!(
            account_in_passwd(passwd, "postgres"),
            Some(RunAs { uid: 101, gid: 104 })
        );
        assert_eq!(account_in_passwd(passwd, "nobody"), None);
        assert_eq!(percent_encode("/a b/c&d"), "/a%20b/c%26d");
    }
}
