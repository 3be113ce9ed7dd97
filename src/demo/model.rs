//! The demo clinic's plan: who the made-up patients are, where each stands, when their
//! infusions were, and what today's chairs hold. Pure: times are placed relative to the
//! `now` the loader passes in, so the clinic is always in mid-week.

use time::{Duration, OffsetDateTime};

use crate::patients::model::SexAtBirth;
use crate::screening::instruments::{self, InstrumentId};

/// Every demo address ends so; an account without it is somebody's real data.
pub const DEMO_DOMAIN: &str = "@demo.clinic";

/// All demo patients share one password, hashed once (argon2 per patient would make loading
/// take minutes).
pub const PATIENT_PASSWORD: &str = "demo patient passphrase";

/// How far along the clinic's pathway a demo patient is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    JustRegistered,
    ScreeningInProgress,
    AwaitingReview {
        urgent: bool,
    },
    NeedsInformation,
    NotEligible,
    EligibleWithoutConsent,
    /// Eligible and consented; `countersigned` false leaves the signature waiting for a
    /// clinician.
    Consented {
        countersigned: bool,
    },
    /// Signed a consent version that a newer one has replaced.
    OutdatedConsent,
    WithdrawnConsent,
}

impl Stage {
    pub fn has_profile(self) -> bool {
        self != Stage::JustRegistered
    }

    pub fn submits_screening(self) -> bool {
        !matches!(self, Stage::JustRegistered | Stage::ScreeningInProgress)
    }

    pub fn is_eligible(self) -> bool {
        matches!(
            self,
            Stage::EligibleWithoutConsent
                | Stage::Consented { .. }
                | Stage::OutdatedConsent
                | Stage::WithdrawnConsent
        )
    }

    pub fn signs_consent(self) -> bool {
        matches!(
            self,
            Stage::Consented { .. } | Stage::OutdatedConsent | Stage::WithdrawnConsent
        )
    }
}

/// How a course of infusions goes, by the PHQ-9 before each one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Course {
    Responding,
    Remission,
    /// A few infusions spread over the quarter, for the report.
    Some(u8),
}

#[derive(Clone, Debug)]
pub struct DemoPatient {
    pub name: String,
    pub preferred: &'static str,
    pub email: String,
    pub born: (i32, u8, u8),
    pub sex: SexAtBirth,
    pub weight_kg: f64,
    pub stage: Stage,
    pub course: Option<Course>,
    /// The demo login's patient keeps the address printed at start.
    pub is_login: bool,
}

/// Obviously made-up surnames: nobody should mistake a demo record for a person.
const SURNAMES: [&str; 12] = [
    "Example",
    "Sample",
    "Placeholder",
    "Madeup",
    "Pretend",
    "Fictional",
    "Testcase",
    "Mockwell",
    "Dummyton",
    "Lorem",
    "Ipsum",
    "Notreal",
];

const FIRST_NAMES: [&str; 34] = [
    "Quinn", "Avery", "Blair", "Cody", "Dana", "Eden", "Finley", "Gale", "Harper", "Indy", "Jules",
    "Kit", "Logan", "Morgan", "Noel", "Oakley", "Parker", "Reese", "Sage", "Tatum", "Umber",
    "Vale", "Wren", "Xen", "Yael", "Zion", "Ash", "Bay", "Cove", "Drew", "Ellis", "Fern", "Glen",
    "Hollis",
];

