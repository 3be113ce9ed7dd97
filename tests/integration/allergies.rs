//! Issue 15 item 7: the allergies and interacting medicines of the patient's latest screening
//! stand beside the dose order on the flowsheet and on the printable summary.

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::fixtures::{
    clear_for_infusions, fill_screening, infusion_now, patient_with_profile, submit_screening,
};
use crate::support::{Page, TestApp};

const OPIOID: &str = "Takes an opioid: additive sedation and breathing depression";

/// Where `text` is on the page (it must be there).
fn at(page: &Page, text: &str) -> usize {
    page.body
        .find(text)
        .unwrap_or_else(|| panic!("{text:?} not on the page:\n{}", page.body))
}

/// The flowsheet's box, cut out of the page: from its heading to the dose order's form.
fn allergy_box(page: &Page) -> String {
    let start = page.body[..at(page, "id=\"allergies\"")]
        .rfind("<section")
        .unwrap();
    let end = at(page, "/order\" novalidate");
    // Between the section's heading and the order form, so beside the dose order.
    assert!(at(page, "id=\"order\"") < start && start < end);
    page.body[start..end].to_owned()
}

#[tokio::test]
async fn allergies_and_interacting_medicines_stand_beside_the_dose_order_and_on_the_summary() {
    let app = TestApp::spawn().await;
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    let (ann, ann_id) = patient_with_profile(&app, "ann@clinic.test", "Ann Example").await;
    fill_screening(
        &ann,
        &[
            ("medications", "allergies", "penicillin; latex"),
            ("medications", "takes_opioid", "yes"),
        ],
    )
    .await;
    assert_eq!(submit_screening(&ann).await.status, StatusCode::SEE_OTHER);
    // A decision recorded after it, without answers of its own: the answers still speak.
    clear_for_infusions(&app, ann_id, casey_id).await;
    let sheet = infusion_now(&app, ann_id, casey_id).await;
    // Let the announcements of the new accounts arrive first, so the sheet below is kept.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let page = casey.get(&sheet).await;
    assert_eq!(page.status, StatusCode::OK);
    let shown = allergy_box(&page);
    for expected in [
        "Allergies and interacting medicines",
        "allergy-alert",
        "<li>penicillin</li>",
        "<li>latex</li>",
        OPIOID,
    ] {
        assert!(shown.contains(expected), "{expected:?} not in {shown}");
    }

    let summary = casey
        .get(&format!("/clinician/patients/{ann_id}/summary"))
        .await;
    assert_eq!(summary.status, StatusCode::OK);
    let allergies = at(&summary, "id=\"allergies\"");
    assert!(allergies < at(&summary, "id=\"consent\""));
    let section = &summary.body[allergies..at(&summary, "id=\"consent\"")];
    for expected in ["penicillin", "latex", OPIOID] {
        assert!(section.contains(expected), "{expected:?} not in {section}");
    }

    // A new screening sent: the flowsheet kept in memory is read again and shows its words.
    fill_screening(
        &ann,
        &[("medications", "allergies", "Codeine (vomiting, rash)")],
    )
    .await;
    assert_eq!(submit_screening(&ann).await.status, StatusCode::SEE_OTHER);
    let page = casey.get(&sheet).await;
    let shown = allergy_box(&page);
    assert!(
        shown.contains("<li>Codeine (vomiting, rash)</li>"),
        "{shown}"
    );
    assert!(
        !shown.contains("penicillin") && !shown.contains(OPIOID),
        "{shown}"
    );
    assert!(
        shown.contains("No interacting medicines reported."),
        "{shown}"
    );
    casey
        .get(&format!("/clinician/patients/{ann_id}/summary"))
        .await
        .assert_contains("Codeine (vomiting, rash)")
        .assert_lacks("penicillin");
}

#[tokio::test]
async fn none_reads_as_no_known_allergies() {
    let app = TestApp::spawn().await;
    let (casey, casey_id) = app.logged_in(Role::Clinician, "casey@clinic.test").await;
    // The screening's harmless answers say "none" to allergies.
    let (bea, bea_id) = patient_with_profile(&app, "bea@clinic.test", "Bea Example").await;
    fill_screening(&bea, &[]).await;
    assert_eq!(submit_screening(&bea).await.status, StatusCode::SEE_OTHER);
    clear_for_infusions(&app, bea_id, casey_id).await;
    let sheet = infusion_now(&app, bea_id, casey_id).await;
    let shown = allergy_box(&casey.get(&sheet).await);
    assert!(shown.contains("No known allergies"), "{shown}");
    assert!(shown.contains("allergy-calm"), "{shown}");
    casey
        .get(&format!("/clinician/patients/{bea_id}/summary"))
        .await
        .assert_contains("No known allergies");
}

#[tokio::test]
async fn without_a_screening_the_allergies_are_not_recorded() {
    let app = TestApp::spawn().await;
    // Booked without a screening of their own: someone must ask.
    let (dana, dana_id) = app.logged_in(Role::Clinician, "dana@clinic.test").await;
    let cal_id = crate::fixtures::patient(&app, "cal@clinic.test").await;
    clear_for_infusions(&app, cal_id, dana_id).await;
    let sheet = infusion_now(&app, cal_id, dana_id).await;
    let shown = allergy_box(&dana.get(&sheet).await);
    assert!(shown.contains("Not recorded — ask the patient"), "{shown}");
    assert!(shown.contains("allergy-caution"), "{shown}");
    dana.get(&format!("/clinician/patients/{cal_id}/summary"))
        .await
        .assert_contains("Not recorded — ask the patient");
}
