//! Scenarios 2, 3, 4, 5, 11: what an import accepts and what it refuses.

use super::{Run, Step, Verdict, random_material, require};
use crate::driver::{Support, missing_key};
use crate::ledger::{Expect, Failure};
use crate::neutral::{Expiry, KeySpec, State, WrapAlg, WrapSpec};
use crate::wrap::wrap;

/// Scenario 2: Every wrapping algorithm × wrapping key spec the dialect offers, for AES-256 and SM4
/// keys, then a round trip; what it does not offer must be refused (or cannot be asked).
pub fn every_wrapping(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    let mut imported = 0;
    for spec in specs {
        for alg in WrapAlg::ALL {
            for wspec in WrapSpec::ALL {
                if !alg.fits(wspec) {
                    continue;
                }
                let step = format!("{spec} key, {alg} with {wspec}");
                if !run.thorough() && matches!(wspec, WrapSpec::Rsa3072 | WrapSpec::Rsa4096) {
                    run.note(format!(
                        "{wspec} wrapping keys: covered by the per-dialect run"
                    ));
                    continue;
                }
                match run.driver.wrapping_support(spec, alg, wspec) {
                    Support::Offered => {
                        let key = run.external_key(spec)?;
                        let material = random_material(spec.material_len());
                        let (params, wrapped) = run
                            .wrapped_with(&key, alg, wspec, &material)
                            .map_err(|e| format!("{step}: {e}"))?;
                        run.ok(
                            &format!("{step}: import"),
                            run.driver
                                .import(&key, &params.token, &wrapped, Expiry::Never),
                        )?;
                        run.expect_state(&step, &key, State::Enabled)?;
                        run.round_trip(&key).map_err(|e| format!("{step}: {e}"))?;
                        imported += 1;
                    }
                    Support::Refused(why) => {
                        let key = run.external_key(spec)?;
                        run.refused(
                            &format!("{step} ({why})"),
                            run.driver.get_parameters(&key, alg, wspec),
                            Failure::WrappingNotOffered,
                        )?;
                        run.note(format!("{step}: refused as not offered ({why})"));
                    }
                    Support::NotExpressible(why) => {
                        run.note(format!("{step}: not expressible ({why})"));
                    }
                }
            }
        }
    }
    if imported == 0 {
        return Err("no wrapping combination is offered at all".into());
    }
    Ok(Verdict::Pass)
}

/// Scenario 3: Material of the wrong length for the key spec is refused and changes nothing.
pub fn wrong_length(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    for spec in specs {
        let key = run.external_key(spec)?;
        let other = KeySpec::ALL
            .iter()
            .map(|s| s.material_len())
            .filter(|l| *l != spec.material_len());
        let lengths: Vec<usize> = [15, 17, 31, 33].into_iter().chain(other).collect();
        let (params, _) = run.wrapped(&key, &[0; 1])?;
        let (alg, _) = run.driver.default_wrapping(spec);
        for len in lengths {
            let wrapped = wrap(&params.public_key_der, alg, &random_material(len))
                .map_err(|e| e.to_string())?;
            run.refused(
                &format!("import {len} bytes into a {spec} key"),
                run.driver
                    .import(&key, &params.token, &wrapped, Expiry::Never),
                Failure::MaterialLength,
            )?;
            run.expect_state("after a refused import", &key, State::PendingImport)?;
        }
        let right = random_material(spec.material_len());
        let wrapped = wrap(&params.public_key_der, alg, &right).map_err(|e| e.to_string())?;
        run.ok(
            "import the right length with the same token",
            run.driver
                .import(&key, &params.token, &wrapped, Expiry::Never),
        )?;
        run.round_trip(&key)?;
    }
    Ok(Verdict::Pass)
}

/// Scenario 4: Re-importing the same material with a new expiry is accepted and the new expiry shows.
pub fn reimport_new_expiry(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    for spec in specs {
        let key = run.external_key(spec)?;
        let material = random_material(spec.material_len());
        let first = run.now()? + 30 * 86_400;
        run.import(&key, &material, Expiry::At(first))?;
        run.expect_expiry("first import", &key, Expiry::At(first))?;
        let ciphertext = run.encrypt(&key, b"before")?;

        let second = run.now()? + 60 * 86_400;
        let (params, wrapped) = run.wrapped(&key, &material)?;
        let reimport = run
            .driver
            .import(&key, &params.token, &wrapped, Expiry::At(second));
        if run
            .refused(
                "re-import into the Enabled key",
                reimport,
                Failure::ImportEnabled,
            )?
            .is_some()
        {
            run.expect_expiry("re-imported", &key, Expiry::At(second))?;
            run.expect_state("re-imported", &key, State::Enabled)?;
            run.import(&key, &material, Expiry::Never)?;
            run.expect_expiry("re-imported to never expire", &key, Expiry::Never)?;
        } else {
            run.expect_expiry("refused re-import", &key, Expiry::At(first))?;
            run.note(
                "re-import into an Enabled key is refused; re-imported after deleting the material",
            );
        }
        // The other way to a new expiry, open to every dialect.
        run.ok("delete imported material", run.driver.delete_material(&key))?;
        let third = run.now()? + 90 * 86_400;
        run.import(&key, &material, Expiry::At(third))?;
        run.expect_expiry("imported again after delete", &key, Expiry::At(third))?;
        run.decrypts_to("old ciphertext", &key, &ciphertext, b"before")?;
    }
    Ok(Verdict::Pass)
}

