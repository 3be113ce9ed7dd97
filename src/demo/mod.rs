//! The demo clinic for trying the app (a clinic in mid-week), and the CLI's account creation.

pub mod db;
mod load;
pub mod model;

pub use load::{DemoClinic, StaffKey, authenticator_code, load};

use sqlx::PgPool;
use time::OffsetDateTime;

use crate::audit::action;
use crate::auth::password::Passwords;
use crate::core::Role;
use crate::login::accounts::{self, AccountForm, CreateError};
use crate::settings;

pub struct DemoLogin {
    pub role: Role,
    pub email: &'static str,
    pub password: &'static str,
}

/// One login per role. The passwords are public: a demo database is never a real clinic.
pub const DEMO_LOGINS: [(Role, &str, &str, &str, &str); 4] = [
    (
        Role::Admin,
        "Avery Admin",
        "admin@demo.clinic",
        "demo admin passphrase",
        "",
    ),
    (
        Role::Clinician,
        "Dr. Casey Clinician",
        "clinician@demo.clinic",
        "demo clinician passphrase",
        "",
    ),
    (
        Role::FrontDesk,
        "Frankie Desk",
        "frontdesk@demo.clinic",
        "demo front desk passphrase",
        "",
    ),
    (
        Role::Patient,
        "Pat Patient",
        "patient@demo.clinic",
        "demo patient passphrase",
        "1985-04-12",
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum AccountCliError {
    #[error("{0}")]
    Invalid(String),
    #[error("an account with email {0} already exists")]
    EmailTaken(String),
    #[error("{0}")]
    Failed(String),
}

pub struct CreatedAccount {
    pub user_id: i64,
    pub email: String,
    pub patient_id: Option<i64>,
}

/// Adds one account from the command line, with the same rules as the web forms.
pub async fn add_user(
    pool: &PgPool,
    role: Role,
    email: &str,
    name: &str,
    date_of_birth: Option<&str>,
    password: &str,
) -> Result<CreatedAccount, AccountCliError> {
    let failed = |e: &dyn std::fmt::Display| AccountCliError::Failed(e.to_string());
    let allow_minors = settings::load(pool)
        .await
        .map_err(|e| failed(&e))?
        .allow_minors;
    let today = OffsetDateTime::now_utc().date();
    let account = check_account(
        role,
        email,
        name,
        date_of_birth,
        password,
        today,
        allow_minors,
    )?;
    let hash = Passwords::new(1)
        .hash(account.password.clone())
        .await
        .map_err(|e| failed(&e))?;
    let mut tx = pool.begin().await.map_err(|e| failed(&e))?;
    let created = create_account(&mut tx, &account, &hash).await?;
    tx.commit().await.map_err(|e| failed(&e))?;
    Ok(created)
}

/// An account as the web forms would accept it, or every problem in one line.
fn check_account(
    role: Role,
    email: &str,
    name: &str,
    date_of_birth: Option<&str>,
    password: &str,
    today: time::Date,
    allow_minors: bool,
) -> Result<accounts::ValidAccount, AccountCliError> {
    let form = AccountForm {
        name: name.to_owned(),
        email: email.to_owned(),
        date_of_birth: date_of_birth.unwrap_or_default().to_owned(),
        password: password.to_owned(),
        role: role.as_str().to_owned(),
    };
    accounts::validate(&form, Some(role), today, allow_minors).map_err(|errors| {
        let problems: Vec<String> = errors
            .all()
            .iter()
            .map(|(field, message)| format!("{}: {message}", field.replace('_', "-")))
            .collect();
        AccountCliError::Invalid(problems.join("; "))
    })
}

/// Inserts an account checked by [`accounts::validate`] with its password already hashed.
async fn create_account(
    tx: &mut sqlx::PgConnection,
    account: &accounts::ValidAccount,
    hash: &str,
) -> Result<CreatedAccount, AccountCliError> {
    let created = accounts::create(tx, account, hash, None, action::USER_ADD_CLI, None)
        .await
        .map_err(|e| match e {
            CreateError::EmailTaken => AccountCliError::EmailTaken(account.email.clone()),
            CreateError::Failed(e) => AccountCliError::Failed(e.to_string()),
        })?;
    Ok(CreatedAccount {
        user_id: created.user.id,
        email: created.user.email,
        patient_id: created.patient_id,
    })
}
