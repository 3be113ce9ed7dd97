//! The FHIR R4 vocabulary every resource of the export shares: code systems, ids and
//! references, data types (instants, codings, quantities) and the units. Pure: no I/O. Each
//! resource lives in its own file beside this one and is a typed struct that borrows from its
//! row and serialises straight to FHIR JSON, so a bundle of 40,000 resources is written
//! without building a JSON tree.
//!
//! Ids come from the database ids and the kind of resource (`vitals-1234-bp`), never from a
//! random source, so exporting the same record twice gives the same ids.

use std::fmt;

use serde::{Serialize, Serializer};
use time::{Date, OffsetDateTime, UtcOffset};

pub const LOINC: &str = "http://loinc.org";
pub const UCUM: &str = "http://unitsofmeasure.org";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";

/// Where the export's resources live when none is configured (CLINIC_PUBLIC_URL): a fixed
/// address, so ids and full URLs stay the same from one export to the next. `.invalid` is
/// reserved: it can never be mistaken for a real server.
pub const DEFAULT_BASE: &str = "https://clinic.invalid";

/// The FHIR base of the export: the clinic's public address followed by `/fhir`.
pub fn fhir_base(public_url: Option<&str>) -> String {
    let url = public_url
        .map(|u| u.trim().trim_end_matches('/'))
        .filter(|u| !u.is_empty())
        .unwrap_or(DEFAULT_BASE);
    format!("{url}/fhir")
}

// --- ids and references ---------------------------------------------------------------------

/// One of the four vital signs taken together at each reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    BloodPressure,
    HeartRate,
    OxygenSaturation,
    RespiratoryRate,
}

impl Sign {
    pub const ALL: [Sign; 4] = [
        Sign::BloodPressure,
        Sign::HeartRate,
        Sign::OxygenSaturation,
        Sign::RespiratoryRate,
    ];

    fn suffix(self) -> &'static str {
        match self {
            Sign::BloodPressure => "bp",
            Sign::HeartRate => "hr",
            Sign::OxygenSaturation => "spo2",
            Sign::RespiratoryRate => "rr",
        }
    }
}

/// Which observation a questionnaire's score gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Score {
    Total,
    Item9,
}

/// A resource's id: its kind and the database id it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Id {
    Patient(i64),
    /// A member of staff, by user id.
    Practitioner(i64),
    Questionnaire {
        slug: &'static str,
        version: &'static str,
    },
    /// A `questionnaire_results` row.
    Response(i64),
    /// A score of a `questionnaire_results` row.
    Score(i64, Score),
    /// A patient's signature of a consent version.
    Signature(i64),
    Withdrawal(i64),
    Appointment(i64),
    /// An infusion record's administration.
    Administration(i64),
    /// The weight taken at an infusion record's check-in.
    Weight(i64),
    /// One sign of a vitals reading.
    Vitals(i64, Sign),
    /// An allergy a screening lists, by its position from 1; `None` for the statement that
    /// there is no known allergy.
    Allergy(i64, Option<usize>),
}

impl Id {
    pub fn resource_type(self) -> &'static str {
        match self {
            Id::Patient(_) => "Patient",
            Id::Practitioner(_) => "Practitioner",
            Id::Questionnaire { .. } => "Questionnaire",
            Id::Response(_) => "QuestionnaireResponse",
            Id::Score(..) | Id::Weight(_) | Id::Vitals(..) => "Observation",
            Id::Signature(_) | Id::Withdrawal(_) => "Consent",
            Id::Appointment(_) => "Appointment",
            Id::Administration(_) => "MedicationAdministration",
            Id::Allergy(..) => "AllergyIntolerance",
        }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Patient(n) => write!(f, "patient-{n}"),
            Id::Practitioner(n) => write!(f, "staff-{n}"),
            Id::Questionnaire { slug, version } => write!(f, "{slug}-v{version}"),
            Id::Response(n) => write!(f, "response-{n}"),
            Id::Score(n, Score::Total) => write!(f, "response-{n}-total"),
            Id::Score(n, Score::Item9) => write!(f, "response-{n}-item9"),
            Id::Signature(n) => write!(f, "consent-{n}"),
            Id::Withdrawal(n) => write!(f, "consent-withdrawal-{n}"),
            Id::Appointment(n) => write!(f, "appointment-{n}"),
            Id::Administration(n) => write!(f, "infusion-{n}"),
            Id::Weight(n) => write!(f, "infusion-{n}-weight"),
            Id::Vitals(n, sign) => write!(f, "vitals-{n}-{}", sign.suffix()),
            Id::Allergy(n, Some(position)) => write!(f, "allergy-{n}-{position}"),
            Id::Allergy(n, None) => write!(f, "allergy-{n}-none"),
        }
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// What every resource of the bundle has: its id (and so its type and full URL).
pub trait Resource: Serialize {
    fn id(&self) -> Id;
}

