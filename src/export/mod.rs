//! A patient's record as FHIR R4 (JSON): one Bundle of type `collection` with the patient,
//! their questionnaires and scores, consents, appointments, infusions and vital signs.

pub mod model;
