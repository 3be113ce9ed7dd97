//! The dose's pure rules: the routes and protocols, the dose order checked against the
//! protocol, the clinic's maxima and today's weight, the standing order re-checked at the
//! start, and the amount given at the end. No I/O.

use time::Duration;

use super::model::*;
use crate::core::FormErrors;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Iv,
    Im,
    Intranasal,
}

impl Route {
    pub const ALL: [Route; 3] = [Route::Iv, Route::Im, Route::Intranasal];

    /// The value stored and posted.
    pub fn code(self) -> &'static str {
        match self {
            Route::Iv => "iv",
            Route::Im => "im",
            Route::Intranasal => "intranasal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Route::Iv => "IV",
            Route::Im => "IM",
            Route::Intranasal => "Intranasal",
        }
    }

    /// The code or the label, in any case.
    pub fn parse(text: &str) -> Option<Route> {
        let text = text.trim();
        Route::ALL
            .into_iter()
            .find(|route| route.code().eq_ignore_ascii_case(text))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Protocol {
    pub id: i64,
    pub name: String,
    pub route: Route,
    pub mg_per_kg: f64,
    pub minutes: i32,
    /// Retired protocols stay on old records but cannot be ordered.
    pub active: bool,
}

/// Dose maths: mg/kg × kg, rounded to 0.1 mg. The inputs are taken as recorded (mg/kg to
/// 0.01, kg to 0.1) and multiplied in whole units, so 0.5 × 72.4 is exactly 36.2.
pub fn dose_mg(mg_per_kg: f64, weight_kg: f64) -> f64 {
    let thousandths = units(mg_per_kg, 2).saturating_mul(units(weight_kg, 1));
    let half = if thousandths < 0 { -50 } else { 50 };
    (thousandths.saturating_add(half) / 100) as f64 / 10.0
}

/// As typed. Blank mg_per_kg / route / minutes mean "as the protocol says".
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct DoseForm {
    #[serde(default)]
    pub protocol_id: String,
    #[serde(default)]
    pub mg_per_kg: String,
    #[serde(default)]
    pub route: String,
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub deviation_reason: String,
    #[serde(default)]
    pub lot_number: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DoseOrder {
    pub protocol_id: i64,
    pub mg_per_kg: f64,
    pub dose_mg: f64,
    pub route: Route,
    pub minutes: i32,
    /// Set only when the order differs from the protocol.
    pub deviation_reason: Option<String>,
    pub lot_number: String,
}

/// Checks a dose order against the protocol, the clinic's maxima and today's weight, reporting
/// every problem at once on its field.
pub fn check_dose_order(
    form: &DoseForm,
    protocols: &[Protocol],
    weight_kg: Option<f64>,
    rules: &TreatmentRules,
) -> Result<DoseOrder, FormErrors> {
    let mut errors = FormErrors::default();
    errors.check_storable(&[
        ("protocol_id", &form.protocol_id),
        ("mg_per_kg", &form.mg_per_kg),
        ("route", &form.route),
        ("minutes", &form.minutes),
        ("deviation_reason", &form.deviation_reason),
        ("lot_number", &form.lot_number),
    ]);
    if weight_kg.is_none() {
        errors.add(
            "weight",
            "Record today's weight at check-in first: the dose is worked out from it.",
        );
    }

    let protocol_id = form.protocol_id.trim();
    let protocol = protocol_id
        .parse::<i64>()
        .ok()
        .and_then(|id| protocols.iter().find(|p| p.id == id));
    match protocol {
        Some(p) if !p.active => errors.add(
            "protocol_id",
            format!(
                "The protocol \"{}\" is no longer in use; choose an active one.",
                p.name
            ),
        ),
        Some(_) => {}
        None if protocol_id.is_empty() => errors.add("protocol_id", "Choose a protocol."),
        None => errors.add("protocol_id", "Choose one of the clinic's protocols."),
    }
    let protocol = protocol.filter(|p| p.active);

    let mg_per_kg = match parse_decimal(&form.mg_per_kg) {
        Err(DecimalProblem::Blank) => protocol.map(|p| p.mg_per_kg),
        Err(DecimalProblem::Comma) => {
            errors.add(
                "mg_per_kg",
                "Use a point for decimals in mg/kg, for example 0.5.",
            );
            None
        }
        Ok(value) if units(value, 2) > 0 => Some(units(value, 2) as f64 / 100.0),
        _ => {
            errors.add(
                "mg_per_kg",
                "Enter the dose in mg/kg as a number above 0, for example 0.5.",
            );
            None
        }
    };
    let mut dose = None;
    if let Some(mg_per_kg) = mg_per_kg {
        if units(mg_per_kg, 2) > units(rules.max_mg_per_kg, 2) {
            errors.add(
                "mg_per_kg",
                format!(
                    "{} mg/kg is above the clinic's maximum of {} mg/kg; orders above it are \
                     refused.",
                    plain_number(mg_per_kg),
                    plain_number(rules.max_mg_per_kg)
                ),
            );
        }
        if let Some(weight_kg) = weight_kg {
            let mg = dose_mg(mg_per_kg, weight_kg);
            if units(mg, 1) > units(rules.max_mg, 1) {
                errors.add(
                    "mg_per_kg",
                    format!(
                        "The dose would be {} mg, above the clinic's maximum of {} mg; lower the \
                         mg/kg.",
                        plain_number(mg),
                        plain_number(rules.max_mg)
                    ),
                );
            }
            dose = Some(mg);
        }
    }

    let route = if form.route.trim().is_empty() {
        protocol.map(|p| p.route)
    } else {
        let route = Route::parse(&form.route);
        if route.is_none() {
            errors.add("route", "Choose IV, IM or intranasal.");
        }
        route
    };

    let minutes = if form.minutes.trim().is_empty() {
        protocol.map(|p| p.minutes)
    } else {
        let minutes = parse_whole(&form.minutes).filter(|m| (1..=MINUTES_MAX).contains(m));
        if minutes.is_none() {
            errors.add(
                "minutes",
                format!("Enter the duration as whole minutes from 1 to {MINUTES_MAX}."),
            );
        }
        minutes
    };

    let mut differences = Vec::new();
    if let Some(p) = protocol {
        if mg_per_kg.is_some_and(|value| units(value, 2) != units(p.mg_per_kg, 2)) {
            differences.push("mg/kg");
        }
        if route.is_some_and(|route| route != p.route) {
            differences.push("route");
        }
        if minutes.is_some_and(|minutes| minutes != p.minutes) {
            differences.push("duration");
        }
    }
    let reason = form.deviation_reason.trim();
    let deviation_reason = if differences.is_empty() {
        None
    } else {
        if reason.is_empty() {
            errors.add(
                "deviation_reason",
                format!(
                    "This order differs from the protocol ({}): give the reason.",
                    differences.join(", ")
                ),
            );
        } else if reason.chars().count() > TEXT_MAX {
            errors.add(
                "deviation_reason",
                format!("Keep the reason to {TEXT_MAX} characters or fewer."),
            );
        }
        Some(reason.to_owned())
    };

    let lot_number = form.lot_number.trim();
    if lot_number.is_empty() {
        errors.add("lot_number", "Record the lot number printed on the vial.");
    } else if lot_number.chars().count() > LOT_NUMBER_MAX
        || !lot_number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '.'))
    {
        errors.add(
            "lot_number",
            format!(
                "A lot number is up to {LOT_NUMBER_MAX} letters, digits, '-', '/' or '.', as \
                 printed on the vial."
            ),
        );
    }

    match (protocol, mg_per_kg, dose, route, minutes) {
        (Some(p), Some(mg_per_kg), Some(dose_mg), Some(route), Some(minutes))
            if errors.is_empty() =>
        {
            Ok(DoseOrder {
                protocol_id: p.id,
                mg_per_kg,
                dose_mg,
                route,
                minutes,
                deviation_reason,
                lot_number: lot_number.to_owned(),
            })
        }
        _ => Err(errors),
    }
}

