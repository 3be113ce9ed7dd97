//! The flowsheet's pure rules: vitals and their alerts, the blood-pressure hold, when the next
//! reading is due, the dose order, events, what discharge needs, and the clinic's settings and
//! protocols as an admin types them. No I/O: the pages and the database layer call these.

use time::{Duration, OffsetDateTime};

use crate::alerts::model::AlertKind;
use crate::core::FormErrors;

// The dose's rules live beside these (see `super::dosing`); callers reach both here.
pub use super::dosing::*;

/// What a clinician's signature on the discharge means.
pub const DISCHARGE_MEANING: &str =
    "I discharge this patient: the record above is complete and correct.";
/// What a clinician's signature on an addendum means.
pub const ADDENDUM_MEANING: &str = "I add this correction to the signed infusion record.";

/// The check-in checklist as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct CheckInForm {
    #[serde(default)]
    pub fasting: Option<String>,
    #[serde(default)]
    pub escort: Option<String>,
    #[serde(default)]
    pub pregnancy_test: String,
    /// Why the test does not apply, when "not applicable" is chosen.
    #[serde(default)]
    pub pregnancy_test_reason: String,
    /// The weight as typed, in `weight_unit` ("kg" or "lb").
    #[serde(default)]
    pub weight_kg: String,
    #[serde(default)]
    pub weight_unit: String,
    /// Ticked to confirm a weight far from the last one.
    #[serde(default)]
    pub weight_confirmed: Option<String>,
    #[serde(flatten)]
    pub vitals: VitalsForm,
}

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct StartForm {
    #[serde(default)]
    pub bp_override_reason: String,
}

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct DischargeForm {
    #[serde(default)]
    pub escort_present: Option<String>,
    #[serde(default)]
    pub no_driving: Option<String>,
    #[serde(default)]
    pub signed_name: String,
    #[serde(default)]
    pub meaning: Option<String>,
}

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AddendumForm {
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub signed_name: String,
    #[serde(default)]
    pub meaning: Option<String>,
}

/// Free texts (deviation reasons, notes, interventions) are kept short enough to read at a glance.
pub const TEXT_MAX: usize = 500;
pub const LOT_NUMBER_MAX: usize = 40;
/// The longest infusion an order may name, in minutes.
pub const MINUTES_MAX: i32 = 240;
pub const MOAAS_MAX: i16 = 5;
pub const CADSS_MAX: i16 = 92;

/// The clinic's settings these rules read (the caller fills it from the settings table).
#[derive(Clone, Debug, PartialEq)]
pub struct TreatmentRules {
    /// A baseline strictly above either number holds the start.
    pub bp_hold_systolic: i32,
    pub bp_hold_diastolic: i32,
    /// Orders above either maximum are refused.
    pub max_mg_per_kg: f64,
    pub max_mg: f64,
    pub vitals_interval_minutes: i32,
    pub alerts: AlertRanges,
    /// How far above baseline (mmHg, systolic and diastolic) blood pressure may be at discharge.
    pub discharge_bp_margin: i32,
    /// How far either side of baseline (bpm) the heart rate may be at discharge.
    pub discharge_hr_margin: i32,
    pub follow_up_every_infusions: i32,
    pub follow_up_every_months: i32,
    /// A check-in weight further than this (%) from the last one must be confirmed.
    pub weight_change_confirm_pct: i32,
    /// How long (minutes) a patient is watched after the end before discharge.
    pub min_observation_minutes: i32,
    /// The lowest systolic pressure (mmHg) a patient goes home with.
    pub discharge_systolic_min: i32,
    /// An infusion that ran for less than this share (%) of the ordered minutes is marked.
    pub short_infusion_pct: i32,
    /// A CADSS total above this raises a dissociation alert.
    pub cadss_alert_threshold: i32,
}

/// Readings outside these are highlighted; the bounds themselves are fine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertRanges {
    pub systolic: (i32, i32),
    pub diastolic: (i32, i32),
    pub heart_rate: (i32, i32),
    pub spo2_low: i32,
    pub resp_rate: (i32, i32),
}

impl TreatmentRules {
    /// The clinic's suggested defaults; used by tests and docs.
    pub fn example() -> Self {
        TreatmentRules {
            bp_hold_systolic: 160,
            bp_hold_diastolic: 100,
            max_mg_per_kg: 1.0,
            max_mg: 100.0,
            vitals_interval_minutes: 15,
            alerts: AlertRanges {
                systolic: (90, 180),
                diastolic: (50, 110),
                heart_rate: (50, 120),
                spo2_low: 92,
                resp_rate: (10, 24),
            },
            discharge_bp_margin: 20,
            discharge_hr_margin: 20,
            follow_up_every_infusions: 6,
            follow_up_every_months: 3,
            weight_change_confirm_pct: 10,
            min_observation_minutes: 30,
            discharge_systolic_min: 90,
            short_infusion_pct: 75,
            cadss_alert_threshold: 30,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vitals {
    pub systolic: i32,
    pub diastolic: i32,
    pub heart_rate: i32,
    pub spo2: i32,
    pub resp_rate: i32,
}

/// As typed (kept on errors so nothing typed is lost).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct VitalsForm {
    #[serde(default)]
    pub systolic: String,
    #[serde(default)]
    pub diastolic: String,
    #[serde(default)]
    pub heart_rate: String,
    #[serde(default)]
    pub spo2: String,
    #[serde(default)]
    pub resp_rate: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VitalSign {
    Systolic,
    Diastolic,
    HeartRate,
    Spo2,
    RespRate,
}

impl VitalSign {
    pub const ALL: [VitalSign; 5] = [
        VitalSign::Systolic,
        VitalSign::Diastolic,
        VitalSign::HeartRate,
        VitalSign::Spo2,
        VitalSign::RespRate,
    ];

    pub fn label(self) -> &'static str {
        match self {
            VitalSign::Systolic => "Systolic pressure",
            VitalSign::Diastolic => "Diastolic pressure",
            VitalSign::HeartRate => "Heart rate",
            VitalSign::Spo2 => "SpO2",
            VitalSign::RespRate => "Respiratory rate",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            VitalSign::Systolic | VitalSign::Diastolic => "mmHg",
            VitalSign::HeartRate => "bpm",
            VitalSign::Spo2 => "%",
            VitalSign::RespRate => "/min",
        }
    }

    /// The form field (and error key) for this sign.
    pub fn field(self) -> &'static str {
        match self {
            VitalSign::Systolic => "systolic",
            VitalSign::Diastolic => "diastolic",
            VitalSign::HeartRate => "heart_rate",
            VitalSign::Spo2 => "spo2",
            VitalSign::RespRate => "resp_rate",
        }
    }

    /// What a reading can plausibly be; anything else is a typing slip.
    pub fn plausible(self) -> (i32, i32) {
        match self {
            VitalSign::Systolic => (50, 260),
            VitalSign::Diastolic => (20, 160),
            VitalSign::HeartRate => (20, 250),
            VitalSign::Spo2 => (50, 100),
            VitalSign::RespRate => (4, 60),
        }
    }

    /// A reading with its unit as the flowsheet shows it: "120 mmHg", "98%", "14/min".
    pub fn format(self, value: i32) -> String {
        match self {
            VitalSign::Spo2 | VitalSign::RespRate => format!("{value}{}", self.unit()),
            _ => format!("{value} {}", self.unit()),
        }
    }

    pub fn of(self, v: &Vitals) -> i32 {
        match self {
            VitalSign::Systolic => v.systolic,
            VitalSign::Diastolic => v.diastolic,
            VitalSign::HeartRate => v.heart_rate,
            VitalSign::Spo2 => v.spo2,
            VitalSign::RespRate => v.resp_rate,
        }
    }

    fn typed(self, form: &VitalsForm) -> &str {
        match self {
            VitalSign::Systolic => &form.systolic,
            VitalSign::Diastolic => &form.diastolic,
            VitalSign::HeartRate => &form.heart_rate,
            VitalSign::Spo2 => &form.spo2,
            VitalSign::RespRate => &form.resp_rate,
        }
    }

    /// Whether a reading lies outside the alert range (the bounds themselves are fine).
    fn alerting(self, value: i32, ranges: &AlertRanges) -> bool {
        let outside = |(low, high): (i32, i32)| value < low || value > high;
        match self {
            VitalSign::Systolic => outside(ranges.systolic),
            VitalSign::Diastolic => outside(ranges.diastolic),
            VitalSign::HeartRate => outside(ranges.heart_rate),
            VitalSign::Spo2 => value < ranges.spo2_low,
            VitalSign::RespRate => outside(ranges.resp_rate),
        }
    }
}

/// A whole number as typed; `None` for anything else ("120.0", "12a", "-", overflow).
pub(super) fn parse_whole(text: &str) -> Option<i32> {
    let text = text.trim();
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Why a typed decimal was not read.
pub(super) enum DecimalProblem {
    Blank,
    Comma,
    NotANumber,
}

/// A plain decimal with a point ("0.5", "72", ".5"): no sign, exponent, comma, "inf" or "NaN".
pub(super) fn parse_decimal(text: &str) -> Result<f64, DecimalProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DecimalProblem::Blank);
    }
    if text.contains(',') {
        return Err(DecimalProblem::Comma);
    }
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let points = text.chars().filter(|&c| c == '.').count();
    if digits == 0 || points > 1 || digits + points != text.chars().count() {
        return Err(DecimalProblem::NotANumber);
    }
    text.parse().map_err(|_| DecimalProblem::NotANumber)
}

