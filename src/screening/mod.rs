//! Intake and pre-infusion screening: questionnaires, scores, risk flags and clinician review.

pub mod db;
mod desk;
mod desk_pages;
pub mod instruments;
mod intake;
pub mod model;
mod pages;
mod review_pages;
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
        Route::new("/clinician/screenings", CLINICIAN).get(review_pages::queue),
        Route::new("/clinician/screenings/{id}", CLINICIAN).get(review_pages::review),
        Route::new("/clinician/screenings/{id}/decision", CLINICIAN)
            .post(review_pages::decide)
            .checks_text(),
        Route::new("/front-desk/patients", FRONT_DESK)
            .get(desk_pages::desk_patients)
            .checks_query_text(),
    ]
}
