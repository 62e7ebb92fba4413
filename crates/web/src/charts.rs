//! Small server-rendered SVG charts. Each has a title and a description for assistive
//! technology, draws with `currentColor` and patterns of dash so it reads in print and in
//! high-contrast modes, and is always shown beside a data table (the text alternative).

use std::fmt::Write;

/// Escapes text for SVG content and attributes.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// One line on a chart: a label and a value per point (None where not measured).
pub struct Series {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

const DASHES: [&str; 4] = ["", "6 4", "2 3", "10 3 2 3"];
const MARKERS: [&str; 4] = ["circle", "square", "diamond", "triangle"];

fn marker(kind: &str, x: f64, y: f64) -> String {
    match kind {
        "square" => format!(
            r#"<rect x="{:.1}" y="{:.1}" width="7" height="7"/>"#,
            x - 3.5,
            y - 3.5
        ),
        "diamond" => format!(
            r#"<polygon points="{x:.1},{:.1} {:.1},{y:.1} {x:.1},{:.1} {:.1},{y:.1}"/>"#,
            y - 5.0,
            x + 5.0,
            y + 5.0,
            x - 5.0
        ),
        "triangle" => format!(
            r#"<polygon points="{x:.1},{:.1} {:.1},{:.1} {:.1},{:.1}"/>"#,
            y - 5.0,
            x + 5.0,
            y + 4.0,
            x - 5.0,
            y + 4.0
        ),
        _ => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="4"/>"#),
    }
}

/// A line chart of `series` over the points labelled `x_labels`, on the scale `lo..=hi`.
/// `id` must be unique on the page (it names the title and description).
pub fn line_chart(
    id: &str,
    title: &str,
    desc: &str,
    x_labels: &[String],
    series: &[Series],
    (lo, hi): (f64, f64),
) -> String {
    let (w, h) = (480.0, 220.0);
    let (left, right, top, bottom) = (40.0, 150.0, 12.0, 36.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let n = x_labels.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            left + pw / 2.0
        } else {
            left + pw * i as f64 / (n - 1) as f64
        }
    };
    let span = (hi - lo).max(1.0);
    let y = |v: f64| top + ph * (1.0 - (v.clamp(lo, hi) - lo) / span);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    // Axes and gridlines at the ends and middle of the scale.
    for v in [lo, (lo + hi) / 2.0, hi] {
        let _ = write!(
            s,
            r#"<line x1="{left}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="currentColor" stroke-opacity="0.25"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="currentColor">{}</text>"#,
            left + pw,
            y(v),
            y(v),
            left - 6.0,
            y(v) + 4.0,
            format_value(v)
        );
    }
    for (i, l) in x_labels.iter().enumerate() {
        // The end labels sit inside the plot so they are not cut off.
        let anchor = match (i, n) {
            (_, 1) => "middle",
            (0, _) => "start",
            (i, n) if i == n - 1 => "end",
            _ => "middle",
        };
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="{anchor}" fill="currentColor">{}</text>"#,
            x(i),
            h - bottom + 16.0,
            esc(l)
        );
    }
    for (k, ser) in series.iter().enumerate() {
        let dash = DASHES[k % DASHES.len()];
        let pts: Vec<(f64, f64)> = ser
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (x(i), y(v))))
            .collect();
        let path: Vec<String> = pts.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
        let _ = write!(
            s,
            r#"<g stroke="currentColor" fill="currentColor"><polyline points="{}" fill="none" stroke-width="2"{}/>"#,
            path.join(" "),
            if dash.is_empty() {
                String::new()
            } else {
                format!(r#" stroke-dasharray="{dash}""#)
            }
        );
        for (a, b) in &pts {
            s.push_str(&marker(MARKERS[k % MARKERS.len()], *a, *b));
        }
        // Legend.
        let ly = top + 8.0 + 20.0 * k as f64;
        let lx = w - right + 12.0;
        let _ = write!(
            s,
            r#"<line x1="{lx}" x2="{:.1}" y1="{ly}" y2="{ly}" stroke-width="2"{}/>{}"#,
            lx + 22.0,
            if dash.is_empty() {
                String::new()
            } else {
                format!(r#" stroke-dasharray="{dash}""#)
            },
            marker(MARKERS[k % MARKERS.len()], lx + 11.0, ly)
        );
        let _ = write!(
            s,
            r#"</g><text x="{:.1}" y="{:.1}" font-size="11" fill="currentColor">{}</text>"#,
            lx + 28.0,
            ly + 4.0,
            esc(&ser.label)
        );
    }
    s.push_str("</svg>");
    s
}

