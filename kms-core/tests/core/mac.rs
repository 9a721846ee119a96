//! HMAC keys: generated and imported for every spec, MACs equal to Python's `hmac` for the
//! same key (both directions in one: the core's MAC is the outside MAC), constant-time
//! refusals of altered or truncated MACs, the spec's key lengths, and the usage rules.

use kms_core::*;

use crate::asymmetric::{spec_named, vectors};
use crate::support::*;

const HMAC: [KeySpec; 5] = [
    KeySpec::Hmac224,
    KeySpec::Hmac256,
    KeySpec::Hmac384,
    KeySpec::Hmac512,
    KeySpec::HmacSm3,
];

#[test]
fn imported_keys_make_the_macs_made_outside() {
    let f = fixture();
    for v in vectors()["hmac"].as_array().unwrap() {
        let spec = spec_named(v["spec"].as_str().unwrap());
        let id = f.external(spec);
        assert_eq!(f.describe(&id).usage, KeyUsage::GenerateVerifyMac);
        f.import_plain(&id, &hex(&v["key_hex"]), Expiry::Never)
            .unwrap();
        let (message, expected) = (hex(&v["message_hex"]), hex(&v["mac_hex"]));
        let [algorithm] = spec.mac_algorithms() else {
            panic!("{spec}: one MAC algorithm")
        };
        let mac = f
            .kms
            .generate_mac(&f.tenant, &id, &message, *algorithm)
            .unwrap();
        assert_eq!(mac, expected, "{spec}");
        f.kms
            .verify_mac(&f.tenant, &id, &message, *algorithm, &expected)
            .unwrap();
        let mut altered = expected.clone();
        altered[0] ^= 1;
        for bad in [
            altered,
            expected[..expected.len() - 1].to_vec(),
            [expected.as_slice(), &[0]].concat(),
        ] {
            assert!(matches!(
                f.kms.verify_mac(&f.tenant, &id, &message, *algorithm, &bad),
                Err(KmsError::InvalidMac)
            ));
        }
        assert!(matches!(
            f.kms
                .verify_mac(&f.tenant, &id, b"other", *algorithm, &expected),
            Err(KmsError::InvalidMac)
        ));
    }
}

#[test]
fn every_spec_is_generated_with_its_length_and_algorithm() {
    let f = fixture();
    for spec in HMAC {
        let id = f.create(spec, Origin::Generated);
        let d = f.describe(&id);
        assert_eq!(d.mac_algorithms(), spec.mac_algorithms());
        assert!(d.signing_algorithms().is_empty() && d.encryption_algorithms().is_empty());
        for &algorithm in MacAlgorithm::ALL.iter() {
            let made = f.kms.generate_mac(&f.tenant, &id, b"m", algorithm);
            if spec.mac_algorithms().contains(&algorithm) {
                let mac = made.unwrap();
                f.kms
                    .verify_mac(&f.tenant, &id, b"m", algorithm, &mac)
                    .unwrap();
            } else {
                assert!(matches!(
                    made,
                    Err(KmsError::AlgorithmNotForKey { algorithm: Algorithm::Mac(a), .. }) if a == algorithm
                ));
            }
        }
    }
}

#[test]
fn key_lengths_are_the_specs() {
    let f = fixture();
    for (spec, min, max) in [
        (KeySpec::Hmac224, 28, 64),
        (KeySpec::Hmac256, 32, 64),
        (KeySpec::Hmac384, 48, 128),
        (KeySpec::Hmac512, 64, 128),
        (KeySpec::HmacSm3, 32, 64),
    ] {
        for len in [min, max] {
            let id = f.external(spec);
            f.import_plain(&id, &material(3, len), Expiry::Never)
                .unwrap();
        }
        for len in [min - 1, max + 1] {
            let id = f.external(spec);
            let p = f.params(
                &id,
                WrappingAlgorithm::RsaAesKeyWrapSha256,
                WrappingKeySpec::Rsa2048,
            );
            let wrapped = crate::asymmetric::rsa_aes_key_wrap(&p.public_key_der, &material(3, len));
            let err = f.import(&id, &p, wrapped, Expiry::Never).unwrap_err();
            assert!(
                matches!(err, KmsError::MaterialNotForSpec { problem: MaterialProblem::Length { min: a, max: b, actual }, .. } if a == min && b == max && actual == len),
                "{spec} {len}: {err}"
            );
            assert_eq!(f.state(&id), KeyStateKind::PendingImport);
        }
    }
}

#[test]
fn macs_need_mac_keys_in_a_usable_state() {
    let f = fixture();
    let aes = f.create(KeySpec::Aes256, Origin::Generated);
    assert!(matches!(
        f.kms
            .generate_mac(&f.tenant, &aes, b"m", MacAlgorithm::HmacSha256),
        Err(KmsError::WrongKeyUsage {
            operation: Operation::GenerateMac,
            ..
        })
    ));
    assert!(matches!(
        f.kms
            .verify_mac(&f.tenant, &aes, b"m", MacAlgorithm::HmacSha256, &[0; 32]),
        Err(KmsError::WrongKeyUsage {
            operation: Operation::VerifyMac,
            ..
        })
    ));
    let id = f.create(KeySpec::Hmac256, Origin::Generated);
    let mac = f
        .kms
        .generate_mac(&f.tenant, &id, b"m", MacAlgorithm::HmacSha256)
        .unwrap();
    f.kms.disable_key(&f.tenant, &id).unwrap();
    assert!(matches!(
        f.kms
            .verify_mac(&f.tenant, &id, b"m", MacAlgorithm::HmacSha256, &mac),
        Err(KmsError::Disabled { .. })
    ));
    let pending = f.external(KeySpec::Hmac512);
    assert!(matches!(
        f.kms
            .generate_mac(&f.tenant, &pending, b"m", MacAlgorithm::HmacSha512),
        Err(KmsError::InvalidState {
            state: KeyStateKind::PendingImport,
            ..
        })
    ));
}
