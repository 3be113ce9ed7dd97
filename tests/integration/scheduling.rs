//! Scheduling: availability, booking with the infusion gate, no double booking, changes,
//! reminders through the outbox, calendars, and what each role may do.

use clinic::auth::model::Role;
use clinic::clinic_time::ClinicZone;
use reqwest::StatusCode;
use time::macros::time;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::fixtures::{
    clear_for_infusions, clinician_working_every_day, logged_in_patient, patient,
};
use crate::support::{Client, Page, TestApp, count};

fn zone() -> ClinicZone {
    ClinicZone::named("America/New_York").unwrap()
}

/// The Monday of next week, in the clinic's calendar.
fn next_monday() -> Date {
    let today = zone().date_of(OffsetDateTime::now_utc());
    today + Duration::days(7 - i64::from(today.weekday().number_days_from_monday()))
}

/// The form value of the slot at local `day` `at` with `clinician` (chair 0: pick any).
fn slot(day: Date, at: Time, clinician: i64, chair: i64) -> String {
    let starts = zone().to_utc(day, at).unix_timestamp();
    format!("{starts}-{clinician}-{chair}")
}

fn chair_of(page: &Page, day: Date, at: Time, clinician: i64) -> i64 {
    let prefix = format!(
        "value=\"{}-{clinician}-",
        zone().to_utc(day, at).unix_timestamp()
    );
    let start = page.body.find(&prefix).expect("slot offered") + prefix.len();
    let end = start + page.body[start..].find('"').unwrap();
    page.body[start..end].parse().unwrap()
}

async fn book(client: &Client, patient_id: i64, kind: &str, slot: &str, reason: &str) -> Page {
    client
        .post(
            &format!("/patients/{patient_id}/book?kind={kind}"),
            &[("slot", slot), ("override_reason", reason)],
        )
        .await
}

/// Books and returns the new appointment's page (the booking must succeed).
async fn booked(client: &Client, patient_id: i64, kind: &str, slot: &str) -> String {
    let page = book(client, patient_id, kind, slot, "").await;
    assert!(
        page.location().starts_with("/appointments/"),
        "{}",
        page.body
    );
    appointment_path(&page)
}

/// Where a booking led: the appointment's page, without the notice.
fn appointment_path(page: &Page) -> String {
    page.location().split('?').next().unwrap().to_owned()
}

