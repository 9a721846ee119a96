//! The text log format: `tracing_subscriber`'s default line (`2026-11-27T14:51:32.466698Z
//! INFO message name=value …`) written at a fraction of its cost. The default formats the
//! time field by field, styles every field name for a terminal even with colours off, and
//! escapes each message character by character; at tens of thousands of request lines a
//! second that alone was more than the 5% of throughput logging may take. Here the calendar
//! part of the time is formatted once a second per thread, and values are appended as they
//! are, escaped only when they hold a control character (so a value can still never forge a
//! line or a terminal sequence).

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use dialect_kit::calendar::DateTime;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The text format's event formatter.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TextLines;

impl<S, N> FormatEvent<S, N> for TextLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        thread_local! {
            static PARTS: RefCell<Parts> = const { RefCell::new(Parts::new()) };
        }
        UtcMicros.format_time(&mut writer)?;
        writer.write_str(level(*event.metadata().level()))?;
        PARTS.with_borrow_mut(|parts| {
            parts.clear();
            event.record(parts);
            writer.write_str(&parts.message)?;
            writer.write_str(&parts.fields)?;
            writer.write_char('\n')
        })
    }
}

/// The level as the default format pads it, with the spaces around it.
fn level(level: Level) -> &'static str {
    match level {
        Level::TRACE => " TRACE ",
        Level::DEBUG => " DEBUG ",
        Level::INFO => "  INFO ",
        Level::WARN => "  WARN ",
        Level::ERROR => " ERROR ",
    }
}

/// One event's message and its other fields (` name=value` each), kept apart so the message
/// comes first whatever order the fields were declared in.
#[derive(Debug)]
struct Parts {
    message: String,
    fields: String,
}

impl Parts {
    const fn new() -> Self {
        Parts {
            message: String::new(),
            fields: String::new(),
        }
    }

    fn clear(&mut self) {
        self.message.clear();
        self.fields.clear();
    }

    fn target(&mut self, field: &Field) -> &mut String {
        if field.name() == "message" {
            &mut self.message
        } else {
            self.fields.push(' ');
            self.fields.push_str(field.name());
            self.fields.push('=');
            &mut self.fields
        }
    }
}

impl Visit for Parts {
    fn record_str(&mut self, field: &Field, value: &str) {
        let out = self.target(field);
        push_escaped(out, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let out = self.target(field);
        let start = out.len();
        // Writing to a String cannot fail.
        let _ = write!(out, "{value:?}");
        if has_control(&out.as_bytes()[start..]) {
            let written = out.split_off(start);
            push_escaped(out, &written);
        }
    }
}

/// An ASCII control byte, or 0xC2: the lead byte of every C1 control (U+0080–U+009F, CSI
/// among them) in UTF-8. It only sends a value down the careful path, which changes nothing
/// but control characters (é, say, also starts with 0xC3, and Â with 0xC2: both stay).
fn is_control(b: u8) -> bool {
    b < 0x20 || b == 0x7f || b == 0xc2
}

/// Whether `bytes` hold a control character. A fold, not `any`: without an early exit the
/// loop vectorises, and a request line is a few hundred bytes with none.
fn has_control(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |seen, &b| seen | is_control(b))
}

fn push_escaped(out: &mut String, value: &str) {
    if !has_control(value.as_bytes()) {
        out.push_str(value);
        return;
    }
    for c in value.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

/// RFC 3339 UTC with microseconds (`2026-11-27T14:51:32.466698Z`), what
/// `tracing_subscriber`'s default timer prints (JSON lines use it too).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct UtcMicros;

impl FormatTime for UtcMicros {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        thread_local! {
            /// The second last formatted on this thread, and its `YYYY-MM-DDThh:mm:ss`.
            static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
        }
        // A system clock before 1970 has no time to print; the line is still written.
        let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) else {
            return w.write_str("1970-01-01T00:00:00.000000Z");
        };
        let secs = now.as_secs();
        SECOND.with_borrow_mut(|(second, text)| {
            if *second != secs {
                *second = secs;
                *text = DateTime::from_unix(secs).date_time();
            }
            w.write_str(text)?;
            let mut fraction = [b'.', 0, 0, 0, 0, 0, 0, b'Z'];
            let micros = now.subsec_micros();
            for (slot, place) in fraction[1..7]
                .iter_mut()
                .zip([100_000, 10_000, 1_000, 100, 10, 1])
            {
                // Each digit is below 10, so the cast cannot truncate.
                *slot = b'0' + (micros / place % 10) as u8;
            }
            w.write_str(std::str::from_utf8(&fraction).map_err(|_| fmt::Error)?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    fn lines(emit: impl FnOnce()) -> String {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .event_format(TextLines)
            .finish();
        tracing::subscriber::with_default(subscriber, emit);
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn reads_like_the_default_format() {
        let text = lines(|| {
            tracing::info!(store = "memory", pools = 3, "kmsgate started");
            tracing::warn!("plain");
        });
        let mut it = text.lines();
        let first = it.next().unwrap();
        assert_eq!(&first[27..], "  INFO kmsgate started store=memory pools=3");
        assert!(it.next().unwrap().ends_with("Z  WARN plain"));
    }

    #[test]
    fn control_characters_never_reach_the_log_raw() {
        let text = lines(|| {
            let name = "x\nFAKE\u{1b}[31m";
            tracing::warn!(variable = name, "unknown {name}");
            tracing::warn!(variable = %name, "display");
        });
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(!text.contains('\u{1b}'));
        let c1 = lines(|| tracing::warn!(variable = "a\u{9b}31mb é", "x"));
        assert!(!c1.contains('\u{9b}'), "{c1}");
        assert!(c1.contains(r"a\u{9b}31mb é"), "{c1}");
        assert!(text.contains(r"x\nFAKE\u{1b}[31m"), "{text}");
    }

    #[test]
    fn timestamps_are_rfc3339_micros() {
        let stamp = || {
            let mut s = String::new();
            UtcMicros.format_time(&mut Writer::new(&mut s)).unwrap();
            s
        };
        let (a, b) = (stamp(), stamp());
        for shown in [&a, &b] {
            assert_eq!(shown.len(), 27, "{shown}");
            assert!(shown.ends_with('Z'));
            assert_eq!(&shown[10..11], "T");
            assert_eq!(&shown[19..20], ".");
            assert!(shown[20..26].bytes().all(|c| c.is_ascii_digit()));
        }
        assert!(a <= b);
    }
}
