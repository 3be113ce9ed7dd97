//! FHIR R4 resources built from plain rows: the codes, units and ids of the export. Pure: no
//! I/O. Each resource is a typed struct that borrows from its row and serialises straight to
//! FHIR JSON, so a bundle of 40,000 resources is written without building a JSON tree.
//!
//! Ids come from the database ids and the kind of resource (`vitals-1234-bp`), never from a
//! random source, so exporting the same record twice gives the same ids.

use std::fmt;

use serde::{Serialize, Serializer};
use time::{Date, OffsetDateTime, UtcOffset};

use crate::screening::instruments::{self, InstrumentId};
use crate::screening::rules::Allergies;
use crate::treatment::model as treatment;

pub const LOINC: &str = "http://loinc.org";
pub const UCUM: &str = "http://unitsofmeasure.org";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
const CONSENT_SCOPE: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const CONTACT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/v2-0131";
const APPOINTMENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0276";
const BIRTH_SEX: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex";
const ALLERGY_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
const ALLERGY_VERIFICATION: &str =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";

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

const fn coding(
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

// --- Patient and Practitioner ---------------------------------------------------------------

/// The patient as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct PatientRow {
    pub id: i64,
    pub legal_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: Date,
    pub sex_at_birth: Option<String>,
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
pub fn birth_sex(sex_at_birth: &str) -> Option<&'static str> {
    match sex_at_birth {
        "female" => Some("F"),
        "male" => Some("M"),
        _ => None,
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
            .as_deref()
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

/// A member of staff named in the record (a clinician of an appointment, who gave an infusion,
/// who countersigned a consent).
#[derive(Clone, Debug, PartialEq)]
pub struct StaffRow {
    pub id: i64,
    pub display_name: String,
}

#[derive(Debug, Serialize)]
#[serde(tag = "resourceType", rename = "Practitioner")]
pub struct Practitioner<'a> {
    pub id: Id,
    pub name: [Text<'a>; 1],
}

impl Resource for Practitioner<'_> {
    fn id(&self) -> Id {
        self.id
    }
}

pub fn practitioner(row: &StaffRow) -> Practitioner<'_> {
    Practitioner {
        id: Id::Practitioner(row.id),
        name: [Text {
            text: &row.display_name,
        }],
    }
}

// --- Questionnaires -------------------------------------------------------------------------

/// How a questionnaire's items are answered; the stored value is the index into the codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// 0-3, "Not at all" to "Nearly every day" (PHQ-9, GAD-7, the follow-up): LOINC answers.
    Frequency,
    /// 0 no, 1 yes (C-SSRS): LOINC answers.
    YesNo,
    /// 0-4, "Not at all" to "Extremely" (PCL-5). LOINC's answer list for these words differs
    /// ("Somewhat", "Very much"), so the questionnaire defines its own codes, 0 to 4.
    Bothered,
}

static FREQUENCY: [Coding<'static>; 4] = [
    coding(LOINC, "LA6568-5", "Not at all"),
    coding(LOINC, "LA6569-3", "Several days"),
    coding(LOINC, "LA6570-1", "More than half the days"),
    coding(LOINC, "LA6571-9", "Nearly every day"),
];

static YES_NO: [Coding<'static>; 2] = [
    coding(LOINC, "LA32-8", "No"),
    coding(LOINC, "LA33-6", "Yes"),
];

static BOTHERED: [Coding<'static>; 5] = [
    coding("", "0", "Not at all"),
    coding("", "1", "A little bit"),
    coding("", "2", "Moderately"),
    coding("", "3", "Quite a bit"),
    coding("", "4", "Extremely"),
];

impl Scale {
    pub fn codings(self) -> &'static [Coding<'static>] {
        match self {
            Scale::Frequency => &FREQUENCY,
            Scale::YesNo => &YES_NO,
            Scale::Bothered => &BOTHERED,
        }
    }

    /// The coded answer for a stored value; `None` for a value outside the scale.
    pub fn answer(self, value: i16) -> Option<&'static Coding<'static>> {
        usize::try_from(value)
            .ok()
            .and_then(|index| self.codings().get(index))
    }
}

/// LOINC codes of the PHQ-9 items, in order.
const PHQ9_ITEMS: [&str; 9] = [
    "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3",
    "44260-8",
];
/// LOINC codes of the GAD-7 items, in order.
const GAD7_ITEMS: [&str; 7] = [
    "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7",
];

