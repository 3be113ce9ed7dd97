//! A patient's record as FHIR R4 (JSON): one Bundle of type `collection` with the patient,
//! their questionnaires and scores, allergies, consents, appointments, infusions and vital signs.
//! Clinicians and admins export any patient; a patient downloads their own. Every export is
//! audited; the bundle is streamed, so memory does not grow with the record.

pub mod allergy_intolerance;
pub mod appointment;
pub mod bundle;
pub mod consent;
pub mod db;
pub mod medication;
pub mod model;
pub mod observation;
pub mod pages;
pub mod patient;
pub mod practitioner;
pub mod questionnaire;
pub mod questionnaire_response;

use crate::core::Role;
use crate::web::routes::{ADMIN, Access, PATIENT, Route};

/// Who may export any patient's record (the front desk may not: it sees no clinical data).
pub const EXPORTING_STAFF: Access = Access::Roles(&[Role::Clinician, Role::Admin]);

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/patients/{id}/export.json", EXPORTING_STAFF).get(pages::for_staff),
        Route::new("/patient/export.json", PATIENT).get(pages::for_patient),
        Route::new("/admin/export", ADMIN)
            .get(pages::admin_form)
            .checks_query_text(),
    ]
}
