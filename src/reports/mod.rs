//! Clinic reports for admins: infusions, doses, side effects, missed appointments and
//! outcomes over a date range, as a page with charts and as CSV.

pub mod chart;
pub mod db;
pub mod model;
mod pages;

use crate::web::routes::{ADMIN, Route};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/admin/reports", ADMIN).get(pages::report),
        Route::new("/admin/reports.csv", ADMIN).get(pages::csv),
    ]
}
