//! Rules for the admin's forms.

use serde::Deserialize;
use time::{OffsetDateTime, Time};

use crate::clinic_time::ClinicZone;
use crate::core::FormErrors;
use crate::core::Role;
use crate::settings::ClinicSettings;

/// Roles an admin may give a staff account (patients register themselves or are invited).
pub const STAFF_ROLES: [Role; 3] = Role::STAFF;

pub fn parse_staff_role(value: &str) -> Option<Role> {
    Role::parse(value).filter(|role| role.is_staff())
}

/// The form that disables or re-enables a patient's login, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PatientAccountForm {
    /// The patient's number (as shown on exports and summaries).
    #[serde(default)]
    pub patient_number: String,
    /// `disable` or `enable`: which button was pressed.
    #[serde(default)]
    pub change: String,
}

/// What the patient-account form asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatientAccountChange {
    Disable,
    Enable,
}

/// Reads the patient-account form: a patient number (a positive whole number) and which
/// change. Problems are keyed by field.
pub fn parse_patient_account_form(
    form: &PatientAccountForm,
) -> Result<(i64, PatientAccountChange), FormErrors> {
    let mut errors = FormErrors::default();
    // The button's value has no place of its own on the page: shown with the number.
    errors.check_storable(&[
        ("patient_number", &form.patient_number),
        ("patient_number", &form.change),
    ]);
    let number = form.patient_number.trim();
    let patient_id = match number.parse::<i64>() {
        Ok(id) if id > 0 => Some(id),
        _ if number.is_empty() => {
            errors.add("patient_number", "Enter the patient's number.");
            None
        }
        _ => {
            errors.add(
                "patient_number",
                "A patient number is a whole number, such as 42.",
            );
            None
        }
    };
    let change = match form.change.as_str() {
        "disable" => Some(PatientAccountChange::Disable),
        "enable" => Some(PatientAccountChange::Enable),
        _ => {
            errors.add("patient_number", "Choose Disable or Re-enable.");
            None
        }
    };
    match (patient_id, change) {
        (Some(id), Some(change)) if errors.is_empty() => Ok((id, change)),
        _ => Err(errors),
    }
}

/// The settings form as typed: strings, so a bad value can be shown back unchanged.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    pub clinic_name: String,
    #[serde(default)]
    pub clinic_phone: String,
    #[serde(default)]
    pub staff_idle_minutes: String,
    #[serde(default)]
    pub patient_idle_minutes: String,
    #[serde(default)]
    pub session_absolute_hours: String,
    #[serde(default)]
    pub lockout_failures: String,
    #[serde(default)]
    pub lockout_minutes: String,
    #[serde(default)]
    pub address_failures: String,
    /// A checkbox: present when ticked.
    pub allow_minors: Option<String>,
    pub pcl5_enabled: Option<String>,
    #[serde(default)]
    pub eligibility_days: String,
    #[serde(default)]
    pub time_zone: String,
    pub two_factor_front_desk: Option<String>,
    pub two_factor_patients: Option<String>,
    #[serde(default)]
    pub consultation_minutes: String,
    #[serde(default)]
    pub infusion_minutes: String,
    #[serde(default)]
    pub follow_up_minutes: String,
    #[serde(default)]
    pub min_infusion_interval_hours: String,
    #[serde(default)]
    pub max_infusions_per_30_days: String,
    #[serde(default)]
    pub late_cancel_hours: String,
    #[serde(default)]
    pub reminder_hours: String,
}

impl From<&ClinicSettings> for SettingsForm {
    fn from(s: &ClinicSettings) -> Self {
        SettingsForm {
            clinic_name: s.clinic_name.clone(),
            clinic_phone: s.clinic_phone.clone(),
            staff_idle_minutes: s.staff_idle_minutes.to_string(),
            patient_idle_minutes: s.patient_idle_minutes.to_string(),
            session_absolute_hours: s.session_absolute_hours.to_string(),
            lockout_failures: s.lockout_failures.to_string(),
            lockout_minutes: s.lockout_minutes.to_string(),
            address_failures: s.address_failures.to_string(),
            allow_minors: s.allow_minors.then(|| "on".to_owned()),
            pcl5_enabled: s.pcl5_enabled.then(|| "on".to_owned()),
            eligibility_days: s.eligibility_days.to_string(),
            time_zone: s.time_zone.clone(),
            two_factor_front_desk: s.two_factor_front_desk.then(|| "on".to_owned()),
            two_factor_patients: s.two_factor_patients.then(|| "on".to_owned()),
            consultation_minutes: s.consultation_minutes.to_string(),
            infusion_minutes: s.infusion_minutes.to_string(),
            follow_up_minutes: s.follow_up_minutes.to_string(),
            min_infusion_interval_hours: s.min_infusion_interval_hours.to_string(),
            max_infusions_per_30_days: s.max_infusions_per_30_days.to_string(),
            late_cancel_hours: s.late_cancel_hours.to_string(),
            reminder_hours: s.reminder_hours.to_string(),
        }
    }
}

