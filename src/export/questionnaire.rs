//! The Questionnaire resource: the clinic's instruments (PHQ-9, GAD-7, PCL-5, C-SSRS and the
//! follow-up) with their LOINC codes and coded answers. Pure: no I/O.

use std::fmt;

use serde::{Serialize, Serializer};

use super::model::{Coding, Id, LOINC, LinkId, Resource, coding};
use crate::outcomes::model as treatment;
use crate::screening::instruments::{self, InstrumentId};

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const BASE: &str = "https://clinic.example/fhir";

    fn json(value: &impl Serialize) -> Value {
        serde_json::to_value(value).unwrap()
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
}
