//! Nobody learns from a form whether an address has an account (issue 16, item 6):
//! registration and the email change answer the same for a taken and a free address, the
//! address's owner learns the rest by email, and nothing is created or changed until the
//! emailed link is opened.

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::support::{Client, PASSWORD, Page, TestApp, count, emailed_link, path_of};

const CHOSEN: &str = "correct horse battery staple";

fn registration<'a>(name: &'a str, email: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("name", name),
        ("date_of_birth", "1984-03-27"),
        ("email", email),
        ("password", CHOSEN),
    ]
}

/// The page as a person sees it, with the typed address and the anti-forgery token (which
/// differs per client) taken out.
fn visible(page: &Page, addresses: &[&str]) -> String {
    let token = page
        .body
        .split("csrf_token\" value=\"")
        .nth(1)
        .map(|s| s[..64].to_owned())
        .unwrap_or_default();
    let mut body = page.body.clone();
    if !token.is_empty() {
        body = body.replace(&token, "TOKEN");
    }
    for address in addresses {
        body = body.replace(address, "ADDRESS");
    }
    body
}

/// The body of the newest queued email of `kind` to `to`.
async fn emailed(app: &TestApp, kind: &str, to: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT body FROM outbox WHERE kind = $1 AND recipient = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(kind)
    .bind(to)
    .fetch_optional(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn registering_a_taken_or_a_new_address_answers_the_same_and_creates_nothing_yet() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Patient, "ann@example.com").await;
    let hashed = app.passwords.hashes_done();

    let taken = app
        .client()
        .post("/register", &registration("Ann Again", "ANN@example.com"))
        .await;
    let free = app
        .client()
        .post("/register", &registration("Bea Example", "bea@example.com"))
        .await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.body);
    assert_eq!(taken.status, free.status);
    taken
        .assert_contains("Check your email")
        .assert_contains("ann@example.com")
        .assert_lacks("already")
        .assert_lacks(CHOSEN);
    assert_eq!(
        visible(&taken, &["ann@example.com"]),
        visible(&free, &["bea@example.com"]),
        "the two answers differ"
    );
    // The same work either way: the password was hashed for both.
    assert_eq!(app.passwords.hashes_done(), hashed + 2);

    // No account yet for the new address, no second one for the taken address.
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM patients").await, 1);
    // The owner of the taken address is told, with ways in; no link to make an account.
    let note = emailed(&app, "registration_attempt", "ann@example.com")
        .await
        .expect("the owner is told");
    assert!(
        note.contains("/login") && note.contains("/forgot-password"),
        "{note}"
    );
    assert!(
        emailed(&app, "registration", "ann@example.com")
            .await
            .is_none()
    );

    // Until the link is opened, the new address logs in exactly like an unknown one.
    let pending = app.client().login("bea@example.com", CHOSEN).await;
    let unknown = app.client().login("nobody@example.com", CHOSEN).await;
    assert_eq!(pending.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        visible(&pending, &["bea@example.com"]),
        visible(&unknown, &["nobody@example.com"])
    );

    // The link shows a button and creates nothing; the password chosen must be typed again.
    let client = app.client();
    let link = path_of(&emailed_link(&app, "registration", "bea@example.com").await);
    let form = client.get(&link).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("bea@example.com");
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 1);
    let wrong = client
        .post(&link, &[("password", "not what I chose")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong.assert_contains("id=\"password-error\"");
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 1);

    let created = client.post(&link, &[("password", CHOSEN)]).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert_eq!(created.location(), "/patient");
    client
        .follow(&created)
        .await
        .assert_contains("Welcome, Bea Example")
        .assert_contains("1984-03-27");
    client.get("/account").await.assert_lacks("Not yet");
    let verified = count(
        &app,
        "SELECT count(*) FROM users
         WHERE email = 'bea@example.com' AND email_verified_at IS NOT NULL AND role = 'patient'",
    )
    .await;
    assert_eq!(verified, 1);
    assert_eq!(
        count(&app, "SELECT count(*) FROM pending_registrations").await,
        0
    );
    assert_eq!(
        app.client()
            .login("bea@example.com", CHOSEN)
            .await
            .location(),
        "/patient"
    );
    let actions = app.audit_actions().await;
    let requests = actions
        .iter()
        .filter(|a| *a == "account.register_request")
        .count();
    assert_eq!(requests, 2);
    assert!(actions.iter().any(|a| a == "account.register"));
}

