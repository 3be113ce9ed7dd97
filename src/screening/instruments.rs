//! The scored questionnaires (PHQ-9, GAD-7, PCL-5, C-SSRS screener): their wording, answer
//! options and scoring. Pure: no I/O.
//!
//! Answers are `&[Option<i16>]` indexed by item (item 1 at index 0); `None` is unanswered.
//! An incomplete form has no score: a partial total would understate severity.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstrumentId {
    Phq9,
    Gad7,
    Pcl5,
    Cssrs,
}

impl InstrumentId {
    pub const ALL: [InstrumentId; 4] = [
        InstrumentId::Phq9,
        InstrumentId::Gad7,
        InstrumentId::Pcl5,
        InstrumentId::Cssrs,
    ];

    /// The value stored in the database and used in URLs.
    pub fn code(self) -> &'static str {
        match self {
            InstrumentId::Phq9 => "phq9",
            InstrumentId::Gad7 => "gad7",
            InstrumentId::Pcl5 => "pcl5",
            InstrumentId::Cssrs => "cssrs",
        }
    }

    pub fn parse(value: &str) -> Option<InstrumentId> {
        InstrumentId::ALL
            .into_iter()
            .find(|id| id.code() == value.trim())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnswerOption {
    pub value: i16,
    pub label: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item {
    pub number: u8,
    pub text: &'static str,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Instrument {
    pub id: InstrumentId,
    pub title: &'static str,
    pub version: &'static str,
    /// The lead-in question shown above the items.
    pub stem: &'static str,
    pub items: &'static [Item],
    /// The same options for every item.
    pub options: &'static [AnswerOption],
    pub loinc_panel: Option<&'static str>,
}

impl Instrument {
    pub fn item(&self, number: u8) -> Option<&'static Item> {
        self.items.iter().find(|item| item.number == number)
    }

    pub fn option_label(&self, value: i16) -> Option<&'static str> {
        self.options
            .iter()
            .find(|option| option.value == value)
            .map(|option| option.label)
    }

    fn accepts(&self, value: i16) -> bool {
        self.options.iter().any(|option| option.value == value)
    }
}

const FREQUENCY: &[AnswerOption] = &[
    AnswerOption {
        value: 0,
        label: "Not at all",
    },
    AnswerOption {
        value: 1,
        label: "Several days",
    },
    AnswerOption {
        value: 2,
        label: "More than half the days",
    },
    AnswerOption {
        value: 3,
        label: "Nearly every day",
    },
];

const BOTHERED: &[AnswerOption] = &[
    AnswerOption {
        value: 0,
        label: "Not at all",
    },
    AnswerOption {
        value: 1,
        label: "A little bit",
    },
    AnswerOption {
        value: 2,
        label: "Moderately",
    },
    AnswerOption {
        value: 3,
        label: "Quite a bit",
    },
    AnswerOption {
        value: 4,
        label: "Extremely",
    },
];

const NO: i16 = 0;
const YES: i16 = 1;

const YES_NO: &[AnswerOption] = &[
    AnswerOption {
        value: NO,
        label: "No",
    },
    AnswerOption {
        value: YES,
        label: "Yes",
    },
];

static PHQ9: Instrument = Instrument {
    id: InstrumentId::Phq9,
    title: "PHQ-9: depression",
    version: "1",
    stem: "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items: &[
        Item {
            number: 1,
            text: "Little interest or pleasure in doing things",
        },
        Item {
            number: 2,
            text: "Feeling down, depressed, or hopeless",
        },
        Item {
            number: 3,
            text: "Trouble falling or staying asleep, or sleeping too much",
        },
        Item {
            number: 4,
            text: "Feeling tired or having little energy",
        },
        Item {
            number: 5,
            text: "Poor appetite or overeating",
        },
        Item {
            number: 6,
            text: "Feeling bad about yourself \u{2014} or that you are a failure or have let yourself or your family down",
        },
        Item {
            number: 7,
            text: "Trouble concentrating on things, such as reading the newspaper or watching television",
        },
        Item {
            number: 8,
            text: "Moving or speaking so slowly that other people could have noticed? Or the opposite \u{2014} being so fidgety or restless that you have been moving around a lot more than usual",
        },
        Item {
            number: 9,
            text: "Thoughts that you would be better off dead, or of hurting yourself in some way",
        },
    ],
    options: FREQUENCY,
    loinc_panel: Some("44249-1"),
};

