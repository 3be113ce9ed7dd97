//! What every page shares: request metadata, the page context, cookies, CSRF, security
//! headers, error pages, the route table and static assets.

pub mod assets;
pub use crate::auth::cookies;
pub mod csrf;
pub mod edge;
pub mod error_pages;
pub mod forms;
pub use crate::core::params;
pub mod routes;
pub mod security;
pub mod session;
pub mod unstorable;

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use tracing::Instrument;

use crate::core::CurrentUser;
use crate::core::Role;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub use forms::FormErrors;

pub use crate::core::RequestMeta;

/// The route pattern that answered, put on the response by the route guard for logging.
#[derive(Clone, Copy, Debug)]
pub struct RoutePattern(pub &'static str);

pub fn random_hex(bytes: usize) -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    hex::encode(buffer)
}

fn client_addr(request: &Request, trust_proxy: bool) -> String {
    let forwarded = trust_proxy
        .then(|| request.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        // The last entry is the one our own proxy appended; earlier ones are the client's say-so.
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    forwarded
        .or_else(|| {
            request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

pub use crate::state::RequestsInFlight;

impl axum::extract::FromRef<crate::state::AppState> for RequestsInFlight {
    fn from_ref(state: &crate::state::AppState) -> Self {
        state.in_flight.clone()
    }
}

/// The very outermost layer: runs each request to its end even when the client goes away.
/// A handler stopped part-way could leave work half done; worse, one stopped between sending
/// BEGIN and its answer leaves its pooled connection inside a transaction that the
/// connection's next user would then commit or roll back along with its own work.
pub async fn run_to_completion(
    State(in_flight): State<RequestsInFlight>,
    request: Request,
    next: Next,
) -> Response {
    let working = in_flight.enter().await;
    let work = async move {
        let response = next.run(request).await;
        drop(working);
        response
    };
    match tokio::spawn(work).await {
        Ok(response) => response,
        // Panics are caught further in; this is the task itself failing.
        Err(_) => AppError::Internal("a request's task failed".into()).into_response(),
    }
}

/// Next to outermost: gives the request an id, records the client address, and logs one line
/// per request with ids and the route pattern only (never the URL's query or any form data).
pub async fn request_meta(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let meta = RequestMeta {
        request_id: random_hex(8),
        client_addr: client_addr(&request, state.config.trust_proxy),
    };
    let span = tracing::info_span!("request", request_id = %meta.request_id, method = %request.method(), route = tracing::field::Empty);
    let request_id = meta.request_id.clone();
    request.extensions_mut().insert(meta);
    let started = std::time::Instant::now();
    async move {
        let mut response = next.run(request).await;
        let route = response
            .extensions()
            .get::<RoutePattern>()
            .map_or("-", |r| r.0);
        tracing::Span::current().record("route", route);
        let status = response.status().as_u16();
        let micros = started.elapsed().as_micros();
        if response.status().is_server_error() {
            tracing::warn!(status, micros, "request failed");
        } else {
            tracing::debug!(status, micros, "request");
        }
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("x-request-id", value);
        }
        response
    }
    .instrument(span)
    .await
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestMeta>()
            .cloned()
            .ok_or_else(|| AppError::Internal("request metadata layer missing".into()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
}

/// The navigation each role sees: only pages that exist and that the role may open.
pub fn navigation(role: Role) -> &'static [NavLink] {
    const fn link(href: &'static str, label: &'static str) -> NavLink {
        NavLink { href, label }
    }
    const PATIENT: &[NavLink] = &[
        link("/patient", "My care"),
        link("/patient/screening", "Screening"),
        link("/patient/consent", "Consent"),
        link("/patient/appointments", "Appointments"),
        link("/patient/progress", "Progress"),
        link("/patient/profile", "My details"),
    ];
    const FRONT_DESK: &[NavLink] = &[
        link("/front-desk", "Front desk"),
        link("/front-desk/patients", "Patients"),
        link("/schedule", "Schedule"),
    ];
    const CLINICIAN: &[NavLink] = &[
        link("/clinician", "Clinician"),
        link("/clinician/screenings", "Screenings"),
        link("/clinician/consents", "Consents"),
        link("/schedule", "Schedule"),
    ];
    const ADMIN: &[NavLink] = &[
        link("/admin", "Overview"),
        link("/admin/staff", "Staff"),
        link("/admin/settings", "Settings"),
        link("/admin/consent", "Consent forms"),
        link("/admin/scheduling", "Scheduling"),
        link("/admin/treatment", "Infusions"),
        link("/admin/reports", "Reports"),
        link("/admin/audit", "Audit log"),
    ];
    match role {
        Role::Patient => PATIENT,
        Role::FrontDesk => FRONT_DESK,
        Role::Clinician => CLINICIAN,
        Role::Admin => ADMIN,
    }
}

/// What the shared layout needs: who is logged in, their navigation and the form token.
#[derive(Clone, Debug)]
pub struct PageContext {
    pub user: Option<CurrentUser>,
    pub csrf_token: String,
    pub path: String,
}

impl PageContext {
    /// The user's navigation; none while a required second factor is not set up yet (every
    /// link would lead back to its setup).
    pub fn nav(&self) -> &'static [NavLink] {
        match &self.user {
            Some(u) if !u.must_enrol_two_factor => navigation(u.role),
            _ => &[],
        }
    }

    /// Whether a navigation link points at the page being shown (for aria-current).
    pub fn is_current(&self, href: &str) -> bool {
        self.path == href
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageContext {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageContext {
            user: parts.extensions.get::<CurrentUser>().cloned(),
            csrf_token: parts
                .extensions
                .get::<csrf::CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            path: parts.uri.path().to_owned(),
        })
    }
}

/// Renders a page template as an HTML response.
pub fn render(page: &impl Template) -> AppResult<Response> {
    Ok(Html(html_of(page)?).into_response())
}

/// Renders a page template with a status other than 200 (e.g. a form with errors: 422).
pub fn render_with_status(status: StatusCode, page: &impl Template) -> AppResult<Response> {
    Ok((status, Html(html_of(page)?)).into_response())
}

/// A page's HTML. A form refused for a NUL byte shows the rest of the typed text back; the NUL
/// itself is dropped here, once for every page, since HTML cannot carry it.
fn html_of(page: &impl Template) -> AppResult<String> {
    let html = page.render()?;
    Ok(if html.contains('\0') {
        html.replace('\0', "")
    } else {
        html
    })
}

/// The browser's own description of itself, as a signature records it (at most 500 characters).
pub fn user_agent(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown")
        .chars()
        .take(500)
        .collect()
}

/// A redirect after a form post (303 so the browser follows with GET).
pub fn see_other(location: &str) -> Response {
    axum::response::Redirect::to(location).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_from(forwarded: &str) -> Request {
        let mut request = Request::builder()
            .header("x-forwarded-for", forwarded)
            .body(axum::body::Body::empty())
            .unwrap();
        let peer: SocketAddr = "10.1.2.3:5555".parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    }

    #[test]
    fn client_address_comes_from_the_connection_unless_a_proxy_is_trusted() {
        let request = request_from("6.6.6.6, 203.0.113.9");
        assert_eq!(client_addr(&request, false), "10.1.2.3");
        // Behind our proxy only its own appended entry counts, not what the client claimed.
        assert_eq!(client_addr(&request, true), "203.0.113.9");
    }
}