/// An entry's `fullUrl`: `{base}/{Type}/{id}`, stable like the id (a `urn:uuid:` would not be).
#[derive(Clone, Copy, Debug)]
pub struct FullUrl<'a> {
    pub base: &'a str,
    pub id: Id,
}

impl fmt::Display for FullUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.base, self.id.resource_type(), self.id)
    }
}

impl Serialize for FullUrl<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One entry of the bundle.
#[derive(Serialize)]
pub struct Entry<'a, R> {
    #[serde(rename = "fullUrl")]
    pub full_url: FullUrl<'a>,
    pub resource: &'a R,
}

/// `Type/id`: a reference relative to the bundle's base, resolved by the entries' full URLs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ref(pub Id);

impl Serialize for Ref {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Path(Id);
        impl fmt::Display for Path {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}/{}", self.0.resource_type(), self.0)
            }
        }
        impl Serialize for Path {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
        let mut reference = serializer.serialize_struct("Reference", 1)?;
        reference.serialize_field("reference", &Path(self.0))?;
        reference.end()
    }
}

/// A reference to a resource contained in this one (`#id`).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct LocalRef {
    pub reference: &'static str,
}

// --- data types -----------------------------------------------------------------------------

/// A point in time, written in UTC (`2024-05-01T19:04:00Z`, microseconds when there are any).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instant(pub OffsetDateTime);

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0.to_offset(UtcOffset::UTC);
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )?;
        if t.microsecond() != 0 {
            write!(f, ".{:06}", t.microsecond())?;
        }
        f.write_str("Z")
    }
}

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A calendar date (`1980-05-17`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day(pub Date);

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        serializer.collect_str(&format_args!(
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        ))
    }
}

/// A number as a string of digits: a questionnaire item's link id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkId(pub u8);

impl Serialize for LinkId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Coding<'a> {
    /// Left out when empty: answer codes the questionnaire itself defines have no system.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub system: &'a str,
    pub code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<&'a str>,
}

pub const fn coding(
    system: &'static str,
    code: &'static str,
    display: &'static str,
) -> Coding<'static> {
    Coding {
        system,
        code,
        display: Some(display),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Concept<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub coding: &'a [Coding<'a>],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<&'a str>,
}

impl<'a> Concept<'a> {
    pub const fn of(coding: &'a [Coding<'a>]) -> Self {
        Concept { coding, text: None }
    }

    pub const fn text(text: &'a str) -> Self {
        Concept {
            coding: &[],
            text: Some(text),
        }
    }

    /// Whether any coding is `system|code`.
    pub fn has(&self, system: &str, code: &str) -> bool {
        self.coding
            .iter()
            .any(|c| c.system == system && c.code == code)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Number {
    Integer(i64),
    Decimal(f64),
}

/// A measured amount in UCUM: `unit` is for people, `code` the UCUM code.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Quantity {
    pub value: Number,
    pub unit: &'static str,
    pub system: &'static str,
    pub code: &'static str,
}

/// UCUM units of the export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    MillimetresOfMercury,
    BeatsPerMinute,
    BreathsPerMinute,
    Percent,
    Kilograms,
    Milligrams,
    Score,
}

