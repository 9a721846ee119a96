//! Aliases and tags: uniqueness, resolution, listing, state rules, and what a purge leaves.

use std::sync::Arc;
use std::time::Duration;

use kms_core::*;

use crate::support::*;

fn alias(name: &str) -> AliasName {
    AliasName::new(name).unwrap()
}

fn page(n: usize) -> PageSize {
    PageSize::new(n).unwrap()
}

#[test]
fn aliases_resolve_move_and_are_unique_per_tenant() {
    let f = fixture();
    let (k1, k2) = (
        f.create(KeySpec::Aes256, Origin::Generated),
        f.create(KeySpec::Aes256, Origin::Generated),
    );
    let name = alias("alias/orders");
    let created = f.kms.create_alias(&f.tenant, &name, &k1).unwrap();
    assert_eq!((created.target, created.created_at), (k1, START));
    assert_eq!(f.kms.resolve_alias(&f.tenant, &name).unwrap(), k1);
    assert!(matches!(
        f.kms.create_alias(&f.tenant, &name, &k2),
        Err(KmsError::AliasExists { alias }) if alias == name
    ));

    f.clock.advance(Duration::from_secs(5));
    let moved = f
        .kms
        .update_alias(&f.tenant, &name, &k2, Retarget::AnyKey)
        .unwrap();
    assert_eq!((moved.target, moved.created_at), (k2, START));
    assert_eq!(
        moved.updated_at,
        START.saturating_add(Duration::from_secs(5))
    );
    assert_eq!(f.kms.resolve_alias(&f.tenant, &name).unwrap(), k2);

    let other = TenantId::new("tenant-b").unwrap();
    assert!(matches!(
        f.kms.resolve_alias(&other, &name),
        Err(KmsError::AliasNotFound { .. })
    ));
    // Another tenant's key cannot be a target: it does not exist there.
    assert!(matches!(
        f.kms.create_alias(&other, &name, &k1),
        Err(KmsError::KeyNotFound { .. })
    ));

    f.kms.delete_alias(&f.tenant, &name).unwrap();
    assert!(matches!(
        f.kms.delete_alias(&f.tenant, &name),
        Err(KmsError::AliasNotFound { .. })
    ));
    assert!(matches!(
        f.kms.update_alias(&f.tenant, &name, &k1, Retarget::AnyKey),
        Err(KmsError::AliasNotFound { .. })
    ));
}

#[test]
fn aliases_list_in_pages_and_by_target() {
    let f = fixture();
    let (k1, k2) = (
        f.create(KeySpec::Aes256, Origin::Generated),
        f.external(KeySpec::Sm4),
    );
    for (n, k) in [("alias/c", k1), ("alias/a", k2), ("alias/b", k1)] {
        f.kms.create_alias(&f.tenant, &alias(n), &k).unwrap();
    }
    let names = |p: &AliasPage| {
        p.aliases
            .iter()
            .map(|a| a.name.to_string())
            .collect::<Vec<_>>()
    };
    let first = f.kms.list_aliases(&f.tenant, None, None, page(2)).unwrap();
    assert_eq!(names(&first), ["alias/a", "alias/b"]);
    let second = f
        .kms
        .list_aliases(&f.tenant, None, first.next.as_ref(), page(2))
        .unwrap();
    assert_eq!(names(&second), ["alias/c"]);
    assert_eq!(second.next, None);
    let of_k1 = f
        .kms
        .list_aliases(&f.tenant, Some(&k1), None, page(1))
        .unwrap();
    assert_eq!(names(&of_k1), ["alias/b"]);
    let rest = f
        .kms
        .list_aliases(&f.tenant, Some(&k1), of_k1.next.as_ref(), page(1))
        .unwrap();
    assert_eq!(
        (names(&rest), rest.next),
        (vec!["alias/c".to_owned()], None)
    );
}

