//! The patient's own appointments: the list, booking open times, cancelling and moving. The
//! patient is always the one of the session; an appointment id from the URL must be theirs.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use time::OffsetDateTime;

use super::booking::{self, Refusal, Request, SlotChoice};
use super::db::{self, AppointmentRow};
use super::model::{self, AppointmentKind, AppointmentStatus};
use super::reference;
use super::staff_pages::{
    BookingView, Entry, audit_booking_form, booking_page, notice, split_by_now,
};
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::{PageContext, RequestMeta, render, see_other};

async fn own_patient(state: &AppState, user: &CurrentUser) -> AppResult<i64> {
    db::patient_of_user(&state.db, user.id)
        .await?
        .ok_or(AppError::NotFound)
}

/// One of the patient's own appointments; someone else's is "not found".
async fn own_appointment(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<(i64, AppointmentRow)> {
    let patient_id = own_patient(state, user).await?;
    let row = db::appointment(&state.db, id)
        .await?
        .filter(|a| a.patient_id == patient_id)
        .ok_or(AppError::NotFound)?;
    Ok((patient_id, row))
}

#[derive(Template)]
#[template(path = "scheduling/mine.html")]
struct MinePage {
    ctx: PageContext,
    upcoming: Vec<Entry>,
    past: Vec<Entry>,
    kinds: [AppointmentKind; 3],
    email_verified: bool,
    notice: Option<&'static str>,
}

impl MinePage {
    /// The pre-session questionnaires open three days before an infusion.
    fn measures_open(&self, entry: &Entry) -> bool {
        entry.row.kind == AppointmentKind::Infusion
            && entry.row.from - time::OffsetDateTime::now_utc() <= time::Duration::days(3)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    notice: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    let patient_id = own_patient(&state, &user).await?;
    let zone = reference::current(&state).await?.settings.zone();
    let (upcoming, past) = split_by_now(
        db::appointments_of_patient(&state.db, patient_id).await?,
        zone,
    );
    audit::record(
        &state.db,
        audit::Entry::new(action::APPOINTMENT_VIEW, Some(&user), &meta).patient(patient_id),
    )
    .await?;
    render(&MinePage {
        ctx,
        upcoming,
        past,
        kinds: AppointmentKind::ALL,
        email_verified: user.email_verified,
        notice: notice(query.notice.as_deref()),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct BookQuery {
    kind: Option<String>,
    week: Option<String>,
}

fn kind_of(text: Option<&str>) -> AppointmentKind {
    text.and_then(AppointmentKind::parse)
        .unwrap_or(AppointmentKind::Consultation)
}

fn view<'a>(
    patient_id: i64,
    kind: AppointmentKind,
    week: time::Date,
    moving: Option<i64>,
    refusal: Option<&'a Refusal>,
    after_post: bool,
) -> BookingView<'a> {
    let (action, base) = match moving {
        Some(id) => (
            format!("/patient/appointments/{id}/reschedule"),
            format!("/patient/appointments/{id}/reschedule"),
        ),
        None => (
            format!("/patient/appointments/book?kind={}", kind.as_str()),
            "/patient/appointments/book".to_owned(),
        ),
    };
    BookingView {
        patient_id,
        patient_name: String::new(),
        kind,
        week,
        action,
        back: "/patient/appointments".to_owned(),
        base,
        moving,
        refusal,
        override_reason: String::new(),
        self_service: true,
        after_post,
        clinician: None,
    }
}

/// The week a `?week=` names (this week when absent or empty); a malformed or out-of-range
/// date is refused (400).
fn week_of(text: Option<&str>, zone: crate::clinic_time::ClinicZone) -> AppResult<time::Date> {
    Ok(crate::core::params::optional_clinic_date(text)
        .map_err(AppError::BadRequest)?
        .unwrap_or_else(|| zone.date_of(OffsetDateTime::now_utc())))
}

pub async fn book_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Query(query): Query<BookQuery>,
) -> AppResult<Response> {
    let patient_id = own_patient(&state, &user).await?;
    audit_booking_form(&state, (&user, &meta), patient_id, None).await?;
    let zone = reference::current(&state).await?.settings.zone();
    let kind = kind_of(query.kind.as_deref());
    let unverified = Refusal::EmailUnverified;
    let refusal = (!user.email_verified).then_some(&unverified);
    let week = week_of(query.week.as_deref(), zone)?;
    booking_page(
        &state,
        ctx,
        view(patient_id, kind, week, None, refusal, false),
    )
    .await
}

/// What the patient is booking: a new appointment of `kind`, or moving `moving`.
struct Target {
    patient_id: i64,
    kind: AppointmentKind,
    moving: Option<i64>,
}

async fn book_or_move(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    meta: &RequestMeta,
    target: Target,
    choice: &SlotChoice,
) -> AppResult<Response> {
    let Target {
        patient_id,
        kind,
        moving,
    } = target;
    let reference = reference::current(state).await?;
    let settings = &reference.settings;
    let zone = settings.zone();
    let week = choice.parts().map_or_else(
        || zone.date_of(OffsetDateTime::now_utc()),
        |(t, _, _)| zone.date_of(t),
    );
    if !user.email_verified {
        let refusal = Refusal::EmailUnverified;
        return booking_page(
            state,
            ctx,
            view(patient_id, kind, week, moving, Some(&refusal), true),
        )
        .await;
    }
    let request = Request {
        patient_id,
        kind,
        choice,
        moving,
    };
    match booking::book(state, &reference, user, meta, &request).await? {
        Ok(_) => {
            let code = if moving.is_some() { "moved" } else { "booked" };
            Ok(see_other(&format!("/patient/appointments?notice={code}")))
        }
        Err(refusal) => {
            booking_page(
                state,
                ctx,
                view(patient_id, kind, week, moving, Some(&refusal), true),
            )
            .await
        }
    }
}

pub async fn book(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Query(query): Query<BookQuery>,
    Form(choice): Form<SlotChoice>,
) -> AppResult<Response> {
    let patient_id = own_patient(&state, &user).await?;
    let kind = kind_of(query.kind.as_deref());
    let target = Target {
        patient_id,
        kind,
        moving: None,
    };
    book_or_move(&state, ctx, &user, &meta, target, &choice).await
}

pub async fn reschedule_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
    Query(query): Query<BookQuery>,
) -> AppResult<Response> {
    let (patient_id, row) = own_appointment(&state, &user, id).await?;
    if row.status != AppointmentStatus::Booked {
        return Ok(see_other("/patient/appointments?notice=not-live"));
    }
    audit_booking_form(&state, (&user, &meta), patient_id, Some(id)).await?;
    let zone = reference::current(&state).await?.settings.zone();
    let week = match query.week.as_deref() {
        Some(text) => week_of(Some(text), zone)?,
        None => zone.date_of(row.from),
    };
    booking_page(
        &state,
        ctx,
        view(patient_id, row.kind, week, Some(id), None, false),
    )
    .await
}

pub async fn reschedule(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
    Form(choice): Form<SlotChoice>,
) -> AppResult<Response> {
    let (patient_id, row) = own_appointment(&state, &user, id).await?;
    let target = Target {
        patient_id,
        kind: row.kind,
        moving: Some(id),
    };
    book_or_move(&state, ctx, &user, &meta, target, &choice).await
}

pub async fn cancel(
    State(state): State<AppState>,
    user: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (_, row) = own_appointment(&state, &user, id).await?;
    let reference = reference::current(&state).await?;
    let settings = &reference.settings;
    let late =
        model::is_late_cancellation(&settings.scheduling(), row.from, OffsetDateTime::now_utc());
    let done = booking::close(
        &state,
        settings,
        &user,
        &meta,
        &row,
        AppointmentStatus::Cancelled,
        None,
    )
    .await?;
    let code = match (done, late) {
        (false, _) => "not-live",
        (true, true) => "late",
        (true, false) => "cancelled",
    };
    Ok(see_other(&format!("/patient/appointments?notice={code}")))
}
