//! Patient self-registration, which never says whether an address already has an account:
//! every well-formed form gets the same "check your email" page, and the address's owner
//! learns the rest by email. The account is created only when the emailed link is opened
//! and the password chosen at registration is typed again (so whoever registers someone
//! else's address cannot get the owner to confirm an account whose password they know).

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use time::OffsetDateTime;

use super::accounts::{self, AccountForm, CreateError, ValidAccount};
use super::db;
use super::flow::signed_in;
use super::model::{
    REGISTRATION_CONFIRM_ATTEMPTS, REGISTRATION_VALID_MINUTES, WRONG_REGISTRATION_PASSWORD,
    registration_attempt_email, registration_email,
};
use crate::account::model::link;
use crate::audit::{self, action};
use crate::auth::model::{CostlyRequest, Role};
use crate::auth::{attempts, tokens};
use crate::error::{AppError, AppResult};
use crate::notify::db::{enqueue, kind};
use crate::settings;
use crate::state::AppState;
use crate::web::{FormErrors, RequestMeta, params, see_other, session};

/// A registration form told again: with what status, and what to say beside which field.
pub struct Refusal {
    pub status: StatusCode,
    pub errors: FormErrors,
}

/// Checks the form, then emails the address: a confirmation link, or (when the address has
/// an account) a note to its owner. Returns the address written to.
pub async fn request(
    state: &AppState,
    meta: &RequestMeta,
    form: &AccountForm,
) -> AppResult<Result<String, Refusal>> {
    let settings = settings::load(&state.db).await?;
    let today = OffsetDateTime::now_utc().date();
    let account = match accounts::validate(form, Some(Role::Patient), today, settings.allow_minors)
    {
        Ok(account) => account,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(Err(Refusal { status, errors }));
        }
    };
    let Some(date_of_birth) = account.date_of_birth else {
        return Err(AppError::BadRequest(
            "A patient needs a date of birth.".into(),
        ));
    };
    // Only a well-formed request is counted, and only then is the password hashed: each
    // address gets a share of hashing per hour, so registrations cannot crowd out logins.
    let per_hour = state.config.limits.registrations_per_hour;
    let request = CostlyRequest::Registration;
    if !attempts::reserve_costly(&state.db, request, &meta.client_addr, per_hour).await? {
        let mut errors = FormErrors::default();
        errors.add("email", request.refusal());
        let status = StatusCode::TOO_MANY_REQUESTS;
        return Ok(Err(Refusal { status, errors }));
    }
    // Hashed whether or not the address has an account: the same work, so the same time.
    let password_hash = state.passwords.hash(account.password.clone()).await?;
    let mut tx = state.db.begin().await?;
    let has_account = crate::auth::db::account_exists(&mut *tx, &account.email).await?;
    let base = state.config.link_base();
    if has_account {
        let (subject, body) =
            registration_attempt_email(&link(&base, "/login"), &link(&base, "/forgot-password"));
        let to = &account.email;
        enqueue(&mut *tx, kind::REGISTRATION_ATTEMPT, to, &subject, &body).await?;
    } else {
        let (token, token_hash) = tokens::new_token();
        db::save_pending_registration(
            &mut *tx,
            &account.email,
            &account.name,
            date_of_birth,
            &password_hash,
            &token_hash,
            REGISTRATION_VALID_MINUTES,
        )
        .await?;
        let link = link(&base, &format!("/register/confirm/{token}"));
        let (subject, body) = registration_email(&link);
        enqueue(
            &mut *tx,
            kind::REGISTRATION,
            &account.email,
            &subject,
            &body,
        )
        .await?;
    }
    let detail = if has_account {
        "the address has an account: its owner was told"
    } else {
        "confirmation link sent"
    };
    audit::record(
        &mut *tx,
        audit::Entry::new(action::REGISTER_REQUEST, None, meta).detail(detail),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(account.email))
}

/// The address a live registration link is for, without using the link up.
pub async fn pending_email(state: &AppState, token: &str) -> AppResult<Option<String>> {
    let hash = tokens::token_hash(token);
    let pending = db::pending_registration(&state.db, &hash, REGISTRATION_CONFIRM_ATTEMPTS).await?;
    Ok(pending.map(|p| p.email))
}

/// Where a confirmation leads.
pub enum Confirmation {
    /// Unknown, used or expired link, or its address has an account now.
    Gone,
    /// Told beside the password, the link's address shown again.
    Refused {
        email: String,
        problem: &'static str,
    },
    /// The account exists and the patient is logged in.
    Done(Response),
}

/// Creates the account (audited as a registration), with its address confirmed, and logs
/// the patient in.
pub async fn confirm(
    state: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    token: &str,
    password: String,
) -> AppResult<Confirmation> {
    let hash = tokens::token_hash(token);
    // A password that cannot be stored is a slip (a NUL pasted in), not a try: not counted.
    if let Some(problem) = params::unstorable(&password) {
        return Ok(match pending_email(state, token).await? {
            Some(email) => Confirmation::Refused { email, problem },
            None => Confirmation::Gone,
        });
    }
    // Counted before the password is checked, like a login.
    let Some(pending) =
        db::reserve_registration_attempt(&state.db, &hash, REGISTRATION_CONFIRM_ATTEMPTS).await?
    else {
        return Ok(Confirmation::Gone);
    };
    let typed_right = state
        .passwords
        .verify(password, Some(pending.password_hash.clone()))
        .await?;
    if !typed_right {
        return Ok(Confirmation::Refused {
            email: pending.email,
            problem: WRONG_REGISTRATION_PASSWORD,
        });
    }
    let password_hash = pending.password_hash.clone();
    let account = ValidAccount {
        role: Role::Patient,
        name: pending.display_name,
        email: pending.email,
        date_of_birth: Some(pending.date_of_birth),
        password: String::new(),
    };
    let mut tx = state.db.begin().await?;
    // Used up inside the transaction: two tabs confirming at once create one account.
    if !db::take_pending_registration(&mut *tx, &hash).await? {
        return Ok(Confirmation::Gone);
    }
    let created = accounts::create(
        &mut tx,
        &account,
        &password_hash,
        None,
        action::REGISTER,
        Some(meta),
    )
    .await;
    let created = match created {
        Ok(created) => created,
        // The address got an account since the link was sent: the link is spent.
        Err(CreateError::EmailTaken) => {
            drop(tx);
            db::take_pending_registration(&state.db, &hash).await?;
            return Ok(Confirmation::Gone);
        }
        Err(CreateError::Failed(e)) => return Err(e),
    };
    crate::account::db::mark_email_verified(&mut *tx, created.user.id).await?;
    let session_token =
        session::begin(&mut tx, state.cookies, headers, meta, created.user.id).await?;
    tx.commit().await?;
    session::forget_presented(state, headers);
    let response = signed_in(state, see_other(Role::Patient.home()), &session_token);
    Ok(Confirmation::Done(response))
}
