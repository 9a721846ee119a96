//! Key rotation (#17): imported keys with several materials (the AWS developer guide's flow),
//! generated keys rotated on demand and on the emulated clock, one pending material under
//! concurrent imports, and the refusals.

use std::sync::Arc;
use std::time::Duration;

use kms_core::*;

use crate::support::*;

fn roles(f: &Fixture, key: &KeyId) -> Vec<(MaterialId, MaterialRole, MaterialPresence)> {
    f.kms
        .list_key_materials(&f.tenant, key)
        .unwrap()
        .into_iter()
        .map(|m| (m.material_id, m.role, m.presence))
        .collect()
}

/// The material that decrypts `blob` (`None`: it does not decrypt).
fn decrypted_with(f: &Fixture, blob: &[u8]) -> Option<MaterialId> {
    f.kms
        .decrypt(&f.tenant, blob, &EncryptionContext::new())
        .ok()
        .and_then(|d| d.material_id)
}

/// Import A, NEW B (pending), encrypt (A), rotate, encrypt (B), both decrypt, the listing
/// shows both; delete A → PendingImport; re-import A → both decrypt again.
#[test]
fn the_developer_guide_flow_for_imported_material() {
    use MaterialPresence::*;
    use MaterialRole::*;
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    let a = f
        .import_plain(&key, &material(1, 32), Expiry::Never)
        .unwrap()
        .material_id;
    let b = f
        .import_claimed(
            &key,
            &material(2, 32),
            MaterialClaim::New,
            NewMaterialOptions::new().description("second"),
        )
        .unwrap()
        .material_id;
    assert_ne!(a, b);
    assert_eq!(f.state(&key), KeyStateKind::Enabled);
    assert_eq!(f.describe(&key).current_material_id(), Some(a));
    assert_eq!(
        roles(&f, &key),
        vec![(a, Current, Present), (b, PendingRotation, Present)]
    );
    let under_a = f.encrypt(&key, b"one").unwrap();
    assert_eq!(decrypted_with(&f, &under_a), Some(a));

    f.clock.advance(Duration::from_secs(60));
    let rotated = f
        .kms
        .rotate_key_on_demand(&f.tenant, &key, OnDemandRules::ANY)
        .unwrap();
    assert_eq!(rotated.material_id, Some(b));
    let under_b = f.encrypt(&key, b"two").unwrap();
    assert_eq!(decrypted_with(&f, &under_b), Some(b));
    assert_eq!(decrypted_with(&f, &under_a), Some(a));
    let all = f.kms.list_key_materials(&f.tenant, &key).unwrap();
    assert_eq!(
        all.iter()
            .map(|m| (m.material_id, m.role))
            .collect::<Vec<_>>(),
        vec![(a, Previous), (b, Current)]
    );
    assert_eq!(all[1].description.as_deref(), Some("second"));
    let rotations = f.kms.list_key_rotations(&f.tenant, &key).unwrap();
    assert_eq!(rotations.len(), 1);
    assert_eq!(
        rotations[0].rotation,
        Some(Rotation {
            at: Timestamp::from_millis(START.as_millis() + 60_000),
            kind: RotationType::OnDemand
        })
    );
    // No pending material: an imported key cannot rotate.
    assert!(matches!(
        f.kms
            .rotate_key_on_demand(&f.tenant, &key, OnDemandRules::ANY),
        Err(KmsError::NoPendingMaterial { .. })
    ));

    f.kms
        .delete_named_key_material(&f.tenant, &key, &a)
        .unwrap();
    assert_eq!(f.state(&key), KeyStateKind::PendingImport);
    assert_eq!(roles(&f, &key)[0], (a, Previous, PendingImport));
    assert!(matches!(
        f.decrypt(&under_b),
        Err(KmsError::InvalidState { .. })
    ));
    // Re-importing A, named: both decrypt again.
    let back = f
        .import_claimed(
            &key,
            &material(1, 32),
            MaterialClaim::Existing(Some(a)),
            NewMaterialOptions::new(),
        )
        .unwrap();
    assert_eq!(back.material_id, a);
    assert_eq!(back.key.state, KeyStateKind::Enabled);
    assert_eq!(
        back.key.material_id,
        Some(b),
        "the current material stays B"
    );
    assert_eq!(decrypted_with(&f, &under_a), Some(a));
    assert_eq!(decrypted_with(&f, &under_b), Some(b));
}

