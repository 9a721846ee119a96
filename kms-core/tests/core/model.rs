//! Property test: random operation sequences against a deliberately simple reference model
//! of the key lifecycle. After every step the engine's answer and every key's visible state
//! must match the model's. Keys are symmetric (AES_256, SM4), HMAC_256 or ECC_NIST_P256
//! (SIGN_VERIFY); encrypt, sign and MAC succeed only for a key of their usage, and then only
//! as its state allows. Keys hold several materials (#17): NEW material imported into a
//! symmetric key waits pending rotation, rotation on demand makes it (or, for generated
//! keys, fresh material) current, and deleting or expiring any non-pending material makes
//! the key wait for it; every listing of materials and every old ciphertext is checked.

use std::time::Duration;

use kms_core::*;
use proptest::prelude::*;

use crate::support::*;

/// A bound small enough for the generated sequences to reach it.
const ON_DEMAND_LIMIT: usize = 3;

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
        /// ImportType NEW (else unspecified: the first material, or one the key had).
        new: bool,
    },
    DeleteMaterial(usize),
    /// Deletes the material pending rotation (if the model has one) or the oldest previous
    /// one, by id.
    DeleteNamed(usize, bool),
    Rotate(usize),
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
    // Mostly lasting material, so keys live long enough to take new material and rotate.
    let expiry = prop_oneof![
        4 => Just(ExpiryChoice::Never),
        1 => (1u64..20_000).prop_map(ExpiryChoice::In),
        1 => Just(ExpiryChoice::Now),
    ];
    prop_oneof![
        2 => (any::<bool>(), 0u8..4).prop_map(|(external, kind)| Op::Create { external, kind }),
        6 => (0usize..4, 0u8..4, expiry, any::<bool>()).prop_map(|(key, material, expiry, new)| Op::Import { key, material, expiry, new }),
        1 => (0usize..4).prop_map(Op::DeleteMaterial),
        1 => (0usize..4, any::<bool>()).prop_map(|(k, pending)| Op::DeleteNamed(k, pending)),
        2 => (0usize..4).prop_map(Op::Rotate),
        1 => (0usize..4).prop_map(Op::Enable),
        1 => (0usize..4).prop_map(Op::Disable),
        1 => (0usize..4, 7u32..=30).prop_map(|(k, d)| Op::Schedule(k, d)),
        1 => (0usize..4).prop_map(Op::Cancel),
        2 => (0usize..4).prop_map(Op::Encrypt),
        2 => (0usize..4).prop_map(Op::Sign),
        2 => (0usize..4).prop_map(Op::Mac),
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
    AlreadySet,
    NotRotatable,
    NoPending,
    AnotherPending,
    RotationLimit,
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
        Err(KmsError::MaterialAlreadySet { .. }) => Outcome::AlreadySet,
        Err(KmsError::AlgorithmNotForKey { .. }) => Outcome::NotRotatable,
        Err(KmsError::NoPendingMaterial { .. }) => Outcome::NoPending,
        Err(KmsError::AnotherMaterialPending { .. }) => Outcome::AnotherPending,
        Err(KmsError::RotationLimit { .. }) => Outcome::RotationLimit,
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

/// One material of a model key.
#[derive(Clone, Debug)]
struct ModelMaterial {
    id: MaterialId,
    /// Which bytes (`bytes_of`); generated material has none the model knows.
    choice: Option<u8>,
    /// Held now, and until when (ms); `None` while deleted or expired.
    held: Option<Option<u64>>,
}

#[derive(Debug)]
struct ModelKey {
    id: KeyId,
    spec: KeySpec,
    external: bool,
    state: State,
    /// Oldest first; empty until the first material.
    previous: Vec<ModelMaterial>,
    current: Option<ModelMaterial>,
    pending: Option<ModelMaterial>,
    deletion: Option<u64>,
    gone: bool,
    /// Ciphertexts made by this key, with the material that made them.
    blobs: Vec<(Vec<u8>, MaterialId)>,
    /// Rotations on demand so far (bounded by [`ON_DEMAND_LIMIT`]).
    on_demand: usize,
}

impl ModelKey {
    fn complete(&self) -> bool {
        self.current.as_ref().is_some_and(|c| c.held.is_some())
            && self.previous.iter().all(|p| p.held.is_some())
    }

    fn known(&self, choice: u8) -> bool {
        self.all().any(|m| m.choice == Some(choice))
    }

    fn all(&self) -> impl Iterator<Item = &ModelMaterial> {
        self.previous
            .iter()
            .chain(self.current.iter())
            .chain(self.pending.iter())
    }

    /// After a change to the materials: a key missing one waits for it.
    fn settle(&mut self) {
        if self.current.is_some() && self.state != State::PendingDeletion {
            if !self.complete() {
                self.state = State::PendingImport;
            } else if self.state == State::PendingImport {
                self.state = State::Enabled;
            }
        }
    }

    fn age(&mut self, now: u64) {
        if self.state == State::PendingDeletion && self.deletion.is_some_and(|d| d <= now) {
            self.gone = true;
        }
        let passed = |m: &ModelMaterial| matches!(m.held, Some(Some(until)) if until <= now);
        if self.pending.as_ref().is_some_and(passed) {
            self.pending = None;
        }
        let mut expired = false;
        for m in self.previous.iter_mut().chain(self.current.iter_mut()) {
            if passed(m) {
                m.held = None;
                expired = true;
            }
        }
        if expired && self.state != State::PendingDeletion {
            self.state = State::PendingImport;
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
                let current = f.describe(&id).material_id.map(|id| ModelMaterial {
                    id,
                    choice: None,
                    held: Some(None),
                });
                assert_eq!(current.is_some(), !external);
                keys.push(ModelKey {
                    id,
                    spec,
                    external,
                    state: if external {
                        State::PendingImport
                    } else {
                        State::Enabled
                    },
                    previous: Vec::new(),
                    current,
                    pending: None,
                    deletion: None,
                    gone: false,
                    blobs: Vec::new(),
                    on_demand: 0,
                });
            }
            Op::Advance(secs) => f.clock.advance(Duration::from_secs(secs)),
            Op::Import {
                key,
                material: choice,
                expiry,
                new,
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
                let claim = if new {
                    MaterialClaim::New
                } else {
                    MaterialClaim::Unspecified
                };
                let result = f.kms.import_key_material_as(
                    &f.tenant,
                    ImportRequest {
                        key_id: k.id,
                        import_token: params.import_token.clone(),
                        encrypted_material: EncryptedMaterial::new(wrapped).unwrap(),
                        wrapped_private_key: None,
                        expiry,
                        policy: ImportPolicy::default(),
                        claim,
                    },
                    NewMaterialOptions::new().for_rotation(),
                );
                let symmetric = KeySpec::SYMMETRIC.contains(&k.spec);
                let first = k.current.is_none();
                let expected = if first {
                    Outcome::Ok
                } else if !new {
                    if k.known(choice) {
                        Outcome::Ok
                    } else {
                        Outcome::Mismatch
                    }
                } else if !symmetric {
                    Outcome::AlreadySet
                } else if k.state == State::PendingImport {
                    Outcome::InvalidState
                } else if k.known(choice) {
                    Outcome::AlreadySet
                } else if k.pending.is_some() {
                    Outcome::AnotherPending
                } else {
                    Outcome::Ok
                };
                let expected = if expected == Outcome::Ok && until.is_some_and(|u| u <= now) {
                    Outcome::InvalidExpiry
                } else {
                    expected
                };
                assert_eq!(
                    outcome(&result),
                    expected,
                    "{k:?} new={new} choice={choice}"
                );
                let Ok(imported) = result else { continue };
                let arrived = ModelMaterial {
                    id: imported.material_id,
                    choice: Some(choice),
                    held: Some(until),
                };
                if first {
                    k.current = Some(arrived);
                } else if new {
                    k.pending = Some(arrived);
                } else {
                    let m = k
                        .previous
                        .iter_mut()
                        .chain(k.current.iter_mut())
                        .chain(k.pending.iter_mut())
                        .find(|m| m.choice == Some(choice))
                        .unwrap();
                    assert_eq!(m.id, imported.material_id);
                    m.held = Some(until);
                }
                k.settle();
            }
            Op::DeleteMaterial(key) => {
                let Some(i) = pick(key, &mut keys) else {
                    continue;
                };
                let k = &mut keys[i];
                let result = f.kms.delete_imported_key_material(&f.tenant, &k.id);
                let current_held = k.current.as_ref().map(|c| c.held.is_some());
                let expected = match (k.gone, k.external, current_held, k.state) {
                    (true, ..) => Outcome::NotFound,
                    (_, false, ..) => Outcome::NotExternal,
                    (_, _, None, _) => Outcome::InvalidState,
                    (_, _, Some(false), State::PendingDeletion) => Outcome::Ok,
                    (_, _, Some(false), _) => Outcome::InvalidState,
                    (_, _, Some(true), _) => Outcome::Ok,
                };
                assert_eq!(outcome(&result), expected, "{k:?}");
                if expected == Outcome::Ok {
                    if let Some(c) = k.current.as_mut() {
                        c.held = None;
                    }
                    k.settle();
                }
            }
            Op::DeleteNamed(key, pending) => {
                let Some(i) = pick(key, &mut keys) else {
                    continue;
                };
                let k = &mut keys[i];
                let target = if pending {
                    k.pending.as_ref().map(|m| m.id)
                } else {
                    k.previous.first().map(|m| m.id)
                };
                let Some(target) = target.filter(|_| !k.gone) else {
                    continue;
                };
                let result = f.kms.delete_named_key_material(&f.tenant, &k.id, &target);
                let held = pending || k.previous[0].held.is_some();
                let expected = match (k.external, held, k.state) {
                    (false, ..) => Outcome::NotExternal,
                    (_, true, _) | (_, false, State::PendingDeletion) => Outcome::Ok,
                    (_, false, _) => Outcome::InvalidState,
                };
                assert_eq!(outcome(&result), expected, "{k:?}");
                if expected == Outcome::Ok {
                    if pending {
                        k.pending = None;
                    } else {
                        k.previous[0].held = None;
                    }
                    k.settle();
                }
            }
            Op::Rotate(key) => {
                let Some(i) = pick(key, &mut keys) else {
                    continue;
                };
                let k = &mut keys[i];
                let limit = OnDemandRules {
                    at_most: Some(ON_DEMAND_LIMIT),
                    needs_schedule: false,
                    min_interval: None,
                };
                let result = f.kms.rotate_key_on_demand(&f.tenant, &k.id, limit);
                let expected = if k.gone {
                    Outcome::NotFound
                } else if !KeySpec::SYMMETRIC.contains(&k.spec) {
                    Outcome::NotRotatable
                } else if k.on_demand >= ON_DEMAND_LIMIT {
                    Outcome::RotationLimit
                } else if k.state == State::Disabled {
                    Outcome::Disabled
                } else if k.state != State::Enabled {
                    Outcome::InvalidState
                } else if k.external && k.pending.is_none() {
                    Outcome::NoPending
                } else {
                    Outcome::Ok
                };
                assert_eq!(outcome(&result), expected, "{k:?}");
                let Ok(rotated) = result else { continue };
                k.on_demand += 1;
                let incoming = match k.pending.take() {
                    Some(p) => p,
                    None => ModelMaterial {
                        id: rotated.material_id.unwrap(),
                        choice: None,
                        held: Some(None),
                    },
                };
                assert_eq!(rotated.material_id, Some(incoming.id));
                if let Some(old) = k.current.replace(incoming) {
                    k.previous.push(old);
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
                    k.state = if k.complete() {
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
                let k = &mut keys[i];
                let result = f.encrypt(&k.id, b"model");
                assert_eq!(
                    outcome(&result),
                    use_outcome(k, KeyUsage::EncryptDecrypt),
                    "{k:?}"
                );
                if let Ok(blob) = result {
                    // Every ciphertext the key made, by any of its materials, decrypts with
                    // the material that made it.
                    let current = k.current.as_ref().unwrap().id;
                    k.blobs.push((blob, current));
                    for (blob, made_by) in &k.blobs {
                        let back = f
                            .kms
                            .decrypt(&f.tenant, blob, &EncryptionContext::new())
                            .unwrap();
                        assert_eq!(back.plaintext.expose(), b"model");
                        assert_eq!(back.material_id, Some(*made_by));
                    }
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
                    let expiry = k.current.as_ref().and_then(|c| c.held).map(|u| match u {
                        None => Expiry::Never,
                        Some(ms) => Expiry::At(Timestamp::from_millis(ms)),
                    });
                    assert_eq!(d.material_expiry, expiry, "{k:?}");
                    assert_eq!(d.material_id, k.current.as_ref().map(|c| c.id), "{k:?}");
                    let listed: Vec<_> = f
                        .kms
                        .list_key_materials(&f.tenant, &k.id)
                        .unwrap()
                        .into_iter()
                        .map(|m| (m.material_id, m.role, m.presence))
                        .collect();
                    let presence = |m: &ModelMaterial| match m.held {
                        Some(_) => MaterialPresence::Present,
                        None => MaterialPresence::PendingImport,
                    };
                    let model: Vec<_> = k
                        .previous
                        .iter()
                        .map(|m| (m.id, MaterialRole::Previous, presence(m)))
                        .chain(
                            k.current
                                .iter()
                                .map(|m| (m.id, MaterialRole::Current, presence(m))),
                        )
                        .chain(
                            k.pending
                                .iter()
                                .map(|m| (m.id, MaterialRole::PendingRotation, presence(m))),
                        )
                        .collect();
                    assert_eq!(listed, model, "{k:?}");
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
    fn engine_matches_the_reference_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops);
    }

    /// One external symmetric key (or one generated key) and every operation on it: new
    /// material, rotations, deletions by id and old ciphertexts get many more steps than
    /// among several keys of every kind.
    #[test]
    fn one_symmetric_key_matches_the_model(
        external in any::<bool>(),
        ops in proptest::collection::vec(
            op().prop_filter("one key", |o| !matches!(o, Op::Create { .. })),
            1..60,
        ),
    ) {
        run(std::iter::once(Op::Create { external, kind: 0 }).chain(ops).collect());
    }
}
