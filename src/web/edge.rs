//! Limits at the edge, so no client can hold the server's connections, memory or time:
//! a deadline for each request's headers, a cap on open connections, a largest body and a
//! longest request. Every value comes from `config::Limits`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::config::Limits;
use crate::error::AppError;
use crate::state::AppState;

/// Refuses a body declared larger than the limit (a body sent without its length is cut off
/// at the limit by the extractors: see `DefaultBodyLimit` in `app`), and answers 503 when a
/// request runs past the request timeout. The work itself is spawned and finishes anyway:
/// stopping a handler half-way could leave its transaction open (see `run_to_completion`).
pub async fn limits(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limits = &state.config.limits;
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.body_limit as u64) {
        return AppError::PayloadTooLarge.into_response();
    }
    let work = tokio::spawn(next.run(request));
    match tokio::time::timeout(limits.request_timeout, work).await {
        Ok(Ok(response)) => response,
        Ok(Err(_)) => AppError::Internal("a request's task failed".into()).into_response(),
        Err(_) => {
            AppError::Unavailable("the request ran past the request timeout".into()).into_response()
        }
    }
}

/// Serves HTTP/1.1 on `listener` until `shutdown` completes, then stops accepting and waits
/// for the connections' requests in flight.
///
/// Written out rather than `axum::serve`, which has no header-read timeout (hyper's needs a
/// timer) and no connection cap.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A slot is taken before accepting: past the cap, further clients wait in the
        // listen queue until a connection closes, instead of each costing a task and memory.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.map_err(io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            app.clone().oneshot(request.map(Body::new))
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        // The timeout covers the wait for each request's headers, an idle keep-alive
        // connection's wait for its next request included.
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
