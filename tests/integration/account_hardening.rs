//! Smaller holes closed (issue 16, items 6 and 9): registration and email changes that reveal
//! nobody's account, email changes confirmed by the new address, patient accounts an
//! administrator can disable, and calendar-feed addresses that die with a password reset.

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::fixtures::patient_of_user;
use crate::support::{Client, PASSWORD, TestApp, emailed_link, path_of};

/// The path of a new private calendar address of the client's user.
async fn new_feed(client: &Client) -> String {
    let page = client.post("/calendar-feed", &[]).await;
    let start = page.body.find("id=\"feed-url\">").unwrap();
    let url = &page.body[start..];
    let url = &url[url.find("/calendar/").unwrap()..];
    url[..url.find("</code>").unwrap()].to_owned()
}

#[tokio::test]
async fn a_password_change_or_reset_revokes_the_calendar_feed_address() {
    let app = TestApp::spawn().await;
    let (patient, patient_id) = app.logged_in(Role::Patient, "pat@clinic.test").await;
    let feed = new_feed(&patient).await;
    assert_eq!(app.client().get(&feed).await.status, StatusCode::OK);

    // Changing the password.
    let changed = patient
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(
        changed.location(),
        "/account?notice=password",
        "{}",
        changed.body
    );
    assert_eq!(app.client().get(&feed).await.status, StatusCode::NOT_FOUND);

    // Resetting it by emailed link.
    let feed = new_feed(&patient).await;
    assert_eq!(app.client().get(&feed).await.status, StatusCode::OK);
    app.client()
        .post("/forgot-password", &[("email", "pat@clinic.test")])
        .await;
    let link = emailed_link(&app, "password_reset", "pat@clinic.test").await;
    let reset = app
        .client()
        .post(&path_of(&link), &[("new_password", "the third passphrase")])
        .await;
    assert_eq!(reset.location(), "/login?ended=reset", "{}", reset.body);
    assert_eq!(app.client().get(&feed).await.status, StatusCode::NOT_FOUND);
    let live: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM calendar_feeds WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(patient_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(live, 0);
}

#[tokio::test]
async fn an_admin_disables_and_re_enables_a_patient_account() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    let (patient, patient_user) = app.logged_in(Role::Patient, "pat@clinic.test").await;
    let feed = new_feed(&patient).await;
    let number = patient_of_user(&app, patient_user).await.to_string();
    admin
        .get("/admin/staff")
        .await
        .assert_contains("action=\"/admin/patient-accounts\"");

    // Bad numbers get a message beside the field and keep what was typed.
    for typed in ["", "abc", "-1", "99999999999999999999", "999999"] {
        let refused = admin
            .post(
                "/admin/patient-accounts",
                &[("patient_number", typed), ("change", "disable")],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{typed:?}"
        );
        refused
            .assert_contains("id=\"patient_number-error\"")
            .assert_contains(&format!("value=\"{typed}\""));
    }

    let disabled = admin
        .post(
            "/admin/patient-accounts",
            &[("patient_number", number.as_str()), ("change", "disable")],
        )
        .await;
    assert_eq!(
        disabled.location(),
        "/admin/staff?patient=disabled",
        "{}",
        disabled.body
    );
    admin
        .follow(&disabled)
        .await
        .assert_contains("The patient&#39;s account is disabled");
    // Their session ended at once, they cannot log in, and their calendar feed is gone.
    assert!(
        patient
            .get("/patient")
            .await
            .location()
            .starts_with("/login")
    );
    let login = app.client().login("pat@clinic.test", PASSWORD).await;
    assert_eq!(login.status, StatusCode::FORBIDDEN);
    assert_eq!(app.client().get(&feed).await.status, StatusCode::NOT_FOUND);
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE user_id = $1")
        .bind(patient_user)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sessions, 0);

    let enabled = admin
        .post(
            "/admin/patient-accounts",
            &[("patient_number", number.as_str()), ("change", "enable")],
        )
        .await;
    assert_eq!(enabled.location(), "/admin/staff?patient=enabled");
    let login = app.client().login("pat@clinic.test", PASSWORD).await;
    assert_eq!(login.location(), "/patient", "{}", login.body);
    // The old feed address stays dead: a new one must be made.
    assert_eq!(app.client().get(&feed).await.status, StatusCode::NOT_FOUND);

    // Both changes are in the audit trail, against the patient.
    let audited: Vec<(String, Option<i64>)> = sqlx::query_as(
        "SELECT action, patient_id FROM audit_log WHERE action LIKE 'patient_account.%' ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let number: i64 = number.parse().unwrap();
    assert_eq!(
        audited,
        vec![
            ("patient_account.disable".to_owned(), Some(number)),
            ("patient_account.enable".to_owned(), Some(number)),
        ]
    );

    // Only an administrator may do it.
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let number = number.to_string();
    assert_eq!(
        desk.post(
            "/admin/patient-accounts",
            &[("patient_number", number.as_str()), ("change", "disable")],
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}