#[test]
fn deleting_the_pending_material_leaves_the_key_enabled() {
    let f = fixture();
    let key = f.external(KeySpec::Sm4);
    f.import_plain(&key, &material(1, 16), Expiry::Never)
        .unwrap();
    let b = f
        .import_claimed(
            &key,
            &material(2, 16),
            MaterialClaim::New,
            NewMaterialOptions::new(),
        )
        .unwrap()
        .material_id;
    f.kms
        .delete_named_key_material(&f.tenant, &key, &b)
        .unwrap();
    assert_eq!(f.state(&key), KeyStateKind::Enabled);
    assert_eq!(f.kms.list_key_materials(&f.tenant, &key).unwrap().len(), 1);
    // Without a name, the current material is deleted.
    f.kms.delete_imported_key_material(&f.tenant, &key).unwrap();
    assert_eq!(f.state(&key), KeyStateKind::PendingImport);
}

#[test]
fn expiry_of_a_previous_material_makes_the_key_wait_for_it() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    f.import_plain(&key, &material(1, 32), f.later(100))
        .unwrap();
    f.import_claimed(
        &key,
        &material(2, 32),
        MaterialClaim::New,
        NewMaterialOptions::new(),
    )
    .unwrap();
    f.kms
        .rotate_key_on_demand(&f.tenant, &key, OnDemandRules::ANY)
        .unwrap();
    f.clock.advance(Duration::from_secs(100));
    assert_eq!(f.state(&key), KeyStateKind::PendingImport);
    f.import_plain(&key, &material(1, 32), Expiry::Never)
        .unwrap();
    assert_eq!(f.state(&key), KeyStateKind::Enabled);
}

#[test]
fn asymmetric_and_hmac_keys_take_no_new_material_and_do_not_rotate() {
    let f = fixture();
    let key = f.external(KeySpec::Hmac256);
    f.import_plain(&key, &material(1, 32), Expiry::Never)
        .unwrap();
    assert!(matches!(
        f.import_claimed(
            &key,
            &material(2, 32),
            MaterialClaim::New,
            NewMaterialOptions::new()
        ),
        Err(KmsError::MaterialAlreadySet { .. })
    ));
    for spec in [KeySpec::Hmac256, KeySpec::EccNistP256] {
        let generated = f.create(spec, Origin::Generated);
        assert!(matches!(
            f.kms
                .rotate_key_on_demand(&f.tenant, &generated, OnDemandRules::ANY),
            Err(KmsError::AlgorithmNotForKey { .. })
        ));
        let period = RotationPeriod::days_within(365, 90..=2560).unwrap();
        assert!(matches!(
            f.kms.enable_key_rotation(&f.tenant, &generated, period),
            Err(KmsError::AlgorithmNotForKey { .. })
        ));
    }
}

#[test]
fn imported_keys_have_no_automatic_rotation() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    let period = RotationPeriod::days_within(365, 90..=2560).unwrap();
    assert!(matches!(
        f.kms.enable_key_rotation(&f.tenant, &key, period),
        Err(KmsError::MaterialAlreadySet { .. })
    ));
    let status = f.kms.key_rotation_status(&f.tenant, &key).unwrap();
    assert!(!status.enabled);
}

#[test]
fn generated_keys_rotate_on_demand_and_keep_decrypting() {
    let f = fixture();
    let key = f.create(KeySpec::Aes256, Origin::Generated);
    let first = f.describe(&key).material_id.unwrap();
    let old = f.encrypt(&key, b"old").unwrap();
    let rotated = f
        .kms
        .rotate_key_on_demand(&f.tenant, &key, OnDemandRules::ANY)
        .unwrap();
    let second = rotated.material_id.unwrap();
    assert_ne!(first, second);
    assert_eq!(decrypted_with(&f, &old), Some(first));
    assert_eq!(
        decrypted_with(&f, &f.encrypt(&key, b"new").unwrap()),
        Some(second)
    );
    f.kms.disable_key(&f.tenant, &key).unwrap();
    assert!(matches!(
        f.kms
            .rotate_key_on_demand(&f.tenant, &key, OnDemandRules::ANY),
        Err(KmsError::Disabled { .. })
    ));
}

