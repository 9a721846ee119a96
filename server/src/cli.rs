//! Command lines of the four binaries. Flags are the top layer of the settings
//! (see [`crate::settings`]); anything not given on the command line comes from below.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::dialect::DialectKind;
use crate::logging::{LogFormat, LogLevel};
use crate::settings::{ListenAddr, Overrides};
use crate::wrap_cmd::WrapArgs;

/// Flags every binary takes.
#[derive(Args, Debug)]
pub(crate) struct CommonArgs {
    /// TOML configuration file (keys as in KMSGATE_… environment variables, lowercase, in
    /// [sections])
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Directory of the durable store [default: ./kmsgate-data]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Keep keys in memory only (nothing persisted; overrides --data-dir)
    #[arg(long)]
    pub in_memory: bool,

    /// Log level or filter, e.g. info, debug, kmsgate_server=debug,warn (beats RUST_LOG and
    /// log.level) [default: info]
    #[arg(long, value_name = "LEVEL")]
    pub log_level: Option<LogLevel>,

    /// Log line format on stderr: text or json [default: text]
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,

    /// Start from an empty store: remove every key and alias of every tenant (the emulated
    /// clock is kept)
    #[arg(long)]
    pub reset: bool,

    /// Keys to create at start (after --reset), or to find as declared: a TOML seed file
    /// (beats seed.file)
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
}

impl CommonArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            data_dir: self.data_dir.clone(),
            in_memory: self.in_memory,
            log_level: self.log_level.clone(),
            log_format: self.log_format,
            reset: self.reset,
            seed: self.seed.clone(),
            ..Overrides::default()
        }
    }
}

/// `kmsgate-aws`, `kmsgate-tencent`, `kmsgate-huawei`: one dialect on one listener.
#[derive(Parser, Debug)]
pub(crate) struct DialectCli {
    /// Address to listen on, HOST:PORT (port 0: any free port)
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: Option<ListenAddr>,

    #[command(flatten)]
    pub common: CommonArgs,
}

impl DialectCli {
    /// Parses like clap's `parse`, under the binary's own name; usage errors exit with 2.
    pub(crate) fn parse_for(kind: DialectKind, args: impl IntoIterator<Item = OsString>) -> Self {
        let default_listen = format!(
            "Address to listen on, HOST:PORT (port 0: any free port) [default: {}]",
            kind.default_listen()
        );
        let command = DialectCli::command()
            .name(kind.binary_name())
            .bin_name(kind.binary_name())
            .version(env!("CARGO_PKG_VERSION"))
            .about(format!("kmsgate: a local {} emulator", kind.cloud()))
            .mut_arg("listen", |a| a.help(default_listen));
        let matches = command.get_matches_from(args);
        DialectCli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }

    pub(crate) fn overrides(&self, kind: DialectKind) -> Overrides {
        let mut o = self.common.overrides();
        *o.listen_mut(kind) = self.listen.clone();
        o
    }
}

/// `kmsgate`: every dialect in one process.
#[derive(Parser, Debug)]
#[command(
    name = "kmsgate",
    version,
    about = "kmsgate: local emulator of cloud KMS services"
)]
pub(crate) struct KmsgateCli {
    #[command(subcommand)]
    pub command: KmsgateCommand,
}

#[derive(Subcommand, Debug)]
pub(crate) enum KmsgateCommand {
    /// Serve AWS, Tencent and Huawei, each on its own port, over one store and one clock
    Serve(ServeArgs),
    /// Wrap key material for import under the public key GetParametersForImport returned
    Wrap(WrapArgs),
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// AWS listener, HOST:PORT [default: 127.0.0.1:8411]
    #[arg(long, value_name = "HOST:PORT")]
    pub aws_listen: Option<ListenAddr>,

    /// Tencent listener, HOST:PORT [default: 127.0.0.1:8412]
    #[arg(long, value_name = "HOST:PORT")]
    pub tencent_listen: Option<ListenAddr>,

    /// Huawei listener, HOST:PORT [default: 127.0.0.1:8413]
    #[arg(long, value_name = "HOST:PORT")]
    pub huawei_listen: Option<ListenAddr>,

    #[command(flatten)]
    pub common: CommonArgs,
}

impl ServeArgs {
    pub(crate) fn overrides(&self) -> Overrides {
        Overrides {
            aws_listen: self.aws_listen.clone(),
            tencent_listen: self.tencent_listen.clone(),
            huawei_listen: self.huawei_listen.clone(),
            ..self.common.overrides()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn dialect_flags_become_overrides_of_that_dialect() {
        let cli = DialectCli::parse_for(
            DialectKind::Huawei,
            args(&["kmsgate-huawei", "--listen", "127.0.0.1:0", "--in-memory"]),
        );
        let o = cli.overrides(DialectKind::Huawei);
        assert_eq!(o.huawei_listen, Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!(o.aws_listen, None);
        assert!(o.in_memory);
    }

    #[test]
    fn serve_takes_one_address_per_dialect() {
        let cli = KmsgateCli::try_parse_from(args(&[
            "kmsgate",
            "serve",
            "--aws-listen",
            "127.0.0.1:1",
            "--huawei-listen",
            "127.0.0.1:3",
            "--data-dir",
            "/tmp/x",
        ]))
        .unwrap();
        let KmsgateCommand::Serve(serve) = cli.command else {
            panic!("not serve");
        };
        let o = serve.overrides();
        assert_eq!(o.aws_listen, Some("127.0.0.1:1".parse().unwrap()));
        assert_eq!(o.tencent_listen, None);
        assert_eq!(o.huawei_listen, Some("127.0.0.1:3".parse().unwrap()));
        assert_eq!(o.data_dir, Some(PathBuf::from("/tmp/x")));
    }

    #[test]
    fn a_malformed_address_is_a_usage_error() {
        let e = KmsgateCli::try_parse_from(args(&["kmsgate", "serve", "--aws-listen", "8411"]))
            .unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn command_lines_are_well_formed() {
        KmsgateCli::command().debug_assert();
        DialectCli::command().debug_assert();
    }
}
