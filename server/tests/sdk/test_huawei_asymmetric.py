"""Asymmetric and HMAC keys through huaweicloudsdkkms against kmsgate-huawei (issue #16).

* Import of an EC_P256 and an RSA_2048 private key made with `openssl genpkey`, in Huawei's two
  layers: `encrypted_key_material` is a temporary AES-256 key under the wrapping public key
  (RSAES_OAEP_SHA_256, Python `cryptography`), `encrypted_privatekey` the PKCS#8 DER private key
  under that temporary key with RFC 5649 key wrap with padding (`openssl enc -id-aes256-wrap-pad
  -iv A65959A6`, or `cryptography`'s aes_key_wrap_with_padding). The key then signs, and the
  signatures are checked outside with `cryptography` (and the other way round). An SM2 key
  under SM2_ENCRYPT: an SM4 temporary key (OpenSSL SM2 encryption) and SM4 key wrap with
  padding written here from RFC 5649; OpenSSL checks its signature.
* Generated keys of every Huawei spec sign and verify (SM2 checked with `openssl pkeyutl`).
* Asymmetric encrypt-data/decrypt-data (RSAES_OAEP_SHA_256, SM2_ENCRYPT), in both directions
  against a local implementation.
* generate-mac/verify-mac for generated HMAC keys (Huawei imports no HMAC material, so the key
  is unknown outside: the MACs are checked for length, determinism and verification).
* Refusals with their KMS.xxxx codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac as pyhmac
import os
import secrets
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding
from huaweicloudsdkkms.v2 import model as m

import kmsgate_huawei as hw
import kmsgate_wrap

needs_openssl = pytest.mark.skipif(kmsgate_wrap.openssl_path() is None, reason="openssl is not on PATH")

OPENSSL_GENPKEY = {
    "SM2": ["-algorithm", "SM2"],
    "EC_P256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "EC_P384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "RSA_2048": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
}
HASHES = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}


# ---- helpers ------------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def openssl(args: list[str], cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def genpkey(spec: str) -> bytes:
    """A PKCS#8 DER private key from `openssl genpkey` (its DER output is SEC1 or PKCS#1, so the
    PEM, which is PKCS#8, goes through `openssl pkcs8 -topk8`)."""
    with tempfile.TemporaryDirectory(prefix="kmsgate-genpkey-") as d:
        openssl(["genpkey", *OPENSSL_GENPKEY[spec], "-out", "key.pem"], Path(d))
        openssl(["pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER", "-out", "key.der"], Path(d))
        return (Path(d) / "key.der").read_bytes()


def openssl_wrap_pad(temp_key: bytes, data: bytes) -> bytes:
    """RFC 5649 with `openssl enc -id-aes256-wrap-pad -iv A65959A6`, as Huawei's guide does."""
    with tempfile.TemporaryDirectory(prefix="kmsgate-kwp-") as d:
        (Path(d) / "in.der").write_bytes(data)
        openssl(
            ["enc", "-id-aes256-wrap-pad", "-K", temp_key.hex(), "-iv", "A65959A6",
             "-in", "in.der", "-out", "out.bin"],
            Path(d),
        )
        return (Path(d) / "out.bin").read_bytes()


def pem_to_der(pem: str) -> bytes:
    return base64.b64decode("".join(pem.strip().splitlines()[1:-1]))


def key_wrap_with_padding(algorithm, key: bytes, data: bytes) -> bytes:
    """RFC 5649 over any 128-bit block cipher (written here from the RFC: `cryptography` has it
    for AES only, and Huawei's SM2_ENCRYPT layer is SM4 key wrap with padding, `gmssl enc
    -sms4-wrap-pad`). test_kwp_matches_cryptography checks it against AES's."""
    encrypt = Cipher(algorithm(key), modes.ECB()).encryptor().update
    aiv = bytes.fromhex("A65959A6") + struct.pack(">I", len(data))
    padded = data + b"\0" * (-len(data) % 8)
    if len(padded) == 8:
        return encrypt(aiv + padded)
    r = [padded[i:i + 8] for i in range(0, len(padded), 8)]
    a, n = aiv, len(r)
    for j in range(6):
        for i in range(n):
            b = encrypt(a + r[i])
            a = (int.from_bytes(b[:8], "big") ^ (n * j + i + 1)).to_bytes(8, "big")
            r[i] = b[8:]
    return a + b"".join(r)


