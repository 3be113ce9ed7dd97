//! Walks every route in the route table for every role and for anonymous users. A route
//! missing from the expectations below fails the test, so no route ships without a rule.

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::fixtures::{
    booked_consultation, booked_infusion, first_consent_version, patient_of_user, signed_consent,
    submitted_screening,
};
use crate::support::{Page, TestApp};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// 200 page.
    Page,
    /// Sent to the login page.
    Login,
    /// 403 page.
    Forbidden,
    /// Handled and redirected elsewhere (303 not to the login page).
    Moved,
    /// Reached the handler, which refused the empty form (422).
    Invalid,
    /// Not this caller's record (or no such record): 404.
    Missing,
}

/// Expected outcome per caller, in the order: anonymous, patient, front desk, clinician, admin.
fn expectations(method: &str, path: &str) -> Option<[Outcome; 5]> {
    public_accounts_screening_and_consent(method, path)
        .or_else(|| scheduling_and_the_flowsheet(method, path))
        .or_else(|| administration_exports_and_reports(method, path))
}

/// The public pages, accounts and sessions, screening and consent.
fn public_accounts_screening_and_consent(method: &str, path: &str) -> Option<[Outcome; 5]> {
    use Outcome::*;
    let expected = match (method, path) {
        (
            "GET",
            "/healthz" | "/readyz" | "/static/app.css" | "/static/app.js" | "/static/icon.svg",
        ) => [Page, Page, Page, Page, Page],
        ("GET", "/") => [Login, Moved, Moved, Moved, Moved],
        ("GET", "/login" | "/register") => [Page, Moved, Moved, Moved, Moved],
        ("POST", "/login" | "/register") => [Invalid, Invalid, Invalid, Invalid, Invalid],
        ("POST", "/logout") => [Login, Moved, Moved, Moved, Moved],
        ("GET", "/patient") => [Login, Page, Forbidden, Forbidden, Forbidden],
        ("GET", "/front-desk") => [Login, Forbidden, Page, Forbidden, Forbidden],
        ("GET", "/clinician") => [Login, Forbidden, Forbidden, Page, Forbidden],
        (
            "GET",
            "/admin" | "/admin/staff" | "/admin/staff/new" | "/admin/settings" | "/admin/audit",
        ) => [Login, Forbidden, Forbidden, Forbidden, Page],
        ("POST", "/admin/staff" | "/admin/settings") => {
            [Login, Forbidden, Forbidden, Forbidden, Invalid]
        }
        ("POST", "/admin/staff/{id}/disable" | "/admin/staff/{id}/enable") => {
            [Login, Forbidden, Forbidden, Forbidden, Moved]
        }
        ("GET", "/patient/profile" | "/patient/screening" | "/patient/screening/support") => {
            [Login, Page, Forbidden, Forbidden, Forbidden]
        }
        ("POST", "/patient/profile") => [Login, Invalid, Forbidden, Forbidden, Forbidden],
        // Without a complete profile or a draft, the screening pages send the patient back.
        (
            "POST",
            "/patient/screening/start"
            | "/patient/screening/step/{step}"
            | "/patient/screening/submit",
        )
        | ("GET", "/patient/screening/step/{step}" | "/patient/screening/review") => {
            [Login, Moved, Forbidden, Forbidden, Forbidden]
        }
        // Another patient's screening: not found for this patient.
        ("GET", "/patient/screenings/{id}") => [Login, Missing, Forbidden, Forbidden, Forbidden],
        ("GET", "/clinician/screenings" | "/clinician/screenings/{id}") => {
            [Login, Forbidden, Forbidden, Page, Forbidden]
        }
        ("POST", "/clinician/screenings/{id}/decision") => {
            [Login, Forbidden, Forbidden, Invalid, Forbidden]
        }
        ("GET", "/front-desk/patients") => [Login, Forbidden, Page, Forbidden, Forbidden],
        ("GET", "/patient/consent") => [Login, Page, Forbidden, Forbidden, Forbidden],
        // The walking patient has signed nothing: the empty forms are refused, and there is
        // nothing to withdraw.
        ("POST", "/patient/consent/sign" | "/patient/consent/withdraw") => {
            [Login, Invalid, Forbidden, Forbidden, Forbidden]
        }
        ("GET", "/patient/consent/withdraw") => [Login, Moved, Forbidden, Forbidden, Forbidden],
        // Another patient's signature: not found for this patient.
        ("GET", "/patient/consent/signatures/{id}") => {
            [Login, Missing, Forbidden, Forbidden, Forbidden]
        }
        (
            "GET",
            "/clinician/consents"
            | "/clinician/patients/{id}/consent"
            | "/clinician/consent/signatures/{id}",
        ) => [Login, Forbidden, Forbidden, Page, Forbidden],
        ("POST", "/clinician/consent/signatures/{id}/countersign") => {
            [Login, Forbidden, Forbidden, Invalid, Forbidden]
        }
        ("GET", "/consent/versions/{id}/text") => [Login, Page, Page, Page, Page],
        // The second step of a login needs a login waiting for it; without one, back to /login.
        ("GET" | "POST", "/login/two-factor") => [Login, Login, Login, Login, Login],
        ("GET" | "POST", "/forgot-password") => [Page, Page, Page, Page, Page],
        // An unknown link: not found, whoever follows it.
        (
            "GET" | "POST",
            "/reset-password/{token}"
            | "/register/confirm/{token}"
            | "/account/email/confirm/{token}",
        )
        | ("GET", "/verify-email/{token}") => [Missing, Missing, Missing, Missing, Missing],
        ("GET", "/account" | "/account/two-factor") => [Login, Page, Page, Page, Page],
        ("POST", "/account/password" | "/account/email") => {
            [Login, Invalid, Invalid, Invalid, Invalid]
        }
        ("POST", "/account/email/verification" | "/account/sessions/end-others") => {
            [Login, Moved, Moved, Moved, Moved]
        }
        // Someone else's session (or none): not found.
        ("POST", "/account/sessions/{id}/end") => [Login, Missing, Missing, Missing, Missing],
        // The walking clinician and administrator have two-factor login on; the others do not.
        ("POST", "/account/two-factor") => [Login, Invalid, Invalid, Moved, Moved],
        ("POST", "/account/two-factor/recovery-codes") => [Login, Moved, Moved, Invalid, Invalid],
        // Required of clinicians and administrators, so they may not turn it off.
        ("POST", "/account/two-factor/disable") => [Login, Invalid, Invalid, Forbidden, Forbidden],
        ("POST", "/admin/sessions/end") => [Login, Forbidden, Forbidden, Forbidden, Moved],
        ("POST", "/admin/patient-accounts") => [Login, Forbidden, Forbidden, Forbidden, Invalid],
        _ => return None,
    };
    Some(expected)
}

