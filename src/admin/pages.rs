use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use time::OffsetDateTime;

use super::db::{self, Overview, StaffRow};
use super::model::{
    self, AuditQuery, PatientAccountChange, PatientAccountForm, STAFF_ROLES, SettingsForm,
};
use crate::audit::{self, AuditRow, Outcome, action};
use crate::auth::db::{AccountStatus, delete_user_sessions};
use crate::auth::model::{PASSWORD_MIN_CHARS, Role};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::login::accounts::{self, AccountForm, CreateError};
use crate::settings;
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render, render_with_status, see_other};

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct OverviewPage {
    ctx: PageContext,
    overview: Overview,
    rows: Vec<AuditRow>,
}

pub async fn overview(
    State(state): State<AppState>,
    ctx: PageContext,
    admin: CurrentUser,
    meta: RequestMeta,
) -> AppResult<Response> {
    let overview = db::overview(&state.db).await?;
    let rows = audit::search(
        &mut *state.db.acquire().await?,
        &audit::AuditFilter::default(),
        10,
    )
    .await?;
    // The latest activity names patients and who saw them.
    audit::record_view(
        &state.db,
        audit::Entry::new(action::AUDIT_VIEW, Some(&admin), &meta)
            .detail(format!("overview: latest {} entries", rows.len())),
    )
    .await?;
    render(&OverviewPage {
        ctx,
        overview,
        rows,
    })
}

const STAFF_PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
    /// After ending an account's sessions: how many ended, or "unknown".
    sessions: Option<String>,
    /// After disabling or re-enabling a patient's login: "disabled" or "enabled".
    patient: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/staff.html")]
struct StaffPage {
    ctx: PageContext,
    staff: Vec<StaffRow>,
    page: i64,
    has_next: bool,
    sessions_notice: Option<String>,
    patient_form: PatientAccountForm,
    patient_errors: FormErrors,
    /// The end-sessions form as typed and its field message, when refused.
    sessions_email: String,
    sessions_error: Option<&'static str>,
}

pub async fn staff_list(
    State(state): State<AppState>,
    ctx: PageContext,
    Query(query): Query<PageQuery>,
) -> AppResult<Response> {
    let page = crate::core::params::page_number(query.page).map_err(AppError::BadRequest)?;
    let sessions_notice = match (query.sessions, query.patient.as_deref()) {
        (Some(ended), _) => Some(match ended.as_str() {
            "unknown" => "No active account has that email address.".to_owned(),
            "1" => "1 session was ended.".to_owned(),
            n => format!(
                "{} sessions were ended.",
                n.parse::<u64>().unwrap_or_default()
            ),
        }),
        (None, Some("disabled")) => Some(
            "The patient's account is disabled: they are logged out and cannot log in.".to_owned(),
        ),
        (None, Some("enabled")) => {
            Some("The patient's account is enabled again: they can log in.".to_owned())
        }
        _ => None,
    };
    let forms = (PatientAccountForm::default(), FormErrors::default());
    staff_page(
        &state,
        ctx,
        page,
        sessions_notice,
        forms,
        Default::default(),
    )
    .await
}

async fn staff_page(
    state: &AppState,
    ctx: PageContext,
    page: i64,
    sessions_notice: Option<String>,
    (patient_form, patient_errors): (PatientAccountForm, FormErrors),
    (sessions_email, sessions_error): (String, Option<&'static str>),
) -> AppResult<Response> {
    let mut staff =
        db::staff_page(&state.db, STAFF_PAGE_SIZE + 1, (page - 1) * STAFF_PAGE_SIZE).await?;
    let has_next = staff.len() as i64 > STAFF_PAGE_SIZE;
    staff.truncate(STAFF_PAGE_SIZE as usize);
    let status = match sessions_error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => patient_errors.status(),
    };
    render_with_status(
        status,
        &StaffPage {
            ctx,
            staff,
            page,
            has_next,
            sessions_notice,
            patient_form,
            patient_errors,
            sessions_email: crate::core::params::storable(&sessions_email),
            sessions_error,
        },
    )
}

