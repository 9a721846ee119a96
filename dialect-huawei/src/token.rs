//! X-Auth-Tokens as this emulator issues them from `POST /v3/auth/tokens`.
//!
//! A token is self-verifying: it carries who it was issued to (user, domain, project) and
//! when it expires, MAC'd with a secret derived from the engine's root key
//! ([`kms_core::Kms::front_end_secret`]). So tokens need no storage, cannot be forged or
//! re-scoped, verify on every process sharing the store (one root key), and outlive a
//! restart exactly as long as the root key does (an in-memory server draws a new one). The bytes are laid out as a DER SEQUENCE header followed by the claims
//! and the MAC, so that, base64-encoded, they start with "MII" like real Huawei tokens (which
//! are base64 of CMS structures) and stay within `[0-9A-Za-z+/=]`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dialect_kit::signing::{constant_time_eq, hmac_sha256};
use kms_core::{InternalError, Timestamp};
use rand_core::{OsRng, RngCore};

/// Version 2 added the clock generation; tokens never outlive their process, so earlier
/// versions need no reading.
const VERSION: u8 = 2;
const MAC_LEN: usize = 32;
const MAC_LABEL: &[u8] = b"kmsgate/huawei/x-auth-token/v1";
/// Each claim is at most this many bytes, so a token's length always fits the two-byte DER
/// length (and stays below 0x4000, which keeps the "MII" prefix).
pub const MAX_CLAIM_LEN: usize = 255;

/// What a token vouches for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenClaims {
    pub user: String,
    pub domain_name: String,
    pub domain_id: String,
    pub project_id: String,
    pub project_name: String,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    /// The emulated clock's generation at issue, so a token that had expired before the
    /// clock was moved back stays expired after it (`Clock::has_passed`).
    pub generation: u32,
}

/// Issues and verifies tokens with one secret.
pub struct TokenIssuer {
    secret: [u8; 32],
}

impl fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenIssuer").finish_non_exhaustive()
    }
}

