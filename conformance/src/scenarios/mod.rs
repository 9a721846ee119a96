//! The scenarios, written once in neutral terms against [`Driver`], and what they run in: a
//! [`Run`] (one dialect's driver plus the server under test behind the [`Server`] seam, which
//! a harness implements with real servers).

mod asymmetric;
mod concurrency;
mod import;
mod lifecycle;
mod material;
mod restart;
mod tokens;

use std::fmt::Debug;

use rand_core::{OsRng, RngCore};

use crate::driver::{self, Call, CallError, Driver, Endpoints, Support};
use crate::ledger::{self, Expect, Failure};
use crate::neutral::{Dialect, Expiry, ImportParams, KeyHandle, KeySpec, State, WrapAlg, WrapSpec};
use crate::wrap::wrap;

/// A failed step: what was expected and what happened.
pub type Step<T> = Result<T, String>;

/// How a scenario ended, when it did not fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Nothing of the scenario can be expressed in this dialect (or this run's servers).
    NotOffered(String),
}

/// The servers under test, as a scenario sees them.
pub trait Server {
    fn endpoints(&self, dialect: Dialect) -> Endpoints;
    /// Whether keys survive [`Server::restart`].
    fn durable(&self) -> bool;
    /// Whether scenarios run their most expensive variants too (RSA-3072/4096 wrapping keys);
    /// a second pass over the same code may settle for a representative subset.
    fn thorough(&self) -> bool {
        true
    }
    /// Stops every server gracefully and starts it again over the same store. The emulated
    /// clock is moved forward again by the offset it had, so time does not jump back.
    fn restart(&mut self) -> Result<(), String>;
}

#[derive(Debug)]
pub struct Scenario {
    pub id: &'static str,
    pub title: &'static str,
    pub run: fn(&mut Run<'_>) -> Step<Verdict>,
    /// Moves the clock decades ahead: where several scenarios share one clock, it runs last
    /// (some clouds cap expiry dates, Tencent at 2038-01-19).
    pub far_future: bool,
}

pub const ALL: &[Scenario] = &[
    Scenario {
        id: "s01_pending_import",
        title: "external key starts PendingImport; crypto refused",
        run: lifecycle::pending_import,
        far_future: false,
    },
    Scenario {
        id: "s02_every_wrapping",
        title: "import with every offered wrapping, AES-256 and SM4, round trip",
        run: import::every_wrapping,
        far_future: false,
    },
    Scenario {
        id: "s03_wrong_length",
        title: "wrong material lengths refused, state unchanged",
        run: import::wrong_length,
        far_future: false,
    },
    Scenario {
        id: "s04_reimport_expiry",
        title: "re-import of the same material with a new expiry",
        run: import::reimport_new_expiry,
        far_future: false,
    },
    Scenario {
        id: "s05_different_material",
        title: "different material refused after import, delete and expiry",
        run: import::different_material,
        far_future: false,
    },
    Scenario {
        id: "s06_tokens",
        title: "foreign, expired, corrupted and restarted tokens",
        run: tokens::tokens,
        far_future: false,
    },
    Scenario {
        id: "s07_wrong_wrapping",
        title: "material wrapped with another key or algorithm refused",
        run: tokens::wrong_wrapping,
        far_future: false,
    },
    Scenario {
        id: "s08_material_expiry",
        title: "material expiry: PendingImport until the same material returns",
        run: material::expiry,
        far_future: false,
    },
    Scenario {
        id: "s09_delete_material",
        title: "delete imported material, re-import, old ciphertexts decrypt",
        run: material::delete_and_reimport,
        far_future: false,
    },
    Scenario {
        id: "s10_same_material_two_keys",
        title: "same material in two keys: ciphertexts stay bound to their key",
        run: material::two_keys,
        far_future: false,
    },
    Scenario {
        id: "s11_import_refusals",
        title: "import into non-external, disabled, pending-deletion, missing keys",
        run: import::refusals,
        far_future: false,
    },
    Scenario {
        id: "s12_schedule_cancel",
        title: "schedule and cancel deletion of external keys",
        run: lifecycle::schedule_cancel,
        far_future: false,
    },
    Scenario {
        id: "s13_never_expires",
        title: "material that never expires survives large clock jumps",
        run: lifecycle::never_expires,
        far_future: true,
    },
    Scenario {
        id: "s14_concurrent_imports",
        title: "32 concurrent imports of different materials: one wins",
        run: concurrency::concurrent_imports,
        far_future: false,
    },
    Scenario {
        id: "s15_restart",
        title: "a restart between steps changes nothing observable",
        run: restart::restart,
        far_future: false,
    },
    Scenario {
        id: "s16_asymmetric_import",
        title: "OpenSSL-made EC and RSA private keys imported, sign, verify outside; wrong kind refused",
        run: asymmetric::asymmetric_import,
        far_future: false,
    },
    Scenario {
        id: "s17_hmac_import",
        title: "HMAC material imported; MACs are HMAC-SHA-256 of it; wrong length refused",
        run: asymmetric::hmac_import,
        far_future: false,
    },
];

/// One scenario's run against one dialect.
pub struct Run<'a> {
    pub driver: Box<dyn Driver>,
    server: &'a mut dyn Server,
    notes: Vec<String>,
}

