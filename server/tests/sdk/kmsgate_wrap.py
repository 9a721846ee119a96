"""Client-side wrapping of key material for ImportKeyMaterial, as an AWS customer does it.

Formats (AWS KMS developer guide, "Encrypt key material"):

* RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256: RSAES-OAEP(pub, H, MGF1-H, empty label)(material).
* RSA_AES_KEY_WRAP_SHA_1 / _SHA_256: RSAES-OAEP(pub, H, MGF1-H)(K) || AES-KWP(K, material), K a fresh
  32-byte AES key, AES-KWP the RFC 5649 key wrap with padding.
* RSAES_PKCS1_V1_5: RSAES-PKCS1-v1_5(pub)(material) (refused by AWS since 2023-10-10).
* SM2PKE: SM2 public-key encryption (GB/T 32918.4) as `openssl pkeyutl -encrypt` emits it, i.e. the
  DER form SEQUENCE { INTEGER x1, INTEGER y1, OCTET STRING C3, OCTET STRING C2 } (C1C3C2).
  The `cryptography` package has no SM2 encryption, so SM2 goes through the openssl command line.

Everything here is independent of the server; test_wrapping_helpers.py checks it against local
private keys.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import (
    aes_key_unwrap_with_padding,
    aes_key_wrap_with_padding,
)

RSA_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096")
RSA_ALGORITHMS = (
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "RSA_AES_KEY_WRAP_SHA_1",
    "RSA_AES_KEY_WRAP_SHA_256",
)
RSA_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}

# DER of the SM2 curve OID 1.2.156.10197.1.301 (as it appears in an SM2 SubjectPublicKeyInfo).
SM2_CURVE_OID_DER = bytes.fromhex("06082a811ccf5501822d")

_HASHES = {"SHA_1": hashes.SHA1, "SHA_256": hashes.SHA256}


def openssl_path() -> str | None:
    """The OpenSSL CLI, or None (its tests then skip), except under CI=true, where .ci/run
    installs it and its absence fails the run rather than skipping tests quietly."""
    path = shutil.which("openssl")
    if path is None and os.environ.get("CI") == "true":
        raise RuntimeError("openssl is not on PATH and CI=true: .ci/run installs it")
    return path


def _hash_of(algorithm: str):
    for suffix, h in _HASHES.items():
        if algorithm.endswith(suffix):
            return h()
    raise ValueError(f"no hash in {algorithm}")


def _oaep(algorithm: str) -> padding.OAEP:
    h = _hash_of(algorithm)
    return padding.OAEP(mgf=padding.MGF1(algorithm=h), algorithm=h, label=None)


def load_rsa_public_key(public_key_der: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_der_public_key(public_key_der)
    if not isinstance(key, rsa.RSAPublicKey):
        raise TypeError(f"expected an RSA public key, got {type(key).__name__}")
    return key


def wrap_material(public_key_der: bytes, algorithm: str, material: bytes) -> bytes:
    """EncryptedKeyMaterial for `material` under the wrapping public key (DER SPKI)."""
    if algorithm == "SM2PKE":
        return openssl_sm2_encrypt(public_key_der, material)
    pub = load_rsa_public_key(public_key_der)
    if algorithm in ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"):
        return pub.encrypt(material, _oaep(algorithm))
    if algorithm in ("RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"):
        aes_key = os.urandom(32)
        return pub.encrypt(aes_key, _oaep(algorithm)) + aes_key_wrap_with_padding(aes_key, material)
    if algorithm == "RSAES_PKCS1_V1_5":
        return pub.encrypt(material, padding.PKCS1v15())
    raise ValueError(f"unknown wrapping algorithm {algorithm}")


def unwrap_material(private_key: rsa.RSAPrivateKey, algorithm: str, blob: bytes) -> bytes:
    """The inverse of wrap_material for RSA, as the server has to do it (used to self-test)."""
    if algorithm in ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"):
        return private_key.decrypt(blob, _oaep(algorithm))
    if algorithm in ("RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"):
        n = private_key.key_size // 8
        aes_key = private_key.decrypt(blob[:n], _oaep(algorithm))
        return aes_key_unwrap_with_padding(aes_key, blob[n:])
    if algorithm == "RSAES_PKCS1_V1_5":
        return private_key.decrypt(blob, padding.PKCS1v15())
    raise ValueError(f"cannot unwrap {algorithm} here")


# --------------------------------------------------------------------------------------------
# The openssl command line, exactly as the AWS developer guide has customers use it.


def run_openssl(args: list[str], cwd: Path) -> None:
    exe = openssl_path()
    if exe is None:
        raise RuntimeError("openssl is not on PATH")
    proc = subprocess.run([exe, *args], cwd=cwd, capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(
            f"openssl {' '.join(args)} failed ({proc.returncode}): "
            f"{proc.stderr.decode(errors='replace')}"
        )


def openssl_oaep_sha256(public_key_der: bytes, material: bytes) -> bytes:
    """RSAES_OAEP_SHA_256 with the developer guide's `openssl pkeyutl` command."""
    with tempfile.TemporaryDirectory(prefix="kmsgate-ossl-") as d:
        wd = Path(d)
        (wd / "WrappingPublicKey.bin").write_bytes(public_key_der)
        (wd / "PlaintextKeyMaterial.bin").write_bytes(material)
        run_openssl(
            [
                "pkeyutl", "-encrypt",
                "-in", "PlaintextKeyMaterial.bin",
                "-out", "EncryptedKeyMaterial.bin",
                "-inkey", "WrappingPublicKey.bin",
                "-keyform", "DER", "-pubin",
                "-pkeyopt", "rsa_padding_mode:oaep",
                "-pkeyopt", "rsa_oaep_md:sha256",
                "-pkeyopt", "rsa_mgf1_md:sha256",
            ],
            wd,
        )
        return (wd / "EncryptedKeyMaterial.bin").read_bytes()


