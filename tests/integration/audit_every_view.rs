//! Every view of patient data leaves an audit entry. The walk takes its routes from the
//! app's route table and classifies each GET route below; a route missing from the table
//! fails the test, so a new page cannot show patient data unnoticed.

use reqwest::StatusCode;

use crate::fixtures::demo_login;
use crate::support::{Client, Page, TestApp};

/// Who walks a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    /// Nobody logged in (a calendar app reading a feed address).
    Anonymous,
    /// The demo patient with a course of infusions.
    Patient,
    /// A demo patient half-way through the screening questionnaire.
    DraftPatient,
    FrontDesk,
    Clinician,
    Admin,
}

/// What a GET route shows.
#[derive(Clone, Copy, Debug)]
enum Shows {
    /// No patient's name, contact, answers, scores, appointments or records.
    Nothing,
    /// One patient's data: each view's entry names the patient.
    Record(&'static [Caller]),
    /// Several patients (a list, a day, a report): one entry per view naming the list.
    List(&'static [Caller]),
}

fn shows(path: &str) -> Option<Shows> {
    use Caller::*;
    use Shows::*;
    const BOOKING_STAFF: &[Caller] = &[FrontDesk, Clinician];
    let shows = match path {
        // The public edge, sign-in and account recovery: nobody's record.
        "/healthz"
        | "/readyz"
        | "/static/app.css"
        | "/static/app.js"
        | "/static/icon.svg"
        | "/"
        | "/login"
        | "/register"
        | "/login/two-factor"
        | "/forgot-password"
        | "/reset-password/{token}"
        | "/register/confirm/{token}"
        | "/account/email/confirm/{token}"
        | "/verify-email/{token}" => Nothing,
        // One's own login: email, devices, second factor, the feed address (not its events).
        "/account" | "/account/two-factor" | "/calendar-feed" => Nothing,
        // The clinic's documents, blank questionnaires and forms, and crisis lines.
        "/consent/versions/{id}/text"
        | "/patient/follow-up"
        | "/patient/screening/support"
        | "/patient/consent/withdraw" => Nothing,
        // The clinician's home shows counts only; what they count opens on audited pages.
        "/clinician" => Nothing,
        // Staff accounts, settings, chairs and hours, protocols, consent versions; the export
        // form takes a patient number and sends it on to the audited export.
        "/admin/staff"
        | "/admin/staff/new"
        | "/admin/settings"
        | "/admin/scheduling"
        | "/admin/treatment"
        | "/admin/consent"
        | "/admin/consent/{id}"
        | "/admin/export" => Nothing,

        // The patient's own record.
        "/patient"
        | "/patient/profile"
        | "/patient/screening"
        | "/patient/screenings/{id}"
        | "/patient/consent"
        | "/patient/consent/signatures/{id}"
        | "/patient/appointments"
        | "/patient/appointments/book"
        | "/patient/appointments/{id}/reschedule"
        | "/patient/appointments/{id}/calendar.ics"
        | "/patient/appointments/{id}/measures"
        | "/patient/progress"
        | "/patient/export.json" => Record(&[Patient]),
        "/patient/screening/step/{step}" | "/patient/screening/review" => Record(&[DraftPatient]),
        // A calendar app reads the patient's appointments by the feed address alone.
        "/calendar/{token}" => Record(&[Anonymous]),

        // Staff views of one patient.
        "/patients/{id}/appointments"
        | "/patients/{id}/book"
        | "/appointments/{id}"
        | "/appointments/{id}/reschedule"
        | "/appointments/{id}/calendar.ics" => Record(BOOKING_STAFF),
        "/clinician/screenings/{id}"
        | "/clinician/patients/{id}/consent"
        | "/clinician/consent/signatures/{id}"
        | "/clinician/patients/{id}/alerts"
        | "/clinician/patients/{id}/outcomes"
        | "/infusions/{id}" => Record(&[Clinician]),
        "/clinician/patients/{id}/summary" | "/patients/{id}/export.json" => {
            Record(&[Clinician, Admin])
        }

        // Lists of patients.
        "/front-desk" | "/front-desk/patients" => List(&[FrontDesk]),
        "/schedule" | "/schedule/week" => List(BOOKING_STAFF),
        "/clinician/screenings" | "/clinician/consents" | "/clinician/alerts" => List(&[Clinician]),
        // The overview's latest activity and the audit log name patients and their staff.
        "/admin" | "/admin/audit" | "/admin/reports" | "/admin/reports.csv" => List(&[Admin]),
        _ => return None,
    };
    Some(shows)
}

async fn scalar(app: &TestApp, query: &str, bind: i64) -> i64 {
    sqlx::query_scalar(query)
        .bind(bind)
        .fetch_one(&app.db)
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"))
}

/// The audit entries a request left: (action, patient, detail, outcome).
async fn entries_of(
    app: &TestApp,
    page: &Page,
) -> Vec<(String, Option<i64>, Option<String>, String)> {
    let request_id = page.header("x-request-id");
    assert!(!request_id.is_empty(), "no request id");
    sqlx::query_as(
        "SELECT action, patient_id, detail, outcome FROM audit_log WHERE request_id = $1 ORDER BY id",
    )
    .bind(request_id)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn every_view_of_patient_data_is_audited() {
    let app = TestApp::spawn().await;
    clinic::demo::load(&app.db, &app.base).await.unwrap();
    let records = demo_records(&app).await;
    let (callers, token) = callers(&app, &records.draft_email).await;
    let get_routes = classified_get_routes();
    let (walked, failures) = walk_every_view(&app, &records, &callers, &token, get_routes).await;
    the_review_queue_entry_names_the_patients_shown(&app, &callers[4].1).await;
    assert!(
        failures.is_empty(),
        "views not audited as they should be:\n{}",
        failures.join("\n")
    );
    assert!(walked >= 40, "walked only {walked} views");
}

/// The demo records the walk opens.
struct Records {
    patient: i64,
    screening: i64,
    signature: i64,
    infusion: i64,
    upcoming: i64,
    draft_email: String,
    draft_patient: i64,
}

/// The demo patient: a screening, a signed consent, a course of signed infusions; another
/// half-way through the screening.
async fn demo_records(app: &TestApp) -> Records {
    let patient = scalar(
        app,
        "SELECT p.id FROM patients p JOIN users u ON u.id = p.user_id
         WHERE u.email = 'patient@demo.clinic' AND $1 = 1",
        1,
    )
    .await;
    let screening = scalar(
        app,
        "SELECT max(id) FROM screenings WHERE patient_id = $1 AND status <> 'draft'",
        patient,
    )
    .await;
    let signature = scalar(
        app,
        "SELECT max(id) FROM consent_signatures WHERE patient_id = $1 AND signer = 'patient'",
        patient,
    )
    .await;
    let infusion = scalar(
        app,
        "SELECT max(appointment_id) FROM infusion_records
         WHERE patient_id = $1 AND signed_at IS NOT NULL",
        patient,
    )
    .await;
    // And an infusion in two days (when its pre-session measures open), at night, clear of
    // the demo's bookings.
    let upcoming = scalar(
        app,
        "INSERT INTO appointments (patient_id, kind, clinician_id, chair_id, during, booked_by)
         SELECT $1, 'infusion', u.id, (SELECT min(id) FROM chairs),
                tstzrange(date_trunc('day', now()) + interval '2 days 2 hours',
                          date_trunc('day', now()) + interval '2 days 4 hours 30 minutes'), u.id
         FROM users u WHERE u.email = 'clinician@demo.clinic'
         RETURNING id",
        patient,
    )
    .await;
    let draft_email: String = sqlx::query_scalar(
        "SELECT u.email FROM users u JOIN patients p ON p.user_id = u.id
         JOIN screenings s ON s.patient_id = p.id
         WHERE s.status = 'draft' ORDER BY s.id LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let draft_patient: i64 = sqlx::query_scalar(
        "SELECT p.id FROM patients p JOIN users u ON u.id = p.user_id WHERE u.email = $1",
    )
    .bind(&draft_email)
    .fetch_one(&app.db)
    .await
    .unwrap();
    Records {
        patient,
        screening,
        signature,
        infusion,
        upcoming,
        draft_email,
        draft_patient,
    }
}

/// Every caller logged in (the anonymous one too), and the patient's calendar feed token.
async fn callers(app: &TestApp, draft_email: &str) -> ([(Caller, Client); 6], String) {
    let password = clinic::demo::model::PATIENT_PASSWORD;
    let callers = [
        (Caller::Anonymous, Client::new(&app.base)),
        (
            Caller::Patient,
            demo_login(app, "patient@demo.clinic", password).await,
        ),
        (
            Caller::DraftPatient,
            demo_login(app, draft_email, password).await,
        ),
        (
            Caller::FrontDesk,
            demo_login(app, "frontdesk@demo.clinic", "demo front desk passphrase").await,
        ),
        (
            Caller::Clinician,
            demo_login(app, "clinician@demo.clinic", "demo clinician passphrase").await,
        ),
        (
            Caller::Admin,
            demo_login(app, "admin@demo.clinic", "demo admin passphrase").await,
        ),
    ];
    // The patient's calendar feed address, as their calendar app would hold it.
    let feed = callers[1].1.post("/calendar-feed", &[]).await;
    let token = feed
        .body
        .split("/calendar/")
        .nth(1)
        .and_then(|rest| rest.split(['"', '<', ' ']).next())
        .expect("a feed address")
        .to_owned();
    (callers, token)
}

/// The GET routes of the route table, each classified below (or the test fails).
fn classified_get_routes() -> Vec<&'static str> {
    let mut get_routes: Vec<&'static str> = clinic::app::routes()
        .iter()
        .filter(|route| route.methods.contains(&reqwest::Method::GET))
        .map(|route| route.path)
        .collect();
    get_routes.sort_unstable();
    let unclassified: Vec<&str> = get_routes
        .iter()
        .copied()
        .filter(|path| shows(path).is_none())
        .collect();
    assert!(
        unclassified.is_empty(),
        "GET routes not classified as showing patient data or not: {unclassified:?}"
    );
    get_routes
}

/// Opens every page that shows patient data as every caller allowed it; returns how many
/// views were walked and what was not audited as it should be.
async fn walk_every_view(
    app: &TestApp,
    records: &Records,
    callers: &[(Caller, Client); 6],
    token: &str,
    get_routes: Vec<&'static str>,
) -> (usize, Vec<String>) {
    let mut walked = 0;
    let mut failures: Vec<String> = Vec::new();
    for pattern in get_routes {
        let (kind, allowed) = match shows(pattern).unwrap() {
            Shows::Nothing => continue,
            Shows::Record(allowed) => ("patient", allowed),
            Shows::List(allowed) => ("list", allowed),
        };
        let id = if pattern.starts_with("/infusions/") {
            records.infusion
        } else if pattern.contains("appointments/{id}") {
            records.upcoming
        } else if pattern.contains("signatures/{id}") {
            records.signature
        } else if pattern.contains("screenings/{id}") {
            records.screening
        } else {
            records.patient
        };
        let path = pattern
            .replace("{id}", &id.to_string())
            .replace("{step}", "medical")
            .replace("{token}", token);
        for (caller, client) in callers.iter().filter(|(c, _)| allowed.contains(c)) {
            let page = client.get(&path).await;
            walked += 1;
            if page.status != StatusCode::OK {
                failures.push(format!(
                    "GET {path} as {caller:?}: {} {} (the walk must see the page)",
                    page.status,
                    page.location()
                ));
                continue;
            }
            let entries = entries_of(app, &page).await;
            let [(action, patient_id, detail, outcome)] = entries.as_slice() else {
                failures.push(format!(
                    "GET {path} as {caller:?}: one audit entry per view, got {entries:?}"
                ));
                continue;
            };
            let expected_patient = match caller {
                Caller::DraftPatient => records.draft_patient,
                _ => records.patient,
            };
            if outcome != "success" {
                failures.push(format!("GET {path} as {caller:?}: {action} {outcome}"));
            } else if kind == "patient" && *patient_id != Some(expected_patient) {
                failures.push(format!(
                    "GET {path} as {caller:?}: {action} names patient {patient_id:?}, not {expected_patient}"
                ));
            } else if kind == "list" && detail.as_deref().is_none_or(str::is_empty) {
                failures.push(format!(
                    "GET {path} as {caller:?}: {action} does not name the list"
                ));
            }
        }
    }
    (walked, failures)
}

/// The review queue's entry names the patients on the page, going forwards and back.
async fn the_review_queue_entry_names_the_patients_shown(app: &TestApp, clinician: &Client) {
    let last_waiting = scalar(
        app,
        "SELECT max(id) FROM screenings WHERE status = 'submitted' AND $1 = 1",
        1,
    )
    .await;
    for path in [
        "/clinician/screenings".to_owned(),
        format!("/clinician/screenings?before={last_waiting}"),
    ] {
        let page = clinician.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let entries = entries_of(app, &page).await;
        assert_eq!(entries.len(), 1, "{path}: {entries:?}");
        let detail = entries[0].2.clone().unwrap_or_default();
        assert!(
            detail.starts_with("review queue: ") && detail.contains(" shown; patients "),
            "{path}: {detail}"
        );
    }
}
