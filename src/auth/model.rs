//! Pure account rules: roles, password policy, email shape, session lifetimes, lockouts and
//! return targets. No I/O here.

use std::collections::HashSet;
use std::sync::OnceLock;

use time::{Duration, OffsetDateTime};

/// Stored with the clinic's settings; auth applies them.
pub use crate::settings::model::{LockoutPolicy, SessionLimits};

pub use crate::core::Role;

/// Whether an account may sign in (`account_status` in PostgreSQL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountStatus {
    Active,
    Disabled,
}

pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_RECOMMENDED_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 256;

static COMMON_PASSWORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();

fn common_passwords() -> &'static HashSet<&'static str> {
    COMMON_PASSWORDS.get_or_init(|| {
        include_str!("../../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect()
    })
}

/// Why a new password is refused, or `None` when it is acceptable. Length and a list of
/// common passwords only: composition rules make passwords worse (NIST SP 800-63B).
pub fn password_problem(password: &str, known_words: &[&str]) -> Option<String> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Some(format!(
            "Use at least {PASSWORD_MIN_CHARS} characters ({PASSWORD_RECOMMENDED_CHARS} or more is better; a few unrelated words work well)."
        ));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Some(format!("Use at most {PASSWORD_MAX_CHARS} characters."));
    }
    let lowered = password.to_lowercase();
    if common_passwords().contains(lowered.as_str()) {
        return Some(
            "This password is on a list of commonly used passwords that attackers try first. Choose another."
                .to_owned(),
        );
    }
    let personal = known_words
        .iter()
        .map(|word| word.trim().to_lowercase())
        .any(|word| !word.is_empty() && word == lowered);
    if personal {
        return Some("Don't use your name or email as your password.".to_owned());
    }
    None
}

/// Emails are compared case-insensitively: stored lower-cased and trimmed.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately loose shape check: the address is proven by use, not by a regex.
pub fn email_problem(email: &str) -> Option<&'static str> {
    if email.is_empty() {
        return Some("Enter your email address.");
    }
    if email.len() > 254 || email.chars().any(char::is_whitespace) {
        return Some("Enter an email address like name@example.com.");
    }
    match email.rsplit_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.') =>
        {
            None
        }
        _ => Some("Enter an email address like name@example.com."),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    Idle,
    Absolute,
    LoggedOut,
    Disabled,
    /// Not a session ending by itself: every session went when the password was reset.
    PasswordReset,
    /// A login's second step had too many wrong codes and must start again.
    TooManyCodes,
}

impl SessionEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEnd::Idle => "idle",
            SessionEnd::Absolute => "absolute",
            SessionEnd::LoggedOut => "logout",
            SessionEnd::Disabled => "disabled",
            SessionEnd::PasswordReset => "reset",
            SessionEnd::TooManyCodes => "codes",
        }
    }

    pub fn parse(value: &str) -> Option<SessionEnd> {
        match value {
            "idle" => Some(SessionEnd::Idle),
            "absolute" => Some(SessionEnd::Absolute),
            "logout" => Some(SessionEnd::LoggedOut),
            "disabled" => Some(SessionEnd::Disabled),
            "reset" => Some(SessionEnd::PasswordReset),
            "codes" => Some(SessionEnd::TooManyCodes),
            _ => None,
        }
    }

    pub fn notice(self) -> &'static str {
        match self {
            SessionEnd::Idle => {
                "You were logged out because the page was left unused for a while. Log in again to carry on where you were."
            }
            SessionEnd::Absolute => {
                "Your session reached its maximum length, so you were logged out. Log in again to carry on where you were."
            }
            SessionEnd::LoggedOut => "You have logged out.",
            SessionEnd::Disabled => {
                "This account has been disabled. Contact the clinic if you need access."
            }
            SessionEnd::TooManyCodes => {
                "Too many wrong codes were entered. Log in again with your password."
            }
            SessionEnd::PasswordReset => {
                "Your password is changed and every session of your account was ended. Log in with the new password."
            }
        }
    }
}

/// What to do with a session found for a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionVerdict {
    /// Live; `touch` says whether to record the activity (done at most once a minute so a
    /// page view is normally read-only).
    Live {
        touch: bool,
    },
    Ended(SessionEnd),
}

pub const SESSION_TOUCH_INTERVAL: Duration = Duration::minutes(1);

pub fn session_verdict(
    limits: SessionLimits,
    role: Role,
    created_at: OffsetDateTime,
    last_seen_at: OffsetDateTime,
    now: OffsetDateTime,
) -> SessionVerdict {
    let idle = if role.is_staff() {
        limits.staff_idle
    } else {
        limits.patient_idle
    };
    if now - created_at >= limits.absolute {
        SessionVerdict::Ended(SessionEnd::Absolute)
    } else if now - last_seen_at >= idle {
        SessionVerdict::Ended(SessionEnd::Idle)
    } else {
        SessionVerdict::Live {
            touch: now - last_seen_at >= SESSION_TOUCH_INTERVAL,
        }
    }
}

