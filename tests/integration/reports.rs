//! Clinic reports (the page, its CSV, bad ranges, the audit trail) and the printable patient
//! summary. The report's figures are checked exactly against a small clinic set up here, in
//! the first quarter of 2025 (clinic time: America/New_York).

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::fixtures::{clear_for_infusions, patient};
use crate::support::TestApp;

const QUARTER: &str = "from=2025-01-01&until=2025-03-31";

/// A signed infusion of `patient` starting at `at` (UTC, "2025-01-10 15:00"); its record id.
async fn signed_infusion(
    app: &TestApp,
    patient: i64,
    clinician: i64,
    at: &str,
    dose_mg: f64,
    protocol: i64,
    side_effects: &[&str],
) -> i64 {
    let record = infusion(app, patient, clinician, at, dose_mg, protocol, "completed").await;
    for effect in side_effects {
        side_effect(app, record, clinician, effect).await;
    }
    sqlx::query(
        "UPDATE infusion_records SET escort_present = true, no_driving_acknowledged = true,
                signed_by = $2, signed_name = 'Dr Casey', signature_meaning = 'Discharged',
                signed_at = started_at + interval '2 hours'
         WHERE id = $1",
    )
    .bind(record)
    .bind(clinician)
    .execute(&app.db)
    .await
    .unwrap();
    record
}

/// An infusion appointment and its record, started and ended but not signed.
async fn infusion(
    app: &TestApp,
    patient: i64,
    clinician: i64,
    at: &str,
    dose_mg: f64,
    protocol: i64,
    status: &str,
) -> i64 {
    sqlx::query_scalar(
        "WITH a AS (
             INSERT INTO appointments (patient_id, kind, clinician_id, chair_id, during, status, booked_by)
             VALUES ($1, 'infusion', $2, (SELECT min(id) FROM chairs),
                     tstzrange($3::timestamptz, $3::timestamptz + interval '150 minutes'),
                     $6::appointment_status, $2)
             RETURNING id)
         INSERT INTO infusion_records (appointment_id, patient_id, opened_by, protocol_id, mg_per_kg,
                                       dose_mg, route, minutes, lot_number, ordered_by, ordered_at,
                                       started_at, ended_at)
         SELECT a.id, $1, $2, $5, p.mg_per_kg, $4, 'iv', 40, 'LOT-1', $2, $3::timestamptz,
                $3::timestamptz + interval '5 minutes', $3::timestamptz + interval '45 minutes'
         FROM a, infusion_protocols p WHERE p.id = $5
         RETURNING id",
    )
    .bind(patient)
    .bind(clinician)
    .bind(format!("{at}+00"))
    .bind(dose_mg)
    .bind(protocol)
    .bind(status)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

async fn side_effect(app: &TestApp, record: i64, clinician: i64, effect: &str) {
    sqlx::query(
        "INSERT INTO infusion_events (record_id, kind, side_effect, severity, recorded_by)
         VALUES ($1, 'side_effect', $2, 'mild', $3)",
    )
    .bind(record)
    .bind(effect)
    .bind(clinician)
    .execute(&app.db)
    .await
    .unwrap();
}

/// A scored questionnaire recorded at `at` (UTC).
async fn score(app: &TestApp, patient: i64, instrument: &str, total: i16, band: &str, at: &str) {
    sqlx::query(
        "INSERT INTO questionnaire_results (patient_id, instrument, version, answers, total, band,
                                            context, recorded_at)
         VALUES ($1, $2, '1', '[]', $3, $4, 'session', $5::timestamptz)",
    )
    .bind(patient)
    .bind(instrument)
    .bind(total)
    .bind(band)
    .bind(format!("{at}+00"))
    .execute(&app.db)
    .await
    .unwrap();
}

