//! A small demo clinic for trying the app, and the CLI's account creation.

use sqlx::PgPool;
use time::OffsetDateTime;

use crate::audit::action;
use crate::auth::accounts::{self, AccountForm, CreateError};
use crate::auth::model::Role;
use crate::auth::password::Passwords;
use crate::patients::db::{profile_for_user, save_profile};
use crate::patients::model::{Profile, SexAtBirth};
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
    let form = AccountForm {
        name: name.to_owned(),
        email: email.to_owned(),
        date_of_birth: date_of_birth.unwrap_or_default().to_owned(),
        password: password.to_owned(),
        role: role.as_str().to_owned(),
    };
    let today = OffsetDateTime::now_utc().date();
    let account = accounts::validate(&form, Some(role), today, allow_minors).map_err(|errors| {
        let problems: Vec<String> = errors
            .all()
            .iter()
            .map(|(field, message)| format!("{}: {message}", field.replace('_', "-")))
            .collect();
        AccountCliError::Invalid(problems.join("; "))
    })?;
    let hash = Passwords::new(1)
        .hash(account.password.clone())
        .await
        .map_err(|e| failed(&e))?;
    let mut tx = pool.begin().await.map_err(|e| failed(&e))?;
    let created = accounts::create(&mut tx, &account, &hash, None, action::USER_ADD_CLI, None)
        .await
        .map_err(|e| match e {
            CreateError::EmailTaken => AccountCliError::EmailTaken(account.email.clone()),
            CreateError::Failed(e) => failed(&e),
        })?;
    tx.commit().await.map_err(|e| failed(&e))?;
    Ok(CreatedAccount {
        user_id: created.user.id,
        email: created.user.email,
    })
}

/// Loads the demo accounts; running it again keeps them and their passwords as printed.
pub async fn load(pool: &PgPool) -> Result<Vec<DemoLogin>, AccountCliError> {
    let mut logins = Vec::new();
    for (role, name, email, password, date_of_birth) in DEMO_LOGINS {
        logins.push(DemoLogin {
            role,
            email,
            password,
        });
        // Already there from an earlier start: nothing to hash.
        let exists = crate::auth::db::find_login(pool, email)
            .await
            .map_err(|e| AccountCliError::Failed(e.to_string()))?
            .is_some();
        if exists {
            continue;
        }
        let dob = (!date_of_birth.is_empty()).then_some(date_of_birth);
        match add_user(pool, role, email, name, dob, password).await {
            Ok(_) | Err(AccountCliError::EmailTaken(_)) => {}
            Err(e) => return Err(e),
        }
        match role {
            Role::Patient => complete_demo_profile(pool, email).await?,
            Role::Clinician => demo_working_week(pool, email).await?,
            _ => {}
        }
    }
    Ok(logins)
}

/// The demo clinician works 09:00 to 17:00 on weekdays, and the demo patient's email counts
/// as confirmed, so booking can be tried at once.
async fn demo_working_week(pool: &PgPool, email: &str) -> Result<(), AccountCliError> {
    sqlx::query!(
        "INSERT INTO clinician_hours (clinician_id, weekday, starts, ends)
         SELECT u.id, d, '09:00', '17:00' FROM users u, generate_series(1, 5) AS d
         WHERE u.email = $1
           AND NOT EXISTS (SELECT 1 FROM clinician_hours h WHERE h.clinician_id = u.id)",
        email
    )
    .execute(pool)
    .await
    .map_err(|e| AccountCliError::Failed(e.to_string()))?;
    Ok(())
}

/// Gives the demo patient the details the screening needs, so it can be tried at once.
async fn complete_demo_profile(pool: &PgPool, email: &str) -> Result<(), AccountCliError> {
    let failed = |e: sqlx::Error| AccountCliError::Failed(e.to_string());
    let Some(login) = crate::auth::db::find_login(pool, email)
        .await
        .map_err(failed)?
    else {
        return Ok(());
    };
    let Some(record) = profile_for_user(pool, login.id).await.map_err(failed)? else {
        return Ok(());
    };
    let profile = Profile {
        legal_name: record.legal_name.clone(),
        preferred_name: Some("Pat".to_owned()),
        date_of_birth: record.date_of_birth,
        sex_at_birth: SexAtBirth::Female,
        phone: "+1 555 010 4477".to_owned(),
        address: "12 Demo Street, Springfield".to_owned(),
        emergency_contact_name: "Sam Patient".to_owned(),
        emergency_contact_phone: "+1 555 010 4478".to_owned(),
        weight_kg: 68.0,
        height_cm: 170.0,
    };
    save_profile(pool, record.id, &profile)
        .await
        .map_err(failed)?;
    sqlx::query!(
        "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1",
        login.id
    )
    .execute(pool)
    .await
    .map_err(failed)?;
    Ok(())
}
