//! The screening questionnaire's shape (steps and questions), draft handling, completeness,
//! the clinician's decision rules and the status everyone sees. Pure: no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use super::instruments::{self, InstrumentId};
use super::rules::{Flag, FlagKind, IntakeAnswers, has_absolute_contraindication};
use crate::core::FormErrors;
use crate::patients::model::SexAtBirth;

/// One page of the questionnaire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Medical,
    Psychiatric,
    Reproductive,
    Medications,
    Instrument(InstrumentId),
}

impl Step {
    pub fn slug(self) -> &'static str {
        match self {
            Step::Medical => "medical",
            Step::Psychiatric => "psychiatric",
            Step::Reproductive => "pregnancy",
            Step::Medications => "medications",
            Step::Instrument(id) => id.code(),
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Medical => "Medical history",
            Step::Psychiatric => "Mental health history",
            Step::Reproductive => "Pregnancy and breastfeeding",
            Step::Medications => "Medicines and allergies",
            Step::Instrument(id) => instruments::instrument(id).title,
        }
    }

    pub fn instrument(self) -> Option<InstrumentId> {
        match self {
            Step::Instrument(id) => Some(id),
            _ => None,
        }
    }
}

/// The steps this patient is asked, in order. Pregnancy questions only where they can apply;
/// PCL-5 only when the clinic has switched it on.
pub fn steps(sex: Option<SexAtBirth>, pcl5_enabled: bool) -> Vec<Step> {
    let mut steps = vec![Step::Medical, Step::Psychiatric];
    if crate::patients::model::pregnancy_relevant(sex) {
        steps.push(Step::Reproductive);
    }
    steps.push(Step::Medications);
    steps.extend([
        Step::Instrument(InstrumentId::Phq9),
        Step::Instrument(InstrumentId::Gad7),
        Step::Instrument(InstrumentId::Cssrs),
    ]);
    if pcl5_enabled {
        steps.push(Step::Instrument(InstrumentId::Pcl5));
    }
    steps
}

pub fn find_step(steps: &[Step], slug: &str) -> Option<Step> {
    steps.iter().copied().find(|s| s.slug() == slug)
}

pub fn next_step(steps: &[Step], current: Step) -> Option<Step> {
    let at = steps.iter().position(|s| *s == current)?;
    steps.get(at + 1).copied()
}

/// The button that sent a step: carry on (every question must be answered), save and come
/// back later, go back a step, or any other value, which saves what is answered and moves on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepAction {
    Continue,
    Later,
    Back,
    Save,
}

impl StepAction {
    /// The form's `action` pair; none sent is `Continue`.
    pub fn of(form: &StepForm) -> StepAction {
        match form
            .iter()
            .find(|(k, _)| k == "action")
            .map_or("continue", |(_, v)| v.as_str())
        {
            "continue" => StepAction::Continue,
            "later" => StepAction::Later,
            "back" => StepAction::Back,
            _ => StepAction::Save,
        }
    }
}

/// Where the patient goes after a step is saved.
pub fn after_step(steps: &[Step], step: Step, action: StepAction) -> String {
    match (action, next_step(steps, step)) {
        (StepAction::Later, _) => "/patient/screening?notice=saved".to_owned(),
        (StepAction::Back, _) => {
            let at = steps.iter().position(|s| *s == step).unwrap_or(0);
            let previous = at
                .checked_sub(1)
                .and_then(|i| steps.get(i))
                .map_or("review", |s| s.slug());
            format!("/patient/screening/step/{previous}")
        }
        (_, Some(next)) => format!("/patient/screening/step/{}", next.slug()),
        (_, None) => "/patient/screening/review".to_owned(),
    }
}

/// A yes/no question of the intake; `key` is the IntakeAnswers field it fills.
#[derive(Clone, Copy, Debug)]
pub struct Question {
    pub key: &'static str,
    pub text: &'static str,
    /// Asked only when the question named here was answered yes.
    pub only_if_yes_to: Option<&'static str>,
}

const fn ask(key: &'static str, text: &'static str) -> Question {
    Question {
        key,
        text,
        only_if_yes_to: None,
    }
}

const fn follow_up(key: &'static str, text: &'static str, parent: &'static str) -> Question {
    Question {
        key,
        text,
        only_if_yes_to: Some(parent),
    }
}

const MEDICAL: &[Question] = &[
    ask(
        "hypertension",
        "Have you been told you have high blood pressure (hypertension)?",
    ),
    follow_up(
        "hypertension_controlled",
        "If yes: is your blood pressure well controlled (usually below 140/90)?",
        "hypertension",
    ),
    ask(
        "heart_disease",
        "Do you have heart disease, such as angina, a past heart attack, heart failure or an irregular heartbeat?",
    ),
    ask(
        "aneurysm_or_avm",
        "Have you ever had an aneurysm or an arteriovenous malformation (AVM)?",
    ),
    ask(
        "intracerebral_haemorrhage",
        "Have you ever had bleeding inside the brain (intracerebral haemorrhage)?",
    ),
    ask("stroke", "Have you ever had a stroke?"),
    ask(
        "raised_intracranial_pressure",
        "Have you been told you have raised pressure inside your skull (intracranial pressure)?",
    ),
    ask(
        "raised_intraocular_pressure",
        "Have you been told you have raised pressure in your eyes, such as glaucoma?",
    ),
    ask("liver_disease", "Do you have liver disease?"),
    ask(
        "bladder_symptoms",
        "Do you have bladder or urinary problems, such as pain, urgency, passing urine often, or blood in your urine?",
    ),
    ask(
        "hyperthyroidism",
        "Do you have an overactive thyroid (hyperthyroidism)?",
    ),
    ask(
        "ketamine_hypersensitivity",
        "Have you ever had an allergic or severe reaction to ketamine?",
    ),
];

