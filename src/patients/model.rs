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
