//! Consent rules: the derived consent status, what a signature means, name matching, the
//! document text and its hash, and form checks. No I/O.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::core::FormErrors;
use crate::core::Role;

/// What a patient's signature means, recorded with it.
pub const PATIENT_MEANING: &str = "I consent to ketamine infusion therapy";
/// What a clinician's countersignature means.
pub const CLINICIAN_MEANING: &str =
    "I explained the treatment and answered the patient's questions";

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 100_000;
pub const REASON_MAX: usize = 1000;

/// What consent status is derived from (the `consent_facts` view).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConsentFacts {
    /// The newest published version's number, if any is published.
    pub latest_version: Option<i32>,
    /// The version the patient last signed, and when.
    pub signed_version: Option<i32>,
    pub signed_at: Option<OffsetDateTime>,
    /// The patient's latest withdrawal.
    pub withdrawn_at: Option<OffsetDateTime>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsentStatus {
    /// Never signed.
    None,
    /// Signed the newest published version.
    Current { version: i32 },
    /// Signed an earlier version; must sign the newest before the next infusion.
    Outdated { signed: i32, latest: i32 },
    /// Withdrew after their last signature.
    Withdrawn { at: OffsetDateTime },
}

/// The one rule for a patient's consent status, used by every page and (later) the booking gate.
pub fn consent_status(facts: &ConsentFacts) -> ConsentStatus {
    let withdrawn_since_signing = match (facts.withdrawn_at, facts.signed_at) {
        (Some(withdrawn), Some(signed)) => withdrawn >= signed,
        (Some(_), None) => true,
        _ => false,
    };
    if let (true, Some(at)) = (withdrawn_since_signing, facts.withdrawn_at) {
        return ConsentStatus::Withdrawn { at };
    }
    match (facts.signed_version, facts.latest_version) {
        (Some(signed), Some(latest)) if signed >= latest => {
            ConsentStatus::Current { version: signed }
        }
        (Some(signed), Some(latest)) => ConsentStatus::Outdated { signed, latest },
        // Signed, though nothing is published: cannot happen while versions are immutable.
        (Some(signed), None) => ConsentStatus::Current { version: signed },
        (None, _) => ConsentStatus::None,
    }
}

impl ConsentStatus {
    pub fn label(&self) -> String {
        match self {
            ConsentStatus::None => "Not signed".to_owned(),
            ConsentStatus::Current { version } => format!("Signed (version {version})"),
            ConsentStatus::Outdated { signed, latest } => {
                format!("Outdated: signed version {signed}, version {latest} needs signing")
            }
            ConsentStatus::Withdrawn { .. } => "Withdrawn".to_owned(),
        }
    }

    /// The colour family the status badge takes.
    pub fn tone(&self) -> &'static str {
        match self {
            ConsentStatus::Current { .. } => "ok",
            ConsentStatus::None => "neutral",
            ConsentStatus::Outdated { .. } | ConsentStatus::Withdrawn { .. } => "alert",
        }
    }

    pub fn is_current(&self) -> bool {
        matches!(self, ConsentStatus::Current { .. })
    }

    pub fn withdrawn_at(&self) -> Option<OffsetDateTime> {
        match self {
            ConsentStatus::Withdrawn { at } => Some(*at),
            _ => None,
        }
    }
}

/// Who may read a version's exact text: anyone signed in once it is published (it is what
/// patients sign); a draft only the admins who write it.
pub fn may_read_text(published: bool, role: Role) -> bool {
    published || role == Role::Admin
}

/// Whether there is a consent to withdraw (signed, and not withdrawn since).
pub fn can_withdraw(status: ConsentStatus) -> bool {
    matches!(
        status,
        ConsentStatus::Current { .. } | ConsentStatus::Outdated { .. }
    )
}

/// Names compared as people write them: case, surrounding and repeated spaces do not matter.
pub fn same_name(typed: &str, on_record: &str) -> bool {
    fn normal(name: &str) -> String {
        name.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    }
    let typed = normal(typed);
    !typed.is_empty() && typed == normal(on_record)
}

