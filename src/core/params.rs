//! Bounded values read from addresses and forms (a date, a page number, an id) and where a
//! NUL byte hides in urlencoded text. Pure rules with no axum in them, so model code can use
//! them too; each refusal is a sentence the person can act on. Out-of-range input must end
//! here as a 400/422, never as a panic in date arithmetic or an error from PostgreSQL.

use time::Date;

/// The years a date in the clinic can fall in. Wide enough for any date of birth and any
/// booking; narrow enough that a day or a week either side never leaves what `time` and
/// PostgreSQL can hold.
pub const EARLIEST_YEAR: i32 = 1900;
pub const LATEST_YEAR: i32 = 2200;

/// Pages of a list are numbered 1 to this; no list of the clinic's is longer.
pub const LAST_PAGE: i64 = 10_000;

/// A calendar date as a date field sends it (`2026-11-30`), within the clinic's years.
pub fn clinic_date(text: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = Date::parse(text.trim(), format)
        .map_err(|_| "Enter a real date as year-month-day, for example 2026-11-30.".to_owned())?;
    check_year(day)
}

/// A date, or none when the field was left empty.
pub fn optional_clinic_date(text: Option<&str>) -> Result<Option<Date>, String> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => clinic_date(text).map(Some),
    }
}

/// A date and time as a `datetime-local` field sends it (`2026-11-30T09:15`).
pub fn clinic_date_time(text: &str) -> Result<time::PrimitiveDateTime, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let at = time::PrimitiveDateTime::parse(text.trim(), format).map_err(|_| {
        "Enter a date and time as year-month-day and hours:minutes, for example 2026-11-30 09:15."
            .to_owned()
    })?;
    check_year(at.date())?;
    Ok(at)
}

fn check_year(day: Date) -> Result<Date, String> {
    if (EARLIEST_YEAR..=LATEST_YEAR).contains(&day.year()) {
        Ok(day)
    } else {
        Err(format!(
            "Enter a date between the years {EARLIEST_YEAR} and {LATEST_YEAR}."
        ))
    }
}

/// A page number of a list: 1 when absent.
pub fn page_number(page: Option<i64>) -> Result<i64, String> {
    match page {
        None => Ok(1),
        Some(page) if (1..=LAST_PAGE).contains(&page) => Ok(page),
        Some(_) => Err(format!("Pages are numbered from 1 to {LAST_PAGE}.")),
    }
}

/// A record number typed or sent as text: positive and within PostgreSQL's bigint.
pub fn record_id(text: &str) -> Result<i64, String> {
    match text.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err("Enter a record number (digits only).".to_owned()),
    }
}

/// Whether text holds a character PostgreSQL cannot store in a text column (U+0000).
pub fn holds_nul(text: &str) -> bool {
    text.contains('\0')
}

/// What to say beside a text field holding a character PostgreSQL cannot store. U+0000 is the
/// only one in a UTF-8 database; invalid UTF-8 never gets past the form's reading.
pub const UNSTORABLE: &str = "This holds a character that cannot be stored (a NUL byte, often from pasted text). Remove it and send again.";

/// The field message for text that cannot be stored, or none when it can.
pub fn unstorable(text: &str) -> Option<&'static str> {
    holds_nul(text).then_some(UNSTORABLE)
}

/// The same for a field that may be absent.
pub fn unstorable_opt(text: Option<&str>) -> Option<&'static str> {
    text.and_then(unstorable)
}

/// Text as typed, without the characters that cannot be stored, to show back in a form that
/// was refused for them.
pub fn storable(text: &str) -> String {
    text.replace('\0', "")
}

/// The first NUL byte's field among urlencoded pairs (a query string or a form body), with
/// the pairs decoded as the extractors decode them.
pub fn field_with_nul(urlencoded: &[u8]) -> Option<String> {
    // Fast path: a NUL can only arrive raw or as %00.
    let raw = urlencoded.contains(&0);
    let encoded = urlencoded.windows(3).any(|w| w == b"%00");
    if !raw && !encoded {
        return None;
    }
    form_urlencoded_pairs(urlencoded)
        .into_iter()
        .find(|(key, value)| holds_nul(key) || holds_nul(value))
        .map(|(key, _)| key.replace('\0', ""))
}