def create(kms, spec: str, usage: str | None = None, origin: str = "kms") -> str:
    body = m.CreateKeyRequestBody(
        key_alias=f"k-{secrets.token_hex(6)}", key_spec=spec, key_usage=usage, origin=origin
    )
    return kms.create_key(m.CreateKeyRequest(body=body)).key_info.key_id


def public_key(kms, key_id: str):
    pem = kms.show_public_key(m.ShowPublicKeyRequest(body=m.OperateKeyRequestBody(key_id=key_id))).public_key
    assert pem.startswith("-----BEGIN PUBLIC KEY-----"), pem
    return pem


def sign(kms, key_id: str, message: bytes, algorithm: str, message_type: str | None = None) -> bytes:
    body = m.SignRequestBody(key_id=key_id, message=b64(message), signing_algorithm=algorithm,
                             message_type=message_type)
    out = kms.sign(m.SignRequest(body=body))
    assert out.key_id == key_id
    return base64.b64decode(out.signature)


def verify(kms, key_id: str, message: bytes, signature: bytes, algorithm: str,
           message_type: str | None = None) -> str:
    body = m.VerifyRequestBody(key_id=key_id, message=b64(message), signature=b64(signature),
                               signing_algorithm=algorithm, message_type=message_type)
    return kms.validate_signature(m.ValidateSignatureRequest(body=body)).signature_valid


def import_two_layers(kms, key_id: str, pkcs8: bytes, with_openssl: bool) -> None:
    p = hw.params(kms, key_id, "RSAES_OAEP_SHA_256")
    temp = os.urandom(32)
    wrapping = serialization.load_der_public_key(base64.b64decode(p.public_key))
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    wrapped_temp = wrapping.encrypt(temp, oaep)
    wrapped_key = openssl_wrap_pad(temp, pkcs8) if with_openssl else aes_key_wrap_with_padding(temp, pkcs8)
    body = m.ImportKeyMaterialRequestBody(
        key_id=key_id,
        import_token=p.import_token,
        encrypted_key_material=b64(wrapped_temp),
        encrypted_privatekey=b64(wrapped_key),
    )
    kms.import_key_material(m.ImportKeyMaterialRequest(body=body))