/// A year on the emulated clock with a 90-day period: four automatic rotations, each dated
/// at its schedule, applied when the key is next read; old ciphertexts still decrypt.
#[test]
fn automatic_rotation_follows_the_clock() {
    let f = fixture();
    let key = f.create(KeySpec::Sm4, Origin::Generated);
    let first = f.describe(&key).material_id.unwrap();
    let old = f.encrypt(&key, b"a year ago").unwrap();
    let period = RotationPeriod::days_within(90, 90..=2560).unwrap();
    let status = f.kms.enable_key_rotation(&f.tenant, &key, period).unwrap();
    assert!(status.enabled);
    assert_eq!(status.period, Some(period));
    let due = START.saturating_add(90 * DAY);
    assert_eq!(status.next_rotation, Some(due));

    f.clock.advance(89 * DAY);
    assert_eq!(f.describe(&key).material_id, Some(first));
    f.clock.advance(365 * DAY - 89 * DAY);
    let now_current = f.describe(&key).material_id.unwrap();
    assert_ne!(now_current, first);
    let rotations = f.kms.list_key_rotations(&f.tenant, &key).unwrap();
    assert_eq!(rotations.len(), 4);
    for (i, r) in rotations.iter().enumerate() {
        let at = START.saturating_add(90 * DAY * (i as u32 + 1));
        assert_eq!(
            r.rotation,
            Some(Rotation {
                at,
                kind: RotationType::Automatic
            })
        );
    }
    assert_eq!(decrypted_with(&f, &old), Some(first));
    let status = f.kms.key_rotation_status(&f.tenant, &key).unwrap();
    assert_eq!(status.next_rotation, Some(START.saturating_add(450 * DAY)));

    // Disabled rotation stops the schedule.
    f.kms.disable_key_rotation(&f.tenant, &key).unwrap();
    f.clock.advance(365 * DAY);
    assert_eq!(f.describe(&key).material_id, Some(now_current));
}

#[test]
fn the_sweeper_rotates_keys_nobody_reads() {
    let f = fixture();
    let key = f.create(KeySpec::Aes256, Origin::Generated);
    let period = RotationPeriod::days_within(7, 7..=365).unwrap();
    f.kms.enable_key_rotation(&f.tenant, &key, period).unwrap();
    let before = f.kms.store().get(&f.tenant, &key).unwrap();
    f.clock.advance(8 * DAY);
    assert_eq!(f.kms.sweep().unwrap().changed, 1);
    assert_ne!(f.kms.store().get(&f.tenant, &key).unwrap(), before);
    assert_eq!(f.kms.list_key_rotations(&f.tenant, &key).unwrap().len(), 1);
}

