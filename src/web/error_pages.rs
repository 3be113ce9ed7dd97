//! Turns every error response into a page in the site's layout, with the user's navigation
//! and a request id to quote; the technical detail goes to the log only.

use askama::Template;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::csrf::CsrfToken;
use super::{PageContext, RequestMeta};
use crate::core::CurrentUser;
use crate::error::{AppError, ErrorPage};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate<'a> {
    ctx: PageContext,
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: &'a str,
}

/// What an extractor's refusal says to the person.
pub const UNREADABLE: &str = "Part of this address or form could not be read: a number, date or choice in it is malformed or out of range, so nothing was done. Go back, check what was entered and try again.";

pub async fn render(request: Request, next: Next) -> Response {
    let meta = request.extensions().get::<RequestMeta>().cloned();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;

    let status = response.status();
    let is_html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let page = match response.extensions().get::<ErrorPage>() {
        Some(page) => page.clone(),
        None if is_html => return response,
        None if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED => {
            AppError::NotFound.page()
        }
        // A body over the limit, refused by an extractor before any handler ran.
        None if status == StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge.page(),
        // An extractor's refusal (a path, query or form that does not read as the handler's
        // types: a word for a number, a number past its range); its plain-text reason is
        // for developers and may echo the input, so the page says it in the clinic's words.
        None if matches!(
            status,
            StatusCode::BAD_REQUEST
                | StatusCode::UNPROCESSABLE_ENTITY
                | StatusCode::UNSUPPORTED_MEDIA_TYPE
        ) =>
        {
            AppError::BadRequest(UNREADABLE.to_owned()).page()
        }
        None => return response,
    };

    let request_id = meta.as_ref().map_or("-", |m| m.request_id.as_str());
    if let Some(detail) = &page.detail {
        tracing::error!(request_id, status = status.as_u16(), error = %detail, "request failed");
    }
    let ctx = PageContext {
        user: response.extensions().get::<CurrentUser>().cloned(),
        csrf_token: response
            .extensions()
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default(),
        path,
    };
    let template = ErrorTemplate {
        ctx,
        status: status.as_u16(),
        title: page.title,
        message: &page.message,
        request_id,
    };
    let body = template.render().unwrap_or_else(|e| {
        tracing::error!(request_id, error = %e, "error page failed to render");
        format!("{} (reference {request_id})", page.message)
    });
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(CONTENT_TYPE);
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let mut rendered = (status, Html(body)).into_response();
    for (name, value) in parts.headers.iter() {
        rendered.headers_mut().append(name.clone(), value.clone());
    }
    rendered
}
