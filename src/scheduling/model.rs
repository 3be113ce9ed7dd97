//! Scheduling rules: appointment kinds and their lengths, open slots from working hours minus
//! bookings and time off, the infusion gate, late cancellation. No I/O.

use std::collections::HashMap;

use time::{Date, Duration, OffsetDateTime, Time, Weekday};

use crate::alerts::model::AlertKind;
use crate::clinic_time::ClinicZone;
use crate::consent::model::ConsentStatus;
use crate::core::Role;
use crate::screening::model::ScreeningStanding;
/// The clinic's scheduling settings, stored with the other settings.
pub use crate::settings::model::SchedulingRules as Rules;

/// Held in PostgreSQL as `appointment_kind` (mapped in `scheduling::db`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentKind {
    Consultation,
    Infusion,
    FollowUp,
}

impl AppointmentKind {
    pub const ALL: [AppointmentKind; 3] = [
        AppointmentKind::Consultation,
        AppointmentKind::Infusion,
        AppointmentKind::FollowUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentKind::Consultation => "consultation",
            AppointmentKind::Infusion => "infusion",
            AppointmentKind::FollowUp => "follow_up",
        }
    }

    pub fn parse(value: &str) -> Option<AppointmentKind> {
        AppointmentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == value.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            AppointmentKind::Consultation => "Consultation",
            AppointmentKind::Infusion => "Infusion",
            AppointmentKind::FollowUp => "Follow-up",
        }
    }

    /// An infusion takes a chair as well as a clinician.
    pub fn needs_chair(self) -> bool {
        self == AppointmentKind::Infusion
    }
}

/// Held in PostgreSQL as `appointment_status` (mapped in `scheduling::db`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppointmentStatus {
    Booked,
    CheckedIn,
    Completed,
    Cancelled,
    NoShow,
}

impl AppointmentStatus {
    pub fn label(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "Booked",
            AppointmentStatus::CheckedIn => "Checked in",
            AppointmentStatus::Completed => "Completed",
            AppointmentStatus::Cancelled => "Cancelled",
            AppointmentStatus::NoShow => "No-show",
        }
    }

    /// Still holding its time: only these can be moved, cancelled or checked in.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            AppointmentStatus::Booked | AppointmentStatus::CheckedIn
        )
    }
}

impl AppointmentKind {
    /// How long this kind of appointment lasts under the clinic's settings.
    pub fn length(self, rules: &Rules) -> Duration {
        Duration::minutes(i64::from(match self {
            AppointmentKind::Consultation => rules.consultation_minutes,
            AppointmentKind::Infusion => rules.infusion_minutes,
            AppointmentKind::FollowUp => rules.follow_up_minutes,
        }))
    }
}

/// Cancelling this close to the start counts as a late cancellation.
pub fn is_late_cancellation(rules: &Rules, starts: OffsetDateTime, now: OffsetDateTime) -> bool {
    starts - now < Duration::hours(i64::from(rules.late_cancel_hours))
}

/// When the reminder for an appointment goes out: the lead time before it, or at once if
/// that moment has passed.
pub fn reminder_at(rules: &Rules, starts: OffsetDateTime, now: OffsetDateTime) -> OffsetDateTime {
    (starts - Duration::hours(i64::from(rules.reminder_hours))).max(now)
}

/// The reminder's subject and text. No clinical details beyond what the patient booked; the
/// infusion reminder carries the preparation the clinic asks for.
pub fn reminder_email(
    kind: AppointmentKind,
    zone: &ClinicZone,
    starts: OffsetDateTime,
    clinic_name: &str,
) -> (String, String) {
    let when = zone.format(starts);
    let subject = format!("Reminder: your {} on {when}", kind.label().to_lowercase());
    let mut body = format!(
        "This is a reminder of your {} at {clinic_name} on {when}.\n\n",
        kind.label().to_lowercase()
    );
    if kind == AppointmentKind::Infusion {
        body.push_str(
            "Before your infusion:\n\
             - Do not eat for 4 hours before, and drink only clear fluids in the last 2 hours (unless your clinician told you otherwise).\n\
             - Arrange a ride home: an adult must take you home. Do not drive, cycle or operate machinery until the next day.\n\
             - Take your usual medicines unless your clinician told you otherwise.\n\n",
        );
    }
    body.push_str(
        "If you cannot come, please cancel or move the appointment from your account as soon as you can.\n",
    );
    (subject, body)
}

/// Slots start on these minute marks.
pub const SLOT_STEP_MINUTES: i64 = 15;

/// A block of a clinician's week, in the clinic's local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkingBlock {
    pub weekday: Weekday,
    pub starts: Time,
    pub ends: Time,
}

/// A busy stretch (a booking or time off), half-open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy {
    pub from: OffsetDateTime,
    pub until: OffsetDateTime,
}

