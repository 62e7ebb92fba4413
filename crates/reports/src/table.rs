//! What a report is made of: headline figures and tables of cells. Pages render them,
//! charts draw from them and the exports write them, so a figure is computed once and
//! reads the same everywhere.

/// One value in a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A number shown with this many decimals; `None` when there is nothing to compute.
    Num(Option<f64>, u8),
    /// A percentage 0–100 shown with one decimal; `None` when the denominator is zero.
    Pct(Option<f64>),
    /// Money in pence.
    Money(i64),
    /// A small count, or a figure computed from one, withheld so that no one can be picked
    /// out of a small group ([`suppress_small_numbers`]); shown as "<" and the threshold.
    Suppressed(i64),
}

/// Counts below this (other than 0) are withheld from every report, page and export; a
/// deployment may choose a higher threshold, never a lower one.
pub const SMALL_NUMBER: i64 = 5;

/// Whether `text` holds a whole number from 1 to `below - 1` (a count), as a word of its own:
/// "1 of 3 referrals" does; "33.3%" (a decimal) and "5,000" (a thousand) do not.
fn mentions_small(text: &str, below: i64) -> bool {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .map(|w| w.trim_matches(|c| c == '.' || c == ','))
        .filter(|w| !w.is_empty() && !w.contains('.'))
        .filter_map(|w| w.replace(',', "").parse::<i64>().ok())
        .any(|n| (1..below).contains(&n))
}

/// Withholds small numbers from a report for every role and every export: a count from 1 to
/// `below - 1` becomes [`Cell::Suppressed`], and so do the percentages and averages in the
/// same row (which could give the count back). Headlines are counts too. Money (staff costs)
/// is not a count of people and stays. Says so in the note of each table it changed.
pub fn suppress_small_numbers(mut r: Report, below: i64) -> Report {
    let small = |c: &Cell| matches!(c, Cell::Int(n) if (1..below).contains(n));
    for h in &mut r.headlines {
        // "1 of 3 referrals": the words behind a headline are counts too.
        let told = mentions_small(&h.detail, below);
        if small(&h.value) || told {
            if !matches!(h.value, Cell::Text(_) | Cell::Money(_)) {
                h.value = Cell::Suppressed(below);
            }
            if told {
                h.detail = format!("withheld: fewer than {below}");
            }
        }
    }
    for t in &mut r.tables {
        let mut changed = false;
        for row in &mut t.rows {
            if !row.iter().any(small) {
                continue;
            }
            changed = true;
            for c in row.iter_mut() {
                if small(c) || matches!(c, Cell::Pct(Some(_)) | Cell::Num(Some(_), _)) {
                    *c = Cell::Suppressed(below);
                }
            }
        }
        if changed {
            let sep = if t.note.is_empty() { "" } else { " " };
            t.note = format!(
                "{}{sep}Counts from 1 to {}, and the figures worked out from them, show as <{below} so that no one can be identified.",
                t.note,
                below - 1
            );
        }
    }
    r
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }
    /// The value as people read it on the page.
    pub fn display(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Num(Some(v), d) => format!("{v:.*}", usize::from(*d)),
            Cell::Pct(Some(v)) => format!("{v:.1}%"),
            Cell::Num(None, _) | Cell::Pct(None) => "—".into(),
            Cell::Money(p) => domain::workforce::format_pounds(*p),
            Cell::Suppressed(below) => format!("<{below}"),
        }
    }
    /// The value as exported to CSV: plain numbers (no £, %, or thousands separators),
    /// blank when there is nothing to compute.
    pub fn raw(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Num(Some(v), d) => format!("{v:.*}", usize::from(*d)),
            Cell::Pct(Some(v)) => format!("{v:.1}"),
            Cell::Num(None, _) | Cell::Pct(None) => String::new(),
            Cell::Money(p) => format!("{}.{:02}", p / 100, (p % 100).abs()),
            Cell::Suppressed(below) => format!("<{below}"),
        }
    }
    /// The value as a number, for charts and spreadsheets.
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Text(_) => None,
            Cell::Int(n) => Some(*n as f64),
            Cell::Num(v, d) => v.map(|v| round(v, *d)),
            Cell::Pct(v) => v.map(|v| round(v, 1)),
            Cell::Money(p) => Some(*p as f64 / 100.0),
            Cell::Suppressed(_) => None,
        }
    }
    pub fn is_numeric(&self) -> bool {
        !matches!(self, Cell::Text(_))
    }
}

