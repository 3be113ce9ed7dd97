//! Informed consent: versions, signatures, countersignatures, the signed copy, withdrawal
//! and the consent status each role sees.

use clinic::auth::model::Role;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::fixtures::patient_with_profile;
use crate::support::{Client, Page, TestApp, USER_AGENT, count};

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The text between `<tag ...id="id"...>` and its closing tag, unescaped as a browser would.
fn element_text(page: &Page, id: &str, tag: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in page"))
        + marker.len();
    let end = start + page.body[start..].find(&format!("</{tag}>")).unwrap();
    page.body[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// The 64-hex-digit hash shown in the first `<code class="hash">` after `after`.
fn hash_shown(page: &Page, after: &str) -> String {
    let from = page.body.find(after).unwrap();
    let marker = "<code class=\"hash\">";
    let start = from + page.body[from..].find(marker).unwrap() + marker.len();
    page.body[start..start + 64].to_owned()
}

/// The version in force: (id, number, body, hash).
async fn current_version(app: &TestApp) -> (i64, i32, String, String) {
    sqlx::query_as(
        "SELECT id, version, body, text_sha256 FROM consent_versions
         WHERE version IS NOT NULL ORDER BY version DESC LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap()
}

async fn sign(client: &Client, name: &str, version_id: i64, hash: &str) -> Page {
    client
        .post(
            "/patient/consent/sign",
            &[
                ("printed_name", name),
                ("understood", "yes"),
                ("version_id", &version_id.to_string()),
                ("text_sha256", hash),
            ],
        )
        .await
}

/// Publishes a new version through the admin's pages; returns its row id.
async fn publish_new_version(admin: &Client, body: &str) -> i64 {
    let created = admin.post("/admin/consent/drafts", &[]).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let editor = created.location().to_owned();
    let published = admin
        .post(
            &editor,
            &[
                ("title", "Ketamine infusion therapy"),
                ("body", body),
                ("action", "publish"),
            ],
        )
        .await;
    assert_eq!(published.location(), format!("{editor}?notice=published"));
    editor.rsplit('/').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_clinic_starts_with_a_published_consent_covering_what_patients_must_know() {
    let app = TestApp::spawn().await;
    let (_, number, body, hash) = current_version(&app).await;
    assert_eq!(number, 1);
    assert_eq!(
        hash,
        sha256_hex(&body),
        "the database hashes exactly the text"
    );
    let body = body.split_whitespace().collect::<Vec<_>>().join(" ");
    for topic in [
        "Purpose of the treatment",
        "monitored",
        "Possible benefits",
        "dissociation",
        "dizziness",
        "nausea",
        "blood pressure and a faster heart rate",
        "memory, attention and thinking",
        "bladder",
        "liver",
        "Alternatives",
        "Do not drive, cycle or operate machinery until the next day",
        "withdraw this consent at any time",
        "paper copy",
        "withdraw your agreement to electronic records",
    ] {
        assert!(body.contains(topic), "the default consent lacks {topic:?}");
    }
}

#[tokio::test]
async fn admins_draft_preview_and_publish_versions_that_never_change_afterwards() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "admin@clinic.test").await;

    let created = admin.post("/admin/consent/drafts", &[]).await;
    let editor = created.location().to_owned();
    let draft_id: i64 = editor.rsplit('/').next().unwrap().parse().unwrap();
    let page = admin.get(&editor).await;
    page.assert_contains("Draft: Ketamine infusion therapy")
        .assert_contains("Why you are being asked to sign");

    // Bad input: a message by the field, the typed text kept, nothing saved.
    let typed = "## Changed text\n\nStill being written";
    let refused = admin
        .post(
            &editor,
            &[("title", "  "), ("body", typed), ("action", "save")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused
        .assert_contains("id=\"title-error\"")
        .assert_contains("Enter a title")
        .assert_contains("Still being written");

    // Preview renders the typed Markdown, safely, and saves nothing.
    let markdown = "## New risks section\r\n\r\n- **Headache**\r\n\r\n<script>alert('x')</script>";
    let preview = admin
        .post(
            &editor,
            &[
                ("title", "Ketamine infusion therapy"),
                ("body", markdown),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    preview
        .assert_contains("<h2>New risks section</h2>")
        .assert_contains("<strong>Headache</strong>")
        .assert_contains("not saved yet")
        .assert_lacks("<script>alert");
    let saved_body: String = sqlx::query_scalar("SELECT body FROM consent_versions WHERE id = $1")
        .bind(draft_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(saved_body.contains("Why you are being asked to sign"));

    let saved = admin
        .post(
            &editor,
            &[
                ("title", "Ketamine infusion therapy"),
                ("body", markdown),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(saved.location(), format!("{editor}?notice=saved"));
    let saved_body: String = sqlx::query_scalar("SELECT body FROM consent_versions WHERE id = $1")
        .bind(draft_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        saved_body, "## New risks section\n\n- **Headache**\n\n<script>alert('x')</script>",
        "line breaks are stored as LF, the text otherwise exactly as typed"
    );

    let published = admin
        .post(
            &editor,
            &[
                ("title", "Ketamine infusion therapy"),
                ("body", markdown),
                ("action", "publish"),
            ],
        )
        .await;
    assert_eq!(published.location(), format!("{editor}?notice=published"));
    let (id, number, body, hash) = current_version(&app).await;
    assert_eq!((id, number), (draft_id, 2));
    assert_eq!(hash, sha256_hex(&body));
    let page = admin.get(&editor).await;
    page.assert_contains("version 2")
        .assert_contains(&hash)
        .assert_lacks("Save draft");

    // The published version is immutable: the app refuses, and so does the database.
    let again = admin
        .post(
            &editor,
            &[("title", "Other"), ("body", "Other"), ("action", "save")],
        )
        .await;
    assert_eq!(again.location(), format!("{editor}?notice=not-draft"));
    let discard = admin.post(&format!("{editor}/discard"), &[]).await;
    assert_eq!(discard.location(), format!("{editor}?notice=not-draft"));
    for statement in [
        "UPDATE consent_versions SET body = 'tampered' WHERE version = 2",
        "UPDATE consent_versions SET title = 'tampered' WHERE version = 1",
        "DELETE FROM consent_versions WHERE version = 1",
        "TRUNCATE consent_versions CASCADE",
    ] {
        let refused = sqlx::query(statement).execute(&app.db).await;
        assert!(refused.is_err(), "{statement} was allowed");
    }
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM consent_versions WHERE version IS NOT NULL"
        )
        .await,
        2
    );

    // A draft can be discarded.
    let other = admin
        .post("/admin/consent/drafts", &[])
        .await
        .location()
        .to_owned();
    let gone = admin.post(&format!("{other}/discard"), &[]).await;
    assert_eq!(gone.location(), "/admin/consent");
    assert_eq!(
        count(&app, "SELECT count(*) FROM consent_versions").await,
        2
    );

    let list = admin.get("/admin/consent").await;
    list.assert_contains("Published")
        .assert_contains("Start a new version");
    let actions = app.audit_actions().await;
    assert!(actions.iter().filter(|a| *a == "consent.draft").count() >= 4);
    assert!(actions.contains(&"consent.publish".to_owned()));
}

#[tokio::test]
async fn a_patient_signs_once_and_the_record_holds_every_element_of_the_signature() {
    let app = TestApp::spawn().await;
    let (patient, patient_id) =
        patient_with_profile(&app, "ada@clinic.test", "Ada María Lovelace").await;
    let (version_id, _, body, hash) = current_version(&app).await;

    let page = patient.get("/patient/consent").await;
    page.assert_contains("Not signed")
        .assert_contains("Why you are being asked to sign")
        .assert_contains("Type your full legal name")
        .assert_contains("I have read and understood");

    // Name mismatch and the box not ticked: clear messages, typed name kept, nothing recorded.
    let wrong = patient
        .post(
            "/patient/consent/sign",
            &[
                ("printed_name", "Ada Byron"),
                ("version_id", &version_id.to_string()),
                ("text_sha256", &hash),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong
        .assert_contains("id=\"printed_name-error\"")
        .assert_contains("must match the name on your record")
        .assert_contains("id=\"understood-error\"")
        .assert_contains("Tick the box")
        .assert_contains("value=\"Ada Byron\"");
    assert_eq!(
        count(&app, "SELECT count(*) FROM consent_signatures").await,
        0
    );

    // Case and extra spaces do not matter.
    let signed = sign(&patient, "  ada   maría LOVELACE ", version_id, &hash).await;
    assert_eq!(signed.location(), "/patient/consent?notice=signed");
    let page = patient.follow(&signed).await;
    page.assert_contains("Signed (version 1)")
        .assert_contains("View or print your signed copy");

    let row: (String, String, i64, String, String, String, String) = sqlx::query_as(
        "SELECT printed_name, meaning, version_id, text_sha256, client_addr, user_agent, signer::text
         FROM consent_signatures WHERE patient_id = $1",
    )
    .bind(patient_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(row.0, "ada   maría LOVELACE", "the name as typed, trimmed");
    assert_eq!(row.1, "I consent to ketamine infusion therapy");
    assert_eq!(row.2, version_id);
    assert_eq!(row.3, sha256_hex(&body));
    assert_eq!(row.4, "127.0.0.1");
    assert_eq!(row.5, USER_AGENT);
    assert_eq!(row.6, "patient");
    let recent: bool = sqlx::query_scalar(
        "SELECT signed_at > now() - interval '1 minute' FROM consent_signatures WHERE patient_id = $1",
    )
    .bind(patient_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(recent);

    // Signing the same version again says so and records nothing.
    let again = sign(&patient, "Ada María Lovelace", version_id, &hash).await;
    assert_eq!(again.location(), "/patient/consent?notice=already");
    patient
        .follow(&again)
        .await
        .assert_contains("already signed this version");
    assert_eq!(
        count(&app, "SELECT count(*) FROM consent_signatures").await,
        1
    );

    // The database refuses edits and deletions of signatures, and signatures of other text.
    for statement in [
        "UPDATE consent_signatures SET printed_name = 'Someone Else'",
        "DELETE FROM consent_signatures",
        "TRUNCATE consent_signatures",
    ] {
        assert!(
            sqlx::query(statement).execute(&app.db).await.is_err(),
            "{statement}"
        );
    }
    let forged = sqlx::query(
        "INSERT INTO consent_signatures (version_id, patient_id, signer, signer_user_id,
             printed_name, meaning, text_sha256, client_addr, user_agent)
         SELECT version_id, patient_id, signer, signer_user_id, printed_name, meaning,
                repeat('0', 64), client_addr, user_agent FROM consent_signatures",
    )
    .execute(&app.db)
    .await;
    assert!(
        forged.is_err(),
        "a signature of text that was never published"
    );

    let actions = app.audit_actions().await;
    assert!(actions.contains(&"consent.sign".to_owned()));
    assert!(actions.contains(&"consent.view".to_owned()));
    let audited_for_patient = count(
        &app,
        &format!("SELECT count(*) FROM audit_log WHERE action = 'consent.sign' AND patient_id = {patient_id}"),
    )
    .await;
    assert_eq!(audited_for_patient, 1);
}

#[tokio::test]
async fn a_new_version_makes_signers_outdated_and_a_stale_form_records_nothing() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "admin@clinic.test").await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let (early, _) = patient_with_profile(&app, "early@clinic.test", "Early Signer").await;
    let (late, late_id) = patient_with_profile(&app, "late@clinic.test", "Late Reader").await;
    let (v1, _, _, h1) = current_version(&app).await;
    assert_eq!(
        sign(&early, "Early Signer", v1, &h1).await.status,
        StatusCode::SEE_OTHER
    );
    // The late patient opens the form for version 1 ...
    late.get("/patient/consent").await.assert_contains(&h1);

    // ... while the admin publishes version 2.
    let v2 = publish_new_version(&admin, "## Version two\n\nUpdated risks.").await;
    let (_, _, _, h2) = current_version(&app).await;

    let stale = sign(&late, "Late Reader", v1, &h1).await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    stale
        .assert_contains("updated while you were reading")
        .assert_contains("Version two")
        .assert_contains("value=\"Late Reader\"")
        .assert_contains(&h2);
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM consent_signatures WHERE patient_id = {late_id}")
        )
        .await,
        0
    );

    // The earlier signer is now outdated, for themselves and for the front desk.
    early
        .get("/patient/consent")
        .await
        .assert_contains("Outdated: signed version 1, version 2 needs signing")
        .assert_contains("Version two");
    desk.get("/front-desk/patients?q=early")
        .await
        .assert_contains("Outdated: signed version 1, version 2 needs signing");

    // Signing the new version makes them current again.
    assert_eq!(
        sign(&early, "early signer", v2, &h2).await.status,
        StatusCode::SEE_OTHER
    );
    early
        .get("/patient/consent")
        .await
        .assert_contains("Signed (version 2)");
    desk.get("/front-desk/patients?q=early")
        .await
        .assert_contains("Signed (version 2)");
    desk.get("/front-desk/patients?q=late")
        .await
        .assert_contains("Not signed");
}

#[tokio::test]
async fn a_clinician_countersigns_and_the_signed_copy_can_be_checked_by_anyone() {
    let app = TestApp::spawn().await;
    app.sql("UPDATE clinic_settings SET time_zone = 'America/Los_Angeles'")
        .await;
    let (patient, patient_id) = patient_with_profile(&app, "pat@clinic.test", "Pat Example").await;
    let (other, _) = patient_with_profile(&app, "other@clinic.test", "Other Person").await;
    let (clinician, _) = app.logged_in(Role::Clinician, "doc@clinic.test").await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let (version_id, _, body, hash) = current_version(&app).await;
    sign(&patient, "Pat Example", version_id, &hash).await;
    let signature_id: i64 = sqlx::query_scalar("SELECT id FROM consent_signatures")
        .fetch_one(&app.db)
        .await
        .unwrap();

    // The clinician's work list leads to the signed copy.
    let list = clinician.get("/clinician/consents").await;
    list.assert_contains("Pat Example");
    let copy_path = format!("/clinician/consent/signatures/{signature_id}");
    assert_eq!(list.link_to("Review and countersign"), copy_path);
    let copy = clinician.get(&copy_path).await;
    copy.assert_contains("Why you are being asked to sign")
        .assert_contains("Signed by</dt><dd>Pat Example")
        .assert_contains("I consent to ketamine infusion therapy")
        .assert_contains("Ketamine infusion therapy, version 1")
        .assert_contains(USER_AGENT)
        .assert_contains("America/Los_Angeles")
        .assert_contains("Countersign as the clinician");
    // Shown in the clinic's zone (November: Pacific Standard Time).
    assert!(
        copy.body.contains(" PST ") || copy.body.contains(" PDT "),
        "{}",
        copy.body
    );

    // Anyone can recompute the hash from the text shown, or from the exact-text file.
    let shown = element_text(&copy, "signed-text", "pre");
    assert_eq!(shown, body);
    assert_eq!(sha256_hex(&shown), hash_shown(&copy, "SHA-256 of the text"));
    let file = clinician
        .get(&format!("/consent/versions/{version_id}/text"))
        .await;
    assert_eq!(file.header("content-type"), "text/plain; charset=utf-8");
    assert_eq!(sha256_hex(&file.body), hash);
    copy.assert_contains("its SHA-256 fingerprint matches");

    // A wrong name or no tick: refused, nothing recorded, the typed name kept.
    let countersign = format!("{copy_path}/countersign");
    let version_field = version_id.to_string();
    let shown_text = [
        ("version_id", version_field.as_str()),
        ("text_sha256", hash.as_str()),
    ];
    let refused = clinician
        .post(
            &countersign,
            &[("printed_name", "Dr Nobody"), shown_text[0], shown_text[1]],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused
        .assert_contains("must match the name on your record")
        .assert_contains("explained the treatment")
        .assert_contains("value=\"Dr Nobody\"");
    assert_eq!(
        count(&app, "SELECT count(*) FROM consent_signatures").await,
        1
    );

    let proper = [
        ("printed_name", "clinician doc"),
        ("understood", "yes"),
        shown_text[0],
        shown_text[1],
    ];
    let done = clinician.post(&countersign, &proper).await;
    assert_eq!(done.location(), copy_path, "{}", done.body);
    let copy = clinician.follow(&done).await;
    copy.assert_contains("<h3>Clinician</h3>")
        .assert_contains("Signed by</dt><dd>clinician doc")
        .assert_contains("I explained the treatment and answered the patient&#39;s questions")
        .assert_lacks("Countersign as the clinician");
    let (meaning, counter_hash, signer): (String, String, String) = sqlx::query_as(
        "SELECT meaning, text_sha256, signer::text FROM consent_signatures WHERE countersigns = $1",
    )
    .bind(signature_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        meaning,
        "I explained the treatment and answered the patient's questions"
    );
    assert_eq!(counter_hash, hash);
    assert_eq!(signer, "clinician");
    // A second countersignature is not recorded.
    clinician.post(&countersign, &proper).await;
    assert_eq!(
        count(&app, "SELECT count(*) FROM consent_signatures").await,
        2
    );
    clinician
        .get("/clinician/consents")
        .await
        .assert_contains("Every signed consent is countersigned");

    // The patient sees the same signed copy, both blocks; another patient cannot.
    let own = patient
        .get(&format!("/patient/consent/signatures/{signature_id}"))
        .await;
    own.assert_contains("<h3>Clinician</h3>")
        .assert_contains(&hash)
        .assert_contains("Print or save as PDF")
        .assert_lacks("Countersign as the clinician");
    assert_eq!(
        other
            .get(&format!("/patient/consent/signatures/{signature_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Front desk: status only, never the documents or signatures.
    assert_eq!(desk.get(&copy_path).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        desk.get(&format!("/clinician/patients/{patient_id}/consent"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let list = desk.get("/front-desk/patients?q=pat").await;
    list.assert_contains("Signed (version 1)")
        .assert_lacks(&hash)
        .assert_lacks(USER_AGENT);

    // Every view of the signed copy is in the audit trail, with the patient.
    let views = count(
        &app,
        &format!("SELECT count(*) FROM audit_log WHERE action = 'consent.view' AND patient_id = {patient_id} AND detail = 'signature {signature_id}'"),
    )
    .await;
    assert!(views >= 4, "{views} views audited");
    assert!(
        app.audit_actions()
            .await
            .contains(&"consent.countersign".to_owned())
    );
}

#[tokio::test]
async fn withdrawal_is_confirmed_recorded_and_shown_to_clinicians_and_the_front_desk() {
    let app = TestApp::spawn().await;
    let (patient, patient_id) = patient_with_profile(&app, "wd@clinic.test", "Wynn Drawer").await;
    let (clinician, _) = app.logged_in(Role::Clinician, "doc@clinic.test").await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;

    // Nothing to withdraw before signing.
    let early = patient.get("/patient/consent/withdraw").await;
    assert_eq!(early.location(), "/patient/consent?notice=not-signed");

    let (version_id, _, _, hash) = current_version(&app).await;
    sign(&patient, "Wynn Drawer", version_id, &hash).await;
    let page = patient.get("/patient/consent").await;
    let confirm = patient.get(&page.link_to("Withdraw your consent")).await;
    confirm
        .assert_contains("Withdraw your consent")
        .assert_contains("booked infusions will be cancelled");

    // Without the confirmation box: refused, the reason kept, nothing recorded.
    let refused = patient
        .post(
            "/patient/consent/withdraw",
            &[("reason", "Moving to another city")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused
        .assert_contains("id=\"confirm-error\"")
        .assert_contains("Moving to another city");
    assert_eq!(
        count(&app, "SELECT count(*) FROM consent_withdrawals").await,
        0
    );

    let done = patient
        .post(
            "/patient/consent/withdraw",
            &[("reason", "Moving to another city"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(done.location(), "/patient/consent?notice=withdrawn");
    patient
        .follow(&done)
        .await
        .assert_contains("Your consent is withdrawn")
        .assert_contains("You withdrew your consent on");
    let (reason, by_patient): (Option<String>, bool) = sqlx::query_as(
        "SELECT w.reason, w.withdrawn_by = p.user_id FROM consent_withdrawals w
         JOIN patients p ON p.id = w.patient_id WHERE w.patient_id = $1",
    )
    .bind(patient_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(reason.as_deref(), Some("Moving to another city"));
    assert!(by_patient);
    assert!(
        sqlx::query("DELETE FROM consent_withdrawals")
            .execute(&app.db)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("UPDATE consent_withdrawals SET reason = NULL")
            .execute(&app.db)
            .await
            .is_err()
    );

    // Clinicians see the withdrawal with its reason; the front desk sees the status only.
    clinician
        .get(&format!("/clinician/patients/{patient_id}/consent"))
        .await
        .assert_contains("Withdrawn")
        .assert_contains("has withdrawn consent")
        .assert_contains("Moving to another city");
    desk.get("/front-desk/patients?q=wynn")
        .await
        .assert_contains("Withdrawn")
        .assert_lacks("Moving to another city");

    // Signing again restores consent.
    assert_eq!(
        sign(&patient, "Wynn Drawer", version_id, &hash)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    patient
        .get("/patient/consent")
        .await
        .assert_contains("Signed (version 1)");
    desk.get("/front-desk/patients?q=wynn")
        .await
        .assert_contains("Signed (version 1)");
    assert!(
        app.audit_actions()
            .await
            .contains(&"consent.withdraw".to_owned())
    );
}
