//! re-encrypt: a ciphertext decrypted under its source key and encrypted again under the
//! destination key, each side symmetric (`SYMMETRIC_DEFAULT`, the default) or asymmetric
//! (RSAES_OAEP_SHA_1/256, SM2_ENCRYPT, the values re-encrypt documents). An asymmetric source
//! needs `source_key_id` ("required for asymmetric sources"); asymmetric sides take no
//! additional authenticated data. The answer keeps the encoding it was given: hex for a data
//! key's ciphertext (`datakey_cipher_length`), base64 otherwise.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kms_core::{EncryptionAlgorithm, EncryptionContext, KeyId};
use serde_json::{Value, json};

use super::crypto::{aad, base64_ciphertext, check_source, hex_ciphertext};
use super::wire_names::{ENCRYPTION_ALGORITHMS, encryption_algorithm_name, lookup};
use super::{Ctx, asymmetric};
use crate::ciphertext;
use crate::error::HuaweiError;
use crate::input::Input;

enum Source {
    /// The core's blob (unpadded) and the context it was sealed under.
    Symmetric {
        blob: Vec<u8>,
        context: EncryptionContext,
        expected: Option<KeyId>,
    },
    Asymmetric {
        ciphertext: Vec<u8>,
        key_id: KeyId,
        algorithm: EncryptionAlgorithm,
    },
}

enum Destination {
    Symmetric(EncryptionContext),
    Asymmetric(EncryptionAlgorithm),
}

struct ReEncryptRequest {
    destination_key_id: KeyId,
    /// `datakey_cipher_length`: the ciphertext is a data key's, in hex, of this many bytes.
    data_key: Option<u64>,
    source: Source,
    destination: Destination,
}

fn algorithm(input: &Input, field: &str) -> Result<EncryptionAlgorithm, HuaweiError> {
    let name = input.string(field, 0..=64)?;
    Ok(
        lookup(field, name, ENCRYPTION_ALGORITHMS)?
            .unwrap_or(EncryptionAlgorithm::SymmetricDefault),
    )
}

impl ReEncryptRequest {
    fn parse(input: &Input) -> Result<Self, HuaweiError> {
        let destination_key_id = input.key_id("destination_key_id")?;
        let data_key = input.number("datakey_cipher_length", 1..=1024)?;
        let expected = input.optional_key_id("source_key_id")?;
        let source = match algorithm(input, "source_encryption_algorithm")? {
            EncryptionAlgorithm::SymmetricDefault => Source::Symmetric {
                blob: if data_key.is_some() {
                    hex_ciphertext(input, "cipher_text")?
                } else {
                    base64_ciphertext(input, "cipher_text")?
                },
                context: aad(input, "source_additional_authenticated_data")?,
                expected,
            },
            algorithm => {
                if data_key.is_some() {
                    return Err(HuaweiError::invalid(
                        "Invalid parameter: datakey_cipher_length is for symmetric data key ciphertexts.",
                    ));
                }
                asymmetric::no_aad(input, "source_additional_authenticated_data")?;
                Source::Asymmetric {
                    ciphertext: asymmetric::ciphertext(input, "cipher_text")?,
                    key_id: expected.ok_or_else(|| HuaweiError::missing("source_key_id"))?,
                    algorithm,
                }
            }
        };
        let destination = match algorithm(input, "destination_encryption_algorithm")? {
            EncryptionAlgorithm::SymmetricDefault => {
                Destination::Symmetric(aad(input, "destination_additional_authenticated_data")?)
            }
            algorithm => {
                asymmetric::no_aad(input, "destination_additional_authenticated_data")?;
                Destination::Asymmetric(algorithm)
            }
        };
        Ok(ReEncryptRequest {
            destination_key_id,
            data_key,
            source,
            destination,
        })
    }
}

pub(super) fn re_encrypt(ctx: &Ctx<'_>, input: &Input) -> Result<Value, HuaweiError> {
    let r = ReEncryptRequest::parse(input)?;
    let tenant = &ctx.caller.tenant;
    let (source, source_algorithm) = match r.source {
        Source::Symmetric {
            blob,
            context,
            expected,
        } => {
            let plain = ctx
                .kms
                .decrypt(tenant, &blob, &context)
                .map_err(|e| ctx.core(e))?;
            // A named source key must be the ciphertext's before anything is encrypted again.
            check_source(expected, plain.key_id)?;
            // And a data key must be the length named, as decrypt-datakey checks it.
            if let Some(n) = r.data_key
                && u64::try_from(plain.plaintext.expose().len()).ok() != Some(n)
            {
                return Err(HuaweiError::invalid(format!(
                    "Invalid parameter: datakey_cipher_length is {n}, but the data key is {} bytes.",
                    plain.plaintext.expose().len()
                )));
            }
            (plain, EncryptionAlgorithm::SymmetricDefault)
        }
        Source::Asymmetric {
            ciphertext,
            key_id,
            algorithm,
        } => (
            ctx.kms
                .decrypt_asymmetric(tenant, &key_id, &ciphertext, algorithm)
                .map_err(|e| ctx.core(e))?,
            algorithm,
        ),
    };
    let plaintext = source.plaintext.expose();
    let (out, destination_algorithm) = match r.destination {
        Destination::Symmetric(context) => (
            ciphertext::seal(
                ctx.kms
                    .encrypt(tenant, &r.destination_key_id, plaintext, &context)
                    .map_err(|e| ctx.core(e))?,
            ),
            EncryptionAlgorithm::SymmetricDefault,
        ),
        Destination::Asymmetric(algorithm) => (
            ctx.kms
                .encrypt_asymmetric(tenant, &r.destination_key_id, plaintext, algorithm)
                .map_err(|e| ctx.core(e))?,
            algorithm,
        ),
    };
    Ok(json!({
        "key_id": r.destination_key_id.to_string(),
        "source_key_id": source.key_id.to_string(),
        "cipher_text": if r.data_key.is_some() { hex::encode(out) } else { STANDARD.encode(out) },
        "source_encryption_algorithm": encryption_algorithm_name(source_algorithm),
        "destination_encryption_algorithm": encryption_algorithm_name(destination_algorithm),
    }))
}