/// The plan's patients: the login patient (a responding course) first, then one remission
/// course, then ten more consented patients with some history, then every other stage.
pub fn patients() -> Vec<DemoPatient> {
    let mut stages: Vec<(Stage, Option<Course>)> = vec![
        (
            Stage::Consented {
                countersigned: true,
            },
            Some(Course::Responding),
        ),
        (
            Stage::Consented {
                countersigned: true,
            },
            Some(Course::Remission),
        ),
    ];
    for i in 0..10u8 {
        // Three signatures still wait for a clinician's countersignature.
        let countersigned = i >= 3;
        stages.push((
            Stage::Consented { countersigned },
            Some(Course::Some(1 + i % 5)),
        ));
    }
    stages.extend([
        (Stage::OutdatedConsent, None),
        (Stage::OutdatedConsent, None),
        (Stage::WithdrawnConsent, None),
        (Stage::WithdrawnConsent, None),
        (Stage::EligibleWithoutConsent, None),
        (Stage::EligibleWithoutConsent, None),
        (Stage::EligibleWithoutConsent, None),
        (Stage::AwaitingReview { urgent: true }, None),
        (Stage::AwaitingReview { urgent: false }, None),
        (Stage::AwaitingReview { urgent: false }, None),
        (Stage::AwaitingReview { urgent: false }, None),
        (Stage::NeedsInformation, None),
        (Stage::NeedsInformation, None),
        (Stage::NotEligible, None),
        (Stage::NotEligible, None),
        (Stage::ScreeningInProgress, None),
        (Stage::ScreeningInProgress, None),
        (Stage::ScreeningInProgress, None),
        (Stage::JustRegistered, None),
        (Stage::JustRegistered, None),
        (Stage::JustRegistered, None),
    ]);
    stages
        .into_iter()
        .enumerate()
        .map(|(i, (stage, course))| {
            let is_login = i == 0;
            let (first, last) = if is_login {
                ("Pat", "Patient")
            } else {
                (
                    FIRST_NAMES[i % FIRST_NAMES.len()],
                    SURNAMES[i % SURNAMES.len()],
                )
            };
            let email = if is_login {
                format!("patient{DEMO_DOMAIN}")
            } else {
                format!(
                    "{}.{}{DEMO_DOMAIN}",
                    first.to_lowercase(),
                    last.to_lowercase()
                )
            };
            let year = 1960 + (i as i32 * 7) % 40;
            DemoPatient {
                name: format!("{first} {last}"),
                preferred: first,
                email,
                born: (year, 1 + (i % 12) as u8, 1 + (i % 27) as u8),
                sex: if i % 2 == 0 {
                    SexAtBirth::Female
                } else {
                    SexAtBirth::Male
                },
                weight_kg: 58.0 + (i % 9) as f64 * 4.5,
                stage,
                course,
                is_login,
            }
        })
        .collect()
}

/// Answers that add up to `total` (as near as the items allow), item by item from the first,
/// never touching the items listed in `keep_zero`.
fn answers_for(items: usize, max_each: i16, total: i16, keep_zero: &[usize]) -> Vec<Option<i16>> {
    let mut left = total.max(0);
    (0..items)
        .map(|index| {
            if keep_zero.contains(&index) {
                return Some(0);
            }
            let value = left.min(max_each);
            left -= value;
            Some(value)
        })
        .collect()
}

/// PHQ-9 answers totalling `total`, with item 9 (thoughts of self-harm) answered "not at
/// all": a risk answer would (rightly) hold the infusion for a clinician's assessment.
pub fn phq9_answers(total: i16) -> Vec<Option<i16>> {
    answers_for(9, 3, total.min(24), &[8])
}

pub fn gad7_answers(total: i16) -> Vec<Option<i16>> {
    answers_for(7, 3, total.min(21), &[])
}

/// The C-SSRS screener: every question asked answered no, unless `ideation` (yes to wishing
/// to be dead, to thoughts of killing oneself, of how, and some intention to act on them).
pub fn cssrs_answers(ideation: bool) -> Vec<Option<i16>> {
    let length = instruments::instrument(InstrumentId::Cssrs).items.len();
    let mut answers = vec![None; length];
    let yes = i16::from(ideation);
    for (number, value) in [(1, yes), (2, yes), (6, 0)] {
        if let Some(slot) = answers.get_mut(number - 1) {
            *slot = Some(value);
        }
    }
    if ideation {
        for (number, value) in [(3, 1), (4, 1), (5, 0)] {
            if let Some(slot) = answers.get_mut(number - 1) {
                *slot = Some(value);
            }
        }
    }
    answers
}

/// The PHQ-9 and GAD-7 before each infusion of a course, first to last.
pub fn course_scores(course: Course) -> Vec<(i16, i16)> {
    match course {
        // Half the starting score or less by the sixth infusion, not yet below 5.
        Course::Responding => vec![
            (20, 15),
            (18, 14),
            (15, 12),
            (13, 10),
            (11, 9),
            (10, 8),
            (9, 7),
            (9, 7),
        ],
        Course::Remission => vec![
            (18, 13),
            (15, 11),
            (12, 9),
            (9, 7),
            (7, 5),
            (5, 4),
            (4, 3),
            (3, 2),
        ],
        Course::Some(n) => (0..i16::from(n)).map(|k| (16 - 2 * k, 12 - k)).collect(),
    }
}

