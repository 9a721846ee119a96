//! Property test: random operation sequences against a deliberately simple reference model
//! of the key lifecycle. After every step the engine's answer and every key's visible state
//! must match the model's. Keys are symmetric (AES_256, SM4), HMAC_256 or ECC_NIST_P256
//! (SIGN_VERIFY); encrypt, sign and MAC succeed only for a key of their usage, and then only
//! as its state allows.

use std::time::Duration;

use kms_core::*;
use proptest::prelude::*;

use crate::support::*;

#[derive(Clone, Debug)]
enum ExpiryChoice {
    Never,
    In(u64),
    Now,
}

#[derive(Clone, Debug)]
enum Op {
    Create {
        external: bool,
        kind: u8,
    },
    Import {
        key: usize,
        material: u8,
        expiry: ExpiryChoice,
    },
    DeleteMaterial(usize),
    Enable(usize),
    Disable(usize),
    Schedule(usize, u32),
    Cancel(usize),
    Encrypt(usize),
    Sign(usize),
    Mac(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let expiry = prop_oneof![
        Just(ExpiryChoice::Never),
        (1u64..20_000).prop_map(ExpiryChoice::In),
        Just(ExpiryChoice::Now),
    ];
    prop_oneof![
        2 => (any::<bool>(), 0u8..4).prop_map(|(external, kind)| Op::Create { external, kind }),
        4 => (0usize..8, 0u8..3, expiry).prop_map(|(key, material, expiry)| Op::Import { key, material, expiry }),
        1 => (0usize..8).prop_map(Op::DeleteMaterial),
        1 => (0usize..8).prop_map(Op::Enable),
        1 => (0usize..8).prop_map(Op::Disable),
        1 => (0usize..8, 7u32..=30).prop_map(|(k, d)| Op::Schedule(k, d)),
        1 => (0usize..8).prop_map(Op::Cancel),
        2 => (0usize..8).prop_map(Op::Encrypt),
        2 => (0usize..8).prop_map(Op::Sign),
        2 => (0usize..8).prop_map(Op::Mac),
        2 => prop_oneof![0u64..10_000, 0u64..(40 * 86_400)].prop_map(Op::Advance),
    ]
}

/// The coarse outcome both sides are compared on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    NotFound,
    NotExternal,
    InvalidState,
    Disabled,
    Mismatch,
    InvalidExpiry,
    WrongUsage,
}

