//! The infusion flowsheet (check-in, dose order, vitals, events, discharge, addenda) and
//! each patient's course over time (scores, response and remission, follow-ups).

pub mod chart;
pub mod db;
pub mod model;
pub mod outcomes;
pub mod pages;

use crate::web::routes::{CLINICIAN, PATIENT, Route};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/infusions/{id}", CLINICIAN).get(pages::show),
        Route::new("/infusions/{id}/check-in", CLINICIAN).post(pages::check_in),
        Route::new("/infusions/{id}/order", CLINICIAN).post(pages::order),
        Route::new("/infusions/{id}/start", CLINICIAN).post(pages::start),
        Route::new("/infusions/{id}/vitals", CLINICIAN).post(pages::vitals),
        Route::new("/infusions/{id}/events", CLINICIAN).post(pages::event),
        Route::new("/infusions/{id}/end", CLINICIAN).post(pages::end),
        Route::new("/infusions/{id}/discharge", CLINICIAN).post(pages::discharge),
        Route::new("/infusions/{id}/addenda", CLINICIAN).post(pages::addendum),
        Route::new("/clinician/patients/{id}/outcomes", CLINICIAN).get(outcomes::for_clinician),
        Route::new("/patient/progress", PATIENT).get(outcomes::for_patient),
    ]
}
