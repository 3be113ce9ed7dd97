//! The course over time's pure rules: response and remission on the PHQ-9 (judged against
//! the first score), and the clinic's own bladder/memory follow-up (its items, its scoring and
//! when it falls due). No I/O: the course pages and the database layer call these.

use time::{Date, Month, OffsetDateTime};

use crate::flowsheet::model::TreatmentRules;

/// Response: PHQ-9 at least 50% below a baseline above 0.
pub fn is_response(baseline: i16, score: i16) -> bool {
    baseline > 0 && i32::from(score) * 2 <= i32::from(baseline)
}

/// Remission: PHQ-9 below 5.
pub fn is_remission(score: i16) -> bool {
    score < 5
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScorePoint {
    pub at: OffsetDateTime,
    pub total: i16,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Phq9Course {
    pub baseline: Option<ScorePoint>,
    pub latest: Option<ScorePoint>,
    pub first_response: Option<ScorePoint>,
    pub first_remission: Option<ScorePoint>,
    pub responding_now: bool,
    pub in_remission_now: bool,
}

/// A patient's PHQ-9 course from their scores, oldest first. The first score is the baseline;
/// response and remission are judged only on the scores after it (a low score before
/// treatment is not an outcome).
pub fn phq9_course(points: &[ScorePoint]) -> Phq9Course {
    let baseline = points.first().copied();
    let after = points.get(1..).unwrap_or_default();
    let base_total = baseline.map_or(0, |point| point.total);
    let latest_after = after.last();
    Phq9Course {
        baseline,
        latest: points.last().copied(),
        first_response: after
            .iter()
            .find(|point| is_response(base_total, point.total))
            .copied(),
        first_remission: after
            .iter()
            .find(|point| is_remission(point.total))
            .copied(),
        responding_now: latest_after.is_some_and(|point| is_response(base_total, point.total)),
        in_remission_now: latest_after.is_some_and(|point| is_remission(point.total)),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowUpArea {
    Bladder,
    Memory,
}

impl FollowUpArea {
    pub fn label(self) -> &'static str {
        match self {
            FollowUpArea::Bladder => "Bladder and urinary symptoms",
            FollowUpArea::Memory => "Memory and thinking",
        }
    }
}

/// One question of the clinic's own follow-up on the long-term risks named in its patient
/// material (bladder, memory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowUpItem {
    pub number: u8,
    pub text: &'static str,
    pub area: FollowUpArea,
}

/// Bump when the wording changes, so stored answers keep the version they were given under.
pub const FOLLOW_UP_VERSION: &str = "1";

/// The stem every item answers.
pub const FOLLOW_UP_QUESTION: &str =
    "Over the last 2 weeks, how often have you been bothered by any of the following?";

/// Blood in the urine needs a clinician's review at any frequency.
pub const BLOOD_IN_URINE_ITEM: u8 = 5;

const FOLLOW_UP_ITEMS: [FollowUpItem; 8] = [
    FollowUpItem {
        number: 1,
        text: "Needing to pass urine more often than usual, by day or at night",
        area: FollowUpArea::Bladder,
    },
    FollowUpItem {
        number: 2,
        text: "A sudden, urgent need to pass urine, or leaking before you reach the toilet",
        area: FollowUpArea::Bladder,
    },
    FollowUpItem {
        number: 3,
        text: "Pain, burning or stinging when passing urine",
        area: FollowUpArea::Bladder,
    },
    FollowUpItem {
        number: 4,
        text: "Pain or pressure in your bladder or lower belly",
        area: FollowUpArea::Bladder,
    },
    FollowUpItem {
        number: BLOOD_IN_URINE_ITEM,
        text: "Blood in your urine (pink, red or brown urine)",
        area: FollowUpArea::Bladder,
    },
    FollowUpItem {
        number: 6,
        text: "Forgetting things you would normally remember, such as appointments, \
               conversations or where you put things",
        area: FollowUpArea::Memory,
    },
    FollowUpItem {
        number: 7,
        text: "Trouble concentrating, for example on reading, work or a conversation",
        area: FollowUpArea::Memory,
    },
    FollowUpItem {
        number: 8,
        text: "Feeling mentally foggy, confused or slowed down in your thinking",
        area: FollowUpArea::Memory,
    },
];

pub fn follow_up_items() -> &'static [FollowUpItem] {
    &FOLLOW_UP_ITEMS
}

pub const FOLLOW_UP_OPTIONS: [(i16, &str); 4] = [
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowUpScore {
    pub bladder: i16,
    pub memory: i16,
    pub total: i16,
    /// A clinician should look at the answers before the next infusion.
    pub needs_review: bool,
}

/// Scores a complete follow-up, answers in item order; None when any item is unanswered or out
/// of range, or the count does not match (an incomplete form has no total).
pub fn score_follow_up(answers: &[Option<i16>]) -> Option<FollowUpScore> {
    if answers.len() != FOLLOW_UP_ITEMS.len() {
        return None;
    }
    let mut score = FollowUpScore {
        bladder: 0,
        memory: 0,
        total: 0,
        needs_review: false,
    };
    for (item, answer) in FOLLOW_UP_ITEMS.iter().zip(answers) {
        let value = answer.filter(|value| (0..=3).contains(value))?;
        match item.area {
            FollowUpArea::Bladder => score.bladder += value,
            FollowUpArea::Memory => score.memory += value,
        }
        score.total += value;
        score.needs_review |= value >= 2 || (item.number == BLOOD_IN_URINE_ITEM && value >= 1);
    }
    Some(score)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowUpStatus {
    /// No infusion yet: nothing to follow up.
    NotStarted,
    NotDue {
        infusions_left: i32,
        due_by: Date,
    },
    Due {
        reason: String,
    },
}

/// The same day `months` calendar months later, or the month's last day when it is shorter
/// (31 January + 1 month = 28 or 29 February).
fn add_months(date: Date, months: i32) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + months;
    let year = index.div_euclid(12);
    let month = u8::try_from(index.rem_euclid(12) + 1)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .unwrap_or(Month::December);
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(if months < 0 {
        Date::MIN
    } else {
        Date::MAX
    })
}

/// Whether the bladder/memory follow-up is due: after every N infusions or every M calendar
/// months, counted from the last follow-up or, before the first, from the first infusion.
pub fn follow_up_status(
    infusions_since_last: i64,
    last_follow_up: Option<Date>,
    first_infusion: Option<Date>,
    today: Date,
    rules: &TreatmentRules,
) -> FollowUpStatus {
    let Some(first_infusion) = first_infusion else {
        return FollowUpStatus::NotStarted;
    };
    let (anchor, since) = match last_follow_up {
        Some(last) => (last, "the last follow-up"),
        None => (first_infusion, "the first infusion"),
    };
    let every = i64::from(rules.follow_up_every_infusions);
    let due_by = add_months(anchor, rules.follow_up_every_months);
    if infusions_since_last >= every {
        FollowUpStatus::Due {
            reason: format!("{infusions_since_last} infusions since {since}."),
        }
    } else if today >= due_by {
        let months = rules.follow_up_every_months;
        FollowUpStatus::Due {
            reason: format!(
                "{months} month{} since {since} on {anchor}.",
                if months == 1 { "" } else { "s" }
            ),
        }
    } else {
        FollowUpStatus::NotDue {
            infusions_left: i32::try_from(every - infusions_since_last).unwrap_or(i32::MAX),
            due_by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::{date, datetime};

    fn rules() -> TreatmentRules {
        TreatmentRules::example()
    }

    #[test]
    fn response_is_half_the_baseline_and_remission_below_five() {
        assert!(is_response(20, 10));
        assert!(!is_response(20, 11));
        assert!(is_response(21, 10));
        assert!(!is_response(21, 11));
        assert!(!is_response(0, 0));
        assert!(is_remission(4));
        assert!(!is_remission(5));
    }

    fn points(totals: &[i16]) -> Vec<ScorePoint> {
        let start = datetime!(2026-11-02 09:00 UTC);
        totals
            .iter()
            .zip(0i64..)
            .map(|(&total, week)| ScorePoint {
                at: start + Duration::weeks(week),
                total,
            })
            .collect()
    }

    #[test]
    fn phq9_course_finds_first_response_and_remission() {
        let course = phq9_course(&points(&[20, 15, 11, 10, 4, 12]));
        assert_eq!(course.baseline.map(|p| p.total), Some(20));
        assert_eq!(course.latest.map(|p| p.total), Some(12));
        let series = points(&[20, 15, 11, 10, 4, 12]);
        assert_eq!(course.first_response, Some(series[3]));
        assert_eq!(course.first_remission, Some(series[4]));
        assert!(!course.responding_now);
        assert!(!course.in_remission_now);

        let course = phq9_course(&points(&[20, 11, 4]));
        assert!(course.responding_now && course.in_remission_now);
        assert_eq!(course.first_response.map(|p| p.total), Some(4));

        let course = phq9_course(&points(&[20, 11]));
        assert_eq!(course.first_response, None);
        assert!(!course.responding_now);
    }

    #[test]
    fn phq9_course_with_a_zero_or_lone_baseline() {
        let course = phq9_course(&points(&[0, 0]));
        assert_eq!(course.first_response, None);
        assert!(!course.responding_now);
        assert!(course.in_remission_now);

        let course = phq9_course(&points(&[3]));
        assert_eq!(course.latest, course.baseline);
        assert_eq!(course.first_remission, None);
        assert!(!course.in_remission_now);

        let course = phq9_course(&[]);
        assert_eq!(course.baseline, None);
        assert_eq!(course.latest, None);
    }

    #[test]
    fn follow_up_has_five_bladder_and_three_memory_items() {
        let items = follow_up_items();
        assert_eq!(items.len(), 8);
        let bladder = items
            .iter()
            .filter(|i| i.area == FollowUpArea::Bladder)
            .count();
        assert_eq!(bladder, 5);
        assert!(items.iter().zip(1..).all(|(item, n)| item.number == n));
        assert!(
            items[usize::from(BLOOD_IN_URINE_ITEM) - 1]
                .text
                .contains("Blood")
        );
        assert_eq!(FOLLOW_UP_OPTIONS[3], (3, "Nearly every day"));
    }

    #[test]
    fn follow_up_scores_complete_forms_and_flags_review() {
        let all = |v: i16| vec![Some(v); 8];
        assert_eq!(
            score_follow_up(&all(1)),
            Some(FollowUpScore {
                bladder: 5,
                memory: 3,
                total: 8,
                needs_review: true // blood in the urine on several days
            })
        );
        let mut answers = all(0);
        assert_eq!(
            score_follow_up(&answers).map(|s| s.needs_review),
            Some(false)
        );
        answers[0] = Some(1);
        answers[7] = Some(1);
        assert_eq!(
            score_follow_up(&answers),
            Some(FollowUpScore {
                bladder: 1,
                memory: 1,
                total: 2,
                needs_review: false
            })
        );
        answers[6] = Some(2);
        assert_eq!(
            score_follow_up(&answers).map(|s| s.needs_review),
            Some(true)
        );

        let mut incomplete = all(0);
        incomplete[3] = None;
        assert_eq!(score_follow_up(&incomplete), None);
        incomplete[3] = Some(4);
        assert_eq!(score_follow_up(&incomplete), None);
        assert_eq!(score_follow_up(&all(0)[..7]), None);
    }

    #[test]
    fn follow_up_is_due_by_infusions_or_months() {
        let first = date!(2026 - 01 - 31);
        let today = date!(2026 - 03 - 01);
        assert_eq!(
            follow_up_status(0, None, None, today, &rules()),
            FollowUpStatus::NotStarted
        );
        assert_eq!(
            follow_up_status(4, None, Some(first), today, &rules()),
            FollowUpStatus::NotDue {
                infusions_left: 2,
                due_by: date!(2026 - 04 - 30)
            }
        );
        assert_eq!(
            follow_up_status(6, None, Some(first), today, &rules()),
            FollowUpStatus::Due {
                reason: "6 infusions since the first infusion.".to_owned()
            }
        );
        assert_eq!(
            follow_up_status(
                1,
                Some(date!(2026 - 02 - 15)),
                Some(first),
                date!(2026 - 05 - 15),
                &rules()
            ),
            FollowUpStatus::Due {
                reason: "3 months since the last follow-up on 2026-02-15.".to_owned()
            }
        );
        assert_eq!(
            follow_up_status(
                1,
                Some(date!(2026 - 02 - 15)),
                Some(first),
                date!(2026 - 05 - 14),
                &rules()
            ),
            FollowUpStatus::NotDue {
                infusions_left: 5,
                due_by: date!(2026 - 05 - 15)
            }
        );
    }

    #[test]
    fn months_are_added_on_the_calendar() {
        assert_eq!(add_months(date!(2026 - 11 - 30), 3), date!(2027 - 02 - 28));
        assert_eq!(add_months(date!(2027 - 11 - 30), 3), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2026 - 01 - 15), 12), date!(2027 - 01 - 15));
    }
}
