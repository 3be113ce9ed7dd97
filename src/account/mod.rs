//! Account security: two-factor login with recovery codes, one's own sessions, password and
//! email changes (each needing the current password), password reset and email confirmation.

pub mod db;
mod email_change;
pub mod model;
pub mod pages;
mod recovery;
pub mod second_factor;

use crate::web::routes::{Access, Route, SIGNED_IN};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/login/two-factor", Access::Everyone)
            .get(second_factor::code_form)
            .post(second_factor::check_code)
            .checks_text(),
        Route::new("/forgot-password", Access::Everyone)
            .get(recovery::forgot_form)
            .post(recovery::forgot)
            .checks_text(),
        Route::new("/reset-password/{token}", Access::Everyone)
            .get(recovery::reset_form)
            .post(recovery::reset)
            .checks_text(),
        Route::new("/verify-email/{token}", Access::Everyone).get(recovery::verify_email),
        Route::new("/account", SIGNED_IN).get(pages::overview),
        Route::new("/account/password", SIGNED_IN)
            .post(pages::change_password)
            .checks_text(),
        Route::new("/account/email", SIGNED_IN)
            .post(pages::change_email)
            .checks_text(),
        Route::new("/account/email/confirm/{token}", Access::Everyone)
            .get(email_change::confirm_form)
            .post(email_change::confirm),
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