/// `value` rounded to `places` decimals, as an exact count of those units (so comparisons do
/// not trip over binary fractions).
pub(super) fn units(value: f64, places: i32) -> i64 {
    (value * 10f64.powi(places)).round() as i64
}

/// A number as people write it: "1", "0.75", "36.2".
pub fn plain_number(value: f64) -> String {
    // Whole numbers (vitals, most settings) skip float formatting, which is slow.
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return (value as i64).to_string();
    }
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Every field required; whole numbers in plausible ranges; the diastolic below the systolic.
/// Each problem is reported on its own field so the rest of the typing stays.
pub fn check_vitals(form: &VitalsForm) -> Result<Vitals, FormErrors> {
    let mut errors = FormErrors::default();
    errors.check_storable(&[
        ("systolic", &form.systolic),
        ("diastolic", &form.diastolic),
        ("heart_rate", &form.heart_rate),
        ("spo2", &form.spo2),
        ("resp_rate", &form.resp_rate),
    ]);
    let mut read = [0; 5];
    for (slot, sign) in read.iter_mut().zip(VitalSign::ALL) {
        let (low, high) = sign.plausible();
        let text = sign.typed(form).trim();
        let range = format!("a whole number from {low} to {}", sign.format(high));
        match parse_whole(text) {
            _ if text.is_empty() => errors.add(
                sign.field(),
                format!("Enter the {}: {range}.", sign.label().to_lowercase()),
            ),
            Some(value) if (low..=high).contains(&value) => *slot = value,
            _ => errors.add(sign.field(), format!("{} must be {range}.", sign.label())),
        }
    }
    let [systolic, diastolic, heart_rate, spo2, resp_rate] = read;
    if errors.get("systolic").is_none()
        && errors.get("diastolic").is_none()
        && diastolic >= systolic
    {
        errors.add(
            "diastolic",
            format!(
                "Diastolic pressure must be below the systolic ({systolic}/{diastolic} mmHg was \
                 entered); check the order of the two numbers."
            ),
        );
    }
    if errors.is_empty() {
        Ok(Vitals {
            systolic,
            diastolic,
            heart_rate,
            spo2,
            resp_rate,
        })
    } else {
        Err(errors)
    }
}

/// The signs of `v` outside the alert ranges, in `VitalSign::ALL` order.
pub fn alerts(v: &Vitals, ranges: &AlertRanges) -> Vec<VitalSign> {
    VitalSign::ALL
        .into_iter()
        .filter(|sign| sign.alerting(sign.of(v), ranges))
        .collect()
}

/// A MOAA/S at or below this is deep sedation: an alert until a clinician acknowledges it.
pub const MOAAS_DEEP_SEDATION: i16 = 2;

/// The alert an event raises, with what to show: deep sedation (MOAA/S 2 or lower) or marked
/// dissociation (a CADSS total above the clinic's threshold). Side effects are recorded, not
/// alerted: the clinician recording one is already acting on it.
pub fn event_alert(event: &Event, rules: &TreatmentRules) -> Option<(AlertKind, String)> {
    match event {
        Event::Moaas { score, .. } if *score <= MOAAS_DEEP_SEDATION => Some((
            AlertKind::DeepSedation,
            format!(
                "MOAA/S {score}: {}.",
                moaas_label(*score).unwrap_or_default()
            ),
        )),
        Event::Cadss { total, .. } if i32::from(*total) > rules.cadss_alert_threshold => Some((
            AlertKind::Dissociation,
            format!(
                "CADSS total {total}, above the clinic's alert threshold of {}.",
                rules.cadss_alert_threshold
            ),
        )),
        _ => None,
    }
}

/// The alert a reading raises: every sign outside the alert bounds, with its value.
pub fn reading_alert(v: &Vitals, ranges: &AlertRanges) -> Option<String> {
    let signs = alerts(v, ranges);
    (!signs.is_empty()).then(|| {
        let named: Vec<String> = signs
            .iter()
            .map(|sign| format!("{} {} {}", sign.label(), sign.of(v), sign.unit()))
            .collect();
        format!("Outside the alert bounds: {}.", named.join(", "))
    })
}

/// Why the discharge waits for the bedside alerts still open on this infusion, if any.
pub fn discharge_held_by_alerts(open: &[AlertKind]) -> Option<String> {
    let held: Vec<&str> = open
        .iter()
        .filter(|kind| kind.blocks_discharge())
        .map(|kind| kind.label())
        .collect();
    (!held.is_empty()).then(|| {
        format!(
            "Acknowledge the open alert(s) at the top of the page with the action taken first: {}.",
            held.join(", ")
        )
    })
}

/// A baseline above the clinic's hold threshold blocks the start until a clinician overrides.
pub fn bp_holds_start(baseline: &Vitals, rules: &TreatmentRules) -> bool {
    baseline.systolic > rules.bp_hold_systolic || baseline.diastolic > rules.bp_hold_diastolic
}

/// When the next reading is due: the interval after the later of the start and the last
/// reading (a baseline taken before the start does not count). None before the infusion
/// started or once the patient is discharged: there is nothing to chase then.
pub fn next_reading_due(
    started: Option<OffsetDateTime>,
    last_reading: Option<OffsetDateTime>,
    discharged: bool,
    interval_minutes: i32,
) -> Option<OffsetDateTime> {
    let started = started.filter(|_| !discharged)?;
    let from = last_reading.map_or(started, |last| last.max(started));
    from.checked_add(Duration::minutes(i64::from(interval_minutes)))
}

/// Overdue once the due moment has passed (a reading at the very minute is on time).
pub fn is_overdue(due: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    due.is_some_and(|due| now > due)
}

