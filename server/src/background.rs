//! A kmsgate server inside another program: the same engine, listeners, dialects and time
//! control as the binaries, served by an actix `System` on a thread of its own. Test suites
//! (the conformance crate) start one per test and stop it to reopen the same data directory.

use std::fmt;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::dialect::DialectKind;
use crate::run::{Prepared, StartFailure, prepare, serve_until};
use crate::settings::Settings;

/// Why a background server did not start or did not stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum BackgroundError {
    #[error(transparent)]
    Start(#[from] StartFailure),
    #[error("cannot start the server thread: {0}")]
    Thread(std::io::Error),
    #[error("serving failed: {0}")]
    Serve(std::io::Error),
    #[error("cannot flush the store: {0}")]
    Flush(kms_core::StoreError),
    #[error("the server thread panicked")]
    Panicked,
}

/// A running server. Listen addresses come from `settings` as for the binaries (port 0 picks
/// a free port; [`Background::endpoint`] tells which). Dropping it stops it like
/// [`Background::stop`], ignoring errors.
pub struct Background {
    bound: Vec<(DialectKind, SocketAddr)>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), BackgroundError>>>,
}

impl fmt::Debug for Background {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Background")
            .field("bound", &self.bound)
            .finish_non_exhaustive()
    }
}

impl Background {
    /// Opens the store, binds one listener per kind and returns once they all accept
    /// connections. `settings` are used as given (they are not layered nor re-validated).
    pub fn start(settings: Settings, kinds: &[DialectKind]) -> Result<Background, BackgroundError> {
        let Prepared { engine, listeners } = prepare(&settings, kinds)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready, is_ready) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("kmsgate-background".into())
            .spawn(move || {
                let served = actix_web::rt::System::new().block_on(serve_until(
                    listeners,
                    |bound| {
                        let _ = ready.send(bound.to_vec());
                    },
                    async move {
                        // A dropped sender means the same as a sent stop.
                        let _ = stopped.await;
                    },
                ));
                let closed = engine.close();
                served.map_err(BackgroundError::Serve)?;
                closed.map_err(BackgroundError::Flush)
            })
            .map_err(BackgroundError::Thread)?;
        match is_ready.recv() {
            Ok(bound) => Ok(Background {
                bound,
                stop: Some(stop),
                thread: Some(thread),
            }),
            // The thread ended before it was ready: its result says why.
            Err(_) => match thread.join() {
                Ok(Err(e)) => Err(e),
                Ok(Ok(())) => Err(BackgroundError::Serve(std::io::Error::other(
                    "the server stopped before it was ready",
                ))),
                Err(_) => Err(BackgroundError::Panicked),
            },
        }
    }

    /// `http://127.0.0.1:PORT` of the listener of `kind`, if it was started.
    pub fn endpoint(&self, kind: DialectKind) -> Option<String> {
        self.addr(kind).map(|addr| format!("http://{addr}"))
    }

    pub fn addr(&self, kind: DialectKind) -> Option<SocketAddr> {
        self.bound.iter().find(|(k, _)| *k == kind).map(|(_, a)| *a)
    }

    /// Stops every listener gracefully (in-flight requests finish), then stops the sweeper and
    /// flushes and closes the store, so the same data directory can be opened again at once.
    pub fn stop(mut self) -> Result<(), BackgroundError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), BackgroundError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread.join().map_err(|_| BackgroundError::Panicked)?,
            None => Ok(()),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