/// The document text as stored and hashed: LF line breaks, no trailing blank space.
pub fn normalize_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .trim_end()
        .to_owned()
}

/// The SHA-256 of the exact text, as lowercase hex (what `sha256sum` prints).
pub fn text_sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Markdown to HTML that is safe to show: raw HTML in the source and script-carrying links are
/// removed by ammonia's allow-list, whatever an admin pastes.
pub fn render_document(markdown: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::clean(&html)
}

/// An admin's draft as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct DraftForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
}

/// A draft fit to save: trimmed title, normalized text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub title: String,
    pub body: String,
}

pub fn check_draft(form: &DraftForm) -> Result<Draft, FormErrors> {
    let mut errors = FormErrors::default();
    errors.check_storable(&[("title", &form.title), ("body", &form.body)]);
    let title = form.title.trim().to_owned();
    let body = normalize_text(&form.body);
    if title.is_empty() {
        errors.add(
            "title",
            "Enter a title, for example \"Ketamine infusion therapy\".",
        );
    } else if title.chars().count() > TITLE_MAX {
        errors.add(
            "title",
            format!("Keep the title under {TITLE_MAX} characters."),
        );
    }
    if body.trim().is_empty() {
        errors.add("body", "Write the text patients will read and sign.");
    } else if body.chars().count() > BODY_MAX {
        errors.add(
            "body",
            format!("The text is longer than {BODY_MAX} characters."),
        );
    }
    if errors.is_empty() {
        Ok(Draft { title, body })
    } else {
        Err(errors)
    }
}

/// A signature as posted: the typed name, the box, and which text the signer was shown.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct SignForm {
    #[serde(default)]
    pub printed_name: String,
    #[serde(default)]
    pub understood: Option<String>,
    /// As sent: text, so a value that is not a number (or holds a NUL) is told as a stale
    /// form or beside the field instead of refusing the whole request.
    #[serde(default)]
    pub version_id: String,
    #[serde(default)]
    pub text_sha256: String,
}

/// Which version the signer must be signing, and the name they must type.
pub struct SigningContext<'a> {
    pub version_id: i64,
    pub text_sha256: &'a str,
    pub name_on_record: &'a str,
    /// What the tick box confirms, said when it is left empty.
    pub unticked: &'a str,
}

pub const PATIENT_UNTICKED: &str =
    "Tick the box to confirm that you have read and understood the text.";
pub const CLINICIAN_UNTICKED: &str =
    "Tick the box to confirm that you explained the treatment and answered the questions.";

