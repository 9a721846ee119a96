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
        let Prepared { engine, listeners } = prepare(&settings, kinds, false)?;
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

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use super::*;
    use crate::settings::{ListenAddr, PoolSettings};

    fn settings(dir: &std::path::Path) -> Settings {
        let any: ListenAddr = "127.0.0.1:0".parse().unwrap();
        let mut s = Settings {
            data_dir: dir.to_path_buf(),
            pool: PoolSettings {
                rsa_2048: 0,
                rsa_3072: 0,
                rsa_4096: 0,
                sm2: 0,
                ..PoolSettings::default()
            },
            ..Settings::default()
        };
        s.aws.listen = any.clone();
        s.huawei.listen = any;
        s
    }

    fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn serves_the_asked_dialects_and_reopens_the_same_store_after_stop() {
        let dir = tempfile::tempdir().unwrap();
        let kinds = [DialectKind::Aws, DialectKind::Huawei];
        for _ in 0..2 {
            let server = Background::start(settings(dir.path()), &kinds).unwrap();
            for kind in kinds {
                let addr = server.addr(kind).unwrap();
                assert_eq!(server.endpoint(kind).unwrap(), format!("http://{addr}"));
                assert!(get(addr, "/health").starts_with("HTTP/1.1 200"));
                assert!(get(addr, "/_kmsgate/clock").contains("offset_seconds"));
            }
            assert_eq!(server.endpoint(DialectKind::Tencent), None);
            server.stop().unwrap();
        }
        // Dropping stops too, and releases the store.
        drop(Background::start(settings(dir.path()), &kinds).unwrap());
        Background::start(settings(dir.path()), &kinds)
            .unwrap()
            .stop()
            .unwrap();
    }

    #[test]
    fn a_taken_port_fails_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut s = settings(dir.path());
        s.aws.listen = taken.local_addr().unwrap().to_string().parse().unwrap();
        let error = Background::start(s, &[DialectKind::Aws]).unwrap_err();
        assert!(error.to_string().starts_with("cannot listen on"), "{error}");
        // The failed start closed the store: the directory opens again.
        Background::start(settings(dir.path()), &[DialectKind::Aws])
            .unwrap()
            .stop()
            .unwrap();
    }
}
