//! The Practitioner resource: a member of staff the record names. Pure: no I/O.

use serde::Serialize;

use super::model::{Id, Resource, Text};
/// A member of staff named in the record (a clinician of an appointment, who gave an infusion,
/// who countersigned a consent).
#[derive(Clone, Debug, PartialEq)]
pub struct StaffRow {
    pub id: i64,
    pub display_name: String,
}

#[derive(Debug, Serialize)]
#[serde(tag = "resourceType", rename = "Practitioner")]
pub struct Practitioner<'a> {
    pub id: Id,
    pub name: [Text<'a>; 1],
}

impl Resource for Practitioner<'_> {
    fn id(&self) -> Id {
        self.id
    }
}

pub fn practitioner(row: &StaffRow) -> Practitioner<'_> {
    Practitioner {
        id: Id::Practitioner(row.id),
        name: [Text {
            text: &row.display_name,
        }],
    }
}