impl Unit {
    pub fn ucum(self) -> &'static str {
        match self {
            Unit::MillimetresOfMercury => "mm[Hg]",
            Unit::BeatsPerMinute | Unit::BreathsPerMinute => "/min",
            Unit::Percent => "%",
            Unit::Kilograms => "kg",
            Unit::Milligrams => "mg",
            Unit::Score => "{score}",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Unit::MillimetresOfMercury => "mmHg",
            Unit::BeatsPerMinute => "beats/minute",
            Unit::BreathsPerMinute => "breaths/minute",
            Unit::Percent => "%",
            Unit::Kilograms => "kg",
            Unit::Milligrams => "mg",
            Unit::Score => "score",
        }
    }

    pub fn of(self, value: Number) -> Quantity {
        Quantity {
            value,
            unit: self.label(),
            system: UCUM,
            code: self.ucum(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Period {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Instant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<Instant>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Text<'a> {
    pub text: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use time::macros::{date, datetime};

    const BASE: &str = "https://clinic.example/fhir";

    fn json(value: &impl Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn ids_come_from_database_ids_and_kinds() {
        let cases = [
            (Id::Patient(7), "Patient", "patient-7"),
            (Id::Practitioner(3), "Practitioner", "staff-3"),
            (
                Id::Questionnaire {
                    slug: "phq9",
                    version: "1",
                },
                "Questionnaire",
                "phq9-v1",
            ),
            (Id::Response(12), "QuestionnaireResponse", "response-12"),
            (
                Id::Score(12, Score::Total),
                "Observation",
                "response-12-total",
            ),
            (
                Id::Score(12, Score::Item9),
                "Observation",
                "response-12-item9",
            ),
            (Id::Signature(4), "Consent", "consent-4"),
            (Id::Withdrawal(4), "Consent", "consent-withdrawal-4"),
            (Id::Appointment(9), "Appointment", "appointment-9"),
            (
                Id::Administration(5),
                "MedicationAdministration",
                "infusion-5",
            ),
            (Id::Weight(5), "Observation", "infusion-5-weight"),
            (
                Id::Vitals(1234, Sign::BloodPressure),
                "Observation",
                "vitals-1234-bp",
            ),
            (
                Id::Vitals(1234, Sign::HeartRate),
                "Observation",
                "vitals-1234-hr",
            ),
            (
                Id::Vitals(1234, Sign::OxygenSaturation),
                "Observation",
                "vitals-1234-spo2",
            ),
            (
                Id::Vitals(1234, Sign::RespiratoryRate),
                "Observation",
                "vitals-1234-rr",
            ),
            (
                Id::Allergy(31, Some(2)),
                "AllergyIntolerance",
                "allergy-31-2",
            ),
            (
                Id::Allergy(31, None),
                "AllergyIntolerance",
                "allergy-31-none",
            ),
        ];
        for (id, kind, text) in cases {
            assert_eq!(id.resource_type(), kind);
            assert_eq!(id.to_string(), text);
            // FHIR ids: letters, digits, '-' and '.', at most 64.
            assert!(
                text.len() <= 64
                    && text
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            );
        }
        let url = FullUrl {
            base: BASE,
            id: Id::Vitals(1234, Sign::BloodPressure),
        };
        assert_eq!(
            url.to_string(),
            "https://clinic.example/fhir/Observation/vitals-1234-bp"
        );
        assert_eq!(
            json(&Ref(Id::Patient(7))),
            json!({"reference": "Patient/patient-7"})
        );
    }

    #[test]
    fn the_base_is_the_public_address_or_a_fixed_one() {
        assert_eq!(fhir_base(Some("https://clinic.example/")), BASE);
        assert_eq!(fhir_base(Some("  ")), "https://clinic.invalid/fhir");
        assert_eq!(fhir_base(None), "https://clinic.invalid/fhir");
    }

    #[test]
    fn instants_are_utc_with_microseconds_only_when_there_are_any() {
        assert_eq!(
            Instant(datetime!(2024-03-05 14:04:09 -5)).to_string(),
            "2024-03-05T19:04:09Z"
        );
        assert_eq!(
            Instant(datetime!(2024-03-05 19:04:09.25 UTC)).to_string(),
            "2024-03-05T19:04:09.250000Z"
        );
        assert_eq!(json(&Day(date!(1980 - 05 - 07))), json!("1980-05-07"));
    }
}