static GAD7: Instrument = Instrument {
    id: InstrumentId::Gad7,
    title: "GAD-7: anxiety",
    version: "1",
    stem: "Over the last 2 weeks, how often have you been bothered by the following problems?",
    items: &[
        Item {
            number: 1,
            text: "Feeling nervous, anxious, or on edge",
        },
        Item {
            number: 2,
            text: "Not being able to stop or control worrying",
        },
        Item {
            number: 3,
            text: "Worrying too much about different things",
        },
        Item {
            number: 4,
            text: "Trouble relaxing",
        },
        Item {
            number: 5,
            text: "Being so restless that it is hard to sit still",
        },
        Item {
            number: 6,
            text: "Becoming easily annoyed or irritable",
        },
        Item {
            number: 7,
            text: "Feeling afraid, as if something awful might happen",
        },
    ],
    options: FREQUENCY,
    loinc_panel: Some("69737-5"),
};

static PCL5: Instrument = Instrument {
    id: InstrumentId::Pcl5,
    title: "PCL-5: post-traumatic stress",
    version: "1",
    stem: "In the past month, how much were you bothered by:",
    items: &[
        Item {
            number: 1,
            text: "Repeated, disturbing, and unwanted memories of the stressful experience?",
        },
        Item {
            number: 2,
            text: "Repeated, disturbing dreams of the stressful experience?",
        },
        Item {
            number: 3,
            text: "Suddenly feeling or acting as if the stressful experience were actually happening again (as if you were actually back there reliving it)?",
        },
        Item {
            number: 4,
            text: "Feeling very upset when something reminded you of the stressful experience?",
        },
        Item {
            number: 5,
            text: "Having strong physical reactions when something reminded you of the stressful experience (for example, heart pounding, trouble breathing, sweating)?",
        },
        Item {
            number: 6,
            text: "Avoiding memories, thoughts, or feelings related to the stressful experience?",
        },
        Item {
            number: 7,
            text: "Avoiding external reminders of the stressful experience (for example, people, places, conversations, activities, objects, or situations)?",
        },
        Item {
            number: 8,
            text: "Trouble remembering important parts of the stressful experience?",
        },
        Item {
            number: 9,
            text: "Having strong negative beliefs about yourself, other people, or the world (for example, having thoughts such as: I am bad, there is something seriously wrong with me, no one can be trusted, the world is completely dangerous)?",
        },
        Item {
            number: 10,
            text: "Blaming yourself or someone else for the stressful experience or what happened after it?",
        },
        Item {
            number: 11,
            text: "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
        },
        Item {
            number: 12,
            text: "Loss of interest in activities that you used to enjoy?",
        },
        Item {
            number: 13,
            text: "Feeling distant or cut off from other people?",
        },
        Item {
            number: 14,
            text: "Trouble experiencing positive feelings (for example, being unable to feel happiness or have loving feelings for people close to you)?",
        },
        Item {
            number: 15,
            text: "Irritable behavior, angry outbursts, or acting aggressively?",
        },
        Item {
            number: 16,
            text: "Taking too many risks or doing things that could cause you harm?",
        },
        Item {
            number: 17,
            text: "Being \u{201c}superalert\u{201d} or watchful or on guard?",
        },
        Item {
            number: 18,
            text: "Feeling jumpy or easily startled?",
        },
        Item {
            number: 19,
            text: "Having difficulty concentrating?",
        },
        Item {
            number: 20,
            text: "Trouble falling or staying asleep?",
        },
    ],
    options: BOTHERED,
    loinc_panel: None,
};

static CSSRS: Instrument = Instrument {
    id: InstrumentId::Cssrs,
    title: "C-SSRS screener: suicide risk",
    version: "1",
    stem: "Please answer yes or no. Questions 1 to 5 are about the past month. Answer questions 3 to 5 only if you answered yes to question 2, and question 7 only if you answered yes to question 6.",
    items: &[
        Item {
            number: 1,
            text: "Have you wished you were dead or wished you could go to sleep and not wake up?",
        },
        Item {
            number: 2,
            text: "Have you actually had any thoughts of killing yourself?",
        },
        Item {
            number: 3,
            text: "Have you been thinking about how you might do this?",
        },
        Item {
            number: 4,
            text: "Have you had these thoughts and had some intention of acting on them?",
        },
        Item {
            number: 5,
            text: "Have you started to work out or worked out the details of how to kill yourself? Do you intend to carry out this plan?",
        },
        Item {
            number: 6,
            text: "Have you ever done anything, started to do anything, or prepared to do anything to end your life?",
        },
        Item {
            number: 7,
            text: "Was this within the past 3 months?",
        },
    ],
    options: YES_NO,
    loinc_panel: Some("93373-9"),
};

