//! Risk flags raised by the intake answers and the scored instruments: suicide risk,
//! contraindications to ketamine and medication interactions. Pure: no I/O.
//!
//! Only an explicit "yes" raises a flag; "no" and unanswered raise nothing (a draft with
//! blanks is caught by the form's own completeness check, not here).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::instruments::{InstrumentId, cssrs_yes, instrument, phq9_item9_positive};

/// The intake answers (stored as JSON; every field optional so a draft can be half filled).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IntakeAnswers {
    // medical history
    pub hypertension: Option<bool>,
    pub hypertension_controlled: Option<bool>,
    pub heart_disease: Option<bool>,
    pub aneurysm_or_avm: Option<bool>,
    pub intracerebral_haemorrhage: Option<bool>,
    pub stroke: Option<bool>,
    pub raised_intracranial_pressure: Option<bool>,
    pub raised_intraocular_pressure: Option<bool>,
    pub liver_disease: Option<bool>,
    pub bladder_symptoms: Option<bool>,
    pub hyperthyroidism: Option<bool>,
    pub ketamine_hypersensitivity: Option<bool>,
    // psychiatric history
    pub psychosis_history: Option<bool>,
    pub psychosis_active: Option<bool>,
    pub bipolar_or_mania: Option<bool>,
    pub mood_stabiliser: Option<bool>,
    pub substance_use_disorder: Option<bool>,
    pub ketamine_misuse: Option<bool>,
    pub ptsd: Option<bool>,
    pub antidepressant_trials: Option<u8>,
    // reproductive
    pub pregnant: Option<bool>,
    pub breastfeeding: Option<bool>,
    // medications and allergies
    pub medications: String,
    pub allergies: String,
    pub takes_benzodiazepine: bool,
    pub takes_lamotrigine: bool,
    pub takes_maoi: bool,
    pub takes_psychostimulant: bool,
    pub takes_opioid: bool,
    pub takes_sedative_hypnotic: bool,
}

/// Declared in the order the clinician queue shows them: suicide risk first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    SuicideRisk,
    AbsoluteContraindication,
    RelativeContraindication,
    MedicationInteraction,
}

impl FlagKind {
    pub const ALL: [FlagKind; 4] = [
        FlagKind::SuicideRisk,
        FlagKind::AbsoluteContraindication,
        FlagKind::RelativeContraindication,
        FlagKind::MedicationInteraction,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FlagKind::SuicideRisk => "Suicide risk",
            FlagKind::AbsoluteContraindication => "Absolute contraindication",
            FlagKind::RelativeContraindication => "Relative contraindication",
            FlagKind::MedicationInteraction => "Medication interaction",
        }
    }

    /// The value stored in the database (the same as the serde name).
    pub fn code(self) -> &'static str {
        match self {
            FlagKind::SuicideRisk => "suicide_risk",
            FlagKind::AbsoluteContraindication => "absolute_contraindication",
            FlagKind::RelativeContraindication => "relative_contraindication",
            FlagKind::MedicationInteraction => "medication_interaction",
        }
    }

    pub fn parse(value: &str) -> Option<FlagKind> {
        FlagKind::ALL
            .into_iter()
            .find(|kind| kind.code() == value.trim())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub kind: FlagKind,
    /// Stable identifier of the finding, e.g. "aneurysm_or_avm", "phq9_item9".
    pub code: String,
    /// One line a clinician can read.
    pub reason: String,
}

impl Flag {
    fn new(kind: FlagKind, code: &str, reason: impl Into<String>) -> Flag {
        Flag {
            kind,
            code: code.to_owned(),
            reason: reason.into(),
        }
    }
}

fn yes(answer: Option<bool>) -> bool {
    answer == Some(true)
}

/// Every flag the answers raise, suicide risk first, then absolute, relative and medication
/// flags, each group ordered by code so the list is stable between renders.
pub fn flags(intake: &IntakeAnswers, phq9: &[Option<i16>], cssrs: &[Option<i16>]) -> Vec<Flag> {
    let mut flags = suicide_risk_flags(phq9, cssrs);
    flags.extend(absolute_contraindications(intake));
    flags.extend(relative_contraindications(intake));
    flags.extend(medication_interactions(intake));
    flags.sort_by(|a, b| (a.kind, &a.code).cmp(&(b.kind, &b.code)));
    flags
}

