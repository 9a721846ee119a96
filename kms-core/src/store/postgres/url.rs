//! Where a [`super::PostgresStore`] connects, parsed once from a URL (or libpq's
//! `key=value` form), and printable without its password.

use std::fmt;
use std::str::FromStr;

use postgres::config::Host;

/// A PostgreSQL connection string that parsed. Its `Display` and `Debug` leave the password
/// out, so it can go into a startup log line or an error message as it is.
#[derive(Clone, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct PostgresUrl {
    config: postgres::Config,
}

/// A connection string that does not parse; the parser's message, which never repeats the
/// string (so not its password either).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a PostgreSQL connection URL ({0})")]
pub struct InvalidPostgresUrl(String);

impl FromStr for PostgresUrl {
    type Err = InvalidPostgresUrl;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        // The credentials end at the first `@`: a password holding another leaves the rest
        // of it in the host or the database name, which are shown in logs and errors. Before
        // the query a URL has one `@` at most otherwise (a database name holding one is
        // percent-encoded too); query values may hold them (`application_name=ci@host`).
        let url_form = ["postgres://", "postgresql://"].iter().any(|scheme| {
            s.get(..scheme.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
        });
        let before_query = s.split_once('?').map_or(s, |(head, _)| head);
        if url_form && before_query.matches('@').count() > 1 {
            return Err(unencoded_at());
        }
        let config: postgres::Config = s
            .parse()
            .map_err(|e: postgres::Error| InvalidPostgresUrl(e.to_string()))?;
        if config.get_hosts().is_empty() {
            return Err(InvalidPostgresUrl("it names no host".into()));
        }
        if config.get_user().is_none() {
            return Err(InvalidPostgresUrl("it names no user".into()));
        }
        // libpq's key=value form: a host or database name holding `@` is a password's end
        // put in the wrong place all the same.
        let shown = |name: &str| name.contains('@');
        if config
            .get_hosts()
            .iter()
            .any(|h| matches!(h, Host::Tcp(name) if shown(name)))
            || config.get_dbname().is_some_and(shown)
        {
            return Err(unencoded_at());
        }
        Ok(PostgresUrl { config })
    }
}

fn unencoded_at() -> InvalidPostgresUrl {
    InvalidPostgresUrl(
        "more than one '@': percent-encode an '@' in the user name or password as %40".into(),
    )
}

impl TryFrom<String> for PostgresUrl {
    type Error = InvalidPostgresUrl;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl PostgresUrl {
    pub(super) fn config(&self) -> &postgres::Config {
        &self.config
    }
}

impl fmt::Display for PostgresUrl {
    /// `postgres://user@host:port/dbname`: what an operator needs to tell databases apart,
    /// and nothing secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        write!(f, "postgres://{}@", c.get_user().unwrap_or(""))?;
        let ports = c.get_ports();
        for (i, host) in c.get_hosts().iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match host {
                Host::Tcp(name) => f.write_str(name)?,
                #[cfg(unix)]
                Host::Unix(path) => write!(f, "{}", path.display())?,
            }
            // libpq's rule: one port for every host, or one each.
            if let Some(port) = ports.get(i).or(ports.first().filter(|_| ports.len() == 1)) {
                write!(f, ":{port}")?;
            }
        }
        write!(f, "/{}", c.get_dbname().or(c.get_user()).unwrap_or(""))?;
        if c.get_password().is_some() {
            f.write_str(" (password hidden)")?;
        }
        Ok(())
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn shown_without_the_password() {
        let url: PostgresUrl = "postgres://kms:s3cret@db.example:5433/kmsgate"
            .parse()
            .unwrap();
        for shown in [url.to_string(), format!("{url:?}")] {
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(
                shown.contains("postgres://kms@db.example:5433/kmsgate"),
                "{shown}"
            );
        }
        let kv: PostgresUrl = "host=127.0.0.1 port=5432 user=u password=pw dbname=d"
            .parse()
            .unwrap();
        assert_eq!(
            kv.to_string(),
            "postgres://u@127.0.0.1:5432/d (password hidden)"
        );
    }

    #[test]
    fn refused_with_a_reason_that_does_not_repeat_it() {
        let e = "postgres://u:topsecret@h:notaport/d"
            .parse::<PostgresUrl>()
            .unwrap_err();
        assert!(!e.to_string().contains("topsecret"), "{e}");
        assert!("postgres:///d".parse::<PostgresUrl>().is_err());
        // An unencoded '@' in the password would leave part of it in the host, on show.
        let e = "postgres://u:top@secret@h/d"
            .parse::<PostgresUrl>()
            .unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(e.to_string().contains("%40"), "{e}");
        // Nor a second '@' after a '/' in the password: the database name would show it.
        let e = "postgres://kms:p@ss/w0rd@db.internal:5432/kmsgate"
            .parse::<PostgresUrl>()
            .unwrap_err();
        assert!(!e.to_string().contains("w0rd"), "{e}");
        assert!(e.to_string().contains("%40"), "{e}");
        assert!("POSTGRESQL://u:a@b@h/d".parse::<PostgresUrl>().is_err());
        // In a query value an '@' is nobody's password.
        assert!(
            "postgres://u:p@h/d?application_name=ci@host"
                .parse::<PostgresUrl>()
                .is_ok()
        );
        assert!(
            "postgres://u:top%40secret@h/d"
                .parse::<PostgresUrl>()
                .is_ok()
        );
    }
}