/// Scheduling, the infusion flowsheet, alerts and outcomes.
fn scheduling_and_the_flowsheet(method: &str, path: &str) -> Option<[Outcome; 5]> {
    use Outcome::*;
    let expected = match (method, path) {
        (
            "GET",
            "/schedule"
            | "/schedule/week"
            | "/patients/{id}/appointments"
            | "/patients/{id}/book"
            | "/appointments/{id}"
            | "/appointments/{id}/calendar.ics",
        ) => [Login, Forbidden, Page, Page, Forbidden],
        // The walking front desk cancels the appointment (POST routes come after GET ones),
        // so the clinician after it finds it no longer movable.
        ("GET", "/appointments/{id}/reschedule") => [Login, Forbidden, Page, Moved, Forbidden],
        (
            "POST",
            "/appointments/{id}/cancel"
            | "/appointments/{id}/check-in"
            | "/appointments/{id}/no-show",
        ) => [Login, Forbidden, Moved, Moved, Forbidden],
        // An empty booking form: no time chosen.
        ("POST", "/patients/{id}/book" | "/appointments/{id}/reschedule") => {
            [Login, Forbidden, Invalid, Invalid, Forbidden]
        }
        ("GET", "/patient/appointments" | "/patient/appointments/book") => {
            [Login, Page, Forbidden, Forbidden, Forbidden]
        }
        // The walking patient has not confirmed their email: booking is refused.
        ("POST", "/patient/appointments/book") => [Login, Invalid, Forbidden, Forbidden, Forbidden],
        // Another patient's appointment: not found.
        ("POST", "/patient/appointments/{id}/cancel" | "/patient/appointments/{id}/reschedule")
        | (
            "GET",
            "/patient/appointments/{id}/reschedule" | "/patient/appointments/{id}/calendar.ics",
        ) => [Login, Missing, Forbidden, Forbidden, Forbidden],
        // The infusion flowsheet is the clinician's alone; an empty form is refused.
        ("GET", "/infusions/{id}") => [Login, Forbidden, Forbidden, Page, Forbidden],
        (
            "POST",
            "/infusions/{id}/check-in"
            | "/infusions/{id}/order"
            | "/infusions/{id}/start"
            | "/infusions/{id}/vitals"
            | "/infusions/{id}/events"
            | "/infusions/{id}/discharge"
            | "/infusions/{id}/addenda",
        ) => [Login, Forbidden, Forbidden, Invalid, Forbidden],
        ("POST", "/infusions/{id}/end") => [Login, Forbidden, Forbidden, Moved, Forbidden],
        ("GET", "/clinician/alerts" | "/clinician/patients/{id}/alerts") => {
            [Login, Forbidden, Forbidden, Page, Forbidden]
        }
        // No such alert: the empty note is refused beside the form.
        (
            "POST",
            "/clinician/patients/{id}/alerts/{alert}/clear"
            | "/infusions/{id}/alerts/{alert}/clear",
        ) => [Login, Forbidden, Forbidden, Invalid, Forbidden],
        ("GET", "/clinician/patients/{id}/outcomes") => {
            [Login, Forbidden, Forbidden, Page, Forbidden]
        }
        ("GET", "/patient/progress" | "/patient/follow-up") => {
            [Login, Page, Forbidden, Forbidden, Forbidden]
        }
        ("POST", "/patient/follow-up") => [Login, Invalid, Forbidden, Forbidden, Forbidden],
        // Someone else's appointment (and no infusion of the walking patient's): not found.
        ("GET" | "POST", "/patient/appointments/{id}/measures") => {
            [Login, Missing, Forbidden, Forbidden, Forbidden]
        }
        _ => return None,
    };
    Some(expected)
}

