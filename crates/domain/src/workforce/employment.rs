//! Employment records: who employs a link worker, on what pay and hours, and the form
//! that records them, with the pounds and WTE parsing and formatting they use.

use crate::errors::FieldErrors;
use crate::person::parse_date;
use crate::Code;
use chrono::NaiveDate;

code_enum!(
    /// Who employs the link worker.
    EmployerKind {
        Pcn => ("pcn", "PCN or member practice"),
        Subcontracted => ("subcontracted", "Sub-contracted provider"),
    }
);

/// The most a sub-contracting contribution may be, per month per whole-time equivalent.
pub const SUBCONTRACT_MONTHLY_MAX_PENCE: i64 = 200_00;

/// A link worker's employment: who pays them, how much and for what hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employment {
    pub employer_kind: EmployerKind,
    pub employer_name: String,
    /// Whole-time equivalent in thousandths (1000 = full time).
    pub wte_milli: i64,
    /// Actual annual salary paid for these hours, in pence.
    pub annual_salary_pence: i64,
    /// Employer on-costs a year (National Insurance, pension), in pence.
    pub annual_oncosts_pence: i64,
    /// Sub-contracting contribution claimed a month (for a whole month), in pence.
    pub subcontract_monthly_pence: i64,
    /// Agenda for Change band ("5" for link workers).
    pub afc_band: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

/// An employment form as typed.
#[derive(Debug, Clone, Default)]
pub struct EmploymentDraft {
    pub employer_kind: String,
    pub employer_name: String,
    pub wte: String,
    pub annual_salary: String,
    pub annual_oncosts: String,
    pub subcontract_monthly: String,
    pub afc_band: String,
    pub start_date: String,
    pub end_date: String,
}

/// Parses pounds ("31,500", "£31500.50") into pence.
pub fn parse_pounds(input: &str) -> Option<i64> {
    let s: String = input
        .trim()
        .trim_start_matches('£')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    if s.is_empty() || s.len() > 12 {
        return None;
    }
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s.as_str(), ""),
    };
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let pounds: i64 = whole.parse().ok()?;
    let pence: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    pounds.checked_mul(100)?.checked_add(pence)
}

/// Pence as pounds for people: "£1,234.56".
pub fn format_pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.abs();
    let whole = (p / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}£{grouped}.{:02}", p % 100)
}

/// Parses a WTE ("1", "0.6", "0.75") into thousandths, 1–1000.
pub fn parse_wte(input: &str) -> Option<i64> {
    let s = input.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty()
        || frac.len() > 3
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let f: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}").parse().ok()?
    };
    let v = w.checked_mul(1000)?.checked_add(f)?;
    (1..=1000).contains(&v).then_some(v)
}

