//! Import tokens. A token is self-contained: it carries, sealed under a root-derived key, the
//! tenant and key it was issued for, the wrapping algorithm, its expiry and the private half
//! of the wrapping key pair. So tokens cannot be forged or moved to another key, survive
//! restarts as long as the root key does, and need no storage; several may be outstanding
//! for one key. A token is not consumed by an import: it stays usable until it expires, which
//! is what lets the same token re-import the same material (the clouds behave the same way
//! within the validity window).
//!
//! A token also carries the generation of the engine's clock it was issued in, and its expiry
//! is judged with [`Clock::has_passed`]: once expired, a token stays expired even if the clock
//! is moved back to before its expiry. And it carries when its key was created: a key made
//! again under the same id (a declared key after a reset) is another key, which the token
//! does not open for.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::error::{InternalError, KmsError, ValidationError};
use crate::ids::{KeyId, TenantId};
use crate::seal::{Purpose, Sealer};
use crate::time::{Clock, Timestamp};
use crate::wrapping::{RecentPairs, WrappingAlgorithm, WrappingKeyPair, WrappingKeySpec};

/// Version 2 added the clock generation, version 3 the key's creation time. Version 1 tokens
/// were issued before the clock could be moved back, so they open as generation 0; tokens
/// before version 3 open for any key with their id. Both keep them valid across an upgrade.
const VERSION: u8 = 3;
const VERSION_2: u8 = 2;
const VERSION_1: u8 = 1;
/// Keeps every token at 200 or more base64 characters, the lower bound Huawei documents.
const MIN_TOKEN_LEN: usize = 150;
const SEAL_OVERHEAD: usize = 12 + 16;

/// An import token as handed out and handed back: opaque bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct ImportToken(Vec<u8>);

impl ImportToken {
    /// AWS's limit; our tokens stay well below it (an RSA-4096 token is about 2.5 KiB).
    pub const MAX_LEN: usize = 6144;

    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, ValidationError> {
        if bytes.is_empty() || bytes.len() > Self::MAX_LEN {
            return Err(ValidationError::ImportTokenSize { max: Self::MAX_LEN });
        }
        Ok(ImportToken(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Standard base64 with padding: only `[0-9a-zA-Z+/=]`.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.0)
    }
}

impl fmt::Debug for ImportToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImportToken({} bytes)", self.0.len())
    }
}

/// What a token vouches for.
pub(crate) struct Claims<'a> {
    pub(crate) tenant: &'a TenantId,
    pub(crate) key_id: KeyId,
    pub(crate) algorithm: WrappingAlgorithm,
    pub(crate) key_pair: &'a WrappingKeyPair,
    pub(crate) expires_at: Timestamp,
    /// The clock generation `expires_at` was computed in.
    pub(crate) generation: u32,
    /// When the key was created: which key of that id the token is for.
    pub(crate) key_created: Timestamp,
}

/// What an opened token gives an import.
pub(crate) struct Opened {
    pub(crate) algorithm: WrappingAlgorithm,
    pub(crate) key_pair: WrappingKeyPair,
    /// When the key it was issued for was created (`None`: a token from before version 3).
    pub(crate) key_created: Option<Timestamp>,
    /// Its expiry and the clock generation that reads it, for checking again at the write.
    pub(crate) expires_at: Timestamp,
    pub(crate) generation: u32,
}

pub(crate) fn issue(sealer: &Sealer, claims: &Claims<'_>) -> Result<ImportToken, InternalError> {
    let private = claims.key_pair.to_private_bytes()?;
    let tenant = claims.tenant.as_str().as_bytes();
    let mut plain = Zeroizing::new(Vec::with_capacity(64 + tenant.len() + private.len()));
    plain.extend_from_slice(claims.key_id.as_bytes());
    plain.push(claims.algorithm.code());
    plain.push(claims.key_pair.spec().code());
    plain.extend_from_slice(&claims.expires_at.as_millis().to_be_bytes());
    plain.extend_from_slice(&claims.generation.to_be_bytes());
    plain.extend_from_slice(&claims.key_created.as_millis().to_be_bytes());
    push_with_len(&mut plain, tenant)?;
    push_with_len(&mut plain, &private)?;
    let min_plain = MIN_TOKEN_LEN - 1 - SEAL_OVERHEAD;
    if plain.len() < min_plain {
        plain.resize(min_plain, 0);
    }
    let sealed = sealer.seal(Purpose::ImportToken, &[VERSION], &plain)?;
    let mut token = Vec::with_capacity(1 + sealed.len());
    token.push(VERSION);
    token.extend_from_slice(&sealed);
    Ok(ImportToken(token))
}

