//! Patient record queries. Patients reach only their own record: the id comes from the session.

use sqlx::PgExecutor;
use time::Date;

use super::model::{Profile, ProfileForm, SexAtBirth};

use crate::database::mapping::pg_enum;

pg_enum!(SexAtBirth, "sex_at_birth", {
    Female => "female",
    Male => "male",
    Intersex => "intersex",
});

#[derive(Clone, Debug)]
pub struct ProfileRow {
    pub id: i64,
    pub legal_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: Date,
    pub sex_at_birth: Option<SexAtBirth>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub weight_kg: Option<f64>,
    pub height_cm: Option<f64>,
}

impl ProfileRow {
    /// Everything the screening and the dose need is filled in.
    pub fn is_complete(&self) -> bool {
        self.sex_at_birth.is_some()
            && self.phone.is_some()
            && self.address.is_some()
            && self.emergency_contact_name.is_some()
            && self.emergency_contact_phone.is_some()
            && self.weight_kg.is_some()
            && self.height_cm.is_some()
    }

    pub fn form(&self) -> ProfileForm {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        ProfileForm {
            legal_name: self.legal_name.clone(),
            preferred_name: text(&self.preferred_name),
            date_of_birth: self.date_of_birth.to_string(),
            sex_at_birth: self
                .sex_at_birth
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            phone: text(&self.phone),
            address: text(&self.address),
            emergency_contact_name: text(&self.emergency_contact_name),
            emergency_contact_phone: text(&self.emergency_contact_phone),
            weight: self.weight_kg.map(|w| w.to_string()).unwrap_or_default(),
            weight_unit: "kg".into(),
            height_cm: self.height_cm.map(|h| h.to_string()).unwrap_or_default(),
            height_ft: String::new(),
            height_in: String::new(),
            height_unit: "cm".into(),
        }
    }
}

pub async fn profile_for_user(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> sqlx::Result<Option<ProfileRow>> {
    sqlx::query_as!(
        ProfileRow,
        r#"SELECT id, legal_name, preferred_name, date_of_birth,
                  sex_at_birth AS "sex_at_birth: SexAtBirth", phone, address,
                  emergency_contact_name, emergency_contact_phone,
                  weight_kg::float8 AS weight_kg, height_cm::float8 AS height_cm
           FROM patients WHERE user_id = $1"#,
        user_id
    )
    .fetch_optional(db)
    .await
}

/// Who a patient is, for staff pages that name the patient and nothing more.
#[derive(Clone, Debug)]
pub struct PatientIdentity {
    pub id: i64,
    pub legal_name: String,
    pub date_of_birth: Date,
}

pub async fn identity(
    db: impl PgExecutor<'_>,
    patient_id: i64,
) -> sqlx::Result<Option<PatientIdentity>> {
    sqlx::query_as!(
        PatientIdentity,
        "SELECT id, legal_name, date_of_birth FROM patients WHERE id = $1",
        patient_id
    )
    .fetch_optional(db)
    .await
}

pub async fn save_profile(
    db: impl PgExecutor<'_>,
    patient_id: i64,
    profile: &Profile,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE patients SET legal_name = $2, preferred_name = $3, date_of_birth = $4,
                sex_at_birth = $5, phone = $6, address = $7, emergency_contact_name = $8,
                emergency_contact_phone = $9, weight_kg = $10::float8::numeric(5, 1),
                height_cm = $11::float8::numeric(4, 1), updated_at = now()
         WHERE id = $1",
        patient_id,
        profile.legal_name,
        profile.preferred_name,
        profile.date_of_birth,
        profile.sex_at_birth as SexAtBirth,
        profile.phone,
        profile.address,
        profile.emergency_contact_name,
        profile.emergency_contact_phone,
        profile.weight_kg,
        profile.height_cm,
    )
    .execute(db)
    .await?;
    Ok(())
}