/// Rounds half away from zero to `d` decimals (what the page and CSV show).
pub fn round(v: f64, d: u8) -> f64 {
    let f = 10f64.powi(i32::from(d));
    (v * f).round() / f
}

/// How to draw a table as a bar chart: one bar per row.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    /// The column whose values the bars show.
    pub value_column: usize,
    /// The scale's top (e.g. 100 for percentages); the largest value when `None`.
    pub max: Option<f64>,
}

/// A table of a report; the unit the exports write.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Unique within its report; names the export file.
    pub id: &'static str,
    pub title: String,
    /// What the figures count and how, in a sentence.
    pub note: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub chart: Option<ChartSpec>,
}

impl Table {
    pub fn new(id: &'static str, title: &str, columns: &[&str]) -> Self {
        Self {
            id,
            title: title.into(),
            note: String::new(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
            chart: None,
        }
    }
    pub fn note(mut self, n: impl Into<String>) -> Self {
        self.note = n.into();
        self
    }
    pub fn chart(mut self, value_column: usize, max: Option<f64>) -> Self {
        self.chart = Some(ChartSpec { value_column, max });
        self
    }
    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }
}

/// A headline figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    pub label: String,
    pub value: Cell,
    /// What is behind it ("of 42 referrals").
    pub detail: String,
    /// For a rate or an average: how many people, episodes or referrals it is worked out
    /// from. Under [`RELIABLE_BASE`] it is shown with a small-numbers warning.
    pub base: Option<usize>,
}

/// Rates and averages over fewer than this many are shown with a warning: one person more
/// or less moves them a long way.
pub const RELIABLE_BASE: usize = 10;

impl Headline {
    /// Worked out from too few to be relied on.
    pub fn small_base(&self) -> bool {
        self.base.is_some_and(|n| n < RELIABLE_BASE)
    }
}

/// One report: a few headlines and its tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub kind: ReportKind,
    pub headlines: Vec<Headline>,
    pub tables: Vec<Table>,
}

impl Report {
    pub fn table(&self, id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.id == id)
    }
}

/// The reports a manager can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    Referrals,
    Caseloads,
    Connections,
    Outcomes,
    Reach,
    HealthUse,
    Coding,
    Gaps,
    CareHomes,
}

