//! The four kinds of people who use the clinic's app; each page says which may open it.

use serde::Deserialize;

/// Held in PostgreSQL as `user_role` (mapped in `database::mapping`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Patient,
    FrontDesk,
    Clinician,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Patient, Role::FrontDesk, Role::Clinician, Role::Admin];
    pub const STAFF: [Role; 3] = [Role::FrontDesk, Role::Clinician, Role::Admin];

    /// The value used in forms, URLs and the audit trail.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Patient => "patient",
            Role::FrontDesk => "front_desk",
            Role::Clinician => "clinician",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Patient => "Patient",
            Role::FrontDesk => "Front desk",
            Role::Clinician => "Clinician",
            Role::Admin => "Administrator",
        }
    }

    /// Where this role lands after logging in.
    pub fn home(self) -> &'static str {
        match self {
            Role::Patient => "/patient",
            Role::FrontDesk => "/front-desk",
            Role::Clinician => "/clinician",
            Role::Admin => "/admin",
        }
    }

    pub fn is_staff(self) -> bool {
        self != Role::Patient
    }

    pub fn parse(value: &str) -> Option<Role> {
        match value.trim().replace('-', "_").as_str() {
            "patient" => Some(Role::Patient),
            "front_desk" => Some(Role::FrontDesk),
            "clinician" => Some(Role::Clinician),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}
