//! Moving the emulated clock back: what had expired before stays expired (tokens by their
//! generation, material and deletions by the sweep that precedes every rewind), and the
//! clock's state survives a restart through the store's metadata.

use std::path::Path;
use std::sync::Arc;

use kms_core::*;

use crate::support::*;

/// An engine on an emulated clock whose real time is a manual clock standing at [`START`].
struct Rewindable {
    f: Fixture,
    clock: Arc<EmulatedClock>,
}

fn rewindable_over(store: Arc<dyn KeyStore>, root: &RootKey, state: ClockState) -> Rewindable {
    let f = fixture_over(store.clone(), root);
    let clock = Arc::new(EmulatedClock::with_wall(f.clock.clone()));
    clock.restore(state);
    let kms = Kms::builder(store, root)
        .clock(clock.clone())
        .key_pairs(f.pairs.clone())
        .build();
    Rewindable {
        f: Fixture {
            kms: Arc::new(kms),
            ..f
        },
        clock,
    }
}

fn rewindable() -> Rewindable {
    let store = Arc::new(MemoryStore::new());
    rewindable_over(store, &RootKey::from_bytes([7; 32]), ClockState::default())
}

impl Rewindable {
    /// What a server does before moving the clock back.
    fn reset(&self) {
        self.f.kms.sweep().unwrap();
        let moved = self.clock.reset().unwrap();
        assert!(matches!(moved, ClockMove::Rewound { .. }), "{moved:?}");
    }
}

#[test]
fn a_token_expired_before_a_reset_stays_refused_and_a_new_one_works() {
    let r = rewindable();
    let f = &r.f;
    let key = f.external(KeySpec::Aes256);
    let old = f.oaep_params(&key); // valid for a day
    r.clock.advance(DAY * 2);
    r.reset();
    assert_eq!(f.kms.now(), START);
    let m = material(5, 32);
    assert!(matches!(
        f.import(
            &key,
            &old,
            oaep_sha256(&old.public_key_der, &m),
            Expiry::Never
        ),
        Err(KmsError::ImportTokenExpired { .. })
    ));
    let fresh = f.oaep_params(&key);
    assert_eq!(fresh.valid_to, START.saturating_add(DAY));
    f.import(
        &key,
        &fresh,
        oaep_sha256(&fresh.public_key_der, &m),
        Expiry::Never,
    )
    .unwrap();
    assert_eq!(f.state(&key), KeyStateKind::Enabled);
}

#[test]
fn a_token_whose_expiry_was_not_reached_survives_a_rewind() {
    let r = rewindable();
    let f = &r.f;
    let key = f.external(KeySpec::Aes256);
    let p = f.oaep_params(&key);
    r.clock.advance(DAY / 2);
    r.reset();
    f.import(
        &key,
        &p,
        oaep_sha256(&p.public_key_der, &material(1, 32)),
        Expiry::Never,
    )
    .unwrap();
}

#[test]
fn material_expired_and_deletions_due_before_a_rewind_stay_done_after_it() {
    let r = rewindable();
    let f = &r.f;
    let expiring = f.external(KeySpec::Aes256);
    f.import_plain(&expiring, &material(2, 32), f.later(3_600))
        .unwrap();
    let doomed = f.create(KeySpec::Aes256, Origin::Generated);
    f.kms
        .schedule_key_deletion(
            &f.tenant,
            &doomed,
            DeletionWindow::days_within(7, 7..=30).unwrap(),
            DeletionPolicy::default(),
        )
        .unwrap();
    r.clock.advance(DAY * 8);
    r.reset();
    assert_eq!(f.state(&expiring), KeyStateKind::PendingImport);
    assert!(matches!(
        f.kms.describe_key(&f.tenant, &doomed),
        Err(KmsError::KeyNotFound { .. })
    ));
}

#[test]
fn setting_the_clock_before_real_time_is_refused() {
    let r = rewindable();
    let earlier = Timestamp::from_millis(START.as_millis() - 1);
    assert_eq!(
        r.clock.set(earlier),
        Err(ClockError::BeforeRealTime {
            requested: earlier,
            real_now: START
        })
    );
    assert_eq!(r.f.kms.now(), START);
}

#[test]
fn the_clock_state_kept_in_store_metadata_outlives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let open = |dir: &Path| {
        let data = DataDir::open(dir, None).unwrap();
        let state = match data.store.get_meta("clock").unwrap() {
            Some(bytes) => serde_json::from_slice(&bytes).unwrap(),
            None => ClockState::default(),
        };
        rewindable_over(data.store, &data.root_key, state)
    };
    let (key, old) = {
        let r = open(dir.path());
        let key = r.f.external(KeySpec::Aes256);
        let old = r.f.oaep_params(&key);
        r.clock.advance(DAY * 2);
        r.reset();
        r.clock.advance(DAY / 2);
        let state = serde_json::to_vec(&r.clock.state()).unwrap();
        r.f.kms.store().put_meta("clock", &state).unwrap();
        (key, old)
    };
    let r = open(dir.path());
    assert_eq!(r.f.kms.now(), START.saturating_add(DAY / 2), "offset kept");
    assert_eq!(r.clock.generation(), 1);
    let m = material(9, 32);
    assert!(matches!(
        r.f.import(
            &key,
            &old,
            oaep_sha256(&old.public_key_der, &m),
            Expiry::Never
        ),
        Err(KmsError::ImportTokenExpired { .. })
    ));
}
