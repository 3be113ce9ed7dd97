//! The demo clinic: what it holds, that it loads once and only where it may, and that every
//! role's pages answer over it.

use std::collections::BTreeSet;

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::fixtures::demo_login;
use crate::support::{TestApp, count};

/// The app's own links on a page: paths only, no logout, no fragments.
fn links(body: &str) -> BTreeSet<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&").replace("&#38;", "&"))
        .filter(|href| href.starts_with('/') && !href.starts_with("//"))
        .filter(|href| !href.starts_with("/static/") && href != "/logout")
        .map(|href| href.split('#').next().unwrap_or_default().to_owned())
        .filter(|href| !href.is_empty())
        .collect()
}

#[tokio::test]
async fn the_demo_is_a_clinic_in_mid_week_loaded_once() {
    let app = TestApp::spawn().await;
    let clinic = clinic::demo::load(&app.db, &app.base).await.unwrap();
    assert!(clinic.filled);
    assert_eq!(clinic.logins.len(), 4);
    for (login, key) in &clinic.logins {
        if login.role != Role::Patient {
            let key = key.as_ref().expect("staff have an authenticator key");
            assert!(key.url.starts_with("otpauth://totp/"), "{}", key.url);
            assert!(key.base32.len() >= 16);
        }
    }

    assert!(count(&app, "SELECT count(*) FROM patients").await >= 30);
    let awaiting = "SELECT count(*) FROM screenings WHERE status = 'submitted'";
    assert!(count(&app, awaiting).await >= 3);
    let urgent = "SELECT count(*) FROM screenings WHERE status = 'submitted' AND urgent
                  AND flags::text LIKE '%suicide_risk%'";
    assert_eq!(count(&app, urgent).await, 1);
    assert!(
        count(
            &app,
            "SELECT count(*) FROM screenings WHERE status = 'draft'"
        )
        .await
            >= 1
    );
    for decision in ["eligible", "not_eligible", "needs_information"] {
        let query =
            format!("SELECT count(*) FROM screening_decisions WHERE decision = '{decision}'");
        assert!(count(&app, &query).await >= 1, "{decision}");
    }
    let just_registered = "SELECT count(*) FROM patients p
                           WHERE NOT EXISTS (SELECT 1 FROM screenings s WHERE s.patient_id = p.id)";
    assert!(count(&app, just_registered).await >= 1);
    let eligible_unsigned = "SELECT count(*) FROM screening_decisions d
         JOIN screenings s ON s.id = d.screening_id
         WHERE d.decision = 'eligible'
           AND NOT EXISTS (SELECT 1 FROM consent_signatures c WHERE c.patient_id = s.patient_id)";
    assert!(count(&app, eligible_unsigned).await >= 1);
    let outdated = "SELECT count(*) FROM consent_facts
                    WHERE signed_version < latest_version AND withdrawn_at IS NULL";
    assert!(count(&app, outdated).await >= 1);
    let withdrawn = "SELECT count(*) FROM consent_facts WHERE withdrawn_at IS NOT NULL";
    assert!(count(&app, withdrawn).await >= 1);
    let awaiting_countersignature = "SELECT count(*) FROM consent_awaiting_countersignature";
    assert!(count(&app, awaiting_countersignature).await >= 1);

    // Today's chairs.
    let today = "SELECT count(*) FROM appointments
                 WHERE starts_at > now() - interval '5 hours' AND starts_at < now() + interval '3 hours'";
    assert!(count(&app, today).await >= 6);
    let chairs = "SELECT count(DISTINCT chair_id) FROM appointments
                  WHERE starts_at > now() - interval '5 hours' AND starts_at < now() + interval '3 hours'";
    assert!(count(&app, chairs).await >= 2);
    let signed_today = "SELECT count(*) FROM infusion_records
                        WHERE signed_at > now() - interval '5 hours'";
    assert!(count(&app, signed_today).await >= 1);
    let running = "SELECT count(*) FROM infusion_records r
         WHERE started_at IS NOT NULL AND ended_at IS NULL
           AND (SELECT count(*) FROM vitals_readings v WHERE v.record_id = r.id) >= 3";
    assert_eq!(count(&app, running).await, 1);
    let awaiting_order = "SELECT count(*) FROM infusion_records
                          WHERE checked_in_at IS NOT NULL AND ordered_at IS NULL";
    assert_eq!(count(&app, awaiting_order).await, 1);
    let to_come = "SELECT count(*) FROM appointments
                   WHERE kind = 'infusion' AND status = 'booked' AND starts_at > now()";
    assert!(count(&app, to_come).await >= 1);
    assert!(
        count(
            &app,
            "SELECT count(*) FROM appointments WHERE kind = 'consultation'"
        )
        .await
            >= 2
    );

    // Two courses of six or more signed infusions with pre-session scores.
    let courses = "SELECT count(*) FROM (
         SELECT r.patient_id FROM infusion_records r
         WHERE r.signed_at IS NOT NULL
           AND EXISTS (SELECT 1 FROM questionnaire_results q
                       WHERE q.appointment_id = r.appointment_id AND q.instrument = 'phq9')
         GROUP BY r.patient_id HAVING count(*) >= 6) c";
    assert!(count(&app, courses).await >= 2);
    // Each signed infusion records the amount given, as the flowsheet's end does.
    let without_amount = "SELECT count(*) FROM infusion_records
                          WHERE signed_at IS NOT NULL AND given_mg IS NULL";
    assert_eq!(count(&app, without_amount).await, 0);
    let given_in_full = "SELECT count(*) FROM infusion_records
                         WHERE signed_at IS NOT NULL AND given_mg = dose_mg";
    assert!(count(&app, given_in_full).await >= 12);
    let quarter = "SELECT count(*) FROM infusion_records
                   WHERE signed_at IS NOT NULL AND started_at < now() - interval '60 days'";
    assert!(count(&app, quarter).await >= 1);
    // The mail folder's messages.
    for kind in ["appointment_reminder", "password_reset"] {
        let query = format!("SELECT count(*) FROM outbox WHERE kind = '{kind}'");
        assert!(count(&app, &query).await >= 1, "{kind}");
    }

    // Loading again adds nothing.
    let tables = [
        "users",
        "patients",
        "appointments",
        "infusion_records",
        "consent_signatures",
        "outbox",
    ];
    let mut before = Vec::new();
    for table in tables {
        before.push(count(&app, &format!("SELECT count(*) FROM {table}")).await);
    }
    let again = clinic::demo::load(&app.db, &app.base).await.unwrap();
    assert!(!again.filled);
    for (table, was) in tables.iter().zip(before) {
        let now = count(&app, &format!("SELECT count(*) FROM {table}")).await;
        assert_eq!(now, was, "{table}");
    }
}

