"""Asymmetric and HMAC key material made the way the AWS developer guide makes it (`openssl
genpkey`, `openssl rand`), and checks of what kmsgate-aws signs, MACs and encrypts, done with
independent implementations (Python `cryptography`, `hmac`) against the public key that
GetPublicKey hands out."""

from __future__ import annotations

import hashlib
import hmac
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

import kmsgate_wrap

# `openssl genpkey` arguments for each key spec, as in the developer guide's "Generate key
# material for testing".
GENPKEY = {
    "RSA_2048": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "RSA_3072": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
    "RSA_4096": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
    "ECC_NIST_P256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ECC_NIST_P384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "ECC_NIST_P521": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
    "ECC_SECG_P256K1": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1"],
    "ECC_NIST_EDWARDS25519": ["-algorithm", "ED25519"],
}

# What DescribeKey / GetPublicKey list per key spec (botocore model and the developer guide's
# key spec reference), in AWS's order.
RSA_SIGNING = [
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
]
SIGNING = {
    "RSA_2048": RSA_SIGNING,
    "RSA_3072": RSA_SIGNING,
    "RSA_4096": RSA_SIGNING,
    "ECC_NIST_P256": ["ECDSA_SHA_256"],
    "ECC_NIST_P384": ["ECDSA_SHA_384"],
    "ECC_NIST_P521": ["ECDSA_SHA_512"],
    "ECC_SECG_P256K1": ["ECDSA_SHA_256"],
    "ECC_NIST_EDWARDS25519": ["ED25519_SHA_512"],
}
MAC = {"HMAC_224": "HMAC_SHA_224", "HMAC_256": "HMAC_SHA_256", "HMAC_384": "HMAC_SHA_384",
       "HMAC_512": "HMAC_SHA_512"}
HMAC_LEN = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}

_HASH = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512,
         "SHA_1": hashes.SHA1, "SHA_224": hashes.SHA224}


def hash_of(algorithm: str) -> hashes.HashAlgorithm:
    """The hash an AWS algorithm name ends with (RSASSA_PSS_SHA_384 → SHA-384)."""
    for suffix, h in _HASH.items():
        if algorithm.endswith(suffix):
            return h()
    raise ValueError(f"no hash in {algorithm}")


def digest(algorithm: str, message: bytes) -> bytes:
    h = hashes.Hash(hash_of(algorithm))
    h.update(message)
    return h.finalize()


def genpkey(spec: str) -> tuple[bytes, bytes]:
    """(PKCS#8 DER private key, SubjectPublicKeyInfo DER) made by the openssl command line."""
    with tempfile.TemporaryDirectory(prefix="kmsgate-genpkey-") as d:
        wd = Path(d)
        kmsgate_wrap.run_openssl(["genpkey", *GENPKEY[spec], "-out", "private.pem"], wd)
        # The guide's conversion to the binary PKCS#8 that ImportKeyMaterial takes.
        kmsgate_wrap.run_openssl(
            ["pkcs8", "-topk8", "-nocrypt", "-inform", "PEM", "-outform", "DER",
             "-in", "private.pem", "-out", "PlaintextKeyMaterial.der"],
            wd,
        )
        kmsgate_wrap.run_openssl(
            ["pkey", "-in", "private.pem", "-pubout", "-outform", "DER", "-out", "public.der"], wd
        )
        return (wd / "PlaintextKeyMaterial.der").read_bytes(), (wd / "public.der").read_bytes()


def openssl_rand(n: int) -> bytes:
    with tempfile.TemporaryDirectory(prefix="kmsgate-rand-") as d:
        wd = Path(d)
        kmsgate_wrap.run_openssl(["rand", "-out", "PlaintextKeyMaterial.bin", str(n)], wd)
        return (wd / "PlaintextKeyMaterial.bin").read_bytes()


def verify_outside(spki_der: bytes, algorithm: str, message: bytes, signature: bytes,
                   message_type: str = "RAW") -> None:
    """Raises cryptography's InvalidSignature unless `signature` is `algorithm` over `message`
    (or over the digest `message` when message_type is DIGEST) under the public key."""
    public = serialization.load_der_public_key(spki_der)
    if algorithm == "ED25519_SHA_512":
        assert isinstance(public, ed25519.Ed25519PublicKey)
        public.verify(signature, message)
        return
    h = hash_of(algorithm)
    chosen = utils.Prehashed(h) if message_type == "DIGEST" else h
    if algorithm.startswith("RSASSA_PSS"):
        assert isinstance(public, rsa.RSAPublicKey)
        # AWS: PSS with MGF1 of the same hash and a salt as long as the digest.
        pad = padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
        public.verify(signature, message, pad, chosen)
    elif algorithm.startswith("RSASSA_PKCS1_V1_5"):
        assert isinstance(public, rsa.RSAPublicKey)
        public.verify(signature, message, padding.PKCS1v15(), chosen)
    elif algorithm.startswith("ECDSA"):
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, message, ec.ECDSA(chosen))
    else:
        raise ValueError(f"cannot verify {algorithm} outside")


def oaep_encrypt_outside(spki_der: bytes, algorithm: str, plaintext: bytes) -> bytes:
    """RSAES_OAEP_SHA_1/256 with MGF1 of the same hash, as KMS documents it."""
    public = serialization.load_der_public_key(spki_der)
    assert isinstance(public, rsa.RSAPublicKey)
    h = hash_of(algorithm)
    return public.encrypt(plaintext, padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None))


def hmac_outside(mac_algorithm: str, key: bytes, message: bytes) -> bytes:
    name = {"HMAC_SHA_224": "sha224", "HMAC_SHA_256": "sha256", "HMAC_SHA_384": "sha384",
            "HMAC_SHA_512": "sha512"}[mac_algorithm]
    return hmac.new(key, message, getattr(hashlib, name)).digest()