impl ReportKind {
    pub const ALL: &'static [ReportKind] = &[
        ReportKind::Referrals,
        ReportKind::Caseloads,
        ReportKind::Connections,
        ReportKind::Outcomes,
        ReportKind::Reach,
        ReportKind::HealthUse,
        ReportKind::Coding,
        ReportKind::Gaps,
        ReportKind::CareHomes,
    ];
    pub fn slug(self) -> &'static str {
        match self {
            ReportKind::Referrals => "referrals",
            ReportKind::Caseloads => "caseloads",
            ReportKind::Connections => "connections",
            ReportKind::Outcomes => "outcomes",
            ReportKind::Reach => "reach",
            ReportKind::HealthUse => "health-use",
            ReportKind::Coding => "coding",
            ReportKind::Gaps => "gaps",
            ReportKind::CareHomes => "care-homes",
        }
    }
    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.slug() == s)
    }
    pub fn title(self) -> &'static str {
        match self {
            ReportKind::Referrals => "Referrals and waiting times",
            ReportKind::Caseloads => "Caseloads and contacts",
            ReportKind::Connections => "Connections to community services",
            ReportKind::Outcomes => "Wellbeing outcomes",
            ReportKind::Reach => "Reach and inequalities",
            ReportKind::HealthUse => "Health service use before and after",
            ReportKind::Coding => "GP record coding completeness",
            ReportKind::Gaps => "Gaps in community provision",
            ReportKind::CareHomes => "Care home tasks",
        }
    }
    pub fn question(self) -> &'static str {
        match self {
            ReportKind::Referrals => {
                "Who refers, for what, and how long people wait for a first contact."
            }
            ReportKind::Caseloads => {
                "Are link workers' caseloads sustainable, and how many contacts do people get?"
            }
            ReportKind::Connections => {
                "What people are connected to, and whether partners close the loop."
            }
            ReportKind::Outcomes => {
                "Are people better off? Change from baseline to latest measure."
            }
            ReportKind::Reach => {
                "Are we reaching the right people, compared with each practice's list?"
            }
            ReportKind::HealthUse => {
                "GP appointments and A&E attendances in the 12 months before and after."
            }
            ReportKind::Coding => {
                "Are referrals coded in the GP record with the national SNOMED codes?"
            }
            ReportKind::Gaps => {
                "Needs with no suitable service nearby, and services turning people away."
            }
            ReportKind::CareHomes => "Requests handled for care homes.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_and_what_they_give_away_are_withheld() {
        let mut t = Table::new("t", "By age", &["Age band", "Referrals", "Share"]);
        t.row(vec![
            Cell::text("18–24"),
            Cell::Int(1),
            Cell::Pct(Some(2.0)),
        ]);
        t.row(vec![
            Cell::text("25–34"),
            Cell::Int(0),
            Cell::Pct(Some(0.0)),
        ]);
        t.row(vec![
            Cell::text("35–44"),
            Cell::Int(49),
            Cell::Pct(Some(98.0)),
        ]);
        let mut staff = Table::new("s", "Costs", &["Worker", "Cost"]);
        staff.row(vec![Cell::text("A"), Cell::Money(3)]);
        let r = Report {
            kind: ReportKind::Reach,
            headlines: vec![
                Headline {
                    base: None,
                    label: "Referrals".into(),
                    value: Cell::Int(4),
                    detail: String::new(),
                },
                Headline {
                    base: None,
                    label: "People".into(),
                    value: Cell::Int(5),
                    detail: String::new(),
                },
                Headline {
                    base: None,
                    label: "Accepted".into(),
                    value: Cell::Pct(Some(33.3)),
                    detail: "1 of 3 referrals".into(),
                },
                Headline {
                    base: None,
                    label: "Reach".into(),
                    value: Cell::Int(40),
                    detail: "of 5,000 people, 12.5 a day".into(),
                },
            ],
            tables: vec![t, staff],
        };
        let r = suppress_small_numbers(r, SMALL_NUMBER);
        assert_eq!(r.headlines[0].value, Cell::Suppressed(5));
        assert_eq!(r.headlines[1].value, Cell::Int(5), "5 and over stay");
        assert_eq!(
            r.headlines[2].value,
            Cell::Suppressed(5),
            "its words gave a count"
        );
        assert_eq!(r.headlines[2].detail, "withheld: fewer than 5");
        assert_eq!(r.headlines[3].detail, "of 5,000 people, 12.5 a day");
        let t = &r.tables[0];
        assert_eq!(t.rows[0][1..], [Cell::Suppressed(5), Cell::Suppressed(5)]);
        assert_eq!(t.rows[0][1].display(), "<5");
        assert_eq!(t.rows[0][1].raw(), "<5");
        assert_eq!(t.rows[1][1], Cell::Int(0), "none is not a small group");
        assert_eq!(t.rows[2][1], Cell::Int(49));
        assert!(t.note.contains("show as <5"));
        assert_eq!(
            r.tables[1].rows[0][1],
            Cell::Money(3),
            "money is not a count"
        );
        assert!(!r.tables[1].note.contains("<5"));
    }
}