/// The admin's settings, exports, reports and calendar feeds.
fn administration_exports_and_reports(method: &str, path: &str) -> Option<[Outcome; 5]> {
    use Outcome::*;
    let expected = match (method, path) {
        ("GET", "/admin/treatment") => [Login, Forbidden, Forbidden, Forbidden, Page],
        // Clinicians and admins export any patient's record; the front desk none; a patient
        // their own.
        ("GET", "/patients/{id}/export.json") => [Login, Forbidden, Forbidden, Page, Page],
        ("GET", "/patient/export.json") => [Login, Page, Forbidden, Forbidden, Forbidden],
        ("GET", "/admin/export") => [Login, Forbidden, Forbidden, Forbidden, Page],
        // Clinic reports are the admin's; a patient's printable summary is for clinical staff.
        ("GET", "/admin/reports" | "/admin/reports.csv") => {
            [Login, Forbidden, Forbidden, Forbidden, Page]
        }
        ("GET", "/clinician/patients/{id}/summary") => [Login, Forbidden, Forbidden, Page, Page],
        ("POST", "/admin/treatment" | "/admin/treatment/protocols") => {
            [Login, Forbidden, Forbidden, Forbidden, Invalid]
        }
        ("GET", "/calendar-feed") => [Login, Page, Page, Page, Page],
        ("POST", "/calendar-feed") => [Login, Page, Forbidden, Page, Forbidden],
        ("GET", "/calendar/{token}") => [Missing, Missing, Missing, Missing, Missing],
        ("GET", "/admin/scheduling") => [Login, Forbidden, Forbidden, Forbidden, Page],
        (
            "POST",
            "/admin/scheduling/chairs" | "/admin/scheduling/hours" | "/admin/scheduling/time-off",
        ) => [Login, Forbidden, Forbidden, Forbidden, Invalid],
        (
            "POST",
            "/admin/scheduling/chairs/{id}/active"
            | "/admin/scheduling/hours/{id}/remove"
            | "/admin/scheduling/time-off/{id}/remove"
            | "/admin/treatment/protocols/{id}/active",
        ) => [Login, Forbidden, Forbidden, Forbidden, Moved],
        ("GET", "/admin/consent" | "/admin/consent/{id}") => {
            [Login, Forbidden, Forbidden, Forbidden, Page]
        }
        // A new draft opens in the editor; the published version refuses edits by redirecting.
        (
            "POST",
            "/admin/consent/drafts" | "/admin/consent/{id}" | "/admin/consent/{id}/discard",
        ) => [Login, Forbidden, Forbidden, Forbidden, Moved],
        _ => return None,
    };
    Some(expected)
}

fn outcome_of(page: &Page) -> Option<Outcome> {
    match page.status {
        StatusCode::OK => Some(Outcome::Page),
        StatusCode::FORBIDDEN => Some(Outcome::Forbidden),
        StatusCode::UNPROCESSABLE_ENTITY => Some(Outcome::Invalid),
        StatusCode::NOT_FOUND => Some(Outcome::Missing),
        StatusCode::SEE_OTHER
            if page.location() == "/login" || page.location().starts_with("/login?next=") =>
        {
            Some(Outcome::Login)
        }
        StatusCode::SEE_OTHER => Some(Outcome::Moved),
        _ => None,
    }
}

