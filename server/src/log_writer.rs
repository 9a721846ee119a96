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
//!
//! Should stderr stop taking lines (a pipe nobody reads), a thread's buffer stops growing at
//! [`HOLD_AT_MOST`]: further lines are dropped, counted, and reported by a warning in the log
//! (in its format) once it takes lines again, rather than the process's memory growing with
//! every request.

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
/// A thread buffer this large takes no new line until stderr takes what it holds.
const HOLD_AT_MOST: usize = 8 << 20;

type Lines = Arc<Mutex<Vec<u8>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned buffer only means a thread panicked mid-append; the bytes are still worth
    // writing.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug)]
struct Shared {
    /// Every thread's buffer.
    buffers: Mutex<Vec<Lines>>,
    /// Set when the guard is dropped; the writer thread then does a last round and stops.
    stopping: Mutex<bool>,
    /// `stopping`, readable by every line without taking that lock.
    stopped: AtomicBool,
    wake: Condvar,
    /// Lines dropped because their thread's buffer held `hold_at_most` bytes.
    dropped: AtomicUsize,
    hold_at_most: usize,
    /// Says how many were dropped, once stderr takes lines again.
    report_dropped: fn(usize),
}

/// A warning through the log itself (so in its format, text or JSON), from the writer
/// thread, whose own buffer is empty: it is written in the next round.
fn warn_dropped(dropped: usize) {
    tracing::warn!(
        dropped,
        "{dropped} log lines dropped: stderr was not taking them (is anything reading it?)"
    );
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
    batch_writer_holding(out, HOLD_AT_MOST, warn_dropped)
}

fn batch_writer_holding<W: Write + Send + 'static>(
    out: W,
    hold_at_most: usize,
    report_dropped: fn(usize),
) -> (BatchWriter, LogGuard) {
    let shared = Arc::new(Shared {
        buffers: Mutex::default(),
        stopping: Mutex::default(),
        stopped: AtomicBool::default(),
        wake: Condvar::default(),
        dropped: AtomicUsize::default(),
        hold_at_most,
        report_dropped,
    });
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
        let dropped = shared.dropped.swap(0, Ordering::AcqRel);
        if dropped > 0 {
            (shared.report_dropped)(dropped);
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
            // Full, and between lines: this line goes. (A line already begun is finished, so
            // lines are dropped whole.)
            if lines.len() >= self.shared.hold_at_most && lines.last().is_none_or(|b| *b == b'\n') {
                if bytes.ends_with(b"\n") {
                    self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                }
                return;
            }
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

    /// An output that takes nothing until `open` is set.
    #[derive(Clone, Default)]
    struct Stuck {
        sink: Sink,
        open: Arc<(Mutex<bool>, Condvar)>,
    }

    impl Write for Stuck {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let (open, opened) = &*self.open;
            let mut is_open = open.lock().unwrap();
            while !*is_open {
                is_open = opened.wait(is_open).unwrap();
            }
            self.sink.write(bytes)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stuck_output_bounds_the_buffers_and_the_dropped_lines_are_reported() {
        static REPORTED: AtomicUsize = AtomicUsize::new(0);
        fn report(dropped: usize) {
            REPORTED.fetch_add(dropped, Ordering::SeqCst);
        }
        let stuck = Stuck::default();
        let (writer, guard) = batch_writer_holding(stuck.clone(), 1024, report);
        // The first line reaches the writer thread, which then waits on the output.
        writeln!(writer.make_writer(), "first").unwrap();
        let give_up = std::time::Instant::now() + Duration::from_secs(10);
        while !lock(&writer.shared.buffers)
            .iter()
            .all(|b| lock(b).is_empty())
        {
            assert!(std::time::Instant::now() < give_up, "never drained");
            std::thread::sleep(Duration::from_millis(5));
        }
        for i in 0..1_000 {
            writeln!(writer.make_writer(), "line {i:04} of a log nobody reads").unwrap();
        }
        let held: usize = lock(&writer.shared.buffers)
            .iter()
            .map(|b| lock(b).len())
            .sum();
        assert!(held < 1024 + 64, "{held} bytes held");
        let (open, opened) = &*stuck.open;
        *open.lock().unwrap() = true;
        opened.notify_all();
        drop(guard);
        let text = String::from_utf8(stuck.sink.0.lock().unwrap().clone()).unwrap();
        let kept = text.lines().filter(|l| l.starts_with("line ")).count();
        assert!(kept > 0 && kept < 1_000, "{kept} lines kept");
        assert_eq!(
            REPORTED.load(Ordering::SeqCst),
            1_000 - kept,
            "every drop reported"
        );
        assert!(text.lines().all(|l| l == "first" || l.starts_with("line ")));
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
