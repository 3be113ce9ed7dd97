//! The front desk's and clinicians' scheduling pages: the day (by chair and by clinician) and
//! the week, a patient's appointments, booking with the infusion gate, and changing an
//! appointment.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::sync::Arc;

use serde::Deserialize;
use time::{Date, Duration, OffsetDateTime};

use super::booking::{self, Refusal, Request, SlotChoice};
use super::db::{self, AppointmentRow, Chair, Clinician, ScheduleRow, Showing};
use super::model::{self, AppointmentKind, AppointmentStatus, BoardState, GateProblem, Slot};
use super::reference::{self, Drawing, Reference};
use crate::audit::{self, action};
use crate::clinic_time::ClinicZone;
use crate::core::CurrentUser;
use crate::core::Role;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::{PageContext, RequestMeta, params, render, render_with_status, see_other};

/// `?date=2026-11-30`; today (in the clinic) when absent or unreadable.
#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    date: Option<String>,
    notice: Option<String>,
    /// The day's layout: `chair` (the chair board, by default) or `clinician`.
    by: Option<String>,
}

/// How the day is laid out: one lane per chair (the clinic's chair board) or per clinician.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayLayout {
    ByChair,
    ByClinician,
}

impl DayLayout {
    const ALL: [DayLayout; 2] = [DayLayout::ByChair, DayLayout::ByClinician];

    fn parse(text: Option<&str>) -> Self {
        match text {
            Some("clinician") => DayLayout::ByClinician,
            _ => DayLayout::ByChair,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DayLayout::ByChair => "By chair",
            DayLayout::ByClinician => "By clinician",
        }
    }

    /// The query-string part that keeps this layout on the day's links.
    pub fn query(self) -> &'static str {
        match self {
            DayLayout::ByChair => "",
            DayLayout::ByClinician => "&by=clinician",
        }
    }

    /// Names this layout's drawing among the remembered boards.
    fn board(self) -> &'static str {
        match self {
            DayLayout::ByChair => "day by chair",
            DayLayout::ByClinician => "day by clinician",
        }
    }
}

/// The day a `?date=` or `?week=` names; today in the clinic when absent or empty. A date
/// that is malformed or outside the clinic's years is refused (400), not guessed at.
fn parse_day(text: Option<&str>, zone: ClinicZone, now: OffsetDateTime) -> AppResult<Date> {
    Ok(params::optional_clinic_date(text)
        .map_err(AppError::BadRequest)?
        .unwrap_or_else(|| zone.date_of(now)))
}

/// An appointment as a schedule shows it.
pub struct Entry {
    pub row: AppointmentRow,
    pub time: String,
}

/// An appointment in the day or week view.
pub struct ScheduleEntry<'a> {
    pub row: &'a ScheduleRow,
    pub time: String,
    pub clinician: String,
    pub chair: Option<String>,
}

/// The view's entries, with names from the lists the page holds anyway.
fn schedule_entries<'a>(
    rows: &'a [ScheduleRow],
    zone: ClinicZone,
    clinicians: &[Clinician],
    chairs: &[Chair],
) -> Vec<ScheduleEntry<'a>> {
    rows.iter()
        .map(|row| ScheduleEntry {
            time: format!("{}–{}", zone.clock(row.from), zone.clock(row.until)),
            clinician: clinicians
                .iter()
                .find(|c| c.id == row.clinician_id)
                .map_or_else(String::new, |c| c.display_name.clone()),
            chair: row
                .chair_id
                .and_then(|id| chairs.iter().find(|c| c.id == id))
                .map(|c| c.name.clone()),
            row,
        })
        .collect()
}

/// One lane of the day's board: a chair or a clinician, and its blocks.
pub struct Lane {
    pub name: String,
    pub blocks: Vec<Block>,
}