/// Busy stretches sorted by start, with the latest end seen so far at each position, so that
/// "is anything busy between these times" is one binary search, however full the week.
struct BusyIndex {
    starts: Vec<OffsetDateTime>,
    latest_end: Vec<OffsetDateTime>,
}

impl BusyIndex {
    fn new(busy: &[Busy]) -> BusyIndex {
        let mut sorted = busy.to_vec();
        sorted.sort_by_key(|b| b.from);
        let mut latest = OffsetDateTime::UNIX_EPOCH;
        let latest_end = sorted
            .iter()
            .map(|b| {
                latest = latest.max(b.until);
                latest
            })
            .collect();
        BusyIndex {
            starts: sorted.iter().map(|b| b.from).collect(),
            latest_end,
        }
    }

    /// Whether any stretch starting before `until` ends after `from`.
    fn overlaps(&self, from: OffsetDateTime, until: OffsetDateTime) -> bool {
        let before = self.starts.partition_point(|start| *start < until);
        before > 0 && self.latest_end[before - 1] > from
    }
}

/// One clinician's week: working hours and what is already taken.
#[derive(Clone, Debug)]
pub struct ClinicianCalendar {
    pub clinician_id: i64,
    pub blocks: Vec<WorkingBlock>,
    pub busy: Vec<Busy>,
}

#[derive(Clone, Debug)]
pub struct ChairCalendar {
    pub chair_id: i64,
    pub busy: Vec<Busy>,
}

/// An open slot: when, with whom, and in which chair (infusions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub starts: OffsetDateTime,
    pub ends: OffsetDateTime,
    pub clinician_id: i64,
    pub chair_id: Option<i64>,
}

/// Open slots of `length` on `days`: within each clinician's working hours, clear of their
/// bookings and time off, with a free chair when `needs_chair`, and not before `not_before`.
/// Sorted by start, then clinician.
pub fn open_slots(
    days: &[Date],
    zone: ClinicZone,
    length: Duration,
    needs_chair: bool,
    clinicians: &[ClinicianCalendar],
    chairs: &[ChairCalendar],
    not_before: OffsetDateTime,
) -> Vec<Slot> {
    let step = Duration::minutes(SLOT_STEP_MINUTES);
    let chair_busy: Vec<(i64, BusyIndex)> = chairs
        .iter()
        .map(|c| (c.chair_id, BusyIndex::new(&c.busy)))
        .collect();
    // Most clinicians share the same hours: each local time is turned into an instant once.
    let mut instants: HashMap<(Date, Time), OffsetDateTime> = HashMap::new();
    let mut instant = |day: Date, at: Time| {
        *instants
            .entry((day, at))
            .or_insert_with(|| zone.to_utc(day, at))
    };
    let mut slots = Vec::new();
    for clinician in clinicians {
        let busy = BusyIndex::new(&clinician.busy);
        for &day in days {
            for block in clinician
                .blocks
                .iter()
                .filter(|b| b.weekday == day.weekday())
            {
                let window_end = instant(day, block.ends);
                let mut starts = instant(day, block.starts);
                while starts + length <= window_end {
                    let ends = starts + length;
                    if starts >= not_before && !busy.overlaps(starts, ends) {
                        let chair = needs_chair
                            .then(|| {
                                chair_busy
                                    .iter()
                                    .find(|(_, taken)| !taken.overlaps(starts, ends))
                                    .map(|(id, _)| *id)
                            })
                            .flatten();
                        if !needs_chair || chair.is_some() {
                            slots.push(Slot {
                                starts,
                                ends,
                                clinician_id: clinician.clinician_id,
                                chair_id: chair,
                            });
                        }
                    }
                    starts += step;
                }
            }
        }
    }
    slots.sort_by_key(|s| (s.starts, s.clinician_id));
    slots
}

/// What an infusion booking is checked against.
#[derive(Clone, Debug)]
pub struct GateFacts {
    pub screening: ScreeningStanding,
    pub consent: ConsentStatus,
    /// Starts of the patient's other live infusions within 30 days either side of the slot.
    pub other_infusions: Vec<OffsetDateTime>,
    /// Kinds of the patient's clinical alerts still waiting for a clinician.
    pub open_alerts: Vec<AlertKind>,
}

/// Why an infusion cannot be booked, with what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GateProblem {
    Screening(ScreeningStanding),
    SuicideRiskOpen,
    /// A risk answer given outside a submitted screening (before a session, in a draft).
    RiskAnswerOpen,
    /// A bladder or memory follow-up marked "needs review".
    FollowUpReviewOpen,
    Consent(ConsentStatus),
    TooSoon {
        hours: i32,
    },
    TooMany {
        max: i32,
    },
}

