//! ARRS reimbursement: financial years and the monthly claim for one link worker's
//! employment, pro rata by days and WTE.

use super::{EmployerKind, Employment, SUBCONTRACT_MONTHLY_MAX_PENCE};
use chrono::{Datelike, NaiveDate};

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
}