/// Disables a patient's login (ending their sessions and calendar feed at once) or enables
/// it again, by patient number.
pub async fn patient_account_status(
    State(state): State<AppState>,
    ctx: PageContext,
    admin: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<PatientAccountForm>,
) -> AppResult<Response> {
    let (patient_id, change) = match model::parse_patient_account_form(&form) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return staff_page(&state, ctx, 1, None, (form, errors), Default::default()).await;
        }
    };
    let status = match change {
        PatientAccountChange::Disable => AccountStatus::Disabled,
        PatientAccountChange::Enable => AccountStatus::Active,
    };
    let mut tx = state.db.begin().await?;
    let Some(user_id) = db::set_patient_account_status(&mut *tx, patient_id, status).await? else {
        drop(tx);
        let mut errors = FormErrors::default();
        errors.add(
            "patient_number",
            "No patient with that number has an account to log in with.",
        );
        return staff_page(&state, ctx, 1, None, (form, errors), Default::default()).await;
    };
    let (audit_action, detail, notice) = match change {
        PatientAccountChange::Disable => {
            let ended = delete_user_sessions(&mut *tx, user_id).await?;
            let feeds = crate::scheduling::db::revoke_calendar_feeds(&mut *tx, user_id).await?;
            (
                action::PATIENT_ACCOUNT_DISABLE,
                format!(
                    "account {user_id}; {ended} session(s) ended; {feeds} calendar feed(s) revoked"
                ),
                "disabled",
            )
        }
        PatientAccountChange::Enable => (
            action::PATIENT_ACCOUNT_ENABLE,
            format!("account {user_id}"),
            "enabled",
        ),
    };
    let entry = audit::Entry::new(audit_action, Some(&admin), &meta)
        .patient(patient_id)
        .detail(detail);
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    state.sessions.forget_user(user_id);
    Ok(see_other(&format!("/admin/staff?patient={notice}")))
}

#[derive(Template)]
#[template(path = "admin/staff_new.html")]
struct NewStaffPage {
    ctx: PageContext,
    form: AccountForm,
    errors: FormErrors,
    roles: [Role; 3],
    password_hint: String,
}

fn new_staff_page(ctx: PageContext, form: AccountForm, errors: FormErrors) -> NewStaffPage {
    let form = AccountForm {
        password: String::new(),
        ..form
    };
    let password_hint = format!(
        "At least {PASSWORD_MIN_CHARS} characters. Give it to them in person; they can change it later."
    );
    NewStaffPage {
        ctx,
        form,
        errors,
        roles: STAFF_ROLES,
        password_hint,
    }
}

pub async fn staff_new(ctx: PageContext) -> AppResult<Response> {
    render(&new_staff_page(
        ctx,
        AccountForm::default(),
        FormErrors::default(),
    ))
}

pub async fn staff_create(
    State(state): State<AppState>,
    ctx: PageContext,
    admin: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<AccountForm>,
) -> AppResult<Response> {
    let role = model::parse_staff_role(&form.role);
    let today = OffsetDateTime::now_utc().date();
    let account = match accounts::validate(&form, role, today, false) {
        Ok(account) => account,
        Err(errors) => {
            return render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &new_staff_page(ctx, form, errors),
            );
        }
    };
    let hash = state.passwords.hash(account.password.clone()).await?;
    let mut tx = state.db.begin().await?;
    match accounts::create(
        &mut tx,
        &account,
        &hash,
        Some(&admin),
        action::STAFF_CREATE,
        Some(&meta),
    )
    .await
    {
        Ok(_) => {}
        Err(CreateError::EmailTaken) => {
            let mut errors = FormErrors::default();
            errors.add(
                "email",
                "A staff member or patient already uses this email.",
            );
            return render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &new_staff_page(ctx, form, errors),
            );
        }
        Err(CreateError::Failed(e)) => return Err(e),
    }
    tx.commit().await?;
    Ok(see_other("/admin/staff"))
}

async fn change_status(
    state: &AppState,
    admin: &CurrentUser,
    meta: &RequestMeta,
    user_id: i64,
    status: AccountStatus,
) -> AppResult<Response> {
    if user_id == admin.id && status == AccountStatus::Disabled {
        return Err(AppError::BadRequest(
            "You can't disable your own account: ask another administrator.".into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    let Some(_) = db::set_staff_status(&mut *tx, user_id, status).await? else {
        return Err(AppError::NotFound);
    };
    let (audit_action, detail) = if status == AccountStatus::Disabled {
        // Disabling ends every session of the account now, not at its next timeout.
        let ended = delete_user_sessions(&mut *tx, user_id).await?;
        (
            action::STAFF_DISABLE,
            format!("account {user_id}; {ended} session(s) ended"),
        )
    } else {
        (action::STAFF_ENABLE, format!("account {user_id}"))
    };
    let entry = audit::Entry::new(audit_action, Some(admin), meta)
        .outcome(Outcome::Success)
        .detail(detail);
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    state.sessions.forget_user(user_id);
    Ok(see_other("/admin/staff"))
}

pub async fn staff_disable(
    State(state): State<AppState>,
    admin: CurrentUser,
    meta: RequestMeta,
    Path(user_id): Path<i64>,
) -> AppResult<Response> {
    change_status(&state, &admin, &meta, user_id, AccountStatus::Disabled).await
}

pub async fn staff_enable(
    State(state): State<AppState>,
    admin: CurrentUser,
    meta: RequestMeta,
    Path(user_id): Path<i64>,
) -> AppResult<Response> {
    change_status(&state, &admin, &meta, user_id, AccountStatus::Active).await
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    ctx: PageContext,
    form: SettingsForm,
    errors: FormErrors,
    saved: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn settings_form(
    State(state): State<AppState>,
    ctx: PageContext,
    Query(query): Query<SavedQuery>,
) -> AppResult<Response> {
    let current = settings::load(&state.db).await?;
    let form = SettingsForm::from(&current);
    render(&SettingsPage {
        ctx,
        form,
        errors: FormErrors::default(),
        saved: query.saved.is_some(),
    })
}

pub async fn settings_save(
    State(state): State<AppState>,
    ctx: PageContext,
    admin: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<SettingsForm>,
) -> AppResult<Response> {
    let new_settings = match model::parse_settings(&form) {
        Ok(s) => s,
        Err(errors) => {
            return render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SettingsPage {
                    ctx,
                    form,
                    errors,
                    saved: false,
                },
            );
        }
    };
    let mut tx = state.db.begin().await?;
    settings::save(&mut *tx, &new_settings).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::SETTINGS_UPDATE, Some(&admin), &meta),
    )
    .await?;
    tx.commit().await?;
    // Session limits may have changed.
    state.sessions.forget_all();
    Ok(see_other("/admin/settings?saved=1"))
}

const AUDIT_PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    ctx: PageContext,
    query: AuditQuery,
    errors: FormErrors,
    rows: Vec<AuditRow>,
    actions: &'static [&'static str],
    older: Option<String>,
}