fn whole_number(
    errors: &mut FormErrors,
    field: &'static str,
    value: &str,
    range: std::ops::RangeInclusive<i32>,
    unit: &str,
) -> i32 {
    match value.trim().parse::<i32>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            errors.add(
                field,
                format!(
                    "Enter a whole number of {unit} from {} to {}.",
                    range.start(),
                    range.end()
                ),
            );
            0
        }
    }
}

/// Checks the settings form; the ranges match the database's CHECK constraints.
pub fn parse_settings(form: &SettingsForm) -> Result<ClinicSettings, FormErrors> {
    let mut errors = FormErrors::default();
    let ticked = |box_: &Option<String>| box_.clone().unwrap_or_default();
    errors.check_storable(&[
        ("clinic_name", &form.clinic_name),
        ("clinic_phone", &form.clinic_phone),
        ("staff_idle_minutes", &form.staff_idle_minutes),
        ("patient_idle_minutes", &form.patient_idle_minutes),
        ("session_absolute_hours", &form.session_absolute_hours),
        ("lockout_failures", &form.lockout_failures),
        ("lockout_minutes", &form.lockout_minutes),
        ("address_failures", &form.address_failures),
        ("allow_minors", &ticked(&form.allow_minors)),
        ("pcl5_enabled", &ticked(&form.pcl5_enabled)),
        ("eligibility_days", &form.eligibility_days),
        ("time_zone", &form.time_zone),
        (
            "two_factor_front_desk",
            &ticked(&form.two_factor_front_desk),
        ),
        ("two_factor_patients", &ticked(&form.two_factor_patients)),
        ("consultation_minutes", &form.consultation_minutes),
        ("infusion_minutes", &form.infusion_minutes),
        ("follow_up_minutes", &form.follow_up_minutes),
        (
            "min_infusion_interval_hours",
            &form.min_infusion_interval_hours,
        ),
        ("max_infusions_per_30_days", &form.max_infusions_per_30_days),
        ("late_cancel_hours", &form.late_cancel_hours),
        ("reminder_hours", &form.reminder_hours),
    ]);
    let clinic_name = form.clinic_name.trim().to_owned();
    if clinic_name.is_empty() || clinic_name.chars().count() > 200 {
        errors.add(
            "clinic_name",
            "Enter the clinic's name (at most 200 characters).",
        );
    }
    let clinic_phone = form.clinic_phone.trim().to_owned();
    let phone_ok = clinic_phone.chars().count() <= 40
        && clinic_phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !phone_ok {
        errors.add(
            "clinic_phone",
            "Enter a phone number using digits, spaces and + - ( ) only.",
        );
    }
    let time_zone = match ClinicZone::named(&form.time_zone) {
        Some(zone) => zone.name().to_owned(),
        None => {
            errors.add(
                "time_zone",
                "Enter a time zone from the IANA list, such as America/New_York or Europe/London.",
            );
            String::new()
        }
    };
    let settings = ClinicSettings {
        clinic_name,
        clinic_phone,
        staff_idle_minutes: whole_number(
            &mut errors,
            "staff_idle_minutes",
            &form.staff_idle_minutes,
            1..=720,
            "minutes",
        ),
        patient_idle_minutes: whole_number(
            &mut errors,
            "patient_idle_minutes",
            &form.patient_idle_minutes,
            1..=720,
            "minutes",
        ),
        session_absolute_hours: whole_number(
            &mut errors,
            "session_absolute_hours",
            &form.session_absolute_hours,
            1..=72,
            "hours",
        ),
        lockout_failures: whole_number(
            &mut errors,
            "lockout_failures",
            &form.lockout_failures,
            3..=100,
            "attempts",
        ),
        lockout_minutes: whole_number(
            &mut errors,
            "lockout_minutes",
            &form.lockout_minutes,
            1..=1440,
            "minutes",
        ),
        address_failures: whole_number(
            &mut errors,
            "address_failures",
            &form.address_failures,
            5..=10000,
            "attempts",
        ),
        allow_minors: form.allow_minors.is_some(),
        pcl5_enabled: form.pcl5_enabled.is_some(),
        eligibility_days: whole_number(
            &mut errors,
            "eligibility_days",
            &form.eligibility_days,
            1..=3650,
            "days",
        ),
        time_zone,
        two_factor_front_desk: form.two_factor_front_desk.is_some(),
        two_factor_patients: form.two_factor_patients.is_some(),
        consultation_minutes: whole_number(
            &mut errors,
            "consultation_minutes",
            &form.consultation_minutes,
            5..=240,
            "minutes",
        ),
        infusion_minutes: whole_number(
            &mut errors,
            "infusion_minutes",
            &form.infusion_minutes,
            30..=480,
            "minutes",
        ),
        follow_up_minutes: whole_number(
            &mut errors,
            "follow_up_minutes",
            &form.follow_up_minutes,
            5..=240,
            "minutes",
        ),
        min_infusion_interval_hours: whole_number(
            &mut errors,
            "min_infusion_interval_hours",
            &form.min_infusion_interval_hours,
            0..=2160,
            "hours",
        ),
        max_infusions_per_30_days: whole_number(
            &mut errors,
            "max_infusions_per_30_days",
            &form.max_infusions_per_30_days,
            1..=31,
            "infusions",
        ),
        late_cancel_hours: whole_number(
            &mut errors,
            "late_cancel_hours",
            &form.late_cancel_hours,
            0..=168,
            "hours",
        ),
        reminder_hours: whole_number(
            &mut errors,
            "reminder_hours",
            &form.reminder_hours,
            1..=168,
            "hours",
        ),
    };
    if errors.is_empty() {
        Ok(settings)
    } else {
        Err(errors)
    }
}