const PSYCHIATRIC: &[Question] = &[
    ask(
        "psychosis_history",
        "Have you ever had psychosis or schizophrenia, or seen or heard things others did not?",
    ),
    follow_up(
        "psychosis_active",
        "If yes: have you had these experiences in the past month?",
        "psychosis_history",
    ),
    ask(
        "bipolar_or_mania",
        "Have you been diagnosed with bipolar disorder, or had episodes of mania?",
    ),
    follow_up(
        "mood_stabiliser",
        "If yes: do you take a mood stabiliser, such as lithium or valproate?",
        "bipolar_or_mania",
    ),
    ask(
        "substance_use_disorder",
        "Have you ever had a problem with alcohol or drug use?",
    ),
    ask(
        "ketamine_misuse",
        "Have you ever used ketamine other than as prescribed by a clinician?",
    ),
    ask(
        "ptsd",
        "Have you been diagnosed with post-traumatic stress disorder (PTSD)?",
    ),
];

const REPRODUCTIVE: &[Question] = &[
    ask("pregnant", "Are you pregnant, or could you be pregnant?"),
    ask("breastfeeding", "Are you breastfeeding?"),
];

/// Medicine groups that change how ketamine works; ticked boxes.
pub const MEDICATION_GROUPS: &[(&str, &str)] = &[
    (
        "takes_benzodiazepine",
        "Benzodiazepines, such as lorazepam, alprazolam, clonazepam or diazepam",
    ),
    ("takes_lamotrigine", "Lamotrigine"),
    (
        "takes_maoi",
        "MAO inhibitors, such as phenelzine, tranylcypromine or selegiline",
    ),
    (
        "takes_psychostimulant",
        "Stimulants, such as methylphenidate or amphetamines",
    ),
    (
        "takes_opioid",
        "Opioid painkillers, such as oxycodone, morphine, codeine or tramadol",
    ),
    (
        "takes_sedative_hypnotic",
        "Sleeping pills, such as zolpidem, zopiclone or eszopiclone",
    ),
];

pub const ANTIDEPRESSANT_TRIALS_MAX: u8 = 40;

pub fn questions(step: Step) -> &'static [Question] {
    match step {
        Step::Medical => MEDICAL,
        Step::Psychiatric => PSYCHIATRIC,
        Step::Reproductive => REPRODUCTIVE,
        Step::Medications | Step::Instrument(_) => &[],
    }
}

fn intake_json(intake: &IntakeAnswers) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(intake) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// A yes/no answer as stored, by question key. Read field by field: serialising the whole
/// intake for each lookup made the clinician's page slow to build.
pub fn yes_no(intake: &IntakeAnswers, key: &str) -> Option<bool> {
    let i = intake;
    match key {
        "hypertension" => i.hypertension,
        "hypertension_controlled" => i.hypertension_controlled,
        "heart_disease" => i.heart_disease,
        "aneurysm_or_avm" => i.aneurysm_or_avm,
        "intracerebral_haemorrhage" => i.intracerebral_haemorrhage,
        "stroke" => i.stroke,
        "raised_intracranial_pressure" => i.raised_intracranial_pressure,
        "raised_intraocular_pressure" => i.raised_intraocular_pressure,
        "liver_disease" => i.liver_disease,
        "bladder_symptoms" => i.bladder_symptoms,
        "hyperthyroidism" => i.hyperthyroidism,
        "ketamine_hypersensitivity" => i.ketamine_hypersensitivity,
        "psychosis_history" => i.psychosis_history,
        "psychosis_active" => i.psychosis_active,
        "bipolar_or_mania" => i.bipolar_or_mania,
        "mood_stabiliser" => i.mood_stabiliser,
        "substance_use_disorder" => i.substance_use_disorder,
        "ketamine_misuse" => i.ketamine_misuse,
        "ptsd" => i.ptsd,
        "pregnant" => i.pregnant,
        "breastfeeding" => i.breastfeeding,
        "takes_benzodiazepine" => Some(i.takes_benzodiazepine),
        "takes_lamotrigine" => Some(i.takes_lamotrigine),
        "takes_maoi" => Some(i.takes_maoi),
        "takes_psychostimulant" => Some(i.takes_psychostimulant),
        "takes_opioid" => Some(i.takes_opioid),
        "takes_sedative_hypnotic" => Some(i.takes_sedative_hypnotic),
        _ => None,
    }
}

fn is_asked(intake: &IntakeAnswers, question: &Question) -> bool {
    question
        .only_if_yes_to
        .is_none_or(|parent| yes_no(intake, parent) == Some(true))
}

