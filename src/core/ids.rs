//! The ids of the clinic's records, each its own type so a patient's id cannot be passed where
//! an appointment's is meant. Each wraps PostgreSQL's bigint (mapped in `database::mapping`).

use std::fmt;

macro_rules! record_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(id: i64) -> Self {
                $name(id)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

record_id!(
    /// A patient's record (`patients.id`).
    PatientId
);
record_id!(
    /// A person's account, patient or staff (`users.id`).
    UserId
);
record_id!(
    /// A booked consultation, infusion or follow-up (`appointments.id`).
    AppointmentId
);
record_id!(
    /// An infusion's flowsheet (`infusion_records.id`); the page's address names its
    /// infusion appointment instead.
    InfusionRecordId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_shows_as_its_number_and_serialises_as_one() {
        let id = PatientId::new(42);
        assert_eq!(id.to_string(), "42");
        assert_eq!(id.get(), 42);
        assert_eq!(serde_json::to_string(&id).ok().as_deref(), Some("42"));
    }
}
