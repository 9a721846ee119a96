//! Scenario 15: a restart of a durable server between steps.

use super::{Run, Step, Verdict, random_material, require};
use crate::neutral::{Expiry, State};

/// Scenario 15: Keys, states, expiries, ciphertexts and outstanding import tokens survive a restart.
pub fn restart(run: &mut Run<'_>) -> Step<Verdict> {
    if !run.durable() {
        return Ok(Verdict::NotOffered("the store is not durable".into()));
    }
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    let mut checks = Vec::new();
    for spec in specs {
        let material = random_material(spec.material_len());
        let expiring = run.external_key(spec)?;
        run.import(&expiring, &material, Expiry::At(run.now()? + 30 * 86_400))?;
        let ciphertext = run.encrypt(&expiring, b"durable")?;
        let disabled = run.imported_key(spec, &material)?;
        run.ok("disable", run.driver.disable(&disabled))?;
        let waiting = run.external_key(spec)?;
        let (params, wrapped) = run.wrapped(&waiting, &material)?;
        checks.push((expiring, ciphertext, disabled, waiting, params, wrapped));
    }
    run.advance(3600)?;
    let keys: Vec<_> = checks
        .iter()
        .flat_map(|c| [c.0.clone(), c.2.clone(), c.3.clone()])
        .collect();
    let before: Vec<_> = keys
        .iter()
        .map(|k| run.ok("describe", run.driver.describe(k)))
        .collect::<Result<_, _>>()?;
    let listed_before = run.ok("list keys", run.driver.list_key_ids())?;
    let now_before = run.now()?;

    run.restart()?;

    let after: Vec<_> = keys
        .iter()
        .map(|k| run.ok("describe after restart", run.driver.describe(k)))
        .collect::<Result<_, _>>()?;
    if before != after {
        return Err(format!("descriptions changed: {before:?} -> {after:?}"));
    }
    let mut listed_after = run.ok("list keys", run.driver.list_key_ids())?;
    let mut listed_before = listed_before;
    listed_before.sort();
    listed_after.sort();
    if listed_before != listed_after {
        return Err("the key list changed across the restart".into());
    }
    if run.now()? < now_before {
        return Err("the emulated clock went back across the restart".into());
    }
    for (expiring, ciphertext, disabled, waiting, params, wrapped) in &checks {
        run.decrypts_to("old ciphertext", expiring, ciphertext, b"durable")?;
        run.expect_state("disabled key", disabled, State::Disabled)?;
        run.ok(
            "import with a token from before the restart",
            run.driver
                .import(waiting, &params.token, wrapped, Expiry::Never),
        )?;
        run.round_trip(waiting)?;
    }
    Ok(Verdict::Pass)
}