impl GateProblem {
    /// What stops the infusion, said as `reader` may learn it: the reason behind a clinician's
    /// review (a suicide-risk answer) is clinical, so only clinicians read it; the front desk
    /// and the patient read that a clinician must see the patient first (minimum necessary).
    pub fn message(&self, reader: Role) -> String {
        let clinician = reader == Role::Clinician;
        match self {
            GateProblem::Screening(standing) => format!(
                "The screening does not clear an infusion: {}.",
                standing.label().to_lowercase()
            ),
            // Minimum necessary: the front desk books from this page, and the reason for the
            // review (a risk flag) is clinical; clinicians see it in their queue.
            GateProblem::SuicideRiskOpen => {
                "A clinician must review the screening first.".to_owned()
            }
            GateProblem::RiskAnswerOpen if clinician => {
                "A suicide-risk answer is waiting for a clinician's assessment.".to_owned()
            }
            GateProblem::RiskAnswerOpen => {
                "A clinician must review this patient before the infusion.".to_owned()
            }
            GateProblem::FollowUpReviewOpen => {
                "A bladder or memory follow-up needs a clinician's review.".to_owned()
            }
            GateProblem::Consent(status) => {
                format!("Consent is not current: {}.", status.label().to_lowercase())
            }
            GateProblem::TooSoon { hours } => {
                format!("Another infusion is less than {hours} hours before or after this time.")
            }
            GateProblem::TooMany { max } => {
                format!("This would be more than {max} infusions within 30 days.")
            }
        }
    }

    /// What to do about it, for `reader` (see `message`).
    pub fn what_to_do(&self, reader: Role) -> &'static str {
        let clinician = reader == Role::Clinician;
        match self {
            GateProblem::Screening(ScreeningStanding::EligibilityExpired { .. }) => {
                "The patient fills in a new screening; a clinician reviews it."
            }
            GateProblem::Screening(
                ScreeningStanding::AwaitingReview { .. } | ScreeningStanding::NeedsInformation,
            ) => "A clinician reviews the screening and decides.",
            GateProblem::Screening(_) => {
                "The patient completes the screening and a clinician finds them eligible."
            }
            GateProblem::SuicideRiskOpen => "No infusion is booked until then.",
            GateProblem::RiskAnswerOpen if clinician => {
                "A clinician assesses the risk with the patient and records it (top of the flowsheet, or the patient's alerts page)."
            }
            GateProblem::RiskAnswerOpen => "No infusion goes ahead until a clinician has.",
            GateProblem::FollowUpReviewOpen => {
                "A clinician reviews the follow-up and clears it with a note (the patient's alerts page)."
            }
            GateProblem::Consent(_) => "The patient reads and signs the current consent.",
            GateProblem::TooSoon { .. } | GateProblem::TooMany { .. } => {
                "Choose another time, or a clinician books it with a reason."
            }
        }
    }

    /// The interval and monthly limits may be passed by a clinician with a reason; the
    /// screening, the open risk flag and consent never.
    pub fn clinician_may_override(&self) -> bool {
        matches!(
            self,
            GateProblem::TooSoon { .. } | GateProblem::TooMany { .. }
        )
    }
}

/// The infusion gate: every condition that stops this infusion at `starts`. Empty: bookable.
pub fn infusion_gate(facts: &GateFacts, starts: OffsetDateTime, rules: &Rules) -> Vec<GateProblem> {
    let mut problems = Vec::new();
    match facts.screening {
        ScreeningStanding::Eligible { until } if until >= starts.date() => {}
        ScreeningStanding::Eligible { until } => {
            problems.push(GateProblem::Screening(
                ScreeningStanding::EligibilityExpired { on: until },
            ));
        }
        ScreeningStanding::AwaitingReview { urgent: true } => {
            problems.push(GateProblem::SuicideRiskOpen);
            problems.push(GateProblem::Screening(facts.screening));
        }
        other => problems.push(GateProblem::Screening(other)),
    }
    if facts.open_alerts.contains(&AlertKind::RiskAnswer) {
        problems.push(GateProblem::RiskAnswerOpen);
    }
    if facts.open_alerts.contains(&AlertKind::FollowUpReview) {
        problems.push(GateProblem::FollowUpReviewOpen);
    }
    if !facts.consent.is_current() {
        problems.push(GateProblem::Consent(facts.consent));
    }
    let gap = Duration::hours(i64::from(rules.min_infusion_interval_hours));
    if facts
        .other_infusions
        .iter()
        .any(|other| (*other - starts).abs() < gap)
    {
        problems.push(GateProblem::TooSoon {
            hours: rules.min_infusion_interval_hours,
        });
    }
    // Any 30-day window that holds this infusion may hold at most the maximum.
    let month = Duration::days(30);
    let too_many = facts
        .other_infusions
        .iter()
        .chain([&starts])
        .any(|window_start| {
            let window_end = *window_start + month;
            let inside = facts
                .other_infusions
                .iter()
                .chain([&starts])
                .filter(|t| **t >= *window_start && **t < window_end)
                .count();
            starts >= *window_start
                && starts < window_end
                && inside > rules.max_infusions_per_30_days as usize
        });
    if too_many {
        problems.push(GateProblem::TooMany {
            max: rules.max_infusions_per_30_days,
        });
    }
    problems
}

