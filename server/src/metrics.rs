//! Prometheus metrics, served at `GET /metrics` on every listener in the text exposition
//! format. Request counters and latencies are recorded as requests finish; the engine's
//! gauges (keys by state, ready wrapping key pairs, the clock offset) are read when scraped.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::dialect::DialectKind;

/// Latency buckets in seconds: the emulator answers most calls in well under a millisecond,
/// RSA unwrapping in a few, key pair generation (an empty pool) in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The label for a request without an error code.
pub(crate) const OK: &str = "OK";
/// The operation label when a request never reached a dialect's routing.
pub(crate) const UNROUTED: &str = "-";

/// Every metric of the process (one registry, shared by all listeners).
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    keys: IntGaugeVec,
    /// No labels: a vector only so that it can be absent while the store cannot be read.
    unreadable_keys: IntGaugeVec,
    pairs_ready: IntGaugeVec,
    pairs_inline: IntGaugeVec,
    sweeps: IntGaugeVec,
    clock_offset: Gauge,
    /// One scrape at a time sets the engine's gauges and reads them back: the listeners share
    /// these gauges, and a scrape resetting them while another reads showed keys missing.
    rendering: Mutex<()>,
}

/// What the engine says at scrape time.
#[derive(Debug, Default)]
pub(crate) struct EngineReading {
    /// (state name, keys in it).
    pub keys_by_state: Vec<(String, u64)>,
    /// Records that could not be read when counting.
    pub unreadable_keys: u64,
    /// (spec name, pairs ready now, pairs generated inline since start).
    pub pairs: Vec<(&'static str, u64, u64)>,
    /// Sweeper passes, and records they changed (material erased, keys purged), since start.
    pub sweeper_runs: u64,
    pub records_aged: u64,
    pub clock_offset: Duration,
}

/// A metric whose definition is wrong: a programming error caught by the tests, never by a
/// user.
#[derive(Debug, thiserror::Error)]
#[error("metrics: {0}")]
pub(crate) struct MetricsError(#[from] prometheus::Error);

impl Metrics {
    pub(crate) fn new() -> Result<Metrics, MetricsError> {
        let registry = Registry::new_custom(Some("kmsgate".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "requests_total",
                "Requests answered, by dialect, operation and outcome (the wire error code, or OK)",
            ),
            &["dialect", "operation", "code"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "request_duration_seconds",
                "Time from a request's arrival to its answer, by dialect and operation",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["dialect", "operation"],
        )?;
        let keys = IntGaugeVec::new(Opts::new("keys", "Keys by state"), &["state"])?;
        let unreadable_keys = IntGaugeVec::new(
            Opts::new(
                "keys_unreadable",
                "Key records that could not be read (wrong root key or corruption)",
            ),
            &[],
        )?;
        let pairs_ready = IntGaugeVec::new(
            Opts::new(
                "wrapping_key_pairs_ready",
                "Wrapping key pairs generated ahead of demand and ready now, by spec",
            ),
            &["spec"],
        )?;
        let pairs_inline = IntGaugeVec::new(
            Opts::new(
                "wrapping_key_pairs_generated_inline",
                "Wrapping key pairs a request had to generate itself because the pool was empty, since start, by spec",
            ),
            &["spec"],
        )?;
        let sweeps = IntGaugeVec::new(
            Opts::new(
                "sweeper",
                "Expiry sweeper since start: passes run, and records aged (material erased or key purged)",
            ),
            &["what"],
        )?;
        let clock_offset = Gauge::new(
            "clock_offset_seconds",
            "How far the emulated clock is ahead of real time",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(keys.clone()))?;
        registry.register(Box::new(unreadable_keys.clone()))?;
        registry.register(Box::new(pairs_ready.clone()))?;
        registry.register(Box::new(pairs_inline.clone()))?;
        registry.register(Box::new(sweeps.clone()))?;
        registry.register(Box::new(clock_offset.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            keys,
            unreadable_keys,
            pairs_ready,
            pairs_inline,
            sweeps,
            clock_offset,
            rendering: Mutex::new(()),
        })
    }

    /// Counts one answered request.
    pub(crate) fn observe(
        &self,
        dialect: DialectKind,
        operation: &str,
        code: &str,
        took: Duration,
    ) {
        self.requests
            .with_label_values(&[dialect.name(), operation, code])
            .inc();
        self.latency
            .with_label_values(&[dialect.name(), operation])
            .observe(took.as_secs_f64());
    }

    /// The exposition text, with the engine's gauges set from `reading`. Without one (the
    /// store could not be read), the gauges counted from the store are left out rather than
    /// shown as they were at the last scrape.
    pub(crate) fn render(&self, reading: Option<&EngineReading>) -> Result<String, MetricsError> {
        // Guards nothing but the order of scrapes; a panicked scrape left no half-done state
        // that the next one does not reset.
        let _one_at_a_time = self
            .rendering
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match reading {
            Some(reading) => self.set_engine(reading),
            None => {
                self.keys.reset();
                self.unreadable_keys.reset();
            }
        }
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        // The encoder writes UTF-8 only; a lossy conversion could change nothing.
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn set_engine(&self, reading: &EngineReading) {
        self.keys.reset();
        for (state, n) in &reading.keys_by_state {
            self.keys
                .with_label_values(&[state.as_str()])
                .set(gauge(*n));
        }
        self.unreadable_keys
            .with_label_values(&[] as &[&str])
            .set(gauge(reading.unreadable_keys));
        for (spec, ready, inline) in &reading.pairs {
            self.pairs_ready
                .with_label_values(&[spec])
                .set(gauge(*ready));
            self.pairs_inline
                .with_label_values(&[spec])
                .set(gauge(*inline));
        }
        self.sweeps
            .with_label_values(&["runs"])
            .set(gauge(reading.sweeper_runs));
        self.sweeps
            .with_label_values(&["records_aged"])
            .set(gauge(reading.records_aged));
        self.clock_offset.set(reading.clock_offset.as_secs_f64());
    }
}

/// Counts as gauge values; beyond `i64::MAX` is out of reach for a local emulator.
fn gauge(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_engine_readings_appear_in_the_text() {
        let m = Metrics::new().unwrap();
        m.observe(DialectKind::Aws, "Encrypt", OK, Duration::from_millis(2));
        m.observe(
            DialectKind::Aws,
            "Encrypt",
            "NotFoundException",
            Duration::from_millis(1),
        );
        let text = m
            .render(Some(&EngineReading {
                keys_by_state: vec![("Enabled".into(), 3), ("PendingImport".into(), 1)],
                pairs: vec![("RSA_2048", 4, 1)],
                sweeper_runs: 7,
                clock_offset: Duration::from_secs(90),
                ..EngineReading::default()
            }))
            .unwrap();
        for line in [
            r#"kmsgate_requests_total{code="OK",dialect="aws",operation="Encrypt"} 1"#,
            r#"kmsgate_requests_total{code="NotFoundException",dialect="aws",operation="Encrypt"} 1"#,
            r#"kmsgate_request_duration_seconds_count{dialect="aws",operation="Encrypt"} 2"#,
            r#"kmsgate_keys{state="Enabled"} 3"#,
            r#"kmsgate_wrapping_key_pairs_ready{spec="RSA_2048"} 4"#,
            r#"kmsgate_wrapping_key_pairs_generated_inline{spec="RSA_2048"} 1"#,
            r#"kmsgate_sweeper{what="runs"} 7"#,
            "kmsgate_clock_offset_seconds 90",
            "kmsgate_keys_unreadable 0",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        // A scrape while the store cannot be read shows no counts from it, rather than the
        // last ones; the request counters stay.
        let text = m.render(None).unwrap();
        assert!(
            !text.contains("kmsgate_keys{") && !text.contains("kmsgate_keys_unreadable "),
            "{text}"
        );
        assert!(text.contains("kmsgate_requests_total{"), "{text}");
    }

    /// The three listeners share one registry: scrapes at once (Prometheus scraping every
    /// port on one tick) each show every key state, never one another's reset.
    #[test]
    fn overlapping_scrapes_each_show_every_key_count() {
        let m = Metrics::new().unwrap();
        let reading = EngineReading {
            keys_by_state: vec![
                ("Enabled".into(), 3),
                ("Disabled".into(), 2),
                ("PendingImport".into(), 1),
            ],
            ..EngineReading::default()
        };
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..200 {
                        let text = m.render(Some(&reading)).unwrap();
                        for line in [
                            r#"kmsgate_keys{state="Enabled"} 3"#,
                            r#"kmsgate_keys{state="Disabled"} 2"#,
                            r#"kmsgate_keys{state="PendingImport"} 1"#,
                        ] {
                            assert!(text.contains(line), "{line} missing from\n{text}");
                        }
                    }
                });
            }
        });
    }
}
