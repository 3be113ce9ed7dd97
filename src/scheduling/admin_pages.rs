//! The admin's scheduling set-up: chairs, clinicians' weekly hours and time off. Appointment
//! lengths and the booking limits are clinic settings (`/admin/settings`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use time::{PrimitiveDateTime, Time};

use super::db::{self, Chair, Clinician, HoursRow, TimeOffRow};
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::error::AppResult;
use crate::settings;
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status, see_other};

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

#[derive(Template)]
#[template(path = "scheduling/admin.html")]
struct SetupPage {
    ctx: PageContext,
    chairs: Vec<Chair>,
    clinicians: Vec<Clinician>,
    hours: Vec<(HoursRow, &'static str, String)>,
    time_off: Vec<(TimeOffRow, String, String)>,
    weekdays: [&'static str; 7],
    errors: FormErrors,
    notice: Option<&'static str>,
    /// What was typed into the form that failed, shown back.
    typed: Typed,
}

/// The set-up forms as typed (only the one that failed has anything in it).
#[derive(Clone, Debug, Default)]
pub struct Typed {
    chair: ChairForm,
    hours: HoursForm,
    off: TimeOffForm,
}

impl SetupPage {
    fn hours_weekday_is(&self, number: impl std::borrow::Borrow<usize>) -> bool {
        self.typed.hours.weekday == number.borrow().to_string()
    }

    fn clinician_chosen(&self, form_value: &str, id: impl std::borrow::Borrow<i64>) -> bool {
        form_value == id.borrow().to_string()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "saved" => Some("Saved."),
        "removed" => Some("Removed."),
        _ => None,
    }
}

async fn setup_page(
    state: &AppState,
    ctx: PageContext,
    errors: FormErrors,
    notice: Option<&'static str>,
    typed: Typed,
) -> AppResult<Response> {
    let zone = settings::load(&state.db).await?.zone();
    let clinicians = db::clinicians(&state.db).await?;
    let hours = db::working_hours(&state.db)
        .await?
        .into_iter()
        .map(|h| {
            let day = WEEKDAYS
                .get(usize::try_from(h.weekday - 1).unwrap_or(0))
                .copied()
                .unwrap_or("");
            let who = clinicians
                .iter()
                .find(|c| c.id == h.clinician_id)
                .map_or_else(String::new, |c| c.display_name.clone());
            (h, day, who)
        })
        .collect();
    let time_off = db::upcoming_time_off(&state.db)
        .await?
        .into_iter()
        .map(|t| {
            let from = zone.format(t.from);
            let until = zone.format(t.until);
            (t, from, until)
        })
        .collect();
    let page = SetupPage {
        ctx,
        chairs: db::chairs(&state.db).await?,
        clinicians,
        hours,
        time_off,
        weekdays: WEEKDAYS,
        errors,
        notice,
        typed,
    };
    render_with_status(page.errors.status(), &page)
}

pub async fn overview(
    State(state): State<AppState>,
    ctx: PageContext,
    Query(query): Query<NoticeQuery>,
) -> AppResult<Response> {
    let notice = notice(query.notice.as_deref());
    setup_page(&state, ctx, FormErrors::default(), notice, Typed::default()).await
}

async fn audit_setup(
    state: &AppState,
    admin: &CurrentUser,
    meta: &RequestMeta,
    what: String,
) -> AppResult<()> {
    audit::record(
        &state.db,
        audit::Entry::new(action::SCHEDULE_SETUP, Some(admin), meta).detail(what),
    )
    .await?;
    Ok(())
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ChairForm {
    #[serde(default)]
    name: String,
}

pub async fn add_chair(
    State(state): State<AppState>,
    ctx: PageContext,
    admin: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<ChairForm>,
) -> AppResult<Response> {
    let name = form.name.trim().to_owned();
    let name = name.as_str();
    let mut errors = FormErrors::default();
    errors.check_storable(&[("chair_name", &form.name)]);
    if !errors.is_empty() || name.is_empty() || name.chars().count() > 80 {
        errors.add(
            "chair_name",
            "Name the chair or room (at most 80 characters).",
        );
        let typed = Typed {
            chair: form.clone(),
            ..Typed::default()
        };
        return setup_page(&state, ctx, errors, None, typed).await;
    }
    match db::add_chair(&state.db, name).await {
        Ok(id) => {
            audit_setup(&state, &admin, &meta, format!("chair {id} added")).await?;
            Ok(see_other("/admin/scheduling?notice=saved"))
        }
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("chairs_name_key") => {
            errors.add("chair_name", "There is already a chair with that name.");
            let typed = Typed {
                chair: form.clone(),
                ..Typed::default()
            };
            setup_page(&state, ctx, errors, None, typed).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
}

pub async fn chair_active(
    State(state): State<AppState>,
    admin: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
    Form(form): Form<ActiveForm>,
) -> AppResult<Response> {
    let active = form.active == "true";
    if db::set_chair_active(&state.db, id, active).await? {
        audit_setup(
            &state,
            &admin,
            &meta,
            format!("chair {id} active: {active}"),
        )
        .await?;
    }
    Ok(see_other("/admin/scheduling?notice=saved"))
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct HoursForm {
    #[serde(default)]
    clinician_id: String,
    #[serde(default)]
    weekday: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
}

fn parse_time(text: &str) -> Option<Time> {
    let format = time::macros::format_description!("[hour]:[minute]");
    Time::parse(text.trim(), format).ok()
}

/// Working hours as typed, read: (clinician, ISO weekday 1-7, start, end). `Err` holds what is
/// wrong beside each field.
fn read_hours(form: &HoursForm) -> Result<(i64, i16, Time, Time), FormErrors> {
    let mut errors = FormErrors::default();
    errors.check_storable(&[
        ("hours_clinician", &form.clinician_id),
        ("hours_weekday", &form.weekday),
        ("hours_starts", &form.starts),
        ("hours_ends", &form.ends),
    ]);
    let clinician = form.clinician_id.parse::<i64>().ok();
    let weekday = form
        .weekday
        .parse::<i16>()
        .ok()
        .filter(|d| (1..=7).contains(d));
    let starts = parse_time(&form.starts);
    let ends = parse_time(&form.ends);
    if clinician.is_none() {
        errors.add("hours_clinician", "Choose the clinician.");
    }
    if weekday.is_none() {
        errors.add("hours_weekday", "Choose the day of the week.");
    }
    match (starts, ends) {
        (Some(s), Some(e)) if e > s => {}
        (Some(_), Some(_)) => errors.add("hours_ends", "The end must be after the start."),
        _ => errors.add(
            "hours_starts",
            "Enter the start and end as hours and minutes, like 09:00.",
        ),
    }
    match (clinician, weekday, starts, ends) {
        (Some(clinician), Some(weekday), Some(starts), Some(ends)) if errors.is_empty() => {
            Ok((clinician, weekday, starts, ends))
        }
        _ => Err(errors),
    }
}

pub async fn add_hours(
    State(state): State<AppState>,
    ctx: PageContext,
    admin: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<HoursForm>,
) -> AppResult<Response> {
    let typed_hours = Typed {
        hours: form.clone(),
        ..Typed::default()
    };
    let (clinician, weekday, starts, ends) = match read_hours(&form) {
        Ok(hours) => hours,
        Err(errors) => return setup_page(&state, ctx, errors, None, typed_hours).await,
    };
    let mut errors = FormErrors::default();
    match db::add_hours(&state.db, clinician, weekday, starts, ends).await {
        Ok(id) => {
            audit_setup(&state, &admin, &meta, format!("working hours {id} added")).await?;
            Ok(see_other("/admin/scheduling?notice=saved"))
        }
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("clinician_hours_no_overlap") => {
            errors.add(
                "hours_starts",
                "These hours overlap hours already set for that day.",
            );
            setup_page(&state, ctx, errors, None, typed_hours).await
        }
        Err(sqlx::Error::RowNotFound) => {
            errors.add("hours_clinician", "Choose one of the clinicians.");
            setup_page(&state, ctx, errors, None, typed_hours).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_hours(
    State(state): State<AppState>,
    admin: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    if db::remove_hours(&state.db, id).await? {
        audit_setup(&state, &admin, &meta, format!("working hours {id} removed")).await?;
    }
    Ok(see_other("/admin/scheduling?notice=removed"))
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct TimeOffForm {
    #[serde(default)]
    clinician_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
}

fn parse_local(text: &str) -> Option<PrimitiveDateTime> {
    crate::core::params::clinic_date_time(text).ok()
}

pub async fn add_time_off(
    State(state): State<AppState>,
    ctx: PageContext,
    admin: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<TimeOffForm>,
) -> AppResult<Response> {
    let zone = settings::load(&state.db).await?.zone();
    let mut errors = FormErrors::default();
    let typed_off = Typed {
        off: form.clone(),
        ..Typed::default()
    };
    errors.check_storable(&[
        ("off_clinician", &form.clinician_id),
        ("off_from", &form.from),
        ("off_until", &form.until),
        ("off_reason", &form.reason),
    ]);
    let clinician = form.clinician_id.parse::<i64>().ok();
    let from = parse_local(&form.from).map(|t| zone.to_utc(t.date(), t.time()));
    let until = parse_local(&form.until).map(|t| zone.to_utc(t.date(), t.time()));
    if clinician.is_none() {
        errors.add("off_clinician", "Choose the clinician.");
    }
    match (from, until) {
        (Some(f), Some(u)) if u > f => {}
        (Some(_), Some(_)) => errors.add("off_until", "The end must be after the start."),
        _ => errors.add(
            "off_from",
            "Enter the start and the end, each as a date and time.",
        ),
    }
    let reason = form.reason.trim().chars().take(200).collect::<String>();
    let (Some(clinician), Some(from), Some(until)) = (clinician, from, until) else {
        return setup_page(&state, ctx, errors, None, typed_off).await;
    };
    if !errors.is_empty() {
        return setup_page(&state, ctx, errors, None, typed_off).await;
    }
    let id = db::add_time_off(&state.db, clinician, from, until, &reason, admin.id).await?;
    audit_setup(&state, &admin, &meta, format!("time off {id} added")).await?;
    Ok(see_other("/admin/scheduling?notice=saved"))
}

pub async fn remove_time_off(
    State(state): State<AppState>,
    admin: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    if db::remove_time_off(&state.db, id).await? {
        audit_setup(&state, &admin, &meta, format!("time off {id} removed")).await?;
    }
    Ok(see_other("/admin/scheduling?notice=removed"))
}
