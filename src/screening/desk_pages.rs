//! The front desk's patient list, which shows standing only.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::desk::{self, DeskLine, DeskSearch};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::{PageContext, RequestMeta, render_with_status};

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
    q: Option<String>,
    phone: Option<String>,
    born: Option<String>,
}

#[derive(Template)]
#[template(path = "screening/desk_patients.html")]
struct DeskPage {
    ctx: PageContext,
    /// Each patient with their screening standing and consent status (with its date if withdrawn).
    rows: Vec<DeskLine>,
    search: String,
    phone: String,
    born: String,
    name_error: Option<&'static str>,
    phone_error: Option<&'static str>,
    born_error: Option<&'static str>,
    /// The search as a query string, for the page links.
    query: String,
    page: i64,
    has_next: bool,
}

/// The front desk's patient list: who, and where they stand; never answers, scores or notes.
pub async fn desk_patients(
    State(state): State<AppState>,
    ctx: PageContext,
    staff: CurrentUser,
    meta: RequestMeta,
    Query(query): Query<PageQuery>,
) -> AppResult<Response> {
    let page = crate::core::params::page_number(query.page).map_err(AppError::BadRequest)?;
    let search = DeskSearch::read(query.q, query.phone, query.born);
    let (rows, has_next) = desk::patients_page(&state, &staff, &meta, &search, page).await?;
    let status = match search.refused() {
        true => StatusCode::UNPROCESSABLE_ENTITY,
        false => StatusCode::OK,
    };
    render_with_status(
        status,
        &DeskPage {
            ctx,
            rows,
            query: search.query(),
            search: search.name,
            phone: search.phone,
            born: search.born,
            name_error: search.name_error,
            phone_error: search.phone_error,
            born_error: search.born_error,
            page,
            has_next,
        },
    )
}
