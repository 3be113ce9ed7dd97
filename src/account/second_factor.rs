//! The second step of logging in: after the password, a code from the authenticator app or
//! one of the recovery codes. The step is a short-lived challenge, not a session: nothing of
//! the account is reachable until it is passed.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::db;
use super::model::{self, CHALLENGE_ATTEMPTS, CHALLENGE_MINUTES};
use super::pages::unix_now;
use crate::app::AppState;
use crate::audit::{self, Outcome, action};
use crate::auth::attempts::{self, Reservation};
use crate::auth::db::LoginRow;
use crate::auth::{CurrentUser, two_factor};
use crate::error::AppResult;
use crate::settings;
use crate::web::{FormErrors, PageContext, RequestMeta, cookies, render_with_status, see_other};

/// Starts the second step for an account whose password was right.
pub async fn challenge(state: &AppState, account: &LoginRow, next: &str) -> AppResult<Response> {
    let (token, hash) = model::new_token();
    db::create_challenge(&state.db, &hash, account.id, next).await?;
    let mut response = see_other("/login/two-factor");
    state.cookies.set(
        response.headers_mut(),
        state.cookies.challenge_name(),
        &token,
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "account/login_code.html")]
struct CodePage {
    ctx: PageContext,
    errors: FormErrors,
}

fn code_page(ctx: PageContext, errors: FormErrors) -> AppResult<Response> {
    let page = CodePage { ctx, errors };
    render_with_status(page.errors.status(), &page)
}

fn challenge_hash(state: &AppState, headers: &HeaderMap) -> Option<Vec<u8>> {
    cookies::read(headers, state.cookies.challenge_name()).map(model::token_hash)
}

pub async fn code_form(
    State(state): State<AppState>,
    ctx: PageContext,
    headers: HeaderMap,
) -> AppResult<Response> {
    let Some(hash) = challenge_hash(&state, &headers) else {
        return Ok(see_other("/login"));
    };
    if db::challenge(&state.db, &hash, CHALLENGE_MINUTES)
        .await?
        .is_none()
    {
        return Ok(see_other("/login"));
    }
    code_page(ctx, FormErrors::default())
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn check_code(
    State(state): State<AppState>,
    ctx: PageContext,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> AppResult<Response> {
    let Some(hash) = challenge_hash(&state, &headers) else {
        return Ok(see_other("/login"));
    };
    let Some(challenge) = db::challenge(&state.db, &hash, CHALLENGE_MINUTES).await? else {
        return Ok(see_other("/login"));
    };
    let actor = CurrentUser::actor(
        challenge.user_id,
        challenge.role,
        challenge.display_name.clone(),
        challenge.email.clone(),
    );
    // A code that cannot be stored is a slip (a NUL pasted in), not a guess: not counted.
    if let Some(problem) = crate::web::params::unstorable(&form.code) {
        let mut errors = FormErrors::default();
        errors.add("code", problem);
        return code_page(ctx, errors);
    }
    // Counted before the code is checked, against the challenge and the account's lockout,
    // so parallel guesses cannot get more codes checked than allowed.
    let policy = settings::load(&state.db).await?.lockout_policy();
    let reserved = db::reserve_challenge_attempt(&state.db, &hash, CHALLENGE_ATTEMPTS).await?;
    let reservation = match reserved {
        Some(_) => {
            attempts::reserve(&state.db, policy, &challenge.email, &meta.client_addr).await?
        }
        None => Reservation::Refused(crate::auth::model::LoginGate::Open),
    };
    let Some(made) = reserved.filter(|_| matches!(reservation, Reservation::Granted { .. })) else {
        db::end_challenge(&state.db, &hash).await?;
        let mut response = see_other("/login?ended=codes");
        state
            .cookies
            .clear(response.headers_mut(), state.cookies.challenge_name());
        return Ok(response);
    };
    let mut tx = state.db.begin().await?;
    let passed = if two_factor::looks_like_recovery_code(&form.code) {
        let used = db::use_recovery_code(
            &mut *tx,
            challenge.user_id,
            &two_factor::recovery_code_hash(&form.code),
        )
        .await?;
        if used {
            audit::record(
                &mut *tx,
                audit::Entry::new(action::LOGIN_RECOVERY_CODE, Some(&actor), &meta),
            )
            .await?;
        }
        used
    } else {
        let step = challenge.totp_secret.as_deref().and_then(|secret| {
            two_factor::accepted_step(secret, &form.code, unix_now(), challenge.last_step)
        });
        match step {
            Some(step) => db::use_step(&mut *tx, challenge.user_id, step).await?,
            None => false,
        }
    };
    if passed {
        db::end_challenge(&mut *tx, &hash).await?;
        tx.commit().await?;
        let account = LoginRow {
            id: challenge.user_id,
            role: challenge.role,
            display_name: challenge.display_name,
            email: challenge.email,
            status: crate::auth::db::AccountStatus::Active,
            password_hash: String::new(),
            totp_enabled: true,
        };
        let mut response =
            crate::auth::pages::log_in(&state, &meta, &headers, &account, &challenge.next).await?;
        state
            .cookies
            .clear(response.headers_mut(), state.cookies.challenge_name());
        return Ok(response);
    }
    // The wrong code was counted (challenge and lockout) by the reservation above.
    audit::record(
        &mut *tx,
        audit::Entry::new(action::LOGIN_SECOND_FACTOR_FAILED, Some(&actor), &meta)
            .outcome(Outcome::Failure),
    )
    .await?;
    let exhausted = made >= CHALLENGE_ATTEMPTS;
    if exhausted {
        db::end_challenge(&mut *tx, &hash).await?;
    }
    tx.commit().await?;
    if exhausted {
        let mut response = see_other("/login?ended=codes");
        state
            .cookies
            .clear(response.headers_mut(), state.cookies.challenge_name());
        return Ok(response);
    }
    let mut errors = FormErrors::default();
    errors.add(
        "code",
        "That code is not right. Enter the six digits your app shows now, or one of your recovery codes.",
    );
    let page = CodePage { ctx, errors };
    render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
