//! Scenarios 8, 9, 10: material that goes away and comes back, and material shared by keys.

use super::{Run, Step, Verdict, corrupt, random_material, require};
use crate::ledger::{Expect, Failure};
use crate::neutral::{Expiry, State};

/// Scenario 8: Past its expiry the key is PendingImport: no encrypt, old ciphertexts wait until the
/// same material is imported again.
pub fn expiry(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    for spec in specs {
        let material = random_material(spec.material_len());
        let key = run.external_key(spec)?;
        let at = run.now()? + 3600;
        run.import(&key, &material, Expiry::At(at))?;
        run.expect_expiry("imported", &key, Expiry::At(at))?;
        let ciphertext = run.encrypt(&key, b"expiring")?;
        run.advance(3601)?;
        run.expect_state("past the expiry", &key, State::PendingImport)?;
        run.refused(
            "encrypt",
            run.driver.encrypt(&key, b"x"),
            Failure::CryptoPendingImport,
        )?;
        run.refused(
            "decrypt an old ciphertext",
            run.driver.decrypt(spec, &ciphertext, None),
            Failure::CryptoPendingImport,
        )?;
        run.import(&key, &material, Expiry::Never)?;
        run.expect_state("re-imported", &key, State::Enabled)?;
        run.decrypts_to(
            "old ciphertext after re-import",
            &key,
            &ciphertext,
            b"expiring",
        )?;
    }
    Ok(Verdict::Pass)
}

/// Scenario 9: Deleting imported material makes the key PendingImport; importing the same material
/// makes it Enabled and its old ciphertexts decrypt again.
pub fn delete_and_reimport(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    for spec in specs {
        let material = random_material(spec.material_len());
        let key = run.imported_key(spec, &material)?;
        let ciphertext = run.encrypt(&key, b"deleted")?;
        run.ok("delete imported material", run.driver.delete_material(&key))?;
        let view = run.ok("describe", run.driver.describe(&key))?;
        if view.state != State::PendingImport || view.expiry.is_some() {
            return Err(format!("after delete: {view:?}"));
        }
        run.refused(
            "decrypt without material",
            run.driver.decrypt(spec, &ciphertext, None),
            Failure::CryptoPendingImport,
        )?;
        run.import(&key, &material, Expiry::Never)?;
        run.expect_state("re-imported", &key, State::Enabled)?;
        run.decrypts_to("old ciphertext", &key, &ciphertext, b"deleted")?;
    }
    Ok(Verdict::Pass)
}

/// Scenario 10: The same material in two keys: one key's ciphertext is not decryptable by the other.
pub fn two_keys(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    for spec in specs {
        let material = random_material(spec.material_len());
        let a = run.imported_key(spec, &material)?;
        let b = run.imported_key(spec, &material)?;
        let ca = run.encrypt(&a, b"from a")?;
        let cb = run.encrypt(&b, b"from b")?;
        if ca == cb {
            return Err("two encryptions gave the same ciphertext".into());
        }
        match run.expect(Failure::CiphertextOtherKey) {
            Expect::NotExpressible(why) => run.note(format!("decrypt naming the other key: {why}")),
            _ => {
                run.refused(
                    "decrypt A's ciphertext naming key B",
                    run.driver.decrypt(spec, &ca, Some(&b)),
                    Failure::CiphertextOtherKey,
                )?;
            }
        }
        // A ciphertext re-labelled with B's id (where the id is visible in it) must fail
        // authentication, although B holds the same material.
        let a_id = uuid::Uuid::parse_str(&a.id).map(|u| *u.as_bytes());
        let b_id = uuid::Uuid::parse_str(&b.id).map(|u| *u.as_bytes());
        match (a_id, b_id) {
            (Ok(a_id), Ok(b_id)) if ca.windows(16).any(|w| w == a_id) => {
                let at = ca.windows(16).position(|w| w == a_id).unwrap_or(0);
                let mut relabelled = ca.clone();
                relabelled[at..at + 16].copy_from_slice(&b_id);
                run.refused(
                    "A's ciphertext re-labelled as B's",
                    run.driver.decrypt(spec, &relabelled, None),
                    Failure::CiphertextCorrupt,
                )?;
            }
            _ => run.note("the key id is not visible in the ciphertext: no re-labelling"),
        }
        run.refused(
            "an altered ciphertext",
            run.driver.decrypt(spec, &corrupt(&ca), None),
            Failure::CiphertextCorrupt,
        )?;
        run.ok("disable A", run.driver.disable(&a))?;
        run.refused(
            "A's ciphertext while A is disabled and B is enabled",
            run.driver.decrypt(spec, &ca, None),
            Failure::CryptoDisabled,
        )?;
        run.decrypts_to("B's own ciphertext", &b, &cb, b"from b")?;
        run.ok("enable A", run.driver.enable(&a))?;
        run.decrypts_to("A's ciphertext", &a, &ca, b"from a")?;
    }
    Ok(Verdict::Pass)
}