/// A consultation at `at` (UTC) that ended as `status`, cancelled late or not.
async fn consultation(
    app: &TestApp,
    patient: i64,
    clinician: i64,
    at: &str,
    status: &str,
    late: bool,
) {
    sqlx::query(
        "INSERT INTO appointments (patient_id, kind, clinician_id, during, status, late_cancellation, booked_by)
         VALUES ($1, 'consultation', $2,
                 tstzrange($3::timestamptz, $3::timestamptz + interval '30 minutes'),
                 $4::appointment_status, $5, $2)",
    )
    .bind(patient)
    .bind(clinician)
    .bind(format!("{at}+00"))
    .bind(status)
    .bind(late)
    .execute(&app.db)
    .await
    .unwrap();
}

/// The first quarter of 2025: Ann's 6th infusion (response, no remission), Bob's two and an
/// unsigned one, Cy's whole induction of six (response and remission), side effects, missed
/// appointments, and things just outside the quarter that must not count. Returns the ids of
/// Ann, Bob and Cy.
async fn clinic_quarter(app: &TestApp, clinician: i64) -> (i64, i64, i64) {
    let standard: i64 = sqlx::query_scalar("SELECT min(id) FROM infusion_protocols")
        .fetch_one(&app.db)
        .await
        .unwrap();
    // A protocol whose name a spreadsheet would run as a formula.
    let formula: i64 = sqlx::query_scalar(
        "INSERT INTO infusion_protocols (name, route, mg_per_kg, minutes)
         VALUES ('=HYPERLINK(\"http://evil.test\",\"click\")', 'iv', 0.5, 40) RETURNING id",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let ann = patient(app, "ann@clinic.test").await;
    let bob = patient(app, "bob@clinic.test").await;
    let cy = patient(app, "cy@clinic.test").await;

    // Ann: baseline 20; infusions 1-5 before the quarter (the 5th late on 31 December, clinic
    // time), the 6th inside it; the first PHQ-9 after it is 8: response, not remission.
    score(app, ann, "phq9", 20, "severe", "2024-11-25 15:00").await;
    score(
        app,
        ann,
        "phq9",
        18,
        "moderately_severe",
        "2024-11-30 15:00",
    )
    .await;
    let first = signed_infusion(
        app,
        ann,
        clinician,
        "2024-12-02 15:00",
        36.0,
        standard,
        &["vomiting"],
    )
    .await;
    assert!(first > 0);
    for day in ["2024-12-05", "2024-12-09", "2024-12-12"] {
        signed_infusion(
            app,
            ann,
            clinician,
            &format!("{day} 15:00"),
            36.0,
            standard,
            &[],
        )
        .await;
    }
    signed_infusion(app, ann, clinician, "2025-01-01 04:30", 36.0, standard, &[]).await;
    score(app, ann, "phq9", 25, "severe", "2025-01-08 15:00").await;
    signed_infusion(
        app,
        ann,
        clinician,
        "2025-01-10 15:00",
        36.0,
        standard,
        &["nausea", "nausea"],
    )
    .await;
    score(app, ann, "phq9", 8, "mild", "2025-01-12 15:00").await;
    score(app, ann, "phq9", 3, "minimal", "2025-02-01 15:00").await;

    // Bob: two signed infusions (the second at 23:00 on 31 March, clinic time) and one
    // started but never signed, which does not count.
    signed_infusion(
        app,
        bob,
        clinician,
        "2025-01-06 15:00",
        40.0,
        standard,
        &["nausea"],
    )
    .await;
    signed_infusion(app, bob, clinician, "2025-04-01 03:00", 40.0, formula, &[]).await;
    let unsigned = infusion(
        app,
        bob,
        clinician,
        "2025-01-20 15:00",
        40.0,
        standard,
        "checked_in",
    )
    .await;
    side_effect(app, unsigned, clinician, "agitation").await;

    // Cy: baseline 12, six infusions of 30 mg at 0.4 mg/kg in February, then a PHQ-9 of 4.
    sqlx::query("UPDATE infusion_protocols SET mg_per_kg = 0.4 WHERE id = $1")
        .bind(standard)
        .execute(&app.db)
        .await
        .unwrap();
    score(app, cy, "phq9", 12, "moderate", "2025-01-20 15:00").await;
    let days = [
        "2025-02-03",
        "2025-02-05",
        "2025-02-07",
        "2025-02-10",
        "2025-02-12",
        "2025-02-14",
    ];
    for (i, day) in days.iter().enumerate() {
        let effects: &[&str] = if i == 0 {
            &["nausea", "dissociation"]
        } else {
            &[]
        };
        signed_infusion(
            app,
            cy,
            clinician,
            &format!("{day} 15:00"),
            30.0,
            standard,
            effects,
        )
        .await;
    }
    score(app, cy, "phq9", 4, "minimal", "2025-02-17 15:00").await;

    // Missed appointments: a no-show and a late cancellation count; a cancellation in good
    // time and a no-show after the quarter do not.
    consultation(app, bob, clinician, "2025-02-20 15:00", "no_show", false).await;
    consultation(app, cy, clinician, "2025-03-05 15:00", "cancelled", true).await;
    consultation(app, cy, clinician, "2025-03-06 15:00", "cancelled", false).await;
    consultation(app, bob, clinician, "2025-04-02 15:00", "no_show", false).await;
    (ann, bob, cy)
}

/// Parses RFC 4180 text: records of fields, quoted fields with doubled quotes, CRLF endings.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => {
                assert_ne!(c, '\n', "bare LF ends a record");
                field.push(c);
            }
        }
    }
    assert!(
        record.is_empty() && field.is_empty(),
        "the last record ends with CRLF"
    );
    records
}

