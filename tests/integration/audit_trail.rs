//! The audit trail: append-only in the database, hash-chained, browsable by admins.

use clinic::audit::{self, ChainCheck};
use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::support::{PASSWORD, TestApp};

/// actor_id, actor_role, action, outcome, client_addr, request_id
type AuditLine = (
    Option<i64>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// What a superuser could do: switch the guard off, change a row, switch it back on.
async fn behind_the_apps_back(app: &TestApp, statement: &str, id: i64) {
    let mut tx = app.db.begin().await.unwrap();
    let guard = "audit_events_no_update_delete";
    sqlx::query(&format!("ALTER TABLE audit_events DISABLE TRIGGER {guard}"))
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(statement)
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(&format!("ALTER TABLE audit_events ENABLE TRIGGER {guard}"))
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_audit_entries() {
    let app = TestApp::spawn().await;
    app.logged_in(Role::Admin, "avery@clinic.test").await;
    // Waiting for the sealer, an entry cannot be edited or wiped...
    for statement in [
        "UPDATE audit_inbox SET outcome = 'failure'",
        "TRUNCATE audit_inbox",
    ] {
        let error = sqlx::query(statement).execute(&app.db).await.unwrap_err();
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    // ... and once sealed, not changed, deleted or re-sealed elsewhere in the chain.
    assert!(audit::seal(&app.db).await.unwrap() > 0);
    for statement in [
        "UPDATE audit_events SET outcome = 'failure'",
        "UPDATE audit_events SET chain_seq = chain_seq + 100",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ] {
        let error = sqlx::query(statement).execute(&app.db).await.unwrap_err();
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
}

#[tokio::test]
async fn the_sealer_hashes_exactly_as_the_database_verifies() {
    let app = TestApp::spawn().await;
    // Absent fields, separators and characters beyond ASCII in what the hash covers.
    for (actor, patient, detail) in [
        (None, None, None),
        (Some(7), Some(11), Some("naïve ☕ café, 日本語")),
        (
            Some(8),
            None,
            Some("tab\there | pipe \u{1f} unit separator"),
        ),
        (None, Some(12), Some("")),
    ] {
        let entry = audit::Entry {
            action: "screening.view",
            actor_id: actor,
            actor_role: actor.map(|_| "clinician"),
            patient_id: patient,
            detail: detail.map(str::to_owned),
            ..audit::Entry::default()
        };
        audit::record(&app.db, entry).await.unwrap();
    }
    assert_eq!(audit::seal(&app.db).await.unwrap(), 4);
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events
         WHERE hash <> audit_event_digest(prev_hash, id, at, actor_id, actor_role, action,
                                          patient_id, outcome, client_addr, request_id, detail)",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);
    assert_eq!(
        audit::verify_chain(&app.db).await.unwrap(),
        ChainCheck::Intact
    );
}

#[tokio::test]
async fn entries_record_who_what_when_where_and_the_request() {
    let app = TestApp::spawn().await;
    let (client, user_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    client.post("/logout", &[]).await;
    app.client().login("casey@clinic.test", "wrong").await;
    let rows: Vec<AuditLine> = sqlx::query_as(
        "SELECT actor_id, actor_role, action, outcome, client_addr, request_id FROM audit_log
         WHERE action IN ('login', 'logout', 'login.failed') ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let summary: Vec<(&str, &str)> = rows.iter().map(|r| (r.2.as_str(), r.3.as_str())).collect();
    assert_eq!(
        summary,
        [
            ("login", "success"),
            ("logout", "success"),
            ("login.failed", "failure")
        ]
    );
    for row in &rows {
        assert_eq!(row.0, Some(user_id));
        assert_eq!(row.1.as_deref(), Some("clinician"));
        assert_eq!(row.4.as_deref(), Some("127.0.0.1"));
        assert_eq!(row.5.as_ref().map(String::len), Some(16));
    }
}

#[tokio::test]
async fn the_hash_chain_verifies_and_reports_the_first_broken_link() {
    let app = TestApp::spawn().await;
    for n in 0..4 {
        app.logged_in(Role::Patient, &format!("p{n}@clinic.test"))
            .await;
    }
    // Entries wait in the inbox (visible in the log at once), then the sealer chains them.
    let unsealed: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE NOT sealed")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(unsealed > 0);
    let sealed = audit::seal(&app.db).await.unwrap();
    assert_eq!(sealed, unsealed);
    assert_eq!(
        audit::count(&app.db).await.unwrap(),
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_events")
            .fetch_one(&app.db)
            .await
            .unwrap()
    );
    assert_eq!(
        audit::seal(&app.db).await.unwrap(),
        0,
        "nothing left to seal"
    );
    // The sealer's clean-up of the inbox leaves the trail as it was.
    audit::tidy_inbox(&app.db).await.unwrap();
    assert_eq!(
        audit::verify_chain(&app.db).await.unwrap(),
        ChainCheck::Intact
    );
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM audit_events ORDER BY id")
        .fetch_all(&app.db)
        .await
        .unwrap();
    let victim = ids[3];

    // Someone with superuser rights edits a row behind the application's back.
    behind_the_apps_back(
        &app,
        "UPDATE audit_events SET outcome = 'failure' WHERE id = $1",
        victim,
    )
    .await;
    assert_eq!(
        audit::verify_chain(&app.db).await.unwrap(),
        ChainCheck::Broken { id: victim }
    );

    // A deleted row breaks the link of the one after it.
    let app = TestApp::spawn().await;
    for n in 0..3 {
        app.logged_in(Role::Patient, &format!("p{n}@clinic.test"))
            .await;
    }
    audit::seal(&app.db).await.unwrap();
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM audit_events ORDER BY id")
        .fetch_all(&app.db)
        .await
        .unwrap();
    behind_the_apps_back(&app, "DELETE FROM audit_events WHERE id = $1", ids[1]).await;
    assert_eq!(
        audit::verify_chain(&app.db).await.unwrap(),
        ChainCheck::Broken { id: ids[2] }
    );
}

#[tokio::test]
async fn concurrent_writers_keep_one_unbroken_chain() {
    let app = TestApp::spawn().await;
    let mut tasks = Vec::new();
    for n in 0..40 {
        let db = app.db.clone();
        tasks.push(tokio::spawn(async move {
            let entry = audit::Entry {
                action: "login",
                detail: Some(format!("writer {n}")),
                ..audit::Entry::default()
            };
            audit::record(&db, entry).await.unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // Several sealers at once still make one chain.
    let sealers: Vec<_> = (0..3)
        .map(|_| {
            let db = app.db.clone();
            tokio::spawn(async move { audit::seal(&db).await.unwrap() })
        })
        .collect();
    let mut sealed = 0;
    for sealer in sealers {
        sealed += sealer.await.unwrap();
    }
    assert_eq!(sealed, 40);
    assert_eq!(
        audit::verify_chain(&app.db).await.unwrap(),
        ChainCheck::Intact
    );
    assert_eq!(audit::count(&app.db).await.unwrap(), 40);
}

#[tokio::test]
async fn admins_browse_the_log_with_filters_and_pages() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    app.add_user(Role::Clinician, "casey@clinic.test").await;
    for _ in 0..3 {
        app.client().login("casey@clinic.test", "wrong").await;
    }
    for n in 0..60 {
        let entry = audit::Entry {
            action: "logout",
            detail: Some(format!("bulk {n}")),
            ..audit::Entry::default()
        };
        audit::record(&app.db, entry).await.unwrap();
    }

    let page = admin.get("/admin/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.body.matches("<tr>").count(),
        51,
        "header row + 50 entries"
    );
    page.assert_contains("bulk 59")
        .assert_lacks("bulk 9<")
        .assert_contains("Older entries");
    let older = page
        .body
        .split("href=\"/admin/audit?before=")
        .nth(1)
        .unwrap();
    let older = format!("/admin/audit?before={}", &older[..older.find('"').unwrap()]);
    admin
        .get(&older)
        .await
        .assert_contains("bulk 9<")
        .assert_lacks("bulk 59");

    let failed = admin
        .get("/admin/audit?action=login.failed&actor=CASEY%40clinic.test")
        .await;
    assert_eq!(
        failed.body.matches("<tr>").count(),
        4,
        "header + 3 failed logins"
    );
    failed
        .assert_lacks("bulk")
        .assert_contains("casey@clinic.test");

    let today = time::OffsetDateTime::now_utc().date();
    let dated = admin
        .get(&format!(
            "/admin/audit?from={today}&to={today}&action=login"
        ))
        .await;
    dated.assert_contains("avery@clinic.test");
    let future = admin.get("/admin/audit?from=2999-01-01").await;
    future.assert_contains("No entries.");

    let bad = admin.get("/admin/audit?patient=abc&from=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_contains("id=\"patient-error\"")
        .assert_contains("id=\"from-error\"")
        .assert_contains("value=\"abc\"");
    let _ = PASSWORD;
}
