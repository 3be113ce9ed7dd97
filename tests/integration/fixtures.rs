//! Shared set-ups: the people, records and sessions tests start from. Each is built through
//! the app's own pages where a person would build it (a profile, a screening, a check-in);
//! records another person owns, or that would take a whole visit to make (a signed consent, a
//! booked appointment, a clinician's decision), are written straight to the database.

use std::sync::{Arc, Mutex};

use clinic::auth::model::Role;
use clinic::notify::Mailer;
use clinic::patients::model::SexAtBirth;
use clinic::screening::model::{self, Step};
use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::support::{Client, Page, TestApp, database_url, test_config};

// People ----------------------------------------------------------------------------------

/// A patient account (no profile yet); returns the patient's id.
pub(crate) async fn patient(app: &TestApp, email: &str) -> i64 {
    let user = app.add_user(Role::Patient, email).await;
    patient_of_user(app, user).await
}

/// The patient record of a patient's user account.
pub(crate) async fn patient_of_user(app: &TestApp, user_id: i64) -> i64 {
    sqlx::query_scalar("SELECT id FROM patients WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// The profile form as a patient fills it in (metric units).
pub(crate) const PROFILE: [(&str, &str); 11] = [
    ("legal_name", "Ann Example"),
    ("preferred_name", "Annie"),
    ("date_of_birth", "1984-03-27"),
    ("sex_at_birth", "female"),
    ("phone", "+1 555 010 2000"),
    ("address", "1 Main St, Springfield"),
    ("emergency_contact_name", "Bob Example"),
    ("emergency_contact_phone", "555 010 3000"),
    ("weight", "72.5"),
    ("weight_unit", "kg"),
    ("height_cm", "168"),
];

/// A patient logged in, with their profile saved through the profile page under `name`;
/// returns their client and patient id.
pub(crate) async fn patient_with_profile(app: &TestApp, email: &str, name: &str) -> (Client, i64) {
    let (client, user_id) = app.logged_in(Role::Patient, email).await;
    let mut profile: Vec<(&str, &str)> = PROFILE.to_vec();
    profile[0] = ("legal_name", name);
    profile.push(("height_unit", "cm"));
    let page = client.post("/patient/profile", &profile).await;
    assert_eq!(page.location(), "/patient/profile?saved=1", "{}", page.body);
    (client, patient_of_user(app, user_id).await)
}

/// A clinician working 09:00-17:00 every day of the week; returns their user id.
pub(crate) async fn clinician_working_every_day(app: &TestApp, email: &str) -> i64 {
    let id = app.add_user(Role::Clinician, email).await;
    sqlx::query(
        "INSERT INTO clinician_hours (clinician_id, weekday, starts, ends)
         SELECT $1, d, '09:00', '17:00' FROM generate_series(1, 7) AS d",
    )
    .bind(id)
    .execute(&app.db)
    .await
    .unwrap();
    // What PostgreSQL will announce a moment later, this process learns at once.
    app.sessions.forget_all();
    id
}

/// Logs in as a demo account, reading the second factor as `clinic demo code` does.
pub(crate) async fn demo_login(app: &TestApp, email: &str, password: &str) -> Client {
    let client = Client::new(&app.base);
    let page = client
        .post(
            "/login",
            &[("email", email), ("password", password), ("next", "")],
        )
        .await;
    let page = if page.location() == "/login/two-factor" {
        let code = clinic::demo::authenticator_code(&app.db, email)
            .await
            .unwrap();
        client.post("/login/two-factor", &[("code", &code)]).await
    } else {
        page
    };
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{email}: {}", page.body);
    client
}

/// A patient logged in (no profile yet); returns their client and patient id.
pub(crate) async fn logged_in_patient(app: &TestApp, email: &str) -> (Client, i64) {
    let (client, user_id) = app.logged_in(Role::Patient, email).await;
    (client, patient_of_user(app, user_id).await)
}

// Screening -------------------------------------------------------------------------------

/// Harmless answers for a whole step ("no" to everything, lowest scores), with overrides.
pub(crate) fn answers(step: Step, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = match step {
        Step::Instrument(id) => {
            let instrument = clinic::screening::instruments::instrument(id);
            instrument
                .items
                .iter()
                .filter(|i| id.code() != "cssrs" || [1, 2, 6].contains(&i.number))
                .map(|i| (format!("item{}", i.number), "0".to_owned()))
                .collect()
        }
        Step::Medications => vec![
            ("medications".into(), "sertraline 50 mg daily".into()),
            ("allergies".into(), "none".into()),
        ],
        _ => model::questions(step)
            .iter()
            .filter(|q| q.only_if_yes_to.is_none())
            .map(|q| (q.key.to_owned(), "no".to_owned()))
            .collect(),
    };
    if step == Step::Psychiatric {
        form.push(("antidepressant_trials".into(), "2".into()));
    }
    for (key, value) in overrides {
        form.retain(|(k, _)| k != key);
        form.push(((*key).to_owned(), (*value).to_owned()));
    }
    form.push(("action".into(), "continue".into()));
    form
}

pub(crate) async fn post_step(client: &Client, step: Step, form: &[(String, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    client
        .post(&format!("/patient/screening/step/{}", step.slug()), &pairs)
        .await
}

/// Starts and answers every step; `overrides` are (step slug, field, value).
pub(crate) async fn fill_screening(client: &Client, overrides: &[(&str, &str, &str)]) {
    let page = client.post("/patient/screening/start", &[]).await;
    assert_eq!(
        page.location(),
        "/patient/screening/step/medical",
        "{}",
        page.body
    );
    for step in model::steps(Some(SexAtBirth::Female), false) {
        let mine: Vec<(&str, &str)> = overrides
            .iter()
            .filter(|(s, _, _)| *s == step.slug())
            .map(|(_, k, v)| (*k, *v))
            .collect();
        let page = post_step(client, step, &answers(step, &mine)).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "{}: {}",
            step.slug(),
            page.body
        );
    }
}

/// Sends the filled-in screening from its review page.
pub(crate) async fn submit_screening(client: &Client) -> Page {
    client
        .get("/patient/screening/review")
        .await
        .assert_contains("Send my screening to the clinic");
    client.post("/patient/screening/submit", &[]).await
}

/// A screening the patient with user account `patient_user` has sent, not yet reviewed (no
/// answers: enough for pages that take a screening's id).
pub(crate) async fn submitted_screening(app: &TestApp, patient_user: i64) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO screenings (patient_id, status, submitted_at)
         SELECT id, 'submitted', now() FROM patients WHERE user_id = $1 RETURNING id",
    )
    .bind(patient_user)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

// Consent ---------------------------------------------------------------------------------

/// The consent every clinic starts with (version 1); its id.
pub(crate) async fn first_consent_version(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT id FROM consent_versions WHERE version = 1")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// The patient's own signature of the first consent, under their legal name; its id.
pub(crate) async fn signed_consent(app: &TestApp, patient_id: i64) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO consent_signatures (version_id, patient_id, signer, signer_user_id,
             printed_name, meaning, text_sha256, client_addr, user_agent)
         SELECT v.id, p.id, 'patient', p.user_id, p.legal_name, 'I consent', v.text_sha256, '127.0.0.1', 'test'
         FROM consent_versions v, patients p WHERE v.version = 1 AND p.id = $1
         RETURNING id",
    )
    .bind(patient_id)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

// Scheduling ------------------------------------------------------------------------------

/// Screening found eligible and the current consent signed: cleared for infusions.
pub(crate) async fn clear_for_infusions(app: &TestApp, patient_id: i64, clinician: i64) {
    sqlx::query(
        "WITH s AS (INSERT INTO screenings (patient_id, status, submitted_at)
                    VALUES ($1, 'decided', now()) RETURNING id)
         INSERT INTO screening_decisions (screening_id, decision, clinician_note, patient_message,
                                          eligible_until, decided_by)
         SELECT id, 'eligible', 'ok', 'ok', current_date + 180, $2 FROM s",
    )
    .bind(patient_id)
    .bind(clinician)
    .execute(&app.db)
    .await
    .unwrap();
    signed_consent(app, patient_id).await;
}

/// A 30-minute consultation of the patient with `clinician` (who booked it), starting
/// `starts_in` from now (a PostgreSQL interval, e.g. "2 days"); its id.
pub(crate) async fn booked_consultation(
    app: &TestApp,
    patient_id: i64,
    clinician: i64,
    starts_in: &str,
) -> i64 {
    booked(app, "consultation", patient_id, clinician, starts_in).await
}

/// A 150-minute infusion of the patient with `clinician` (who booked it) in the first chair,
/// starting `starts_in` from now (a PostgreSQL interval, e.g. "3 days"); its id.
pub(crate) async fn booked_infusion(
    app: &TestApp,
    patient_id: i64,
    clinician: i64,
    starts_in: &str,
) -> i64 {
    booked(app, "infusion", patient_id, clinician, starts_in).await
}

/// An appointment of `kind` as the clinician would book it: an infusion takes the first chair
/// for 150 minutes, anything else no chair for 30.
async fn booked(
    app: &TestApp,
    kind: &str,
    patient_id: i64,
    clinician: i64,
    starts_in: &str,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO appointments (patient_id, kind, clinician_id, chair_id, during, booked_by)
         SELECT $1, $4::appointment_kind, $2, chair, tstzrange(now() + $3::interval, now() + $3::interval + length), $2
         FROM (SELECT CASE WHEN $4 = 'infusion' THEN (SELECT min(id) FROM chairs) END AS chair,
                      CASE WHEN $4 = 'infusion' THEN interval '150 minutes' ELSE interval '30 minutes' END AS length) AS k
         RETURNING id",
    )
    .bind(patient_id)
    .bind(clinician)
    .bind(starts_in)
    .bind(kind)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

// The flowsheet ---------------------------------------------------------------------------

/// An infusion of `patient_id` with `clinician` that began ten minutes ago; its flowsheet's path.
pub(crate) async fn infusion_now(app: &TestApp, patient_id: i64, clinician: i64) -> String {
    let id = booked_infusion(app, patient_id, clinician, "-10 minutes").await;
    format!("/infusions/{id}")
}

/// A clinician logged in and a patient cleared for infusions, with an infusion under way now:
/// the clinician, their id, the patient's id and the flowsheet's path.
pub(crate) async fn infusion_under_way(app: &TestApp) -> (Client, i64, i64, String) {
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let ann = patient(app, "ann@clinic.test").await;
    clear_for_infusions(app, ann, casey_id).await;
    let sheet = infusion_now(app, ann, casey_id).await;
    (casey, casey_id, ann, sheet)
}

/// Usual baseline vitals, as the check-in and vitals forms take them.
pub(crate) const NORMAL: [(&str, &str); 5] = [
    ("systolic", "128"),
    ("diastolic", "82"),
    ("heart_rate", "76"),
    ("spo2", "98"),
    ("resp_rate", "14"),
];

/// A complete check-in: fasted, escort confirmed, pregnancy test negative, today's weight and
/// the baseline vitals (systolic, diastolic, heart rate, SpO2, respiratory rate).
pub(crate) async fn check_in(
    client: &Client,
    sheet: &str,
    weight_kg: &str,
    vitals: [&str; 5],
) -> Page {
    let [systolic, diastolic, heart_rate, spo2, resp_rate] = vitals;
    client
        .post(
            &format!("{sheet}/check-in"),
            &[
                ("fasting", "yes"),
                ("escort", "yes"),
                ("pregnancy_test", "negative"),
                ("weight_kg", weight_kg),
                ("systolic", systolic),
                ("diastolic", diastolic),
                ("heart_rate", heart_rate),
                ("spo2", spo2),
                ("resp_rate", resp_rate),
            ],
        )
        .await
}

/// Orders the first protocol's dose (by today's weight) with lot KX-1.
pub(crate) async fn order_protocol_dose(app: &TestApp, client: &Client, sheet: &str) {
    let protocol: i64 = sqlx::query_scalar("SELECT min(id) FROM infusion_protocols")
        .fetch_one(&app.db)
        .await
        .unwrap();
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

/// Acknowledges every open alert of the infusion at `sheet` from the flowsheet.
pub(crate) async fn acknowledge_all(app: &TestApp, client: &Client, sheet: &str) {
    let appointment: i64 = sheet.trim_start_matches("/infusions/").parse().unwrap();
    let open: Vec<i64> = sqlx::query_scalar(
        "SELECT a.id FROM clinical_alerts a JOIN appointments p ON p.patient_id = a.patient_id
         WHERE p.id = $1 AND a.cleared_at IS NULL",
    )
    .bind(appointment)
    .fetch_all(&app.db)
    .await
    .unwrap();
    for alert in open {
        let cleared = client
            .post(
                &format!("{sheet}/alerts/{alert}/clear"),
                &[(
                    "note",
                    "Seen at the bedside; observed, settled without treatment.",
                )],
            )
            .await;
        assert_eq!(cleared.status, StatusCode::SEE_OTHER, "{}", cleared.body);
    }
}

/// The infusion settings as they ship, as the admin form posts them.
pub(crate) const DEFAULT_SETTINGS: [(&str, &str); 23] = [
    ("bp_hold_systolic", "160"),
    ("bp_hold_diastolic", "100"),
    ("max_mg_per_kg", "1"),
    ("max_mg", "100"),
    ("vitals_interval_minutes", "15"),
    ("alert_systolic_low", "90"),
    ("alert_systolic_high", "180"),
    ("alert_diastolic_low", "50"),
    ("alert_diastolic_high", "110"),
    ("alert_heart_rate_low", "50"),
    ("alert_heart_rate_high", "120"),
    ("alert_spo2_low", "92"),
    ("alert_resp_rate_low", "10"),
    ("alert_resp_rate_high", "24"),
    ("discharge_bp_margin", "20"),
    ("discharge_hr_margin", "20"),
    ("follow_up_every_infusions", "6"),
    ("follow_up_every_months", "3"),
    ("weight_change_confirm_pct", "10"),
    ("min_observation_minutes", "30"),
    ("discharge_systolic_min", "90"),
    ("short_infusion_pct", "75"),
    ("cadss_alert_threshold", "30"),
];

/// The admin's infusion settings form as shipped, with one field changed.
pub(crate) fn settings_with(field: &str, value: &'static str) -> Vec<(&'static str, &'static str)> {
    DEFAULT_SETTINGS
        .iter()
        .map(|(f, v)| (*f, if *f == field { value } else { *v }))
        .collect()
}

// Mail ------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default)]
pub(crate) struct Delivered {
    pub(crate) recipients: Vec<String>,
    pub(crate) data: String,
}

/// Speaks just enough SMTP to accept messages, and keeps them.
pub(crate) async fn fake_relay() -> (String, Arc<Mutex<Vec<Delivered>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let inbox: Arc<Mutex<Vec<Delivered>>> = Arc::default();
    let kept = inbox.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let inbox = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake relay\r\n").await.unwrap();
                let mut current = Delivered::default();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 fake relay\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        current
                            .recipients
                            .push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                        b"250 ok\r\n"
                    } else if upper.starts_with("DATA") {
                        write.write_all(b"354 go ahead\r\n").await.unwrap();
                        while let Ok(Some(data_line)) = lines.next_line().await {
                            if data_line == "." {
                                break;
                            }
                            current.data.push_str(&data_line);
                            current.data.push('\n');
                        }
                        inbox.lock().unwrap().push(std::mem::take(&mut current));
                        b"250 queued\r\n"
                    } else if upper.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (url, inbox)
}

/// A mailer sending through the relay at `url`.
pub(crate) fn mailer_for(url: &str) -> Mailer {
    let mut config = test_config(database_url());
    config.smtp_url = Some(url.to_owned());
    Mailer::from_config(&config).unwrap().unwrap()
}