fn row<'a>(records: &'a [Vec<String>], section: &str, item: &str) -> &'a [String] {
    records
        .iter()
        .find(|r| r[0] == section && r[1] == item)
        .unwrap_or_else(|| panic!("no row {section} / {item} in {records:?}"))
}

#[tokio::test]
async fn the_report_shows_a_quarters_figures_on_the_page_and_in_the_csv() {
    let app = TestApp::spawn().await;
    let clinician = app.add_user(Role::Clinician, "casey@clinic.test").await;
    let (admin, admin_id) = app.logged_in(Role::Admin, "ada@clinic.test").await;
    clinic_quarter(&app, clinician).await;

    let page = admin.get(&format!("/admin/reports?{QUARTER}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("From <strong>2025-01-01</strong> to <strong>2025-03-31</strong>")
        .assert_contains("America/New_York")
        // Ann's 6th, Bob's two, Cy's six: 296 mg over 9, (3 x 0.5 + 6 x 0.4) / 9 mg/kg.
        .assert_contains("id=\"infusions-given\">9</dd>")
        .assert_contains("id=\"average-mg\">32.9 mg</dd>")
        .assert_contains("id=\"average-mg-per-kg\">0.43 mg/kg</dd>")
        .assert_contains(
            "<td>IV 0.5 mg/kg over 40 min</td><td>8</td><td>88.9%</td><td>32.0 mg</td>",
        )
        .assert_contains("<td>1</td><td>11.1%</td><td>40.0 mg</td>")
        .assert_contains("evil.test")
        .assert_lacks("\"http://evil.test\"")
        // Side effects: in 3 and 1 of the 9 (Ann's two nausea events are one infusion).
        .assert_contains("<td>Nausea</td><td>3</td><td>33.3%</td>")
        .assert_contains("<td>Dissociation</td><td>1</td><td>11.1%</td>")
        .assert_contains("<td>Vomiting</td><td>0</td><td>0.0%</td>")
        .assert_contains("<td>Agitation</td><td>0</td><td>0.0%</td>")
        // Ten infusion appointments kept, a no-show and a late cancellation.
        .assert_contains("<dt>Appointments due</dt><dd>12</dd>")
        .assert_contains("<dt>No-shows</dt><dd>1 (8.3%)</dd>")
        .assert_contains("<dt>Late cancellations</dt><dd>1 (8.3%)</dd>")
        // Ann and Cy reached their 6th infusion: both responded, Cy is in remission.
        .assert_contains("<dt>Reached the 6th infusion</dt><dd>2</dd>")
        .assert_contains("<dt>Response</dt><dd>2 of 2 (100.0%)</dd>")
        .assert_contains("<dt>Remission</dt><dd>1 of 2 (50.0%)</dd>")
        // Charts with their tables: 14 weeks from Wednesday 1 January.
        .assert_contains("<title id=\"chart-infusions-given-per-week-title\">")
        .assert_contains("<title id=\"chart-side-effects-share-of-infusions-title\">")
        .assert_contains("<tr><td>31 Mar 2025</td><td>1</td></tr>")
        .assert_contains("<tr><td>3 Feb 2025</td><td>3</td></tr>")
        .assert_contains("href=\"/admin/reports.csv?from=2025-01-01&#38;until=2025-03-31\"")
        .assert_contains("aria-current=\"page\">Reports</a>");

    let csv = admin.get(&format!("/admin/reports.csv?{QUARTER}")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        csv.header("content-disposition"),
        "attachment; filename=\"clinic-report-2025-01-01-to-2025-03-31.csv\""
    );
    // The formula is neutralised and quoted: a spreadsheet shows it as text.
    assert!(
        csv.body.contains(
            "protocol,\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"click\"\")\",1,9,11.1,40.0,mg average\r\n"
        ),
        "{}",
        csv.body
    );
    let records = parse_csv(&csv.body);
    assert_eq!(
        records[0],
        [
            "section", "item", "count", "out_of", "percent", "value", "unit"
        ]
    );
    assert!(records.iter().all(|r| r.len() == 7), "{records:?}");
    assert_eq!(row(&records, "range", "first day")[5], "2025-01-01");
    assert_eq!(row(&records, "range", "last day")[5], "2025-03-31");
    assert_eq!(row(&records, "range", "time zone")[5], "America/New_York");
    assert_eq!(row(&records, "infusions", "given")[2], "9");
    assert_eq!(
        row(&records, "infusions", "average dose")[5..],
        ["32.9", "mg"]
    );
    assert_eq!(
        row(&records, "infusions", "average dose per kg")[5..],
        ["0.43", "mg/kg"]
    );
    assert_eq!(
        row(
            &records,
            "protocol",
            "'=HYPERLINK(\"http://evil.test\",\"click\")"
        )[2..5],
        ["1", "9", "11.1"]
    );
    assert_eq!(row(&records, "infusions per week", "2025-01-01")[2], "0");
    assert_eq!(row(&records, "infusions per week", "2025-01-06")[2], "2");
    assert_eq!(row(&records, "infusions per week", "2025-03-31")[2], "1");
    let weeks = records.iter().filter(|r| r[0] == "infusions per week");
    assert_eq!(weeks.count(), 14);
    assert_eq!(
        row(&records, "side effects", "Nausea")[2..5],
        ["3", "9", "33.3"]
    );
    assert_eq!(
        row(&records, "side effects", "Dissociation")[2..5],
        ["1", "9", "11.1"]
    );
    assert_eq!(row(&records, "appointments", "due")[2], "12");
    assert_eq!(
        row(&records, "appointments", "no-shows")[2..5],
        ["1", "12", "8.3"]
    );
    assert_eq!(
        row(&records, "appointments", "late cancellations")[2..5],
        ["1", "12", "8.3"]
    );
    assert_eq!(
        row(&records, "outcomes", "reached the 6th infusion")[2],
        "2"
    );
    assert_eq!(
        row(&records, "outcomes", "response")[2..5],
        ["2", "2", "100.0"]
    );
    assert_eq!(
        row(&records, "outcomes", "remission")[2..5],
        ["1", "2", "50.0"]
    );

    // Both are in the audit trail with the range, and with no patient: the figures are
    // the clinic's, not anyone's record.
    type Audited = (String, Option<String>, Option<i64>, Option<i64>);
    let audited: Vec<Audited> = sqlx::query_as(
        "SELECT action, detail, patient_id, actor_id FROM audit_log
         WHERE action LIKE 'report.%' ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let range = Some("2025-01-01..2025-03-31".to_owned());
    assert_eq!(
        audited,
        vec![
            (
                "report.view".to_owned(),
                range.clone(),
                None,
                Some(admin_id)
            ),
            ("report.csv".to_owned(), range, None, Some(admin_id)),
        ]
    );
}

#[tokio::test]
async fn bad_ranges_are_named_beside_the_field_and_kept() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "ada@clinic.test").await;

    let unreadable = admin
        .get("/admin/reports?from=31%2F01%2F2025&until=2025-03-31")
        .await;
    assert_eq!(unreadable.status, StatusCode::UNPROCESSABLE_ENTITY);
    unreadable
        .assert_contains("id=\"from-error\"")
        .assert_contains("year-month-day")
        .assert_contains("value=\"31/01/2025\"")
        .assert_contains("value=\"2025-03-31\"")
        .assert_lacks("Infusions given");

    let backwards = admin
        .get("/admin/reports?from=2025-03-31&until=2025-01-01")
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    backwards
        .assert_contains("id=\"until-error\"")
        .assert_contains("on or after the first day");

    let too_long = admin
        .get("/admin/reports?from=2015-01-01&until=2025-01-01")
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    too_long.assert_contains("at most 5 years");

    // The download says the same, as a page.
    let csv = admin.get("/admin/reports.csv?from=2025-03-31&until=").await;
    assert_eq!(csv.status, StatusCode::UNPROCESSABLE_ENTITY);
    csv.assert_contains("id=\"until-error\"");

    // No range: the last three full months, and the page says so.
    let default = admin.get("/admin/reports").await;
    assert_eq!(default.status, StatusCode::OK);
    default
        .assert_contains("No range was chosen, so this shows the last three full months.")
        .assert_contains("id=\"infusions-given\">0</dd>")
        .assert_contains("<dt>Response</dt><dd>0 of 0 (—)</dd>")
        .assert_contains("No signed infusions in this range.")
        .assert_lacks("Infusions given per week")
        .assert_contains("No infusions, so no side-effect rates.");
    // Nothing shown, nothing audited but the one report shown.
    let views: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'report.%'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(views, 1);
}

#[tokio::test]
async fn the_printable_summary_shows_each_section_to_clinicians_and_admins_only() {
    let app = TestApp::spawn().await;
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let (_, _, cy) = clinic_quarter(&app, casey_id).await;
    clear_for_infusions(&app, cy, casey_id).await;
    app.sql(&format!(
        "UPDATE patients SET sex_at_birth = 'female', phone = '+1 555 010 2000',
                address = '12 Elm Street, Springfield', emergency_contact_name = 'Robin Cy',
                emergency_contact_phone = '+1 555 010 2001', weight_kg = 75
         WHERE id = {cy}"
    ))
    .await;
    // A newer screening awaits review with a suicide-risk flag: the flag is open, the decision
    // shown is the one before.
    app.sql(&format!(
        "INSERT INTO screenings (patient_id, status, submitted_at, urgent, flags)
         VALUES ({cy}, 'submitted', now(), true,
                 '[{{\"kind\": \"suicide_risk\", \"code\": \"phq9_item9\", \"reason\": \"PHQ-9 item 9 answered: several days\"}}]')"
    ))
    .await;
    score(&app, cy, "gad7", 6, "mild", "2025-02-17 15:05").await;
    score(&app, cy, "cssrs", 0, "no_risk", "2025-01-20 15:05").await;
    // Coming up: an infusion in five days.
    app.sql(&format!(
        "INSERT INTO appointments (patient_id, kind, clinician_id, chair_id, during, booked_by)
         VALUES ({cy}, 'infusion', {casey_id}, (SELECT min(id) FROM chairs),
                 tstzrange(now() + interval '5 days', now() + interval '5 days 150 minutes'), {casey_id})"
    ))
    .await;

    let path = format!("/clinician/patients/{cy}/summary");
    let page = casey.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("<h1>Patient summary: Patient cy</h1>")
        // Patient
        .assert_contains("<dd>1980-05-17 (age ")
        .assert_contains("<dd>Female</dd>")
        .assert_contains("<dd>75 kg / —</dd>")
        .assert_contains("<dd>+1 555 010 2000</dd>")
        .assert_contains("<dd>cy@clinic.test</dd>")
        .assert_contains("<dd>12 Elm Street, Springfield</dd>")
        .assert_contains("<dd>Robin Cy, +1 555 010 2001</dd>")
        // Eligibility
        .assert_contains("Awaiting clinician review (urgent)")
        .assert_contains("<dd>Eligible, eligible until ")
        .assert_contains("<strong>Open risk flags</strong>")
        .assert_contains("<strong>Suicide risk:</strong> PHQ-9 item 9 answered: several days")
        // Consent
        .assert_contains("Signed (version 1)")
        // Course: six infusions of 30 mg; PHQ-9 12 at baseline, 4 after.
        .assert_contains("<dt>Infusions given</dt><dd>6</dd>")
        .assert_contains("<dt>Total ketamine</dt><dd>180 mg</dd>")
        .assert_contains("<dt>First infusion</dt><dd>3 Feb 2025, 10:05 EST</dd>")
        .assert_contains("<dt>Last infusion</dt><dd>14 Feb 2025, 10:05 EST</dd>")
        .assert_contains("<dt>In the last 30 days</dt><dd>0</dd>")
        .assert_contains("<dd>12 on 20 Jan 2025, 10:00 EST</dd>")
        .assert_contains("<dt>Response</dt><dd>Yes: at least 50% below baseline")
        .assert_contains("<dt>Remission</dt><dd>Yes: PHQ-9 under 5")
        // Latest scores
        .assert_contains("<td>PHQ-9</td><td>4 (minimal)</td><td>17 Feb 2025, 10:00 EST</td>")
        .assert_contains("<td>GAD-7</td><td>6 (mild)</td><td>17 Feb 2025, 10:05 EST</td>")
        .assert_contains("<td>C-SSRS screener</td><td>No risk</td><td>20 Jan 2025, 10:05 EST</td>")
        // Upcoming
        .assert_contains("<td>Infusion</td><td>Clinician casey</td><td>Booked</td>")
        // Print
        .assert_contains("data-print hidden>Print</button>");

    // Admins may print it too; the front desk and patients may not; an unknown patient is 404.
    let (ada, _) = app.logged_in(Role::Admin, "ada@clinic.test").await;
    assert_eq!(ada.get(&path).await.status, StatusCode::OK);
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    assert_eq!(desk.get(&path).await.status, StatusCode::FORBIDDEN);
    let (pat, _) = app.logged_in(Role::Patient, "pat@clinic.test").await;
    assert_eq!(pat.get(&path).await.status, StatusCode::FORBIDDEN);
    let unknown = casey.get("/clinician/patients/999999/summary").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // Each view is audited with the patient; the refusals as denied access.
    let views: Vec<(Option<i64>, String)> = sqlx::query_as(
        "SELECT patient_id, actor_role FROM audit_log WHERE action = 'summary.view' ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        views,
        vec![
            (Some(cy), "clinician".to_owned()),
            (Some(cy), "admin".to_owned())
        ]
    );

    // The course page and the screening review link to it.
    casey
        .get(&format!("/clinician/patients/{cy}/outcomes"))
        .await
        .assert_contains(&format!("href=\"{path}\""));
    let screening: i64 = sqlx::query_scalar(
        "SELECT max(id) FROM screenings WHERE patient_id = $1 AND status = 'submitted'",
    )
    .bind(cy)
    .fetch_one(&app.db)
    .await
    .unwrap();
    casey
        .get(&format!("/clinician/screenings/{screening}"))
        .await
        .assert_contains(&format!("href=\"{path}\""));
}
