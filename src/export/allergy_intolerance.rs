//! The AllergyIntolerance resource: the allergies the patient's latest screening records.
//! Pure: no I/O.

use serde::Serialize;
use time::OffsetDateTime;

use super::model::{Coding, Concept, Id, Instant, Ref, Resource, SNOMED, coding};
use crate::screening::rules::Allergies;

const ALLERGY_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
const ALLERGY_VERIFICATION: &str =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";

/// The allergies the patient's latest screening records (see `screening::db::latest_medicines`).
#[derive(Clone, Debug, PartialEq)]
pub struct AllergyRow {
    pub screening_id: i64,
    pub submitted_at: OffsetDateTime,
    pub allergies: Allergies,
}

static ACTIVE: [Coding<'static>; 1] = [coding(ALLERGY_CLINICAL, "active", "Active")];
static UNCONFIRMED: [Coding<'static>; 1] =
    [coding(ALLERGY_VERIFICATION, "unconfirmed", "Unconfirmed")];
pub static NO_KNOWN_ALLERGY: [Coding<'static>; 1] =
    [coding(SNOMED, "716186003", "No known allergy")];

#[derive(Debug, Serialize)]
#[serde(
    tag = "resourceType",
    rename = "AllergyIntolerance",
    rename_all = "camelCase"
)]
pub struct AllergyIntolerance<'a> {
    pub id: Id,
    pub clinical_status: Concept<'static>,
    pub verification_status: Concept<'static>,
    pub code: Concept<'a>,
    pub patient: Ref,
    pub recorded_date: Instant,
    /// The patient: they reported it in their screening.
    pub asserter: Ref,
}

impl Resource for AllergyIntolerance<'_> {
    fn id(&self) -> Id {
        self.id
    }
}

/// The screening's allergies: one per allergy in the patient's words (`code.text`, no code:
/// nobody has matched them to a substance), or one "No known allergy" (SNOMED CT 716186003);
/// none when the patient wrote nothing. All are active and unconfirmed, since only the
/// patient has said so; the screening's id and the position give stable ids.
pub fn allergy_intolerances(patient_id: i64, row: &AllergyRow) -> Vec<AllergyIntolerance<'_>> {
    let resource = |id, code| AllergyIntolerance {
        id,
        clinical_status: Concept::of(&ACTIVE),
        verification_status: Concept::of(&UNCONFIRMED),
        code,
        patient: Ref(Id::Patient(patient_id)),
        recorded_date: Instant(row.submitted_at),
        asserter: Ref(Id::Patient(patient_id)),
    };
    match &row.allergies {
        Allergies::NotRecorded => Vec::new(),
        Allergies::NoneKnown => vec![resource(
            Id::Allergy(row.screening_id, None),
            Concept::of(&NO_KNOWN_ALLERGY),
        )],
        Allergies::Listed(items) => (items.iter().enumerate())
            .map(|(at, words)| {
                resource(
                    Id::Allergy(row.screening_id, Some(at + 1)),
                    Concept::text(words),
                )
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use time::macros::datetime;

    fn json(value: &impl Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn each_allergy_the_patient_wrote_is_an_unconfirmed_active_allergy_intolerance() {
        let row = AllergyRow {
            screening_id: 31,
            submitted_at: datetime!(2026-03-01 10:15 UTC),
            allergies: crate::screening::rules::allergies("penicillin (rash); latex"),
        };
        let listed: Vec<Value> = allergy_intolerances(7, &row).iter().map(json).collect();
        assert_eq!(listed.len(), 2);
        assert_eq!(
            listed[0],
            json!({
                "resourceType": "AllergyIntolerance",
                "id": "allergy-31-1",
                "clinicalStatus": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                    "code": "active", "display": "Active"}]},
                "verificationStatus": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                    "code": "unconfirmed", "display": "Unconfirmed"}]},
                "code": {"text": "penicillin (rash)"},
                "patient": {"reference": "Patient/patient-7"},
                "recordedDate": "2026-03-01T10:15:00Z",
                "asserter": {"reference": "Patient/patient-7"},
            })
        );
        assert_eq!(listed[1]["id"], "allergy-31-2");
        assert_eq!(listed[1]["code"], json!({"text": "latex"}));
    }

    #[test]
    fn no_known_allergy_is_one_snomed_coded_statement_and_nothing_written_is_nothing() {
        let mut row = AllergyRow {
            screening_id: 31,
            submitted_at: datetime!(2026-03-01 10:15 UTC),
            allergies: Allergies::NoneKnown,
        };
        let none: Vec<Value> = allergy_intolerances(7, &row).iter().map(json).collect();
        assert_eq!(none.len(), 1);
        assert_eq!(none[0]["id"], "allergy-31-none");
        assert_eq!(
            none[0]["code"],
            json!({"coding": [{"system": "http://snomed.info/sct", "code": "716186003",
                               "display": "No known allergy"}]})
        );
        assert_eq!(none[0]["patient"]["reference"], "Patient/patient-7");
        assert_eq!(none[0]["clinicalStatus"]["coding"][0]["code"], "active");
        row.allergies = Allergies::NotRecorded;
        assert!(allergy_intolerances(7, &row).is_empty());
    }
}
