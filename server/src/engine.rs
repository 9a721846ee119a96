//! The one engine a process runs, whatever number of listeners share it.

use std::sync::{Arc, mpsc};
use std::time::Duration;

use kms_core::wrapping::{KeyPairPool, WrappingKeySpec};
use kms_core::{
    DataDir, DataDirError, EmulatedClock, InternalError, KeyStore, Kms, MemoryStore, RootKey,
    StoreError, Sweeper,
};

use crate::metrics::EngineReading;
use crate::settings::Settings;

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
    #[error("cannot start the expiry sweeper: {0}")]
    Sweeper(std::io::Error),
}

#[derive(Debug)]
pub(crate) struct Engine {
    kms: Arc<Kms>,
    clock: Arc<EmulatedClock>,
    store: Arc<dyn KeyStore>,
    pool: Arc<KeyPairPool>,
    sweeper: Option<Sweeper>,
}

/// What the server's own endpoints read of the engine (metrics).
#[derive(Debug)]
pub(crate) struct EngineView {
    pub clock: Arc<EmulatedClock>,
    pub pool: Arc<KeyPairPool>,
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
    pub(crate) fn reading(&self) -> EngineReading {
        EngineReading {
            pairs: WrappingKeySpec::ALL
                .into_iter()
                .map(|spec| {
                    let ready = u64::try_from(self.pool.ready(spec)).unwrap_or(u64::MAX);
                    (spec_label(spec), ready, 0)
                })
                .collect(),
            clock_offset: self.clock.offset(),
            ..EngineReading::default()
        }
    }
}

impl Engine {
    /// Opens the store (durable unless `in_memory`) and starts the pool and the sweeper.
    pub(crate) fn start(settings: &Settings) -> Result<Engine, StartError> {
        let (store, root_key): (Arc<dyn KeyStore>, RootKey) = if settings.in_memory {
            let key = RootKey::generate().map_err(StartError::RootKey)?;
            (Arc::new(MemoryStore::new()), key)
        } else {
            let data = DataDir::open(&settings.data_dir, None).map_err(StartError::DataDir)?;
            (data.store, data.root_key)
        };
        let clock = Arc::new(EmulatedClock::new());
        let pool = Arc::new(KeyPairPool::start(settings.pool.targets()));
        let kms = Arc::new(
            Kms::builder(Arc::clone(&store), &root_key)
                .clock(Arc::clone(&clock) as Arc<dyn kms_core::Clock>)
                .key_pairs(Arc::clone(&pool) as Arc<dyn kms_core::wrapping::KeyPairSource>)
                .build(),
        );
        let period = Duration::from_secs(settings.sweep_interval_secs);
        let sweeper = Sweeper::start(Arc::clone(&kms), period).map_err(StartError::Sweeper)?;
        Ok(Engine {
            kms,
            clock,
            store,
            pool,
            sweeper: Some(sweeper),
        })
    }

    pub(crate) fn view(&self) -> EngineView {
        EngineView {
            clock: Arc::clone(&self.clock),
            pool: Arc::clone(&self.pool),
        }
    }

    pub(crate) fn kms(&self) -> &Arc<Kms> {
        &self.kms
    }

    pub(crate) fn clock(&self) -> &Arc<EmulatedClock> {
        &self.clock
    }

    pub(crate) fn store(&self) -> &Arc<dyn KeyStore> {
        &self.store
    }

    /// Stops the sweeper, flushes the store, then releases everything, waiting at most
    /// [`CLOSE_GRACE`] for background threads. Call once the listeners have stopped.
    pub(crate) fn close(mut self) -> Result<(), StoreError> {
        // The sweeper writes; stop it so nothing lands after the flush.
        drop(self.sweeper.take());
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
    use super::*;

    #[test]
    fn a_data_dir_that_cannot_be_made_is_a_start_error() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let settings = Settings {
            data_dir: file.path().join("data"),
            ..Settings::default()
        };
        let error = Engine::start(&settings).unwrap_err();
        assert!(matches!(error, StartError::DataDir(_)), "{error:?}");
        let message = error.to_string();
        assert!(
            message.starts_with("cannot open the data directory: "),
            "{message}"
        );
    }
}