/// An appointment on the board: where it sits (rows of `BOARD_STEP_MINUTES`) and how it reads.
pub struct Block {
    pub id: i64,
    pub first_row: i32,
    pub rows: i32,
    pub state: BoardState,
    pub time: String,
    pub kind: &'static str,
    pub patient: String,
    /// The clinician on the chair board, the chair (if any) on the clinicians' board.
    pub with: String,
}

#[derive(Template)]
#[template(path = "scheduling/day.html")]
struct DayPage {
    ctx: PageContext,
    day: Date,
    previous: Date,
    next: Date,
    layout: DayLayout,
    layouts: [DayLayout; 2],
    board: Arc<Drawing>,
    /// The hour labels of the board's time column, with their first row.
    hours: Vec<(i32, String)>,
    /// The row and clock of the current time, on today's board.
    now: Option<(i32, String)>,
    states: [BoardState; 7],
    zone: &'static str,
}

impl DayPage {
    /// The stylesheet's class giving the board its height in hours.
    fn height(&self) -> i32 {
        self.board.hours.map_or(0, |(first, last)| last - first)
    }
}

/// The day's board, one lane per chair or per clinician in a time grid: the same for
/// everyone who may see it, so it is drawn once per change (`reference::board`).
#[derive(Template)]
#[template(path = "scheduling/day_board.html")]
struct DayBoard {
    lanes: Vec<Lane>,
    by_chair: bool,
}

/// Minutes from the local midnight starting `day` to an instant's wall-clock time (negative
/// before the day, past 1440 after it).
fn minute_of(zone: ClinicZone, day: Date, at: OffsetDateTime) -> i32 {
    let local = zone.local(at).at;
    let days = (local.date() - day).whole_days();
    i32::try_from(days * 1440).unwrap_or(i32::MAX / 2)
        + i32::from(local.hour()) * 60
        + i32::from(local.minute())
}

fn day_board(
    rows: &[ScheduleRow],
    reference: &Reference,
    layout: DayLayout,
    day: Date,
) -> AppResult<Drawing> {
    let zone = reference.settings.zone();
    let spans: Vec<(i32, i32)> = rows
        .iter()
        .map(|row| {
            (
                minute_of(zone, day, row.from),
                minute_of(zone, day, row.until),
            )
        })
        .collect();
    let hours = model::board_hours(spans.iter().copied());
    // Lanes by id, in natural order of their names; each appointment goes to its lane in one
    // pass over the day.
    let mut lanes: Vec<(i64, Lane)> = match layout {
        DayLayout::ByChair => reference
            .chairs
            .iter()
            .filter(|c| c.active || rows.iter().any(|r| r.chair_id == Some(c.id)))
            .map(|c| (c.id, c.name.clone()))
            .collect::<Vec<_>>(),
        DayLayout::ByClinician => reference
            .clinicians
            .iter()
            .map(|c| (c.id, c.display_name.clone()))
            .collect(),
    }
    .into_iter()
    .map(|(id, name)| {
        (
            id,
            Lane {
                name,
                blocks: Vec::new(),
            },
        )
    })
    .collect();
    lanes.sort_by(|(_, a), (_, b)| model::natural_cmp(&a.name, &b.name));
    let clinician_name = |id: i64| {
        reference
            .clinicians
            .iter()
            .find(|c| c.id == id)
            .map_or_else(String::new, |c| c.display_name.clone())
    };
    let chair_name = |id: Option<i64>| {
        id.and_then(|id| reference.chairs.iter().find(|c| c.id == id))
            .map_or_else(String::new, |c| c.name.clone())
    };
    for (row, (from, until)) in rows.iter().zip(spans) {
        let lane_id = match layout {
            DayLayout::ByChair => row.chair_id,
            DayLayout::ByClinician => Some(row.clinician_id),
        };
        let Some(lane) = lane_id.and_then(|id| lanes.iter_mut().find(|(l, _)| *l == id)) else {
            continue;
        };
        let Some((first_row, span)) = model::board_rows(hours, from, until) else {
            continue;
        };
        lane.1.blocks.push(Block {
            id: row.id,
            first_row,
            rows: span,
            state: BoardState::of(row.status, row.infusion()),
            time: format!("{}–{}", zone.clock(row.from), zone.clock(row.until)),
            kind: row.kind.label(),
            patient: row.patient_name.clone(),
            with: match layout {
                DayLayout::ByChair => clinician_name(row.clinician_id),
                DayLayout::ByClinician => chair_name(row.chair_id),
            },
        });
    }
    let lanes: Vec<Lane> = lanes.into_iter().map(|(_, lane)| lane).collect();
    let has_lanes = !lanes.is_empty();
    let shown = lanes.iter().map(|lane| lane.blocks.len()).sum();
    let html = DayBoard {
        by_chair: layout == DayLayout::ByChair,
        lanes,
    }
    .render()?;
    Ok(Drawing {
        html,
        shown,
        hours: has_lanes.then_some(hours),
    })
}