def check_outside(public, algorithm: str, message: bytes, signature: bytes) -> None:
    """Verify a RAW-message signature with `cryptography` (raises InvalidSignature)."""
    h = HASHES["SHA_" + algorithm.rsplit("_", 1)[-1]]()
    if algorithm.startswith("ECDSA"):
        public.verify(signature, message, ec.ECDSA(h))
    elif algorithm.startswith("RSASSA_PSS"):
        public.verify(signature, message, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
    elif algorithm.startswith("RSASSA_PKCS1"):
        public.verify(signature, message, padding.PKCS1v15(), h)
    else:
        raise ValueError(algorithm)


# ---- import in two layers, signatures checked outside ---------------------------------------------


@needs_openssl
@pytest.mark.parametrize(
    "spec,algorithms,with_openssl",
    [
        ("EC_P256", ["ECDSA_SHA_256"], True),
        ("RSA_2048", ["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PSS_SHA_512"], False),
    ],
)
def test_import_openssl_key_in_two_layers_and_sign(hw_kms, spec, algorithms, with_openssl):
    kms = hw_kms
    pkcs8 = genpkey(spec)
    private = serialization.load_der_private_key(pkcs8, password=None)
    local_public = private.public_key()
    key_id = create(kms, spec, "SIGN_VERIFY", "external")
    info = hw.describe(kms, key_id)
    assert (info.key_state, info.key_spec, info.key_usage, info.origin) == ("5", spec, "SIGN_VERIFY", "external")

    import_two_layers(kms, key_id, pkcs8, with_openssl)
    assert hw.describe(kms, key_id).key_state == "2"

    pem = public_key(kms, key_id)
    served = serialization.load_pem_public_key(pem.encode())
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    assert served.public_bytes(der, spki) == local_public.public_bytes(der, spki)

    message = b"kmsgate signs with imported material"
    for algorithm in algorithms:
        h = HASHES["SHA_" + algorithm.rsplit("_", 1)[-1]]()
        # RAW: the service hashes
        sig = sign(kms, key_id, message, algorithm, "RAW")
        check_outside(local_public, algorithm, message, sig)
        # DIGEST (the default): the caller hashes
        digest = hashlib.new(h.name, message).digest()
        sig = sign(kms, key_id, digest, algorithm)
        check_outside(local_public, algorithm, message, sig)
        assert verify(kms, key_id, digest, sig, algorithm) == "true"
        # a signature made outside verifies inside, a tampered one does not
        if algorithm.startswith("ECDSA"):
            outside = private.sign(message, ec.ECDSA(h))
        elif algorithm.startswith("RSASSA_PSS"):
            outside = private.sign(message, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
        else:
            outside = private.sign(message, padding.PKCS1v15(), h)
        assert verify(kms, key_id, message, outside, algorithm, "RAW") == "true"
        assert verify(kms, key_id, message + b"!", outside, algorithm, "RAW") == "false"

    # the same material again is accepted; other material is refused
    import_two_layers(kms, key_id, pkcs8, not with_openssl)
    with hw.raises_code("KMS.2606"):
        import_two_layers(kms, key_id, genpkey(spec), with_openssl)
    # asymmetric material cannot be deleted (Huawei: symmetric material only)
    with hw.raises_code("KMS.0308"):
        kms.delete_imported_key_material(
            m.DeleteImportedKeyMaterialRequest(body=m.OperateKeyRequestBody(key_id=key_id))
        )
    assert hw.describe(kms, key_id).key_state == "2"


def test_kwp_matches_cryptography():
    for n in (1, 8, 9, 121, 138, 1218):
        key, data = os.urandom(32), os.urandom(n)
        assert key_wrap_with_padding(algorithms.AES, key, data) == aes_key_wrap_with_padding(key, data)


@needs_openssl
def test_import_openssl_sm2_key_under_sm2_encrypt_and_sign(hw_kms):
    """SM2_ENCRYPT's two layers: an SM4 temporary key SM2-encrypted by OpenSSL (DER C1C3C2), the
    PKCS#8 SM2 private key under it with SM4 key wrap with padding; OpenSSL then checks a signature."""
    kms = hw_kms
    pkcs8 = genpkey("SM2")
    key_id = create(kms, "SM2", None, "external")
    p = hw.params(kms, key_id, "SM2_ENCRYPT")
    temp = os.urandom(16)
    body = m.ImportKeyMaterialRequestBody(
        key_id=key_id,
        import_token=p.import_token,
        encrypted_key_material=b64(kmsgate_wrap.openssl_sm2_encrypt(base64.b64decode(p.public_key), temp)),
        encrypted_privatekey=b64(key_wrap_with_padding(algorithms.SM4, temp, pkcs8)),
    )
    kms.import_key_material(m.ImportKeyMaterialRequest(body=body))
    assert hw.describe(kms, key_id).key_state == "2"
    digest = os.urandom(32)
    sig = sign(kms, key_id, digest, "SM2DSA_SM3")
    with tempfile.TemporaryDirectory(prefix="kmsgate-sm2-") as d:
        wd = Path(d)
        (wd / "key.der").write_bytes(pkcs8)
        (wd / "e.bin").write_bytes(digest)
        (wd / "sig.der").write_bytes(sig)
        # the imported private key's own public half verifies what the service signed
        out = subprocess.run(
            ["openssl", "pkeyutl", "-verify", "-inkey", "key.der", "-keyform", "DER", "-in", "e.bin",
             "-sigfile", "sig.der"],
            cwd=wd, capture_output=True, text=True,
        )
        assert "Signature Verified Successfully" in out.stdout, out.stdout + out.stderr


@needs_openssl
def test_imported_rsa_encrypts_and_decrypts_both_ways(hw_kms):
    kms = hw_kms
    pkcs8 = genpkey("RSA_2048")
    private = serialization.load_der_private_key(pkcs8, password=None)
    key_id = create(kms, "RSA_2048", "ENCRYPT_DECRYPT", "external")
    import_two_layers(kms, key_id, pkcs8, True)
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)

    body = m.EncryptDataRequestBody(key_id=key_id, plain_text="hello oaep", encryption_algorithm="RSAES_OAEP_SHA_256")
    ct = kms.encrypt_data(m.EncryptDataRequest(body=body)).cipher_text
    assert private.decrypt(base64.b64decode(ct), oaep) == b"hello oaep"

    outside = b64(private.public_key().encrypt(b"from outside", oaep))
    body = m.DecryptDataRequestBody(key_id=key_id, cipher_text=outside, encryption_algorithm="RSAES_OAEP_SHA_256")
    out = kms.decrypt_data(m.DecryptDataRequest(body=body))
    assert (out.key_id, out.plain_text) == (key_id, "from outside")


@needs_openssl
def test_import_refusals(hw_kms):
    kms = hw_kms
    key_id = create(kms, "EC_P256", None, "external")
    assert hw.describe(kms, key_id).key_usage == "SIGN_VERIFY"
    # a P-384 private key into an EC_P256 key
    with hw.raises_code("KMS.0308"):
        import_two_layers(kms, key_id, genpkey("EC_P384"), False)
    # an RSA private key into an EC_P256 key
    with hw.raises_code("KMS.0308"):
        import_two_layers(kms, key_id, genpkey("RSA_2048"), False)
    # asymmetric keys need encrypted_privatekey
    p = hw.params(kms, key_id, "RSAES_OAEP_SHA_256")
    with hw.raises_code("KMS.0204"):
        hw.import_material(kms, key_id, p, hw.wrap(p.public_key, "RSAES_OAEP_SHA_256", os.urandom(32)))
    # a temporary key that is not the one the private key was wrapped under
    temp = os.urandom(32)
    body = m.ImportKeyMaterialRequestBody(
        key_id=key_id,
        import_token=p.import_token,
        encrypted_key_material=hw.wrap(p.public_key, "RSAES_OAEP_SHA_256", os.urandom(32)),
        encrypted_privatekey=b64(aes_key_wrap_with_padding(temp, genpkey("EC_P256"))),
    )
    with hw.raises_code("KMS.0311"):
        kms.import_key_material(m.ImportKeyMaterialRequest(body=body))
    assert hw.describe(kms, key_id).key_state == "5"
    # symmetric keys take no encrypted_privatekey
    aes = hw.create_key(kms, "external", "AES_256")
    pa = hw.params(kms, aes, "RSAES_OAEP_SHA_256")
    body = m.ImportKeyMaterialRequestBody(
        key_id=aes,
        import_token=pa.import_token,
        encrypted_key_material=hw.wrap(pa.public_key, "RSAES_OAEP_SHA_256", os.urandom(32)),
        encrypted_privatekey=b64(aes_key_wrap_with_padding(temp, genpkey("EC_P256"))),
    )
    with hw.raises_code("KMS.0308"):
        kms.import_key_material(m.ImportKeyMaterialRequest(body=body))
    # HMAC keys import nothing, nor do SECP256K1 and ED25519 keys (not in Huawei's import list)
    for spec in ("HMAC_256", "HMAC_SM3", "SECP256K1", "ED25519"):
        with hw.raises_code("KMS.0308"):
            create(kms, spec, None, "external")


# ---- generated keys --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec,algorithm",
    [
        ("RSA_2048", "RSASSA_PSS_SHA_256"),
        ("RSA_3072", "RSASSA_PKCS1_V1_5_SHA_384"),
        ("RSA_4096", "RSASSA_PSS_SHA_512"),
        ("EC_P256", "ECDSA_SHA_256"),
        ("EC_P384", "ECDSA_SHA_384"),
        ("SECP256K1", "ECDSA_SHA_256"),
    ],
)
def test_generated_keys_sign_and_verify(hw_kms, spec, algorithm):
    kms = hw_kms
    key_id = create(kms, spec)
    info = hw.describe(kms, key_id)
    assert (info.key_state, info.key_spec, info.key_usage, info.origin) == ("2", spec, "SIGN_VERIFY", "kms")
    public = serialization.load_pem_public_key(public_key(kms, key_id).encode())
    message = os.urandom(100)
    h = HASHES["SHA_" + algorithm.rsplit("_", 1)[-1]]()
    digest = hashlib.new(h.name, message).digest()
    sig = sign(kms, key_id, digest, algorithm)
    check_outside(public, algorithm, message, sig)
    assert verify(kms, key_id, digest, sig, algorithm, "DIGEST") == "true"
    assert verify(kms, key_id, message, sig, algorithm, "RAW") == "true"
    bad = bytes([sig[0] ^ 1]) + sig[1:]
    assert verify(kms, key_id, digest, bad, algorithm) == "false"
    # a digest of the wrong length
    with hw.raises_code("KMS.0308"):
        sign(kms, key_id, digest[:-1], algorithm)


