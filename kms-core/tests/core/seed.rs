//! Declared keys: created with their id, kept when they exist as declared, refused (changing
//! nothing) when the store holds another key under the id or an alias names another key.

use kms_core::{
    AliasName, Expiry, KeyId, KeySpec, KeyStateKind, KeyUsage, KmsError, Origin, RedbStore,
    Retarget, RootKey, SecretBytes, SeedConflict, SeedError, SeedKey, SeedMaterial, Seeded, Tags,
};
use std::sync::Arc;

use crate::support::{Fixture, Interloper, fixture, fixture_over, material};

const ID: &str = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";

fn id() -> KeyId {
    ID.parse().unwrap()
}

fn given(bytes: &[u8], expiry: Expiry) -> SeedMaterial {
    SeedMaterial::Given {
        secret: SecretBytes::from(bytes.to_vec()),
        expiry,
    }
}

fn declared(origin: Origin, material: SeedMaterial) -> SeedKey {
    SeedKey {
        id: id(),
        spec: KeySpec::Aes256,
        usage: KeyUsage::EncryptDecrypt,
        origin,
        description: "seeded".into(),
        tags: Tags::from_pairs([("team".to_owned(), "payments".to_owned())]).unwrap(),
        material,
        enabled: true,
        aliases: vec![AliasName::new("alias/payments").unwrap()],
    }
}

/// Seeds, after checking that the dry run predicts the same outcome.
fn seed(f: &Fixture, key: &SeedKey) -> Result<Seeded, SeedError> {
    let predicted = f.kms.check_seed_key(&f.tenant, key);
    let done = f.kms.seed_key(&f.tenant, key);
    assert_eq!(format!("{predicted:?}"), format!("{done:?}"));
    done
}

#[test]
fn an_external_key_with_material_is_created_as_imported_and_kept_the_second_time() {
    let f = fixture();
    let m = material(1, 32);
    let key = declared(Origin::External, given(&m, f.later(3600)));
    assert_eq!(seed(&f, &key).unwrap(), Seeded::Created);
    let d = f.describe(&id());
    assert_eq!(d.state, KeyStateKind::Enabled);
    assert_eq!(d.origin, Origin::External);
    assert_eq!(d.description, "seeded");
    assert_eq!(d.tags.get("team"), Some("payments"));
    assert_eq!(d.material_expiry, Some(f.later(3600)));
    let alias = AliasName::new("alias/payments").unwrap();
    assert_eq!(f.kms.resolve_alias(&f.tenant, &alias).unwrap(), id());

    let blob = f.encrypt(&id(), b"hello").unwrap();
    assert_eq!(seed(&f, &key).unwrap(), Seeded::Kept);
    assert_eq!(f.decrypt(&blob).unwrap(), b"hello");
}

#[test]
fn seeded_material_follows_the_import_rules_of_the_api() {
    let f = fixture();
    let m = material(1, 32);
    seed(&f, &declared(Origin::External, given(&m, Expiry::Never))).unwrap();
    // The same material again through the API: accepted.
    f.import_plain(&id(), &m, Expiry::Never).unwrap();
    // Other material: refused, as for a key imported through the API.
    assert!(matches!(
        f.import_plain(&id(), &material(2, 32), Expiry::Never),
        Err(KmsError::MaterialMismatch { .. })
    ));
}

#[test]
fn a_pending_external_key_takes_its_first_import_from_the_api() {
    let f = fixture();
    let key = declared(Origin::External, SeedMaterial::Absent);
    assert_eq!(seed(&f, &key).unwrap(), Seeded::Created);
    assert_eq!(f.state(&id()), KeyStateKind::PendingImport);
    f.import_plain(&id(), &material(3, 32), Expiry::Never)
        .unwrap();
    // Declared pending: whatever was imported since satisfies it.
    assert_eq!(seed(&f, &key).unwrap(), Seeded::Kept);
    assert_eq!(f.state(&id()), KeyStateKind::Enabled);
}

