//! Logging in as steps: the password (counted before it is checked), then the second factor
//! when the account has one, then a fresh session. Each handler in `pages.rs` calls one step.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use time::OffsetDateTime;

use super::db as login_db;
use super::model::{
    AfterPassword, CHALLENGE_ATTEMPTS, CHALLENGE_MINUTES, EMPTY_LOGIN, WRONG_CREDENTIALS,
    after_password, challenge_spent,
};
use crate::audit::{self, Outcome, action};
use crate::auth::attempts::{self, Reservation};
use crate::auth::db::{self, AccountStatus, LoginRow};
use crate::auth::model::{
    LockoutPolicy, LoginFailures, LoginGate, SessionEnd, locked_message, locks_account,
    normalize_email, refusal_message,
};
use crate::auth::{CurrentUser, tokens, two_factor};
use crate::error::AppResult;
use crate::settings;
use crate::state::AppState;
use crate::web::routes::TWO_FACTOR_SETUP;
use crate::web::{RequestMeta, cookies, csrf, params, see_other, session};

/// A login form told again: with what status, and what to say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            message: message.into(),
        }
    }
}

/// What was typed into the login form.
pub struct Credentials<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub next: &'a str,
}

/// The password step. `Ok` is where the browser goes next (a session, or the second step).
pub async fn password_login(
    state: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    typed: Credentials<'_>,
    next: &str,
) -> AppResult<Result<Response, Refusal>> {
    let email = normalize_email(typed.email);
    // Text that cannot be stored is a slip too (a NUL pasted in): told, never counted or kept.
    let fields = [typed.email, typed.password, typed.next];
    if let Some(message) = fields.iter().find_map(|t| params::unstorable(t)) {
        return Ok(Err(Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, message)));
    }
    // An empty field is a slip, not a guess: say so without counting a failed attempt.
    if email.is_empty() || typed.password.is_empty() {
        return Ok(Err(Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            EMPTY_LOGIN,
        )));
    }
    let settings = settings::load(&state.db).await?;
    let policy = settings.lockout_policy();
    // Counted before the password is checked: parallel guesses cannot overshoot the lockout.
    let reservation = attempts::reserve(&state.db, policy, &email, &meta.client_addr).await?;
    let before = match reservation {
        Reservation::Granted { before, .. } => before,
        Reservation::Refused(gate) => return refused(state, meta, gate).await.map(Err),
    };
    let account = db::find_login(&state.db, &email).await?;
    let stored_hash = account.as_ref().map(|a| a.password_hash.clone());
    let password_ok = state
        .passwords
        .verify(typed.password.to_owned(), stored_hash)
        .await?;
    let step = account.as_ref().map(|a| {
        let required = two_factor::required_for(
            a.role,
            settings.two_factor_front_desk,
            settings.two_factor_patients,
        );
        after_password(
            password_ok,
            a.status == AccountStatus::Active,
            a.totp_enabled,
            required,
        )
    });
    match (step, account) {
        (Some(AfterPassword::SecondFactor), Some(account)) => {
            attempts::release(&state.db, reservation).await?;
            challenge(state, &account, next).await.map(Ok)
        }
        (Some(AfterPassword::SignIn { enrol }), Some(account)) => {
            let target = if enrol { TWO_FACTOR_SETUP } else { next };
            log_in(state, meta, headers, &account, target).await.map(Ok)
        }
        (Some(AfterPassword::Disabled), Some(account)) => {
            disabled(state, meta, account).await.map(Err)
        }
        (_, account) => wrong_password(state, meta, account.as_ref(), policy, before)
            .await
            .map(Err),
    }
}

/// Too many failures for the email or from the address: nothing was checked.
async fn refused(state: &AppState, meta: &RequestMeta, gate: LoginGate) -> AppResult<Refusal> {
    let detail = if gate == LoginGate::AddressThrottled {
        "client address"
    } else {
        "account"
    };
    let entry = audit::Entry::new(action::LOGIN_LOCKED, None, meta)
        .outcome(Outcome::Denied)
        .detail(detail);
    audit::record(&state.db, entry).await?;
    let message = refusal_message(gate, OffsetDateTime::now_utc());
    Ok(Refusal::new(StatusCode::TOO_MANY_REQUESTS, message))
}