/// Orders names as people read them: runs of digits by their value, so "Chair 2" comes
/// before "Chair 10"; letters without regard to case, then as written to stay total.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut x, mut y) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (x.peek().copied(), y.peek().copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let take = |it: &mut std::iter::Peekable<std::str::Chars<'_>>| {
                    let mut digits = String::new();
                    while let Some(c) = it.next_if(char::is_ascii_digit) {
                        digits.push(c);
                    }
                    digits
                };
                let (m, n) = (take(&mut x), take(&mut y));
                let (m, n) = (m.trim_start_matches('0'), n.trim_start_matches('0'));
                let by_value = m.len().cmp(&n.len()).then_with(|| m.cmp(n));
                if by_value != Ordering::Equal {
                    return by_value;
                }
            }
            (Some(c), Some(d)) => {
                let by_letter = c.to_lowercase().cmp(d.to_lowercase());
                if by_letter != Ordering::Equal {
                    return by_letter;
                }
                x.next();
                y.next();
            }
        }
    }
}

/// Where an appointment stands on the chair board: its status, and for a checked-in
/// infusion how far its flowsheet has gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoardState {
    Booked,
    CheckedIn,
    Infusing,
    Recovering,
    Done,
    NoShow,
    Cancelled,
}

/// The flowsheet's milestones, when the appointment has one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InfusionProgress {
    pub started: bool,
    pub ended: bool,
    pub signed: bool,
}

impl BoardState {
    pub const ALL: [BoardState; 7] = [
        BoardState::Booked,
        BoardState::CheckedIn,
        BoardState::Infusing,
        BoardState::Recovering,
        BoardState::Done,
        BoardState::NoShow,
        BoardState::Cancelled,
    ];

    pub fn of(status: AppointmentStatus, infusion: InfusionProgress) -> BoardState {
        match status {
            AppointmentStatus::Cancelled => BoardState::Cancelled,
            AppointmentStatus::NoShow => BoardState::NoShow,
            AppointmentStatus::Completed => BoardState::Done,
            AppointmentStatus::Booked | AppointmentStatus::CheckedIn => {
                if infusion.signed {
                    BoardState::Done
                } else if infusion.ended {
                    BoardState::Recovering
                } else if infusion.started {
                    BoardState::Infusing
                } else if status == AppointmentStatus::CheckedIn {
                    BoardState::CheckedIn
                } else {
                    BoardState::Booked
                }
            }
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BoardState::Booked => "Booked",
            BoardState::CheckedIn => "Checked in",
            BoardState::Infusing => "Infusing",
            BoardState::Recovering => "Recovering",
            BoardState::Done => "Done",
            BoardState::NoShow => "No-show",
            BoardState::Cancelled => "Cancelled",
        }
    }

    /// The stylesheet's name for the state's colour (`state-…` in app.css).
    pub fn css(self) -> &'static str {
        match self {
            BoardState::Booked => "booked",
            BoardState::CheckedIn => "checked-in",
            BoardState::Infusing => "infusing",
            BoardState::Recovering => "recovering",
            BoardState::Done => "done",
            BoardState::NoShow => "no-show",
            BoardState::Cancelled => "cancelled",
        }
    }
}

/// The board's rows are this many minutes each (the stylesheet has a class per row).
pub const BOARD_STEP_MINUTES: i32 = 5;

/// The hours the board shows, `[first, last)` in the clinic's wall-clock hours: the working
/// day (08:00-18:00) widened to whole hours around every appointment, given as minutes since
/// the day's local midnight (clamped to the day).
pub fn board_hours(spans: impl IntoIterator<Item = (i32, i32)>) -> (i32, i32) {
    let (mut first, mut last) = (8 * 60, 18 * 60);
    for (from, until) in spans {
        first = first.min(from.clamp(0, 24 * 60));
        last = last.max(until.clamp(0, 24 * 60));
    }
    (first / 60, (last + 59) / 60)
}

