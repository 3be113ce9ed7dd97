//! The QuestionnaireResponse resource: a patient's answers as given. Pure: no I/O.

use serde::Serialize;
use time::OffsetDateTime;

use super::model::{Coding, Id, Instant, LinkId, Ref, Resource};
use super::questionnaire::{Canonical, Form};

/// A stored questionnaire result: answers in item order, `None` where unanswered.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseRow {
    pub id: i64,
    pub instrument: String,
    pub version: String,
    pub answers: Vec<Option<i16>>,
    pub total: Option<i16>,
    pub recorded_at: OffsetDateTime,
}

#[derive(Debug, Serialize)]
pub struct Answer {
    #[serde(rename = "valueCoding")]
    pub value_coding: &'static Coding<'static>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseItem {
    pub link_id: LinkId,
    pub text: &'static str,
    pub answer: [Answer; 1],
}

#[derive(Debug, Serialize)]
#[serde(
    tag = "resourceType",
    rename = "QuestionnaireResponse",
    rename_all = "camelCase"
)]
pub struct QuestionnaireResponse<'a> {
    pub id: Id,
    pub questionnaire: Canonical<'a>,
    pub status: &'static str,
    pub subject: Ref,
    pub authored: Instant,
    pub author: Ref,
    pub source: Ref,
    pub item: Vec<ResponseItem>,
}

impl Resource for QuestionnaireResponse<'_> {
    fn id(&self) -> Id {
        self.id
    }
}

/// The patient's answers as given (items left unanswered, such as skipped C-SSRS questions,
/// are left out). The patient filled it in: they are its author and source.
pub fn questionnaire_response<'a>(
    base: &'a str,
    patient_id: i64,
    form: &Form,
    row: &'a ResponseRow,
) -> QuestionnaireResponse<'a> {
    let item = form
        .items
        .iter()
        .zip(&row.answers)
        .filter_map(|(item, answer)| {
            let value_coding = form.scale.answer((*answer)?)?;
            Some(ResponseItem {
                link_id: LinkId(item.number),
                text: item.text,
                answer: [Answer { value_coding }],
            })
        })
        .collect();
    let patient = Ref(Id::Patient(patient_id));
    QuestionnaireResponse {
        id: Id::Response(row.id),
        questionnaire: Canonical {
            base,
            slug: form.slug,
            version: Some(&row.version),
        },
        status: "completed",
        subject: patient,
        authored: Instant(row.recorded_at),
        author: patient,
        source: patient,
        item,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::questionnaire::form;
    use serde_json::Value;
    use time::macros::datetime;

    const BASE: &str = "https://clinic.example/fhir";

    fn json(value: &impl Serialize) -> Value {
        serde_json::to_value(value).unwrap()
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
    fn a_response_holds_the_answers_given_and_leaves_out_skipped_items() {
        let form = form("cssrs").unwrap();
        let row = response(
            "cssrs",
            vec![Some(1), Some(0), None, None, None, Some(0), None],
            Some(1),
        );
        let answered = json(&questionnaire_response(BASE, 7, &form, &row));
        assert_eq!(answered["resourceType"], "QuestionnaireResponse");
        assert_eq!(answered["id"], "response-12");
        assert_eq!(answered["status"], "completed");
        assert_eq!(
            answered["questionnaire"],
            format!("{BASE}/Questionnaire/cssrs|1")
        );
        assert_eq!(answered["authored"], "2024-03-01T09:30:00Z");
        assert_eq!(answered["author"]["reference"], "Patient/patient-7");
        let items = answered["item"].as_array().unwrap();
        let link_ids: Vec<&str> = items
            .iter()
            .map(|i| i["linkId"].as_str().unwrap())
            .collect();
        assert_eq!(link_ids, ["1", "2", "6"]);
        assert_eq!(items[0]["answer"][0]["valueCoding"]["code"], "LA33-6");
        assert_eq!(items[1]["answer"][0]["valueCoding"]["code"], "LA32-8");
    }
}
