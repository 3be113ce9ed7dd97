//! The reports' pure rules: the date range and its checks, the periods the infusions are
//! counted in, shares and their rounding, the outcome rule, and the CSV file (RFC 4180 with
//! formula neutralisation). No I/O.

use time::{Date, Duration, Month};

use crate::core::FormErrors;
use crate::flowsheet::model::SideEffect;
use crate::outcomes::model::{is_remission, is_response};

/// The longest range a report covers, in years.
pub const MAX_RANGE_YEARS: i32 = 5;
/// Ranges up to this many days are counted per week, longer ones per month.
pub const WEEKLY_UP_TO_DAYS: i64 = 92;
/// Dates outside these years are typing mistakes.
const FIRST_YEAR: i32 = 2000;
const LAST_YEAR: i32 = 2100;
/// The infusion of a course the outcome is judged after.
pub const OUTCOME_AFTER_INFUSION: i64 = 6;

/// The range as typed (query string), kept as text so a mistake is shown back as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct RangeForm {
    pub from: Option<String>,
    pub until: Option<String>,
}

/// Days in the clinic's calendar, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub from: Date,
    pub until: Date,
}

impl Range {
    pub fn days(&self) -> i64 {
        (self.until - self.from).whole_days() + 1
    }

    /// The day after the last, where the range ends.
    pub fn end(&self) -> Date {
        self.until.next_day().unwrap_or(self.until)
    }

    /// "2026-01-01..2026-03-31", for the audit trail and file names.
    pub fn code(&self) -> String {
        format!("{}..{}", self.from, self.until)
    }
}

/// The last three full calendar months before `today`'s month.
pub fn default_range(today: Date) -> Range {
    let this_month = first_of_month(today);
    let until = this_month.previous_day().unwrap_or(this_month);
    let mut from = first_of_month(until);
    for _ in 0..2 {
        from = first_of_month(from.previous_day().unwrap_or(from));
    }
    Range { from, until }
}

/// The same day `years` later (29 February becomes 1 March in a common year).
fn years_after(day: Date, years: i32) -> Date {
    let year = day.year() + years;
    day.replace_year(year)
        .or_else(|_| Date::from_calendar_date(year, Month::March, 1))
        .unwrap_or(Date::MAX)
}

fn first_of_month(day: Date) -> Date {
    day.replace_day(1).unwrap_or(day)
}

fn parse_day(text: &str) -> Result<Date, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Enter a date.");
    }
    let day = Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| "Enter a date as year-month-day, for example 2026-01-31.")?;
    if (FIRST_YEAR..=LAST_YEAR).contains(&day.year()) {
        Ok(day)
    } else {
        Err("Enter a date between the years 2000 and 2100.")
    }
}

/// The range asked for: none given means the default; otherwise both days must be dates, the
/// first not after the last, and the range at most five years long. Each problem is reported
/// beside its field.
pub fn check_range(form: &RangeForm, today: Date) -> Result<Range, FormErrors> {
    let blank = |value: &Option<String>| value.as_deref().is_none_or(|v| v.trim().is_empty());
    if blank(&form.from) && blank(&form.until) {
        return Ok(default_range(today));
    }
    let mut errors = FormErrors::default();
    errors.check_storable(&[
        ("from", form.from.as_deref().unwrap_or_default()),
        ("until", form.until.as_deref().unwrap_or_default()),
    ]);
    let from = parse_day(form.from.as_deref().unwrap_or_default());
    let until = parse_day(form.until.as_deref().unwrap_or_default());
    errors.check("from", from.err());
    errors.check("until", until.err());
    let (Ok(from), Ok(until)) = (from, until) else {
        return Err(errors);
    };
    let range = Range { from, until };
    if until < from {
        errors.add("until", "The last day must be on or after the first day.");
    } else if until >= years_after(from, MAX_RANGE_YEARS) {
        errors.add("until", "Choose a range of at most 5 years.");
    }
    if errors.is_empty() {
        Ok(range)
    } else {
        Err(errors)
    }
}

/// What the infusions are counted per.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// Weeks from Monday.
    Week,
    Month,
}

impl Period {
    pub fn for_range(range: &Range) -> Period {
        if range.days() <= WEEKLY_UP_TO_DAYS {
            Period::Week
        } else {
            Period::Month
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
        }
    }
}

