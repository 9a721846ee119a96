#!/usr/bin/env python3
"""Generate independent asymmetric and HMAC key vectors for kmsgate's core tests.

Written against the `cryptography` package, Python's `hmac`/`hashlib` and the `openssl`
CLI (SM2, which `cryptography` lacks, and RFC 5649 key wrap with padding) only, so the
vectors do not depend on the Rust implementation under test. Every signature and
ciphertext is checked again before the JSON is written.

For each spec: a PKCS#8 DER private key (and for some, a second encoding of the same key),
the DER SubjectPublicKeyInfo, signatures made here (RAW and DIGEST) that the core must
verify, and for encryption keys ciphertexts made here that the core must decrypt. HMAC
specs: a key and MACs made here.

Usage: python3 make_asymmetric_vectors.py  (writes asymmetric_vectors.json next to this file)
"""
import hashlib
import hmac
import json
import os
import subprocess
import tempfile

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

HERE = os.path.dirname(os.path.abspath(__file__))
MESSAGE = b"kmsgate asymmetric vector message"
HASHES = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}
PKCS8 = dict(
    encoding=serialization.Encoding.DER,
    format=serialization.PrivateFormat.PKCS8,
    encryption_algorithm=serialization.NoEncryption(),
)
SPKI = dict(
    encoding=serialization.Encoding.DER,
    format=serialization.PublicFormat.SubjectPublicKeyInfo,
)


def digest(h, data):
    d = hashes.Hash(h())
    d.update(data)
    return d.finalize()


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def ec_pkcs8_without_public_key(key, curve_oid_der):
    """The same EC key encoded another way: SEC1 ECPrivateKey without its public key."""
    scalar = key.private_numbers().private_value
    size = (key.curve.key_size + 7) // 8
    sec1 = tlv(0x30, tlv(0x02, b"\x01") + tlv(0x04, scalar.to_bytes(size, "big")))
    algorithm = tlv(0x30, tlv(0x06, bytes.fromhex("2a8648ce3d0201")) + curve_oid_der)
    return tlv(0x30, tlv(0x02, b"\x00") + algorithm + tlv(0x04, sec1))


def ed25519_pkcs8_v2(key):
    """OneAsymmetricKey v2: the seed plus the public key ([1] IMPLICIT BIT STRING)."""
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    algorithm = tlv(0x30, tlv(0x06, bytes.fromhex("2b6570")))
    return tlv(
        0x30,
        tlv(0x02, b"\x01") + algorithm + tlv(0x04, tlv(0x04, seed)) + tlv(0x81, b"\x00" + public),
    )


def rsa_vectors(bits):
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    public = key.public_key()
    signatures = []
    for name, h in HASHES.items():
        for scheme, pad in [
            ("RSASSA_PSS_" + name, lambda h=h: padding.PSS(mgf=padding.MGF1(h()), salt_length=h.digest_size)),
            ("RSASSA_PKCS1_V1_5_" + name, lambda h=h: padding.PKCS1v15()),
        ]:
            raw = key.sign(MESSAGE, pad(), h())
            public.verify(raw, MESSAGE, pad(), h())
            d = digest(h, MESSAGE)
            pre = key.sign(d, pad(), utils.Prehashed(h()))
            public.verify(pre, MESSAGE, pad(), h())
            signatures.append(dict(algorithm=scheme, message_type="RAW", message_hex=MESSAGE.hex(), signature_hex=raw.hex()))
            signatures.append(dict(algorithm=scheme, message_type="DIGEST", message_hex=d.hex(), signature_hex=pre.hex()))
    ciphertexts = []
    for name, h in [("RSAES_OAEP_SHA_1", hashes.SHA1), ("RSAES_OAEP_SHA_256", hashes.SHA256)]:
        pad = padding.OAEP(mgf=padding.MGF1(h()), algorithm=h(), label=None)
        plaintext = os.urandom(100)
        ct = public.encrypt(plaintext, pad)
        assert key.decrypt(ct, pad) == plaintext
        ciphertexts.append(dict(algorithm=name, plaintext_hex=plaintext.hex(), ciphertext_hex=ct.hex()))
    return dict(
        spec=f"RSA_{bits}",
        pkcs8_hex=key.private_bytes(**PKCS8).hex(),
        # The same key as PKCS#1 (not PKCS#8): the core must refuse it as not PKCS#8.
        pkcs1_hex=key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ).hex(),
        spki_hex=public.public_bytes(**SPKI).hex(),
        signatures=signatures,
        ciphertexts=ciphertexts,
    )


def ecdsa_vectors(spec, curve, h, algorithm, curve_oid_der):
    key = ec.generate_private_key(curve)
    public = key.public_key()
    raw = key.sign(MESSAGE, ec.ECDSA(h()))
    public.verify(raw, MESSAGE, ec.ECDSA(h()))
    d = digest(h, MESSAGE)
    pre = key.sign(d, ec.ECDSA(utils.Prehashed(h())))
    public.verify(pre, MESSAGE, ec.ECDSA(h()))
    return dict(
        spec=spec,
        pkcs8_hex=key.private_bytes(**PKCS8).hex(),
        other_encoding_hex=ec_pkcs8_without_public_key(key, curve_oid_der).hex(),
        spki_hex=public.public_bytes(**SPKI).hex(),
        signatures=[
            dict(algorithm=algorithm, message_type="RAW", message_hex=MESSAGE.hex(), signature_hex=raw.hex()),
            dict(algorithm=algorithm, message_type="DIGEST", message_hex=d.hex(), signature_hex=pre.hex()),
        ],
        ciphertexts=[],
    )