/// A horizontal bar chart: one labelled bar per row, its value printed at the end of the
/// bar, on a scale from 0 (or the smallest negative value) to `max` (the largest value
/// when `None`). Negative values draw to the left of a zero line.
pub fn bar_chart(
    id: &str,
    title: &str,
    desc: &str,
    bars: &[(String, f64)],
    max: Option<f64>,
    unit: &str,
) -> String {
    // A long label wraps onto a second line (at a space), so none is cut off; a row with
    // two lines is taller.
    let (w, label_w, value_w, top) = (560.0, 200.0, 70.0, 6.0);
    let lines: Vec<Vec<String>> = bars.iter().map(|(l, _)| wrap_label(l, 30)).collect();
    let row_h = |n: usize| if n > 1 { 40.0 } else { 26.0 };
    let h = top * 2.0 + lines.iter().map(|l| row_h(l.len())).sum::<f64>().max(26.0);
    let hi = max
        .unwrap_or(0.0)
        .max(bars.iter().map(|b| b.1).fold(0.0, f64::max));
    let lo = bars.iter().map(|b| b.1).fold(0.0, f64::min);
    let span = (hi - lo).max(1e-9);
    let plot_w = w - label_w - value_w;
    let x = |v: f64| label_w + plot_w * (v - lo) / span;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart chart--bar" viewBox="0 0 {w} {h:.0}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    let _ = write!(
        s,
        r#"<line x1="{:.1}" x2="{:.1}" y1="{top}" y2="{:.1}" stroke="currentColor" stroke-opacity="0.5"/>"#,
        x(0.0),
        x(0.0),
        h - top
    );
    let mut y = top;
    for ((_, v), label) in bars.iter().zip(&lines) {
        let rh = row_h(label.len());
        let (x0, x1) = if *v >= 0.0 {
            (x(0.0), x(*v))
        } else {
            (x(*v), x(0.0))
        };
        let first_y = if label.len() > 1 {
            y + 15.0
        } else {
            y + rh * 0.65
        };
        let mut text = String::new();
        for (k, line) in label.iter().enumerate() {
            let _ = write!(
                text,
                r#"<tspan x="{:.1}" y="{:.1}">{}</tspan>"#,
                label_w - 8.0,
                first_y + 14.0 * k as f64,
                esc(line)
            );
        }
        let _ = write!(
            s,
            r#"<text font-size="12" text-anchor="end" fill="currentColor">{text}</text><rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="currentColor" fill-opacity="0.75"/><text x="{:.1}" y="{:.1}" font-size="12" fill="currentColor">{}{}</text>"#,
            y + 4.0,
            (x1 - x0).max(1.0),
            rh - 8.0,
            x1.max(x(0.0)) + 6.0,
            y + rh * 0.6,
            one_decimal(*v),
            esc(unit)
        );
        y += rh;
    }
    s.push_str("</svg>");
    s
}

/// A label in lines of at most `width` characters, broken at spaces: two lines at most, the
/// second ending in "…" if there is still more.
fn wrap_label(label: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = vec![];
    let mut current = String::new();
    for word in label.split_whitespace() {
        let len = current.chars().count() + word.chars().count() + usize::from(!current.is_empty());
        if len > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    let cut = |l: &str| -> String {
        if l.chars().count() > width {
            format!("{}…", l.chars().take(width - 1).collect::<String>())
        } else {
            l.to_string()
        }
    };
    if lines.len() > 2 {
        let rest = lines[1..].join(" ");
        let second = if rest.chars().count() >= width {
            format!("{}…", rest.chars().take(width - 1).collect::<String>())
        } else {
            format!("{rest}…")
        };
        return vec![cut(&lines[0]), second];
    }
    lines.iter().map(|l| cut(l)).collect()
}

/// A bar's value: whole numbers as they are, others to one decimal.
pub(crate) fn one_decimal(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if (r - r.round()).abs() < 1e-9 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// A value as shown on charts and in tables: whole numbers without decimals.
pub fn format_value(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_bar_labels_wrap_instead_of_being_cut() {
        let lines = super::wrap_label("Loneliness or social isolation and low mood", 30);
        assert_eq!(lines, ["Loneliness or social isolation", "and low mood"]);
        assert_eq!(super::wrap_label("Walking", 30), ["Walking"]);
        let three = super::wrap_label(
            "Financial issues (debt, benefits) and housing, with more words to come",
            30,
        );
        assert_eq!(three.len(), 2);
        assert!(three[1].ends_with('…'), "{three:?}");
        assert!(three.iter().all(|l| l.chars().count() <= 30), "{three:?}");
        let svg = bar_chart(
            "b2",
            "t",
            "d",
            &[("Loneliness or social isolation and low mood".into(), 3.0)],
            None,
            "",
        );
        assert!(svg.contains(">and low mood</tspan>"), "{svg}");
    }

    #[test]
    fn bar_chart_draws_a_labelled_bar_per_row() {
        let svg = bar_chart(
            "b1",
            "Referrals by source",
            "GP 3, Self-referral 1",
            &[("GP".into(), 3.0), ("Self <referral>".into(), 1.0)],
            None,
            "",
        );
        assert!(svg.contains(r#"aria-labelledby="b1-title b1-desc""#));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("Self &lt;referral&gt;"));
        // The largest bar fills the plot (200 + 290 = 490 wide).
        assert!(svg.contains(r#"width="290.0""#), "{svg}");
    }

    #[test]
    fn chart_is_labelled_and_escaped() {
        let svg = line_chart(
            "c1",
            "Wellbeing <over> time",
            "Rose from 19.25 to 23.21",
            &["Baseline".into(), "Review".into()],
            &[Series {
                label: "SWEMWBS & more".into(),
                values: vec![Some(19.25), Some(23.21)],
            }],
            (7.0, 35.0),
        );
        assert!(svg.contains(r#"aria-labelledby="c1-title c1-desc""#));
        assert!(svg.contains("Wellbeing &lt;over&gt; time"));
        assert!(svg.contains("SWEMWBS &amp; more"));
        assert!(!svg.contains("<over>"));
        assert_eq!(
            svg.matches("<circle").count(),
            3,
            "two points and the legend"
        );
    }
}