def test_generated_ed25519_signs_raw_messages_only(hw_kms):
    kms = hw_kms
    key_id = create(kms, "ED25519")
    public = serialization.load_pem_public_key(public_key(kms, key_id).encode())
    assert isinstance(public, ed25519.Ed25519PublicKey)
    message = b"pure ed25519"
    sig = sign(kms, key_id, message, "ED25519_SHA_512", "RAW")
    public.verify(sig, message)
    assert verify(kms, key_id, message, sig, "ED25519_SHA_512", "RAW") == "true"
    # message_type defaults to DIGEST, which Ed25519 does not take
    with hw.raises_code("KMS.0308"):
        sign(kms, key_id, hashlib.sha512(message).digest(), "ED25519_SHA_512")
    with hw.raises_code("KMS.0308"):
        sign(kms, key_id, message, "ED25519_PH_SHA_512", "RAW")


@needs_openssl
def test_generated_sm2_signs_digests_and_openssl_agrees(hw_kms):
    kms = hw_kms
    key_id = create(kms, "SM2")
    pem = public_key(kms, key_id)
    digest = os.urandom(32)  # e = SM3(Z_A || M), computed by the caller
    sig = sign(kms, key_id, digest, "SM2DSA_SM3")
    assert verify(kms, key_id, digest, sig, "SM2DSA_SM3") == "true"
    assert verify(kms, key_id, os.urandom(32), sig, "SM2DSA_SM3") == "false"
    # OpenSSL verifies the same (pkeyutl without -rawin takes the input as the digest e)
    with tempfile.TemporaryDirectory(prefix="kmsgate-sm2-") as d:
        wd = Path(d)
        (wd / "pub.pem").write_text(pem)
        (wd / "e.bin").write_bytes(digest)
        (wd / "sig.der").write_bytes(sig)
        out = subprocess.run(
            ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-in", "e.bin", "-sigfile", "sig.der"],
            cwd=wd, capture_output=True, text=True,
        )
        assert "Signature Verified Successfully" in out.stdout, out.stdout + out.stderr
    # Huawei: SM2 keys sign digests only
    with hw.raises_code("KMS.0308"):
        sign(kms, key_id, b"a raw message", "SM2DSA_SM3", "RAW")


