//! The Consent resource: a signature of a consent version (opt-in) and a withdrawal
//! (opt-out). Pure: no I/O.

use serde::Serialize;
use time::OffsetDateTime;

use super::model::{Coding, Concept, Id, Instant, LOINC, Period, Ref, Resource, coding};

const CONSENT_SCOPE: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

/// A patient's signature of a consent version, and what became of it.
#[derive(Clone, Debug, PartialEq)]
pub struct SignatureRow {
    pub id: i64,
    pub version_id: i64,
    pub version: i32,
    pub title: String,
    pub text_sha256: String,
    pub published_at: Option<OffsetDateTime>,
    pub signed_at: OffsetDateTime,
    /// The clinician who countersigned, if one has.
    pub countersigned_by: Option<i64>,
    /// The first withdrawal after this signature.
    pub withdrawn_at: Option<OffsetDateTime>,
    /// The patient's next signature (of a newer version), which replaced this one.
    pub replaced_at: Option<OffsetDateTime>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WithdrawalRow {
    pub id: i64,
    pub withdrawn_at: OffsetDateTime,
    /// Withdrawn by the patient themself (not by staff on their behalf).
    pub by_patient: bool,
    pub withdrawn_by: i64,
}

static TREATMENT: [Coding<'static>; 1] = [coding(CONSENT_SCOPE, "treatment", "Treatment")];
static PATIENT_CONSENT: [Coding<'static>; 1] = [coding(LOINC, "59284-0", "Patient Consent")];
static OPT_IN: [Coding<'static>; 1] = [coding(ACT_CODE, "OPTIN", "opt-in")];
static OPT_OUT: [Coding<'static>; 1] = [coding(ACT_CODE, "OPTOUT", "opt-out")];

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub content_type: &'static str,
    pub url: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation: Option<Instant>,
}

#[derive(Debug, Serialize)]
pub struct Provision {
    #[serde(rename = "type")]
    pub provision_type: &'static str,
    pub period: Period,
}

#[derive(Debug, Serialize)]
#[serde(tag = "resourceType", rename = "Consent", rename_all = "camelCase")]
pub struct Consent {
    pub id: Id,
    pub status: &'static str,
    pub scope: Concept<'static>,
    pub category: [Concept<'static>; 1],
    pub patient: Ref,
    pub date_time: Instant,
    pub performer: Vec<Ref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_attachment: Option<Attachment>,
    pub policy_rule: Concept<'static>,
    pub provision: Provision,
}

impl Resource for Consent {
    fn id(&self) -> Id {
        self.id
    }
}

/// The FHIR status of a signature: `active` while it stands, `inactive` ("terminated or
/// replaced") once the patient withdrew after signing it or signed a newer version.
pub fn signature_status(row: &SignatureRow) -> &'static str {
    if row.withdrawn_at.is_some() || row.replaced_at.is_some() {
        "inactive"
    } else {
        "active"
    }
}

/// A signature as a treatment consent: the patient opts in under the version they signed,
/// from the signature until it was withdrawn or replaced. The source is the exact text
/// signed (its address, and the SHA-256 the signature holds; `Attachment.hash` is SHA-1 in
/// R4, which the clinic does not keep, so the SHA-256 goes in the title). A countersigning
/// clinician is a performer beside the patient.
pub fn signature(base: &str, patient_id: i64, row: &SignatureRow) -> Consent {
    let site = base.strip_suffix("/fhir").unwrap_or(base);
    let mut performer = vec![Ref(Id::Patient(patient_id))];
    performer.extend(
        row.countersigned_by
            .map(|staff| Ref(Id::Practitioner(staff))),
    );
    let ended = match (row.withdrawn_at, row.replaced_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Consent {
        id: Id::Signature(row.id),
        status: signature_status(row),
        scope: Concept::of(&TREATMENT),
        category: [Concept::of(&PATIENT_CONSENT)],
        patient: Ref(Id::Patient(patient_id)),
        date_time: Instant(row.signed_at),
        performer,
        source_attachment: Some(Attachment {
            content_type: "text/markdown; charset=utf-8",
            url: format!("{site}/consent/versions/{}/text", row.version_id),
            title: format!(
                "{}, version {} (SHA-256 of the text: {})",
                row.title, row.version, row.text_sha256
            ),
            creation: row.published_at.map(Instant),
        }),
        policy_rule: Concept::of(&OPT_IN),
        provision: Provision {
            provision_type: "permit",
            period: Period {
                start: Some(Instant(row.signed_at)),
                end: ended.map(Instant),
            },
        },
    }
}

/// A withdrawal as its own consent record, status `rejected`: R4 defines it as "the consent
/// has been rejected by one or more of the parties", which is what a withdrawal is; the
/// signature it ends turns `inactive` ("terminated"). It denies treatment from then on
/// (opt-out); who withdrew is its performer.
pub fn withdrawal(patient_id: i64, row: &WithdrawalRow) -> Consent {
    Consent {
        id: Id::Withdrawal(row.id),
        status: "rejected",
        scope: Concept::of(&TREATMENT),
        category: [Concept::of(&PATIENT_CONSENT)],
        patient: Ref(Id::Patient(patient_id)),
        date_time: Instant(row.withdrawn_at),
        performer: vec![if row.by_patient {
            Ref(Id::Patient(patient_id))
        } else {
            Ref(Id::Practitioner(row.withdrawn_by))
        }],
        source_attachment: None,
        policy_rule: Concept::of(&OPT_OUT),
        provision: Provision {
            provision_type: "deny",
            period: Period {
                start: Some(Instant(row.withdrawn_at)),
                end: None,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use time::macros::datetime;

    const BASE: &str = "https://clinic.example/fhir";

    fn json(value: &impl Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    fn signed() -> SignatureRow {
        SignatureRow {
            id: 4,
            version_id: 2,
            version: 1,
            title: "Consent to ketamine treatment".to_owned(),
            text_sha256: "ab".repeat(32),
            published_at: Some(datetime!(2024-01-01 00:00 UTC)),
            signed_at: datetime!(2024-02-01 10:00 UTC),
            countersigned_by: Some(3),
            withdrawn_at: None,
            replaced_at: None,
        }
    }

    #[test]
    fn a_signature_is_an_active_treatment_consent_until_withdrawn_or_replaced() {
        let consent = json(&signature(BASE, 7, &signed()));
        assert_eq!(consent["resourceType"], "Consent");
        assert_eq!(consent["id"], "consent-4");
        assert_eq!(consent["status"], "active");
        assert_eq!(consent["scope"]["coding"][0]["code"], "treatment");
        assert_eq!(consent["category"][0]["coding"][0]["code"], "59284-0");
        assert_eq!(consent["policyRule"]["coding"][0]["code"], "OPTIN");
        assert_eq!(consent["provision"]["type"], "permit");
        assert_eq!(consent["provision"]["period"].get("end"), None);
        assert_eq!(consent["performer"][1]["reference"], "Practitioner/staff-3");
        assert_eq!(
            consent["sourceAttachment"]["url"],
            "https://clinic.example/consent/versions/2/text"
        );
        assert!(
            consent["sourceAttachment"]["title"]
                .as_str()
                .unwrap()
                .contains(&"ab".repeat(32))
        );

        let withdrawn = SignatureRow {
            withdrawn_at: Some(datetime!(2024-03-01 10:00 UTC)),
            ..signed()
        };
        let consent = json(&signature(BASE, 7, &withdrawn));
        assert_eq!(consent["status"], "inactive");
        assert_eq!(
            consent["provision"]["period"]["end"],
            "2024-03-01T10:00:00Z"
        );
        let replaced = SignatureRow {
            replaced_at: Some(datetime!(2024-02-15 10:00 UTC)),
            ..withdrawn
        };
        assert_eq!(signature_status(&replaced), "inactive");
        assert_eq!(
            json(&signature(BASE, 7, &replaced))["provision"]["period"]["end"],
            "2024-02-15T10:00:00Z"
        );

        let row = WithdrawalRow {
            id: 8,
            withdrawn_at: datetime!(2024-03-01 10:00 UTC),
            by_patient: true,
            withdrawn_by: 20,
        };
        let refusal = json(&withdrawal(7, &row));
        assert_eq!(refusal["id"], "consent-withdrawal-8");
        assert_eq!(refusal["status"], "rejected");
        assert_eq!(refusal["policyRule"]["coding"][0]["code"], "OPTOUT");
        assert_eq!(refusal["provision"]["type"], "deny");
        assert_eq!(refusal["performer"][0]["reference"], "Patient/patient-7");
        assert_eq!(refusal.get("sourceAttachment"), None);
    }
}
