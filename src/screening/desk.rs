//! The front desk's patient list: the search as typed, and one page of patients with where
//! they stand (screening and consent), never answers, scores or notes.

use time::OffsetDateTime;

use super::db::{self, DeskRow};
use super::model::ScreeningStanding;
use crate::audit::{self, action};
use crate::consent::model::{ConsentStatus, consent_status};
use crate::core::CurrentUser;
use crate::core::RequestMeta;
use crate::core::params::{clinic_date, unstorable};
use crate::error::AppResult;
use crate::settings;
use crate::state::AppState;

pub const PAGE_SIZE: i64 = 25;

/// The three search boxes as typed (trimmed, at most 100 characters each), with what is
/// wrong with each.
pub struct DeskSearch {
    pub name: String,
    pub phone: String,
    pub born: String,
    pub born_date: Option<time::Date>,
    pub name_error: Option<&'static str>,
    pub phone_error: Option<&'static str>,
    pub born_error: Option<&'static str>,
}

impl DeskSearch {
    pub fn read(name: Option<String>, phone: Option<String>, born: Option<String>) -> Self {
        let typed = |text: Option<String>| -> String {
            text.unwrap_or_default().trim().chars().take(100).collect()
        };
        let (name, phone, born) = (typed(name), typed(phone), typed(born));
        let born_date = clinic_date(&born).ok();
        let born_error = unstorable(&born).or((!born.is_empty() && born_date.is_none()).then_some(
            "Enter the date of birth as year-month-day between 1900 and 2200, like 1984-03-27.",
        ));
        DeskSearch {
            name_error: unstorable(&name),
            phone_error: unstorable(&phone),
            born_error,
            name,
            phone,
            born,
            born_date,
        }
    }

    /// A NUL cannot be searched for: the boxes say so and nothing is looked up.
    pub fn refused(&self) -> bool {
        [&self.name, &self.phone, &self.born]
            .iter()
            .any(|text| unstorable(text).is_some())
    }

    /// The search as a query string, for the page links.
    pub fn query(&self) -> String {
        serde_urlencoded::to_string([
            ("q", &self.name),
            ("phone", &self.phone),
            ("born", &self.born),
        ])
        .unwrap_or_default()
    }
}

/// A patient on the list with their screening standing and consent status (with its date,
/// in the clinic, if withdrawn).
pub type DeskLine = (DeskRow, ScreeningStanding, ConsentStatus, Option<String>);

/// One page of the list (audited as a list view), and whether another follows.
pub async fn patients_page(
    state: &AppState,
    staff: &CurrentUser,
    meta: &RequestMeta,
    search: &DeskSearch,
    page: i64,
) -> AppResult<(Vec<DeskLine>, bool)> {
    let filter = db::PatientSearch {
        name: search.name.clone(),
        phone_digits: search.phone.chars().filter(char::is_ascii_digit).collect(),
        born: search.born_date,
    };
    let mut rows = match search.refused() {
        true => Vec::new(),
        false => {
            db::desk_patients(
                &mut *state.db.acquire().await?,
                &filter,
                PAGE_SIZE + 1,
                (page - 1) * PAGE_SIZE,
            )
            .await?
        }
    };
    let has_next = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    audit::record(
        &state.db,
        audit::Entry::new(action::PATIENT_LIST, Some(staff), meta).detail(format!("page {page}")),
    )
    .await?;
    let today = OffsetDateTime::now_utc().date();
    let zone = settings::load(&state.db).await?.zone();
    let lines = rows
        .into_iter()
        .map(|r| {
            let standing = ScreeningStanding::of(
                r.status.as_deref(),
                r.urgent.unwrap_or(false),
                r.decision,
                r.eligible_until,
                today,
            );
            let consent = consent_status(&r.consent);
            let withdrawn_on = consent.withdrawn_at().map(|at| zone.format(at));
            (r, standing, consent, withdrawn_on)
        })
        .collect();
    Ok((lines, has_next))
}