/// A block's rows on the board (1-based start, and how many rows), or none when it lies
/// outside the hours shown. Every block is at least one row tall so it can be read.
pub fn board_rows(hours: (i32, i32), from: i32, until: i32) -> Option<(i32, i32)> {
    let (start, end) = (hours.0 * 60, hours.1 * 60);
    let (from, until) = (from.max(start), until.min(end));
    if from >= end || until <= start {
        return None;
    }
    let first = (from - start) / BOARD_STEP_MINUTES;
    let past = (until - start + BOARD_STEP_MINUTES - 1) / BOARD_STEP_MINUTES;
    Some((first + 1, (past - first).max(1)))
}

/// Whether this person may book past the gate's problems with a written reason: only a
/// clinician, and only when every problem is one a clinician may pass (the interval and
/// monthly limits). With no problems there is nothing to override.
pub fn may_override_gate(role: Role, problems: &[GateProblem]) -> bool {
    role == Role::Clinician
        && !problems.is_empty()
        && problems.iter().all(GateProblem::clinician_may_override)
}

/// The front desk checks a patient in on the appointment's own day (in the clinic), while it
/// is still booked.
pub fn may_check_in(
    status: AppointmentStatus,
    starts: OffsetDateTime,
    now: OffsetDateTime,
    zone: ClinicZone,
) -> bool {
    status == AppointmentStatus::Booked && zone.date_of(starts) == zone.date_of(now)
}

/// A booked appointment is marked a no-show only once its start has come.
pub fn may_mark_no_show(
    status: AppointmentStatus,
    starts: OffsetDateTime,
    now: OffsetDateTime,
) -> bool {
    status == AppointmentStatus::Booked && starts <= now
}