/// Importing into an Enabled key: the material check, unless the dialect refuses the state.
fn into_enabled(run: &Run<'_>, failure: Failure) -> Failure {
    match run.expect(Failure::ImportEnabled) {
        Expect::Code { .. } => Failure::ImportEnabled,
        Expect::Accepted | Expect::NotExpressible(_) => failure,
    }
}

/// Scenario 5: Different material is refused after a successful import, after its deletion, after
/// its expiry.
pub fn different_material(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    for spec in specs {
        let material = random_material(spec.material_len());
        let other = random_material(spec.material_len());
        let key = run.external_key(spec)?;
        let expires = run.now()? + 3600;
        run.import(&key, &material, Expiry::At(expires))?;
        let ciphertext = run.encrypt(&key, b"original")?;

        let (params, wrapped) = run.wrapped(&key, &other)?;
        run.refused(
            "different material into the Enabled key",
            run.driver
                .import(&key, &params.token, &wrapped, Expiry::Never),
            into_enabled(run, Failure::MaterialMismatch),
        )?;
        run.expect_expiry("unchanged", &key, Expiry::At(expires))?;

        run.ok("delete imported material", run.driver.delete_material(&key))?;
        run.refused(
            "different material after delete",
            run.driver
                .import(&key, &params.token, &wrapped, Expiry::Never),
            Failure::MaterialMismatch,
        )?;
        run.expect_state("after a refused import", &key, State::PendingImport)?;

        run.import(&key, &material, Expiry::At(run.now()? + 3600))?;
        run.advance(3601)?;
        run.expect_state("material expired", &key, State::PendingImport)?;
        let (params, wrapped) = run.wrapped(&key, &other)?;
        run.refused(
            "different material after expiry",
            run.driver
                .import(&key, &params.token, &wrapped, Expiry::Never),
            Failure::MaterialMismatch,
        )?;
        run.expect_state("after a refused import", &key, State::PendingImport)?;
        run.import(&key, &material, Expiry::Never)?;
        run.decrypts_to(
            "the original material is back",
            &key,
            &ciphertext,
            b"original",
        )?;
    }
    Ok(Verdict::Pass)
}

/// Scenario 11: Import into a key with generated material, a Disabled key, a key pending deletion, a
/// missing key: each dialect's own answer.
pub fn refusals(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    for spec in specs {
        let material = random_material(spec.material_len());
        // A token and wrapped material that are valid for some external key.
        let donor = run.external_key(spec)?;
        let (donor_params, donor_wrapped) = run.wrapped(&donor, &material)?;
        let (alg, wspec) = run.driver.default_wrapping(spec);

        let generated = run.ok(
            "create a key with generated material",
            run.driver.create_key(spec, false),
        )?;
        run.refused(
            "import parameters for a generated key",
            run.driver.get_parameters(&generated, alg, wspec),
            Failure::NotExternal,
        )?;
        run.refused(
            "import into a generated key",
            run.driver.import(
                &generated,
                &donor_params.token,
                &donor_wrapped,
                Expiry::Never,
            ),
            Failure::NotExternal,
        )?;
        run.expect_state("generated key", &generated, State::Enabled)?;

        let disabled = run.external_key(spec)?;
        run.import(&disabled, &material, Expiry::Never)?;
        let (params, wrapped) = run.wrapped(&disabled, &material)?;
        run.ok("disable", run.driver.disable(&disabled))?;
        run.refused(
            "re-import into a Disabled key",
            run.driver
                .import(&disabled, &params.token, &wrapped, Expiry::Never),
            Failure::ImportDisabled,
        )?;
        run.expect_state("still Disabled", &disabled, State::Disabled)?;

        let doomed = run.external_key(spec)?;
        let (params, wrapped) = run.wrapped(&doomed, &material)?;
        let scheduled = run.refused(
            "schedule deletion of a PendingImport key",
            run.driver.schedule_deletion(&doomed, 7),
            Failure::SchedulePendingImport,
        )?;
        if scheduled.is_some() {
            run.refused(
                "import into a PendingDeletion key",
                run.driver
                    .import(&doomed, &params.token, &wrapped, Expiry::Never),
                Failure::ImportPendingDeletion,
            )?;
            run.refused(
                "import parameters for a PendingDeletion key",
                run.driver.get_parameters(&doomed, alg, wspec),
                Failure::ParamsPendingDeletion,
            )?;
            run.expect_state("still PendingDeletion", &doomed, State::PendingDeletion)?;
        }

        let missing = missing_key(spec);
        run.refused(
            "import parameters for a missing key",
            run.driver.get_parameters(&missing, alg, wspec),
            Failure::KeyNotFound,
        )?;
        run.refused(
            "import into a missing key",
            run.driver
                .import(&missing, &donor_params.token, &donor_wrapped, Expiry::Never),
            Failure::KeyNotFound,
        )?;
        run.refused(
            "describe a missing key",
            run.driver.describe(&missing),
            Failure::KeyNotFound,
        )?;
    }
    Ok(Verdict::Pass)
}