pub async fn audit_log(
    State(state): State<AppState>,
    ctx: PageContext,
    admin: CurrentUser,
    meta: RequestMeta,
    Query(query): Query<AuditQuery>,
) -> AppResult<Response> {
    let filter = match model::parse_audit_query(&query) {
        Ok(filter) => filter,
        Err(errors) => {
            let page = AuditPage {
                ctx,
                query,
                errors,
                rows: Vec::new(),
                actions: action::ALL,
                older: None,
            };
            return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let mut rows = audit::search(
        &mut *state.db.acquire().await?,
        &filter,
        AUDIT_PAGE_SIZE + 1,
    )
    .await?;
    let older = (rows.len() as i64 > AUDIT_PAGE_SIZE)
        .then(|| rows.get(AUDIT_PAGE_SIZE as usize - 1).map(|r| r.id))
        .flatten()
        .map(|last_id| older_link(&query, last_id));
    rows.truncate(AUDIT_PAGE_SIZE as usize);
    let mut entry = audit::Entry::new(action::AUDIT_VIEW, Some(&admin), &meta)
        .detail(format!("audit log: {} entries", rows.len()));
    if let Some(patient_id) = filter.patient_id {
        entry = entry.patient(patient_id);
    }
    audit::record_view(&state.db, entry).await?;
    render(&AuditPage {
        ctx,
        query,
        errors: FormErrors::default(),
        rows,
        actions: action::ALL,
        older,
    })
}

/// The link to the next (older) page, keeping the filters.
fn older_link(query: &AuditQuery, last_id: i64) -> String {
    let pairs = [
        ("actor", query.actor.as_str()),
        ("patient", query.patient.as_str()),
        ("action", query.action.as_str()),
        ("from", query.from.as_str()),
        ("to", query.to.as_str()),
    ];
    let mut kept: Vec<(&str, String)> = pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (*k, v.trim().to_owned()))
        .collect();
    kept.push(("before", last_id.to_string()));
    format!(
        "/admin/audit?{}",
        serde_urlencoded::to_string(&kept).unwrap_or_default()
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct EndSessionsForm {
    #[serde(default)]
    email: String,
}

/// Ends every session of any account (staff or patient), found by its email: a stolen
/// laptop or a suspected break-in.
pub async fn end_sessions(
    State(state): State<AppState>,
    ctx: PageContext,
    admin: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<EndSessionsForm>,
) -> AppResult<Response> {
    if let Some(problem) = crate::core::params::unstorable(&form.email) {
        let forms = (PatientAccountForm::default(), FormErrors::default());
        return staff_page(&state, ctx, 1, None, forms, (form.email, Some(problem))).await;
    }
    let email = crate::auth::model::normalize_email(&form.email);
    let Some(account) = crate::account::db::active_account(&state.db, &email).await? else {
        return Ok(see_other("/admin/staff?sessions=unknown"));
    };
    let mut tx = state.db.begin().await?;
    let ended = delete_user_sessions(&mut *tx, account.user_id).await?;
    let entry = audit::Entry::new(action::SESSION_END_BY_ADMIN, Some(&admin), &meta).detail(
        format!("account {}; {ended} session(s) ended", account.user_id),
    );
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    state.sessions.forget_user(account.user_id);
    Ok(see_other(&format!("/admin/staff?sessions={ended}")))
}
