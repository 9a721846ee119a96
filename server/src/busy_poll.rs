//! Busy polling after an answer, while few connections are open.
//!
//! A client that sends one request at a time (an SDK in a test suite, `wrk -c1`) waits, on
//! every call, for the kernel to wake the worker thread that sleeps in `epoll_wait` when its
//! request arrives: on a virtual machine that wake-up (the idle core's exit from its sleep
//! state, the scheduler's switch) takes longer than kmsgate's whole answer. Measured on a
//! 2-core VM, a do-nothing actix-web server answers one connection in 75 µs with it and in
//! 22 µs without it. Go's runtime hides the same cost by spinning its idle threads for a
//! moment before they sleep, which is why a Go emulator answered a lone client faster.
//!
//! So after each answer, the worker that gave it keeps polling its sockets (yielding to its
//! runtime, which then asks the kernel for ready sockets without sleeping) for
//! `busy_poll_micros`, and sleeps as before once that long has passed without an answer. The
//! CPU it burns is bounded by the traffic: at most that long after each answer, nothing when
//! idle. It spins only while the process has fewer open connections than cores: with more,
//! the workers seldom sleep anyway, and a spinning worker would take a core from the clients
//! on the same machine (measured: 20% fewer answers at 16 connections on 2 cores).

use std::cell::{Cell, OnceCell};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::dev::Extensions;
use tokio::sync::Notify;

/// The process's busy-polling policy and its count of open connections (every listener's).
#[derive(Debug)]
pub(crate) struct BusyPoll {
    /// How long a worker polls after its last answer; zero turns busy polling off.
    window: Duration,
    /// Spinning stops once more connections than this are open.
    most_connections: usize,
    open: AtomicUsize,
    /// Worker threads whose poller has started.
    pollers: AtomicUsize,
    /// Times a poller yielded to its runtime instead of sleeping (tests read it).
    polls: AtomicUsize,
}

/// What one worker thread knows of its own spinning.
#[derive(Debug, Default)]
struct Worker {
    last_answer: Cell<Option<Instant>>,
    wake: Notify,
}

thread_local! {
    /// Set on the worker threads of a server whose busy polling is on.
    static WORKER: OnceCell<Rc<Worker>> = const { OnceCell::new() };
}