/// How many days ago each of a patient's past infusions was, oldest first. The courses run
/// twice a week with a booster; the others are spread over the last quarter.
pub fn infusion_days_ago(course: Course, index: usize) -> Vec<i64> {
    match course {
        Course::Responding => vec![38, 34, 31, 27, 24, 20, 10, 3],
        Course::Remission => vec![45, 41, 38, 34, 31, 27, 17, 4],
        Course::Some(n) => (0..i64::from(n))
            .map(|k| 88 - 17 * k - index as i64)
            .filter(|days| *days >= 1)
            .collect(),
    }
}

/// A past infusion's place in the day: patients `index` take distinct (clinician, hour) and
/// (chair, hour) pairs, so no two demo bookings ever clash. Returns (clinician, chair, the
/// local hour the two-hour slot starts).
pub fn history_slot(index: usize) -> (usize, usize, u8) {
    (index % 3, index % 3, 8 + 2 * (index / 3) as u8)
}

/// Minutes from the start of a two-hour infusion slot: check-in, order, start, end, signing.
pub struct SlotTimes {
    pub checked_in: OffsetDateTime,
    pub ordered: OffsetDateTime,
    pub started: OffsetDateTime,
    pub ended: OffsetDateTime,
    pub signed: OffsetDateTime,
}

pub const SLOT_MINUTES: i64 = 120;
pub const INFUSION_MINUTES: i64 = 40;

/// The flowsheet's moments within a slot: discharge is signed 50 minutes after the end (the
/// clinic observes at least 30), MOAA/S 5 recorded after the end.
pub fn slot_times(slot_start: OffsetDateTime) -> SlotTimes {
    let started = slot_start + Duration::minutes(20);
    let ended = started + Duration::minutes(INFUSION_MINUTES);
    SlotTimes {
        checked_in: slot_start + Duration::minutes(5),
        ordered: slot_start + Duration::minutes(12),
        started,
        ended,
        signed: ended + Duration::minutes(50),
    }
}

/// One vitals reading to record: minutes from the start of the infusion, phase, and signs
/// (systolic, diastolic, heart rate, SpO2, breaths per minute), all well inside the ranges.
pub struct PlannedReading {
    pub minutes: i64,
    pub phase: &'static str,
    pub signs: (i32, i32, i32, i32, i32),
}

pub fn signed_readings(variant: usize) -> Vec<PlannedReading> {
    let lift = (variant % 4) as i32 * 2;
    vec![
        PlannedReading {
            minutes: -8,
            phase: "baseline",
            signs: (122 + lift, 78, 72, 98, 14),
        },
        PlannedReading {
            minutes: 15,
            phase: "infusion",
            signs: (130 + lift, 82, 78, 97, 15),
        },
        PlannedReading {
            minutes: 30,
            phase: "infusion",
            signs: (132 + lift, 83, 80, 97, 15),
        },
        PlannedReading {
            minutes: INFUSION_MINUTES + 15,
            phase: "recovery",
            signs: (126 + lift, 80, 75, 98, 14),
        },
        PlannedReading {
            minutes: INFUSION_MINUTES + 40,
            phase: "recovery",
            signs: (123 + lift, 78, 72, 98, 14),
        },
    ]
}

/// The infusion running now: started 20 minutes ago, vitals every five minutes.
pub fn running_readings() -> Vec<PlannedReading> {
    vec![
        PlannedReading {
            minutes: -6,
            phase: "baseline",
            signs: (124, 79, 74, 98, 14),
        },
        PlannedReading {
            minutes: 5,
            phase: "infusion",
            signs: (128, 81, 77, 98, 15),
        },
        PlannedReading {
            minutes: 10,
            phase: "infusion",
            signs: (131, 83, 79, 97, 15),
        },
        PlannedReading {
            minutes: 15,
            phase: "infusion",
            signs: (133, 84, 80, 97, 16),
        },
    ]
}

/// What today's chairs hold, relative to now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TodayKind {
    /// An infusion started about four hours ago, its discharge signed.
    SignedInfusion,
    /// An infusion under way now.
    RunningInfusion,
    /// Checked in, waiting for the clinician's dose order.
    AwaitingOrder,
    /// Later today.
    InfusionToCome,
    ConsultationDone,
    ConsultationToCome,
    NoShow,
}

pub struct TodayBooking {
    pub kind: TodayKind,
    /// Index into [`patients`].
    pub patient: usize,
    /// 0, 1 or 2: which demo clinician.
    pub clinician: usize,
    /// 0 to 2, or none for a consultation room.
    pub chair: Option<usize>,
    pub from: OffsetDateTime,
    pub until: OffsetDateTime,
}