fn form_urlencoded_pairs(urlencoded: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(urlencoded).unwrap_or_else(|_| {
        // Unreadable as pairs: report the whole as one field so the NUL is still refused.
        vec![(String::new(), "\0".to_owned())]
    })
}

/// Whether a percent-encoded path holds a NUL once decoded.
pub fn path_holds_nul(path: &str) -> bool {
    path.contains('\0') || path.to_ascii_lowercase().contains("%00")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_text_with_a_nul_is_unstorable() {
        assert_eq!(unstorable("Pat Walker"), None);
        assert_eq!(unstorable(""), None);
        assert_eq!(unstorable("émoji 🙂 and \u{1}"), None);
        assert_eq!(unstorable("Pat\0Walker"), Some(UNSTORABLE));
        assert_eq!(unstorable("\0"), Some(UNSTORABLE));
        assert_eq!(unstorable_opt(None), None);
        assert_eq!(unstorable_opt(Some("a\0")), Some(UNSTORABLE));
        assert_eq!(storable("Pat\0Walker\0"), "PatWalker");
    }

    #[test]
    fn dates_within_the_clinic_years_are_read_and_others_refused() {
        assert_eq!(
            clinic_date(" 2026-11-30 ").map(|d| d.to_string()),
            Ok("2026-11-30".to_owned())
        );
        assert!(clinic_date("1900-01-01").is_ok());
        assert!(clinic_date("2200-12-31").is_ok());
        assert!(clinic_date("1899-12-31").is_err());
        assert!(clinic_date("2201-01-01").is_err());
        for bad in [
            "9999-12-31",
            "-9999-01-01",
            "0000-00-00",
            "2024-02-30",
            "",
            "abc",
            "\0",
        ] {
            assert!(clinic_date(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(optional_clinic_date(None), Ok(None));
        assert_eq!(optional_clinic_date(Some("  ")), Ok(None));
        assert!(optional_clinic_date(Some("9999-12-31")).is_err());
    }

    #[test]
    fn date_times_are_bounded_too() {
        assert!(clinic_date_time("2026-11-30T09:15").is_ok());
        assert!(clinic_date_time("9999-12-31T23:59").is_err());
        assert!(clinic_date_time("2026-11-30").is_err());
    }

    #[test]
    fn page_numbers_run_from_one_to_the_last_page() {
        assert_eq!(page_number(None), Ok(1));
        assert_eq!(page_number(Some(1)), Ok(1));
        assert_eq!(page_number(Some(LAST_PAGE)), Ok(LAST_PAGE));
        for bad in [0, -1, LAST_PAGE + 1, i64::MAX, i64::MIN] {
            assert!(page_number(Some(bad)).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn record_ids_are_positive_bigints() {
        assert_eq!(record_id(" 42 "), Ok(42));
        assert_eq!(record_id("9223372036854775807"), Ok(i64::MAX));
        for bad in [
            "0",
            "-1",
            "9223372036854775808",
            "99999999999999999999",
            "abc",
            "",
        ] {
            assert!(record_id(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn nul_bytes_are_found_in_any_field_raw_or_encoded() {
        assert_eq!(field_with_nul(b"q=ann&page=2"), None);
        assert_eq!(field_with_nul(b"q=%zz&page=%"), None);
        assert_eq!(field_with_nul(b"q=ann&actor=%00"), Some("actor".to_owned()));
        assert_eq!(field_with_nul(b"name=a\0b"), Some("name".to_owned()));
        assert_eq!(field_with_nul(b"na%00me=x"), Some("name".to_owned()));
        assert!(path_holds_nul("/reset-password/%00"));
        assert!(!path_holds_nul("/patients/100/book"));
    }
}