#[tokio::test]
async fn a_registration_link_works_once_within_a_day_and_only_if_still_the_newest() {
    let app = TestApp::spawn().await;
    let gone = |page: &Page| {
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
        page.assert_contains("This link no longer works")
            .assert_contains("href=\"/register\"");
    };

    // Used once: a second use is refused cleanly.
    let client = app.client();
    let created = app
        .register_patient(&client, &registration("Cy Once", "cy@example.com"))
        .await;
    assert_eq!(created.location(), "/patient");
    let link = path_of(&emailed_link(&app, "registration", "cy@example.com").await);
    gone(&app.client().get(&link).await);
    gone(&app.client().post(&link, &[("password", CHOSEN)]).await);

    // Expired.
    let client = app.client();
    client
        .post("/register", &registration("Di Late", "di@example.com"))
        .await;
    let link = path_of(&emailed_link(&app, "registration", "di@example.com").await);
    app.sql("UPDATE pending_registrations SET expires_at = now() - interval '1 minute'")
        .await;
    gone(&client.get(&link).await);
    gone(&client.post(&link, &[("password", CHOSEN)]).await);

    // Replaced by a newer registration of the same address.
    client
        .post("/register", &registration("Ed First", "ed@example.com"))
        .await;
    let older = path_of(&emailed_link(&app, "registration", "ed@example.com").await);
    client
        .post("/register", &registration("Ed Second", "ed@example.com"))
        .await;
    let newer = path_of(&emailed_link(&app, "registration", "ed@example.com").await);
    assert_ne!(older, newer);
    gone(&client.post(&older, &[("password", CHOSEN)]).await);
    assert_eq!(
        client
            .post(&newer, &[("password", CHOSEN)])
            .await
            .location(),
        "/patient"
    );

    // Too many wrong passwords spend the link.
    let client = app.client();
    client
        .post("/register", &registration("Flo Guess", "flo@example.com"))
        .await;
    let link = path_of(&emailed_link(&app, "registration", "flo@example.com").await);
    for _ in 0..5 {
        let wrong = client
            .post(&link, &[("password", "a wrong guess here")])
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    gone(&client.post(&link, &[("password", CHOSEN)]).await);

    // The address got an account meanwhile: the same friendly page, no 500, one account.
    client
        .post("/register", &registration("Gus Race", "gus@example.com"))
        .await;
    let link = path_of(&emailed_link(&app, "registration", "gus@example.com").await);
    app.add_user(Role::Patient, "gus@example.com").await;
    gone(&client.post(&link, &[("password", CHOSEN)]).await);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM users WHERE email = 'gus@example.com'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM pending_registrations WHERE email = 'gus@example.com'"
        )
        .await,
        0
    );
    // Cy and Ed (Ed's newer details) made accounts; Di, Flo and the second Gus did not.
    let names: Vec<String> =
        sqlx::query_scalar("SELECT legal_name FROM patients ORDER BY legal_name")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(names, ["Cy Once", "Ed Second", "Patient gus"]);
}

async fn ask_for(client: &Client, new_email: &str) -> Page {
    client
        .post(
            "/account/email",
            &[("new_email", new_email), ("password_for_email", PASSWORD)],
        )
        .await
}

