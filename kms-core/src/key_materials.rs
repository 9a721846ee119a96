//! The materials a key holds: an ordered set with exactly one current material, at most one
//! material pending rotation, and the previous materials that only decrypt. Each keeps its
//! id, origin, expiry, description and dates; a material that was deleted or expired keeps its
//! place (without its secret) until it is imported again, because ciphertexts made with it
//! still name it.
//!
//! Whether a key may use its set (every non-pending material present) is the lifecycle's
//! question ([`crate::lifecycle::KeyState`]); this module only changes the set.

use serde::{Deserialize, Serialize};

use crate::seal::MaterialId;
use crate::secret::SecretBytes;
use crate::spec::{Expiry, Origin};
use crate::time::Timestamp;

/// How a material became current.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RotationType {
    /// By the key's rotation schedule, on the emulated clock.
    Automatic,
    /// By an explicit request.
    OnDemand,
}

/// A material's place in its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MaterialRole {
    /// Encrypts and decrypts.
    Current,
    /// Imported for an on-demand rotation that has not happened yet; used for nothing.
    PendingRotation,
    /// Was current once; decrypts what it encrypted.
    Previous,
}

/// Whether a material's secret is in the key now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MaterialPresence {
    Present,
    /// Deleted or expired: the key needs it imported again (a non-pending material missing
    /// makes the whole key PendingImport).
    PendingImport,
}

/// A completed rotation: when a material became current, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    pub at: Timestamp,
    pub kind: RotationType,
}

/// One material as a listing shows it (no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyMaterialInfo {
    pub material_id: MaterialId,
    pub role: MaterialRole,
    pub presence: MaterialPresence,
    pub origin: Origin,
    /// The expiry of its last import (generated material never expires).
    pub expiry: Expiry,
    pub description: Option<String>,
    /// When it was first generated or imported.
    pub created_at: Timestamp,
    /// `None` for the first material and for a material pending rotation.
    pub rotation: Option<Rotation>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) id: MaterialId,
    /// `None`: deleted or expired, waiting to be imported again.
    pub(crate) secret: Option<SecretBytes>,
    pub(crate) expiry: Expiry,
    pub(crate) origin: Origin,
    pub(crate) description: Option<String>,
    pub(crate) created_at: Timestamp,
    pub(crate) rotation: Option<Rotation>,
}

impl Entry {
    pub(crate) fn new(
        id: MaterialId,
        secret: SecretBytes,
        expiry: Expiry,
        origin: Origin,
        created_at: Timestamp,
    ) -> Entry {
        Entry {
            id,
            secret: Some(secret),
            expiry,
            origin,
            description: None,
            created_at,
            rotation: None,
        }
    }

    fn info(&self, role: MaterialRole) -> KeyMaterialInfo {
        KeyMaterialInfo {
            material_id: self.id,
            role,
            presence: if self.secret.is_some() {
                MaterialPresence::Present
            } else {
                MaterialPresence::PendingImport
            },
            origin: self.origin,
            expiry: self.expiry,
            description: self.description.clone(),
            created_at: self.created_at,
            rotation: self.rotation,
        }
    }
}

/// Never empty: a key without material has no `Materials` at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Materials {
    /// Oldest first.
    pub(crate) previous: Vec<Entry>,
    pub(crate) current: Entry,
    /// Always present: deleting or expiring it removes it.
    pub(crate) pending: Option<Entry>,
}

/// What a change to the set could not do; the lifecycle turns it into a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SetRefusal {
    /// The set already has a material pending rotation.
    PendingExists,
    /// No material pending rotation to make current.
    NoPending,
    /// No material of the set has this id.
    Unknown,
    /// The material is already deleted or expired.
    AlreadyGone,
}

impl Materials {
    pub(crate) fn first(entry: Entry) -> Materials {
        Materials {
            previous: Vec::new(),
            current: entry,
            pending: None,
        }
    }

