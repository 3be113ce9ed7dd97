//! Security hardening (issue 16): lockouts that hold when guesses arrive all at once.

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::support::{Client, PASSWORD, Page, TestApp};

/// Sends the same form `times` times at once from one browser.
async fn all_at_once(
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
    times: usize,
) -> Vec<Page> {
    client.csrf_token().await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..times {
        let client = client.clone();
        let path = path.to_owned();
        let fields: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        set.spawn(async move {
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            client.post(&path, &fields).await
        });
    }
    set.join_all().await
}

async fn failures_recorded(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM login_failures WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

fn count(pages: &[Page], status: StatusCode) -> usize {
    pages.iter().filter(|p| p.status == status).count()
}

#[tokio::test]
async fn fifty_parallel_password_guesses_get_at_most_five_checked() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Patient, "pat@clinic.test").await;
    let before = app.passwords.checks_done();
    let pages = all_at_once(
        &app.client(),
        "/login",
        &[
            ("email", "pat@clinic.test"),
            ("password", "not the password"),
        ],
        50,
    )
    .await;
    let checked = app.passwords.checks_done() - before;
    assert!(checked <= 5, "{checked} passwords were checked");
    assert_eq!(checked, 5, "the first five are checked");
    assert_eq!(failures_recorded(&app, "pat@clinic.test").await, 5);
    assert_eq!(count(&pages, StatusCode::UNPROCESSABLE_ENTITY), 4);
    assert_eq!(count(&pages, StatusCode::TOO_MANY_REQUESTS), 46);
    // Locked now, even for the right password, which is not even checked.
    let right = app.client().login("pat@clinic.test", PASSWORD).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.passwords.checks_done() - before, 5);
}

#[tokio::test]
async fn parallel_current_password_guesses_on_the_account_page_count_towards_the_lockout() {
    let app = TestApp::spawn().await;
    let (client, _) = app.logged_in(Role::Patient, "pat@clinic.test").await;
    let before = app.passwords.checks_done();
    let pages = all_at_once(
        &client,
        "/account/password",
        &[
            ("current_password", "a guess at it"),
            ("new_password", "another long passphrase"),
        ],
        20,
    )
    .await;
    let checked = app.passwords.checks_done() - before;
    assert_eq!(checked, 5, "{checked} current passwords were checked");
    assert!(
        pages
            .iter()
            .all(|p| p.status == StatusCode::UNPROCESSABLE_ENTITY)
    );
    assert!(pages.iter().any(|p| p.body.contains("locked for now")));
    // Those guesses lock logging in too.
    let login = app.client().login("pat@clinic.test", PASSWORD).await;
    assert_eq!(login.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        app.audit_actions()
            .await
            .contains(&"account.reauth_failed".to_owned())
    );
}

#[tokio::test]
async fn a_right_current_password_does_not_count_as_a_failure() {
    let app = TestApp::spawn().await;
    let (client, _) = app.logged_in(Role::Patient, "pat@clinic.test").await;
    for _ in 0..6 {
        // The address is refused (it is the same one), but the password is right.
        let page = client
            .post(
                "/account/email",
                &[
                    ("new_email", "pat@clinic.test"),
                    ("password_for_email", PASSWORD),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        page.assert_lacks("not your current password");
    }
    let page = client
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "another long passphrase"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(failures_recorded(&app, "pat@clinic.test").await, 0);
}

#[tokio::test]
async fn parallel_second_factor_guesses_get_at_most_five_checked() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Clinician, "casey@clinic.test").await;
    let client = app.client();
    let step = client
        .post(
            "/login",
            &[("email", "casey@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(step.location(), "/login/two-factor");
    let pages = all_at_once(&client, "/login/two-factor", &[("code", "111111")], 30).await;
    // Four wrong codes are answered as such; the fifth ends the attempt; the rest are not checked.
    assert_eq!(count(&pages, StatusCode::UNPROCESSABLE_ENTITY), 4);
    assert_eq!(count(&pages, StatusCode::SEE_OTHER), 26);
    assert_eq!(failures_recorded(&app, "casey@clinic.test").await, 5);
    let attempts: Option<i32> = sqlx::query_scalar("SELECT max(attempts) FROM login_challenges")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(attempts.unwrap_or(0) <= 5);
}