/// The order standing on a record: what it gives and the weight it was worked out from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StandingOrder {
    pub mg_per_kg: f64,
    pub dose_mg: f64,
    pub ordered_for_kg: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OrderProblem {
    NoOrder,
    /// The weight changed since the order: (ordered for, today).
    WeightChanged(f64, f64),
    AboveMgPerKg(f64),
    AboveMg(f64),
}

impl OrderProblem {
    pub fn message(&self, rules: &TreatmentRules) -> String {
        match self {
            OrderProblem::NoOrder => "Order the dose.".to_owned(),
            OrderProblem::WeightChanged(then, now) => format!(
                "The order was worked out for {} kg but today's weight is {} kg: order the dose \
                 again.",
                plain_number(*then),
                plain_number(*now)
            ),
            OrderProblem::AboveMgPerKg(per_kg) => format!(
                "The order gives {} mg/kg of today's weight, above the clinic's maximum of {} \
                 mg/kg: order the dose again.",
                plain_number(*per_kg),
                plain_number(rules.max_mg_per_kg)
            ),
            OrderProblem::AboveMg(mg) => format!(
                "The order gives {} mg, above the clinic's maximum of {} mg: order the dose \
                 again.",
                plain_number(*mg),
                plain_number(rules.max_mg)
            ),
        }
    }
}

