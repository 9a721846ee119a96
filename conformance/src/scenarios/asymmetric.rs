//! Scenarios 16 and 17 (issue #16): asymmetric and HMAC material imported, then used, with
//! every result checked outside the server (the `rsa` and `p256` crates, `hmac`), and the
//! refusals each dialect gives where it does not import such material.

use hmac::{Hmac, Mac};
use p256::ecdsa::signature::Verifier as _;
use p256::pkcs8::DecodePublicKey as _;
use rsa::pkcs8::DecodePublicKey as _;
use sha2::{Digest as _, Sha256};

use super::{Run, Step, Verdict, random_material};
use crate::driver::Support;
use crate::ledger::Failure;
use crate::neutral::{AsymHandle, AsymSpec, State};

const P256_PKCS8: &[u8] = include_bytes!("../../tests/data/asymmetric/p256.pk8");
const P256_SPKI: &[u8] = include_bytes!("../../tests/data/asymmetric/p256.spki");
const P384_PKCS8: &[u8] = include_bytes!("../../tests/data/asymmetric/p384.pk8");
const RSA2048_PKCS8: &[u8] = include_bytes!("../../tests/data/asymmetric/rsa2048.pk8");
const RSA2048_SPKI: &[u8] = include_bytes!("../../tests/data/asymmetric/rsa2048.spki");

const MESSAGE: &[u8] = b"conformance: a message signed with imported material";

/// The OpenSSL-made material of a signing spec, its public key, and material of another kind
/// that the spec must refuse.
fn material(spec: AsymSpec) -> (&'static [u8], &'static [u8], &'static [u8]) {
    match spec {
        AsymSpec::EccP256 => (P256_PKCS8, P256_SPKI, P384_PKCS8),
        AsymSpec::Rsa2048 | AsymSpec::Hmac256 => (RSA2048_PKCS8, RSA2048_SPKI, P256_PKCS8),
    }
}

/// ECDSA_SHA_256 (DER) or RSASSA_PSS_SHA_256 over `message`, checked with the public key.
fn verify_outside(spec: AsymSpec, spki: &[u8], message: &[u8], signature: &[u8]) -> Step<()> {
    match spec {
        AsymSpec::EccP256 => {
            let key = p256::ecdsa::VerifyingKey::from_public_key_der(spki)
                .map_err(|e| format!("the P-256 public key: {e}"))?;
            let sig = p256::ecdsa::Signature::from_der(signature)
                .map_err(|e| format!("the ECDSA signature is not DER: {e}"))?;
            key.verify(message, &sig)
                .map_err(|e| format!("the ECDSA signature does not verify outside: {e}"))
        }
        AsymSpec::Rsa2048 | AsymSpec::Hmac256 => {
            let key = rsa::RsaPublicKey::from_public_key_der(spki)
                .map_err(|e| format!("the RSA public key: {e}"))?;
            key.verify(
                rsa::Pss::new::<Sha256>(),
                &Sha256::digest(message),
                signature,
            )
            .map_err(|e| format!("the PSS signature does not verify outside: {e}"))
        }
    }
}

/// Scenario 16: EC P-256 and RSA-2048 private keys made by OpenSSL are imported (refused while
/// they are the wrong kind of key), answer their own public key, sign, and the signature
/// verifies outside and inside; a signature of another message does not verify.
pub fn asymmetric_import(run: &mut Run<'_>) -> Step<Verdict> {
    let mut imported = 0;
    for spec in AsymSpec::SIGNING {
        match run.driver.asym_support(spec) {
            Support::Offered => {
                signing_key(run, spec).map_err(|e| format!("{spec}: {e}"))?;
                imported += 1;
            }
            Support::Refused(why) => {
                run.refused(
                    &format!("create an external {spec} key ({why})"),
                    run.driver.create_asym_key(spec),
                    Failure::AsymmetricImport,
                )?;
                run.note(format!("{spec} import refused: {why}"));
            }
            Support::NotExpressible(why) => run.note(format!("{spec} import: {why}")),
        }
    }
    if imported == 0 {
        return Ok(Verdict::NotOffered(run.notes().join("; ")));
    }
    Ok(Verdict::Pass)
}