/// Checked on incomplete forms too: one worrying answer is enough to stop and review. Every
/// entry point uses it: the screening (sent or a saved draft) and the pre-session PHQ-9.
pub fn suicide_risk_flags(phq9: &[Option<i16>], cssrs: &[Option<i16>]) -> Vec<Flag> {
    let mut flags = Vec::new();
    if phq9_item9_positive(phq9) {
        let value = phq9.get(8).copied().flatten().unwrap_or_default();
        let answer = instrument(InstrumentId::Phq9)
            .option_label(value)
            .map_or_else(|| format!("answer {value}"), str::to_owned);
        flags.push(Flag::new(
            FlagKind::SuicideRisk,
            "phq9_item9",
            format!("PHQ-9 item 9 (thoughts of being better off dead or self-harm): {answer}"),
        ));
    }
    // Any explicit yes to Q4/Q5 is flagged, even where the skip logic would not have asked
    // it (pages work without script, so every question is visible): over-flagging is safer.
    // Item 7 (recent behaviour) only means something after a yes to Q6.
    let said_yes = |item: usize| cssrs.get(item - 1).copied().flatten() == Some(1);
    if said_yes(4) {
        flags.push(Flag::new(
            FlagKind::SuicideRisk,
            "cssrs_q4_intent",
            "C-SSRS Q4 (suicidal thoughts with some intention of acting on them, past month): Yes",
        ));
    }
    if said_yes(5) {
        flags.push(Flag::new(
            FlagKind::SuicideRisk,
            "cssrs_q5_plan",
            "C-SSRS Q5 (worked out how to kill themselves and intends to carry out the plan, past month): Yes",
        ));
    }
    if cssrs_yes(cssrs, 7) {
        flags.push(Flag::new(
            FlagKind::SuicideRisk,
            "cssrs_q6_recent_behaviour",
            "C-SSRS Q6 (did or prepared to do something to end their life): Yes, within the past 3 months",
        ));
    }
    flags
}

fn absolute_contraindications(intake: &IntakeAnswers) -> Vec<Flag> {
    let findings = [
        (
            intake.aneurysm_or_avm,
            "aneurysm_or_avm",
            "Aneurysmal vascular disease or arteriovenous malformation",
        ),
        (
            intake.intracerebral_haemorrhage,
            "intracerebral_haemorrhage",
            "History of intracerebral haemorrhage",
        ),
        (
            intake.ketamine_hypersensitivity,
            "ketamine_hypersensitivity",
            "Hypersensitivity to ketamine",
        ),
        (
            intake.psychosis_active,
            "psychosis_active",
            "Active psychosis",
        ),
        (intake.pregnant, "pregnant", "Pregnancy"),
    ];
    findings
        .into_iter()
        .filter(|(answer, _, _)| yes(*answer))
        .map(|(_, code, reason)| Flag::new(FlagKind::AbsoluteContraindication, code, reason))
        .collect()
}

fn relative_contraindications(intake: &IntakeAnswers) -> Vec<Flag> {
    let kind = FlagKind::RelativeContraindication;
    let mut flags = Vec::new();
    if yes(intake.hypertension) {
        let reason = match intake.hypertension_controlled {
            Some(true) => "Hypertension, reported controlled",
            Some(false) => "Hypertension, reported uncontrolled",
            None => "Hypertension; patient not sure whether it is controlled",
        };
        flags.push(Flag::new(kind, "hypertension", reason));
    }
    if yes(intake.bipolar_or_mania) {
        let reason = if yes(intake.mood_stabiliser) {
            "Bipolar disorder or history of mania; takes a mood stabiliser"
        } else {
            "Bipolar disorder or history of mania"
        };
        flags.push(Flag::new(kind, "bipolar_or_mania", reason));
    }
    // Active psychosis is already an absolute contraindication; don't list it twice.
    if yes(intake.psychosis_history) && !yes(intake.psychosis_active) {
        let reason = match intake.psychosis_active {
            Some(_) => "History of psychosis, not active now",
            None => "History of psychosis; patient did not say whether it is active now",
        };
        flags.push(Flag::new(kind, "psychosis_history", reason));
    }
    let findings = [
        (intake.heart_disease, "heart_disease", "Heart disease"),
        (
            intake.substance_use_disorder,
            "substance_use_disorder",
            "Substance-use disorder",
        ),
        (
            intake.ketamine_misuse,
            "ketamine_misuse",
            "Prior ketamine misuse",
        ),
        (intake.liver_disease, "liver_disease", "Liver disease"),
        (
            intake.bladder_symptoms,
            "bladder_symptoms",
            "Bladder or urinary symptoms",
        ),
        (
            intake.raised_intracranial_pressure,
            "raised_intracranial_pressure",
            "Raised intracranial pressure",
        ),
        (intake.breastfeeding, "breastfeeding", "Breastfeeding"),
        (intake.stroke, "stroke", "History of stroke"),
        (
            intake.raised_intraocular_pressure,
            "raised_intraocular_pressure",
            "Raised intraocular pressure (for example glaucoma)",
        ),
        (intake.hyperthyroidism, "hyperthyroidism", "Hyperthyroidism"),
    ];
    flags.extend(
        findings
            .into_iter()
            .filter(|(answer, _, _)| yes(*answer))
            .map(|(_, code, reason)| Flag::new(kind, code, reason)),
    );
    flags
}

