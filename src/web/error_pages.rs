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
use crate::auth::CurrentUser;
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

pub async fn render(request: Request, next: Next) -> Response {
    let meta = request.extensions().get::<RequestMeta>().cloned();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;

    let status = response.status();
    let page = match response.extensions().get::<ErrorPage>() {
        Some(page) => page.clone(),
        None if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED => {
            let is_html = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html"));
            if is_html {
                return response;
            }
            AppError::NotFound.page()
        }
        // A body over the limit, refused by an extractor before any handler ran.
        None if status == StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge.page(),
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
