//! The servers under test: kmsgate's real server code ([`Background`]) on 127.0.0.1 port 0,
//! over durable stores in temporary directories.

use kmsgate_server::{Background, DialectKind, Overrides, Settings};

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
/// servers would otherwise fight over two cores generating RSA keys) and none reused (the
/// clouds answer every call with a new public key, which s07 relies on); `tencent_sm`: the
/// Tencent listener serves the SM edition (SM4 keys). Built through the same layered loading
/// as the binaries' `KMSGATE_…` environment.
fn settings(dir: &std::path::Path, tencent_sm: bool, store: &Store) -> Result<Settings, String> {
    let mut env = match store {
        Store::Redb => vec![("KMSGATE_DATA_DIR", dir.display().to_string())],
        Store::Postgres(url) => vec![
            ("KMSGATE_STORE__KIND", "postgres".to_owned()),
            ("KMSGATE_STORE__POSTGRES__URL", url.clone()),
            ("KMSGATE_ROOT_KEY", POSTGRES_ROOT_KEY.to_owned()),
        ],
    };
    env.extend([
        ("KMSGATE_POOL__RSA_2048", "0".into()),
        ("KMSGATE_POOL__RSA_3072", "0".into()),
        ("KMSGATE_POOL__RSA_4096", "0".into()),
        ("KMSGATE_POOL__SM2", "0".into()),
        ("KMSGATE_POOL__REUSE_CALLS", "1".into()),
        ("KMSGATE_AWS__LISTEN", "127.0.0.1:0".into()),
        ("KMSGATE_TENCENT__LISTEN", "127.0.0.1:0".into()),
        ("KMSGATE_HUAWEI__LISTEN", "127.0.0.1:0".into()),
    ]);
    if tencent_sm {
        env.push(("KMSGATE_TENCENT__EDITION", "sm".into()));
    }
    let env: Vec<(String, String)> = env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    Settings::load(None, &env, &Overrides::default()).map_err(|e| e.to_string())
}

/// The root key of the servers over PostgreSQL (the store requires a configured one).
const POSTGRES_ROOT_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// Which store a server runs over.
#[derive(Clone, Debug)]
pub enum Store {
    /// The embedded store, in the instance's temporary directory.
    Redb,
    /// A PostgreSQL database, by URL.
    Postgres(String),
}

/// One background server and its store.
pub struct Instance {
    dir: tempfile::TempDir,
    kinds: Vec<DialectKind>,
    tencent_sm: bool,
    store: Store,
    server: Option<Background>,
}

impl Instance {
    pub fn start(kinds: &[DialectKind]) -> Result<Instance, String> {
        Self::start_with(kinds, false, Store::Redb)
    }

    fn start_with(
        kinds: &[DialectKind],
        tencent_sm: bool,
        store: Store,
    ) -> Result<Instance, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let server = Background::start(settings(dir.path(), tencent_sm, &store)?, kinds)
            .map_err(|e| e.to_string())?;
        Ok(Instance {
            dir,
            kinds: kinds.to_vec(),
            tencent_sm,
            store,
            server: Some(server),
        })
    }

    pub fn endpoint(&self, kind: DialectKind) -> Option<String> {
        self.server.as_ref().and_then(|s| s.endpoint(kind))
    }

    /// Stop and start over the same directory. The server keeps its emulated clock with the
    /// keys, so time must pick up where it was: a clock that went back is a failure.
    pub fn restart(&mut self) -> Result<(), String> {
        let server = self.server.take().ok_or("not running")?;
        let first = self.kinds.first().copied().ok_or("no listener")?;
        let endpoint = server.endpoint(first).ok_or("no endpoint")?;
        let offset = driver::clock_offset(&endpoint).map_err(|e| e.to_string())?;
        server.stop().map_err(|e| format!("stop: {e}"))?;
        let settings = settings(self.dir.path(), self.tencent_sm, &self.store)?;
        let server = Background::start(settings, &self.kinds).map_err(|e| e.to_string())?;
        let endpoint = server.endpoint(first).ok_or("no endpoint")?;
        self.server = Some(server);
        let after = driver::clock_offset(&endpoint).map_err(|e| e.to_string())?;
        if after < offset {
            return Err(format!(
                "the emulated clock went back across the restart: {offset} s ahead of real time before, {after} s after"
            ));
        }
        Ok(())
    }
}

/// One dialect on its own server(s) and store(s) (a scenario × dialect test). A Tencent
/// listener serves one compliance edition, so Tencent gets two servers: FIPS for AES-256
/// keys, SM for SM4 keys.
pub struct Isolated {
    dialect: Dialect,
    instances: Vec<(Vec<KeySpec>, Instance)>,
}

impl Isolated {
    pub fn start(dialect: Dialect) -> Result<Isolated, String> {
        let kinds = [kind(dialect)];
        let instances = match dialect {
            Dialect::Tencent => vec![
                (
                    vec![KeySpec::Aes256],
                    Instance::start_with(&kinds, false, Store::Redb)?,
                ),
                (
                    vec![KeySpec::Sm4],
                    Instance::start_with(&kinds, true, Store::Redb)?,
                ),
            ],
            Dialect::Aws | Dialect::Huawei => {
                vec![(KeySpec::ALL.to_vec(), Instance::start(&kinds)?)]
            }
        };
        Ok(Isolated { dialect, instances })
    }
}

impl Server for Isolated {
    fn endpoints(&self, dialect: Dialect) -> Endpoints {
        let mut out = Vec::new();
        if dialect == self.dialect {
            for (specs, instance) in &self.instances {
                if let Some(e) = instance.endpoint(kind(dialect)) {
                    out.extend(specs.iter().map(|s| (*s, e.clone())));
                }
            }
        }
        Endpoints(out)
    }

    fn durable(&self) -> bool {
        true
    }

    fn restart(&mut self) -> Result<(), String> {
        for (_, instance) in &mut self.instances {
            instance.restart()?;
        }
        Ok(())
    }
}

/// Every dialect on one server over one store, as `kmsgate serve` runs them.
pub struct Shared {
    pub instance: Instance,
}

impl Shared {
    pub fn start(store: Store) -> Result<Shared, String> {
        Ok(Shared {
            instance: Instance::start_with(&DialectKind::ALL, false, store)?,
        })
    }
}

impl Server for Shared {
    /// One listener per dialect: Tencent's serves the FIPS edition, so no SM4 keys there.
    fn endpoints(&self, dialect: Dialect) -> Endpoints {
        let Some(e) = self.instance.endpoint(kind(dialect)) else {
            return Endpoints::default();
        };
        let specs: &[KeySpec] = match dialect {
            Dialect::Aws | Dialect::Huawei => &KeySpec::ALL,
            Dialect::Tencent => &[KeySpec::Aes256],
        };
        Endpoints(specs.iter().map(|s| (*s, e.clone())).collect())
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