/// The audit log's filters as typed in the query string.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub patient: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub before: String,
}

/// Turns the typed filters into a query filter; `to` includes the whole day (UTC).
pub fn parse_audit_query(query: &AuditQuery) -> Result<crate::audit::AuditFilter, FormErrors> {
    let mut errors = FormErrors::default();
    errors.check_storable(&[
        ("actor", &query.actor),
        ("patient", &query.patient),
        ("action", &query.action),
        ("from", &query.from),
        ("to", &query.to),
        ("before", &query.before),
    ]);
    let optional_id = |errors: &mut FormErrors, field: &'static str, value: &str| {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        match crate::core::params::record_id(value) {
            Ok(id) => Some(id),
            Err(message) => {
                errors.add(field, message);
                None
            }
        }
    };
    let patient_id = optional_id(&mut errors, "patient", &query.patient);
    let before_id = optional_id(&mut errors, "before", &query.before);
    // Bounded to the clinic's years, so the day after `to` always exists.
    let day = |errors: &mut FormErrors, field: &'static str, value: &str| {
        match crate::core::params::optional_clinic_date(Some(value)) {
            Ok(day) => day,
            Err(message) => {
                errors.add(field, message);
                None
            }
        }
    };
    let from = day(&mut errors, "from", &query.from);
    let to = day(&mut errors, "to", &query.to);
    let action = query.action.trim();
    if !action.is_empty() && !crate::audit::action::ALL.contains(&action) {
        errors.add("action", "Choose an action from the list.");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let actor = query.actor.trim().to_lowercase();
    Ok(crate::audit::AuditFilter {
        actor_email: (!actor.is_empty()).then_some(actor),
        patient_id,
        action: (!action.is_empty()).then(|| action.to_owned()),
        from: from.map(|d| OffsetDateTime::new_utc(d, Time::MIDNIGHT)),
        until: to
            .and_then(|d| d.next_day())
            .map(|d| OffsetDateTime::new_utc(d, Time::MIDNIGHT)),
        before_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_in_an_audit_filter_is_refused_on_its_field() {
        let query = AuditQuery {
            actor: "ad\0min@clinic.test".into(),
            ..AuditQuery::default()
        };
        let errors = parse_audit_query(&query).unwrap_err();
        assert_eq!(errors.get("actor"), Some(crate::core::params::UNSTORABLE));
    }

    fn patient_form(number: &str, change: &str) -> PatientAccountForm {
        PatientAccountForm {
            patient_number: number.into(),
            change: change.into(),
        }
    }

    #[test]
    fn the_patient_account_form_takes_a_positive_number_and_a_change() {
        assert_eq!(
            parse_patient_account_form(&patient_form(" 42 ", "disable")).unwrap(),
            (42, PatientAccountChange::Disable)
        );
        assert_eq!(
            parse_patient_account_form(&patient_form("1", "enable")).unwrap(),
            (1, PatientAccountChange::Enable)
        );
        for (number, change) in [
            ("", "disable"),
            ("0", "disable"),
            ("-3", "disable"),
            ("9223372036854775808", "disable"),
            ("4x", "enable"),
            ("\0", "enable"),
            ("7", "delete"),
        ] {
            let errors = parse_patient_account_form(&patient_form(number, change)).unwrap_err();
            assert!(
                errors.get("patient_number").is_some(),
                "{number:?} {change:?}"
            );
        }
    }

    #[test]
    fn only_staff_roles_can_be_given_by_an_admin() {
        assert_eq!(parse_staff_role("clinician"), Some(Role::Clinician));
        assert_eq!(parse_staff_role("front_desk"), Some(Role::FrontDesk));
        assert_eq!(parse_staff_role("patient"), None);
    }

    fn good_settings() -> SettingsForm {
        SettingsForm {
            clinic_name: "Calm Waters".into(),
            clinic_phone: "+1 (555) 010-2000".into(),
            staff_idle_minutes: "15".into(),
            patient_idle_minutes: "30".into(),
            session_absolute_hours: "12".into(),
            lockout_failures: "5".into(),
            lockout_minutes: "15".into(),
            address_failures: "30".into(),
            allow_minors: None,
            pcl5_enabled: Some("on".into()),
            eligibility_days: "180".into(),
            time_zone: "america/chicago".into(),
            two_factor_front_desk: Some("on".into()),
            two_factor_patients: None,
            consultation_minutes: "30".into(),
            infusion_minutes: "150".into(),
            follow_up_minutes: "20".into(),
            min_infusion_interval_hours: "48".into(),
            max_infusions_per_30_days: "8".into(),
            late_cancel_hours: "24".into(),
            reminder_hours: "24".into(),
        }
    }

    #[test]
    fn settings_in_range_are_accepted() {
        let settings = parse_settings(&good_settings()).unwrap();
        assert_eq!(settings.staff_idle_minutes, 15);
        assert!(!settings.allow_minors);
        // Stored under the zone's canonical spelling.
        assert_eq!(settings.time_zone, "America/Chicago");
    }

    #[test]
    fn out_of_range_settings_name_their_field() {
        let form = SettingsForm {
            staff_idle_minutes: "0".into(),
            session_absolute_hours: "lots".into(),
            ..good_settings()
        };
        let errors = parse_settings(&form).unwrap_err();
        assert!(errors.get("staff_idle_minutes").is_some());
        let unknown_zone = SettingsForm {
            time_zone: "Eastern".into(),
            ..good_settings()
        };
        assert!(
            parse_settings(&unknown_zone)
                .unwrap_err()
                .get("time_zone")
                .is_some()
        );
        assert!(errors.get("session_absolute_hours").is_some());
        assert!(errors.get("patient_idle_minutes").is_none());
    }

    #[test]
    fn audit_filters_parse_days_and_ids() {
        let query = AuditQuery {
            from: "2026-11-01".into(),
            to: "2026-11-02".into(),
            patient: "42".into(),
            ..AuditQuery::default()
        };
        let filter = parse_audit_query(&query).unwrap();
        assert_eq!(filter.patient_id, Some(42));
        assert_eq!(
            filter.until.unwrap() - filter.from.unwrap(),
            time::Duration::days(2)
        );
        let bad = AuditQuery {
            patient: "x".into(),
            action: "drop table".into(),
            ..AuditQuery::default()
        };
        let errors = parse_audit_query(&bad).unwrap_err();
        assert!(errors.get("patient").is_some() && errors.get("action").is_some());
    }

    #[test]
    fn a_nul_in_the_settings_or_the_patient_number_is_refused_on_its_field() {
        let form = SettingsForm {
            clinic_name: "North\0 Clinic".into(),
            reminder_hours: "24\0".into(),
            ..good_settings()
        };
        let errors = parse_settings(&form).unwrap_err();
        assert_eq!(
            errors.get("clinic_name"),
            Some(crate::core::params::UNSTORABLE)
        );
        assert_eq!(
            errors.get("reminder_hours"),
            Some(crate::core::params::UNSTORABLE)
        );
        let errors = parse_patient_account_form(&patient_form("12", "disable\0")).unwrap_err();
        assert_eq!(
            errors.get("patient_number"),
            Some(crate::core::params::UNSTORABLE)
        );
    }
}
