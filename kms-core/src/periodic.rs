//! A thread that runs a task every so often until dropped: the expiry sweeper's, and a
//! server's refresher of a shared clock. Dropping it wakes the thread at once and waits for a
//! run in progress to end, so nothing runs after its owner is gone.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Periodic {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Periodic {
    /// Runs `task` on a thread named `name`, first after `first`, then again after each pause
    /// the previous run returns, until dropped. Fails only if the thread cannot be spawned.
    pub fn start(
        name: &str,
        first: Duration,
        mut task: impl FnMut() -> Duration + Send + 'static,
    ) -> std::io::Result<Periodic> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let (lock, cvar) = &*signal;
                let mut pause = first;
                loop {
                    {
                        // A poisoned flag is still a plain bool.
                        let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                        let (stopped, _) = cvar
                            .wait_timeout_while(guard, pause, |stopped| !*stopped)
                            .unwrap_or_else(|p| p.into_inner());
                        if *stopped {
                            return;
                        }
                    }
                    // Run with the flag's lock released, so a drop never waits on the lock
                    // for a whole run.
                    pause = task();
                }
            })?;
        Ok(Periodic {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Periodic {
    fn drop(&mut self) {
        let (lock, cvar) = &*self.stop;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cvar.notify_all();
        if let Some(t) = self.thread.take() {
            // A task that panicked has nothing left to clean up.
            let _ = t.join();
        }
    }
}

impl fmt::Debug for Periodic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Periodic").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use super::*;

    #[test]
    fn runs_until_dropped_and_a_drop_does_not_wait_for_the_pause() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let periodic = Periodic::start("kmsgate-test", Duration::ZERO, move || {
            counted.fetch_add(1, Ordering::SeqCst);
            // The next run is far away: only the drop's wake-up ends the wait.
            Duration::from_secs(3600)
        })
        .unwrap();
        while runs.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        let dropped = Instant::now();
        drop(periodic);
        assert!(dropped.elapsed() < Duration::from_secs(600));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }
}
