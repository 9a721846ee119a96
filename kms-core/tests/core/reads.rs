//! Reads never write: describe, encrypt, decrypt, data keys and the checks before an import
//! take no store update (so no write lock) unless time has changed the key, and then the
//! change is written once and the answer is what the changed key says.

use std::sync::Arc;

use kms_core::*;

use crate::support::*;

fn counted() -> (Fixture, Arc<Interloper>) {
    let store = Arc::new(Interloper::default());
    (
        fixture_over(store.clone(), &RootKey::from_bytes([7; 32])),
        store,
    )
}

#[test]
fn using_a_key_writes_nothing() {
    let (f, store) = counted();
    let id = f.external(KeySpec::Aes256);
    let material = material(1, 32);
    let imported = f.import_plain(&id, &material, Expiry::Never).unwrap();
    let before = store.updates();

    f.describe(&id);
    let blob = f.encrypt(&id, b"x").unwrap();
    let opened = f
        .kms
        .decrypt(&f.tenant, &blob, &EncryptionContext::new())
        .unwrap();
    assert_eq!(opened.material_id, Some(imported.material_id));
    let data_key = f
        .kms
        .generate_data_key(
            &f.tenant,
            &id,
            DataKeySpec::Aes256,
            &EncryptionContext::new(),
        )
        .unwrap();
    assert_eq!(data_key.material_id, Some(imported.material_id));
    f.kms
        .re_encrypt(
            &f.tenant,
            &blob,
            &EncryptionContext::new(),
            &id,
            &EncryptionContext::new(),
        )
        .unwrap();
    f.kms.sweep().unwrap();
    assert_eq!(store.updates(), before);
}

#[test]
fn expiry_found_by_a_read_is_written_once_and_answered_as_expired() {
    let (f, store) = counted();
    let id = f.external(KeySpec::Aes256);
    f.import_plain(&id, &material(1, 32), f.later(60)).unwrap();
    let blob = f.encrypt(&id, b"x").unwrap();
    f.clock.advance(std::time::Duration::from_secs(61));
    let before = store.updates();

    assert!(matches!(
        f.decrypt(&blob),
        Err(KmsError::InvalidState {
            state: KeyStateKind::PendingImport,
            ..
        })
    ));
    assert_eq!(store.updates(), before + 1);
    // Written: later reads find it expired without writing again.
    assert_eq!(f.state(&id), KeyStateKind::PendingImport);
    assert!(f.describe(&id).material_expiry.is_none());
    assert_eq!(store.updates(), before + 1);
}