fn push_with_len(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), InternalError> {
    let len = u16::try_from(bytes.len()).map_err(|_| InternalError::Seal)?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

/// Opens a token for an import into `key_id` of `tenant`, as `clock` has it now. Checks, in
/// order: that we issued it and it is intact, that it has not expired, that it names this key.
pub(crate) fn open(
    sealer: &Sealer,
    token: &ImportToken,
    tenant: &TenantId,
    key_id: &KeyId,
    clock: &dyn Clock,
    pairs: &RecentPairs,
) -> Result<Opened, KmsError> {
    let (&version, sealed) = token.0.split_first().ok_or(KmsError::ImportTokenInvalid)?;
    if ![VERSION, VERSION_2, VERSION_1].contains(&version) {
        return Err(KmsError::ImportTokenInvalid);
    }
    let plain = sealer
        .open(Purpose::ImportToken, &[version], sealed)
        .ok_or(KmsError::ImportTokenInvalid)?;
    let parsed = parse(&plain, version).ok_or(KmsError::ImportTokenInvalid)?;
    if clock.has_passed(parsed.expires_at, parsed.generation) {
        return Err(KmsError::ImportTokenExpired {
            expired_at: parsed.expires_at,
        });
    }
    if parsed.key_id != *key_id || parsed.tenant != tenant.as_str().as_bytes() {
        return Err(KmsError::ImportTokenForeign);
    }
    let key_pair = pairs
        .decode(parsed.spec, parsed.private)
        .ok_or(KmsError::ImportTokenInvalid)?;
    Ok(Opened {
        algorithm: parsed.algorithm,
        key_pair,
        key_created: parsed.key_created,
        expires_at: parsed.expires_at,
        generation: parsed.generation,
    })
}

struct Parsed<'a> {
    key_id: KeyId,
    algorithm: WrappingAlgorithm,
    spec: WrappingKeySpec,
    expires_at: Timestamp,
    generation: u32,
    key_created: Option<Timestamp>,
    tenant: &'a [u8],
    private: &'a [u8],
}

