#!/usr/bin/env python3
"""Generate independent RSA key-wrapping test vectors for kmsgate.

Written against the `cryptography` package and the `openssl` CLI only, so the
vectors do not depend on the Rust implementation under test.  Every vector is
decrypted again with `cryptography` before the JSON is written.

Usage: python3 make_wrapping_vectors.py  (writes wrapping_vectors.json next to this file)
"""
import json
import os
import subprocess
import tempfile

import cryptography
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import (
    aes_key_unwrap_with_padding,
    aes_key_wrap_with_padding,
)

OPENSSL = "/usr/bin/openssl"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrapping_vectors.json")
KEY_SPECS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
MATERIAL_LENGTHS = (32, 16)
HASHES = {"SHA1": hashes.SHA1, "SHA256": hashes.SHA256}
OSSL_MD = {"SHA1": "sha1", "SHA256": "sha256"}


def oaep(md, mgf1):
    return padding.OAEP(mgf=padding.MGF1(algorithm=HASHES[mgf1]()), algorithm=HASHES[md](), label=None)


def run(args):
    subprocess.run(args, check=True, capture_output=True)


def openssl_oaep(tmp, pub_der_path, data, md):
    inp = os.path.join(tmp, "in.bin")
    out = os.path.join(tmp, "rsa.bin")
    with open(inp, "wb") as f:
        f.write(data)
    run([OPENSSL, "pkeyutl", "-encrypt", "-in", inp, "-out", out, "-inkey", pub_der_path,
         "-keyform", "DER", "-pubin",
         "-pkeyopt", "rsa_padding_mode:oaep",
         "-pkeyopt", f"rsa_oaep_md:{OSSL_MD[md]}",
         "-pkeyopt", f"rsa_mgf1_md:{OSSL_MD[md]}"])
    with open(out, "rb") as f:
        return f.read()


def openssl_kwp(tmp, kek, material):
    inp = os.path.join(tmp, "material.bin")
    out = os.path.join(tmp, "kwp.bin")
    with open(inp, "wb") as f:
        f.write(material)
    run([OPENSSL, "enc", "-id-aes256-wrap-pad", "-K", kek.hex(), "-iv", "A65959A6",
         "-in", inp, "-out", out])
    with open(out, "rb") as f:
        return f.read()


def decrypt(priv, v):
    wrapped = bytes.fromhex(v["wrapped_hex"])
    k = priv.key_size // 8
    alg = v["wrapping_algorithm"]
    if alg == "RSAES_PKCS1_V1_5":
        return priv.decrypt(wrapped, padding.PKCS1v15())
    if alg in ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"):
        md = "SHA1" if alg.endswith("SHA_1") else "SHA256"
        return priv.decrypt(wrapped, oaep(md, v["mgf1"]))
    if alg in ("RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"):
        md = "SHA1" if alg.endswith("SHA_1") else "SHA256"
        assert len(wrapped) > k
        kek = priv.decrypt(wrapped[:k], oaep(md, v["mgf1"]))
        assert len(kek) == 32
        return aes_key_unwrap_with_padding(kek, wrapped[k:])
    raise ValueError(alg)


def main():
    ossl_version = subprocess.run([OPENSSL, "version"], check=True, capture_output=True,
                                  text=True).stdout.strip()
    doc = {
        "generator": (f"kms-core/tests/data/make_wrapping_vectors.py; python cryptography "
                      f"{cryptography.__version__}; {ossl_version}"),
        "rsa_keys": {},
        "vectors": [],
    }
    privs = {}
    seen_material = set()

    def fresh(n):
        while True:
            m = os.urandom(n)
            if m not in seen_material:
                seen_material.add(m)
                return m

    def add(spec, alg, mgf1, tool, material, wrapped):
        doc["vectors"].append({
            "wrapping_key_spec": spec, "wrapping_algorithm": alg, "mgf1": mgf1,
            "tool": tool, "material_hex": material.hex(), "wrapped_hex": wrapped.hex(),
        })

    with tempfile.TemporaryDirectory() as tmp:
        for spec, bits in KEY_SPECS.items():
            priv = rsa.generate_private_key(public_exponent=65537, key_size=bits)
            privs[spec] = priv
            pub = priv.public_key()
            doc["rsa_keys"][spec] = priv.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()).hex()
            pub_der_path = os.path.join(tmp, "pub.der")
            with open(pub_der_path, "wb") as f:
                f.write(pub.public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo))

            for n in MATERIAL_LENGTHS:
                m = fresh(n)
                add(spec, "RSAES_PKCS1_V1_5", None, "cryptography", m, pub.encrypt(m, padding.PKCS1v15()))
                m = fresh(n)
                add(spec, "RSAES_OAEP_SHA_1", "SHA1", "cryptography", m, pub.encrypt(m, oaep("SHA1", "SHA1")))
                m = fresh(n)
                add(spec, "RSAES_OAEP_SHA_256", "SHA256", "cryptography", m, pub.encrypt(m, oaep("SHA256", "SHA256")))
                # Java default "RSA/ECB/OAEPWithSHA-256AndMGF1Padding": SHA-256 digest, MGF1-SHA-1.
                m = fresh(n)
                add(spec, "RSAES_OAEP_SHA_256", "SHA1", "cryptography", m, pub.encrypt(m, oaep("SHA256", "SHA1")))
                for md, alg in (("SHA1", "RSA_AES_KEY_WRAP_SHA_1"), ("SHA256", "RSA_AES_KEY_WRAP_SHA_256")):
                    m = fresh(n)
                    kek = os.urandom(32)
                    wrapped = pub.encrypt(kek, oaep(md, md)) + aes_key_wrap_with_padding(kek, m)
                    add(spec, alg, md, "cryptography", m, wrapped)

            # openssl CLI, one vector per algorithm per key size
            # (AWS developer guide recipe for the RSA_AES_KEY_WRAP variants).
            for md, alg, n in (("SHA1", "RSA_AES_KEY_WRAP_SHA_1", 16), ("SHA256", "RSA_AES_KEY_WRAP_SHA_256", 32)):
                m = fresh(n)
                kek = os.urandom(32)
                kwp = openssl_kwp(tmp, kek, m)
                assert kwp == aes_key_wrap_with_padding(kek, m), "openssl KWP differs from cryptography"
                rsa_part = openssl_oaep(tmp, pub_der_path, kek, md)
                add(spec, alg, md, "openssl", m, rsa_part + kwp)
            for md, alg, n in (("SHA1", "RSAES_OAEP_SHA_1", 32), ("SHA256", "RSAES_OAEP_SHA_256", 16)):
                m = fresh(n)
                add(spec, alg, md, "openssl", m, openssl_oaep(tmp, pub_der_path, m, md))

    # Verify every vector with the private key before writing anything.
    for i, v in enumerate(doc["vectors"]):
        priv = privs[v["wrapping_key_spec"]]
        got = decrypt(priv, v)
        assert got == bytes.fromhex(v["material_hex"]), f"vector {i} failed to round-trip"
        assert len(got) in MATERIAL_LENGTHS

    tmp_out = OUT + ".tmp"
    with open(tmp_out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp_out, OUT)
    print(f"wrote {len(doc['vectors'])} vectors to {OUT}")


if __name__ == "__main__":
    main()