#[tokio::test]
async fn every_role_home_and_its_links_answer_over_the_demo() {
    let app = TestApp::spawn().await;
    let clinic = clinic::demo::load(&app.db, &app.base).await.unwrap();
    for (login, _) in &clinic.logins {
        let client = demo_login(&app, login.email, login.password).await;
        let home = client.get(login.role.home()).await;
        assert_eq!(home.status, StatusCode::OK, "{} home", login.email);
        let mut seen = BTreeSet::new();
        for link in links(&home.body) {
            let mut page = client.get(&link).await;
            // "/" and the like send each role on to its page.
            if page.status == StatusCode::SEE_OTHER {
                page = client.follow(&page).await;
            }
            assert_eq!(
                page.status,
                StatusCode::OK,
                "{} -> {link}: {}",
                login.email,
                page.body
            );
            seen.extend(links(&page.body));
        }
        // One step further: nothing linked is broken.
        for link in seen {
            let page = client.get(&link).await;
            assert!(
                page.status.is_success() || page.status.is_redirection(),
                "{} -> {link}: {}",
                login.email,
                page.status
            );
        }
    }
}

#[tokio::test]
async fn the_demo_refuses_a_real_clinic_database() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Admin, "director@real-clinic.example")
        .await;
    let refused = clinic::demo::load(&app.db, &app.base).await;
    let message = refused.err().expect("refused").to_string();
    assert!(message.contains("not demo accounts"), "{message}");
    let users: i64 = count(&app, "SELECT count(*) FROM users").await;
    assert_eq!(users, 1, "nothing was added");
    // Nor does it print codes for accounts that are not the demo's.
    assert!(
        clinic::demo::authenticator_code(&app.db, "director@real-clinic.example")
            .await
            .is_err()
    );
}
