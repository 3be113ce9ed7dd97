//! Staff email through the outbox, against a small fake mail relay.

use clinic::auth::model::Role;
use clinic::notify::{self, Mailer};

use crate::fixtures::{fake_relay, fill_screening, mailer_for, patient_with_profile};
use crate::support::{TestApp, test_config};

#[tokio::test]
async fn clinicians_are_emailed_about_urgent_screenings_without_patient_details() {
    let (url, inbox) = fake_relay().await;
    let relay = url.clone();
    let app = TestApp::spawn_with(
        move |config| {
            config.smtp_url = Some(relay);
            config.public_url = Some("https://clinic.example".into());
        },
        Vec::new(),
    )
    .await;
    app.add_user(Role::Clinician, "casey@clinic.test").await;
    let away = app.add_user(Role::Clinician, "away@clinic.test").await;
    app.sql(&format!(
        "UPDATE users SET status = 'disabled' WHERE id = {away}"
    ))
    .await;
    app.add_user(Role::FrontDesk, "frankie@clinic.test").await;

    let (calm, _) = patient_with_profile(&app, "calm@clinic.test", "Calm Patient").await;
    fill_screening(&calm, &[]).await;
    calm.post("/patient/screening/submit", &[]).await;
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(queued, 0, "no email for a screening without suicide risk");

    let (risk, _) = patient_with_profile(&app, "risk@clinic.test", "Riley Risk").await;
    fill_screening(
        &risk,
        &[
            ("cssrs", "item2", "1"),
            ("cssrs", "item3", "1"),
            ("cssrs", "item4", "1"),
            ("cssrs", "item5", "0"),
        ],
    )
    .await;
    // The saved C-SSRS step already told clinicians (a clinical alert, issue 15); this test
    // follows the urgent screening's own email.
    let alert_emails: Vec<String> =
        sqlx::query_scalar("DELETE FROM outbox WHERE kind = 'clinical_alert' RETURNING recipient")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(alert_emails, ["casey@clinic.test"]);
    let page = risk.post("/patient/screening/submit", &[]).await;
    assert_eq!(page.location(), "/patient/screening/support");
    let recipients: Vec<String> =
        sqlx::query_scalar("SELECT recipient FROM outbox WHERE sent_at IS NULL")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(recipients, ["casey@clinic.test"], "active clinicians only");

    assert_eq!(
        notify::deliver_due(&app.db, &mailer_for(&url))
            .await
            .unwrap(),
        1
    );
    let delivered = inbox.lock().unwrap().clone();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].recipients, ["casey@clinic.test"]);
    let message = &delivered[0].data;
    assert!(
        message.contains("Urgent screening waiting for review"),
        "{message}"
    );
    assert!(
        message.contains("https://clinic.example/clinician/screenings"),
        "{message}"
    );
    for private in ["Riley", "Risk Patient", "risk@clinic.test", "1984"] {
        assert!(
            !message.contains(private),
            "{private} in the email:\n{message}"
        );
    }
    let unsent: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(unsent, 0);
    // Nothing is sent twice.
    assert_eq!(
        notify::deliver_due(&app.db, &mailer_for(&url))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn undelivered_email_is_kept_and_retried_later() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Clinician, "casey@clinic.test").await;
    notify::db::enqueue_for_role(&app.db, Role::Clinician, "test", "Subject", "Body")
        .await
        .unwrap();
    // Nothing listens on this port.
    let closed = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let sent = notify::deliver_due(&app.db, &mailer_for(&format!("smtp://127.0.0.1:{closed}")))
        .await
        .unwrap();
    assert_eq!(sent, 0);
    let (attempts, waiting, error): (i32, bool, Option<String>) =
        sqlx::query_as("SELECT attempts, next_attempt_at > now(), last_error FROM outbox")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(attempts, 1);
    assert!(waiting, "the next attempt is in the future");
    assert!(error.is_some());
}

#[tokio::test]
async fn a_bad_relay_address_is_refused_at_start() {
    let mut config = test_config(crate::support::database_url());
    config.smtp_url = Some("smtps://relay.example:465".into());
    let pool = sqlx::postgres::PgPoolOptions::new()
        .connect_lazy(&config.database_url)
        .unwrap();
    let error = clinic::AppState::new(pool, config).err().unwrap();
    assert!(error.to_string().contains("CLINIC_SMTP_URL"), "{error}");
}

#[tokio::test]
async fn without_a_relay_mail_is_written_to_the_mail_folder_as_eml_files() {
    let app = TestApp::spawn().await;
    let folder = std::env::temp_dir().join(format!("clinic-mail-{}", clinic::web::random_hex(4)));
    let mut config = test_config(crate::support::database_url());
    config.mail_dir = folder.display().to_string();
    let mailer = Mailer::from_config(&config).unwrap().unwrap();
    clinic::notify::db::enqueue(
        &app.db,
        "password_reset",
        "ann@example.com",
        "Reset your clinic password",
        "Open https://clinic.example/reset-password/abc\n",
    )
    .await
    .unwrap();
    assert_eq!(notify::deliver_due(&app.db, &mailer).await.unwrap(), 1);
    let files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].extension().is_some_and(|e| e == "eml"));
    // Only the server's own user may read them: they carry reset and confirmation links.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.contains("To: ann@example.com"), "{eml}");
    assert!(eml.contains("Subject: Reset your clinic password"));
    assert!(eml.contains("/reset-password/abc"));
    // Nothing is sent twice.
    assert_eq!(notify::deliver_due(&app.db, &mailer).await.unwrap(), 0);
    std::fs::remove_dir_all(&folder).unwrap();
    // An empty setting means no email at all.
    config.mail_dir = String::new();
    assert!(Mailer::from_config(&config).unwrap().is_none());
}
