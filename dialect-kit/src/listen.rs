//! The address a dialect's listener binds, which every dialect's settings carry.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

/// `HOST:PORT`, checked for shape only; the host is resolved when the listener binds, so
/// `localhost:8411` works as well as `127.0.0.1:8411` or `[::1]:8411`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ListenAddr(String);

impl ListenAddr {
    /// `127.0.0.1:port`. Dialects listen on loopback by default: an emulator holding test
    /// keys has no business on a LAN.
    pub fn loopback(port: u16) -> ListenAddr {
        ListenAddr(format!("127.0.0.1:{port}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A listen address that is not `HOST:PORT`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not HOST:PORT (for example 127.0.0.1:8411)")]
pub struct InvalidListenAddr(pub String);

impl FromStr for ListenAddr {
    type Err = InvalidListenAddr;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidListenAddr(s.to_owned());
        let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
        port.parse::<u16>().map_err(|_| bad())?;
        let bracketed = host.len() > 2 && host.starts_with('[') && host.ends_with(']');
        // An unbracketed IPv6 host would make the port ambiguous.
        if host.is_empty() || (!bracketed && host.contains(['[', ']', ':'])) {
            return Err(bad());
        }
        Ok(ListenAddr(s.to_owned()))
    }
}

impl TryFrom<String> for ListenAddr {
    type Error = InvalidListenAddr;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_need_a_host_and_a_port() {
        for good in [
            "127.0.0.1:0",
            "localhost:8411",
            "[::1]:8411",
            "0.0.0.0:65535",
        ] {
            assert!(good.parse::<ListenAddr>().is_ok(), "{good}");
        }
        for bad in [
            "8411",
            ":8411",
            "127.0.0.1",
            "127.0.0.1:65536",
            "::1:8411",
            "[]:1",
            "h:p",
        ] {
            assert!(bad.parse::<ListenAddr>().is_err(), "{bad}");
        }
    }
}
