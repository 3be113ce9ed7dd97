//! Informed consent: versioned documents, patients' e-signatures, clinicians'
//! countersignatures, withdrawal, and the consent status every other feature reads.

mod admin_pages;
mod clinician_pages;
pub mod db;
pub mod model;
mod patient_pages;
mod signed_copy_pages;
mod signing;

use crate::web::routes::{ADMIN, CLINICIAN, PATIENT, Route, SIGNED_IN};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/patient/consent", PATIENT).get(patient_pages::consent),
        Route::new("/patient/consent/sign", PATIENT)
            .post(patient_pages::sign)
            .checks_text(),
        Route::new("/patient/consent/withdraw", PATIENT)
            .get(patient_pages::withdraw_form)
            .post(patient_pages::withdraw)
            .checks_text(),
        Route::new("/patient/consent/signatures/{id}", PATIENT).get(patient_pages::signed_copy),
        Route::new("/clinician/consents", CLINICIAN).get(clinician_pages::awaiting),
        Route::new("/clinician/patients/{id}/consent", CLINICIAN).get(clinician_pages::record),
        Route::new("/clinician/consent/signatures/{id}", CLINICIAN)
            .get(clinician_pages::signed_copy),
        Route::new("/clinician/consent/signatures/{id}/countersign", CLINICIAN)
            .post(clinician_pages::countersign)
            .checks_text(),
        Route::new("/consent/versions/{id}/text", SIGNED_IN).get(signed_copy_pages::exact_text),
        Route::new("/admin/consent", ADMIN).get(admin_pages::list),
        // Reads no text at all.
        Route::new("/admin/consent/drafts", ADMIN)
            .post(admin_pages::new_draft)
            .checks_text(),
        Route::new("/admin/consent/{id}", ADMIN)
            .get(admin_pages::version)
            .post(admin_pages::save)
            .checks_text(),
        Route::new("/admin/consent/{id}/discard", ADMIN).post(admin_pages::discard),
    ]
}
