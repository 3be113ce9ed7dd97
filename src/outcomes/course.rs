//! A patient's course as its pages show it: read once from the scores, infusions, side
//! effects, sessions and follow-ups, with its chart drawn, and kept in memory while the
//! patient's record is unchanged; then laid out for today.

use std::sync::Arc;

use time::OffsetDateTime;

use super::db::{self, CourseTotals, ScoreRow, SessionRow, SideEffectCount};
use super::model::{self, FollowUpScore, FollowUpStatus, Phq9Course, ScorePoint};
use crate::cache::Kept;
use crate::clinic_time::ClinicZone;
use crate::error::{AppError, AppResult};
use crate::flowsheet::chart::{self, Chart, Guide, Series};
use crate::flowsheet::model::{Route, SideEffect, plain_number};
use crate::flowsheet::remembered::{PATIENTS, Stamp, by_patient};
use crate::state::AppState;

/// The courses of the patients lately shown, by patient.
pub struct RememberedCourses(Kept<i64, CourseRecord, Stamp>);

impl Default for RememberedCourses {
    fn default() -> Self {
        RememberedCourses(Kept::new(PATIENTS))
    }
}

/// The patient's course, with its chart drawn in `zone`: from memory while the patient's
/// record is unchanged.
async fn remembered(
    state: &AppState,
    patient_id: i64,
    zone: ClinicZone,
) -> AppResult<Arc<CourseRecord>> {
    let read = read_course(state, patient_id, zone);
    by_patient(
        state,
        &state.cache.kept::<RememberedCourses>().0,
        patient_id,
        read,
    )
    .await
}

/// Sessions listed on the page (the newest).
const SESSIONS_SHOWN: i64 = 50;

/// Scores per page of the data table beside the chart, newest first.
const SCORES_PER_PAGE: usize = 20;

/// One score in the data table beside the chart.
pub struct ScoreLine {
    pub when: String,
    pub instrument: &'static str,
    pub total: i16,
    pub mark: &'static str,
}

/// One page of the scores table; the chart above it shows them all.
pub struct ScoreTable {
    /// Which of the course's table lines (newest first) this page shows.
    shown: std::ops::Range<usize>,
    /// From 1, the newest scores.
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    /// The reader asked for a page: show the table open.
    pub asked: bool,
}

/// What both the clinician's and the patient's page show.
pub struct Course {
    pub patient_name: String,
    pub phq9: Phq9Course,
    pub gad7_baseline: Option<i16>,
    pub gad7_latest: Option<i16>,
    pub table: ScoreTable,
    pub totals: CourseTotals,
    pub follow_up: FollowUpStatus,
    /// The latest follow-up questionnaire: when, and its subtotals.
    pub last_follow_up: Option<(String, FollowUpScore)>,
    pub zone: ClinicZone,
    record: std::sync::Arc<CourseRecord>,
}

impl Course {
    /// The chart, as drawn when the course was read.
    pub fn chart(&self) -> &str {
        &self.record.chart
    }

    pub fn side_effects(&self) -> &[(SideEffectCount, u32)] {
        &self.record.side_effects
    }

    pub fn sessions(&self) -> &[(SessionRow, String, String)] {
        &self.record.sessions
    }

    /// The scores table's lines on this page.
    pub fn table_lines(&self) -> &[ScoreLine] {
        self.record
            .lines
            .get(self.table.shown.clone())
            .unwrap_or_default()
    }

    pub fn date(&self, at: &Option<ScorePoint>) -> String {
        at.map(|p| self.zone.format(p.at)).unwrap_or_default()
    }

    pub fn total_mg(&self) -> String {
        plain_number(self.totals.total_mg)
    }

    /// The follow-up questionnaire's standing, in words.
    pub fn follow_up_line(&self) -> String {
        match &self.follow_up {
            FollowUpStatus::NotStarted => "Not yet: it starts with the first infusion.".to_owned(),
            FollowUpStatus::NotDue {
                infusions_left,
                due_by,
            } => format!("Not due: after {infusions_left} more infusions or by {due_by}."),
            FollowUpStatus::Due { reason } => format!("Due now: {reason}"),
        }
    }

