//! Where log lines go: appended to one in-memory buffer that a background thread writes to
//! stderr a few times a second, and whenever it grows large. A request pays for formatting
//! its line and one uncontended append, never for a system call or a thread wake-up (one
//! `write(2)` per line cost a fifth of Encrypt throughput on two cores).
//!
//! Lines may reach stderr up to [`FLUSH_EVERY`] late; dropping the [`LogGuard`] (at exit)
//! writes what is still buffered. A process killed outright loses at most that much of its
//! log, never anything else.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in the buffer.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// A buffer this large is written at once rather than at the next tick.
const FLUSH_AT: usize = 64 * 1024;

#[derive(Debug, Default)]
struct Buffer {
    bytes: Vec<u8>,
    stopping: bool,
}

#[derive(Debug, Default)]
struct Shared {
    buffer: Mutex<Buffer>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Buffer> {
        // A poisoned buffer only means a thread panicked mid-append; the bytes are still
        // worth writing.
        self.buffer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The `tracing` writer: cheap to clone, appends to the shared buffer.
#[derive(Clone, Debug)]
pub(crate) struct BatchWriter(Arc<Shared>);

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
    (
        BatchWriter(Arc::clone(&shared)),
        LogGuard { shared, thread },
    )
}

fn write_loop<W: Write>(shared: &Shared, mut out: W) {
    loop {
        let (pending, stopping) = {
            let mut buffer = shared.lock();
            if buffer.bytes.is_empty() && !buffer.stopping {
                buffer = shared
                    .wake
                    .wait_timeout(buffer, FLUSH_EVERY)
                    .map(|(guard, _)| guard)
                    .unwrap_or_else(|poisoned| poisoned.into_inner().0);
            }
            (std::mem::take(&mut buffer.bytes), buffer.stopping)
        };
        // A log that cannot be written has nowhere to complain to.
        if !pending.is_empty() {
            let _ = out.write_all(&pending);
            let _ = out.flush();
        }
        if stopping {
            return;
        }
        std::thread::sleep(FLUSH_EVERY);
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One line as `tracing` hands it over.
#[derive(Debug)]
pub(crate) struct LineWriter<'a>(&'a Shared, bool);

impl Write for LineWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut buffer = self.0.lock();
        if buffer.stopping || !self.1 {
            // After the writer thread stopped (or when it never started), write directly.
            drop(buffer);
            return io::stderr().write(bytes);
        }
        buffer.bytes.extend_from_slice(bytes);
        if buffer.bytes.len() >= FLUSH_AT {
            self.0.wake.notify_one();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(&self.0, Arc::strong_count(&self.0) > 1)
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
    fn every_line_reaches_the_output_by_the_time_the_guard_is_dropped() {
        let sink = Sink::default();
        let (writer, guard) = batch_writer(sink.clone());
        for i in 0..10_000 {
            writeln!(writer.make_writer(), "line {i}").unwrap();
        }
        drop(guard);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 10_000);
        assert!(text.ends_with("line 9999\n"));
    }
}
