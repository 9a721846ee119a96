//! Request signing as each cloud's official SDK does it, written from the reference documents
//! (not shared with the dialects, which verify these signatures with their own code).

pub mod sdk_hmac;
pub mod sigv4;
pub mod tc3;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// A UTC instant broken into calendar fields (proleptic Gregorian), from Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utc {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Utc {
    pub fn from_unix(secs: u64) -> Utc {
        let days = (secs / 86_400) as i64;
        let of_day = secs % 86_400;
        // Howard Hinnant's days-to-civil.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Utc {
            year,
            month,
            day,
            hour: (of_day / 3600) as u32,
            minute: (of_day % 3600 / 60) as u32,
            second: (of_day % 60) as u32,
        }
    }

    /// `YYYYMMDDTHHMMSSZ` (X-Amz-Date, X-Sdk-Date).
    pub fn basic(&self) -> String {
        format!(
            "{}{:02}{:02}T{:02}{:02}{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `YYYYMMDD`.
    pub fn basic_date(&self) -> String {
        format!("{}{:02}{:02}", self.year, self.month, self.day)
    }

    /// `YYYY-MM-DD`.
    pub fn extended_date(&self) -> String {
        format!("{}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Real time: signatures are checked against the servers' real clocks, never the emulated one.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
pub(crate) mod vectors {
    pub fn all() -> serde_json::Value {
        serde_json::from_str(include_str!("../../tests/data/signing_vectors.json")).unwrap()
    }

    /// `name:value` lines of a canonical request's header block, by name.
    pub fn header<'a>(canonical: &'a str, name: &str) -> &'a str {
        canonical
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_fields() {
        assert_eq!(Utc::from_unix(0).basic(), "19700101T000000Z");
        // 2026-11-22 09:32:32 UTC, as in the AWS vector.
        let t = Utc::from_unix(1_795_339_952);
        assert_eq!(t.basic(), "20261122T093232Z");
        assert_eq!(t.extended_date(), "2026-11-22");
        assert_eq!(Utc::from_unix(951_782_400).basic_date(), "20000229");
    }
}