pub fn instrument(id: InstrumentId) -> &'static Instrument {
    match id {
        InstrumentId::Phq9 => &PHQ9,
        InstrumentId::Gad7 => &GAD7,
        InstrumentId::Pcl5 => &PCL5,
        InstrumentId::Cssrs => &CSSRS,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub total: i16,
    pub band: Band,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Minimal,
    Mild,
    Moderate,
    ModeratelySevere,
    Severe,
    BelowThreshold,
    ProbablePtsd,
    NoRisk,
    LowRisk,
    ModerateRisk,
    HighRisk,
}

impl Band {
    pub const ALL: [Band; 11] = [
        Band::Minimal,
        Band::Mild,
        Band::Moderate,
        Band::ModeratelySevere,
        Band::Severe,
        Band::BelowThreshold,
        Band::ProbablePtsd,
        Band::NoRisk,
        Band::LowRisk,
        Band::ModerateRisk,
        Band::HighRisk,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Band::Minimal => "Minimal",
            Band::Mild => "Mild",
            Band::Moderate => "Moderate",
            Band::ModeratelySevere => "Moderately severe",
            Band::Severe => "Severe",
            Band::BelowThreshold => "Below threshold",
            Band::ProbablePtsd => "Probable PTSD",
            Band::NoRisk => "No risk",
            Band::LowRisk => "Low risk",
            Band::ModerateRisk => "Moderate risk",
            Band::HighRisk => "High risk",
        }
    }

    /// The value stored beside the total (the same as the serde name).
    pub fn code(self) -> &'static str {
        match self {
            Band::Minimal => "minimal",
            Band::Mild => "mild",
            Band::Moderate => "moderate",
            Band::ModeratelySevere => "moderately_severe",
            Band::Severe => "severe",
            Band::BelowThreshold => "below_threshold",
            Band::ProbablePtsd => "probable_ptsd",
            Band::NoRisk => "no_risk",
            Band::LowRisk => "low_risk",
            Band::ModerateRisk => "moderate_risk",
            Band::HighRisk => "high_risk",
        }
    }

    pub fn parse(value: &str) -> Option<Band> {
        Band::ALL
            .into_iter()
            .find(|band| band.code() == value.trim())
    }
}

/// The PCL-5 cut-off for probable PTSD (National Center for PTSD).
const PCL5_PROBABLE_PTSD: i16 = 31;

/// Scores a complete form; `None` when a required item is unanswered, a value is not one of the
/// options, or the answers do not match the instrument's items one for one.
pub fn score(id: InstrumentId, answers: &[Option<i16>]) -> Option<Score> {
    let form = instrument(id);
    if answers.len() != form.items.len()
        || answers.iter().flatten().any(|&value| !form.accepts(value))
        || !missing_items(id, answers).is_empty()
    {
        return None;
    }
    let sum: i16 = answers.iter().flatten().sum();
    let score = match id {
        InstrumentId::Phq9 => Score {
            total: sum,
            band: match sum {
                ..=4 => Band::Minimal,
                5..=9 => Band::Mild,
                10..=14 => Band::Moderate,
                15..=19 => Band::ModeratelySevere,
                _ => Band::Severe,
            },
        },
        InstrumentId::Gad7 => Score {
            total: sum,
            band: match sum {
                ..=4 => Band::Minimal,
                5..=9 => Band::Mild,
                10..=14 => Band::Moderate,
                _ => Band::Severe,
            },
        },
        InstrumentId::Pcl5 => Score {
            total: sum,
            band: if sum >= PCL5_PROBABLE_PTSD {
                Band::ProbablePtsd
            } else {
                Band::BelowThreshold
            },
        },
        InstrumentId::Cssrs => cssrs_score(answers),
    };
    Some(score)
}