/// `Retarget::SameTypeAndUsage` (AWS's UpdateAlias rule) moves an alias only between keys of
/// one type (symmetric, asymmetric, HMAC) and one usage; `AnyKey` anywhere.
#[test]
fn alias_moves_follow_the_retarget_rule() {
    let f = fixture();
    let aes = f.create(KeySpec::Aes256, Origin::Generated);
    let sm4 = f.create(KeySpec::Sm4, Origin::Generated);
    let rsa_sign = f.create_with(KeySpec::Rsa2048, KeyUsage::SignVerify, Origin::Generated);
    let ecc_sign = f.create_with(
        KeySpec::EccNistP256,
        KeyUsage::SignVerify,
        Origin::Generated,
    );
    let rsa_encrypt = f.create_with(
        KeySpec::Rsa2048,
        KeyUsage::EncryptDecrypt,
        Origin::Generated,
    );
    let hmac = f.create_with(
        KeySpec::Hmac256,
        KeyUsage::GenerateVerifyMac,
        Origin::Generated,
    );
    let name = alias("alias/moving");
    f.kms.create_alias(&f.tenant, &name, &aes).unwrap();
    let same = Retarget::SameTypeAndUsage;
    // symmetric to symmetric, whatever the spec
    f.kms.update_alias(&f.tenant, &name, &sm4, same).unwrap();
    for refused in [rsa_encrypt, hmac] {
        assert!(matches!(
            f.kms.update_alias(&f.tenant, &name, &refused, same),
            Err(KmsError::AliasTargetMismatch { current, target, .. })
                if current == sm4 && target == refused
        ));
        assert_eq!(f.kms.resolve_alias(&f.tenant, &name).unwrap(), sm4);
    }
    // asymmetric families mix, usages do not
    f.kms
        .update_alias(&f.tenant, &name, &rsa_sign, Retarget::AnyKey)
        .unwrap();
    f.kms
        .update_alias(&f.tenant, &name, &ecc_sign, same)
        .unwrap();
    assert!(matches!(
        f.kms.update_alias(&f.tenant, &name, &rsa_encrypt, same),
        Err(KmsError::AliasTargetMismatch { .. })
    ));
    f.kms
        .update_alias(&f.tenant, &name, &hmac, Retarget::AnyKey)
        .unwrap();
    assert_eq!(f.kms.resolve_alias(&f.tenant, &name).unwrap(), hmac);
}

/// A same-type move is judged against the key the alias names when it is written: here an
/// any-key move to an HMAC key lands between its check (the alias named a symmetric key)
/// and its write, and the move is refused instead of replacing the HMAC key.
#[test]
fn a_move_is_judged_against_the_key_it_replaces() {
    let store = Arc::new(Interloper::default());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    let (a, b) = (
        f.create(KeySpec::Aes256, Origin::Generated),
        f.create(KeySpec::Aes256, Origin::Generated),
    );
    let hmac = f.create_with(
        KeySpec::Hmac256,
        KeyUsage::GenerateVerifyMac,
        Origin::Generated,
    );
    let name = alias("alias/raced");
    f.kms.create_alias(&f.tenant, &name, &a).unwrap();
    let (kms, tenant, moved) = (f.kms.clone(), f.tenant.clone(), name.clone());
    store.before_next_update(move || {
        kms.update_alias(&tenant, &moved, &hmac, Retarget::AnyKey)
            .unwrap();
    });
    assert!(matches!(
        f.kms
            .update_alias(&f.tenant, &name, &b, Retarget::SameTypeAndUsage),
        Err(KmsError::AliasTargetMismatch { current, .. }) if current == hmac
    ));
    assert_eq!(f.kms.resolve_alias(&f.tenant, &name).unwrap(), hmac);
}

/// A rename drops the old name only while it still names the key: a client's move of that
/// name between the rename's two writes is acknowledged, so it stays.
#[test]
fn a_rename_keeps_a_move_of_the_old_name_made_meanwhile() {
    let store = Arc::new(Interloper::default());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    let (k1, k2) = (
        f.create(KeySpec::Aes256, Origin::Generated),
        f.create(KeySpec::Aes256, Origin::Generated),
    );
    let (a, b) = (alias("alias/a"), alias("alias/b"));
    f.kms.create_alias(&f.tenant, &a, &k1).unwrap();
    let (kms, tenant, moved, inner) = (f.kms.clone(), f.tenant.clone(), a.clone(), store.clone());
    // The first update is the rename's write of the new name; the move lands at the second,
    // the rename's drop of the old one.
    store.before_next_update(move || {
        inner.before_next_update(move || {
            kms.update_alias(&tenant, &moved, &k2, Retarget::AnyKey)
                .unwrap();
        });
    });
    f.kms.rename_alias(&f.tenant, &a, &b).unwrap();
    assert_eq!(f.kms.resolve_alias(&f.tenant, &b).unwrap(), k1);
    assert_eq!(
        f.kms.resolve_alias(&f.tenant, &a).unwrap(),
        k2,
        "the move stays"
    );
}