/// Re-checks a standing order just before the start, against today's weight and every cap as
/// the clinic's settings now stand: the order must have been worked out from this weight, and
/// neither its mg/kg (ordered, and as a share of today's weight) nor its mg may pass a maximum.
pub fn order_problems(
    order: Option<StandingOrder>,
    weight_kg: Option<f64>,
    rules: &TreatmentRules,
) -> Vec<OrderProblem> {
    let Some(order) = order else {
        return vec![OrderProblem::NoOrder];
    };
    let mut problems = Vec::new();
    if let (Some(then), Some(now)) = (order.ordered_for_kg, weight_kg)
        && units(then, 1) != units(now, 1)
    {
        problems.push(OrderProblem::WeightChanged(then, now));
    }
    // The dose against what the cap allows at today's weight, rounded as orders are (so an
    // order made at the cap stays within it): 50 mg at 40 kg is 1.25 mg/kg.
    let today = weight_kg.filter(|kg| *kg > 0.0);
    let above_for_today = today
        .is_some_and(|kg| units(order.dose_mg, 1) > units(dose_mg(rules.max_mg_per_kg, kg), 1));
    if above_for_today || units(order.mg_per_kg, 2) > units(rules.max_mg_per_kg, 2) {
        let per_kg_today = today.map_or(0.0, |kg| (order.dose_mg / kg * 100.0).round() / 100.0);
        problems.push(OrderProblem::AboveMgPerKg(
            per_kg_today.max(order.mg_per_kg),
        ));
    }
    if units(order.dose_mg, 1) > units(rules.max_mg, 1) {
        problems.push(OrderProblem::AboveMg(order.dose_mg));
    }
    problems
}

/// Why a standing order no longer holds once the check-in's weight changed (None: it holds).
pub fn order_voided_by(ordered_for_kg: Option<f64>, weight_kg: f64) -> Option<String> {
    let then = ordered_for_kg?;
    (units(then, 1) != units(weight_kg, 1)).then(|| {
        format!(
            "The weight changed from {} kg to {} kg after the order.",
            plain_number(then),
            plain_number(weight_kg)
        )
    })
}

/// Whether a check-in weight is far enough from the last one (more than `pct`%) to be
/// confirmed: 160 typed into kg for a patient last weighed at 72 kg is usually 160 lb.
pub fn weight_needs_confirmation(last_kg: Option<f64>, weight_kg: f64, pct: i32) -> bool {
    last_kg.is_some_and(|last| {
        let (last, now) = (units(last, 1), units(weight_kg, 1));
        last > 0
            && now.abs_diff(last).saturating_mul(100)
                > last.unsigned_abs() * pct.unsigned_abs() as u64
    })
}

/// The amount actually given as typed at the end.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct GivenForm {
    #[serde(default)]
    pub given_mg: String,
    #[serde(default)]
    pub given_reason: String,
}

