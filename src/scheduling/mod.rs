//! Scheduling: consultations, infusions and follow-ups on clinicians and chairs, with the
//! infusion gate, reminders through the outbox, and calendars.

pub mod admin_pages;
pub mod booking;
pub mod calendar;
mod calendar_pages;
pub mod db;
pub mod model;
mod patient_pages;
pub mod reference;
mod staff_pages;

use crate::core::Role;
use crate::web::routes::{ADMIN, Access, PATIENT, Route};

/// The front desk books for everyone; clinicians book too, and may pass the interval and
/// monthly limits with a reason.
pub const BOOKING_STAFF: Access = Access::Roles(&[Role::FrontDesk, Role::Clinician]);

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/schedule", BOOKING_STAFF).get(staff_pages::day),
        Route::new("/schedule/week", BOOKING_STAFF).get(staff_pages::week),
        Route::new("/patients/{id}/appointments", BOOKING_STAFF)
            .get(staff_pages::patient_appointments),
        Route::new("/patients/{id}/book", BOOKING_STAFF)
            .get(staff_pages::book_form)
            .post(staff_pages::book)
            .checks_text(),
        Route::new("/appointments/{id}", BOOKING_STAFF).get(staff_pages::appointment),
        Route::new("/appointments/{id}/cancel", BOOKING_STAFF)
            .post(staff_pages::cancel)
            .checks_text(),
        Route::new("/appointments/{id}/no-show", BOOKING_STAFF).post(staff_pages::no_show),
        Route::new("/appointments/{id}/check-in", BOOKING_STAFF).post(staff_pages::check_in),
        Route::new("/appointments/{id}/reschedule", BOOKING_STAFF)
            .get(staff_pages::reschedule_form)
            .post(staff_pages::reschedule)
            .checks_text(),
        Route::new("/appointments/{id}/calendar.ics", BOOKING_STAFF)
            .get(calendar_pages::staff_appointment),
        Route::new("/patient/appointments", PATIENT).get(patient_pages::list),
        Route::new("/patient/appointments/book", PATIENT)
            .get(patient_pages::book_form)
            .post(patient_pages::book)
            .checks_text(),
        Route::new("/patient/appointments/{id}/cancel", PATIENT).post(patient_pages::cancel),
        Route::new("/patient/appointments/{id}/reschedule", PATIENT)
            .get(patient_pages::reschedule_form)
            .post(patient_pages::reschedule)
            .checks_text(),
        Route::new("/patient/appointments/{id}/calendar.ics", PATIENT)
            .get(calendar_pages::patient_appointment),
        Route::new("/calendar-feed", crate::web::routes::SIGNED_IN)
            .get(calendar_pages::feed_page)
            .post(calendar_pages::new_feed),
        Route::new("/calendar/{token}", Access::Everyone).get(calendar_pages::feed),
        Route::new("/admin/scheduling", ADMIN).get(admin_pages::overview),
        Route::new("/admin/scheduling/chairs", ADMIN)
            .post(admin_pages::add_chair)
            .checks_text(),
        Route::new("/admin/scheduling/chairs/{id}/active", ADMIN).post(admin_pages::chair_active),
        Route::new("/admin/scheduling/hours", ADMIN)
            .post(admin_pages::add_hours)
            .checks_text(),
        Route::new("/admin/scheduling/hours/{id}/remove", ADMIN).post(admin_pages::remove_hours),
        Route::new("/admin/scheduling/time-off", ADMIN)
            .post(admin_pages::add_time_off)
            .checks_text(),
        Route::new("/admin/scheduling/time-off/{id}/remove", ADMIN)
            .post(admin_pages::remove_time_off),
    ]
}