static PHQ9_PANEL: [Coding<'static>; 1] = [coding(
    LOINC,
    "44249-1",
    "PHQ-9 quick depression assessment panel",
)];
static GAD7_PANEL: [Coding<'static>; 1] = [coding(
    LOINC,
    "69737-5",
    "Generalized anxiety disorder 7 item (GAD-7)",
)];
static CSSRS_PANEL: [Coding<'static>; 1] = [Coding {
    system: LOINC,
    code: "93373-9",
    display: None,
}];

/// One questionnaire item as the export describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormItem {
    pub number: u8,
    pub text: &'static str,
    pub loinc: Option<&'static str>,
    /// Asked only after a "yes" to this item (C-SSRS).
    pub asked_if_yes_to: Option<u8>,
}

/// A questionnaire the clinic uses, for its FHIR definition and its responses.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    /// As stored in `questionnaire_results.instrument`.
    pub instrument: &'static str,
    /// In ids and URLs (no underscores there).
    pub slug: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub version: &'static str,
    pub stem: &'static str,
    pub panel: &'static [Coding<'static>],
    pub scale: Scale,
    pub items: Vec<FormItem>,
}

impl Form {
    pub fn id(&self) -> Id {
        Id::Questionnaire {
            slug: self.slug,
            version: self.version,
        }
    }

    pub fn item(&self, number: u8) -> Option<&FormItem> {
        self.items.iter().find(|item| item.number == number)
    }
}

/// The questionnaire stored under `instrument`, or `None` for one the export does not know.
pub fn form(instrument: &str) -> Option<Form> {
    if instrument == "follow_up" {
        return Some(Form {
            instrument: "follow_up",
            slug: "follow-up",
            name: "BladderAndMemoryCheck",
            title: "Bladder and memory check",
            version: treatment::FOLLOW_UP_VERSION,
            stem: treatment::FOLLOW_UP_QUESTION,
            panel: &[],
            scale: Scale::Frequency,
            items: treatment::follow_up_items()
                .iter()
                .map(|item| FormItem {
                    number: item.number,
                    text: item.text,
                    loinc: None,
                    asked_if_yes_to: None,
                })
                .collect(),
        });
    }
    let id = InstrumentId::parse(instrument)?;
    let definition = instruments::instrument(id);
    let (slug, name, panel, scale, codes): (_, _, &'static [Coding<'static>], _, &[&str]) = match id
    {
        InstrumentId::Phq9 => ("phq9", "PHQ9", &PHQ9_PANEL, Scale::Frequency, &PHQ9_ITEMS),
        InstrumentId::Gad7 => ("gad7", "GAD7", &GAD7_PANEL, Scale::Frequency, &GAD7_ITEMS),
        InstrumentId::Pcl5 => ("pcl5", "PCL5", &[], Scale::Bothered, &[]),
        InstrumentId::Cssrs => ("cssrs", "CSSRSScreener", &CSSRS_PANEL, Scale::YesNo, &[]),
    };
    Some(Form {
        instrument: id.code(),
        slug,
        name,
        title: definition.title,
        version: definition.version,
        stem: definition.stem,
        panel,
        scale,
        items: definition
            .items
            .iter()
            .enumerate()
            .map(|(index, item)| FormItem {
                number: item.number,
                text: item.text,
                loinc: codes.get(index).copied(),
                asked_if_yes_to: instruments::asked_if_yes_to(id, item.number),
            })
            .collect(),
    })
}

/// Every questionnaire the export knows, as stored.
pub const INSTRUMENTS: [&str; 5] = ["phq9", "gad7", "pcl5", "cssrs", "follow_up"];

/// A questionnaire's canonical URL, with `|version` when given.
#[derive(Clone, Copy, Debug)]
pub struct Canonical<'a> {
    pub base: &'a str,
    pub slug: &'static str,
    pub version: Option<&'a str>,
}

impl fmt::Display for Canonical<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/Questionnaire/{}", self.base, self.slug)?;
        match self.version {
            Some(version) => write!(f, "|{version}"),
            None => Ok(()),
        }
    }
}

impl Serialize for Canonical<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnableWhen {
    pub question: LinkId,
    pub operator: &'static str,
    pub answer_coding: &'static Coding<'static>,
}

#[derive(Debug, Serialize)]
pub struct AnswerOption {
    #[serde(rename = "valueCoding")]
    pub value_coding: &'static Coding<'static>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionnaireItem {
    pub link_id: LinkId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<[Coding<'static>; 1]>,
    pub prefix: LinkId,
    pub text: &'static str,
    #[serde(rename = "type")]
    pub item_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_when: Option<[EnableWhen; 1]>,
    pub required: bool,
    pub answer_option: Vec<AnswerOption>,
}

/// The stem shown above the items.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DisplayItem {
    pub link_id: &'static str,
    pub text: &'static str,
    #[serde(rename = "type")]
    pub item_type: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Item {
    Display(DisplayItem),
    Question(QuestionnaireItem),
}

#[derive(Debug, Serialize)]
#[serde(
    tag = "resourceType",
    rename = "Questionnaire",
    rename_all = "camelCase"
)]
pub struct Questionnaire<'a> {
    pub id: Id,
    pub url: Canonical<'a>,
    pub version: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub status: &'static str,
    pub subject_type: [&'static str; 1],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub code: &'static [Coding<'static>],
    pub item: Vec<Item>,
}

impl Resource for Questionnaire<'_> {
    fn id(&self) -> Id {
        self.id
    }
}