/// The Modified Observer's Assessment of Alertness/Sedation wording for a rating.
pub fn moaas_label(score: i16) -> Option<&'static str> {
    Some(match score {
        5 => "Responds readily to name spoken in normal tone",
        4 => "Lethargic response to name spoken in normal tone",
        3 => "Responds only after name is called loudly and/or repeatedly",
        2 => "Responds only after mild prodding or shaking",
        1 => "Responds only after painful trapezius squeeze",
        0 => "No response after painful trapezius squeeze",
        _ => return None,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideEffect {
    Nausea,
    Vomiting,
    Dissociation,
    Dizziness,
    Hypertension,
    Anxiety,
    Headache,
    Agitation,
    BlurredVision,
    Hypotension,
    Tachycardia,
    Bradycardia,
    OxygenDesaturation,
    RespiratoryDepression,
    EmergenceReaction,
    Other,
}

impl SideEffect {
    pub const ALL: [SideEffect; 16] = [
        SideEffect::Nausea,
        SideEffect::Vomiting,
        SideEffect::Dissociation,
        SideEffect::Dizziness,
        SideEffect::Hypertension,
        SideEffect::Anxiety,
        SideEffect::Headache,
        SideEffect::Agitation,
        SideEffect::BlurredVision,
        SideEffect::Hypotension,
        SideEffect::Tachycardia,
        SideEffect::Bradycardia,
        SideEffect::OxygenDesaturation,
        SideEffect::RespiratoryDepression,
        SideEffect::EmergenceReaction,
        SideEffect::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SideEffect::Nausea => "nausea",
            SideEffect::Vomiting => "vomiting",
            SideEffect::Dissociation => "dissociation",
            SideEffect::Dizziness => "dizziness",
            SideEffect::Hypertension => "hypertension",
            SideEffect::Anxiety => "anxiety",
            SideEffect::Headache => "headache",
            SideEffect::Agitation => "agitation",
            SideEffect::BlurredVision => "blurred_vision",
            SideEffect::Hypotension => "hypotension",
            SideEffect::Tachycardia => "tachycardia",
            SideEffect::Bradycardia => "bradycardia",
            SideEffect::OxygenDesaturation => "oxygen_desaturation",
            SideEffect::RespiratoryDepression => "respiratory_depression",
            SideEffect::EmergenceReaction => "emergence_reaction",
            SideEffect::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SideEffect::Nausea => "Nausea",
            SideEffect::Vomiting => "Vomiting",
            SideEffect::Dissociation => "Dissociation",
            SideEffect::Dizziness => "Dizziness",
            SideEffect::Hypertension => "Hypertension",
            SideEffect::Anxiety => "Anxiety",
            SideEffect::Headache => "Headache",
            SideEffect::Agitation => "Agitation",
            SideEffect::BlurredVision => "Blurred vision",
            SideEffect::Hypotension => "Hypotension",
            SideEffect::Tachycardia => "Tachycardia",
            SideEffect::Bradycardia => "Bradycardia",
            SideEffect::OxygenDesaturation => "Oxygen desaturation",
            SideEffect::RespiratoryDepression => "Respiratory depression",
            SideEffect::EmergenceReaction => "Agitation on emergence (emergence reaction)",
            SideEffect::Other => "Other",
        }
    }

    pub fn parse(text: &str) -> Option<SideEffect> {
        let text = text.trim();
        SideEffect::ALL
            .into_iter()
            .find(|effect| effect.code() == text)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Mild,
    Moderate,
    Severe,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Mild, Severity::Moderate, Severity::Severe];

    pub fn code(self) -> &'static str {
        match self {
            Severity::Mild => "mild",
            Severity::Moderate => "moderate",
            Severity::Severe => "severe",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Mild => "Mild",
            Severity::Moderate => "Moderate",
            Severity::Severe => "Severe",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        let text = text.trim();
        Severity::ALL
            .into_iter()
            .find(|severity| severity.code() == text)
    }
}

/// As typed; `kind` says which of the other fields matter.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct EventForm {
    /// "side_effect", "moaas" or "cadss".
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub side_effect: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub intervention: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub moaas: String,
    #[serde(default)]
    pub cadss_total: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    SideEffect {
        effect: SideEffect,
        severity: Severity,
        intervention: Option<String>,
        note: Option<String>,
    },
    Moaas {
        score: i16,
        note: Option<String>,
    },
    Cadss {
        total: i16,
        note: Option<String>,
    },
}

/// A trimmed optional text, refused on `field` when too long.
pub(super) fn optional_text(
    text: &str,
    field: &'static str,
    errors: &mut FormErrors,
) -> Option<String> {
    let text = text.trim();
    if text.chars().count() > TEXT_MAX {
        errors.add(
            field,
            format!("Keep this to {TEXT_MAX} characters or fewer."),
        );
    }
    (!text.is_empty()).then(|| text.to_owned())
}

/// A whole number in `0..=max`, as typed.
fn parse_rating(text: &str, max: i16) -> Option<i16> {
    parse_whole(text)
        .and_then(|value| i16::try_from(value).ok())
        .filter(|value| (0..=max).contains(value))
}

pub fn check_event(form: &EventForm) -> Result<Event, FormErrors> {
    let mut errors = FormErrors::default();
    errors.check_storable(&[
        ("kind", &form.kind),
        ("side_effect", &form.side_effect),
        ("severity", &form.severity),
        ("intervention", &form.intervention),
        ("note", &form.note),
        ("moaas", &form.moaas),
        ("cadss_total", &form.cadss_total),
    ]);
    let note = optional_text(&form.note, "note", &mut errors);
    let event = match form.kind.trim() {
        "side_effect" => {
            let effect = SideEffect::parse(&form.side_effect);
            let severity = Severity::parse(&form.severity);
            let intervention = optional_text(&form.intervention, "intervention", &mut errors);
            if effect.is_none() {
                errors.add("side_effect", "Choose the side effect.");
            }
            if severity.is_none() {
                errors.add(
                    "severity",
                    "Choose how severe it is: mild, moderate or severe.",
                );
            }
            if effect == Some(SideEffect::Other) && note.is_none() {
                errors.add("note", "Describe the side effect in the note.");
            }
            match (effect, severity) {
                (Some(effect), Some(severity)) => Some(Event::SideEffect {
                    effect,
                    severity,
                    intervention,
                    note,
                }),
                _ => None,
            }
        }
        "moaas" => {
            let score = parse_rating(&form.moaas, MOAAS_MAX);
            if score.is_none() {
                errors.add(
                    "moaas",
                    format!("Choose a MOAA/S rating from 0 to {MOAAS_MAX}."),
                );
            }
            score.map(|score| Event::Moaas { score, note })
        }
        "cadss" => {
            let total = parse_rating(&form.cadss_total, CADSS_MAX);
            if total.is_none() {
                errors.add(
                    "cadss_total",
                    format!("Enter the CADSS total, a whole number from 0 to {CADSS_MAX}."),
                );
            }
            total.map(|total| Event::Cadss { total, note })
        }
        _ => {
            errors.add(
                "kind",
                "Choose what to record: a side effect, a MOAA/S rating or a CADSS total.",
            );
            None
        }
    };
    match event {
        Some(event) if errors.is_empty() => Ok(event),
        _ => Err(errors),
    }
}

/// What discharge needs. `latest` is the newest reading after the infusion, compared with the
/// pre-infusion `baseline`; `moaas_after_end` the newest MOAA/S rated after the end (one rated
/// during the infusion says nothing about recovery); `since_end` how long ago the infusion
/// ended by the app's clock (None: not ended).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DischargeFacts {
    pub since_end: Option<Duration>,
    pub baseline: Option<Vitals>,
    pub latest: Option<Vitals>,
    pub moaas_after_end: Option<i16>,
    pub escort_present: bool,
    pub no_driving_acknowledged: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DischargeProblem {
    InfusionNotEnded,
    /// Observed for less than the clinic's minimum: whole minutes still to wait (at least 1).
    ObservationNotOver(i64),
    NoReadings,
    VitalsNotBack(Vec<VitalSign>),
    Moaas(Option<i16>),
    NoEscort,
    NoDrivingNotAcknowledged,
}

impl DischargeProblem {
    /// What is missing and what to do, without the clinic's margins (see `message_with`).
    pub fn message(&self) -> String {
        self.describe(None)
    }

    /// As `message`, naming the clinic's margins for vitals not yet back.
    pub fn message_with(&self, rules: &TreatmentRules) -> String {
        self.describe(Some(rules))
    }

    fn describe(&self, rules: Option<&TreatmentRules>) -> String {
        match self {
            DischargeProblem::InfusionNotEnded => {
                "The infusion has not ended: record its end first.".to_owned()
            }
            DischargeProblem::ObservationNotOver(left) => {
                let minimum = rules.map_or(String::new(), |r| {
                    format!(
                        " (the clinic's minimum is {} minutes)",
                        r.min_observation_minutes
                    )
                });
                format!(
                    "The patient is still in the observation time after the end{minimum}: \
                     {left} more minute{} before discharge.",
                    if *left == 1 { "" } else { "s" }
                )
            }
            DischargeProblem::NoReadings => {
                "Vitals cannot be compared: record a baseline and a reading after the infusion."
                    .to_owned()
            }
            DischargeProblem::VitalsNotBack(signs) => {
                let mut text: Vec<String> = signs
                    .iter()
                    .map(|&sign| vital_not_back(sign, rules))
                    .collect();
                text.push("Wait and take another reading.".to_owned());
                text.join(" ")
            }
            DischargeProblem::Moaas(Some(score)) => {
                format!("MOAA/S after the end is {score}, not {MOAAS_MAX}: wait and rate again.")
            }
            DischargeProblem::Moaas(None) => format!(
                "No MOAA/S rating since the infusion ended: rate the patient; discharge needs \
                 {MOAAS_MAX}."
            ),
            DischargeProblem::NoEscort => {
                "No escort is present: the patient must leave with a responsible adult.".to_owned()
            }
            DischargeProblem::NoDrivingNotAcknowledged => {
                "\"No driving until tomorrow\" is not acknowledged: go through it with the \
                 patient and tick it."
                    .to_owned()
            }
        }
    }
}

