//! The infusion flowsheet: check-in, the blood-pressure hold, the dose order, vitals, events,
//! discharge with its signature, the lock on a signed record, addenda, and who may see it.

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::fixtures::{
    NORMAL, acknowledge_all, booked_consultation, check_in, clear_for_infusions, infusion_now,
    infusion_under_way, logged_in_patient, patient, settings_with,
};
use crate::support::{Client, TestApp, count};

async fn reading(client: &Client, sheet: &str, vitals: [(&str, &str); 5]) -> StatusCode {
    client
        .post(&format!("{sheet}/vitals"), &vitals)
        .await
        .status
}

#[tokio::test]
async fn an_infusion_runs_from_check_in_to_a_signed_locked_discharge() {
    let app = TestApp::spawn().await;
    let (casey, _, ann, sheet) = infusion_under_way(&app).await;

    let page = casey.get(&sheet).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Consent current and screening valid.")
        .assert_contains("Complete the check-in.")
        .assert_contains("Order the dose.");
    bad_input_records_nothing_then_the_check_in_is_taken(&app, &casey, &sheet).await;
    the_dose_follows_the_protocol_and_todays_weight(&app, &casey, &sheet).await;
    the_blood_pressure_holds_the_start_until_a_reason_is_given(&app, &casey, &sheet).await;
    vitals_and_events_are_recorded_during_the_infusion(&casey, &sheet).await;
    discharge_names_what_is_missing_then_is_signed(&app, &casey, &sheet).await;
    the_signed_record_is_locked_and_corrected_by_signed_addenda(&app, &casey, &sheet).await;
    the_course_shows_the_outcomes_to_clinician_and_patient(&app, &casey, &sheet, ann).await;
    every_view_and_change_is_audited_with_the_patient(&app, ann).await;
}

/// A check-in or an order with bad input records nothing and says why beside the fields;
/// then a check-in with a baseline over the hold.
async fn bad_input_records_nothing_then_the_check_in_is_taken(
    app: &TestApp,
    casey: &Client,
    sheet: &str,
) {
    // Bad check-in: every problem is named beside its field, the typed input stays and
    // nothing is recorded.
    let bad = casey
        .post(
            &format!("{sheet}/check-in"),
            &[
                ("fasting", "yes"),
                ("weight_kg", "72.4"),
                ("systolic", "300"),
                ("diastolic", "20"),
                ("heart_rate", "80"),
                ("spo2", "120"),
                ("resp_rate", "14"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_contains("id=\"systolic-error\"")
        .assert_contains("id=\"spo2-error\"")
        .assert_contains("value=\"300\"")
        .assert_contains("value=\"120\"")
        .assert_contains("value=\"72.4\"");
    assert_eq!(count(app, "SELECT count(*) FROM infusion_records").await, 0);

    // A dose with no weight recorded is refused with the reason.
    let no_weight = casey
        .post(&format!("{sheet}/order"), &[("lot_number", "KX-1")])
        .await;
    assert_eq!(no_weight.status, StatusCode::UNPROCESSABLE_ENTITY);
    no_weight.assert_contains("id=\"weight-error\"");

    // Check-in with a baseline above the hold threshold (160/100).
    let checked = check_in(casey, sheet, "72.4", ["165", "95", "80", "98", "14"]).await;
    assert_eq!(checked.status, StatusCode::SEE_OTHER, "{}", checked.body);
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM vitals_readings WHERE phase = 'baseline'"
        )
        .await,
        1
    );
}

async fn the_dose_follows_the_protocol_and_todays_weight(
    app: &TestApp,
    casey: &Client,
    sheet: &str,
) {
    // Dose order: the protocol (IV 0.5 mg/kg over 40 min) times today's weight.
    let protocol: i64 = count(app, "SELECT min(id) FROM infusion_protocols").await;
    let protocol = protocol.to_string();
    let too_much = casey
        .post(
            &format!("{sheet}/order"),
            &[
                ("protocol_id", protocol.as_str()),
                ("mg_per_kg", "1.5"),
                ("deviation_reason", "trial"),
                ("lot_number", "KX-1"),
            ],
        )
        .await;
    assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY);
    too_much
        .assert_contains("id=\"mg_per_kg-error\"")
        .assert_contains("value=\"1.5\"");
    let unexplained = casey
        .post(
            &format!("{sheet}/order"),
            &[
                ("protocol_id", protocol.as_str()),
                ("mg_per_kg", "0.6"),
                ("lot_number", "KX-1"),
            ],
        )
        .await;
    assert_eq!(unexplained.status, StatusCode::UNPROCESSABLE_ENTITY);
    unexplained.assert_contains("id=\"deviation_reason-error\"");
    let ordered = casey
        .post(
            &format!("{sheet}/order"),
            &[
                ("protocol_id", protocol.as_str()),
                ("lot_number", "KX-2026/04"),
            ],
        )
        .await;
    assert_eq!(ordered.status, StatusCode::SEE_OTHER, "{}", ordered.body);
    let (dose, route, minutes, lot): (f64, String, i32, String) =
        sqlx::query_as("SELECT dose_mg, route::text, minutes, lot_number FROM infusion_records")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        (dose, route.as_str(), minutes, lot.as_str()),
        (36.2, "iv", 40, "KX-2026/04")
    );
    casey.get(sheet).await.assert_contains("36.2 mg");
}