/// Private calendar feeds are for patients (their own appointments) and clinicians (their
/// day, without patients); the front desk and admins have no calendar of their own.
pub fn may_have_calendar_feed(role: Role) -> bool {
    matches!(role, Role::Patient | Role::Clinician)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, time};

    fn rules() -> Rules {
        Rules {
            consultation_minutes: 30,
            infusion_minutes: 150,
            follow_up_minutes: 20,
            min_infusion_interval_hours: 48,
            max_infusions_per_30_days: 3,
            late_cancel_hours: 24,
            reminder_hours: 24,
        }
    }

    fn zone() -> ClinicZone {
        ClinicZone::named("America/New_York").unwrap()
    }

    fn monday_nine_to_twelve(id: i64) -> ClinicianCalendar {
        ClinicianCalendar {
            clinician_id: id,
            blocks: vec![WorkingBlock {
                weekday: Weekday::Monday,
                starts: time!(09:00),
                ends: time!(12:00),
            }],
            busy: vec![],
        }
    }

    #[test]
    fn slots_fill_working_hours_in_local_time() {
        let slots = open_slots(
            &[date!(2026 - 11 - 30)],
            zone(),
            Duration::minutes(30),
            false,
            &[monday_nine_to_twelve(7)],
            &[],
            datetime!(2026-01-01 0:00 UTC),
        );
        // 09:00 to 11:30 every 15 minutes: 11 starts, EST is UTC-5.
        assert_eq!(slots.len(), 11);
        assert_eq!(slots[0].starts, datetime!(2026-11-30 14:00 UTC));
        assert_eq!(slots[10].ends, datetime!(2026-11-30 17:00 UTC));
        assert!(
            slots
                .iter()
                .all(|s| s.clinician_id == 7 && s.chair_id.is_none())
        );
    }

    #[test]
    fn working_hours_keep_their_local_time_across_daylight_saving_changes() {
        let mut sunday = monday_nine_to_twelve(1);
        sunday.blocks[0].weekday = Weekday::Sunday;
        for (day, first) in [
            (date!(2026 - 03 - 08), datetime!(2026-03-08 13:00 UTC)),
            (date!(2026 - 03 - 01), datetime!(2026-03-01 14:00 UTC)),
            (date!(2026 - 11 - 01), datetime!(2026-11-01 14:00 UTC)),
            (date!(2026 - 10 - 25), datetime!(2026-10-25 13:00 UTC)),
        ] {
            let slots = open_slots(
                &[day],
                zone(),
                Duration::minutes(30),
                false,
                &[sunday.clone()],
                &[],
                datetime!(2026-01-01 0:00 UTC),
            );
            assert_eq!(slots[0].starts, first, "{day}");
            assert_eq!(slots.len(), 11, "{day}");
        }
    }

    #[test]
    fn bookings_time_off_the_past_and_chairs_remove_slots() {
        let mut clinician = monday_nine_to_twelve(7);
        // Booked 10:00-10:30 local.
        clinician.busy.push(Busy {
            from: datetime!(2026-11-30 15:00 UTC),
            until: datetime!(2026-11-30 15:30 UTC),
        });
        let slots = open_slots(
            &[date!(2026 - 11 - 30)],
            zone(),
            Duration::minutes(30),
            false,
            &[clinician.clone()],
            &[],
            datetime!(2026-01-01 0:00 UTC),
        );
        assert!(slots.iter().all(|s| {
            s.ends <= datetime!(2026-11-30 15:00 UTC) || s.starts >= datetime!(2026-11-30 15:30 UTC)
        }));
        assert_eq!(slots.len(), 11 - 3);
        // Nothing before `not_before`.
        let later = open_slots(
            &[date!(2026 - 11 - 30)],
            zone(),
            Duration::minutes(30),
            false,
            &[clinician.clone()],
            &[],
            datetime!(2026-11-30 16:00 UTC),
        );
        assert_eq!(later[0].starts, datetime!(2026-11-30 16:00 UTC));
        // An infusion of 150 minutes needs the clinician and a free chair for all of it.
        let chairs = [
            ChairCalendar {
                chair_id: 1,
                busy: vec![Busy {
                    from: datetime!(2026-11-30 13:00 UTC),
                    until: datetime!(2026-11-30 20:00 UTC),
                }],
            },
            ChairCalendar {
                chair_id: 2,
                busy: vec![],
            },
        ];
        let infusions = open_slots(
            &[date!(2026 - 11 - 30)],
            zone(),
            Duration::minutes(150),
            true,
            &[monday_nine_to_twelve(7)],
            &chairs,
            datetime!(2026-01-01 0:00 UTC),
        );
        assert_eq!(
            infusions.len(),
            3,
            "09:00, 09:15 and 09:30 fit before 12:00"
        );
        assert!(infusions.iter().all(|s| s.chair_id == Some(2)));
        let no_chair = open_slots(
            &[date!(2026 - 11 - 30)],
            zone(),
            Duration::minutes(150),
            true,
            &[monday_nine_to_twelve(7)],
            &chairs[..1],
            datetime!(2026-01-01 0:00 UTC),
        );
        assert!(no_chair.is_empty());
    }

    fn cleared() -> GateFacts {
        GateFacts {
            screening: ScreeningStanding::Eligible {
                until: date!(2027 - 05 - 01),
            },
            consent: ConsentStatus::Current { version: 1 },
            other_infusions: vec![],
            open_alerts: vec![],
        }
    }

    #[test]
    fn an_open_risk_answer_or_follow_up_review_stops_the_infusion_until_cleared() {
        let mut facts = cleared();
        facts.open_alerts = vec![AlertKind::RiskAnswer, AlertKind::FollowUpReview];
        let problems = infusion_gate(&facts, SLOT, &rules());
        assert_eq!(
            problems,
            [GateProblem::RiskAnswerOpen, GateProblem::FollowUpReviewOpen]
        );
        assert!(problems.iter().all(|p| !p.clinician_may_override()));
        // Clinicians read the precise reason; the front desk and the patient never learn
        // that a suicide-risk answer is why, only that a clinician must see the patient.
        assert_eq!(
            problems[0].message(Role::Clinician),
            "A suicide-risk answer is waiting for a clinician's assessment."
        );
        assert!(
            problems[0]
                .what_to_do(Role::Clinician)
                .contains("assesses the risk")
        );
        for reader in [Role::FrontDesk, Role::Patient, Role::Admin] {
            let told = format!(
                "{} {}",
                problems[0].message(reader),
                problems[0].what_to_do(reader)
            );
            assert!(told.starts_with("A clinician must review this patient before the infusion."));
            let lower = told.to_lowercase();
            assert!(
                !lower.contains("suicid") && !lower.contains("risk"),
                "{told}"
            );
        }
        assert!(problems[1].what_to_do(Role::Clinician).contains("note"));
        // Bedside alerts belong to their infusion's discharge, not to the next booking.
        facts.open_alerts = vec![AlertKind::Vitals, AlertKind::DeepSedation];
        assert!(infusion_gate(&facts, SLOT, &rules()).is_empty());
    }

    const SLOT: OffsetDateTime = datetime!(2026-12-01 15:00 UTC);

    #[test]
    fn a_cleared_patient_passes_the_gate() {
        assert!(infusion_gate(&cleared(), SLOT, &rules()).is_empty());
    }

    #[test]
    fn each_missing_condition_is_named_with_what_to_do() {
        let facts = GateFacts {
            screening: ScreeningStanding::AwaitingReview { urgent: true },
            consent: ConsentStatus::Withdrawn {
                at: datetime!(2026-11-01 0:00 UTC),
            },
            other_infusions: vec![],
            open_alerts: vec![],
        };
        let problems = infusion_gate(&facts, SLOT, &rules());
        assert_eq!(problems.len(), 3);
        assert!(problems.contains(&GateProblem::SuicideRiskOpen));
        assert!(problems.iter().all(|p| !p.clinician_may_override()));
        assert!(
            problems
                .iter()
                .all(|p| !p.what_to_do(Role::FrontDesk).is_empty())
        );
        assert_eq!(
            problems[0].message(Role::FrontDesk),
            "A clinician must review the screening first."
        );
        assert!(problems.iter().all(|p| {
            let text = format!(
                "{} {}",
                p.message(Role::FrontDesk),
                p.what_to_do(Role::FrontDesk)
            )
            .to_lowercase();
            !text.contains("suicid") && !text.contains("urgent") && !text.contains("risk")
        }));
        let expired = GateFacts {
            screening: ScreeningStanding::Eligible {
                until: date!(2026 - 11 - 30),
            },
            ..cleared()
        };
        let problems = infusion_gate(&expired, SLOT, &rules());
        assert!(
            problems[0].message(Role::FrontDesk).contains("expired"),
            "{problems:?}"
        );
        let outdated = GateFacts {
            consent: ConsentStatus::Outdated {
                signed: 1,
                latest: 2,
            },
            ..cleared()
        };
        assert!(
            infusion_gate(&outdated, SLOT, &rules())[0]
                .message(Role::FrontDesk)
                .contains("outdated")
        );
    }

    #[test]
    fn infusions_keep_the_minimum_interval_both_ways() {
        let mut facts = cleared();
        facts.other_infusions = vec![SLOT + Duration::hours(47)];
        let problems = infusion_gate(&facts, SLOT, &rules());
        assert_eq!(problems, vec![GateProblem::TooSoon { hours: 48 }]);
        assert!(problems[0].clinician_may_override());
        facts.other_infusions = vec![SLOT - Duration::hours(48)];
        assert!(infusion_gate(&facts, SLOT, &rules()).is_empty());
    }

    #[test]
    fn no_thirty_day_window_may_exceed_the_maximum() {
        let mut facts = cleared();
        facts.other_infusions = vec![
            SLOT - Duration::days(20),
            SLOT - Duration::days(10),
            SLOT + Duration::days(5),
        ];
        assert_eq!(
            infusion_gate(&facts, SLOT, &rules()),
            vec![GateProblem::TooMany { max: 3 }]
        );
        facts.other_infusions = vec![SLOT - Duration::days(31), SLOT - Duration::days(10)];
        assert!(infusion_gate(&facts, SLOT, &rules()).is_empty());
    }

    #[test]
    fn the_infusion_reminder_asks_for_fasting_and_a_ride_home() {
        let (subject, body) = reminder_email(
            AppointmentKind::Infusion,
            &zone(),
            datetime!(2026-12-01 15:00 UTC),
            "Calm Waters",
        );
        assert_eq!(subject, "Reminder: your infusion on 1 Dec 2026, 10:00 EST");
        assert!(body.contains("Do not eat") && body.contains("Arrange a ride home"));
        let (_, consultation) = reminder_email(
            AppointmentKind::Consultation,
            &zone(),
            datetime!(2026-12-01 15:00 UTC),
            "Calm Waters",
        );
        assert!(!consultation.contains("ride home"));
    }

    #[test]
    fn late_cancellation_and_reminder_times_follow_the_settings() {
        let now = datetime!(2026-11-30 12:00 UTC);
        assert!(is_late_cancellation(
            &rules(),
            now + Duration::hours(23),
            now
        ));
        assert!(!is_late_cancellation(
            &rules(),
            now + Duration::hours(25),
            now
        ));
        assert_eq!(
            reminder_at(&rules(), now + Duration::hours(48), now),
            now + Duration::hours(24)
        );
        assert_eq!(reminder_at(&rules(), now + Duration::hours(2), now), now);
    }

    #[test]
    fn names_sort_by_the_numbers_in_them() {
        let mut names = vec![
            "chair 10",
            "Chair 2",
            "chair 1",
            "chair 11",
            "Recliner",
            "chair 02b",
            "bay",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "bay",
                "chair 1",
                "Chair 2",
                "chair 02b",
                "chair 10",
                "chair 11",
                "Recliner"
            ]
        );
        assert_eq!(natural_cmp("chair 2", "chair 2"), std::cmp::Ordering::Equal);
        assert_ne!(natural_cmp("Chair 2", "chair 2"), std::cmp::Ordering::Equal);
        assert_eq!(natural_cmp("", "a"), std::cmp::Ordering::Less);
        assert_eq!(
            natural_cmp(
                "chair 99999999999999999999999",
                "chair 100000000000000000000000"
            ),
            std::cmp::Ordering::Less
        );
    }

    #[test]
    fn the_board_state_follows_the_flowsheet() {
        let none = InfusionProgress::default();
        let started = InfusionProgress {
            started: true,
            ..none
        };
        let ended = InfusionProgress {
            ended: true,
            ..started
        };
        let signed = InfusionProgress {
            signed: true,
            ..ended
        };
        use AppointmentStatus as S;
        assert_eq!(BoardState::of(S::Booked, none), BoardState::Booked);
        assert_eq!(BoardState::of(S::CheckedIn, none), BoardState::CheckedIn);
        assert_eq!(BoardState::of(S::CheckedIn, started), BoardState::Infusing);
        assert_eq!(BoardState::of(S::CheckedIn, ended), BoardState::Recovering);
        assert_eq!(BoardState::of(S::CheckedIn, signed), BoardState::Done);
        assert_eq!(BoardState::of(S::Completed, none), BoardState::Done);
        assert_eq!(BoardState::of(S::NoShow, none), BoardState::NoShow);
        assert_eq!(BoardState::of(S::Cancelled, started), BoardState::Cancelled);
    }

    #[test]
    fn the_board_covers_the_working_day_and_every_appointment() {
        assert_eq!(board_hours([]), (8, 18));
        assert_eq!(board_hours([(9 * 60, 10 * 60)]), (8, 18));
        assert_eq!(
            board_hours([(7 * 60 + 30, 8 * 60), (19 * 60, 21 * 60 + 30)]),
            (7, 22)
        );
        // Spilling over midnight either side is cut at the day's edges.
        assert_eq!(board_hours([(-60, 30), (23 * 60, 25 * 60)]), (0, 24));
    }

    #[test]
    fn a_block_spans_its_rows() {
        let hours = (8, 18);
        assert_eq!(board_rows(hours, 8 * 60, 8 * 60 + 30), Some((1, 6)));
        assert_eq!(board_rows(hours, 9 * 60 + 15, 11 * 60 + 15), Some((16, 24)));
        // Odd minutes round outwards; a zero-length block still shows.
        assert_eq!(board_rows(hours, 8 * 60 + 2, 8 * 60 + 8), Some((1, 2)));
        assert_eq!(board_rows(hours, 9 * 60, 9 * 60), Some((13, 1)));
        // Cut at the edges; outside is nowhere.
        assert_eq!(board_rows(hours, 7 * 60, 8 * 60 + 10), Some((1, 2)));
        assert_eq!(board_rows(hours, 17 * 60 + 30, 19 * 60), Some((115, 6)));
        assert_eq!(board_rows(hours, 18 * 60, 19 * 60), None);
        assert_eq!(board_rows(hours, 6 * 60, 8 * 60), None);
    }

    #[test]
    fn only_a_clinician_overrides_and_only_the_interval_and_monthly_limits() {
        let too_soon = GateProblem::TooSoon { hours: 48 };
        let consent = GateProblem::Consent(ConsentStatus::None);
        assert!(may_override_gate(
            Role::Clinician,
            std::slice::from_ref(&too_soon)
        ));
        assert!(!may_override_gate(
            Role::FrontDesk,
            std::slice::from_ref(&too_soon)
        ));
        assert!(!may_override_gate(
            Role::Patient,
            std::slice::from_ref(&too_soon)
        ));
        assert!(!may_override_gate(Role::Clinician, &[too_soon, consent]));
        assert!(!may_override_gate(Role::Clinician, &[]));
    }

    #[test]
    fn check_in_is_on_the_day_while_booked_and_a_no_show_once_it_started() {
        let zone = zone();
        // 09:00 in New York on 30 November.
        let starts = datetime!(2026-11-30 14:00 UTC);
        let same_day_early = datetime!(2026-11-30 05:30 UTC);
        let day_before_late = datetime!(2026-11-30 04:30 UTC);
        let booked = AppointmentStatus::Booked;
        assert!(may_check_in(booked, starts, same_day_early, zone));
        assert!(may_check_in(
            booked,
            starts,
            starts + Duration::hours(8),
            zone
        ));
        assert!(!may_check_in(booked, starts, day_before_late, zone));
        assert!(!may_check_in(
            AppointmentStatus::CheckedIn,
            starts,
            starts,
            zone
        ));
        assert!(!may_check_in(
            AppointmentStatus::Cancelled,
            starts,
            starts,
            zone
        ));
        assert!(may_mark_no_show(booked, starts, starts));
        assert!(!may_mark_no_show(
            booked,
            starts,
            starts - Duration::minutes(1)
        ));
        assert!(!may_mark_no_show(
            AppointmentStatus::CheckedIn,
            starts,
            starts + Duration::hours(1)
        ));
    }

    #[test]
    fn calendar_feeds_are_for_patients_and_clinicians() {
        assert!(may_have_calendar_feed(Role::Patient));
        assert!(may_have_calendar_feed(Role::Clinician));
        assert!(!may_have_calendar_feed(Role::FrontDesk));
        assert!(!may_have_calendar_feed(Role::Admin));
    }
}