fn vital_not_back(sign: VitalSign, rules: Option<&TreatmentRules>) -> String {
    let name = match sign {
        VitalSign::Systolic => "Blood pressure (systolic)",
        VitalSign::Diastolic => "Blood pressure (diastolic)",
        other => other.label(),
    };
    match (sign, rules) {
        (VitalSign::Spo2, Some(rules)) => format!("SpO2 is below {}%.", rules.alerts.spo2_low),
        (VitalSign::Spo2, None) => "SpO2 is below the alert level.".to_owned(),
        (VitalSign::RespRate, Some(rules)) => format!(
            "Respiratory rate is outside {}–{}/min.",
            rules.alerts.resp_rate.0, rules.alerts.resp_rate.1
        ),
        (VitalSign::RespRate, None) => "Respiratory rate is outside the alert range.".to_owned(),
        (VitalSign::HeartRate, Some(rules)) => format!(
            "{name} is not back within {} bpm of baseline.",
            rules.discharge_hr_margin
        ),
        (VitalSign::Systolic, Some(rules)) => format!(
            "{name} is not back within {} mmHg of baseline (above or below) and at least {} \
             mmHg.",
            rules.discharge_bp_margin, rules.discharge_systolic_min
        ),
        (_, Some(rules)) => format!(
            "{name} is not back within {} mmHg of baseline (above or below).",
            rules.discharge_bp_margin
        ),
        (_, None) => format!("{name} is not back near baseline."),
    }
}

/// Whether a vital sign after the infusion is back: blood pressure within the margin of
/// baseline both ways (a falling pressure keeps a patient as surely as a high one) and the
/// systolic at least the clinic's lower bound, the heart rate within its margin either side,
/// SpO2 at or above the alert level and the respiratory rate within its alert range.
fn vital_is_back(sign: VitalSign, now: i32, then: i32, rules: &TreatmentRules) -> bool {
    match sign {
        VitalSign::Systolic | VitalSign::Diastolic => {
            let within = now.abs_diff(then) <= rules.discharge_bp_margin.unsigned_abs();
            within && (sign != VitalSign::Systolic || now >= rules.discharge_systolic_min)
        }
        VitalSign::HeartRate => now.abs_diff(then) <= rules.discharge_hr_margin.unsigned_abs(),
        VitalSign::Spo2 | VitalSign::RespRate => !sign.alerting(now, &rules.alerts),
    }
}

/// Everything standing between the patient and discharge, in the order to deal with it.
pub fn discharge_problems(facts: &DischargeFacts, rules: &TreatmentRules) -> Vec<DischargeProblem> {
    let mut problems = Vec::new();
    match facts.since_end {
        None => problems.push(DischargeProblem::InfusionNotEnded),
        Some(since_end) => {
            let wait = Duration::minutes(i64::from(rules.min_observation_minutes)) - since_end;
            if wait.is_positive() {
                // Round up: "1 more minute" until the very end of the wait.
                let left = (wait.whole_seconds() + 59) / 60;
                problems.push(DischargeProblem::ObservationNotOver(left.max(1)));
            }
        }
    }
    match (facts.baseline, facts.latest) {
        (Some(baseline), Some(latest)) => {
            let not_back: Vec<VitalSign> = VitalSign::ALL
                .into_iter()
                .filter(|&sign| !vital_is_back(sign, sign.of(&latest), sign.of(&baseline), rules))
                .collect();
            if !not_back.is_empty() {
                problems.push(DischargeProblem::VitalsNotBack(not_back));
            }
        }
        _ => problems.push(DischargeProblem::NoReadings),
    }
    if facts.moaas_after_end != Some(MOAAS_MAX) {
        problems.push(DischargeProblem::Moaas(facts.moaas_after_end));
    }
    if !facts.escort_present {
        problems.push(DischargeProblem::NoEscort);
    }
    if !facts.no_driving_acknowledged {
        problems.push(DischargeProblem::NoDrivingNotAcknowledged);
    }
    problems
}

/// The newest MOAA/S rated at or after `ended_at` (ratings as (when, score), oldest first).
pub fn moaas_after_end(
    ratings: &[(OffsetDateTime, i16)],
    ended_at: Option<OffsetDateTime>,
) -> Option<i16> {
    let ended_at = ended_at?;
    ratings
        .iter()
        .rev()
        .find(|(at, _)| *at >= ended_at)
        .map(|(_, score)| *score)
}

/// The check-in as recorded, for the start's checklist.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckInFacts<'a> {
    pub checked_in: bool,
    pub fasting_confirmed: bool,
    pub escort_confirmed: bool,
    /// "negative", "positive" or "not_applicable" (None: not recorded).
    pub pregnancy_test: Option<&'a str>,
    /// Why the test does not apply, when "not_applicable".
    pub pregnancy_test_reason: Option<&'a str>,
    /// False for a patient the test does not concern (male sex at birth).
    pub pregnancy_relevant: bool,
    pub baseline_taken: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckInProblem {
    NotCheckedIn,
    NotFasted,
    NoEscort,
    PregnancyPositive,
    PregnancyNotRecorded,
    PregnancyNotApplicableWithoutReason,
    NoBaseline,
}

impl CheckInProblem {
    pub fn message(self) -> &'static str {
        match self {
            CheckInProblem::NotCheckedIn => "Complete the check-in.",
            CheckInProblem::NotFasted => "Confirm the patient fasted as instructed.",
            CheckInProblem::NoEscort => "Confirm the escort or ride home.",
            CheckInProblem::PregnancyPositive => {
                "The pregnancy test is positive: ketamine is not given in pregnancy."
            }
            CheckInProblem::PregnancyNotRecorded => "Record the pregnancy test result.",
            CheckInProblem::PregnancyNotApplicableWithoutReason => {
                "The pregnancy test is marked not applicable: give the reason at check-in \
                 (for example after hysterectomy or menopause)."
            }
            CheckInProblem::NoBaseline => "Take the baseline vitals.",
        }
    }
}

/// What in the check-in still stops the start. A pregnancy test that "does not apply" to a
/// patient it concerns needs the reason why.
pub fn check_in_problems(facts: &CheckInFacts<'_>) -> Vec<CheckInProblem> {
    if !facts.checked_in {
        return vec![CheckInProblem::NotCheckedIn];
    }
    let mut problems = Vec::new();
    if !facts.fasting_confirmed {
        problems.push(CheckInProblem::NotFasted);
    }
    if !facts.escort_confirmed {
        problems.push(CheckInProblem::NoEscort);
    }
    let reason_given = facts
        .pregnancy_test_reason
        .is_some_and(|r| !r.trim().is_empty());
    match facts.pregnancy_test {
        Some("positive") => problems.push(CheckInProblem::PregnancyPositive),
        Some("not_applicable") if facts.pregnancy_relevant && !reason_given => {
            problems.push(CheckInProblem::PregnancyNotApplicableWithoutReason);
        }
        None if facts.pregnancy_relevant => problems.push(CheckInProblem::PregnancyNotRecorded),
        _ => {}
    }
    if !facts.baseline_taken {
        problems.push(CheckInProblem::NoBaseline);
    }
    problems
}

/// Why a record cannot be opened or started for its appointment (None: it can): a cancelled
/// or missed appointment's record stays as it is.
pub fn closed_appointment(status: &str) -> Option<&'static str> {
    match status {
        "cancelled" => Some(
            "This appointment was cancelled: its infusion record cannot be opened or started. \
             Book a new infusion.",
        ),
        "no_show" => Some(
            "This appointment was marked as a no-show: its infusion record cannot be opened or \
             started. Book a new infusion.",
        ),
        _ => None,
    }
}

/// The clinic's flowsheet settings as an administrator types them.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct RulesForm {
    #[serde(default)]
    pub bp_hold_systolic: String,
    #[serde(default)]
    pub bp_hold_diastolic: String,
    #[serde(default)]
    pub max_mg_per_kg: String,
    #[serde(default)]
    pub max_mg: String,
    #[serde(default)]
    pub vitals_interval_minutes: String,
    #[serde(default)]
    pub alert_systolic_low: String,
    #[serde(default)]
    pub alert_systolic_high: String,
    #[serde(default)]
    pub alert_diastolic_low: String,
    #[serde(default)]
    pub alert_diastolic_high: String,
    #[serde(default)]
    pub alert_heart_rate_low: String,
    #[serde(default)]
    pub alert_heart_rate_high: String,
    #[serde(default)]
    pub alert_spo2_low: String,
    #[serde(default)]
    pub alert_resp_rate_low: String,
    #[serde(default)]
    pub alert_resp_rate_high: String,
    #[serde(default)]
    pub discharge_bp_margin: String,
    #[serde(default)]
    pub discharge_hr_margin: String,
    #[serde(default)]
    pub follow_up_every_infusions: String,
    #[serde(default)]
    pub follow_up_every_months: String,
    #[serde(default)]
    pub weight_change_confirm_pct: String,
    #[serde(default)]
    pub min_observation_minutes: String,
    #[serde(default)]
    pub discharge_systolic_min: String,
    #[serde(default)]
    pub short_infusion_pct: String,
    #[serde(default)]
    pub cadss_alert_threshold: String,
}

