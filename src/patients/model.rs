//! Rules for a patient's identity details.

use time::macros::format_description;
use time::{Date, Month};

pub fn legal_name_problem(name: &str) -> Option<&'static str> {
    let name = name.trim();
    if name.is_empty() {
        Some("Enter your full legal name, as on your ID.")
    } else if name.chars().count() > 200 {
        Some("Use at most 200 characters.")
    } else {
        None
    }
}

/// Age in whole years on `today`.
pub fn age_on(date_of_birth: Date, today: Date) -> i32 {
    let mut age = today.year() - date_of_birth.year();
    if (today.month(), today.day()) < (date_of_birth.month(), date_of_birth.day()) {
        age -= 1;
    }
    age
}

pub const ADULT_AGE: i32 = 18;

/// Parses a date of birth as sent by a date field (YYYY-MM-DD) and checks it is plausible.
pub fn parse_date_of_birth(value: &str, today: Date, allow_minors: bool) -> Result<Date, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("Enter your date of birth.".into());
    }
    let date = Date::parse(value, format_description!("[year]-[month]-[day]"))
        .map_err(|_| "Enter a real date as year-month-day, for example 1984-03-27.".to_owned())?;
    if date > today {
        return Err("The date of birth can't be in the future.".into());
    }
    if date < Date::from_calendar_date(1900, Month::January, 1).unwrap_or(Date::MIN) {
        return Err("Check the year: it is before 1900.".into());
    }
    if !allow_minors && age_on(date, today) < ADULT_AGE {
        return Err(format!(
            "This clinic treats adults only: patients must be at least {ADULT_AGE} years old."
        ));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn age_counts_birthdays_exactly() {
        assert_eq!(age_on(date!(2008 - 11 - 28), date!(2026 - 11 - 28)), 18);
        assert_eq!(age_on(date!(2008 - 11 - 29), date!(2026 - 11 - 28)), 17);
    }

    #[test]
    fn dates_of_birth_must_be_plausible() {
        let today = date!(2026 - 11 - 28);
        assert_eq!(
            parse_date_of_birth("1984-03-27", today, false),
            Ok(date!(1984 - 03 - 27))
        );
        assert!(parse_date_of_birth("", today, false).is_err());
        assert!(parse_date_of_birth("1984-02-30", today, false).is_err());
        assert!(parse_date_of_birth("27/03/1984", today, false).is_err());
        assert!(parse_date_of_birth("2027-01-01", today, true).is_err());
        assert!(parse_date_of_birth("1899-12-31", today, true).is_err());
        assert!(parse_date_of_birth("2008-11-29", today, false).is_err());
        assert_eq!(
            parse_date_of_birth("2008-11-29", today, true),
            Ok(date!(2008 - 11 - 29))
        );
    }

    #[test]
    fn legal_names_are_required_and_bounded() {
        assert!(legal_name_problem("  ").is_some());
        assert!(legal_name_problem("Ann Smith").is_none());
        assert!(legal_name_problem(&"a".repeat(201)).is_some());
    }
}

/// A weight as typed in `unit` ("lb", else kg), in kg to 0.1 within `WEIGHT_KG`: the one
/// parser of the profile and the infusion check-in. The error is for the weight's field.
pub fn parse_weight(value: &str, unit: &str) -> Result<f64, &'static str> {
    let kg = match (number(value), unit) {
        (None, _) => return Err("Enter the weight as a number, for example 72.5."),
        (Some(lb), "lb") => pounds_to_kg(lb),
        (Some(kg), _) => kg,
    };
    let kg = round_one_decimal(kg);
    if WEIGHT_KG.contains(&kg) {
        Ok(kg)
    } else {
        Err("Check the weight and its unit: it must be between 20 and 300 kg (44 and 661 lb).")
    }
}

/// Pounds to kilograms (exact by definition of the pound).
pub fn pounds_to_kg(pounds: f64) -> f64 {
    pounds * 0.453_592_37
}

/// Feet and inches to centimetres.
pub fn feet_inches_to_cm(feet: f64, inches: f64) -> f64 {
    (feet * 12.0 + inches) * 2.54
}