/// The definition of a questionnaire: the stem, then each item with its coded answers, and
/// the C-SSRS skips as `enableWhen`.
pub fn questionnaire<'a>(base: &'a str, form: &Form) -> Questionnaire<'a> {
    let yes = &YES_NO[1];
    let mut item = vec![Item::Display(DisplayItem {
        link_id: "stem",
        text: form.stem,
        item_type: "display",
    })];
    item.extend(form.items.iter().map(|i| {
        Item::Question(QuestionnaireItem {
            link_id: LinkId(i.number),
            code: i.loinc.map(|code| {
                [Coding {
                    system: LOINC,
                    code,
                    display: None,
                }]
            }),
            prefix: LinkId(i.number),
            text: i.text,
            item_type: "choice",
            enable_when: i.asked_if_yes_to.map(|question| {
                [EnableWhen {
                    question: LinkId(question),
                    operator: "=",
                    answer_coding: yes,
                }]
            }),
            required: true,
            answer_option: form
                .scale
                .codings()
                .iter()
                .map(|value_coding| AnswerOption { value_coding })
                .collect(),
        })
    }));
    Questionnaire {
        id: form.id(),
        url: Canonical {
            base,
            slug: form.slug,
            version: None,
        },
        version: form.version,
        name: form.name,
        title: form.title,
        status: "active",
        subject_type: ["Patient"],
        code: form.panel,
        item,
    }
}

// --- QuestionnaireResponse and scores -------------------------------------------------------

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

// --- vital signs ----------------------------------------------------------------------------

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

// --- infusions ------------------------------------------------------------------------------

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

// --- allergies ------------------------------------------------------------------------------

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

// --- appointments ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
pub struct AppointmentRow {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub clinician_id: i64,
    pub created_at: OffsetDateTime,
}

/// The FHIR status of a stored appointment status (`appointment_status`).
pub fn appointment_status(status: &str) -> Option<&'static str> {
    match status {
        "booked" => Some("booked"),
        "checked_in" => Some("arrived"),
        "completed" => Some("fulfilled"),
        "cancelled" => Some("cancelled"),
        "no_show" => Some("noshow"),
        _ => None,
    }
}

