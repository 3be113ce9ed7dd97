//! Clinic-wide settings: one typed row in `clinic_settings`, read and written only here.
//! The plain structs read from it (lockout policy, session limits, scheduling rules) live in
//! `model`, so auth and scheduling take them from here rather than settings from them.

pub mod model;

use sqlx::PgExecutor;

pub use model::ClinicSettings;

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