#[test]
fn a_pending_key_declared_later_with_material_gets_it_as_an_import() {
    let f = fixture();
    seed(&f, &declared(Origin::External, SeedMaterial::Absent)).unwrap();
    let m = material(4, 32);
    let mut key = declared(Origin::External, given(&m, Expiry::Never));
    key.enabled = false;
    assert_eq!(seed(&f, &key).unwrap(), Seeded::Imported);
    assert_eq!(f.state(&id()), KeyStateKind::Disabled);
    f.import_plain(&id(), &m, Expiry::Never).unwrap();
}

#[test]
fn generated_keys_take_given_or_random_material() {
    let f = fixture();
    let m = material(5, 32);
    let key = declared(Origin::Generated, given(&m, Expiry::Never));
    assert_eq!(seed(&f, &key).unwrap(), Seeded::Created);
    let blob = f.encrypt(&id(), b"x").unwrap();
    // Another declared material for the same generated key: a conflict.
    let other = declared(Origin::Generated, given(&material(6, 32), Expiry::Never));
    assert_eq!(
        conflict(seed(&f, &other)),
        SeedConflict::KeyDiffers {
            key_id: id(),
            what: "material"
        }
    );
    // Random: any material satisfies it.
    let random = declared(Origin::Generated, SeedMaterial::Absent);
    assert_eq!(seed(&f, &random).unwrap(), Seeded::Kept);
    assert_eq!(f.decrypt(&blob).unwrap(), b"x");

    let g = fixture();
    assert_eq!(seed(&g, &random).unwrap(), Seeded::Created);
    assert_eq!(g.state(&id()), KeyStateKind::Enabled);

    // A key still stored but purged meanwhile (its deletion date passed) is made anew, its
    // material generated then: the record is read before generating, the write finds it gone.
    g.kms
        .schedule_key_deletion(
            &g.tenant,
            &id(),
            kms_core::DeletionWindow::days_within(7, 7..=30).unwrap(),
            kms_core::DeletionPolicy::default(),
        )
        .unwrap();
    g.clock.advance(std::time::Duration::from_secs(8 * 86_400));
    assert_eq!(g.kms.seed_key(&g.tenant, &random).unwrap(), Seeded::Created);
    assert_eq!(g.state(&id()), KeyStateKind::Enabled);
    assert_eq!(g.decrypt(&g.encrypt(&id(), b"y").unwrap()).unwrap(), b"y");
}

