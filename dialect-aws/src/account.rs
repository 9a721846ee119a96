//! The AWS account a request acts for.

use std::fmt;

use serde::Deserialize;

/// A 12-digit AWS account id. Held as its number, so it cannot be anything but 12 digits
/// when printed (leading zeros included).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct Account(u64);

/// The largest 12-digit number plus one.
const LIMIT: u64 = 1_000_000_000_000;

impl Account {
    pub const DEFAULT: Account = Account(0);

    pub fn parse(s: &str) -> Option<Account> {
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().filter(|n| *n < LIMIT).map(Account)
    }
}

/// An account id setting that is not 12 digits.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a 12-digit AWS account id")]
pub struct InvalidAccount(pub String);

impl TryFrom<String> for Account {
    type Error = InvalidAccount;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Account::parse(&s).ok_or(InvalidAccount(s))
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:012}", self.0)
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Account({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_digits_exactly() {
        assert_eq!(Account::DEFAULT.to_string(), "000000000000");
        let a = Account::parse("012345678901").unwrap();
        assert_eq!(a.to_string(), "012345678901");
        for bad in [
            "",
            "12345678901",
            "1234567890123",
            "+12345678901",
            "12345678901a",
        ] {
            assert_eq!(Account::parse(bad), None, "{bad:?}");
        }
    }
}
