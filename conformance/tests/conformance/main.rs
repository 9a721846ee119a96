//! The conformance run: every scenario against every dialect, each on its own fresh server
//! and store (trial `<scenario>::<dialect>`), and all of them again with the three dialects
//! served by one server over one shared store, one at a time, plus a cross-dialect isolation
//! check (trial `shared_store`), and that shared pass once more with the server over a
//! throwaway PostgreSQL database (trial `postgres_store`; skipped, loudly, on a machine
//! without PostgreSQL unless `CI=true`). Ends with the scenario × dialect matrices and the
//! ledger.
//!
//! `cargo test -p conformance --test conformance` runs it; trial filters work as usual
//! (`-- s08` runs scenario 8 only, `-- aws` only the AWS trials).

mod isolation;
mod servers;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Failed, Trial};

use conformance::http;
use conformance::matrix::{self, Cell};
use conformance::neutral::Dialect;
use conformance::scenarios::{self, Run, Scenario, Verdict};

use servers::{Instance, Isolated, Shared, Store, kind};

type Cells = BTreeMap<(String, Dialect), Cell>;

#[derive(Default)]
struct Results {
    isolated: Cells,
    shared: Cells,
    postgres: Cells,
    notes: Vec<String>,
}

type Collected = Arc<Mutex<Results>>;

/// Whether each dialect answers on a server of this build (a start failure or a 501 would
/// leave its scenarios untested; `main` then fails the run).
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

/// Which pass a result belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    Isolated,
    Shared,
    Postgres,
}

fn record(results: &Collected, pass: Pass, id: &str, d: Dialect, cell: Cell, notes: &[String]) {
    let mut r = results.lock().unwrap_or_else(|p| p.into_inner());
    let table = match pass {
        Pass::Isolated => &mut r.isolated,
        Pass::Shared => &mut r.shared,
        Pass::Postgres => &mut r.postgres,
    };
    table.insert((id.to_owned(), d), cell);
    let mode = match pass {
        Pass::Isolated => "",
        Pass::Shared => "shared_store::",
        Pass::Postgres => "postgres_store::",
    };
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
    shared: Pass,
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

/// Every scenario for every dialect again, one after the other (they share one clock and
/// restart one server), all dialects served by one server over one store; then the
/// cross-dialect isolation check. One trial: its failure lists each failing
/// `scenario::dialect`, and the matrix shows every cell.
fn shared_pass(
    results: &Collected,
    available: &BTreeMap<Dialect, bool>,
    pass: Pass,
    store: Store,
) -> Result<(), Failed> {
    let mut server =
        Shared::start(store).map_err(|e| format!("the shared server did not start: {e}"))?;
    let mut failures = Vec::new();
    let near = scenarios::ALL.iter().filter(|s| !s.far_future);
    let far = scenarios::ALL.iter().filter(|s| s.far_future);
    for scenario in near.chain(far) {
        for d in Dialect::ALL.into_iter().filter(|d| available[d]) {
            let outcome = run_scenario(scenario, d, &mut server);
            if let Err(e) = conclude(results, pass, scenario, d, outcome) {
                failures.push(format!(
                    "{}::{d}: {}",
                    scenario.id,
                    e.message().unwrap_or("")
                ));
            }
        }
    }
    let dialects: Vec<Dialect> = Dialect::ALL.into_iter().filter(|d| available[d]).collect();
    let isolated = isolation::check(&mut server, &dialects);
    for d in dialects {
        let cell = if isolated.is_ok() {
            Cell::Pass
        } else {
            Cell::Fail
        };
        record(results, pass, isolation::ID, d, cell, &[]);
    }
    if let Err(e) = isolated {
        failures.push(format!("{}: {e}", isolation::ID));
    }
    drop(server);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let available = available();
    let results: Collected = Arc::default();
    let mut trials = Vec::new();

    // First, so that it runs beside the per-dialect trials rather than after them.
    {
        let results = Arc::clone(&results);
        let available = available.clone();
        trials.push(Trial::test("shared_store", move || {
            shared_pass(&results, &available, Pass::Shared, Store::Redb)
        }));
    }
    {
        let results = Arc::clone(&results);
        let available = available.clone();
        trials.push(Trial::test("postgres_store", move || {
            // None: no PostgreSQL on this machine, said loudly (and a panic under CI=true).
            let Some(pg) = kmsgate_server::TestPostgres::start() else {
                return Ok(());
            };
            shared_pass(
                &results,
                &available,
                Pass::Postgres,
                Store::Postgres(pg.create_database()),
            )
        }));
    }
    for scenario in scenarios::ALL {
        for d in Dialect::ALL {
            let results = Arc::clone(&results);
            let name = format!("{}::{d}", scenario.id);
            let trial = Trial::test(name, move || {
                let mut server = Isolated::start(d).map_err(|e| format!("server: {e}"))?;
                let outcome = run_scenario(scenario, d, &mut server);
                conclude(&results, Pass::Isolated, scenario, d, outcome)
            });
            trials.push(trial.with_ignored_flag(!available[&d]));
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);

    let mut r = results.lock().unwrap_or_else(|p| p.into_inner());
    for (d, up) in &available {
        if !up {
            for id in scenarios::ALL.iter().map(|s| s.id).chain([isolation::ID]) {
                r.isolated.insert((id.to_owned(), *d), Cell::Unavailable);
                r.shared.insert((id.to_owned(), *d), Cell::Unavailable);
                r.postgres.insert((id.to_owned(), *d), Cell::Unavailable);
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
    if !r.postgres.is_empty() {
        println!("Conformance matrix: all dialects on one server over PostgreSQL\n");
        println!(
            "{}",
            matrix::markdown("scenario", &shared_rows, &r.postgres)
        );
    }
    println!("Code ledger: what each dialect answers to each provoked failure\n");
    println!("{}", conformance::ledger::markdown());
    let down: Vec<String> = available
        .iter()
        .filter(|(_, up)| !**up)
        .map(|(d, _)| d.to_string())
        .collect();
    if !r.notes.is_empty() {
        r.notes.sort();
        println!("Notes:");
        for n in &r.notes {
            println!("- {n}");
        }
        println!();
    }
    // Every dialect is built: one that did not answer (its server did not start, or it
    // answered 501) would leave its scenarios untested, so the run fails, loudly.
    if !down.is_empty() {
        eprintln!(
            "conformance: unavailable: {} (the server did not start or answered 501); their scenarios did not run",
            down.join(", ")
        );
        return ExitCode::FAILURE;
    }
    conclusion.exit_code()
}