async fn audit_view(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    what: String,
) -> AppResult<()> {
    audit::record_view(
        &state.db,
        audit::Entry::new(action::SCHEDULE_VIEW, Some(user), meta).detail(what),
    )
    .await?;
    Ok(())
}

/// The clinic's day, laid out by chair and by clinician.
pub async fn day(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Query(query): Query<DayQuery>,
) -> AppResult<Response> {
    let reference = reference::current(&state).await?;
    let zone = reference.settings.zone();
    let now = state.clock.now();
    let day = parse_day(query.date.as_deref(), zone, now)?;
    let from = zone.to_utc(day, time::Time::MIDNIGHT);
    let until = zone.to_utc(day + Duration::days(1), time::Time::MIDNIGHT);
    let layout = DayLayout::parse(query.by.as_deref());
    let board = reference::board(
        &state,
        &reference,
        layout.board(),
        (from, until),
        Showing::All,
        |rows| day_board(rows, &reference, layout, day),
    )
    .await?;
    audit_view(&state, &user, &meta, format!("day {day}")).await?;
    // The time column and the current time are the page's own: the board is shared.
    let (hours, now) = match board.hours {
        Some((first, last)) => (
            (first..last)
                .map(|hour| {
                    (
                        (hour - first) * 60 / model::BOARD_STEP_MINUTES + 1,
                        format!("{hour:02}:00"),
                    )
                })
                .collect(),
            model::board_rows(
                (first, last),
                minute_of(zone, day, now),
                minute_of(zone, day, now),
            )
            .filter(|_| zone.date_of(now) == day)
            .map(|(row, _)| (row, zone.clock(now))),
        ),
        None => (Vec::new(), None),
    };
    render(&DayPage {
        hours,
        now,
        states: BoardState::ALL,
        ctx,
        day,
        previous: day - Duration::days(1),
        next: day + Duration::days(1),
        layout,
        layouts: DayLayout::ALL,
        board,
        zone: zone.name(),
    })
}

#[derive(Template)]
#[template(path = "scheduling/week.html")]
struct WeekPage {
    ctx: PageContext,
    monday: Date,
    previous: Date,
    next: Date,
    board: Arc<Drawing>,
    zone: &'static str,
}

/// The week's appointments day by day, drawn once per change like the day's board.
#[derive(Template)]
#[template(path = "scheduling/week_board.html")]
struct WeekBoard<'a> {
    days: Vec<(Date, Vec<ScheduleEntry<'a>>)>,
}