    /// In creation order: previous, current, pending.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&Entry, MaterialRole)> {
        self.previous
            .iter()
            .map(|e| (e, MaterialRole::Previous))
            .chain(std::iter::once((&self.current, MaterialRole::Current)))
            .chain(
                self.pending
                    .iter()
                    .map(|e| (e, MaterialRole::PendingRotation)),
            )
    }

    fn entries_mut(&mut self) -> impl Iterator<Item = &mut Entry> {
        self.previous
            .iter_mut()
            .chain(std::iter::once(&mut self.current))
            .chain(self.pending.iter_mut())
    }

    pub(crate) fn infos(&self) -> Vec<KeyMaterialInfo> {
        self.entries().map(|(e, role)| e.info(role)).collect()
    }

    pub(crate) fn find(&self, id: &MaterialId) -> Option<(&Entry, MaterialRole)> {
        self.entries().find(|(e, _)| e.id.matches(id))
    }

    /// Every material but the pending one is present: the key can be used.
    pub(crate) fn is_complete(&self) -> bool {
        self.current.secret.is_some() && self.previous.iter().all(|e| e.secret.is_some())
    }

    /// Whether any secret is held (what a legacy record must have to prove a root key).
    pub(crate) fn holds_any_secret(&self) -> bool {
        self.entries().any(|(e, _)| e.secret.is_some())
    }

    /// Present materials that may decrypt, newest first (blobs that name no material).
    pub(crate) fn decrypting(&self) -> impl Iterator<Item = (&MaterialId, &SecretBytes)> {
        std::iter::once(&self.current)
            .chain(self.previous.iter().rev())
            .filter_map(|e| e.secret.as_ref().map(|s| (&e.id, s)))
    }

    /// How many materials it holds: previous, current and pending.
    pub(crate) fn len(&self) -> usize {
        self.previous.len() + 1 + usize::from(self.pending.is_some())
    }

    pub(crate) fn add_pending(&self, entry: Entry) -> Result<Materials, SetRefusal> {
        if self.pending.is_some() {
            return Err(SetRefusal::PendingExists);
        }
        Ok(Materials {
            pending: Some(entry),
            ..self.clone()
        })
    }

    /// The pending material (or, for generated keys, `fresh`) becomes current; the current
    /// one becomes previous.
    pub(crate) fn rotate(
        &self,
        fresh: Option<Entry>,
        rotation: Rotation,
    ) -> Result<Materials, SetRefusal> {
        let mut next = self.clone();
        let incoming = match fresh {
            Some(e) => e,
            None => next.pending.take().ok_or(SetRefusal::NoPending)?,
        };
        let old = std::mem::replace(
            &mut next.current,
            Entry {
                rotation: Some(rotation),
                ..incoming
            },
        );
        next.previous.push(old);
        Ok(next)
    }

    /// The material `id` names is back, with the expiry (and description, if given) of this
    /// import.
    pub(crate) fn restore(
        &self,
        id: &MaterialId,
        secret: SecretBytes,
        expiry: Expiry,
        description: Option<String>,
    ) -> Result<Materials, SetRefusal> {
        let mut next = self.clone();
        let entry = next
            .entries_mut()
            .find(|e| e.id.matches(id))
            .ok_or(SetRefusal::Unknown)?;
        entry.secret = Some(secret);
        entry.expiry = expiry;
        if description.is_some() {
            entry.description = description;
        }
        Ok(next)
    }

    /// Erases the material `id` names (the current one when `None`): a pending material is
    /// dropped, any other keeps its place without its secret.
    pub(crate) fn erase(&self, id: Option<&MaterialId>) -> Result<Materials, SetRefusal> {
        let mut next = self.clone();
        let target = id.unwrap_or(&self.current.id);
        if next.pending.as_ref().is_some_and(|p| p.id.matches(target)) {
            next.pending = None;
            return Ok(next);
        }
        let entry = next
            .entries_mut()
            .find(|e| e.id.matches(target))
            .ok_or(SetRefusal::Unknown)?;
        if entry.secret.take().is_none() {
            return Err(SetRefusal::AlreadyGone);
        }
        Ok(next)
    }

    /// Erases what has expired by `now`; `None` when nothing did.
    pub(crate) fn expire(&self, now: Timestamp) -> Option<Materials> {
        let passed = |e: &Entry| e.secret.is_some() && e.expiry.has_passed(now);
        if !self.entries().any(|(e, _)| passed(e)) {
            return None;
        }
        let mut next = self.clone();
        if next.pending.as_ref().is_some_and(passed) {
            next.pending = None;
        }
        for e in next.entries_mut() {
            if passed(e) {
                e.secret = None;
            }
        }
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(b: u8) -> MaterialId {
        hex::encode([b; 32])
            .parse()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn entry(b: u8, expiry: Expiry) -> Entry {
        Entry::new(
            id(b),
            SecretBytes::from(vec![b; 32]),
            expiry,
            Origin::External,
            Timestamp::from_secs(1),
        )
    }

    #[test]
    fn pending_becomes_current_and_current_previous() {
        let set = Materials::first(entry(1, Expiry::Never));
        let with_b = set
            .add_pending(entry(2, Expiry::Never))
            .unwrap_or_else(|_| set.clone());
        assert_eq!(
            with_b.add_pending(entry(3, Expiry::Never)),
            Err(SetRefusal::PendingExists)
        );
        let at = Rotation {
            at: Timestamp::from_secs(9),
            kind: RotationType::OnDemand,
        };
        assert_eq!(set.rotate(None, at), Err(SetRefusal::NoPending));
        let rotated = with_b.rotate(None, at).unwrap_or_else(|_| set.clone());
        let roles: Vec<_> = rotated.entries().map(|(e, r)| (e.id, r)).collect();
        assert_eq!(
            roles,
            vec![
                (id(1), MaterialRole::Previous),
                (id(2), MaterialRole::Current)
            ]
        );
        assert_eq!(rotated.current.rotation, Some(at));
        let newest_first: Vec<_> = rotated.decrypting().map(|(i, _)| *i).collect();
        assert_eq!(newest_first, vec![id(2), id(1)]);
    }

    #[test]
    fn erasing_keeps_the_place_except_for_pending_material() {
        let set = Materials::first(entry(1, Expiry::Never))
            .add_pending(entry(2, Expiry::Never))
            .unwrap_or_else(|_| Materials::first(entry(9, Expiry::Never)));
        let without_pending = set.erase(Some(&id(2))).unwrap_or_else(|_| set.clone());
        assert!(without_pending.pending.is_none());
        assert!(without_pending.is_complete());
        let without_current = set.erase(None).unwrap_or_else(|_| set.clone());
        assert!(!without_current.is_complete());
        assert_eq!(without_current.erase(None), Err(SetRefusal::AlreadyGone));
        assert_eq!(set.erase(Some(&id(7))), Err(SetRefusal::Unknown));
        let back = without_current
            .restore(&id(1), SecretBytes::from(vec![1; 32]), Expiry::Never, None)
            .unwrap_or_else(|_| set.clone());
        assert!(back.is_complete());
    }

    #[test]
    fn expiry_erases_held_material_and_drops_a_pending_one() {
        let t = Timestamp::from_secs(100);
        let set = Materials::first(entry(1, Expiry::At(t)))
            .add_pending(entry(2, Expiry::At(t)))
            .unwrap_or_else(|_| Materials::first(entry(9, Expiry::Never)));
        assert!(set.expire(Timestamp::from_secs(99)).is_none());
        let expired = set.expire(t).unwrap_or_else(|| set.clone());
        assert!(expired.pending.is_none());
        assert!(expired.current.secret.is_none());
        assert!(expired.expire(t).is_none(), "nothing left to expire");
    }
}
