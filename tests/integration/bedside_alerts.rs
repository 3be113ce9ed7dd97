//! Bedside safety (issue 15): risk answers before a session or in a screening draft reach a
//! clinician and stop the start until assessed; bedside alerts stay until acknowledged and
//! stop the discharge; follow-ups needing review gate the next infusion; allergies and
//! medication flags stand beside the dose order.

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::fixtures::{
    NORMAL, acknowledge_all, check_in, clear_for_infusions, infusion_now, logged_in_patient,
    order_protocol_dose,
};
use crate::support::{TestApp, count, test_config};

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

#[tokio::test]
async fn a_risk_answer_before_the_session_reaches_a_clinician_and_holds_the_start() {
    let app = app_with_mail().await;
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let (ann, ann_id) = logged_in_patient(&app, "ann@clinic.test").await;
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
        crate::fixtures::patient_with_profile(&app, "risk@clinic.test", "Risk Patient").await;
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

#[tokio::test]
async fn deep_sedation_dissociation_and_bad_readings_stay_until_acknowledged_and_hold_discharge() {
    let app = TestApp::spawn().await;
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let ann = crate::fixtures::patient(&app, "ann@clinic.test").await;
    clear_for_infusions(&app, ann, casey_id).await;
    let sheet = infusion_now(&app, ann, casey_id).await;
    check_in(&casey, &sheet, "72", vitals(NORMAL)).await;
    order_protocol_dose(&app, &casey, &sheet).await;
    let started = casey.post(&format!("{sheet}/start"), &[]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);

    // SpO2 88 and a respiratory rate of 8; MOAA/S 2; CADSS 31 above the default 30.
    let desaturated = [
        ("systolic", "120"),
        ("diastolic", "80"),
        ("heart_rate", "70"),
        ("spo2", "88"),
        ("resp_rate", "8"),
    ];
    casey.post(&format!("{sheet}/vitals"), &desaturated).await;
    casey
        .post(
            &format!("{sheet}/events"),
            &[("kind", "moaas"), ("moaas", "2")],
        )
        .await;
    casey
        .post(
            &format!("{sheet}/events"),
            &[("kind", "cadss"), ("cadss_total", "31")],
        )
        .await;
    // At the threshold itself: no alert. A side effect from the new list is recorded.
    casey
        .post(
            &format!("{sheet}/events"),
            &[("kind", "cadss"), ("cadss_total", "30")],
        )
        .await;
    let effect = casey
        .post(
            &format!("{sheet}/events"),
            &[
                ("kind", "side_effect"),
                ("side_effect", "oxygen_desaturation"),
                ("severity", "moderate"),
                ("intervention", "Jaw thrust, O2 2 L/min"),
            ],
        )
        .await;
    assert_eq!(effect.status, StatusCode::SEE_OTHER, "{}", effect.body);
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM clinical_alerts WHERE cleared_at IS NULL ORDER BY kind",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(kinds, ["deep_sedation", "dissociation", "vitals"]);
    let page = casey.get(&sheet).await;
    page.assert_contains("Deep sedation")
        .assert_contains("MOAA/S 2")
        .assert_contains("Marked dissociation")
        .assert_contains("SpO2 88 %")
        .assert_contains("Oxygen desaturation (moderate)");

    // Recovered in every other way, the open alerts still hold the discharge.
    casey.post(&format!("{sheet}/end"), &[]).await;
    casey
        .post(
            &format!("{sheet}/events"),
            &[("kind", "moaas"), ("moaas", "5")],
        )
        .await;
    casey.post(&format!("{sheet}/vitals"), &NORMAL).await;
    app.clock.advance(time::Duration::minutes(60));
    let discharge = [
        ("escort_present", "yes"),
        ("no_driving", "yes"),
        ("signed_name", "Clinician casey"),
        ("meaning", "yes"),
    ];
    let held = casey.post(&format!("{sheet}/discharge"), &discharge).await;
    assert_eq!(held.status, StatusCode::UNPROCESSABLE_ENTITY);
    held.assert_contains("Acknowledge the open alert(s)")
        .assert_contains("value=\"Clinician casey\"");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM infusion_records WHERE signed_at IS NOT NULL"
        )
        .await,
        0
    );

    // Acknowledging needs the action taken; then each is kept with who, when and what.
    let alert: i64 = count(&app, "SELECT min(id) FROM clinical_alerts").await;
    let empty = casey
        .post(&format!("{sheet}/alerts/{alert}/clear"), &[("note", "")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    empty.assert_contains("The action taken is needed");
    acknowledge_all(&app, &casey, &sheet).await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM clinical_alerts WHERE cleared_by IS NOT NULL"
        )
        .await,
        3
    );
    let signed = casey.post(&format!("{sheet}/discharge"), &discharge).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    // The database keeps them: never deleted, never cleared twice.
    let delete = sqlx::query("DELETE FROM clinical_alerts")
        .execute(&app.db)
        .await;
    assert!(delete.is_err());
    let truncate = sqlx::query("TRUNCATE clinical_alerts")
        .execute(&app.db)
        .await;
    assert!(truncate.is_err());
}