/// The first day of each period in the range: the range's first day, then every Monday or
/// every first of the month after it (so the first and last periods may be partial).
pub fn period_starts(range: &Range, period: Period) -> Vec<Date> {
    let mut starts = vec![range.from];
    let mut day = range.from;
    loop {
        let next = match period {
            Period::Week => day.checked_add(Duration::days(
                7 - i64::from(day.weekday().number_days_from_monday()),
            )),
            Period::Month => next_month(day),
        };
        match next {
            Some(next) if next <= range.until => {
                starts.push(next);
                day = next;
            }
            _ => break,
        }
    }
    starts
}

fn next_month(day: Date) -> Option<Date> {
    let (year, month) = match day.month() {
        Month::December => (day.year() + 1, Month::January),
        month => (day.year(), month.next()),
    };
    Date::from_calendar_date(year, month, 1).ok()
}

/// "5 Jan 2026" (a week from that day) or "Jan 2026".
pub fn period_label(start: Date, period: Period) -> String {
    let month: String = start.month().to_string().chars().take(3).collect();
    match period {
        Period::Week => format!("{} {month} {}", start.day(), start.year()),
        Period::Month => format!("{month} {}", start.year()),
    }
}

/// "2026-01-05" (a week from that day) or "2026-01", for the CSV.
pub fn period_code(start: Date, period: Period) -> String {
    match period {
        Period::Week => start.to_string(),
        Period::Month => format!("{:04}-{:02}", start.year(), u8::from(start.month())),
    }
}

/// `count` out of `of`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Share {
    pub count: i64,
    pub of: i64,
}

impl Share {
    pub fn new(count: i64, of: i64) -> Share {
        Share { count, of }
    }

    /// Tenths of a percent, rounded half up on exact integers; none when out of nothing.
    pub fn tenths(&self) -> Option<i64> {
        (self.of > 0).then(|| (self.count.max(0) * 2000 + self.of) / (2 * self.of))
    }

    /// "33.3", or "" when out of nothing.
    pub fn percent(&self) -> String {
        self.tenths()
            .map(|t| format!("{}.{}", t / 10, t % 10))
            .unwrap_or_default()
    }

    /// "33.3%", or "—" when out of nothing.
    pub fn percent_text(&self) -> String {
        match self.tenths() {
            Some(_) => format!("{}%", self.percent()),
            None => "—".to_owned(),
        }
    }
}

/// A number to a fixed count of decimals ("35.5", "0.50"); "" when there is none.
pub fn fixed(value: Option<f64>, decimals: usize) -> String {
    value
        .filter(|v| v.is_finite())
        .map(|v| format!("{v:.decimals$}"))
        .unwrap_or_default()
}

/// Signed infusions of one period and protocol, as the database sums them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InfusionGroup {
    /// 1 for the first period, as PostgreSQL's `width_bucket` numbers them.
    pub period: i32,
    pub protocol_id: Option<i64>,
    pub infusions: i64,
    pub sum_mg: f64,
    pub sum_mg_per_kg: f64,
    /// Infusions with a mg/kg figure (the average is over these).
    pub with_mg_per_kg: i64,
}

/// One dosing protocol's line.
#[derive(Clone, Debug, PartialEq)]
pub struct ProtocolLine {
    pub name: String,
    pub infusions: Share,
    pub average_mg: Option<f64>,
}

/// Infusions and doses over the range.
#[derive(Clone, Debug, PartialEq)]
pub struct InfusionFigures {
    pub given: i64,
    pub average_mg: Option<f64>,
    pub average_mg_per_kg: Option<f64>,
    /// Each period's first day and its infusions.
    pub per_period: Vec<(Date, i64)>,
    pub by_protocol: Vec<ProtocolLine>,
}

