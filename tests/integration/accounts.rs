//! Registration, login and password rules.

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::support::{PASSWORD, TestApp};

fn registration<'a>(
    name: &'a str,
    dob: &'a str,
    email: &'a str,
    password: &'a str,
) -> [(&'a str, &'a str); 4] {
    [
        ("name", name),
        ("date_of_birth", dob),
        ("email", email),
        ("password", password),
    ]
}

#[tokio::test]
async fn a_patient_registers_confirms_by_email_and_is_logged_in_on_their_home_page() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let page = app
        .register_patient(
            &client,
            &registration(
                "Ann Example",
                "1984-03-27",
                "  Ann@Example.COM ",
                "correct horse battery staple",
            ),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/patient");
    client
        .follow(&page)
        .await
        .assert_contains("Welcome, Ann Example")
        .assert_contains("1984-03-27");

    let (email, role, hash): (String, String, String) =
        sqlx::query_as("SELECT email, role::text, password_hash FROM users")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(email, "ann@example.com");
    assert_eq!(role, "patient");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    let (legal_name, dob): (String, String) =
        sqlx::query_as("SELECT legal_name, date_of_birth::text FROM patients")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        (legal_name.as_str(), dob.as_str()),
        ("Ann Example", "1984-03-27")
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"account.register".to_owned())
    );
}

#[tokio::test]
async fn emails_are_unique_whatever_their_case_and_the_form_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Patient, "ann@example.com").await;
    let page = app
        .client()
        .post(
            "/register",
            &registration(
                "Ann Again",
                "1984-03-27",
                "ANN@example.com",
                "another fine passphrase",
            ),
        )
        .await;
    // The same answer as for a new address (who_is_a_patient.rs): no second account.
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Check your email");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(users, 1);

    // A refused form keeps what was typed, except the password.
    let page = app
        .client()
        .post(
            "/register",
            &registration("Ann Again", "1984-03-27", "ANN@example.com", "password"),
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("value=\"Ann Again\"")
        .assert_contains("value=\"ANN@example.com\"")
        .assert_contains("value=\"1984-03-27\"")
        .assert_lacks("value=\"password\"");
}

#[tokio::test]
async fn registration_errors_are_shown_next_to_each_field() {
    let app = TestApp::spawn().await;
    let page = app
        .client()
        .post(
            "/register",
            &registration("", "2999-01-01", "not-an-email", "short"),
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("id=\"name-error\"")
        .assert_contains("Enter your full legal name")
        .assert_contains("id=\"date_of_birth-error\"")
        .assert_contains("can&#39;t be in the future")
        .assert_contains("id=\"email-error\"")
        .assert_contains("id=\"password-error\"")
        .assert_contains("Use at least 8 characters")
        .assert_contains("aria-invalid=\"true\"");
}

#[tokio::test]
async fn passwords_follow_length_and_common_list_rules_only() {
    let app = TestApp::spawn().await;
    let client = app.client();
    for (password, refused) in [
        ("password1", true),
        ("qwertyuiop", true),
        ("1234567", true),
        ("alllowercaseletters", false),
    ] {
        let email = format!("p{}@clinic.test", password.len());
        let page = client
            .post(
                "/register",
                &registration("Pat Example", "1980-01-01", &email, password),
            )
            .await;
        if refused {
            assert_eq!(
                page.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{password} should be refused"
            );
            page.assert_contains("id=\"password-error\"");
        } else {
            assert_eq!(
                page.status,
                StatusCode::OK,
                "{password} should be accepted: {}",
                page.body
            );
        }
    }
    // 128 characters is accepted.
    let long = "x".repeat(128);
    let page = app
        .register_patient(
            &app.client(),
            &registration("Long Pass", "1980-01-01", "long@clinic.test", &long),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.client().login("long@clinic.test", &long).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Clinician, "casey@clinic.test").await;
    let wrong = app
        .client()
        .login("casey@clinic.test", "not the password")
        .await;
    let unknown = app
        .client()
        .login("nobody@clinic.test", "not the password")
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.status, unknown.status);
    wrong.assert_contains("The email or password is not right");
    let strip = |body: &str| {
        body.replace("nobody@clinic.test", "X")
            .replace("casey@clinic.test", "X")
    };
    let token = |body: &str| {
        body.split("csrf_token\" value=\"")
            .nth(1)
            .map(|s| s[..64].to_owned())
            .unwrap_or_default()
    };
    let normalise = |body: &str| strip(body).replace(&token(body), "T");
    assert_eq!(
        normalise(&wrong.body),
        normalise(&unknown.body),
        "the two pages differ"
    );
    // The typed email is kept, the password is not.
    wrong
        .assert_contains("value=\"casey@clinic.test\"")
        .assert_lacks("not the password");
}

#[tokio::test]
async fn login_is_case_insensitive_on_email() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Admin, "avery@clinic.test").await;
    let page = app.client().login("  AVERY@Clinic.Test", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/admin");
}

#[tokio::test]
async fn accounts_lock_after_repeated_failures_without_revealing_whether_they_exist() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Clinician, "casey@clinic.test").await;
    let other_process = app.another_process().await;
    for attempt in 0..5 {
        // Failures on two app processes add up: the count lives in PostgreSQL.
        let server = if attempt % 2 == 0 {
            &app
        } else {
            &other_process
        };
        server
            .client()
            .login("casey@clinic.test", "wrong guess")
            .await;
        server
            .client()
            .login("ghost@clinic.test", "wrong guess")
            .await;
    }
    let real = app.client().login("casey@clinic.test", PASSWORD).await;
    let ghost = other_process
        .client()
        .login("ghost@clinic.test", PASSWORD)
        .await;
    assert_eq!(real.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(ghost.status, StatusCode::TOO_MANY_REQUESTS);
    real.assert_contains("locked for now");
    ghost.assert_contains("locked for now");
    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "login.lockout").count(), 2);
    assert!(actions.contains(&"login.locked".to_owned()));

    // When the window has passed, the right password works again and clears the count.
    app.sql("UPDATE login_failures SET at = at - interval '16 minutes'")
        .await;
    assert_eq!(
        app.client()
            .login("casey@clinic.test", PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn one_client_address_is_throttled_after_many_failures() {
    let app = TestApp::spawn().await;
    app.sql("UPDATE clinic_settings SET address_failures = 5")
        .await;
    app.add_user(Role::Patient, "pat@clinic.test").await;
    for n in 0..5 {
        app.client()
            .login(&format!("guess{n}@clinic.test"), "wrong guess")
            .await;
    }
    let page = app.client().login("pat@clinic.test", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    page.assert_contains("Too many failed logins came from your network");
}

#[tokio::test]
async fn a_disabled_account_cannot_log_in() {
    let app = TestApp::spawn().await;
    let id = app.add_user(Role::FrontDesk, "frankie@clinic.test").await;
    sqlx::query("UPDATE users SET status = 'disabled' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.client().login("frankie@clinic.test", PASSWORD).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    page.assert_contains("This account has been disabled");
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}
