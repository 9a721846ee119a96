//! Each way an import (or its parameters) can be refused, with its own error, and a refused
//! import never changes the key.

use kms_core::*;

use crate::support::*;

/// Runs a refused import and checks the key is exactly as before.
fn refused(
    f: &Fixture,
    key: &KeyId,
    attempt: impl FnOnce() -> Result<ImportOutcome, KmsError>,
) -> KmsError {
    let before = f.kms.describe_key(&f.tenant, key).ok();
    let err = attempt().expect_err("import should be refused");
    assert_eq!(
        f.kms.describe_key(&f.tenant, key).ok(),
        before,
        "state changed after {err}"
    );
    err
}

#[test]
fn missing_key_and_generated_key() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    let p = f.oaep_params(&key);
    let missing = "00000000-0000-4000-8000-000000000000".parse().unwrap();
    let err = f
        .import(&missing, &p, vec![1; 256], Expiry::Never)
        .unwrap_err();
    assert!(
        matches!(err, KmsError::KeyNotFound { key_id } if key_id == missing),
        "{err}"
    );

    let generated = f.create(KeySpec::Aes256, Origin::Generated);
    let err = refused(&f, &generated, || {
        f.import(&generated, &p, vec![1; 256], Expiry::Never)
    });
    assert!(matches!(err, KmsError::NotExternal { .. }), "{err}");
    let err = f
        .kms
        .get_parameters_for_import(
            &f.tenant,
            &generated,
            WrappingAlgorithm::RsaesOaepSha1,
            WrappingKeySpec::Rsa2048,
        )
        .unwrap_err();
    assert!(matches!(err, KmsError::NotExternal { .. }), "{err}");
    let err = f
        .kms
        .delete_imported_key_material(&f.tenant, &generated)
        .unwrap_err();
    assert!(matches!(err, KmsError::NotExternal { .. }), "{err}");
}

#[test]
fn states_that_refuse_imports() {
    let f = fixture();
    let m = material(3, 32);
    // Pending deletion: no parameters, no import.
    let key = f.external(KeySpec::Aes256);
    let p = f.oaep_params(&key);
    let window = DeletionWindow::days_within(7, 7..=30).unwrap();
    f.kms
        .schedule_key_deletion(&f.tenant, &key, window, DeletionPolicy::default())
        .unwrap();
    let err = refused(&f, &key, || {
        f.import(&key, &p, oaep_sha256(&p.public_key_der, &m), Expiry::Never)
    });
    assert!(
        matches!(
            err,
            KmsError::InvalidState {
                state: KeyStateKind::PendingDeletion,
                operation: Operation::ImportKeyMaterial,
                ..
            }
        ),
        "{err}"
    );
    let err = f
        .kms
        .get_parameters_for_import(
            &f.tenant,
            &key,
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            KmsError::InvalidState {
                operation: Operation::GetParametersForImport,
                ..
            }
        ),
        "{err}"
    );

    // A dialect that refuses re-import into Disabled keys (Tencent) says so in the policy.
    let key = f.external(KeySpec::Aes256);
    f.import_plain(&key, &m, Expiry::Never).unwrap();
    f.kms.disable_key(&f.tenant, &key).unwrap();
    let p = f.oaep_params(&key);
    let no_disabled = ImportPolicy {
        reimport_into_enabled: true,
        reimport_into_disabled: false,
    };
    let err = refused(&f, &key, || {
        f.import_with(
            &key,
            &p,
            oaep_sha256(&p.public_key_der, &m),
            Expiry::Never,
            no_disabled,
        )
    });
    assert!(
        matches!(
            err,
            KmsError::InvalidState {
                state: KeyStateKind::Disabled,
                ..
            }
        ),
        "{err}"
    );
    // The default policy accepts the same material there, and the key stays Disabled.
    let ok = f
        .import(&key, &p, oaep_sha256(&p.public_key_der, &m), Expiry::Never)
        .unwrap();
    assert_eq!(ok.key.state, KeyStateKind::Disabled);
}