/// Checks the amount given against the order: blank means the ordered dose; less needs the
/// reason (stopped early, pump problem); more than ordered is refused.
pub fn check_amount_given(
    form: &GivenForm,
    ordered_mg: f64,
) -> Result<(f64, Option<String>), FormErrors> {
    let mut errors = FormErrors::default();
    errors.check_storable(&[
        ("given_mg", &form.given_mg),
        ("given_reason", &form.given_reason),
    ]);
    let given = match parse_decimal(&form.given_mg) {
        Err(DecimalProblem::Blank) => Some(ordered_mg),
        Err(DecimalProblem::Comma) => {
            errors.add("given_mg", "Use a point for decimals, for example 30.5.");
            None
        }
        Ok(value) if value >= 0.0 => Some(units(value, 1) as f64 / 10.0),
        _ => {
            errors.add(
                "given_mg",
                "Enter the amount given in mg as a number, for example 30.5.",
            );
            None
        }
    };
    let reason = form.given_reason.trim();
    if reason.chars().count() > TEXT_MAX {
        errors.add(
            "given_reason",
            format!("Keep the reason to {TEXT_MAX} characters or fewer."),
        );
    }
    if let Some(given) = given {
        if units(given, 1) > units(ordered_mg, 1) {
            errors.add(
                "given_mg",
                format!(
                    "{} mg is more than the {} mg ordered: record what was given, at most the \
                     order.",
                    plain_number(given),
                    plain_number(ordered_mg)
                ),
            );
        } else if units(given, 1) < units(ordered_mg, 1) && reason.is_empty() {
            errors.add(
                "given_reason",
                format!(
                    "{} mg is less than the {} mg ordered: give the reason (for example stopped \
                     early).",
                    plain_number(given),
                    plain_number(ordered_mg)
                ),
            );
        }
    }
    match given {
        Some(given) if errors.is_empty() => Ok((
            given,
            (units(given, 1) < units(ordered_mg, 1)).then(|| reason.to_owned()),
        )),
        _ => Err(errors),
    }
}

/// Whether an infusion ran for less than the clinic's share (`pct`%) of the ordered minutes.
pub fn is_short_infusion(ran: Duration, ordered_minutes: i32, pct: i32) -> bool {
    ran.whole_seconds().saturating_mul(100) < i64::from(ordered_minutes) * 60 * i64::from(pct)
}

/// A new dosing protocol as an administrator types it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ProtocolForm {
    #[serde(default, rename = "protocol_name")]
    pub name: String,
    #[serde(default, rename = "protocol_route")]
    pub route: String,
    #[serde(default, rename = "protocol_mg_per_kg")]
    pub mg_per_kg: String,
    #[serde(default, rename = "protocol_minutes")]
    pub minutes: String,
}

