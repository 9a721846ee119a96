"""The client-side wrapping used by the other tests, checked without the server: what we wrap
must unwrap with the matching private key, so a failed import is the server's doing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.keywrap import (
    aes_key_unwrap_with_padding,
    aes_key_wrap_with_padding,
)

import kmsgate_wrap as w

needs_openssl = pytest.mark.skipif(w.openssl_path() is None, reason="openssl is not on PATH")


@pytest.fixture(scope="module")
def rsa_keys():
    return {
        spec: rsa.generate_private_key(public_exponent=65537, key_size=bits)
        for spec, bits in w.RSA_BITS.items()
    }


def _spki(private_key) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_kwp_rfc5649_vectors():
    # RFC 5649 section 6: 192-bit KEK, 20- and 7-octet keys.
    kek = bytes.fromhex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")
    assert aes_key_wrap_with_padding(
        kek, bytes.fromhex("c37b7e6492584340bed12207808941155068f738")
    ) == bytes.fromhex("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a")
    assert aes_key_wrap_with_padding(kek, bytes.fromhex("466f7250617369")) == bytes.fromhex(
        "afbeb0f07dfbf5419200f2ccb50bb24f"
    )


@pytest.mark.parametrize("algorithm", w.RSA_ALGORITHMS + ("RSAES_PKCS1_V1_5",))
@pytest.mark.parametrize("spec", w.RSA_SPECS)
@pytest.mark.parametrize("size", [16, 32])
def test_rsa_wrap_roundtrip(rsa_keys, spec, algorithm, size):
    priv = rsa_keys[spec]
    material = os.urandom(size)
    blob = w.wrap_material(_spki(priv), algorithm, material)
    n = w.RSA_BITS[spec] // 8
    if algorithm.startswith("RSA_AES_KEY_WRAP"):
        # RSA part is modulus-sized; KWP of n bytes is 8 + n rounded up to 8.
        assert len(blob) == n + 8 + -(-size // 8) * 8
    else:
        assert len(blob) == n
    assert w.unwrap_material(priv, algorithm, blob) == material


def test_key_wrap_uses_the_announced_hash(rsa_keys):
    priv = rsa_keys["RSA_2048"]
    blob = w.wrap_material(_spki(priv), "RSA_AES_KEY_WRAP_SHA_256", os.urandom(32))
    with pytest.raises(ValueError):
        w.unwrap_material(priv, "RSA_AES_KEY_WRAP_SHA_1", blob)


@needs_openssl
def test_openssl_oaep_sha256_recipe_unwraps(rsa_keys):
    priv = rsa_keys["RSA_3072"]
    material = os.urandom(32)
    blob = w.openssl_oaep_sha256(_spki(priv), material)
    assert w.unwrap_material(priv, "RSAES_OAEP_SHA_256", blob) == material


@needs_openssl
def test_openssl_key_wrap_recipe_unwraps(rsa_keys):
    priv = rsa_keys["RSA_2048"]
    material = os.urandom(32)
    blob = w.openssl_rsa_aes_key_wrap_sha256(_spki(priv), material)
    assert len(blob) == 256 + 40
    assert w.unwrap_material(priv, "RSA_AES_KEY_WRAP_SHA_256", blob) == material
    # and the KWP half really is RFC 5649 with the A65959A6 IV
    n = 256
    k = priv.decrypt(blob[:n], w._oaep("RSA_AES_KEY_WRAP_SHA_256"))
    assert aes_key_unwrap_with_padding(k, blob[n:]) == material


@needs_openssl
def test_openssl_sm2_encrypt_is_der_c1c3c2_and_decrypts():
    with tempfile.TemporaryDirectory() as d:
        wd = Path(d)
        w.run_openssl(["genpkey", "-algorithm", "SM2", "-out", "sm2.pem"], wd)
        w.run_openssl(
            ["pkey", "-in", "sm2.pem", "-pubout", "-outform", "DER", "-out", "sm2pub.der"], wd
        )
        spki = (wd / "sm2pub.der").read_bytes()
        assert w.SM2_CURVE_OID_DER in spki
        material = os.urandom(16)
        ct = w.wrap_material(spki, "SM2PKE", material)
        x, y, c3, c2 = w.sm2_der_parts(ct)
        assert 0 < x < 2**256 and 0 < y < 2**256
        assert len(c3) == 32 and len(c2) == len(material)
        raw = w.sm2_der_to_raw_c1c3c2(ct)
        assert len(raw) == 1 + 64 + 32 + 16 and raw[0] == 4
        (wd / "ct.bin").write_bytes(ct)
        w.run_openssl(
            ["pkeyutl", "-decrypt", "-inkey", "sm2.pem", "-in", "ct.bin", "-out", "pt.bin"], wd
        )
        assert (wd / "pt.bin").read_bytes() == material