#[tokio::test]
async fn open_times_follow_working_hours_in_local_time_minus_bookings_and_time_off() {
    let app = TestApp::spawn().await;
    let casey = clinician_working_every_day(&app, "casey@clinic.test").await;
    let ann = patient(&app, "ann@clinic.test").await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let monday = next_monday();

    let page = desk
        .get(&format!(
            "/patients/{ann}/book?kind=consultation&week={monday}"
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(&slot(monday, time!(09:00), casey, 0))
        .assert_contains(&slot(monday, time!(16:30), casey, 0))
        .assert_lacks(&slot(monday, time!(16:45), casey, 0))
        .assert_lacks(&slot(monday, time!(08:45), casey, 0));

    let booked = book(
        &desk,
        ann,
        "consultation",
        &slot(monday, time!(10:00), casey, 0),
        "",
    )
    .await;
    assert!(
        booked.location().starts_with("/appointments/"),
        "{}",
        booked.body
    );
    // Time off on Monday afternoon.
    sqlx::query("INSERT INTO time_off (clinician_id, during) VALUES ($1, tstzrange($2, $3))")
        .bind(casey)
        .bind(zone().to_utc(monday, time!(13:00)))
        .bind(zone().to_utc(monday, time!(17:00)))
        .execute(&app.db)
        .await
        .unwrap();
    let page = desk
        .get(&format!(
            "/patients/{ann}/book?kind=consultation&week={monday}"
        ))
        .await;
    page.assert_lacks(&slot(monday, time!(10:00), casey, 0))
        .assert_lacks(&slot(monday, time!(09:45), casey, 0))
        .assert_contains(&slot(monday, time!(10:30), casey, 0))
        .assert_lacks(&slot(monday, time!(14:00), casey, 0))
        .assert_contains(&slot(monday, time!(12:30), casey, 0));

    // With two clinicians, each time is offered once (the first free clinician), unless
    // the front desk picks a clinician.
    let bea = clinician_working_every_day(&app, "bea@clinic.test").await;
    let week = format!("/patients/{ann}/book?kind=consultation&week={monday}");
    let page = desk.get(&week).await;
    let nine = zone().to_utc(monday, time!(09:00)).unix_timestamp();
    assert_eq!(page.body.matches(&format!("value=\"{nine}-")).count(), 1);
    let only_bea = desk.get(&format!("{week}&clinician={bea}")).await;
    only_bea
        .assert_contains(&slot(monday, time!(10:00), bea, 0))
        .assert_lacks(&format!("-{casey}-0\""));

    // Both daylight-saving days of 2027: 09:00 stays 09:00 local.
    for (sunday, utc_hour) in [
        (time::macros::date!(2027 - 03 - 14), 13),
        (time::macros::date!(2027 - 11 - 07), 14),
    ] {
        let page = desk
            .get(&format!(
                "/patients/{ann}/book?kind=consultation&week={sunday}"
            ))
            .await;
        let at = sunday.with_hms(utc_hour, 0, 0).unwrap().assume_utc();
        page.assert_contains(&format!("value=\"{}-{casey}-0\"", at.unix_timestamp()));
    }
}

#[tokio::test]
async fn fifty_bookings_of_one_time_at_once_give_it_to_exactly_one() {
    let app = TestApp::spawn().await;
    let casey = clinician_working_every_day(&app, "casey@clinic.test").await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let mut patients = Vec::new();
    for n in 0..50 {
        patients.push(patient(&app, &format!("p{n}@clinic.test")).await);
    }
    let wanted = slot(next_monday(), time!(11:00), casey, 0);
    let attempts = patients.iter().map(|&p| {
        let desk = desk.clone();
        let wanted = wanted.clone();
        async move { book(&desk, p, "consultation", &wanted, "").await }
    });
    let pages = futures_join_all(attempts).await;
    let booked = pages
        .iter()
        .filter(|p| p.status == StatusCode::SEE_OTHER)
        .count();
    assert_eq!(booked, 1);
    for page in pages.iter().filter(|p| p.status != StatusCode::SEE_OTHER) {
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        page.assert_contains("That time was just taken")
            .assert_contains(&slot(next_monday(), time!(11:30), casey, 0));
    }
    assert_eq!(count(&app, "SELECT count(*) FROM appointments").await, 1);
    // The database itself refuses a second live booking of the clinician at that time.
    let clash = sqlx::query(
        "INSERT INTO appointments (patient_id, kind, clinician_id, during, booked_by)
         SELECT $1, 'consultation', clinician_id, during, booked_by FROM appointments",
    )
    .bind(patients[0])
    .execute(&app.db)
    .await;
    assert!(matches!(clash, Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23P01")));
}

/// Runs the futures at once on this runtime and waits for all.
async fn futures_join_all<F: std::future::Future<Output = Page> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<Page> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut pages = Vec::new();
    for handle in handles {
        pages.push(handle.await.unwrap());
    }
    pages
}

#[tokio::test]
async fn the_infusion_gate_names_what_is_missing_and_only_clinicians_pass_the_limits() {
    let app = TestApp::spawn().await;
    let casey = clinician_working_every_day(&app, "casey@clinic.test").await;
    let ann = patient(&app, "ann@clinic.test").await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let monday = next_monday();

    // Not cleared: the page names each missing condition and what to do; booking is refused.
    let page = desk
        .get(&format!("/patients/{ann}/book?kind=infusion&week={monday}"))
        .await;
    page.assert_contains("Not cleared for an infusion yet")
        .assert_contains("screening not started")
        .assert_contains("Consent is not current")
        .assert_contains("signs the current consent")
        .assert_lacks("Book the chosen time");
    let refused = book(
        &desk,
        ann,
        "infusion",
        &slot(monday, time!(09:00), casey, 0),
        "",
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_contains("cannot be booked yet");
    assert_eq!(count(&app, "SELECT count(*) FROM appointments").await, 0);

    // Cleared: an infusion takes a chair for the whole chair time.
    clear_for_infusions(&app, ann, casey).await;
    let page = desk
        .get(&format!("/patients/{ann}/book?kind=infusion&week={monday}"))
        .await;
    page.assert_lacks("Not cleared");
    let chair = chair_of(&page, monday, time!(09:00), casey);
    let booked = book(
        &desk,
        ann,
        "infusion",
        &slot(monday, time!(09:00), casey, chair),
        "",
    )
    .await;
    assert!(
        booked.location().starts_with("/appointments/"),
        "{}",
        booked.body
    );
    let (kind, minutes, chair_id): (String, f64, Option<i64>) = sqlx::query_as(
        "SELECT kind::text, extract(epoch FROM upper(during) - lower(during))::float8 / 60, chair_id FROM appointments",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        (kind.as_str(), minutes, chair_id),
        ("infusion", 150.0, Some(chair))
    );

    // The next day is within the 48-hour minimum: the front desk cannot pass that.
    let tuesday = monday + Duration::days(1);
    let too_soon = book(
        &desk,
        ann,
        "infusion",
        &slot(tuesday, time!(09:00), casey, 0),
        "",
    )
    .await;
    assert_eq!(too_soon.status, StatusCode::UNPROCESSABLE_ENTITY);
    too_soon.assert_contains("less than 48 hours");
    // A clinician may, with a reason written down.
    let (doc, _) = app.logged_in(Role::Clinician, "doc@clinic.test").await;
    let no_reason = book(
        &doc,
        ann,
        "infusion",
        &slot(tuesday, time!(09:00), casey, 0),
        "",
    )
    .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    no_reason.assert_contains("Write the reason");
    let page = doc
        .get(&format!(
            "/patients/{ann}/book?kind=infusion&week={tuesday}"
        ))
        .await;
    page.assert_contains("Reason for booking past the limit");
    let overridden = book(
        &doc,
        ann,
        "infusion",
        &slot(tuesday, time!(14:00), casey, 0),
        "Protocol adjusted after review",
    )
    .await;
    assert!(
        overridden.location().starts_with("/appointments/"),
        "{}",
        overridden.body
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM appointments WHERE gate_override IS NOT NULL"
        )
        .await,
        1
    );
    // Consultations need no gate.
    let bob = patient(&app, "bob@clinic.test").await;
    let consult = book(
        &desk,
        bob,
        "consultation",
        &slot(monday, time!(15:00), casey, 0),
        "",
    )
    .await;
    assert!(consult.location().starts_with("/appointments/"));
    assert!(
        app.audit_actions()
            .await
            .iter()
            .filter(|a| *a == "appointment.book")
            .count()
            >= 3
    );
}

#[tokio::test]
async fn bad_choices_get_clear_messages_and_nothing_is_half_booked() {
    let app = TestApp::spawn().await;
    let casey = clinician_working_every_day(&app, "casey@clinic.test").await;
    let ann = patient(&app, "ann@clinic.test").await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let monday = next_monday();
    let yesterday = zone().date_of(OffsetDateTime::now_utc()) - Duration::days(1);
    for (choice, message) in [
        (slot(yesterday, time!(10:00), casey, 0), "has passed"),
        (
            slot(monday, time!(07:00), casey, 0),
            "working hours. Choose",
        ),
        (
            slot(monday, time!(10:07), casey, 0),
            "working hours. Choose",
        ),
        ("nonsense".to_owned(), "Choose one of the times"),
    ] {
        let page = book(&desk, ann, "consultation", &choice, "").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{choice}");
        page.assert_contains(message);
    }
    assert_eq!(count(&app, "SELECT count(*) FROM appointments").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM outbox").await, 0);

    // Cancelling twice: the second time says it is no longer booked.
    let booked = book(
        &desk,
        ann,
        "consultation",
        &slot(monday, time!(10:00), casey, 0),
        "",
    )
    .await;
    // The patient cannot be in two places: another clinician at the same time is refused.
    let bea = clinician_working_every_day(&app, "bea@clinic.test").await;
    let twice = book(
        &desk,
        ann,
        "consultation",
        &slot(monday, time!(10:00), bea, 0),
        "",
    )
    .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    twice.assert_contains("already has an appointment at that time");
    let appointment = appointment_path(&booked);
    let first = desk
        .post(&format!("{appointment}/cancel"), &[("note", "")])
        .await;
    assert!(
        first.location().ends_with("notice=cancelled"),
        "{}",
        first.location()
    );
    let second = desk
        .post(&format!("{appointment}/cancel"), &[("note", "")])
        .await;
    assert!(second.location().ends_with("notice=not-live"));
    desk.follow(&second)
        .await
        .assert_contains("no longer booked");
}

#[tokio::test]
async fn reminders_go_out_once_and_follow_the_appointment() {
    let app = TestApp::spawn().await;
    let casey = clinician_working_every_day(&app, "casey@clinic.test").await;
    let ann = patient(&app, "ann@clinic.test").await;
    clear_for_infusions(&app, ann, casey).await;
    let bob = patient(&app, "bob@clinic.test").await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let monday = next_monday();

    let infusion = booked(
        &desk,
        ann,
        "infusion",
        &slot(monday, time!(09:00), casey, 0),
    )
    .await;
    // Written with the booking, due 24 hours before, with the infusion's preparation.
    let (due, body): (OffsetDateTime, String) =
        sqlx::query_as("SELECT next_attempt_at, body FROM outbox WHERE appointment_id IS NOT NULL")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        due,
        zone().to_utc(monday, time!(09:00)) - Duration::hours(24)
    );
    assert!(
        body.contains("Do not eat") && body.contains("Arrange a ride home"),
        "{body}"
    );

    // Moving it replaces the reminder; cancelling removes it.
    let tuesday = monday + Duration::days(1);
    let moved = desk
        .post(
            &format!("{infusion}/reschedule"),
            &[(
                "slot",
                slot(tuesday + Duration::days(1), time!(10:00), casey, 0).as_str(),
            )],
        )
        .await;
    assert!(moved.location().ends_with("notice=moved"), "{}", moved.body);
    let due: Vec<OffsetDateTime> =
        sqlx::query_scalar("SELECT next_attempt_at FROM outbox WHERE appointment_id IS NOT NULL")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        due,
        vec![zone().to_utc(tuesday + Duration::days(1), time!(10:00)) - Duration::hours(24)]
    );
    let consult = booked(
        &desk,
        bob,
        "consultation",
        &slot(monday, time!(15:00), casey, 0),
    )
    .await;
    desk.post(&format!("{consult}/cancel"), &[("note", "")])
        .await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM outbox WHERE appointment_id IS NOT NULL"
        )
        .await,
        1
    );

    // Due now: two workers on the one database send it exactly once.
    app.sql("UPDATE outbox SET next_attempt_at = now() - interval '1 minute'")
        .await;
    // A reminder whose appointment was cancelled behind the outbox's back is skipped.
    let ghost = book(
        &desk,
        bob,
        "consultation",
        &slot(monday, time!(16:00), casey, 0),
        "",
    )
    .await;
    let ghost_id: i64 = ghost
        .location()
        .split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    app.sql("UPDATE outbox SET next_attempt_at = now() - interval '1 minute'")
        .await;
    sqlx::query("UPDATE appointments SET status = 'cancelled' WHERE id = $1")
        .bind(ghost_id)
        .execute(&app.db)
        .await
        .unwrap();
    let (url, inbox) = crate::fixtures::fake_relay().await;
    let one = crate::fixtures::mailer_for(&url);
    let two = crate::fixtures::mailer_for(&url);
    let (a, b) = tokio::join!(
        clinic::notify::deliver_due(&app.db, &one),
        clinic::notify::deliver_due(&app.db, &two)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let delivered = inbox.lock().unwrap().clone();
    assert_eq!(delivered.len(), 1);
    assert!(
        delivered[0]
            .recipients
            .contains(&"ann@clinic.test".to_owned())
    );
    assert!(delivered[0].data.contains("Reminder: your infusion"));
    // Nothing more goes out later.
    assert_eq!(clinic::notify::deliver_due(&app.db, &one).await.unwrap(), 0);
}

#[tokio::test]
async fn the_front_desk_finds_patients_views_the_day_and_changes_appointments() {
    let app = TestApp::spawn().await;
    let casey = clinician_working_every_day(&app, "casey@clinic.test").await;
    let (_, ann) =
        crate::fixtures::patient_with_profile(&app, "ann@clinic.test", "Ann Example").await;
    crate::fixtures::patient_with_profile(&app, "bo@clinic.test", "Bo Other").await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    the_desk_finds_patients_by_name_phone_or_birth_date(&desk).await;
    let (appointment, monday) =
        a_booking_shows_in_the_day_week_and_patient_views(&desk, ann, casey).await;
    let now = ten_oclock_today(&app).await;
    todays_appointments_are_checked_in_or_marked_no_show(
        &app,
        &desk,
        casey,
        &appointment,
        monday,
        &now,
    )
    .await;
    a_late_cancellation_is_marked_and_every_change_audited(&app, &desk, ann, casey, monday, &now)
        .await;
}

async fn the_desk_finds_patients_by_name_phone_or_birth_date(desk: &Client) {
    // By any part of the name, any case; by phone digits; by date of birth.
    let found = desk.get("/front-desk/patients?q=XAMP").await;
    found
        .assert_contains("Ann Example")
        .assert_lacks("Bo Other");
    desk.get("/front-desk/patients?phone=010%202000")
        .await
        .assert_contains("Ann Example");
    desk.get("/front-desk/patients?born=1984-03-27")
        .await
        .assert_contains("Ann Example");
    desk.get("/front-desk/patients?born=1999-01-01")
        .await
        .assert_lacks("Ann Example");
    let bad = desk.get("/front-desk/patients?born=27%2F03%2F1984").await;
    bad.assert_contains("id=\"born-error\"")
        .assert_contains("value=\"27/03/1984\"");
}

/// Books a consultation next Monday and finds it in every view; returns its page and the day.
async fn a_booking_shows_in_the_day_week_and_patient_views(
    desk: &Client,
    ann: i64,
    casey: i64,
) -> (String, Date) {
    // Book for today's clinic day and see it in the day view by chair and by clinician.
    let monday = next_monday();
    let appointment = booked(
        desk,
        ann,
        "consultation",
        &slot(monday, time!(09:30), casey, 0),
    )
    .await;
    // The chair board comes first; the same day by clinician is one tab away.
    let day = desk.get(&format!("/schedule?date={monday}")).await;
    day.assert_contains("<h2 id=\"board-heading\">By chair</h2>")
        .assert_contains("Free all day")
        .assert_contains(&format!(
            "href=\"/schedule?date={monday}&#38;by=clinician\""
        ));
    let by_clinician = desk
        .get(&format!("/schedule?date={monday}&by=clinician"))
        .await;
    by_clinician
        .assert_contains("<h2 id=\"board-heading\">By clinician</h2>")
        .assert_contains("<strong>09:30–10:00</strong> Consultation: Ann Example");
    desk.get(&format!("/schedule/week?date={monday}"))
        .await
        .assert_contains("Ann Example");
    desk.get(&format!("/patients/{ann}/appointments"))
        .await
        .assert_contains("Consultation");
    let detail = desk.get(&appointment).await;
    detail
        .assert_contains("Reschedule")
        .assert_lacks("Check in");
    (appointment, monday)
}

/// Moves the app's clock to 10:00 clinic time today; returns that time as SQL.
async fn ten_oclock_today(app: &TestApp) -> String {
    // Today is read at 10:00 clinic time through the app's clock, whatever the hour the suite
    // runs at, so the appointments put around "now" below never fall on the next clinic day.
    let zone_name: String = sqlx::query_scalar("SELECT time_zone FROM clinic_settings")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let zone = ClinicZone::named(&zone_name).unwrap();
    let ten = zone.to_utc(zone.date_of(app.clock.now()), time!(10:00));
    app.clock.advance(ten - app.clock.now());
    let now = format!(
        "'{}'::timestamptz",
        app.clock
            .now()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    );
    now
}

async fn todays_appointments_are_checked_in_or_marked_no_show(
    app: &TestApp,
    desk: &Client,
    casey: i64,
    appointment: &str,
    monday: Date,
    now: &str,
) {
    // An appointment of today can be checked in; one that has started can be a no-show.
    app.sql(&format!("UPDATE appointments SET during = tstzrange({now} - interval '10 minutes', {now} + interval '20 minutes')")).await;
    let today = desk.get(appointment).await;
    today
        .assert_contains("Check in")
        .assert_contains("Mark no-show");
    // Checking in a second appointment of today.
    let bo: i64 = sqlx::query_scalar("SELECT id FROM patients WHERE legal_name = 'Bo Other'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let second = booked(
        desk,
        bo,
        "consultation",
        &slot(monday, time!(13:00), casey, 0),
    )
    .await;
    app.sql(&format!("UPDATE appointments SET during = tstzrange({now} + interval '1 hour', {now} + interval '90 minutes') WHERE status = 'booked' AND patient_id <> (SELECT id FROM patients WHERE legal_name = 'Ann Example')")).await;
    // The day's board is drawn once and kept, but never outlives a change: today's board,
    // seen before and after the check-in, shows the new status at once.
    let bo_on_today_board = || async {
        let page = desk.get("/schedule?by=clinician").await;
        let at = page.body.find("Bo Other").expect("Bo on today's board");
        page.body[at..]
            .split("</li>")
            .next()
            .unwrap_or("")
            .to_string()
    };
    assert!(bo_on_today_board().await.contains("Booked"));
    let checked = desk.post(&format!("{second}/check-in"), &[]).await;
    assert!(bo_on_today_board().await.contains("Checked in"));
    assert!(
        checked.location().ends_with("notice=checked-in"),
        "{}",
        checked.location()
    );
    desk.follow(&checked).await.assert_contains("Checked in");
    let again = desk.post(&format!("{second}/check-in"), &[]).await;
    assert!(again.location().ends_with("notice=not-live"));
    let done = desk.post(&format!("{appointment}/no-show"), &[]).await;
    assert!(done.location().ends_with("notice=no-show"));
    let history = desk.follow(&done).await;
    history
        .assert_contains("No-show")
        .assert_contains("no_show by Front desk desk");
}

async fn a_late_cancellation_is_marked_and_every_change_audited(
    app: &TestApp,
    desk: &Client,
    ann: i64,
    casey: i64,
    monday: Date,
    now: &str,
) {
    // A late cancellation is marked as such.
    let late = booked(
        desk,
        ann,
        "consultation",
        &slot(monday, time!(11:00), casey, 0),
    )
    .await;
    app.sql(&format!("UPDATE appointments SET during = tstzrange({now} + interval '3 hours', {now} + interval '3 hours 30 minutes') WHERE status = 'booked'")).await;
    let cancelled = desk
        .post(&format!("{late}/cancel"), &[("note", "Patient called")])
        .await;
    assert!(
        cancelled.location().ends_with("notice=late"),
        "{}",
        cancelled.location()
    );
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM appointments WHERE late_cancellation"
        )
        .await,
        1
    );
    let actions = app.audit_actions().await;
    for action in [
        "schedule.view",
        "appointment.view",
        "appointment.no_show",
        "appointment.cancel",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} not audited");
    }
}

