//! The user's own account security: password, email, two-factor login and sessions. Every
//! change asks for the current password again.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::db::{self, SessionListRow};
use super::email_change;
use super::model::{self, EmailChangeForm, EnrolForm, PasswordChangeForm, PasswordOnlyForm};
use super::security::{self, current_password_problem};
use crate::auth::two_factor::{self, unix_now};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::settings;
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status, see_other};

/// A session in the list: its row, the device, when it was last used, and whether it is
/// the one this page was opened with.
struct SessionItem {
    row: SessionListRow,
    device: String,
    last_seen: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "account/overview.html")]
struct AccountPage {
    ctx: PageContext,
    email: String,
    email_verified: bool,
    /// A change of address waiting for confirmation, masked.
    waiting_email: Option<String>,
    is_patient: bool,
    two_factor_on: bool,
    two_factor_required: bool,
    sessions: Vec<SessionItem>,
    password_errors: FormErrors,
    email_form: EmailChangeForm,
    email_errors: FormErrors,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "password" => Some("Your password is changed. Your other sessions were ended."),
        "email-sent" => {
            Some("We sent a link to the new address. Your address changes when you open it.")
        }
        "verification-sent" => Some("We sent a new confirmation link. It works for two days."),
        "session-ended" => Some("That session is ended."),
        "others-ended" => Some("All your other sessions are ended."),
        "two-factor-off" => Some("Two-factor login is off."),
        "verified" => Some("Your email address is confirmed."),
        _ => None,
    }
}

struct Forms {
    password_errors: FormErrors,
    email_form: EmailChangeForm,
    email_errors: FormErrors,
    notice: Option<&'static str>,
}

async fn account_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    forms: Forms,
) -> AppResult<Response> {
    let settings = settings::load(&state.db).await?;
    let zone = settings.zone();
    let second = db::two_factor(&state.db, user.id).await?;
    let sessions = db::sessions_of_user(&state.db, user.id)
        .await?
        .into_iter()
        .map(|row| SessionItem {
            device: model::device_label(&row.user_agent),
            last_seen: zone.format(row.last_seen_at),
            current: row.id == user.session_id,
            row,
        })
        .collect();
    let status = if forms.password_errors.is_empty() {
        forms.email_errors.status()
    } else {
        forms.password_errors.status()
    };
    let page = AccountPage {
        ctx,
        email: user.email.clone(),
        email_verified: user.email_verified,
        waiting_email: db::waiting_email_change(&state.db, user.id)
            .await?
            .map(|email| model::masked_email(&email)),
        is_patient: user.role == crate::auth::model::Role::Patient,
        two_factor_on: second.enabled_at.is_some(),
        two_factor_required: two_factor::required_for(
            user.role,
            settings.two_factor_front_desk,
            settings.two_factor_patients,
        ),
        sessions,
        password_errors: forms.password_errors,
        email_form: forms.email_form,
        email_errors: forms.email_errors,
        notice: forms.notice,
    };
    render_with_status(status, &page)
}

pub async fn overview(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<NoticeQuery>,
) -> AppResult<Response> {
    let forms = Forms {
        password_errors: FormErrors::default(),
        email_form: EmailChangeForm::default(),
        email_errors: FormErrors::default(),
        notice: notice(query.notice.as_deref()),
    };
    account_page(&state, ctx, &user, forms).await
}

/// Changes the password and ends every other session of the account.
pub async fn change_password(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<PasswordChangeForm>,
) -> AppResult<Response> {
    let show = |password_errors| Forms {
        password_errors,
        email_form: EmailChangeForm::default(),
        email_errors: FormErrors::default(),
        notice: None,
    };
    // Refused before the current password is tried, so a NUL is not counted as a failure.
    let mut unstorable = FormErrors::default();
    unstorable.check_storable(&[
        ("current_password", &form.current_password),
        ("new_password", &form.new_password),
    ]);
    if !unstorable.is_empty() {
        return account_page(&state, ctx, &user, show(unstorable)).await;
    }
    let mut errors =
        model::check_new_password(&form.new_password, &user.email, &user.name, "new_password")
            .err()
            .unwrap_or_default();
    errors.check(
        "current_password",
        current_password_problem(&state, &user, &meta, &form.current_password).await?,
    );
    if !errors.is_empty() {
        return account_page(&state, ctx, &user, show(errors)).await;
    }
    security::change_password(&state, &user, &meta, form.new_password).await?;
    Ok(see_other("/account?notice=password"))
}

pub async fn change_email(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<EmailChangeForm>,
) -> AppResult<Response> {
    let show = |errors: FormErrors, form: EmailChangeForm| Forms {
        password_errors: FormErrors::default(),
        email_form: EmailChangeForm {
            password_for_email: String::new(),
            ..form
        },
        email_errors: errors,
        notice: None,
    };
    // Refused before the current password is tried, so a NUL is not counted as a failure.
    let mut unstorable = FormErrors::default();
    unstorable.check_storable(&[
        ("password_for_email", &form.password_for_email),
        ("new_email", &form.new_email),
    ]);
    if !unstorable.is_empty() {
        return account_page(&state, ctx, &user, show(unstorable, form)).await;
    }
    let checked = model::check_new_email(&form, &user.email);
    let mut errors = checked.clone().err().unwrap_or_default();
    errors.check(
        "password_for_email",
        current_password_problem(&state, &user, &meta, &form.password_for_email).await?,
    );
    let email = match checked {
        Ok(email) if errors.is_empty() => email,
        _ => return account_page(&state, ctx, &user, show(errors, form)).await,
    };
    email_change::send_link(&state, &user, &meta, &email).await?;
    Ok(see_other("/account?notice=email-sent"))
}

