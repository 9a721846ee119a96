//! Scenario 14: imports racing for one PendingImport key.

use std::sync::Barrier;

use super::{Run, Step, Verdict, random_material, require};
use crate::driver::Call;
use crate::ledger::{Expect, Failure};
use crate::neutral::{Expiry, State};
use crate::wrap::wrap;

const RACERS: usize = 32;

/// Scenario 14: 32 concurrent imports of different materials into one PendingImport key: exactly one
/// succeeds, the others get the mismatch (or state) error, and the key holds the winner's.
pub fn concurrent_imports(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    let spec = specs[0];
    let key = run.external_key(spec)?;
    let (params, _) = run.wrapped(&key, &[0; 1])?;
    let (alg, _) = run.driver.default_wrapping(spec);
    let materials: Vec<Vec<u8>> = (0..RACERS)
        .map(|_| random_material(spec.material_len()))
        .collect();
    let mut wrapped = Vec::new();
    for m in &materials {
        wrapped.push(wrap(&params.public_key_der, alg, m).map_err(|e| e.to_string())?);
    }
    let barrier = Barrier::new(RACERS);
    let driver = run.driver.as_ref();
    let results: Vec<Call<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = wrapped
            .iter()
            .map(|w| {
                let (barrier, key, token) = (&barrier, &key, &params.token);
                scope.spawn(move || {
                    barrier.wait();
                    driver.import(key, token, w, Expiry::Never)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(crate::driver::CallError::broken("panicked")))
            })
            .collect()
    });
    let winners: Vec<usize> = (0..RACERS).filter(|i| results[*i].is_ok()).collect();
    let [winner] = winners[..] else {
        return Err(format!(
            "{} of {RACERS} concurrent imports succeeded",
            winners.len()
        ));
    };
    // A loser either saw the winner's material (mismatch) or, where a dialect refuses
    // imports into Enabled keys, the state; where the dialect has a request quota, the
    // requests over it are refused unhandled.
    let mut allowed = vec![Failure::MaterialMismatch];
    for extra in [Failure::ImportEnabled, Failure::Throttled] {
        if let Expect::Code { .. } = run.expect(extra) {
            allowed.push(extra);
        }
    }
    let mut mismatched = 0;
    for (i, result) in results.into_iter().enumerate() {
        if i == winner {
            continue;
        }
        if run
            .refused("a losing import", result.clone(), Failure::MaterialMismatch)
            .is_ok()
        {
            mismatched += 1;
        }
        let ok = allowed
            .iter()
            .any(|f| run.refused("a losing import", result.clone(), *f).is_ok());
        if !ok {
            return Err(format!(
                "losing import {i}: expected {allowed:?}, got {:?}",
                result.err()
            ));
        }
    }
    if mismatched == 0 {
        return Err("no losing import reached the material check: there was no race".into());
    }
    if mismatched + 1 < RACERS {
        run.note(format!(
            "{} of {RACERS} imports were over the request quota; {} raced",
            RACERS - 1 - mismatched,
            mismatched + 1
        ));
    }
    run.expect_state("after the race", &key, State::Enabled)?;
    // A new request-quota window (quotas run on the emulated clock) for the imports below.
    run.advance(60)?;
    let ciphertext = run.encrypt(&key, b"race")?;
    run.ok("delete imported material", run.driver.delete_material(&key))?;
    let loser = (winner + 1) % RACERS;
    let (p, w) = run.wrapped(&key, &materials[loser])?;
    run.refused(
        "a loser's material",
        run.driver.import(&key, &p.token, &w, Expiry::Never),
        Failure::MaterialMismatch,
    )?;
    run.import(&key, &materials[winner], Expiry::Never)?;
    run.decrypts_to("with the winner's material", &key, &ciphertext, b"race")?;
    Ok(Verdict::Pass)
}