async fn the_blood_pressure_holds_the_start_until_a_reason_is_given(
    app: &TestApp,
    casey: &Client,
    sheet: &str,
) {
    // The blood pressure holds the start until a reason is given.
    let held = casey.post(&format!("{sheet}/start"), &[]).await;
    assert_eq!(held.status, StatusCode::UNPROCESSABLE_ENTITY);
    held.assert_contains("id=\"bp_override_reason-error\"");
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM infusion_records WHERE started_at IS NOT NULL"
        )
        .await,
        0
    );
    let started = casey
        .post(
            &format!("{sheet}/start"),
            &[(
                "bp_override_reason",
                "Anxious on arrival; 150/90 ten minutes later",
            )],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
}

async fn vitals_and_events_are_recorded_during_the_infusion(casey: &Client, sheet: &str) {
    // Vitals: implausible values are refused and kept; alert values are marked.
    let implausible = casey
        .post(
            &format!("{sheet}/vitals"),
            &[
                ("systolic", "300"),
                ("diastolic", "20"),
                ("heart_rate", "80"),
                ("spo2", "120"),
                ("resp_rate", "14"),
            ],
        )
        .await;
    assert_eq!(implausible.status, StatusCode::UNPROCESSABLE_ENTITY);
    implausible
        .assert_contains("id=\"systolic-error\"")
        .assert_contains("id=\"spo2-error\"")
        .assert_contains("value=\"300\"");
    let alarming = [
        ("systolic", "185"),
        ("diastolic", "100"),
        ("heart_rate", "90"),
        ("spo2", "97"),
        ("resp_rate", "16"),
    ];
    assert_eq!(reading(casey, sheet, alarming).await, StatusCode::SEE_OTHER);
    let during = casey.get(sheet).await;
    during
        .assert_contains("class=\"alert\">185")
        .assert_contains("<svg")
        .assert_contains("data-next-due=");

    // Events: a side effect with its intervention, and the sedation rating.
    let event = casey
        .post(
            &format!("{sheet}/events"),
            &[
                ("kind", "side_effect"),
                ("side_effect", "nausea"),
                ("severity", "mild"),
                ("intervention", "Ondansetron 4 mg IV"),
            ],
        )
        .await;
    assert_eq!(event.status, StatusCode::SEE_OTHER, "{}", event.body);
    let no_rating = casey
        .post(&format!("{sheet}/events"), &[("kind", "moaas")])
        .await;
    assert_eq!(no_rating.status, StatusCode::UNPROCESSABLE_ENTITY);
    no_rating.assert_contains("id=\"moaas-error\"");
    casey
        .post(
            &format!("{sheet}/events"),
            &[("kind", "moaas"), ("moaas", "4")],
        )
        .await;
}

