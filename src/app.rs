//! Application state, the route table, the middleware stack and the server loop.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::AppError;
use crate::web::routes::{Access, Route};
use crate::{
    account, admin, alerts, auth, consent, export, flowsheet, home, outcomes, patients, reports,
    scheduling, screening, web,
};

/// Where every page found it before the state had its own module.
pub use crate::state::AppState;

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    let ping = sqlx::query_scalar!("SELECT 1 AS \"one!\"").fetch_one(&state.db);
    match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Ok(_)) => (StatusCode::OK, "ready").into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database not answering").into_response(),
    }
}

/// Every route of the app, each with its access rule.
pub fn routes() -> Vec<Route> {
    let operations = vec![
        Route::new("/healthz", Access::Everyone).get(healthz),
        Route::new("/readyz", Access::Everyone).get(readyz),
    ];
    [
        operations,
        web::assets::routes(),
        crate::login::routes(),
        account::routes(),
        alerts::routes(),
        home::routes(),
        patients::routes(),
        screening::routes(),
        consent::routes(),
        scheduling::routes(),
        flowsheet::routes(),
        outcomes::routes(),
        export::routes(),
        reports::routes(),
        admin::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The routes whose handlers check their text fields for unstorable characters themselves
/// (`Route::checks_text`), as (method, path pattern): what tests post NUL bytes to.
pub fn text_checked_routes() -> Vec<(axum::http::Method, &'static str)> {
    routes()
        .iter()
        .filter(|route| route.checks_text)
        .flat_map(|route| {
            route
                .methods
                .iter()
                .filter(|method| **method == axum::http::Method::POST)
                .map(move |method| (method.clone(), route.path))
        })
        .collect()
}

/// Every (method, path pattern, access rule) the app answers, in table order: what tests walk
/// so that a new route is covered without being listed by hand.
pub fn route_list() -> Vec<(axum::http::Method, &'static str, Access)> {
    routes()
        .iter()
        .flat_map(|route| {
            route
                .methods
                .iter()
                .map(move |method| (method.clone(), route.path, route.access))
        })
        .collect()
}

async fn not_found() -> AppError {
    AppError::NotFound
}

fn panic_page(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::Internal("a request handler panicked".into()).into_response()
}

/// The whole application as a router, for `serve` and for tests.
pub fn app(state: AppState) -> Router {
    app_with_routes(state, routes())
}

/// The application with a given route table (tests add routes that misbehave on purpose).
pub fn app_with_routes(state: AppState, routes: Vec<Route>) -> Router {
    // The last layer added runs first.
    web::routes::router(routes, &state)
        .fallback(not_found)
        .layer(CatchPanicLayer::custom(panic_page))
        .layer(from_fn(web::unstorable::refuse_nul))
        .layer(from_fn_with_state(state.clone(), web::session::load))
        .layer(from_fn_with_state(state.clone(), web::csrf::protect))
        .layer(from_fn_with_state(state.clone(), web::edge::limits))
        .layer(DefaultBodyLimit::max(state.config.limits.body_limit))
        .layer(from_fn(web::error_pages::render))
        .layer(from_fn_with_state(state.clone(), web::security::headers))
        .layer(from_fn_with_state(state.clone(), web::request_meta))
        .layer(from_fn_with_state(state.clone(), web::run_to_completion))
        .with_state(state)
}

/// Serves until SIGTERM or Ctrl-C, then stops accepting and lets requests in flight finish.
pub async fn serve(state: AppState) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(state.config.listen).await?;
    tokio::spawn(housekeeping(state.db.clone()));
    tokio::spawn(seal_audit_trail(state.db.clone()));
    tokio::spawn(anchor_audit_trail(state.db.clone()));
    tokio::spawn(state.follow_changes());
    if let Some(mailer) = state.mailer.clone() {
        tokio::spawn(crate::notify::run_worker(state.db.clone(), mailer));
    }
    tracing::info!(address = %listener.local_addr()?, "clinic is listening");
    let limits = state.config.limits.clone();
    let in_flight = state.in_flight.clone();
    web::edge::serve(listener, app(state), &limits, shutdown_signal()).await?;
    // Requests whose client went away are not on any connection; let them end too.
    if !in_flight.all_done(limits.request_timeout).await {
        tracing::warn!("stopped with requests still being worked on past the request timeout");
    }
    tracing::info!("clinic stopped");
    Ok(())
}

/// Chains new audit entries about once a second. Every app process runs this; the database
/// lets one seal at a time.
async fn seal_audit_trail(db: PgPool) {
    // Every entry passes through the inbox, so it is all dead rows unless vacuumed; that is
    // done here rather than left to autovacuum, which a server may run rarely or not at all.
    const TIDY_EVERY: Duration = Duration::from_secs(10);
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sealed_since_tidy = 0;
    let mut last_tidy = tokio::time::Instant::now();
    loop {
        every.tick().await;
        match crate::audit::seal(&db).await {
            Ok(sealed) => sealed_since_tidy += sealed,
            Err(e) => tracing::warn!(error = %e, "could not seal the audit trail"),
        }
        if sealed_since_tidy > 0 && last_tidy.elapsed() >= TIDY_EVERY {
            if let Err(e) = crate::audit::tidy_inbox(&db).await {
                tracing::warn!(error = %e, "could not vacuum the audit inbox");
            }
            sealed_since_tidy = 0;
            last_tidy = tokio::time::Instant::now();
        }
    }
}

/// Once a day, the head of the audit trail goes to the log and to the administrators by
/// email, so a copy lives outside the database (`clinic audit verify --anchor`).
async fn anchor_audit_trail(db: PgPool) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        // Checked hourly; sent when the last one is a day old, by whichever process is first.
        match crate::audit::mail_daily_anchor(&db).await {
            Ok(Some(anchor)) => tracing::info!(anchor = %anchor.line(), "audit anchor"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not anchor the audit trail"),
        }
    }
}

/// Clears leftovers every ten minutes. Safe to run in every app process at once.
async fn housekeeping(db: PgPool) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        match auth::db::purge_stale(&db).await {
            Ok(0) => {}
            Ok(purged) => {
                let entry = crate::audit::Entry {
                    action: crate::audit::action::SESSION_PURGE,
                    detail: Some(format!("{purged} abandoned session(s) removed")),
                    ..crate::audit::Entry::default()
                };
                if let Err(e) = crate::audit::record(&db, entry).await {
                    tracing::warn!(error = %e, "could not audit the session purge");
                }
            }
            Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