/// Questions of an intake step that still need an answer.
pub fn unanswered(intake: &IntakeAnswers, step: Step) -> Vec<&'static str> {
    let mut missing: Vec<&'static str> = questions(step)
        .iter()
        .filter(|q| is_asked(intake, q) && yes_no(intake, q.key).is_none())
        .map(|q| q.key)
        .collect();
    if step == Step::Psychiatric && intake.antidepressant_trials.is_none() {
        missing.push("antidepressant_trials");
    }
    missing
}

/// Instrument answers in a draft, by instrument code.
pub type DraftAnswers = BTreeMap<String, Vec<Option<i16>>>;

pub fn instrument_answers(draft: &DraftAnswers, id: InstrumentId) -> Vec<Option<i16>> {
    let length = instruments::instrument(id).items.len();
    let mut answers = draft.get(id.code()).cloned().unwrap_or_default();
    answers.resize(length, None);
    answers
}

/// Whether a step has everything it needs for submission.
pub fn step_complete(intake: &IntakeAnswers, draft: &DraftAnswers, step: Step) -> bool {
    match step {
        Step::Instrument(id) => {
            instruments::missing_items(id, &instrument_answers(draft, id)).is_empty()
        }
        _ => unanswered(intake, step).is_empty(),
    }
}

/// What the patient sent for one step, as form pairs.
pub type StepForm = Vec<(String, String)>;

fn field<'a>(form: &'a StepForm, key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim())
}

/// Applies a step's form to the draft. Unanswered questions stay unanswered (a draft may be
/// partial); with `require_all`, missing answers are errors too. On error nothing is applied,
/// and the caller shows the form again with what was typed.
pub fn apply_step(
    step: Step,
    form: &StepForm,
    intake: &mut IntakeAnswers,
    draft: &mut DraftAnswers,
    require_all: bool,
) -> Result<(), FormErrors> {
    let mut errors = FormErrors::default();
    // Every pair sent, read or not (the button's "action" is read by the page).
    for (key, value) in form {
        errors.check(
            step_field(step, key),
            crate::core::params::unstorable(value),
        );
    }
    match step {
        Step::Instrument(id) => {
            let instrument = instruments::instrument(id);
            let mut answers = instrument_answers(draft, id);
            for item in instrument.items {
                let key = format!("item{}", item.number);
                let slot = usize::from(item.number) - 1;
                match field(form, &key).filter(|v| !v.is_empty()) {
                    None => {
                        if let Some(answer) = answers.get_mut(slot) {
                            *answer = None;
                        }
                    }
                    Some(value) => match value
                        .parse::<i16>()
                        .ok()
                        .filter(|v| instruments::answer_problem(id, item.number, *v).is_none())
                    {
                        Some(v) => {
                            if let Some(answer) = answers.get_mut(slot) {
                                *answer = Some(v);
                            }
                        }
                        None => errors.add(item_key(item.number), "Choose one of the answers."),
                    },
                }
            }
            if require_all && errors.is_empty() {
                for number in instruments::missing_items(id, &answers) {
                    errors.add(item_key(number), "Please answer this question.");
                }
            }
            if errors.is_empty() {
                draft.insert(id.code().to_owned(), answers);
            }
        }
        Step::Medications => {
            let mut updated = intake.clone();
            let medications = field(form, "medications").unwrap_or_default();
            let allergies = field(form, "allergies").unwrap_or_default();
            if medications.chars().count() > 2000 {
                errors.add("medications", "Use at most 2000 characters.");
            }
            if allergies.chars().count() > 1000 {
                errors.add("allergies", "Use at most 1000 characters.");
            }
            updated.medications = medications.to_owned();
            updated.allergies = allergies.to_owned();
            let mut map = intake_json(&updated);
            for (key, _) in MEDICATION_GROUPS {
                map.insert(
                    (*key).to_owned(),
                    serde_json::Value::Bool(field(form, key).is_some()),
                );
            }
            match serde_json::from_value::<IntakeAnswers>(serde_json::Value::Object(map)) {
                Ok(answers) if errors.is_empty() => *intake = answers,
                Ok(_) => {}
                Err(_) => errors.add(
                    "medications",
                    "These answers could not be read. Please try again.",
                ),
            }
        }
        _ => {
            let mut map = intake_json(intake);
            for question in questions(step) {
                let value = match field(form, question.key) {
                    Some("yes") => serde_json::Value::Bool(true),
                    Some("no") => serde_json::Value::Bool(false),
                    None | Some("") => serde_json::Value::Null,
                    Some(_) => {
                        errors.add(question.key, "Answer yes or no.");
                        continue;
                    }
                };
                map.insert(question.key.to_owned(), value);
            }
            if step == Step::Psychiatric {
                match field(form, "antidepressant_trials").filter(|v| !v.is_empty()) {
                    None => {
                        map.insert("antidepressant_trials".into(), serde_json::Value::Null);
                    }
                    Some(value) => match value
                        .parse::<u8>()
                        .ok()
                        .filter(|n| *n <= ANTIDEPRESSANT_TRIALS_MAX)
                    {
                        Some(n) => {
                            map.insert("antidepressant_trials".into(), serde_json::Value::from(n));
                        }
                        None => errors.add(
                            "antidepressant_trials",
                            "Enter a whole number from 0 to 40 (0 if none).",
                        ),
                    },
                }
            }
            let updated: Option<IntakeAnswers> =
                serde_json::from_value(serde_json::Value::Object(map)).ok();
            if let Some(updated) = updated.filter(|_| errors.is_empty()) {
                if require_all {
                    for key in unanswered(&updated, step) {
                        errors.add(key, "Please answer this question.");
                    }
                }
                if errors.is_empty() {
                    *intake = updated;
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A field of a step's form by its name as sent, as the name errors are kept under; a name
/// the step does not have is the form's.
fn step_field(step: Step, key: &str) -> &'static str {
    let known = questions(step)
        .iter()
        .map(|q| q.key)
        .chain(MEDICATION_GROUPS.iter().map(|(k, _)| *k))
        .chain([
            "medications",
            "allergies",
            "antidepressant_trials",
            "action",
        ])
        .find(|k| *k == key);
    known
        .or_else(|| {
            key.strip_prefix("item")
                .and_then(|n| n.parse::<u8>().ok())
                .map(item_key)
        })
        .unwrap_or("form")
}

/// The form field of instrument item `number`.
pub fn item_key(number: u8) -> &'static str {
    const KEYS: [&str; 20] = [
        "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8", "item9", "item10",
        "item11", "item12", "item13", "item14", "item15", "item16", "item17", "item18", "item19",
        "item20",
    ];
    KEYS.get(usize::from(number).saturating_sub(1))
        .copied()
        .unwrap_or("item")
}

/// Held in PostgreSQL as `eligibility` (mapped in `screening::db`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Eligible,
    NotEligible,
    NeedsInformation,
}

impl Decision {
    pub const ALL: [Decision; 3] = [
        Decision::Eligible,
        Decision::NotEligible,
        Decision::NeedsInformation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Eligible => "eligible",
            Decision::NotEligible => "not_eligible",
            Decision::NeedsInformation => "needs_information",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::Eligible => "Eligible",
            Decision::NotEligible => "Not eligible",
            Decision::NeedsInformation => "Needs more information",
        }
    }

    pub fn parse(value: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == value)
    }
}

