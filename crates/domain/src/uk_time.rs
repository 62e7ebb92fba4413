//! Time as people in England read and write it: Europe/London, GMT in winter and British
//! Summer Time (UTC+1) from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
//! Sunday of October (the rule since 1996, shared with the EU). Instants are stored in UTC;
//! every time shown or typed is UK time.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};

/// The last Sunday of a month, at 01:00 UTC: when the clocks change.
fn change(year: i32, month: u32) -> DateTime<Utc> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap_or_default();
    let last = first_next - Duration::days(1);
    let back = last.weekday().num_days_from_sunday();
    let sunday = last - Duration::days(i64::from(back));
    debug_assert_eq!(sunday.weekday(), Weekday::Sun);
    sunday
        .and_time(NaiveTime::from_hms_opt(1, 0, 0).unwrap_or_default())
        .and_utc()
}

/// Whether British Summer Time is in force at an instant.
pub fn is_bst(t: DateTime<Utc>) -> bool {
    let y = t.year();
    t >= change(y, 3) && t < change(y, 10)
}

/// The UK wall-clock time of an instant.
pub fn to_uk(t: DateTime<Utc>) -> NaiveDateTime {
    let offset = if is_bst(t) {
        Duration::hours(1)
    } else {
        Duration::zero()
    };
    t.naive_utc() + offset
}

/// The instant of a UK wall-clock time. In the hour that does not exist (clocks go forward,
/// 01:00–02:00 on the last Sunday of March) the time is read as GMT; in the hour that
/// happens twice (clocks go back, 01:00–02:00 on the last Sunday of October) it is read as
/// the first, BST.
pub fn from_uk(local: NaiveDateTime) -> DateTime<Utc> {
    let as_bst = (local - Duration::hours(1)).and_utc();
    if is_bst(as_bst) {
        as_bst
    } else {
        local.and_utc()
    }
}

/// Today's date in the UK.
pub fn today() -> NaiveDate {
    to_uk(Utc::now()).date()
}

/// A UK date at a UK time of day, as an instant.
pub fn at(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    from_uk(date.and_time(time))
}

/// The instant a UK day starts (midnight, UK time).
pub fn start_of(date: NaiveDate) -> DateTime<Utc> {
    at(date, NaiveTime::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .unwrap()
            .and_utc()
    }
    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn summer_evenings_read_an_hour_on() {
        // "Raised 17 Sep 2026 22:56" in UTC is 23:56 on a summer evening.
        assert_eq!(to_uk(utc("2026-09-17 22:56")), local("2026-09-17 23:56"));
        // Just after 23:00 UTC in summer it is already tomorrow in the UK.
        assert_eq!(
            to_uk(utc("2026-07-01 23:30")).date().to_string(),
            "2026-07-02"
        );
        // Winter is GMT.
        assert_eq!(to_uk(utc("2026-12-04 21:30")), local("2026-12-04 21:30"));
    }

    #[test]
    fn the_changeover_days() {
        // 2026: clocks go forward on Sunday 29 March and back on Sunday 25 October, at 01:00 UTC.
        assert!(!is_bst(utc("2026-03-29 00:59")));
        assert!(is_bst(utc("2026-03-29 01:00")));
        assert!(is_bst(utc("2026-10-25 00:59")));
        assert!(!is_bst(utc("2026-10-25 01:00")));
        // 2027: 28 March and 31 October.
        assert!(is_bst(utc("2027-03-28 01:00")) && !is_bst(utc("2027-03-28 00:30")));
        assert!(is_bst(utc("2027-10-31 00:30")) && !is_bst(utc("2027-10-31 01:00")));
        // 00:30 UK on the spring day is GMT; 02:30 UK is BST (01:30 UTC).
        assert_eq!(from_uk(local("2026-03-29 00:30")), utc("2026-03-29 00:30"));
        assert_eq!(from_uk(local("2026-03-29 02:30")), utc("2026-03-29 01:30"));
        // 01:30 UK does not exist on the spring day: read as GMT.
        assert_eq!(from_uk(local("2026-03-29 01:30")), utc("2026-03-29 01:30"));
        // 01:30 UK happens twice on the autumn day: the first (BST) is taken.
        assert_eq!(from_uk(local("2026-10-25 01:30")), utc("2026-10-25 00:30"));
        assert_eq!(from_uk(local("2026-10-25 02:30")), utc("2026-10-25 02:30"));
    }

    #[test]
    fn a_time_typed_and_shown_comes_back_the_same() {
        for s in [
            "2026-06-15 09:00",
            "2026-06-15 23:30",
            "2026-01-10 00:15",
            "2026-10-25 03:00",
        ] {
            assert_eq!(to_uk(from_uk(local(s))), local(s), "{s}");
        }
    }
}
