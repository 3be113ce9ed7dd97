//! Bedside safety (issue 15): risk answers before a session or in a screening draft reach a
//! clinician and stop the start until assessed; bedside alerts stay until acknowledged and
//! stop the discharge; follow-ups needing review gate the next infusion; allergies and
//! medication flags stand beside the dose order.

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::flowsheet::{NORMAL, check_in, infusion_now};
use crate::scheduling::clear_for_infusions;
use crate::support::{TestApp, test_config};

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

/// An app whose mail goes to a folder, so staff emails are queued in the outbox.
async fn app_with_mail() -> TestApp {
    let folder = std::env::temp_dir().join(format!("clinic-mail-{}", clinic::web::random_hex(4)));
    TestApp::spawn_with(
        |config| {
            let base = test_config(String::new());
            config.mail_dir = folder.display().to_string();
            config.mail_from = base.mail_from;
        },
        Vec::new(),
    )
    .await
}

fn vitals(values: [(&'static str, &'static str); 5]) -> [&'static str; 5] {
    values.map(|(_, v)| v)
}

async fn order_protocol_dose(app: &TestApp, client: &crate::support::Client, sheet: &str) {
    let protocol: i64 = count(app, "SELECT min(id) FROM infusion_protocols").await;
    let ordered = client
        .post(
            &format!("{sheet}/order"),
            &[
                ("protocol_id", protocol.to_string().as_str()),
                ("lot_number", "KX-1"),
            ],
        )
        .await;
    assert_eq!(ordered.status, StatusCode::SEE_OTHER, "{}", ordered.body);
}

#[tokio::test]
async fn a_risk_answer_before_the_session_reaches_a_clinician_and_holds_the_start() {
    let app = app_with_mail().await;
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let (ann, ann_user) = app.logged_in(Role::Patient, "ann@clinic.test").await;
    let ann_id: i64 = sqlx::query_scalar("SELECT id FROM patients WHERE user_id = $1")
        .bind(ann_user)
        .fetch_one(&app.db)
        .await
        .unwrap();
    clear_for_infusions(&app, ann_id, casey_id).await;
    let sheet = infusion_now(&app, ann_id, casey_id).await;
    let appointment = sheet.trim_start_matches("/infusions/").to_owned();
    let measures = format!("/patient/appointments/{appointment}/measures");

    // Only two PHQ-9 answers, item 9 among them: the crisis page at once, the typed answers
    // kept on the form and with the alert, the missing ones named.
    let partial = ann
        .post(&measures, &[("phq9_1", "1"), ("phq9_9", "2")])
        .await;
    assert_eq!(partial.status, StatusCode::UNPROCESSABLE_ENTITY);
    partial
        .assert_contains("href=\"tel:988\"")
        .assert_contains("id=\"phq9_2-error\"")
        .assert_contains("name=\"phq9_9\" value=\"2\" checked");
    let (kind, answers): (String, String) = sqlx::query_as(
        "SELECT kind, answers::text FROM clinical_alerts WHERE patient_id = $1 AND cleared_at IS NULL",
    )
    .bind(ann_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(kind, "risk_answer");
    assert_eq!(answers, "[1, null, null, null, null, null, null, null, 2]");
    // Clinicians are emailed, with no patient details; sending again raises nothing more.
    ann.post(&measures, &[("phq9_1", "1"), ("phq9_9", "2")])
        .await;
    let emails: Vec<(String, String)> = sqlx::query_as(
        "SELECT recipient, subject || body FROM outbox WHERE kind = 'clinical_alert'",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(emails.len(), 1, "one email per clinician: {emails:?}");
    assert_eq!(emails[0].0, "casey@clinic.test");
    assert!(!emails[0].1.contains("ann"), "{}", emails[0].1);
    assert_eq!(count(&app, "SELECT count(*) FROM clinical_alerts").await, 1);
    casey
        .get("/clinician")
        .await
        .assert_contains("href=\"/clinician/alerts\"");

    // The flowsheet shows it at the top; the start is refused until it is assessed.
    let page = casey.get(&sheet).await;
    page.assert_contains("Alerts waiting for a clinician")
        .assert_contains("Suicide-risk answer")
        .assert_contains("PHQ-9 item 9");
    assert!(
        page.body.find("Alerts waiting").unwrap() < page.body.find("1. Check-in").unwrap(),
        "the alert stands above the checklist"
    );
    check_in(&casey, &sheet, "72", vitals(NORMAL)).await;
    order_protocol_dose(&app, &casey, &sheet).await;
    let refused = casey.post(&format!("{sheet}/start"), &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("A suicide-risk answer is waiting for a clinician");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM infusion_records WHERE started_at IS NOT NULL"
        )
        .await,
        0
    );

    // The assessment needs a note: refused beside the field.
    let alert: i64 = count(&app, "SELECT id FROM clinical_alerts").await;
    let clear = format!("{sheet}/alerts/{alert}/clear");
    let empty = casey.post(&clear, &[("note", "  ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    empty.assert_contains(&format!("id=\"note-{alert}-error\""));
    let assessed = casey
        .post(
            &clear,
            &[(
                "note",
                "Passive thoughts, no plan or intent; safety plan reviewed. Fit to proceed.",
            )],
        )
        .await;
    assert_eq!(assessed.status, StatusCode::SEE_OTHER, "{}", assessed.body);
    let (by, note): (i64, String) = sqlx::query_as(
        "SELECT cleared_by, clearing_note FROM clinical_alerts WHERE id = $1 AND cleared_at IS NOT NULL",
    )
    .bind(alert)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(by, casey_id);
    assert!(note.starts_with("Passive thoughts"));
    assert!(
        app.audit_actions()
            .await
            .contains(&"alert.clear".to_owned())
    );
    // Cleared once: a second clearing is refused.
    let again = casey.post(&clear, &[("note", "again")]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    casey
        .get(&format!("/clinician/patients/{ann_id}/alerts"))
        .await
        .assert_contains("Cleared by")
        .assert_contains("Passive thoughts");
    let started = casey.post(&format!("{sheet}/start"), &[]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
}

#[tokio::test]
async fn a_risk_answer_saved_in_a_screening_draft_flags_the_patient_before_it_is_sent() {
    let app = TestApp::spawn().await;
    let (casey, _) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let (risk, patient_id) =
        crate::screening::patient_with_profile(&app, "risk@clinic.test", "Risk Patient").await;
    risk.post("/patient/screening/start", &[]).await;
    // A C-SSRS yes to Q4, saved for later on an unfinished step.
    let saved = risk
        .post(
            "/patient/screening/step/cssrs",
            &[("item1", "1"), ("item4", "1"), ("action", "later")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), "/patient/screening/support?draft=1");
    risk.follow(&saved)
        .await
        .assert_contains("href=\"tel:988\"")
        .assert_contains("not sent yet");
    let (kind, status): (String, String) = sqlx::query_as(
        "SELECT a.kind, s.status::text FROM clinical_alerts a JOIN screenings s ON s.id = a.screening_id
         WHERE a.patient_id = $1",
    )
    .bind(patient_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((kind.as_str(), status.as_str()), ("risk_answer", "draft"));
    casey
        .get("/clinician/alerts")
        .await
        .assert_contains("Risk Patient")
        .assert_contains("Suicide-risk answer");
    casey
        .get(&format!("/clinician/patients/{patient_id}/alerts"))
        .await
        .assert_contains("C-SSRS Q4");
}