fn week_board(rows: &[ScheduleRow], reference: &Reference, monday: Date) -> AppResult<Drawing> {
    let zone = reference.settings.zone();
    let mut days: Vec<(Date, Vec<ScheduleEntry<'_>>)> = booking::week_days(monday)
        .into_iter()
        .map(|day| (day, Vec::new()))
        .collect();
    for entry in schedule_entries(rows, zone, &reference.clinicians, &reference.chairs) {
        let on = zone.date_of(entry.row.from);
        if let Some((_, list)) = days.iter_mut().find(|(day, _)| *day == on) {
            list.push(entry);
        }
    }
    Ok(Drawing {
        html: WeekBoard { days }.render()?,
        shown: rows.len(),
        hours: None,
    })
}

pub async fn week(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Query(query): Query<DayQuery>,
) -> AppResult<Response> {
    let reference = reference::current(&state).await?;
    let zone = reference.settings.zone();
    let monday = booking::week_start(parse_day(
        query.date.as_deref(),
        zone,
        OffsetDateTime::now_utc(),
    )?);
    let from = zone.to_utc(monday, time::Time::MIDNIGHT);
    let until = zone.to_utc(monday + Duration::days(7), time::Time::MIDNIGHT);
    let board = reference::board(
        &state,
        &reference,
        "week",
        (from, until),
        Showing::Live,
        |rows| week_board(rows, &reference, monday),
    )
    .await?;
    audit_view(&state, &user, &meta, format!("week of {monday}")).await?;
    render(&WeekPage {
        ctx,
        monday,
        previous: monday - Duration::days(7),
        next: monday + Duration::days(7),
        board,
        zone: zone.name(),
    })
}

#[derive(Template)]
#[template(path = "scheduling/patient_appointments.html")]
struct PatientAppointmentsPage {
    ctx: PageContext,
    patient: crate::patients::db::PatientIdentity,
    upcoming: Vec<Entry>,
    past: Vec<Entry>,
    kinds: [AppointmentKind; 3],
    notice: Option<&'static str>,
}

pub(super) fn split_by_now(
    rows: Vec<AppointmentRow>,
    zone: ClinicZone,
) -> (Vec<Entry>, Vec<Entry>) {
    let now = OffsetDateTime::now_utc();
    let (mut upcoming, past): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|r| r.until > now && r.status.is_live());
    upcoming.reverse();
    let label = |rows: Vec<AppointmentRow>| {
        rows.into_iter()
            .map(|row| Entry {
                time: zone.format(row.from),
                row,
            })
            .collect::<Vec<_>>()
    };
    (label(upcoming), label(past))
}

pub(super) fn notice(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "booked" => Some("Booked. A reminder will be sent before the appointment."),
        "measures" => Some("Thank you: your questionnaires for the infusion are in."),
        "moved" => Some("The appointment is moved; the reminder follows it."),
        "cancelled" => Some("The appointment is cancelled."),
        "late" => Some("The appointment is cancelled (a late cancellation)."),
        "checked-in" => Some("Checked in."),
        "no-show" => Some("Marked as a no-show."),
        "not-live" => Some("That appointment is no longer booked, so it was left as it is."),
        _ => None,
    }
}

pub async fn patient_appointments(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(patient_id): Path<i64>,
    Query(query): Query<DayQuery>,
) -> AppResult<Response> {
    let patient = crate::patients::db::identity(&state.db, patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let zone = reference::current(&state).await?.settings.zone();
    let rows = db::appointments_of_patient(&state.db, patient_id).await?;
    let (upcoming, past) = split_by_now(rows, zone);
    audit::record(
        &state.db,
        audit::Entry::new(action::APPOINTMENT_VIEW, Some(&user), &meta).patient(patient_id),
    )
    .await?;
    if user.role == Role::FrontDesk {
        crate::consent::db::mark_withdrawals_seen(&state.db, patient_id, user.id).await?;
    }
    render(&PatientAppointmentsPage {
        ctx,
        patient,
        upcoming,
        past,
        kinds: AppointmentKind::ALL,
        notice: notice(query.notice.as_deref()),
    })
}

/// `?kind=infusion&week=2026-11-30`
#[derive(Debug, Default, Deserialize)]
pub struct BookQuery {
    kind: Option<String>,
    week: Option<String>,
    clinician: Option<String>,
}

impl BookQuery {
    fn clinician(&self) -> Option<i64> {
        self.clinician.as_deref().and_then(|c| c.parse().ok())
    }
}

/// A day's open times on the booking page.
pub struct DaySlots {
    pub day: Date,
    /// (form value, time, with whom and where)
    pub slots: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "scheduling/book.html")]