@needs_openssl
def test_generated_sm2_and_rsa_encrypt_decrypt(hw_kms):
    kms = hw_kms
    for spec, algorithm in (("SM2", "SM2_ENCRYPT"), ("RSA_3072", "RSAES_OAEP_SHA_256")):
        key_id = create(kms, spec, "ENCRYPT_DECRYPT")
        assert hw.describe(kms, key_id).key_usage == "ENCRYPT_DECRYPT"
        body = m.EncryptDataRequestBody(key_id=key_id, plain_text="round trip", encryption_algorithm=algorithm)
        ct = kms.encrypt_data(m.EncryptDataRequest(body=body)).cipher_text
        body = m.DecryptDataRequestBody(key_id=key_id, cipher_text=ct, encryption_algorithm=algorithm)
        assert kms.decrypt_data(m.DecryptDataRequest(body=body)).plain_text == "round trip"
        # decrypt-data of an asymmetric ciphertext needs the key id
        body = m.DecryptDataRequestBody(cipher_text=ct, encryption_algorithm=algorithm)
        with hw.raises_code("KMS.0204"):
            kms.decrypt_data(m.DecryptDataRequest(body=body))
        # SYMMETRIC_DEFAULT (the default) does not fit an asymmetric key
        with hw.raises_code("KMS.0308"):
            hw.encrypt(kms, key_id, "x")
        # an encryption key does not sign
        with hw.raises_code("KMS.0308"):
            sign(kms, key_id, os.urandom(32), "SM2DSA_SM3" if spec == "SM2" else "RSASSA_PSS_SHA_256")
    # SM2 ciphertext made outside by OpenSSL (DER C1C3C2) decrypts inside
    key_id = create(kms, "SM2", "ENCRYPT_DECRYPT")
    # `cryptography` has no SM2 curve: the PEM is unwrapped by hand
    der = pem_to_der(public_key(kms, key_id))
    outside = kmsgate_wrap.openssl_sm2_encrypt(der, b"sm2 from openssl")
    body = m.DecryptDataRequestBody(key_id=key_id, cipher_text=b64(outside), encryption_algorithm="SM2_ENCRYPT")
    assert kms.decrypt_data(m.DecryptDataRequest(body=body)).plain_text == "sm2 from openssl"


