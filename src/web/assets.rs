//! Stylesheet, script and icon, compiled into the binary so the app needs no CDN and no
//! files beside it: it works offline on a clinic network and from any working directory.

use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use super::routes::{Access, Route};

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/app.css"),
    )
}

async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/app.js"),
    )
}

async fn icon() -> Response {
    asset("image/svg+xml", include_str!("../../static/icon.svg"))
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/static/app.css", Access::Everyone).get(stylesheet),
        Route::new("/static/app.js", Access::Everyone).get(script),
        Route::new("/static/icon.svg", Access::Everyone).get(icon),
    ]
}
