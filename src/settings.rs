//! Clinic-wide settings: one typed row in `clinic_settings`, read and written only here.

use sqlx::PgExecutor;
use time::Duration;

use crate::auth::model::{LockoutPolicy, SessionLimits};
use crate::clinic_time::ClinicZone;
use crate::scheduling::model::Rules;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClinicSettings {
    pub clinic_name: String,
    pub clinic_phone: String,
    pub staff_idle_minutes: i32,
    pub patient_idle_minutes: i32,
    pub session_absolute_hours: i32,
    pub lockout_failures: i32,
    pub lockout_minutes: i32,
    pub address_failures: i32,
    pub allow_minors: bool,
    pub pcl5_enabled: bool,
    pub eligibility_days: i32,
    /// IANA name, e.g. `America/New_York`; always a known zone (checked on save).
    pub time_zone: String,
    /// Whether front-desk staff and patients must log in with a second factor (clinicians and
    /// administrators always must).
    pub two_factor_front_desk: bool,
    pub two_factor_patients: bool,
    pub consultation_minutes: i32,
    pub infusion_minutes: i32,
    pub follow_up_minutes: i32,
    pub min_infusion_interval_hours: i32,
    pub max_infusions_per_30_days: i32,
    pub late_cancel_hours: i32,
    pub reminder_hours: i32,
}

impl ClinicSettings {
    pub fn session_limits(&self) -> SessionLimits {
        SessionLimits::from_settings(
            self.staff_idle_minutes,
            self.patient_idle_minutes,
            self.session_absolute_hours,
        )
    }

    /// The clinic's time zone, for showing stored UTC times.
    pub fn zone(&self) -> ClinicZone {
        ClinicZone::from_setting(&self.time_zone)
    }

    pub fn scheduling(&self) -> Rules {
        Rules {
            consultation_minutes: self.consultation_minutes,
            infusion_minutes: self.infusion_minutes,
            follow_up_minutes: self.follow_up_minutes,
            min_infusion_interval_hours: self.min_infusion_interval_hours,
            max_infusions_per_30_days: self.max_infusions_per_30_days,
            late_cancel_hours: self.late_cancel_hours,
            reminder_hours: self.reminder_hours,
        }
    }

    pub fn lockout_policy(&self) -> LockoutPolicy {
        LockoutPolicy {
            failures_per_account: self.lockout_failures.into(),
            failures_per_address: self.address_failures.into(),
            window: Duration::minutes(self.lockout_minutes.into()),
        }
    }
}

pub async fn load(db: impl PgExecutor<'_>) -> sqlx::Result<ClinicSettings> {
    sqlx::query_as!(
        ClinicSettings,
        "SELECT clinic_name, clinic_phone, staff_idle_minutes, patient_idle_minutes,
                session_absolute_hours, lockout_failures, lockout_minutes, address_failures,
                allow_minors, pcl5_enabled, eligibility_days, time_zone,
                two_factor_front_desk, two_factor_patients, consultation_minutes, infusion_minutes,
                follow_up_minutes, min_infusion_interval_hours, max_infusions_per_30_days,
                late_cancel_hours, reminder_hours
         FROM clinic_settings"
    )
    .fetch_one(db)
    .await
}

pub async fn save(db: impl PgExecutor<'_>, settings: &ClinicSettings) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE clinic_settings SET clinic_name = $1, clinic_phone = $2, staff_idle_minutes = $3,
                patient_idle_minutes = $4, session_absolute_hours = $5, lockout_failures = $6,
                lockout_minutes = $7, address_failures = $8, allow_minors = $9,
                pcl5_enabled = $10, eligibility_days = $11, time_zone = $12,
                two_factor_front_desk = $13, two_factor_patients = $14, consultation_minutes = $15,
                infusion_minutes = $16, follow_up_minutes = $17, min_infusion_interval_hours = $18,
                max_infusions_per_30_days = $19, late_cancel_hours = $20, reminder_hours = $21,
                updated_at = now()",
        settings.clinic_name,
        settings.clinic_phone,
        settings.staff_idle_minutes,
        settings.patient_idle_minutes,
        settings.session_absolute_hours,
        settings.lockout_failures,
        settings.lockout_minutes,
        settings.address_failures,
        settings.allow_minors,
        settings.pcl5_enabled,
        settings.eligibility_days,
        settings.time_zone,
        settings.two_factor_front_desk,
        settings.two_factor_patients,
        settings.consultation_minutes,
        settings.infusion_minutes,
        settings.follow_up_minutes,
        settings.min_infusion_interval_hours,
        settings.max_infusions_per_30_days,
        settings.late_cancel_hours,
        settings.reminder_hours,
    )
    .execute(db)
    .await?;
    Ok(())
}
