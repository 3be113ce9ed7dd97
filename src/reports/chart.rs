//! Server-drawn SVG bar charts for the reports: horizontal bars for shares by category (side
//! effects), columns for counts over time (infusions per week or month). Like the course
//! charts they need no script, carry a title and a description for screen readers and a
//! tooltip per bar, and each sits beside a table of the same figures.

use crate::flowsheet::chart::{escape, slug, tick_step};
use crate::flowsheet::model::plain_number;

/// One bar: what it stands for, its length, and the figure written beside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
}

pub struct Bars<'a> {
    pub title: &'a str,
    /// The value axis' unit, e.g. "%" or "infusions".
    pub unit: &'a str,
    pub bars: &'a [Bar],
}

const WIDTH: f64 = 640.0;
const PALETTE_BAR: &str = "#0b5e6b";
const EMPTY: &str = "Nothing to show for this range.";

/// The axis' top: the largest value rounded up to a tick, at least one step.
fn axis_top(bars: &[Bar]) -> (f64, f64) {
    let largest = bars
        .iter()
        .map(|b| b.value)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let step = tick_step(largest.max(1.0));
    let top = ((largest / step).ceil() * step).max(step);
    (top, step)
}

fn opening(id: &str, title: &str, desc: &str, height: f64) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {WIDTH} \
         {height}\" width=\"100%\" font-family=\"sans-serif\" role=\"img\" \
         aria-labelledby=\"{id}-title {id}-desc\"><title id=\"{id}-title\">{}</title>\
         <desc id=\"{id}-desc\">{}</desc>",
        escape(title),
        escape(desc)
    )
}

/// The bars in a sentence: how many, and the largest.
fn describe(chart: &Bars<'_>) -> String {
    let largest = chart
        .bars
        .iter()
        .filter(|b| b.value.is_finite())
        .max_by(|a, b| a.value.total_cmp(&b.value));
    let n = chart.bars.len();
    let noun = if n == 1 { "bar" } else { "bars" };
    match largest {
        Some(bar) if bar.value > 0.0 => {
            format!("{n} {noun}; the largest is {}: {}.", bar.label, bar.text)
        }
        _ => format!("{n} {noun}, all zero."),
    }
}

fn empty(id: &str, title: &str) -> String {
    let mut out = opening(id, title, EMPTY, 80.0);
    out.push_str(&format!(
        "<text class=\"chart-empty\" x=\"{}\" y=\"44\" text-anchor=\"middle\">{EMPTY}</text></svg>",
        WIDTH / 2.0
    ));
    out
}

/// One bar per row, labels on the left, the figure at the end of each bar.
pub fn horizontal_bars(chart: &Bars<'_>) -> String {
    const LEFT: f64 = 150.0;
    const RIGHT: f64 = 580.0;
    const TOP: f64 = 24.0;
    const ROW: f64 = 26.0;
    let id = slug(chart.title);
    if chart.bars.is_empty() {
        return empty(&id, chart.title);
    }
    let (top, step) = axis_top(chart.bars);
    let bottom = TOP + ROW * chart.bars.len() as f64;
    let height = bottom + 28.0;
    let x_of = |value: f64| LEFT + value.clamp(0.0, top) / top * (RIGHT - LEFT);
    let mut out = opening(&id, chart.title, &describe(chart), height);
    // Grid lines and their values along the bottom, the unit at the top left.
    let mut value = 0.0;
    while value <= top + step * 1e-9 {
        let x = x_of(value);
        out.push_str(&format!(
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\" \
             stroke=\"#ddd\"/><text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" \
             text-anchor=\"middle\" font-size=\"11\">{}</text>",
            bottom + 16.0,
            escape(&plain_number(value))
        ));
        value += step;
    }
    out.push_str(&format!(
        "<text class=\"unit\" x=\"{LEFT}\" y=\"14\" font-size=\"11\">{}</text>",
        escape(chart.unit)
    ));
    for (i, bar) in chart.bars.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let (label, text) = (escape(&bar.label), escape(&bar.text));
        let end = x_of(if bar.value.is_finite() {
            bar.value
        } else {
            0.0
        });
        out.push_str(&format!(
            "<g class=\"bar\"><title>{label}: {text}</title><text x=\"{:.1}\" y=\"{:.1}\" \
             text-anchor=\"end\" font-size=\"12\">{label}</text><rect x=\"{LEFT}\" \
             y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{PALETTE_BAR}\"/><text \
             x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{text}</text></g>",
            LEFT - 8.0,
            y + ROW / 2.0 + 4.0,
            y + 4.0,
            end - LEFT,
            ROW - 8.0,
            end + 4.0,
            y + ROW / 2.0 + 4.0,
        ));
    }
    out.push_str("</svg>");
    out
}

