//! Intake and pre-infusion screening: questionnaires, scores, risk flags and clinician review.

pub mod db;
pub mod instruments;
pub mod model;
mod pages;
mod review;
pub mod rules;

use crate::web::routes::{CLINICIAN, FRONT_DESK, PATIENT, Route};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/patient/screening", PATIENT).get(pages::overview),
        Route::new("/patient/screening/start", PATIENT).post(pages::start),
        Route::new("/patient/screening/step/{step}", PATIENT)
            .get(pages::step_form)
            .post(pages::step_save)
            .checks_text(),
        Route::new("/patient/screening/review", PATIENT).get(pages::review),
        Route::new("/patient/screening/submit", PATIENT).post(pages::submit),
        Route::new("/patient/screening/support", PATIENT).get(pages::support),
        Route::new("/patient/screenings/{id}", PATIENT).get(pages::view_own),
        Route::new("/clinician/screenings", CLINICIAN).get(review::queue),
        Route::new("/clinician/screenings/{id}", CLINICIAN).get(review::review),
        Route::new("/clinician/screenings/{id}/decision", CLINICIAN)
            .post(review::decide)
            .checks_text(),
        Route::new("/front-desk/patients", FRONT_DESK)
            .get(review::desk_patients)
            .checks_query_text(),
    ]
}
