//! The link worker workforce: employment records, ARRS reimbursement, GP supervision,
//! required training and the care home tasks link workers handle.
//!
//! Money is held in whole pence and WTE in thousandths (0.6 WTE = 600) so the ARRS
//! arithmetic is exact and reproducible; rounding happens once, half up, per figure.
//! Literals in pence are written pounds_pence (`3_035_67` is £3,035.67), hence the
//! allowed digit grouping.
#![allow(clippy::inconsistent_digit_grouping)]

use crate::errors::FieldErrors;
use crate::person::parse_date;
use chrono::{Datelike, NaiveDate};

code_enum!(
    /// Who employs the link worker.
    EmployerKind {
        Pcn => ("pcn", "PCN or member practice"),
        Subcontracted => ("subcontracted", "Sub-contracted provider"),
    }
);

code_enum!(
    /// The two kinds of supervision a link worker must have.
    SupervisionKind {
        LineManagement => ("line_management", "GP supervision (line management)"),
        Clinical => ("clinical", "Clinical / non-managerial supervision"),
    }
);

code_enum!(
    /// Where a training requirement comes from.
    TrainingKind {
        OnlineLearning => ("online_learning", "NHSE/I online learning programme"),
        Pci => ("pci", "Personalised Care Institute"),
        PeerSupport => ("peer_support", "Peer support network"),
        Other => ("other", "Other"),
    }
);

code_enum!(
    /// Requests a link worker handles as first port of call for a care home.
    CareHomeTaskKind {
        Prescription => ("prescription", "Prescription request"),
        Visit => ("visit", "Visit request"),
        PostDischarge => ("post_discharge", "Post-discharge coordination"),
    }
);

code_enum!(
    CareHomeTaskStatus {
        Open => ("open", "Open"),
        Done => ("done", "Done"),
        Cancelled => ("cancelled", "Cancelled"),
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

use crate::codes::Code;

/// A financial year, 1 April to 31 March, named by the year it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FinancialYear(pub i32);

impl FinancialYear {
    pub fn of(d: NaiveDate) -> Self {
        if d.month() >= 4 {
            Self(d.year())
        } else {
            Self(d.year() - 1)
        }
    }
    /// "2022/23".
    pub fn label(self) -> String {
        format!("{}/{:02}", self.0, (self.0 + 1) % 100)
    }
    /// Parses "2022/23" or "2022".
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let (start, end) = s.split_once('/').unwrap_or((s, ""));
        let y: i32 = start.parse().ok().filter(|y| (2000..=2100).contains(y))?;
        if !end.is_empty() && end.parse::<i32>().ok()? != (y + 1) % 100 {
            return None;
        }
        Some(Self(y))
    }
    /// The twelve months, April first, as (year, month).
    pub fn months(self) -> Vec<(i32, u32)> {
        (0..12)
            .map(|i| {
                let m = 4 + i;
                if m > 12 {
                    (self.0 + 1, m - 12)
                } else {
                    (self.0, m)
                }
            })
            .collect()
    }
}

fn days_in_month(year: i32, month: u32) -> i64 {
    let first = NaiveDate::from_ymd_opt(year, month, 1);
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    match (first, next) {
        (Some(a), Some(b)) => (b - a).num_days(),
        _ => 30,
    }
}

/// `num / den` rounded half up (for non-negative values).
fn div_round(num: i128, den: i128) -> i64 {
    if den == 0 {
        return 0;
    }
    i64::try_from((num + den / 2) / den).unwrap_or(i64::MAX)
}

/// One link worker's ARRS claim for one month, with the working behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthClaim {
    pub year: i32,
    pub month: u32,
    /// Days of the month the employment covered.
    pub days_employed: i64,
    pub days_in_month: i64,
    /// Salary plus on-costs for those days.
    pub cost_pence: i64,
    /// Sub-contracting contribution for those days.
    pub contribution_pence: i64,
    /// The most that can be claimed for those days at this WTE.
    pub cap_pence: i64,
    /// What is claimed: cost plus contribution, never above the cap.
    pub claim_pence: i64,
}

impl MonthClaim {
    pub fn capped(&self) -> bool {
        self.cost_pence + self.contribution_pence > self.cap_pence
    }
}

