//! An audit trail a database superuser cannot shorten unnoticed, and an app that runs as a
//! role which may only add to it.

use std::process::Command;

use clinic::audit::{self, Anchor, AnchorCheck, ChainCheck};
use clinic::auth::model::Role;
use reqwest::StatusCode;
use sqlx::postgres::PgPoolOptions;

use crate::support::{TestApp, database_url, server_options};

fn clinic(database: &str) -> Command {
    let (server, _) = database_url()
        .rsplit_once('/')
        .map(|(s, d)| (s.to_owned(), d.to_owned()))
        .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_clinic"));
    command
        .env("RUST_LOG", "warn")
        .env("CLINIC_MAIL_DIR", "")
        .env("DATABASE_URL", format!("{server}/{database}"));
    command
}

/// What a superuser could do: switch every guard off, run `statement`, switch them on.
async fn with_triggers_off(app: &TestApp, table: &str, statement: &str) {
    let mut tx = app.db.begin().await.unwrap();
    for sql in [
        format!("ALTER TABLE {table} DISABLE TRIGGER USER"),
        statement.to_owned(),
        format!("ALTER TABLE {table} ENABLE TRIGGER USER"),
    ] {
        sqlx::query(&sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn waiting_entries_cannot_be_deleted_before_they_are_sealed() {
    let app = TestApp::spawn().await;
    app.logged_in(Role::Patient, "pat@clinic.test").await;
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_inbox")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(waiting > 0);
    let error = sqlx::query("DELETE FROM audit_inbox")
        .execute(&app.db)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("not yet sealed"), "{error}");
    // Sealing still moves them, and the chain holds.
    assert_eq!(audit::seal(&app.db).await.unwrap(), waiting);
    assert_eq!(
        audit::verify_chain(&app.db).await.unwrap(),
        ChainCheck::Intact
    );
}

#[tokio::test]
async fn an_anchor_catches_newest_entries_deleted_with_the_triggers_off() {
    let app = TestApp::spawn().await;
    for n in 0..3 {
        app.logged_in(Role::Patient, &format!("p{n}@clinic.test"))
            .await;
    }
    let anchor = clinic(&app.database_name)
        .args(["audit", "anchor"])
        .output()
        .unwrap();
    assert!(
        anchor.status.success(),
        "{}",
        String::from_utf8_lossy(&anchor.stderr)
    );
    let line = String::from_utf8(anchor.stdout).unwrap();
    assert_eq!(line.trim_end().lines().count(), 1, "{line}");
    let parsed = Anchor::parse(&line).unwrap();
    let head: i64 = sqlx::query_scalar("SELECT max(chain_seq) FROM audit_events")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(parsed.seq, head);
    let verify = |extra: &[&str]| {
        clinic(&app.database_name)
            .args(["audit", "verify"])
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(verify(&["--anchor", line.trim()]).status.success());

    // A superuser cuts the newest entries off: the shorter chain is still intact...
    with_triggers_off(
        &app,
        "audit_events",
        "DELETE FROM audit_events WHERE chain_seq > (SELECT max(chain_seq) - 2 FROM audit_events)",
    )
    .await;
    assert!(verify(&[]).status.success());
    // ... but the anchor is gone.
    let checked = verify(&["--anchor", line.trim()]);
    assert_eq!(checked.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert!(stderr.contains("cut back"), "{stderr}");
    assert_eq!(
        audit::check_anchor(&app.db, &parsed).await.unwrap(),
        AnchorCheck::Gone
    );
    // A malformed anchor is refused with what it should look like.
    let bad = verify(&["--anchor", "seq=banana"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("audit-anchor seq=N"));
}

#[tokio::test]
async fn a_rewritten_anchored_entry_is_caught() {
    let app = TestApp::spawn().await;
    app.logged_in(Role::Patient, "p@clinic.test").await;
    audit::seal(&app.db).await.unwrap();
    let anchor = audit::anchor(&app.db).await.unwrap().unwrap();
    with_triggers_off(
        &app,
        "audit_events",
        &format!(
            "UPDATE audit_events SET hash = sha256(hash) WHERE chain_seq = {}",
            anchor.seq
        ),
    )
    .await;
    assert_eq!(
        audit::check_anchor(&app.db, &anchor).await.unwrap(),
        AnchorCheck::Changed
    );
}

#[tokio::test]
async fn the_daily_anchor_is_mailed_to_admins_once_a_day() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Admin, "avery@clinic.test").await;
    app.add_user(Role::Admin, "blake@clinic.test").await;
    app.add_user(Role::Clinician, "casey@clinic.test").await;
    let sent = audit::mail_daily_anchor(&app.db).await.unwrap().unwrap();
    let mails: Vec<(String, String)> = sqlx::query_as(
        "SELECT recipient, body FROM outbox WHERE kind = 'audit_anchor' ORDER BY recipient",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0].0, "avery@clinic.test");
    assert!(mails.iter().all(|(_, body)| body.contains(&sent.line())));
    // Another process, or the next hourly check, does not send it again the same day.
    assert_eq!(audit::mail_daily_anchor(&app.db).await.unwrap(), None);
}

/// A login role inside `clinic_app`, as an operator would create for the app.
async fn restricted_pool(database: &str) -> sqlx::PgPool {
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(server_options())
        .await
        .unwrap();
    // Tests in parallel may race to create it; one wins.
    let _ = sqlx::query("CREATE ROLE clinic_test_app LOGIN IN ROLE clinic_app")
        .execute(&admin)
        .await;
    admin.close().await;
    PgPoolOptions::new()
        .max_connections(8)
        .connect_with(
            server_options()
                .database(database)
                .username("clinic_test_app"),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn the_app_runs_as_a_role_that_may_only_add_to_the_audit_trail() {
    let owner = TestApp::spawn().await;
    let pool = restricted_pool(&owner.database_name).await;
    // The schema is current: starting needs no right to migrate.
    clinic::database::migrate(&pool).await.unwrap();
    let app = TestApp::spawn_on(owner.database_name.clone(), pool.clone()).await;

    // Normal flows: staff and patients log in, a patient registers and keeps their details,
    // the admin reads the audit log, and the trail is sealed.
    let (admin, _) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    admin.get("/admin/audit").await.assert_contains("login");
    let patient = app.client();
    let registered = app
        .register_patient(
            &patient,
            &[
                ("name", "Reggie Restricted"),
                ("email", "reggie@clinic.test"),
                ("date_of_birth", "1980-01-01"),
                ("password", "a long enough passphrase"),
            ],
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::SEE_OTHER,
        "{}",
        registered.body
    );
    let patients: i64 = sqlx::query_scalar("SELECT count(*) FROM patients")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(patients, 1);
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    assert_eq!(
        desk.get("/front-desk/patients?q=Reggie").await.status,
        StatusCode::OK
    );
    assert!(audit::seal(&pool).await.unwrap() > 0);
    assert_eq!(
        audit::verify_chain(&pool).await.unwrap(),
        ChainCheck::Intact
    );

    // But it cannot change, delete or empty the trail, nor undo migrations.
    for statement in [
        "UPDATE audit_events SET outcome = 'failure'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "UPDATE audit_inbox SET outcome = 'failure'",
        "DELETE FROM audit_inbox",
        "TRUNCATE audit_inbox",
        "ALTER TABLE audit_events DISABLE TRIGGER USER",
        "DELETE FROM _sqlx_migrations",
    ] {
        let error = sqlx::query(statement).execute(&pool).await.unwrap_err();
        assert!(
            error.to_string().contains("permission denied")
                || error.to_string().contains("must be owner"),
            "{statement}: {error}"
        );
    }
    // Nor seal made-up links.
    let error = sqlx::query("SELECT audit_seal_entries(ARRAY[1]::bigint[], ARRAY[999]::bigint[], ARRAY['\\x00'::bytea], ARRAY['\\x00'::bytea])")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("does not continue the chain"),
        "{error}"
    );
}