impl RulesForm {
    /// The form as the settings stand.
    pub fn of(rules: &TreatmentRules) -> Self {
        let a = &rules.alerts;
        RulesForm {
            bp_hold_systolic: rules.bp_hold_systolic.to_string(),
            bp_hold_diastolic: rules.bp_hold_diastolic.to_string(),
            max_mg_per_kg: plain_number(rules.max_mg_per_kg),
            max_mg: plain_number(rules.max_mg),
            vitals_interval_minutes: rules.vitals_interval_minutes.to_string(),
            alert_systolic_low: a.systolic.0.to_string(),
            alert_systolic_high: a.systolic.1.to_string(),
            alert_diastolic_low: a.diastolic.0.to_string(),
            alert_diastolic_high: a.diastolic.1.to_string(),
            alert_heart_rate_low: a.heart_rate.0.to_string(),
            alert_heart_rate_high: a.heart_rate.1.to_string(),
            alert_spo2_low: a.spo2_low.to_string(),
            alert_resp_rate_low: a.resp_rate.0.to_string(),
            alert_resp_rate_high: a.resp_rate.1.to_string(),
            discharge_bp_margin: rules.discharge_bp_margin.to_string(),
            discharge_hr_margin: rules.discharge_hr_margin.to_string(),
            follow_up_every_infusions: rules.follow_up_every_infusions.to_string(),
            follow_up_every_months: rules.follow_up_every_months.to_string(),
            weight_change_confirm_pct: rules.weight_change_confirm_pct.to_string(),
            min_observation_minutes: rules.min_observation_minutes.to_string(),
            discharge_systolic_min: rules.discharge_systolic_min.to_string(),
            short_infusion_pct: rules.short_infusion_pct.to_string(),
            cadss_alert_threshold: rules.cadss_alert_threshold.to_string(),
        }
    }
}

/// A whole number from `min` to `max` for a settings field, or its message (0 stands in).
pub(super) fn setting(
    errors: &mut FormErrors,
    field: &'static str,
    text: &str,
    (min, max): (i32, i32),
    unit: &str,
) -> i32 {
    errors.check(field, crate::core::params::unstorable(text));
    match parse_whole(text).filter(|v| (min..=max).contains(v)) {
        Some(value) => value,
        None => {
            errors.add(
                field,
                format!("Enter a whole number from {min} to {max}{unit}."),
            );
            0
        }
    }
}

/// A positive decimal up to `max` for a settings field, or its message.
pub(super) fn decimal_setting(
    errors: &mut FormErrors,
    field: &'static str,
    text: &str,
    max: f64,
) -> f64 {
    errors.check(field, crate::core::params::unstorable(text));
    match parse_decimal(text) {
        Ok(value) if value > 0.0 && value <= max => value,
        _ => {
            errors.add(
                field,
                format!(
                    "Enter a number above 0 and at most {}, with a point for decimals.",
                    plain_number(max)
                ),
            );
            0.0
        }
    }
}

