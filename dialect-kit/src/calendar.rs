//! UTC calendar arithmetic on Unix seconds, for signature dates and the timestamps clouds
//! print. Proleptic Gregorian, from the epoch on (nothing of ours was signed earlier, and
//! staying unsigned keeps the arithmetic free of underflow), after Howard Hinnant's
//! `days_from_civil` / `civil_from_days`.

const SECS_PER_DAY: u64 = 86_400;
/// Days from 0000-03-01 to 1970-01-01: the algorithms count from a March-based year 0.
const EPOCH_SHIFT: u64 = 719_468;
const DAYS_PER_ERA: u64 = 146_097;

/// A UTC instant split into calendar fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub year: u64,
    pub month: u64,
    pub day: u64,
    pub hour: u64,
    pub minute: u64,
    pub second: u64,
}

impl DateTime {
    pub fn from_unix(secs: u64) -> DateTime {
        let (year, month, day) = civil_from_days(secs / SECS_PER_DAY);
        let rem = secs % SECS_PER_DAY;
        DateTime {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem % 3600 / 60,
            second: rem % 60,
        }
    }

    /// `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `YYYY-MM-DDThh:mm:ss` (no zone: callers add the fraction and `Z` their cloud prints).
    pub fn date_time(&self) -> String {
        format!(
            "{}T{:02}:{:02}:{:02}",
            self.date(),
            self.hour,
            self.minute,
            self.second
        )
    }
}

/// Days since 1970-01-01 of a date, or `None` for a date before it or fields out of range.
pub fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    if year < 1970 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * DAYS_PER_ERA + doe).checked_sub(EPOCH_SHIFT)
}

/// The (year, month, day) of a count of days since 1970-01-01.
pub fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + EPOCH_SHIFT;
    let era = z / DAYS_PER_ERA;
    let doe = z - era * DAYS_PER_ERA;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + u64::from(month <= 2), month, day)
}

/// Unix seconds of an ISO 8601 basic date-time, `yyyymmddThhmmssZ` (SigV4's `X-Amz-Date`,
/// Huawei's `X-Sdk-Date`). Every field must be plain digits: no sign, no space.
pub fn parse_basic(value: &str) -> Option<u64> {
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let digits = value.get(r)?;
        if !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    let days = days_from_civil(num(0..4)?, num(4..6)?, num(6..8)?)?;
    let (h, mi, s) = (num(9..11)?, num(11..13)?, num(13..15)?);
    // 60 is a leap second, which a signing clock may show.
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days * SECS_PER_DAY + h * 3600 + mi * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(parse_basic("19700101T000000Z"), Some(0));
        assert_eq!(parse_basic("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(parse_basic("20000229T235959Z"), Some(951_868_799));
        assert_eq!(
            DateTime::from_unix(1_440_938_160).date_time(),
            "2015-08-30T12:36:00"
        );
        assert_eq!(DateTime::from_unix(951_868_799).date(), "2000-02-29");
        assert_eq!(DateTime::from_unix(0).date(), "1970-01-01");
    }

    #[test]
    fn round_trips_across_centuries() {
        for days in (0..200_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days), "{y}-{m}-{d}");
        }
    }

    #[test]
    fn refuses_anything_but_digits_in_their_places() {
        for bad in [
            "",
            "2015083T123600Z",
            "20150830 123600Z",
            "20150830T123600",
            "+0150830T123600Z",
            "2015+830T123600Z",
            "20150830T+23600Z",
            " 0150830T123600Z",
            "19691231T235959Z",
            "20151330T123600Z",
            "20150800T123600Z",
            "20150830T243600Z",
            "20150830T126000Z",
            "20150830T123661Z",
        ] {
            assert_eq!(parse_basic(bad), None, "{bad:?}");
        }
    }
}
