//! The behaviour every [`KeyStore`] backend must show. Backends call [`run_all`] from their
//! tests with a factory for fresh, empty stores; a third-party backend can do the same from
//! its tests, with kms-core's `test-suite` feature on its dev-dependency.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Change, ClearReport, KeyStore};
use crate::alias::AliasName;
use crate::ids::{KeyId, TenantId};

/// Makes a fresh, empty store.
pub type Factory<'a> = &'a (dyn Fn() -> Box<dyn KeyStore> + Sync);

/// Runs every check; panics with the failing check's name.
pub fn run_all(make: Factory<'_>) {
    put_get_delete(&*make());
    keep_writes_nothing(&*make());
    tenants_are_isolated(&*make());
    listing_pages_in_key_order(&*make());
    concurrent_updates_of_one_key_are_serialised(make().into());
    insert_never_overwrites(&*make());
    concurrent_inserts_each_land_once(make().into());
    aliases_are_a_separate_namespace_per_tenant(&*make());
    alias_listing_pages_in_name_order(&*make());
    metadata_is_a_namespace_of_its_own(&*make());
    clearing_a_tenant_leaves_the_others_and_metadata(&*make());
    clearing_everything_leaves_metadata(&*make());
}

fn tenant(name: &str) -> TenantId {
    TenantId::new(name).unwrap()
}

fn put(store: &dyn KeyStore, t: &TenantId, id: &KeyId, bytes: &[u8]) {
    store
        .update(t, id, &mut |_| Change::Put(bytes.to_vec()))
        .unwrap();
}

fn put_get_delete(store: &dyn KeyStore) {
    let (t, id) = (tenant("a"), KeyId::random());
    assert_eq!(store.get(&t, &id).unwrap(), None, "put_get_delete: empty");
    let mut seen = Vec::new();
    store
        .update(&t, &id, &mut |cur| {
            seen.push(cur.map(<[u8]>::to_vec));
            Change::Put(b"one".to_vec())
        })
        .unwrap();
    assert_eq!(seen, vec![None], "put_get_delete: update sees absence once");
    store
        .update(&t, &id, &mut |cur| {
            assert_eq!(cur, Some(&b"one"[..]), "put_get_delete: update sees record");
            Change::Put(b"two".to_vec())
        })
        .unwrap();
    assert_eq!(store.get(&t, &id).unwrap(), Some(b"two".to_vec()));
    store.update(&t, &id, &mut |_| Change::Delete).unwrap();
    assert_eq!(store.get(&t, &id).unwrap(), None, "put_get_delete: deleted");
    assert!(store.all_keys().unwrap().is_empty());
    store.flush().unwrap();
}

fn keep_writes_nothing(store: &dyn KeyStore) {
    let (t, id) = (tenant("a"), KeyId::random());
    store.update(&t, &id, &mut |_| Change::Keep).unwrap();
    assert_eq!(
        store.get(&t, &id).unwrap(),
        None,
        "keep_writes_nothing: absent"
    );
    put(store, &t, &id, b"x");
    store.update(&t, &id, &mut |_| Change::Keep).unwrap();
    assert_eq!(store.get(&t, &id).unwrap(), Some(b"x".to_vec()));
}

fn tenants_are_isolated(store: &dyn KeyStore) {
    let (a, b, id) = (tenant("a"), tenant("ab"), KeyId::random());
    put(store, &a, &id, b"from a");
    assert_eq!(
        store.get(&b, &id).unwrap(),
        None,
        "tenants_are_isolated: get"
    );
    assert!(
        store.list(&b, None, 10).unwrap().is_empty(),
        "tenants_are_isolated: list"
    );
    put(store, &b, &id, b"from b");
    assert_eq!(store.get(&a, &id).unwrap(), Some(b"from a".to_vec()));
    let mut all = store.all_keys().unwrap();
    all.sort();
    assert_eq!(all, vec![(a, id), (b, id)]);
}

fn listing_pages_in_key_order(store: &dyn KeyStore) {
    let t = tenant("pager");
    let other = tenant("pager2");
    let mut ids: Vec<KeyId> = (0..7).map(|_| KeyId::random()).collect();
    for id in &ids {
        put(store, &t, id, id.to_string().as_bytes());
        put(store, &other, &KeyId::random(), b"noise");
    }
    ids.sort();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.list(&t, after.as_ref(), 3).unwrap();
        assert!(page.len() <= 3, "listing: page size");
        for (id, bytes) in &page {
            assert_eq!(
                bytes,
                id.to_string().as_bytes(),
                "listing: record matches id"
            );
        }
        seen.extend(page.iter().map(|(id, _)| *id));
        match page.last() {
            Some((last, _)) if page.len() == 3 => after = Some(*last),
            _ => break,
        }
    }
    assert_eq!(seen, ids, "listing: every key once, in order");
}