/// Totals, per-period counts and per-protocol lines from the grouped sums; `name_of` names a
/// protocol (by id; none for infusions without one).
pub fn infusion_figures(
    groups: &[InfusionGroup],
    starts: &[Date],
    name_of: impl Fn(Option<i64>) -> String,
) -> InfusionFigures {
    let given: i64 = groups.iter().map(|g| g.infusions).sum();
    let sum_mg: f64 = groups.iter().map(|g| g.sum_mg).sum();
    let sum_per_kg: f64 = groups.iter().map(|g| g.sum_mg_per_kg).sum();
    let with_per_kg: i64 = groups.iter().map(|g| g.with_mg_per_kg).sum();
    let average = |sum: f64, n: i64| (n > 0).then(|| sum / n as f64);
    let per_period = starts
        .iter()
        .enumerate()
        .map(|(i, start)| {
            let n = i32::try_from(i + 1).unwrap_or(i32::MAX);
            let count = groups
                .iter()
                .filter(|g| g.period == n)
                .map(|g| g.infusions)
                .sum();
            (*start, count)
        })
        .collect();
    let mut protocols: Vec<(Option<i64>, i64, f64)> = Vec::new();
    for group in groups {
        match protocols.iter_mut().find(|p| p.0 == group.protocol_id) {
            Some(line) => {
                line.1 += group.infusions;
                line.2 += group.sum_mg;
            }
            None => protocols.push((group.protocol_id, group.infusions, group.sum_mg)),
        }
    }
    let mut by_protocol: Vec<ProtocolLine> = protocols
        .into_iter()
        .map(|(id, count, mg)| ProtocolLine {
            name: name_of(id),
            infusions: Share::new(count, given),
            average_mg: average(mg, count),
        })
        .collect();
    by_protocol.sort_by(|a, b| (b.infusions.count, &a.name).cmp(&(a.infusions.count, &b.name)));
    InfusionFigures {
        given,
        average_mg: average(sum_mg, given),
        average_mg_per_kg: average(sum_per_kg, with_per_kg),
        per_period,
        by_protocol,
    }
}

/// The share of infusions with each side effect (every known one, none left out), most
/// frequent first, then in the flowsheet's order. Codes not known count as "Other".
pub fn side_effect_shares(counts: &[(String, i64)], infusions: i64) -> Vec<(SideEffect, Share)> {
    let mut shares: Vec<(SideEffect, Share)> = SideEffect::ALL
        .iter()
        .map(|&effect| (effect, Share::new(0, infusions)))
        .collect();
    for (code, count) in counts {
        let effect = SideEffect::parse(code).unwrap_or(SideEffect::Other);
        if let Some((_, share)) = shares.iter_mut().find(|(e, _)| *e == effect) {
            share.count += count;
        }
    }
    // A stable sort keeps the flowsheet's order among equal counts.
    shares.sort_by_key(|(_, share)| std::cmp::Reverse(share.count));
    shares
}

/// Appointments starting in the range: those still live or kept, no-shows, and late
/// cancellations (cancellations in good time are not counted: the time was freed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppointmentFigures {
    pub due: i64,
    pub no_shows: Share,
    pub late_cancellations: Share,
}

pub fn appointment_figures(
    kept: i64,
    no_shows: i64,
    late_cancellations: i64,
) -> AppointmentFigures {
    let due = kept + no_shows + late_cancellations;
    AppointmentFigures {
        due,
        no_shows: Share::new(no_shows, due),
        late_cancellations: Share::new(late_cancellations, due),
    }
}

/// A patient whose 6th signed infusion started in the range: their baseline PHQ-9 (the first
/// recorded before their first signed infusion started) and the first PHQ-9 recorded after
/// the 6th infusion started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CourseOutcome {
    pub baseline: Option<i16>,
    pub after_sixth: Option<i16>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// Patients whose 6th signed infusion started in the range.
    pub reached: i64,
    /// Of those, no PHQ-9 yet after the 6th infusion.
    pub awaiting_score: i64,
    /// Of those, a score after the 6th but no baseline before the first infusion.
    pub no_baseline: i64,
    /// Response and remission among the patients with both scores.
    pub response: Share,
    pub remission: Share,
}

/// Response (at least 50% below baseline) and remission (under 5) on the first PHQ-9 after
/// the 6th infusion, among the patients with a baseline and such a score; the treatment
/// module's rules decide each.
pub fn outcomes(cohort: &[CourseOutcome]) -> Outcomes {
    let mut result = Outcomes {
        reached: cohort.len() as i64,
        ..Outcomes::default()
    };
    let mut assessed = 0;
    for patient in cohort {
        match (patient.baseline, patient.after_sixth) {
            (_, None) => result.awaiting_score += 1,
            (None, Some(_)) => result.no_baseline += 1,
            (Some(baseline), Some(score)) => {
                assessed += 1;
                result.response.count += i64::from(is_response(baseline, score));
                result.remission.count += i64::from(is_remission(score));
            }
        }
    }
    result.response.of = assessed;
    result.remission.of = assessed;
    result
}

