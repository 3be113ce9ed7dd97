//! Account security: two-factor login, sessions, password and email changes, password reset
//! and email confirmation.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clinic::auth::model::Role;
use clinic::auth::two_factor::code_at;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::support::{Client, PASSWORD, Page, TestApp, count, emailed_link, path_of};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The key shown on the enrolment page, as the app would read it.
fn shown_secret(page: &Page) -> Vec<u8> {
    let marker = "id=\"totp-secret\" class=\"hash\">";
    let start = page.body.find(marker).expect("the key is shown") + marker.len();
    let end = start + page.body[start..].find("</code>").unwrap();
    let typed: String = page.body[start..end].split_whitespace().collect();
    totp_rs::Secret::Encoded(typed).to_bytes().unwrap()
}

/// The recovery codes on the page shown after enrolment.
fn shown_recovery_codes(page: &Page) -> Vec<String> {
    page.body
        .split("<li><code>")
        .skip(1)
        .map(|rest| rest[..rest.find("</code>").unwrap()].to_owned())
        .collect()
}

async fn password_step(client: &Client, email: &str, password: &str) -> Page {
    client
        .post(
            "/login",
            &[("email", email), ("password", password), ("next", "")],
        )
        .await
}

async fn log_out(client: &Client) {
    client.post("/logout", &[]).await;
}

#[tokio::test]
async fn staff_enrol_from_a_qr_code_then_log_in_with_app_or_recovery_codes() {
    let app = TestApp::spawn().await;
    let casey = app
        .add_user_without_two_factor(Role::Clinician, "casey@clinic.test")
        .await;
    let client = app.client();
    let (secret, code, codes) =
        enrolment_is_required_and_needs_a_code_and_the_password(&app, &client, casey).await;
    the_next_login_needs_a_fresh_code_from_the_app(&client, &secret, &code).await;
    a_recovery_code_works_once_and_wrong_codes_lock_the_account(&app, &client, &codes).await;
    clinicians_keep_two_factor_and_new_recovery_codes_need_the_password(&app, &secret, &codes)
        .await;
    every_step_of_two_factor_login_is_audited(&app).await;
}