fn concurrent_updates_of_one_key_are_serialised(store: Arc<dyn KeyStore>) {
    let (t, id) = (tenant("race"), KeyId::random());
    let winners = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for i in 0..16u8 {
            let (store, t, winners) = (&store, &t, &winners);
            s.spawn(move || {
                store
                    .update(t, &id, &mut |cur| match cur {
                        None => {
                            winners.fetch_add(1, Ordering::SeqCst);
                            Change::Put(vec![i])
                        }
                        Some(_) => Change::Keep,
                    })
                    .unwrap();
            });
        }
    });
    assert_eq!(
        winners.load(Ordering::SeqCst),
        1,
        "concurrency: exactly one winner"
    );
    // A read-modify-write counter: lost updates would show as a smaller count.
    put(&*store, &t, &id, &0u32.to_be_bytes());
    std::thread::scope(|s| {
        for _ in 0..8 {
            let (store, t) = (&store, &t);
            s.spawn(move || {
                for _ in 0..25 {
                    store
                        .update(t, &id, &mut |cur| {
                            let n = u32::from_be_bytes(cur.unwrap().try_into().unwrap());
                            Change::Put((n + 1).to_be_bytes().to_vec())
                        })
                        .unwrap();
                }
            });
        }
    });
    let n = store.get(&t, &id).unwrap().unwrap();
    assert_eq!(
        n,
        200u32.to_be_bytes().to_vec(),
        "concurrency: no lost updates"
    );
}

fn insert_never_overwrites(store: &dyn KeyStore) {
    let (t, id) = (tenant("ins"), KeyId::random());
    assert!(
        store.insert(&t, &id, b"first".to_vec()).unwrap(),
        "insert: new id"
    );
    assert!(
        !store.insert(&t, &id, b"second".to_vec()).unwrap(),
        "insert: taken id refused"
    );
    assert_eq!(store.get(&t, &id).unwrap(), Some(b"first".to_vec()));
    // Ids are per tenant.
    assert!(store.insert(&tenant("other"), &id, b"x".to_vec()).unwrap());
}