fn round_one_decimal(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

pub const WEIGHT_KG: std::ops::RangeInclusive<f64> = 20.0..=300.0;
pub const HEIGHT_CM: std::ops::RangeInclusive<f64> = 50.0..=250.0;

/// Held in PostgreSQL as `sex_at_birth` (mapped in `patients::db`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SexAtBirth {
    Female,
    Male,
    Intersex,
}

impl SexAtBirth {
    pub const ALL: [SexAtBirth; 3] = [SexAtBirth::Female, SexAtBirth::Male, SexAtBirth::Intersex];

    pub fn as_str(self) -> &'static str {
        match self {
            SexAtBirth::Female => "female",
            SexAtBirth::Male => "male",
            SexAtBirth::Intersex => "intersex",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SexAtBirth::Female => "Female",
            SexAtBirth::Male => "Male",
            SexAtBirth::Intersex => "Intersex",
        }
    }

    pub fn parse(value: &str) -> Option<SexAtBirth> {
        SexAtBirth::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Whether pregnancy and breastfeeding questions apply.
    pub fn can_be_pregnant(self) -> bool {
        self != SexAtBirth::Male
    }
}

/// Whether pregnancy concerns a patient (the screening's questions, the check-in's test):
/// everyone not recorded as male at birth, and anyone whose sex at birth is not recorded.
pub fn pregnancy_relevant(sex: Option<SexAtBirth>) -> bool {
    sex.is_none_or(SexAtBirth::can_be_pregnant)
}

/// The profile form as typed (strings, so a bad value is shown back unchanged).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub legal_name: String,
    pub preferred_name: String,
    pub date_of_birth: String,
    pub sex_at_birth: String,
    pub phone: String,
    pub address: String,
    pub emergency_contact_name: String,
    pub emergency_contact_phone: String,
    pub weight: String,
    /// "kg" or "lb".
    pub weight_unit: String,
    pub height_cm: String,
    pub height_ft: String,
    pub height_in: String,
    /// "cm" or "ft".
    pub height_unit: String,
}

/// A checked profile, metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub legal_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: Date,
    pub sex_at_birth: SexAtBirth,
    pub phone: String,
    pub address: String,
    pub emergency_contact_name: String,
    pub emergency_contact_phone: String,
    pub weight_kg: f64,
    pub height_cm: f64,
}

fn number(value: &str) -> Option<f64> {
    value
        .trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
}

fn phone_problem(phone: &str) -> Option<&'static str> {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if phone.is_empty() {
        Some("Enter a phone number.")
    } else if !allowed || !(7..=15).contains(&digits) {
        Some("Enter a phone number with 7 to 15 digits, for example +1 555 010 2000.")
    } else {
        None
    }
}

fn required(
    errors: &mut crate::core::FormErrors,
    field: &'static str,
    value: &str,
    message: &str,
    max: usize,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, message);
    } else if value.chars().count() > max {
        errors.add(field, format!("Use at most {max} characters."));
    }
    value.to_owned()
}

