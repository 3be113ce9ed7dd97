//! The `clinic` command itself: start-up errors, account creation, audit check, shutdown.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;

use crate::support::{Client, database_url, fresh_database};

fn clinic() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clinic"));
    command.env("RUST_LOG", "warn");
    // Mail the commands write goes to a scratch folder, not into the checkout.
    command.env(
        "CLINIC_MAIL_DIR",
        std::env::temp_dir().join("clinic-test-mail"),
    );
    command
}

/// The URL of database `name` on the test server.
fn url_for(name: &str) -> String {
    let base = database_url();
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{name}")
}

#[test]
fn an_unreachable_database_gets_one_clear_line_without_the_password() {
    let output = clinic()
        .args(["migrate"])
        .env(
            "DATABASE_URL",
            "postgres://clinic:hunter2secret@127.0.0.1:1/clinic",
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with(
            "error: cannot reach PostgreSQL at postgres://clinic:***@127.0.0.1:1/clinic"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("Start PostgreSQL"), "{stderr}");
    assert!(
        !stderr.contains("hunter2secret") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn passwords_holding_at_signs_or_given_as_a_query_parameter_are_not_printed() {
    for url in [
        "postgres://clinic:hun@ter2@127.0.0.1:1/clinic",
        "postgres://clinic@127.0.0.1:1/clinic?sslmode=disable&password=hunter2query",
    ] {
        let output = clinic()
            .args(["migrate"])
            .env("DATABASE_URL", url)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
        for secret in ["hun@ter2", "ter2", "hunter2query"] {
            assert!(!stderr.contains(secret), "{secret} printed: {stderr}");
        }
    }
}

#[tokio::test]
async fn migrate_creates_a_missing_database_and_user_add_reads_the_password_from_stdin() {
    let name = format!(
        "clinic_test_run_{}_cli",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    );
    let url = url_for(&name);
    let output = clinic()
        .args(["migrate"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let add = |role: &str, email: &str, password: &str, extra: &[&str]| {
        let mut child = clinic()
            .args([
                "user",
                "add",
                "--role",
                role,
                "--email",
                email,
                "--name",
                "Someone Example",
            ])
            .args(extra)
            .env("DATABASE_URL", &url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let ok = add(
        "front-desk",
        "frankie@clinic.test",
        "a long desk passphrase",
        &[],
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        String::from_utf8_lossy(&ok.stdout)
            .contains("added front desk account frankie@clinic.test")
    );
    let weak = add("admin", "avery@clinic.test", "password", &[]);
    assert_eq!(weak.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password: This password is on a list"));
    let patient = add(
        "patient",
        "pat@clinic.test",
        "a long patient passphrase",
        &["--date-of-birth", "1980-02-03"],
    );
    assert!(
        patient.status.success(),
        "{}",
        String::from_utf8_lossy(&patient.stderr)
    );
    let again = add(
        "clinician",
        "FRANKIE@clinic.test",
        "another long passphrase",
        &[],
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let roles: Vec<String> = sqlx::query_scalar("SELECT role::text FROM users ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(roles, ["front_desk", "patient"]);
    pool.close().await;

    let verify = clinic()
        .args(["audit", "verify"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(verify.status.success());
    assert!(
        String::from_utf8_lossy(&verify.stdout).contains("audit trail intact: 2 entries checked")
    );

    let mut admin = sqlx::PgConnection::connect(&url_for("postgres"))
        .await
        .unwrap();
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}

use sqlx::Connection;

#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish_then_exits_zero() {
    let (name, pool) = fresh_database().await;
    let url = url_for(&name);
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let mut server = clinic()
        .args(["serve"])
        .env("DATABASE_URL", &url)
        .env("CLINIC_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = Client::new(&format!("http://127.0.0.1:{port}"));
    let mut ready = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if reqwest::get(client.url("/readyz"))
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            ready = true;
            break;
        }
    }
    assert!(ready, "server did not become ready");
    let token = client.csrf_token().await;

    // Hold a lock that the login handler's first query must wait for: the request is in flight.
    let mut blocker = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE clinic_settings IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let in_flight = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .post_raw(
                    "/login",
                    &[
                        ("email", "x@clinic.test"),
                        ("password", "whatever it is"),
                        ("csrf_token", &token),
                    ],
                )
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        server.try_wait().unwrap().is_none(),
        "the server waits for the request in flight"
    );
    // New requests are no longer served.
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    assert!(quick.get(client.url("/healthz")).send().await.is_err());

    blocker.commit().await.unwrap();
    let page = in_flight.await.unwrap();
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the in-flight login got its answer"
    );
    let status = tokio::task::spawn_blocking(move || server.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}