impl std::fmt::Debug for Run<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("driver", &self.driver)
            .field("notes", &self.notes)
            .finish_non_exhaustive()
    }
}

impl<'a> Run<'a> {
    pub fn new(dialect: Dialect, server: &'a mut dyn Server) -> Run<'a> {
        let driver = driver::for_dialect(dialect, server.endpoints(dialect));
        Run {
            driver,
            server,
            notes: Vec::new(),
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.driver.dialect()
    }

    /// Something worth knowing about a passing run (what was not offered, and why).
    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    pub fn expect(&self, failure: Failure) -> Expect {
        ledger::expect(self.dialect(), failure)
    }

    pub fn ok<T>(&self, step: &str, result: Call<T>) -> Step<T> {
        result.map_err(|e| format!("{step}: expected success, got {}", self.explain(&e)))
    }

    /// Checks `result` against the ledger's answer for `failure`: the exact wire code when
    /// the dialect refuses, success (returned) when it accepts.
    pub fn refused<T: Debug>(
        &self,
        step: &str,
        result: Call<T>,
        failure: Failure,
    ) -> Step<Option<T>> {
        match (self.expect(failure), result) {
            (Expect::Code { status, code }, Err(CallError::Wire(w)))
                if w.status == status && w.code == code =>
            {
                Ok(None)
            }
            (Expect::Code { status, code }, Err(e)) => Err(format!(
                "{step}: expected {failure:?} as {status} {code}, got {}",
                self.explain(&e)
            )),
            (Expect::Code { status, code }, Ok(v)) => Err(format!(
                "{step}: expected {failure:?} as {status} {code}, but it succeeded: {v:?}"
            )),
            (Expect::Accepted, Ok(v)) => Ok(Some(v)),
            (Expect::Accepted, Err(e)) => Err(format!(
                "{step}: {} accepts this ({failure:?}), got {}",
                self.dialect(),
                self.explain(&e)
            )),
            (Expect::NotExpressible(why), _) => Err(format!(
                "{step}: scenario error: {failure:?} is not expressible on {} ({why})",
                self.dialect()
            )),
        }
    }

    fn explain(&self, e: &CallError) -> String {
        match e.outcome(self.dialect()) {
            Some(o) => format!("{e} (= {o:?})"),
            None => e.to_string(),
        }
    }

    pub fn state(&self, key: &KeyHandle) -> Step<State> {
        Ok(self.ok("describe", self.driver.describe(key))?.state)
    }

    pub fn expect_state(&self, step: &str, key: &KeyHandle, want: State) -> Step<()> {
        let got = self.state(key)?;
        if got == want {
            Ok(())
        } else {
            Err(format!(
                "{step}: key {} is {got:?}, expected {want:?}",
                key.id
            ))
        }
    }

    pub fn expect_expiry(&self, step: &str, key: &KeyHandle, want: Expiry) -> Step<()> {
        let view = self.ok("describe", self.driver.describe(key))?;
        if view.expiry == Some(want) {
            Ok(())
        } else {
            Err(format!(
                "{step}: key {} expiry is {:?}, expected {want:?}",
                key.id, view.expiry
            ))
        }
    }

    /// The emulated clock's now, in Unix seconds.
    pub fn now(&self) -> Step<u64> {
        let endpoints = self.driver.endpoints().distinct();
        let first = endpoints.first().ok_or("no server")?;
        self.ok("read the clock", driver::clock_now(first))
    }

    /// Moves every server's clock forward.
    pub fn advance(&self, seconds: u64) -> Step<()> {
        for e in self.driver.endpoints().distinct() {
            self.ok("advance the clock", driver::clock_advance(e, seconds))?;
        }
        Ok(())
    }

    pub fn durable(&self) -> bool {
        self.server.durable()
    }

    pub fn thorough(&self) -> bool {
        self.server.thorough()
    }

    pub fn restart(&mut self) -> Step<()> {
        self.server.restart().map_err(|e| format!("restart: {e}"))?;
        let endpoints = self.server.endpoints(self.dialect());
        self.driver.set_endpoints(endpoints);
        Ok(())
    }

    /// The key specs this dialect (and this run's servers) offer.
    pub fn specs(&mut self) -> Vec<KeySpec> {
        let mut specs = Vec::new();
        for spec in KeySpec::ALL {
            match self.driver.key_spec_support(spec) {
                Support::Offered => specs.push(spec),
                Support::Refused(why) | Support::NotExpressible(why) => {
                    self.note(format!("{spec} keys not offered: {why}"));
                }
            }
        }
        specs
    }

    pub fn external_key(&self, spec: KeySpec) -> Step<KeyHandle> {
        let key = self.ok("create an external key", self.driver.create_key(spec, true))?;
        Ok(key)
    }

    /// Import parameters with the dialect's default wrapping, and `material` wrapped with them.
    pub fn wrapped(&self, key: &KeyHandle, material: &[u8]) -> Step<(ImportParams, Vec<u8>)> {
        let (alg, spec) = self.driver.default_wrapping(key.spec);
        self.wrapped_with(key, alg, spec, material)
    }

    pub fn wrapped_with(
        &self,
        key: &KeyHandle,
        alg: WrapAlg,
        spec: WrapSpec,
        material: &[u8],
    ) -> Step<(ImportParams, Vec<u8>)> {
        let params = self.ok(
            &format!("get import parameters ({alg}, {spec})"),
            self.driver.get_parameters(key, alg, spec),
        )?;
        let wrapped = wrap(&params.public_key_der, alg, material).map_err(|e| e.to_string())?;
        Ok((params, wrapped))
    }

    /// Fresh parameters, wrap, import: the whole BYOK flow, expected to succeed.
    pub fn import(&self, key: &KeyHandle, material: &[u8], expiry: Expiry) -> Step<()> {
        let (params, wrapped) = self.wrapped(key, material)?;
        self.ok(
            "import key material",
            self.driver.import(key, &params.token, &wrapped, expiry),
        )
    }

    pub fn encrypt(&self, key: &KeyHandle, plaintext: &[u8]) -> Step<Vec<u8>> {
        self.ok("encrypt", self.driver.encrypt(key, plaintext))
    }

    pub fn decrypts_to(
        &self,
        step: &str,
        key: &KeyHandle,
        ciphertext: &[u8],
        plaintext: &[u8],
    ) -> Step<()> {
        let got = self.ok(step, self.driver.decrypt(key.spec, ciphertext, None))?;
        if got == plaintext {
            Ok(())
        } else {
            Err(format!("{step}: decrypted to something else"))
        }
    }

    /// Encrypt then decrypt, and a data key whose ciphertext decrypts to its plaintext.
    pub fn round_trip(&self, key: &KeyHandle) -> Step<()> {
        let plaintext = b"conformance plaintext";
        let ciphertext = self.encrypt(key, plaintext)?;
        self.decrypts_to("decrypt", key, &ciphertext, plaintext)?;
        let data_key = self.ok("generate data key", self.driver.generate_data_key(key))?;
        let plain = self.ok(
            "decrypt the data key",
            self.driver.decrypt_data_key(key, &data_key.ciphertext),
        )?;
        if plain != data_key.plaintext || plain.len() != 32 {
            return Err("the data key's ciphertext does not decrypt to its plaintext".into());
        }
        Ok(())
    }

    /// A key with the given material imported (never expiring).
    pub fn imported_key(&self, spec: KeySpec, material: &[u8]) -> Step<KeyHandle> {
        let key = self.external_key(spec)?;
        self.import(&key, material, Expiry::Never)?;
        Ok(key)
    }
}

pub fn random_material(len: usize) -> Vec<u8> {
    let mut m = vec![0u8; len];
    OsRng.fill_bytes(&mut m);
    m
}

/// Flips one bit in the middle, where every format keeps data that matters.
pub fn corrupt(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if let Some(b) = out.get_mut(bytes.len() / 2) {
        *b ^= 0x01;
    }
    out
}

/// At least one spec, or the reason none is offered.
fn require(specs: &[KeySpec], run: &Run<'_>) -> Option<Verdict> {
    specs
        .is_empty()
        .then(|| Verdict::NotOffered(run.notes().join("; ")))
}
