//! Two-factor login rules: TOTP codes (RFC 6238 through totp-rs: SHA-1, six digits, 30-second
//! steps, one step of clock drift either way, never the same step twice), the enrolment QR
//! code, and single-use recovery codes. No I/O.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use qrcode::QrCode;
use qrcode::render::svg;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

use super::model::Role;

pub const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
/// 160 bits, the size RFC 4226 recommends for HMAC-SHA1 keys.
const SECRET_BYTES: usize = 20;
pub const RECOVERY_CODES: usize = 10;
/// Recovery codes use letters and digits that cannot be mistaken for one another.
const RECOVERY_ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789-";

/// Whether this role must log in with a second factor, given the clinic's choices.
pub fn required_for(role: Role, front_desk: bool, patients: bool) -> bool {
    match role {
        Role::Clinician | Role::Admin => true,
        Role::FrontDesk => front_desk,
        Role::Patient => patients,
    }
}

/// Seconds since 1970, the time TOTP codes count their steps from.
pub fn unix_now() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or_default()
}

pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut secret);
    secret
}

fn totp(secret: &[u8], account: &str) -> Option<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECONDS,
        secret.to_vec(),
        Some("Clinic".to_owned()),
        account.to_owned(),
    )
    .ok()
}

/// The secret as people type it into an authenticator app: base32 in groups of four.
pub fn secret_for_typing(secret: &[u8]) -> String {
    let encoded = base32_encode(secret);
    encoded
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn base32_encode(bytes: &[u8]) -> String {
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(text) => text,
        Secret::Raw(_) => String::new(),
    }
}

/// The `otpauth://` address an authenticator app reads from the QR code.
pub fn enrolment_url(secret: &[u8], account: &str) -> Option<String> {
    Some(totp(secret, account)?.get_url())
}

/// The QR code of the enrolment address as an inline SVG, drawn here (no outside service).
pub fn enrolment_qr_svg(secret: &[u8], account: &str) -> Option<String> {
    let url = enrolment_url(secret, account)?;
    let code = QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

/// The code for the 30-second step containing `unix_time`.
pub fn code_at(secret: &[u8], unix_time: u64) -> Option<String> {
    Some(totp(secret, "")?.generate(unix_time))
}

/// The step a typed code belongs to, if it is right for the step before, the step of, or the
/// step after `unix_time` (clock drift), and later than `last_step` (no replay).
pub fn accepted_step(
    secret: &[u8],
    typed: &str,
    unix_time: u64,
    last_step: Option<i64>,
) -> Option<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != DIGITS || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "")?;
    let now_step = unix_time / STEP_SECONDS;
    // Every candidate is computed and compared, so the time taken says nothing.
    let mut accepted = None;
    for step in [now_step.saturating_sub(1), now_step, now_step + 1] {
        let expected = totp.generate(step * STEP_SECONDS);
        let same = expected
            .bytes()
            .zip(typed.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0;
        let step = i64::try_from(step).ok()?;
        if same && last_step.is_none_or(|last| step > last) && accepted.is_none() {
            accepted = Some(step);
        }
    }
    accepted
}

/// Ten new recovery codes, as shown once to the user (`xxxx-xxxx-xxxx`, 60 random bits each).
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 12];
            OsRng.fill_bytes(&mut bytes);
            let letters: Vec<char> = bytes
                .iter()
                // 31 usable symbols (the last is the separator); the slight bias costs < 0.1 bit.
                .map(|b| char::from(RECOVERY_ALPHABET[usize::from(*b) % 31]))
                .collect();
            letters
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// A recovery code as stored: SHA-256 of the code without separators or case.
pub fn recovery_code_hash(code: &str) -> Vec<u8> {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(normal.as_bytes()).to_vec()
}

/// Whether what was typed looks like a recovery code rather than a six-digit code.
pub fn looks_like_recovery_code(typed: &str) -> bool {
    typed.chars().filter(|c| c.is_ascii_alphanumeric()).count() == 12
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, Appendix B: the SHA-1 key and the eight-digit codes at each test time.
    #[test]
    fn rfc6238_test_vectors() {
        let sha1 = b"12345678901234567890".to_vec();
        let sha256 = b"12345678901234567890123456789012".to_vec();
        let sha512 = b"1234567890123456789012345678901234567890123456789012345678901234".to_vec();
        let cases: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (time, want1, want256, want512) in cases {
            for (algorithm, key, want) in [
                (Algorithm::SHA1, &sha1, want1),
                (Algorithm::SHA256, &sha256, want256),
                (Algorithm::SHA512, &sha512, want512),
            ] {
                let totp =
                    TOTP::new(algorithm, 8, 0, 30, key.clone(), None, String::new()).unwrap();
                assert_eq!(totp.generate(time), want, "{algorithm:?} at {time}");
            }
        }
        // The app's own six-digit codes are the last six digits of the same values.
        assert_eq!(code_at(&sha1, 59).unwrap(), "287082");
        assert_eq!(code_at(&sha1, 1111111109).unwrap(), "081804");
    }

    #[test]
    fn a_code_is_accepted_within_one_step_of_drift_and_never_twice() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111; // step 37037037
        let code = code_at(secret, now).unwrap();
        let step = accepted_step(secret, &code, now, None).unwrap();
        assert_eq!(step, 37_037_037);
        assert_eq!(accepted_step(secret, &code, now + 30, None), Some(step));
        assert_eq!(
            accepted_step(secret, &code, now + 60, None),
            None,
            "too late"
        );
        assert_eq!(
            accepted_step(secret, &code, now, Some(step)),
            None,
            "replayed"
        );
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(accepted_step(secret, &spaced, now, None), Some(step));
        assert_eq!(accepted_step(secret, "12345", now, None), None);
        assert_eq!(accepted_step(secret, "abcdef", now, None), None);
    }

    #[test]
    fn the_typed_secret_is_base32_of_the_key() {
        // RFC 4648 test vector.
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(secret_for_typing(b"foobar"), "MZXW 6YTB OI");
        let url = enrolment_url(&new_secret(), "casey@clinic.test").unwrap();
        assert!(
            url.starts_with("otpauth://totp/Clinic:casey%40clinic.test?secret="),
            "{url}"
        );
        assert!(url.contains("issuer=Clinic"));
        let svg = enrolment_qr_svg(&new_secret(), "casey@clinic.test").unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_match_however_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        let code = &codes[0];
        assert_eq!(code.len(), 14);
        assert!(looks_like_recovery_code(code));
        assert_eq!(
            recovery_code_hash(code),
            recovery_code_hash(&code.replace('-', " ").to_uppercase())
        );
        assert!(!looks_like_recovery_code("123456"));
    }

    #[test]
    fn clinicians_and_admins_always_need_a_second_factor() {
        assert!(required_for(Role::Clinician, false, false));
        assert!(required_for(Role::Admin, false, false));
        assert!(!required_for(Role::FrontDesk, false, false));
        assert!(required_for(Role::FrontDesk, true, false));
        assert!(!required_for(Role::Patient, true, false));
        assert!(required_for(Role::Patient, false, true));
    }
}
