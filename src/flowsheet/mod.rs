//! The infusion flowsheet: one record per infusion appointment (check-in, dose order, start,
//! vitals, events, end, discharge, addenda, the bedside alerts cleared on it), its vitals
//! chart, and the admin's treatment rules and dosing protocols with their kept reference.

pub mod admin_pages;
pub mod chart;
pub mod db;
pub mod dosing;
pub mod model;
pub mod pages;
pub mod record;
pub mod reference;
pub mod remembered;
pub mod sheet;

use crate::web::routes::{ADMIN, CLINICIAN, Route};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/infusions/{id}", CLINICIAN).get(pages::show),
        Route::new("/infusions/{id}/check-in", CLINICIAN)
            .post(pages::check_in)
            .checks_text(),
        Route::new("/infusions/{id}/order", CLINICIAN)
            .post(pages::order)
            .checks_text(),
        Route::new("/infusions/{id}/start", CLINICIAN)
            .post(pages::start)
            .checks_text(),
        Route::new("/infusions/{id}/vitals", CLINICIAN)
            .post(pages::vitals)
            .checks_text(),
        Route::new("/infusions/{id}/events", CLINICIAN)
            .post(pages::event)
            .checks_text(),
        Route::new("/infusions/{id}/end", CLINICIAN)
            .post(pages::end)
            .checks_text(),
        Route::new("/infusions/{id}/discharge", CLINICIAN)
            .post(pages::discharge)
            .checks_text(),
        Route::new("/infusions/{id}/addenda", CLINICIAN)
            .post(pages::addendum)
            .checks_text(),
        Route::new("/infusions/{id}/alerts/{alert}/clear", CLINICIAN)
            .post(pages::clear_alert)
            .checks_text(),
        Route::new("/admin/treatment", ADMIN)
            .get(admin_pages::show)
            .post(admin_pages::save)
            .checks_text(),
        Route::new("/admin/treatment/protocols", ADMIN)
            .post(admin_pages::add_protocol)
            .checks_text(),
        Route::new("/admin/treatment/protocols/{id}/active", ADMIN)
            .post(admin_pages::protocol_active),
    ]
}
