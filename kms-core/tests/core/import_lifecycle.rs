//! The import state machine over time: re-import, expiry, deletion of material, deletion of
//! keys, several tokens, concurrency.

use std::time::Duration;

use kms_core::*;

use crate::support::*;

#[test]
fn external_key_starts_pending_import_and_refuses_crypto() {
    let f = fixture();
    for spec in KeySpec::SYMMETRIC {
        let key = f.external(spec);
        let d = f.describe(&key);
        assert_eq!(
            (d.state, d.origin, d.material_id, d.has_material()),
            (KeyStateKind::PendingImport, Origin::External, None, false)
        );
        let err = f.encrypt(&key, b"x").unwrap_err();
        assert!(
            matches!(
                err,
                KmsError::InvalidState {
                    state: KeyStateKind::PendingImport,
                    operation: Operation::Cryptography,
                    ..
                }
            ),
            "{err}"
        );
        assert!(f.kms.enable_key(&f.tenant, &key).is_err());
        assert!(f.kms.disable_key(&f.tenant, &key).is_err());
    }
}

#[test]
fn reimport_of_the_same_material_sets_the_new_expiry_and_keeps_the_state() {
    let f = fixture();
    let key = f.external(KeySpec::Sm4);
    let m = material(4, 16);
    let first = f.import_plain(&key, &m, f.later(100)).unwrap();
    assert_eq!(first.key.state, KeyStateKind::Enabled);
    assert_eq!(first.key.material_id, Some(first.material_id));
    let second = f.import_plain(&key, &m, f.later(5000)).unwrap();
    assert_eq!(second.material_id, first.material_id);
    assert_eq!(f.describe(&key).material_expiry, Some(f.later(5000)));
    f.import_plain(&key, &m, Expiry::Never).unwrap();
    assert_eq!(f.describe(&key).material_expiry, Some(Expiry::Never));
    f.kms.disable_key(&f.tenant, &key).unwrap();
    f.import_plain(&key, &m, f.later(7)).unwrap();
    assert_eq!(f.state(&key), KeyStateKind::Disabled);
}

#[test]
fn tokens_are_not_consumed_and_several_may_be_outstanding() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    let m = material(8, 32);
    let p1 = f.oaep_params(&key);
    let p2 = f.params(&key, WrappingAlgorithm::Sm2Pke, WrappingKeySpec::Sm2);
    let sm2 = &sm2_vectors()["vectors"][1];
    let p3 = f.params(
        &key,
        WrappingAlgorithm::RsaesOaepSha1,
        WrappingKeySpec::Rsa2048,
    );
    f.import(
        &key,
        &p1,
        oaep_sha256(&p1.public_key_der, &m),
        Expiry::Never,
    )
    .unwrap();
    // The same token again, for a re-import.
    f.import(&key, &p1, oaep_sha256(&p1.public_key_der, &m), f.later(60))
        .unwrap();
    // A token issued earlier, still valid.
    f.import(&key, &p3, oaep_sha1(&p3.public_key_der, &m), f.later(60))
        .unwrap();
    // The SM2 token, issued before these imports, is still valid too: its vector material
    // unwraps and is then refused only because it is not this key's material.
    let err = f
        .import(&key, &p2, hex(&sm2["der_c1c3c2_hex"]), Expiry::Never)
        .unwrap_err();
    assert!(matches!(err, KmsError::MaterialMismatch { .. }), "{err}");
}

#[test]
fn material_expiry_returns_the_key_to_pending_import_until_the_same_material_comes_back() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    let m = material(6, 32);
    f.import_plain(&key, &m, f.later(3600)).unwrap();
    let blob = f.encrypt(&key, b"before expiry").unwrap();
    f.clock.advance(Duration::from_secs(3599));
    assert_eq!(f.state(&key), KeyStateKind::Enabled);
    f.clock.advance(Duration::from_secs(1));
    let d = f.describe(&key);
    assert_eq!(
        (d.state, d.has_material()),
        (KeyStateKind::PendingImport, false)
    );
    assert!(
        d.material_id.is_some(),
        "the fingerprint outlives the material"
    );
    assert!(matches!(
        f.encrypt(&key, b"x"),
        Err(KmsError::InvalidState { .. })
    ));
    assert!(matches!(
        f.decrypt(&blob),
        Err(KmsError::InvalidState { .. })
    ));
    f.import_plain(&key, &m, Expiry::Never).unwrap();
    assert_eq!(f.decrypt(&blob).unwrap(), b"before expiry");
}

