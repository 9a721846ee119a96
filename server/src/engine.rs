//! The one engine a process runs, whatever number of listeners share it.

use std::io::Read;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak, mpsc};
use std::time::Duration;

use kms_core::wrapping::{KeyPairPool, WrappingKeySpec};
use kms_core::{
    Clock, ClockError, ClockMove, ClockState, DataDir, DataDirError, EmulatedClock, InternalError,
    KeyStateKind, KeyStore, Kms, KmsError, MemoryStore, OpenError, PostgresStore, ResetReport,
    RootKey, StoreError, Sweeper, TenantId, Timestamp,
};

use crate::metrics::EngineReading;
use crate::settings::{RootKeySource, Settings, StoreChoice, StoreUnusable};
use crate::shared_clock::{Refresher, SharedClock};

/// How long shutdown waits for background threads (the key pair pool may be in the middle of
/// an RSA-4096 generation) before the process exits without them.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// Why an engine did not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error("cannot make a root key: {0}")]
    RootKey(InternalError),
    #[error("cannot open the data directory: {0}")]
    DataDir(DataDirError),
    #[error(
        "cannot open the data directory: {0}; start this one with --data-dir DIR (another directory) or --in-memory"
    )]
    DataDirInUse(DataDirError),
    #[error(
        "the root key cannot open the records in the store ({0}): is it the one this store was made with (root.key in the data directory, root_key_file or KMSGATE_ROOT_KEY)?"
    )]
    WrongRootKey(KmsError),
    #[error(transparent)]
    Settings(#[from] StoreUnusable),
    #[error("cannot read the root key from {path}: {reason}")]
    RootKeyFile { path: String, reason: String },
    #[error("cannot open the PostgreSQL store: {0}")]
    Postgres(OpenError),
    #[error("cannot start the shared clock's refresher: {0}")]
    ClockRefresher(std::io::Error),
    #[error("cannot read the store: {0}")]
    Unreadable(KmsError),
    #[error("cannot empty the store (--reset): {0}")]
    Reset(KmsError),
    #[error("the stored emulated clock cannot be read: {0}")]
    ClockState(serde_json::Error),
    #[error("cannot start the expiry sweeper: {0}")]
    Sweeper(std::io::Error),
}

#[derive(Debug)]
pub(crate) struct Engine {
    kms: Arc<Kms>,
    clock: Arc<EmulatedClock>,
    store: Arc<dyn KeyStore>,
    pool: Arc<KeyPairPool>,
    sweeper: Option<Arc<Sweeper>>,
    /// Set when other processes share the store: the clock is theirs too.
    shared_clock: Option<Arc<SharedClock>>,
    refresher: Option<Refresher>,
    moves: Arc<ClockMoves>,
}

/// Held across a whole clock move (refresh, sweep, move, store): two moves at once could
/// otherwise interleave, one moving back past what the other's sweep covered, or storing an
/// older state last.
#[derive(Debug, Default)]
pub(crate) struct ClockMoves(Mutex<()>);

impl ClockMoves {
    fn hold(&self) -> MutexGuard<'_, ()> {
        // Guards no data: a poisoned lock only says that another move panicked.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where the emulated clock's state is kept in the store, so emulated time never goes back
/// across a restart (and, in a shared store, is the same for every process).
pub(crate) const CLOCK_META: &str = "clock";

/// What the server's own endpoints read and control of the engine (health, metrics, reset,
/// time).
#[derive(Debug)]
pub(crate) struct EngineView {
    pub kms: Arc<Kms>,
    pub clock: Arc<EmulatedClock>,
    pub pool: Arc<KeyPairPool>,
    /// Weak: stopping the engine stops the sweeper, whoever still looks at it.
    pub sweeper: Weak<Sweeper>,
    /// Set when other processes share the store (see [`crate::shared_clock`]).
    pub shared_clock: Option<Arc<SharedClock>>,
    pub moves: Arc<ClockMoves>,
}

/// Why a time or state control did not happen.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ControlError {
    #[error(transparent)]
    Clock(#[from] ClockError),
    #[error("cannot sweep expired material before moving the clock back: {0}")]
    Sweep(KmsError),
    #[error(
        "{failed} keys could not be swept before moving the clock back (unreadable records), so it stays where it is"
    )]
    SweepIncomplete { failed: usize },
    #[error(transparent)]
    Engine(#[from] KmsError),
    #[error("cannot store the emulated clock: {0}")]
    Persist(String),
}