#[test]
fn token_errors_each_have_their_own_variant() {
    let f = fixture();
    let m = material(5, 32);
    let a = f.external(KeySpec::Aes256);
    let b = f.external(KeySpec::Aes256);
    let pa = f.oaep_params(&a);

    // Issued for A, used on B.
    let err = refused(&f, &b, || {
        f.import(&b, &pa, oaep_sha256(&pa.public_key_der, &m), Expiry::Never)
    });
    assert!(matches!(err, KmsError::ImportTokenForeign), "{err}");

    // Issued for A in another tenant's view of the same key id: still foreign.
    let other = TenantId::new("tenant-b").unwrap();
    let err = f
        .kms
        .import_key_material(
            &other,
            ImportRequest {
                key_id: a,
                import_token: pa.import_token.clone(),
                encrypted_material: EncryptedMaterial::new(vec![1; 256]).unwrap(),
                wrapped_private_key: None,
                expiry: Expiry::Never,
                policy: ImportPolicy::default(),
                claim: MaterialClaim::Unspecified,
            },
        )
        .unwrap_err();
    assert!(matches!(err, KmsError::KeyNotFound { .. }), "{err}");

    // Corrupted.
    let mut bytes = pa.import_token.as_bytes().to_vec();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    let corrupted = ImportParameters {
        import_token: ImportToken::from_bytes(bytes).unwrap(),
        ..pa.clone()
    };
    let err = refused(&f, &a, || {
        f.import(
            &a,
            &corrupted,
            oaep_sha256(&pa.public_key_der, &m),
            Expiry::Never,
        )
    });
    assert!(matches!(err, KmsError::ImportTokenInvalid), "{err}");

    // Issued by another kmsgate (another root key).
    let stranger = fixture_over(
        std::sync::Arc::new(MemoryStore::new()),
        &RootKey::from_bytes([1; 32]),
    );
    let sk = stranger.external(KeySpec::Aes256);
    let foreign_root = stranger.oaep_params(&sk);
    let err = refused(&f, &a, || {
        f.import(
            &a,
            &foreign_root,
            oaep_sha256(&pa.public_key_der, &m),
            Expiry::Never,
        )
    });
    assert!(matches!(err, KmsError::ImportTokenInvalid), "{err}");

    // Expired: valid for exactly 24 h.
    assert_eq!(pa.valid_to.as_millis() - START.as_millis(), 86_400_000);
    f.clock.advance(DAY + std::time::Duration::from_secs(1));
    let err = refused(&f, &a, || {
        f.import(&a, &pa, oaep_sha256(&pa.public_key_der, &m), Expiry::Never)
    });
    assert!(
        matches!(err, KmsError::ImportTokenExpired { expired_at } if expired_at == pa.valid_to),
        "{err}"
    );
}

/// A token that expires between its check and the import's write (a slow unwrap, a wait for
/// the key's lock, a clock moved meanwhile) is expired at the write: nothing is imported.
#[test]
fn a_token_expiring_before_the_write_imports_nothing() {
    let store = std::sync::Arc::new(kms_core::testing::Interloper::default());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    let key = f.external(KeySpec::Aes256);
    let params = f.oaep_params(&key);
    let wrapped = oaep_sha256(&params.public_key_der, &[3; 32]);
    let clock = f.clock.clone();
    store.before_next_update(move || clock.advance(DAY + std::time::Duration::from_secs(1)));
    let err = f.import(&key, &params, wrapped, Expiry::Never).unwrap_err();
    assert!(matches!(err, KmsError::ImportTokenExpired { .. }), "{err}");
    assert_eq!(f.state(&key), KeyStateKind::PendingImport);
}

#[test]
fn token_validity_is_configurable() {
    let clock = std::sync::Arc::new(ManualClock::new(START));
    let kms = Kms::builder(
        std::sync::Arc::new(MemoryStore::new()),
        &RootKey::from_bytes([2; 32]),
    )
    .clock(clock)
    .key_pairs(std::sync::Arc::new(VectorKeyPairs::default()))
    .import_token_ttl(std::time::Duration::from_secs(60))
    .build();
    let t = TenantId::new("t").unwrap();
    let key = kms
        .create_key(
            &t,
            CreateKey {
                spec: KeySpec::Sm4,
                usage: KeySpec::Sm4.default_usage(),
                origin: Origin::External,
                description: String::new(),
                tags: Default::default(),
            },
        )
        .unwrap();
    let p = kms
        .get_parameters_for_import(
            &t,
            &key.key_id,
            WrappingAlgorithm::Sm2Pke,
            WrappingKeySpec::Sm2,
        )
        .unwrap();
    assert_eq!(p.valid_to, Timestamp::from_secs(START.as_secs() + 60));
}