/// Checks the profile form; weight and height may be typed in imperial units.
pub fn parse_profile(
    form: &ProfileForm,
    today: Date,
    allow_minors: bool,
) -> Result<Profile, crate::core::FormErrors> {
    let mut errors = crate::core::FormErrors::default();
    errors.check_storable(&[
        ("legal_name", &form.legal_name),
        ("preferred_name", &form.preferred_name),
        ("date_of_birth", &form.date_of_birth),
        ("sex_at_birth", &form.sex_at_birth),
        ("phone", &form.phone),
        ("address", &form.address),
        ("emergency_contact_name", &form.emergency_contact_name),
        ("emergency_contact_phone", &form.emergency_contact_phone),
        ("weight", &form.weight),
        ("weight_unit", &form.weight_unit),
        ("height_cm", &form.height_cm),
        ("height_ft", &form.height_ft),
        ("height_in", &form.height_in),
        ("height_unit", &form.height_unit),
    ]);
    let legal_name = form.legal_name.trim().to_owned();
    errors.check("legal_name", legal_name_problem(&legal_name));
    let preferred_name = form.preferred_name.trim();
    if preferred_name.chars().count() > 200 {
        errors.add("preferred_name", "Use at most 200 characters.");
    }
    let date_of_birth = parse_date_of_birth(&form.date_of_birth, today, allow_minors)
        .map_err(|problem| errors.add("date_of_birth", problem))
        .ok();
    let sex_at_birth = SexAtBirth::parse(form.sex_at_birth.trim());
    if sex_at_birth.is_none() {
        errors.add("sex_at_birth", "Choose the sex you were assigned at birth (it changes which questions and doses apply).");
    }
    let phone = form.phone.trim().to_owned();
    errors.check("phone", phone_problem(&phone));
    let address = required(
        &mut errors,
        "address",
        &form.address,
        "Enter your home address.",
        500,
    );
    let emergency_contact_name = required(
        &mut errors,
        "emergency_contact_name",
        &form.emergency_contact_name,
        "Enter the name of someone we can call in an emergency.",
        200,
    );
    let emergency_contact_phone = form.emergency_contact_phone.trim().to_owned();
    errors.check(
        "emergency_contact_phone",
        phone_problem(&emergency_contact_phone),
    );

    let weight_kg = parse_weight(&form.weight, &form.weight_unit)
        .map_err(|problem| errors.add("weight", problem))
        .ok();

    let height_cm = if form.height_unit == "ft" {
        match (
            number(&form.height_ft),
            number(if form.height_in.trim().is_empty() {
                "0"
            } else {
                &form.height_in
            }),
        ) {
            (Some(feet), Some(inches)) if (0.0..12.0).contains(&inches) => {
                Some(feet_inches_to_cm(feet, inches))
            }
            _ => {
                errors.add(
                    "height_ft",
                    "Enter your height in feet and inches, for example 5 and 9.",
                );
                None
            }
        }
    } else {
        let cm = number(&form.height_cm);
        if cm.is_none() {
            errors.add(
                "height_cm",
                "Enter your height in centimetres, for example 172.",
            );
        }
        cm
    }
    .map(round_one_decimal);
    if let Some(cm) = height_cm
        && !HEIGHT_CM.contains(&cm)
    {
        let field = if form.height_unit == "ft" {
            "height_ft"
        } else {
            "height_cm"
        };
        errors.add(
            field,
            "Check your height: it must be between 50 and 250 cm (1 ft 8 in and 8 ft 2 in).",
        );
    }

    match (date_of_birth, sex_at_birth, weight_kg, height_cm) {
        (Some(date_of_birth), Some(sex_at_birth), Some(weight_kg), Some(height_cm))
            if errors.is_empty() =>
        {
            Ok(Profile {
                legal_name,
                preferred_name: (!preferred_name.is_empty()).then(|| preferred_name.to_owned()),
                date_of_birth,
                sex_at_birth,
                phone,
                address,
                emergency_contact_name,
                emergency_contact_phone,
                weight_kg,
                height_cm,
            })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod profile_tests {

    #[test]
    fn one_weight_parser_takes_kg_or_lb_within_its_bounds() {
        assert_eq!(parse_weight(" 72.46 ", "kg"), Ok(72.5));
        assert_eq!(parse_weight("72,4", "kg"), Ok(72.4));
        assert_eq!(parse_weight("160", "lb"), Ok(72.6));
        assert_eq!(parse_weight("20", "kg"), Ok(20.0));
        assert_eq!(parse_weight("300", "kg"), Ok(300.0));
        assert!(parse_weight("19.9", "kg").is_err());
        assert!(parse_weight("300.1", "kg").is_err());
        assert!(parse_weight("43.9", "lb").is_err());
        assert_eq!(parse_weight("44.1", "lb"), Ok(20.0));
        assert!(parse_weight("", "kg").unwrap_err().contains("number"));
        assert!(parse_weight("NaN", "kg").is_err());
        assert!(parse_weight("heavy", "lb").is_err());
    }

    use super::*;
    use time::macros::date;

    fn good() -> ProfileForm {
        ProfileForm {
            legal_name: "Ann Example".into(),
            preferred_name: "Annie".into(),
            date_of_birth: "1984-03-27".into(),
            sex_at_birth: "female".into(),
            phone: "+1 555 010 2000".into(),
            address: "1 Main St, Springfield".into(),
            emergency_contact_name: "Bob Example".into(),
            emergency_contact_phone: "555-010-3000".into(),
            weight: "72.5".into(),
            weight_unit: "kg".into(),
            height_cm: "168".into(),
            height_unit: "cm".into(),
            ..ProfileForm::default()
        }
    }

    const TODAY: Date = date!(2026 - 11 - 28);

    #[test]
    fn a_complete_metric_profile_is_accepted() {
        let profile = parse_profile(&good(), TODAY, false).unwrap();
        assert_eq!(profile.weight_kg, 72.5);
        assert_eq!(profile.height_cm, 168.0);
        assert_eq!(profile.preferred_name.as_deref(), Some("Annie"));
    }

    #[test]
    fn imperial_entry_is_converted_to_metric() {
        let form = ProfileForm {
            weight: "160".into(),
            weight_unit: "lb".into(),
            height_unit: "ft".into(),
            height_ft: "5".into(),
            height_in: "9".into(),
            ..good()
        };
        let profile = parse_profile(&form, TODAY, false).unwrap();
        assert_eq!(profile.weight_kg, 72.6);
        assert_eq!(profile.height_cm, 175.3);
        assert_eq!(pounds_to_kg(1.0), 0.453_592_37);
        assert_eq!(feet_inches_to_cm(6.0, 0.0), 182.88);
    }

    #[test]
    fn implausible_weights_and_heights_are_refused_at_the_limits() {
        for (weight, unit, ok) in [
            ("20", "kg", true),
            ("19.9", "kg", false),
            ("300", "kg", true),
            ("300.1", "kg", false),
            ("700", "lb", false),
            ("44.1", "lb", true),
            ("heavy", "kg", false),
        ] {
            let form = ProfileForm {
                weight: weight.into(),
                weight_unit: unit.into(),
                ..good()
            };
            assert_eq!(
                parse_profile(&form, TODAY, false).is_ok(),
                ok,
                "{weight} {unit}"
            );
        }
        let tall = ProfileForm {
            height_cm: "251".into(),
            ..good()
        };
        assert!(
            parse_profile(&tall, TODAY, false)
                .unwrap_err()
                .get("height_cm")
                .is_some()
        );
        let inches = ProfileForm {
            height_unit: "ft".into(),
            height_ft: "5".into(),
            height_in: "13".into(),
            ..good()
        };
        assert!(
            parse_profile(&inches, TODAY, false)
                .unwrap_err()
                .get("height_ft")
                .is_some()
        );
    }

    #[test]
    fn birth_dates_minors_and_contacts_are_checked() {
        let future = ProfileForm {
            date_of_birth: "2027-01-01".into(),
            ..good()
        };
        assert!(
            parse_profile(&future, TODAY, false)
                .unwrap_err()
                .get("date_of_birth")
                .is_some()
        );
        let minor = ProfileForm {
            date_of_birth: "2010-01-01".into(),
            ..good()
        };
        assert!(parse_profile(&minor, TODAY, false).is_err());
        assert!(parse_profile(&minor, TODAY, true).is_ok());
        let no_contact = ProfileForm {
            emergency_contact_name: " ".into(),
            emergency_contact_phone: "12".into(),
            sex_at_birth: "".into(),
            ..good()
        };
        let errors = parse_profile(&no_contact, TODAY, false).unwrap_err();
        for field in [
            "emergency_contact_name",
            "emergency_contact_phone",
            "sex_at_birth",
        ] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn a_nul_in_any_profile_field_is_refused_on_that_field() {
        let today = date!(2026 - 06 - 01);
        let form = ProfileForm {
            legal_name: "Pat\0Walker".into(),
            address: "1 Main\0 St".into(),
            ..good()
        };
        let errors = parse_profile(&form, today, false).unwrap_err();
        assert_eq!(
            errors.get("legal_name"),
            Some(crate::core::params::UNSTORABLE)
        );
        assert_eq!(errors.get("address"), Some(crate::core::params::UNSTORABLE));
        assert_eq!(errors.get("phone"), None);
    }

    #[test]
    fn pregnancy_concerns_everyone_not_recorded_as_male() {
        assert!(!pregnancy_relevant(Some(SexAtBirth::Male)));
        assert!(pregnancy_relevant(Some(SexAtBirth::Female)));
        assert!(pregnancy_relevant(Some(SexAtBirth::Intersex)));
        assert!(pregnancy_relevant(None));
        assert!(!pregnancy_relevant(SexAtBirth::parse("male")));
    }
}
