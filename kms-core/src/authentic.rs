//! Everything the engine stores is authenticated as a whole: key records (all fields, not
//! only the sealed material), alias records and metadata. A stored value is
//! `MAGIC ‖ HMAC-SHA256(record key, place ‖ payload) ‖ payload`, the record key derived from
//! the root key, and `place` says where the value is stored (which tenant and key, which
//! tenant and alias, which metadata name), so a value copied to another place, edited, or
//! made under another root key does not verify.
//!
//! What this does not stop: someone with write access to the store can delete values, and can
//! put back an older authentic value of the same place (a key as it was before it was
//! disabled). Values are authenticated, not versioned.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::alias::AliasName;
use crate::error::{InternalError, KmsError};
use crate::ids::{KeyId, TenantId};
use crate::seal::Sealer;

/// Marks an authenticated value. Values written before authentication existed are JSON and
/// start with `{`, so the two never mix up.
const MAGIC: &[u8; 4] = b"kga1";
const TAG_LEN: usize = 32;

/// Where a value is stored.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Place<'a> {
    Key(&'a TenantId, &'a KeyId),
    Alias(&'a TenantId, &'a AliasName),
    Meta(&'a str),
}

impl Place<'_> {
    /// An unambiguous encoding: a kind byte, then length-prefixed fields.
    fn feed(&self, mac: &mut Hmac<Sha256>) {
        let mut field = |bytes: &[u8]| {
            mac.update(&(bytes.len() as u64).to_be_bytes());
            mac.update(bytes);
        };
        match self {
            Place::Key(tenant, id) => {
                field(b"key");
                field(tenant.as_str().as_bytes());
                field(id.as_bytes());
            }
            Place::Alias(tenant, name) => {
                field(b"alias");
                field(tenant.as_str().as_bytes());
                field(name.as_str().as_bytes());
            }
            Place::Meta(name) => {
                field(b"meta");
                field(name.as_bytes());
            }
        }
    }
}

impl std::fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Key(tenant, id) => write!(f, "key record {tenant}/{id}"),
            Place::Alias(tenant, name) => write!(f, "alias record {tenant}/{name}"),
            Place::Meta(name) => write!(f, "metadata {name}"),
        }
    }
}

/// Whether a value written before values were authenticated is accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Legacy {
    /// Only by the store upgrade, which rewrites it authenticated.
    Accepted,
    Refused,
}

/// The payload of the value stored at `place`, or a corrupt-record error: the one place a
/// refused value is logged (naming where it is) and turned into an error.
pub(crate) fn payload<'v>(
    sealer: &Sealer,
    place: Place<'_>,
    stored: &'v [u8],
    legacy: Legacy,
) -> Result<&'v [u8], KmsError> {
    match (unwrap(sealer, place, stored), legacy) {
        (Ok(payload), _) => Ok(payload),
        (Err(Unauthentic::Legacy), Legacy::Accepted) => Ok(stored),
        (Err(u), _) => {
            let why = match u {
                Unauthentic::Legacy => {
                    "the value predates authenticated records and the store was not upgraded (kmsgate upgrades it at start)"
                }
                Unauthentic::Forged => {
                    "the value fails authentication (altered, moved, or written under another root key)"
                }
            };
            tracing::error!("stored {place} refused: {why}");
            Err(KmsError::Internal(InternalError::CorruptRecord(why)))
        }
    }
}

/// Why a stored value is not accepted as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unauthentic {
    /// Written before values were authenticated: acceptable only to the store upgrade.
    Legacy,
    /// Altered, moved, truncated, or made under another root key.
    Forged,
}

fn tag(sealer: &Sealer, place: Place<'_>, payload: &[u8]) -> Option<[u8; TAG_LEN]> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(sealer.record_key()).ok()?;
    place.feed(&mut mac);
    mac.update(payload);
    Some(mac.finalize().into_bytes().into())
}

/// The value to store for `payload` at `place`.
pub(crate) fn wrap(sealer: &Sealer, place: Place<'_>, payload: &[u8]) -> Option<Vec<u8>> {
    let tag = tag(sealer, place, payload)?;
    let mut out = Vec::with_capacity(MAGIC.len() + TAG_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&tag);
    out.extend_from_slice(payload);
    Some(out)
}

/// The payload of a value stored at `place`, if it is authentic.
pub(crate) fn unwrap<'v>(
    sealer: &Sealer,
    place: Place<'_>,
    stored: &'v [u8],
) -> Result<&'v [u8], Unauthentic> {
    let Some(rest) = stored.strip_prefix(MAGIC.as_slice()) else {
        return Err(if stored.first() == Some(&b'{') {
            Unauthentic::Legacy
        } else {
            Unauthentic::Forged
        });
    };
    if rest.len() < TAG_LEN {
        return Err(Unauthentic::Forged);
    }
    let (given, payload) = rest.split_at(TAG_LEN);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(sealer.record_key())
        .map_err(|_| Unauthentic::Forged)?;
    place.feed(&mut mac);
    mac.update(payload);
    // Constant time: a timing oracle on the tag would let a forger guess it byte by byte.
    mac.verify_slice(given).map_err(|_| Unauthentic::Forged)?;
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::RootKey;

    fn sealer(byte: u8) -> Sealer {
        Sealer::new(&RootKey::from_bytes([byte; 32]))
    }

    #[test]
    fn a_value_verifies_only_unchanged_in_its_place_under_its_root() {
        let s = sealer(1);
        let t = TenantId::new("t").unwrap();
        let u = TenantId::new("u").unwrap();
        let id = KeyId::random();
        let other = KeyId::random();
        let v = wrap(&s, Place::Key(&t, &id), b"{\"a\":1}").unwrap();
        assert_eq!(unwrap(&s, Place::Key(&t, &id), &v), Ok(&b"{\"a\":1}"[..]));
        for place in [
            Place::Key(&t, &other),
            Place::Key(&u, &id),
            Place::Meta("clock"),
        ] {
            assert_eq!(unwrap(&s, place, &v), Err(Unauthentic::Forged));
        }
        assert_eq!(
            unwrap(&sealer(2), Place::Key(&t, &id), &v),
            Err(Unauthentic::Forged)
        );
        let mut edited = v.clone();
        let last = edited.len() - 2;
        edited[last] ^= 1;
        assert_eq!(
            unwrap(&s, Place::Key(&t, &id), &edited),
            Err(Unauthentic::Forged)
        );
        assert_eq!(
            unwrap(&s, Place::Key(&t, &id), &v[..20]),
            Err(Unauthentic::Forged)
        );
        assert_eq!(
            unwrap(&s, Place::Key(&t, &id), b"{\"a\":1}"),
            Err(Unauthentic::Legacy)
        );
        assert_eq!(
            unwrap(&s, Place::Key(&t, &id), b""),
            Err(Unauthentic::Forged)
        );
    }

    #[test]
    fn places_do_not_collide_across_kinds_or_field_boundaries() {
        let s = sealer(1);
        let ab = TenantId::new("ab").unwrap();
        let a = TenantId::new("a").unwrap();
        let n1 = AliasName::new("c").unwrap();
        let n2 = AliasName::new("bc").unwrap();
        let v = wrap(&s, Place::Alias(&ab, &n1), b"x").unwrap();
        assert!(unwrap(&s, Place::Alias(&a, &n2), &v).is_err());
        assert!(unwrap(&s, Place::Meta("abc"), &v).is_err());
    }
}