#[test]
fn expiry_of_a_disabled_key_and_of_a_key_pending_deletion() {
    let f = fixture();
    let m = material(6, 32);
    let disabled = f.external(KeySpec::Aes256);
    f.import_plain(&disabled, &m, f.later(10)).unwrap();
    f.kms.disable_key(&f.tenant, &disabled).unwrap();
    let pending = f.external(KeySpec::Aes256);
    f.import_plain(&pending, &m, f.later(10)).unwrap();
    let window = DeletionWindow::days_within(7, 7..=30).unwrap();
    f.kms
        .schedule_key_deletion(&f.tenant, &pending, window, DeletionPolicy::default())
        .unwrap();
    f.clock.advance(Duration::from_secs(10));
    assert_eq!(f.state(&disabled), KeyStateKind::PendingImport);
    let d = f.describe(&pending);
    assert_eq!(
        (d.state, d.has_material()),
        (KeyStateKind::PendingDeletion, false)
    );
    // Cancelling now leads to PendingImport, as there is no material left.
    assert_eq!(
        f.kms
            .cancel_key_deletion(&f.tenant, &pending)
            .unwrap()
            .state,
        KeyStateKind::PendingImport
    );
}

#[test]
fn delete_imported_material_then_reimport_restores_old_ciphertexts() {
    let f = fixture();
    let key = f.external(KeySpec::Sm4);
    let m = material(7, 16);
    f.import_plain(&key, &m, Expiry::Never).unwrap();
    let blob = f.encrypt(&key, b"keep me").unwrap();
    let d = f.kms.delete_imported_key_material(&f.tenant, &key).unwrap();
    assert_eq!(
        (d.state, d.has_material()),
        (KeyStateKind::PendingImport, false)
    );
    assert!(matches!(
        f.decrypt(&blob),
        Err(KmsError::InvalidState { .. })
    ));
    let err = f
        .kms
        .delete_imported_key_material(&f.tenant, &key)
        .unwrap_err();
    assert!(
        matches!(
            err,
            KmsError::InvalidState {
                operation: Operation::DeleteImportedKeyMaterial,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        f.import_plain(&key, &m, Expiry::Never).unwrap().key.state,
        KeyStateKind::Enabled
    );
    assert_eq!(f.decrypt(&blob).unwrap(), b"keep me");
}

#[test]
fn deleting_material_of_a_key_pending_deletion_keeps_it_pending() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    f.import_plain(&key, &material(1, 32), Expiry::Never)
        .unwrap();
    let window = DeletionWindow::days_within(30, 7..=30).unwrap();
    f.kms
        .schedule_key_deletion(&f.tenant, &key, window, DeletionPolicy::default())
        .unwrap();
    let d = f.kms.delete_imported_key_material(&f.tenant, &key).unwrap();
    assert_eq!(
        (d.state, d.has_material()),
        (KeyStateKind::PendingDeletion, false)
    );
}

#[test]
fn same_material_in_two_keys_cannot_cross_decrypt() {
    let f = fixture();
    let m = material(9, 32);
    let a = f.external(KeySpec::Aes256);
    let b = f.external(KeySpec::Aes256);
    let ida = f.import_plain(&a, &m, Expiry::Never).unwrap().material_id;
    let idb = f.import_plain(&b, &m, Expiry::Never).unwrap().material_id;
    assert_ne!(ida, idb, "material ids are per key");
    let blob = f.encrypt(&a, b"for a").unwrap();
    // Re-label the blob with b's id: b holds the same bytes, yet it must not decrypt.
    let mut relabelled = blob.clone();
    relabelled[1..17].copy_from_slice(b.as_bytes());
    assert!(matches!(
        f.decrypt(&relabelled),
        Err(KmsError::InvalidCiphertext)
    ));
    assert_eq!(f.decrypt(&blob).unwrap(), b"for a");
}

#[test]
fn schedule_and_cancel_deletion_of_external_keys() {
    let f = fixture();
    let window = DeletionWindow::days_within(7, 7..=30).unwrap();
    let empty = f.external(KeySpec::Aes256);
    let d = f
        .kms
        .schedule_key_deletion(&f.tenant, &empty, window, DeletionPolicy::default())
        .unwrap();
    assert_eq!(
        d.deletion_date,
        Some(Timestamp::from_secs(START.as_secs() + 7 * 86_400))
    );
    assert_eq!(
        f.kms.cancel_key_deletion(&f.tenant, &empty).unwrap().state,
        KeyStateKind::PendingImport
    );

    let full = f.external(KeySpec::Aes256);
    f.import_plain(&full, &material(1, 32), Expiry::Never)
        .unwrap();
    f.kms
        .schedule_key_deletion(&f.tenant, &full, window, DeletionPolicy::default())
        .unwrap();
    assert!(matches!(
        f.encrypt(&full, b"x"),
        Err(KmsError::InvalidState {
            state: KeyStateKind::PendingDeletion,
            ..
        })
    ));
    let d = f.kms.cancel_key_deletion(&f.tenant, &full).unwrap();
    assert_eq!((d.state, d.deletion_date), (KeyStateKind::Disabled, None));
    assert!(matches!(
        f.encrypt(&full, b"x"),
        Err(KmsError::Disabled { .. })
    ));
}

#[test]
fn never_expiring_material_survives_huge_clock_jumps() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    f.import_plain(&key, &material(1, 32), Expiry::Never)
        .unwrap();
    f.clock.advance(Duration::from_secs(100 * 365 * 86_400));
    assert_eq!(f.state(&key), KeyStateKind::Enabled);
    f.kms.sweep().unwrap();
    assert_eq!(f.state(&key), KeyStateKind::Enabled);
}

