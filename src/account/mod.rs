//! One's own account: two-factor set-up with recovery codes, one's own sessions, password and
//! email changes (each needing the current password). Logging in, registering and password
//! reset are the `login` feature.

pub mod db;
pub mod email_change;
mod email_change_pages;
pub mod model;
mod pages;
pub mod security;

use crate::web::routes::{Access, Route, SIGNED_IN};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/account", SIGNED_IN).get(pages::overview),
        Route::new("/account/password", SIGNED_IN)
            .post(pages::change_password)
            .checks_text(),
        Route::new("/account/email", SIGNED_IN)
            .post(pages::change_email)
            .checks_text(),
        Route::new("/account/email/confirm/{token}", Access::Everyone)
            .get(email_change_pages::confirm_form)
            .post(email_change_pages::confirm),
        Route::new("/account/email/verification", SIGNED_IN).post(pages::resend_verification),
        Route::new("/account/sessions/{id}/end", SIGNED_IN).post(pages::end_session),
        Route::new("/account/sessions/end-others", SIGNED_IN).post(pages::end_other_sessions),
        Route::new("/account/two-factor", SIGNED_IN)
            .get(pages::two_factor)
            .post(pages::enrol)
            .checks_text(),
        Route::new("/account/two-factor/recovery-codes", SIGNED_IN)
            .post(pages::new_recovery_codes)
            .checks_text(),
        Route::new("/account/two-factor/disable", SIGNED_IN)
            .post(pages::disable)
            .checks_text(),
    ]
}
