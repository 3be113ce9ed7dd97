//! The administrator's pages: overview, staff accounts, clinic settings, audit log.

mod db;
pub mod model;
mod pages;

use crate::web::routes::{ADMIN, Route};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/admin", ADMIN).get(pages::overview),
        Route::new("/admin/staff", ADMIN)
            .get(pages::staff_list)
            .post(pages::staff_create)
            .checks_text(),
        Route::new("/admin/staff/new", ADMIN).get(pages::staff_new),
        Route::new("/admin/staff/{id}/disable", ADMIN).post(pages::staff_disable),
        Route::new("/admin/staff/{id}/enable", ADMIN).post(pages::staff_enable),
        Route::new("/admin/sessions/end", ADMIN)
            .post(pages::end_sessions)
            .checks_text(),
        Route::new("/admin/patient-accounts", ADMIN)
            .post(pages::patient_account_status)
            .checks_text(),
        Route::new("/admin/settings", ADMIN)
            .get(pages::settings_form)
            .post(pages::settings_save)
            .checks_text(),
        Route::new("/admin/audit", ADMIN)
            .get(pages::audit_log)
            .checks_query_text(),
    ]
}
