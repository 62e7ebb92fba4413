//! Reading exports back: CSV with the `csv` crate and XLSX with calamine, both independent
//! of the code that wrote them.

use crate::helpers::*;
use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;

/// Parses CSV with the `csv` crate (an independent reader) into rows of fields.
pub(super) fn parse_csv(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

pub(super) async fn csv(b: &mut Browser, path: &str) -> Vec<Vec<String>> {
    let page = b.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
    assert!(page.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    parse_csv(&page.body)
}

pub(super) fn cell<'a>(rows: &'a [Vec<String>], row: &str, col: usize) -> &'a str {
    &rows
        .iter()
        .find(|r| r[0] == row)
        .unwrap_or_else(|| panic!("no row {row} in {rows:?}"))[col]
}

pub(super) async fn xlsx(
    app: &TestApp,
    b: &mut Browser,
    path: &str,
) -> Xlsx<std::io::Cursor<Vec<u8>>> {
    let res = reqwest::Client::new()
        .get(format!("{}{path}", app.base))
        .header("cookie", b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let bytes = res.bytes().await.unwrap().to_vec();
    Xlsx::new(std::io::Cursor::new(bytes)).expect("a readable XLSX file")
}

/// The number in the row whose first cell is `row`, column `col`, of a sheet.
pub(super) fn sheet_number(
    book: &mut Xlsx<std::io::Cursor<Vec<u8>>>,
    sheet: &str,
    row: &str,
    col: usize,
) -> f64 {
    let range = book
        .worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("sheet {sheet}: {e}"));
    let r = range
        .rows()
        .find(|r| matches!(&r[0], Data::String(s) if s == row))
        .unwrap_or_else(|| panic!("no row {row} in sheet {sheet}"));
    match &r[col] {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("{sheet}/{row}/{col} is not a number: {other:?}"),
    }
}