/// A key's deletion scheduled between an alias's target check and its write: the alias is
/// taken back and the create or move refused, as if the deletion had come first.
#[test]
fn an_alias_never_stays_on_a_key_that_became_pending_deletion() {
    let store = Arc::new(Interloper::default());
    let f = fixture_over(store.clone(), &RootKey::from_bytes([7; 32]));
    let (kept, doomed) = (
        f.create(KeySpec::Aes256, Origin::Generated),
        f.create(KeySpec::Aes256, Origin::Generated),
    );
    let schedule = |f: &Fixture, id: KeyId| {
        let (kms, tenant) = (f.kms.clone(), f.tenant.clone());
        move || {
            kms.disable_key(&tenant, &id).unwrap();
            kms.schedule_key_deletion(
                &tenant,
                &id,
                DeletionWindow::days_within(7, 7..=30).unwrap(),
                DeletionPolicy::default(),
            )
            .unwrap();
        }
    };
    let name = alias("alias/late");
    store.before_next_update(schedule(&f, doomed));
    assert!(f.kms.create_alias(&f.tenant, &name, &doomed).is_err());
    assert!(matches!(
        f.kms.resolve_alias(&f.tenant, &name),
        Err(KmsError::AliasNotFound { .. })
    ));
    // A move is taken back to the key it named.
    let other = f.create(KeySpec::Aes256, Origin::Generated);
    f.kms.create_alias(&f.tenant, &name, &kept).unwrap();
    store.before_next_update(schedule(&f, other));
    assert!(
        f.kms
            .update_alias(&f.tenant, &name, &other, Retarget::AnyKey)
            .is_err()
    );
    assert_eq!(f.kms.resolve_alias(&f.tenant, &name).unwrap(), kept);
}

/// A listing by target reads the store in larger batches than its page: pages still
/// continue right after their last entry, across batch boundaries, and the one alias of a key
/// among hundreds of others' is found from a one-entry page.
#[test]
fn listings_by_target_page_across_store_batches() {
    let f = fixture();
    let (k1, k2) = (
        f.create(KeySpec::Aes256, Origin::Generated),
        f.create(KeySpec::Aes256, Origin::Generated),
    );
    let mut of_k1 = Vec::new();
    for i in 0..700 {
        let name = format!("alias/n{i:04}");
        // k1 holds every seventh name; the last one sits past two full batches of others.
        let target = if i % 7 == 3 || i == 699 { &k1 } else { &k2 };
        f.kms
            .create_alias(&f.tenant, &alias(&name), target)
            .unwrap();
        if *target == k1 {
            of_k1.push(name);
        }
    }
    for size in [1, 2, 37, PageSize::MAX] {
        assert_eq!(listed(&f, Some(&k1), size), of_k1, "pages of {size}");
    }
    assert_eq!(listed(&f, Some(&k2), 300).len(), 700 - of_k1.len());
    let lone = f.create(KeySpec::Aes256, Origin::Generated);
    f.kms
        .create_alias(&f.tenant, &alias("alias/zz-lone"), &lone)
        .unwrap();
    let found = f
        .kms
        .list_aliases(&f.tenant, Some(&lone), None, page(1))
        .unwrap();
    assert_eq!(
        (found.aliases.len(), found.next),
        (1, None),
        "the lone alias, and no next page"
    );
}

/// Names created out of order, in an order that is neither insertion, length, numeric nor
/// case-insensitive order; `SORTED` is their byte order.
const UNSORTED: [&str; 10] = [
    "alias/b",
    "alias/B",
    "alias/\u{e9}",
    "alias/a-2",
    "alias/10",
    "alias/a",
    "alias/Z",
    "alias/9",
    "alias/a/x",
    "#key",
];
const SORTED: [&str; 10] = [
    "#key",
    "alias/10",
    "alias/9",
    "alias/B",
    "alias/Z",
    "alias/a",
    "alias/a-2",
    "alias/a/x",
    "alias/b",
    "alias/\u{e9}",
];

/// Every alias the listing gives, walking pages of `size`.
fn listed(f: &Fixture, target: Option<&KeyId>, size: usize) -> Vec<String> {
    let mut names = Vec::new();
    let mut after = None;
    loop {
        let p = f
            .kms
            .list_aliases(&f.tenant, target, after.as_ref(), page(size))
            .unwrap();
        names.extend(p.aliases.iter().map(|a| a.name.to_string()));
        match p.next {
            Some(next) => after = Some(next),
            None => return names,
        }
    }
}

