//! The Observation resource: questionnaire scores (survey), the vital signs of an infusion's
//! readings and the weight taken at check-in. Pure: no I/O.

use serde::Serialize;
use time::OffsetDateTime;

use super::medication::InfusionRow;
use super::model::{
    Coding, Concept, Id, Instant, LOINC, Number, Quantity, Ref, Resource, Score, Sign, Unit, coding,
};
use super::questionnaire::Scale;
use super::questionnaire_response::ResponseRow;

const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    pub code: Concept<'static>,
    pub value_quantity: Quantity,
}

#[derive(Debug, Serialize)]
#[serde(tag = "resourceType", rename = "Observation", rename_all = "camelCase")]
pub struct Observation {
    pub id: Id,
    /// The administration the reading was taken for, when the infusion was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_of: Option<[Ref; 1]>,
    pub status: &'static str,
    pub category: [Concept<'static>; 1],
    pub code: Concept<'static>,
    pub subject: Ref,
    pub effective_date_time: Instant,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_quantity: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_codeable_concept: Option<Concept<'static>>,
    /// The questionnaire response a score comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<[Ref; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<[Component; 2]>,
}

impl Resource for Observation {
    fn id(&self) -> Id {
        self.id
    }
}

static VITAL_SIGNS: [Coding<'static>; 1] =
    [coding(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")];
static SURVEY: [Coding<'static>; 1] = [coding(OBSERVATION_CATEGORY, "survey", "Survey")];

pub static PHQ9_TOTAL: [Coding<'static>; 1] = [coding(
    LOINC,
    "44261-6",
    "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
)];
pub static PHQ9_ITEM9: [Coding<'static>; 1] = [coding(
    LOINC,
    "44260-8",
    "Thoughts that you would be better off dead, or of hurting yourself in some way in last 2 weeks",
)];
pub static GAD7_TOTAL: [Coding<'static>; 1] = [coding(
    LOINC,
    "70274-6",
    "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
)];

fn survey(
    id: Id,
    patient_id: i64,
    code: &'static [Coding<'static>],
    row: &ResponseRow,
) -> Observation {
    Observation {
        id,
        part_of: None,
        status: "final",
        category: [Concept::of(&SURVEY)],
        code: Concept::of(code),
        subject: Ref(Id::Patient(patient_id)),
        effective_date_time: Instant(row.recorded_at),
        value_quantity: None,
        value_codeable_concept: None,
        derived_from: Some([Ref(Id::Response(row.id))]),
        component: None,
    }
}

/// The scores a response gives as observations: the PHQ-9 total and its item 9 (thoughts of
/// self-harm), the GAD-7 total. Totals are quantities in `{score}`; item 9 is the answer as
/// LOINC codes it (an ordinal, "Several days"...). An incomplete form has no total.
pub fn scores(patient_id: i64, row: &ResponseRow) -> Vec<Observation> {
    let mut scores = Vec::new();
    let total_code: &'static [Coding<'static>] = match row.instrument.as_str() {
        "phq9" => &PHQ9_TOTAL,
        "gad7" => &GAD7_TOTAL,
        _ => return scores,
    };
    if let Some(total) = row.total {
        let mut total_obs = survey(Id::Score(row.id, Score::Total), patient_id, total_code, row);
        total_obs.value_quantity = Some(Unit::Score.of(Number::Integer(i64::from(total))));
        scores.push(total_obs);
    }
    if row.instrument == "phq9"
        && let Some(answer) = row
            .answers
            .get(8)
            .copied()
            .flatten()
            .and_then(|value| Scale::Frequency.answer(value))
    {
        let mut item9 = survey(
            Id::Score(row.id, Score::Item9),
            patient_id,
            &PHQ9_ITEM9,
            row,
        );
        item9.value_codeable_concept = Some(Concept::of(std::slice::from_ref(answer)));
        scores.push(item9);
    }
    scores
}

/// One vitals reading of an infusion record.
#[derive(Clone, Debug, PartialEq)]
pub struct VitalsRow {
    pub id: i64,
    pub record_id: i64,
    pub taken_at: OffsetDateTime,
    pub systolic: i32,
    pub diastolic: i32,
    pub heart_rate: i32,
    pub spo2: i32,
    pub resp_rate: i32,
    /// The infusion was started, so there is an administration to be part of.
    pub administered: bool,
}