/// Today's seven bookings on three chairs and three clinicians, none clashing.
pub fn today(now: OffsetDateTime) -> Vec<TodayBooking> {
    let at = |minutes: i64| now + Duration::minutes(minutes);
    let booking = |kind, patient, clinician, chair, from: i64, length: i64| TodayBooking {
        kind,
        patient,
        clinician,
        chair,
        from: at(from),
        until: at(from + length),
    };
    vec![
        booking(TodayKind::SignedInfusion, 2, 0, Some(0), -240, SLOT_MINUTES),
        booking(TodayKind::RunningInfusion, 3, 0, Some(1), -40, SLOT_MINUTES),
        booking(TodayKind::AwaitingOrder, 4, 1, Some(2), -15, SLOT_MINUTES),
        booking(TodayKind::InfusionToCome, 5, 2, Some(0), 90, SLOT_MINUTES),
        booking(TodayKind::ConsultationDone, 18, 1, None, -180, 45),
        booking(TodayKind::ConsultationToCome, 17, 0, None, 90, 45),
        booking(TodayKind::NoShow, 6, 2, None, -120, 45),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screening::instruments::score;

    #[test]
    fn every_stage_is_there_and_there_are_thirty_patients() {
        let plan = patients();
        assert!(plan.len() >= 30);
        let count = |f: &dyn Fn(Stage) -> bool| plan.iter().filter(|p| f(p.stage)).count();
        assert!(count(&|s| matches!(s, Stage::AwaitingReview { .. })) >= 3);
        assert_eq!(count(&|s| s == Stage::AwaitingReview { urgent: true }), 1);
        assert!(
            count(&|s| s
                == Stage::Consented {
                    countersigned: false
                })
                >= 1
        );
        let emails: std::collections::BTreeSet<_> = plan.iter().map(|p| &p.email).collect();
        assert_eq!(emails.len(), plan.len(), "addresses are unique");
        assert!(plan.iter().all(|p| p.email.ends_with(DEMO_DOMAIN)));
    }

    #[test]
    fn answers_add_up_and_never_answer_item_nine() {
        for total in [0, 4, 9, 20, 24] {
            let answers = phq9_answers(total);
            assert_eq!(answers.iter().flatten().sum::<i16>(), total);
            assert_eq!(answers[8], Some(0));
        }
        assert_eq!(gad7_answers(12).iter().flatten().sum::<i16>(), 12);
        assert!(score(InstrumentId::Phq9, &phq9_answers(20)).is_some());
    }

    #[test]
    fn only_the_urgent_answers_raise_a_suicide_risk_flag() {
        use crate::screening::rules::{IntakeAnswers, flags, has_suicide_risk};
        let intake = IntakeAnswers::default();
        let phq9 = phq9_answers(18);
        assert!(has_suicide_risk(&flags(
            &intake,
            &phq9,
            &cssrs_answers(true)
        )));
        assert!(!has_suicide_risk(&flags(
            &intake,
            &phq9,
            &cssrs_answers(false)
        )));
    }

    #[test]
    fn the_courses_respond_and_remit() {
        use crate::outcomes::model::{is_remission, is_response};
        let responding = course_scores(Course::Responding);
        let (first, last) = (responding[0].0, responding[responding.len() - 1].0);
        assert!(is_response(first, last) && !is_remission(last));
        let remission = course_scores(Course::Remission);
        assert!(is_remission(remission[remission.len() - 1].0));
        assert!(responding.len() >= 6 && remission.len() >= 6);
        assert_eq!(
            infusion_days_ago(Course::Responding, 0).len(),
            responding.len()
        );
    }

    #[test]
    fn discharge_waits_long_enough_after_the_end() {
        let start = OffsetDateTime::UNIX_EPOCH;
        let times = slot_times(start);
        assert!(times.signed - times.ended >= Duration::minutes(45));
        assert!(times.signed <= start + Duration::minutes(SLOT_MINUTES));
    }

    #[test]
    fn no_two_bookings_of_one_clinician_or_chair_overlap() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let day = today(now);
        for (i, a) in day.iter().enumerate() {
            for b in &day[i + 1..] {
                let overlap = a.from < b.until && b.from < a.until;
                assert!(!(overlap && a.clinician == b.clinician));
                assert!(!(overlap && a.chair.is_some() && a.chair == b.chair));
                assert_ne!(a.patient, b.patient);
            }
        }
        let slots: std::collections::BTreeSet<_> = (0..12).map(history_slot).collect();
        assert_eq!(slots.len(), 12);
    }
}
