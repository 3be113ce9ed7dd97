//! Each patient's course over time (scores, response and remission, infusions and
//! milligrams, side effects), the pre-session measures a patient takes before an infusion and
//! the bladder/memory follow-up.

pub mod course;
pub mod db;
pub mod follow_up;
pub mod follow_up_pages;
pub mod measures;
pub mod measures_pages;
pub mod model;
pub mod pages;

use crate::web::routes::{CLINICIAN, PATIENT, Route};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/clinician/patients/{id}/outcomes", CLINICIAN).get(pages::for_clinician),
        Route::new("/patient/progress", PATIENT).get(pages::for_patient),
        Route::new("/patient/appointments/{id}/measures", PATIENT)
            .get(measures_pages::form)
            .post(measures_pages::submit)
            .checks_text(),
        Route::new("/patient/follow-up", PATIENT)
            .get(follow_up_pages::form)
            .post(follow_up_pages::submit)
            .checks_text(),
    ]
}