fn conflict(r: Result<Seeded, SeedError>) -> SeedConflict {
    match r {
        Err(SeedError::Conflict(c)) => c,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn other_material_spec_or_origin_under_the_same_id_is_a_conflict_that_changes_nothing() {
    let f = fixture();
    let m = material(1, 32);
    seed(&f, &declared(Origin::External, given(&m, Expiry::Never))).unwrap();
    let before = f.describe(&id());

    let other = declared(Origin::External, given(&material(9, 32), Expiry::Never));
    assert!(matches!(
        conflict(seed(&f, &other)),
        SeedConflict::KeyDiffers {
            what: "material",
            ..
        }
    ));
    let generated = declared(Origin::Generated, SeedMaterial::Absent);
    assert!(matches!(
        conflict(seed(&f, &generated)),
        SeedConflict::KeyDiffers { what: "origin", .. }
    ));
    let mut sm4 = declared(Origin::External, given(&material(1, 16), Expiry::Never));
    sm4.spec = KeySpec::Sm4;
    assert!(matches!(
        conflict(seed(&f, &sm4)),
        SeedConflict::KeyDiffers {
            what: "key spec",
            ..
        }
    ));
    assert_eq!(f.describe(&id()), before);
}

#[test]
fn attributes_changed_through_the_api_are_left_as_they_are() {
    let f = fixture();
    let key = declared(Origin::External, given(&material(1, 32), Expiry::Never));
    seed(&f, &key).unwrap();
    f.kms.disable_key(&f.tenant, &id()).unwrap();
    f.kms
        .update_key_description(&f.tenant, &id(), "changed".into())
        .unwrap();
    assert_eq!(seed(&f, &key).unwrap(), Seeded::Kept);
    let d = f.describe(&id());
    assert_eq!(d.state, KeyStateKind::Disabled);
    assert_eq!(d.description, "changed");
}

#[test]
fn an_alias_held_by_another_key_refuses_the_entry_before_the_key_is_written() {
    let f = fixture();
    let other = f.create(KeySpec::Aes256, Origin::Generated);
    let alias = AliasName::new("alias/payments").unwrap();
    f.kms.create_alias(&f.tenant, &alias, &other).unwrap();
    let key = declared(Origin::Generated, SeedMaterial::Absent);
    assert_eq!(
        conflict(seed(&f, &key)),
        SeedConflict::AliasTaken {
            alias,
            target: other
        }
    );
    assert!(matches!(
        f.kms.describe_key(&f.tenant, &id()),
        Err(KmsError::KeyNotFound { .. })
    ));
}

#[test]
fn impossible_declarations_are_refused() {
    let f = fixture();
    let mut disabled_pending = declared(Origin::External, SeedMaterial::Absent);
    disabled_pending.enabled = false;
    assert!(matches!(
        conflict(seed(&f, &disabled_pending)),
        SeedConflict::Impossible { .. }
    ));
    let expiring_generated = declared(Origin::Generated, given(&material(1, 32), f.later(60)));
    assert!(matches!(
        conflict(seed(&f, &expiring_generated)),
        SeedConflict::Impossible { .. }
    ));
    let short = declared(Origin::External, given(&material(1, 16), Expiry::Never));
    assert!(matches!(
        seed(&f, &short),
        Err(SeedError::Kms(KmsError::MaterialLength { .. }))
    ));
    let past = declared(
        Origin::External,
        given(&material(1, 32), Expiry::At(f.kms.now())),
    );
    assert!(matches!(
        seed(&f, &past),
        Err(SeedError::Kms(KmsError::InvalidExpiry { .. }))
    ));
    assert!(f.kms.describe_key(&f.tenant, &id()).is_err());
}

#[test]
fn a_key_kept_after_its_declared_material_expired_is_not_a_conflict() {
    let f = fixture();
    let key = declared(Origin::External, given(&material(1, 32), f.later(60)));
    assert_eq!(seed(&f, &key).unwrap(), Seeded::Created);
    f.clock.advance(std::time::Duration::from_secs(120));
    // The material expired (the key waits for an import again); the entry still describes it.
    assert_eq!(seed(&f, &key).unwrap(), Seeded::Kept);
    assert_eq!(f.state(&id()), KeyStateKind::PendingImport);
}

#[test]
fn seeded_keys_survive_a_restart_and_are_kept_by_the_next_seeding() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.redb");
    let root = RootKey::from_bytes([7; 32]);
    let key = declared(Origin::External, given(&material(1, 32), Expiry::Never));
    let blob = {
        let f = fixture_over(Arc::new(RedbStore::open(&path).unwrap()), &root);
        seed(&f, &key).unwrap();
        f.encrypt(&id(), b"kept").unwrap()
    };
    let f = fixture_over(Arc::new(RedbStore::open(&path).unwrap()), &root);
    assert_eq!(seed(&f, &key).unwrap(), Seeded::Kept);
    assert_eq!(f.decrypt(&blob).unwrap(), b"kept");
}

/// Seeds take every spec with a usage it allows, given material follows the import rules
/// (asymmetric keys as PKCS#8, kept canonical), and refused material writes nothing.
#[test]
fn asymmetric_and_hmac_keys_are_seeded_by_the_import_rules() {
    use kms_core::{MacAlgorithm, MaterialProblem, MessageType, SigningAlgorithm};
    let f = fixture();
    let p256 = crate::asymmetric::vectors()["keys"][3].clone();
    assert_eq!(p256["spec"], "ECC_NIST_P256");
    let mut key = declared(
        Origin::External,
        given(
            &crate::support::hex(&p256["other_encoding_hex"]),
            Expiry::Never,
        ),
    );
    key.spec = KeySpec::EccNistP256;
    // An ECC key cannot encrypt: the declaration is refused before anything is written.
    assert!(matches!(
        seed(&f, &key),
        Err(SeedError::Kms(KmsError::UsageNotAllowed { .. }))
    ));
    key.usage = KeyUsage::SignVerify;
    assert_eq!(seed(&f, &key).unwrap(), Seeded::Created);
    assert_eq!(f.describe(&id()).usage, KeyUsage::SignVerify);
    assert_eq!(
        f.kms.get_public_key(&f.tenant, &id()).unwrap().spki_der,
        crate::support::hex(&p256["spki_hex"])
    );
    // The same key in its other encoding is the same material: kept.
    key.material = given(&crate::support::hex(&p256["pkcs8_hex"]), Expiry::Never);
    assert_eq!(seed(&f, &key).unwrap(), Seeded::Kept);
    let signature = f
        .kms
        .sign(
            &f.tenant,
            &id(),
            b"m",
            MessageType::Raw,
            SigningAlgorithm::EcdsaSha256,
        )
        .unwrap();
    assert!(!signature.bytes.is_empty());

    let g = fixture();
    let mut hmac = declared(Origin::Generated, SeedMaterial::Absent);
    hmac.spec = KeySpec::Hmac384;
    hmac.usage = KeyUsage::GenerateVerifyMac;
    assert_eq!(seed(&g, &hmac).unwrap(), Seeded::Created);
    let mac = g
        .kms
        .generate_mac(&g.tenant, &id(), b"m", MacAlgorithm::HmacSha384)
        .unwrap();
    assert_eq!(mac.len(), 48);

    let h = fixture();
    let mut short = declared(Origin::External, given(&material(1, 47), Expiry::Never));
    short.spec = KeySpec::Hmac384;
    short.usage = KeyUsage::GenerateVerifyMac;
    assert!(matches!(
        seed(&h, &short),
        Err(SeedError::Kms(KmsError::MaterialNotForSpec {
            problem: MaterialProblem::Length {
                min: 48,
                max: 128,
                actual: 47
            },
            ..
        }))
    ));
    assert!(matches!(
        h.kms.describe_key(&h.tenant, &id()),
        Err(KmsError::KeyNotFound { .. })
    ));

    // A key of two usages is kept only under the usage it was declared with.
    let s = fixture();
    let mut sm2 = declared(Origin::Generated, SeedMaterial::Absent);
    sm2.spec = KeySpec::Sm2;
    sm2.usage = KeyUsage::SignVerify;
    assert_eq!(seed(&s, &sm2).unwrap(), Seeded::Created);
    assert_eq!(s.describe(&id()).usage, KeyUsage::SignVerify);
    assert_eq!(seed(&s, &sm2).unwrap(), Seeded::Kept);
    sm2.usage = KeyUsage::EncryptDecrypt;
    assert_eq!(
        conflict(seed(&s, &sm2)),
        SeedConflict::KeyDiffers {
            key_id: id(),
            what: "key usage"
        }
    );
}

fn payments() -> AliasName {
    AliasName::new("alias/payments").unwrap()
}

/// Has a client point the declared alias at `other` just before the entry writes its key (its
/// aliases were free when checked), and, if `then` is given, run it just before the next
/// key update after that (the entry taking its key back).
fn alias_taken_meanwhile(
    f: &Fixture,
    store: &Arc<Interloper>,
    other: KeyId,
    then: Option<Box<dyn FnOnce() + Send>>,
) {
    let (kms, tenant, later) = (f.kms.clone(), f.tenant.clone(), store.clone());
    store.before_next_update(move || {
        kms.create_alias(&tenant, &payments(), &other).unwrap();
        if let Some(then) = then {
            later.before_next_update(then);
        }
    });
}

#[test]
fn declared_material_given_to_a_pending_key_is_taken_back_when_its_alias_is_taken_meanwhile() {
    let store = Arc::new(Interloper::default());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    let pending = SeedKey {
        aliases: Vec::new(),
        ..declared(Origin::External, SeedMaterial::Absent)
    };
    assert_eq!(seed(&f, &pending).unwrap(), Seeded::Created);
    let other = f.create(KeySpec::Aes256, Origin::Generated);
    alias_taken_meanwhile(&f, &store, other, None);
    let key = declared(Origin::External, given(&material(1, 32), f.later(3600)));
    assert_eq!(
        conflict(f.kms.seed_key(&f.tenant, &key)),
        SeedConflict::AliasTaken {
            alias: payments(),
            target: other
        }
    );
    assert_eq!(f.describe(&id()).state, KeyStateKind::PendingImport);
    // Once the alias is free again, the same entry applies.
    f.kms.delete_alias(&f.tenant, &payments()).unwrap();
    assert_eq!(seed(&f, &key).unwrap(), Seeded::Imported);
}

#[test]
fn a_created_key_is_erased_when_its_alias_is_taken_meanwhile_unless_a_client_changed_it() {
    let store = Arc::new(Interloper::default());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    let other = f.create(KeySpec::Aes256, Origin::Generated);
    let key = declared(Origin::Generated, SeedMaterial::Absent);
    alias_taken_meanwhile(&f, &store, other, None);
    assert!(matches!(
        f.kms.seed_key(&f.tenant, &key),
        Err(SeedError::Conflict(SeedConflict::AliasTaken { .. }))
    ));
    assert!(matches!(
        f.kms.describe_key(&f.tenant, &id()),
        Err(KmsError::KeyNotFound { .. })
    ));

    // A client tags the new key before the entry takes it back: the key is the client's now.
    f.kms.delete_alias(&f.tenant, &payments()).unwrap();
    let (kms, tenant) = (f.kms.clone(), f.tenant.clone());
    let tag = Tags::from_pairs([("owner".to_owned(), "client".to_owned())]).unwrap();
    alias_taken_meanwhile(
        &f,
        &store,
        other,
        Some(Box::new(move || {
            kms.tag_key(&tenant, &id(), &tag).unwrap();
        })),
    );
    assert!(f.kms.seed_key(&f.tenant, &key).is_err());
    assert_eq!(f.describe(&id()).tags.get("owner"), Some("client"));
}

/// An entry's second alias taken meanwhile: the first, which the entry created, is taken back,
/// unless a client moved it in the meantime (then the move stands).
#[test]
fn aliases_an_entry_created_are_taken_back_unless_a_client_moved_them() {
    let store = Arc::new(Interloper::default());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    let other = f.create(KeySpec::Aes256, Origin::Generated);
    let second = AliasName::new("alias/second").unwrap();
    let key = SeedKey {
        aliases: vec![payments(), second.clone()],
        ..declared(Origin::Generated, SeedMaterial::Absent)
    };
    // Updates of the entry: its key (1), its first alias (2), then the rollback (3, 4).
    let race = |move_first: bool| {
        let (kms, tenant, second) = (f.kms.clone(), f.tenant.clone(), second.clone());
        let (at_2, at_3) = (store.clone(), store.clone());
        store.before_next_update(move || {
            kms.create_alias(&tenant, &second, &other).unwrap();
            at_2.before_next_update(move || {
                at_3.before_next_update(move || {
                    if move_first {
                        kms.update_alias(&tenant, &payments(), &other, Retarget::AnyKey)
                            .unwrap();
                    }
                });
            });
        });
    };
    race(false);
    assert!(f.kms.seed_key(&f.tenant, &key).is_err());
    assert!(matches!(
        f.kms.resolve_alias(&f.tenant, &payments()),
        Err(KmsError::AliasNotFound { .. })
    ));
    f.kms.delete_alias(&f.tenant, &second).unwrap();

    race(true);
    assert!(f.kms.seed_key(&f.tenant, &key).is_err());
    assert_eq!(f.kms.resolve_alias(&f.tenant, &payments()).unwrap(), other);
}

/// The alias taken between the entry's lookup of it and its write: the same conflict as
/// when it was taken before, and the key is taken back.
#[test]
fn an_alias_taken_at_its_write_is_the_same_conflict() {
    let store = Arc::new(Interloper::default());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    let other = f.create(KeySpec::Aes256, Origin::Generated);
    let (kms, tenant, at_alias) = (f.kms.clone(), f.tenant.clone(), store.clone());
    // The entry's key write (1) arms the hook for its alias write (2).
    store.before_next_update(move || {
        at_alias.before_next_update(move || {
            kms.create_alias(&tenant, &payments(), &other).unwrap();
        });
    });
    let key = declared(Origin::Generated, SeedMaterial::Absent);
    assert_eq!(
        conflict(f.kms.seed_key(&f.tenant, &key)),
        SeedConflict::AliasTaken {
            alias: payments(),
            target: other
        }
    );
    assert!(matches!(
        f.kms.describe_key(&f.tenant, &id()),
        Err(KmsError::KeyNotFound { .. })
    ));
}
