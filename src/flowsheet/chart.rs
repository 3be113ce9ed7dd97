//! Server-drawn SVG line charts of scores and vitals over time: no script, no dependencies,
//! readable by screen readers (title, description, a tooltip per point) and stable byte for
//! byte, so pages can be compared and cached.

use std::fmt::Write as _;

use time::OffsetDateTime;

use crate::clinic_time::ClinicZone;
use crate::flowsheet::model::plain_number;

pub struct Series<'a> {
    pub label: &'a str,
    /// The CSS class the page styles the line with, e.g. "phq9".
    pub class: &'a str,
    pub points: &'a [(OffsetDateTime, f64)],
}

/// A dashed horizontal reference line: a baseline, a response or remission threshold, an
/// alert bound.
pub struct Guide<'a> {
    pub label: &'a str,
    pub value: f64,
    pub class: &'a str,
}

pub struct Chart<'a> {
    pub title: &'a str,
    /// A fixed range, so charts of the same measure read alike; values outside sit on the edge.
    pub y_min: f64,
    pub y_max: f64,
    pub y_unit: &'a str,
    pub series: &'a [Series<'a>],
    pub guides: &'a [Guide<'a>],
    pub zone: ClinicZone,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 284.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 616.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 216.0;
/// Lines keep these colours unless the page's stylesheet says otherwise.
const PALETTE: [&str; 4] = ["#2563eb", "#dc2626", "#059669", "#9333ea"];
const EMPTY: &str = "No readings yet.";
/// Beyond this many points a series is a line only: its markers would overlap into a smear
/// (the page's data table gives every value).
const MARKERS_UP_TO: usize = 60;

/// A coordinate to one decimal, written with integer arithmetic: a chart has hundreds of
/// them and float formatting is slow.
struct Tenths(f64);

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Chart coordinates are small; anything else (NaN, infinities) is drawn at 0.
        let tenths = (self.0 * 10.0).round();
        let tenths = if tenths.is_finite() { tenths as i64 } else { 0 };
        let sign = if tenths < 0 { "-" } else { "" };
        let tenths = tenths.unsigned_abs();
        write!(f, "{sign}{}.{}", tenths / 10, tenths % 10)
    }
}

/// Text made safe for SVG element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// An id for the title and description, from the chart's title ("chart-phq-9").
pub(crate) fn slug(title: &str) -> String {
    let words: Vec<String> = title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() {
        "chart".to_owned()
    } else {
        format!("chart-{}", words.join("-"))
    }
}

/// "2026-11-02 09:40" in the clinic's time.
fn stamp(zone: &ClinicZone, at: OffsetDateTime) -> String {
    let t = zone.local(at).at;
    let (month, day) = (u8::from(t.month()), t.day());
    let (hour, minute) = (t.hour(), t.minute());
    format!("{:04}-{month:02}-{day:02} {hour:02}:{minute:02}", t.year())
}

/// "2 Nov 2026" in the clinic's time.
fn day_label(zone: &ClinicZone, at: OffsetDateTime) -> String {
    let date = zone.date_of(at);
    let month: String = date.month().to_string().chars().take(3).collect();
    format!("{} {month} {}", date.day(), date.year())
}

/// A round step giving three to six ticks across `span`.
pub(crate) fn tick_step(span: f64) -> f64 {
    let raw = span / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = match raw / magnitude {
        n if n <= 1.0 => 1.0,
        n if n <= 2.0 => 2.0,
        n if n <= 5.0 => 5.0,
        _ => 10.0,
    };
    step * magnitude
}

/// "14", "98%", "120 mmHg".
fn with_unit(value: f64, unit: &str) -> String {
    match unit {
        "" | "%" => format!("{}{unit}", plain_number(value)),
        _ => format!("{} {unit}", plain_number(value)),
    }
}

/// A series in a sentence, for the description screen readers give.
fn summary(label: &str, points: &[(OffsetDateTime, f64)], zone: &ClinicZone, unit: &str) -> String {
    match (points.first(), points.last()) {
        (Some(a), Some(b)) if points.len() > 1 => {
            let (from, to) = (day_label(zone, a.0), day_label(zone, b.0));
            let n = points.len();
            format!(
                "{label}: {n} readings from {from} to {to}, latest {}.",
                with_unit(b.1, unit)
            )
        }
        (Some(a), _) => {
            let on = day_label(zone, a.0);
            format!("{label}: 1 reading on {on}, {}.", with_unit(a.1, unit))
        }
        _ => format!("{label}: no readings."),
    }
}