def test_usage_refusals(hw_kms):
    kms = hw_kms
    # EC keys sign only; symmetric keys encrypt only; HMAC keys MAC only
    for spec, usage in (("EC_P256", "ENCRYPT_DECRYPT"), ("ED25519", "ENCRYPT_DECRYPT"),
                        ("AES_256", "SIGN_VERIFY"), ("HMAC_256", "SIGN_VERIFY"), ("RSA_2048", "GENERATE_VERIFY_MAC")):
        with hw.raises_code("KMS.0308"):
            create(kms, spec, usage)
    with hw.raises_code("KMS.0308"):
        create(kms, "ECC_NIST_P256")
    signer = create(kms, "EC_P256")
    # a signing key does not encrypt, and ECDSA_SHA_384 does not fit a P-256 key
    body = m.EncryptDataRequestBody(key_id=signer, plain_text="x", encryption_algorithm="RSAES_OAEP_SHA_256")
    with hw.raises_code("KMS.0308"):
        kms.encrypt_data(m.EncryptDataRequest(body=body))
    with hw.raises_code("KMS.0308"):
        sign(kms, signer, os.urandom(48), "RSASSA_PSS_SHA_384")
    # a symmetric key does not sign, and has no public key
    aes = hw.create_key(kms, "kms", "AES_256")
    with hw.raises_code("KMS.0308"):
        sign(kms, aes, os.urandom(32), "ECDSA_SHA_256")
    with hw.raises_code("KMS.0308"):
        public_key(kms, aes)
    # a disabled signing key
    kms.disable_key(m.DisableKeyRequest(body=m.OperateKeyRequestBody(key_id=signer)))
    with hw.raises_code("KMS.0209"):
        sign(kms, signer, os.urandom(32), "ECDSA_SHA_256")