fn push_claim(out: &mut Vec<u8>, claim: &str) -> Option<()> {
    let len = u8::try_from(claim.len()).ok()?;
    out.push(len);
    out.extend_from_slice(claim.as_bytes());
    Some(())
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

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    fn claim(&mut self) -> Option<String> {
        let len = usize::from(*self.take(1)?.first()?);
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
}

/// What [`TokenIssuer::for_engine`] derives its secret under.
const SECRET_LABEL: &str = "huawei/x-auth-token";

impl TokenIssuer {
    /// The secret every process with this engine's root key derives alike.
    pub fn for_engine(kms: &kms_core::Kms) -> Self {
        TokenIssuer {
            secret: *kms.front_end_secret(SECRET_LABEL),
        }
    }

    /// A fresh random secret: tokens of earlier processes no longer verify.
    pub fn generate() -> Result<Self, InternalError> {
        let mut secret = [0u8; 32];
        OsRng
            .try_fill_bytes(&mut secret)
            .map_err(|_| InternalError::Randomness)?;
        Ok(TokenIssuer { secret })
    }

    /// A fixed secret, for tests that need reproducible tokens.
    pub fn from_secret(secret: [u8; 32]) -> Self {
        TokenIssuer { secret }
    }

    fn mac(&self, body: &[u8]) -> [u8; MAC_LEN] {
        hmac_sha256(&self.secret, &[MAC_LABEL, body].concat())
    }

    /// `None` if a claim is longer than [`MAX_CLAIM_LEN`] bytes.
    pub fn issue(&self, claims: &TokenClaims) -> Option<String> {
        let mut body = vec![VERSION];
        body.extend_from_slice(&claims.issued_at.as_millis().to_be_bytes());
        body.extend_from_slice(&claims.expires_at.as_millis().to_be_bytes());
        body.extend_from_slice(&claims.generation.to_be_bytes());
        for claim in [
            &claims.user,
            &claims.domain_name,
            &claims.domain_id,
            &claims.project_id,
            &claims.project_name,
        ] {
            push_claim(&mut body, claim)?;
        }
        let tag = self.mac(&body);
        let len = u16::try_from(body.len() + MAC_LEN).ok()?;
        let mut token = vec![0x30, 0x82];
        token.extend_from_slice(&len.to_be_bytes());
        token.extend_from_slice(&body);
        token.extend_from_slice(&tag);
        Some(STANDARD.encode(token))
    }

    /// The claims of a token this issuer made, whatever its expiry (the caller judges that
    /// against the emulated clock); `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<TokenClaims> {
        let bytes = STANDARD.decode(token.trim()).ok()?;
        let mut r = Reader(&bytes);
        if r.take(2)? != [0x30, 0x82] {
            return None;
        }
        let len = usize::from(u16::from_be_bytes(r.take(2)?.try_into().ok()?));
        if len != r.0.len() || len < MAC_LEN {
            return None;
        }
        let (body, tag) = r.0.split_at(len - MAC_LEN);
        if !constant_time_eq(&self.mac(body), tag) {
            return None;
        }
        let mut r = Reader(body);
        if r.take(1)? != [VERSION] {
            return None;
        }
        let issued_at = Timestamp::from_millis(r.u64()?);
        let expires_at = Timestamp::from_millis(r.u64()?);
        let generation = u32::from_be_bytes(r.take(4)?.try_into().ok()?);
        let claims = TokenClaims {
            user: r.claim()?,
            domain_name: r.claim()?,
            domain_id: r.claim()?,
            project_id: r.claim()?,
            project_name: r.claim()?,
            issued_at,
            expires_at,
            generation,
        };
        r.0.is_empty().then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> TokenClaims {
        TokenClaims {
            user: "alice".into(),
            domain_name: "acme".into(),
            domain_id: "d".repeat(32),
            project_id: "0123456789abcdef0123456789abcdef".into(),
            project_name: "cn-north-4".into(),
            issued_at: Timestamp::from_secs(1_000),
            expires_at: Timestamp::from_secs(87_400),
            generation: 3,
        }
    }

    #[test]
    fn tokens_round_trip_and_look_like_huawei_tokens() {
        let issuer = TokenIssuer::from_secret([1; 32]);
        let token = issuer.issue(&claims()).unwrap();
        assert!(token.starts_with("MII"), "{token}");
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        );
        assert_eq!(issuer.verify(&token), Some(claims()));
        let long = TokenClaims {
            user: "u".repeat(MAX_CLAIM_LEN),
            domain_name: "d".repeat(MAX_CLAIM_LEN),
            project_name: "p".repeat(MAX_CLAIM_LEN),
            ..claims()
        };
        let token = issuer.issue(&long).unwrap();
        assert!(token.starts_with("MII"));
        assert_eq!(issuer.verify(&token), Some(long));
        let too_long = TokenClaims {
            user: "u".repeat(MAX_CLAIM_LEN + 1),
            ..claims()
        };
        assert_eq!(issuer.issue(&too_long), None);
    }

    #[test]
    fn forged_altered_or_foreign_tokens_do_not_verify() {
        let issuer = TokenIssuer::from_secret([1; 32]);
        let token = issuer.issue(&claims()).unwrap();
        assert_eq!(TokenIssuer::from_secret([2; 32]).verify(&token), None);
        let mut bytes = STANDARD.decode(&token).unwrap();
        for i in [4, 10, bytes.len() / 2, bytes.len() - 1] {
            bytes[i] ^= 1;
            assert_eq!(issuer.verify(&STANDARD.encode(&bytes)), None, "byte {i}");
            bytes[i] ^= 1;
        }
        bytes.push(0);
        assert_eq!(issuer.verify(&STANDARD.encode(&bytes)), None);
        for junk in ["", "MII", "not base64!", "MIIabc=", &"A".repeat(400)] {
            assert_eq!(issuer.verify(junk), None, "{junk}");
        }
        assert!(TokenIssuer::generate().is_ok());
    }

    #[test]
    fn engines_with_one_root_key_verify_each_others_tokens() {
        use std::sync::Arc;

        use kms_core::{Kms, MemoryStore, RootKey};

        // Two processes over one shared store hold the same root key, not the same engine.
        let engine = |root: u8| {
            Kms::builder(
                Arc::new(MemoryStore::new()),
                &RootKey::from_bytes([root; 32]),
            )
            .build()
        };
        let (a, b, other) = (engine(7), engine(7), engine(8));
        let token = TokenIssuer::for_engine(&a).issue(&claims()).unwrap();
        assert_eq!(TokenIssuer::for_engine(&b).verify(&token), Some(claims()));
        assert_eq!(TokenIssuer::for_engine(&other).verify(&token), None);
    }
}