/// Checks a signature form. A form for another version (or other text) than the one in force
/// is refused as stale: the signer must read what they sign.
pub fn check_signature(form: &SignForm, context: &SigningContext<'_>) -> Result<(), FormErrors> {
    let mut errors = FormErrors::default();
    errors.check_storable(&[
        ("printed_name", &form.printed_name),
        ("understood", form.understood.as_deref().unwrap_or_default()),
        ("document", &form.version_id),
        ("document", &form.text_sha256),
    ]);
    let version_id = form.version_id.trim().parse::<i64>().ok();
    if version_id != Some(context.version_id) || form.text_sha256 != context.text_sha256 {
        errors.add(
            "document",
            "The consent was updated while you were reading it. Please read the current text \
             below and sign again.",
        );
    }
    if form.printed_name.trim().is_empty() {
        errors.add("printed_name", "Type your full legal name to sign.");
    } else if !same_name(&form.printed_name, context.name_on_record) {
        errors.add(
            "printed_name",
            "The name must match the name on your record. Check the spelling, or ask the \
             clinic to correct your record.",
        );
    }
    if form.understood.is_none() {
        errors.add("understood", context.unticked);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub confirm: Option<String>,
}

/// The withdrawal's reason (optional), once the patient has confirmed.
pub fn check_withdrawal(form: &WithdrawForm) -> Result<Option<String>, FormErrors> {
    let mut errors = FormErrors::default();
    errors.check_storable(&[
        ("reason", &form.reason),
        ("confirm", form.confirm.as_deref().unwrap_or_default()),
    ]);
    let reason = form.reason.trim();
    if reason.chars().count() > REASON_MAX {
        errors.add(
            "reason",
            format!("Keep the reason under {REASON_MAX} characters."),
        );
    }
    if form.confirm.is_none() {
        errors.add(
            "confirm",
            "Tick the box to confirm that you want to withdraw consent.",
        );
    }
    if errors.is_empty() {
        Ok((!reason.is_empty()).then(|| reason.to_owned()))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn facts(
        latest: Option<i32>,
        signed: Option<(i32, OffsetDateTime)>,
        withdrawn: Option<OffsetDateTime>,
    ) -> ConsentFacts {
        ConsentFacts {
            latest_version: latest,
            signed_version: signed.map(|s| s.0),
            signed_at: signed.map(|s| s.1),
            withdrawn_at: withdrawn,
        }
    }

    const MONDAY: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);
    const TUESDAY: OffsetDateTime = datetime!(2026-11-24 10:00 UTC);

    #[test]
    fn never_signed_is_none() {
        assert_eq!(
            consent_status(&facts(Some(1), None, None)),
            ConsentStatus::None
        );
        assert_eq!(
            consent_status(&facts(None, None, None)),
            ConsentStatus::None
        );
    }

    #[test]
    fn signing_the_newest_version_is_current() {
        assert_eq!(
            consent_status(&facts(Some(2), Some((2, MONDAY)), None)),
            ConsentStatus::Current { version: 2 }
        );
    }

    #[test]
    fn a_newer_version_makes_the_signature_outdated() {
        assert_eq!(
            consent_status(&facts(Some(3), Some((2, MONDAY)), None)),
            ConsentStatus::Outdated {
                signed: 2,
                latest: 3
            }
        );
    }

    #[test]
    fn withdrawal_after_signing_is_withdrawn_and_signing_again_restores() {
        assert_eq!(
            consent_status(&facts(Some(1), Some((1, MONDAY)), Some(TUESDAY))),
            ConsentStatus::Withdrawn { at: TUESDAY }
        );
        assert_eq!(
            consent_status(&facts(Some(1), Some((1, TUESDAY)), Some(MONDAY))),
            ConsentStatus::Current { version: 1 }
        );
        // A withdrawal with no signature at all (staff recorded it) still reads as withdrawn.
        assert_eq!(
            consent_status(&facts(Some(1), None, Some(MONDAY))),
            ConsentStatus::Withdrawn { at: MONDAY }
        );
    }

    #[test]
    fn statuses_read_plainly() {
        assert_eq!(ConsentStatus::None.label(), "Not signed");
        assert_eq!(ConsentStatus::Current { version: 2 }.tone(), "ok");
        assert!(
            ConsentStatus::Outdated {
                signed: 1,
                latest: 2
            }
            .label()
            .contains("version 2 needs signing")
        );
        assert_eq!(ConsentStatus::Withdrawn { at: MONDAY }.tone(), "alert");
    }

    #[test]
    fn names_match_ignoring_case_and_extra_spaces() {
        assert!(same_name("  maria   de la CRUZ ", "Maria de la Cruz"));
        assert!(same_name("ÉMILE ZOLA", "Émile Zola"));
        assert!(!same_name("Maria Cruz", "Maria de la Cruz"));
        assert!(!same_name("   ", ""));
    }

    #[test]
    fn the_hash_is_sha256_of_the_normalized_text() {
        assert_eq!(
            text_sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(normalize_text("a\r\nb\rc  \n\n"), "a\nb\nc");
    }

    #[test]
    fn markdown_is_rendered_and_stripped_of_anything_active() {
        let html = render_document(
            "## Risks\n\n- **nausea**\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        );
        assert!(html.contains("<h2>Risks</h2>"));
        assert!(html.contains("<strong>nausea</strong>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("javascript:"));
        assert!(!html.contains("onerror"));
    }

    #[test]
    fn drafts_need_a_title_and_text() {
        let errors = check_draft(&DraftForm::default()).unwrap_err();
        assert!(errors.get("title").is_some());
        assert!(errors.get("body").is_some());
        let long = DraftForm {
            title: "x".repeat(TITLE_MAX + 1),
            body: "text".into(),
        };
        assert!(check_draft(&long).unwrap_err().get("title").is_some());
        let draft = check_draft(&DraftForm {
            title: " Consent ".into(),
            body: "Line\r\n".into(),
        })
        .unwrap();
        assert_eq!(
            draft,
            Draft {
                title: "Consent".into(),
                body: "Line".into()
            }
        );
    }

    fn context() -> SigningContext<'static> {
        SigningContext {
            version_id: 7,
            text_sha256: "abc",
            name_on_record: "Ada Lovelace",
            unticked: PATIENT_UNTICKED,
        }
    }

    fn form(name: &str, ticked: bool, version: i64) -> SignForm {
        SignForm {
            printed_name: name.into(),
            understood: ticked.then(|| "yes".into()),
            version_id: version.to_string(),
            text_sha256: "abc".into(),
        }
    }

    #[test]
    fn a_signature_needs_the_matching_name_the_box_and_the_current_text() {
        assert!(check_signature(&form("ada  LOVELACE", true, 7), &context()).is_ok());
        let errors = check_signature(&form("Ada Byron", false, 7), &context()).unwrap_err();
        assert!(errors.get("printed_name").unwrap().contains("must match"));
        assert!(errors.get("understood").is_some());
        assert!(errors.get("document").is_none());
        let stale = check_signature(&form("Ada Lovelace", true, 6), &context()).unwrap_err();
        assert!(stale.get("document").unwrap().contains("updated"));
        let empty = check_signature(&form("", true, 7), &context()).unwrap_err();
        assert!(empty.get("printed_name").unwrap().contains("Type your"));
    }

    #[test]
    fn withdrawal_needs_confirmation_and_a_reason_is_optional() {
        let unconfirmed = WithdrawForm {
            reason: String::new(),
            confirm: None,
        };
        assert!(
            check_withdrawal(&unconfirmed)
                .unwrap_err()
                .get("confirm")
                .is_some()
        );
        let confirmed = WithdrawForm {
            reason: "  moving away ".into(),
            confirm: Some("yes".into()),
        };
        assert_eq!(
            check_withdrawal(&confirmed).unwrap(),
            Some("moving away".into())
        );
        let too_long = WithdrawForm {
            reason: "x".repeat(REASON_MAX + 1),
            confirm: Some("yes".into()),
        };
        assert!(
            check_withdrawal(&too_long)
                .unwrap_err()
                .get("reason")
                .is_some()
        );
    }

    #[test]
    fn a_nul_in_a_draft_or_a_withdrawal_is_refused_on_its_field() {
        let errors = check_draft(&DraftForm {
            title: "Consent".into(),
            body: "Read\0 this.".into(),
        })
        .unwrap_err();
        assert_eq!(errors.get("body"), Some(crate::core::params::UNSTORABLE));
        assert_eq!(errors.get("title"), None);
        let errors = check_withdrawal(&WithdrawForm {
            reason: "changed\0 my mind".into(),
            confirm: Some("yes".into()),
        })
        .unwrap_err();
        assert_eq!(errors.get("reason"), Some(crate::core::params::UNSTORABLE));
    }

    #[test]
    fn only_a_signed_consent_not_withdrawn_since_can_be_withdrawn() {
        assert!(can_withdraw(ConsentStatus::Current { version: 2 }));
        assert!(can_withdraw(ConsentStatus::Outdated {
            signed: 1,
            latest: 2
        }));
        assert!(!can_withdraw(ConsentStatus::None));
        assert!(!can_withdraw(ConsentStatus::Withdrawn { at: MONDAY }));
    }

    #[test]
    fn a_published_text_is_for_everyone_signed_in_and_a_draft_for_admins() {
        for role in [Role::Patient, Role::FrontDesk, Role::Clinician, Role::Admin] {
            assert!(may_read_text(true, role));
        }
        assert!(may_read_text(false, Role::Admin));
        assert!(!may_read_text(false, Role::Clinician));
        assert!(!may_read_text(false, Role::Patient));
    }
}