/// A protocol to add: named (1–80 characters), a known route, mg/kg above 0 up to 5 and
/// 1–240 minutes. Field names are prefixed `protocol_` to stand apart from the settings.
pub fn check_protocol(form: &ProtocolForm) -> Result<(String, Route, f64, i32), FormErrors> {
    let mut e = FormErrors::default();
    e.check_storable(&[
        ("protocol_name", &form.name),
        ("protocol_route", &form.route),
    ]);
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        e.add("protocol_name", "Name the protocol (up to 80 characters).");
    }
    let route = Route::parse(&form.route);
    if route.is_none() {
        e.add("protocol_route", "Choose a route.");
    }
    let mg_per_kg = decimal_setting(&mut e, "protocol_mg_per_kg", &form.mg_per_kg, 5.0);
    let minutes = setting(
        &mut e,
        "protocol_minutes",
        &form.minutes,
        (1, MINUTES_MAX),
        " minutes",
    );
    match route {
        Some(route) if e.is_empty() => Ok((name.to_owned(), route, mg_per_kg, minutes)),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn rules() -> TreatmentRules {
        TreatmentRules::example()
    }

    fn standard() -> Protocol {
        Protocol {
            id: 1,
            name: "Standard IV".to_owned(),
            route: Route::Iv,
            mg_per_kg: 0.5,
            minutes: 40,
            active: true,
        }
    }

    fn protocols() -> Vec<Protocol> {
        vec![
            standard(),
            Protocol {
                id: 2,
                name: "Old IM".to_owned(),
                route: Route::Im,
                mg_per_kg: 0.5,
                minutes: 5,
                active: false,
            },
        ]
    }

    fn order(protocol_id: &str, mg_per_kg: &str, lot: &str) -> DoseForm {
        DoseForm {
            protocol_id: protocol_id.to_owned(),
            mg_per_kg: mg_per_kg.to_owned(),
            lot_number: lot.to_owned(),
            ..DoseForm::default()
        }
    }

    fn check(form: &DoseForm, weight: Option<f64>) -> Result<DoseOrder, FormErrors> {
        check_dose_order(form, &protocols(), weight, &rules())
    }

    #[test]
    fn routes_round_trip_and_parse_labels() {
        for route in Route::ALL {
            assert_eq!(Route::parse(route.code()), Some(route));
            assert_eq!(Route::parse(route.label()), Some(route));
        }
        assert_eq!(Route::parse(" IV "), Some(Route::Iv));
        assert_eq!(Route::parse("oral"), None);
    }

    #[test]
    fn dose_is_mg_per_kg_times_weight_to_a_tenth_of_a_mg() {
        assert_eq!(dose_mg(0.5, 72.4), 36.2);
        assert_eq!(dose_mg(0.5, 72.3), 36.2); // 36.15 rounds up
        assert_eq!(dose_mg(0.35, 72.3), 25.3); // 25.305
        assert_eq!(dose_mg(0.35, 72.1), 25.2); // 25.235
        assert_eq!(dose_mg(1.0, 100.0), 100.0);
        assert_eq!(dose_mg(0.75, 80.0), 60.0);
    }

    #[test]
    fn a_protocol_order_takes_the_protocols_values() {
        let ordered = check(&order("1", "", " KX-2026/04.1 "), Some(72.4)).unwrap();
        assert_eq!(
            ordered,
            DoseOrder {
                protocol_id: 1,
                mg_per_kg: 0.5,
                dose_mg: 36.2,
                route: Route::Iv,
                minutes: 40,
                deviation_reason: None,
                lot_number: "KX-2026/04.1".to_owned(),
            }
        );
        // Typing the protocol's own values is no deviation; a typed reason is dropped.
        let form = DoseForm {
            route: "iv".to_owned(),
            minutes: "40".to_owned(),
            deviation_reason: "none really".to_owned(),
            ..order("1", "0.50", "A1")
        };
        assert_eq!(check(&form, Some(72.4)).unwrap().deviation_reason, None);
    }

    #[test]
    fn no_weight_refuses_the_order() {
        let errors = check(&order("1", "", "A1"), None).unwrap_err();
        assert!(errors.get("weight").unwrap().contains("today's weight"));
        assert_eq!(errors.all().len(), 1);
    }

    #[test]
    fn mg_per_kg_above_the_maximum_is_refused() {
        let form = DoseForm {
            deviation_reason: "Partial response".to_owned(),
            ..order("1", "1.1", "A1")
        };
        let errors = check(&form, Some(50.0)).unwrap_err();
        assert_eq!(
            errors.get("mg_per_kg"),
            Some(
                "1.1 mg/kg is above the clinic's maximum of 1 mg/kg; orders above it are refused."
            )
        );
        let at_max = DoseForm {
            deviation_reason: "Partial response".to_owned(),
            ..order("1", "1.0", "A1")
        };
        assert_eq!(check(&at_max, Some(50.0)).unwrap().dose_mg, 50.0);
    }

    #[test]
    fn a_dose_above_the_maximum_mg_is_refused() {
        let form = DoseForm {
            deviation_reason: "Partial response".to_owned(),
            ..order("1", "0.8", "A1")
        };
        let errors = check(&form, Some(130.0)).unwrap_err();
        assert_eq!(
            errors.get("mg_per_kg"),
            Some(
                "The dose would be 104 mg, above the clinic's maximum of 100 mg; lower the mg/kg."
            )
        );
        // Exactly the maximum is allowed.
        assert_eq!(check(&form, Some(125.0)).unwrap().dose_mg, 100.0);
        // The protocol's own dose is checked too.
        assert!(
            check(&order("1", "", "A1"), Some(201.0))
                .unwrap_err()
                .get("mg_per_kg")
                .is_some()
        );
    }

    #[test]
    fn mg_per_kg_must_be_a_positive_decimal_with_a_point() {
        for (typed, says) in [
            ("0,5", "Use a point"),
            ("0", "above 0"),
            ("-0.5", "above 0"),
            ("half", "above 0"),
            ("inf", "above 0"),
        ] {
            let errors = check(&order("1", typed, "A1"), Some(70.0)).unwrap_err();
            assert!(errors.get("mg_per_kg").unwrap().contains(says), "{typed}");
        }
    }

    #[test]
    fn a_deviation_needs_a_reason() {
        let form = DoseForm {
            route: "im".to_owned(),
            minutes: "30".to_owned(),
            ..order("1", "0.6", "A1")
        };
        let errors = check(&form, Some(70.0)).unwrap_err();
        assert_eq!(
            errors.get("deviation_reason"),
            Some("This order differs from the protocol (mg/kg, route, duration): give the reason.")
        );
        let form = DoseForm {
            deviation_reason: "  Partial response to 0.5  ".to_owned(),
            ..form
        };
        let accepted = check(&form, Some(70.0)).unwrap();
        assert_eq!(accepted.mg_per_kg, 0.6);
        assert_eq!(accepted.dose_mg, 42.0);
        assert_eq!(accepted.route, Route::Im);
        assert_eq!(accepted.minutes, 30);
        assert_eq!(
            accepted.deviation_reason.as_deref(),
            Some("Partial response to 0.5")
        );
        let long = DoseForm {
            deviation_reason: "x".repeat(TEXT_MAX + 1),
            ..form
        };
        assert!(
            check(&long, Some(70.0))
                .unwrap_err()
                .get("deviation_reason")
                .is_some()
        );
    }

    #[test]
    fn route_and_minutes_must_be_known_values() {
        let form = DoseForm {
            route: "oral".to_owned(),
            minutes: "241".to_owned(),
            ..order("1", "", "A1")
        };
        let errors = check(&form, Some(70.0)).unwrap_err();
        assert_eq!(errors.get("route"), Some("Choose IV, IM or intranasal."));
        assert!(errors.get("minutes").unwrap().contains("1 to 240"));
        let form = DoseForm {
            minutes: "0".to_owned(),
            ..form
        };
        assert!(
            check(&form, Some(70.0))
                .unwrap_err()
                .get("minutes")
                .is_some()
        );
    }

    #[test]
    fn a_lot_number_is_required_and_plain() {
        let errors = check(&order("1", "", "  "), Some(70.0)).unwrap_err();
        assert!(errors.get("lot_number").unwrap().contains("lot number"));
        for bad in ["AB 12", "AB<12>", "A".repeat(LOT_NUMBER_MAX + 1).as_str()] {
            assert!(
                check(&order("1", "", bad), Some(70.0))
                    .unwrap_err()
                    .get("lot_number")
                    .is_some(),
                "{bad}"
            );
        }
        assert!(check(&order("1", "", &"A".repeat(LOT_NUMBER_MAX)), Some(70.0)).is_ok());
    }

    #[test]
    fn only_an_active_known_protocol_can_be_ordered() {
        let errors = check(&order("2", "", "A1"), Some(70.0)).unwrap_err();
        assert!(errors.get("protocol_id").unwrap().contains("Old IM"));
        let errors = check(&order("9", "", "A1"), Some(70.0)).unwrap_err();
        assert!(errors.get("protocol_id").is_some());
        let errors = check(&order("", "", "A1"), Some(70.0)).unwrap_err();
        assert_eq!(errors.get("protocol_id"), Some("Choose a protocol."));
    }

    #[test]
    fn all_dose_problems_are_reported_at_once() {
        let form = DoseForm {
            route: "oral".to_owned(),
            ..order("2", "2", "")
        };
        let errors = check(&form, None).unwrap_err();
        for field in ["weight", "protocol_id", "mg_per_kg", "route", "lot_number"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn the_start_rechecks_the_order_against_todays_weight_and_the_caps() {
        let order = StandingOrder {
            mg_per_kg: 0.5,
            dose_mg: 50.0,
            ordered_for_kg: Some(100.0),
        };
        assert_eq!(order_problems(Some(order), Some(100.0), &rules()), vec![]);
        assert_eq!(
            order_problems(None, Some(100.0), &rules()),
            vec![OrderProblem::NoOrder]
        );
        // 50 mg ordered at 100 kg, started at 40 kg: 1.25 mg/kg, past the cap.
        let problems = order_problems(Some(order), Some(40.0), &rules());
        assert_eq!(
            problems,
            vec![
                OrderProblem::WeightChanged(100.0, 40.0),
                OrderProblem::AboveMgPerKg(1.25)
            ]
        );
        assert!(
            problems[0]
                .message(&rules())
                .contains("order the dose again")
        );
        // Exactly at the caps is allowed; a cap lowered since the order is not.
        let at_caps = StandingOrder {
            mg_per_kg: 1.0,
            dose_mg: 100.0,
            ordered_for_kg: Some(100.0),
        };
        assert_eq!(order_problems(Some(at_caps), Some(100.0), &rules()), vec![]);
        let lowered = TreatmentRules {
            max_mg: 99.9,
            max_mg_per_kg: 0.99,
            ..rules()
        };
        assert_eq!(
            order_problems(Some(at_caps), Some(100.0), &lowered),
            vec![
                OrderProblem::AboveMgPerKg(1.0),
                OrderProblem::AboveMg(100.0)
            ]
        );
    }

    #[test]
    fn a_changed_weight_voids_the_order() {
        assert_eq!(order_voided_by(None, 72.4), None);
        assert_eq!(order_voided_by(Some(72.4), 72.4), None);
        assert_eq!(
            order_voided_by(Some(100.0), 40.0).as_deref(),
            Some("The weight changed from 100 kg to 40 kg after the order.")
        );
        assert!(order_voided_by(Some(72.4), 72.5).is_some());
    }

    #[test]
    fn a_weight_far_from_the_last_one_needs_confirming() {
        assert!(!weight_needs_confirmation(None, 160.0, 10));
        assert!(weight_needs_confirmation(Some(72.0), 160.0, 10));
        assert!(!weight_needs_confirmation(Some(72.0), 79.2, 10));
        assert!(weight_needs_confirmation(Some(72.0), 79.3, 10));
        assert!(!weight_needs_confirmation(Some(72.0), 64.8, 10));
        assert!(weight_needs_confirmation(Some(72.0), 64.7, 10));
    }

    #[test]
    fn the_amount_given_is_at_most_the_order_and_less_needs_a_reason() {
        let given = |mg: &str, reason: &str| {
            check_amount_given(
                &GivenForm {
                    given_mg: mg.into(),
                    given_reason: reason.into(),
                },
                36.2,
            )
        };
        assert_eq!(given("", ""), Ok((36.2, None)));
        assert_eq!(given("36.2", ""), Ok((36.2, None)));
        assert_eq!(
            given("20", " Stopped early: nausea "),
            Ok((20.0, Some("Stopped early: nausea".to_owned())))
        );
        assert_eq!(
            given("0", "Line failed"),
            Ok((0.0, Some("Line failed".to_owned())))
        );
        assert!(given("20", "").unwrap_err().get("given_reason").is_some());
        assert!(
            given("36.3", "")
                .unwrap_err()
                .get("given_mg")
                .unwrap()
                .contains("more than the 36.2 mg ordered")
        );
        assert!(given("-1", "x").unwrap_err().get("given_mg").is_some());
        assert!(given("2,5", "x").unwrap_err().get("given_mg").is_some());
    }

    #[test]
    fn an_infusion_much_shorter_than_ordered_is_marked() {
        assert!(!is_short_infusion(Duration::minutes(30), 40, 75));
        assert!(is_short_infusion(
            Duration::minutes(30) - Duration::seconds(1),
            40,
            75
        ));
        assert!(!is_short_infusion(Duration::minutes(45), 40, 75));
    }

    #[test]
    fn a_protocol_needs_a_name_route_dose_and_time() {
        let good = ProtocolForm {
            name: " IM 0.75 mg/kg ".into(),
            route: "im".into(),
            mg_per_kg: "0.75".into(),
            minutes: "1".into(),
        };
        assert_eq!(
            check_protocol(&good),
            Ok(("IM 0.75 mg/kg".to_owned(), Route::Im, 0.75, 1))
        );
        let errors = check_protocol(&ProtocolForm::default()).unwrap_err();
        for field in [
            "protocol_name",
            "protocol_route",
            "protocol_mg_per_kg",
            "protocol_minutes",
        ] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }
}
