//! Security hardening (issue 16, items 2, 3 and the outage part of 9): hashing cannot be
//! used to starve logins, limits at the edge, and a database outage answers 503.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clinic::auth::model::Role;
use clinic::web::routes::{Access, Route};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{PASSWORD, Page, TestApp};

fn registration<'a>(name: &'a str, email: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("name", name),
        ("date_of_birth", "1981-02-03"),
        ("email", email),
        ("password", PASSWORD),
    ]
}

fn address(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

#[track_caller]
fn assert_retry_later(page: &Page) {
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.body
    );
    assert!(
        page.header("retry-after")
            .parse::<u32>()
            .is_ok_and(|s| s > 0),
        "Retry-After: {:?}",
        page.header("retry-after")
    );
    assert!(page.header("content-type").starts_with("text/html"));
    page.assert_contains("try again");
}

#[tokio::test]
async fn registration_checks_the_address_before_hashing_the_password() {
    let app = TestApp::spawn().await;
    let page = app
        .client()
        .post("/register", &registration("Ada Byron", "not an address"))
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Ada Byron");
    assert_eq!(app.passwords.hashes_done(), 0, "nothing was hashed");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM address_requests")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        count, 0,
        "a malformed form does not use up the address's share"
    );
}

#[tokio::test]
async fn registrations_from_one_address_are_throttled_with_the_form_kept() {
    let app = TestApp::spawn_with(|c| c.limits.registrations_per_hour = 2, Vec::new()).await;
    for n in 1..=2 {
        let email = format!("pat{n}@clinic.test");
        let page = app
            .client()
            .post("/register", &registration("Pat Someone", &email))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    }
    let hashed = app.passwords.hashes_done();
    let page = app
        .client()
        .post(
            "/register",
            &registration("Quinn Third", "quinn@clinic.test"),
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    page.assert_contains("Too many accounts were created from your network")
        .assert_contains("value=\"Quinn Third\"")
        .assert_contains("value=\"quinn@clinic.test\"")
        .assert_contains("value=\"1981-02-03\"")
        .assert_lacks(PASSWORD);
    assert_eq!(
        app.passwords.hashes_done(),
        hashed,
        "refused before hashing"
    );
}

#[tokio::test]
async fn password_reset_requests_from_one_address_are_throttled_with_the_email_kept() {
    let app = TestApp::spawn_with(|c| c.limits.reset_requests_per_hour = 1, Vec::new()).await;
    app.add_user(Role::Patient, "pat@clinic.test").await;
    let client = app.client();
    let first = client
        .post("/forgot-password", &[("email", "pat@clinic.test")])
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let second = client
        .post("/forgot-password", &[("email", "pat@clinic.test")])
        .await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    second
        .assert_contains("Too many password reset links were asked for")
        .assert_contains("value=\"pat@clinic.test\"");
}

#[tokio::test]
async fn a_request_that_waits_too_long_for_a_hashing_slot_gets_503_with_retry_after() {
    let app = TestApp::spawn_with(
        |c| {
            c.hash_concurrency = 1;
            c.limits.hash_wait = Duration::from_millis(1);
        },
        Vec::new(),
    )
    .await;
    let mut set = tokio::task::JoinSet::new();
    for n in 0..8 {
        let client = app.client();
        set.spawn(async move {
            let email = format!("flood{n}@clinic.test");
            client
                .post("/register", &registration("Flo Od", &email))
                .await
        });
    }
    let pages = set.join_all().await;
    let refused: Vec<&Page> = pages
        .iter()
        .filter(|p| p.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(
        !refused.is_empty(),
        "one slot, eight at once: some wait too long"
    );
    for page in refused {
        assert_retry_later(page);
        page.assert_contains("Busy");
    }
    assert!(
        pages
            .iter()
            .all(|p| matches!(p.status, StatusCode::OK | StatusCode::SERVICE_UNAVAILABLE)),
        "{:?}",
        pages.iter().map(|p| p.status).collect::<Vec<_>>()
    );
}

/// Reads until the server closes the connection (or `limit` passes); true when it closed.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // a 408 or the like before closing
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn connections_that_never_finish_their_headers_are_closed() {
    let app = TestApp::spawn_with(
        |c| c.limits.header_timeout = Duration::from_millis(500),
        Vec::new(),
    )
    .await;
    let mut slow = Vec::new();
    for _ in 0..5 {
        let mut stream = TcpStream::connect(address(&app)).await.unwrap();
        stream
            .write_all(b"GET /login HTTP/1.1\r\nHost: clinic\r\nUser-Agent: slow")
            .await
            .unwrap();
        slow.push(stream);
    }
    for stream in &mut slow {
        assert!(
            closed_within(stream, Duration::from_secs(10)).await,
            "a connection with an unfinished header was left open"
        );
    }
    // The server still serves everyone else.
    assert_eq!(app.client().get("/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_body_over_the_limit_gets_a_413_page() {
    let app = TestApp::spawn_with(|c| c.limits.body_limit = 1000, Vec::new()).await;
    let client = app.client();
    let long = "x".repeat(5000);
    let page = client
        .post(
            "/login",
            &[("email", "pat@clinic.test"), ("password", &long)],
        )
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.header("content-type").starts_with("text/html"));
    page.assert_contains("Too much to send");
    // A form within the limit goes through as usual.
    let page = client
        .post(
            "/login",
            &[("email", "pat@clinic.test"), ("password", "short")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_request_past_the_request_timeout_gets_503_with_retry_after() {
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(3)).await;
        "finally"
    }
    let app = TestApp::spawn_with(
        |c| c.limits.request_timeout = Duration::from_millis(300),
        vec![Route::new("/test/slow", Access::Everyone).get(slow)],
    )
    .await;
    let page = app.client().get("/test/slow").await;
    assert_retry_later(&page);
    page.assert_contains("Busy");
    assert_eq!(app.client().get("/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn shutdown_waits_for_requests_whose_client_went_away() {
    static FINISHED: AtomicBool = AtomicBool::new(false);
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_millis(500)).await;
        FINISHED.store(true, Ordering::SeqCst);
        "done"
    }
    let app = TestApp::spawn_with(
        |_| {},
        vec![Route::new("/test/slow-work", Access::Everyone).get(slow)],
    )
    .await;
    let mut stream = TcpStream::connect(address(&app)).await.unwrap();
    stream
        .write_all(b"GET /test/slow-work HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(stream);
    // The client is gone and so is its connection, but the work is still under way...
    assert!(!app.in_flight.all_done(Duration::from_millis(50)).await);
    // ...and what shutdown waits for ends only once the work has.
    assert!(app.in_flight.all_done(Duration::from_secs(5)).await);
    assert!(FINISHED.load(Ordering::SeqCst));
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_one_closes() {
    let app = TestApp::spawn_with(|c| c.limits.max_connections = 2, Vec::new()).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(address(&app)).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\n")
            .await
            .unwrap();
        held.push(stream);
    }
    // A third client is left waiting: the server does not take it on.
    let mut third = TcpStream::connect(address(&app)).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: clinic\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let waited =
        tokio::time::timeout(Duration::from_millis(700), third.read_to_end(&mut answer)).await;
    assert!(
        waited.is_err(),
        "answered past the cap: {:?}",
        String::from_utf8_lossy(&answer)
    );
    // Once one of the two closes, the third is served.
    drop(held.pop());
    tokio::time::timeout(Duration::from_secs(10), third.read_to_end(&mut answer))
        .await
        .expect("served once a connection closed")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn a_database_outage_answers_503_with_retry_after_not_500() {
    let app = TestApp::spawn().await;
    let (client, _) = app.logged_in(Role::Patient, "pat@clinic.test").await;
    assert_eq!(client.get("/patient/profile").await.status, StatusCode::OK);

    // The database goes away under the running app: its connections are ended and it is gone.
    let mut admin = sqlx::Connection::connect_with(&crate::support::server_options())
        .await
        .map(|c: sqlx::PgConnection| c)
        .unwrap();
    sqlx::Executor::execute(
        &mut admin,
        format!("DROP DATABASE {} WITH (FORCE)", app.database_name).as_str(),
    )
    .await
    .unwrap();
    for path in ["/patient/profile", "/patient"] {
        let page = client.get(path).await;
        assert_retry_later(&page);
        page.assert_contains("Temporarily unavailable")
            .assert_lacks("database");
    }
    let page = app
        .client()
        .post(
            "/login",
            &[("email", "pat@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    assert_retry_later(&page);

    // A closed pool says the same.
    app.db.close().await;
    assert_retry_later(&client.get("/patient/profile").await);
}