/// One column per period, left to right, with every few periods labelled beneath.
pub fn columns(chart: &Bars<'_>) -> String {
    const LEFT: f64 = 56.0;
    const RIGHT: f64 = 616.0;
    const TOP: f64 = 20.0;
    const BOTTOM: f64 = 216.0;
    const HEIGHT: f64 = 250.0;
    /// At most this many labels fit under the axis.
    const LABELS: usize = 7;
    let id = slug(chart.title);
    if chart.bars.is_empty() {
        return empty(&id, chart.title);
    }
    let (top, step) = axis_top(chart.bars);
    let y_of = |value: f64| BOTTOM - value.clamp(0.0, top) / top * (BOTTOM - TOP);
    let mut out = opening(&id, chart.title, &describe(chart), HEIGHT);
    let mut value = 0.0;
    while value <= top + step * 1e-9 {
        let y = y_of(value);
        out.push_str(&format!(
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{RIGHT}\" y2=\"{y:.1}\" \
             stroke=\"#ddd\"/><text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" \
             text-anchor=\"end\" font-size=\"11\">{}</text>",
            LEFT - 6.0,
            y + 4.0,
            escape(&plain_number(value))
        ));
        value += step;
    }
    out.push_str(&format!(
        "<text class=\"unit\" x=\"4\" y=\"12\" font-size=\"11\">{}</text><line class=\"axis\" \
         x1=\"{LEFT}\" y1=\"{BOTTOM}\" x2=\"{RIGHT}\" y2=\"{BOTTOM}\" stroke=\"#888\"/>",
        escape(chart.unit)
    ));
    let n = chart.bars.len();
    let slot = (RIGHT - LEFT) / n as f64;
    let every = n.div_ceil(LABELS);
    for (i, bar) in chart.bars.iter().enumerate() {
        let x = LEFT + slot * i as f64;
        let y = y_of(if bar.value.is_finite() {
            bar.value
        } else {
            0.0
        });
        let (label, text) = (escape(&bar.label), escape(&bar.text));
        out.push_str(&format!(
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
             fill=\"{PALETTE_BAR}\"><title>{label}: {text}</title></rect>",
            x + slot * 0.1,
            slot * 0.8,
            BOTTOM - y
        ));
        if i % every == 0 {
            out.push_str(&format!(
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" \
                 font-size=\"11\">{label}</text>",
                x + slot / 2.0,
                BOTTOM + 18.0
            ));
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(values: &[(&str, f64)]) -> Vec<Bar> {
        values
            .iter()
            .map(|(label, value)| Bar {
                label: (*label).to_owned(),
                value: *value,
                text: format!("{}%", plain_number(*value)),
            })
            .collect()
    }

    #[test]
    fn horizontal_bars_are_scaled_to_a_round_top_and_labelled() {
        let data = bars(&[("Nausea", 40.0), ("Dizziness <&>", 10.0), ("Other", 0.0)]);
        let svg = horizontal_bars(&Bars {
            title: "Side effects",
            unit: "% of infusions",
            bars: &data,
        });
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"chart-side-effects-title\">Side effects</title>"));
        assert!(svg.contains("3 bars; the largest is Nausea: 40%."));
        assert_eq!(svg.matches("<rect").count(), 3);
        // 40 is the top tick (steps of 10): the longest bar spans the whole width.
        assert!(svg.contains("width=\"430.0\""));
        assert!(svg.contains("<title>Dizziness &lt;&amp;&gt;: 10%</title>"));
        assert!(svg.contains(">40</text>"));
        assert_eq!(
            svg,
            horizontal_bars(&Bars {
                title: "Side effects",
                unit: "% of infusions",
                bars: &data,
            })
        );
    }

    #[test]
    fn columns_label_every_few_periods() {
        let data: Vec<Bar> = (0..14)
            .map(|i| Bar {
                label: format!("W{i}"),
                value: f64::from(i),
                text: i.to_string(),
            })
            .collect();
        let svg = columns(&Bars {
            title: "Infusions per week",
            unit: "infusions",
            bars: &data,
        });
        assert_eq!(svg.matches("<rect").count(), 14);
        assert!(svg.contains("<title>W13: 13</title>"));
        // 14 columns, at most 7 labels: every second one.
        assert!(svg.contains(">W0</text>") && svg.contains(">W12</text>"));
        assert!(!svg.contains(">W1</text>"));
    }

    #[test]
    fn empty_and_all_zero_charts_say_so() {
        let none = columns(&Bars {
            title: "Infusions",
            unit: "",
            bars: &[],
        });
        assert!(none.contains(EMPTY) && !none.contains("<rect"));
        let zeros = bars(&[("Nausea", 0.0)]);
        let svg = horizontal_bars(&Bars {
            title: "Side effects",
            unit: "%",
            bars: &zeros,
        });
        assert!(svg.contains("1 bar, all zero."));
        assert!(svg.contains("width=\"0.0\""));
    }
}
