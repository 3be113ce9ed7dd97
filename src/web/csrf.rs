//! Anti-forgery check for every state-changing request: a random token in an HttpOnly
//! cookie must come back in the form (field `csrf_token`) or an `X-CSRF-Token` header, and a
//! cross-site Origin is refused outright. Safe methods never change state.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::cookies;
use crate::error::AppError;
use crate::state::AppState;

pub const FIELD: &str = "csrf_token";
const HEADER: &str = "x-csrf-token";
const MAX_FORM_BYTES: usize = 1024 * 1024;

#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

pub fn new_token() -> String {
    crate::auth::tokens::random_hex(32)
}

fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A browser always sends Origin on cross-site posts; when present it must be this host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

fn token_in_form(body: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(key, _)| key == FIELD)
        .map(|(_, value)| value)
}

pub async fn protect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let cookies = state.cookies;
    let existing = cookies::read(request.headers(), cookies.csrf_name())
        .filter(|t| well_formed(t))
        .map(str::to_owned);
    let token = existing.clone().unwrap_or_else(new_token);

    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let mut request = request;
    if !safe {
        if !same_origin(request.headers()) {
            return AppError::Csrf.into_response();
        }
        let (parts, body) = request.into_parts();
        let header_token = parts
            .headers
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (presented, body) = match header_token {
            Some(t) => (Some(t), body),
            None if is_form(&parts.headers) => {
                let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
                    return AppError::BadRequest("The form was too large to send.".into())
                        .into_response();
                };
                (token_in_form(&bytes), Body::from(bytes))
            }
            None => (None, body),
        };
        let valid = matches!((&presented, &existing),
            (Some(p), Some(e)) if constant_time_eq(p.as_bytes(), e.as_bytes()));
        if !valid {
            return AppError::Csrf.into_response();
        }
        request = Request::from_parts(parts, body);
    }

    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    if existing.is_none() && !cookies::sets(response.headers(), cookies.csrf_name()) {
        cookies.set(response.headers_mut(), cookies.csrf_name(), &token);
    }
    response.extensions_mut().insert(CsrfToken(token));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn finds_the_token_among_form_fields() {
        assert_eq!(
            token_in_form(b"email=a%40b.c&csrf_token=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(token_in_form(b"email=a%40b.c"), None);
    }

    #[test]
    fn cross_site_origins_are_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("clinic.example:8080"));
        assert!(same_origin(&headers));
        headers.insert(
            ORIGIN,
            HeaderValue::from_static("http://clinic.example:8080"),
        );
        assert!(same_origin(&headers));
        headers.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_origin(&headers));
        headers.insert(ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&headers));
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"abcd", b"abcd"));
        assert!(!constant_time_eq(b"abcd", b"abce"));
        assert!(!constant_time_eq(b"abcd", b"abc"));
        assert!(well_formed(&new_token()));
    }
}
