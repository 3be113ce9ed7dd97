//! Clinic reports for admins (infusions, doses, side effects, missed appointments and
//! outcomes over a date range, as a page with charts and as CSV) and each patient's printable
//! summary for clinicians and admins.

pub mod chart;
pub mod db;
pub mod model;
mod pages;
pub mod summary;
mod summary_pages;

use crate::core::Role;
use crate::web::routes::{ADMIN, Access, Route};

/// Staff who see clinical records: clinicians, and admins for the clinic's oversight.
pub const CLINICAL_STAFF: Access = Access::Roles(&[Role::Clinician, Role::Admin]);

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/admin/reports", ADMIN)
            .get(pages::report)
            .checks_query_text(),
        Route::new("/admin/reports.csv", ADMIN)
            .get(pages::csv)
            .checks_query_text(),
        Route::new("/clinician/patients/{id}/summary", CLINICAL_STAFF).get(summary_pages::summary),
    ]
}