/// The C-SSRS screener's triage: Q4/Q5 or behaviour in the past 3 months are high risk,
/// Q3 or older behaviour moderate, Q1/Q2 alone low.
fn cssrs_score(answers: &[Option<i16>]) -> Score {
    let yes = |item| cssrs_yes(answers, item);
    let total = (1..=6).filter(|&item| yes(item)).count();
    let band = if yes(4) || yes(5) || yes(7) {
        Band::HighRisk
    } else if yes(3) || yes(6) {
        Band::ModerateRisk
    } else if yes(1) || yes(2) {
        Band::LowRisk
    } else {
        Band::NoRisk
    };
    Score {
        total: i16::try_from(total).unwrap_or(i16::MAX),
        band,
    }
}

/// Whether C-SSRS item `item_number` was asked and answered yes. Follows the screener's skip
/// logic: Q3-Q5 count only after a yes to Q2, item 7 (within the past 3 months) only after a
/// yes to Q6, so an answer left over from an earlier draft cannot raise or lower the risk.
pub fn cssrs_yes(answers: &[Option<i16>], item_number: u8) -> bool {
    let answered_yes = |number: u8| {
        usize::from(number)
            .checked_sub(1)
            .and_then(|index| answers.get(index))
            == Some(&Some(YES))
    };
    let asked = asked_if_yes_to(InstrumentId::Cssrs, item_number).is_none_or(answered_yes);
    asked && answered_yes(item_number)
}

/// The item whose "yes" makes this one asked at all (the C-SSRS screener's skips: questions
/// 3 to 5 follow a yes to 2, and 7 a yes to 6); `None` for items always asked.
pub fn asked_if_yes_to(id: InstrumentId, item_number: u8) -> Option<u8> {
    match (id, item_number) {
        (InstrumentId::Cssrs, 3..=5) => Some(2),
        (InstrumentId::Cssrs, 7) => Some(6),
        _ => None,
    }
}

/// Whether the item must be answered before the form can be scored.
fn is_required(id: InstrumentId, answers: &[Option<i16>], item_number: u8) -> bool {
    asked_if_yes_to(id, item_number).is_none_or(|condition| cssrs_yes(answers, condition))
}

/// The numbers of the items that still need an answer, in order.
pub fn missing_items(id: InstrumentId, answers: &[Option<i16>]) -> Vec<u8> {
    instrument(id)
        .items
        .iter()
        .enumerate()
        .filter(|&(index, item)| {
            is_required(id, answers, item.number) && answers.get(index).copied().flatten().is_none()
        })
        .map(|(_, item)| item.number)
        .collect()
}

/// Why a single answer cannot be accepted, in words for the person filling the form.
pub fn answer_problem(id: InstrumentId, item_number: u8, value: i16) -> Option<&'static str> {
    let form = instrument(id);
    if form.item(item_number).is_none() {
        Some("This questionnaire has no such question.")
    } else if !form.accepts(value) {
        Some("Choose one of the answers listed.")
    } else {
        None
    }
}

/// PCL-5 symptom-cluster sums (DSM-5 criteria B to E).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PclClusters {
    /// Intrusion, items 1-5.
    pub b: i16,
    /// Avoidance, items 6-7.
    pub c: i16,
    /// Negative alterations in cognition and mood, items 8-14.
    pub d: i16,
    /// Alterations in arousal and reactivity, items 15-20.
    pub e: i16,
}

/// Cluster sums of a complete PCL-5; `None` when the form could not be scored.
pub fn pcl5_clusters(answers: &[Option<i16>]) -> Option<PclClusters> {
    score(InstrumentId::Pcl5, answers)?;
    let sum = |first: usize, last: usize| -> i16 {
        answers
            .get(first - 1..last)
            .unwrap_or_default()
            .iter()
            .flatten()
            .sum()
    };
    Some(PclClusters {
        b: sum(1, 5),
        c: sum(6, 7),
        d: sum(8, 14),
        e: sum(15, 20),
    })
}

