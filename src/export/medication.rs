//! The MedicationAdministration resource, with the ketamine given as its contained
//! Medication (RxNorm code and lot). Pure: no I/O.

use serde::Serialize;
use time::OffsetDateTime;

use super::model::{
    Coding, Concept, Id, Instant, LocalRef, Number, Period, Quantity, RXNORM, Ref, Resource,
    SNOMED, Unit, coding,
};
use crate::flowsheet::model as treatment;

/// An infusion record as far as it went: check-in, the order and the administration.
#[derive(Clone, Debug, PartialEq)]
pub struct InfusionRow {
    pub id: i64,
    pub appointment_id: i64,
    pub checked_in_at: Option<OffsetDateTime>,
    pub weight_kg: Option<f64>,
    /// What was given: the amount recorded at the end, else the order's dose.
    pub dose_mg: Option<f64>,
    /// What was ordered.
    pub ordered_mg: Option<f64>,
    pub mg_per_kg: Option<f64>,
    pub minutes: Option<i32>,
    pub route: Option<String>,
    pub lot_number: Option<String>,
    pub ordered_by: Option<i64>,
    pub started_at: Option<OffsetDateTime>,
    pub ended_at: Option<OffsetDateTime>,
}

static KETAMINE: [Coding<'static>; 1] = [coding(RXNORM, "6130", "ketamine")];
static INTRAVENOUS: [Coding<'static>; 1] = [coding(SNOMED, "47625008", "Intravenous route")];
static INTRAMUSCULAR: [Coding<'static>; 1] = [coding(SNOMED, "78421000", "Intramuscular route")];
static NASAL: [Coding<'static>; 1] = [coding(SNOMED, "46713006", "Nasal route")];

/// The SNOMED CT route of a stored route code (`dose_route`).
pub fn route(code: &str) -> Option<&'static [Coding<'static>]> {
    match treatment::Route::parse(code)? {
        treatment::Route::Iv => Some(&INTRAVENOUS),
        treatment::Route::Im => Some(&INTRAMUSCULAR),
        treatment::Route::Intranasal => Some(&NASAL),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch<'a> {
    pub lot_number: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(tag = "resourceType", rename = "Medication")]
pub struct Medication<'a> {
    pub id: &'static str,
    pub code: Concept<'static>,
    pub batch: Batch<'a>,
}

#[derive(Debug, Serialize)]
pub struct Performer {
    pub actor: Ref,
}

#[derive(Debug, Serialize)]
pub struct Dosage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<Concept<'static>>,
    pub dose: Quantity,
}

#[derive(Debug, Serialize)]
#[serde(
    tag = "resourceType",
    rename = "MedicationAdministration",
    rename_all = "camelCase"
)]
pub struct MedicationAdministration<'a> {
    pub id: Id,
    pub contained: [Medication<'a>; 1],
    pub status: &'static str,
    pub medication_reference: LocalRef,
    pub subject: Ref,
    pub supporting_information: [Ref; 1],
    pub effective_period: Period,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performer: Option<[Performer; 1]>,
    pub dosage: Dosage,
}

impl Resource for MedicationAdministration<'_> {
    fn id(&self) -> Id {
        self.id
    }
}