#[test]
fn unwrap_failures_wrong_public_key_and_wrong_algorithm() {
    let f = fixture();
    let m = material(9, 32);
    let key = f.external(KeySpec::Aes256);
    let p = f.oaep_params(&key);

    // Garbage.
    let err = refused(&f, &key, || {
        f.import(&key, &p, vec![0xAB; 256], Expiry::Never)
    });
    assert!(
        matches!(
            err,
            KmsError::UnwrapFailed {
                algorithm: WrappingAlgorithm::RsaesOaepSha256
            }
        ),
        "{err}"
    );

    // Wrapped with another public key.
    let other = vector_key_pair(WrappingKeySpec::Rsa3072)
        .public_key_der()
        .unwrap();
    let err = refused(&f, &key, || {
        f.import(&key, &p, oaep_sha256(&other, &m), Expiry::Never)
    });
    assert!(matches!(err, KmsError::UnwrapFailed { .. }), "{err}");

    // Wrapped with OAEP-SHA-1 although the token says OAEP-SHA-256.
    let err = refused(&f, &key, || {
        f.import(&key, &p, oaep_sha1(&p.public_key_der, &m), Expiry::Never)
    });
    assert!(matches!(err, KmsError::UnwrapFailed { .. }), "{err}");

    // Key-wrap token with plain OAEP material (too short to hold a KWP part).
    let kw = f.params(
        &key,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
        WrappingKeySpec::Rsa2048,
    );
    let err = refused(&f, &key, || {
        f.import(
            &key,
            &kw,
            oaep_sha256(&kw.public_key_der, &m),
            Expiry::Never,
        )
    });
    assert!(
        matches!(
            err,
            KmsError::UnwrapFailed {
                algorithm: WrappingAlgorithm::RsaAesKeyWrapSha256
            }
        ),
        "{err}"
    );

    assert!(EncryptedMaterial::new(vec![]).is_err());
    assert!(EncryptedMaterial::new(vec![0; 6145]).is_err());
}

#[test]
fn incompatible_wrapping_combinations_are_refused() {
    let f = fixture();
    let key = f.external(KeySpec::Sm4);
    for alg in WrappingAlgorithm::ALL {
        for spec in WrappingKeySpec::ALL {
            let r = f.kms.get_parameters_for_import(&f.tenant, &key, alg, spec);
            if alg.fits(spec) {
                assert!(r.is_ok(), "{alg} {spec}");
            } else {
                assert!(
                    matches!(r, Err(KmsError::IncompatibleWrapping { algorithm, spec: s }) if algorithm == alg && s == spec),
                    "{alg} {spec}"
                );
            }
        }
    }
}

#[test]
fn wrong_material_lengths_are_refused_for_each_spec() {
    let f = fixture();
    for (spec, lengths) in [
        (KeySpec::Aes256, [15, 17, 31, 33, 16]),
        (KeySpec::Sm4, [15, 17, 31, 33, 32]),
    ] {
        let key = f.external(spec);
        for len in lengths {
            let err = refused(&f, &key, || {
                f.import_plain(&key, &material(1, len), Expiry::Never)
            });
            assert!(
                matches!(err, KmsError::MaterialLength { spec: s, expected, actual } if s == spec && expected == spec.material_len().unwrap() && actual == len),
                "{spec} {len}: {err}"
            );
        }
        assert_eq!(f.state(&key), KeyStateKind::PendingImport);
    }
}

#[test]
fn expiry_must_be_in_the_future() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    let m = material(2, 32);
    for at in [START, Timestamp::from_secs(START.as_secs() - 1)] {
        let err = refused(&f, &key, || f.import_plain(&key, &m, Expiry::At(at)));
        assert!(
            matches!(err, KmsError::InvalidExpiry { expiry, now } if expiry == at && now == START),
            "{err}"
        );
    }
    f.import_plain(&key, &m, f.later(1)).unwrap();
}

#[test]
fn different_material_is_refused_after_import_after_delete_and_after_expiry() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    let (m, other) = (material(1, 32), material(2, 32));
    f.import_plain(&key, &m, f.later(3600)).unwrap();

    let err = refused(&f, &key, || f.import_plain(&key, &other, Expiry::Never));
    assert!(
        matches!(err, KmsError::MaterialMismatch { key_id } if key_id == key),
        "{err}"
    );

    f.kms.delete_imported_key_material(&f.tenant, &key).unwrap();
    let err = refused(&f, &key, || f.import_plain(&key, &other, Expiry::Never));
    assert!(matches!(err, KmsError::MaterialMismatch { .. }), "{err}");

    f.import_plain(&key, &m, f.later(10)).unwrap();
    f.clock.advance(std::time::Duration::from_secs(11));
    assert_eq!(f.state(&key), KeyStateKind::PendingImport);
    let err = refused(&f, &key, || f.import_plain(&key, &other, Expiry::Never));
    assert!(matches!(err, KmsError::MaterialMismatch { .. }), "{err}");
}

