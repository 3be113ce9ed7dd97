//! The admin's staff and settings pages.

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn an_admin_creates_disables_and_re_enables_staff() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    let page = admin
        .post(
            "/admin/staff",
            &[
                ("name", "Dr. Casey Jones"),
                ("email", "Casey@Clinic.test"),
                ("role", "clinician"),
                ("password", "a very long passphrase"),
            ],
        )
        .await;
    assert_eq!(page.location(), "/admin/staff");
    admin
        .follow(&page)
        .await
        .assert_contains("Dr. Casey Jones")
        .assert_contains("casey@clinic.test")
        .assert_contains("Clinician");
    let casey: i64 = sqlx::query_scalar(
        "SELECT id FROM users WHERE email = 'casey@clinic.test' AND role = 'clinician'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    app.set_up_two_factor(casey).await;

    // Casey logs in on two devices; disabling ends both sessions at once.
    let phone = app.client();
    let desk = app.client();
    phone
        .login("casey@clinic.test", "a very long passphrase")
        .await;
    desk.login("casey@clinic.test", "a very long passphrase")
        .await;
    assert_eq!(phone.get("/clinician").await.status, StatusCode::OK);
    let page = admin
        .post(&format!("/admin/staff/{casey}/disable"), &[])
        .await;
    assert_eq!(page.location(), "/admin/staff");
    admin
        .follow(&page)
        .await
        .assert_contains("Disabled")
        .assert_contains("Re-enable");
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE user_id = $1")
        .bind(casey)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    assert!(
        phone
            .get("/clinician")
            .await
            .location()
            .starts_with("/login")
    );
    assert!(
        desk.get("/clinician")
            .await
            .location()
            .starts_with("/login")
    );
    assert_eq!(
        app.client()
            .login("casey@clinic.test", "a very long passphrase")
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    admin
        .post(&format!("/admin/staff/{casey}/enable"), &[])
        .await;
    assert_eq!(
        app.client()
            .login("casey@clinic.test", "a very long passphrase")
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    let actions = app.audit_actions().await;
    for action in ["staff.create", "staff.disable", "staff.enable"] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action} audited: {actions:?}"
        );
    }
}

#[tokio::test]
async fn staff_form_errors_keep_the_input() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    let page = admin
        .post(
            "/admin/staff",
            &[
                ("name", "Frankie"),
                ("email", "frankie@"),
                ("role", "patient"),
                ("password", "password"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("value=\"Frankie\"")
        .assert_contains("value=\"frankie@\"")
        .assert_contains("Choose a role.")
        .assert_contains("id=\"email-error\"")
        .assert_contains("commonly used");
    // The email is taken: said next to the field.
    let page = admin
        .post(
            "/admin/staff",
            &[
                ("name", "Avery Two"),
                ("email", "AVERY@clinic.test"),
                ("role", "admin"),
                ("password", "a very long passphrase"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("already uses this email");
}

#[tokio::test]
async fn an_admin_cannot_disable_themself_or_patients_through_the_staff_page() {
    let app = TestApp::spawn().await;
    let (admin, admin_id) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    let page = admin
        .post(&format!("/admin/staff/{admin_id}/disable"), &[])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("can&#39;t disable your own account");
    let patient = app.add_user(Role::Patient, "pat@clinic.test").await;
    assert_eq!(
        admin
            .post(&format!("/admin/staff/{patient}/disable"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.post("/admin/staff/99999/disable", &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn settings_are_validated_saved_and_audited() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    admin
        .get("/admin/settings")
        .await
        .assert_contains("value=\"15\"")
        .assert_contains("value=\"30\"")
        .assert_contains("value=\"12\"");
    let mut form = vec![
        ("clinic_name", "Calm Waters Clinic"),
        ("clinic_phone", "+1 555 010 2000"),
        ("staff_idle_minutes", "0"),
        ("patient_idle_minutes", "45"),
        ("session_absolute_hours", "10"),
        ("lockout_failures", "6"),
        ("lockout_minutes", "20"),
        ("address_failures", "40"),
        ("eligibility_days", "90"),
        ("time_zone", "Pacific"),
        ("consultation_minutes", "30"),
        ("infusion_minutes", "150"),
        ("follow_up_minutes", "20"),
        ("min_infusion_interval_hours", "48"),
        ("max_infusions_per_30_days", "8"),
        ("late_cancel_hours", "24"),
        ("reminder_hours", "24"),
    ];
    let page = admin.post("/admin/settings", &form).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("id=\"staff_idle_minutes-error\"")
        .assert_contains("id=\"time_zone-error\"")
        .assert_contains("value=\"Pacific\"")
        .assert_contains("value=\"Calm Waters Clinic\"");
    form[2] = ("staff_idle_minutes", "10");
    form[9] = ("time_zone", "america/los_angeles");
    let page = admin.post("/admin/settings", &form).await;
    assert_eq!(page.location(), "/admin/settings?saved=1");
    admin
        .follow(&page)
        .await
        .assert_contains("Settings saved.")
        .assert_contains("value=\"45\"");
    let staff_idle: i32 = sqlx::query_scalar("SELECT staff_idle_minutes FROM clinic_settings")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(staff_idle, 10);
    let zone: String = sqlx::query_scalar("SELECT time_zone FROM clinic_settings")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(zone, "America/Los_Angeles");
    assert!(
        app.audit_actions()
            .await
            .contains(&"settings.update".to_owned())
    );
    let _ = PASSWORD;
}