/// Dialects depend on this order (Huawei takes the first alias of a key's listing as its
/// alias), so it is pinned on each store, not only on the one other tests use.
fn listing_is_in_name_order(f: &Fixture) {
    let (k1, k2) = (
        f.create(KeySpec::Aes256, Origin::Generated),
        f.create(KeySpec::Aes256, Origin::Generated),
    );
    // Alternate targets, so each key's aliases are interleaved with the other's.
    for (i, n) in UNSORTED.into_iter().enumerate() {
        let target = if i % 2 == 0 { &k1 } else { &k2 };
        f.kms.create_alias(&f.tenant, &alias(n), target).unwrap();
    }
    let mut sorted = UNSORTED.map(alias);
    sorted.sort();
    assert_eq!(sorted.map(|a| a.to_string()), SORTED);

    let of_k1 = [
        "alias/10",
        "alias/Z",
        "alias/a/x",
        "alias/b",
        "alias/\u{e9}",
    ];
    let of_k2 = ["#key", "alias/9", "alias/B", "alias/a", "alias/a-2"];
    for size in [1, 3, PageSize::MAX] {
        assert_eq!(listed(f, None, size), SORTED, "tenant, pages of {size}");
        assert_eq!(listed(f, Some(&k1), size), of_k1, "k1, pages of {size}");
        assert_eq!(listed(f, Some(&k2), size), of_k2, "k2, pages of {size}");
    }
}

#[test]
fn alias_listings_are_in_name_order_on_the_memory_store() {
    listing_is_in_name_order(&fixture());
}

#[test]
fn alias_listings_are_in_name_order_on_redb() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(&dir.path().join("aliases.redb")).unwrap();
    listing_is_in_name_order(&fixture_over(
        std::sync::Arc::new(store),
        &RootKey::from_bytes([7; 32]),
    ));
}

#[test]
fn keys_pending_deletion_take_no_new_aliases_tags_or_descriptions() {
    let f = fixture();
    let k = f.create(KeySpec::Aes256, Origin::Generated);
    f.kms
        .schedule_key_deletion(
            &f.tenant,
            &k,
            DeletionWindow::days_within(7, 7..=30).unwrap(),
            DeletionPolicy::default(),
        )
        .unwrap();
    let refused = |r: Result<(), KmsError>| {
        assert!(
            matches!(
                r,
                Err(KmsError::InvalidState {
                    state: KeyStateKind::PendingDeletion,
                    operation: Operation::ChangeAttributes,
                    ..
                })
            ),
            "{r:?}"
        );
    };
    refused(
        f.kms
            .create_alias(&f.tenant, &alias("alias/x"), &k)
            .map(drop),
    );
    refused(
        f.kms
            .tag_key(
                &f.tenant,
                &k,
                &Tags::from_pairs([("a".into(), "b".into())]).unwrap(),
            )
            .map(drop),
    );
    refused(f.kms.untag_key(&f.tenant, &k, &["a".into()]).map(drop));
    refused(
        f.kms
            .update_key_description(&f.tenant, &k, "x".into())
            .map(drop),
    );
}

#[test]
fn aliases_of_purged_keys_vanish_and_free_their_name() {
    let f = fixture();
    let (doomed, other) = (
        f.create(KeySpec::Aes256, Origin::Generated),
        f.create(KeySpec::Aes256, Origin::Generated),
    );
    let name = alias("alias/doomed");
    f.kms.create_alias(&f.tenant, &name, &doomed).unwrap();
    f.kms
        .schedule_key_deletion(
            &f.tenant,
            &doomed,
            DeletionWindow::days_within(7, 7..=30).unwrap(),
            DeletionPolicy::default(),
        )
        .unwrap();
    // Pending deletion: the alias still resolves (AWS keeps it until the key is gone).
    assert_eq!(f.kms.resolve_alias(&f.tenant, &name).unwrap(), doomed);
    f.clock.advance(DAY * 7);
    assert!(matches!(
        f.kms.resolve_alias(&f.tenant, &name),
        Err(KmsError::AliasNotFound { .. })
    ));
    assert!(
        f.kms
            .list_aliases(&f.tenant, None, None, page(10))
            .unwrap()
            .aliases
            .is_empty()
    );
    f.kms.create_alias(&f.tenant, &name, &other).unwrap();
    assert_eq!(f.kms.resolve_alias(&f.tenant, &name).unwrap(), other);
}

