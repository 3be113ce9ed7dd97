//! The chair board: the day as a time grid, a column per chair (or clinician) in natural
//! order, each appointment a block coloured and labelled by its state, the current time as a
//! line, and a plain message for an empty day.

use clinic::auth::model::Role;
use clinic::clinic_time::ClinicZone;
use time::format_description::well_known::Rfc3339;

use crate::fixtures::{clinician_working_every_day, patient};
use crate::support::TestApp;

/// Books `patient` on `chair` from `from` to `until` minutes after the app's clock, in
/// `status`; returns the appointment's id.
async fn appointment(
    app: &TestApp,
    patient: i64,
    clinician: i64,
    chair: &str,
    (from, until): (i64, i64),
    status: &str,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO appointments (patient_id, kind, clinician_id, chair_id, during, status, booked_by)
         SELECT $1, 'infusion', $2, c.id,
                tstzrange($7 + make_interval(mins => $4::int), $7 + make_interval(mins => $5::int)),
                $6::appointment_status, $2
         FROM chairs c WHERE c.name = $3 RETURNING id",
    )
    .bind(patient)
    .bind(clinician)
    .bind(chair)
    .bind(from as i32)
    .bind(until as i32)
    .bind(status)
    .bind(app.clock.now())
    .fetch_one(&app.db)
    .await
    .unwrap()
}

/// The position of `needle` in `body` (it must be there).
fn at(body: &str, needle: &str) -> usize {
    body.find(needle)
        .unwrap_or_else(|| panic!("{needle} not on the board"))
}

#[tokio::test]
async fn the_day_is_a_board_of_chairs_in_natural_order_with_states_and_the_time_now() {
    let app = TestApp::spawn().await;
    let casey = clinician_working_every_day(&app, "casey@clinic.test").await;
    app.sql("INSERT INTO chairs (name) VALUES ('Chair 10')")
        .await;
    app.sessions.forget_all();
    let ann = patient(&app, "ann@clinic.test").await;
    let bo = patient(&app, "bo@clinic.test").await;
    let cy = patient(&app, "cy@clinic.test").await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;

    // The board is read at 10:00 clinic time (the app's clock), whatever the hour the suite
    // runs at, so the appointments around it never cross midnight into another clinic day.
    let zone = ClinicZone::named("America/New_York").unwrap();
    let today = zone.date_of(app.clock.now());
    let ten = zone.to_utc(today, time::Time::from_hms(10, 0, 0).unwrap());
    app.clock.advance(ten - app.clock.now());
    let now = app.clock.now().format(&Rfc3339).unwrap();

    // Today nothing is booked yet: the board says so.
    let empty = desk.get(&format!("/schedule?date={today}")).await;
    empty
        .assert_contains(&format!(
            "Nothing is booked on {} {today}.",
            today.weekday()
        ))
        .assert_contains("Free all day")
        .assert_contains("class=\"board-scroll\" role=\"region\"");

    let running = appointment(&app, ann, casey, "Chair 10", (-20, 100), "checked_in").await;
    let later = appointment(&app, bo, casey, "Chair 2", (120, 240), "booked").await;
    let called_off = appointment(&app, cy, casey, "Chair 1", (120, 240), "cancelled").await;
    app.sql(&format!(
        "INSERT INTO infusion_records (appointment_id, patient_id, opened_by, checked_in_by,
             checked_in_at, weight_kg, dose_mg, mg_per_kg, route, minutes, lot_number,
             ordered_by, ordered_at, started_at)
         VALUES ({running}, {ann}, {casey}, {casey}, '{now}', 70, 35, 0.5, 'iv', 40, 'LOT-1',
                 {casey}, '{now}', '{now}')"
    ))
    .await;

    let board = desk.get("/schedule").await;
    let body = &board.body;
    // Chairs in the order people read them: 1, 2, then 10.
    assert!(at(body, ">Chair 1</h3>") < at(body, ">Chair 2</h3>"));
    assert!(at(body, ">Chair 2</h3>") < at(body, ">Chair 10</h3>"));
    // Each block is a link to its appointment that says its state in words as well as colour.
    board
        .assert_contains(&format!("href=\"/appointments/{running}\""))
        .assert_contains(&format!("href=\"/appointments/{later}\""))
        .assert_contains(&format!("href=\"/appointments/{called_off}\""))
        .assert_contains("state-infusing")
        .assert_contains("<span class=\"board-state\">Infusing</span>")
        .assert_contains("state-booked")
        .assert_contains("state-cancelled")
        .assert_contains("<span class=\"board-state\">Cancelled</span>")
        .assert_contains("What the colours mean")
        .assert_contains("class=\"board-now at-")
        .assert_contains(&format!("It is now {}.", zone.clock(app.clock.now())))
        .assert_lacks("Nothing is booked");
    // A two-hour infusion spans 24 rows of five minutes (25 when it starts between rows).
    let block = &body[at(body, "state-infusing at-")..][..40];
    assert!(
        block.contains(" len-24\"") || block.contains(" len-25\""),
        "{block}"
    );

    // The flowsheet moves on: the kept board is drawn again.
    app.sql(&format!(
        "UPDATE infusion_records SET ended_at = '{now}' WHERE appointment_id = {running}"
    ))
    .await;
    desk.get("/schedule")
        .await
        .assert_contains("<span class=\"board-state\">Recovering</span>")
        .assert_lacks("state-infusing at-");

    // The same day by clinician: one column, with the chair on each block.
    desk.get("/schedule?by=clinician")
        .await
        .assert_contains("<h2 id=\"board-heading\">By clinician</h2>")
        .assert_contains("Chair 10</span>");

    // Another day is not today: no line for the time.
    desk.get(&format!(
        "/schedule?date={}",
        today + time::Duration::days(1)
    ))
    .await
    .assert_lacks("class=\"board-now");
}