/// Many NEW imports at once into one key: exactly one becomes pending, the others are
/// refused as a key that already has one.
#[test]
fn concurrent_new_imports_leave_exactly_one_pending() {
    let f = Arc::new(fixture());
    let key = f.external(KeySpec::Aes256);
    f.import_plain(&key, &material(1, 32), Expiry::Never)
        .unwrap();
    let threads: Vec<_> = (0..6u8)
        .map(|i| {
            let f = Arc::clone(&f);
            std::thread::spawn(move || {
                f.import_claimed(
                    &key,
                    &material(10 + i, 32),
                    MaterialClaim::New,
                    NewMaterialOptions::new(),
                )
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(_) | Err(KmsError::AnotherMaterialPending { .. })))
    );
    let pending = roles(&f, &key)
        .into_iter()
        .filter(|(_, role, _)| *role == MaterialRole::PendingRotation)
        .count();
    assert_eq!(pending, 1);
}

/// A disabled key does not rotate; enabled after its date it rotates once (at its next
/// access), not once per missed date; pending deletion shows rotation as off.
#[test]
fn disabled_keys_do_not_rotate_and_catch_up_once() {
    let f = fixture();
    let key = f.create(KeySpec::Aes256, Origin::Generated);
    let period = RotationPeriod::days_within(90, 90..=2560).unwrap();
    f.kms.enable_key_rotation(&f.tenant, &key, period).unwrap();
    f.kms.disable_key(&f.tenant, &key).unwrap();
    f.clock.advance(400 * DAY);
    assert!(
        f.kms
            .list_key_rotations(&f.tenant, &key)
            .unwrap()
            .is_empty()
    );
    f.kms.enable_key(&f.tenant, &key).unwrap();
    let rotations = f.kms.list_key_rotations(&f.tenant, &key).unwrap();
    assert_eq!(rotations.len(), 1);
    assert_eq!(
        rotations[0].rotation.map(|r| r.at),
        Some(START.saturating_add(400 * DAY))
    );
    let window = DeletionWindow::days_within(7, 7..=30).unwrap();
    f.kms
        .schedule_key_deletion(&f.tenant, &key, window, DeletionPolicy::default())
        .unwrap();
    assert!(!f.kms.key_rotation_status(&f.tenant, &key).unwrap().enabled);
    f.kms.cancel_key_deletion(&f.tenant, &key).unwrap();
    assert!(f.kms.key_rotation_status(&f.tenant, &key).unwrap().enabled);
}

/// Years on the clock over a short period: at most 64 rotations are caught up at once, and
/// the schedule then starts again from now.
#[test]
fn catching_up_is_bounded() {
    let f = fixture();
    let key = f.create(KeySpec::Aes256, Origin::Generated);
    let period = RotationPeriod::days_within(7, 7..=365).unwrap();
    f.kms.enable_key_rotation(&f.tenant, &key, period).unwrap();
    f.clock.advance(3650 * DAY);
    assert_eq!(f.kms.list_key_rotations(&f.tenant, &key).unwrap().len(), 64);
    let status = f.kms.key_rotation_status(&f.tenant, &key).unwrap();
    assert_eq!(
        status.next_rotation,
        Some(f.clock.now().saturating_add(7 * DAY))
    );
    assert_eq!(f.kms.list_key_rotations(&f.tenant, &key).unwrap().len(), 64);
}

/// A front end that cannot rotate (it calls `import_key_material`, or does not ask for
/// rotation) keeps today's answer: NEW material into a key that has some is refused, and the
/// key is left as it was.
#[test]
fn new_material_without_rotation_is_refused_as_before() {
    let f = fixture();
    let key = f.external(KeySpec::Aes256);
    f.import_plain(&key, &material(1, 32), Expiry::Never)
        .unwrap();
    let p = f.oaep_params(&key);
    let refused = f.kms.import_key_material(
        &f.tenant,
        ImportRequest {
            key_id: key,
            import_token: p.import_token.clone(),
            encrypted_material: EncryptedMaterial::new(oaep_sha256(
                &p.public_key_der,
                &material(2, 32),
            ))
            .unwrap(),
            wrapped_private_key: None,
            expiry: Expiry::Never,
            policy: ImportPolicy::default(),
            claim: MaterialClaim::New,
        },
    );
    assert!(
        matches!(refused, Err(KmsError::MaterialAlreadySet { .. })),
        "{refused:?}"
    );
    assert_eq!(f.kms.list_key_materials(&f.tenant, &key).unwrap().len(), 1);
}

/// The on-demand bound is checked inside the key's one update: rotations racing from many
/// threads stop at exactly the bound, each refused one with `RotationLimit`.
#[test]
fn concurrent_rotations_on_demand_stop_exactly_at_the_limit() {
    let f = fixture();
    let key = f.create(KeySpec::Aes256, Origin::Generated);
    let limit = OnDemandRules {
        at_most: Some(5),
        needs_schedule: false,
        min_interval: None,
    };
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let f = &f;
                s.spawn(move || {
                    (0..4)
                        .map(|_| f.kms.rotate_key_on_demand(&f.tenant, &key, limit))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let done = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(done, 5);
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(refused, KmsError::RotationLimit { done: 5, .. }),
            "{refused}"
        );
    }
    let on_demand = f
        .kms
        .list_key_materials(&f.tenant, &key)
        .unwrap()
        .iter()
        .filter(|m| m.rotation.is_some_and(|r| r.kind == RotationType::OnDemand))
        .count();
    assert_eq!(on_demand, 5);
}

/// A new period for a key that rotates, refused (and nothing changed) for one that does not;
/// rotation on demand that needs a schedule, refused without one.
#[test]
fn schedule_dependent_changes_are_refused_in_the_same_update() {
    let f = fixture();
    let key = f.create(KeySpec::Aes256, Origin::Generated);
    let days = |d| RotationPeriod::days_within(d, 1..=3650).unwrap();
    assert!(matches!(
        f.kms.change_rotation_period(&f.tenant, &key, days(30)),
        Err(KmsError::RotationNotEnabled { .. })
    ));
    assert!(!f.kms.key_rotation_status(&f.tenant, &key).unwrap().enabled);
    let scheduled = OnDemandRules {
        at_most: None,
        needs_schedule: true,
        min_interval: None,
    };
    assert!(matches!(
        f.kms.rotate_key_on_demand(&f.tenant, &key, scheduled),
        Err(KmsError::RotationNotEnabled { .. })
    ));
    assert!(
        f.kms
            .list_key_rotations(&f.tenant, &key)
            .unwrap()
            .is_empty()
    );

    f.kms
        .enable_key_rotation(&f.tenant, &key, days(90))
        .unwrap();
    let changed = f
        .kms
        .change_rotation_period(&f.tenant, &key, days(30))
        .unwrap();
    assert_eq!(changed.period, Some(days(30)));
    assert_eq!(
        f.kms.key_rotation_status(&f.tenant, &key).unwrap().period,
        Some(days(30))
    );
    f.kms
        .rotate_key_on_demand(&f.tenant, &key, scheduled)
        .unwrap();
    f.kms.disable_key_rotation(&f.tenant, &key).unwrap();
    assert!(matches!(
        f.kms.change_rotation_period(&f.tenant, &key, days(60)),
        Err(KmsError::RotationNotEnabled { .. })
    ));
    assert!(!f.kms.key_rotation_status(&f.tenant, &key).unwrap().enabled);
}

/// A minimum interval between rotations on demand: a second rotation too soon is refused
/// (saying when it is allowed), a disabled key says so first, and after the interval the key
/// rotates again.
#[test]
fn rotations_on_demand_keep_their_minimum_interval() {
    let f = fixture();
    let key = f.create(KeySpec::Aes256, Origin::Generated);
    let day = Duration::from_secs(24 * 3600);
    let rules = OnDemandRules {
        at_most: None,
        needs_schedule: false,
        min_interval: Some(day),
    };
    f.kms.rotate_key_on_demand(&f.tenant, &key, rules).unwrap();
    let first = f.kms.now();
    f.clock.advance(Duration::from_secs(3600));
    match f.kms.rotate_key_on_demand(&f.tenant, &key, rules) {
        Err(KmsError::RotationTooSoon { allowed_at, .. }) => {
            assert_eq!(allowed_at, first.saturating_add(day));
        }
        other => panic!("{other:?}"),
    }
    f.kms.disable_key(&f.tenant, &key).unwrap();
    assert!(matches!(
        f.kms.rotate_key_on_demand(&f.tenant, &key, rules),
        Err(KmsError::Disabled { .. })
    ));
    f.kms.enable_key(&f.tenant, &key).unwrap();
    f.clock.advance(day);
    f.kms.rotate_key_on_demand(&f.tenant, &key, rules).unwrap();
    assert_eq!(f.kms.list_key_rotations(&f.tenant, &key).unwrap().len(), 2);

    // The clock moved back to between the two rotations: the second lies ahead and holds
    // nothing back, the first is judged as before.
    f.clock.set(first.saturating_add(Duration::from_secs(7200)));
    match f.kms.rotate_key_on_demand(&f.tenant, &key, rules) {
        Err(KmsError::RotationTooSoon { allowed_at, .. }) => {
            assert_eq!(allowed_at, first.saturating_add(day));
        }
        other => panic!("{other:?}"),
    }
    f.clock.set(first.saturating_add(day));
    f.kms.rotate_key_on_demand(&f.tenant, &key, rules).unwrap();
}

/// A key pending deletion has its schedule suspended, but its state, not the schedule, is
/// why schedule-dependent changes are refused.
#[test]
fn schedule_dependent_changes_of_a_key_pending_deletion_name_its_state() {
    let f = fixture();
    let key = f.create(KeySpec::Aes256, Origin::Generated);
    let days = |d| RotationPeriod::days_within(d, 1..=3650).unwrap();
    f.kms
        .enable_key_rotation(&f.tenant, &key, days(90))
        .unwrap();
    f.kms
        .schedule_key_deletion(
            &f.tenant,
            &key,
            DeletionWindow::days_within(7, 7..=30).unwrap(),
            DeletionPolicy::default(),
        )
        .unwrap();
    let scheduled = OnDemandRules {
        at_most: None,
        needs_schedule: true,
        min_interval: None,
    };
    for refused in [
        f.kms
            .rotate_key_on_demand(&f.tenant, &key, scheduled)
            .map(|_| ()),
        f.kms
            .change_rotation_period(&f.tenant, &key, days(30))
            .map(|_| ()),
    ] {
        assert!(
            matches!(refused, Err(KmsError::InvalidState { .. })),
            "{refused:?}"
        );
    }
}