def openssl_rsa_aes_key_wrap_sha256(public_key_der: bytes, material: bytes) -> bytes:
    """RSA_AES_KEY_WRAP_SHA_256 with the developer guide's openssl recipe:

        openssl rand -out aes-key.bin 32
        openssl enc -id-aes256-wrap-pad -K <hex aes-key> -iv A65959A6 \
            -in PlaintextKeyMaterial.bin -out key-material-wrapped.bin
        openssl pkeyutl -encrypt -in aes-key.bin -out aes-key-wrapped.bin \
            -inkey WrappingPublicKey.bin -keyform DER -pubin \
            -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
        cat aes-key-wrapped.bin key-material-wrapped.bin > EncryptedKeyMaterial.bin
    """
    with tempfile.TemporaryDirectory(prefix="kmsgate-ossl-") as d:
        wd = Path(d)
        (wd / "WrappingPublicKey.bin").write_bytes(public_key_der)
        (wd / "PlaintextKeyMaterial.bin").write_bytes(material)
        run_openssl(["rand", "-out", "aes-key.bin", "32"], wd)
        aes_hex = (wd / "aes-key.bin").read_bytes().hex()  # what `xxd -p | tr -d '\n'` prints
        run_openssl(
            [
                "enc", "-id-aes256-wrap-pad",
                "-K", aes_hex, "-iv", "A65959A6",
                "-in", "PlaintextKeyMaterial.bin",
                "-out", "key-material-wrapped.bin",
            ],
            wd,
        )
        run_openssl(
            [
                "pkeyutl", "-encrypt",
                "-in", "aes-key.bin",
                "-out", "aes-key-wrapped.bin",
                "-inkey", "WrappingPublicKey.bin",
                "-keyform", "DER", "-pubin",
                "-pkeyopt", "rsa_padding_mode:oaep",
                "-pkeyopt", "rsa_oaep_md:sha256",
                "-pkeyopt", "rsa_mgf1_md:sha256",
            ],
            wd,
        )
        return (wd / "aes-key-wrapped.bin").read_bytes() + (
            wd / "key-material-wrapped.bin"
        ).read_bytes()


def openssl_sm2_encrypt(public_key_der: bytes, material: bytes) -> bytes:
    """SM2PKE with `openssl pkeyutl -encrypt -pubin -inkey <DER SM2 SPKI> -keyform DER`.

    OpenSSL 3 loads an id-ecPublicKey SPKI on the SM2 curve as an SM2 key and emits the DER C1C3C2
    ciphertext (SM3 digest, default distinguishing id is irrelevant for encryption).
    """
    with tempfile.TemporaryDirectory(prefix="kmsgate-ossl-") as d:
        wd = Path(d)
        (wd / "WrappingPublicKey.bin").write_bytes(public_key_der)
        (wd / "PlaintextKeyMaterial.bin").write_bytes(material)
        run_openssl(
            [
                "pkeyutl", "-encrypt", "-pubin",
                "-inkey", "WrappingPublicKey.bin", "-keyform", "DER",
                "-in", "PlaintextKeyMaterial.bin",
                "-out", "EncryptedKeyMaterial.bin",
            ],
            wd,
        )
        return (wd / "EncryptedKeyMaterial.bin").read_bytes()


# --------------------------------------------------------------------------------------------
# A minimal DER reader for the SM2 ciphertext (enough for SEQUENCE/INTEGER/OCTET STRING).


def _der_read(buf: bytes, pos: int) -> tuple[int, bytes, int]:
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(buf[pos : pos + n], "big")
        pos += n
    value = buf[pos : pos + length]
    if len(value) != length:
        raise ValueError("truncated DER")
    return tag, value, pos + length


def sm2_der_parts(ciphertext: bytes) -> tuple[int, int, bytes, bytes]:
    """(x1, y1, C3, C2) of a DER C1C3C2 SM2 ciphertext; raises ValueError if it is not one."""
    tag, body, end = _der_read(ciphertext, 0)
    if tag != 0x30 or end != len(ciphertext):
        raise ValueError("not a single DER SEQUENCE")
    parts = []
    pos = 0
    for want in (0x02, 0x02, 0x04, 0x04):
        tag, value, pos = _der_read(body, pos)
        if tag != want:
            raise ValueError(f"unexpected DER tag {tag:#x}, wanted {want:#x}")
        parts.append(value)
    if pos != len(body):
        raise ValueError("trailing data in SM2 ciphertext")
    x, y, c3, c2 = parts
    return int.from_bytes(x, "big"), int.from_bytes(y, "big"), c3, c2


def sm2_der_to_raw_c1c3c2(ciphertext: bytes, prefix: bool = True) -> bytes:
    """The same ciphertext as raw bytes `[04] || x || y || C3 || C2` (GM/T 0003 byte layout)."""
    x, y, c3, c2 = sm2_der_parts(ciphertext)
    raw = x.to_bytes(32, "big") + y.to_bytes(32, "big") + c3 + c2
    return (b"\x04" + raw) if prefix else raw
