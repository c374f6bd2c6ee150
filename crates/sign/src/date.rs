//! `X-Sdk-Date` (`YYYYMMDDTHHMMSSZ`, UTC) without a date library.
//!
//! The rest of the workspace reads and writes dates with `jiff`; the signer
//! keeps this small formatter of its own because its contract allows it no
//! dependencies beyond the hash functions, and the format is byte-exact
//! (the signing vectors guard it). Its tests check it against `jiff` (a
//! dev-dependency) on every day from 1600 to 9999.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SECS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
///
/// Howard Hinnant's `civil_from_days`, in 400-year eras of 146 097 days.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) to days since 1970-01-01; the inverse of [`civil_from_days`].
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 }; // [0, 11]
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Seconds since the Unix epoch, negative before it; sub-second parts are truncated
/// towards the past.
fn unix_secs(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 {
                -secs.saturating_add(1)
            } else {
                -secs
            }
        }
    }
}

/// Formats a time as `X-Sdk-Date`: `YYYYMMDDTHHMMSSZ` in UTC, seconds truncated.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use rds_dr_sign::format_sdk_date;
/// assert_eq!(format_sdk_date(UNIX_EPOCH), "19700101T000000Z");
/// assert_eq!(format_sdk_date(UNIX_EPOCH + Duration::from_secs(1_704_067_200)), "20240101T000000Z");
/// ```
pub fn format_sdk_date(time: SystemTime) -> String {
    let secs = unix_secs(time);
    let days = secs.div_euclid(SECS_PER_DAY);
    let rem = secs.rem_euclid(SECS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses an `X-Sdk-Date` (`YYYYMMDDTHHMMSSZ`, UTC). Returns `None` for anything
/// else, including impossible dates (`20230229`), and for years before 1970.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use rds_dr_sign::parse_sdk_date;
/// assert_eq!(parse_sdk_date("20240101T000000Z"), Some(UNIX_EPOCH + Duration::from_secs(1_704_067_200)));
/// assert_eq!(parse_sdk_date("2024-01-01T00:00:00Z"), None);
/// ```
pub fn parse_sdk_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = &b[range];
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(
            digits
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')),
        )
    };
    let year = i64::from(num(0..4)?);
    let month = num(4..6)?;
    let day = num(6..8)?;
    let hour = num(9..11)?;
    let minute = num(11..13)?;
    let second = num(13..15)?;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs =
        days * SECS_PER_DAY + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    let secs = u64::try_from(secs).ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn known_dates() {
        for (secs, text) in [
            (0, "19700101T000000Z"),
            (86_399, "19700101T235959Z"),
            (86_400, "19700102T000000Z"),
            (951_782_400, "20000229T000000Z"), // 2000 is a leap year (divisible by 400)
            (951_868_800, "20000301T000000Z"),
            (1_078_012_800, "20040229T000000Z"),
            (1_704_067_200, "20240101T000000Z"),
            (1_709_164_799, "20240228T235959Z"),
            (1_709_164_800, "20240229T000000Z"),
            (1_709_251_200, "20240301T000000Z"),
            (1_735_689_599, "20241231T235959Z"),
            (4_107_542_400, "21000301T000000Z"), // 2100 is not a leap year
            (4_107_542_399, "21000228T235959Z"),
            (253_402_300_799, "99991231T235959Z"),
        ] {
            assert_eq!(format_sdk_date(at(secs)), text, "{secs}");
            assert_eq!(parse_sdk_date(text), Some(at(secs)), "{text}");
        }
    }

    #[test]
    fn subseconds_truncate() {
        let t = at(1_704_067_200) + Duration::from_millis(999);
        assert_eq!(format_sdk_date(t), "20240101T000000Z");
        let before = UNIX_EPOCH - Duration::from_millis(1);
        assert_eq!(format_sdk_date(before), "19691231T235959Z");
    }

    #[test]
    fn rejects_bad_dates() {
        for bad in [
            "",
            "20240101T000000",
            "20240101T000000z",
            "20240101 000000Z",
            "2024010lT000000Z",
            "20230229T000000Z",
            "21000229T000000Z",
            "20241301T000000Z",
            "20240001T000000Z",
            "20240100T000000Z",
            "20240431T000000Z",
            "20240101T240000Z",
            "20240101T006000Z",
            "20240101T000060Z",
            "19691231T235959Z",
            "+2024101T000000Z",
            "２0240101T00000Z",
        ] {
            assert_eq!(parse_sdk_date(bad), None, "{bad:?}");
        }
        assert!(parse_sdk_date("20000229T000000Z").is_some());
    }

    /// `civil_from_days` and `days_from_civil` against jiff's calendar, on
    /// every day from 1600-01-01 to 9999-12-31.
    #[test]
    fn calendar_agrees_with_jiff_on_every_day() {
        let mut date = jiff::civil::date(1600, 1, 1);
        let mut days = days_from_civil(1600, 1, 1);
        let last = jiff::civil::date(9999, 12, 31);
        loop {
            let expected = (
                i64::from(date.year()),
                u32::try_from(date.month()).expect("month"),
                u32::try_from(date.day()).expect("day"),
            );
            assert_eq!(civil_from_days(days), expected, "{date}");
            assert_eq!(days_from_civil(expected.0, expected.1, expected.2), days);
            if date == last {
                break;
            }
            date = date.tomorrow().expect("tomorrow");
            days += 1;
        }
    }

    proptest::proptest! {
        /// Formatting and parsing agree with jiff at any second from 1970 to
        /// 9999, and sub-seconds are truncated.
        #[test]
        fn format_and_parse_agree_with_jiff(secs in 0i64..=253_402_300_799, nanos in 0u32..1_000_000_000) {
            let whole = u64::try_from(secs).expect("secs");
            let expected = jiff::Timestamp::from_second(secs)
                .expect("in range")
                .strftime("%Y%m%dT%H%M%SZ")
                .to_string();
            let text = format_sdk_date(UNIX_EPOCH + Duration::new(whole, nanos));
            proptest::prop_assert_eq!(&text, &expected);
            proptest::prop_assert_eq!(parse_sdk_date(&text), Some(at(whole)));
        }
    }
}