/// Checks the settings an administrator typed: each in its range, each alert range with its
/// low bound below its high one.
pub fn check_rules(form: &RulesForm) -> Result<TreatmentRules, FormErrors> {
    let mut e = FormErrors::default();
    let mm = " mmHg";
    let rules = TreatmentRules {
        bp_hold_systolic: setting(
            &mut e,
            "bp_hold_systolic",
            &form.bp_hold_systolic,
            (100, 220),
            mm,
        ),
        bp_hold_diastolic: setting(
            &mut e,
            "bp_hold_diastolic",
            &form.bp_hold_diastolic,
            (60, 140),
            mm,
        ),
        max_mg_per_kg: decimal_setting(&mut e, "max_mg_per_kg", &form.max_mg_per_kg, 5.0),
        max_mg: decimal_setting(&mut e, "max_mg", &form.max_mg, 500.0),
        vitals_interval_minutes: setting(
            &mut e,
            "vitals_interval_minutes",
            &form.vitals_interval_minutes,
            (5, 60),
            " minutes",
        ),
        alerts: AlertRanges {
            systolic: (
                setting(
                    &mut e,
                    "alert_systolic_low",
                    &form.alert_systolic_low,
                    (50, 260),
                    mm,
                ),
                setting(
                    &mut e,
                    "alert_systolic_high",
                    &form.alert_systolic_high,
                    (50, 260),
                    mm,
                ),
            ),
            diastolic: (
                setting(
                    &mut e,
                    "alert_diastolic_low",
                    &form.alert_diastolic_low,
                    (20, 160),
                    mm,
                ),
                setting(
                    &mut e,
                    "alert_diastolic_high",
                    &form.alert_diastolic_high,
                    (20, 160),
                    mm,
                ),
            ),
            heart_rate: (
                setting(
                    &mut e,
                    "alert_heart_rate_low",
                    &form.alert_heart_rate_low,
                    (20, 250),
                    " bpm",
                ),
                setting(
                    &mut e,
                    "alert_heart_rate_high",
                    &form.alert_heart_rate_high,
                    (20, 250),
                    " bpm",
                ),
            ),
            spo2_low: setting(
                &mut e,
                "alert_spo2_low",
                &form.alert_spo2_low,
                (80, 100),
                "%",
            ),
            resp_rate: (
                setting(
                    &mut e,
                    "alert_resp_rate_low",
                    &form.alert_resp_rate_low,
                    (4, 60),
                    "/min",
                ),
                setting(
                    &mut e,
                    "alert_resp_rate_high",
                    &form.alert_resp_rate_high,
                    (4, 60),
                    "/min",
                ),
            ),
        },
        discharge_bp_margin: setting(
            &mut e,
            "discharge_bp_margin",
            &form.discharge_bp_margin,
            (0, 60),
            mm,
        ),
        discharge_hr_margin: setting(
            &mut e,
            "discharge_hr_margin",
            &form.discharge_hr_margin,
            (0, 60),
            " bpm",
        ),
        follow_up_every_infusions: setting(
            &mut e,
            "follow_up_every_infusions",
            &form.follow_up_every_infusions,
            (1, 50),
            " infusions",
        ),
        follow_up_every_months: setting(
            &mut e,
            "follow_up_every_months",
            &form.follow_up_every_months,
            (1, 24),
            " months",
        ),
        weight_change_confirm_pct: setting(
            &mut e,
            "weight_change_confirm_pct",
            &form.weight_change_confirm_pct,
            (1, 50),
            "%",
        ),
        min_observation_minutes: setting(
            &mut e,
            "min_observation_minutes",
            &form.min_observation_minutes,
            (0, 480),
            " minutes",
        ),
        discharge_systolic_min: setting(
            &mut e,
            "discharge_systolic_min",
            &form.discharge_systolic_min,
            (50, 140),
            mm,
        ),
        short_infusion_pct: setting(
            &mut e,
            "short_infusion_pct",
            &form.short_infusion_pct,
            (1, 100),
            "%",
        ),
        cadss_alert_threshold: setting(
            &mut e,
            "cadss_alert_threshold",
            &form.cadss_alert_threshold,
            (1, i32::from(CADSS_MAX)),
            "",
        ),
    };
    let a = rules.alerts;
    for (field, (low, high)) in [
        ("alert_systolic_high", a.systolic),
        ("alert_diastolic_high", a.diastolic),
        ("alert_heart_rate_high", a.heart_rate),
        ("alert_resp_rate_high", a.resp_rate),
    ] {
        if e.get(field).is_none() && low >= high {
            e.add(field, "The upper alert bound must be above the lower one.");
        }
    }
    if e.is_empty() { Ok(rules) } else { Err(e) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn rules() -> TreatmentRules {
        TreatmentRules::example()
    }

    fn vitals(systolic: i32, diastolic: i32) -> Vitals {
        Vitals {
            systolic,
            diastolic,
            heart_rate: 72,
            spo2: 98,
            resp_rate: 14,
        }
    }

    fn vitals_form(values: [&str; 5]) -> VitalsForm {
        let [systolic, diastolic, heart_rate, spo2, resp_rate] = values.map(str::to_owned);
        VitalsForm {
            systolic,
            diastolic,
            heart_rate,
            spo2,
            resp_rate,
        }
    }

    #[test]
    fn normal_vitals_are_accepted_with_spaces_trimmed() {
        let form = vitals_form(["120", " 80 ", "72", "98", "14"]);
        assert_eq!(
            check_vitals(&form).unwrap(),
            Vitals {
                systolic: 120,
                diastolic: 80,
                heart_rate: 72,
                spo2: 98,
                resp_rate: 14
            }
        );
        let edges = vitals_form(["50", "20", "20", "50", "4"]);
        assert!(check_vitals(&edges).is_ok());
        let edges = vitals_form(["260", "159", "250", "100", "60"]);
        assert!(check_vitals(&edges).is_ok());
    }

    #[test]
    fn implausible_vitals_are_refused_on_their_field() {
        let errors = check_vitals(&vitals_form(["300", "20", "72", "98", "14"])).unwrap_err();
        assert_eq!(
            errors.get("systolic"),
            Some("Systolic pressure must be a whole number from 50 to 260 mmHg.")
        );
        assert_eq!(errors.get("diastolic"), None);

        let errors = check_vitals(&vitals_form(["120", "80", "72", "120", "14"])).unwrap_err();
        assert_eq!(
            errors.get("spo2"),
            Some("SpO2 must be a whole number from 50 to 100%.")
        );
        assert_eq!(errors.all().len(), 1);

        let errors = check_vitals(&vitals_form(["120", "80", "19", "98", "61"])).unwrap_err();
        assert!(errors.get("heart_rate").unwrap().contains("20 to 250 bpm"));
        assert!(errors.get("resp_rate").unwrap().contains("4 to 60/min"));
    }

    #[test]
    fn diastolic_must_be_below_systolic() {
        let errors = check_vitals(&vitals_form(["80", "120", "72", "98", "14"])).unwrap_err();
        assert!(errors.get("diastolic").unwrap().contains("80/120"));
        assert_eq!(errors.get("systolic"), None);
        assert!(check_vitals(&vitals_form(["90", "90", "72", "98", "14"])).is_err());
        assert!(check_vitals(&vitals_form(["90", "89", "72", "98", "14"])).is_ok());
    }

    #[test]
    fn blank_and_decimal_vitals_get_messages_per_field() {
        let errors = check_vitals(&vitals_form(["", "80", "72.5", "98", "120.0"])).unwrap_err();
        assert_eq!(
            errors.get("systolic"),
            Some("Enter the systolic pressure: a whole number from 50 to 260 mmHg.")
        );
        assert_eq!(
            errors.get("heart_rate"),
            Some("Heart rate must be a whole number from 20 to 250 bpm.")
        );
        assert_eq!(
            errors.get("resp_rate"),
            Some("Respiratory rate must be a whole number from 4 to 60/min.")
        );
        assert_eq!(errors.get("diastolic"), None);
        assert_eq!(errors.get("spo2"), None);
        let errors = check_vitals(&VitalsForm::default()).unwrap_err();
        assert_eq!(errors.all().len(), 5);
        let errors = check_vitals(&vitals_form(["-120", "8O", "72", "98", "14"])).unwrap_err();
        assert!(errors.get("systolic").is_some() && errors.get("diastolic").is_some());
    }

    #[test]
    fn alerts_at_and_just_past_each_bound() {
        let ranges = rules().alerts;
        let normal = vitals(120, 80);
        assert!(alerts(&normal, &ranges).is_empty());
        let at_bounds = [
            Vitals {
                systolic: 90,
                diastolic: 50,
                heart_rate: 50,
                spo2: 92,
                resp_rate: 10,
            },
            Vitals {
                systolic: 180,
                diastolic: 110,
                heart_rate: 120,
                spo2: 100,
                resp_rate: 24,
            },
        ];
        for v in at_bounds {
            assert!(alerts(&v, &ranges).is_empty(), "{v:?}");
        }
        let low = Vitals {
            systolic: 89,
            diastolic: 49,
            heart_rate: 49,
            spo2: 91,
            resp_rate: 9,
        };
        assert_eq!(alerts(&low, &ranges), VitalSign::ALL.to_vec());
        let high = Vitals {
            systolic: 181,
            diastolic: 111,
            heart_rate: 121,
            spo2: 100,
            resp_rate: 25,
        };
        assert_eq!(
            alerts(&high, &ranges),
            vec![
                VitalSign::Systolic,
                VitalSign::Diastolic,
                VitalSign::HeartRate,
                VitalSign::RespRate
            ]
        );
        assert_eq!(
            alerts(&Vitals { spo2: 91, ..normal }, &ranges),
            vec![VitalSign::Spo2]
        );
    }

    #[test]
    fn vital_signs_name_their_units_and_read_their_value() {
        let v = Vitals {
            systolic: 1,
            diastolic: 2,
            heart_rate: 3,
            spo2: 4,
            resp_rate: 5,
        };
        let read: Vec<i32> = VitalSign::ALL.iter().map(|sign| sign.of(&v)).collect();
        assert_eq!(read, vec![1, 2, 3, 4, 5]);
        let units: Vec<&str> = VitalSign::ALL.iter().map(|sign| sign.unit()).collect();
        assert_eq!(units, vec!["mmHg", "mmHg", "bpm", "%", "/min"]);
    }

    #[test]
    fn blood_pressure_above_the_threshold_holds_the_start() {
        assert!(!bp_holds_start(&vitals(160, 100), &rules()));
        assert!(bp_holds_start(&vitals(161, 100), &rules()));
        assert!(bp_holds_start(&vitals(150, 101), &rules()));
        assert!(!bp_holds_start(&vitals(120, 80), &rules()));
    }

    #[test]
    fn next_reading_is_due_an_interval_after_the_later_of_start_and_last_reading() {
        let started = datetime!(2026-11-02 09:00 UTC);
        assert_eq!(next_reading_due(None, None, false, 15), None);
        assert_eq!(
            next_reading_due(Some(started), None, false, 15),
            Some(datetime!(2026-11-02 09:15 UTC))
        );
        // The baseline before the start does not count.
        assert_eq!(
            next_reading_due(
                Some(started),
                Some(datetime!(2026-11-02 08:50 UTC)),
                false,
                15
            ),
            Some(datetime!(2026-11-02 09:15 UTC))
        );
        let due = next_reading_due(
            Some(started),
            Some(datetime!(2026-11-02 09:40 UTC)),
            false,
            15,
        );
        assert_eq!(due, Some(datetime!(2026-11-02 09:55 UTC)));
        assert_eq!(
            next_reading_due(Some(started), Some(started), true, 15),
            None
        );

        assert!(!is_overdue(due, datetime!(2026-11-02 09:55 UTC)));
        assert!(is_overdue(due, datetime!(2026-11-02 09:55:01 UTC)));
        assert!(!is_overdue(None, datetime!(2026-11-03 00:00 UTC)));
    }

    #[test]
    fn moaas_labels_cover_zero_to_five() {
        assert_eq!(
            moaas_label(5),
            Some("Responds readily to name spoken in normal tone")
        );
        assert_eq!(
            moaas_label(0),
            Some("No response after painful trapezius squeeze")
        );
        assert!((0..=5).all(|score| moaas_label(score).is_some()));
        assert_eq!(moaas_label(6), None);
        assert_eq!(moaas_label(-1), None);
    }

    #[test]
    fn side_effects_and_severities_round_trip() {
        for effect in SideEffect::ALL {
            assert_eq!(SideEffect::parse(effect.code()), Some(effect));
        }
        assert_eq!(SideEffect::BlurredVision.code(), "blurred_vision");
        for severity in Severity::ALL {
            assert_eq!(Severity::parse(severity.code()), Some(severity));
        }
        assert_eq!(Severity::parse("extreme"), None);
    }

    fn event(kind: &str) -> EventForm {
        EventForm {
            kind: kind.to_owned(),
            ..EventForm::default()
        }
    }

    #[test]
    fn side_effects_need_effect_and_severity() {
        let form = EventForm {
            side_effect: "nausea".to_owned(),
            severity: "moderate".to_owned(),
            intervention: " Ondansetron 4 mg IV ".to_owned(),
            ..event("side_effect")
        };
        assert_eq!(
            check_event(&form).unwrap(),
            Event::SideEffect {
                effect: SideEffect::Nausea,
                severity: Severity::Moderate,
                intervention: Some("Ondansetron 4 mg IV".to_owned()),
                note: None,
            }
        );
        let errors = check_event(&event("side_effect")).unwrap_err();
        assert!(errors.get("side_effect").is_some());
        assert!(errors.get("severity").is_some());
        let other = EventForm {
            side_effect: "other".to_owned(),
            severity: "mild".to_owned(),
            ..event("side_effect")
        };
        assert!(check_event(&other).unwrap_err().get("note").is_some());
        let long = EventForm {
            note: "x".repeat(TEXT_MAX + 1),
            intervention: "y".repeat(TEXT_MAX + 1),
            ..other
        };
        let errors = check_event(&long).unwrap_err();
        assert!(errors.get("note").is_some() && errors.get("intervention").is_some());
    }

    #[test]
    fn moaas_and_cadss_events_are_in_range() {
        let form = EventForm {
            moaas: "4".to_owned(),
            ..event("moaas")
        };
        assert_eq!(
            check_event(&form).unwrap(),
            Event::Moaas {
                score: 4,
                note: None
            }
        );
        for bad in ["6", "-1", "", "4.5"] {
            let form = EventForm {
                moaas: bad.to_owned(),
                ..event("moaas")
            };
            assert!(
                check_event(&form).unwrap_err().get("moaas").is_some(),
                "{bad}"
            );
        }
        let form = EventForm {
            cadss_total: "92".to_owned(),
            note: "After the infusion".to_owned(),
            ..event("cadss")
        };
        assert_eq!(
            check_event(&form).unwrap(),
            Event::Cadss {
                total: 92,
                note: Some("After the infusion".to_owned())
            }
        );
        let form = EventForm {
            cadss_total: "93".to_owned(),
            ..event("cadss")
        };
        assert!(check_event(&form).unwrap_err().get("cadss_total").is_some());
        assert!(
            check_event(&event("dance"))
                .unwrap_err()
                .get("kind")
                .is_some()
        );
    }

    fn ready() -> DischargeFacts {
        DischargeFacts {
            since_end: Some(Duration::minutes(30)),
            baseline: Some(vitals(130, 80)),
            latest: Some(vitals(150, 100)),
            moaas_after_end: Some(5),
            escort_present: true,
            no_driving_acknowledged: true,
        }
    }

    #[test]
    fn a_ready_patient_has_no_discharge_problems() {
        assert_eq!(discharge_problems(&ready(), &rules()), vec![]);
    }

    #[test]
    fn every_discharge_problem_is_named() {
        let facts = DischargeFacts::default();
        assert_eq!(
            discharge_problems(&facts, &rules()),
            vec![
                DischargeProblem::InfusionNotEnded,
                DischargeProblem::NoReadings,
                DischargeProblem::Moaas(None),
                DischargeProblem::NoEscort,
                DischargeProblem::NoDrivingNotAcknowledged,
            ]
        );
        let facts = DischargeFacts {
            latest: None,
            ..ready()
        };
        assert_eq!(
            discharge_problems(&facts, &rules()),
            vec![DischargeProblem::NoReadings]
        );
        let facts = DischargeFacts {
            moaas_after_end: Some(4),
            ..ready()
        };
        let problems = discharge_problems(&facts, &rules());
        assert_eq!(problems, vec![DischargeProblem::Moaas(Some(4))]);
        assert_eq!(
            problems[0].message(),
            "MOAA/S after the end is 4, not 5: wait and rate again."
        );
        assert!(
            DischargeProblem::Moaas(None)
                .message()
                .starts_with("No MOAA/S rating since the infusion ended")
        );
    }

    #[test]
    fn vitals_must_be_back_near_baseline() {
        let baseline = Vitals {
            systolic: 130,
            diastolic: 80,
            heart_rate: 70,
            spo2: 98,
            resp_rate: 14,
        };
        let at_limits = Vitals {
            systolic: 150,
            diastolic: 100,
            heart_rate: 90,
            spo2: 92,
            resp_rate: 10,
        };
        let facts = DischargeFacts {
            baseline: Some(baseline),
            latest: Some(at_limits),
            ..ready()
        };
        assert_eq!(discharge_problems(&facts, &rules()), vec![]);
        let low_hr = DischargeFacts {
            latest: Some(Vitals {
                heart_rate: 50,
                ..at_limits
            }),
            ..facts
        };
        assert_eq!(discharge_problems(&low_hr, &rules()), vec![]);

        let past = DischargeFacts {
            latest: Some(Vitals {
                systolic: 151,
                diastolic: 101,
                heart_rate: 49,
                spo2: 91,
                resp_rate: 25,
            }),
            ..facts
        };
        let problems = discharge_problems(&past, &rules());
        assert_eq!(
            problems,
            vec![DischargeProblem::VitalsNotBack(VitalSign::ALL.to_vec())]
        );
        let told = problems[0].message_with(&rules());
        assert!(told.contains(
            "Blood pressure (systolic) is not back within 20 mmHg of baseline (above or below) \
             and at least 90 mmHg."
        ));
        assert!(told.contains("Heart rate is not back within 20 bpm of baseline."));
        assert!(told.contains("SpO2 is below 92%."));
        assert!(told.ends_with("Wait and take another reading."));
        assert!(
            problems[0]
                .message()
                .contains("Blood pressure (diastolic) is not back near baseline.")
        );
        // A falling pressure keeps the patient like a high one: the margin holds both ways.
        let at_lower_margin = DischargeFacts {
            latest: Some(Vitals {
                systolic: 110,
                diastolic: 60,
                ..baseline
            }),
            ..facts
        };
        assert_eq!(discharge_problems(&at_lower_margin, &rules()), vec![]);
        let lower = DischargeFacts {
            latest: Some(Vitals {
                systolic: 109,
                diastolic: 59,
                ..baseline
            }),
            ..facts
        };
        assert_eq!(
            discharge_problems(&lower, &rules()),
            vec![DischargeProblem::VitalsNotBack(vec![
                VitalSign::Systolic,
                VitalSign::Diastolic
            ])]
        );
        // Below the clinic's lowest systolic, even close to a low baseline.
        let low_baseline = Vitals {
            systolic: 95,
            diastolic: 60,
            ..baseline
        };
        let at_bound = DischargeFacts {
            baseline: Some(low_baseline),
            latest: Some(Vitals {
                systolic: 90,
                ..low_baseline
            }),
            ..facts
        };
        assert_eq!(discharge_problems(&at_bound, &rules()), vec![]);
        let below_bound = DischargeFacts {
            latest: Some(Vitals {
                systolic: 89,
                ..low_baseline
            }),
            ..at_bound
        };
        assert_eq!(
            discharge_problems(&below_bound, &rules()),
            vec![DischargeProblem::VitalsNotBack(vec![VitalSign::Systolic])]
        );
    }

    #[test]
    fn discharge_waits_for_the_observation_time_after_the_end() {
        let just_ended = DischargeFacts {
            since_end: Some(Duration::ZERO),
            ..ready()
        };
        let problems = discharge_problems(&just_ended, &rules());
        assert_eq!(problems, vec![DischargeProblem::ObservationNotOver(30)]);
        assert!(
            problems[0]
                .message_with(&rules())
                .contains("(the clinic's minimum is 30 minutes): 30 more minutes")
        );
        let almost = DischargeFacts {
            since_end: Some(Duration::minutes(30) - Duration::seconds(1)),
            ..ready()
        };
        assert_eq!(
            discharge_problems(&almost, &rules()),
            vec![DischargeProblem::ObservationNotOver(1)]
        );
        let none_needed = TreatmentRules {
            min_observation_minutes: 0,
            ..rules()
        };
        assert_eq!(discharge_problems(&just_ended, &none_needed), vec![]);
    }

    #[test]
    fn only_a_moaas_rated_after_the_end_counts() {
        let end = datetime!(2026-11-02 10:00 UTC);
        let ratings = [
            (end - Duration::minutes(5), 5),
            (end, 4),
            (end + Duration::minutes(20), 5),
        ];
        assert_eq!(moaas_after_end(&ratings, None), None);
        assert_eq!(moaas_after_end(&ratings[..1], Some(end)), None);
        assert_eq!(moaas_after_end(&ratings[..2], Some(end)), Some(4));
        assert_eq!(moaas_after_end(&ratings, Some(end)), Some(5));
    }

    fn checked_in() -> CheckInFacts<'static> {
        CheckInFacts {
            checked_in: true,
            fasting_confirmed: true,
            escort_confirmed: true,
            pregnancy_test: Some("negative"),
            pregnancy_test_reason: None,
            pregnancy_relevant: true,
            baseline_taken: true,
        }
    }

    #[test]
    fn the_check_in_blocks_the_start_until_complete() {
        assert_eq!(check_in_problems(&checked_in()), vec![]);
        assert_eq!(
            check_in_problems(&CheckInFacts::default()),
            vec![CheckInProblem::NotCheckedIn]
        );
        let gaps = CheckInFacts {
            fasting_confirmed: false,
            escort_confirmed: false,
            pregnancy_test: None,
            baseline_taken: false,
            ..checked_in()
        };
        assert_eq!(
            check_in_problems(&gaps),
            vec![
                CheckInProblem::NotFasted,
                CheckInProblem::NoEscort,
                CheckInProblem::PregnancyNotRecorded,
                CheckInProblem::NoBaseline
            ]
        );
        let positive = CheckInFacts {
            pregnancy_test: Some("positive"),
            ..checked_in()
        };
        assert_eq!(
            check_in_problems(&positive),
            vec![CheckInProblem::PregnancyPositive]
        );
    }

    #[test]
    fn a_pregnancy_test_that_does_not_apply_needs_a_reason_when_it_could() {
        let unexplained = CheckInFacts {
            pregnancy_test: Some("not_applicable"),
            pregnancy_test_reason: Some("  "),
            ..checked_in()
        };
        assert_eq!(
            check_in_problems(&unexplained),
            vec![CheckInProblem::PregnancyNotApplicableWithoutReason]
        );
        let explained = CheckInFacts {
            pregnancy_test_reason: Some("Hysterectomy 2019"),
            ..unexplained
        };
        assert_eq!(check_in_problems(&explained), vec![]);
        let not_concerned = CheckInFacts {
            pregnancy_test: None,
            pregnancy_relevant: false,
            ..checked_in()
        };
        assert_eq!(check_in_problems(&not_concerned), vec![]);
        let not_concerned_marked = CheckInFacts {
            pregnancy_test: Some("not_applicable"),
            ..not_concerned
        };
        assert_eq!(check_in_problems(&not_concerned_marked), vec![]);
    }

    #[test]
    fn a_cancelled_or_missed_appointment_keeps_its_record_closed() {
        assert!(
            closed_appointment("cancelled")
                .unwrap()
                .contains("cancelled")
        );
        assert!(closed_appointment("no_show").unwrap().contains("no-show"));
        assert_eq!(closed_appointment("booked"), None);
        assert_eq!(closed_appointment("checked_in"), None);
    }

    #[test]
    fn numbers_are_written_plainly() {
        assert_eq!(plain_number(1.0), "1");
        assert_eq!(plain_number(0.75), "0.75");
        assert_eq!(plain_number(36.2), "36.2");
    }
    #[test]
    fn settings_are_checked_field_by_field_and_alert_ranges_must_open_upwards() {
        let rules = TreatmentRules::example();
        assert_eq!(check_rules(&RulesForm::of(&rules)), Ok(rules));
        let mut form = RulesForm::of(&TreatmentRules::example());
        form.bp_hold_systolic = "300".into();
        form.max_mg_per_kg = "0,5".into();
        form.alert_heart_rate_low = "130".into();
        form.vitals_interval_minutes = "".into();
        let errors = check_rules(&form).unwrap_err();
        assert!(
            errors
                .get("bp_hold_systolic")
                .unwrap()
                .contains("100 to 220")
        );
        assert!(errors.get("max_mg_per_kg").is_some());
        assert!(errors.get("vitals_interval_minutes").is_some());
        assert_eq!(
            errors.get("alert_heart_rate_high"),
            Some("The upper alert bound must be above the lower one.")
        );
    }

    #[test]
    fn moaas_two_or_lower_is_deep_sedation_three_is_not() {
        let moaas = |score| Event::Moaas { score, note: None };
        let (kind, detail) = event_alert(&moaas(2), &rules()).unwrap();
        assert_eq!(kind, AlertKind::DeepSedation);
        assert!(detail.starts_with("MOAA/S 2"));
        assert_eq!(
            event_alert(&moaas(0), &rules()).unwrap().0,
            AlertKind::DeepSedation
        );
        assert_eq!(event_alert(&moaas(3), &rules()), None);
        assert_eq!(event_alert(&moaas(5), &rules()), None);
    }

    #[test]
    fn a_cadss_total_above_the_clinic_threshold_is_an_alert_at_it_is_not() {
        let cadss = |total| Event::Cadss { total, note: None };
        let rules = TreatmentRules {
            cadss_alert_threshold: 30,
            ..rules()
        };
        assert_eq!(event_alert(&cadss(30), &rules), None);
        let (kind, detail) = event_alert(&cadss(31), &rules).unwrap();
        assert_eq!(kind, AlertKind::Dissociation);
        assert!(detail.contains("threshold of 30"));
        let side_effect = Event::SideEffect {
            effect: SideEffect::Hypotension,
            severity: Severity::Severe,
            intervention: None,
            note: None,
        };
        assert_eq!(event_alert(&side_effect, &rules), None);
    }

    #[test]
    fn a_reading_outside_either_bound_is_an_alert_naming_each_sign() {
        let ranges = rules().alerts;
        assert_eq!(reading_alert(&vitals(128, 82), &ranges), None);
        // The bounds themselves are fine.
        assert_eq!(reading_alert(&vitals(ranges.systolic.1, 82), &ranges), None);
        let low = reading_alert(&vitals(ranges.systolic.0 - 1, 82), &ranges).unwrap();
        assert!(low.contains("Systolic pressure 89 mmHg"), "{low}");
        let mut desaturated = vitals(128, 82);
        desaturated.spo2 = 88;
        desaturated.resp_rate = 8;
        let both = reading_alert(&desaturated, &ranges).unwrap();
        assert!(
            both.contains("SpO2 88 %") && both.contains("Respiratory rate 8"),
            "{both}"
        );
    }

    #[test]
    fn open_bedside_alerts_hold_the_discharge_others_do_not() {
        assert_eq!(discharge_held_by_alerts(&[]), None);
        assert_eq!(discharge_held_by_alerts(&[AlertKind::RiskAnswer]), None);
        let held = discharge_held_by_alerts(&[AlertKind::Vitals, AlertKind::DeepSedation]).unwrap();
        assert!(
            held.contains("Vitals outside") && held.contains("Deep sedation"),
            "{held}"
        );
    }

    #[test]
    fn the_new_side_effects_round_trip_through_their_codes() {
        for effect in SideEffect::ALL {
            assert_eq!(SideEffect::parse(effect.code()), Some(effect));
        }
        for code in [
            "hypotension",
            "tachycardia",
            "bradycardia",
            "oxygen_desaturation",
            "respiratory_depression",
            "emergence_reaction",
        ] {
            assert!(SideEffect::parse(code).is_some(), "{code}");
        }
    }

    #[test]
    fn a_nul_in_a_flowsheet_or_settings_field_is_refused_on_that_field() {
        let errors = check_vitals(&vitals_form(["128\0", "82", "76", "98", "14"])).unwrap_err();
        assert_eq!(
            errors.get("systolic"),
            Some(crate::core::params::UNSTORABLE)
        );
        let event = EventForm {
            kind: "side_effect".into(),
            side_effect: "nausea".into(),
            severity: "mild".into(),
            intervention: "Ondansetron\0 4 mg".into(),
            ..EventForm::default()
        };
        assert_eq!(
            check_event(&event).unwrap_err().get("intervention"),
            Some(crate::core::params::UNSTORABLE)
        );
        let protocol = ProtocolForm {
            name: "Standard\0".into(),
            route: "iv".into(),
            mg_per_kg: "0.5".into(),
            minutes: "40".into(),
        };
        assert_eq!(
            check_protocol(&protocol).unwrap_err().get("protocol_name"),
            Some(crate::core::params::UNSTORABLE)
        );
        let rules = RulesForm {
            max_mg: "100\0".into(),
            ..RulesForm::of(&TreatmentRules::example())
        };
        assert_eq!(
            check_rules(&rules).unwrap_err().get("max_mg"),
            Some(crate::core::params::UNSTORABLE)
        );
    }
}