async fn discharge_names_what_is_missing_then_is_signed(
    app: &TestApp,
    casey: &Client,
    sheet: &str,
) {
    // Discharge names what is missing: the infusion has not ended, MOAA/S 4, vitals high,
    // no escort, no acknowledgement, no signature.
    assert_eq!(
        casey.post(&format!("{sheet}/end"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let early = casey
        .post(
            &format!("{sheet}/discharge"),
            &[("signed_name", "Someone Else")],
        )
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    early
        .assert_contains("No MOAA/S rating since the infusion ended")
        .assert_contains("still in the observation time")
        .assert_contains("id=\"escort_present-error\"")
        .assert_contains("id=\"no_driving-error\"")
        .assert_contains("id=\"signed_name-error\"")
        .assert_contains("value=\"Someone Else\"");
    casey
        .post(
            &format!("{sheet}/events"),
            &[("kind", "moaas"), ("moaas", "5")],
        )
        .await;
    // Back within 20 mmHg of the 165/95 baseline (a fall further below it keeps the patient
    // too), and the observation time after the end has passed.
    let recovered = [
        ("systolic", "150"),
        ("diastolic", "88"),
        ("heart_rate", "76"),
        ("spo2", "98"),
        ("resp_rate", "14"),
    ];
    assert_eq!(
        reading(casey, sheet, recovered).await,
        StatusCode::SEE_OTHER
    );
    app.clock.advance(time::Duration::minutes(30));
    // The 185 systolic during the infusion raised an alert the clinician acknowledges.
    acknowledge_all(app, casey, sheet).await;
    let signed = casey
        .post(
            &format!("{sheet}/discharge"),
            &[
                ("escort_present", "yes"),
                ("no_driving", "yes"),
                ("signed_name", " clinician  CASEY "),
                ("meaning", "yes"),
            ],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    casey
        .get(sheet)
        .await
        .assert_contains("Discharged and signed")
        .assert_contains("Ondansetron 4 mg IV");
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM appointments WHERE status = 'completed'"
        )
        .await,
        1
    );
}

async fn the_signed_record_is_locked_and_corrected_by_signed_addenda(
    app: &TestApp,
    casey: &Client,
    sheet: &str,
) {
    // The signed record is locked: by the app and by the database.
    assert_eq!(
        reading(casey, sheet, NORMAL).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    for statement in [
        "UPDATE infusion_records SET weight_kg = 80",
        "DELETE FROM infusion_events",
        "UPDATE vitals_readings SET systolic = 120",
        "INSERT INTO vitals_readings (record_id, phase, systolic, diastolic, heart_rate, spo2, resp_rate, recorded_by)
         SELECT id, 'recovery', 120, 80, 70, 98, 14, opened_by FROM infusion_records",
    ] {
        let refused = sqlx::query(statement).execute(&app.db).await;
        assert!(refused.is_err(), "{statement} was allowed");
    }

    // Corrections are signed addenda beneath it.
    let unsigned = casey
        .post(
            &format!("{sheet}/addenda"),
            &[("body", "Lot was KX-2026/05")],
        )
        .await;
    assert_eq!(unsigned.status, StatusCode::UNPROCESSABLE_ENTITY);
    unsigned.assert_contains("id=\"meaning-error\"");
    let addendum = casey
        .post(
            &format!("{sheet}/addenda"),
            &[
                ("body", "Lot was KX-2026/05"),
                ("signed_name", "Clinician casey"),
                ("meaning", "yes"),
            ],
        )
        .await;
    assert_eq!(addendum.status, StatusCode::SEE_OTHER, "{}", addendum.body);
    casey
        .get(sheet)
        .await
        .assert_contains("Lot was KX-2026/05")
        .assert_contains("Signed by Clinician casey");
}

async fn the_course_shows_the_outcomes_to_clinician_and_patient(
    app: &TestApp,
    casey: &Client,
    sheet: &str,
    ann: i64,
) {
    // The course: scores over time with baseline, response and remission, the infusion
    // given, its side effects, and the follow-up's standing.
    sqlx::query(
        "INSERT INTO questionnaire_results (patient_id, instrument, version, answers, total, context, recorded_at)
         VALUES ($1, 'phq9', '1', '[]', 20, 'session', now() - interval '30 days'),
                ($1, 'gad7', '1', '[]', 15, 'session', now() - interval '30 days'),
                ($1, 'phq9', '1', '[]', 9, 'session', now() - interval '10 days'),
                ($1, 'phq9', '1', '[]', 4, 'session', now() - interval '1 day')",
    )
    .bind(ann)
    .execute(&app.db)
    .await
    .unwrap();
    let course = casey
        .get(&format!("/clinician/patients/{ann}/outcomes"))
        .await;
    assert_eq!(course.status, StatusCode::OK);
    course
        .assert_contains("<svg")
        .assert_contains("Yes: PHQ-9 under 5")
        .assert_contains("Yes: at least 50% below baseline")
        .assert_contains("<td>PHQ-9</td><td>20</td><td>baseline</td>")
        .assert_contains("<td>PHQ-9</td><td>9</td><td>response</td>")
        .assert_contains("<td>PHQ-9</td><td>4</td><td>remission</td>")
        .assert_contains("<dt>Total ketamine</dt><dd>36.2 mg</dd>")
        .assert_contains("<td>Nausea</td><td>1</td><td>100%</td>")
        .assert_contains("Not due: after 5 more infusions");
    // The patient sees the same chart and their sessions, not the clinical notes.
    let ann_client = app.client();
    ann_client
        .login("ann@clinic.test", crate::support::PASSWORD)
        .await;
    let mine = ann_client.get("/patient/progress").await;
    assert_eq!(mine.status, StatusCode::OK);
    mine.assert_contains("My progress")
        .assert_contains("<svg")
        .assert_contains("36.2 mg IV")
        .assert_lacks("Nausea")
        .assert_lacks("Ondansetron")
        .assert_lacks("/infusions/");
    assert_eq!(ann_client.get(sheet).await.status, StatusCode::FORBIDDEN);
}

async fn every_view_and_change_is_audited_with_the_patient(app: &TestApp, ann: i64) {
    // Every view and change is audited with the patient.
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT action FROM audit_log WHERE action LIKE 'infusion.%' AND patient_id = $1
         ORDER BY action",
    )
    .bind(ann)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            "infusion.addendum",
            "infusion.check_in",
            "infusion.end",
            "infusion.event",
            "infusion.order",
            "infusion.sign",
            "infusion.start",
            "infusion.view",
            "infusion.vitals"
        ]
    );
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM audit_log WHERE action = 'outcomes.view'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn the_front_desk_sees_none_of_the_flowsheet_and_an_uncleared_patient_cannot_start() {
    let app = TestApp::spawn().await;
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let bo = patient(&app, "bo@clinic.test").await;
    let sheet = infusion_now(&app, bo, casey_id).await;

    assert_eq!(desk.get(&sheet).await.status, StatusCode::FORBIDDEN);
    let appointment = sheet.replace("/infusions/", "/appointments/");
    desk.get(&appointment).await.assert_lacks("Infusion record");
    casey
        .get(&appointment)
        .await
        .assert_contains("Infusion record");

    // No screening and no consent: the flowsheet names both, and the start is refused.
    let page = casey.get(&sheet).await;
    page.assert_contains("The screening does not clear an infusion")
        .assert_contains("Consent is not current");
    check_in(&casey, &sheet, "80", ["120", "80", "70", "99", "12"]).await;
    let protocol = count(&app, "SELECT min(id) FROM infusion_protocols")
        .await
        .to_string();
    casey
        .post(
            &format!("{sheet}/order"),
            &[("protocol_id", protocol.as_str()), ("lot_number", "A1")],
        )
        .await;
    let refused = casey.post(&format!("{sheet}/start"), &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("Consent is not current");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM infusion_records WHERE started_at IS NOT NULL"
        )
        .await,
        0
    );
    // A consultation has no flowsheet.
    let consultation = booked_consultation(&app, bo, casey_id, "1 day").await;
    assert_eq!(
        casey
            .get(&format!("/infusions/{consultation}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_admin_sets_the_thresholds_and_protocols_the_flowsheet_uses() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "admin@clinic.test").await;
    let page = admin.get("/admin/treatment").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("IV 0.5 mg/kg over 40 min")
        .assert_contains("value=\"160\"");

    let bad = admin
        .post(
            "/admin/treatment",
            &settings_with("bp_hold_systolic", "300"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_contains("id=\"bp_hold_systolic-error\"")
        .assert_contains("value=\"300\"");
    let inverted = admin
        .post(
            "/admin/treatment",
            &settings_with("alert_heart_rate_low", "130"),
        )
        .await;
    inverted.assert_contains("The upper alert bound must be above the lower one.");
    assert_eq!(
        count(&app, "SELECT bp_hold_systolic::bigint FROM clinic_settings").await,
        160
    );
    let saved = admin
        .post(
            "/admin/treatment",
            &settings_with("bp_hold_systolic", "140"),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        count(&app, "SELECT bp_hold_systolic::bigint FROM clinic_settings").await,
        140
    );

    let empty = admin.post("/admin/treatment/protocols", &[]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    empty.assert_contains("id=\"protocol_name-error\"");
    let im = [
        ("protocol_name", "IM 0.75 mg/kg"),
        ("protocol_route", "im"),
        ("protocol_mg_per_kg", "0.75"),
        ("protocol_minutes", "1"),
    ];
    let added = admin.post("/admin/treatment/protocols", &im).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let again = admin.post("/admin/treatment/protocols", &im).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    again.assert_contains("exists already");
    let default = count(&app, "SELECT min(id) FROM infusion_protocols").await;
    let retired = admin
        .post(
            &format!("/admin/treatment/protocols/{default}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(retired.status, StatusCode::SEE_OTHER);

    // The flowsheet follows: 150/95 is now held, and only the IM protocol is offered.
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let ann = patient(&app, "ann@clinic.test").await;
    clear_for_infusions(&app, ann, casey_id).await;
    let sheet = infusion_now(&app, ann, casey_id).await;
    check_in(&casey, &sheet, "80", ["150", "95", "70", "99", "12"]).await;
    let page = casey.get(&sheet).await;
    page.assert_contains("hold threshold (140/100 mmHg)")
        .assert_contains("IM 0.75 mg/kg")
        .assert_lacks("IV 0.5 mg/kg over 40 min");
}

#[tokio::test]
async fn patients_fill_the_pre_session_questionnaires_on_their_phone_and_the_clinician_sees_them() {
    let app = TestApp::spawn().await;
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let (ann, ann_id) = logged_in_patient(&app, "ann@clinic.test").await;
    let sheet = infusion_now(&app, ann_id, casey_id).await;
    let appointment = sheet.trim_start_matches("/infusions/").to_owned();
    let measures = format!("/patient/appointments/{appointment}/measures");

    ann.get("/patient/appointments")
        .await
        .assert_contains(&format!("href=\"{measures}\""));
    let form = ann.get(&measures).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("PHQ-9").assert_contains("GAD-7");

    // One question left out: named beside it, the other answers kept, nothing recorded.
    let mut answers: Vec<(String, String)> = (1..=9)
        .map(|n| {
            (
                format!("phq9_{n}"),
                if n == 9 { "1" } else { "2" }.to_owned(),
            )
        })
        .chain((1..=7).map(|n| (format!("gad7_{n}"), "1".to_owned())))
        .collect();
    let partial: Vec<(&str, &str)> = answers
        .iter()
        .filter(|(k, _)| k != "gad7_4")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let refused = ann.post(&measures, &partial).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused
        .assert_contains("id=\"gad7_4-error\"")
        .assert_contains("name=\"phq9_1\" value=\"2\" checked");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM questionnaire_results WHERE context = 'session'"
        )
        .await,
        0
    );

    // Complete: item 9 above 0 brings the crisis resources at once.
    answers.sort();
    let all: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sent = ann.post(&measures, &all).await;
    assert_eq!(sent.status, StatusCode::OK);
    sent.assert_contains("href=\"tel:988\"");
    let totals: Vec<(String, i16)> = sqlx::query_as(
        "SELECT instrument, total FROM questionnaire_results WHERE appointment_id = $1 ORDER BY instrument",
    )
    .bind(appointment.parse::<i64>().unwrap())
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(totals, [("gad7".to_owned(), 7), ("phq9".to_owned(), 17)]);
    // Sending again records nothing more.
    ann.post(&measures, &all).await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM questionnaire_results WHERE context = 'session'"
        )
        .await,
        2
    );

    casey
        .get(&sheet)
        .await
        .assert_contains("Pre-session PHQ-9: 17")
        .assert_contains("Pre-session GAD-7: 7")
        .assert_contains("PHQ-9 item 9 answered 1");

    // Another patient's infusion, and one more than three days away, are not found.
    let (bo, _) = app.logged_in(Role::Patient, "bo@clinic.test").await;
    assert_eq!(bo.get(&measures).await.status, StatusCode::NOT_FOUND);
    app.sql("UPDATE appointments SET during = tstzrange(now() + interval '5 days', now() + interval '5 days 150 minutes')")
        .await;
    assert_eq!(ann.get(&measures).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_bladder_and_memory_check_falls_due_and_flags_what_needs_review() {
    let app = TestApp::spawn().await;
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let (ann, ann_id) = logged_in_patient(&app, "ann@clinic.test").await;
    // One infusion given four months ago: the three-month follow-up is due.
    sqlx::query(
        "WITH a AS (
             INSERT INTO appointments (patient_id, kind, clinician_id, chair_id, during, status, booked_by)
             VALUES ($1, 'infusion', $2, (SELECT min(id) FROM chairs),
                     tstzrange(now() - interval '4 months', now() - interval '4 months' + interval '150 minutes'),
                     'completed', $2)
             RETURNING id)
         INSERT INTO infusion_records (appointment_id, patient_id, opened_by, protocol_id, mg_per_kg,
                                       dose_mg, route, minutes, lot_number, ordered_by, ordered_at, started_at)
         SELECT a.id, $1, $2, (SELECT min(id) FROM infusion_protocols), 0.5, 40, 'iv', 40, 'L1', $2,
                now() - interval '4 months', now() - interval '4 months'
         FROM a",
    )
    .bind(ann_id)
    .bind(casey_id)
    .execute(&app.db)
    .await
    .unwrap();

    let progress = ann.get("/patient/progress").await;
    progress
        .assert_contains("Due now")
        .assert_contains("href=\"/patient/follow-up\"");
    ann.get("/patient/follow-up")
        .await
        .assert_contains("Blood in your urine");

    let partial = ann
        .post("/patient/follow-up", &[("item_1", "2"), ("item_2", "0")])
        .await;
    assert_eq!(partial.status, StatusCode::UNPROCESSABLE_ENTITY);
    partial
        .assert_contains("id=\"item_8-error\"")
        .assert_contains("name=\"item_1\" value=\"2\" checked");
    let answers = [
        ("item_1", "0"),
        ("item_2", "0"),
        ("item_3", "0"),
        ("item_4", "0"),
        ("item_5", "1"),
        ("item_6", "1"),
        ("item_7", "0"),
        ("item_8", "0"),
    ];
    let sent = ann.post("/patient/follow-up", &answers).await;
    assert_eq!(sent.location(), "/patient/progress?notice=follow-up");
    ann.follow(&sent)
        .await
        .assert_contains("your bladder and memory check is in")
        .assert_contains("Not due")
        .assert_contains("bladder 1 of 15, memory 1 of 9")
        .assert_lacks("Needs a clinician");
    casey
        .get(&format!("/clinician/patients/{ann_id}/outcomes"))
        .await
        .assert_contains("Needs a clinician's review");
    assert!(
        app.audit_actions()
            .await
            .contains(&"follow_up.submit".to_owned())
    );
}

#[tokio::test]
async fn the_course_flowsheet_and_summary_show_changes_made_elsewhere_at_once() {
    let app = TestApp::spawn().await;
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let ann = patient(&app, "ann@clinic.test").await;
    clear_for_infusions(&app, ann, casey_id).await;
    let sheet = infusion_now(&app, ann, casey_id).await;
    let course = format!("/clinician/patients/{ann}/outcomes");
    let other = app.another_process().await;
    let (dana, _) = other.logged_in(Role::Clinician, "dana@clinic.test").await;
    // Let the announcement of Dana's new account (which makes every process read its
    // reference data again) arrive first, so the pages below are kept.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    casey
        .get(&sheet)
        .await
        .assert_contains("Complete the check-in.");
    casey.get(&course).await.assert_contains("Not yet measured");
    casey
        .get(&sheet)
        .await
        .assert_contains("Complete the check-in.");

    // Another app process of the clinic records the check-in: this one shows it at once.
    let checked = check_in(&dana, &sheet, "70", ["120", "80", "70", "98", "14"]).await;
    assert_eq!(checked.status, StatusCode::SEE_OTHER, "{}", checked.body);
    casey
        .get(&sheet)
        .await
        .assert_contains("weight 70 kg")
        .assert_lacks("Complete the check-in.");

    // A score and a new name written straight into the database show at once too.
    app.sql(&format!(
        "INSERT INTO questionnaire_results (patient_id, instrument, version, answers, total, band, context)
         VALUES ({ann}, 'phq9', '1', '[2,2,2,2,2,2,2,2,0]', 16, 'moderately_severe', 'session')"
    ))
    .await;
    casey
        .get(&course)
        .await
        .assert_contains("<dt>PHQ-9 baseline</dt><dd>16 (");
    let summary = format!("/clinician/patients/{ann}/summary");
    casey.get(&summary).await.assert_lacks("Ann Renamed");
    app.sql(&format!(
        "UPDATE patients SET legal_name = 'Ann Renamed' WHERE id = {ann}"
    ))
    .await;
    casey.get(&summary).await.assert_contains("Ann Renamed");
    casey
        .get(&sheet)
        .await
        .assert_contains("Infusion: Ann Renamed");
    casey.get(&course).await.assert_contains("Ann Renamed");
}

#[tokio::test]
async fn a_long_course_pages_its_score_table_and_draws_every_score() {
    let app = TestApp::spawn().await;
    let (casey, _) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let ann = patient(&app, "ann@clinic.test").await;
    // 25 weekly PHQ-9 scores: 20, 19, ... down to 0 and then 0 again, the newest a week ago.
    app.sql(&format!(
        "INSERT INTO questionnaire_results (patient_id, instrument, version, answers, total, context, recorded_at)
         SELECT {ann}, 'phq9', '1', '[]', greatest(20 - n, 0), 'session', now() - (26 - n) * interval '7 days'
         FROM generate_series(0, 24) AS n"
    ))
    .await;
    let course = format!("/clinician/patients/{ann}/outcomes");
    let first = casey.get(&course).await;
    first
        .assert_contains("(page 1 of 2)")
        .assert_contains("href=\"?scores=2#scores\">Older scores</a>")
        .assert_lacks("Newer scores");
    assert_eq!(first.body.matches("<td>PHQ-9</td>").count(), 20);
    // The chart draws all 25 (one line, a marker each while there are few).
    assert_eq!(first.body.matches("<circle").count(), 25);
    let second = casey.get(&format!("{course}?scores=2")).await;
    second
        .assert_contains("(page 2 of 2)")
        .assert_contains("href=\"?scores=1#scores\">Newer scores</a>")
        .assert_contains("<details id=\"scores\" open>")
        .assert_contains("<td>20</td><td>baseline</td>");
    assert_eq!(second.body.matches("<td>PHQ-9</td>").count(), 5);
    // A page past the end, or not a number, shows a page that exists.
    casey
        .get(&format!("{course}?scores=99"))
        .await
        .assert_contains("(page 2 of 2)");
    casey
        .get(&format!("{course}?scores=abc"))
        .await
        .assert_contains("(page 1 of 2)");
}