pub static BLOOD_PRESSURE: [Coding<'static>; 1] = [coding(
    LOINC,
    "85354-9",
    "Blood pressure panel with all children optional",
)];
pub static SYSTOLIC: [Coding<'static>; 1] = [coding(LOINC, "8480-6", "Systolic blood pressure")];
pub static DIASTOLIC: [Coding<'static>; 1] = [coding(LOINC, "8462-4", "Diastolic blood pressure")];
pub static HEART_RATE: [Coding<'static>; 1] = [coding(LOINC, "8867-4", "Heart rate")];
/// The R4 oxygen saturation profile's code, and the pulse oximetry code beside it.
pub static OXYGEN_SATURATION: [Coding<'static>; 2] = [
    coding(LOINC, "2708-6", "Oxygen saturation in Arterial blood"),
    coding(
        LOINC,
        "59408-5",
        "Oxygen saturation in Arterial blood by Pulse oximetry",
    ),
];
pub static RESPIRATORY_RATE: [Coding<'static>; 1] = [coding(LOINC, "9279-1", "Respiratory rate")];
pub static BODY_WEIGHT: [Coding<'static>; 1] = [coding(LOINC, "29463-7", "Body weight")];

fn vital(id: Id, patient_id: i64, at: OffsetDateTime, part_of: Option<i64>) -> Observation {
    Observation {
        id,
        part_of: part_of.map(|record| [Ref(Id::Administration(record))]),
        status: "final",
        category: [Concept::of(&VITAL_SIGNS)],
        code: Concept::of(&[]),
        subject: Ref(Id::Patient(patient_id)),
        effective_date_time: Instant(at),
        value_quantity: None,
        value_codeable_concept: None,
        derived_from: None,
        component: None,
    }
}

/// A reading as four observations: the blood-pressure panel (systolic and diastolic as its
/// components), heart rate, oxygen saturation and respiratory rate.
pub fn vitals(patient_id: i64, row: &VitalsRow) -> [Observation; 4] {
    let part_of = row.administered.then_some(row.record_id);
    let integer = |value: i32| Number::Integer(i64::from(value));
    Sign::ALL.map(|sign| {
        let mut obs = vital(Id::Vitals(row.id, sign), patient_id, row.taken_at, part_of);
        match sign {
            Sign::BloodPressure => {
                obs.code = Concept::of(&BLOOD_PRESSURE);
                obs.component = Some([
                    Component {
                        code: Concept::of(&SYSTOLIC),
                        value_quantity: Unit::MillimetresOfMercury.of(integer(row.systolic)),
                    },
                    Component {
                        code: Concept::of(&DIASTOLIC),
                        value_quantity: Unit::MillimetresOfMercury.of(integer(row.diastolic)),
                    },
                ]);
            }
            Sign::HeartRate => {
                obs.code = Concept::of(&HEART_RATE);
                obs.value_quantity = Some(Unit::BeatsPerMinute.of(integer(row.heart_rate)));
            }
            Sign::OxygenSaturation => {
                obs.code = Concept::of(&OXYGEN_SATURATION);
                obs.value_quantity = Some(Unit::Percent.of(integer(row.spo2)));
            }
            Sign::RespiratoryRate => {
                obs.code = Concept::of(&RESPIRATORY_RATE);
                obs.value_quantity = Some(Unit::BreathsPerMinute.of(integer(row.resp_rate)));
            }
        }
        obs
    })
}

/// The weight taken at check-in, when there was one.
pub fn weight(patient_id: i64, row: &InfusionRow) -> Option<Observation> {
    let (Some(at), Some(kg)) = (row.checked_in_at, row.weight_kg) else {
        return None;
    };
    let mut obs = vital(
        Id::Weight(row.id),
        patient_id,
        at,
        row.started_at.map(|_| row.id),
    );
    obs.code = Concept::of(&BODY_WEIGHT);
    obs.value_quantity = Some(Unit::Kilograms.of(Number::Decimal(kg)));
    Some(obs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::model::UCUM;
    use serde_json::{Value, json};
    use time::macros::datetime;

    fn json(value: &impl Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    fn reading() -> VitalsRow {
        VitalsRow {
            id: 1234,
            record_id: 55,
            taken_at: datetime!(2024-03-05 19:04 UTC),
            systolic: 128,
            diastolic: 82,
            heart_rate: 76,
            spo2: 98,
            resp_rate: 14,
            administered: true,
        }
    }

    #[test]
    fn a_reading_is_four_vital_signs_in_ucum_units() {
        let [bp, hr, spo2, rr] = vitals(7, &reading()).map(|o| json(&o));
        assert_eq!(bp["resourceType"], "Observation");
        assert_eq!(bp["id"], "vitals-1234-bp");
        assert_eq!(bp["status"], "final");
        assert_eq!(bp["category"][0]["coding"][0]["code"], "vital-signs");
        assert_eq!(bp["code"]["coding"][0]["code"], "85354-9");
        assert_eq!(bp["subject"]["reference"], "Patient/patient-7");
        assert_eq!(
            bp["partOf"][0]["reference"],
            "MedicationAdministration/infusion-55"
        );
        assert_eq!(bp["effectiveDateTime"], "2024-03-05T19:04:00Z");
        assert_eq!(bp.get("valueQuantity"), None);
        let systolic = &bp["component"][0];
        assert_eq!(systolic["code"]["coding"][0]["code"], "8480-6");
        assert_eq!(
            systolic["valueQuantity"],
            json!({"value": 128, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"})
        );
        assert_eq!(bp["component"][1]["code"]["coding"][0]["code"], "8462-4");
        assert_eq!(bp["component"][1]["valueQuantity"]["value"], 82);

        assert_eq!(hr["code"]["coding"][0]["code"], "8867-4");
        assert_eq!(hr["valueQuantity"]["value"], 76);
        assert_eq!(hr["valueQuantity"]["code"], "/min");
        let codes: Vec<&Value> = spo2["code"]["coding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["code"])
            .collect();
        assert_eq!(codes, [&json!("2708-6"), &json!("59408-5")]);
        assert_eq!(spo2["valueQuantity"]["code"], "%");
        assert_eq!(spo2["valueQuantity"]["value"], 98);
        assert_eq!(rr["code"]["coding"][0]["code"], "9279-1");
        assert_eq!(rr["valueQuantity"]["code"], "/min");
        assert_eq!(rr["valueQuantity"]["unit"], "breaths/minute");

        // Before an infusion starts there is no administration to be part of.
        let baseline = VitalsRow {
            administered: false,
            ..reading()
        };
        assert_eq!(json(&vitals(7, &baseline)[0]).get("partOf"), None);
    }

    fn response(instrument: &str, answers: Vec<Option<i16>>, total: Option<i16>) -> ResponseRow {
        ResponseRow {
            id: 12,
            instrument: instrument.to_owned(),
            version: "1".to_owned(),
            answers,
            total,
            recorded_at: datetime!(2024-03-01 09:30 UTC),
        }
    }

    #[test]
    fn phq9_gives_its_total_and_item_9_gad7_its_total() {
        let mut answers = vec![Some(1); 9];
        answers[8] = Some(2);
        let phq9 = response("phq9", answers, Some(10));
        let [total, item9] = <[Observation; 2]>::try_from(scores(7, &phq9)).unwrap();
        let (total, item9) = (json(&total), json(&item9));
        assert_eq!(total["id"], "response-12-total");
        assert_eq!(total["code"]["coding"][0]["code"], "44261-6");
        assert_eq!(total["category"][0]["coding"][0]["code"], "survey");
        assert_eq!(
            total["valueQuantity"],
            json!({"value": 10, "unit": "score", "system": UCUM, "code": "{score}"})
        );
        assert_eq!(
            total["derivedFrom"][0]["reference"],
            "QuestionnaireResponse/response-12"
        );
        assert_eq!(item9["code"]["coding"][0]["code"], "44260-8");
        assert_eq!(
            item9["valueCodeableConcept"]["coding"][0]["code"],
            "LA6570-1"
        );

        let gad7 = scores(7, &response("gad7", vec![Some(3); 7], Some(21)));
        assert_eq!(gad7.len(), 1);
        assert_eq!(json(&gad7[0])["code"]["coding"][0]["code"], "70274-6");
        assert_eq!(json(&gad7[0])["valueQuantity"]["value"], 21);

        // An incomplete form has no total; the C-SSRS has no score observation.
        let incomplete = response(
            "phq9",
            vec![Some(1), None, None, None, None, None, None, None, None],
            None,
        );
        assert!(scores(7, &incomplete).is_empty());
        assert!(scores(7, &response("cssrs", vec![Some(0); 7], Some(0))).is_empty());
    }
}