#[tokio::test]
async fn the_cadss_alert_threshold_is_a_validated_clinic_setting() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "admin@clinic.test").await;
    admin
        .get("/admin/treatment")
        .await
        .assert_contains("CADSS total above")
        .assert_contains("Default 30");
    let bad = admin
        .post(
            "/admin/treatment",
            &crate::fixtures::settings_with("cadss_alert_threshold", "93"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_contains("id=\"cadss_alert_threshold-error\"")
        .assert_contains("value=\"93\"");
    let saved = admin
        .post(
            "/admin/treatment",
            &crate::fixtures::settings_with("cadss_alert_threshold", "20"),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        count(
            &app,
            "SELECT cadss_alert_threshold::bigint FROM clinic_settings"
        )
        .await,
        20
    );
}

#[tokio::test]
async fn a_follow_up_needing_review_reaches_clinicians_and_gates_the_next_infusion() {
    let app = TestApp::spawn().await;
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let (ann, ann_id) = logged_in_patient(&app, "ann@clinic.test").await;
    clear_for_infusions(&app, ann_id, casey_id).await;
    // A 2 ("often") on the first question: needs review.
    let answers: Vec<(String, String)> = (1..=8)
        .map(|n| {
            (
                format!("item_{n}"),
                if n == 1 { "2" } else { "0" }.to_owned(),
            )
        })
        .collect();
    let pairs: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sent = ann.post("/patient/follow-up", &pairs).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM clinical_alerts WHERE kind = 'follow_up_review' AND result_id IS NOT NULL"
        )
        .await,
        1
    );
    casey
        .get("/clinician/alerts")
        .await
        .assert_contains("Follow-up needs review");

    // The infusion gate names it; the start is refused.
    let sheet = infusion_now(&app, ann_id, casey_id).await;
    casey
        .get(&sheet)
        .await
        .assert_contains("A bladder or memory follow-up needs a clinician");
    check_in(&casey, &sheet, "72", vitals(NORMAL)).await;
    order_protocol_dose(&app, &casey, &sheet).await;
    let refused = casey.post(&format!("{sheet}/start"), &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("follow-up needs a clinician");

    // Cleared with a note on the patient's alerts page (a note is required).
    let alert: i64 = count(&app, "SELECT id FROM clinical_alerts").await;
    let clear = format!("/clinician/patients/{ann_id}/alerts/{alert}/clear");
    let empty = casey.post(&clear, &[("note", "")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    empty.assert_contains(&format!("id=\"note-{alert}-error\""));
    let cleared = casey
        .post(
            &clear,
            &[("note", "Urinalysis clear; urology not needed. Continue.")],
        )
        .await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER, "{}", cleared.body);
    let started = casey.post(&format!("{sheet}/start"), &[]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
}

#[tokio::test]
async fn the_front_desk_learns_only_that_a_clinician_must_review_never_the_risk() {
    let app = TestApp::spawn().await;
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    // Working every day, so the booking page offers times and shows the gate for them.
    app.sql(&format!(
        "INSERT INTO clinician_hours (clinician_id, weekday, starts, ends)
         SELECT {casey_id}, d, '00:00', '23:59' FROM generate_series(1, 7) AS d"
    ))
    .await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let (ann, ann_id) = logged_in_patient(&app, "ann@clinic.test").await;
    clear_for_infusions(&app, ann_id, casey_id).await;
    let sheet = infusion_now(&app, ann_id, casey_id).await;
    let appointment = sheet.trim_start_matches("/infusions/").to_owned();
    // A risk answer from the patient's phone before the session.
    let measures = format!("/patient/appointments/{appointment}/measures");
    ann.post(&measures, &[("phq9_1", "1"), ("phq9_9", "2")])
        .await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM clinical_alerts WHERE kind = 'risk_answer' AND cleared_at IS NULL"
        )
        .await,
        1
    );

    // Everything the front desk opens about the patient's infusions says a clinician must
    // review the patient, and never why.
    let neutral = "A clinician must review this patient before the infusion.";
    let book = format!("/patients/{ann_id}/book?kind=infusion");
    let desk_book = desk.get(&book).await;
    assert_eq!(desk_book.status, StatusCode::OK);
    desk_book.assert_contains(neutral);
    let refused = desk.post(&book, &[("slot", "1-1-0")]).await;
    let check_in = desk
        .post(&format!("/appointments/{appointment}/check-in"), &[])
        .await;
    assert_eq!(check_in.status, StatusCode::SEE_OTHER, "{}", check_in.body);
    let pages = [
        desk_book,
        refused,
        desk.follow(&check_in).await,
        desk.get(&format!("/appointments/{appointment}")).await,
        desk.get(&format!("/patients/{ann_id}/appointments")).await,
        desk.get("/front-desk").await,
        desk.get("/schedule").await,
    ];
    for page in &pages {
        let text = page.body.to_lowercase();
        assert!(
            !text.contains("suicid") && !text.contains("risk"),
            "the front desk must not learn the reason: {}",
            page.body
        );
    }

    // The clinician reads the precise reason, on the booking page and on the flowsheet.
    casey
        .get(&book)
        .await
        .assert_contains("A suicide-risk answer is waiting for a clinician&#39;s assessment.")
        .assert_lacks(neutral);
    casey
        .get(&sheet)
        .await
        .assert_contains("A suicide-risk answer is waiting for a clinician");
}