/// The ARRS claim for `employment` in one month, given the financial year's maximum
/// reimbursable amount for one WTE. `None` when the employment does not cover the month.
///
/// Pro rata by calendar days: cost = (salary + on-costs) / 12 × days / days-in-month;
/// cap = yearly maximum × WTE / 12 × days / days-in-month; the sub-contracting
/// contribution is at most £200 × WTE a month (pro rata too) and sits within the cap.
pub fn month_claim(
    employment: &Employment,
    year: i32,
    month: u32,
    annual_max_per_wte_pence: i64,
) -> Option<MonthClaim> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let dim = days_in_month(year, month);
    let last = first + chrono::Duration::days(dim - 1);
    let from = employment.start_date.max(first);
    let to = employment.end_date.map_or(last, |e| e.min(last));
    if to < from {
        return None;
    }
    let days = (to - from).num_days() + 1;
    let annual_cost =
        i128::from(employment.annual_salary_pence) + i128::from(employment.annual_oncosts_pence);
    let cost = div_round(annual_cost * i128::from(days), 12 * i128::from(dim));
    let cap = div_round(
        i128::from(annual_max_per_wte_pence) * i128::from(employment.wte_milli) * i128::from(days),
        1000 * 12 * i128::from(dim),
    );
    let allowed_contribution = employment
        .subcontract_monthly_pence
        .min(SUBCONTRACT_MONTHLY_MAX_PENCE * employment.wte_milli / 1000);
    let contribution = if employment.employer_kind == EmployerKind::Subcontracted {
        div_round(
            i128::from(allowed_contribution) * i128::from(days),
            i128::from(dim),
        )
    } else {
        0
    };
    Some(MonthClaim {
        year,
        month,
        days_employed: days,
        days_in_month: dim,
        cost_pence: cost,
        contribution_pence: contribution,
        cap_pence: cap,
        claim_pence: (cost + contribution).min(cap),
    })
}

/// A supervision session as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisionDetails {
    pub kind: SupervisionKind,
    pub held_on: NaiveDate,
    pub actions: String,
}

/// A training record as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingCompletion {
    pub completed_on: NaiveDate,
    pub evidence: String,
}

/// Whether a training requirement is met on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compliance {
    Done { until: Option<NaiveDate> },
    Expired { on: NaiveDate },
    Missing,
}