#[test]
fn tags_are_kept_merged_and_removed() {
    let f = fixture();
    let tags = Tags::from_pairs([("team".into(), "payments".into())]).unwrap();
    let d = f
        .kms
        .create_key(
            &f.tenant,
            CreateKey {
                spec: KeySpec::Aes256,
                usage: KeySpec::Aes256.default_usage(),
                origin: Origin::External,
                description: String::new(),
                tags,
            },
        )
        .unwrap();
    let more = Tags::from_pairs([
        ("team".into(), "risk".into()),
        ("env".into(), "prod".into()),
    ])
    .unwrap();
    let after = f.kms.tag_key(&f.tenant, &d.key_id, &more).unwrap();
    assert_eq!(
        after.tags.iter().collect::<Vec<_>>(),
        [("env", "prod"), ("team", "risk")]
    );
    let after = f
        .kms
        .untag_key(&f.tenant, &d.key_id, &["team".into(), "absent".into()])
        .unwrap();
    assert_eq!(after.tags.iter().collect::<Vec<_>>(), [("env", "prod")]);
    // Tags survive a round trip through the store.
    assert_eq!(f.describe(&d.key_id).tags, after.tags);

    let too_many = Tags::from_pairs((0..50).map(|i| (format!("k{i}"), String::new()))).unwrap();
    assert!(matches!(
        f.kms.tag_key(&f.tenant, &d.key_id, &too_many),
        Err(KmsError::TooManyTags { limit: 50 })
    ));
    assert_eq!(f.describe(&d.key_id).tags, after.tags, "all or nothing");
}

#[test]
fn a_key_created_with_a_taken_name_leaves_nothing_behind() {
    let f = fixture();
    let name = alias("orders");
    let request = || CreateKey {
        spec: KeySpec::Aes256,
        usage: KeySpec::Aes256.default_usage(),
        origin: Origin::External,
        description: String::new(),
        tags: Tags::new(),
    };
    // Racing creators: exactly one key exists afterwards, and it holds the name.
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| f.kms.create_key_with_alias(&f.tenant, request(), &name)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert!(
                matches!(e, KmsError::AliasExists { alias } if *alias == name),
                "{e}"
            );
        }
    }
    let (key, entry) = winners[0];
    assert_eq!(entry.target, key.key_id);
    assert_eq!(f.kms.resolve_alias(&f.tenant, &name).unwrap(), key.key_id);
    let keys = f.kms.list_keys(&f.tenant, None, page(100)).unwrap().keys;
    assert_eq!(
        keys.iter().map(|k| k.key_id).collect::<Vec<_>>(),
        [key.key_id]
    );
    // Another tenant may use the same name.
    let other = TenantId::new("tenant-b").unwrap();
    assert!(
        f.kms
            .create_key_with_alias(&other, request(), &name)
            .is_ok()
    );
}

#[test]
fn renaming_moves_the_name_or_changes_nothing() {
    let f = fixture();
    let (k1, k2) = (
        f.create(KeySpec::Aes256, Origin::Generated),
        f.create(KeySpec::Aes256, Origin::Generated),
    );
    let (a, b, c) = (alias("a"), alias("b"), alias("c"));
    f.kms.create_alias(&f.tenant, &a, &k1).unwrap();
    f.kms.create_alias(&f.tenant, &c, &k2).unwrap();
    let renamed = f.kms.rename_alias(&f.tenant, &a, &b).unwrap();
    assert_eq!(renamed.target, k1);
    assert_eq!(f.kms.resolve_alias(&f.tenant, &b).unwrap(), k1);
    assert!(matches!(
        f.kms.resolve_alias(&f.tenant, &a),
        Err(KmsError::AliasNotFound { .. })
    ));
    // A taken name: both keep theirs.
    assert!(matches!(
        f.kms.rename_alias(&f.tenant, &b, &c),
        Err(KmsError::AliasExists { .. })
    ));
    assert_eq!(f.kms.resolve_alias(&f.tenant, &b).unwrap(), k1);
    assert_eq!(f.kms.resolve_alias(&f.tenant, &c).unwrap(), k2);
    // An unknown old name creates nothing.
    assert!(matches!(
        f.kms.rename_alias(&f.tenant, &a, &alias("d")),
        Err(KmsError::AliasNotFound { .. })
    ));
    assert!(f.kms.resolve_alias(&f.tenant, &alias("d")).is_err());
}
