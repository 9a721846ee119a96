//! Scenarios 6 and 7: import tokens, and material wrapped with the wrong key or algorithm.

use super::{Run, Step, Verdict, corrupt, random_material, require};
use crate::ledger::Failure;
use crate::neutral::{Expiry, State, WrapAlg};
use crate::wrap::wrap;

/// Import tokens last 24 hours.
const TOKEN_LIFETIME: u64 = 24 * 3600;

/// Scenario 6: A token for key A used on key B, a token past its validity, a corrupted token: refused.
/// A token issued before a restart of a durable server still works after it.
pub fn tokens(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    let spec = specs[0];
    let material = random_material(spec.material_len());
    let a = run.external_key(spec)?;
    let b = run.external_key(spec)?;
    let (params_a, wrapped_a) = run.wrapped(&a, &material)?;
    let _ = run.wrapped(&b, &material)?;

    run.refused(
        "key A's token used on key B",
        run.driver
            .import(&b, &params_a.token, &wrapped_a, Expiry::Never),
        Failure::TokenForeign,
    )?;
    run.expect_state("B unchanged", &b, State::PendingImport)?;

    run.refused(
        "a corrupted token",
        run.driver
            .import(&a, &corrupt(&params_a.token), &wrapped_a, Expiry::Never),
        Failure::TokenMalformed,
    )?;
    run.refused(
        "a truncated token",
        run.driver.import(
            &a,
            &params_a.token[..params_a.token.len() / 2],
            &wrapped_a,
            Expiry::Never,
        ),
        Failure::TokenMalformed,
    )?;
    run.expect_state("A unchanged", &a, State::PendingImport)?;

    if let Some(valid_to) = params_a.valid_to {
        let now = run.now()?;
        if valid_to < now + TOKEN_LIFETIME - 120 || valid_to > now + TOKEN_LIFETIME + 120 {
            return Err(format!("token valid to {valid_to}, now {now}: not 24 h"));
        }
    }
    run.advance(TOKEN_LIFETIME + 1)?;
    run.refused(
        "a token 24 h + 1 s old",
        run.driver
            .import(&a, &params_a.token, &wrapped_a, Expiry::Never),
        Failure::TokenExpired,
    )?;
    run.expect_state("A unchanged", &a, State::PendingImport)?;

    if run.durable() {
        let c = run.external_key(spec)?;
        let (params_c, wrapped_c) = run.wrapped(&c, &material)?;
        run.restart()?;
        run.ok(
            "a token issued before the restart",
            run.driver
                .import(&c, &params_c.token, &wrapped_c, Expiry::Never),
        )?;
        run.round_trip(&c)?;
    } else {
        run.note("restart part skipped: the store is not durable");
    }
    run.import(&a, &material, Expiry::Never)?;
    run.round_trip(&a)?;
    Ok(Verdict::Pass)
}

/// Scenario 7: Material wrapped with another key's public key, or with another algorithm than the
/// parameters were issued for, is refused and changes nothing.
pub fn wrong_wrapping(run: &mut Run<'_>) -> Step<Verdict> {
    let specs = run.specs();
    if let Some(v) = require(&specs, run) {
        return Ok(v);
    }
    for spec in specs {
        let material = random_material(spec.material_len());
        let key = run.external_key(spec)?;
        let other = run.external_key(spec)?;
        let (params, _) = run.wrapped(&key, &material)?;
        let (other_params, _) = run.wrapped(&other, &material)?;
        let (alg, _) = run.driver.default_wrapping(spec);

        let foreign =
            wrap(&other_params.public_key_der, alg, &material).map_err(|e| e.to_string())?;
        run.refused(
            "material wrapped with another key's public key",
            run.driver
                .import(&key, &params.token, &foreign, Expiry::Never),
            Failure::UnwrapFailed,
        )?;
        run.expect_state("unchanged", &key, State::PendingImport)?;

        let different = match alg {
            WrapAlg::RsaesOaepSha256 => WrapAlg::RsaesOaepSha1,
            WrapAlg::Sm2Pke => return Err("scenario expects an RSA default wrapping".into()),
            _ => WrapAlg::RsaesOaepSha256,
        };
        for wrong in [different, WrapAlg::RsaesPkcs1V15] {
            let wrapped =
                wrap(&params.public_key_der, wrong, &material).map_err(|e| e.to_string())?;
            run.refused(
                &format!("material wrapped with {wrong} for {alg} parameters"),
                run.driver
                    .import(&key, &params.token, &wrapped, Expiry::Never),
                Failure::UnwrapFailed,
            )?;
            run.expect_state("unchanged", &key, State::PendingImport)?;
        }
        let right = wrap(&params.public_key_der, alg, &material).map_err(|e| e.to_string())?;
        run.ok(
            "the same token with the right wrapping",
            run.driver
                .import(&key, &params.token, &right, Expiry::Never),
        )?;
        run.round_trip(&key)?;
    }
    Ok(Verdict::Pass)
}