pub struct BookPage {
    ctx: PageContext,
    patient_name: String,
    action: String,
    back: String,
    kind: AppointmentKind,
    kinds: [AppointmentKind; 3],
    monday: Date,
    previous: Date,
    next: Date,
    days: Vec<DaySlots>,
    problems: Vec<GateProblem>,
    /// Whose eyes the gate's reasons are for (the precise clinical ones only for clinicians).
    reader: Role,
    can_override: bool,
    refusal: Option<String>,
    override_reason: String,
    self_service: bool,
    base: String,
    clinicians: Vec<Clinician>,
    clinician: Option<i64>,
    /// `&clinician=N` for the week links, when one is chosen.
    clinician_query: String,
}

impl BookPage {
    fn gate_message(&self, problem: &GateProblem) -> String {
        problem.message(self.reader)
    }

    fn gate_to_do(&self, problem: &GateProblem) -> &'static str {
        problem.what_to_do(self.reader)
    }

    fn is_chosen(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.clinician == Some(*id.borrow())
    }
}

/// Everything the booking page shows for one patient, kind and week.
pub struct BookingView<'a> {
    pub patient_id: i64,
    pub patient_name: String,
    pub kind: AppointmentKind,
    pub week: Date,
    /// Where the form posts, where "back" goes and where the week links point.
    pub action: String,
    pub back: String,
    pub base: String,
    pub moving: Option<i64>,
    pub refusal: Option<&'a Refusal>,
    pub override_reason: String,
    pub self_service: bool,
    pub after_post: bool,
    /// Only this clinician's times, when chosen.
    pub clinician: Option<i64>,
}

impl BookingView<'_> {
    /// The staff's booking page for a patient, or for moving appointment `moving`.
    fn for_staff(
        patient_id: i64,
        patient_name: String,
        kind: AppointmentKind,
        week: Date,
        moving: Option<i64>,
    ) -> Self {
        let (action, back, base) = match moving {
            Some(id) => (
                format!("/appointments/{id}/reschedule"),
                format!("/appointments/{id}"),
                format!("/appointments/{id}/reschedule"),
            ),
            None => (
                format!("/patients/{patient_id}/book?kind={}", kind.as_str()),
                format!("/patients/{patient_id}/appointments"),
                format!("/patients/{patient_id}/book"),
            ),
        };
        BookingView {
            patient_id,
            patient_name,
            kind,
            week,
            action,
            back,
            base,
            moving,
            refusal: None,
            override_reason: String::new(),
            self_service: false,
            after_post: false,
            clinician: None,
        }
    }

    /// A refused booking answers 422; a page that only explains (on GET) answers 200.
    fn status(&self) -> StatusCode {
        if self.after_post && self.refusal.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        }
    }
}

