//! The second layer of Huawei's asymmetric imports: the PKCS#8 private key under a temporary
//! key with RFC 5649 key wrap with padding, AES-256 (`openssl enc -id-aes256-wrap-pad`) or
//! SM4 (`gmssl enc -sms4-wrap-pad`). `aes-kw`'s `Kek` is generic over any 128-bit block
//! cipher, so SM4 KWP is the same RFC 5649 construction with SM4 as the block cipher.

use aes::Aes256;
use aes_kw::Kek;
use sm4::Sm4;
use zeroize::Zeroizing;

use crate::secret::SecretBytes;
use crate::wrapping::WrappingAlgorithm;

/// The temporary key's cipher: AES-256 under the RSA algorithms, SM4 under SM2PKE. `None`:
/// the temporary key has the wrong length for its algorithm, or the unwrap failed (one
/// answer for both, like every unwrap).
pub(crate) fn unwrap_private_key(
    algorithm: WrappingAlgorithm,
    temporary_key: &SecretBytes,
    wrapped: &[u8],
) -> Option<SecretBytes> {
    let unwrapped = match (algorithm, temporary_key.len()) {
        (WrappingAlgorithm::Sm2Pke, 16) => Kek::<Sm4>::try_from(temporary_key.expose())
            .ok()?
            .unwrap_with_padding_vec(wrapped),
        (
            WrappingAlgorithm::RsaesOaepSha1
            | WrappingAlgorithm::RsaesOaepSha256
            | WrappingAlgorithm::RsaesPkcs1V15,
            32,
        ) => Kek::<Aes256>::try_from(temporary_key.expose())
            .ok()?
            .unwrap_with_padding_vec(wrapped),
        _ => return None,
    };
    unwrapped
        .ok()
        .map(|m| SecretBytes::from(Zeroizing::new(m).to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// RFC 5649 §6 uses AES-192; the same generic `Kek` with AES-256 and SM4 must round
    /// trip and refuse tampering, and the RFC's vectors pin the construction.
    #[test]
    fn rfc5649_vectors_and_sm4_round_trip() {
        let kek = Kek::<aes::Aes192>::try_from(
            unhex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8").as_slice(),
        )
        .unwrap();
        let wrapped = kek
            .wrap_with_padding_vec(&unhex("c37b7e6492584340bed12207808941155068f738"))
            .unwrap();
        assert_eq!(
            wrapped,
            unhex("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a")
        );
        let wrapped = kek.wrap_with_padding_vec(&unhex("466f7250617369")).unwrap();
        assert_eq!(wrapped, unhex("afbeb0f07dfbf5419200f2ccb50bb24f"));

        let material = b"a PKCS#8 private key, 41 bytes long......".to_vec();
        for (algorithm, key) in [
            (WrappingAlgorithm::Sm2Pke, vec![9u8; 16]),
            (WrappingAlgorithm::RsaesOaepSha256, vec![9u8; 32]),
        ] {
            let wrapped = if key.len() == 16 {
                Kek::<Sm4>::try_from(key.as_slice())
                    .unwrap()
                    .wrap_with_padding_vec(&material)
            } else {
                Kek::<Aes256>::try_from(key.as_slice())
                    .unwrap()
                    .wrap_with_padding_vec(&material)
            }
            .unwrap();
            // 8-byte integrity block, then the material padded to a multiple of 8.
            assert_eq!(wrapped.len(), 8 + material.len().div_ceil(8) * 8);
            let key = SecretBytes::from(key);
            let back = unwrap_private_key(algorithm, &key, &wrapped).unwrap();
            assert_eq!(back.expose(), material.as_slice());
            let mut tampered = wrapped.clone();
            tampered[3] ^= 1;
            assert!(unwrap_private_key(algorithm, &key, &tampered).is_none());
        }
        // The SM4 and AES layers are not interchangeable.
        let sm4_key = SecretBytes::from(vec![9u8; 16]);
        assert!(
            unwrap_private_key(WrappingAlgorithm::RsaesOaepSha256, &sm4_key, &[0; 24]).is_none()
        );
    }
}