fn signing_key(run: &mut Run<'_>, spec: AsymSpec) -> Step<()> {
    let (pkcs8, spki, wrong) = material(spec);
    let key: AsymHandle = run.ok("create an external key", run.driver.create_asym_key(spec))?;
    run.expect_state("created", &key.as_key(), State::PendingImport)?;
    run.refused(
        "import material of another kind of key",
        run.driver.import_asym(&key, wrong),
        Failure::MaterialNotForSpec,
    )?;
    run.expect_state(
        "after the refused import",
        &key.as_key(),
        State::PendingImport,
    )?;
    run.ok("import", run.driver.import_asym(&key, pkcs8))?;
    run.expect_state("imported", &key.as_key(), State::Enabled)?;
    let public = run.ok("public key", run.driver.public_key(&key))?;
    if public != spki {
        return Err("the public key is not the imported private key's".into());
    }
    let signature = run.ok("sign", run.driver.sign(&key, MESSAGE))?;
    verify_outside(spec, spki, MESSAGE, &signature)?;
    if !run.ok("verify", run.driver.verify(&key, MESSAGE, &signature))? {
        return Err("the dialect calls its own signature invalid".into());
    }
    if let Some(valid) = run.refused(
        "verify against another message",
        run.driver.verify(&key, b"another message", &signature),
        Failure::SignatureInvalid,
    )? && valid
    {
        return Err("a signature of another message verifies".into());
    }
    Ok(())
}

/// Scenario 17: HMAC key material is imported (refused at the wrong length) and MACs are the
/// RFC 2104 HMAC-SHA-256 of that material; a MAC of another message does not verify.
pub fn hmac_import(run: &mut Run<'_>) -> Step<Verdict> {
    let spec = AsymSpec::Hmac256;
    match run.driver.asym_support(spec) {
        Support::Offered => {}
        Support::Refused(why) => {
            run.refused(
                &format!("create an external HMAC key ({why})"),
                run.driver.create_asym_key(spec),
                Failure::HmacImport,
            )?;
            run.note(format!("HMAC import refused: {why}"));
            return Ok(Verdict::NotOffered(run.notes().join("; ")));
        }
        Support::NotExpressible(why) => return Ok(Verdict::NotOffered(why.to_owned())),
    }
    let key = run.ok(
        "create an external HMAC key",
        run.driver.create_asym_key(spec),
    )?;
    // HMAC_256 takes 32 to 64 bytes (AWS's developer guide).
    run.refused(
        "import 16 bytes",
        run.driver.import_asym(&key, &random_material(16)),
        Failure::MaterialNotForSpec,
    )?;
    let material = random_material(48);
    run.ok("import", run.driver.import_asym(&key, &material))?;
    run.expect_state("imported", &key.as_key(), State::Enabled)?;
    let mac = run.ok("generate a MAC", run.driver.generate_mac(&key, MESSAGE))?;
    let mut outside =
        Hmac::<Sha256>::new_from_slice(&material).map_err(|e| format!("HMAC key: {e}"))?;
    outside.update(MESSAGE);
    if mac != outside.finalize().into_bytes().as_slice() {
        return Err("the MAC is not HMAC-SHA-256 of the imported material".into());
    }
    if !run.ok("verify the MAC", run.driver.verify_mac(&key, MESSAGE, &mac))? {
        return Err("the dialect calls its own MAC invalid".into());
    }
    if let Some(valid) = run.refused(
        "verify against another message",
        run.driver.verify_mac(&key, b"another message", &mac),
        Failure::MacInvalid,
    )? && valid
    {
        return Err("a MAC of another message verifies".into());
    }
    Ok(Verdict::Pass)
}
