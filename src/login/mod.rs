//! Getting in and out: login with its second factor as one flow, logout, patient
//! self-registration with its emailed confirmation, password reset and email confirmation
//! links. One's own account pages (password, email, sessions, two-factor set-up) are in
//! `account`; sessions, hashing and throttling are infrastructure in `auth`.

pub mod accounts;
pub mod db;
pub mod flow;
pub mod model;
mod pages;
pub mod recovery;
mod recovery_pages;
pub mod registration;
mod registration_pages;

use crate::web::routes::{Access, Route, SIGNED_IN};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/login", Access::Everyone)
            .get(pages::login_form)
            .post(pages::login)
            .checks_text(),
        Route::new("/register", Access::Everyone)
            .get(registration_pages::register_form)
            .post(registration_pages::register)
            .checks_text(),
        Route::new("/register/confirm/{token}", Access::Everyone)
            .get(registration_pages::confirm_form)
            .post(registration_pages::confirm)
            .checks_text(),
        Route::new("/logout", SIGNED_IN).post(pages::logout),
        Route::new("/login/two-factor", Access::Everyone)
            .get(pages::code_form)
            .post(pages::check_code)
            .checks_text(),
        Route::new("/forgot-password", Access::Everyone)
            .get(recovery_pages::forgot_form)
            .post(recovery_pages::forgot)
            .checks_text(),
        Route::new("/reset-password/{token}", Access::Everyone)
            .get(recovery_pages::reset_form)
            .post(recovery_pages::reset)
            .checks_text(),
        Route::new("/verify-email/{token}", Access::Everyone).get(recovery_pages::verify_email),
    ]
}
