//! The clinic's settings as plain values, and the structs other parts read from them: the
//! lockout policy and session limits (auth) and the scheduling rules. No I/O.

use time::Duration;

use crate::clinic_time::ClinicZone;

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

    pub fn scheduling(&self) -> SchedulingRules {
        SchedulingRules {
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

/// How long a session may sit unused, and how long it may live at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    pub staff_idle: Duration,
    pub patient_idle: Duration,
    pub absolute: Duration,
}

impl SessionLimits {
    pub fn from_settings(
        staff_idle_minutes: i32,
        patient_idle_minutes: i32,
        absolute_hours: i32,
    ) -> Self {
        SessionLimits {
            staff_idle: Duration::minutes(staff_idle_minutes.into()),
            patient_idle: Duration::minutes(patient_idle_minutes.into()),
            absolute: Duration::hours(absolute_hours.into()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub failures_per_account: i64,
    pub failures_per_address: i64,
    pub window: Duration,
}

impl LockoutPolicy {
    pub fn window_minutes(&self) -> i32 {
        i32::try_from(self.window.whole_minutes()).unwrap_or(i32::MAX)
    }
}

/// The clinic's scheduling settings (appointment lengths, the infusion interval and monthly
/// limit, late cancellation and reminder lead times); scheduling's model applies them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchedulingRules {
    pub consultation_minutes: i32,
    pub infusion_minutes: i32,
    pub follow_up_minutes: i32,
    pub min_infusion_interval_hours: i32,
    pub max_infusions_per_30_days: i32,
    pub late_cancel_hours: i32,
    pub reminder_hours: i32,
}