#[tokio::test]
async fn every_route_has_a_rule_and_every_role_gets_it() {
    let app = TestApp::spawn().await;
    let target = app.add_user(Role::Clinician, "target@clinic.test").await;
    // Someone else's submitted screening, for the routes that take a screening id.
    let owner = app.add_user(Role::Patient, "owner@clinic.test").await;
    let screening = submitted_screening(&app, owner).await;
    // The same patient's signature of the consent every clinic starts with (version 1).
    let owner_patient = patient_of_user(&app, owner).await;
    let version = first_consent_version(&app).await;
    let signature = signed_consent(&app, owner_patient).await;
    // And an appointment of theirs with the walking clinician target.
    let appointment = booked_consultation(&app, owner_patient, target, "2 days").await;
    // And an infusion of theirs, for the flowsheet's routes.
    let infusion = booked_infusion(&app, owner_patient, target, "3 days").await;

    let mut table: Vec<(String, &'static str)> = clinic::app::routes()
        .iter()
        .flat_map(|route| {
            route
                .methods
                .iter()
                .map(move |m| (m.to_string(), route.path))
        })
        .collect();
    // Logging out ends the session, so it goes last.
    table.sort_by_key(|(method, path)| (*path == "/logout", method.clone(), *path));

    let missing: Vec<String> = table
        .iter()
        .filter(|(method, path)| expectations(method, path).is_none())
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without an access expectation: {missing:?}"
    );

    let callers: [Option<Role>; 5] = [
        None,
        Some(Role::Patient),
        Some(Role::FrontDesk),
        Some(Role::Clinician),
        Some(Role::Admin),
    ];
    for (index, caller) in callers.iter().enumerate() {
        let client = match caller {
            None => app.client(),
            Some(role) => {
                app.logged_in(*role, &format!("walker-{}@clinic.test", role.as_str()))
                    .await
                    .0
            }
        };
        for (method, pattern) in &table {
            let id = if pattern.contains("/account/sessions/")
                || pattern.contains("/hours/")
                || pattern.contains("/time-off/")
                || pattern.contains("/protocols/")
            {
                999_999_999
            } else if pattern.contains("/chairs/") {
                1
            } else if pattern.starts_with("/infusions/") {
                infusion
            } else if pattern.contains("appointments/{id}") {
                appointment
            } else if pattern.contains("consent/signatures") {
                signature
            } else if pattern.contains("/clinician/patients/") || pattern.starts_with("/patients/")
            {
                owner_patient
            } else if pattern.contains("consent/") {
                version
            } else if pattern.contains("screening") {
                screening
            } else {
                target
            };
            let path = pattern
                .replace("{id}", &id.to_string())
                .replace("{step}", "medical")
                .replace("{alert}", "999999999")
                .replace("{token}", "not-a-real-token");
            let page = if method == "GET" {
                client.get(&path).await
            } else {
                client.post(&path, &[]).await
            };
            let expected = expectations(method, pattern).unwrap()[index];
            assert_eq!(
                outcome_of(&page),
                Some(expected),
                "{method} {path} as {caller:?}: got {} -> {:?}",
                page.status,
                page.location()
            );
        }
    }
}

#[tokio::test]
async fn wrong_role_gets_a_403_page_in_the_site_layout_and_is_audited() {
    let app = TestApp::spawn().await;
    let (patient, patient_id) = app.logged_in(Role::Patient, "pat@clinic.test").await;
    let page = patient.get("/admin/staff").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    page.assert_contains("Not allowed")
        .assert_contains("<nav aria-label=\"Main\"")
        .assert_contains("href=\"/patient\"")
        .assert_contains("Log out");
    let denied: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'access.denied' AND actor_id = $1 AND outcome = 'denied'",
    )
    .bind(patient_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(denied, 1);
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_login_with_their_destination() {
    let app = TestApp::spawn().await;
    let page = app.client().get("/admin/audit?action=login").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location(),
        "/login?next=%2Fadmin%2Faudit%3Faction%3Dlogin"
    );
}

#[tokio::test]
async fn a_patient_sees_only_their_own_record() {
    let app = TestApp::spawn().await;
    let (ann, _) = app.logged_in(Role::Patient, "ann@clinic.test").await;
    let (bob, _) = app.logged_in(Role::Patient, "bob@clinic.test").await;
    ann.get("/patient")
        .await
        .assert_contains("Patient ann")
        .assert_lacks("Patient bob");
    bob.get("/patient")
        .await
        .assert_contains("Patient bob")
        .assert_lacks("Patient ann");
}

#[tokio::test]
async fn each_role_lands_on_its_own_home_with_its_navigation() {
    let app = TestApp::spawn().await;
    let homes = [
        (Role::Patient, "/patient", "My care"),
        (Role::FrontDesk, "/front-desk", "Front desk"),
        (Role::Clinician, "/clinician", "Clinician"),
        (Role::Admin, "/admin", "Overview"),
    ];
    for (role, home, nav_label) in homes {
        let email = format!("home-{}@clinic.test", role.as_str());
        app.add_user(role, &email).await;
        let client = app.client();
        let login = client.login(&email, crate::support::PASSWORD).await;
        assert_eq!(login.location(), home, "{role:?} lands on its home");
        let page = client.follow(&login).await;
        assert_eq!(page.status, StatusCode::OK);
        page.assert_contains(&format!("aria-current=\"page\">{nav_label}</a>"));
    }
}