/// The clinician's decision form as typed.
#[derive(Clone, Debug, Default)]
pub struct DecisionForm {
    pub decision: String,
    pub clinician_note: String,
    pub patient_message: String,
    pub override_reason: String,
    /// Codes of the flags ticked as acknowledged.
    pub acknowledged: Vec<String>,
}

impl DecisionForm {
    pub fn from_pairs(pairs: &StepForm) -> DecisionForm {
        let mut form = DecisionForm::default();
        for (key, value) in pairs {
            match key.as_str() {
                "decision" => form.decision = value.trim().to_owned(),
                "clinician_note" => form.clinician_note = value.trim().to_owned(),
                "patient_message" => form.patient_message = value.trim().to_owned(),
                "override_reason" => form.override_reason = value.trim().to_owned(),
                "acknowledge" => form.acknowledged.push(value.clone()),
                _ => {}
            }
        }
        form
    }

    pub fn acknowledges(&self, code: &str) -> bool {
        self.acknowledged.iter().any(|c| c == code)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidDecision {
    pub decision: Decision,
    pub clinician_note: String,
    pub patient_message: String,
    pub override_reason: Option<String>,
    pub acknowledged: Vec<String>,
    pub eligible_until: Option<Date>,
}

/// Checks a decision: a note and a patient message are required, every flag must be
/// acknowledged, and "eligible" over an absolute contraindication needs a written override.
pub fn check_decision(
    form: &DecisionForm,
    flags: &[Flag],
    today: Date,
    eligibility_days: i32,
) -> Result<ValidDecision, FormErrors> {
    let mut errors = FormErrors::default();
    errors.check_storable(&[
        ("decision", &form.decision),
        ("clinician_note", &form.clinician_note),
        ("patient_message", &form.patient_message),
        ("override_reason", &form.override_reason),
    ]);
    for code in &form.acknowledged {
        errors.check("acknowledge", crate::core::params::unstorable(code));
    }
    let decision = Decision::parse(&form.decision);
    if decision.is_none() {
        errors.add(
            "decision",
            "Choose eligible, not eligible or needs more information.",
        );
    }
    if form.clinician_note.is_empty() {
        errors.add(
            "clinician_note",
            "Write a clinical note: it records why you decided this.",
        );
    } else if form.clinician_note.chars().count() > 5000 {
        errors.add("clinician_note", "Use at most 5000 characters.");
    }
    if form.patient_message.is_empty() {
        errors.add(
            "patient_message",
            "Write a message for the patient: it is what they will see.",
        );
    } else if form.patient_message.chars().count() > 2000 {
        errors.add("patient_message", "Use at most 2000 characters.");
    }
    if flags.iter().any(|f| !form.acknowledges(&f.code)) {
        errors.add("acknowledge", "Acknowledge every flag before deciding.");
    }
    let override_needed =
        decision == Some(Decision::Eligible) && has_absolute_contraindication(flags);
    if override_needed && form.override_reason.is_empty() {
        errors.add("override_reason", "An absolute contraindication is flagged: write why infusion is still appropriate, or choose another decision.");
    }
    if form.override_reason.chars().count() > 2000 {
        errors.add("override_reason", "Use at most 2000 characters.");
    }
    let Some(decision) = decision.filter(|_| errors.is_empty()) else {
        return Err(errors);
    };
    Ok(ValidDecision {
        decision,
        clinician_note: form.clinician_note.clone(),
        patient_message: form.patient_message.clone(),
        override_reason: (!form.override_reason.is_empty()).then(|| form.override_reason.clone()),
        acknowledged: flags.iter().map(|f| f.code.clone()).collect(),
        eligible_until: (decision == Decision::Eligible)
            .then(|| today + Duration::days(eligibility_days.into())),
    })
}

/// Where a patient stands, as shown to the patient, the front desk and clinicians alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScreeningStanding {
    NotStarted,
    InProgress,
    AwaitingReview { urgent: bool },
    Eligible { until: Date },
    EligibilityExpired { on: Date },
    NotEligible,
    NeedsInformation,
}

impl ScreeningStanding {
    /// From the latest screening's status and its latest decision.
    pub fn of(
        status: Option<&str>,
        urgent: bool,
        decision: Option<Decision>,
        eligible_until: Option<Date>,
        today: Date,
    ) -> ScreeningStanding {
        match (status, decision) {
            (None, _) => ScreeningStanding::NotStarted,
            (Some("draft"), _) => ScreeningStanding::InProgress,
            (Some(_), Some(Decision::Eligible)) => match eligible_until {
                Some(until) if until >= today => ScreeningStanding::Eligible { until },
                Some(on) => ScreeningStanding::EligibilityExpired { on },
                None => ScreeningStanding::NotEligible,
            },
            (Some(_), Some(Decision::NotEligible)) => ScreeningStanding::NotEligible,
            (Some(_), Some(Decision::NeedsInformation)) => ScreeningStanding::NeedsInformation,
            (Some(_), None) => ScreeningStanding::AwaitingReview { urgent },
        }
    }

