//! Login and logout.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use time::OffsetDateTime;

use super::attempts::{self, Reservation};
use super::db::{self, AccountStatus, LoginRow};
use super::model::{LoginGate, SessionEnd, locks_account, normalize_email, safe_return_path};
use super::{CurrentUser, session, two_factor};
use crate::app::AppState;
use crate::audit::{self, Outcome, action};
use crate::error::AppResult;
use crate::settings;
use crate::web::routes::TWO_FACTOR_SETUP;
use crate::web::{PageContext, RequestMeta, csrf, render_with_status, see_other};

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    ended: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    ctx: PageContext,
    email: String,
    next: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

pub async fn login_form(ctx: PageContext, Query(query): Query<LoginQuery>) -> AppResult<Response> {
    if let Some(user) = &ctx.user {
        return Ok(see_other(user.role.home()));
    }
    let next = query
        .next
        .as_deref()
        .and_then(safe_return_path)
        .unwrap_or_default()
        .to_owned();
    let notice = query
        .ended
        .as_deref()
        .and_then(SessionEnd::parse)
        .map(SessionEnd::notice);
    let page = LoginPage {
        ctx,
        email: String::new(),
        next,
        notice,
        error: None,
    };
    render_with_status(StatusCode::OK, &page)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

const WRONG_CREDENTIALS: &str = "The email or password is not right. Check both and try again.";

fn locked_message(until: OffsetDateTime) -> String {
    let minutes = ((until - OffsetDateTime::now_utc()).whole_seconds() + 59) / 60;
    format!(
        "Too many failed attempts were made to log in to this account, so it is locked for now. \
         Try again in {} minute{}, or contact the clinic.",
        minutes.max(1),
        if minutes > 1 { "s" } else { "" }
    )
}

pub async fn login(
    State(state): State<AppState>,
    ctx: PageContext,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let email = normalize_email(&form.email);
    let next = safe_return_path(&form.next).unwrap_or_default().to_owned();
    let show = |ctx, status, error: String| {
        let page = LoginPage {
            ctx,
            email: form.email.trim().to_owned(),
            next: next.clone(),
            notice: None,
            error: Some(error),
        };
        render_with_status(status, &page)
    };

    // Text that cannot be stored is a slip too (a NUL pasted in): told, never counted or kept.
    let typed = [&form.email, &form.password, &form.next];
    if let Some(message) = typed.iter().find_map(|t| crate::web::params::unstorable(t)) {
        return show(ctx, StatusCode::UNPROCESSABLE_ENTITY, message.to_owned());
    }
    // An empty field is a slip, not a guess: say so without counting a failed attempt.
    if email.is_empty() || form.password.is_empty() {
        return show(
            ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter both your email and your password.".to_owned(),
        );
    }

    let settings = settings::load(&state.db).await?;
    let policy = settings.lockout_policy();
    // Counted before the password is checked: parallel guesses cannot overshoot the lockout.
    let reservation = attempts::reserve(&state.db, policy, &email, &meta.client_addr).await?;
    let before = match reservation {
        Reservation::Granted { before, .. } => before,
        Reservation::Refused(gate) => {
            let detail = if gate == LoginGate::AddressThrottled {
                "client address"
            } else {
                "account"
            };
            let entry = audit::Entry::new(action::LOGIN_LOCKED, None, &meta)
                .outcome(Outcome::Denied)
                .detail(detail);
            audit::record(&state.db, entry).await?;
            return show(ctx, StatusCode::TOO_MANY_REQUESTS, refusal_message(gate));
        }
    };

    let account = db::find_login(&state.db, &email).await?;
    let stored_hash = account.as_ref().map(|a| a.password_hash.clone());
    let password_ok = state.passwords.verify(form.password, stored_hash).await?;
    match account {
        Some(account) if password_ok && account.status == AccountStatus::Active => {
            if account.totp_enabled {
                attempts::release(&state.db, reservation).await?;
                return crate::account::second_factor::challenge(&state, &account, &next).await;
            }
            let enrol = two_factor::required_for(
                account.role,
                settings.two_factor_front_desk,
                settings.two_factor_patients,
            );
            let target = if enrol { TWO_FACTOR_SETUP } else { &next };
            log_in(&state, &meta, &headers, &account, target).await
        }
        Some(account) if password_ok => {
            let actor = CurrentUser::actor(
                account.id,
                account.role,
                account.display_name,
                account.email,
            );
            let entry = audit::Entry::new(action::LOGIN_FAILED, Some(&actor), &meta)
                .outcome(Outcome::Denied)
                .detail("account disabled");
            audit::record(&state.db, entry).await?;
            show(
                ctx,
                StatusCode::FORBIDDEN,
                SessionEnd::Disabled.notice().to_owned(),
            )
        }
        account => {
            // The failure itself was recorded by the reservation.
            let mut entry =
                audit::Entry::new(action::LOGIN_FAILED, None, &meta).outcome(Outcome::Failure);
            if let Some(account) = &account {
                entry.actor_id = Some(account.id);
                entry.actor_role = Some(account.role.as_str());
            }
            let mut tx = state.db.begin().await?;
            audit::record(&mut *tx, entry.clone()).await?;
            let now_locked = locks_account(policy, before);
            if now_locked {
                entry.action = action::LOCKOUT;
                audit::record(&mut *tx, entry.outcome(Outcome::Denied)).await?;
            }
            tx.commit().await?;
            if now_locked {
                let until = OffsetDateTime::now_utc() + policy.window;
                return show(ctx, StatusCode::TOO_MANY_REQUESTS, locked_message(until));
            }
            show(
                ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                WRONG_CREDENTIALS.to_owned(),
            )
        }
    }
}

/// What a refused attempt is told.
pub(crate) fn refusal_message(gate: LoginGate) -> String {
    match gate {
        LoginGate::AccountLocked { until } => locked_message(until),
        _ => "Too many failed logins came from your network. Wait a few minutes and try again."
            .to_owned(),
    }
}

/// Opens a new session and sends the user where they were going, or to their home page.
pub(crate) async fn log_in(
    state: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    account: &LoginRow,
    next: &str,
) -> AppResult<Response> {
    let actor = CurrentUser::actor(
        account.id,
        account.role,
        account.display_name.clone(),
        account.email.clone(),
    );
    let mut tx = state.db.begin().await?;
    db::clear_login_failures(&mut *tx, &account.email).await?;
    let token = session::begin(&mut tx, state.cookies, headers, meta, account.id).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::LOGIN, Some(&actor), meta),
    )
    .await?;
    tx.commit().await?;
    session::forget_presented(state, headers);
    let target = if next.is_empty() {
        account.role.home()
    } else {
        next
    };
    let mut response = see_other(target);
    let cookies = state.cookies;
    cookies.set(response.headers_mut(), cookies.session_name(), &token);
    // A new anti-forgery token too, so one seen before login is worthless after it.
    cookies.set(
        response.headers_mut(),
        cookies.csrf_name(),
        &csrf::new_token(),
    );
    Ok(response)
}

pub async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
    meta: RequestMeta,
    headers: HeaderMap,
) -> AppResult<Response> {
    let mut tx = state.db.begin().await?;
    session::end(&mut *tx, state.cookies, &headers).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::LOGOUT, Some(&user), &meta),
    )
    .await?;
    tx.commit().await?;
    session::forget_presented(&state, &headers);
    let mut response = see_other("/login?ended=logout");
    state
        .cookies
        .clear(response.headers_mut(), state.cookies.session_name());
    Ok(response)
}