/// A self-contained, accessible line chart (see the module comment).
pub fn line_chart(chart: &Chart<'_>) -> String {
    let (id, zone, unit) = (slug(chart.title), &chart.zone, chart.y_unit);
    let mut sorted: Vec<Vec<_>> = chart.series.iter().map(|s| s.points.to_vec()).collect();
    sorted
        .iter_mut()
        .for_each(|points| points.sort_by_key(|p| p.0));
    let desc: Vec<String> = (chart.series.iter().zip(&sorted))
        .map(|(series, points)| summary(series.label, points, zone, unit))
        .collect();
    let (title, desc) = (escape(chart.title), escape(&desc.join(" ")));
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {WIDTH} \
         {HEIGHT}\" width=\"100%\" font-family=\"sans-serif\" role=\"img\" \
         aria-labelledby=\"{id}-title {id}-desc\"><title id=\"{id}-title\">{title}</title>\
         <desc id=\"{id}-desc\">{desc}</desc>"
    );
    let mut moments: Vec<OffsetDateTime> = sorted.iter().flatten().map(|p| p.0).collect();
    moments.sort();
    moments.dedup();
    let (Some(&first), Some(&last)) = (moments.first(), moments.last()) else {
        let (x, y) = (WIDTH / 2.0, HEIGHT / 2.0);
        out.push_str(&format!(
            "<text class=\"chart-empty\" x=\"{x}\" y=\"{y}\" text-anchor=\"middle\">{EMPTY}\
             </text></svg>"
        ));
        return out;
    };

    let (low, high) = (chart.y_min.min(chart.y_max), chart.y_min.max(chart.y_max));
    let span = if high > low { high - low } else { 1.0 };
    // `max` passes over NaN, so a missing value sits on the floor rather than off the chart.
    let y_of = |value: f64| BOTTOM - (value.max(low).min(high) - low) / span * (BOTTOM - TOP);
    let seconds = (last - first).as_seconds_f64();
    let x_of = |at: OffsetDateTime| match seconds > 0.0 {
        true => LEFT + (at - first).as_seconds_f64() / seconds * (RIGHT - LEFT),
        false => (LEFT + RIGHT) / 2.0,
    };

    // Grid and y ticks, then the unit and the x axis.
    let step = tick_step(span);
    let from = (low / step).ceil();
    for value in (0..=10).map(|i| (from + f64::from(i)) * step) {
        if value > high + step * 1e-9 {
            break;
        }
        let (y, text) = (y_of(value), escape(&plain_number(value)));
        out.push_str(&format!(
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{RIGHT}\" y2=\"{y:.1}\" \
             stroke=\"#ddd\"/><text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" \
             font-size=\"11\">{text}</text>",
            LEFT - 6.0,
            y + 4.0,
        ));
    }
    out.push_str(&format!(
        "<text class=\"unit\" x=\"4\" y=\"{:.1}\" font-size=\"11\">{}</text><line class=\"axis\" \
         x1=\"{LEFT}\" y1=\"{BOTTOM}\" x2=\"{RIGHT}\" y2=\"{BOTTOM}\" stroke=\"#888\"/>",
        TOP - 4.0,
        escape(unit)
    ));

    // Guides inside the range; one outside it would mislead, so it is left out.
    let in_range = |value: f64| (low..=high).contains(&value);
    for guide in chart.guides.iter().filter(|g| in_range(g.value)) {
        let (y, class, label) = (y_of(guide.value), escape(guide.class), escape(guide.label));
        out.push_str(&format!(
            "<g class=\"guide {class}\"><line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{RIGHT}\" \
             y2=\"{y:.1}\" stroke=\"#888\" stroke-dasharray=\"6 4\"/><text x=\"{:.1}\" \
             y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">{label}</text></g>",
            RIGHT - 4.0,
            y - 4.0,
        ));
    }

    // X ticks: the one moment's day, or 2–5 evenly spaced; clock times within a day.
    let same_day = seconds > 0.0 && zone.date_of(first) == zone.date_of(last);
    let label_of: fn(&ClinicZone, OffsetDateTime) -> String = if same_day {
        ClinicZone::clock
    } else {
        day_label
    };
    let count = moments.len().min(5); // one only when every point is at the same moment
    for i in 0..count {
        let share = (last - first) * (i as f64 / (count.max(2) - 1) as f64);
        let at = first.checked_add(share).unwrap_or(last);
        let anchor = match i {
            0 if count > 1 => "start",
            i if i + 1 == count && count > 1 => "end",
            _ => "middle",
        };
        let label = escape(&label_of(zone, at));
        out.push_str(&format!(
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" \
             font-size=\"11\">{label}</text>",
            x_of(at),
            BOTTOM + 18.0,
        ));
    }

    // Series, each with its entry in the legend beneath.
    let (mut legend_x, legend_y) = (LEFT, HEIGHT - 14.0);
    for (i, (series, points)) in chart.series.iter().zip(&sorted).enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let class = escape(series.class);
        out.push_str(&format!(
            "<g class=\"series {class}\" stroke=\"{colour}\" fill=\"{colour}\">"
        ));
        if points.len() > 1 {
            out.push_str("<polyline fill=\"none\" stroke-width=\"2\" points=\"");
            for (i, p) in points.iter().enumerate() {
                let gap = if i == 0 { "" } else { " " };
                let _ = write!(out, "{gap}{},{}", Tenths(x_of(p.0)), Tenths(y_of(p.1)));
            }
            out.push_str("\"/>");
        }
        for &(at, value) in points.iter().filter(|_| points.len() <= MARKERS_UP_TO) {
            let tip = format!("{}: {}", stamp(zone, at), with_unit(value, unit));
            let _ = write!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\"><title>{}</title></circle>",
                Tenths(x_of(at)),
                Tenths(y_of(value)),
                escape(&tip)
            );
        }
        let (x, label) = (legend_x, escape(series.label));
        out.push_str(&format!(
            "</g><g class=\"legend {class}\"><line x1=\"{x:.1}\" y1=\"{legend_y:.1}\" \
             x2=\"{:.1}\" y2=\"{legend_y:.1}\" stroke=\"{colour}\" stroke-width=\"2\"/><text \
             x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{label}</text></g>",
            x + 20.0,
            x + 26.0,
            legend_y + 4.0,
        ));
        legend_x += 46.0 + 7.0 * series.label.chars().count() as f64;
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn draw(title: &str, series: &[Series<'_>], guides: &[Guide<'_>]) -> String {
        line_chart(&Chart {
            title,
            y_min: 0.0,
            y_max: 27.0,
            y_unit: "",
            series,
            guides,
            zone: ClinicZone::from_setting("America/New_York"),
        })
    }

    const PHQ9: [(OffsetDateTime, f64); 3] = [
        (datetime!(2026-11-02 14:40 UTC), 14.0),
        (datetime!(2026-11-09 14:40 UTC), 9.0),
        (datetime!(2026-11-16 14:40 UTC), 4.5),
    ];

    fn phq9() -> Series<'static> {
        Series {
            label: "PHQ-9",
            class: "phq9",
            points: &PHQ9,
        }
    }

    #[test]
    fn text_is_escaped() {
        let svg = draw("Scores <&> \"more\"", &[phq9()], &[]);
        assert!(svg.contains(
            "<title id=\"chart-scores-more-title\">Scores &lt;&amp;&gt; &quot;more&quot;</title>"
        ));
        assert!(!svg.contains("<&>"));
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-labelledby=\"chart-scores-more-title chart-scores-more-desc\""));
    }

    #[test]
    fn each_point_is_a_circle_with_a_local_time_tooltip() {
        let two = [(datetime!(2026-11-03 15:00 UTC), 20.0)];
        let gad7 = Series {
            label: "GAD-7",
            class: "gad7",
            points: &two,
        };
        let series = [phq9(), gad7];
        let svg = draw("Scores", &series, &[]);
        assert_eq!(svg.matches("<circle").count(), 4);
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains("<title>2026-11-02 09:40: 14</title>"));
        assert!(svg.contains("<title>2026-11-16 09:40: 4.5</title>"));
        assert!(svg.contains(">PHQ-9</text>") && svg.contains(">GAD-7</text>"));
        assert!(svg.contains(">2 Nov 2026</text>") && svg.contains(">16 Nov 2026</text>"));
        assert_eq!(svg, draw("Scores", &series, &[]));
    }

    #[test]
    fn guides_inside_the_range_are_drawn_dashed() {
        let guides = [
            Guide {
                label: "Remission (< 5)",
                value: 5.0,
                class: "remission",
            },
            Guide {
                label: "Off the scale",
                value: 40.0,
                class: "far",
            },
        ];
        let svg = draw("Scores", &[phq9()], &guides);
        assert_eq!(svg.matches("stroke-dasharray").count(), 1);
        assert!(svg.contains("class=\"guide remission\""));
        assert!(svg.contains(">Remission (&lt; 5)</text>"));
        assert!(!svg.contains("Off the scale"));
    }

    #[test]
    fn an_empty_chart_says_so() {
        let none = Series {
            label: "PHQ-9",
            class: "phq9",
            points: &[],
        };
        let svg = draw("Scores", &[none], &[]);
        assert!(svg.contains(">No readings yet.</text></svg>"));
        assert!(!svg.contains("<circle"));
        assert!(draw("Scores", &[], &[]).contains("No readings yet."));
    }

    #[test]
    fn a_single_point_is_centred_with_one_time_label() {
        let one = [(datetime!(2026-11-02 14:40 UTC), 27.0)];
        let series = Series {
            label: "PHQ-9",
            class: "phq9",
            points: &one,
        };
        let svg = draw("Scores", &[series], &[]);
        assert!(svg.contains("<circle cx=\"336.0\" cy=\"16.0\""));
        assert!(svg.contains("text-anchor=\"middle\" font-size=\"11\">2 Nov 2026</text>"));
        assert!(!svg.contains("<polyline"));
    }

    #[test]
    fn a_long_series_is_a_line_without_markers() {
        let start = datetime!(2026-01-05 14:40 UTC);
        let long: Vec<(OffsetDateTime, f64)> = (0..=MARKERS_UP_TO)
            .map(|i| (start + time::Duration::days(i as i64), (i % 27) as f64))
            .collect();
        let series = Series {
            label: "PHQ-9",
            class: "phq9",
            points: &long,
        };
        let svg = draw("Scores", &[series], &[]);
        assert!(!svg.contains("<circle"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains("points=\"56.0,216.0 "));
        let short = Series {
            label: "PHQ-9",
            class: "phq9",
            points: &long[..MARKERS_UP_TO],
        };
        assert_eq!(
            draw("Scores", &[short], &[]).matches("<circle").count(),
            MARKERS_UP_TO
        );
    }

    #[test]
    fn coordinates_are_written_to_one_decimal() {
        assert_eq!(Tenths(336.0).to_string(), "336.0");
        assert_eq!(Tenths(16.04).to_string(), "16.0");
        assert_eq!(Tenths(16.05001).to_string(), "16.1");
        assert_eq!(Tenths(0.04).to_string(), "0.0");
        assert_eq!(Tenths(-0.46).to_string(), "-0.5");
        assert_eq!(Tenths(-12.25).to_string(), "-12.3");
        assert_eq!(Tenths(f64::NAN).to_string(), "0.0");
    }

    #[test]
    fn values_outside_the_range_sit_on_its_edges() {
        let wild = [
            (datetime!(2026-11-02 14:00 UTC), 200.0),
            (datetime!(2026-11-02 15:00 UTC), -3.0),
        ];
        let series = Series {
            label: "Systolic",
            class: "systolic",
            points: &wild,
        };
        let svg = draw("Vitals", &[series], &[]);
        assert!(svg.contains("points=\"56.0,16.0 616.0,216.0\""));
        assert!(svg.contains("<title>2026-11-02 09:00: 200</title>"));
        // Within one day the x axis shows clock times.
        assert!(svg.contains(">09:00</text>") && svg.contains(">10:00</text>"));
    }
}