pub async fn booking_page(
    state: &AppState,
    ctx: PageContext,
    view: BookingView<'_>,
) -> AppResult<Response> {
    let reference = reference::current(state).await?;
    let settings = &reference.settings;
    let zone = settings.zone();
    let monday = booking::week_start(view.week);
    // Days already gone are not shown: nothing can be booked on them.
    let today = zone.date_of(OffsetDateTime::now_utc());
    let mut days = booking::week_days(monday);
    days.retain(|day| *day >= today);
    let chairs: &[Chair] = &reference.chairs;
    let mut slots = booking::open_slots(state, &reference, view.kind, &days).await?;
    // One choice per start time (the first free clinician), or only the chosen clinician's:
    // a clinic of thirty clinicians would otherwise offer thousands of lines a week.
    if let Some(only) = view.clinician {
        slots.retain(|s| s.clinician_id == only);
    }
    slots.dedup_by_key(|s| s.starts);
    let names: &[Clinician] = &reference.clinicians;
    // Each slot's local date once, then the days in order.
    let dated: Vec<(Date, &Slot)> = slots.iter().map(|s| (zone.date_of(s.starts), s)).collect();
    let days = days
        .into_iter()
        .map(|day| DaySlots {
            day,
            slots: dated
                .iter()
                .filter(|(on, _)| *on == day)
                .map(|(_, s)| {
                    let who = names
                        .iter()
                        .find(|c| c.id == s.clinician_id)
                        .map_or("", |c| c.display_name.as_str());
                    let chair = s
                        .chair_id
                        .and_then(|id| chairs.iter().find(|c| c.id == id))
                        .map(|c| format!(", {}", c.name))
                        .unwrap_or_default();
                    (
                        SlotChoice::value_of(s),
                        zone.clock(s.starts),
                        format!("{who}{chair}"),
                    )
                })
                .collect(),
        })
        .collect();
    // The gate as it stands for the first open time (the page names what is missing before
    // anyone picks a slot); the booking itself checks the chosen time again.
    let problems = match view.refusal {
        Some(Refusal::Gate(problems)) => problems.clone(),
        _ if view.kind == AppointmentKind::Infusion => {
            let at = slots.first().map_or_else(
                || OffsetDateTime::now_utc() + Duration::days(1),
                |s| s.starts,
            );
            booking::gate(state, settings, view.patient_id, at, view.moving).await?
        }
        _ => Vec::new(),
    };
    // Nobody signed in never reaches here; read as a patient would, the least told.
    let reader = ctx.user.as_ref().map_or(Role::Patient, |u| u.role);
    let can_override = model::may_override_gate(reader, &problems);
    let status = view.status();
    let page = BookPage {
        ctx,
        patient_name: view.patient_name,
        action: view.action,
        back: view.back,
        kind: view.kind,
        kinds: AppointmentKind::ALL,
        previous: monday - Duration::days(7),
        next: monday + Duration::days(7),
        monday,
        days,
        problems,
        reader,
        can_override,
        refusal: view.refusal.map(Refusal::message),
        override_reason: view.override_reason,
        self_service: view.self_service,
        base: view.base,
        clinician_query: view
            .clinician
            .map(|id| format!("&clinician={id}"))
            .unwrap_or_default(),
        clinician: view.clinician,
        clinicians: names.to_vec(),
    };
    render_with_status(status, &page)
}

fn kind_of(text: Option<&str>) -> AppointmentKind {
    text.and_then(AppointmentKind::parse)
        .unwrap_or(AppointmentKind::Consultation)
}

/// A booking or rescheduling form shows the patient's name, booking gate and (when moving)
/// appointment: audited like any view of them, for staff and patients alike.
pub async fn audit_booking_form(
    state: &AppState,
    (user, meta): (&CurrentUser, &RequestMeta),
    patient_id: i64,
    moving: Option<i64>,
) -> AppResult<()> {
    let what = match moving {
        Some(id) => format!("reschedule form of appointment {id}"),
        None => "booking form".to_owned(),
    };
    let entry = audit::Entry::new(action::APPOINTMENT_VIEW, Some(user), meta)
        .patient(patient_id)
        .detail(what);
    audit::record_view(&state.db, entry).await?;
    Ok(())
}