#[test]
fn concurrent_imports_of_different_materials_have_exactly_one_winner() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    let p = f.oaep_params(&key);
    let wrapped: Vec<(Vec<u8>, Vec<u8>)> = (0..32u8)
        .map(|i| {
            let m = material(i.wrapping_mul(7), 32);
            (m.clone(), oaep_sha256(&p.public_key_der, &m))
        })
        .collect();
    let results: Vec<Result<ImportOutcome, KmsError>> = std::thread::scope(|s| {
        let handles: Vec<_> = wrapped
            .iter()
            .map(|(_, w)| {
                let (f, p) = (&f, &p);
                s.spawn(move || f.import(&key, p, w.clone(), Expiry::Never))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_ok())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for r in results.iter().filter(|r| r.is_err()) {
        assert!(matches!(r, Err(KmsError::MaterialMismatch { .. })), "{r:?}");
    }
    let winner = winners[0];
    // Only the winner's material is accepted from now on.
    for (i, (m, _)) in wrapped.iter().enumerate() {
        assert_eq!(
            f.import_plain(&key, m, Expiry::Never).is_ok(),
            i == winner,
            "material {i}"
        );
    }
}

#[test]
fn a_key_is_purged_when_its_deletion_window_passes() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    let untouched = f.external(KeySpec::Aes256);
    let window = DeletionWindow::days_within(7, 7..=1096).unwrap();
    f.kms
        .schedule_key_deletion(&f.tenant, &key, window, DeletionPolicy::default())
        .unwrap();
    f.kms
        .schedule_key_deletion(&f.tenant, &untouched, window, DeletionPolicy::default())
        .unwrap();
    f.clock.advance(7 * DAY - Duration::from_secs(1));
    assert_eq!(f.state(&key), KeyStateKind::PendingDeletion);
    f.clock.advance(Duration::from_secs(1));
    assert!(matches!(
        f.kms.describe_key(&f.tenant, &key),
        Err(KmsError::KeyNotFound { .. })
    ));
    // The sweeper removes keys nobody looks at.
    assert!(f.kms.store().get(&f.tenant, &untouched).unwrap().is_some());
    let report = f.kms.sweep().unwrap();
    assert_eq!(report.changed, 1);
    assert!(f.kms.store().get(&f.tenant, &untouched).unwrap().is_none());
}

#[test]
fn the_sweeper_erases_expired_material_from_the_store() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    f.import_plain(&key, &material(1, 32), f.later(5)).unwrap();
    let before = f.kms.store().get(&f.tenant, &key).unwrap();
    f.clock.advance(Duration::from_secs(5));
    assert_eq!(
        f.kms.sweep().unwrap(),
        SweepReport {
            examined: 1,
            changed: 1,
            failed: 0
        }
    );
    let after = f.kms.store().get(&f.tenant, &key).unwrap();
    assert_ne!(before, after);
    assert!(!String::from_utf8_lossy(&after.unwrap()).contains("sealed"));
    assert_eq!(
        f.kms.sweep().unwrap(),
        SweepReport {
            examined: 1,
            changed: 0,
            failed: 0
        }
    );
}

#[test]
fn an_unreadable_record_does_not_stop_the_sweep() {
    let f = fixture();
    let broken = f.external(KeySpec::Aes256);
    f.kms
        .store()
        .update(&f.tenant, &broken, &mut |_| {
            kms_core::store::Change::Put(b"not a record".to_vec())
        })
        .unwrap();
    let key = f.external(KeySpec::Aes256);
    f.import_plain(&key, &material(1, 32), f.later(5)).unwrap();
    f.clock.advance(Duration::from_secs(5));
    let report = f.kms.sweep().unwrap();
    assert_eq!((report.examined, report.changed, report.failed), (2, 1, 1));
    assert!(matches!(
        f.kms.describe_key(&f.tenant, &broken),
        Err(KmsError::Internal(InternalError::CorruptRecord(_)))
    ));
}
