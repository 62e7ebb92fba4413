//! Report tables as CSV and XLSX. Exports hold exactly the cells the page shows (never
//! more identifiable data than the report), with numbers as numbers.

use crate::table::{Cell, Table};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// A text CSV field: text that a spreadsheet would run as a formula (starting `=`, `+`,
/// `-`, `@`, tab or carriage return) is prefixed with `'`, then quoted when needed. Every
/// CSV Linkwork writes goes through here.
pub fn csv_text(s: &str) -> String {
    let defused = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    quote(defused)
}

fn quote(s: String) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// One CSV field: text defused and quoted, numbers as they are.
fn csv_field(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => csv_text(t),
        _ => quote(cell.raw()),
    }
}

/// The CSV lines of a table (header first), each ending in CRLF, produced one at a time
/// so a large table can stream.
pub fn csv_lines(table: &Table) -> impl Iterator<Item = String> + '_ {
    let header: Vec<String> = table
        .columns
        .iter()
        .map(|c| csv_field(&Cell::Text(c.clone())))
        .collect();
    std::iter::once(format!("{}\r\n", header.join(","))).chain(table.rows.iter().map(|row| {
        let cells: Vec<String> = row.iter().map(csv_field).collect();
        format!("{}\r\n", cells.join(","))
    }))
}

/// A whole table as CSV.
pub fn csv(table: &Table) -> String {
    csv_lines(table).collect()
}

fn sheet_name(title: &str, used: &[String]) -> String {
    let clean: String = title
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\' | '\''))
        .take(28)
        .collect();
    let clean = clean.trim().to_string();
    let mut name = if clean.is_empty() {
        "Sheet".to_string()
    } else {
        clean
    };
    let base = name.clone();
    let mut n = 2;
    while used.iter().any(|u| u.eq_ignore_ascii_case(&name)) {
        name = format!("{base} {n}");
        n += 1;
    }
    name
}

/// Tables as an XLSX workbook, one sheet per table: a title row, a header row, then the
/// figures (numbers as numbers, percentages as numbers 0–100).
pub fn xlsx(tables: &[&Table], heading: &str) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let mut used = Vec::new();
    for t in tables {
        let name = sheet_name(&t.title, &used);
        used.push(name.clone());
        let sheet = book.add_worksheet();
        sheet.set_name(&name)?;
        sheet.write_string_with_format(0, 0, format!("{heading}: {}", t.title), &bold)?;
        for (c, col) in t.columns.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            sheet.write_string_with_format(1, c, col, &bold)?;
            sheet.set_column_width(c, if c == 0 { 36 } else { 16 })?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = u32::try_from(r + 2).unwrap_or(u32::MAX);
            for (c, cell) in row.iter().enumerate() {
                let c = u16::try_from(c).unwrap_or(u16::MAX);
                match (cell, cell.number()) {
                    (Cell::Text(s), _) => {
                        sheet.write_string(r, c, s)?;
                    }
                    (Cell::Suppressed(_), _) => {
                        sheet.write_string(r, c, cell.display())?;
                    }
                    (_, Some(v)) => {
                        sheet.write_number(r, c, v)?;
                    }
                    (_, None) => {}
                }
            }
        }
        if !t.note.is_empty() {
            let r = u32::try_from(t.rows.len() + 3).unwrap_or(u32::MAX);
            sheet.write_string(r, 0, &t.note)?;
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let mut t = Table::new("t", "T", &["Name", "Count"]);
        t.row(vec![Cell::text("=HYPERLINK(\"x\")"), Cell::Int(3)]);
        t.row(vec![Cell::text("Smith, Jones"), Cell::Num(Some(-1.25), 2)]);
        t.row(vec![Cell::text("None"), Cell::Pct(None)]);
        assert_eq!(
            csv(&t),
            "Name,Count\r\n\"'=HYPERLINK(\"\"x\"\")\",3\r\n\"Smith, Jones\",-1.25\r\nNone,\r\n"
        );
    }

    #[test]
    fn csv_text_defuses_formulas_and_quotes() {
        assert_eq!(csv_text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_text("Smith, Jo"), "\"Smith, Jo\"");
        assert_eq!(csv_text("plain"), "plain");
    }

    #[test]
    fn sheet_names_are_legal_and_unique() {
        let used = vec!["Referrals by source".to_string()];
        assert_eq!(
            sheet_name("Referrals by source", &used),
            "Referrals by source 2"
        );
        assert_eq!(sheet_name("A/B: [c]?", &[]), "AB c");
        assert!(sheet_name(&"x".repeat(50), &[]).len() <= 31);
    }
}