/// The right password of a disabled account: said plainly, audited, not counted as a guess.
async fn disabled(state: &AppState, meta: &RequestMeta, account: LoginRow) -> AppResult<Refusal> {
    let actor = CurrentUser::actor(
        account.id,
        account.role,
        account.display_name,
        account.email,
    );
    let entry = audit::Entry::new(action::LOGIN_FAILED, Some(&actor), meta)
        .outcome(Outcome::Denied)
        .detail("account disabled");
    audit::record(&state.db, entry).await?;
    Ok(Refusal::new(
        StatusCode::FORBIDDEN,
        SessionEnd::Disabled.notice(),
    ))
}

/// An unknown email or a wrong password; the failure itself was counted by the reservation.
async fn wrong_password(
    state: &AppState,
    meta: &RequestMeta,
    account: Option<&LoginRow>,
    policy: LockoutPolicy,
    before: LoginFailures,
) -> AppResult<Refusal> {
    let mut entry = audit::Entry::new(action::LOGIN_FAILED, None, meta).outcome(Outcome::Failure);
    if let Some(account) = account {
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
        let now = OffsetDateTime::now_utc();
        let message = locked_message(now + policy.window, now);
        return Ok(Refusal::new(StatusCode::TOO_MANY_REQUESTS, message));
    }
    Ok(Refusal::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        WRONG_CREDENTIALS,
    ))
}

/// Starts the second step for an account whose password was right: a short-lived challenge,
/// not a session, so nothing of the account is reachable until it is passed.
async fn challenge(state: &AppState, account: &LoginRow, next: &str) -> AppResult<Response> {
    let (token, hash) = tokens::new_token();
    login_db::create_challenge(&state.db, &hash, account.id, next).await?;
    let mut response = see_other("/login/two-factor");
    state.cookies.set(
        response.headers_mut(),
        state.cookies.challenge_name(),
        &token,
    );
    Ok(response)
}

/// Opens a new session and sends the user where they were going, or to their home page.
pub async fn log_in(
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
    Ok(signed_in(state, see_other(target), &token))
}

/// Sets the new session's cookie on `response`, and a new anti-forgery token too, so one
/// seen before login is worthless after it.
pub fn signed_in(state: &AppState, mut response: Response, session_token: &str) -> Response {
    let cookies = state.cookies;
    cookies.set(
        response.headers_mut(),
        cookies.session_name(),
        session_token,
    );
    cookies.set(
        response.headers_mut(),
        cookies.csrf_name(),
        &csrf::new_token(),
    );
    response
}