/// PHQ-9 item 9 answered above "Not at all". Checked on incomplete forms too: a patient who
/// reports thoughts of self-harm must be followed up whatever else is missing.
pub fn phq9_item9_positive(answers: &[Option<i16>]) -> bool {
    matches!(answers.get(8), Some(Some(value)) if *value >= 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A complete form for an instrument whose items all score 0..=max, adding up to `total`.
    fn answers_totalling(id: InstrumentId, total: i16) -> Vec<Option<i16>> {
        let form = instrument(id);
        let max = form.options.iter().map(|o| o.value).max().unwrap();
        let mut left = total;
        let answers: Vec<Option<i16>> = form
            .items
            .iter()
            .map(|_| {
                let value = left.min(max);
                left -= value;
                Some(value)
            })
            .collect();
        assert_eq!(left, 0, "{total} is beyond the maximum for {id:?}");
        answers
    }

    fn scored(id: InstrumentId, total: i16) -> Score {
        score(id, &answers_totalling(id, total)).unwrap()
    }

    fn band(id: InstrumentId, total: i16) -> Band {
        let score = scored(id, total);
        assert_eq!(score.total, total);
        score.band
    }

    #[test]
    fn instrument_codes_round_trip() {
        for id in InstrumentId::ALL {
            assert_eq!(InstrumentId::parse(id.code()), Some(id));
            assert_eq!(instrument(id).id, id);
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(json, format!("\"{}\"", id.code()));
        }
        assert_eq!(InstrumentId::parse("phq-9"), None);
        assert_eq!(InstrumentId::parse(""), None);
    }

    #[test]
    fn item_counts_and_numbering() {
        let counts = [
            (InstrumentId::Phq9, 9),
            (InstrumentId::Gad7, 7),
            (InstrumentId::Pcl5, 20),
            (InstrumentId::Cssrs, 7),
        ];
        for (id, count) in counts {
            let form = instrument(id);
            assert_eq!(form.items.len(), count, "{id:?}");
            for (index, item) in form.items.iter().enumerate() {
                assert_eq!(usize::from(item.number), index + 1, "{id:?}");
                assert!(!item.text.trim().is_empty());
            }
            assert_eq!(form.version, "1");
        }
    }

    #[test]
    fn wording_spot_checks() {
        let phq9 = instrument(InstrumentId::Phq9);
        assert_eq!(
            phq9.item(9).unwrap().text,
            "Thoughts that you would be better off dead, or of hurting yourself in some way"
        );
        assert_eq!(
            phq9.item(1).unwrap().text,
            "Little interest or pleasure in doing things"
        );
        assert_eq!(
            phq9.stem,
            "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
        );
        assert_eq!(phq9.title, "PHQ-9: depression");
        assert_eq!(
            instrument(InstrumentId::Gad7).item(2).unwrap().text,
            "Not being able to stop or control worrying"
        );
        let pcl5 = instrument(InstrumentId::Pcl5);
        assert_eq!(
            pcl5.stem,
            "In the past month, how much were you bothered by:"
        );
        assert_eq!(
            pcl5.item(20).unwrap().text,
            "Trouble falling or staying asleep?"
        );
        let cssrs = instrument(InstrumentId::Cssrs);
        assert_eq!(
            cssrs.item(6).unwrap().text,
            "Have you ever done anything, started to do anything, or prepared to do anything to end your life?"
        );
        assert_eq!(
            cssrs.item(7).unwrap().text,
            "Was this within the past 3 months?"
        );
        assert_eq!(phq9.item(10), None);
        assert_eq!(phq9.item(0), None);
    }

    #[test]
    fn answer_options() {
        let labels = |id| -> Vec<(i16, &str)> {
            instrument(id)
                .options
                .iter()
                .map(|o| (o.value, o.label))
                .collect()
        };
        let frequency = vec![
            (0, "Not at all"),
            (1, "Several days"),
            (2, "More than half the days"),
            (3, "Nearly every day"),
        ];
        assert_eq!(labels(InstrumentId::Phq9), frequency);
        assert_eq!(labels(InstrumentId::Gad7), frequency);
        assert_eq!(
            labels(InstrumentId::Pcl5),
            vec![
                (0, "Not at all"),
                (1, "A little bit"),
                (2, "Moderately"),
                (3, "Quite a bit"),
                (4, "Extremely")
            ]
        );
        assert_eq!(labels(InstrumentId::Cssrs), vec![(0, "No"), (1, "Yes")]);
        assert_eq!(
            instrument(InstrumentId::Phq9).option_label(1),
            Some("Several days")
        );
        assert_eq!(instrument(InstrumentId::Phq9).option_label(4), None);
    }

    #[test]
    fn loinc_panels() {
        assert_eq!(instrument(InstrumentId::Phq9).loinc_panel, Some("44249-1"));
        assert_eq!(instrument(InstrumentId::Gad7).loinc_panel, Some("69737-5"));
        assert_eq!(instrument(InstrumentId::Pcl5).loinc_panel, None);
        assert_eq!(instrument(InstrumentId::Cssrs).loinc_panel, Some("93373-9"));
    }

    #[test]
    fn phq9_bands_at_every_boundary() {
        let id = InstrumentId::Phq9;
        assert_eq!(band(id, 0), Band::Minimal);
        assert_eq!(band(id, 4), Band::Minimal);
        assert_eq!(band(id, 5), Band::Mild);
        assert_eq!(band(id, 9), Band::Mild);
        assert_eq!(band(id, 10), Band::Moderate);
        assert_eq!(band(id, 14), Band::Moderate);
        assert_eq!(band(id, 15), Band::ModeratelySevere);
        assert_eq!(band(id, 19), Band::ModeratelySevere);
        assert_eq!(band(id, 20), Band::Severe);
        assert_eq!(band(id, 27), Band::Severe);
    }

    #[test]
    fn phq9_min_and_max_totals() {
        let id = InstrumentId::Phq9;
        assert_eq!(
            score(id, &[Some(0); 9]),
            Some(Score {
                total: 0,
                band: Band::Minimal
            })
        );
        assert_eq!(
            score(id, &[Some(3); 9]),
            Some(Score {
                total: 27,
                band: Band::Severe
            })
        );
    }

    #[test]
    fn gad7_bands_at_every_boundary() {
        let id = InstrumentId::Gad7;
        assert_eq!(band(id, 0), Band::Minimal);
        assert_eq!(band(id, 4), Band::Minimal);
        assert_eq!(band(id, 5), Band::Mild);
        assert_eq!(band(id, 9), Band::Mild);
        assert_eq!(band(id, 10), Band::Moderate);
        assert_eq!(band(id, 14), Band::Moderate);
        assert_eq!(band(id, 15), Band::Severe);
        assert_eq!(band(id, 21), Band::Severe);
        assert_eq!(
            score(id, &[Some(3); 7]),
            Some(Score {
                total: 21,
                band: Band::Severe
            })
        );
        assert_eq!(
            score(id, &[Some(0); 7]),
            Some(Score {
                total: 0,
                band: Band::Minimal
            })
        );
    }

    #[test]
    fn pcl5_threshold_and_range() {
        let id = InstrumentId::Pcl5;
        assert_eq!(band(id, 0), Band::BelowThreshold);
        assert_eq!(band(id, 30), Band::BelowThreshold);
        assert_eq!(band(id, 31), Band::ProbablePtsd);
        assert_eq!(band(id, 80), Band::ProbablePtsd);
        assert_eq!(
            score(id, &[Some(4); 20]),
            Some(Score {
                total: 80,
                band: Band::ProbablePtsd
            })
        );
    }

    #[test]
    fn incomplete_forms_have_no_score() {
        for id in [InstrumentId::Phq9, InstrumentId::Gad7, InstrumentId::Pcl5] {
            let count = instrument(id).items.len();
            let mut answers = vec![Some(1); count];
            assert!(score(id, &answers).is_some());
            answers[count - 1] = None;
            assert_eq!(score(id, &answers), None, "{id:?}");
            assert_eq!(
                missing_items(id, &answers),
                vec![instrument(id).items[count - 1].number]
            );
            assert_eq!(score(id, &vec![None; count]), None);
            assert_eq!(missing_items(id, &vec![None; count]).len(), count);
            // Too short or too long: not this instrument's form.
            assert_eq!(score(id, &vec![Some(1); count - 1]), None);
            assert_eq!(score(id, &vec![Some(1); count + 1]), None);
            assert_eq!(score(id, &[]), None);
        }
        assert_eq!(missing_items(InstrumentId::Phq9, &[Some(0); 7]), vec![8, 9]);
    }

    #[test]
    fn out_of_range_answers_have_no_score() {
        let mut phq9 = vec![Some(0); 9];
        phq9[3] = Some(4);
        assert_eq!(score(InstrumentId::Phq9, &phq9), None);
        phq9[3] = Some(-1);
        assert_eq!(score(InstrumentId::Phq9, &phq9), None);
        let mut pcl5 = vec![Some(4); 20];
        assert!(score(InstrumentId::Pcl5, &pcl5).is_some());
        pcl5[0] = Some(5);
        assert_eq!(score(InstrumentId::Pcl5, &pcl5), None);
        let cssrs = [Some(2), Some(0), None, None, None, Some(0), None];
        assert_eq!(score(InstrumentId::Cssrs, &cssrs), None);
        // Even an ignored C-SSRS answer must be a real option.
        let cssrs = [Some(0), Some(0), Some(7), None, None, Some(0), None];
        assert_eq!(score(InstrumentId::Cssrs, &cssrs), None);
    }

    #[test]
    fn answer_problems() {
        assert_eq!(answer_problem(InstrumentId::Phq9, 1, 0), None);
        assert_eq!(answer_problem(InstrumentId::Phq9, 9, 3), None);
        assert!(answer_problem(InstrumentId::Phq9, 9, 4).is_some());
        assert!(answer_problem(InstrumentId::Phq9, 1, -1).is_some());
        assert!(answer_problem(InstrumentId::Phq9, 10, 0).is_some());
        assert!(answer_problem(InstrumentId::Phq9, 0, 0).is_some());
        assert_eq!(answer_problem(InstrumentId::Pcl5, 20, 4), None);
        assert!(answer_problem(InstrumentId::Gad7, 8, 0).is_some());
        assert_eq!(answer_problem(InstrumentId::Cssrs, 7, 1), None);
        assert!(answer_problem(InstrumentId::Cssrs, 1, 2).is_some());
    }

    #[test]
    fn pcl5_clusters_sum_their_items() {
        // Item n answered n % 5 so each cluster has a distinct sum.
        let answers: Vec<Option<i16>> = (1..=20).map(|n| Some(n % 5)).collect();
        let clusters = pcl5_clusters(&answers).unwrap();
        assert_eq!(
            clusters,
            PclClusters {
                b: 10,
                c: 3,
                d: 17,
                e: 10
            }
        );
        let total = score(InstrumentId::Pcl5, &answers).unwrap().total;
        assert_eq!(clusters.b + clusters.c + clusters.d + clusters.e, total);
        assert_eq!(
            pcl5_clusters(&[Some(4); 20]),
            Some(PclClusters {
                b: 20,
                c: 8,
                d: 28,
                e: 24
            })
        );
        let mut incomplete = answers.clone();
        incomplete[6] = None;
        assert_eq!(pcl5_clusters(&incomplete), None);
        assert_eq!(pcl5_clusters(&answers[..19]), None);
    }

    #[test]
    fn phq9_item9() {
        let mut answers = vec![Some(0); 9];
        assert!(!phq9_item9_positive(&answers));
        for value in 1..=3 {
            answers[8] = Some(value);
            assert!(phq9_item9_positive(&answers));
        }
        answers[8] = None;
        assert!(!phq9_item9_positive(&answers));
        // Flagged even when the rest of the form is blank.
        let mut blank = vec![None; 9];
        blank[8] = Some(1);
        assert!(phq9_item9_positive(&blank));
        assert!(!phq9_item9_positive(&[]));
    }

    const N: Option<i16> = Some(0);
    const Y: Option<i16> = Some(1);

    fn cssrs(answers: [Option<i16>; 7]) -> Option<Score> {
        score(InstrumentId::Cssrs, &answers)
    }

    #[test]
    fn cssrs_no_risk() {
        let answers = [N, N, None, None, None, N, None];
        assert_eq!(
            cssrs(answers),
            Some(Score {
                total: 0,
                band: Band::NoRisk
            })
        );
        assert!(missing_items(InstrumentId::Cssrs, &answers).is_empty());
    }

    #[test]
    fn cssrs_low_risk_from_q1_or_q2() {
        assert_eq!(
            cssrs([Y, N, None, None, None, N, None]),
            Some(Score {
                total: 1,
                band: Band::LowRisk
            })
        );
        assert_eq!(
            cssrs([Y, Y, N, N, N, N, None]),
            Some(Score {
                total: 2,
                band: Band::LowRisk
            })
        );
        assert_eq!(
            cssrs([N, Y, N, N, N, N, None]),
            Some(Score {
                total: 1,
                band: Band::LowRisk
            })
        );
    }

    #[test]
    fn cssrs_moderate_risk_from_method_or_old_behaviour() {
        assert_eq!(
            cssrs([Y, Y, Y, N, N, N, None]),
            Some(Score {
                total: 3,
                band: Band::ModerateRisk
            })
        );
        assert_eq!(
            cssrs([N, N, None, None, None, Y, N]),
            Some(Score {
                total: 1,
                band: Band::ModerateRisk
            })
        );
    }

    #[test]
    fn cssrs_high_risk_from_intent_plan_or_recent_behaviour() {
        assert_eq!(
            cssrs([Y, Y, N, Y, N, N, None]),
            Some(Score {
                total: 3,
                band: Band::HighRisk
            })
        );
        assert_eq!(
            cssrs([Y, Y, Y, N, Y, N, None]),
            Some(Score {
                total: 4,
                band: Band::HighRisk
            })
        );
        assert_eq!(
            cssrs([N, N, None, None, None, Y, Y]),
            Some(Score {
                total: 1,
                band: Band::HighRisk
            })
        );
        assert_eq!(
            cssrs([Y, Y, Y, Y, Y, Y, Y]),
            Some(Score {
                total: 6,
                band: Band::HighRisk
            })
        );
    }

    #[test]
    fn cssrs_q3_to_q5_required_only_after_yes_to_q2() {
        let id = InstrumentId::Cssrs;
        assert_eq!(missing_items(id, &[None; 7]), vec![1, 2, 6]);
        let answers = [N, Y, None, None, None, N, None];
        assert_eq!(missing_items(id, &answers), vec![3, 4, 5]);
        assert_eq!(score(id, &answers), None);
        assert_eq!(missing_items(id, &[N, Y, Y, None, N, N, None]), vec![4]);
    }

    #[test]
    fn cssrs_answers_to_q3_to_q5_ignored_after_no_to_q2() {
        assert_eq!(
            cssrs([N, N, Y, Y, Y, N, None]),
            Some(Score {
                total: 0,
                band: Band::NoRisk
            })
        );
        assert_eq!(
            cssrs([Y, N, Y, Y, N, N, None]),
            Some(Score {
                total: 1,
                band: Band::LowRisk
            })
        );
        assert!(!cssrs_yes(&[N, N, Y, Y, Y, N, None], 4));
        assert!(cssrs_yes(&[N, Y, Y, Y, Y, N, None], 4));
    }

    #[test]
    fn cssrs_q6_follow_up_required_only_after_yes_to_q6() {
        let id = InstrumentId::Cssrs;
        let answers = [N, N, None, None, None, Y, None];
        assert_eq!(missing_items(id, &answers), vec![7]);
        assert_eq!(score(id, &answers), None);
        // A leftover "yes, recent" after Q6 changed to no counts for nothing.
        assert_eq!(
            cssrs([N, N, None, None, None, N, Y]),
            Some(Score {
                total: 0,
                band: Band::NoRisk
            })
        );
    }

    #[test]
    fn cssrs_wrong_length_has_no_score() {
        let id = InstrumentId::Cssrs;
        assert_eq!(score(id, &[N, N, None, None, None, N]), None);
        assert_eq!(score(id, &[N, N, None, None, None, N, None, None]), None);
    }

    #[test]
    fn band_labels_and_codes() {
        assert_eq!(Band::Minimal.label(), "Minimal");
        assert_eq!(Band::ModeratelySevere.label(), "Moderately severe");
        assert_eq!(Band::ProbablePtsd.label(), "Probable PTSD");
        assert_eq!(Band::HighRisk.label(), "High risk");
        for band in Band::ALL {
            assert_eq!(Band::parse(band.code()), Some(band));
            let json = serde_json::to_string(&band).unwrap();
            assert_eq!(json, format!("\"{}\"", band.code()));
        }
        assert_eq!(Band::parse("Severe"), None);
    }

    #[test]
    fn score_serialises_as_total_and_band() {
        let score = Score {
            total: 12,
            band: Band::Moderate,
        };
        let json = serde_json::to_string(&score).unwrap();
        assert_eq!(json, r#"{"total":12,"band":"moderate"}"#);
        assert_eq!(serde_json::from_str::<Score>(&json).unwrap(), score);
    }
}
