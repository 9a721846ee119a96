//! Metadata values, and the upgrade of stores written before stored values were
//! authenticated ([`crate::authentic`]).
//!
//! The upgrade rewrites every unauthenticated key record, alias record and named metadata
//! value authenticated, under a marker kept in the metadata: `upgrading` while it runs (so a
//! crash mid-way resumes), `authenticated` when done. Unauthenticated values are accepted
//! only by a running upgrade, and an upgrade only starts in a store that holds no
//! authenticated value yet: in a store this version has written to, an unauthenticated
//! value was not written by kmsgate and stays refused.

use super::Kms;
use crate::alias::AliasRecord;
use crate::authentic::{self, Legacy, Place, Unauthentic};
use crate::error::{InternalError, KmsError};
use crate::record;
use crate::store::Change;

/// The metadata name of the upgrade marker.
const MARKER: &str = "records";
const UPGRADING: &[u8] = b"upgrading";
const AUTHENTICATED: &[u8] = b"authenticated";

/// What [`Kms::upgrade_store`] rewrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpgradeReport {
    pub keys: usize,
    pub aliases: usize,
    pub meta: usize,
    /// Unauthenticated values that could not be read as what they claim to be (left as they
    /// are; using them answers an internal error).
    pub unreadable: usize,
}

impl UpgradeReport {
    pub fn is_empty(&self) -> bool {
        *self == UpgradeReport::default()
    }
}

impl Kms {
    /// A metadata value (apart from every tenant's keys), if present and authentic.
    pub fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, KmsError> {
        let Some(stored) = self.store.get_meta(name)? else {
            return Ok(None);
        };
        authentic::payload(&self.sealer, Place::Meta(name), &stored, Legacy::Refused)
            .map(|value| Some(value.to_vec()))
    }

    /// Sets a metadata value, authenticated; durable once `Ok` (for durable stores).
    pub fn put_meta(&self, name: &str, value: &[u8]) -> Result<(), KmsError> {
        let stored = authentic::wrap(&self.sealer, Place::Meta(name), value)
            .ok_or(KmsError::Internal(InternalError::Seal))?;
        Ok(self.store.put_meta(name, &stored)?)
    }

    /// Makes every stored value authenticated (see the module documentation); `meta` names
    /// the metadata values the caller keeps. Run it once at start, before serving. Cheap when
    /// there is nothing to do: one metadata read.
    pub fn upgrade_store(&self, meta: &[&str]) -> Result<UpgradeReport, KmsError> {
        match self.get_meta(MARKER)?.as_deref() {
            Some(AUTHENTICATED) => return Ok(UpgradeReport::default()),
            Some(UPGRADING) => {}
            Some(_) => {
                return Err(KmsError::Internal(InternalError::CorruptRecord(
                    "the store's upgrade marker holds an unknown value",
                )));
            }
            None if self.holds_authenticated_values()? => {
                self.put_meta(MARKER, AUTHENTICATED)?;
                return Ok(UpgradeReport::default());
            }
            None => self.put_meta(MARKER, UPGRADING)?,
        }
        let mut report = UpgradeReport::default();
        for (tenant, id) in self.store.all_keys()? {
            let mut outcome = None;
            self.store.update(&tenant, &id, &mut |current| {
                let Some(bytes) = current.filter(|b| is_legacy(self, Place::Key(&tenant, &id), b))
                else {
                    return Change::Keep;
                };
                let rewritten =
                    record::decode_as(bytes, &self.sealer, &tenant, &id, Legacy::Accepted)
                        .and_then(|key| record::encode(&key, &self.sealer));
                outcome = Some(rewritten.is_ok());
                rewritten.map_or(Change::Keep, Change::Put)
            })?;
            tally(&mut report.keys, &mut report.unreadable, outcome);
        }
        for (tenant, name) in self.store.all_aliases()? {
            let mut outcome = None;
            self.store.update_alias(&tenant, &name, &mut |current| {
                let Some(bytes) =
                    current.filter(|b| is_legacy(self, Place::Alias(&tenant, &name), b))
                else {
                    return Change::Keep;
                };
                let rewritten =
                    AliasRecord::decode_as(bytes, &self.sealer, &tenant, &name, Legacy::Accepted)
                        .and_then(|r| r.encode(&self.sealer, &tenant, &name));
                outcome = Some(rewritten.is_ok());
                rewritten.map_or(Change::Keep, Change::Put)
            })?;
            tally(&mut report.aliases, &mut report.unreadable, outcome);
        }
        for name in meta {
            if let Some(stored) = self.store.get_meta(name)?
                && is_legacy(self, Place::Meta(name), &stored)
            {
                self.put_meta(name, &stored)?;
                report.meta += 1;
            }
        }
        self.put_meta(MARKER, AUTHENTICATED)?;
        if !report.is_empty() {
            tracing::info!(
                keys = report.keys,
                aliases = report.aliases,
                meta = report.meta,
                unreadable = report.unreadable,
                "store upgraded: every record is now authenticated"
            );
        }
        Ok(report)
    }

    /// Whether the store holds an upgrade marker; an error if it does not verify under this
    /// root key.
    pub(super) fn has_upgrade_marker(&self) -> Result<bool, KmsError> {
        Ok(self.get_meta(MARKER)?.is_some())
    }

    /// Whether any key or alias record is in the authenticated format (valid or not).
    fn holds_authenticated_values(&self) -> Result<bool, KmsError> {
        for (tenant, id) in self.store.all_keys()? {
            if let Some(bytes) = self.store.get(&tenant, &id)?
                && !is_legacy(self, Place::Key(&tenant, &id), &bytes)
            {
                return Ok(true);
            }
        }
        for (tenant, name) in self.store.all_aliases()? {
            if let Some(bytes) = self.store.get_alias(&tenant, &name)?
                && !is_legacy(self, Place::Alias(&tenant, &name), &bytes)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn is_legacy(kms: &Kms, place: Place<'_>, stored: &[u8]) -> bool {
    authentic::unwrap(&kms.sealer, place, stored) == Err(Unauthentic::Legacy)
}

fn tally(done: &mut usize, unreadable: &mut usize, outcome: Option<bool>) {
    match outcome {
        Some(true) => *done += 1,
        Some(false) => *unreadable += 1,
        None => {}
    }
}
