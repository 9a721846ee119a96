//! Where log lines go: each thread appends its lines to a buffer of its own, and one
//! background thread writes all buffers to stderr a few times a second, and whenever one grows
//! large. A request pays for formatting its line and an uncontended append, never for a
//! system call, a thread wake-up, or a lock other threads are waiting on (one `write(2)` per
//! line cost a fifth of Encrypt throughput on two cores, and one buffer shared by every
//! worker still cost a tenth through lock contention).
//!
//! Lines may reach stderr up to [`FLUSH_EVERY`] late, and lines of different threads within
//! one such interval in the order their buffers are visited (each carries its timestamp);
//! dropping the [`LogGuard`] (at exit) writes what is still buffered. A process killed
//! outright loses at most that much of its log, never anything else.

use std::cell::RefCell;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in a buffer.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// A thread buffer this large asks for a write at once rather than at the next tick.
const FLUSH_AT: usize = 64 * 1024;

type Lines = Arc<Mutex<Vec<u8>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned buffer only means a thread panicked mid-append; the bytes are still worth
    // writing.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Default)]
struct Shared {
    /// Every thread's buffer.
    buffers: Mutex<Vec<Lines>>,
    /// Set when the guard is dropped; the writer thread then does a last round and stops.
    stopping: Mutex<bool>,
    /// `stopping`, readable by every line without taking that lock.
    stopped: AtomicBool,
    wake: Condvar,
}

impl Shared {
    /// Takes every complete line buffered, thread by thread (a line still being written
    /// stays for the next round, so lines never interleave), and forgets buffers of threads
    /// that have ended (only the registry still holds them) once they are empty.
    /// The last round (`everything`) takes unfinished lines too.
    fn drain(&self, everything: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buffers = lock(&self.buffers);
        for buffer in buffers.iter() {
            let mut lines = lock(buffer);
            if everything {
                out.append(&mut lines);
            } else if let Some(end) = lines.iter().rposition(|b| *b == b'\n') {
                let rest = lines.split_off(end + 1);
                out.append(&mut lines);
                *lines = rest;
            }
        }
        buffers.retain(|b| Arc::strong_count(b) > 1 || !lock(b).is_empty());
        out
    }
}

/// Tells writers apart, for threads' buffers of several writers (tests).
static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's buffer for each writer it has written to.
    static MINE: RefCell<Vec<(usize, Lines)>> = const { RefCell::new(Vec::new()) };
}

/// The `tracing` writer: cheap to clone, appends to the calling thread's buffer.
#[derive(Clone, Debug)]
pub(crate) struct BatchWriter {
    id: usize,
    shared: Arc<Shared>,
    /// False if the writer thread did not start: lines are then written directly.
    batching: bool,
}

/// Writes what is left when dropped, then stops the writer thread.
#[derive(Debug)]
pub(crate) struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A writer over `out` and the guard that keeps its thread going. Should the thread not
/// start, lines are written directly instead (slower, never lost).
pub(crate) fn batch_writer<W: Write + Send + 'static>(out: W) -> (BatchWriter, LogGuard) {
    let shared = Arc::new(Shared::default());
    let worker = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("kmsgate-log".into())
        .spawn(move || write_loop(&worker, out))
        .ok();
    let writer = BatchWriter {
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        shared: Arc::clone(&shared),
        batching: thread.is_some(),
    };
    (writer, LogGuard { shared, thread })
}

fn write_loop<W: Write>(shared: &Shared, mut out: W) {
    loop {
        let stopping = {
            let stopping = lock(&shared.stopping);
            if *stopping {
                true
            } else {
                let (stopping, _) = shared
                    .wake
                    .wait_timeout(stopping, FLUSH_EVERY)
                    .unwrap_or_else(PoisonError::into_inner);
                *stopping
            }
        };
        let pending = shared.drain(stopping);
        // A log that cannot be written has nowhere to complain to.
        if !pending.is_empty() {
            let _ = out.write_all(&pending);
            let _ = out.flush();
        }
        if stopping {
            return;
        }
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        *lock(&self.shared.stopping) = true;
        self.shared.stopped.store(true, Ordering::Release);
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl BatchWriter {
    fn append(&self, bytes: &[u8]) {
        let buffer = MINE.with_borrow_mut(|mine| {
            if let Some((_, b)) = mine.iter().find(|(id, _)| *id == self.id) {
                return Arc::clone(b);
            }
            let b = Lines::default();
            lock(&self.shared.buffers).push(Arc::clone(&b));
            mine.push((self.id, Arc::clone(&b)));
            b
        });
        let len = {
            let mut lines = lock(&buffer);
            lines.extend_from_slice(bytes);
            lines.len()
        };
        if len >= FLUSH_AT {
            self.shared.wake.notify_one();
        }
    }
}

/// One line as `tracing` hands it over.
#[derive(Debug)]
pub(crate) struct LineWriter<'a>(&'a BatchWriter);

impl Write for LineWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let stopped = self.0.shared.stopped.load(Ordering::Acquire);
        if stopped || !self.0.batching {
            // After the writer thread stopped (or when it never started), write directly.
            return io::stderr().write(bytes);
        }
        self.0.append(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_of_every_thread_reaches_the_output_by_the_time_the_guard_is_dropped() {
        let sink = Sink::default();
        let (writer, guard) = batch_writer(sink.clone());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        writeln!(writer.make_writer(), "thread {t} line {i}").unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(guard);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 20_000);
        for t in 0..4 {
            let mine: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with(&format!("thread {t} ")))
                .collect();
            assert_eq!(mine.len(), 5_000);
            assert_eq!(
                mine[4_999],
                format!("thread {t} line 4999"),
                "in order per thread"
            );
        }
    }
}