pub async fn book_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(patient_id): Path<i64>,
    Query(query): Query<BookQuery>,
) -> AppResult<Response> {
    let patient = crate::patients::db::identity(&state.db, patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit_booking_form(&state, (&user, &meta), patient_id, None).await?;
    let zone = reference::current(&state).await?.settings.zone();
    let kind = kind_of(query.kind.as_deref());
    let week = parse_day(query.week.as_deref(), zone, OffsetDateTime::now_utc())?;
    let view = BookingView {
        clinician: query.clinician(),
        ..BookingView::for_staff(patient_id, patient.legal_name, kind, week, None)
    };
    booking_page(&state, ctx, view).await
}

pub async fn book(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(patient_id): Path<i64>,
    Query(query): Query<BookQuery>,
    Form(choice): Form<SlotChoice>,
) -> AppResult<Response> {
    let patient = crate::patients::db::identity(&state.db, patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let reference = reference::current(&state).await?;
    let settings = &reference.settings;
    let kind = kind_of(query.kind.as_deref());
    let request = Request {
        patient_id,
        kind,
        choice: &choice,
        moving: None,
    };
    match booking::book(&state, &reference, &user, &meta, &request).await? {
        Ok(id) => Ok(see_other(&format!("/appointments/{id}?notice=booked"))),
        Err(refusal) => {
            let week = choice.parts().map_or_else(
                || OffsetDateTime::now_utc().date(),
                |(t, _, _)| settings.zone().date_of(t),
            );
            let view = BookingView {
                refusal: Some(&refusal),
                override_reason: choice.override_reason.clone(),
                after_post: true,
                ..BookingView::for_staff(patient_id, patient.legal_name, kind, week, None)
            };
            booking_page(&state, ctx, view).await
        }
    }
}

#[derive(Template)]
#[template(path = "scheduling/appointment.html")]
struct AppointmentPage {
    ctx: PageContext,
    entry: Entry,
    history: Vec<(String, String, String)>,
    can_check_in: bool,
    can_no_show: bool,
    late_if_cancelled: bool,
    notice: Option<&'static str>,
    /// The cancellation reason as typed, and what is wrong with it, when refused.
    note: String,
    note_error: Option<&'static str>,
}

impl AppointmentPage {
    /// Clinicians open the infusion record from here; the front desk never sees it.
    fn by_clinician(&self) -> bool {
        self.ctx
            .user
            .as_ref()
            .is_some_and(|u| u.role == Role::Clinician)
    }
}

/// An appointment by the id in the URL; staff may open any.
pub(super) async fn appointment_or_not_found(
    state: &AppState,
    id: i64,
) -> AppResult<AppointmentRow> {
    db::appointment(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn appointment(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
    Query(query): Query<DayQuery>,
) -> AppResult<Response> {
    let notice = notice(query.notice.as_deref());
    let cancelling = CloseForm::default();
    appointment_page(&state, ctx, &user, &meta, id, notice, cancelling, None).await
}

/// The appointment with its history and actions; `cancelling` is the cancellation form as
/// typed (shown again with `note_error` when it was refused).
#[allow(clippy::too_many_arguments)]
async fn appointment_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    meta: &RequestMeta,
    id: i64,
    notice: Option<&'static str>,
    cancelling: CloseForm,
    note_error: Option<&'static str>,
) -> AppResult<Response> {
    let row = appointment_or_not_found(state, id).await?;
    let reference = reference::current(state).await?;
    let settings = &reference.settings;
    let zone = settings.zone();
    // Through the clock seam, so tests that move the clock see the actions of that moment.
    let now = state.clock.now();
    let history = db::history(&state.db, id)
        .await?
        .into_iter()
        .map(|h| (zone.format(h.at), h.change, h.by_name))
        .collect();
    audit::record(
        &state.db,
        audit::Entry::new(action::APPOINTMENT_VIEW, Some(user), meta)
            .patient(row.patient_id)
            .detail(format!("appointment {id}")),
    )
    .await?;
    let page = AppointmentPage {
        ctx,
        can_check_in: model::may_check_in(row.status, row.from, now, zone),
        can_no_show: model::may_mark_no_show(row.status, row.from, now),
        late_if_cancelled: model::is_late_cancellation(&settings.scheduling(), row.from, now),
        entry: Entry {
            time: format!("{} to {}", zone.format(row.from), zone.clock(row.until)),
            row,
        },
        history,
        notice,
        note: params::storable(&cancelling.note),
        note_error,
    };
    let status = match note_error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    render_with_status(status, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    note: String,
}

async fn close_as(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    id: i64,
    status: AppointmentStatus,
    note: &str,
) -> AppResult<Response> {
    let row = appointment_or_not_found(state, id).await?;
    let reference = reference::current(state).await?;
    let settings = &reference.settings;
    let note = note.trim();
    let note = (!note.is_empty()).then(|| note.chars().take(500).collect::<String>());
    let done = booking::close(state, settings, user, meta, &row, status, note.as_deref()).await?;
    let code = match (done, status) {
        (false, _) => "not-live",
        (true, AppointmentStatus::NoShow) => "no-show",
        (true, _) => {
            let late = model::is_late_cancellation(
                &settings.scheduling(),
                row.from,
                OffsetDateTime::now_utc(),
            );
            if late { "late" } else { "cancelled" }
        }
    };
    Ok(see_other(&format!("/appointments/{id}?notice={code}")))
}

pub async fn cancel(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
    Form(form): Form<CloseForm>,
) -> AppResult<Response> {
    if let Some(problem) = params::unstorable(&form.note) {
        return appointment_page(&state, ctx, &user, &meta, id, None, form, Some(problem)).await;
    }
    close_as(
        &state,
        &user,
        &meta,
        id,
        AppointmentStatus::Cancelled,
        &form.note,
    )
    .await
}

pub async fn no_show(
    State(state): State<AppState>,
    user: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    close_as(&state, &user, &meta, id, AppointmentStatus::NoShow, "").await
}

pub async fn check_in(
    State(state): State<AppState>,
    user: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let row = appointment_or_not_found(&state, id).await?;
    let mut tx = state.db.begin().await?;
    let done = db::check_in(&mut tx, id, user.id).await?;
    if done {
        audit::record(
            &mut *tx,
            audit::Entry::new(action::APPOINTMENT_CHECK_IN, Some(&user), &meta)
                .patient(row.patient_id)
                .detail(format!("appointment {id}")),
        )
        .await?;
    }
    tx.commit().await?;
    let code = if done { "checked-in" } else { "not-live" };
    Ok(see_other(&format!("/appointments/{id}?notice={code}")))
}

pub async fn reschedule_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
    Query(query): Query<BookQuery>,
) -> AppResult<Response> {
    let row = appointment_or_not_found(&state, id).await?;
    if row.status != AppointmentStatus::Booked {
        return Ok(see_other(&format!("/appointments/{id}?notice=not-live")));
    }
    audit_booking_form(&state, (&user, &meta), row.patient_id, Some(id)).await?;
    let zone = reference::current(&state).await?.settings.zone();
    let week = match query.week.as_deref() {
        Some(_) => parse_day(query.week.as_deref(), zone, OffsetDateTime::now_utc())?,
        None => zone.date_of(row.from),
    };
    let view = BookingView {
        clinician: query.clinician(),
        ..BookingView::for_staff(row.patient_id, row.patient_name, row.kind, week, Some(id))
    };
    booking_page(&state, ctx, view).await
}

pub async fn reschedule(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
    Form(choice): Form<SlotChoice>,
) -> AppResult<Response> {
    let row = appointment_or_not_found(&state, id).await?;
    let reference = reference::current(&state).await?;
    let settings = &reference.settings;
    let request = Request {
        patient_id: row.patient_id,
        kind: row.kind,
        choice: &choice,
        moving: Some(id),
    };
    match booking::book(&state, &reference, &user, &meta, &request).await? {
        Ok(_) => Ok(see_other(&format!("/appointments/{id}?notice=moved"))),
        Err(refusal) => {
            let week = choice
                .parts()
                .map_or(row.from.date(), |(t, _, _)| settings.zone().date_of(t));
            let view = BookingView {
                refusal: Some(&refusal),
                override_reason: choice.override_reason.clone(),
                after_post: true,
                ..BookingView::for_staff(row.patient_id, row.patient_name, row.kind, week, Some(id))
            };
            booking_page(&state, ctx, view).await
        }
    }
}