    pub fn label(self) -> String {
        match self {
            ScreeningStanding::NotStarted => "Screening not started".into(),
            ScreeningStanding::InProgress => "Screening in progress".into(),
            // Said the same whether urgent or not: the front desk and the patient need not
            // learn that a risk flag is why (clinicians see `clinical_label`).
            ScreeningStanding::AwaitingReview { .. } => "Awaiting clinician review".into(),
            ScreeningStanding::Eligible { until } => format!("Eligible until {until}"),
            ScreeningStanding::EligibilityExpired { on } => {
                format!("Eligibility expired on {on}: new screening needed")
            }
            ScreeningStanding::NotEligible => "Not eligible".into(),
            ScreeningStanding::NeedsInformation => "Clinician needs more information".into(),
        }
    }

    /// For clinicians: the label, saying when the review is urgent.
    pub fn clinical_label(self) -> String {
        match self {
            ScreeningStanding::AwaitingReview { urgent: true } => {
                "Awaiting clinician review (urgent)".into()
            }
            other => other.label(),
        }
    }

    /// A short class for styling (badge colour); like the label, the same for an urgent
    /// review as for any other.
    pub fn tone(self) -> &'static str {
        match self {
            ScreeningStanding::Eligible { .. } => "ok",
            ScreeningStanding::NotEligible | ScreeningStanding::EligibilityExpired { .. } => {
                "alert"
            }
            _ => "neutral",
        }
    }
}

/// Which kinds of flag a clinician sees first.
pub fn flag_tone(kind: FlagKind) -> &'static str {
    match kind {
        FlagKind::SuicideRisk | FlagKind::AbsoluteContraindication => "alert",
        FlagKind::RelativeContraindication | FlagKind::MedicationInteraction => "caution",
    }
}

/// One block of answers for reading back (review page, clinician view).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerSection {
    pub step: &'static str,
    pub title: &'static str,
    pub rows: Vec<(String, String)>,
    pub score: Option<String>,
    pub complete: bool,
}

fn yes_no_label(value: Option<bool>) -> String {
    match value {
        Some(true) => "Yes".into(),
        Some(false) => "No".into(),
        None => "Not answered".into(),
    }
}