/// The ketamine given, for an infusion that was started (an order never started was never
/// given: it has no administration). Completed once it ended, else still in progress.
///
/// R4's MedicationAdministration has no lot number, and `medication[x]` is either a code or a
/// reference, not both. The lot belongs to the medication (`Medication.batch.lotNumber`), so
/// every administration carries a contained Medication, coded as ketamine (RxNorm 6130) with
/// its batch, and points at it with `medicationReference`: one way for every infusion, and
/// the code and the lot travel together.
pub fn administration(patient_id: i64, row: &InfusionRow) -> Option<MedicationAdministration<'_>> {
    let started = row.started_at?;
    let dose = row.dose_mg?;
    // The order in words, and what of it was given when that was less.
    let less = row
        .ordered_mg
        .filter(|ordered| (ordered - dose).abs() >= 0.05)
        .map(|ordered| {
            format!(
                "; {} mg given of {} mg ordered",
                treatment::plain_number(dose),
                treatment::plain_number(ordered)
            )
        })
        .unwrap_or_default();
    let text = match (row.mg_per_kg, row.minutes) {
        (Some(per_kg), Some(minutes)) => Some(format!(
            "{} mg/kg over {minutes} minutes{less}",
            treatment::plain_number(per_kg)
        )),
        _ => None,
    };
    Some(MedicationAdministration {
        id: Id::Administration(row.id),
        contained: [Medication {
            id: "ketamine",
            code: Concept::of(&KETAMINE),
            batch: Batch {
                lot_number: row.lot_number.as_deref().unwrap_or("unknown"),
            },
        }],
        status: if row.ended_at.is_some() {
            "completed"
        } else {
            "in-progress"
        },
        medication_reference: LocalRef {
            reference: "#ketamine",
        },
        subject: Ref(Id::Patient(patient_id)),
        supporting_information: [Ref(Id::Appointment(row.appointment_id))],
        effective_period: Period {
            start: Some(Instant(started)),
            end: row.ended_at.map(Instant),
        },
        performer: row.ordered_by.map(|staff| {
            [Performer {
                actor: Ref(Id::Practitioner(staff)),
            }]
        }),
        dosage: Dosage {
            text,
            route: row.route.as_deref().and_then(route).map(Concept::of),
            dose: Unit::Milligrams.of(Number::Decimal(dose)),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::model::UCUM;
    use crate::export::observation;
    use serde_json::{Value, json};
    use time::macros::datetime;

    fn json(value: &impl Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    fn infusion() -> InfusionRow {
        InfusionRow {
            id: 55,
            appointment_id: 90,
            checked_in_at: Some(datetime!(2024-03-05 19:02 UTC)),
            weight_kg: Some(72.4),
            dose_mg: Some(36.2),
            ordered_mg: Some(36.2),
            mg_per_kg: Some(0.5),
            minutes: Some(40),
            route: Some("iv".to_owned()),
            lot_number: Some("KET-2403-11".to_owned()),
            ordered_by: Some(3),
            started_at: Some(datetime!(2024-03-05 19:08 UTC)),
            ended_at: Some(datetime!(2024-03-05 19:48 UTC)),
        }
    }

    #[test]
    fn an_infusion_is_ketamine_in_mg_by_route_with_its_lot() {
        let row = infusion();
        let given = json(&administration(7, &row).unwrap());
        assert_eq!(given["resourceType"], "MedicationAdministration");
        assert_eq!(given["id"], "infusion-55");
        assert_eq!(given["status"], "completed");
        assert_eq!(given["medicationReference"]["reference"], "#ketamine");
        let medication = &given["contained"][0];
        assert_eq!(medication["resourceType"], "Medication");
        assert_eq!(medication["id"], "ketamine");
        assert_eq!(
            medication["code"]["coding"][0],
            json!({"system": RXNORM, "code": "6130", "display": "ketamine"})
        );
        assert_eq!(medication["batch"]["lotNumber"], "KET-2403-11");
        assert_eq!(
            given["effectivePeriod"],
            json!({"start": "2024-03-05T19:08:00Z", "end": "2024-03-05T19:48:00Z"})
        );
        assert_eq!(given["dosage"]["route"]["coding"][0]["code"], "47625008");
        assert_eq!(given["dosage"]["route"]["coding"][0]["system"], SNOMED);
        assert_eq!(
            given["dosage"]["dose"],
            json!({"value": 36.2, "unit": "mg", "system": UCUM, "code": "mg"})
        );
        assert_eq!(given["dosage"]["text"], "0.5 mg/kg over 40 minutes");
        assert_eq!(
            given["performer"][0]["actor"]["reference"],
            "Practitioner/staff-3"
        );
        assert_eq!(
            given["supportingInformation"][0]["reference"],
            "Appointment/appointment-90"
        );

        let weight = json(&observation::weight(7, &row).unwrap());
        assert_eq!(weight["id"], "infusion-55-weight");
        assert_eq!(weight["code"]["coding"][0]["code"], "29463-7");
        assert_eq!(
            weight["valueQuantity"],
            json!({"value": 72.4, "unit": "kg", "system": UCUM, "code": "kg"})
        );
        assert_eq!(weight["effectiveDateTime"], "2024-03-05T19:02:00Z");

        let running = InfusionRow {
            ended_at: None,
            ..infusion()
        };
        assert_eq!(
            json(&administration(7, &running).unwrap())["status"],
            "in-progress"
        );
        let never_started = InfusionRow {
            started_at: None,
            ..infusion()
        };
        assert!(administration(7, &never_started).is_none());
        // Stopped early: the dose is what was given, the text says what was ordered.
        let stopped = InfusionRow {
            dose_mg: Some(20.0),
            ..infusion()
        };
        let stopped = json(&administration(7, &stopped).unwrap());
        assert_eq!(stopped["dosage"]["dose"]["value"], 20.0);
        assert_eq!(
            stopped["dosage"]["text"],
            "0.5 mg/kg over 40 minutes; 20 mg given of 36.2 mg ordered"
        );
        let not_weighed = InfusionRow {
            weight_kg: None,
            ..infusion()
        };
        assert!(observation::weight(7, &not_weighed).is_none());
    }

    #[test]
    fn every_route_the_app_has_is_a_snomed_route() {
        let expected = [
            ("iv", "47625008"),
            ("im", "78421000"),
            ("intranasal", "46713006"),
        ];
        for (route_code, snomed) in expected {
            let coding = route(route_code).unwrap();
            assert_eq!(coding[0].code, snomed);
            assert_eq!(coding[0].system, SNOMED);
        }
        assert_eq!(treatment::Route::ALL.len(), expected.len());
        assert!(route("oral").is_none());
    }
}
