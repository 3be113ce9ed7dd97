//! Server-side sessions: renewal at login, logout, cookie attributes, timeouts, return targets.

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::support::{Client, PASSWORD, Page, TestApp};
use sha2::{Digest, Sha256};

async fn session_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn sessions_live_in_postgres_and_their_id_changes_at_login() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Clinician, "casey@clinic.test").await;
    let client = app.client();
    client.login("casey@clinic.test", PASSWORD).await;
    let first = client.cookie("clinic_session").unwrap();
    assert_eq!(session_count(&app).await, 1);
    // The table holds a hash of the cookie, never the cookie itself.
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sessions WHERE id_hash = convert_to($1, 'UTF8')")
            .bind(&first)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(stored, 0);

    // Logging in again from the same browser replaces the session rather than adding one.
    client.login("casey@clinic.test", PASSWORD).await;
    let second = client.cookie("clinic_session").unwrap();
    assert_ne!(first, second);
    assert_eq!(session_count(&app).await, 1);

    // A session id planted before login (fixation) is not kept.
    let victim = app.client();
    victim.set_cookie("clinic_session", "planted-by-attacker");
    victim.login("casey@clinic.test", PASSWORD).await;
    assert_ne!(
        victim.cookie("clinic_session").as_deref(),
        Some("planted-by-attacker")
    );
}

#[tokio::test]
async fn session_cookies_are_http_only_and_same_site() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Patient, "pat@clinic.test").await;
    let page = app.client().login("pat@clinic.test", PASSWORD).await;
    let cookie = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("clinic_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain-HTTP development keeps cookies usable: {cookie}"
    );
}

