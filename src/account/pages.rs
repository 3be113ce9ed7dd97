//! The user's own account security: password, email, two-factor login and sessions. Every
//! change asks for the current password again.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use time::OffsetDateTime;

use super::db::{self, SessionListRow, TokenPurpose};
use super::email_change;
use super::model::{
    self, EmailChangeForm, EnrolForm, PasswordChangeForm, PasswordOnlyForm, VERIFY_VALID_MINUTES,
};
use crate::app::AppState;
use crate::audit::{self, Outcome, action};
use crate::auth::CurrentUser;
use crate::auth::attempts::{self, Reservation};
use crate::auth::model::refusal_message;
use crate::auth::two_factor::{self, unix_now};
use crate::error::{AppError, AppResult};
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status, see_other};
use crate::{notify, settings};

/// Checks the current password typed into a form; returns what to say beside the field when
/// it is not accepted. Each check counts towards the account's lockout like a login (counted
/// before the hash is computed), and a wrong one is audited.
async fn current_password_problem(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    typed: &str,
) -> AppResult<Option<String>> {
    // A NUL pasted in is a slip, not a guess: told, never counted or checked.
    if let Some(problem) = crate::web::params::unstorable(typed) {
        return Ok(Some(problem.to_owned()));
    }
    let policy = settings::load(&state.db).await?.lockout_policy();
    let reservation = attempts::reserve(&state.db, policy, &user.email, &meta.client_addr).await?;
    if let Reservation::Refused(gate) = reservation {
        audit::record(
            &state.db,
            audit::Entry::new(action::REAUTH_FAILED, Some(user), meta)
                .outcome(Outcome::Denied)
                .detail("locked"),
        )
        .await?;
        return Ok(Some(refusal_message(gate, OffsetDateTime::now_utc())));
    }
    let stored = db::password_hash(&state.db, user.id).await?;
    let ok = state
        .passwords
        .verify(typed.to_owned(), Some(stored))
        .await?;
    if ok {
        attempts::release(&state.db, reservation).await?;
        return Ok(None);
    }
    audit::record(
        &state.db,
        audit::Entry::new(action::REAUTH_FAILED, Some(user), meta).outcome(Outcome::Failure),
    )
    .await?;
    Ok(Some(WRONG_PASSWORD.to_owned()))
}

const WRONG_PASSWORD: &str = "That is not your current password.";

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
    // Refused before the current password is tried, so a NUL is not counted as a failure.
    let mut unstorable = FormErrors::default();
    unstorable.check_storable(&[
        ("current_password", &form.current_password),
        ("new_password", &form.new_password),
    ]);
    if !unstorable.is_empty() {
        let forms = Forms {
            password_errors: unstorable,
            email_form: EmailChangeForm::default(),
            email_errors: FormErrors::default(),
            notice: None,
        };
        return account_page(&state, ctx, &user, forms).await;
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
        let forms = Forms {
            password_errors: errors,
            email_form: EmailChangeForm::default(),
            email_errors: FormErrors::default(),
            notice: None,
        };
        return account_page(&state, ctx, &user, forms).await;
    }
    let hash = state.passwords.hash(form.new_password).await?;
    let mut tx = state.db.begin().await?;
    db::set_password(&mut *tx, user.id, &hash).await?;
    let ended = db::end_other_sessions(&mut *tx, user.id, user.session_id).await?;
    let feeds = crate::scheduling::db::revoke_calendar_feeds(&mut *tx, user.id).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::PASSWORD_CHANGE, Some(&user), &meta).detail(format!(
            "{ended} other sessions ended; {feeds} calendar feed address(es) revoked"
        )),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(user.id);
    Ok(see_other("/account?notice=password"))
}

/// Sends a confirmation link for the account's current address.
async fn send_verification(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    user_id: i64,
    email: &str,
) -> AppResult<()> {
    let (token, hash) = crate::auth::tokens::new_token();
    db::create_token(
        &mut *tx,
        user_id,
        TokenPurpose::EmailVerification,
        email,
        &hash,
        VERIFY_VALID_MINUTES,
    )
    .await?;
    let link = model::link(&state.config.link_base(), &format!("/verify-email/{token}"));
    let (subject, body) = model::verification_email(&link);
    notify::db::enqueue(
        &mut *tx,
        TokenPurpose::EmailVerification.as_str(),
        email,
        &subject,
        &body,
    )
    .await?;
    Ok(())
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
    let mut tx = state.db.begin().await?;
    send_verification(&mut tx, &state, user.id, &user.email).await?;
    tx.commit().await?;
    Ok(see_other("/account?notice=verification-sent"))
}

pub async fn end_session(
    State(state): State<AppState>,
    user: CurrentUser,
    meta: RequestMeta,
    Path(session_id): Path<i64>,
) -> AppResult<Response> {
    let mut tx = state.db.begin().await?;
    if !db::end_own_session(&mut *tx, user.id, session_id).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut *tx,
        audit::Entry::new(action::SESSION_END, Some(&user), &meta)
            .detail(format!("session {session_id}")),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(user.id);
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
    let mut tx = state.db.begin().await?;
    let ended = db::end_other_sessions(&mut *tx, user.id, user.session_id).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::SESSION_END, Some(&user), &meta)
            .detail(format!("{ended} other sessions")),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(user.id);
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

/// Stores ten new recovery codes and shows them, this once.
async fn issue_recovery_codes(tx: &mut sqlx::PgConnection, user_id: i64) -> AppResult<Vec<String>> {
    let codes = two_factor::new_recovery_codes();
    let hashes: Vec<Vec<u8>> = codes
        .iter()
        .map(|c| two_factor::recovery_code_hash(c))
        .collect();
    db::replace_recovery_codes(tx, user_id, &hashes).await?;
    Ok(codes)
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
    errors.check("code", crate::web::params::unstorable(&form.code));
    if !errors.is_empty() {
        return two_factor_page(&state, ctx, &user, errors).await;
    }
    let step = second
        .pending_secret
        .as_deref()
        .and_then(|secret| two_factor::accepted_step(secret, &form.code, unix_now(), None));
    if step.is_none() {
        errors.add(
            "code",
            "That code is not right. Enter the six digits your app shows now (they change every 30 seconds).",
        );
    }
    errors.check(
        "current_password",
        current_password_problem(&state, &user, &meta, &form.current_password).await?,
    );
    let Some(step) = step.filter(|_| errors.is_empty()) else {
        return two_factor_page(&state, ctx, &user, errors).await;
    };
    let mut tx = state.db.begin().await?;
    if !db::enable_two_factor(&mut *tx, user.id, step).await? {
        return Ok(see_other("/account/two-factor"));
    }
    let codes = issue_recovery_codes(&mut tx, user.id).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::TWO_FACTOR_ENABLE, Some(&user), &meta),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(user.id);
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
    let mut tx = state.db.begin().await?;
    let codes = issue_recovery_codes(&mut tx, user.id).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::RECOVERY_CODES_NEW, Some(&user), &meta),
    )
    .await?;
    tx.commit().await?;
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
    let mut tx = state.db.begin().await?;
    db::disable_two_factor(&mut tx, user.id).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::TWO_FACTOR_DISABLE, Some(&user), &meta),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(user.id);
    Ok(see_other("/account?notice=two-factor-off"))
}
