//! Intake and pre-infusion screening, from the patient's profile to the clinician's decision.

use clinic::auth::model::Role;
use clinic::screening::model::Step;
use reqwest::StatusCode;

use crate::fixtures::{
    PROFILE, answers, fill_screening, patient_with_profile, post_step, submit_screening,
};
use crate::support::TestApp;

#[tokio::test]
async fn the_profile_takes_metric_or_imperial_and_refuses_implausible_values() {
    let app = TestApp::spawn().await;
    let (client, patient_id) = patient_with_profile(&app, "ann@clinic.test", "Ann Example").await;
    let (weight, height): (f64, f64) =
        sqlx::query_as("SELECT weight_kg::float8, height_cm::float8 FROM patients WHERE id = $1")
            .bind(patient_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((weight, height), (72.5, 168.0));

    let mut imperial: Vec<(&str, &str)> = PROFILE.to_vec();
    imperial.retain(|(k, _)| !k.starts_with("weight") && !k.starts_with("height"));
    imperial.extend([
        ("weight", "160"),
        ("weight_unit", "lb"),
        ("height_unit", "ft"),
        ("height_ft", "5"),
        ("height_in", "9"),
    ]);
    assert_eq!(
        client.post("/patient/profile", &imperial).await.status,
        StatusCode::SEE_OTHER
    );
    let (weight, height): (f64, f64) =
        sqlx::query_as("SELECT weight_kg::float8, height_cm::float8 FROM patients WHERE id = $1")
            .bind(patient_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((weight, height), (72.6, 175.3));

    let mut bad: Vec<(&str, &str)> = PROFILE.to_vec();
    bad.retain(|(k, _)| *k != "weight" && *k != "date_of_birth");
    bad.extend([
        ("weight", "12"),
        ("date_of_birth", "2999-01-01"),
        ("height_unit", "cm"),
    ]);
    let page = client.post("/patient/profile", &bad).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("id=\"weight-error\"")
        .assert_contains("between 20 and 300 kg")
        .assert_contains("value=\"12\"")
        .assert_contains("id=\"date_of_birth-error\"")
        .assert_contains("value=\"1 Main St, Springfield\"")
        .assert_contains("value=\"2999-01-01\"");
    // Nothing already saved was lost.
    let weight: f64 = sqlx::query_scalar("SELECT weight_kg::float8 FROM patients WHERE id = $1")
        .bind(patient_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(weight, 72.6);
    let updates: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'patient.profile_update' AND patient_id = $1").bind(patient_id).fetch_one(&app.db).await.unwrap();
    assert_eq!(updates, 2);
}

#[tokio::test]
async fn the_screening_needs_a_complete_profile_first() {
    let app = TestApp::spawn().await;
    let (client, _) = app.logged_in(Role::Patient, "pat@clinic.test").await;
    client
        .get("/patient/screening")
        .await
        .assert_contains("complete your details");
    let page = client.post("/patient/screening/start", &[]).await;
    assert!(page.location().starts_with("/patient/profile"));
    let drafts: i64 = sqlx::query_scalar("SELECT count(*) FROM screenings")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(drafts, 0);
}

#[tokio::test]
async fn drafts_are_saved_per_step_and_resume_on_another_device() {
    let app = TestApp::spawn().await;
    let (phone, _) = patient_with_profile(&app, "ann@clinic.test", "Ann Example").await;
    phone.post("/patient/screening/start", &[]).await;
    let partial = [("hypertension", "yes"), ("action", "later")];
    let page = phone
        .post("/patient/screening/step/medical", &partial)
        .await;
    assert_eq!(page.location(), "/patient/screening?notice=saved");

    let laptop = app.client();
    laptop
        .login("ann@clinic.test", crate::support::PASSWORD)
        .await;
    let overview = laptop.get("/patient/screening").await;
    overview
        .assert_contains("Continue your screening")
        .assert_contains("href=\"/patient/screening/step/medical\"");
    laptop
        .get("/patient/screening/step/medical")
        .await
        .assert_contains("id=\"hypertension-yes\" value=\"yes\" checked")
        .assert_contains("Step 1 of 7");

    // Continuing requires every question of the step; the error sits by the question and
    // what was chosen stays chosen.
    let page = laptop
        .post(
            "/patient/screening/step/medical",
            &[
                ("hypertension", "yes"),
                ("stroke", "no"),
                ("heart_disease", "maybe"),
                ("action", "continue"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Answer yes or no.")
        .assert_contains("id=\"stroke-no\" value=\"no\" checked")
        .assert_contains("id=\"hypertension-yes\" value=\"yes\" checked");
    // ... and the saved draft is untouched by the refused post.
    let stroke: Option<bool> =
        sqlx::query_scalar("SELECT (intake->>'stroke')::boolean FROM screenings")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(stroke, None);
}

#[tokio::test]
async fn a_submitted_screening_is_scored_read_only_and_kept_in_history() {
    let app = TestApp::spawn().await;
    let (client, patient_id) = patient_with_profile(&app, "ann@clinic.test", "Ann Example").await;
    fill_screening(
        &client,
        &[
            ("phq9", "item1", "3"),
            ("phq9", "item2", "2"),
            ("gad7", "item1", "1"),
        ],
    )
    .await;
    let review = client.get("/patient/screening/review").await;
    review
        .assert_contains("Total 5: Mild")
        .assert_contains("Have you been told you have high blood pressure")
        .assert_contains("sertraline 50 mg daily");
    let page = submit_screening(&client).await;
    assert_eq!(page.location(), "/patient/screening?notice=submitted");
    client
        .follow(&page)
        .await
        .assert_contains("Awaiting clinician review")
        .assert_contains("has been sent to a clinician");

    let results: Vec<(String, Option<i16>, Option<String>)> = sqlx::query_as("SELECT instrument, total, band FROM questionnaire_results WHERE patient_id = $1 ORDER BY instrument").bind(patient_id).fetch_all(&app.db).await.unwrap();
    assert_eq!(
        results,
        [
            ("cssrs".into(), Some(0), Some("no_risk".into())),
            ("gad7".into(), Some(1), Some("minimal".into())),
            ("phq9".into(), Some(5), Some("mild".into()))
        ]
    );

    // Read-only: no draft to post to, and the database refuses edits.
    let page = post_step(&client, Step::Medical, &answers(Step::Medical, &[])).await;
    assert_eq!(page.location(), "/patient/screening");
    let edit = sqlx::query("UPDATE screenings SET intake = '{}'")
        .execute(&app.db)
        .await
        .unwrap_err();
    assert!(edit.to_string().contains("read-only"), "{edit}");

    // A new screening starts from the previous answers; the old one stays.
    client.post("/patient/screening/start", &[]).await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM screenings WHERE patient_id = $1")
        .bind(patient_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 2);
    client
        .get("/patient/screening/step/medical")
        .await
        .assert_contains("id=\"hypertension-no\" value=\"no\" checked");
    client
        .get("/patient/screening")
        .await
        .assert_contains("Earlier screenings");
}

#[tokio::test]
async fn suicide_risk_shows_crisis_resources_and_jumps_the_queue() {
    let app = TestApp::spawn().await;
    app.sql(
        "UPDATE clinic_settings SET clinic_phone = '+1 555 010 9999', clinic_name = 'Calm Waters'",
    )
    .await;
    let (calm, _) = patient_with_profile(&app, "calm@clinic.test", "Calm Patient").await;
    fill_screening(&calm, &[]).await;
    submit_screening(&calm).await;
    let (risk, risk_patient) = patient_with_profile(&app, "risk@clinic.test", "Risk Patient").await;
    fill_screening(&risk, &[("phq9", "item9", "1")]).await;
    let page = submit_screening(&risk).await;
    assert_eq!(page.location(), "/patient/screening/support");
    risk.follow(&page)
        .await
        .assert_contains("href=\"tel:988\"")
        .assert_contains("href=\"sms:988\"")
        .assert_contains("href=\"tel:911\"")
        .assert_contains("+1 555 010 9999")
        .assert_contains("marked urgent");

    let (urgent, flags): (bool, String) =
        sqlx::query_as("SELECT urgent, flags::text FROM screenings WHERE patient_id = $1")
            .bind(risk_patient)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(urgent);
    assert!(flags.contains("phq9_item9"), "{flags}");
    let notices: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM staff_notifications WHERE role = 'clinician' AND read_at IS NULL",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(notices, 1);

    let (clinician, _) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    clinician
        .get("/clinician")
        .await
        .assert_contains("1 urgent screening")
        .assert_contains("href=\"/clinician/screenings\"");
    let queue = clinician.get("/clinician/screenings").await;
    let risk_at = queue.body.find("Risk Patient").unwrap();
    let calm_at = queue.body.find("Calm Patient").unwrap();
    assert!(
        risk_at < calm_at,
        "the urgent screening is listed first although it came later"
    );
    queue.assert_contains("Urgent");
}

/// The page's patient names in order ("Queue Patient 07", ...), once per row.
fn queue_names(body: &str) -> Vec<String> {
    let mut names: Vec<String> = body
        .match_indices("Queue Patient ")
        .map(|(at, _)| body[at..at + 16].to_owned())
        .collect();
    // Each row names its patient twice: in the cell and in the link's hidden label.
    names.dedup();
    names
}

#[tokio::test]
async fn the_review_queue_pages_forward_and_back_urgent_first_then_oldest() {
    let app = TestApp::spawn().await;
    // 30 waiting screenings, submitted a day apart; numbers 10 and 20 are urgent.
    app.sql(
        "WITH made AS (
             INSERT INTO patients (legal_name, date_of_birth)
             SELECT format('Queue Patient %s', lpad(n::text, 2, '0')), '1980-01-01'
             FROM generate_series(1, 30) n
             RETURNING id, legal_name)
         INSERT INTO screenings (patient_id, status, urgent, submitted_at, phq9_total, phq9_band)
         SELECT id, 'submitted', right(legal_name, 2) IN ('10', '20'),
                now() - (31 - right(legal_name, 2)::int) * interval '1 day', 7, 'mild'
         FROM made",
    )
    .await;
    let (clinician, _) = app.logged_in(Role::Clinician, "casey@clinic.test").await;

    let first = clinician.get("/clinician/screenings").await;
    let names = queue_names(&first.body);
    assert_eq!(names.len(), 25, "{}", first.body);
    assert_eq!(
        names[..3],
        ["Queue Patient 10", "Queue Patient 20", "Queue Patient 01"]
    );
    assert_eq!(names[24], "Queue Patient 25");
    first.assert_contains("<td>7 Mild</td>");
    first.assert_lacks(">Previous<");

    let next_href = first.link_to("Next");
    let second = clinician.get(&next_href).await;
    assert_eq!(
        queue_names(&second.body),
        [
            "Queue Patient 26",
            "Queue Patient 27",
            "Queue Patient 28",
            "Queue Patient 29",
            "Queue Patient 30"
        ]
    );
    second.assert_lacks(">Next<");

    let back = clinician.get(&second.link_to("Previous")).await;
    assert_eq!(queue_names(&back.body), names);
    back.assert_lacks(">Previous<");

    // A page past the end (its screenings decided meanwhile) leads back to the start.
    let last: i64 = sqlx::query_scalar(
        "SELECT s.id FROM screenings s JOIN patients p ON p.id = s.patient_id
         WHERE p.legal_name = 'Queue Patient 30'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let past = clinician
        .get(&format!("/clinician/screenings?after={last}"))
        .await;
    past.assert_contains("No screenings are waiting")
        .assert_contains("href=\"/clinician/screenings\">First page");
}

#[tokio::test]
async fn a_clinician_reviews_acknowledges_flags_and_decides() {
    let app = TestApp::spawn().await;
    let (patient, patient_id) = patient_with_profile(&app, "ann@clinic.test", "Ann Example").await;
    fill_screening(
        &patient,
        &[
            ("medical", "hypertension", "yes"),
            ("medical", "hypertension_controlled", "no"),
            ("pregnancy", "pregnant", "yes"),
            ("medications", "takes_lamotrigine", "on"),
            ("phq9", "item1", "2"),
        ],
    )
    .await;
    submit_screening(&patient).await;
    let screening: i64 = sqlx::query_scalar("SELECT id FROM screenings")
        .fetch_one(&app.db)
        .await
        .unwrap();

    let (clinician, clinician_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let url = format!("/clinician/screenings/{screening}");
    let page = clinician.get(&url).await;
    page.assert_contains("Ann Example")
        .assert_contains("PHQ-9")
        .assert_contains("Minimal")
        .assert_contains("Absolute contraindication")
        .assert_contains("Pregnancy")
        .assert_contains("reported uncontrolled")
        .assert_contains("lamotrigine")
        .assert_contains("Are you breastfeeding?")
        .assert_contains("sertraline 50 mg daily");
    let viewed: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'screening.view' AND patient_id = $1 AND actor_id = $2").bind(patient_id).bind(clinician_id).fetch_one(&app.db).await.unwrap();
    assert_eq!(viewed, 1);

    let decide = |fields: Vec<(String, String)>| {
        let clinician = clinician.clone();
        let url = format!("{url}/decision");
        async move {
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            clinician.post(&url, &pairs).await
        }
    };
    let owned = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<_>>()
    };
    let base = owned(&[
        ("decision", "eligible"),
        (
            "clinician_note",
            "BP to be rechecked on the day; pregnancy test negative today.",
        ),
        ("patient_message", "You can book your first infusion."),
    ]);
    let page = decide(base.clone()).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("Acknowledge every flag")
        .assert_contains("BP to be rechecked on the day");

    let flags: Vec<String> =
        sqlx::query_scalar("SELECT f->>'code' FROM screenings, jsonb_array_elements(flags) f")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let mut with_acks = base.clone();
    with_acks.extend(
        flags
            .iter()
            .map(|code| ("acknowledge".to_owned(), code.clone())),
    );
    let page = decide(with_acks.clone()).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_contains("id=\"override_reason-error\"")
        .assert_contains("An absolute contraindication is flagged");
    let decisions: i64 = sqlx::query_scalar("SELECT count(*) FROM screening_decisions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(decisions, 0);

    with_acks.push((
        "override_reason".into(),
        "Negative pregnancy test in clinic today.".into(),
    ));
    let page = decide(with_acks).await;
    assert_eq!(
        page.location(),
        format!("/clinician/screenings?decided={screening}")
    );
    let (decision, until, by): (String, String, i64) = sqlx::query_as(
        "SELECT decision::text, eligible_until::text, decided_by FROM screening_decisions",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let expected = (time::OffsetDateTime::now_utc().date() + time::Duration::days(180)).to_string();
    assert_eq!(
        (decision.as_str(), until.as_str(), by),
        ("eligible", expected.as_str(), clinician_id)
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"screening.decide".to_owned())
    );
    clinician
        .get("/clinician/screenings")
        .await
        .assert_contains("No screenings are waiting");

    // The patient sees the standing and the message, never the clinical note.
    let overview = patient.get("/patient/screening").await;
    overview
        .assert_contains(&format!("Eligible until {expected}"))
        .assert_contains("You can book your first infusion.")
        .assert_lacks("BP to be rechecked")
        .assert_lacks("Negative pregnancy test");
    patient
        .get(&format!("/patient/screenings/{screening}"))
        .await
        .assert_lacks("BP to be rechecked")
        .assert_contains("You can book your first infusion.");

    // Expired eligibility shows as such, for the patient and the front desk.
    app.sql("UPDATE screening_decisions SET eligible_until = current_date - 1")
        .await;
    patient
        .get("/patient/screening")
        .await
        .assert_contains("Eligibility expired on");
    let (desk, _) = app.logged_in(Role::FrontDesk, "frankie@clinic.test").await;
    desk.get("/front-desk/patients")
        .await
        .assert_contains("Eligibility expired on");
}

#[tokio::test]
async fn the_front_desk_sees_standing_never_answers_scores_or_notes() {
    let app = TestApp::spawn().await;
    let (patient, _) = patient_with_profile(&app, "ann@clinic.test", "Ann Example").await;
    fill_screening(
        &patient,
        &[("phq9", "item1", "3"), ("medical", "liver_disease", "yes")],
    )
    .await;
    submit_screening(&patient).await;
    let screening: i64 = sqlx::query_scalar("SELECT id FROM screenings")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (clinician, _) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let page = clinician
        .post(
            &format!("/clinician/screenings/{screening}/decision"),
            &[
                ("decision", "needs_information"),
                ("clinician_note", "SECRET-NOTE liver panel needed"),
                (
                    "patient_message",
                    "Please send your recent liver test results.",
                ),
                ("acknowledge", "liver_disease"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    patient_with_profile(&app, "bob@clinic.test", "Bob Other").await;

    let (desk, desk_id) = app.logged_in(Role::FrontDesk, "frankie@clinic.test").await;
    let page = desk.get("/front-desk/patients").await;
    page.assert_contains("Ann Example")
        .assert_contains("Clinician needs more information")
        .assert_contains("Bob Other")
        .assert_contains("Screening not started");
    for secret in [
        "SECRET-NOTE",
        "liver",
        "Liver",
        "PHQ",
        "GAD",
        "Total",
        "sertraline",
        "Please send your recent",
        "Moderate",
        "Mild",
        "flag",
    ] {
        page.assert_lacks(secret);
    }
    let search = desk.get("/front-desk/patients?q=bo").await;
    search
        .assert_contains("Bob Other")
        .assert_lacks("Ann Example");
    let listed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'patients.list' AND actor_id = $1",
    )
    .bind(desk_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(listed, 2);
    // The clinician's pages are not the front desk's.
    assert_eq!(
        desk.get(&format!("/clinician/screenings/{screening}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_pcl5_joins_the_screening_when_the_clinic_enables_it() {
    let app = TestApp::spawn().await;
    let (client, _) = patient_with_profile(&app, "ann@clinic.test", "Ann Example").await;
    client.post("/patient/screening/start", &[]).await;
    assert_eq!(
        client.get("/patient/screening/step/pcl5").await.status,
        StatusCode::NOT_FOUND
    );
    app.sql("UPDATE clinic_settings SET pcl5_enabled = true")
        .await;
    let page = client.get("/patient/screening/step/pcl5").await;
    page.assert_contains("PCL-5")
        .assert_contains("Step 8 of 8")
        .assert_contains("Extremely");
}