fn appointment_kind(kind: &str) -> (&'static str, &'static [Coding<'static>]) {
    static ROUTINE: [Coding<'static>; 1] =
        [coding(APPOINTMENT_TYPE, "ROUTINE", "Routine appointment")];
    static FOLLOW_UP: [Coding<'static>; 1] = [coding(
        APPOINTMENT_TYPE,
        "FOLLOWUP",
        "A follow up visit from a previous appointment",
    )];
    match kind {
        "infusion" => ("Ketamine infusion", &ROUTINE),
        "follow_up" => ("Follow-up", &FOLLOW_UP),
        _ => ("Consultation", &ROUTINE),
    }
}

#[derive(Debug, Serialize)]
pub struct Participant {
    pub actor: Ref,
    pub required: &'static str,
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(tag = "resourceType", rename = "Appointment", rename_all = "camelCase")]
pub struct Appointment {
    pub id: Id,
    pub status: &'static str,
    pub appointment_type: Concept<'static>,
    pub description: &'static str,
    pub start: Instant,
    pub end: Instant,
    pub minutes_duration: i64,
    pub created: Instant,
    pub participant: [Participant; 2],
}

impl Resource for Appointment {
    fn id(&self) -> Id {
        self.id
    }
}

/// A booking: the patient and the clinician, both required, and the chair time.
pub fn appointment(patient_id: i64, row: &AppointmentRow) -> Appointment {
    let (description, kind) = appointment_kind(&row.kind);
    let participant = |actor: Id| Participant {
        actor: Ref(actor),
        required: "required",
        status: "accepted",
    };
    Appointment {
        id: Id::Appointment(row.id),
        status: appointment_status(&row.status).unwrap_or("booked"),
        appointment_type: Concept::of(kind),
        description,
        start: Instant(row.starts_at),
        end: Instant(row.ends_at),
        minutes_duration: (row.ends_at - row.starts_at).whole_minutes(),
        created: Instant(row.created_at),
        participant: [
            participant(Id::Patient(patient_id)),
            participant(Id::Practitioner(row.clinician_id)),
        ],
    }
}

// --- consent --------------------------------------------------------------------------------

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

        let weight = json(&weight(7, &row).unwrap());
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
        assert!(super::weight(7, &not_weighed).is_none());
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

    #[test]
    fn appointment_statuses_map_to_fhir() {
        let pairs = [
            ("booked", "booked"),
            ("checked_in", "arrived"),
            ("completed", "fulfilled"),
            ("cancelled", "cancelled"),
            ("no_show", "noshow"),
        ];
        for (ours, fhir) in pairs {
            assert_eq!(appointment_status(ours), Some(fhir));
        }
        let row = AppointmentRow {
            id: 9,
            kind: "infusion".to_owned(),
            status: "no_show".to_owned(),
            starts_at: datetime!(2024-03-05 19:00 UTC),
            ends_at: datetime!(2024-03-05 21:30 UTC),
            clinician_id: 3,
            created_at: datetime!(2024-02-28 10:00 UTC),
        };
        let booking = json(&appointment(7, &row));
        assert_eq!(booking["status"], "noshow");
        assert_eq!(booking["minutesDuration"], 150);
        assert_eq!(booking["start"], "2024-03-05T19:00:00Z");
        assert_eq!(
            booking["participant"][0]["actor"]["reference"],
            "Patient/patient-7"
        );
        assert_eq!(
            booking["participant"][1]["actor"]["reference"],
            "Practitioner/staff-3"
        );
        assert_eq!(booking["participant"][1]["status"], "accepted");
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

    #[test]
    fn questionnaires_carry_their_loinc_codes_and_coded_answers() {
        for instrument in INSTRUMENTS {
            let form = form(instrument).unwrap();
            assert_eq!(form.instrument, instrument);
            let definition = json(&questionnaire(BASE, &form));
            assert_eq!(definition["resourceType"], "Questionnaire");
            assert_eq!(definition["status"], "active");
            assert_eq!(
                definition["url"],
                format!("{BASE}/Questionnaire/{}", form.slug)
            );
            // The stem, then every item.
            assert_eq!(
                definition["item"].as_array().unwrap().len(),
                form.items.len() + 1
            );
            assert_eq!(definition["item"][0]["type"], "display");
        }
        assert!(form("phq-9").is_none());

        let phq9 = json(&questionnaire(BASE, &form("phq9").unwrap()));
        assert_eq!(phq9["id"], "phq9-v1");
        assert_eq!(phq9["code"][0]["code"], "44249-1");
        assert_eq!(phq9["item"][9]["code"][0]["code"], "44260-8");
        assert_eq!(
            phq9["item"][1]["answerOption"][3]["valueCoding"]["code"],
            "LA6571-9"
        );
        let gad7 = json(&questionnaire(BASE, &form("gad7").unwrap()));
        assert_eq!(gad7["code"][0]["code"], "69737-5");
        assert_eq!(gad7["item"][2]["code"][0]["code"], "68509-9");
        let cssrs = json(&questionnaire(BASE, &form("cssrs").unwrap()));
        assert_eq!(cssrs["code"][0]["code"], "93373-9");
        assert_eq!(
            cssrs["item"][1]["answerOption"][1]["valueCoding"]["code"],
            "LA33-6"
        );
        // Questions 3 to 5 follow a yes to 2; 7 a yes to 6.
        assert_eq!(
            cssrs["item"][3]["enableWhen"][0],
            json!({"question": "2", "operator": "=", "answerCoding": {"system": LOINC, "code": "LA33-6", "display": "Yes"}})
        );
        assert_eq!(cssrs["item"][7]["enableWhen"][0]["question"], "6");
        assert_eq!(cssrs["item"][2].get("enableWhen"), None);
        let pcl5 = json(&questionnaire(BASE, &form("pcl5").unwrap()));
        assert_eq!(
            pcl5["item"][1]["answerOption"][4]["valueCoding"],
            json!({"code": "4", "display": "Extremely"})
        );
        assert_eq!(form("follow_up").unwrap().id().to_string(), "follow-up-v1");
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

    #[test]
    fn the_patient_has_their_number_names_contacts_and_birth_sex() {
        let row = PatientRow {
            id: 7,
            legal_name: "Ann Example".to_owned(),
            preferred_name: Some("Annie".to_owned()),
            date_of_birth: date!(1984 - 03 - 27),
            sex_at_birth: Some("female".to_owned()),
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
            sex_at_birth: Some("intersex".to_owned()),
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
