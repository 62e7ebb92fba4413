//! How a report is shown: headline, table, report and filter-form views.

use super::*;

pub(crate) struct HeadlineView {
    pub label: String,
    pub value: String,
    pub detail: String,
    /// A rate or an average from fewer than 10: shown with a small-numbers warning.
    pub small: bool,
}

pub(crate) struct TableView {
    pub id: String,
    pub title: String,
    pub note: String,
    pub columns: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
    pub chart: Option<String>,
    pub csv: String,
}

pub(crate) struct ReportView {
    pub slug: &'static str,
    pub title: &'static str,
    pub question: &'static str,
    pub headlines: Vec<HeadlineView>,
    pub tables: Vec<TableView>,
}

pub(super) fn headline_views(r: &Report) -> Vec<HeadlineView> {
    r.headlines
        .iter()
        .map(|h| HeadlineView {
            label: h.label.clone(),
            value: h.value.display(),
            detail: h.detail.clone(),
            small: h.small_base(),
        })
        .collect()
}

/// A table as the page shows it (no chart), with its download link.
pub(crate) fn plain_table_view(t: &Table, id: String, csv: String) -> TableView {
    TableView {
        id,
        title: t.title.clone(),
        note: t.note.clone(),
        columns: t.columns.clone(),
        numeric: (0..t.columns.len())
            .map(|c| {
                t.rows
                    .iter()
                    .any(|r| r.get(c).is_some_and(Cell::is_numeric))
            })
            .collect(),
        rows: t
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::display).collect())
            .collect(),
        chart: None,
        csv,
    }
}

pub(super) fn table_view(kind: ReportKind, t: &Table, query: &str) -> TableView {
    let chart = t.chart.as_ref().and_then(|spec| {
        let bars: Vec<(String, f64)> = t
            .rows
            .iter()
            .filter_map(|r| {
                let v = r.get(spec.value_column)?.number()?;
                Some((r.first()?.display(), v))
            })
            .collect();
        if bars.is_empty() {
            return None;
        }
        let column = t
            .columns
            .get(spec.value_column)
            .cloned()
            .unwrap_or_default();
        let unit = if column.ends_with("(%)") { "%" } else { "" };
        let desc = format!(
            "Bar chart of {}: {}. The same figures are in the table.",
            column.to_lowercase(),
            bars.iter()
                .take(8)
                .map(|(l, v)| format!("{l} {}{unit}", crate::charts::one_decimal(*v)))
                .collect::<Vec<_>>()
                .join("; ")
        );
        Some(bar_chart(
            &format!("{}-{}", kind.slug(), t.id),
            &format!("{} – {}", t.title, column),
            &desc,
            &bars,
            spec.max,
            unit,
        ))
    });
    TableView {
        chart,
        ..plain_table_view(
            t,
            format!("{}-{}", kind.slug(), t.id),
            format!("/reports/{}/{}.csv?{query}", kind.slug(), t.id),
        )
    }
}

pub(crate) fn report_view(r: &Report, query: &str) -> ReportView {
    ReportView {
        slug: r.kind.slug(),
        title: r.kind.title(),
        question: r.kind.question(),
        headlines: headline_views(r),
        tables: r
            .tables
            .iter()
            .map(|t| table_view(r.kind, t, query))
            .collect(),
    }
}

pub(crate) struct FilterForm {
    pub from: String,
    pub to: String,
    pub practices: Vec<Opt>,
    pub workers: Vec<Opt>,
    pub sources: Vec<Opt>,
    pub distance: String,
}

pub(super) fn filter_form(f: &Filters, c: &Choices) -> FilterForm {
    let mut practices = vec![Opt {
        value: String::new(),
        label: "All practices".into(),
        selected: f.practice.is_none(),
    }];
    practices.extend(c.practices.iter().map(|p| Opt {
        value: p.id.to_string(),
        label: p.name.clone(),
        selected: f.practice == Some(p.id),
    }));
    let mut workers = vec![Opt {
        value: String::new(),
        label: "All link workers".into(),
        selected: f.worker.is_none(),
    }];
    workers.extend(c.workers.iter().map(|w| Opt {
        value: w.0.to_string(),
        label: w.1.clone(),
        selected: f.worker == Some(w.0),
    }));
    let mut sources = vec![Opt {
        value: String::new(),
        label: "All sources".into(),
        selected: f.source.is_none(),
    }];
    sources.extend(ReferralSource::ALL.iter().map(|s| Opt {
        value: s.code().into(),
        label: s.label().into(),
        selected: f.source == Some(*s),
    }));
    FilterForm {
        from: f.from.to_string(),
        to: f.to.to_string(),
        practices,
        workers,
        sources,
        distance: crate::charts::format_value(f.distance_miles),
    }
}