    pub fn follow_up_due(&self) -> bool {
        matches!(self.follow_up, FollowUpStatus::Due { .. })
    }

    pub fn effect_label(&self, code: &str) -> &'static str {
        SideEffect::parse(code).map_or("Other", SideEffect::label)
    }
}

fn points(scores: &[ScoreRow], instrument: &str) -> Vec<ScorePoint> {
    scores
        .iter()
        .filter(|s| s.instrument == instrument)
        .map(|s| ScorePoint {
            at: s.recorded_at,
            total: s.total,
        })
        .collect()
}

/// What a patient's course pages are worked out from, with its chart drawn: read again
/// only after a change to the patient's record (see `remembered`).
pub struct CourseRecord {
    legal_name: String,
    scores: Vec<ScoreRow>,
    /// Every score as a line of the table, newest first.
    lines: Vec<ScoreLine>,
    phq9: Phq9Course,
    gad7_points: Vec<ScorePoint>,
    chart: String,
    totals: CourseTotals,
    /// Each side effect with its share of the infusions, in percent.
    side_effects: Vec<(SideEffectCount, u32)>,
    /// The latest sessions with their time and dose in words.
    sessions: Vec<(SessionRow, String, String)>,
    last_follow_up: Option<db::FollowUpRow>,
}

/// Reads a patient's course (six queries whatever its length) and draws its chart; 404 when
/// there is no such patient.
pub async fn read_course(
    state: &AppState,
    patient_id: i64,
    zone: ClinicZone,
) -> AppResult<CourseRecord> {
    let patient = crate::patients::db::identity(&state.db, patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let scores = db::scores(&state.db, patient_id).await?;
    let totals = db::course_totals(&state.db, patient_id).await?;
    let side_effects = db::side_effect_counts(&state.db, patient_id).await?;
    let sessions = db::sessions(&state.db, patient_id, None, SESSIONS_SHOWN).await?;
    let last_follow_up = db::latest_follow_up(&state.db, patient_id).await?;

    let phq9_points = points(&scores, "phq9");
    let gad7_points = points(&scores, "gad7");
    let phq9 = model::phq9_course(&phq9_points);
    let chart = course_chart(&phq9, &phq9_points, &gad7_points, zone);
    let lines = table_lines(&scores, &phq9, zone);
    let infusions = totals.infusions.max(1);
    let side_effects = side_effects
        .into_iter()
        .map(|s| {
            let percent = u32::try_from(s.sessions * 100 / infusions).unwrap_or(100);
            (s, percent)
        })
        .collect();
    let sessions = sessions
        .into_iter()
        .map(|s| {
            let when = zone.format(s.starts_at);
            let dose = match (s.dose_mg, s.route.as_deref().and_then(Route::parse)) {
                (Some(mg), Some(route)) if s.started_at.is_some() => {
                    format!("{} mg {}", plain_number(mg), route.label())
                }
                _ => "Not given".to_owned(),
            };
            (s, when, dose)
        })
        .collect();
    Ok(CourseRecord {
        legal_name: patient.legal_name,
        scores,
        lines,
        phq9,
        gad7_points,
        chart,
        totals,
        side_effects,
        sessions,
        last_follow_up,
    })
}

/// The scores as the table lists them, newest first, each marked baseline, response or
/// remission.
fn table_lines(scores: &[ScoreRow], phq9: &Phq9Course, zone: ClinicZone) -> Vec<ScoreLine> {
    scores
        .iter()
        .rev()
        .map(|s| {
            let is_phq9 = s.instrument == "phq9";
            let mark = match phq9.baseline {
                Some(b) if is_phq9 && b.at == s.recorded_at => "baseline",
                _ if is_phq9 && model::is_remission(s.total) => "remission",
                Some(b) if is_phq9 && model::is_response(b.total, s.total) => "response",
                _ => "",
            };
            ScoreLine {
                when: zone.format(s.recorded_at),
                instrument: if is_phq9 { "PHQ-9" } else { "GAD-7" },
                total: s.total,
                mark,
            }
        })
        .collect()
}

fn course_chart(
    phq9: &Phq9Course,
    phq9_points: &[ScorePoint],
    gad7_points: &[ScorePoint],
    zone: ClinicZone,
) -> String {
    let as_series = |points: &[ScorePoint]| -> Vec<(OffsetDateTime, f64)> {
        points.iter().map(|p| (p.at, f64::from(p.total))).collect()
    };
    let phq9_series = as_series(phq9_points);
    let gad7_series = as_series(gad7_points);
    let mut guides = vec![Guide {
        label: "Remission (PHQ-9 under 5)",
        value: 5.0,
        class: "remission",
    }];
    let response_line;
    if let Some(baseline) = phq9.baseline {
        response_line = format!("Response (PHQ-9 {} or less)", baseline.total / 2);
        guides.push(Guide {
            label: "Baseline PHQ-9",
            value: f64::from(baseline.total),
            class: "baseline",
        });
        guides.push(Guide {
            label: &response_line,
            value: f64::from(baseline.total / 2),
            class: "response",
        });
    }
    chart::line_chart(&Chart {
        title: "PHQ-9 and GAD-7 over time",
        y_min: 0.0,
        y_max: 27.0,
        y_unit: "score",
        series: &[
            Series {
                label: "PHQ-9",
                class: "phq9",
                points: &phq9_series,
            },
            Series {
                label: "GAD-7",
                class: "gad7",
                points: &gad7_series,
            },
        ],
        guides: &guides,
        zone,
    })
}

/// Lays out a patient's course for today from what is remembered of it.
pub async fn course(
    state: &AppState,
    patient_id: i64,
    scores_page: Option<usize>,
) -> AppResult<Course> {
    let zone = crate::scheduling::reference::current(state)
        .await?
        .settings
        .zone();
    let treatment = crate::flowsheet::reference::current(state).await?;
    let rules = &treatment.rules;
    let record = remembered(state, patient_id, zone).await?;
    let scores = &record.scores;
    let phq9 = record.phq9.clone();

    let pages = scores.len().div_ceil(SCORES_PER_PAGE).max(1);
    let page = scores_page.unwrap_or(1).clamp(1, pages);
    let first = (page - 1) * SCORES_PER_PAGE;
    let table = ScoreTable {
        shown: first..(first + SCORES_PER_PAGE).min(scores.len()),
        page,
        pages,
        total: scores.len(),
        asked: scores_page.is_some(),
    };
    let now = OffsetDateTime::now_utc();
    let mut totals = record.totals.clone();
    // Counted now, not when the course was read: the window moves on with the days.
    let month_ago = now - time::Duration::days(30);
    totals.last_30_days = (totals.recent_starts.iter())
        .filter(|at| **at > month_ago)
        .count() as i64;
    let follow_up = model::follow_up_status(
        totals.since_follow_up,
        totals.last_follow_up.map(|at| zone.date_of(at)),
        totals.first_infusion.map(|at| zone.date_of(at)),
        zone.date_of(now),
        rules,
    );
    let last_follow_up = record.last_follow_up.as_ref().and_then(|row| {
        let score = model::score_follow_up(&row.answers.0)?;
        Some((zone.format(row.recorded_at), score))
    });
    Ok(Course {
        patient_name: record.legal_name.clone(),
        gad7_baseline: record.gad7_points.first().map(|p| p.total),
        gad7_latest: record.gad7_points.last().map(|p| p.total),
        phq9,
        table,
        totals,
        follow_up,
        last_follow_up,
        zone,
        record,
    })
}
