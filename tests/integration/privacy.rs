//! Minimum necessary: the front desk learns that a clinician must review a screening, never
//! that a suicide-risk flag is the reason.

use clinic::auth::model::Role;

use crate::fixtures::{clinician_working_every_day, patient};
use crate::support::TestApp;

#[tokio::test]
async fn the_front_desk_is_not_told_a_screening_is_urgent_or_why() {
    let app = TestApp::spawn().await;
    clinician_working_every_day(&app, "casey@clinic.test").await;
    let patient_id = patient(&app, "risk@clinic.test").await;
    // A sent screening with an open suicide-risk flag, not yet reviewed.
    sqlx::query(
        "INSERT INTO screenings (patient_id, status, submitted_at, urgent, flags)
         VALUES ($1, 'submitted', now(), true,
                 '[{\"kind\": \"suicide_risk\", \"code\": \"phq9_item9\", \"reason\": \"PHQ-9 item 9 answered: several days\"}]'::jsonb)",
    )
    .bind(patient_id)
    .execute(&app.db)
    .await
    .unwrap();

    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let list = desk.get("/front-desk/patients?q=Patient").await;
    list.assert_contains("Awaiting clinician review");
    let book = desk
        .get(&format!("/patients/{patient_id}/book?kind=infusion"))
        .await;
    book.assert_contains("A clinician must review the screening first.");
    for page in [&list, &book] {
        let text = page.body.to_lowercase();
        for word in ["urgent", "suicid", "risk flag", "self-harm"] {
            assert!(!text.contains(word), "{word:?} shown to the front desk");
        }
    }
}
