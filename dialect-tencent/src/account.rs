//! The Tencent Cloud account a request acts for.

use std::fmt;

use serde::Deserialize;

/// A Tencent Cloud account id (uin): a positive decimal number, sent as a JSON integer in
/// `CreatorUin`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Account(u64);

impl Account {
    pub const DEFAULT: Account = Account(100_000_000_001);

    /// 1 to 19 digits without a leading zero (so it fits the SDK's integer fields).
    pub fn parse(s: &str) -> Option<Account> {
        let digits = !s.is_empty()
            && s.len() <= 19
            && !s.starts_with('0')
            && s.bytes().all(|b| b.is_ascii_digit());
        if !digits {
            return None;
        }
        s.parse().ok().map(Account)
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Account({})", self.0)
    }
}

/// An account setting that is not a positive decimal number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Tencent account id (uin: a positive decimal number of at most 19 digits)")]
pub struct InvalidAccount(pub String);

impl TryFrom<String> for Account {
    type Error = InvalidAccount;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Account::parse(&s).ok_or(InvalidAccount(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_positive_decimal_uins() {
        assert_eq!(Account::parse("100000000001"), Some(Account::DEFAULT));
        for bad in ["", "0", "012", "12a", "-5", "99999999999999999999"] {
            assert_eq!(Account::parse(bad), None, "{bad}");
        }
    }
}
