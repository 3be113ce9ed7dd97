//! Calendar pages: each appointment as an `.ics` file, and a private feed per patient and per
//! clinician (the URL holds a secret token; only its SHA-256 is kept; making a new one stops
//! the old).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use icalendar::Calendar;
use time::OffsetDateTime;

use super::calendar::{Reader, calendar_of};
use super::db::{self, AppointmentRow};
use super::model;
use crate::audit::{self, action};
use crate::auth::tokens::{new_token, token_hash};
use crate::core::CurrentUser;
use crate::core::Role;
use crate::error::{AppError, AppResult};
use crate::settings;
use crate::state::AppState;
use crate::web::{PageContext, RequestMeta, render};

fn calendar_response(calendar: &Calendar, file_name: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        calendar.to_string(),
    )
        .into_response()
}

/// One appointment as an `.ics` download, which leaves the clinic with the patient's
/// appointment in it: audited like any view of it.
async fn one(
    state: &AppState,
    (user, meta): (&CurrentUser, &RequestMeta),
    row: &AppointmentRow,
    reader: Reader,
) -> AppResult<Response> {
    audit::record_view(
        &state.db,
        audit::Entry::new(action::APPOINTMENT_VIEW, Some(user), meta)
            .patient(row.patient_id)
            .detail(format!("calendar file of appointment {}", row.id)),
    )
    .await?;
    let clinic_name = settings::load(&state.db).await?.clinic_name;
    let calendar = calendar_of(std::slice::from_ref(row), reader, &clinic_name);
    Ok(calendar_response(
        &calendar,
        &format!("appointment-{}.ics", row.id),
    ))
}

pub async fn staff_appointment(
    State(state): State<AppState>,
    user: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let row = super::staff_pages::appointment_or_not_found(&state, id).await?;
    one(&state, (&user, &meta), &row, Reader::Patient).await
}

pub async fn patient_appointment(
    State(state): State<AppState>,
    user: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let patient_id = db::patient_of_user(&state.db, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let row = db::appointment(&state.db, id)
        .await?
        .filter(|r| r.patient_id == patient_id)
        .ok_or(AppError::NotFound)?;
    one(&state, (&user, &meta), &row, Reader::Patient).await
}

#[derive(Template)]
#[template(path = "scheduling/feed.html")]
struct FeedPage {
    ctx: PageContext,
    has_feed: bool,
    new_url: Option<String>,
    allowed: bool,
}

pub async fn feed_page(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
) -> AppResult<Response> {
    let has_feed = db::has_calendar_feed(&state.db, user.id).await?;
    render(&FeedPage {
        ctx,
        has_feed,
        new_url: None,
        allowed: model::may_have_calendar_feed(user.role),
    })
}

/// Makes a new feed address; the previous one stops working.
pub async fn new_feed(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
) -> AppResult<Response> {
    if !model::may_have_calendar_feed(user.role) {
        return Err(AppError::Forbidden);
    }
    let (token, hash) = new_token();
    let mut tx = state.db.begin().await?;
    db::replace_calendar_feed(&mut tx, user.id, &hash).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::CALENDAR_FEED, Some(&user), &meta).detail("new feed address"),
    )
    .await?;
    tx.commit().await?;
    let url = format!("{}/calendar/{token}", state.config.link_base());
    render(&FeedPage {
        ctx,
        has_feed: true,
        new_url: Some(url),
        allowed: true,
    })
}

/// The feed itself, read by calendar apps without a session: the token is the key.
pub async fn feed(
    State(state): State<AppState>,
    meta: RequestMeta,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let Some(owner) = db::calendar_feed_owner(&state.db, &token_hash(&token)).await? else {
        return Ok((StatusCode::NOT_FOUND, "unknown or revoked calendar").into_response());
    };
    let (rows, reader) = match owner.role {
        Role::Patient => {
            let Some(patient_id) = db::patient_of_user(&state.db, owner.user_id).await? else {
                return Err(AppError::NotFound);
            };
            // Their own list (the newest 200), from a month ago on.
            let since = OffsetDateTime::now_utc() - time::Duration::days(30);
            let mut rows = db::appointments_of_patient(&state.db, patient_id).await?;
            rows.retain(|r| r.from > since);
            rows.reverse();
            (rows, Reader::Patient)
        }
        Role::Clinician => (
            db::feed_of_clinician(&state.db, owner.user_id).await?,
            Reader::Clinician,
        ),
        _ => return Err(AppError::NotFound),
    };
    let actor = CurrentUser::actor(owner.user_id, owner.role, owner.display_name, owner.email);
    let mut entry = audit::Entry::new(action::CALENDAR_FEED, Some(&actor), &meta)
        .detail(format!("feed read: {} appointments", rows.len()));
    if let Some(first) = rows.first().filter(|_| reader == Reader::Patient) {
        entry = entry.patient(first.patient_id);
    }
    audit::record(&state.db, entry).await?;
    let clinic_name = settings::load(&state.db).await?.clinic_name;
    let calendar = calendar_of(&rows, reader, &clinic_name);
    Ok(calendar_response(&calendar, "clinic.ics"))
}
