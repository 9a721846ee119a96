//! The servers under test: kmsgate's real server code ([`Background`]) on 127.0.0.1 port 0,
//! over durable stores in temporary directories.

use kmsgate_server::{Background, DialectKind, ListenAddr, PoolSettings, Settings};

use conformance::driver::{self, Endpoints};
use conformance::neutral::{Dialect, KeySpec};
use conformance::scenarios::Server;

pub fn kind(d: Dialect) -> DialectKind {
    match d {
        Dialect::Aws => DialectKind::Aws,
        Dialect::Tencent => DialectKind::Tencent,
        Dialect::Huawei => DialectKind::Huawei,
    }
}

/// Loopback, any free port, a durable store in `dir`, no key pairs generated ahead (dozens of
/// servers would otherwise fight over two cores generating RSA keys).
fn settings(dir: &std::path::Path) -> Settings {
    let any: ListenAddr = "127.0.0.1:0".parse().unwrap_or_else(|_| unreachable!());
    let mut s = Settings {
        data_dir: dir.to_path_buf(),
        in_memory: false,
        pool: PoolSettings {
            rsa_2048: 0,
            rsa_3072: 0,
            rsa_4096: 0,
            sm2: 0,
        },
        ..Settings::default()
    };
    s.aws.listen = any.clone();
    s.tencent.listen = any.clone();
    s.huawei.listen = any;
    s
}

/// One background server and its store.
pub struct Instance {
    dir: tempfile::TempDir,
    kinds: Vec<DialectKind>,
    server: Option<Background>,
}

impl Instance {
    pub fn start(kinds: &[DialectKind]) -> Result<Instance, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let server = Background::start(settings(dir.path()), kinds).map_err(|e| e.to_string())?;
        Ok(Instance {
            dir,
            kinds: kinds.to_vec(),
            server: Some(server),
        })
    }

    pub fn endpoint(&self, kind: DialectKind) -> Option<String> {
        self.server.as_ref().and_then(|s| s.endpoint(kind))
    }

    /// Stop, start over the same directory, and put the clock back where it was.
    pub fn restart(&mut self) -> Result<(), String> {
        let server = self.server.take().ok_or("not running")?;
        let first = self.kinds.first().copied().ok_or("no listener")?;
        let endpoint = server.endpoint(first).ok_or("no endpoint")?;
        let offset = driver::clock_offset(&endpoint).map_err(|e| e.to_string())?;
        server.stop().map_err(|e| format!("stop: {e}"))?;
        let server =
            Background::start(settings(self.dir.path()), &self.kinds).map_err(|e| e.to_string())?;
        let endpoint = server.endpoint(first).ok_or("no endpoint")?;
        self.server = Some(server);
        // One advance may move the clock by at most a century; long runs go further.
        let mut left = offset;
        while left > 0 {
            let step = left.min(50 * 365 * 86_400);
            driver::clock_advance(&endpoint, step).map_err(|e| e.to_string())?;
            left -= step;
        }
        Ok(())
    }
}

/// Which key specs a dialect's listener serves. A Tencent listener serves one compliance
/// edition; the default (FIPS) gives AES-256 keys.
fn served(d: Dialect) -> &'static [KeySpec] {
    match d {
        Dialect::Aws | Dialect::Huawei => &KeySpec::ALL,
        Dialect::Tencent => &[KeySpec::Aes256],
    }
}

/// One dialect on its own server and store (a scenario × dialect test).
pub struct Isolated {
    dialect: Dialect,
    instance: Instance,
}

impl Isolated {
    pub fn start(dialect: Dialect) -> Result<Isolated, String> {
        Ok(Isolated {
            dialect,
            instance: Instance::start(&[kind(dialect)])?,
        })
    }
}

fn endpoints_of(instance: &Instance, d: Dialect) -> Endpoints {
    let Some(e) = instance.endpoint(kind(d)) else {
        return Endpoints::default();
    };
    Endpoints(served(d).iter().map(|s| (*s, e.clone())).collect())
}

impl Server for Isolated {
    fn endpoints(&self, dialect: Dialect) -> Endpoints {
        if dialect == self.dialect {
            endpoints_of(&self.instance, dialect)
        } else {
            Endpoints::default()
        }
    }

    fn durable(&self) -> bool {
        true
    }

    fn restart(&mut self) -> Result<(), String> {
        self.instance.restart()
    }
}

/// Every dialect on one server over one store, as `kmsgate serve` runs them.
pub struct Shared {
    pub instance: Instance,
}

impl Shared {
    pub fn start() -> Result<Shared, String> {
        Ok(Shared {
            instance: Instance::start(&DialectKind::ALL)?,
        })
    }
}

impl Server for Shared {
    fn endpoints(&self, dialect: Dialect) -> Endpoints {
        endpoints_of(&self.instance, dialect)
    }

    fn durable(&self) -> bool {
        true
    }

    /// The shared pass runs one scenario at a time: RSA-3072/4096 key generation is left to
    /// the per-dialect pass, which runs the same code in parallel.
    fn thorough(&self) -> bool {
        false
    }

    fn restart(&mut self) -> Result<(), String> {
        self.instance.restart()
    }
}
