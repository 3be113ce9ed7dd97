//! No PostgreSQL set up: `clinic serve` runs its own, in its data folder, and stops it on exit.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use reqwest::StatusCode;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

/// `clinic` with no DATABASE_URL and a default address where nothing answers.
fn clinic(data_dir: &Path, nobody_at: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clinic"));
    command
        .env_remove("DATABASE_URL")
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", nobody_at.to_string())
        .env("CLINIC_DATA_DIR", data_dir)
        .env("CLINIC_MAIL_DIR", data_dir.join("mail"))
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1");
    command
}

/// A running `clinic serve`, stopped with SIGTERM (also when the test fails half way).
struct Server {
    child: Option<Child>,
    out: PathBuf,
}

impl Server {
    fn start(data_dir: &Path, nobody_at: u16, port: u16, run: u32) -> Server {
        let out = data_dir.with_extension(format!("run{run}.log"));
        let log = std::fs::File::create(&out).unwrap();
        let child = clinic(data_dir, nobody_at)
            .args(["serve", "--demo"])
            .env("CLINIC_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        Server {
            child: Some(child),
            out,
        }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    async fn wait_for_login_page(&mut self, port: u16) {
        for _ in 0..1200 {
            if let Ok(response) = reqwest::get(format!("http://127.0.0.1:{port}/login")).await
                && response.status() == StatusCode::OK
            {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("clinic exited ({status}):\n{}", self.output());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("the demo did not come up:\n{}", self.output());
    }

    async fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        tokio::task::spawn_blocking(move || child.wait())
            .await
            .unwrap()
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

/// Processes whose command line names the data folder (the postmaster is started with it).
fn servers_for(pgdata: &Path) -> Vec<String> {
    let wanted = pgdata.as_os_str().as_encoded_bytes();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .filter(|cmdline| cmdline.split(|b| *b == 0).any(|arg| arg == wanted))
        .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
        .collect()
}

async fn demo_accounts(pgdata: &Path) -> i64 {
    let mut db = PgConnectOptions::new()
        .socket(pgdata)
        .port(5432)
        .username("postgres")
        .database("clinic")
        .connect()
        .await
        .unwrap();
    let count = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    count
}

#[tokio::test]
async fn without_a_database_serve_runs_its_own_which_keeps_the_data_and_stops_on_exit() {
    let scratch = std::env::temp_dir().join(format!(
        "clinic-own-db-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&scratch).unwrap();
    let data_dir = scratch.join("data");
    let pgdata = data_dir.join("postgres");
    let nobody_at = free_port();
    let port = free_port();

    // First start: a fresh cluster, the demo loaded into it.
    let mut first = Server::start(&data_dir, nobody_at, port, 1);
    first.wait_for_login_page(port).await;
    let output = first.output();
    assert!(output.contains("Demo clinic loaded"), "{output}");
    assert!(
        output.contains(&format!(
            "with its data in {} (reached through a socket in that folder, no TCP port)",
            pgdata.display()
        )),
        "the log says where the data lives: {output}"
    );
    assert!(
        !servers_for(&pgdata).is_empty(),
        "a server runs for the folder"
    );
    let accounts = demo_accounts(&pgdata).await;
    assert!(accounts > 4, "{accounts}");
    // Another command meanwhile uses the running server and leaves it running.
    let code = clinic(&data_dir, nobody_at)
        .args(["demo", "code", "--email", "clinician@demo.clinic"])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&code.stdout);
    assert!(
        code.status.success() && said.trim().len() == 6,
        "{said}{}",
        String::from_utf8_lossy(&code.stderr)
    );
    assert!(!servers_for(&pgdata).is_empty(), "still running");
    assert_eq!(
        reqwest::get(format!("http://127.0.0.1:{port}/login"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(first.stop().await.code(), Some(0), "{}", first.output());
    assert!(
        servers_for(&pgdata).is_empty(),
        "no server left: {:?}",
        servers_for(&pgdata)
    );
    assert!(!pgdata.join("postmaster.pid").exists());
    assert!(first.output().contains("stopped clinic's own PostgreSQL"));
    // The app's connections close before the server stops, not cut under it.
    assert!(
        !first.output().contains("Broken pipe"),
        "{}",
        first.output()
    );

    // Second start: the same data, the demo not loaded twice.
    let mut second = Server::start(&data_dir, nobody_at, port, 2);
    second.wait_for_login_page(port).await;
    let output = second.output();
    assert!(output.contains("Demo clinic (loaded before)"), "{output}");
    assert!(
        !output.contains("creating clinic's own PostgreSQL cluster"),
        "{output}"
    );
    assert_eq!(demo_accounts(&pgdata).await, accounts);
    assert_eq!(second.stop().await.code(), Some(0), "{}", second.output());
    assert!(servers_for(&pgdata).is_empty());

    // A crash leaves postmaster.pid naming a process id that another program may hold by
    // the next start (here: this test): it does not block the start.
    std::fs::write(
        pgdata.join("postmaster.pid"),
        format!(
            "{}\n{}\n1764950000\n5432\n{}\n\n  5432001    0\nready   \n",
            std::process::id(),
            pgdata.display(),
            pgdata.display()
        ),
    )
    .unwrap();
    let migrate = clinic(&data_dir, nobody_at)
        .arg("migrate")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&migrate.stdout);
    assert!(
        migrate.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    assert!(said.contains("database is up to date"), "{said}");
    assert!(said.contains("removed the lock file"), "{said}");
    assert!(servers_for(&pgdata).is_empty());

    drop((first, second));
    std::fs::remove_dir_all(&scratch).unwrap();
}