def ed25519_vectors():
    key = ed25519.Ed25519PrivateKey.generate()
    public = key.public_key()
    sig = key.sign(MESSAGE)
    public.verify(sig, MESSAGE)
    return dict(
        spec="ECC_NIST_EDWARDS25519",
        pkcs8_hex=key.private_bytes(**PKCS8).hex(),
        other_encoding_hex=ed25519_pkcs8_v2(key).hex(),
        spki_hex=public.public_bytes(**SPKI).hex(),
        signatures=[dict(algorithm="ED25519_SHA_512", message_type="RAW", message_hex=MESSAGE.hex(), signature_hex=sig.hex())],
        ciphertexts=[],
    )


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, check=True, capture_output=True).stdout


def sm2_vectors(tmp):
    """SM2 through the OpenSSL CLI: SM2DSA with SM3 and the default user id of GB/T 32918
    (1234567812345678, given explicitly: OpenSSL 3's own default is empty); SM2
    encryption, DER C1C3C2."""
    key_pem = os.path.join(tmp, "sm2.pem")
    openssl("genpkey", "-algorithm", "SM2", "-out", key_pem)
    der = openssl("pkcs8", "-topk8", "-nocrypt", "-in", key_pem, "-outform", "DER")
    spki = openssl("pkey", "-in", key_pem, "-pubout", "-outform", "DER")
    pub_pem = os.path.join(tmp, "sm2.pub.pem")
    openssl("pkey", "-in", key_pem, "-pubout", "-out", pub_pem)
    msg = os.path.join(tmp, "msg")
    with open(msg, "wb") as f:
        f.write(MESSAGE)
    distid = ("-sigopt", "distid:1234567812345678")
    sig = openssl("dgst", "-sm3", "-sign", key_pem, *distid, msg)
    sig_file = os.path.join(tmp, "sig")
    with open(sig_file, "wb") as f:
        f.write(sig)
    assert b"Verified OK" in openssl("dgst", "-sm3", "-verify", pub_pem, "-signature", sig_file, *distid, msg)
    plaintext = os.urandom(48)
    ct = openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", pub_pem, data=plaintext)
    assert openssl("pkeyutl", "-decrypt", "-inkey", key_pem, data=ct) == plaintext
    return dict(
        spec="SM2",
        pkcs8_hex=der.hex(),
        spki_hex=spki.hex(),
        signatures=[dict(algorithm="SM2DSA", message_type="RAW", message_hex=MESSAGE.hex(), signature_hex=sig.hex())],
        ciphertexts=[dict(algorithm="SM2PKE", plaintext_hex=plaintext.hex(), ciphertext_hex=ct.hex())],
    )


def hmac_vectors():
    out = []
    for spec, name, length in [
        ("HMAC_224", "sha224", 28),
        ("HMAC_256", "sha256", 32),
        ("HMAC_384", "sha384", 48),
        ("HMAC_512", "sha512", 64),
        ("HMAC_SM3", "sm3", 32),
    ]:
        key = os.urandom(length)
        out.append(
            dict(
                spec=spec,
                key_hex=key.hex(),
                message_hex=MESSAGE.hex(),
                mac_hex=hmac.new(key, MESSAGE, lambda name=name: hashlib.new(name)).hexdigest(),
            )
        )
    return out


def key_wrap_vector(pkcs8_der):
    """RFC 5649 of a private key under a temporary AES-256 key, as Huawei's import guide
    makes the second layer (`openssl enc -id-aes256-wrap-pad`)."""
    temporary = os.urandom(32)
    wrapped = openssl("enc", "-id-aes256-wrap-pad", "-iv", "A65959A6", "-K", temporary.hex(), data=pkcs8_der)
    back = openssl("enc", "-d", "-id-aes256-wrap-pad", "-iv", "A65959A6", "-K", temporary.hex(), data=wrapped)
    assert back == pkcs8_der
    return dict(temporary_key_hex=temporary.hex(), pkcs8_hex=pkcs8_der.hex(), wrapped_hex=wrapped.hex())


def main():
    with tempfile.TemporaryDirectory() as tmp:
        keys = [
            rsa_vectors(2048),
            rsa_vectors(3072),
            rsa_vectors(4096),
            ecdsa_vectors("ECC_NIST_P256", ec.SECP256R1(), hashes.SHA256, "ECDSA_SHA_256", bytes.fromhex("06082a8648ce3d030107")),
            ecdsa_vectors("ECC_NIST_P384", ec.SECP384R1(), hashes.SHA384, "ECDSA_SHA_384", bytes.fromhex("06052b81040022")),
            ecdsa_vectors("ECC_NIST_P521", ec.SECP521R1(), hashes.SHA512, "ECDSA_SHA_512", bytes.fromhex("06052b81040023")),
            ecdsa_vectors("ECC_SECG_P256K1", ec.SECP256K1(), hashes.SHA256, "ECDSA_SHA_256", bytes.fromhex("06052b8104000a")),
            ed25519_vectors(),
            sm2_vectors(tmp),
        ]
        x25519 = openssl("genpkey", "-algorithm", "X25519", "-outform", "DER")
        rsa1024 = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(**PKCS8)
        p256 = bytes.fromhex(keys[3]["pkcs8_hex"])
        out = dict(
            generator="make_asymmetric_vectors.py (cryptography, hmac/hashlib, openssl CLI)",
            keys=keys,
            hmac=hmac_vectors(),
            # PKCS#8 keys no spec takes: another algorithm, and an RSA modulus too small.
            x25519_pkcs8_hex=x25519.hex(),
            rsa_1024_pkcs8_hex=rsa1024.hex(),
            key_wrap=key_wrap_vector(p256),
        )
    path = os.path.join(HERE, "asymmetric_vectors.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
