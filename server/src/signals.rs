//! SIGINT and SIGTERM both mean "stop gracefully". actix's own handling treats SIGINT as a
//! forced stop and would stop each listener separately; here one signal stops them all.

use std::io;

#[cfg(unix)]
pub(crate) struct StopSignals {
    interrupt: actix_web::rt::signal::unix::Signal,
    terminate: actix_web::rt::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    /// Installs the handlers; from then on the signals no longer kill the process. Must run
    /// inside the actix runtime, before the process announces it is ready.
    pub(crate) fn install() -> io::Result<Self> {
        use actix_web::rt::signal::unix::{SignalKind, signal};
        Ok(StopSignals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Waits for the first of them; returns its name.
    pub(crate) async fn recv(&mut self) -> &'static str {
        std::future::poll_fn(|cx| {
            if self.terminate.poll_recv(cx).is_ready() {
                std::task::Poll::Ready("SIGTERM")
            } else if self.interrupt.poll_recv(cx).is_ready() {
                std::task::Poll::Ready("SIGINT")
            } else {
                std::task::Poll::Pending
            }
        })
        .await
    }
}

#[cfg(not(unix))]
pub(crate) struct StopSignals;

#[cfg(not(unix))]
impl StopSignals {
    pub(crate) fn install() -> io::Result<Self> {
        Ok(StopSignals)
    }

    pub(crate) async fn recv(&mut self) -> &'static str {
        if actix_web::rt::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        "Ctrl-C"
    }
}
