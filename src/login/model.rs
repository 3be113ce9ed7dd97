//! Login's rules: which step follows a right or wrong password, when a second-factor
//! challenge is spent, how long registration, reset and challenge links live, and the emails
//! they send. No I/O.

/// A password-reset link works for this long, once.
pub const RESET_VALID_MINUTES: i32 = 30;
/// A registration link works for a day.
pub const REGISTRATION_VALID_MINUTES: i32 = 24 * 60;
/// Wrong passwords allowed on a registration's confirmation page before its link stops
/// working (each costs a hash).
pub const REGISTRATION_CONFIRM_ATTEMPTS: i32 = 5;
/// A login waiting for its second factor lapses after five minutes or five wrong codes.
pub const CHALLENGE_MINUTES: i32 = 5;
pub const CHALLENGE_ATTEMPTS: i32 = 5;

/// One generic answer for an unknown email and a wrong password alike.
pub const WRONG_CREDENTIALS: &str = "The email or password is not right. Check both and try again.";
pub const EMPTY_LOGIN: &str = "Enter both your email and your password.";
pub const WRONG_CODE: &str = "That code is not right. Enter the six digits your app shows now, or one of your recovery codes.";
pub const WRONG_REGISTRATION_PASSWORD: &str =
    "That is not the password chosen when registering. If you have forgotten it, register again.";

/// What follows a password check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterPassword {
    /// Unknown email or wrong password: one failure, counted already.
    Wrong,
    /// Right password, disabled account: told so, not counted.
    Disabled,
    /// Right password; the account has a second factor to ask for.
    SecondFactor,
    /// Right password and nothing more to ask: a session, and `enrol` sends the user to set
    /// up the second factor their role requires first.
    SignIn { enrol: bool },
}

pub fn after_password(
    password_ok: bool,
    active: bool,
    second_factor_on: bool,
    second_factor_required: bool,
) -> AfterPassword {
    match (password_ok, active, second_factor_on) {
        (false, _, _) => AfterPassword::Wrong,
        (true, false, _) => AfterPassword::Disabled,
        (true, true, true) => AfterPassword::SecondFactor,
        (true, true, false) => AfterPassword::SignIn {
            enrol: second_factor_required,
        },
    }
}

/// Whether a challenge with `made` codes tried (this one included) has none left.
pub fn challenge_spent(made: i32) -> bool {
    made >= CHALLENGE_ATTEMPTS
}

pub fn password_reset_email(link: &str) -> (String, String) {
    (
        "Reset your clinic password".to_owned(),
        format!(
            "Someone asked to reset the password of your clinic account. If it was you, choose a new password here within {RESET_VALID_MINUTES} minutes:\n\n{link}\n\nThe link works once. If you did not ask for this, ignore this message: your password stays as it is.\n"
        ),
    )
}

pub fn registration_email(link: &str) -> (String, String) {
    (
        "Finish creating your clinic account".to_owned(),
        format!(
            "Someone asked to create a patient account at the clinic with this email address. If it was you, open this link within 24 hours and enter the password you chose to finish:\n\n{link}\n\nThe link works once. If it was not you, ignore this message: no account is created.\n"
        ),
    )
}

/// To the owner of an address that already has an account, instead of a second account.
pub fn registration_attempt_email(login_link: &str, reset_link: &str) -> (String, String) {
    (
        "Someone tried to create a clinic account with your address".to_owned(),
        format!(
            "Someone tried to create a new clinic account with this email address, which already has an account. No new account was created and nothing was changed.\n\nIf it was you, log in here:\n\n{login_link}\n\nor, if you have forgotten your password, reset it here:\n\n{reset_link}\n\nIf it was not you, you can ignore this message.\n"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_right_password_leads_to_the_second_factor_or_a_session_and_a_wrong_one_nowhere() {
        use AfterPassword::*;
        // Wrong is wrong, whatever the account: the same answer as an unknown email.
        for (active, on, required) in [(true, true, true), (false, false, false)] {
            assert_eq!(after_password(false, active, on, required), Wrong);
        }
        assert_eq!(after_password(true, false, true, true), Disabled);
        assert_eq!(after_password(true, true, true, true), SecondFactor);
        assert_eq!(after_password(true, true, true, false), SecondFactor);
        assert_eq!(
            after_password(true, true, false, true),
            SignIn { enrol: true }
        );
        assert_eq!(
            after_password(true, true, false, false),
            SignIn { enrol: false }
        );
    }

    #[test]
    fn a_challenge_is_spent_at_its_fifth_code() {
        assert!(!challenge_spent(1));
        assert!(!challenge_spent(CHALLENGE_ATTEMPTS - 1));
        assert!(challenge_spent(CHALLENGE_ATTEMPTS));
        assert!(challenge_spent(CHALLENGE_ATTEMPTS + 1));
    }

    #[test]
    fn the_reset_email_carries_its_link_and_lifetime() {
        let (subject, body) = password_reset_email("https://clinic.example/reset-password/abc");
        assert!(subject.contains("Reset"));
        assert!(body.contains("30 minutes") && body.contains("/reset-password/abc"));
    }

    #[test]
    fn registration_emails_carry_their_links() {
        let (_, body) = registration_email("https://clinic.example/register/confirm/abc");
        assert!(body.contains("/register/confirm/abc") && body.contains("24 hours"));
        let (_, body) = registration_attempt_email(
            "https://clinic.example/login",
            "https://clinic.example/forgot-password",
        );
        assert!(body.contains("/login") && body.contains("/forgot-password"));
    }
}
