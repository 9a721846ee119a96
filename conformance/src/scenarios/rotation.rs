//! Scenario 18 (#17): rotation of a key with imported material. Where the cloud rotates
//! imported material (AWS), new material waits pending rotation (one at a time), a rotation
//! makes it current, ciphertexts of both materials keep decrypting, and deleting the current
//! material makes the key PendingImport until it is imported again. Where the cloud refuses to
//! rotate imported keys (Tencent, Huawei), the refusal is the ledger's.

use super::{Run, Step, Verdict, random_material, require};
use crate::driver::Support;
use crate::ledger::Failure;
use crate::neutral::{Expiry, State};

pub fn imported_rotation(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    for spec in specs {
        let first = random_material(spec.material_len());
        let key = run.imported_key(spec, &first)?;
        match run.driver.imported_rotation_support() {
            Support::Offered => {}
            Support::Refused(why) => {
                run.refused(
                    "rotate a key with imported material",
                    run.driver.rotate(&key),
                    Failure::ImportedKeyRotation,
                )?;
                run.note(format!("rotation of imported keys refused: {why}"));
                continue;
            }
            Support::NotExpressible(why) => return Ok(Verdict::NotOffered(why.to_owned())),
        }
        let before = run.encrypt(&key, b"first material")?;
        let second = random_material(spec.material_len());
        let (params, wrapped) = run.wrapped(&key, &second)?;
        run.ok(
            "import new material",
            run.driver
                .import_new_material(&key, &params.token, &wrapped),
        )?;
        let (params, wrapped) = run.wrapped(&key, &random_material(spec.material_len()))?;
        run.refused(
            "import a second new material",
            run.driver
                .import_new_material(&key, &params.token, &wrapped),
            Failure::SecondPendingMaterial,
        )?;
        // New material waits: the key still encrypts with the first.
        run.ok("rotate", run.driver.rotate(&key))?;
        let after = run.encrypt(&key, b"second material")?;
        run.decrypts_to(
            "ciphertext of the first material",
            &key,
            &before,
            b"first material",
        )?;
        run.decrypts_to(
            "ciphertext of the second material",
            &key,
            &after,
            b"second material",
        )?;

        run.ok(
            "delete the current material",
            run.driver.delete_material(&key),
        )?;
        run.expect_state("current material deleted", &key, State::PendingImport)?;
        run.refused(
            "decrypt while a material is missing",
            run.driver.decrypt(spec, &before, None),
            Failure::CryptoPendingImport,
        )?;
        run.import(&key, &second, Expiry::Never)?;
        run.expect_state("material imported again", &key, State::Enabled)?;
        run.decrypts_to(
            "first material's ciphertext again",
            &key,
            &before,
            b"first material",
        )?;
        run.decrypts_to(
            "second material's ciphertext again",
            &key,
            &after,
            b"second material",
        )?;
    }
    if run.notes().is_empty() {
        Ok(Verdict::Pass)
    } else {
        Ok(Verdict::NotOffered(run.notes().join("; ")))
    }
}