fn outcome<T>(r: &Result<T, KmsError>) -> Outcome {
    match r {
        Ok(_) => Outcome::Ok,
        Err(KmsError::KeyNotFound { .. }) => Outcome::NotFound,
        Err(KmsError::NotExternal { .. }) => Outcome::NotExternal,
        Err(KmsError::InvalidState { .. }) => Outcome::InvalidState,
        Err(KmsError::Disabled { .. }) => Outcome::Disabled,
        Err(KmsError::MaterialMismatch { .. }) => Outcome::Mismatch,
        Err(KmsError::InvalidExpiry { .. }) => Outcome::InvalidExpiry,
        Err(KmsError::WrongKeyUsage { .. }) => Outcome::WrongUsage,
        Err(e) => panic!("unexpected error {e}"),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Enabled,
    Disabled,
    PendingImport,
    PendingDeletion,
}

#[derive(Debug)]
struct ModelKey {
    id: KeyId,
    spec: KeySpec,
    external: bool,
    state: State,
    /// Which material it holds now, and until when (ms).
    material: Option<Option<u64>>,
    accepted: Option<u8>,
    deletion: Option<u64>,
    gone: bool,
}

impl ModelKey {
    fn age(&mut self, now: u64) {
        if self.state == State::PendingDeletion && self.deletion.is_some_and(|d| d <= now) {
            self.gone = true;
        }
        if let Some(Some(until)) = self.material
            && until <= now
        {
            self.material = None;
            if self.state != State::PendingDeletion {
                self.state = State::PendingImport;
            }
        }
    }
}

fn kind(s: State) -> KeyStateKind {
    match s {
        State::Enabled => KeyStateKind::Enabled,
        State::Disabled => KeyStateKind::Disabled,
        State::PendingImport => KeyStateKind::PendingImport,
        State::PendingDeletion => KeyStateKind::PendingDeletion,
    }
}

/// Material number `choice` for `spec`: bytes, or a P-256 private key (scalar choice + 1).
fn bytes_of(choice: u8, spec: KeySpec) -> Vec<u8> {
    use p256::pkcs8::EncodePrivateKey;
    match spec {
        KeySpec::EccNistP256 => p256::SecretKey::from_slice(&[choice + 1; 32])
            .unwrap()
            .to_pkcs8_der()
            .unwrap()
            .as_bytes()
            .to_vec(),
        KeySpec::Hmac256 => material(choice.wrapping_mul(17).wrapping_add(5), 32),
        _ => material(
            choice.wrapping_mul(31).wrapping_add(1),
            spec.material_len().unwrap(),
        ),
    }
}

/// What a use of a key's material answers: its usage first, then its state.
fn use_outcome(k: &ModelKey, usage: KeyUsage) -> Outcome {
    match (k.gone, k.spec.default_usage() == usage, k.state) {
        (true, _, _) => Outcome::NotFound,
        (_, false, _) => Outcome::WrongUsage,
        (_, _, State::Enabled) => Outcome::Ok,
        (_, _, State::Disabled) => Outcome::Disabled,
        _ => Outcome::InvalidState,
    }
}

fn run(ops: Vec<Op>) {
    let f = fixture();
    let mut keys: Vec<ModelKey> = Vec::new();
    for op in ops {
        let now = f.clock.now().as_millis();
        for k in &mut keys {
            k.age(now);
        }
        let pick = |i: usize, keys: &mut Vec<ModelKey>| -> Option<usize> {
            (!keys.is_empty()).then(|| i % keys.len())
        };
        match op {
            Op::Create { external, kind } => {
                let spec = match kind {
                    0 => KeySpec::Aes256,
                    1 => KeySpec::Sm4,
                    2 => KeySpec::Hmac256,
                    _ => KeySpec::EccNistP256,
                };
                let origin = if external {
                    Origin::External
                } else {
                    Origin::Generated
                };
                let id = f.create(spec, origin);
                keys.push(ModelKey {
                    id,
                    spec,
                    external,
                    state: if external {
                        State::PendingImport
                    } else {
                        State::Enabled
                    },
                    material: (!external).then_some(None),
                    accepted: (!external).then_some(u8::MAX),
                    deletion: None,
                    gone: false,
                });
            }
            Op::Advance(secs) => f.clock.advance(Duration::from_secs(secs)),
            Op::Import {
                key,
                material: choice,
                expiry,
            } => {
                let Some(i) = pick(key, &mut keys) else {
                    continue;
                };
                let k = &mut keys[i];
                let params = f.kms.get_parameters_for_import(
                    &f.tenant,
                    &k.id,
                    WrappingAlgorithm::RsaesOaepSha256,
                    WrappingKeySpec::Rsa2048,
                );
                let expected_params = if k.gone {
                    Outcome::NotFound
                } else if !k.external {
                    Outcome::NotExternal
                } else if k.state == State::PendingDeletion {
                    Outcome::InvalidState
                } else {
                    Outcome::Ok
                };
                assert_eq!(outcome(&params), expected_params, "{k:?}");
                let Ok(params) = params else { continue };
                let (expiry, until) = match expiry {
                    ExpiryChoice::Never => (Expiry::Never, None),
                    ExpiryChoice::In(s) => (f.later(s), Some(now + s * 1000)),
                    ExpiryChoice::Now => (Expiry::At(Timestamp::from_millis(now)), Some(now)),
                };
                let wrapped = oaep_sha256(&params.public_key_der, &bytes_of(choice, k.spec));
                let result = f.import(&k.id, &params, wrapped, expiry);
                let expected = if k.accepted.is_some_and(|a| a != choice) {
                    Outcome::Mismatch
                } else if until.is_some_and(|u| u <= now) {
                    Outcome::InvalidExpiry
                } else {
                    Outcome::Ok
                };
                assert_eq!(outcome(&result), expected, "{k:?}");
                if expected == Outcome::Ok {
                    k.accepted = Some(choice);
                    k.material = Some(until);
                    if k.state == State::PendingImport {
                        k.state = State::Enabled;
                    }
                }
            }
            Op::DeleteMaterial(key) => {
                let Some(i) = pick(key, &mut keys) else {
                    continue;
                };
                let k = &mut keys[i];
                let result = f.kms.delete_imported_key_material(&f.tenant, &k.id);
                let expected = match (k.gone, k.external, k.state) {
                    (true, _, _) => Outcome::NotFound,
                    (_, false, _) => Outcome::NotExternal,
                    (_, _, State::PendingImport) => Outcome::InvalidState,
                    _ => Outcome::Ok,
                };
                assert_eq!(outcome(&result), expected, "{k:?}");
                if expected == Outcome::Ok {
                    k.material = None;
                    if k.state != State::PendingDeletion {
                        k.state = State::PendingImport;
                    }
                }
            }
            Op::Enable(key) | Op::Disable(key) => {
                let Some(i) = pick(key, &mut keys) else {
                    continue;
                };
                let enable = matches!(op, Op::Enable(_));
                let k = &mut keys[i];
                let result = if enable {
                    f.kms.enable_key(&f.tenant, &k.id)
                } else {
                    f.kms.disable_key(&f.tenant, &k.id)
                };
                let expected = match (k.gone, k.state) {
                    (true, _) => Outcome::NotFound,
                    (_, State::Enabled | State::Disabled) => Outcome::Ok,
                    _ => Outcome::InvalidState,
                };
                assert_eq!(outcome(&result), expected, "{k:?}");
                if expected == Outcome::Ok {
                    k.state = if enable {
                        State::Enabled
                    } else {
                        State::Disabled
                    };
                }
            }
            Op::Schedule(key, days) => {
                let Some(i) = pick(key, &mut keys) else {
                    continue;
                };
                let k = &mut keys[i];
                let window = DeletionWindow::days_within(days, 7..=30).unwrap();
                let result = f.kms.schedule_key_deletion(
                    &f.tenant,
                    &k.id,
                    window,
                    DeletionPolicy::default(),
                );
                let expected = match (k.gone, k.state) {
                    (true, _) => Outcome::NotFound,
                    (_, State::PendingDeletion) => Outcome::InvalidState,
                    _ => Outcome::Ok,
                };
                assert_eq!(outcome(&result), expected, "{k:?}");
                if expected == Outcome::Ok {
                    k.state = State::PendingDeletion;
                    k.deletion = Some(now + u64::from(days) * 86_400_000);
                }
            }
            Op::Cancel(key) => {
                let Some(i) = pick(key, &mut keys) else {
                    continue;
                };
                let k = &mut keys[i];
                let result = f.kms.cancel_key_deletion(&f.tenant, &k.id);
                let expected = match (k.gone, k.state) {
                    (true, _) => Outcome::NotFound,
                    (_, State::PendingDeletion) => Outcome::Ok,
                    _ => Outcome::InvalidState,
                };
                assert_eq!(outcome(&result), expected, "{k:?}");
                if expected == Outcome::Ok {
                    k.deletion = None;
                    k.state = if k.material.is_some() {
                        State::Disabled
                    } else {
                        State::PendingImport
                    };
                }
            }
            Op::Encrypt(key) => {
                let Some(i) = pick(key, &mut keys) else {
                    continue;
                };
                let k = &keys[i];
                let result = f.encrypt(&k.id, b"model");
                assert_eq!(
                    outcome(&result),
                    use_outcome(k, KeyUsage::EncryptDecrypt),
                    "{k:?}"
                );
                if let Ok(blob) = result {
                    assert_eq!(f.decrypt(&blob).unwrap(), b"model");
                }
            }
            Op::Sign(key) => {
                let Some(i) = pick(key, &mut keys) else {
                    continue;
                };
                let k = &keys[i];
                let algorithm = SigningAlgorithm::EcdsaSha256;
                let result = f
                    .kms
                    .sign(&f.tenant, &k.id, b"model", MessageType::Raw, algorithm);
                assert_eq!(
                    outcome(&result),
                    use_outcome(k, KeyUsage::SignVerify),
                    "{k:?}"
                );
                if let Ok(signature) = result {
                    f.kms
                        .verify(
                            &f.tenant,
                            &k.id,
                            b"model",
                            MessageType::Raw,
                            algorithm,
                            &signature.bytes,
                        )
                        .unwrap();
                }
            }
            Op::Mac(key) => {
                let Some(i) = pick(key, &mut keys) else {
                    continue;
                };
                let k = &keys[i];
                let algorithm = MacAlgorithm::HmacSha256;
                let result = f.kms.generate_mac(&f.tenant, &k.id, b"model", algorithm);
                assert_eq!(
                    outcome(&result),
                    use_outcome(k, KeyUsage::GenerateVerifyMac),
                    "{k:?}"
                );
                if let Ok(mac) = result {
                    f.kms
                        .verify_mac(&f.tenant, &k.id, b"model", algorithm, &mac)
                        .unwrap();
                }
            }
        }
        // Every key, as the engine shows it now, matches the model.
        let now = f.clock.now().as_millis();
        for k in &mut keys {
            k.age(now);
        }
        for k in &keys {
            match f.kms.describe_key(&f.tenant, &k.id) {
                Err(KmsError::KeyNotFound { .. }) => assert!(k.gone, "{k:?} vanished"),
                Err(e) => panic!("{e}"),
                Ok(d) => {
                    assert!(!k.gone, "{k:?} should be purged");
                    assert_eq!(d.state, kind(k.state), "{k:?}");
                    let expiry = k.material.map(|u| match u {
                        None => Expiry::Never,
                        Some(ms) => Expiry::At(Timestamp::from_millis(ms)),
                    });
                    assert_eq!(d.material_expiry, expiry, "{k:?}");
                    assert_eq!(
                        d.deletion_date.map(Timestamp::as_millis),
                        k.deletion.filter(|_| k.state == State::PendingDeletion),
                        "{k:?}"
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_the_reference_model(ops in proptest::collection::vec(op(), 1..40)) {
        run(ops);
    }
}
