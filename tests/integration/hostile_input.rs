//! No 5xx from hostile input (issue 16 item 4): the requests the issue reported.

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::support::{Client, TestApp};

/// Ids that resolve, per path pattern, as the access walk picks them.
#[allow(dead_code)] // the route walker that reads them lands next
struct Seeded {
    patient: i64,
    clinician_user: i64,
    screening: i64,
    signature: i64,
    version: i64,
    appointment: i64,
    infusion: i64,
}

async fn seed(app: &TestApp) -> (Seeded, Client) {
    let (patient_client, patient) =
        crate::screening::patient_with_profile(app, "walker-patient@clinic.test", "Pat Walker")
            .await;
    // A draft screening of their own, so the questionnaire's steps have forms.
    patient_client.post("/patient/screening/start", &[]).await;
    let clinician_user = app
        .add_user(Role::Clinician, "walker-clinician@clinic.test")
        .await;
    // Someone else's submitted screening, for the clinician's review routes.
    let other = app.add_user(Role::Patient, "other@clinic.test").await;
    let screening: i64 = sqlx::query_scalar(
        "INSERT INTO screenings (patient_id, status, submitted_at)
         SELECT id, 'submitted', now() FROM patients WHERE user_id = $1 RETURNING id",
    )
    .bind(other)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let user_of_patient: i64 = sqlx::query_scalar("SELECT user_id FROM patients WHERE id = $1")
        .bind(patient)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let version: i64 = sqlx::query_scalar("SELECT id FROM consent_versions WHERE version = 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let signature: i64 = sqlx::query_scalar(
        "INSERT INTO consent_signatures (version_id, patient_id, signer, signer_user_id, printed_name,
                                         meaning, text_sha256, client_addr, user_agent)
         SELECT v.id, $2, 'patient', $3, 'Pat Walker', 'I consent', v.text_sha256, '127.0.0.1', 'test'
         FROM consent_versions v WHERE v.id = $1 RETURNING id",
    )
    .bind(version)
    .bind(patient)
    .bind(user_of_patient)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let appointment: i64 = sqlx::query_scalar(
        "INSERT INTO appointments (patient_id, kind, clinician_id, during, booked_by)
         VALUES ($1, 'consultation', $2, tstzrange(now() + interval '2 days', now() + interval '2 days 30 minutes'), $2)
         RETURNING id",
    )
    .bind(patient)
    .bind(clinician_user)
    .fetch_one(&app.db)
    .await
    .unwrap();
    // Today, so the flowsheet's forms are open.
    let infusion: i64 = sqlx::query_scalar(
        "INSERT INTO appointments (patient_id, kind, clinician_id, chair_id, during, booked_by)
         VALUES ($1, 'infusion', $2, (SELECT min(id) FROM chairs),
                 tstzrange(now() - interval '10 minutes', now() + interval '140 minutes'), $2)
         RETURNING id",
    )
    .bind(patient)
    .bind(clinician_user)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let seeded = Seeded {
        patient,
        clinician_user,
        screening,
        signature,
        version,
        appointment,
        infusion,
    };
    (seeded, patient_client)
}

/// The requests the issue named, each answered with a message rather than a 500.
#[tokio::test]
async fn the_reported_requests_get_a_400_page_with_a_message() {
    let app = TestApp::spawn().await;
    let (ids, patient) = seed(&app).await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let (admin, _) = app.logged_in(Role::Admin, "admin@clinic.test").await;
    let book = format!("/patients/{}/book?week=-9999-01-01", ids.patient);
    let cases: [(&Client, &str); 6] = [
        (&desk, "/schedule?date=9999-12-31"),
        (&desk, &book),
        (&patient, "/patient/appointments/book?week=9999-12-31"),
        (&admin, "/admin/staff?page=9223372036854775807"),
        (&admin, "/admin/audit?actor=%00"),
        (&desk, "/front-desk/patients?q=%00"),
    ];
    for (client, url) in cases {
        let page = client.get(url).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{url}: {}", page.body);
        page.assert_contains("Please check your request")
            .assert_contains("<nav aria-label=\"Main\"");
    }
    // A NUL typed into a form field: refused with a page saying why, nothing stored.
    let page = patient
        .post("/patient/profile", &[("legal_name", "Pat\0Walker")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("cannot be stored (a NUL byte)")
        .assert_contains("legal_name");
    // An extractor's refusal is the app's page too, not axum's plain text.
    let page = desk.get("/appointments/99999999999999999999").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.header("content-type").starts_with("text/html"));
    page.assert_contains("could not be read");
}