fn medication_interactions(intake: &IntakeAnswers) -> Vec<Flag> {
    let findings = [
        (
            intake.takes_benzodiazepine,
            "benzodiazepine",
            "Takes a benzodiazepine: may blunt the response to ketamine",
        ),
        (
            intake.takes_lamotrigine,
            "lamotrigine",
            "Takes lamotrigine: may blunt the response to ketamine",
        ),
        (
            intake.takes_maoi,
            "maoi",
            "Takes an MAOI: risk of a rise in blood pressure",
        ),
        (
            intake.takes_psychostimulant,
            "psychostimulant",
            "Takes a psychostimulant: additive rises in blood pressure and heart rate",
        ),
        (
            intake.takes_opioid,
            "opioid",
            "Takes an opioid: additive sedation and breathing depression",
        ),
        (
            intake.takes_sedative_hypnotic,
            "sedative_hypnotic",
            "Takes a non-benzodiazepine sedative hypnotic: additive sedation",
        ),
    ];
    findings
        .into_iter()
        .filter(|(takes, _, _)| *takes)
        .map(|(_, code, reason)| Flag::new(FlagKind::MedicationInteraction, code, reason))
        .collect()
}

/// What the patient wrote about allergies, as it stands beside the dose order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allergies {
    /// Nothing written (or no screening sent yet): someone must ask.
    NotRecorded,
    /// "none", "NKDA" and the like.
    NoneKnown,
    /// Each allergy in the patient's own words, in the order written.
    Listed(Vec<String>),
}

/// The longest allergy kept whole; a longer one is cut with "…". The box beside the dose
/// order and a FHIR `code.text` stay readable; the screening keeps the full text.
pub const ALLERGY_CHARS: usize = 120;

/// Ways of writing "no allergies", compared with case, spaces and punctuation removed
/// ("N/A" is "na", "None known." is "noneknown").
const NO_KNOWN_ALLERGY: [&str; 13] = [
    "none",
    "noneknown",
    "no",
    "nil",
    "nkda",
    "nka",
    "na",
    "noallergies",
    "noknownallergies",
    "noknownallergy",
    "noknowndrugallergies",
    "nothing",
    "notapplicable",
];