/// The spec's name as the clouds write it, for metric labels.
fn spec_label(spec: WrappingKeySpec) -> &'static str {
    match spec {
        WrappingKeySpec::Rsa2048 => "RSA_2048",
        WrappingKeySpec::Rsa3072 => "RSA_3072",
        WrappingKeySpec::Rsa4096 => "RSA_4096",
        WrappingKeySpec::Sm2 => "SM2",
    }
}

impl EngineView {
    /// The engine's gauges right now. Counting keys reads every record: fine for a local
    /// emulator's scrape interval.
    pub(crate) fn reading(&self) -> Result<EngineReading, KmsError> {
        let counts = self.kms.count_by_state()?;
        let stats = self
            .sweeper
            .upgrade()
            .map(|s| s.stats())
            .unwrap_or_default();
        Ok(EngineReading {
            keys_by_state: KeyStateKind::ALL
                .into_iter()
                .map(|state| (state.to_string(), count(counts.of(state))))
                .collect(),
            unreadable_keys: count(counts.unreadable),
            pairs: WrappingKeySpec::ALL
                .into_iter()
                .map(|spec| {
                    let ready = count(self.pool.ready(spec));
                    (spec_label(spec), ready, self.pool.generated_inline(spec))
                })
                .collect(),
            sweeper_runs: count(stats.runs),
            records_aged: count(stats.changed),
            clock_offset: self.clock.offset(),
        })
    }

    pub(crate) fn reset(&self, tenant: Option<&TenantId>) -> Result<ResetReport, KmsError> {
        self.kms.reset(tenant)
    }

    /// Whether other processes share the store (and so the clock).
    pub(crate) fn is_shared(&self) -> bool {
        self.shared_clock.is_some()
    }

    /// In a shared store, takes the clock as another process may have moved it; before each
    /// request and each read of the clock.
    pub(crate) fn refresh_clock(&self) {
        if let Some(shared) = &self.shared_clock {
            shared.refresh_for_request();
        }
    }

    /// Before a move: the move starts from where the shared clock is, not from where this
    /// process last saw it.
    fn refresh_before_move(&self) -> Result<(), ControlError> {
        match &self.shared_clock {
            Some(shared) => shared
                .refresh()
                .map_err(|e| ControlError::Persist(e.to_string())),
            None => Ok(()),
        }
    }

    pub(crate) fn advance(&self, by: Duration) -> Result<(), ControlError> {
        let _move = self.moves.hold();
        self.refresh_before_move()?;
        // Many advances add up: each one is bounded, their sum as well (moves are one at a
        // time here, so the clock is still where it is checked).
        self.clock
            .check_settable(self.clock.now().saturating_add(by))?;
        let mut stored = None;
        self.clock
            .advance_kept(by, |state| self.persist_clock(state, &mut stored))?;
        self.share(stored);
        Ok(())
    }

    /// Jumps to `to` (never before real time). Going back, expired material is erased and
    /// due keys purged first, so nothing comes back to life.
    pub(crate) fn set(&self, to: Timestamp) -> Result<(), ControlError> {
        let _move = self.moves.hold();
        // A refused instant is refused before any sweep, which could cost a pass over every
        // key or fail on an unreadable one and hide the real reason.
        self.clock.check_settable(to)?;
        self.refresh_before_move()?;
        if to < self.clock.now() {
            self.sweep()?;
        }
        let mut stored = None;
        let moved = self
            .clock
            .set_kept(to, |state| self.persist_clock(state, &mut stored))?;
        self.store_installed(moved, &mut stored);
        self.share(stored);
        Ok(())
    }

    /// Back to real time, sweeping first as [`EngineView::set`] does.
    pub(crate) fn reset_clock(&self) -> Result<(), ControlError> {
        let _move = self.moves.hold();
        self.refresh_before_move()?;
        if !self.clock.offset().is_zero() {
            self.sweep()?;
        }
        let mut stored = None;
        let moved = self
            .clock
            .reset_kept(|state| self.persist_clock(state, &mut stored))?;
        self.store_installed(moved, &mut stored);
        self.share(stored);
        Ok(())
    }

    /// A move back raises, as it is made, the ceiling of the generation it ends to the
    /// instant that timeline reached while the plan was being stored (requests went on in
    /// it): stored again, or a restart would restore the plan's lower ceiling and revive the
    /// tokens that expired in between. Best effort: the move is made either way, and the
    /// plan stored first is behind only by the time that write took.
    fn store_installed(&self, moved: ClockMove, stored: &mut Option<Vec<u8>>) {
        if !matches!(moved, ClockMove::Rewound { .. }) {
            return;
        }
        let installed = self.clock.state();
        let same = serde_json::to_vec(&installed).is_ok_and(|b| Some(&b) == stored.as_ref());
        if same {
            return;
        }
        if let Err(e) = self.persist_clock(&installed, stored) {
            tracing::warn!(
                "the emulated clock moved back, but its final state was not stored: {e}"
            );
        }
    }