/// A new confirmation link for the current address.
pub async fn resend_verification(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Response> {
    if user.email_verified {
        return Ok(see_other("/account"));
    }
    security::send_verification(&state, user.id, &user.email).await?;
    Ok(see_other("/account?notice=verification-sent"))
}

pub async fn end_session(
    State(state): State<AppState>,
    user: CurrentUser,
    meta: RequestMeta,
    Path(session_id): Path<i64>,
) -> AppResult<Response> {
    if !security::end_session(&state, &user, &meta, session_id).await? {
        return Err(AppError::NotFound);
    }
    if session_id == user.session_id {
        return Ok(see_other("/login?ended=logout"));
    }
    Ok(see_other("/account?notice=session-ended"))
}

pub async fn end_other_sessions(
    State(state): State<AppState>,
    user: CurrentUser,
    meta: RequestMeta,
) -> AppResult<Response> {
    security::end_other_sessions(&state, &user, &meta).await?;
    Ok(see_other("/account?notice=others-ended"))
}

#[derive(Template)]
#[template(path = "account/two_factor.html")]
struct TwoFactorPage {
    ctx: PageContext,
    enabled: bool,
    required: bool,
    must_enrol: bool,
    codes_left: i64,
    qr_svg: String,
    typed_secret: String,
    errors: FormErrors,
}

async fn two_factor_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    errors: FormErrors,
) -> AppResult<Response> {
    let settings = settings::load(&state.db).await?;
    let second = db::two_factor(&state.db, user.id).await?;
    let (qr_svg, typed_secret) = if second.enabled_at.is_none() {
        let secret = db::pending_secret(&state.db, user.id, &two_factor::new_secret()).await?;
        (
            two_factor::enrolment_qr_svg(&secret, &user.email).unwrap_or_default(),
            two_factor::secret_for_typing(&secret),
        )
    } else {
        (String::new(), String::new())
    };
    let page = TwoFactorPage {
        ctx,
        enabled: second.enabled_at.is_some(),
        required: two_factor::required_for(
            user.role,
            settings.two_factor_front_desk,
            settings.two_factor_patients,
        ),
        must_enrol: user.must_enrol_two_factor,
        codes_left: second.recovery_codes_left,
        qr_svg,
        typed_secret,
        errors,
    };
    render_with_status(page.errors.status(), &page)
}

pub async fn two_factor(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
) -> AppResult<Response> {
    two_factor_page(&state, ctx, &user, FormErrors::default()).await
}

#[derive(Template)]
#[template(path = "account/recovery_codes.html")]
struct RecoveryCodesPage {
    ctx: PageContext,
    codes: Vec<String>,
    just_enabled: bool,
    home: &'static str,
}

/// Confirms enrolment with the current password and a code from the app.
pub async fn enrol(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<EnrolForm>,
) -> AppResult<Response> {
    let second = db::two_factor(&state.db, user.id).await?;
    if second.enabled_at.is_some() {
        return Ok(see_other("/account/two-factor"));
    }
    let mut errors = FormErrors::default();
    errors.check("code", crate::core::params::unstorable(&form.code));
    if !errors.is_empty() {
        return two_factor_page(&state, ctx, &user, errors).await;
    }
    let step = model::enrolment_step(second.pending_secret.as_deref(), &form.code, unix_now());
    errors.check("code", step.err());
    errors.check(
        "current_password",
        current_password_problem(&state, &user, &meta, &form.current_password).await?,
    );
    let step = match step {
        Ok(step) if errors.is_empty() => step,
        _ => return two_factor_page(&state, ctx, &user, errors).await,
    };
    let Some(codes) = security::enable_two_factor(&state, &user, &meta, step).await? else {
        return Ok(see_other("/account/two-factor"));
    };
    render_with_status(
        axum::http::StatusCode::OK,
        &RecoveryCodesPage {
            ctx,
            codes,
            just_enabled: true,
            home: user.role.home(),
        },
    )
}

pub async fn new_recovery_codes(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<PasswordOnlyForm>,
) -> AppResult<Response> {
    let second = db::two_factor(&state.db, user.id).await?;
    if second.enabled_at.is_none() {
        return Ok(see_other("/account/two-factor"));
    }
    if let Some(problem) =
        current_password_problem(&state, &user, &meta, &form.current_password).await?
    {
        let mut errors = FormErrors::default();
        errors.add("current_password", problem);
        return two_factor_page(&state, ctx, &user, errors).await;
    }
    let codes = security::new_recovery_codes(&state, &user, &meta).await?;
    render_with_status(
        axum::http::StatusCode::OK,
        &RecoveryCodesPage {
            ctx,
            codes,
            just_enabled: false,
            home: user.role.home(),
        },
    )
}

pub async fn disable(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<PasswordOnlyForm>,
) -> AppResult<Response> {
    let settings = settings::load(&state.db).await?;
    if two_factor::required_for(
        user.role,
        settings.two_factor_front_desk,
        settings.two_factor_patients,
    ) {
        // Required for this role: the page offers no way to turn it off.
        return Err(AppError::Forbidden);
    }
    if let Some(problem) =
        current_password_problem(&state, &user, &meta, &form.current_password).await?
    {
        let mut errors = FormErrors::default();
        errors.add("disable_password", problem);
        return two_factor_page(&state, ctx, &user, errors).await;
    }
    security::disable_two_factor(&state, &user, &meta).await?;
    Ok(see_other("/account?notice=two-factor-off"))
}
