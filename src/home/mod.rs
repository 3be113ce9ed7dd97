//! Each role's home page after login.

mod pages;

use crate::web::routes::{Access, CLINICIAN, FRONT_DESK, PATIENT, Route};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/", Access::Everyone).get(pages::root),
        Route::new("/patient", PATIENT).get(pages::patient_home),
        Route::new("/front-desk", FRONT_DESK).get(pages::front_desk_home),
        Route::new("/clinician", CLINICIAN).get(pages::clinician_home),
    ]
}