/// Every question with its answer, step by step, plus each instrument's score.
pub fn answer_sections(
    intake: &IntakeAnswers,
    draft: &DraftAnswers,
    steps: &[Step],
) -> Vec<AnswerSection> {
    steps
        .iter()
        .map(|&step| {
            let mut rows = Vec::new();
            let mut score = None;
            match step {
                Step::Instrument(id) => {
                    let instrument = instruments::instrument(id);
                    let answers = instrument_answers(draft, id);
                    for (item, answer) in instrument.items.iter().zip(&answers) {
                        let label = answer
                            .and_then(|v| instrument.option_label(v))
                            .unwrap_or("Not answered");
                        rows.push((format!("{}. {}", item.number, item.text), label.to_owned()));
                    }
                    score = Some(match instruments::score(id, &answers) {
                        Some(s) => format!("Total {}: {}", s.total, s.band.label()),
                        None => "Incomplete: no total".to_owned(),
                    });
                }
                Step::Medications => {
                    let none = |text: &str| {
                        if text.is_empty() {
                            "None listed".to_owned()
                        } else {
                            text.to_owned()
                        }
                    };
                    rows.push(("Medicines taken".into(), none(&intake.medications)));
                    for (key, label) in MEDICATION_GROUPS {
                        let ticked = yes_no(intake, key) == Some(true);
                        rows.push(((*label).to_owned(), yes_no_label(Some(ticked))));
                    }
                    rows.push(("Allergies".into(), none(&intake.allergies)));
                }
                _ => {
                    for question in questions(step).iter().filter(|q| is_asked(intake, q)) {
                        rows.push((
                            question.text.to_owned(),
                            yes_no_label(yes_no(intake, question.key)),
                        ));
                    }
                    if step == Step::Psychiatric {
                        let trials = intake
                            .antidepressant_trials
                            .map_or("Not answered".to_owned(), |n| n.to_string());
                        rows.push(("Antidepressant medicines tried".into(), trials));
                    }
                }
            }
            AnswerSection {
                step: step.slug(),
                title: step.title(),
                rows,
                score,
                complete: step_complete(intake, draft, step),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn pairs(items: &[(&str, &str)]) -> StepForm {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn answer_sections_read_back_every_answer_and_score() {
        let intake = IntakeAnswers {
            hypertension: Some(true),
            hypertension_controlled: Some(false),
            medications: "sertraline".into(),
            ..IntakeAnswers::default()
        };
        let mut draft = DraftAnswers::new();
        draft.insert("phq9".into(), vec![Some(1); 9]);
        let all = steps(Some(SexAtBirth::Male), false);
        let sections = answer_sections(&intake, &draft, &all);
        let medical = &sections[0];
        assert!(!medical.complete);
        assert!(
            medical
                .rows
                .iter()
                .any(|(q, a)| q.contains("well controlled") && a == "No")
        );
        assert!(
            medical
                .rows
                .iter()
                .any(|(q, a)| q.contains("heart disease") && a == "Not answered")
        );
        let phq9 = sections.iter().find(|s| s.step == "phq9").unwrap();
        assert_eq!(phq9.score.as_deref(), Some("Total 9: Mild"));
        assert!(phq9.complete);
        let gad7 = sections.iter().find(|s| s.step == "gad7").unwrap();
        assert_eq!(gad7.score.as_deref(), Some("Incomplete: no total"));
    }

    #[test]
    fn every_question_key_reads_back_what_was_stored() {
        let keys = [MEDICAL, PSYCHIATRIC, REPRODUCTIVE]
            .concat()
            .into_iter()
            .map(|q| q.key)
            .chain(MEDICATION_GROUPS.iter().map(|(k, _)| *k));
        for key in keys {
            let stored: IntakeAnswers =
                serde_json::from_value(serde_json::json!({ key: true })).unwrap();
            assert_eq!(yes_no(&stored, key), Some(true), "{key}");
        }
    }

    #[test]
    fn steps_depend_on_sex_at_birth_and_the_pcl5_setting() {
        let male = steps(Some(SexAtBirth::Male), false);
        assert!(!male.contains(&Step::Reproductive));
        assert!(!male.contains(&Step::Instrument(InstrumentId::Pcl5)));
        let female = steps(Some(SexAtBirth::Female), true);
        assert!(female.contains(&Step::Reproductive));
        assert_eq!(female.last(), Some(&Step::Instrument(InstrumentId::Pcl5)));
        assert_eq!(next_step(&female, Step::Medical), Some(Step::Psychiatric));
        assert_eq!(
            find_step(&female, "phq9"),
            Some(Step::Instrument(InstrumentId::Phq9))
        );
        assert_eq!(
            next_step(&female, Step::Instrument(InstrumentId::Pcl5)),
            None
        );
    }

    #[test]
    fn yes_no_steps_save_partial_drafts_and_require_all_on_continue() {
        let mut intake = IntakeAnswers::default();
        let mut draft = DraftAnswers::new();
        apply_step(
            Step::Medical,
            &pairs(&[("hypertension", "yes")]),
            &mut intake,
            &mut draft,
            false,
        )
        .unwrap();
        assert_eq!(intake.hypertension, Some(true));
        let errors = apply_step(
            Step::Medical,
            &pairs(&[("hypertension", "yes")]),
            &mut intake,
            &mut draft,
            true,
        )
        .unwrap_err();
        assert!(
            errors.get("hypertension_controlled").is_some(),
            "follow-up asked after yes"
        );
        assert!(errors.get("heart_disease").is_some());
        let all_no: Vec<(&str, &str)> = MEDICAL.iter().map(|q| (q.key, "no")).collect();
        let mut fresh = IntakeAnswers::default();
        apply_step(Step::Medical, &pairs(&all_no), &mut fresh, &mut draft, true).unwrap();
        assert!(step_complete(&fresh, &draft, Step::Medical));
    }

    #[test]
    fn follow_up_questions_are_skipped_after_no() {
        let mut intake = IntakeAnswers::default();
        let answers: Vec<(&str, &str)> = PSYCHIATRIC
            .iter()
            .filter(|q| q.only_if_yes_to.is_none())
            .map(|q| (q.key, "no"))
            .chain([("antidepressant_trials", "3")])
            .collect();
        apply_step(
            Step::Psychiatric,
            &pairs(&answers),
            &mut intake,
            &mut DraftAnswers::new(),
            true,
        )
        .unwrap();
        assert_eq!(intake.antidepressant_trials, Some(3));
        assert!(unanswered(&intake, Step::Psychiatric).is_empty());
    }

    #[test]
    fn bad_values_are_refused_and_nothing_is_applied() {
        let mut intake = IntakeAnswers {
            hypertension: Some(false),
            ..IntakeAnswers::default()
        };
        let errors = apply_step(
            Step::Medical,
            &pairs(&[("hypertension", "maybe")]),
            &mut intake,
            &mut DraftAnswers::new(),
            false,
        )
        .unwrap_err();
        assert!(errors.get("hypertension").is_some());
        assert_eq!(intake.hypertension, Some(false));
        let errors = apply_step(
            Step::Psychiatric,
            &pairs(&[("antidepressant_trials", "lots")]),
            &mut intake,
            &mut DraftAnswers::new(),
            false,
        )
        .unwrap_err();
        assert!(errors.get("antidepressant_trials").is_some());
    }

    #[test]
    fn medication_groups_are_ticked_boxes_and_text_is_kept() {
        let mut intake = IntakeAnswers::default();
        let form = pairs(&[
            ("medications", "sertraline 100 mg"),
            ("takes_lamotrigine", "on"),
            ("allergies", "penicillin"),
        ]);
        apply_step(
            Step::Medications,
            &form,
            &mut intake,
            &mut DraftAnswers::new(),
            true,
        )
        .unwrap();
        assert!(intake.takes_lamotrigine && !intake.takes_opioid);
        assert_eq!(intake.medications, "sertraline 100 mg");
        assert_eq!(intake.allergies, "penicillin");
    }

    #[test]
    fn instrument_steps_store_answers_by_item() {
        let mut draft = DraftAnswers::new();
        let mut intake = IntakeAnswers::default();
        let phq9 = Step::Instrument(InstrumentId::Phq9);
        apply_step(
            phq9,
            &pairs(&[("item1", "2"), ("item9", "1")]),
            &mut intake,
            &mut draft,
            false,
        )
        .unwrap();
        let answers = instrument_answers(&draft, InstrumentId::Phq9);
        assert_eq!(answers[0], Some(2));
        assert_eq!(answers[8], Some(1));
        assert!(!step_complete(&intake, &draft, phq9));
        let errors = apply_step(
            phq9,
            &pairs(&[("item1", "7")]),
            &mut intake,
            &mut draft,
            false,
        )
        .unwrap_err();
        assert!(errors.get("item1").is_some());
        let complete: Vec<(String, String)> = (1..=9)
            .map(|n| (format!("item{n}"), "1".to_owned()))
            .collect();
        apply_step(phq9, &complete, &mut intake, &mut draft, true).unwrap();
        assert!(step_complete(&intake, &draft, phq9));
    }

    fn flag(kind: FlagKind, code: &str) -> Flag {
        Flag {
            kind,
            code: code.into(),
            reason: "reason".into(),
        }
    }

    fn decision(decision: &str, acknowledged: &[&str], override_reason: &str) -> DecisionForm {
        DecisionForm {
            decision: decision.into(),
            clinician_note: "Reviewed history and scores.".into(),
            patient_message: "You can book your first infusion.".into(),
            override_reason: override_reason.into(),
            acknowledged: acknowledged.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn a_nul_in_a_decision_is_refused_on_its_field() {
        let today = date!(2026 - 11 - 28);
        let mut form = decision("eligible", &[], "");
        form.clinician_note = "Reviewed\0 history".into();
        let errors = check_decision(&form, &[], today, 180).unwrap_err();
        assert_eq!(
            errors.get("clinician_note"),
            Some(crate::core::params::UNSTORABLE)
        );
        assert_eq!(errors.all().len(), 1, "{errors:?}");
        let errors =
            check_decision(&decision("eligible", &["a\0"], ""), &[], today, 180).unwrap_err();
        assert_eq!(
            errors.get("acknowledge"),
            Some(crate::core::params::UNSTORABLE)
        );
    }

    #[test]
    fn every_flag_must_be_acknowledged() {
        let flags = [
            flag(FlagKind::RelativeContraindication, "hypertension"),
            flag(FlagKind::MedicationInteraction, "lamotrigine"),
        ];
        let today = date!(2026 - 11 - 28);
        let errors = check_decision(
            &decision("eligible", &["hypertension"], ""),
            &flags,
            today,
            180,
        )
        .unwrap_err();
        assert!(errors.get("acknowledge").is_some());
        let ok = check_decision(
            &decision("eligible", &["hypertension", "lamotrigine"], ""),
            &flags,
            today,
            180,
        )
        .unwrap();
        assert_eq!(ok.eligible_until, Some(date!(2027 - 05 - 27)));
    }

    #[test]
    fn eligible_over_an_absolute_contraindication_needs_an_override_reason() {
        let flags = [flag(FlagKind::AbsoluteContraindication, "pregnant")];
        let today = date!(2026 - 11 - 28);
        let errors = check_decision(&decision("eligible", &["pregnant"], ""), &flags, today, 180)
            .unwrap_err();
        assert!(errors.get("override_reason").is_some());
        assert!(
            check_decision(
                &decision("not_eligible", &["pregnant"], ""),
                &flags,
                today,
                180
            )
            .is_ok()
        );
        let overridden = check_decision(
            &decision(
                "eligible",
                &["pregnant"],
                "Confirmed not pregnant by test today.",
            ),
            &flags,
            today,
            180,
        )
        .unwrap();
        assert_eq!(
            overridden.override_reason.as_deref(),
            Some("Confirmed not pregnant by test today.")
        );
    }

    #[test]
    fn note_message_and_decision_are_required() {
        let form = DecisionForm {
            decision: "perhaps".into(),
            ..DecisionForm::default()
        };
        let errors = check_decision(&form, &[], date!(2026 - 11 - 28), 180).unwrap_err();
        for field in ["decision", "clinician_note", "patient_message"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn standing_follows_status_decision_and_expiry() {
        let today = date!(2026 - 11 - 28);
        assert_eq!(
            ScreeningStanding::of(None, false, None, None, today),
            ScreeningStanding::NotStarted
        );
        assert_eq!(
            ScreeningStanding::of(Some("draft"), false, None, None, today),
            ScreeningStanding::InProgress
        );
        assert_eq!(
            ScreeningStanding::of(Some("submitted"), true, None, None, today),
            ScreeningStanding::AwaitingReview { urgent: true }
        );
        // The front desk's words do not tell an urgent review from another.
        let urgent = ScreeningStanding::AwaitingReview { urgent: true };
        let routine = ScreeningStanding::AwaitingReview { urgent: false };
        assert_eq!(urgent.label(), "Awaiting clinician review");
        assert_eq!(
            (urgent.label(), urgent.tone()),
            (routine.label(), routine.tone())
        );
        assert!(urgent.clinical_label().contains("urgent"));
        assert_eq!(
            ScreeningStanding::of(
                Some("decided"),
                false,
                Some(Decision::Eligible),
                Some(today),
                today
            ),
            ScreeningStanding::Eligible { until: today }
        );
        let yesterday = date!(2026 - 11 - 27);
        let expired = ScreeningStanding::of(
            Some("decided"),
            false,
            Some(Decision::Eligible),
            Some(yesterday),
            today,
        );
        assert_eq!(
            expired,
            ScreeningStanding::EligibilityExpired { on: yesterday }
        );
        assert!(expired.label().contains("expired"));
        assert_eq!(
            ScreeningStanding::of(
                Some("decided"),
                false,
                Some(Decision::NeedsInformation),
                None,
                today
            ),
            ScreeningStanding::NeedsInformation
        );
    }

    #[test]
    fn a_nul_in_a_step_is_refused_on_its_field_and_nothing_is_applied() {
        let mut intake = IntakeAnswers::default();
        let mut draft = DraftAnswers::new();
        let errors = apply_step(
            Step::Medications,
            &pairs(&[("medications", "sertraline\0 50 mg"), ("allergies", "none")]),
            &mut intake,
            &mut draft,
            false,
        )
        .unwrap_err();
        assert_eq!(
            errors.get("medications"),
            Some(crate::core::params::UNSTORABLE)
        );
        assert_eq!(intake, IntakeAnswers::default());
        let errors = apply_step(
            Step::Medical,
            &pairs(&[("hypertension", "yes"), ("action", "later\0")]),
            &mut intake,
            &mut draft,
            false,
        )
        .unwrap_err();
        assert_eq!(errors.get("action"), Some(crate::core::params::UNSTORABLE));
        assert_eq!(intake.hypertension, None);
    }

    #[test]
    fn a_step_button_decides_where_the_patient_goes_next() {
        let pair = |v: &str| vec![("action".to_owned(), v.to_owned())];
        assert_eq!(StepAction::of(&Vec::new()), StepAction::Continue);
        assert_eq!(StepAction::of(&pair("continue")), StepAction::Continue);
        assert_eq!(StepAction::of(&pair("later")), StepAction::Later);
        assert_eq!(StepAction::of(&pair("back")), StepAction::Back);
        assert_eq!(StepAction::of(&pair("other")), StepAction::Save);
        let all = steps(Some(SexAtBirth::Female), true);
        let (first, second, last) = (all[0], all[1], all[all.len() - 1]);
        let step_url = |s: Step| format!("/patient/screening/step/{}", s.slug());
        assert_eq!(
            after_step(&all, first, StepAction::Continue),
            step_url(second)
        );
        assert_eq!(after_step(&all, first, StepAction::Save), step_url(second));
        assert_eq!(after_step(&all, second, StepAction::Back), step_url(first));
        assert_eq!(
            after_step(&all, first, StepAction::Back),
            "/patient/screening/step/review"
        );
        assert_eq!(
            after_step(&all, second, StepAction::Later),
            "/patient/screening?notice=saved"
        );
        assert_eq!(
            after_step(&all, last, StepAction::Continue),
            "/patient/screening/review"
        );
    }
}
