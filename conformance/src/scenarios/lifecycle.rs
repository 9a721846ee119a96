//! Scenarios 1, 12, 13: states of external keys without and around their material.

use super::{Run, Step, Verdict, random_material, require};
use crate::ledger::Failure;
use crate::neutral::{Expiry, State};

/// Scenario 1: An external key starts PendingImport; crypto is refused until an import.
pub fn pending_import(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    for spec in specs {
        let key = run.external_key(spec)?;
        let view = run.ok("describe", run.driver.describe(&key))?;
        if view.state != State::PendingImport || !view.external || view.expiry.is_some() {
            return Err(format!("a new external {spec} key describes as {view:?}"));
        }
        run.refused(
            "encrypt",
            run.driver.encrypt(&key, b"x"),
            Failure::CryptoPendingImport,
        )?;
        run.refused(
            "generate data key",
            run.driver.generate_data_key(&key),
            Failure::CryptoPendingImport,
        )?;
        run.import(&key, &random_material(spec.material_len()), Expiry::Never)?;
        run.expect_state("after import", &key, State::Enabled)?;
        run.round_trip(&key)?;
    }
    Ok(Verdict::Pass)
}

/// Scenario 12: Scheduling then cancelling deletion returns an external key to PendingImport when it
/// has no material, to Disabled when it has.
pub fn schedule_cancel(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    for spec in specs {
        let empty = run.external_key(spec)?;
        if run
            .refused(
                "schedule deletion of a PendingImport key",
                run.driver.schedule_deletion(&empty, 7),
                Failure::SchedulePendingImport,
            )?
            .is_some()
        {
            run.expect_state("scheduled", &empty, State::PendingDeletion)?;
            run.refused(
                "encrypt",
                run.driver.encrypt(&empty, b"x"),
                Failure::CryptoPendingDeletion,
            )?;
            run.ok("cancel deletion", run.driver.cancel_deletion(&empty))?;
            run.expect_state("cancelled without material", &empty, State::PendingImport)?;
        }

        let material = random_material(spec.material_len());
        let full = run.imported_key(spec, &material)?;
        let ciphertext = run.encrypt(&full, b"kept")?;
        if run
            .refused(
                "schedule deletion of an Enabled key",
                run.driver.schedule_deletion(&full, 7),
                Failure::ScheduleEnabled,
            )?
            .is_none()
        {
            run.expect_state("refused scheduling", &full, State::Enabled)?;
            run.ok("disable", run.driver.disable(&full))?;
            run.ok("schedule deletion", run.driver.schedule_deletion(&full, 7))?;
        }
        run.expect_state("scheduled", &full, State::PendingDeletion)?;
        run.refused(
            "decrypt with a PendingDeletion key",
            run.driver.decrypt(spec, &ciphertext, None),
            Failure::CryptoPendingDeletion,
        )?;
        run.ok("cancel deletion", run.driver.cancel_deletion(&full))?;
        run.expect_state("cancelled with material", &full, State::Disabled)?;
        run.refused(
            "encrypt while Disabled",
            run.driver.encrypt(&full, b"x"),
            Failure::CryptoDisabled,
        )?;
        run.ok("enable", run.driver.enable(&full))?;
        run.decrypts_to("decrypt after cancel", &full, &ciphertext, b"kept")?;
    }
    Ok(Verdict::Pass)
}

/// Scenario 13: Material imported to never expire survives clock jumps of years.
pub fn never_expires(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    let mut keys = Vec::new();
    for spec in specs {
        let key = run.imported_key(spec, &random_material(spec.material_len()))?;
        run.expect_expiry("imported to never expire", &key, Expiry::Never)?;
        let ciphertext = run.encrypt(&key, b"forever")?;
        keys.push((key, ciphertext));
    }
    for years in [1u64, 10, 50] {
        run.advance(years * 366 * 86_400)?;
        for (key, ciphertext) in &keys {
            run.expect_state(&format!("after {years} more years"), key, State::Enabled)?;
            run.expect_expiry("still never expires", key, Expiry::Never)?;
            run.decrypts_to("decrypt", key, ciphertext, b"forever")?;
        }
    }
    for (key, _) in &keys {
        run.round_trip(key)?;
    }
    Ok(Verdict::Pass)
}
