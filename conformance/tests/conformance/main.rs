//! The conformance run: every scenario against every dialect, each on its own fresh server
//! and store (`<scenario>::<dialect>`), then all of them again with the three dialects served
//! by one server over one shared store (`shared_store::<scenario>::<dialect>`, one at a time),
//! plus a cross-dialect isolation check. Ends with the scenario × dialect matrix.
//!
//! `cargo test -p conformance --test conformance` runs it; trial filters work as usual
//! (`-- s08` runs scenario 8 only, `-- aws` only the AWS trials).

mod isolation;
mod servers;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};

use conformance::http;
use conformance::matrix::{self, Cell};
use conformance::neutral::Dialect;
use conformance::scenarios::{self, Run, Scenario, Verdict};

use servers::{Instance, Isolated, Shared, kind};

type Cells = BTreeMap<(String, Dialect), Cell>;

#[derive(Default)]
struct Results {
    isolated: Cells,
    shared: Cells,
    notes: Vec<String>,
}

type Collected = Arc<Mutex<Results>>;

/// Dialects the server build actually speaks: a dialect still being written answers 501.
fn available() -> BTreeMap<Dialect, bool> {
    let instance = Instance::start(&kmsgate_server::DialectKind::ALL);
    Dialect::ALL
        .iter()
        .map(|d| {
            let up = instance
                .as_ref()
                .ok()
                .and_then(|i| i.endpoint(kind(*d)))
                .and_then(|e| http::send(&e, "POST", "/", &[], b"{}").ok())
                .is_some_and(|r| r.status != 501);
            (*d, up)
        })
        .collect()
}

fn record(results: &Collected, shared: bool, id: &str, d: Dialect, cell: Cell, notes: &[String]) {
    let mut r = results.lock().unwrap_or_else(|p| p.into_inner());
    let table = if shared {
        &mut r.shared
    } else {
        &mut r.isolated
    };
    table.insert((id.to_owned(), d), cell);
    let mode = if shared { "shared_store::" } else { "" };
    for n in notes {
        r.notes.push(format!("{mode}{id}::{d}: {n}"));
    }
}

fn run_scenario(
    scenario: &Scenario,
    d: Dialect,
    server: &mut dyn scenarios::Server,
) -> (Result<Verdict, String>, Vec<String>) {
    let mut run = Run::new(d, server);
    let verdict = (scenario.run)(&mut run);
    (verdict, run.notes().to_vec())
}

fn conclude(
    results: &Collected,
    shared: bool,
    scenario: &Scenario,
    d: Dialect,
    outcome: (Result<Verdict, String>, Vec<String>),
) -> Result<(), Failed> {
    let (verdict, notes) = outcome;
    match verdict {
        Ok(Verdict::Pass) => {
            record(results, shared, scenario.id, d, Cell::Pass, &notes);
            Ok(())
        }
        Ok(Verdict::NotOffered(why)) => {
            record(
                results,
                shared,
                scenario.id,
                d,
                Cell::NotOffered,
                &[format!("not offered: {why}")],
            );
            Ok(())
        }
        Err(e) => {
            record(results, shared, scenario.id, d, Cell::Fail, &[]);
            Err(format!("{} on {d}: {e}", scenario.title).into())
        }
    }
}

/// The one shared server, started by the first shared trial; shared trials take turns.
fn shared_server() -> &'static Mutex<Option<Result<Shared, String>>> {
    static SERVER: OnceLock<Mutex<Option<Result<Shared, String>>>> = OnceLock::new();
    SERVER.get_or_init(|| Mutex::new(None))
}

fn with_shared<T>(f: impl FnOnce(&mut Shared) -> T) -> Result<T, Failed> {
    let mut slot = shared_server().lock().unwrap_or_else(|p| p.into_inner());
    let server = slot.get_or_insert_with(Shared::start);
    match server {
        Ok(s) => Ok(f(s)),
        Err(e) => Err(format!("the shared server did not start: {e}").into()),
    }
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let available = available();
    let results: Collected = Arc::default();
    let mut trials = Vec::new();

    for scenario in scenarios::ALL {
        for d in Dialect::ALL {
            let results = Arc::clone(&results);
            let name = format!("{}::{d}", scenario.id);
            let trial = Trial::test(name, move || {
                let mut server = Isolated::start(d).map_err(|e| format!("server: {e}"))?;
                let outcome = run_scenario(scenario, d, &mut server);
                conclude(&results, false, scenario, d, outcome)
            });
            trials.push(trial.with_ignored_flag(!available[&d]));
        }
    }
    for scenario in scenarios::ALL {
        for d in Dialect::ALL {
            let results = Arc::clone(&results);
            let name = format!("shared_store::{}::{d}", scenario.id);
            let trial = Trial::test(name, move || {
                let outcome = with_shared(|s| run_scenario(scenario, d, s))?;
                conclude(&results, true, scenario, d, outcome)
            });
            trials.push(trial.with_ignored_flag(!available[&d]));
        }
    }
    {
        let results = Arc::clone(&results);
        let dialects: Vec<Dialect> = Dialect::ALL.into_iter().filter(|d| available[d]).collect();
        let available = available.clone();
        trials.push(Trial::test("shared_store::isolation", move || {
            let outcome = with_shared(|s| isolation::check(s, &dialects))?;
            for d in Dialect::ALL {
                let cell = match (&outcome, available[&d]) {
                    (_, false) => Cell::Unavailable,
                    (Ok(()), true) => Cell::Pass,
                    (Err(_), true) => Cell::Fail,
                };
                record(&results, true, isolation::ID, d, cell, &[]);
            }
            outcome.map_err(Failed::from)
        }));
    }

    let conclusion = libtest_mimic::run(&args, trials);
    // Stop the shared server (graceful, flushing) before the summary.
    drop(shared_server().lock().map(|mut s| s.take()));

    let mut r = results.lock().unwrap_or_else(|p| p.into_inner());
    for (d, up) in &available {
        if !up {
            for s in scenarios::ALL {
                r.isolated.insert((s.id.to_owned(), *d), Cell::Unavailable);
                r.shared.insert((s.id.to_owned(), *d), Cell::Unavailable);
            }
        }
    }
    let rows: Vec<&str> = scenarios::ALL.iter().map(|s| s.id).collect();
    let mut shared_rows = rows.clone();
    shared_rows.push(isolation::ID);
    println!("\nConformance matrix: each dialect on its own server and store\n");
    println!("{}", matrix::markdown("scenario", &rows, &r.isolated));
    println!("Conformance matrix: all dialects on one server over one shared store\n");
    println!("{}", matrix::markdown("scenario", &shared_rows, &r.shared));
    if !available.values().all(|up| *up) {
        println!(
            "unavailable: the server build answers 501 for that dialect (not implemented yet)\n"
        );
    }
    if !r.notes.is_empty() {
        r.notes.sort();
        println!("Notes:");
        for n in &r.notes {
            println!("- {n}");
        }
        println!();
    }
    conclusion.exit_code()
}
