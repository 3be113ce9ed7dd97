//! Creating accounts, shared by self-registration, the admin's staff page, the CLI and the
//! demo loader: one set of rules, one insert path, one audit entry.

use sqlx::PgConnection;
use time::Date;

use super::db;
use crate::audit;
use crate::auth::model::{Role, email_problem, normalize_email, password_problem};
use crate::core::CurrentUser;
use crate::error::{AppError, violated_constraint};
use crate::patients::model::{legal_name_problem, parse_date_of_birth};
use crate::web::{FormErrors, RequestMeta};

/// What a person typed to create an account (field names match the forms).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub date_of_birth: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub role: String,
}

#[derive(Clone, Debug)]
pub struct ValidAccount {
    pub role: Role,
    pub name: String,
    pub email: String,
    /// Patients only.
    pub date_of_birth: Option<Date>,
    pub password: String,
}

/// Checks a new account; patients need a plausible date of birth, staff do not.
pub fn validate(
    form: &AccountForm,
    role: Option<Role>,
    today: Date,
    allow_minors: bool,
) -> Result<ValidAccount, FormErrors> {
    let mut errors = FormErrors::default();
    errors.check_storable(&[
        ("name", &form.name),
        ("email", &form.email),
        ("date_of_birth", &form.date_of_birth),
        ("password", &form.password),
        ("role", &form.role),
    ]);
    let name = form.name.trim().to_owned();
    let email = normalize_email(&form.email);
    if role.is_none() {
        errors.add("role", "Choose a role.");
    }
    errors.check("name", legal_name_problem(&name));
    errors.check("email", email_problem(&email));
    let date_of_birth = match role {
        Some(Role::Patient) => {
            match parse_date_of_birth(&form.date_of_birth, today, allow_minors) {
                Ok(date) => Some(date),
                Err(problem) => {
                    errors.add("date_of_birth", problem);
                    None
                }
            }
        }
        _ => None,
    };
    errors.check(
        "password",
        password_problem(&form.password, &[&email, &name]),
    );
    match role {
        Some(role) if errors.is_empty() => Ok(ValidAccount {
            role,
            name,
            email,
            date_of_birth,
            password: form.password.clone(),
        }),
        _ => Err(errors),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Failed(#[from] AppError),
}

impl From<sqlx::Error> for CreateError {
    fn from(e: sqlx::Error) -> Self {
        if violated_constraint(&e) == Some("users_email_key") {
            CreateError::EmailTaken
        } else {
            CreateError::Failed(e.into())
        }
    }
}

#[derive(Clone, Debug)]
pub struct Created {
    pub user: CurrentUser,
    pub patient_id: Option<i64>,
}

/// Inserts the account (and the patient record for a patient) and audits it, inside the
/// caller's transaction. `by` is the staff member creating it; `None` for self-registration.
pub async fn create(
    tx: &mut PgConnection,
    account: &ValidAccount,
    password_hash: &str,
    by: Option<&CurrentUser>,
    audit_action: &str,
    meta: Option<&RequestMeta>,
) -> Result<Created, CreateError> {
    let user_id = crate::auth::db::create_user(
        &mut *tx,
        &account.email,
        &account.name,
        account.role,
        password_hash,
    )
    .await?;
    let patient_id = match (account.role, account.date_of_birth) {
        (Role::Patient, Some(date_of_birth)) => {
            Some(db::create_patient(&mut *tx, user_id, &account.name, date_of_birth).await?)
        }
        (Role::Patient, None) => {
            return Err(AppError::BadRequest("A patient needs a date of birth.".into()).into());
        }
        _ => None,
    };
    let user = CurrentUser::actor(
        user_id,
        account.role,
        account.name.clone(),
        account.email.clone(),
    );
    let mut entry = audit::Entry {
        action: audit_action,
        actor_id: Some(by.unwrap_or(&user).id),
        actor_role: Some(by.unwrap_or(&user).role.as_str()),
        patient_id,
        detail: by.map(|_| format!("account {user_id} ({})", account.role.as_str())),
        ..audit::Entry::default()
    };
    if let Some(meta) = meta {
        entry.client_addr = Some(&meta.client_addr);
        entry.request_id = Some(&meta.request_id);
    }
    audit::record(&mut *tx, entry).await?;
    Ok(Created { user, patient_id })
}