#[tokio::test]
async fn patients_book_and_cancel_their_own_appointments_once_their_email_is_confirmed() {
    let app = TestApp::spawn().await;
    let casey = clinician_working_every_day(&app, "casey@clinic.test").await;
    let (client, user_id) = app.logged_in(Role::Patient, "ann@clinic.test").await;
    let (other, _) = app.logged_in(Role::Patient, "other@clinic.test").await;
    let monday = next_monday();
    let wanted = slot(monday, time!(09:00), casey, 0);

    // Unconfirmed email: the page explains, and booking is refused.
    client
        .get("/patient/appointments/book?kind=consultation")
        .await
        .assert_contains("confirm your email address");
    let refused = client
        .post(
            "/patient/appointments/book?kind=consultation",
            &[("slot", wanted.as_str())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, "SELECT count(*) FROM appointments").await, 0);

    sqlx::query("UPDATE users SET email_verified_at = now() WHERE id = $1")
        .bind(user_id)
        .execute(&app.db)
        .await
        .unwrap();
    app.sessions.forget_user(user_id);
    let page = client
        .get(&format!(
            "/patient/appointments/book?kind=consultation&week={monday}"
        ))
        .await;
    page.assert_contains(&wanted);
    let booked = client
        .post(
            "/patient/appointments/book?kind=consultation",
            &[("slot", wanted.as_str())],
        )
        .await;
    assert_eq!(
        booked.location(),
        "/patient/appointments?notice=booked",
        "{}",
        booked.body
    );
    let list = client.follow(&booked).await;
    list.assert_contains("Consultation with Clinician casey")
        .assert_contains("Cancel");
    // An infusion is gated for patients too.
    client
        .get("/patient/appointments/book?kind=infusion")
        .await
        .assert_contains("Not cleared for an infusion yet");

    // Someone else's appointment is not found; their own cancels.
    let id: i64 = sqlx::query_scalar("SELECT id FROM appointments")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        other
            .post(&format!("/patient/appointments/{id}/cancel"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Moving it: the patient picks another open time; someone else cannot.
    let later = slot(monday, time!(14:00), casey, 0);
    assert_eq!(
        other
            .get(&format!("/patient/appointments/{id}/reschedule"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let form = client
        .get(&format!("/patient/appointments/{id}/reschedule"))
        .await;
    form.assert_contains(&later);
    let moved = client
        .post(
            &format!("/patient/appointments/{id}/reschedule"),
            &[("slot", later.as_str())],
        )
        .await;
    assert_eq!(moved.location(), "/patient/appointments?notice=moved");
    let starts: OffsetDateTime = sqlx::query_scalar("SELECT starts_at FROM appointments")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(starts, zone().to_utc(monday, time!(14:00)));
    let cancelled = client
        .post(&format!("/patient/appointments/{id}/cancel"), &[])
        .await;
    assert_eq!(
        cancelled.location(),
        "/patient/appointments?notice=cancelled"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM appointments WHERE status = 'cancelled' AND NOT late_cancellation"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn withdrawing_consent_cancels_future_infusions_and_tells_the_front_desk() {
    let app = TestApp::spawn().await;
    let casey = clinician_working_every_day(&app, "casey@clinic.test").await;
    let (patient_client, ann) =
        crate::fixtures::patient_with_profile(&app, "ann@clinic.test", "Ann Example").await;
    clear_for_infusions(&app, ann, casey).await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let monday = next_monday();
    book(
        &desk,
        ann,
        "infusion",
        &slot(monday, time!(09:00), casey, 0),
        "",
    )
    .await;
    book(
        &desk,
        ann,
        "consultation",
        &slot(monday + Duration::days(3), time!(09:00), casey, 0),
        "",
    )
    .await;
    let withdrawn = patient_client
        .post("/patient/consent/withdraw", &[("confirm", "yes")])
        .await;
    assert_eq!(withdrawn.location(), "/patient/consent?notice=withdrawn");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM appointments WHERE kind = 'infusion' AND status = 'cancelled'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM appointments WHERE kind = 'consultation' AND status = 'booked'"
        )
        .await,
        1,
        "a consultation needs no consent"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM outbox WHERE appointment_id IS NOT NULL"
        )
        .await,
        1,
        "only the consultation's reminder is left"
    );
    let home = desk.get("/front-desk").await;
    home.assert_contains("withdrew their consent")
        .assert_contains("Ann Example");
    desk.get(&format!("/patients/{ann}/appointments")).await;
    desk.get("/front-desk")
        .await
        .assert_lacks("withdrew their consent");
}

#[tokio::test]
async fn appointments_download_as_icalendar_and_feeds_are_private_and_revocable() {
    let app = TestApp::spawn().await;
    let casey = clinician_working_every_day(&app, "casey@clinic.test").await;
    let (patient_client, ann) = logged_in_patient(&app, "ann@clinic.test").await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let monday = next_monday();
    let appointment = booked(
        &desk,
        ann,
        "consultation",
        &slot(monday, time!(09:00), casey, 0),
    )
    .await;
    let id: i64 = appointment.rsplit('/').next().unwrap().parse().unwrap();

    let file = desk.get(&format!("{appointment}/calendar.ics")).await;
    assert_eq!(file.header("content-type"), "text/calendar; charset=utf-8");
    let events = parse_events(&file.body);
    assert_eq!(events.len(), 1);
    let start = zone().to_utc(monday, time!(09:00));
    assert_eq!(
        events[0].get("UID").unwrap(),
        &format!("appointment-{id}@clinic")
    );
    assert_eq!(events[0].get("DTSTART").unwrap(), &ics(start));
    assert_eq!(
        events[0].get("DTEND").unwrap(),
        &ics(start + Duration::minutes(30))
    );
    let own = patient_client
        .get(&format!("/patient/appointments/{id}/calendar.ics"))
        .await;
    assert_eq!(parse_events(&own.body).len(), 1);

    // The patient's private feed.
    let page = patient_client.post("/calendar-feed", &[]).await;
    let url = text_between(&page.body, "id=\"feed-url\">", "</code>");
    let path = &url[url.find("/calendar/").unwrap()..];
    let feed = app.client().get(path).await;
    assert_eq!(feed.status, StatusCode::OK);
    let events = parse_events(&feed.body);
    assert_eq!(events.len(), 1);
    assert!(events[0].get("SUMMARY").unwrap().contains("Consultation"));
    // A new address makes the old one stop working.
    patient_client.post("/calendar-feed", &[]).await;
    assert_eq!(app.client().get(path).await.status, StatusCode::NOT_FOUND);

    // A clinician's feed names no patient.
    let (doc, doc_id) = app.logged_in(Role::Clinician, "doc@clinic.test").await;
    sqlx::query("UPDATE appointments SET clinician_id = $1")
        .bind(doc_id)
        .execute(&app.db)
        .await
        .unwrap();
    let page = doc.post("/calendar-feed", &[]).await;
    let url = text_between(&page.body, "id=\"feed-url\">", "</code>");
    let feed = app
        .client()
        .get(&url[url.find("/calendar/").unwrap()..])
        .await;
    let events = parse_events(&feed.body);
    assert_eq!(events.len(), 1);
    assert!(!feed.body.contains("Patient ann"), "{}", feed.body);
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|a| a == "calendar.feed")
    );
}

fn ics(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    at.format(format).unwrap()
}

fn text_between(text: &str, from: &str, to: &str) -> String {
    let start = text.find(from).unwrap() + from.len();
    let end = start + text[start..].find(to).unwrap();
    text[start..end].to_owned()
}

/// Every VEVENT's properties, read by the `ical` crate's parser.
fn parse_events(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let reader = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let mut events = Vec::new();
    for calendar in reader {
        let calendar = calendar.expect("valid iCalendar");
        for event in calendar.events {
            events.push(
                event
                    .properties
                    .into_iter()
                    .map(|p| (p.name, p.value.unwrap_or_default()))
                    .collect(),
            );
        }
    }
    events
}

#[tokio::test]
async fn the_admin_sets_up_chairs_hours_and_time_off_with_clear_messages() {
    let app = TestApp::spawn().await;
    let casey = app.add_user(Role::Clinician, "casey@clinic.test").await;
    let (admin, _) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    let page = admin.get("/admin/scheduling").await;
    page.assert_contains("Chair 1")
        .assert_contains("No working hours yet");

    // Chairs: a new one, a duplicate name refused by the field with the name kept.
    let added = admin
        .post("/admin/scheduling/chairs", &[("name", "Recliner 3")])
        .await;
    assert_eq!(added.location(), "/admin/scheduling?notice=saved");
    let duplicate = admin
        .post("/admin/scheduling/chairs", &[("name", "Chair 1")])
        .await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    duplicate
        .assert_contains("already a chair with that name")
        .assert_contains("value=\"Chair 1\"");

    // Working hours: kept in local time; bad and overlapping hours are refused.
    let casey_id = casey.to_string();
    let hours = |starts: &'static str, ends: &'static str| {
        vec![
            ("clinician_id", casey_id.clone()),
            ("weekday", "3".to_owned()),
            ("starts", starts.to_owned()),
            ("ends", ends.to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let admin = admin.clone();
        async move {
            let borrowed: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.post("/admin/scheduling/hours", &borrowed).await
        }
    };
    let saved = post(hours("09:00", "13:00")).await;
    assert_eq!(saved.location(), "/admin/scheduling?notice=saved");
    let backwards = post(hours("15:00", "14:00")).await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    backwards
        .assert_contains("The end must be after the start")
        .assert_contains("value=\"15:00\"")
        .assert_contains("value=\"3\" selected");
    let overlapping = post(hours("12:00", "14:00")).await;
    overlapping.assert_contains("overlap hours already set");
    let garbled = post(hours("nine", "17:00")).await;
    garbled.assert_contains("like 09:00");
    let (starts, ends, weekday): (Time, Time, i16) =
        sqlx::query_as("SELECT starts, ends, weekday FROM clinician_hours")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((starts, ends, weekday), (time!(09:00), time!(13:00), 3));

    // Time off in local time.
    let refused = admin
        .post(
            "/admin/scheduling/time-off",
            &[
                ("clinician_id", casey_id.as_str()),
                ("from", "2027-01-05T09:00"),
                ("until", "2027-01-04T09:00"),
                ("reason", "Course"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused
        .assert_contains("The end must be after the start")
        .assert_contains("value=\"2027-01-05T09:00\"")
        .assert_contains("value=\"Course\"");
    admin
        .post(
            "/admin/scheduling/time-off",
            &[
                ("clinician_id", casey_id.as_str()),
                ("from", "2027-01-05T09:00"),
                ("until", "2027-01-06T17:00"),
                ("reason", "Course"),
            ],
        )
        .await;
    let from: OffsetDateTime = sqlx::query_scalar("SELECT lower(during) FROM time_off")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(from, time::macros::datetime!(2027-01-05 14:00 UTC));
    admin
        .get("/admin/scheduling")
        .await
        .assert_contains("5 Jan 2027, 09:00 EST");
    assert!(
        app.audit_actions()
            .await
            .iter()
            .filter(|a| *a == "schedule.setup")
            .count()
            >= 3
    );
}