/// Failed-login counts over the lockout window, as read from the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginFailures {
    pub for_email: i64,
    pub from_address: i64,
    pub last_for_email: Option<OffsetDateTime>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginGate {
    Open,
    /// The email typed is locked until this time (same for known and unknown emails).
    AccountLocked {
        until: OffsetDateTime,
    },
    /// Too many failures from this client address.
    AddressThrottled,
}

pub fn login_gate(policy: LockoutPolicy, failures: LoginFailures) -> LoginGate {
    if failures.from_address >= policy.failures_per_address {
        return LoginGate::AddressThrottled;
    }
    match failures.last_for_email {
        Some(last) if failures.for_email >= policy.failures_per_account => {
            LoginGate::AccountLocked {
                until: last + policy.window,
            }
        }
        _ => LoginGate::Open,
    }
}

/// Whether the failure just counted (on top of `before`) locks the account.
pub fn locks_account(policy: LockoutPolicy, before: LoginFailures) -> bool {
    before.for_email + 1 >= policy.failures_per_account
}

/// What a locked account is told: the minutes left, rounded up, at least one.
pub fn locked_message(until: OffsetDateTime, now: OffsetDateTime) -> String {
    let minutes = ((until - now).whole_seconds() + 59) / 60;
    format!(
        "Too many failed attempts were made to log in to this account, so it is locked for now. \
         Try again in {} minute{}, or contact the clinic.",
        minutes.max(1),
        if minutes > 1 { "s" } else { "" }
    )
}

/// What an attempt the lockout refused is told.
pub fn refusal_message(gate: LoginGate, now: OffsetDateTime) -> String {
    match gate {
        LoginGate::AccountLocked { until } => locked_message(until, now),
        _ => "Too many failed logins came from your network. Wait a few minutes and try again."
            .to_owned(),
    }
}

/// A return target after login: only a path on this site, never another origin.
pub fn safe_return_path(target: &str) -> Option<&str> {
    let ok = target.starts_with('/')
        && !target.starts_with("//")
        && !target.contains('\\')
        && !target.chars().any(char::is_control)
        && target.len() <= 2000
        && !target.starts_with("/logout")
        && !target.starts_with("/login");
    ok.then_some(target)
}

/// Requests anyone may make that cost the server a password hash or an email, so each
/// client address may make only so many an hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CostlyRequest {
    Registration,
    PasswordReset,
}

impl CostlyRequest {
    pub fn as_str(self) -> &'static str {
        match self {
            CostlyRequest::Registration => "registration",
            CostlyRequest::PasswordReset => "password_reset",
        }
    }

    /// What the person is told when their address has made its hour's share.
    pub fn refusal(self) -> &'static str {
        match self {
            CostlyRequest::Registration => {
                "Too many accounts were created from your network in the last hour. Please wait a while and try again, or phone the clinic."
            }
            CostlyRequest::PasswordReset => {
                "Too many password reset links were asked for from your network in the last hour. Please wait a while and try again, or phone the clinic."
            }
        }
    }
}

