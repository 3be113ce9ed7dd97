//! Account security rules: emailed links of one's own account, the forms that need the current password, and
//! naming a session's device. No I/O.

use serde::Deserialize;

use crate::auth::model::{email_problem, normalize_email, password_problem};
use crate::core::FormErrors;

/// An email-verification link works for two days, once.
pub const VERIFY_VALID_MINUTES: i32 = 48 * 60;
/// The link confirming a new email address works for a day.
pub const EMAIL_CHANGE_VALID_MINUTES: i32 = 24 * 60;

/// An absolute link into the app. Only the configured address is used, never the request's
/// Host header, which an attacker could set to send a victim's reset link to themselves.
pub fn link(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

pub fn verification_email(link: &str) -> (String, String) {
    (
        "Confirm your email address".to_owned(),
        format!(
            "Please confirm that this is your email address for your clinic account by opening this link within two days:\n\n{link}\n\nIf you did not create an account or change your email, ignore this message.\n"
        ),
    )
}

/// An address shown to people who may not own it: the first character of the name and the
/// domain ("n***@example.org"), enough to recognise one's own.
pub fn masked_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

pub fn email_change_email(link: &str) -> (String, String) {
    (
        "Confirm your new email address".to_owned(),
        format!(
            "Someone asked to use this address for their clinic account. If it was you, open this link within 24 hours to confirm it; the account's address changes only then:\n\n{link}\n\nThe link works once. If it was not you, ignore this message.\n"
        ),
    )
}

/// To the owner of an address someone tried to move their account to: nothing about who.
pub fn email_change_taken_email() -> (String, String) {
    (
        "Someone tried to use your address at the clinic".to_owned(),
        "Someone asked to use this email address for another clinic account. This address already has an account, so nothing was changed. You need do nothing.\n".to_owned(),
    )
}

/// To the old address once a change is confirmed.
pub fn email_changed_email(masked_new: &str) -> (String, String) {
    (
        "Your clinic email address was changed".to_owned(),
        format!(
            "The email address of your clinic account was changed to {masked_new}. From now on, log in with that address.\n\nIf this was not you, contact the clinic at once.\n"
        ),
    )
}

/// "Chrome on Android": enough to recognise a session in the list, from the browser's own
/// description of itself.
pub fn device_label(user_agent: &str) -> String {
    let browser = if user_agent.contains("Edg/") {
        "Edge"
    } else if user_agent.contains("Firefox/") {
        "Firefox"
    } else if user_agent.contains("Chrome/") || user_agent.contains("CriOS/") {
        "Chrome"
    } else if user_agent.contains("Safari/") {
        "Safari"
    } else {
        "A browser"
    };
    let system = if user_agent.contains("iPhone") || user_agent.contains("iPad") {
        "iOS"
    } else if user_agent.contains("Android") {
        "Android"
    } else if user_agent.contains("Windows") {
        "Windows"
    } else if user_agent.contains("Mac OS X") || user_agent.contains("Macintosh") {
        "macOS"
    } else if user_agent.contains("Linux") {
        "Linux"
    } else {
        "an unknown system"
    };
    format!("{browser} on {system}")
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PasswordChangeForm {
    #[serde(default)]
    pub current_password: String,
    #[serde(default)]
    pub new_password: String,
}

/// Checks a new password against the policy; the current password is checked separately.
pub fn check_new_password(
    new_password: &str,
    email: &str,
    name: &str,
    field: &'static str,
) -> Result<(), FormErrors> {
    let mut errors = FormErrors::default();
    errors.check_storable(&[(field, new_password)]);
    errors.check(field, password_problem(new_password, &[email, name]));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct EmailChangeForm {
    /// The current password (named apart from the password form's field on the same page).
    #[serde(default)]
    pub password_for_email: String,
    #[serde(default)]
    pub new_email: String,
}

/// The new address, normalized, if it is one.
pub fn check_new_email(form: &EmailChangeForm, current: &str) -> Result<String, FormErrors> {
    let mut errors = FormErrors::default();
    let email = normalize_email(&form.new_email);
    errors.check("new_email", email_problem(&email));
    if errors.is_empty() && email == current {
        errors.add("new_email", "That is already your email address.");
    }
    if errors.is_empty() {
        Ok(email)
    } else {
        Err(errors)
    }
}

/// Only the current password (turning two-factor login off, new recovery codes).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PasswordOnlyForm {
    #[serde(default)]
    pub current_password: String,
}

/// What a wrong code at enrolment is told.
pub const WRONG_ENROLMENT_CODE: &str = "That code is not right. Enter the six digits your app shows now (they change every 30 seconds).";

/// The time step of a code typed to confirm enrolment, if it is right for the key waiting to
/// be confirmed (`pending`) at `unix_time`; else what to say beside the code.
pub fn enrolment_step(
    pending: Option<&[u8]>,
    typed: &str,
    unix_time: u64,
) -> Result<i64, &'static str> {
    pending
        .and_then(|secret| crate::auth::two_factor::accepted_step(secret, typed, unix_time, None))
        .ok_or(WRONG_ENROLMENT_CODE)
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    pub current_password: String,
    #[serde(default)]
    pub code: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_use_the_configured_address() {
        assert_eq!(
            link("https://clinic.example/", "/reset-password/abc"),
            "https://clinic.example/reset-password/abc"
        );
    }

    #[test]
    fn addresses_are_masked_to_their_first_letter_and_domain() {
        assert_eq!(masked_email("nina@example.org"), "n***@example.org");
        assert_eq!(masked_email("é@example.org"), "é***@example.org");
        assert_eq!(masked_email("a.b@c@example.org"), "a***@example.org");
        assert_eq!(masked_email("no-at-sign"), "***");
    }

    #[test]
    fn account_emails_carry_their_links_and_the_old_address_sees_only_a_masked_new_one() {
        let (_, body) = email_change_email("https://clinic.example/account/email/confirm/abc");
        assert!(body.contains("/account/email/confirm/abc"));
        let (_, body) = email_changed_email(&masked_email("nina@example.org"));
        assert!(body.contains("n***@example.org") && !body.contains("nina"));
    }

    #[test]
    fn devices_are_named_plainly() {
        let chrome_android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
        assert_eq!(device_label(chrome_android), "Chrome on Android");
        let safari_iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(device_label(safari_iphone), "Safari on iOS");
        let firefox_windows =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(device_label(firefox_windows), "Firefox on Windows");
        assert_eq!(device_label("curl/8.0"), "A browser on an unknown system");
    }

    #[test]
    fn a_new_email_must_be_an_address_and_a_change() {
        let form = |email: &str| EmailChangeForm {
            password_for_email: String::new(),
            new_email: email.into(),
        };
        assert_eq!(
            check_new_email(&form(" New@Clinic.Test "), "old@clinic.test").unwrap(),
            "new@clinic.test"
        );
        assert!(check_new_email(&form("not an email"), "old@clinic.test").is_err());
        assert!(check_new_email(&form("old@clinic.test"), "old@clinic.test").is_err());
    }

    #[test]
    fn enrolment_needs_the_waiting_key_and_a_code_of_now() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let code = crate::auth::two_factor::code_at(secret, now).unwrap();
        assert_eq!(enrolment_step(Some(secret), &code, now), Ok(37_037_037));
        assert_eq!(
            enrolment_step(Some(secret), &code, now + 90),
            Err(WRONG_ENROLMENT_CODE)
        );
        assert_eq!(enrolment_step(None, &code, now), Err(WRONG_ENROLMENT_CODE));
    }

    #[test]
    fn new_passwords_follow_the_policy() {
        assert!(check_new_password("short", "a@b.c", "Ann", "new_password").is_err());
        assert!(check_new_password("password", "a@b.c", "Ann", "new_password").is_err());
        assert!(
            check_new_password("a long new passphrase", "a@b.c", "Ann", "new_password").is_ok()
        );
    }
}