async fn email_of(app: &TestApp, user_id: i64) -> String {
    sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_email_change_answers_the_same_for_a_taken_address_and_waits_for_the_new_one() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Patient, "taken@example.com").await;
    let (client, ann) = app.logged_in(Role::Patient, "ann@example.com").await;

    let to_taken = ask_for(&client, "Taken@example.com").await;
    let to_free = ask_for(&client, "nina@example.org").await;
    assert_eq!(to_taken.status, StatusCode::SEE_OTHER);
    assert_eq!(to_taken.status, to_free.status);
    assert_eq!(to_taken.location(), to_free.location());
    client
        .follow(&to_free)
        .await
        .assert_contains("We sent a link to the new address")
        .assert_contains("Waiting for confirmation of n***@example.org")
        .assert_lacks("nina@");
    // Nothing changes yet.
    assert_eq!(email_of(&app, ann).await, "ann@example.com");
    // The taken address's owner gets a note with no link and nothing about who asked.
    let note = emailed(&app, "email_change_taken", "taken@example.com")
        .await
        .expect("the owner is told");
    assert!(
        !note.contains("http") && !note.contains("ann") && !note.contains("Ann"),
        "{note}"
    );
    assert!(
        emailed(&app, "email_change", "taken@example.com")
            .await
            .is_none()
    );

    // The link, opened anywhere (here logged out), asks first and changes on the button.
    let link = path_of(&emailed_link(&app, "email_change", "nina@example.org").await);
    let anyone = app.client();
    anyone
        .get(&link)
        .await
        .assert_contains("Confirm your new email address")
        .assert_contains("nina@example.org");
    assert_eq!(email_of(&app, ann).await, "ann@example.com");
    let done = anyone.post(&link, &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    done.assert_contains("Email address changed");
    assert_eq!(email_of(&app, ann).await, "nina@example.org");
    let verified = count(
        &app,
        "SELECT count(*) FROM users WHERE email = 'nina@example.org' AND email_verified_at IS NOT NULL",
    )
    .await;
    assert_eq!(verified, 1);

    // The old address is told, with the new one masked.
    let told = emailed(&app, "email_changed", "ann@example.com")
        .await
        .expect("the old address is told");
    assert!(
        told.contains("n***@example.org") && !told.contains("nina@"),
        "{told}"
    );
    // The session open elsewhere sees the new address; logins use it from now on.
    client
        .get("/account")
        .await
        .assert_contains("nina@example.org")
        .assert_lacks("Waiting for confirmation");
    assert_eq!(
        app.client()
            .login("nina@example.org", PASSWORD)
            .await
            .location(),
        "/patient"
    );
    assert_eq!(
        app.client().login("ann@example.com", PASSWORD).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Once only.
    assert_eq!(
        app.client().post(&link, &[]).await.status,
        StatusCode::NOT_FOUND
    );
    let actions = app.audit_actions().await;
    let requests = actions
        .iter()
        .filter(|a| *a == "account.email_change_request")
        .count();
    assert_eq!(requests, 2);
    assert!(actions.iter().any(|a| a == "account.email_change"));
}

#[tokio::test]
async fn an_email_change_to_an_address_taken_meanwhile_or_expired_is_refused_cleanly() {
    let app = TestApp::spawn().await;
    let (client, ann) = app.logged_in(Role::Patient, "ann@example.com").await;

    ask_for(&client, "late@example.com").await;
    let link = path_of(&emailed_link(&app, "email_change", "late@example.com").await);
    app.add_user(Role::Patient, "late@example.com").await;
    let refused = client.post(&link, &[]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    refused.assert_contains("That address can no longer be used");
    assert_eq!(email_of(&app, ann).await, "ann@example.com");
    assert_eq!(
        count(&app, "SELECT count(*) FROM pending_email_changes").await,
        0
    );
    assert!(
        emailed(&app, "email_changed", "ann@example.com")
            .await
            .is_none()
    );

    ask_for(&client, "later@example.com").await;
    let link = path_of(&emailed_link(&app, "email_change", "later@example.com").await);
    app.sql("UPDATE pending_email_changes SET expires_at = now() - interval '1 minute'")
        .await;
    let expired = client.get(&link).await;
    assert_eq!(expired.status, StatusCode::NOT_FOUND);
    expired.assert_contains("This link does not work");
    assert_eq!(client.post(&link, &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(email_of(&app, ann).await, "ann@example.com");
    client
        .get("/account")
        .await
        .assert_lacks("Waiting for confirmation");
}
