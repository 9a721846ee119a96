//! Tenants never leak between dialects over one store: a key made through one dialect is
//! unknown to the others, and their listings do not show it.

use conformance::driver;
use conformance::ledger::{Expect, Failure, expect};
use conformance::neutral::{Dialect, KeySpec};
use conformance::scenarios::Server;

use crate::servers::Shared;

pub const ID: &str = "isolation_across_dialects";

pub fn check(server: &mut Shared, dialects: &[Dialect]) -> Result<(), String> {
    let drivers: Vec<_> = dialects
        .iter()
        .map(|d| driver::for_dialect(*d, server.endpoints(*d)))
        .collect();
    for owner in &drivers {
        let key = owner
            .create_key(KeySpec::Aes256, true)
            .map_err(|e| format!("create a key via {}: {e}", owner.dialect()))?;
        let mine = owner.list_key_ids().map_err(|e| e.to_string())?;
        if !mine.contains(&key.id) {
            return Err(format!("{} does not list its own key", owner.dialect()));
        }
        for other in drivers.iter().filter(|o| o.dialect() != owner.dialect()) {
            let d = other.dialect();
            let Expect::Code { status, code } = expect(d, Failure::KeyNotFound) else {
                return Err(format!("{d} has no not-found code"));
            };
            match other.describe(&key) {
                Err(driver::CallError::Wire(w)) if w.status == status && w.code == code => {}
                other_answer => {
                    return Err(format!(
                        "{}'s key {} seen from {d}: expected {status} {code}, got {other_answer:?}",
                        owner.dialect(),
                        key.id
                    ));
                }
            }
            let listed = other.list_key_ids().map_err(|e| e.to_string())?;
            if listed.contains(&key.id) {
                return Err(format!("{d} lists {}'s key {}", owner.dialect(), key.id));
            }
        }
    }
    Ok(())
}
