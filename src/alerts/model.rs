//! Clinical alerts: findings a clinician must see and clear with a note before the patient
//! goes on. Risk answers and follow-ups needing review stop the next infusion (the booking
//! gate and the start); bedside alerts stop the discharge.

/// What raised the alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertKind {
    /// PHQ-9 item 9 above 0 or a C-SSRS risk answer, outside a submitted screening.
    RiskAnswer,
    /// A bladder or memory follow-up marked "needs review".
    FollowUpReview,
    /// MOAA/S 2 or lower during or after an infusion.
    DeepSedation,
    /// A CADSS total above the clinic's threshold.
    Dissociation,
    /// A vitals reading outside the clinic's alert bounds.
    Vitals,
}

impl AlertKind {
    pub const ALL: [AlertKind; 5] = [
        AlertKind::RiskAnswer,
        AlertKind::FollowUpReview,
        AlertKind::DeepSedation,
        AlertKind::Dissociation,
        AlertKind::Vitals,
    ];

    /// The value stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            AlertKind::RiskAnswer => "risk_answer",
            AlertKind::FollowUpReview => "follow_up_review",
            AlertKind::DeepSedation => "deep_sedation",
            AlertKind::Dissociation => "dissociation",
            AlertKind::Vitals => "vitals",
        }
    }

    pub fn parse(code: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            AlertKind::RiskAnswer => "Suicide-risk answer",
            AlertKind::FollowUpReview => "Follow-up needs review",
            AlertKind::DeepSedation => "Deep sedation",
            AlertKind::Dissociation => "Marked dissociation",
            AlertKind::Vitals => "Vitals outside the alert bounds",
        }
    }

    /// What the clinician writes when clearing it.
    pub fn clearing_prompt(self) -> &'static str {
        match self {
            AlertKind::RiskAnswer => "Your assessment of the risk",
            AlertKind::FollowUpReview => "Your review of the follow-up",
            _ => "The action taken",
        }
    }

    /// Open, it stops the next infusion from being booked or started.
    pub fn gates_infusion(self) -> bool {
        matches!(self, AlertKind::RiskAnswer | AlertKind::FollowUpReview)
    }

    /// Open, it stops the discharge of the infusion it was raised in.
    pub fn blocks_discharge(self) -> bool {
        matches!(
            self,
            AlertKind::DeepSedation | AlertKind::Dissociation | AlertKind::Vitals
        )
    }
}

/// The longest clearing note kept.
pub const NOTE_MAX: usize = 1000;

/// A clearing note: required, trimmed, bounded, no NUL bytes.
pub fn check_clearing_note(note: &str, kind: AlertKind) -> Result<String, String> {
    if let Some(problem) = crate::core::params::unstorable(note) {
        return Err(problem.to_owned());
    }
    let note = note.trim();
    if note.is_empty() {
        return Err(format!(
            "{} is needed before this alert is cleared.",
            kind.clearing_prompt()
        ));
    }
    if note.chars().count() > NOTE_MAX {
        return Err(format!("Keep the note to {NOTE_MAX} characters."));
    }
    Ok(note.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_codes() {
        for kind in AlertKind::ALL {
            assert_eq!(AlertKind::parse(kind.code()), Some(kind));
        }
        assert_eq!(AlertKind::parse("risk"), None);
    }

    #[test]
    fn risk_and_follow_up_gate_the_infusion_bedside_alerts_the_discharge() {
        for kind in AlertKind::ALL {
            assert_ne!(kind.gates_infusion(), kind.blocks_discharge(), "{kind:?}");
        }
        assert!(AlertKind::RiskAnswer.gates_infusion());
        assert!(AlertKind::FollowUpReview.gates_infusion());
        assert!(AlertKind::Vitals.blocks_discharge());
    }

    #[test]
    fn a_clearing_note_is_required_and_bounded() {
        let empty = check_clearing_note("  ", AlertKind::RiskAnswer).unwrap_err();
        assert!(empty.contains("assessment"));
        assert!(
            check_clearing_note(" \n", AlertKind::Vitals)
                .unwrap_err()
                .contains("action taken")
        );
        assert_eq!(
            check_clearing_note(" Spoke with patient; safety plan. ", AlertKind::RiskAnswer),
            Ok("Spoke with patient; safety plan.".to_owned())
        );
        let longest = "a".repeat(NOTE_MAX);
        assert!(check_clearing_note(&longest, AlertKind::Vitals).is_ok());
        let too_long = "a".repeat(NOTE_MAX + 1);
        assert!(check_clearing_note(&too_long, AlertKind::Vitals).is_err());
        assert!(check_clearing_note("a\0b", AlertKind::Vitals).is_err());
    }
}
