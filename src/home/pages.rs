use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::audit::{self, action};
use crate::consent::model::{ConsentStatus, consent_status};
use crate::core::CurrentUser;
use crate::error::AppResult;
use crate::patients::db::{ProfileRow, profile_for_user};
use crate::state::AppState;
use crate::web::{PageContext, RequestMeta, render, see_other};
use crate::{consent, settings};

/// `/` sends each person to their own home page, or to the login page.
pub async fn root(ctx: PageContext) -> Response {
    match &ctx.user {
        Some(user) => see_other(user.role.home()),
        None => see_other("/login"),
    }
}

#[derive(Template)]
#[template(path = "home/patient.html")]
struct PatientHome {
    ctx: PageContext,
    record: Option<ProfileRow>,
    consent: Option<ConsentStatus>,
    clinic_name: String,
    clinic_phone: String,
}

pub async fn patient_home(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
) -> AppResult<Response> {
    let record = profile_for_user(&state.db, user.id).await?;
    if let Some(r) = &record {
        let entry = audit::Entry::new(action::PROFILE_VIEW, Some(&user), &meta)
            .patient(r.id)
            .detail("home");
        audit::record_view(&state.db, entry).await?;
    }
    let consent = match &record {
        Some(r) => Some(consent_status(&consent::db::facts(&state.db, r.id).await?)),
        None => None,
    };
    let settings = settings::load(&state.db).await?;
    render(&PatientHome {
        ctx,
        record,
        consent,
        clinic_name: settings.clinic_name,
        clinic_phone: settings.clinic_phone,
    })
}

#[derive(Template)]
#[template(path = "home/staff.html")]
struct StaffHome {
    ctx: PageContext,
    heading: &'static str,
    duties: &'static [&'static str],
    /// In-app notices of urgent work, each with where to deal with it.
    alerts: Vec<(String, &'static str)>,
    /// Patients who withdrew consent since the front desk last looked at them.
    withdrawals: Vec<(i64, String)>,
}

pub async fn front_desk_home(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
) -> AppResult<Response> {
    let withdrawals = crate::consent::db::unseen_withdrawals(&state.db).await?;
    let shown = audit::list_detail(
        "consent withdrawals",
        withdrawals.len(),
        withdrawals.iter().map(|(id, _)| *id),
    );
    audit::record_view(
        &state.db,
        audit::Entry::new(action::PATIENT_LIST, Some(&user), &meta).detail(shown),
    )
    .await?;
    render(&StaffHome {
        ctx,
        heading: "Front desk",
        alerts: Vec::new(),
        withdrawals,
        duties: &[
            "Book consultations and infusions for patients, including people who phoned in.",
            "Check patients in when they arrive.",
            "See whether each patient's screening and consent are current (never their answers or notes).",
        ],
    })
}

pub async fn clinician_home(
    State(state): State<AppState>,
    ctx: PageContext,
) -> AppResult<Response> {
    let urgent =
        crate::screening::db::unread_notifications(&state.db, crate::auth::model::Role::Clinician)
            .await?;
    let mut alerts: Vec<(String, &'static str)> = Vec::new();
    alerts.extend((urgent > 0).then(|| {
        let text = if urgent == 1 {
            "1 urgent screening (suicide-risk flag) is waiting for review.".to_owned()
        } else {
            format!("{urgent} urgent screenings (suicide-risk flags) are waiting for review.")
        };
        (text, "/clinician/screenings")
    }));
    let open = crate::alerts::db::open_count(&state.db).await?;
    if open > 0 {
        alerts.push((
            format!("{open} clinical alert(s) (risk answers, follow-ups, bedside alerts) wait for a clinician."),
            "/clinician/alerts",
        ));
    }
    render(&StaffHome {
        ctx,
        heading: "Clinician",
        withdrawals: Vec::new(),
        alerts,
        duties: &[
            "Review pre-infusion screenings, urgent suicide-risk flags first, and decide eligibility.",
            "Run the infusion record: dose, vitals, side effects and discharge.",
            "Follow each patient's outcomes over time.",
        ],
    })
}