    fn sweep(&self) -> Result<(), ControlError> {
        let report = match self.sweeper.upgrade() {
            Some(sweeper) => sweeper.sweep_now(),
            None => self.kms.sweep(),
        }
        .map_err(ControlError::Sweep)?;
        // A key that could not be swept could come back to life: refuse the move.
        if report.failed > 0 {
            return Err(ControlError::SweepIncomplete {
                failed: report.failed,
            });
        }
        Ok(())
    }

    /// Stores the state the clock is about to take (the clock moves only once it is stored:
    /// a failed write answers an error with the clock where it was); `stored` gets what was
    /// written.
    fn persist_clock(
        &self,
        state: &ClockState,
        stored: &mut Option<Vec<u8>>,
    ) -> Result<(), ControlError> {
        let bytes = serde_json::to_vec(state).map_err(|e| ControlError::Persist(e.to_string()))?;
        self.kms
            .put_meta(CLOCK_META, &bytes)
            .map_err(|e| ControlError::Persist(e.to_string()))?;
        *stored = Some(bytes);
        Ok(())
    }

    /// Tells the shared clock (if any) what this process stored, once the clock has moved.
    fn share(&self, stored: Option<Vec<u8>>) {
        if let (Some(shared), Some(state)) = (&self.shared_clock, stored) {
            shared.stored(state);
        }
    }
}

/// Bytes read at most from `root_key_file`.
const ROOT_KEY_FILE_BOUND: u64 = 4096;

/// A configured root key: a file holding 64 hex digits (read, never created: every instance
/// must get the same key from its operator), or the value itself.
fn read_root_key(source: &RootKeySource) -> Result<RootKey, StartError> {
    match source {
        // Checked when the settings loaded; kept typed rather than trusted.
        RootKeySource::Value(hex) => hex.key().ok_or_else(|| StartError::RootKeyFile {
            path: "root_key (KMSGATE_ROOT_KEY)".into(),
            reason: "it does not hold 64 hex digits (32 bytes)".into(),
        }),
        RootKeySource::File(path) => {
            let failed = |reason: String| StartError::RootKeyFile {
                path: path.display().to_string(),
                reason,
            };
            // Read up to a bound: a key file is 64 digits and a newline, and a path such as
            // /dev/zero must not be read without end.
            let mut text = zeroize::Zeroizing::new(String::new());
            std::fs::File::open(path)
                .and_then(|f| f.take(ROOT_KEY_FILE_BOUND).read_to_string(&mut text))
                .map_err(|e| failed(e.to_string()))?;
            RootKey::from_hex(&text)
                .ok_or_else(|| failed("it does not hold 64 hex digits (32 bytes)".into()))
        }
    }
}