fn parse(plain: &[u8], version: u8) -> Option<Parsed<'_>> {
    let mut r = Reader(plain);
    let key_id = KeyId::from_bytes(r.take(16)?.try_into().ok()?);
    let algorithm = WrappingAlgorithm::from_code(r.take(1)?[0])?;
    let spec = WrappingKeySpec::from_code(r.take(1)?[0])?;
    let expires_at = Timestamp::from_millis(u64::from_be_bytes(r.take(8)?.try_into().ok()?));
    let generation = if version == VERSION_1 {
        0
    } else {
        u32::from_be_bytes(r.take(4)?.try_into().ok()?)
    };
    let key_created = if version == VERSION {
        Some(Timestamp::from_millis(u64::from_be_bytes(
            r.take(8)?.try_into().ok()?,
        )))
    } else {
        None
    };
    let tenant = r.take_with_len()?;
    let private = r.take_with_len()?;
    Some(Parsed {
        key_id,
        algorithm,
        spec,
        expires_at,
        generation,
        key_created,
        tenant,
        private,
    })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn take_with_len(&mut self) -> Option<&'a [u8]> {
        let len = u16::from_be_bytes(self.take(2)?.try_into().ok()?);
        self.take(usize::from(len))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    /// Opening without pairs remembered from earlier answers.
    fn open(
        sealer: &Sealer,
        token: &ImportToken,
        tenant: &TenantId,
        key_id: &KeyId,
        clock: &dyn Clock,
    ) -> Result<(WrappingAlgorithm, WrappingKeyPair), KmsError> {
        super::open(
            sealer,
            token,
            tenant,
            key_id,
            clock,
            &RecentPairs::default(),
        )
        .map(|o| (o.algorithm, o.key_pair))
    }
    use crate::seal::RootKey;
    use crate::time::{EmulatedClock, ManualClock};

    fn setup() -> (Sealer, TenantId, KeyId, WrappingKeyPair) {
        let pair = WrappingKeyPair::generate(WrappingKeySpec::Sm2);
        (
            Sealer::new(&RootKey::from_bytes([9; 32])),
            TenantId::new("t").unwrap_or_else(|e| panic!("{e}")),
            KeyId::random(),
            pair.unwrap_or_else(|e| panic!("{e}")),
        )
    }

    fn claims<'a>(
        t: &'a TenantId,
        k: KeyId,
        pair: &'a WrappingKeyPair,
        exp: u64,
        generation: u32,
    ) -> Claims<'a> {
        Claims {
            tenant: t,
            key_id: k,
            algorithm: WrappingAlgorithm::Sm2Pke,
            key_pair: pair,
            expires_at: Timestamp::from_secs(exp),
            generation,
            key_created: CREATED,
        }
    }

    const CREATED: Timestamp = Timestamp::from_secs(7);

    fn token(s: &Sealer, t: &TenantId, k: KeyId, pair: &WrappingKeyPair, exp: u64) -> ImportToken {
        issue(s, &claims(t, k, pair, exp, 0)).unwrap_or_else(|e| panic!("{e}"))
    }

    fn at(secs: u64) -> ManualClock {
        ManualClock::new(Timestamp::from_secs(secs))
    }

    fn expired(r: Result<(WrappingAlgorithm, WrappingKeyPair), KmsError>) -> bool {
        matches!(r, Err(KmsError::ImportTokenExpired { .. }))
    }

    #[test]
    fn token_opens_for_its_key_until_it_expires() {
        let (s, t, k, pair) = setup();
        let tok = token(&s, &t, k, &pair, 100);
        let b64 = tok.to_base64();
        assert!((200..=6144).contains(&b64.len()), "{}", b64.len());
        assert!(
            b64.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"+/=".contains(&c))
        );
        let opened = open(&s, &tok, &t, &k, &at(99));
        let (alg, back) = opened.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(alg, WrappingAlgorithm::Sm2Pke);
        assert_eq!(back.public_key_der().ok(), pair.public_key_der().ok());
        assert!(expired(open(&s, &tok, &t, &k, &at(100))));
    }

    #[test]
    fn an_expired_token_stays_expired_when_the_clock_is_moved_back() {
        let (s, t, k, pair) = setup();
        let wall = Arc::new(at(1_000));
        let clock = EmulatedClock::with_wall(wall);
        let gen0 = |exp| token(&s, &t, k, &pair, exp);
        let (short, long) = (gen0(1_100), gen0(1_300));
        clock.advance(Duration::from_secs(200)); // generation 0 reaches 1_200
        assert!(expired(open(&s, &short, &t, &k, &clock)));
        clock.reset().unwrap_or_else(|e| panic!("{e}")); // back to 1_000
        assert!(
            expired(open(&s, &short, &t, &k, &clock)),
            "expired before the rewind"
        );
        assert!(
            open(&s, &long, &t, &k, &clock).is_ok(),
            "its expiry was never reached"
        );
        // Issued after the rewind, with the same expiry as `short`: valid until 1_100 comes.
        let gen1 = issue(&s, &claims(&t, k, &pair, 1_100, clock.generation()));
        let gen1 = gen1.unwrap_or_else(|e| panic!("{e}"));
        assert!(open(&s, &gen1, &t, &k, &clock).is_ok());
        clock.advance(Duration::from_secs(100));
        assert!(expired(open(&s, &gen1, &t, &k, &clock)));
    }

    /// A token as an older version wrote it: version 1 has no generation, version 2 a
    /// generation and no creation time of its key.
    fn issue_old(
        version: u8,
        s: &Sealer,
        t: &TenantId,
        k: KeyId,
        pair: &WrappingKeyPair,
        exp: u64,
    ) -> ImportToken {
        let private = pair.to_private_bytes().unwrap_or_else(|e| panic!("{e}"));
        let mut plain = Vec::new();
        plain.extend_from_slice(k.as_bytes());
        plain.push(WrappingAlgorithm::Sm2Pke.code());
        plain.push(pair.spec().code());
        plain.extend_from_slice(&Timestamp::from_secs(exp).as_millis().to_be_bytes());
        if version == VERSION_2 {
            plain.extend_from_slice(&0u32.to_be_bytes());
        }
        push_with_len(&mut plain, t.as_str().as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        push_with_len(&mut plain, &private).unwrap_or_else(|e| panic!("{e}"));
        plain.resize(plain.len().max(MIN_TOKEN_LEN - 1 - SEAL_OVERHEAD), 0);
        let sealed = s.seal(Purpose::ImportToken, &[version], &plain);
        let mut bytes = vec![version];
        bytes.extend_from_slice(&sealed.unwrap_or_else(|e| panic!("{e}")));
        ImportToken(bytes)
    }

    #[test]
    fn a_token_names_when_its_key_was_created_and_older_tokens_name_no_time() {
        let (s, t, k, pair) = setup();
        let opened = |tok: &ImportToken| {
            super::open(&s, tok, &t, &k, &at(1_000), &RecentPairs::default())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(
            opened(&token(&s, &t, k, &pair, 1_100)).key_created,
            Some(CREATED)
        );
        assert_eq!(
            opened(&issue_old(VERSION_2, &s, &t, k, &pair, 1_100)).key_created,
            None
        );
        assert_eq!(
            opened(&issue_old(VERSION_1, &s, &t, k, &pair, 1_100)).key_created,
            None
        );
    }

    #[test]
    fn version_1_tokens_still_open_as_generation_0() {
        let (s, t, k, pair) = setup();
        let old = issue_old(VERSION_1, &s, &t, k, &pair, 1_100);
        let clock = EmulatedClock::with_wall(Arc::new(at(1_000)));
        assert!(open(&s, &old, &t, &k, &clock).is_ok());
        clock.advance(Duration::from_secs(200));
        clock.reset().unwrap_or_else(|e| panic!("{e}"));
        assert!(expired(open(&s, &old, &t, &k, &clock)));
        let mut unknown = old.as_bytes().to_vec();
        unknown[0] = 4;
        let unknown = ImportToken::from_bytes(unknown).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            open(&s, &unknown, &t, &k, &at(0)),
            Err(KmsError::ImportTokenInvalid)
        ));
    }

    #[test]
    fn token_refuses_other_keys_other_tenants_forgeries_and_other_roots() {
        let (s, t, k, pair) = setup();
        let tok = token(&s, &t, k, &pair, 100);
        let now = at(1);
        assert!(matches!(
            open(&s, &tok, &t, &KeyId::random(), &now),
            Err(KmsError::ImportTokenForeign)
        ));
        let other = TenantId::new("u").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            open(&s, &tok, &other, &k, &now),
            Err(KmsError::ImportTokenForeign)
        ));
        let mut bytes = tok.as_bytes().to_vec();
        bytes[40] ^= 0x80;
        let forged = ImportToken::from_bytes(bytes).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            open(&s, &forged, &t, &k, &now),
            Err(KmsError::ImportTokenInvalid)
        ));
        // The version byte is authenticated: a version 2 token relabelled 1 does not open.
        let mut relabelled = tok.as_bytes().to_vec();
        relabelled[0] = VERSION_1;
        let relabelled = ImportToken::from_bytes(relabelled).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            open(&s, &relabelled, &t, &k, &now),
            Err(KmsError::ImportTokenInvalid)
        ));
        let other_root = Sealer::new(&RootKey::from_bytes([8; 32]));
        assert!(matches!(
            open(&other_root, &tok, &t, &k, &now),
            Err(KmsError::ImportTokenInvalid)
        ));
        let junk = ImportToken::from_bytes(vec![1]).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            open(&s, &junk, &t, &k, &now),
            Err(KmsError::ImportTokenInvalid)
        ));
        assert!(ImportToken::from_bytes(vec![]).is_err());
        assert!(ImportToken::from_bytes(vec![0; 6145]).is_err());
    }
}
