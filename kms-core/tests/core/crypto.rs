//! Using the material: encrypt/decrypt with contexts, data keys, re-encryption, random.

use kms_core::*;

use crate::support::*;

#[test]
fn round_trips_for_both_specs_with_context_and_tamper_detection() {
    let f = fixture();
    for spec in KeySpec::SYMMETRIC {
        let key = f.create(spec, Origin::Generated);
        let ctx: EncryptionContext = [("dept", "finance"), ("app", "ledger")]
            .into_iter()
            .collect();
        let blob = f.kms.encrypt(&f.tenant, &key, b"secret", &ctx).unwrap();
        assert_eq!(blob.len(), BLOB_OVERHEAD + BLOB_MATERIAL_ID_LEN + 6);
        let reordered: EncryptionContext = [("app", "ledger"), ("dept", "finance")]
            .into_iter()
            .collect();
        let back = f.kms.decrypt(&f.tenant, &blob, &reordered).unwrap();
        assert_eq!(
            (back.key_id, back.plaintext.expose()),
            (key, &b"secret"[..])
        );
        let wrong: EncryptionContext = [("dept", "hr")].into_iter().collect();
        assert!(matches!(
            f.kms.decrypt(&f.tenant, &blob, &wrong),
            Err(KmsError::InvalidCiphertext)
        ));
        assert!(matches!(f.decrypt(&blob), Err(KmsError::InvalidCiphertext)));
        let mut t = blob.clone();
        t[30] ^= 0x40;
        assert!(matches!(
            f.kms.decrypt(&f.tenant, &t, &ctx),
            Err(KmsError::InvalidCiphertext)
        ));
        for junk in [&b""[..], b"\x01short", &[0x02; 64]] {
            assert!(matches!(f.decrypt(junk), Err(KmsError::InvalidCiphertext)));
        }
        // Empty plaintext is allowed and round-trips.
        let empty = f.encrypt(&key, b"").unwrap();
        assert_eq!(f.decrypt(&empty).unwrap(), b"");
    }
}

#[test]
fn another_key_never_decrypts() {
    let f = fixture();
    let a = f.create(KeySpec::Aes256, Origin::Generated);
    let b = f.create(KeySpec::Aes256, Origin::Generated);
    let blob = f.encrypt(&a, b"a's").unwrap();
    let mut relabelled = blob.clone();
    relabelled[1..17].copy_from_slice(b.as_bytes());
    assert!(matches!(
        f.decrypt(&relabelled),
        Err(KmsError::InvalidCiphertext)
    ));
}

#[test]
fn data_keys_of_each_size_decrypt_back() {
    let f = fixture();
    let key = f.create(KeySpec::Sm4, Origin::Generated);
    let ctx = EncryptionContext::new();
    for (spec, len) in [
        (DataKeySpec::Aes128, 16),
        (DataKeySpec::Aes256, 32),
        (DataKeySpec::Sm4, 16),
        (DataKeySpec::Bytes(ByteCount::new(1024).unwrap()), 1024),
    ] {
        let dk = f
            .kms
            .generate_data_key(&f.tenant, &key, spec, &ctx)
            .unwrap();
        assert_eq!(dk.plaintext.len(), len);
        assert_eq!(f.decrypt(&dk.ciphertext).unwrap(), dk.plaintext.expose());
    }
    f.kms.disable_key(&f.tenant, &key).unwrap();
    assert!(matches!(
        f.kms
            .generate_data_key(&f.tenant, &key, DataKeySpec::Aes256, &ctx),
        Err(KmsError::Disabled { .. })
    ));
}

#[test]
fn re_encrypt_moves_a_ciphertext_to_another_key_and_context() {
    let f = fixture();
    let a = f.create(KeySpec::Aes256, Origin::Generated);
    let b = f.create(KeySpec::Sm4, Origin::Generated);
    let src: EncryptionContext = [("k", "1")].into_iter().collect();
    let dst: EncryptionContext = [("k", "2")].into_iter().collect();
    let blob = f.kms.encrypt(&f.tenant, &a, b"move me", &src).unwrap();
    let moved = f.kms.re_encrypt(&f.tenant, &blob, &src, &b, &dst).unwrap();
    assert_eq!((moved.source_key_id, moved.key_id), (a, b));
    let back = f.kms.decrypt(&f.tenant, &moved.ciphertext, &dst).unwrap();
    assert_eq!((back.key_id, back.plaintext.expose()), (b, &b"move me"[..]));
    assert!(matches!(
        f.kms.re_encrypt(&f.tenant, &blob, &dst, &b, &dst),
        Err(KmsError::InvalidCiphertext)
    ));
}

#[test]
fn random_bytes_come_in_the_asked_length() {
    let f = fixture();
    let a = f.kms.generate_random(ByteCount::new(32).unwrap()).unwrap();
    let b = f.kms.generate_random(ByteCount::new(32).unwrap()).unwrap();
    assert_eq!(a.len(), 32);
    assert_ne!(a, b);
    assert!(matches!(
        ByteCount::new(0),
        Err(ValidationError::ByteCountOutOfRange { .. })
    ));
}