/// A WTE for people: "1", "0.6", "0.75".
pub fn format_wte(milli: i64) -> String {
    let s = format!("{}.{:03}", milli / 1000, milli % 1000);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl EmploymentDraft {
    pub fn validate(&self) -> Result<Employment, FieldErrors> {
        let mut e = FieldErrors::default();
        let kind = EmployerKind::from_code(self.employer_kind.trim());
        if kind.is_none() {
            e.add("employer_kind", "Choose who employs the link worker");
        }
        let employer_name = self.employer_name.trim().to_string();
        if employer_name.is_empty() || employer_name.chars().count() > 200 {
            e.add(
                "employer_name",
                "Enter the employer's name (up to 200 characters)",
            );
        }
        let wte = parse_wte(&self.wte);
        if wte.is_none() {
            e.add(
                "wte",
                "Enter the whole-time equivalent as a number from 0.001 to 1, like 0.6",
            );
        }
        let salary = parse_pounds(&self.annual_salary).filter(|p| *p > 0);
        if salary.is_none() {
            e.add(
                "annual_salary",
                "Enter the actual annual salary in pounds, like 28,407",
            );
        }
        let oncosts = if self.annual_oncosts.trim().is_empty() {
            Some(0)
        } else {
            parse_pounds(&self.annual_oncosts)
        };
        if oncosts.is_none() {
            e.add(
                "annual_oncosts",
                "Enter the employer on-costs a year in pounds, like 6,250, or leave it blank",
            );
        }
        let contribution = if self.subcontract_monthly.trim().is_empty() {
            Some(0)
        } else {
            parse_pounds(&self.subcontract_monthly)
        };
        match (contribution, kind, wte) {
            (None, _, _) => e.add(
                "subcontract_monthly",
                "Enter the sub-contracting contribution a month in pounds, like 200, or leave it blank",
            ),
            (Some(c), Some(EmployerKind::Pcn), _) if c > 0 => e.add(
                "subcontract_monthly",
                "A sub-contracting contribution applies only when a sub-contracted provider employs the link worker",
            ),
            (Some(c), _, Some(w)) if c > SUBCONTRACT_MONTHLY_MAX_PENCE * w / 1000 => e.add(
                "subcontract_monthly",
                format!(
                    "The contribution can be at most £200 a month per WTE: {} for {} WTE",
                    format_pounds(SUBCONTRACT_MONTHLY_MAX_PENCE * w / 1000),
                    format_wte(w)
                ),
            ),
            _ => {}
        }
        let band = self.afc_band.trim().to_string();
        let band_ok = !band.is_empty()
            && band.len() <= 3
            && band
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase());
        if !band_ok {
            e.add(
                "afc_band",
                "Enter the Agenda for Change band, like 5 (link workers are usually band 5)",
            );
        }
        let start = parse_date(&self.start_date);
        if start.is_none() {
            e.add("start_date", "Enter the start date, like 2025-04-01");
        }
        let end = if self.end_date.trim().is_empty() {
            None
        } else {
            let d = parse_date(&self.end_date);
            if d.is_none() {
                e.add(
                    "end_date",
                    "Enter the end date, like 2026-03-31, or leave it blank",
                );
            }
            d
        };
        if let (Some(s), Some(en)) = (start, end) {
            if en < s {
                e.add(
                    "end_date",
                    "The end date must be on or after the start date",
                );
            }
        }
        match (kind, wte, salary, oncosts, contribution, start) {
            (Some(k), Some(w), Some(s), Some(o), Some(c), Some(st)) if e.is_empty() => {
                Ok(Employment {
                    employer_kind: k,
                    employer_name,
                    wte_milli: w,
                    annual_salary_pence: s,
                    annual_oncosts_pence: o,
                    subcontract_monthly_pence: c,
                    afc_band: band,
                    start_date: st,
                    end_date: end,
                })
            }
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_wte_parse_and_print() {
        assert_eq!(parse_pounds("£31,500"), Some(3_150_000));
        assert_eq!(parse_pounds("28407.5"), Some(2_840_750));
        assert_eq!(parse_pounds("12.345"), None);
        assert_eq!(parse_pounds("-5"), None);
        assert_eq!(parse_pounds("abc"), None);
        assert_eq!(format_pounds(3_035_67), "£3,035.67");
        assert_eq!(format_pounds(5), "£0.05");
        assert_eq!(parse_wte("0.6"), Some(600));
        assert_eq!(parse_wte("1"), Some(1000));
        assert_eq!(parse_wte("1.2"), None);
        assert_eq!(parse_wte("0"), None);
        assert_eq!(format_wte(600), "0.6");
        assert_eq!(format_wte(1000), "1");
    }

    #[test]
    fn employment_form_is_checked() {
        let ok = EmploymentDraft {
            employer_kind: "subcontracted".into(),
            employer_name: "Millbrook Community Trust".into(),
            wte: "0.5".into(),
            annual_salary: "13,000".into(),
            annual_oncosts: "2600".into(),
            subcontract_monthly: "100".into(),
            afc_band: "5".into(),
            start_date: "2025-04-01".into(),
            end_date: String::new(),
        };
        let e = ok.validate().unwrap();
        assert_eq!(e.subcontract_monthly_pence, 100_00);
        let too_much = EmploymentDraft {
            subcontract_monthly: "150".into(),
            ..ok.clone()
        };
        let errs = too_much.validate().unwrap_err();
        assert!(errs.get("subcontract_monthly").unwrap().contains("£100.00"));
        let pcn_with_contribution = EmploymentDraft {
            employer_kind: "pcn".into(),
            ..ok.clone()
        };
        assert!(pcn_with_contribution
            .validate()
            .unwrap_err()
            .get("subcontract_monthly")
            .is_some());
        let bad = EmploymentDraft {
            wte: "2".into(),
            annual_salary: "lots".into(),
            start_date: "2025-13-01".into(),
            end_date: "2024-01-01".into(),
            ..ok
        };
        let errs = bad.validate().unwrap_err();
        for f in ["wte", "annual_salary", "start_date"] {
            assert!(errs.get(f).is_some(), "{f}");
        }
    }
}