/// Everything a report shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub range: Range,
    pub period: Period,
    pub time_zone: String,
    pub infusions: InfusionFigures,
    pub side_effects: Vec<(SideEffect, Share)>,
    pub appointments: AppointmentFigures,
    pub outcomes: Outcomes,
}

/// A cell a spreadsheet would run as a formula (or that hides one behind a tab or a line
/// break) gets a leading apostrophe, so it reads as text.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// One field as RFC 4180 writes it: quoted when it holds a comma, a double quote, CR or LF,
/// with its double quotes doubled.
pub fn csv_field(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", cell.replace('"', "\"\"")).into()
    } else {
        cell.into()
    }
}

/// Appends one record: every field neutralised and quoted as needed, ended by CRLF.
pub fn csv_record(out: &mut String, fields: &[&str]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_field(&neutralise(field)));
    }
    out.push_str("\r\n");
}

/// The columns every CSV record has.
pub const CSV_HEADER: [&str; 7] = [
    "section", "item", "count", "out_of", "percent", "value", "unit",
];

/// The report as CSV: one record per figure, all with the same seven columns.
pub fn csv(report: &Report) -> String {
    let mut out = String::new();
    csv_record(&mut out, &CSV_HEADER);
    let range = &report.range;
    let (from, until) = (range.from.to_string(), range.until.to_string());
    csv_record(&mut out, &["range", "first day", "", "", "", &from, "date"]);
    csv_record(&mut out, &["range", "last day", "", "", "", &until, "date"]);
    csv_record(
        &mut out,
        &["range", "time zone", "", "", "", &report.time_zone, ""],
    );
    let figures = &report.infusions;
    let given = figures.given.to_string();
    csv_record(&mut out, &["infusions", "given", &given, "", "", "", ""]);
    let average_mg = fixed(figures.average_mg, 1);
    csv_record(
        &mut out,
        &["infusions", "average dose", "", "", "", &average_mg, "mg"],
    );
    let per_kg = fixed(figures.average_mg_per_kg, 2);
    csv_record(
        &mut out,
        &[
            "infusions",
            "average dose per kg",
            "",
            "",
            "",
            &per_kg,
            "mg/kg",
        ],
    );
    let share =
        |out: &mut String, section: &str, item: &str, share: &Share, value: &str, unit: &str| {
            let (count, of) = (share.count.to_string(), share.of.to_string());
            csv_record(
                out,
                &[section, item, &count, &of, &share.percent(), value, unit],
            );
        };
    for line in &figures.by_protocol {
        let average = fixed(line.average_mg, 1);
        share(
            &mut out,
            "protocol",
            &line.name,
            &line.infusions,
            &average,
            "mg average",
        );
    }
    let section = match report.period {
        Period::Week => "infusions per week",
        Period::Month => "infusions per month",
    };
    for (start, count) in &figures.per_period {
        let (item, count) = (period_code(*start, report.period), count.to_string());
        csv_record(&mut out, &[section, &item, &count, "", "", "", ""]);
    }
    for (effect, rate) in &report.side_effects {
        share(&mut out, "side effects", effect.label(), rate, "", "");
    }
    let visits = &report.appointments;
    let due = visits.due.to_string();
    csv_record(&mut out, &["appointments", "due", &due, "", "", "", ""]);
    share(
        &mut out,
        "appointments",
        "no-shows",
        &visits.no_shows,
        "",
        "",
    );
    let late = &visits.late_cancellations;
    share(&mut out, "appointments", "late cancellations", late, "", "");
    let outcomes = &report.outcomes;
    let counts = [
        ("reached the 6th infusion", outcomes.reached),
        ("no PHQ-9 yet after the 6th", outcomes.awaiting_score),
        ("no baseline PHQ-9", outcomes.no_baseline),
        ("assessed", outcomes.response.of),
    ];
    for (item, count) in counts {
        csv_record(
            &mut out,
            &["outcomes", item, &count.to_string(), "", "", "", ""],
        );
    }
    share(&mut out, "outcomes", "response", &outcomes.response, "", "");
    share(
        &mut out,
        "outcomes",
        "remission",
        &outcomes.remission,
        "",
        "",
    );
    out
}

