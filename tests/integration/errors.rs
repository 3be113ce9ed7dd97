//! Error pages, health checks and logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use clinic::auth::model::Role;
use clinic::web::routes::{Access, Route};
use reqwest::StatusCode;

use crate::support::{TestApp, test_config};

#[tokio::test]
async fn unknown_pages_get_a_404_page_in_the_layout_with_a_reference() {
    let app = TestApp::spawn().await;
    let (client, _) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let page = client.get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let request_id = page.header("x-request-id").to_owned();
    page.assert_contains("Page not found")
        .assert_contains(&request_id)
        .assert_contains("href=\"/clinician\"");
    assert!(page.header("content-type").starts_with("text/html"));
}

#[tokio::test]
async fn a_panicking_handler_becomes_a_500_page_not_a_dropped_connection() {
    async fn broken() -> &'static str {
        panic!("simulated bug")
    }
    let app = TestApp::spawn_with(
        |_| {},
        vec![Route::new("/test/broken", Access::Everyone).get(broken)],
    )
    .await;
    let page = app.client().get("/test/broken").await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = page.header("x-request-id").to_owned();
    page.assert_contains("Something went wrong")
        .assert_contains(&request_id)
        .assert_lacks("simulated bug");
    // The server keeps serving.
    assert_eq!(app.client().get("/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn readiness_follows_the_database_and_liveness_does_not() {
    let app = TestApp::spawn().await;
    assert_eq!(app.client().get("/readyz").await.status, StatusCode::OK);

    // The same app over a database that is not there.
    let config = test_config("postgres://postgres@127.0.0.1:1/clinic".to_owned());
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(500))
        .connect_lazy(&config.database_url)
        .unwrap();
    let state = clinic::AppState::new(pool, config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            clinic::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let client = crate::support::Client::new(&base);
    assert_eq!(client.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(
        client.get("/readyz").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Logs of the whole test process from the first call on. A process-wide subscriber rather
/// than a per-thread one: tracing caches per call site whether anyone listens, and other tests
/// running first without a subscriber would otherwise hide the app's log lines from this one.
fn captured_logs() -> &'static Captured {
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("debug,hyper=info,hyper_util=info")
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        captured
    })
}

#[tokio::test]
async fn logs_carry_ids_but_no_patient_data() {
    let captured = captured_logs();
    let app = TestApp::spawn().await;
    let client = app.client();
    let fields = [
        ("name", "Zelda Quartermaine"),
        ("date_of_birth", "1977-07-07"),
        ("email", "zelda.q@clinic.test"),
        ("password", "zelda's secret passphrase"),
    ];
    assert_eq!(
        app.register_patient(&client, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    client
        .get("/patient")
        .await
        .assert_contains("Zelda Quartermaine");
    client.get("/no-such-page?name=Zelda").await;

    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(
        logs.contains("request_id"),
        "requests are logged with their id:\n{logs}"
    );
    for secret in [
        "Zelda",
        "Quartermaine",
        "1977-07-07",
        "zelda.q",
        "passphrase",
    ] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the logs:\n{logs}"
        );
    }
}

#[tokio::test]
async fn a_request_runs_to_its_end_when_the_client_goes_away() {
    async fn slow(
        axum::extract::State(state): axum::extract::State<clinic::AppState>,
    ) -> &'static str {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        sqlx::query("UPDATE clinic_settings SET clinic_name = 'Finished after the client left'")
            .execute(&state.db)
            .await
            .unwrap();
        "done"
    }
    let app = TestApp::spawn_with(
        |_| {},
        vec![Route::new("/test/slow", Access::Everyone).get(slow)],
    )
    .await;
    let impatient = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(50))
        .build()
        .unwrap();
    assert!(
        impatient
            .get(format!("{}/test/slow", app.base))
            .send()
            .await
            .is_err()
    );
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let name: String = sqlx::query_scalar("SELECT clinic_name FROM clinic_settings")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(name, "Finished after the client left");
}
