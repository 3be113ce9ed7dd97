//! The clinical person: identity, demographics and the measurements a dose depends on.

pub mod db;
pub mod model;
mod pages;

use crate::web::routes::{PATIENT, Route};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/patient/profile", PATIENT)
            .get(pages::profile_form)
            .post(pages::profile_save)
            .checks_text(),
    ]
}