fn letters_and_digits(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads the free text of the screening's allergies question: empty is not recorded, "none"
/// (however written) is no known allergies, anything else a list split on new lines, `;` and
/// `,` (not inside brackets, so "penicillin (rash, hives)" stays one allergy), each piece
/// trimmed and kept as written. A piece with no letter or digit ("-") is dropped.
pub fn allergies(text: &str) -> Allergies {
    let mut pieces = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (at, c) in text.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            '\n' | '\r' | ';' | ',' if depth == 0 => {
                pieces.push(&text[start..at]);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    pieces.push(&text[start..]);
    let pieces: Vec<&str> = pieces
        .into_iter()
        .map(str::trim)
        .filter(|piece| piece.chars().any(char::is_alphanumeric))
        .collect();
    if pieces.is_empty() {
        Allergies::NotRecorded
    } else if pieces
        .iter()
        .all(|piece| NO_KNOWN_ALLERGY.contains(&letters_and_digits(piece).as_str()))
    {
        Allergies::NoneKnown
    } else {
        Allergies::Listed(pieces.into_iter().map(bounded).collect())
    }
}

fn bounded(piece: &str) -> String {
    if piece.chars().count() <= ALLERGY_CHARS {
        return piece.to_owned();
    }
    let mut cut: String = piece.chars().take(ALLERGY_CHARS - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

impl Allergies {
    /// The words of a state without a list; `None` for a list.
    pub fn state(&self) -> Option<&'static str> {
        match self {
            Allergies::NotRecorded => Some("Not recorded — ask the patient"),
            Allergies::NoneKnown => Some("No known allergies"),
            Allergies::Listed(_) => None,
        }
    }

    /// The allergies listed (empty for the other states).
    pub fn listed(&self) -> &[String] {
        match self {
            Allergies::Listed(items) => items,
            _ => &[],
        }
    }
}

/// What stands beside the dose order: the allergies and the interacting medicines of the
/// patient's latest sent screening, and when it was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllergiesAndInteractions {
    pub allergies: Allergies,
    pub interactions: Vec<Flag>,
    pub sent_at: Option<OffsetDateTime>,
}

impl AllergiesAndInteractions {
    /// From the screening's allergies text, flags and sending time; none sent: not recorded.
    pub fn of(screening: Option<(&str, &[Flag], OffsetDateTime)>) -> Self {
        match screening {
            Some((text, flags, sent_at)) => AllergiesAndInteractions {
                allergies: allergies(text),
                interactions: interactions(flags),
                sent_at: Some(sent_at),
            },
            None => AllergiesAndInteractions {
                allergies: Allergies::NotRecorded,
                interactions: Vec::new(),
                sent_at: None,
            },
        }
    }

    /// How loudly the box speaks: allergies listed are an alert; not knowing, or an
    /// interacting medicine, a caution; nothing known and nothing taken, calm.
    pub fn tone(&self) -> &'static str {
        match (&self.allergies, self.interactions.is_empty()) {
            (Allergies::Listed(_), _) => "alert",
            (Allergies::NotRecorded, _) | (_, false) => "caution",
            (Allergies::NoneKnown, true) => "calm",
        }
    }
}

/// The medication-interaction flags among `flags`, in their order.
pub fn interactions(flags: &[Flag]) -> Vec<Flag> {
    flags
        .iter()
        .filter(|flag| flag.kind == FlagKind::MedicationInteraction)
        .cloned()
        .collect()
}

pub fn has_suicide_risk(flags: &[Flag]) -> bool {
    flags.iter().any(|flag| flag.kind == FlagKind::SuicideRisk)
}

pub fn has_absolute_contraindication(flags: &[Flag]) -> bool {
    flags
        .iter()
        .any(|flag| flag.kind == FlagKind::AbsoluteContraindication)
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: Option<i16> = Some(0);
    const Y: Option<i16> = Some(1);
    const NO_PHQ9: &[Option<i16>] = &[];
    const NO_CSSRS: &[Option<i16>] = &[];

    fn intake_flags(intake: &IntakeAnswers) -> Vec<Flag> {
        flags(intake, NO_PHQ9, NO_CSSRS)
    }

    fn codes(flags: &[Flag]) -> Vec<&str> {
        flags.iter().map(|flag| flag.code.as_str()).collect()
    }

    fn only_flag(intake: &IntakeAnswers) -> Flag {
        let flags = intake_flags(intake);
        assert_eq!(flags.len(), 1, "{flags:?}");
        flags[0].clone()
    }

    /// Each yes/no question: yes raises exactly its flag; no and unanswered raise nothing.
    fn check_question(
        set: fn(&mut IntakeAnswers, Option<bool>),
        kind: FlagKind,
        code: &str,
        reason_mentions: &str,
    ) {
        let mut intake = IntakeAnswers::default();
        set(&mut intake, Some(true));
        let flag = only_flag(&intake);
        assert_eq!((flag.kind, flag.code.as_str()), (kind, code));
        assert!(
            flag.reason.to_lowercase().contains(reason_mentions),
            "{code}: {}",
            flag.reason
        );
        assert!(!flag.reason.contains('\n'));
        set(&mut intake, Some(false));
        assert!(intake_flags(&intake).is_empty(), "{code} raised by no");
        set(&mut intake, None);
        assert!(intake_flags(&intake).is_empty(), "{code} raised unanswered");
    }

    #[test]
    fn absolute_contraindications_one_per_answer() {
        let absolute = FlagKind::AbsoluteContraindication;
        check_question(
            |i, v| i.aneurysm_or_avm = v,
            absolute,
            "aneurysm_or_avm",
            "aneurysm",
        );
        check_question(
            |i, v| i.intracerebral_haemorrhage = v,
            absolute,
            "intracerebral_haemorrhage",
            "intracerebral haemorrhage",
        );
        check_question(
            |i, v| i.ketamine_hypersensitivity = v,
            absolute,
            "ketamine_hypersensitivity",
            "hypersensitivity",
        );
        check_question(
            |i, v| i.psychosis_active = v,
            absolute,
            "psychosis_active",
            "psychosis",
        );
        check_question(|i, v| i.pregnant = v, absolute, "pregnant", "pregnan");
    }

    #[test]
    fn relative_contraindications_one_per_answer() {
        let relative = FlagKind::RelativeContraindication;
        check_question(
            |i, v| i.hypertension = v,
            relative,
            "hypertension",
            "hypertension",
        );
        check_question(
            |i, v| i.heart_disease = v,
            relative,
            "heart_disease",
            "heart disease",
        );
        check_question(
            |i, v| i.substance_use_disorder = v,
            relative,
            "substance_use_disorder",
            "substance",
        );
        check_question(
            |i, v| i.ketamine_misuse = v,
            relative,
            "ketamine_misuse",
            "ketamine misuse",
        );
        check_question(
            |i, v| i.liver_disease = v,
            relative,
            "liver_disease",
            "liver",
        );
        check_question(
            |i, v| i.bladder_symptoms = v,
            relative,
            "bladder_symptoms",
            "bladder",
        );
        check_question(
            |i, v| i.bipolar_or_mania = v,
            relative,
            "bipolar_or_mania",
            "mania",
        );
        check_question(
            |i, v| i.raised_intracranial_pressure = v,
            relative,
            "raised_intracranial_pressure",
            "intracranial",
        );
        check_question(
            |i, v| i.breastfeeding = v,
            relative,
            "breastfeeding",
            "breastfeeding",
        );
        check_question(
            |i, v| i.psychosis_history = v,
            relative,
            "psychosis_history",
            "psychosis",
        );
        check_question(|i, v| i.stroke = v, relative, "stroke", "stroke");
        check_question(
            |i, v| i.raised_intraocular_pressure = v,
            relative,
            "raised_intraocular_pressure",
            "intraocular",
        );
        check_question(
            |i, v| i.hyperthyroidism = v,
            relative,
            "hyperthyroidism",
            "hyperthyroidism",
        );
    }

    #[test]
    fn hypertension_reason_says_whether_controlled() {
        let reason = |controlled| {
            only_flag(&IntakeAnswers {
                hypertension: Some(true),
                hypertension_controlled: controlled,
                ..IntakeAnswers::default()
            })
            .reason
        };
        assert_eq!(reason(Some(true)), "Hypertension, reported controlled");
        assert_eq!(reason(Some(false)), "Hypertension, reported uncontrolled");
        assert_eq!(
            reason(None),
            "Hypertension; patient not sure whether it is controlled"
        );
        // "Controlled" alone, without hypertension, is no finding.
        let intake = IntakeAnswers {
            hypertension: Some(false),
            hypertension_controlled: Some(false),
            ..IntakeAnswers::default()
        };
        assert!(intake_flags(&intake).is_empty());
    }

    #[test]
    fn mania_reason_mentions_mood_stabiliser_when_taken() {
        let reason = |stabiliser| {
            only_flag(&IntakeAnswers {
                bipolar_or_mania: Some(true),
                mood_stabiliser: stabiliser,
                ..IntakeAnswers::default()
            })
            .reason
        };
        assert!(reason(Some(true)).contains("mood stabiliser"));
        assert!(!reason(Some(false)).contains("mood stabiliser"));
        assert!(!reason(None).contains("mood stabiliser"));
        let stabiliser_only = IntakeAnswers {
            mood_stabiliser: Some(true),
            ..IntakeAnswers::default()
        };
        assert!(intake_flags(&stabiliser_only).is_empty());
    }

    #[test]
    fn active_psychosis_is_absolute_and_not_also_relative() {
        let active = IntakeAnswers {
            psychosis_history: Some(true),
            psychosis_active: Some(true),
            ..IntakeAnswers::default()
        };
        let flag = only_flag(&active);
        assert_eq!(flag.kind, FlagKind::AbsoluteContraindication);
        assert_eq!(flag.code, "psychosis_active");

        let past = IntakeAnswers {
            psychosis_history: Some(true),
            psychosis_active: Some(false),
            ..IntakeAnswers::default()
        };
        let flag = only_flag(&past);
        assert_eq!(flag.kind, FlagKind::RelativeContraindication);
        assert_eq!(flag.reason, "History of psychosis, not active now");
    }

    #[test]
    fn medication_interactions_one_per_flag() {
        type Set = fn(&mut IntakeAnswers);
        let cases: [(Set, &str, &str); 6] = [
            (|i| i.takes_benzodiazepine = true, "benzodiazepine", "blunt"),
            (|i| i.takes_lamotrigine = true, "lamotrigine", "blunt"),
            (|i| i.takes_maoi = true, "maoi", "blood pressure"),
            (
                |i| i.takes_psychostimulant = true,
                "psychostimulant",
                "heart rate",
            ),
            (|i| i.takes_opioid = true, "opioid", "breathing"),
            (
                |i| i.takes_sedative_hypnotic = true,
                "sedative_hypnotic",
                "sedation",
            ),
        ];
        for (set, code, mentions) in cases {
            let mut intake = IntakeAnswers::default();
            set(&mut intake);
            let flag = only_flag(&intake);
            assert_eq!(flag.kind, FlagKind::MedicationInteraction);
            assert_eq!(flag.code, code);
            assert!(flag.reason.contains(mentions), "{}", flag.reason);
        }
    }

    #[test]
    fn free_text_and_unflagged_history_raise_nothing() {
        let intake = IntakeAnswers {
            ptsd: Some(true),
            antidepressant_trials: Some(4),
            medications: "sertraline 100 mg".into(),
            allergies: "penicillin".into(),
            ..IntakeAnswers::default()
        };
        assert!(intake_flags(&intake).is_empty());
    }

    #[test]
    fn all_no_raises_nothing() {
        let no = Some(false);
        let intake = IntakeAnswers {
            hypertension: no,
            hypertension_controlled: no,
            heart_disease: no,
            aneurysm_or_avm: no,
            intracerebral_haemorrhage: no,
            stroke: no,
            raised_intracranial_pressure: no,
            raised_intraocular_pressure: no,
            liver_disease: no,
            bladder_symptoms: no,
            hyperthyroidism: no,
            ketamine_hypersensitivity: no,
            psychosis_history: no,
            psychosis_active: no,
            bipolar_or_mania: no,
            mood_stabiliser: no,
            substance_use_disorder: no,
            ketamine_misuse: no,
            ptsd: no,
            antidepressant_trials: Some(0),
            pregnant: no,
            breastfeeding: no,
            ..IntakeAnswers::default()
        };
        assert!(flags(&intake, &[N; 9], &[N, N, None, None, None, N, None]).is_empty());
        assert!(flags(&IntakeAnswers::default(), &[None; 9], &[None; 7]).is_empty());
    }

    #[test]
    fn phq9_item9_raises_suicide_risk_quoting_the_answer() {
        let mut phq9 = [N; 9];
        assert!(flags(&IntakeAnswers::default(), &phq9, NO_CSSRS).is_empty());
        for (value, label) in [
            (1, "Several days"),
            (2, "More than half the days"),
            (3, "Nearly every day"),
        ] {
            phq9[8] = Some(value);
            let flags = flags(&IntakeAnswers::default(), &phq9, NO_CSSRS);
            assert_eq!(flags.len(), 1);
            assert_eq!(flags[0].kind, FlagKind::SuicideRisk);
            assert_eq!(flags[0].code, "phq9_item9");
            assert_eq!(
                flags[0].reason,
                format!("PHQ-9 item 9 (thoughts of being better off dead or self-harm): {label}")
            );
        }
        // A high total without item 9 is not a suicide-risk flag.
        let severe = [
            Some(3),
            Some(3),
            Some(3),
            Some(3),
            Some(3),
            Some(3),
            Some(3),
            Some(3),
            N,
        ];
        assert!(flags(&IntakeAnswers::default(), &severe, NO_CSSRS).is_empty());
        // Raised from a half-filled form too.
        let mut partial = [None; 9];
        partial[8] = Some(1);
        assert!(has_suicide_risk(&flags(
            &IntakeAnswers::default(),
            &partial,
            NO_CSSRS
        )));
    }

    fn cssrs_codes(cssrs: [Option<i16>; 7]) -> Vec<String> {
        flags(&IntakeAnswers::default(), NO_PHQ9, &cssrs)
            .into_iter()
            .inspect(|flag| assert_eq!(flag.kind, FlagKind::SuicideRisk))
            .map(|flag| flag.code)
            .collect()
    }

    #[test]
    fn cssrs_intent_plan_and_recent_behaviour_raise_suicide_risk() {
        assert_eq!(cssrs_codes([Y, Y, N, Y, N, N, None]), ["cssrs_q4_intent"]);
        assert_eq!(cssrs_codes([Y, Y, N, N, Y, N, None]), ["cssrs_q5_plan"]);
        assert_eq!(
            cssrs_codes([N, N, None, None, None, Y, Y]),
            ["cssrs_q6_recent_behaviour"]
        );
        assert_eq!(
            cssrs_codes([Y, Y, Y, Y, Y, Y, Y]),
            [
                "cssrs_q4_intent",
                "cssrs_q5_plan",
                "cssrs_q6_recent_behaviour"
            ]
        );
    }

    #[test]
    fn an_explicit_yes_to_intent_or_plan_is_flagged_even_after_a_no_to_q2() {
        assert_eq!(
            cssrs_codes([N, N, N, Y, Y, N, None]),
            ["cssrs_q4_intent", "cssrs_q5_plan"]
        );
    }

    #[test]
    fn a_partly_filled_form_with_a_risk_answer_is_flagged() {
        // Only item 9 answered, the rest left blank.
        let mut phq9 = vec![None; 9];
        phq9[8] = Some(1);
        let flags = suicide_risk_flags(&phq9, &[]);
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].code, "phq9_item9");
        // Item 9 at 0, or not answered yet, raises nothing on its own.
        phq9[8] = Some(0);
        assert!(suicide_risk_flags(&phq9, &[]).is_empty());
        assert!(suicide_risk_flags(&[None; 9], &[None; 7]).is_empty());
        // A single C-SSRS yes to Q4 in an otherwise empty form is enough.
        let mut cssrs = vec![None; 7];
        cssrs[3] = Some(1);
        assert_eq!(suicide_risk_flags(&[], &cssrs)[0].code, "cssrs_q4_intent");
    }

    #[test]
    fn cssrs_lower_risk_answers_raise_no_flag() {
        // Wish to be dead, thoughts, method, or behaviour more than 3 months ago.
        assert!(cssrs_codes([Y, Y, Y, N, N, N, None]).is_empty());
        assert!(cssrs_codes([N, N, None, None, None, Y, N]).is_empty());
        assert!(cssrs_codes([N, N, None, None, None, Y, None]).is_empty());
        assert!(cssrs_codes([None; 7]).is_empty());
        // Nor is "within 3 months" after Q6 changed to no.
        assert!(cssrs_codes([N, N, None, None, None, N, Y]).is_empty());
    }

    #[test]
    fn flags_are_ordered_by_kind_then_code() {
        let intake = IntakeAnswers {
            takes_opioid: true,
            takes_benzodiazepine: true,
            stroke: Some(true),
            hypertension: Some(true),
            pregnant: Some(true),
            aneurysm_or_avm: Some(true),
            ..IntakeAnswers::default()
        };
        let mut phq9 = [N; 9];
        phq9[8] = Y;
        let all = flags(&intake, &phq9, &[Y, Y, N, Y, N, N, None]);
        assert_eq!(
            codes(&all),
            [
                "cssrs_q4_intent",
                "phq9_item9",
                "aneurysm_or_avm",
                "pregnant",
                "hypertension",
                "stroke",
                "benzodiazepine",
                "opioid",
            ]
        );
        let kinds: Vec<FlagKind> = all.iter().map(|flag| flag.kind).collect();
        let mut sorted = kinds.clone();
        sorted.sort();
        assert_eq!(kinds, sorted);
        assert_eq!(kinds[0], FlagKind::SuicideRisk);
        assert_eq!(kinds[kinds.len() - 1], FlagKind::MedicationInteraction);
    }

    #[test]
    fn every_reason_is_one_line() {
        let intake = IntakeAnswers {
            hypertension: Some(true),
            heart_disease: Some(true),
            aneurysm_or_avm: Some(true),
            intracerebral_haemorrhage: Some(true),
            stroke: Some(true),
            raised_intracranial_pressure: Some(true),
            raised_intraocular_pressure: Some(true),
            liver_disease: Some(true),
            bladder_symptoms: Some(true),
            hyperthyroidism: Some(true),
            ketamine_hypersensitivity: Some(true),
            psychosis_history: Some(true),
            bipolar_or_mania: Some(true),
            mood_stabiliser: Some(true),
            substance_use_disorder: Some(true),
            ketamine_misuse: Some(true),
            pregnant: Some(true),
            breastfeeding: Some(true),
            takes_benzodiazepine: true,
            takes_lamotrigine: true,
            takes_maoi: true,
            takes_psychostimulant: true,
            takes_opioid: true,
            takes_sedative_hypnotic: true,
            ..IntakeAnswers::default()
        };
        let all = flags(&intake, &[Some(3); 9], &[Y; 7]);
        // 4 suicide + 4 absolute (active psychosis unanswered) + 13 relative + 6 medication.
        assert_eq!(all.len(), 27);
        let mut unique = codes(&all);
        unique.dedup();
        assert_eq!(unique.len(), all.len());
        for flag in &all {
            assert!(
                !flag.reason.is_empty() && !flag.reason.contains('\n'),
                "{flag:?}"
            );
        }
    }

    fn listed(items: &[&str]) -> Allergies {
        Allergies::Listed(items.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn empty_allergies_are_not_recorded() {
        for text in ["", "   ", "\n\n", " ; , \n", "-", "—", "?", "..."] {
            assert_eq!(allergies(text), Allergies::NotRecorded, "{text:?}");
        }
    }

    #[test]
    fn none_however_written_is_no_known_allergies() {
        for text in [
            "none",
            "None",
            "NONE.",
            " none \n",
            "None known",
            "none-known",
            "no",
            "No.",
            "nil",
            "NKDA",
            "nkda!",
            "n/a",
            "N/A",
            "N.A.",
            "No known allergies",
            "no allergies",
            "none; nil",
            "None, none",
        ] {
            assert_eq!(allergies(text), Allergies::NoneKnown, "{text:?}");
        }
    }

    #[test]
    fn a_word_only_like_none_is_an_allergy() {
        assert_eq!(allergies("nuts"), listed(&["nuts"]));
        assert_eq!(
            allergies("none known to me but latex?"),
            listed(&["none known to me but latex?"])
        );
        assert_eq!(allergies("nickel"), listed(&["nickel"]));
        // "none" beside a real allergy: the list is shown as written, nothing dropped.
        assert_eq!(allergies("none; latex"), listed(&["none", "latex"]));
    }

    #[test]
    fn allergies_split_on_new_lines_semicolons_and_commas() {
        assert_eq!(
            allergies("penicillin; latex"),
            listed(&["penicillin", "latex"])
        );
        assert_eq!(
            allergies("Penicillin\r\nLatex gloves,  peanuts ;;\n\nsulfa "),
            listed(&["Penicillin", "Latex gloves", "peanuts", "sulfa"])
        );
        assert_eq!(allergies("codeine"), listed(&["codeine"]));
        // Kept as the patient wrote them: case, inner spaces and punctuation.
        assert_eq!(
            allergies("Co-trimoxazole - rash!"),
            listed(&["Co-trimoxazole - rash!"])
        );
    }

    #[test]
    fn a_comma_inside_brackets_does_not_split() {
        assert_eq!(
            allergies("Penicillin (rash, hives), latex [itching; swelling]"),
            listed(&["Penicillin (rash, hives)", "latex [itching; swelling]"])
        );
        // An unclosed bracket keeps the rest together rather than losing it.
        assert_eq!(
            allergies("amoxicillin (rash, hives; latex"),
            listed(&["amoxicillin (rash, hives; latex"])
        );
        // A stray closing bracket does not stop later splits.
        assert_eq!(allergies("latex), nuts"), listed(&["latex)", "nuts"]));
    }

    #[test]
    fn a_long_allergy_is_bounded() {
        let exact = "a".repeat(ALLERGY_CHARS);
        assert_eq!(allergies(&exact), listed(&[exact.as_str()]));
        let long = format!("{} tail", "é".repeat(ALLERGY_CHARS));
        let Allergies::Listed(items) = allergies(&long) else {
            panic!("not listed");
        };
        assert_eq!(items[0].chars().count(), ALLERGY_CHARS);
        assert!(items[0].ends_with('…'));
        assert!(items[0].starts_with("éé"));
    }

    #[test]
    fn interactions_are_the_medication_flags_only() {
        let intake = IntakeAnswers {
            takes_opioid: true,
            takes_maoi: true,
            hypertension: Some(true),
            ..IntakeAnswers::default()
        };
        let all = flags(&intake, &[Some(1); 9], NO_CSSRS);
        assert_eq!(codes(&interactions(&all)), ["maoi", "opioid"]);
        assert!(interactions(&[]).is_empty());
    }

    #[test]
    fn the_box_reads_the_screening_and_says_how_loudly() {
        let sent = time::macros::datetime!(2026-03-01 10:00 UTC);
        let opioid = flags(
            &IntakeAnswers {
                takes_opioid: true,
                stroke: Some(true),
                ..IntakeAnswers::default()
            },
            NO_PHQ9,
            NO_CSSRS,
        );
        let none_sent = AllergiesAndInteractions::of(None);
        assert_eq!(none_sent.allergies, Allergies::NotRecorded);
        assert_eq!((none_sent.sent_at, none_sent.tone()), (None, "caution"));
        let calm = AllergiesAndInteractions::of(Some(("None", &[], sent)));
        assert_eq!(
            (calm.allergies.clone(), calm.tone()),
            (Allergies::NoneKnown, "calm")
        );
        assert_eq!(calm.sent_at, Some(sent));
        let taking = AllergiesAndInteractions::of(Some(("nkda", &opioid, sent)));
        assert_eq!(codes(&taking.interactions), ["opioid"]);
        assert_eq!(taking.tone(), "caution");
        let blank = AllergiesAndInteractions::of(Some(("", &[], sent)));
        assert_eq!(blank.tone(), "caution");
        let allergic = AllergiesAndInteractions::of(Some(("latex", &opioid, sent)));
        assert_eq!(allergic.tone(), "alert");
        assert_eq!(allergic.allergies.listed(), ["latex"]);
        assert_eq!(allergic.allergies.state(), None);
        assert_eq!(calm.allergies.state(), Some("No known allergies"));
        assert!(calm.allergies.listed().is_empty());
        assert_eq!(
            Allergies::NotRecorded.state(),
            Some("Not recorded — ask the patient")
        );
    }

    #[test]
    fn helper_predicates() {
        assert!(!has_suicide_risk(&[]));
        assert!(!has_absolute_contraindication(&[]));
        let relative = Flag::new(
            FlagKind::RelativeContraindication,
            "stroke",
            "History of stroke",
        );
        let medication = Flag::new(FlagKind::MedicationInteraction, "opioid", "Takes an opioid");
        let absolute = Flag::new(FlagKind::AbsoluteContraindication, "pregnant", "Pregnancy");
        let suicide = Flag::new(FlagKind::SuicideRisk, "phq9_item9", "PHQ-9 item 9");
        let ordinary = [relative.clone(), medication.clone()];
        assert!(!has_suicide_risk(&ordinary));
        assert!(!has_absolute_contraindication(&ordinary));
        assert!(has_absolute_contraindication(&[relative.clone(), absolute]));
        assert!(!has_suicide_risk(&[relative.clone(), medication.clone()]));
        assert!(has_suicide_risk(&[medication, suicide.clone()]));
        assert!(!has_absolute_contraindication(&[suicide]));
    }

    #[test]
    fn flag_kind_codes_labels_and_order() {
        for kind in FlagKind::ALL {
            assert_eq!(FlagKind::parse(kind.code()), Some(kind));
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.code())
            );
            assert!(!kind.label().is_empty());
        }
        assert_eq!(FlagKind::parse("suicide risk"), None);
        assert_eq!(FlagKind::SuicideRisk.label(), "Suicide risk");
        assert!(FlagKind::SuicideRisk < FlagKind::AbsoluteContraindication);
        assert!(FlagKind::AbsoluteContraindication < FlagKind::RelativeContraindication);
        assert!(FlagKind::RelativeContraindication < FlagKind::MedicationInteraction);
    }

    #[test]
    fn intake_answers_json_round_trip() {
        let intake = IntakeAnswers {
            hypertension: Some(true),
            hypertension_controlled: Some(false),
            pregnant: Some(false),
            antidepressant_trials: Some(3),
            medications: "lamotrigine 200 mg\nsertraline".into(),
            allergies: "latex".into(),
            takes_lamotrigine: true,
            ..IntakeAnswers::default()
        };
        let json = serde_json::to_string(&intake).unwrap();
        assert_eq!(
            serde_json::from_str::<IntakeAnswers>(&json).unwrap(),
            intake
        );
        let value = serde_json::to_value(&intake).unwrap();
        assert_eq!(value["hypertension_controlled"], serde_json::json!(false));
        assert_eq!(value["heart_disease"], serde_json::Value::Null);
    }

    #[test]
    fn intake_answers_from_empty_or_partial_json() {
        assert_eq!(
            serde_json::from_str::<IntakeAnswers>("{}").unwrap(),
            IntakeAnswers::default()
        );
        let partial: IntakeAnswers =
            serde_json::from_str(r#"{"pregnant": true, "takes_maoi": true}"#).unwrap();
        assert_eq!(partial.pregnant, Some(true));
        assert!(partial.takes_maoi);
        assert_eq!(partial.hypertension, None);
        assert_eq!(partial.medications, "");
    }

    #[test]
    fn flag_json_round_trip() {
        let flag = Flag::new(
            FlagKind::SuicideRisk,
            "phq9_item9",
            "PHQ-9 item 9: Several days",
        );
        let json = serde_json::to_string(&flag).unwrap();
        assert!(json.contains(r#""kind":"suicide_risk""#));
        assert_eq!(serde_json::from_str::<Flag>(&json).unwrap(), flag);
    }
}