/// Counts as metric values; beyond `u64::MAX` is out of reach.
fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl Engine {
    /// Opens the store (as `store.kind` says), checks that its records open, restores
    /// the emulated clock, empties the store if `reset`, and starts the pool and the sweeper.
    pub(crate) fn start(settings: &Settings, reset: bool) -> Result<Engine, StartError> {
        let (choice, key_source) = settings.store_choice()?;
        let configured = key_source.as_ref().map(read_root_key).transpose()?;
        let shared = choice.is_shared();
        let (store, root_key): (Arc<dyn KeyStore>, RootKey) = match choice {
            StoreChoice::Memory => {
                let key = match configured {
                    Some(key) => key,
                    None => RootKey::generate().map_err(StartError::RootKey)?,
                };
                (Arc::new(MemoryStore::new()), key)
            }
            StoreChoice::Redb(dir) => {
                let data = DataDir::open(&dir, configured).map_err(|e| match e {
                    DataDirError::InUse { .. } => StartError::DataDirInUse(e),
                    other => StartError::DataDir(other),
                })?;
                for warning in &data.permission_warnings {
                    tracing::warn!("{warning}");
                }
                (data.store, data.root_key)
            }
            StoreChoice::Postgres(options) => {
                // `store_choice` refuses a postgres store without a configured root key.
                let key = configured.ok_or(StartError::Settings(StoreUnusable::NoSharedRootKey))?;
                let store = PostgresStore::open(&options).map_err(StartError::Postgres)?;
                (Arc::new(store), key)
            }
        };
        let clock = Arc::new(EmulatedClock::new());
        // Checks, upgrade and restored state first, through an engine without a pool: the
        // pool starts with the pairs the last process saved, so nothing is generated twice.
        let prepared = Kms::builder(Arc::clone(&store), &root_key)
            .clock(Arc::clone(&clock) as Arc<dyn kms_core::Clock>)
            .build();
        // The root key is checked before the upgrade rewrites anything with it.
        match prepared.check_readable() {
            Ok(()) => {}
            Err(e @ KmsError::Internal(InternalError::CorruptRecord(_))) => {
                return Err(StartError::WrongRootKey(e));
            }
            Err(e) => return Err(StartError::Unreadable(e)),
        }
        prepared
            .upgrade_store(&[CLOCK_META])
            .map_err(StartError::Unreadable)?;
        // Before anything reads the clock: emulated time picks up where it was.
        if let Some(bytes) = prepared
            .get_meta(CLOCK_META)
            .map_err(StartError::Unreadable)?
        {
            let state: ClockState =
                serde_json::from_slice(&bytes).map_err(StartError::ClockState)?;
            clock.restore(state);
        }
        // Saved pairs are for the next process of a store nobody else uses: in a shared
        // store, two processes starting together could both take the same pairs.
        let stock = if shared {
            Vec::new()
        } else {
            prepared
                .take_saved_key_pairs()
                .map_err(StartError::Unreadable)?
        };
        if !stock.is_empty() {
            tracing::info!(
                restored = stock.len(),
                "wrapping key pairs saved by the last run"
            );
        }
        let pool = Arc::new(KeyPairPool::start_with(
            settings.pool.targets(),
            settings.pool.reuse(),
            stock,
        ));
        let kms = Arc::new(
            Kms::builder(Arc::clone(&store), &root_key)
                .clock(Arc::clone(&clock) as Arc<dyn kms_core::Clock>)
                .key_pairs(Arc::clone(&pool) as Arc<dyn kms_core::wrapping::KeyPairSource>)
                .build(),
        );
        if reset {
            kms.reset(None).map_err(StartError::Reset)?;
        }
        let (shared_clock, refresher) = if shared {
            let sync = Arc::new(SharedClock::new(Arc::clone(&kms), Arc::clone(&clock)));
            let refresher =
                Refresher::start(Arc::clone(&sync)).map_err(StartError::ClockRefresher)?;
            (Some(sync), Some(refresher))
        } else {
            (None, None)
        };
        let period = Duration::from_secs(settings.sweep_interval_secs);
        let sweeper = Sweeper::start(Arc::clone(&kms), period).map_err(StartError::Sweeper)?;
        Ok(Engine {
            kms,
            clock,
            store,
            pool,
            sweeper: Some(Arc::new(sweeper)),
            shared_clock,
            refresher,
            moves: Arc::default(),
        })
    }

    pub(crate) fn view(&self) -> EngineView {
        EngineView {
            kms: Arc::clone(&self.kms),
            clock: Arc::clone(&self.clock),
            pool: Arc::clone(&self.pool),
            sweeper: self.sweeper.as_ref().map_or_else(Weak::new, Arc::downgrade),
            shared_clock: self.shared_clock.clone(),
            moves: Arc::clone(&self.moves),
        }
    }

    pub(crate) fn kms(&self) -> &Arc<Kms> {
        &self.kms
    }

    pub(crate) fn clock(&self) -> &Arc<EmulatedClock> {
        &self.clock
    }

    /// Stops the sweeper, flushes the store, then releases everything, waiting at most
    /// [`CLOSE_GRACE`] for background threads. Call once the listeners have stopped.
    pub(crate) fn close(mut self) -> Result<(), StoreError> {
        // The sweeper writes; stop it so nothing lands after the flush.
        drop(self.sweeper.take());
        drop(self.refresher.take());
        // Ready pairs go to the next process instead of being generated again (not in a
        // shared store: see `start`). Best effort: losing them costs only CPU at the next
        // start.
        if self.shared_clock.is_none()
            && let Err(e) = self.kms.save_key_pairs(&self.pool.stock())
        {
            tracing::warn!("cannot save the ready wrapping key pairs: {e}");
        }
        let flushed = self.store.flush();
        let Engine {
            kms,
            clock,
            store,
            pool,
            ..
        } = self;
        let (done, finished) = mpsc::channel();
        let released = std::thread::Builder::new()
            .name("kmsgate-close".into())
            .spawn(move || {
                // The store's last reference goes first (it is also inside `kms`), so the
                // database closes cleanly before we wait on the pool's refill thread.
                drop(store);
                drop(kms);
                drop(pool);
                drop(clock);
                let _ = done.send(());
            });
        if released.is_ok() {
            let _ = finished.recv_timeout(CLOSE_GRACE);
        }
        flushed
    }
}

