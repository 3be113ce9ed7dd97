//! Thin handlers of the clinic report, as a page and as CSV (admins only).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use time::{OffsetDateTime, Time};

use super::chart::{self, Bar, Bars};
use super::db;
use super::model::{self, Period, Range, RangeForm, Report};
use crate::audit::{self, action};
use crate::clinic_time::ClinicZone;
use crate::core::CurrentUser;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render, render_with_status};

/// Reads every figure of the report over `range` (five queries at once, whatever its length).
async fn load(state: &AppState, range: &Range, zone: ClinicZone) -> AppResult<Report> {
    let from = zone.to_utc(range.from, Time::MIDNIGHT);
    let until = zone.to_utc(range.end(), Time::MIDNIGHT);
    let period = Period::for_range(range);
    let starts = model::period_starts(range, period);
    let bounds: Vec<OffsetDateTime> = (starts.iter())
        .map(|day| zone.to_utc(*day, Time::MIDNIGHT))
        .collect();
    // Independent reads, each on a connection of its own: the page waits for the slowest,
    // not for all of them one after another.
    let (groups, protocols, effects, visits, cohort) = tokio::try_join!(
        db::infusion_groups(&state.db, from, until, &bounds),
        crate::flowsheet::db::protocols(&state.db),
        db::side_effect_counts(&state.db, from, until),
        db::appointment_counts(&state.db, from, until),
        db::course_outcomes(&state.db, from, until),
    )?;
    let name_of = |id: Option<i64>| {
        (protocols.iter())
            .find(|p| Some(p.id) == id)
            .map_or_else(|| "No protocol".to_owned(), |p| p.name.clone())
    };
    let infusions = model::infusion_figures(&groups, &starts, name_of);
    Ok(Report {
        range: *range,
        period,
        time_zone: zone.name().to_owned(),
        side_effects: model::side_effect_shares(&effects, infusions.given),
        infusions,
        appointments: model::appointment_figures(
            visits.kept,
            visits.no_shows,
            visits.late_cancellations,
        ),
        outcomes: model::outcomes(&cohort),
    })
}

/// The report with its charts and the labels the page shows.
pub struct ReportView {
    pub report: Report,
    pub periods: Vec<(String, i64)>,
    pub period_chart: String,
    pub side_effect_chart: String,
    pub csv_link: String,
}

impl ReportView {
    fn of(report: Report) -> ReportView {
        let period = report.period;
        let periods: Vec<(String, i64)> = (report.infusions.per_period.iter())
            .map(|(start, count)| (model::period_label(*start, period), *count))
            .collect();
        let columns: Vec<Bar> = (periods.iter())
            .map(|(label, count)| Bar {
                label: label.clone(),
                value: *count as f64,
                text: count.to_string(),
            })
            .collect();
        let title = format!("Infusions given per {}", period.noun());
        let period_chart = chart::columns(&Bars {
            title: &title,
            unit: "infusions",
            bars: &columns,
        });
        let effects: Vec<Bar> = (report.side_effects.iter())
            .map(|(effect, share)| Bar {
                label: effect.label().to_owned(),
                value: share.tenths().map_or(0.0, |t| t as f64 / 10.0),
                text: share.percent_text(),
            })
            .collect();
        let side_effect_chart = chart::horizontal_bars(&Bars {
            title: "Side effects: share of infusions",
            unit: "% of infusions",
            bars: &effects,
        });
        let csv_link = format!(
            "/admin/reports.csv?from={}&until={}",
            report.range.from, report.range.until
        );
        ReportView {
            report,
            periods,
            period_chart,
            side_effect_chart,
            csv_link,
        }
    }

    pub fn average_mg(&self) -> String {
        model::fixed(self.report.infusions.average_mg, 1)
    }

    pub fn average_mg_per_kg(&self) -> String {
        model::fixed(self.report.infusions.average_mg_per_kg, 2)
    }

    pub fn protocol_mg(&self, average: &Option<f64>) -> String {
        model::fixed(*average, 1)
    }
}

#[derive(Template)]
#[template(path = "reports/report.html")]
struct ReportPage {
    ctx: PageContext,
    from: String,
    until: String,
    errors: FormErrors,
    /// No range was asked for: the page says which it chose.
    chosen_for_you: bool,
    view: Option<ReportView>,
}

/// The form again with what is wrong with the range beside its field (422, typing kept).
fn invalid(ctx: PageContext, form: &RangeForm, errors: FormErrors) -> AppResult<Response> {
    let page = ReportPage {
        ctx,
        from: form.from.clone().unwrap_or_default(),
        until: form.until.clone().unwrap_or_default(),
        errors,
        chosen_for_you: false,
        view: None,
    };
    render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

fn today(zone: ClinicZone) -> time::Date {
    zone.date_of(OffsetDateTime::now_utc())
}

/// The report over the range the form asks for, audited as `what`; or what is wrong with
/// the range.
async fn asked_report(
    state: &AppState,
    admin: &CurrentUser,
    meta: &RequestMeta,
    form: &RangeForm,
    what: &'static str,
) -> AppResult<Result<Report, FormErrors>> {
    let zone = crate::scheduling::reference::current(state)
        .await?
        .settings
        .zone();
    let range = match model::check_range(form, today(zone)) {
        Ok(range) => range,
        Err(errors) => return Ok(Err(errors)),
    };
    let report = load(state, &range, zone).await?;
    let entry = audit::Entry::new(what, Some(admin), meta).detail(range.code());
    audit::record(&state.db, entry).await?;
    Ok(Ok(report))
}

/// `GET /admin/reports?from=&until=`: the figures, their charts and tables.
pub async fn report(
    State(state): State<AppState>,
    ctx: PageContext,
    admin: CurrentUser,
    meta: RequestMeta,
    Query(form): Query<RangeForm>,
) -> AppResult<Response> {
    let report = match asked_report(&state, &admin, &meta, &form, action::REPORT_VIEW).await? {
        Ok(report) => report,
        Err(errors) => return invalid(ctx, &form, errors),
    };
    render(&ReportPage {
        ctx,
        from: report.range.from.to_string(),
        until: report.range.until.to_string(),
        errors: FormErrors::default(),
        chosen_for_you: form.from.is_none_or(|f| f.trim().is_empty())
            && form.until.is_none_or(|u| u.trim().is_empty()),
        view: Some(ReportView::of(report)),
    })
}

/// `GET /admin/reports.csv?from=&until=`: the same figures as a CSV download.
pub async fn csv(
    State(state): State<AppState>,
    ctx: PageContext,
    admin: CurrentUser,
    meta: RequestMeta,
    Query(form): Query<RangeForm>,
) -> AppResult<Response> {
    let report = match asked_report(&state, &admin, &meta, &form, action::REPORT_CSV).await? {
        Ok(report) => report,
        Err(errors) => return invalid(ctx, &form, errors),
    };
    let disposition = format!(
        "attachment; filename=\"{}\"",
        model::csv_file_name(&report.range)
    );
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        model::csv(&report),
    )
        .into_response())
}