/// Enrolment: required of clinicians, refused with a wrong code or password, then on with
/// ten recovery codes stored hashed. Returns the key, the code used and the recovery codes.
async fn enrolment_is_required_and_needs_a_code_and_the_password(
    app: &TestApp,
    client: &Client,
    casey: i64,
) -> (Vec<u8>, String, Vec<String>) {
    // Required for clinicians: logging in leads to the setup, and nothing else opens.
    let page = password_step(client, "casey@clinic.test", PASSWORD).await;
    assert_eq!(page.location(), "/account/two-factor");
    assert_eq!(
        client.get("/clinician/screenings").await.location(),
        "/account/two-factor"
    );
    let setup = client.get("/account/two-factor").await;
    setup
        .assert_contains("must use two-factor login")
        .assert_contains("<svg")
        .assert_contains("Turn on two-factor login");
    let secret = shown_secret(&setup);
    assert_eq!(secret.len(), 20);
    // Reloading shows the same key until it is confirmed.
    assert_eq!(
        shown_secret(&client.get("/account/two-factor").await),
        secret
    );

    // A wrong code or password changes nothing.
    let wrong = client
        .post(
            "/account/two-factor",
            &[("code", "000000"), ("current_password", "not my password")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong
        .assert_contains("id=\"code-error\"")
        .assert_contains("id=\"current_password-error\"");
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM users WHERE totp_enabled_at IS NOT NULL"
        )
        .await,
        0
    );

    let code = code_at(&secret, now()).unwrap();
    let enrolled = client
        .post(
            "/account/two-factor",
            &[("code", &code), ("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(enrolled.status, StatusCode::OK, "{}", enrolled.body);
    enrolled.assert_contains("Two-factor login is on");
    let codes = shown_recovery_codes(&enrolled);
    assert_eq!(codes.len(), 10);
    // Stored hashed, never as shown.
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT code_hash FROM recovery_codes WHERE user_id = $1")
            .bind(casey)
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(stored.len(), 10);
    assert!(stored.contains(&Sha256::digest(codes[0].replace('-', "").as_bytes()).to_vec()));
    assert!(!stored.iter().any(|h| h == codes[0].as_bytes()));
    assert_eq!(
        client.get("/clinician/screenings").await.status,
        StatusCode::OK
    );
    (secret, code, codes)
}

async fn the_next_login_needs_a_fresh_code_from_the_app(
    client: &Client,
    secret: &[u8],
    code: &str,
) {
    // Next login: password, then a code. The password alone opens nothing.
    log_out(client).await;
    let page = password_step(client, "casey@clinic.test", PASSWORD).await;
    assert_eq!(page.location(), "/login/two-factor");
    assert!(client.cookie("clinic_session").is_none());
    assert!(
        client
            .get("/clinician")
            .await
            .location()
            .starts_with("/login")
    );
    let refused = client
        .post("/login/two-factor", &[("code", "123456")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("That code is not right");
    // The code used at enrolment cannot be used again; the app's next one works.
    let replayed = client.post("/login/two-factor", &[("code", code)]).await;
    assert_eq!(replayed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let next_code = code_at(secret, now() + 30).unwrap();
    let done = client
        .post("/login/two-factor", &[("code", &next_code)])
        .await;
    assert_eq!(done.location(), "/clinician");
    assert_eq!(client.get("/clinician").await.status, StatusCode::OK);
}

async fn a_recovery_code_works_once_and_wrong_codes_lock_the_account(
    app: &TestApp,
    client: &Client,
    codes: &[String],
) {
    // A recovery code works once, however it is typed.
    log_out(client).await;
    password_step(client, "casey@clinic.test", PASSWORD).await;
    let typed = codes[3].to_uppercase().replace('-', " ");
    let done = client.post("/login/two-factor", &[("code", &typed)]).await;
    assert_eq!(done.location(), "/clinician");
    log_out(client).await;
    password_step(client, "casey@clinic.test", PASSWORD).await;
    let again = client
        .post("/login/two-factor", &[("code", &codes[3])])
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Five wrong codes end the attempt; the login starts again from the password.
    for _ in 0..4 {
        client
            .post("/login/two-factor", &[("code", "111111")])
            .await;
    }
    assert_eq!(
        client.get("/login/two-factor").await.location(),
        "/login",
        "the challenge is over"
    );

    // Wrong codes count like wrong passwords: the account is now locked for a while.
    let locked = password_step(&app.client(), "casey@clinic.test", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    app.sql("DELETE FROM login_failures").await;
}

async fn clinicians_keep_two_factor_and_new_recovery_codes_need_the_password(
    app: &TestApp,
    secret: &[u8],
    codes: &[String],
) {
    // Clinicians cannot turn it off; new recovery codes need the password.
    let client = app.client();
    password_step(&client, "casey@clinic.test", PASSWORD).await;
    app.sql("UPDATE users SET totp_last_step = NULL").await;
    let page = client
        .post(
            "/login/two-factor",
            &[("code", &code_at(secret, now()).unwrap())],
        )
        .await;
    assert_eq!(page.location(), "/clinician", "{}", page.body);
    assert_eq!(
        client
            .post(
                "/account/two-factor/disable",
                &[("current_password", PASSWORD)]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let refused = client
        .post(
            "/account/two-factor/recovery-codes",
            &[("current_password", "nope")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fresh = client
        .post(
            "/account/two-factor/recovery-codes",
            &[("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(shown_recovery_codes(&fresh).len(), 10);
    assert_ne!(shown_recovery_codes(&fresh)[0], codes[0]);
}

async fn every_step_of_two_factor_login_is_audited(app: &TestApp) {
    let actions = app.audit_actions().await;
    for action in [
        "account.two_factor_enable",
        "login.second_factor_failed",
        "login.recovery_code",
        "account.recovery_codes_new",
        "account.reauth_failed",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} not audited");
    }
}

#[tokio::test]
async fn two_factor_is_optional_for_the_front_desk_unless_the_clinic_requires_it() {
    let app = TestApp::spawn().await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "frankie@clinic.test").await;
    assert_eq!(desk.get("/front-desk").await.status, StatusCode::OK);

    // Turned on voluntarily, then off again with the password.
    let setup = desk.get("/account/two-factor").await;
    let secret = shown_secret(&setup);
    let code = code_at(&secret, now()).unwrap();
    desk.post(
        "/account/two-factor",
        &[("code", &code), ("current_password", PASSWORD)],
    )
    .await
    .assert_contains("Two-factor login is on");
    let refused = desk
        .post(
            "/account/two-factor/disable",
            &[("current_password", "wrong")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("id=\"disable_password-error\"");
    let off = desk
        .post(
            "/account/two-factor/disable",
            &[("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(off.location(), "/account?notice=two-factor-off");
    assert_eq!(
        count(&app, "SELECT count(*) FROM recovery_codes").await,
        0,
        "recovery codes go with it"
    );
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "account.two_factor_disable")
    );

    // The clinic requires it of the front desk: the next page leads to the setup.
    let (admin, _) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    let mut settings: Vec<(&str, &str)> = vec![
        ("clinic_name", "Clinic"),
        ("clinic_phone", ""),
        ("time_zone", "America/New_York"),
        ("staff_idle_minutes", "15"),
        ("patient_idle_minutes", "30"),
        ("session_absolute_hours", "12"),
        ("lockout_failures", "5"),
        ("lockout_minutes", "15"),
        ("address_failures", "30"),
        ("eligibility_days", "180"),
        ("consultation_minutes", "30"),
        ("infusion_minutes", "150"),
        ("follow_up_minutes", "20"),
        ("min_infusion_interval_hours", "48"),
        ("max_infusions_per_30_days", "8"),
        ("late_cancel_hours", "24"),
        ("reminder_hours", "24"),
    ];
    settings.push(("two_factor_front_desk", "on"));
    let saved = admin.post("/admin/settings", &settings).await;
    assert_eq!(
        saved.location(),
        "/admin/settings?saved=1",
        "{}",
        saved.body
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        desk.get("/front-desk").await.location(),
        "/account/two-factor"
    );
}

#[tokio::test]
async fn people_see_and_end_their_sessions_and_a_new_password_ends_the_others() {
    let app = TestApp::spawn().await;
    let (phone, _) = app.logged_in(Role::Patient, "pat@clinic.test").await;
    let laptop = app.client();
    laptop.login("pat@clinic.test", PASSWORD).await;
    let tablet = app.client();
    tablet.login("pat@clinic.test", PASSWORD).await;

    let page = phone.get("/account").await;
    page.assert_contains("Where you are logged in")
        .assert_contains("(this device)")
        .assert_contains("127.0.0.1")
        .assert_contains("Log out everywhere else");
    assert_eq!(page.body.matches("<td>127.0.0.1</td>").count(), 3);

    // End the laptop's session from the phone.
    let laptop_session: i64 = sqlx::query_scalar(
        "SELECT id FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = 'pat@clinic.test')
         ORDER BY id LIMIT 1 OFFSET 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let ended = phone
        .post(&format!("/account/sessions/{laptop_session}/end"), &[])
        .await;
    assert_eq!(ended.location(), "/account?notice=session-ended");
    assert!(
        laptop
            .get("/patient")
            .await
            .location()
            .starts_with("/login")
    );
    assert_eq!(tablet.get("/patient").await.status, StatusCode::OK);
    // Someone else's session is not found.
    let (other, _) = app.logged_in(Role::Patient, "other@clinic.test").await;
    let theirs: i64 = sqlx::query_scalar("SELECT max(id) FROM sessions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        phone
            .post(&format!("/account/sessions/{theirs}/end"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(other.get("/patient").await.status, StatusCode::OK);

    // Changing the password needs the current one, follows the policy, and ends the others.
    let refused = phone
        .post(
            "/account/password",
            &[("current_password", "wrong"), ("new_password", "password")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused
        .assert_contains("That is not your current password")
        .assert_contains("commonly used");
    let changed = phone
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.location(), "/account?notice=password");
    assert!(
        tablet
            .get("/patient")
            .await
            .location()
            .starts_with("/login")
    );
    assert_eq!(phone.get("/patient").await.status, StatusCode::OK);
    assert_eq!(
        app.client().login("pat@clinic.test", PASSWORD).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let again = app.client();
    assert_eq!(
        again
            .login("pat@clinic.test", "a brand new passphrase")
            .await
            .location(),
        "/patient"
    );

    // Log out everywhere else.
    let ended = phone.post("/account/sessions/end-others", &[]).await;
    assert_eq!(ended.location(), "/account?notice=others-ended");
    assert!(again.get("/patient").await.location().starts_with("/login"));
    assert_eq!(phone.get("/patient").await.status, StatusCode::OK);

    // An administrator ends every session of an account.
    let (admin, _) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    let done = admin
        .post("/admin/sessions/end", &[("email", "PAT@clinic.test")])
        .await;
    assert_eq!(done.location(), "/admin/staff?sessions=1");
    admin
        .follow(&done)
        .await
        .assert_contains("1 session was ended");
    assert!(phone.get("/patient").await.location().starts_with("/login"));
    let unknown = admin
        .post("/admin/sessions/end", &[("email", "ghost@clinic.test")])
        .await;
    admin
        .follow(&unknown)
        .await
        .assert_contains("No active account");

    let actions = app.audit_actions().await;
    for action in [
        "session.end",
        "account.password_change",
        "session.end_by_admin",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} not audited");
    }
}

#[tokio::test]
async fn password_reset_links_are_single_use_short_lived_and_reveal_nothing() {
    let app = TestApp::spawn().await;
    let (first, _) = app.logged_in(Role::FrontDesk, "frankie@clinic.test").await;

    // Known and unknown addresses get the same answer.
    let known = app
        .client()
        .post("/forgot-password", &[("email", "Frankie@clinic.test")])
        .await;
    let unknown = app
        .client()
        .post("/forgot-password", &[("email", "nobody@clinic.test")])
        .await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(
        known.body.replace("Frankie@clinic.test", "ADDRESS"),
        unknown.body.replace("nobody@clinic.test", "ADDRESS")
    );
    known.assert_contains("If an account uses");
    let link = emailed_link(&app, "password_reset", "frankie@clinic.test").await;
    assert!(link.contains("/reset-password/"), "{link}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM outbox WHERE recipient = 'nobody@clinic.test'"
        )
        .await,
        0
    );
    // Only the token's hash is stored.
    let token = link.rsplit('/').next().unwrap().to_owned();
    let stored: Vec<u8> = sqlx::query_scalar(
        "SELECT token_hash FROM account_tokens WHERE purpose = 'password_reset'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(stored, Sha256::digest(token.as_bytes()).to_vec());
    let expires_in: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - created_at)::float8 FROM account_tokens",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(expires_in, 1800.0);

    let client = app.client();
    let form = client.get(&path_of(&link)).await;
    assert_eq!(form.status, StatusCode::OK);
    let weak = client
        .post(&path_of(&link), &[("new_password", "short")])
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    weak.assert_contains("id=\"new_password-error\"");
    let reset = client
        .post(
            &path_of(&link),
            &[("new_password", "the new front desk passphrase")],
        )
        .await;
    assert_eq!(reset.location(), "/login?ended=reset");
    client
        .follow(&reset)
        .await
        .assert_contains("Your password is changed");
    // Every session of the account ended; the new password works; the link is used up.
    assert!(
        first
            .get("/front-desk")
            .await
            .location()
            .starts_with("/login")
    );
    assert_eq!(
        app.client()
            .login("frankie@clinic.test", "the new front desk passphrase")
            .await
            .location(),
        "/front-desk"
    );
    let reused = client.get(&path_of(&link)).await;
    assert_eq!(reused.status, StatusCode::NOT_FOUND);
    reused.assert_contains("expired or was already used");
    let reposted = client
        .post(
            &path_of(&link),
            &[("new_password", "yet another passphrase")],
        )
        .await;
    assert_eq!(reposted.status, StatusCode::NOT_FOUND);

    // After 30 minutes a link no longer works; a newer link voids an older one.
    app.client()
        .post("/forgot-password", &[("email", "frankie@clinic.test")])
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let older = emailed_link(&app, "password_reset", "frankie@clinic.test").await;
    app.client()
        .post("/forgot-password", &[("email", "frankie@clinic.test")])
        .await;
    let mut newer = older.clone();
    for _ in 0..100 {
        newer = emailed_link(&app, "password_reset", "frankie@clinic.test").await;
        if newer != older {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(newer, older);
    assert_eq!(
        client.get(&path_of(&older)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(client.get(&path_of(&newer)).await.status, StatusCode::OK);
    app.sql("UPDATE account_tokens SET expires_at = now() - interval '1 second'")
        .await;
    assert_eq!(
        client.get(&path_of(&newer)).await.status,
        StatusCode::NOT_FOUND
    );

    // Once delivered, the email's link is not kept in the outbox.
    let (url, inbox) = crate::fixtures::fake_relay().await;
    clinic::notify::deliver_due(&app.db, &crate::fixtures::mailer_for(&url))
        .await
        .unwrap();
    assert!(
        inbox
            .lock()
            .unwrap()
            .iter()
            .any(|m| m.data.contains("/reset-password/"))
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM outbox WHERE kind = 'password_reset' AND body <> ''"
        )
        .await,
        0
    );

    let actions = app.audit_actions().await;
    for action in ["account.password_reset_request", "account.password_reset"] {
        assert!(actions.iter().any(|a| a == action), "{action} not audited");
    }
}

#[tokio::test]
async fn unconfirmed_addresses_are_confirmed_by_link_and_email_changes_need_the_password() {
    let app = TestApp::spawn().await;
    // An account the clinic created starts with its address unconfirmed (a self-registered
    // one is confirmed by the link that created it: tests in who_is_a_patient.rs).
    app.add_user(Role::Patient, "ann@example.com").await;
    let client = app.client();
    assert_eq!(
        client.login("ann@example.com", PASSWORD).await.location(),
        "/patient"
    );
    client
        .get("/account")
        .await
        .assert_contains("Not yet")
        .assert_contains("you cannot book appointments");
    let resent = client.post("/account/email/verification", &[]).await;
    assert_eq!(resent.location(), "/account?notice=verification-sent");
    let link = emailed_link(&app, "email_verification", "ann@example.com").await;
    let confirmed = app.client().get(&path_of(&link)).await;
    assert_eq!(confirmed.status, StatusCode::OK);
    confirmed.assert_contains("Email address confirmed");
    tokio::time::sleep(Duration::from_millis(200)).await;
    client.get("/account").await.assert_lacks("Not yet");
    assert_eq!(
        app.client().get(&path_of(&link)).await.status,
        StatusCode::NOT_FOUND
    );

    // Changing the address needs the password.
    let refused = client
        .post(
            "/account/email",
            &[
                ("new_email", "new@example.com"),
                ("password_for_email", "wrong"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused
        .assert_contains("id=\"password_for_email-error\"")
        .assert_contains("value=\"new@example.com\"");
    assert_eq!(
        count(&app, "SELECT count(*) FROM pending_email_changes").await,
        0
    );
    let actions = app.audit_actions().await;
    for action in ["account.email_verify", "account.reauth_failed"] {
        assert!(actions.iter().any(|a| a == action), "{action} not audited");
    }
}