#[tokio::test]
async fn over_https_cookies_are_secure_host_only_and_hsts_is_sent() {
    let app = TestApp::spawn_with(|config| config.https = true, Vec::new()).await;
    app.add_user(Role::Patient, "pat@clinic.test").await;
    let client = app.client();
    let login_page = client.get("/login").await;
    assert!(
        login_page
            .header("strict-transport-security")
            .starts_with("max-age=")
    );
    let csrf = login_page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-clinic_csrf="))
        .unwrap();
    assert!(csrf.contains("Secure"));
    let token = client.cookie("__Host-clinic_csrf").unwrap();
    let page = client
        .post_raw(
            "/login",
            &[
                ("email", "pat@clinic.test"),
                ("password", PASSWORD),
                ("next", ""),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let cookie = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-clinic_session="))
        .unwrap();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

#[tokio::test]
async fn logout_destroys_the_server_side_session() {
    let app = TestApp::spawn().await;
    let (client, _) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    let stolen = client.cookie("clinic_session").unwrap();
    let page = client.post("/logout", &[]).await;
    assert_eq!(page.location(), "/login?ended=logout");
    client
        .follow(&page)
        .await
        .assert_contains("You have logged out.");
    assert_eq!(session_count(&app).await, 0);
    // Replaying the old cookie gets nowhere.
    let replay = app.client();
    replay.set_cookie("clinic_session", &stolen);
    assert!(replay.get("/admin").await.location().starts_with("/login"));
    assert!(app.audit_actions().await.contains(&"logout".to_owned()));
}

/// Whether `app`'s process holds the session with cookie value `token` in memory.
fn cached_in(app: &TestApp, token: &str) -> bool {
    let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    app.sessions.get(&key).is_some()
}

/// Asks for `path` until `wanted` holds of the page; a process hears of a change made
/// elsewhere a moment after it commits. Gives up after two seconds.
async fn soon(client: &Client, path: &str, wanted: impl Fn(&Page) -> bool) -> bool {
    for _ in 0..200 {
        if wanted(&client.get(path).await) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    false
}

fn refused(page: &Page) -> bool {
    page.location().starts_with("/login")
}

/// Changes user `id` as another tool would: in the database, not through the app.
async fn change_user_outside(app: &TestApp, statement: &str, id: i64) {
    sqlx::query(statement)
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn pages_read_the_session_from_memory_until_it_changes() {
    let app = TestApp::spawn().await;
    let (client, user_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    client
        .get("/clinician")
        .await
        .assert_contains("casey@clinic.test");
    assert!(cached_in(&app, &client.cookie("clinic_session").unwrap()));
    // A rename made outside this process is heard, and the next page shows it.
    let rename = "UPDATE users SET display_name = 'Casey Renamed' WHERE id = $1";
    change_user_outside(&app, rename, user_id).await;
    assert!(
        soon(&client, "/clinician", |page| page
            .body
            .contains("Casey Renamed"))
        .await,
        "the new name never showed"
    );
}

#[tokio::test]
async fn a_session_ended_by_one_process_is_refused_by_the_others() {
    let app = TestApp::spawn().await;
    let other = app.another_process().await;
    let (client, _) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let stolen = client.cookie("clinic_session").unwrap();
    let replay = other.client();
    replay.set_cookie("clinic_session", &stolen);
    replay
        .get("/clinician")
        .await
        .assert_contains("casey@clinic.test");
    assert!(cached_in(&other, &stolen));

    let page = client.post("/logout", &[]).await;
    assert_eq!(page.location(), "/login?ended=logout");
    assert!(soon(&replay, "/clinician", refused).await);
    assert!(!cached_in(&other, &stolen));
}

#[tokio::test]
async fn an_account_disabled_from_outside_loses_its_cached_sessions() {
    let app = TestApp::spawn().await;
    let (client, user_id) = app.logged_in(Role::FrontDesk, "frankie@clinic.test").await;
    client
        .get("/front-desk")
        .await
        .assert_contains("frankie@clinic.test");
    assert!(cached_in(&app, &client.cookie("clinic_session").unwrap()));
    let disable = "UPDATE users SET status = 'disabled' WHERE id = $1";
    change_user_outside(&app, disable, user_id).await;
    assert!(soon(&client, "/front-desk", refused).await);
    assert!(
        app.audit_actions()
            .await
            .contains(&"session.timeout".to_owned())
    );
}

#[tokio::test]
async fn logout_is_post_only() {
    let app = TestApp::spawn().await;
    let (client, _) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    let page = client.get("/logout").await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(session_count(&app).await, 1);
}

#[tokio::test]
async fn staff_time_out_after_15_idle_minutes_and_return_where_they_were() {
    let app = TestApp::spawn().await;
    let (client, _) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    app.sql("UPDATE sessions SET last_seen_at = now() - interval '16 minutes'")
        .await;
    let page = client.get("/admin/audit?action=login").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location(),
        "/login?next=%2Fadmin%2Faudit%3Faction%3Dlogin&ended=idle"
    );
    let login = client.follow(&page).await;
    login
        .assert_contains("You were logged out because the page was left unused")
        .assert_contains("name=\"next\" value=\"/admin/audit?action=login\"");
    assert_eq!(session_count(&app).await, 0);
    assert!(
        app.audit_actions()
            .await
            .contains(&"session.timeout".to_owned())
    );

    let back = client
        .login_to("avery@clinic.test", PASSWORD, "/admin/audit?action=login")
        .await;
    assert_eq!(back.location(), "/admin/audit?action=login");
}

#[tokio::test]
async fn patients_get_30_idle_minutes() {
    let app = TestApp::spawn().await;
    let (client, _) = app.logged_in(Role::Patient, "pat@clinic.test").await;
    app.sql("UPDATE sessions SET last_seen_at = now() - interval '20 minutes'")
        .await;
    assert_eq!(client.get("/patient").await.status, StatusCode::OK);
    app.sql("UPDATE sessions SET last_seen_at = now() - interval '31 minutes'")
        .await;
    assert!(
        client
            .get("/patient")
            .await
            .location()
            .ends_with("ended=idle")
    );
}

#[tokio::test]
async fn activity_keeps_a_session_alive() {
    let app = TestApp::spawn().await;
    let (client, _) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    app.sql("UPDATE sessions SET last_seen_at = now() - interval '10 minutes'")
        .await;
    assert_eq!(client.get("/clinician").await.status, StatusCode::OK);
    let idle_seconds: f64 =
        sqlx::query_scalar("SELECT extract(epoch FROM now() - last_seen_at)::float8 FROM sessions")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(
        idle_seconds < 60.0,
        "the visit was recorded ({idle_seconds}s idle)"
    );
}

#[tokio::test]
async fn sessions_end_at_their_absolute_lifetime_and_the_setting_is_honoured() {
    let app = TestApp::spawn().await;
    let (client, _) = app.logged_in(Role::Patient, "pat@clinic.test").await;
    app.sql("UPDATE sessions SET created_at = now() - interval '12 hours 1 minute'")
        .await;
    let page = client.get("/patient").await;
    assert!(
        page.location().ends_with("ended=absolute"),
        "{}",
        page.location()
    );
    client.follow(&page).await.assert_contains("maximum length");

    // The idle limits are clinic settings, not constants.
    app.sql("UPDATE clinic_settings SET patient_idle_minutes = 5")
        .await;
    client.login("pat@clinic.test", PASSWORD).await;
    app.sql("UPDATE sessions SET last_seen_at = now() - interval '6 minutes'")
        .await;
    assert!(
        client
            .get("/patient")
            .await
            .location()
            .ends_with("ended=idle")
    );
}

#[tokio::test]
async fn return_targets_must_be_on_this_site() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Clinician, "casey@clinic.test").await;
    for evil in [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let page = app
            .client()
            .login_to("casey@clinic.test", PASSWORD, evil)
            .await;
        assert_eq!(page.location(), "/clinician", "{evil} must not be followed");
    }
    let login_form = app
        .client()
        .get("/login?next=https%3A%2F%2Fevil.example")
        .await;
    login_form.assert_contains("name=\"next\" value=\"\"");
}

#[tokio::test]
async fn abandoned_sessions_and_old_failures_are_purged() {
    let app = TestApp::spawn().await;
    let (fresh, _) = app.logged_in(Role::Patient, "fresh@clinic.test").await;
    let (gone, _) = app.logged_in(Role::Patient, "gone@clinic.test").await;
    let gone_cookie = gone.cookie("clinic_session").unwrap();
    app.sql("UPDATE sessions SET created_at = now() - interval '37 hours' WHERE user_id = (SELECT id FROM users WHERE email = 'gone@clinic.test')").await;
    app.client().login("fresh@clinic.test", "wrong").await;
    app.sql("INSERT INTO login_failures (email, client_addr, at) VALUES ('old@clinic.test', '10.0.0.1', now() - interval '2 days')").await;
    assert_eq!(clinic::auth::db::purge_stale(&app.db).await.unwrap(), 1);
    assert_eq!(session_count(&app).await, 1);
    let failures: i64 = sqlx::query_scalar("SELECT count(*) FROM login_failures")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(failures, 1, "only the recent failure is kept");
    assert_eq!(fresh.get("/patient").await.status, StatusCode::OK);
    let _ = gone_cookie;
}