#[test]
fn error_order_follows_the_documented_sequence() {
    // A missing key with a garbage token reports the key, not the token; a foreign token with
    // garbage material reports the token, not the unwrap.
    let f = fixture();
    let a = f.external(KeySpec::Aes256);
    let b = f.external(KeySpec::Aes256);
    let pa = f.oaep_params(&a);
    let missing: KeyId = "11111111-2222-4333-8444-555555555555".parse().unwrap();
    assert!(matches!(
        f.import(&missing, &pa, vec![1], Expiry::Never),
        Err(KmsError::KeyNotFound { .. })
    ));
    assert!(matches!(
        f.import(&b, &pa, vec![1], Expiry::Never),
        Err(KmsError::ImportTokenForeign)
    ));
    // Wrong length beats mismatch and bad expiry.
    f.import_plain(&a, &material(1, 32), Expiry::Never).unwrap();
    let err = f
        .import_plain(&a, &material(2, 31), Expiry::At(START))
        .unwrap_err();
    assert!(matches!(err, KmsError::MaterialLength { .. }), "{err}");
    let err = f
        .import_plain(&a, &material(2, 32), Expiry::At(START))
        .unwrap_err();
    assert!(matches!(err, KmsError::MaterialMismatch { .. }), "{err}");
}

#[test]
fn material_claims_are_checked_after_origin_and_state_and_before_unwrapping() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    let p = f.oaep_params(&key);
    let material = material(5, 32);
    let claim_import = |claim| {
        f.kms.import_key_material(
            &f.tenant,
            ImportRequest {
                key_id: key,
                import_token: p.import_token.clone(),
                encrypted_material: EncryptedMaterial::new(oaep_sha256(
                    &p.public_key_der,
                    &material,
                ))
                .unwrap(),
                wrapped_private_key: None,
                expiry: Expiry::Never,
                policy: ImportPolicy::default(),
                claim,
            },
        )
    };
    assert!(matches!(
        claim_import(MaterialClaim::Existing(None)),
        Err(KmsError::NoMaterialYet { .. })
    ));
    let first = claim_import(MaterialClaim::New).unwrap();
    assert!(matches!(
        claim_import(MaterialClaim::New),
        Err(KmsError::MaterialAlreadySet { .. })
    ));
    let other_id: MaterialId = "ab".repeat(32).parse().unwrap();
    assert!(matches!(
        claim_import(MaterialClaim::Existing(Some(other_id))),
        Err(KmsError::MaterialMismatch { .. })
    ));
    let again = claim_import(MaterialClaim::Existing(Some(first.material_id))).unwrap();
    assert_eq!(again.material_id, first.material_id);

    // Deleting named material: origin and state first, then the name.
    let generated = f.create(KeySpec::Aes256, Origin::Generated);
    assert!(matches!(
        f.kms
            .delete_named_key_material(&f.tenant, &generated, &other_id),
        Err(KmsError::NotExternal { .. })
    ));
    assert!(matches!(
        f.kms.delete_named_key_material(&f.tenant, &key, &other_id),
        Err(KmsError::UnknownMaterial { .. })
    ));
    assert_eq!(
        f.state(&key),
        KeyStateKind::Enabled,
        "a refused delete changes nothing"
    );
    f.kms
        .delete_named_key_material(&f.tenant, &key, &first.material_id)
        .unwrap();
    assert_eq!(f.state(&key), KeyStateKind::PendingImport);
    assert!(matches!(
        f.kms
            .delete_named_key_material(&f.tenant, &key, &first.material_id),
        Err(KmsError::InvalidState { .. })
    ));
}

/// A key made again under its id (a declared key after a reset) is another key: a token
/// issued for the one before does not open for it.
#[test]
fn a_token_does_not_open_for_a_key_made_again_under_its_id() {
    let f = fixture();
    let declared = SeedKey {
        id: "0d0466b0-e727-4d9c-b35d-f84bb474a37f".parse().unwrap(),
        spec: KeySpec::Aes256,
        usage: kms_core::KeyUsage::EncryptDecrypt,
        origin: Origin::External,
        description: String::new(),
        tags: Tags::default(),
        material: SeedMaterial::Absent,
        enabled: true,
        aliases: Vec::new(),
    };
    let id = declared.id;
    f.kms.seed_key(&f.tenant, &declared).unwrap();
    let before = f.oaep_params(&id);
    f.kms.reset(Some(&f.tenant)).unwrap();
    f.clock.advance(std::time::Duration::from_secs(1));
    f.kms.seed_key(&f.tenant, &declared).unwrap();
    let m = material(6, 32);
    let err = refused(&f, &id, || {
        f.import(
            &id,
            &before,
            oaep_sha256(&before.public_key_der, &m),
            Expiry::Never,
        )
    });
    assert!(matches!(err, KmsError::ImportTokenForeign), "{err}");
    // The key's own parameters import.
    let now = f.oaep_params(&id);
    f.import(
        &id,
        &now,
        oaep_sha256(&now.public_key_der, &m),
        Expiry::Never,
    )
    .unwrap();
}