/// Many threads inserting at once (batched by some backends): every new id lands with its
/// own bytes, and of several inserts of one id exactly one wins.
fn concurrent_inserts_each_land_once(store: Arc<dyn KeyStore>) {
    let t = tenant("burst");
    let shared = KeyId::random();
    let winners = AtomicUsize::new(0);
    let ids: Vec<Vec<KeyId>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16u8)
            .map(|i| {
                let (store, t, winners) = (&store, &t, &winners);
                s.spawn(move || {
                    let mut mine = Vec::new();
                    for n in 0..20u8 {
                        let id = KeyId::random();
                        assert!(store.insert(t, &id, vec![i, n]).unwrap(), "burst: new id");
                        mine.push(id);
                        if n == 10 && store.insert(t, &shared, vec![i]).unwrap() {
                            winners.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        winners.load(Ordering::SeqCst),
        1,
        "burst: one winner per id"
    );
    for (i, mine) in ids.iter().enumerate() {
        for (n, id) in mine.iter().enumerate() {
            let expected = vec![u8::try_from(i).unwrap(), u8::try_from(n).unwrap()];
            assert_eq!(
                store.get(&t, id).unwrap(),
                Some(expected),
                "burst: own bytes"
            );
        }
    }
}

fn alias(name: &str) -> AliasName {
    AliasName::new(name).unwrap()
}

fn aliases_are_a_separate_namespace_per_tenant(store: &dyn KeyStore) {
    let (a, b) = (tenant("a"), tenant("b"));
    let name = alias("alias/x");
    store
        .update_alias(&a, &name, &mut |cur| {
            assert_eq!(cur, None, "aliases: starts absent");
            Change::Put(b"target".to_vec())
        })
        .unwrap();
    assert_eq!(
        store.get_alias(&a, &name).unwrap(),
        Some(b"target".to_vec())
    );
    assert_eq!(
        store.get_alias(&b, &name).unwrap(),
        None,
        "aliases: tenant b"
    );
    assert!(store.all_keys().unwrap().is_empty(), "aliases: not keys");
    assert_eq!(
        store.all_aliases().unwrap(),
        vec![(a.clone(), name.clone())],
        "aliases: all of every tenant"
    );
    assert!(
        store.list(&a, None, 10).unwrap().is_empty(),
        "aliases: not listed as keys"
    );
    store
        .update_alias(&a, &name, &mut |cur| {
            assert_eq!(cur, Some(&b"target"[..]), "aliases: update sees record");
            Change::Keep
        })
        .unwrap();
    store
        .update_alias(&a, &name, &mut |_| Change::Delete)
        .unwrap();
    assert_eq!(
        store.get_alias(&a, &name).unwrap(),
        None,
        "aliases: deleted"
    );
    assert!(
        store.all_aliases().unwrap().is_empty(),
        "aliases: none left"
    );
}

fn alias_listing_pages_in_name_order(store: &dyn KeyStore) {
    let (a, b) = (tenant("a"), tenant("ab"));
    for n in ["alias/c", "alias/a", "alias/b", "alias/a/b"] {
        store
            .update_alias(&a, &alias(n), &mut |_| Change::Put(n.as_bytes().to_vec()))
            .unwrap();
    }
    store
        .update_alias(&b, &alias("alias/0"), &mut |_| {
            Change::Put(b"other".to_vec())
        })
        .unwrap();
    let names = |after: Option<&str>, limit| -> Vec<String> {
        store
            .list_aliases(&a, after.map(alias).as_ref(), limit)
            .unwrap()
            .into_iter()
            .map(|(n, bytes)| {
                assert_eq!(bytes, n.as_str().as_bytes(), "alias listing: record bytes");
                n.as_str().to_owned()
            })
            .collect()
    };
    assert_eq!(
        names(None, 10),
        ["alias/a", "alias/a/b", "alias/b", "alias/c"]
    );
    assert_eq!(names(None, 2), ["alias/a", "alias/a/b"]);
    assert_eq!(names(Some("alias/a/b"), 2), ["alias/b", "alias/c"]);
    assert!(names(Some("alias/c"), 2).is_empty());
}

fn metadata_is_a_namespace_of_its_own(store: &dyn KeyStore) {
    assert_eq!(
        store.get_meta("clock").unwrap(),
        None,
        "meta: starts absent"
    );
    store.put_meta("clock", b"one").unwrap();
    store.put_meta("other", b"").unwrap();
    assert_eq!(store.get_meta("clock").unwrap(), Some(b"one".to_vec()));
    assert_eq!(
        store.get_meta("other").unwrap(),
        Some(Vec::new()),
        "meta: empty value"
    );
    store.put_meta("clock", b"two").unwrap();
    assert_eq!(
        store.get_meta("clock").unwrap(),
        Some(b"two".to_vec()),
        "meta: overwritten"
    );
    assert!(store.all_keys().unwrap().is_empty(), "meta: not keys");
    assert!(
        store
            .list_aliases(&tenant("clock"), None, 10)
            .unwrap()
            .is_empty(),
        "meta: not aliases"
    );
}

/// Two tenants, one a prefix of the other's name, each with keys and aliases.
fn populate(store: &dyn KeyStore, t: &TenantId, keys: usize, aliases: usize) -> Vec<KeyId> {
    let ids: Vec<KeyId> = (0..keys).map(|_| KeyId::random()).collect();
    for id in &ids {
        put(store, t, id, b"key");
    }
    for n in 0..aliases {
        store
            .update_alias(t, &alias(&format!("alias/{n}")), &mut |_| {
                Change::Put(b"alias".to_vec())
            })
            .unwrap();
    }
    ids
}

fn clearing_a_tenant_leaves_the_others_and_metadata(store: &dyn KeyStore) {
    let (a, ab) = (tenant("a"), tenant("ab"));
    populate(store, &a, 3, 2);
    let kept = populate(store, &ab, 2, 1);
    store.put_meta("clock", b"kept").unwrap();
    assert_eq!(
        store.clear(Some(&a)).unwrap(),
        ClearReport {
            keys: 3,
            aliases: 2
        },
        "clear tenant: report"
    );
    assert!(store.list(&a, None, 10).unwrap().is_empty(), "clear: keys");
    assert!(
        store.list_aliases(&a, None, 10).unwrap().is_empty(),
        "clear: aliases"
    );
    let mut left = store.all_keys().unwrap();
    left.sort();
    let mut expected: Vec<_> = kept.iter().map(|id| (ab.clone(), *id)).collect();
    expected.sort();
    assert_eq!(left, expected, "clear tenant: other tenant's keys kept");
    assert_eq!(
        store.list_aliases(&ab, None, 10).unwrap().len(),
        1,
        "clear tenant: other tenant's aliases kept"
    );
    assert_eq!(
        store.get_meta("clock").unwrap(),
        Some(b"kept".to_vec()),
        "clear tenant: metadata kept"
    );
    assert_eq!(
        store.clear(Some(&a)).unwrap(),
        ClearReport::default(),
        "clear tenant: nothing left to clear"
    );
}

fn clearing_everything_leaves_metadata(store: &dyn KeyStore) {
    assert_eq!(
        store.clear(None).unwrap(),
        ClearReport::default(),
        "clear all: empty store"
    );
    populate(store, &tenant("a"), 2, 3);
    populate(store, &tenant("b"), 1, 0);
    store.put_meta("clock", b"kept").unwrap();
    assert_eq!(
        store.clear(None).unwrap(),
        ClearReport {
            keys: 3,
            aliases: 3
        },
        "clear all: report"
    );
    assert!(store.all_keys().unwrap().is_empty(), "clear all: keys");
    for t in ["a", "b"] {
        assert!(
            store.list_aliases(&tenant(t), None, 10).unwrap().is_empty(),
            "clear all: aliases"
        );
    }
    assert_eq!(
        store.get_meta("clock").unwrap(),
        Some(b"kept".to_vec()),
        "clear all: metadata kept"
    );
    // The store goes on working after a clear.
    populate(store, &tenant("a"), 1, 1);
    assert_eq!(
        store.all_keys().unwrap().len(),
        1,
        "clear all: usable after"
    );
}