#[cfg(test)]
mod tests {
    use kms_core::wrapping::PoolTargets;

    use super::*;

    /// A view of an engine over `store` with `clock`, and no pairs generated ahead.
    fn view_over(store: Arc<dyn KeyStore>, clock: &Arc<EmulatedClock>) -> EngineView {
        let kms = Kms::builder(store, &RootKey::from_bytes([7; 32]))
            .clock(Arc::clone(clock) as Arc<dyn Clock>)
            .build();
        EngineView {
            kms: Arc::new(kms),
            clock: Arc::clone(clock),
            pool: Arc::new(KeyPairPool::start(PoolTargets {
                rsa_2048: 0,
                rsa_3072: 0,
                rsa_4096: 0,
                sm2: 0,
            })),
            sweeper: Weak::new(),
            shared_clock: None,
            moves: Arc::default(),
        }
    }

    #[test]
    fn a_clock_move_that_cannot_be_stored_leaves_the_clock_where_it_was() {
        let clock = Arc::new(EmulatedClock::new());
        let store = Arc::new(kms_core::testing::Interloper::default());
        store.refuse_meta();
        let view = view_over(store, &clock);
        let day = Duration::from_secs(86_400);
        let later = clock.now().saturating_add(day);
        for error in [view.advance(day).unwrap_err(), view.set(later).unwrap_err()] {
            assert!(matches!(error, ControlError::Persist(_)), "{error:?}");
        }
        assert_eq!(clock.offset(), Duration::ZERO, "the clock did not move");
        // Back to real time from real time changes nothing, so nothing needs storing.
        view.reset_clock().unwrap();
        assert_eq!(clock.state(), ClockState::default());
    }

    /// Time passes in the old timeline while a move back is stored; the generation it ends
    /// reached that later instant, and the state stored last says so, for the next start.
    #[test]
    fn a_move_back_stores_the_ceiling_it_installed() {
        let wall = Arc::new(kms_core::ManualClock::new(Timestamp::from_secs(
            1_800_000_000,
        )));
        let clock = Arc::new(EmulatedClock::with_wall(Arc::clone(&wall) as Arc<dyn Clock>));
        let store = Arc::new(kms_core::testing::Interloper::default());
        let view = view_over(Arc::clone(&store) as Arc<dyn KeyStore>, &clock);
        let kms = Arc::clone(&view.kms);
        view.advance(Duration::from_secs(86_400)).unwrap();
        let ticking = Arc::clone(&wall);
        store.on_each_meta_write(move |name| {
            if name == CLOCK_META {
                ticking.advance(Duration::from_secs(5));
            }
        });
        view.reset_clock().unwrap();
        let stored: ClockState =
            serde_json::from_slice(&kms.get_meta(CLOCK_META).unwrap().unwrap()).unwrap();
        assert_eq!(
            stored,
            clock.state(),
            "what a restart restores is what was installed"
        );
        let restarted = EmulatedClock::with_wall(Arc::clone(&wall) as Arc<dyn Clock>);
        restarted.restore(stored);
        // Five seconds past the plan's instant, in the generation that ended: passed.
        let late = Timestamp::from_secs(1_800_000_000 + 86_400 + 4);
        assert!(restarted.has_passed(late, 0));
    }

    #[test]
    fn a_data_dir_that_cannot_be_made_is_a_start_error() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let settings = Settings {
            data_dir: file.path().join("data"),
            ..Settings::default()
        };
        let error = Engine::start(&settings, false).unwrap_err();
        assert!(matches!(error, StartError::DataDir(_)), "{error:?}");
        let message = error.to_string();
        assert!(
            message.starts_with("cannot open the data directory: "),
            "{message}"
        );
    }

    #[test]
    fn a_root_key_file_is_read_up_to_a_bound_and_a_bad_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("root.hex");
        std::fs::write(&good, format!("{}\n", "5a".repeat(32))).unwrap();
        let bad = dir.path().join("bad.hex");
        std::fs::write(&bad, "not a key").unwrap();
        let with_file = |file: &std::path::Path| Settings {
            in_memory: true,
            root_key_file: Some(file.to_path_buf()),
            ..Settings::default()
        };
        Engine::start(&with_file(&good), false)
            .unwrap()
            .close()
            .unwrap();
        for file in [
            bad.as_path(),
            std::path::Path::new("/dev/zero"),
            &dir.path().join("none"),
        ] {
            let error = Engine::start(&with_file(file), false).unwrap_err();
            assert!(matches!(error, StartError::RootKeyFile { .. }), "{error:?}");
            assert!(
                error.to_string().contains(&file.display().to_string()),
                "{error}"
            );
        }
    }
}