/// Held in a connection's data, so that it counts as open until actix drops it.
#[derive(Debug)]
struct OpenConnection(Arc<BusyPoll>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl BusyPoll {
    /// `window` after each answer, while fewer connections than cores are open (on one core,
    /// never: the client would wait for the spinning worker's time slice).
    pub(crate) fn new(window: Duration) -> Arc<Self> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::with(window, cores.saturating_sub(1))
    }

    /// Off: workers sleep as soon as they have nothing to do.
    #[cfg(test)]
    pub(crate) fn off() -> Arc<Self> {
        Self::with(Duration::ZERO, 0)
    }

    fn with(window: Duration, most_connections: usize) -> Arc<Self> {
        Arc::new(BusyPoll {
            window,
            most_connections,
            open: AtomicUsize::new(0),
            pollers: AtomicUsize::new(0),
            polls: AtomicUsize::new(0),
        })
    }

    /// A policy that polls whatever the machine's cores, for tests of a real listener.
    #[cfg(test)]
    pub(crate) fn for_tests(window: Duration, most_connections: usize) -> Arc<Self> {
        Self::with(window, most_connections)
    }

    /// Connections open now (counted only while busy polling is on).
    #[cfg(test)]
    pub(crate) fn open_connections(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Worker threads polling after their answers.
    #[cfg(test)]
    pub(crate) fn pollers(&self) -> usize {
        self.pollers.load(Ordering::Relaxed)
    }

    /// Times the pollers have polled so far.
    #[cfg(test)]
    pub(crate) fn polls(&self) -> usize {
        self.polls.load(Ordering::Relaxed)
    }

    fn is_on(&self) -> bool {
        !self.window.is_zero() && self.most_connections > 0
    }

    /// For `HttpServer::on_connect`: counts the connection until actix drops it.
    pub(crate) fn on_connect(self: &Arc<Self>, data: &mut Extensions) {
        if self.is_on() {
            self.open.fetch_add(1, Ordering::Relaxed);
            data.insert(OpenConnection(Arc::clone(self)));
        }
    }

    /// For the app factory, which runs on each worker thread: starts this worker's poller
    /// (once per thread, however many apps the thread builds).
    pub(crate) fn start_on_this_worker(self: &Arc<Self>) {
        if !self.is_on() {
            return;
        }
        WORKER.with(|slot| {
            if slot.get().is_some() {
                return;
            }
            let worker = Rc::new(Worker::default());
            if slot.set(Rc::clone(&worker)).is_ok() {
                self.pollers.fetch_add(1, Ordering::Relaxed);
                actix_web::rt::spawn(poll(Arc::clone(self), worker));
            }
        });
    }

    /// Called as a worker answers: it polls for the window from `now` if few connections are
    /// open. Does nothing off a worker whose poller runs.
    pub(crate) fn answered(&self, now: Instant) {
        WORKER.with(|slot| {
            if let Some(worker) = slot.get() {
                worker.last_answer.set(Some(now));
                if self.quiet() {
                    worker.wake.notify_one();
                }
            }
        });
    }

    fn quiet(&self) -> bool {
        self.open.load(Ordering::Relaxed) <= self.most_connections
    }

    /// Whether a worker whose last answer was at `last` keeps polling at `now`.
    fn keeps_polling(&self, last: Option<Instant>, now: Instant) -> bool {
        self.quiet() && last.is_some_and(|t| now.saturating_duration_since(t) < self.window)
    }
}

/// A worker's poller: sleeps until an answer wakes it, then yields to the runtime (which polls
/// the sockets without sleeping while a task is ready) until the window has passed.
async fn poll(policy: Arc<BusyPoll>, worker: Rc<Worker>) {
    loop {
        worker.wake.notified().await;
        while policy.keeps_polling(worker.last_answer.get(), Instant::now()) {
            policy.polls.fetch_add(1, Ordering::Relaxed);
            actix_web::rt::task::yield_now().await;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn policy(window_us: u64, most_connections: usize) -> Arc<BusyPoll> {
        BusyPoll::with(Duration::from_micros(window_us), most_connections)
    }

    #[test]
    fn polls_for_the_window_after_the_last_answer_and_not_before_one() {
        let p = policy(50, 1);
        let t = Instant::now();
        assert!(!p.keeps_polling(None, t), "no answer yet: sleep");
        assert!(p.keeps_polling(Some(t), t));
        assert!(p.keeps_polling(Some(t), t + Duration::from_micros(49)));
        assert!(!p.keeps_polling(Some(t), t + Duration::from_micros(50)));
        // An answer stamped after the poller read the time (another core's clock) still polls.
        assert!(p.keeps_polling(Some(t + Duration::from_micros(5)), t));
    }

    #[test]
    fn stops_once_more_connections_are_open_than_allowed_and_counts_them_until_dropped() {
        let p = policy(50, 1);
        let t = Instant::now();
        let mut first = Extensions::new();
        p.on_connect(&mut first);
        assert!(p.keeps_polling(Some(t), t), "one connection: poll");
        let mut second = Extensions::new();
        p.on_connect(&mut second);
        assert!(
            !p.keeps_polling(Some(t), t),
            "two connections on two cores: sleep"
        );
        drop(second);
        assert!(p.keeps_polling(Some(t), t), "the second closed");
        drop(first);
        assert_eq!(p.open.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn off_never_polls_nor_counts() {
        for p in [BusyPoll::off(), policy(0, 3), policy(50, 0)] {
            let mut data = Extensions::new();
            p.on_connect(&mut data);
            assert_eq!(p.open.load(Ordering::Relaxed), 0);
            assert!(!p.is_on());
            p.start_on_this_worker();
            assert!(WORKER.with(|w| w.get().is_none()), "no poller started");
        }
    }
}
