//! The Patient resource: the clinic's patient number, names, contact details, emergency
//! contact and the US Core birth sex. Pure: no I/O.

use serde::Serialize;
use time::Date;

use super::model::{Coding, Concept, Day, Id, Resource, Text, coding};
use crate::patients::model::SexAtBirth;

const CONTACT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/v2-0131";
const BIRTH_SEX: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex";

/// The patient as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct PatientRow {
    pub id: i64,
    pub legal_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: Date,
    pub sex_at_birth: Option<SexAtBirth>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Extension {
    pub url: &'static str,
    #[serde(rename = "valueCode")]
    pub value_code: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Identifier {
    pub system: String,
    pub value: String,
}

#[derive(Debug, Serialize)]
pub struct HumanName<'a> {
    #[serde(rename = "use")]
    pub name_use: &'static str,
    pub text: &'a str,
}

#[derive(Debug, Serialize)]
pub struct ContactPoint<'a> {
    pub system: &'static str,
    pub value: &'a str,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub point_use: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct ContactPerson<'a> {
    pub relationship: [Concept<'static>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Text<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "resourceType", rename = "Patient", rename_all = "camelCase")]
pub struct Patient<'a> {
    pub id: Id,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    pub identifier: [Identifier; 1],
    pub name: Vec<HumanName<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint<'a>>,
    pub birth_date: Day,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<Text<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contact: Vec<ContactPerson<'a>>,
}

impl Resource for Patient<'_> {
    fn id(&self) -> Id {
        self.id
    }
}

static EMERGENCY_CONTACT: [Coding<'static>; 1] = [coding(CONTACT_ROLE, "C", "Emergency Contact")];

/// The US Core birth-sex code for the sex assigned at birth. Intersex has no code there (its
/// value set is F, M and UNK, "unknown", which would be wrong), so it is left out.
pub fn birth_sex(sex_at_birth: SexAtBirth) -> Option<&'static str> {
    match sex_at_birth {
        SexAtBirth::Female => Some("F"),
        SexAtBirth::Male => Some("M"),
        SexAtBirth::Intersex => None,
    }
}

/// The patient: the clinic's patient number, names, contact details and emergency contact.
/// Gender is left out: the clinic records the sex assigned at birth, not gender.
pub fn patient<'a>(base: &str, row: &'a PatientRow) -> Patient<'a> {
    let mut name = vec![HumanName {
        name_use: "official",
        text: &row.legal_name,
    }];
    if let Some(preferred) = row.preferred_name.as_deref().filter(|n| !n.is_empty()) {
        name.push(HumanName {
            name_use: "usual",
            text: preferred,
        });
    }
    let mut telecom = Vec::new();
    if let Some(phone) = row.phone.as_deref().filter(|p| !p.is_empty()) {
        telecom.push(ContactPoint {
            system: "phone",
            value: phone,
            point_use: None,
        });
    }
    if let Some(email) = row.email.as_deref() {
        telecom.push(ContactPoint {
            system: "email",
            value: email,
            point_use: None,
        });
    }
    let mut contact = Vec::new();
    let contact_name = row
        .emergency_contact_name
        .as_deref()
        .filter(|n| !n.is_empty());
    let contact_phone = row
        .emergency_contact_phone
        .as_deref()
        .filter(|p| !p.is_empty());
    if contact_name.is_some() || contact_phone.is_some() {
        contact.push(ContactPerson {
            relationship: [Concept::of(&EMERGENCY_CONTACT)],
            name: contact_name.map(|text| Text { text }),
            telecom: contact_phone
                .map(|value| ContactPoint {
                    system: "phone",
                    value,
                    point_use: None,
                })
                .into_iter()
                .collect(),
        });
    }
    Patient {
        id: Id::Patient(row.id),
        extension: row
            .sex_at_birth
            .and_then(birth_sex)
            .map(|value_code| Extension {
                url: BIRTH_SEX,
                value_code,
            })
            .into_iter()
            .collect(),
        identifier: [Identifier {
            system: format!("{base}/patient-number"),
            value: row.id.to_string(),
        }],
        name,
        telecom,
        birth_date: Day(row.date_of_birth),
        address: row
            .address
            .as_deref()
            .filter(|a| !a.is_empty())
            .map(|text| Text { text })
            .into_iter()
            .collect(),
        contact,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use time::macros::date;

    const BASE: &str = "https://clinic.example/fhir";

    fn json(value: &impl Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn the_patient_has_their_number_names_contacts_and_birth_sex() {
        let row = PatientRow {
            id: 7,
            legal_name: "Ann Example".to_owned(),
            preferred_name: Some("Annie".to_owned()),
            date_of_birth: date!(1984 - 03 - 27),
            sex_at_birth: Some(SexAtBirth::Female),
            phone: Some("+1 555 010 2000".to_owned()),
            email: Some("ann@clinic.test".to_owned()),
            address: Some("1 Main St".to_owned()),
            emergency_contact_name: Some("Bob Example".to_owned()),
            emergency_contact_phone: Some("555 010 3000".to_owned()),
        };
        let person = json(&patient(BASE, &row));
        assert_eq!(person["resourceType"], "Patient");
        assert_eq!(person["id"], "patient-7");
        assert_eq!(
            person["identifier"][0],
            json!({"system": format!("{BASE}/patient-number"), "value": "7"})
        );
        assert_eq!(
            person["name"][0],
            json!({"use": "official", "text": "Ann Example"})
        );
        assert_eq!(person["name"][1], json!({"use": "usual", "text": "Annie"}));
        assert_eq!(person["birthDate"], "1984-03-27");
        assert_eq!(person["extension"][0]["valueCode"], "F");
        assert_eq!(person["telecom"][1]["system"], "email");
        assert_eq!(
            person["contact"][0]["relationship"][0]["coding"][0]["code"],
            "C"
        );
        assert_eq!(person["contact"][0]["telecom"][0]["value"], "555 010 3000");
        assert_eq!(person.get("gender"), None);

        let sparse = PatientRow {
            preferred_name: None,
            sex_at_birth: Some(SexAtBirth::Intersex),
            phone: None,
            email: None,
            address: None,
            emergency_contact_name: None,
            emergency_contact_phone: None,
            ..row
        };
        let person = json(&patient(BASE, &sparse));
        for absent in ["extension", "telecom", "address", "contact"] {
            assert_eq!(person.get(absent), None, "{absent}");
        }
    }
}