/// Whether one more is allowed from an address that made `made` in the last hour.
pub fn within_hourly_limit(per_hour: u32, made: i64) -> bool {
    made < i64::from(per_hour)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn roles_parse_from_cli_and_form_spellings() {
        assert_eq!(Role::parse("front-desk"), Some(Role::FrontDesk));
        assert_eq!(Role::parse("front_desk"), Some(Role::FrontDesk));
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }

    #[test]
    fn password_length_limits() {
        assert!(password_problem("seven77", &[]).is_some());
        assert!(password_problem("eight888x", &[]).is_none());
        assert!(password_problem(&"x".repeat(128), &[]).is_none());
        assert!(password_problem(&"x".repeat(256), &[]).is_none());
        assert!(password_problem(&"x".repeat(257), &[]).is_some());
        // Characters, not bytes: eight accented letters are enough.
        assert!(password_problem("éééééééé", &[]).is_none());
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        for common in [
            "password",
            "Password1",
            "12345678",
            "QWERTYUIOP",
            "iloveyou",
        ] {
            let problem = password_problem(common, &[]);
            assert!(
                problem
                    .as_deref()
                    .is_some_and(|p| p.contains("commonly used")),
                "{common} should be refused as common"
            );
        }
        assert!(password_problem("correct horse battery staple", &[]).is_none());
    }

    #[test]
    fn no_composition_rules() {
        assert!(password_problem("alllowercaseletters", &[]).is_none());
    }

    #[test]
    fn own_email_or_name_is_refused() {
        assert!(password_problem("ann@example.com", &["ann@example.com"]).is_some());
        assert!(password_problem("Annabel Smith", &["annabel smith"]).is_some());
    }

    #[test]
    fn email_shapes() {
        assert_eq!(normalize_email("  Ann@Example.COM "), "ann@example.com");
        assert!(email_problem("ann@example.com").is_none());
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "ann@.com",
        ] {
            assert!(email_problem(bad).is_some(), "{bad:?} should be refused");
        }
    }

    fn limits() -> SessionLimits {
        SessionLimits {
            staff_idle: Duration::minutes(15),
            patient_idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }

    #[test]
    fn staff_sessions_end_after_their_idle_time_and_patients_later() {
        let start = datetime!(2026-11-28 09:00 UTC);
        let later = start + Duration::minutes(20);
        assert_eq!(
            session_verdict(limits(), Role::Clinician, start, start, later),
            SessionVerdict::Ended(SessionEnd::Idle)
        );
        assert_eq!(
            session_verdict(limits(), Role::Patient, start, start, later),
            SessionVerdict::Live { touch: true }
        );
        assert_eq!(
            session_verdict(
                limits(),
                Role::Patient,
                start,
                start,
                start + Duration::minutes(30)
            ),
            SessionVerdict::Ended(SessionEnd::Idle)
        );
    }

    #[test]
    fn sessions_end_at_the_absolute_lifetime_even_when_active() {
        let start = datetime!(2026-11-28 08:00 UTC);
        let now = start + Duration::hours(12);
        let just_seen = now - Duration::seconds(5);
        assert_eq!(
            session_verdict(limits(), Role::Admin, start, just_seen, now),
            SessionVerdict::Ended(SessionEnd::Absolute)
        );
    }

    #[test]
    fn activity_is_written_at_most_once_a_minute() {
        let start = datetime!(2026-11-28 08:00 UTC);
        assert_eq!(
            session_verdict(
                limits(),
                Role::Admin,
                start,
                start,
                start + Duration::seconds(30)
            ),
            SessionVerdict::Live { touch: false }
        );
        assert_eq!(
            session_verdict(
                limits(),
                Role::Admin,
                start,
                start,
                start + Duration::seconds(61)
            ),
            SessionVerdict::Live { touch: true }
        );
    }

    #[test]
    fn lockout_after_the_set_number_of_failures() {
        let policy = LockoutPolicy {
            failures_per_account: 5,
            failures_per_address: 30,
            window: Duration::minutes(15),
        };
        let last = datetime!(2026-11-28 10:00 UTC);
        let failures = |for_email, from_address| LoginFailures {
            for_email,
            from_address,
            last_for_email: Some(last),
        };
        assert_eq!(login_gate(policy, failures(4, 4)), LoginGate::Open);
        assert_eq!(
            login_gate(policy, failures(5, 5)),
            LoginGate::AccountLocked {
                until: last + Duration::minutes(15)
            }
        );
        assert_eq!(
            login_gate(policy, failures(0, 30)),
            LoginGate::AddressThrottled
        );
        assert_eq!(login_gate(policy, failures(0, 29)), LoginGate::Open);
        // No failure yet for this email: open whatever the count says.
        let none = LoginFailures {
            for_email: 0,
            from_address: 0,
            last_for_email: None,
        };
        assert_eq!(login_gate(policy, none), LoginGate::Open);
    }

    #[test]
    fn the_fifth_counted_failure_locks_and_not_the_fourth() {
        let policy = LockoutPolicy {
            failures_per_account: 5,
            failures_per_address: 30,
            window: Duration::minutes(15),
        };
        let before = |for_email| LoginFailures {
            for_email,
            from_address: for_email,
            last_for_email: None,
        };
        assert!(!locks_account(policy, before(3)));
        assert!(locks_account(policy, before(4)));
        assert!(locks_account(policy, before(5)));
    }

    #[test]
    fn a_locked_account_is_told_the_minutes_left_rounded_up() {
        let now = datetime!(2026-11-28 10:00 UTC);
        let told = |left: Duration| locked_message(now + left, now);
        assert!(told(Duration::minutes(15)).contains("Try again in 15 minutes,"));
        assert!(told(Duration::seconds(14 * 60 + 1)).contains("in 15 minutes,"));
        assert!(told(Duration::seconds(61)).contains("in 2 minutes,"));
        assert!(told(Duration::seconds(60)).contains("in 1 minute,"));
        assert!(told(Duration::seconds(5)).contains("in 1 minute,"));
        // Unlocked meanwhile: still "1 minute", never zero or less.
        assert!(told(Duration::seconds(-30)).contains("in 1 minute,"));
        let gate = LoginGate::AccountLocked {
            until: now + Duration::minutes(3),
        };
        assert_eq!(refusal_message(gate, now), told(Duration::minutes(3)));
        assert!(refusal_message(LoginGate::AddressThrottled, now).contains("your network"));
    }

    #[test]
    fn return_targets_stay_on_this_site() {
        assert_eq!(
            safe_return_path("/admin/staff?page=2"),
            Some("/admin/staff?page=2")
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil.example",
            "/login?next=/x",
            "/ok\r\nSet-Cookie: x",
            "",
        ] {
            assert_eq!(safe_return_path(bad), None, "{bad:?} must be refused");
        }
    }

    #[test]
    fn an_address_gets_its_hourly_share_and_no_more() {
        assert!(within_hourly_limit(3, 0));
        assert!(within_hourly_limit(3, 2));
        assert!(!within_hourly_limit(3, 3));
        assert!(!within_hourly_limit(3, 40));
        assert!(!within_hourly_limit(0, 0), "0 switches the request off");
    }
}