/// The download's file name, with the range in it.
pub fn csv_file_name(range: &Range) -> String {
    format!("clinic-report-{}-to-{}.csv", range.from, range.until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn form(from: &str, until: &str) -> RangeForm {
        RangeForm {
            from: Some(from.to_owned()),
            until: Some(until.to_owned()),
        }
    }

    const TODAY: Date = date!(2026 - 05 - 14);

    #[test]
    fn the_default_is_the_last_three_full_months() {
        let range = check_range(&RangeForm::default(), TODAY).unwrap();
        assert_eq!(
            range,
            Range {
                from: date!(2026 - 02 - 01),
                until: date!(2026 - 04 - 30)
            }
        );
        assert_eq!(range.days(), 89);
        // Across a new year, and with empty fields as a form sends them.
        let january = check_range(&form(" ", ""), date!(2026 - 01 - 31)).unwrap();
        assert_eq!(
            (january.from, january.until),
            (date!(2025 - 10 - 01), date!(2025 - 12 - 31))
        );
    }

    #[test]
    fn bad_ranges_are_named_beside_their_fields() {
        let errors = check_range(&form("2026-13-01", "yesterday"), TODAY).unwrap_err();
        assert!(errors.get("from").unwrap().contains("year-month-day"));
        assert!(errors.get("until").unwrap().contains("year-month-day"));
        let errors = check_range(&form("2026-03-01", ""), TODAY).unwrap_err();
        assert_eq!(errors.get("until"), Some("Enter a date."));
        assert!(errors.get("from").is_none());
        let errors = check_range(&form("2026-03-02", "2026-03-01"), TODAY).unwrap_err();
        assert!(errors.get("until").unwrap().contains("on or after"));
        let errors = check_range(&form("2020-01-01", "2025-01-01"), TODAY).unwrap_err();
        assert!(errors.get("until").unwrap().contains("at most 5 years"));
        let errors = check_range(&form("1999-12-31", "2000-01-01"), TODAY).unwrap_err();
        assert!(errors.get("from").unwrap().contains("2000 and 2100"));
        // Five years, two leap days in them, is fine; so is one day.
        assert!(check_range(&form("2020-01-01", "2024-12-31"), TODAY).is_ok());
        assert!(check_range(&form("2024-02-29", "2029-02-28"), TODAY).is_ok());
        assert!(check_range(&form("2024-02-29", "2029-03-01"), TODAY).is_err());
        let one = check_range(&form("2026-03-01", " 2026-03-01 "), TODAY).unwrap();
        assert_eq!((one.days(), one.end()), (1, date!(2026 - 03 - 02)));
        assert_eq!(one.code(), "2026-03-01..2026-03-01");
    }

    #[test]
    fn periods_are_weeks_from_monday_or_months_and_may_be_partial() {
        let quarter = Range {
            from: date!(2026 - 01 - 01),
            until: date!(2026 - 03 - 31),
        };
        assert_eq!(Period::for_range(&quarter), Period::Week);
        let weeks = period_starts(&quarter, Period::Week);
        // Thursday 1 January, then every Monday from 5 January to 30 March.
        assert_eq!(weeks.len(), 14);
        assert_eq!(weeks[0], date!(2026 - 01 - 01));
        assert_eq!(weeks[1], date!(2026 - 01 - 05));
        assert_eq!(weeks[13], date!(2026 - 03 - 30));
        assert_eq!(period_label(weeks[1], Period::Week), "5 Jan 2026");
        assert_eq!(period_code(weeks[1], Period::Week), "2026-01-05");

        let year = Range {
            from: date!(2025 - 11 - 15),
            until: date!(2026 - 11 - 14),
        };
        assert_eq!(Period::for_range(&year), Period::Month);
        let months = period_starts(&year, Period::Month);
        assert_eq!(months.len(), 13);
        assert_eq!(months[1], date!(2025 - 12 - 01));
        assert_eq!(months[2], date!(2026 - 01 - 01));
        assert_eq!(period_label(months[2], Period::Month), "Jan 2026");
        assert_eq!(period_code(months[2], Period::Month), "2026-01");
        assert_eq!(
            period_starts(
                &Range {
                    from: date!(2026 - 03 - 02),
                    until: date!(2026 - 03 - 02)
                },
                Period::Week
            ),
            vec![date!(2026 - 03 - 02)]
        );
    }

    #[test]
    fn shares_round_half_up_to_a_tenth_of_a_percent() {
        assert_eq!(Share::new(1, 3).percent(), "33.3");
        assert_eq!(Share::new(2, 3).percent(), "66.7");
        assert_eq!(Share::new(1, 8).percent(), "12.5");
        assert_eq!(Share::new(1, 16).percent(), "6.3");
        assert_eq!(Share::new(3, 3).percent_text(), "100.0%");
        assert_eq!(Share::new(0, 7).percent_text(), "0.0%");
        assert_eq!(Share::new(0, 0).percent(), "");
        assert_eq!(Share::new(0, 0).percent_text(), "—");
        assert_eq!(fixed(Some(35.25), 1), "35.2");
        assert_eq!(fixed(Some(0.5), 2), "0.50");
        assert_eq!(fixed(None, 1), "");
        assert_eq!(fixed(Some(f64::NAN), 1), "");
    }

    #[test]
    fn infusion_figures_add_up_periods_and_protocols() {
        let starts = [
            date!(2026 - 01 - 01),
            date!(2026 - 01 - 05),
            date!(2026 - 01 - 12),
        ];
        let group = |period, protocol_id, infusions, sum_mg: f64, per_kg: f64| InfusionGroup {
            period,
            protocol_id,
            infusions,
            sum_mg,
            sum_mg_per_kg: per_kg,
            with_mg_per_kg: infusions,
        };
        let groups = [
            group(1, Some(1), 2, 70.0, 1.0),
            group(3, Some(1), 1, 40.0, 0.5),
            group(3, Some(2), 1, 60.0, 0.75),
        ];
        let names = |id: Option<i64>| match id {
            Some(1) => "IV 0.5".to_owned(),
            Some(_) => "IM".to_owned(),
            None => "No protocol".to_owned(),
        };
        let figures = infusion_figures(&groups, &starts, names);
        assert_eq!(figures.given, 4);
        assert_eq!(fixed(figures.average_mg, 1), "42.5");
        assert_eq!(fixed(figures.average_mg_per_kg, 2), "0.56");
        assert_eq!(
            figures.per_period,
            vec![(starts[0], 2), (starts[1], 0), (starts[2], 2)]
        );
        assert_eq!(figures.by_protocol.len(), 2);
        assert_eq!(figures.by_protocol[0].name, "IV 0.5");
        assert_eq!(figures.by_protocol[0].infusions, Share::new(3, 4));
        assert_eq!(fixed(figures.by_protocol[0].average_mg, 1), "36.7");
        let none = infusion_figures(&[], &starts, names);
        assert_eq!((none.given, none.average_mg), (0, None));
        assert_eq!(none.per_period.len(), 3);
    }

    #[test]
    fn every_side_effect_gets_a_share_most_frequent_first() {
        let counts = [
            ("nausea".to_owned(), 2),
            ("dissociation".to_owned(), 5),
            ("something new".to_owned(), 1),
        ];
        let shares = side_effect_shares(&counts, 10);
        assert_eq!(shares.len(), SideEffect::ALL.len());
        assert_eq!(shares[0], (SideEffect::Dissociation, Share::new(5, 10)));
        assert_eq!(shares[1], (SideEffect::Nausea, Share::new(2, 10)));
        assert_eq!(shares[2], (SideEffect::Other, Share::new(1, 10)));
        // Then the ones not seen, in the flowsheet's order.
        assert_eq!(shares[3], (SideEffect::Vomiting, Share::new(0, 10)));
    }

    #[test]
    fn no_shows_and_late_cancellations_are_shares_of_appointments_due() {
        let figures = appointment_figures(18, 1, 1);
        assert_eq!(figures.due, 20);
        assert_eq!(figures.no_shows.percent_text(), "5.0%");
        assert_eq!(figures.late_cancellations, Share::new(1, 20));
    }

    #[test]
    fn outcomes_count_response_and_remission_among_assessed_patients() {
        let patient = |baseline, after_sixth| CourseOutcome {
            baseline,
            after_sixth,
        };
        let cohort = [
            patient(Some(20), Some(10)), // response (exactly half), not remission
            patient(Some(20), Some(4)),  // both
            patient(Some(20), Some(11)), // neither
            patient(Some(6), Some(4)),   // remission, not response (4 > 3)
            patient(None, Some(2)),      // no baseline: not assessed
            patient(Some(18), None),     // no score after the 6th yet
        ];
        let outcomes = outcomes(&cohort);
        assert_eq!(outcomes.reached, 6);
        assert_eq!(outcomes.awaiting_score, 1);
        assert_eq!(outcomes.no_baseline, 1);
        assert_eq!(outcomes.response, Share::new(2, 4));
        assert_eq!(outcomes.remission, Share::new(2, 4));
        assert_eq!(super::outcomes(&[]).response.percent_text(), "—");
    }

    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says_and_formulas_neutralised() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\r\nlines"), "\"two\r\nlines\"");
        assert_eq!(csv_field("line\nfeed"), "\"line\nfeed\"");
        for risky in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(risky), format!("'{risky}"));
        }
        assert_eq!(neutralise("IV 0.5 = standard"), "IV 0.5 = standard");
        assert_eq!(neutralise(""), "");
        let mut out = String::new();
        csv_record(&mut out, &["=HYPERLINK(\"http://x.test\",\"go\")", "", "5"]);
        assert_eq!(
            out,
            "\"'=HYPERLINK(\"\"http://x.test\"\",\"\"go\"\")\",,5\r\n"
        );
    }

    #[test]
    fn the_csv_has_every_figure_in_seven_columns() {
        let range = Range {
            from: date!(2026 - 01 - 01),
            until: date!(2026 - 01 - 11),
        };
        let report = Report {
            range,
            period: Period::Week,
            time_zone: "America/New_York".to_owned(),
            infusions: InfusionFigures {
                given: 3,
                average_mg: Some(36.0),
                average_mg_per_kg: Some(0.5),
                per_period: vec![(date!(2026 - 01 - 01), 1), (date!(2026 - 01 - 05), 2)],
                by_protocol: vec![ProtocolLine {
                    name: "-IV, \"slow\"".to_owned(),
                    infusions: Share::new(3, 3),
                    average_mg: Some(36.0),
                }],
            },
            side_effects: side_effect_shares(&[("nausea".to_owned(), 1)], 3),
            appointments: appointment_figures(8, 1, 1),
            outcomes: outcomes(&[CourseOutcome {
                baseline: Some(20),
                after_sixth: Some(4),
            }]),
        };
        let text = csv(&report);
        assert!(text.ends_with("\r\n"));
        assert!(text.starts_with("section,item,count,out_of,percent,value,unit\r\n"));
        assert!(text.contains("range,first day,,,,2026-01-01,date\r\n"));
        assert!(text.contains("infusions,given,3,,,,\r\n"));
        assert!(text.contains("infusions,average dose,,,,36.0,mg\r\n"));
        assert!(text.contains("infusions,average dose per kg,,,,0.50,mg/kg\r\n"));
        assert!(text.contains("protocol,\"'-IV, \"\"slow\"\"\",3,3,100.0,36.0,mg average\r\n"));
        assert!(text.contains("infusions per week,2026-01-05,2,,,,\r\n"));
        assert!(text.contains("side effects,Nausea,1,3,33.3,,\r\n"));
        assert!(text.contains("side effects,Blurred vision,0,3,0.0,,\r\n"));
        assert!(text.contains("appointments,due,10,,,,\r\n"));
        assert!(text.contains("appointments,no-shows,1,10,10.0,,\r\n"));
        assert!(text.contains("appointments,late cancellations,1,10,10.0,,\r\n"));
        assert!(text.contains("outcomes,reached the 6th infusion,1,,,,\r\n"));
        assert!(text.contains("outcomes,response,1,1,100.0,,\r\n"));
        assert!(text.contains("outcomes,remission,1,1,100.0,,\r\n"));
        // Every record has seven fields (no field here holds a quoted comma but the protocol).
        for line in text
            .trim_end()
            .split("\r\n")
            .filter(|l| !l.starts_with("protocol"))
        {
            assert_eq!(line.split(',').count(), 7, "{line}");
        }
        assert_eq!(
            csv_file_name(&range),
            "clinic-report-2026-01-01-to-2026-01-11.csv"
        );
    }
}