# ---- HMAC -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec,algorithm,length",
    [("HMAC_256", "HMAC_SHA_256", 32), ("HMAC_384", "HMAC_SHA_384", 48),
     ("HMAC_512", "HMAC_SHA_512", 64), ("HMAC_SM3", "HMAC_SM3", 32)],
)
def test_generated_hmac_keys(hw_kms, spec, algorithm, length):
    kms = hw_kms
    key_id = create(kms, spec)
    info = hw.describe(kms, key_id)
    assert (info.key_spec, info.key_usage) == (spec, "GENERATE_VERIFY_MAC")
    message = os.urandom(200)

    def mac_of(data: bytes) -> str:
        body = m.GenerateMacRequestBody(key_id=key_id, mac_algorithm=algorithm, message=b64(data))
        out = kms.generate_mac(m.GenerateMacRequest(body=body))
        assert (out.key_id, out.mac_algorithm) == (key_id, algorithm)
        return out.mac

    def verify_mac(data: bytes, mac: str) -> bool:
        body = m.VerifyMacRequestBody(key_id=key_id, mac_algorithm=algorithm, message=b64(data), mac=mac)
        out = kms.verify_mac(m.VerifyMacRequest(body=body))
        assert (out.key_id, out.mac_algorithm) == (key_id, algorithm)
        return out.mac_valid

    mac = mac_of(message)
    assert len(bytes.fromhex(mac)) == length  # hex, as Huawei's GenerateMac example shows it
    assert mac_of(message) == mac  # HMAC is deterministic
    assert mac_of(message + b"!") != mac
    assert verify_mac(message, mac) is True
    assert verify_mac(message + b"!", mac) is False
    # a MAC under some other key, made by Python's hmac, is not this key's
    digest = "sha" + str(length * 8) if algorithm != "HMAC_SM3" else "sm3"
    if digest in hashlib.algorithms_available:
        assert verify_mac(message, pyhmac.new(os.urandom(length), message, digest).hexdigest()) is False
    # HMAC keys neither sign nor encrypt; other MAC algorithms do not fit them
    with hw.raises_code("KMS.0308"):
        hw.encrypt(kms, key_id, "x")
    with hw.raises_code("KMS.0308"):
        sign(kms, key_id, os.urandom(32), "ECDSA_SHA_256")
    other = "HMAC_SHA_512" if algorithm != "HMAC_SHA_512" else "HMAC_SHA_256"
    body = m.GenerateMacRequestBody(key_id=key_id, mac_algorithm=other, message=b64(message))
    with hw.raises_code("KMS.0308"):
        kms.generate_mac(m.GenerateMacRequest(body=body))


def test_mac_needs_an_hmac_key(hw_kms):
    kms = hw_kms
    aes = hw.create_key(kms, "kms", "AES_256")
    body = m.GenerateMacRequestBody(key_id=aes, mac_algorithm="HMAC_SHA_256", message=b64(b"x"))
    with hw.raises_code("KMS.0308"):
        kms.generate_mac(m.GenerateMacRequest(body=body))
    body = m.GenerateMacRequestBody(key_id=aes, mac_algorithm="HMAC_SHA_224", message=b64(b"x"))
    with hw.raises_code("KMS.0308"):
        kms.generate_mac(m.GenerateMacRequest(body=body))


def test_list_keys_filters_by_asymmetric_spec(hw_kms):
    kms = hw_kms
    ec = create(kms, "EC_P256")
    mac = create(kms, "HMAC_256")
    hw.create_key(kms, "kms", "AES_256")

    def listed(spec):
        body = m.ListKeysRequestBody(key_spec=spec)
        return kms.list_keys(m.ListKeysRequest(body=body)).keys

    assert listed("EC_P256") == [ec]
    assert listed("HMAC_256") == [mac]
    assert len(listed("ALL")) == 3