/// Compliance with a requirement renewed every `renew_months` (once only when `None`),
/// given the latest completion.
pub fn compliance(
    latest: Option<NaiveDate>,
    renew_months: Option<u32>,
    today: NaiveDate,
) -> Compliance {
    match (latest, renew_months) {
        (None, _) => Compliance::Missing,
        (Some(_), None) => Compliance::Done { until: None },
        (Some(d), Some(m)) => {
            let until = d
                .checked_add_months(chrono::Months::new(m))
                .unwrap_or(NaiveDate::MAX);
            if until < today {
                Compliance::Expired { on: until }
            } else {
                Compliance::Done { until: Some(until) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn job(kind: EmployerKind, wte: i64, salary: i64, oncosts: i64, sub: i64) -> Employment {
        Employment {
            employer_kind: kind,
            employer_name: "Riverside PCN".into(),
            wte_milli: wte,
            annual_salary_pence: salary * 100,
            annual_oncosts_pence: oncosts * 100,
            subcontract_monthly_pence: sub * 100,
            afc_band: "5".into(),
            start_date: d("2020-01-01"),
            end_date: None,
        }
    }

    const MAX_2022: i64 = 36_428_00;

    #[test]
    fn full_time_cost_above_the_maximum_is_capped() {
        // £30,000 + £7,000 = £37,000 a year → £3,083.33 a month; cap £36,428 / 12 = £3,035.67.
        let c = month_claim(
            &job(EmployerKind::Pcn, 1000, 30_000, 7_000, 0),
            2022,
            5,
            MAX_2022,
        )
        .unwrap();
        assert_eq!(c.cost_pence, 3_083_33);
        assert_eq!(c.cap_pence, 3_035_67);
        assert_eq!(c.claim_pence, 3_035_67);
        assert!(c.capped());
    }

    #[test]
    fn full_time_cost_below_the_maximum_is_claimed_in_full() {
        // £26,000 + £5,200 = £31,200 a year → £2,600.00 a month.
        let c = month_claim(
            &job(EmployerKind::Pcn, 1000, 26_000, 5_200, 0),
            2022,
            7,
            MAX_2022,
        )
        .unwrap();
        assert_eq!(c.claim_pence, 2_600_00);
        assert!(!c.capped());
    }

    #[test]
    fn part_time_cap_is_pro_rata_to_wte() {
        // 0.6 WTE: £18,000 + £4,200 = £22,200 → £1,850.00; cap £36,428 × 0.6 / 12 = £1,821.40.
        let c = month_claim(
            &job(EmployerKind::Pcn, 600, 18_000, 4_200, 0),
            2022,
            9,
            MAX_2022,
        )
        .unwrap();
        assert_eq!(c.cost_pence, 1_850_00);
        assert_eq!(c.cap_pence, 1_821_40);
        assert_eq!(c.claim_pence, 1_821_40);
    }

    #[test]
    fn part_month_is_pro_rata_by_days() {
        // Starts 16 June: 15 of 30 days. Cost £37,000 × 15 / 360 = £1,541.666… → £1,541.67;
        // cap £36,428 × 15 / 360 = £1,517.833… → £1,517.83.
        let mut e = job(EmployerKind::Pcn, 1000, 30_000, 7_000, 0);
        e.start_date = d("2022-06-16");
        let c = month_claim(&e, 2022, 6, MAX_2022).unwrap();
        assert_eq!((c.days_employed, c.days_in_month), (15, 30));
        assert_eq!(c.cost_pence, 1_541_67);
        assert_eq!(c.cap_pence, 1_517_83);
        assert_eq!(c.claim_pence, 1_517_83);
        // Not employed before the start or after the end.
        assert!(month_claim(&e, 2022, 5, MAX_2022).is_none());
        e.end_date = Some(d("2022-08-10"));
        let aug = month_claim(&e, 2022, 8, MAX_2022).unwrap();
        assert_eq!(aug.days_employed, 10);
        assert!(month_claim(&e, 2022, 9, MAX_2022).is_none());
    }

    #[test]
    fn subcontract_contribution_is_added_within_the_cap() {
        // £2,600 + £200 = £2,800, below the cap.
        let c = month_claim(
            &job(EmployerKind::Subcontracted, 1000, 26_000, 5_200, 200),
            2022,
            10,
            MAX_2022,
        )
        .unwrap();
        assert_eq!(c.contribution_pence, 200_00);
        assert_eq!(c.claim_pence, 2_800_00);
        // £29,000 + £6,000 = £35,000 → £2,916.67 + £200 = £3,116.67, capped at £3,035.67.
        let c = month_claim(
            &job(EmployerKind::Subcontracted, 1000, 29_000, 6_000, 200),
            2022,
            10,
            MAX_2022,
        )
        .unwrap();
        assert_eq!(c.claim_pence, 3_035_67);
        // Part-time: the contribution is at most £200 × WTE (£100 at 0.5) even if more was entered.
        let c = month_claim(
            &job(EmployerKind::Subcontracted, 500, 13_000, 2_600, 200),
            2022,
            10,
            MAX_2022,
        )
        .unwrap();
        assert_eq!(c.contribution_pence, 100_00);
        assert_eq!(c.claim_pence, 1_300_00 + 100_00);
        // A PCN employer gets no contribution.
        let c = month_claim(
            &job(EmployerKind::Pcn, 1000, 26_000, 5_200, 200),
            2022,
            10,
            MAX_2022,
        )
        .unwrap();
        assert_eq!(c.contribution_pence, 0);
    }

    #[test]
    fn a_year_of_full_months_never_exceeds_the_yearly_maximum() {
        let e = job(EmployerKind::Subcontracted, 1000, 40_000, 9_000, 200);
        let total: i64 = FinancialYear(2022)
            .months()
            .into_iter()
            .filter_map(|(y, m)| month_claim(&e, y, m, MAX_2022))
            .map(|c| c.claim_pence)
            .sum();
        assert!(total <= MAX_2022 + 12, "rounding only: {total}");
        assert!(total >= MAX_2022 - 12);
    }

    #[test]
    fn financial_years() {
        assert_eq!(FinancialYear::of(d("2023-03-31")), FinancialYear(2022));
        assert_eq!(FinancialYear::of(d("2023-04-01")), FinancialYear(2023));
        assert_eq!(FinancialYear(2022).label(), "2022/23");
        assert_eq!(FinancialYear(2099).label(), "2099/00");
        assert_eq!(FinancialYear::parse("2022/23"), Some(FinancialYear(2022)));
        assert_eq!(FinancialYear::parse("2022/24"), None);
        assert_eq!(FinancialYear(2022).months()[0], (2022, 4));
        assert_eq!(FinancialYear(2022).months()[11], (2023, 3));
    }

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

    #[test]
    fn training_compliance() {
        let today = d("2026-11-21");
        assert_eq!(compliance(None, None, today), Compliance::Missing);
        assert_eq!(
            compliance(Some(d("2024-01-01")), None, today),
            Compliance::Done { until: None }
        );
        assert_eq!(
            compliance(Some(d("2026-06-01")), Some(3), today),
            Compliance::Expired {
                on: d("2026-09-01")
            }
        );
        assert_eq!(
            compliance(Some(d("2026-10-01")), Some(3), today),
            Compliance::Done {
                until: Some(d("2027-01-01"))
            }
        );
    }
}