/// Where a second-factor code leads.
pub enum CodeStep {
    /// No live challenge: back to the password.
    NoChallenge,
    /// Told beside the field, with this status.
    Refused(StatusCode, &'static str),
    /// Too many codes: the challenge is over, log in again.
    Spent,
    /// Passed: the response carries the new session.
    Passed(Response),
}

/// The challenge the request's cookie names, hashed as stored.
pub fn challenge_hash(state: &AppState, headers: &HeaderMap) -> Option<Vec<u8>> {
    cookies::read(headers, state.cookies.challenge_name()).map(tokens::token_hash)
}

/// Whether the request comes with a live challenge.
pub async fn challenge_is_live(state: &AppState, headers: &HeaderMap) -> AppResult<bool> {
    let Some(hash) = challenge_hash(state, headers) else {
        return Ok(false);
    };
    Ok(login_db::challenge(&state.db, &hash, CHALLENGE_MINUTES)
        .await?
        .is_some())
}

/// The second step: an authenticator code or a recovery code, counted before it is checked,
/// against the challenge and against the account's lockout.
pub async fn check_code(
    state: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    code: &str,
) -> AppResult<CodeStep> {
    let Some(hash) = challenge_hash(state, headers) else {
        return Ok(CodeStep::NoChallenge);
    };
    let Some(challenge) = login_db::challenge(&state.db, &hash, CHALLENGE_MINUTES).await? else {
        return Ok(CodeStep::NoChallenge);
    };
    // A code that cannot be stored is a slip (a NUL pasted in), not a guess: not counted.
    if let Some(problem) = params::unstorable(code) {
        return Ok(CodeStep::Refused(StatusCode::UNPROCESSABLE_ENTITY, problem));
    }
    // Counted before the code is checked, so parallel guesses cannot get more codes checked
    // than allowed.
    let policy = settings::load(&state.db).await?.lockout_policy();
    let reserved =
        login_db::reserve_challenge_attempt(&state.db, &hash, CHALLENGE_ATTEMPTS).await?;
    let reservation = match reserved {
        Some(_) => {
            attempts::reserve(&state.db, policy, &challenge.email, &meta.client_addr).await?
        }
        None => Reservation::Refused(LoginGate::Open),
    };
    let Some(made) = reserved.filter(|_| matches!(reservation, Reservation::Granted { .. })) else {
        login_db::end_challenge(&state.db, &hash).await?;
        return Ok(CodeStep::Spent);
    };
    let actor = CurrentUser::actor(
        challenge.user_id,
        challenge.role,
        challenge.display_name.clone(),
        challenge.email.clone(),
    );
    let mut tx = state.db.begin().await?;
    if code_passes(&mut tx, meta, &actor, &challenge, code).await? {
        login_db::end_challenge(&mut *tx, &hash).await?;
        tx.commit().await?;
        let account = LoginRow {
            id: challenge.user_id,
            role: challenge.role,
            display_name: challenge.display_name,
            email: challenge.email,
            status: AccountStatus::Active,
            password_hash: String::new(),
            totp_enabled: true,
        };
        let response = log_in(state, meta, headers, &account, &challenge.next).await?;
        return Ok(CodeStep::Passed(response));
    }
    // The wrong code was counted (challenge and lockout) by the reservation above.
    audit::record(
        &mut *tx,
        audit::Entry::new(action::LOGIN_SECOND_FACTOR_FAILED, Some(&actor), meta)
            .outcome(Outcome::Failure),
    )
    .await?;
    let spent = challenge_spent(made);
    if spent {
        login_db::end_challenge(&mut *tx, &hash).await?;
    }
    tx.commit().await?;
    if spent {
        return Ok(CodeStep::Spent);
    }
    Ok(CodeStep::Refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        super::model::WRONG_CODE,
    ))
}

/// Uses up a recovery code, or the authenticator's time step, if the code is right.
async fn code_passes(
    tx: &mut sqlx::PgConnection,
    meta: &RequestMeta,
    actor: &CurrentUser,
    challenge: &login_db::Challenge,
    code: &str,
) -> AppResult<bool> {
    if two_factor::looks_like_recovery_code(code) {
        let hash = two_factor::recovery_code_hash(code);
        let used = login_db::use_recovery_code(&mut *tx, challenge.user_id, &hash).await?;
        if used {
            audit::record(
                &mut *tx,
                audit::Entry::new(action::LOGIN_RECOVERY_CODE, Some(actor), meta),
            )
            .await?;
        }
        return Ok(used);
    }
    let step = challenge.totp_secret.as_deref().and_then(|secret| {
        two_factor::accepted_step(secret, code, two_factor::unix_now(), challenge.last_step)
    });
    Ok(match step {
        Some(step) => login_db::use_step(&mut *tx, challenge.user_id, step).await?,
        None => false,
    })
}

/// Ends the session the request came with.
pub async fn log_out(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    headers: &HeaderMap,
) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    session::end(&mut *tx, state.cookies, headers).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::LOGOUT, Some(user), meta),
    )
    .await?;
    tx.commit().await?;
    session::forget_presented(state, headers);
    Ok(())
}
