"""Asymmetric and HMAC keys through boto3 and the AWS CLI (issue #16): RSA, ECC and HMAC material
made with `openssl genpkey` / `openssl rand` and wrapped with the developer guide's openssl
recipes, then Sign/Verify, OAEP Encrypt/Decrypt and GenerateMac/VerifyMac, every result checked
by an independent implementation (`cryptography`, `hmac`); generated keys of every spec; and the
refusals AWS documents, with AWS's codes."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.exceptions import InvalidSignature

import kmsgate_asymmetric as a
import kmsgate_wrap as w
from kmsgate_sdk import arn_of, describe, raises_code

pytestmark = pytest.mark.skipif(w.openssl_path() is None, reason="openssl is not on PATH")

MESSAGE = b"kmsgate signs this message"


def _create(kms, spec, usage, origin="AWS_KMS", **kw):
    return kms.create_key(KeySpec=spec, KeyUsage=usage, Origin=origin, **kw)["KeyMetadata"]


def _import(kms, key_id, material, algorithm, wrap, wrapping_spec="RSA_4096"):
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=wrapping_spec
    )
    return kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], material),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )


def _sign_and_check(kms, key_id, spki, algorithm, message_types=("RAW", "DIGEST")):
    for message_type in message_types:
        message = MESSAGE if message_type == "RAW" else a.digest(algorithm, MESSAGE)
        signed = kms.sign(
            KeyId=key_id, Message=message, MessageType=message_type, SigningAlgorithm=algorithm
        )
        assert signed["SigningAlgorithm"] == algorithm
        assert signed["KeyId"].endswith(":key/" + key_id.split("/")[-1])
        a.verify_outside(spki, algorithm, message, signed["Signature"], message_type)
        verified = kms.verify(
            KeyId=key_id,
            Message=message,
            MessageType=message_type,
            Signature=signed["Signature"],
            SigningAlgorithm=algorithm,
        )
        assert verified["SignatureValid"] is True
        assert verified["SigningAlgorithm"] == algorithm
    return signed["Signature"]


# ---- imported material, boto3 ----------------------------------------------------------------


def test_import_rsa_2048_with_rsa_aes_key_wrap_then_sign(kms, account):
    pkcs8, spki = a.genpkey("RSA_2048")
    meta = _create(kms, "RSA_2048", "SIGN_VERIFY", "EXTERNAL", Description="openssl RSA")
    key_id = meta["KeyId"]
    assert (meta["KeyState"], meta["KeySpec"], meta["CustomerMasterKeySpec"]) == (
        "PendingImport", "RSA_2048", "RSA_2048")
    assert meta["SigningAlgorithms"] == a.SIGNING["RSA_2048"]
    assert "EncryptionAlgorithms" not in meta and "MacAlgorithms" not in meta

    resp = _import(kms, key_id, pkcs8, "RSA_AES_KEY_WRAP_SHA_256",
                   w.openssl_rsa_aes_key_wrap_sha256)
    assert resp["KeyId"] == arn_of("us-east-1", account, key_id)
    after = describe(kms, key_id)
    assert after["KeyState"] == "Enabled" and after["KeyUsage"] == "SIGN_VERIFY"
    assert after["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"

    public = kms.get_public_key(KeyId=key_id)
    assert public["PublicKey"] == spki
    assert (public["KeySpec"], public["CustomerMasterKeySpec"], public["KeyUsage"]) == (
        "RSA_2048", "RSA_2048", "SIGN_VERIFY")
    assert public["SigningAlgorithms"] == a.SIGNING["RSA_2048"]
    assert "EncryptionAlgorithms" not in public

    for algorithm in a.SIGNING["RSA_2048"]:
        signature = _sign_and_check(kms, key_id, spki, algorithm)
    with raises_code("KMSInvalidSignatureException"):
        kms.verify(KeyId=key_id, Message=b"another message", MessageType="RAW",
                   Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_512")

    # Deleting the material leaves the key waiting for the same material, as AWS does.
    kms.delete_imported_key_material(KeyId=key_id)
    assert describe(kms, key_id)["KeyState"] == "PendingImport"
    with raises_code("KMSInvalidStateException"):
        kms.sign(KeyId=key_id, Message=MESSAGE, MessageType="RAW",
                 SigningAlgorithm="RSASSA_PSS_SHA_256")
    _import(kms, key_id, pkcs8, "RSA_AES_KEY_WRAP_SHA_1",
            lambda pub, m: w.wrap_material(pub, "RSA_AES_KEY_WRAP_SHA_1", m), "RSA_3072")
    assert kms.get_public_key(KeyId=key_id)["PublicKey"] == spki


def test_import_rsa_2048_for_encryption_then_oaep(kms):
    pkcs8, spki = a.genpkey("RSA_2048")
    key_id = _create(kms, "RSA_2048", "ENCRYPT_DECRYPT", "EXTERNAL")["KeyId"]
    _import(kms, key_id, pkcs8, "RSA_AES_KEY_WRAP_SHA_256", w.openssl_rsa_aes_key_wrap_sha256)
    meta = describe(kms, key_id)
    assert meta["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    assert "SigningAlgorithms" not in meta
    public = kms.get_public_key(KeyId=key_id)
    assert public["PublicKey"] == spki
    assert public["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    for algorithm in ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"):
        plaintext = os.urandom(100)
        outside = a.oaep_encrypt_outside(spki, algorithm, plaintext)
        dec = kms.decrypt(KeyId=key_id, CiphertextBlob=outside, EncryptionAlgorithm=algorithm)
        assert dec["Plaintext"] == plaintext
        assert dec["EncryptionAlgorithm"] == algorithm
        enc = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionAlgorithm=algorithm)
        assert enc["EncryptionAlgorithm"] == algorithm
        assert len(enc["CiphertextBlob"]) == 256
        back = kms.decrypt(KeyId=key_id, CiphertextBlob=enc["CiphertextBlob"],
                           EncryptionAlgorithm=algorithm)
        assert back["Plaintext"] == plaintext


def test_import_ecc_nist_p256_with_oaep_then_sign(kms):
    pkcs8, spki = a.genpkey("ECC_NIST_P256")
    key_id = _create(kms, "ECC_NIST_P256", "SIGN_VERIFY", "EXTERNAL")["KeyId"]
    _import(kms, key_id, pkcs8, "RSAES_OAEP_SHA_256", w.openssl_oaep_sha256, "RSA_2048")
    assert describe(kms, key_id)["SigningAlgorithms"] == ["ECDSA_SHA_256"]
    assert kms.get_public_key(KeyId=key_id)["PublicKey"] == spki
    signature = _sign_and_check(kms, key_id, spki, "ECDSA_SHA_256")
    with pytest.raises(InvalidSignature):
        a.verify_outside(spki, "ECDSA_SHA_256", b"tampered", signature)
    with raises_code("KMSInvalidSignatureException"):
        kms.verify(KeyId=key_id, Message=b"tampered", MessageType="RAW",
                   Signature=signature, SigningAlgorithm="ECDSA_SHA_256")


def test_import_hmac_256_then_mac(kms):
    material = a.openssl_rand(32)
    meta = _create(kms, "HMAC_256", "GENERATE_VERIFY_MAC", "EXTERNAL")
    assert meta["MacAlgorithms"] == ["HMAC_SHA_256"]
    assert "EncryptionAlgorithms" not in meta
    key_id = meta["KeyId"]
    _import(kms, key_id, material, "RSAES_OAEP_SHA_256", w.openssl_oaep_sha256)
    mac = kms.generate_mac(KeyId=key_id, Message=MESSAGE, MacAlgorithm="HMAC_SHA_256")
    assert mac["MacAlgorithm"] == "HMAC_SHA_256"
    assert mac["Mac"] == a.hmac_outside("HMAC_SHA_256", material, MESSAGE)
    ok = kms.verify_mac(KeyId=key_id, Message=MESSAGE, MacAlgorithm="HMAC_SHA_256",
                        Mac=mac["Mac"])
    assert ok["MacValid"] is True
    with raises_code("KMSInvalidMacException"):
        kms.verify_mac(KeyId=key_id, Message=b"other", MacAlgorithm="HMAC_SHA_256",
                       Mac=mac["Mac"])
    with raises_code("InvalidKeyUsageException"):
        kms.generate_mac(KeyId=key_id, Message=MESSAGE, MacAlgorithm="HMAC_SHA_512")
    with raises_code("UnsupportedOperationException"):
        kms.get_public_key(KeyId=key_id)


# ---- imported material, the AWS CLI ----------------------------------------------------------


@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P256", "HMAC_256"])
def test_cli_imports_and_uses_openssl_material(server, tmp_path, spec):
    from test_aws_cli import Cli
    from kmsgate_sdk import random_account

    cli = Cli(server.endpoint, "us-east-1", tmp_path, random_account())
    wd = cli.wd
    if spec == "HMAC_256":
        material, spki, usage = a.openssl_rand(32), None, "GENERATE_VERIFY_MAC"
        algorithm, wrap = "RSAES_OAEP_SHA_256", w.openssl_oaep_sha256
    elif spec == "RSA_2048":
        (material, spki), usage = a.genpkey(spec), "SIGN_VERIFY"
        algorithm, wrap = "RSA_AES_KEY_WRAP_SHA_256", w.openssl_rsa_aes_key_wrap_sha256
    else:
        (material, spki), usage = a.genpkey(spec), "SIGN_VERIFY"
        algorithm, wrap = "RSAES_OAEP_SHA_256", w.openssl_oaep_sha256
    key_id = cli.json("create-key", "--origin", "EXTERNAL", "--key-spec", spec,
                      "--key-usage", usage)["KeyMetadata"]["KeyId"]
    params = cli.json("get-parameters-for-import", "--key-id", key_id,
                      "--wrapping-algorithm", algorithm, "--wrapping-key-spec", "RSA_4096")
    (wd / "WrappingPublicKey.bin").write_bytes(base64.b64decode(params["PublicKey"]))
    (wd / "ImportToken.bin").write_bytes(base64.b64decode(params["ImportToken"]))
    (wd / "EncryptedKeyMaterial.bin").write_bytes(
        wrap((wd / "WrappingPublicKey.bin").read_bytes(), material))
    cli.json("import-key-material", "--key-id", key_id,
             "--encrypted-key-material", "fileb://EncryptedKeyMaterial.bin",
             "--import-token", "fileb://ImportToken.bin",
             "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert cli.json("describe-key", "--key-id", key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    (wd / "message.bin").write_bytes(MESSAGE)
    if spec == "HMAC_256":
        mac = cli.json("generate-mac", "--key-id", key_id, "--message", "fileb://message.bin",
                       "--mac-algorithm", "HMAC_SHA_256")["Mac"]
        assert base64.b64decode(mac) == a.hmac_outside("HMAC_SHA_256", material, MESSAGE)
        (wd / "mac.bin").write_bytes(base64.b64decode(mac))
        ok = cli.json("verify-mac", "--key-id", key_id, "--message", "fileb://message.bin",
                      "--mac-algorithm", "HMAC_SHA_256", "--mac", "fileb://mac.bin")
        assert ok["MacValid"] is True
        return
    algorithm = a.SIGNING[spec][-1]
    public = cli.json("get-public-key", "--key-id", key_id)
    assert base64.b64decode(public["PublicKey"]) == spki
    signed = cli.json("sign", "--key-id", key_id, "--message", "fileb://message.bin",
                      "--message-type", "RAW", "--signing-algorithm", algorithm)
    signature = base64.b64decode(signed["Signature"])
    a.verify_outside(spki, algorithm, MESSAGE, signature)
    (wd / "signature.bin").write_bytes(signature)
    ok = cli.json("verify", "--key-id", key_id, "--message", "fileb://message.bin",
                  "--message-type", "RAW", "--signing-algorithm", algorithm,
                  "--signature", "fileb://signature.bin")
    assert ok["SignatureValid"] is True
    bad = cli.run("verify", "--key-id", key_id, "--message", "fileb://WrappingPublicKey.bin",
                  "--message-type", "RAW", "--signing-algorithm", algorithm,
                  "--signature", "fileb://signature.bin", check=False)
    assert bad.returncode != 0 and "KMSInvalidSignatureException" in bad.stderr


# ---- generated keys of every spec ------------------------------------------------------------


@pytest.mark.parametrize("spec", list(a.SIGNING))
def test_generated_signing_keys_sign_and_verify(kms, spec):
    meta = _create(kms, spec, "SIGN_VERIFY")
    assert meta["KeyState"] == "Enabled" and meta["Origin"] == "AWS_KMS"
    assert meta["SigningAlgorithms"] == a.SIGNING[spec]
    key_id = meta["KeyId"]
    spki = kms.get_public_key(KeyId=key_id)["PublicKey"]
    for algorithm in a.SIGNING[spec]:
        # Ed25519 signs whole messages only (ED25519_SHA_512 takes MessageType RAW).
        types = ("RAW",) if spec == "ECC_NIST_EDWARDS25519" else ("RAW", "DIGEST")
        _sign_and_check(kms, key_id, spki, algorithm, types)


@pytest.mark.parametrize("spec", list(a.MAC))
def test_generated_hmac_keys(kms, spec):
    meta = _create(kms, spec, "GENERATE_VERIFY_MAC")
    algorithm = a.MAC[spec]
    assert meta["MacAlgorithms"] == [algorithm]
    mac = kms.generate_mac(KeyId=meta["KeyId"], Message=MESSAGE, MacAlgorithm=algorithm)["Mac"]
    assert len(mac) == a.hash_of(algorithm).digest_size
    assert kms.verify_mac(KeyId=meta["KeyId"], Message=MESSAGE, MacAlgorithm=algorithm,
                          Mac=mac)["MacValid"]


@pytest.mark.parametrize("spec", ["RSA_2048", "RSA_3072", "RSA_4096"])
def test_generated_rsa_encryption_keys(kms, spec):
    key_id = _create(kms, spec, "ENCRYPT_DECRYPT")["KeyId"]
    spki = kms.get_public_key(KeyId=key_id)["PublicKey"]
    for algorithm in ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"):
        outside = a.oaep_encrypt_outside(spki, algorithm, b"made outside")
        assert kms.decrypt(KeyId=key_id, CiphertextBlob=outside,
                           EncryptionAlgorithm=algorithm)["Plaintext"] == b"made outside"


def test_sm2_keys_in_china(kms_cn):
    signing = _create(kms_cn, "SM2", "SIGN_VERIFY")
    assert signing["SigningAlgorithms"] == ["SM2DSA"]
    sig = kms_cn.sign(KeyId=signing["KeyId"], Message=MESSAGE, MessageType="RAW",
                      SigningAlgorithm="SM2DSA")["Signature"]
    assert kms_cn.verify(KeyId=signing["KeyId"], Message=MESSAGE, MessageType="RAW",
                         Signature=sig, SigningAlgorithm="SM2DSA")["SignatureValid"]
    encrypting = _create(kms_cn, "SM2", "ENCRYPT_DECRYPT")
    assert encrypting["EncryptionAlgorithms"] == ["SM2PKE"]
    ct = kms_cn.encrypt(KeyId=encrypting["KeyId"], Plaintext=b"sm2 secret",
                        EncryptionAlgorithm="SM2PKE")["CiphertextBlob"]
    assert kms_cn.decrypt(KeyId=encrypting["KeyId"], CiphertextBlob=ct,
                          EncryptionAlgorithm="SM2PKE")["Plaintext"] == b"sm2 secret"


def test_reencrypt_between_rsa_and_symmetric_keys(kms):
    rsa_key = _create(kms, "RSA_2048", "ENCRYPT_DECRYPT")["KeyId"]
    sym_key = kms.create_key()["KeyMetadata"]["KeyId"]
    ct = kms.encrypt(KeyId=rsa_key, Plaintext=b"moving", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    moved = kms.re_encrypt(CiphertextBlob=ct["CiphertextBlob"], SourceKeyId=rsa_key,
                           SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
                           DestinationKeyId=sym_key)
    assert moved["SourceEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    assert moved["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"] == b"moving"
    back = kms.re_encrypt(CiphertextBlob=moved["CiphertextBlob"], DestinationKeyId=rsa_key,
                          DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert kms.decrypt(KeyId=rsa_key, CiphertextBlob=back["CiphertextBlob"],
                       EncryptionAlgorithm="RSAES_OAEP_SHA_1")["Plaintext"] == b"moving"


# ---- refusals --------------------------------------------------------------------------------


def test_create_key_refusals(kms):
    with raises_code("ValidationException"):
        kms.create_key(KeySpec="HMAC_256")  # KeyUsage is required for all but symmetric keys
    with raises_code("ValidationException"):
        kms.create_key(KeySpec="RSA_2048", KeyUsage="GENERATE_VERIFY_MAC")
    with raises_code("ValidationException"):
        kms.create_key(KeySpec="ECC_SECG_P256K1", KeyUsage="ENCRYPT_DECRYPT")
    with raises_code("ValidationException"):
        kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="SIGN_VERIFY")
    with raises_code("ValidationException"):
        kms.create_key(KeySpec="SM2", KeyUsage="SIGN_VERIFY")  # China regions only
    with raises_code("ValidationException"):
        kms.create_key(KeySpec="RSA_2048", CustomerMasterKeySpec="RSA_2048",
                       KeyUsage="SIGN_VERIFY")
    legacy = kms.create_key(CustomerMasterKeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")
    assert legacy["KeyMetadata"]["KeySpec"] == "ECC_NIST_P384"


def test_wrong_usage_and_wrong_algorithm(kms):
    sym = kms.create_key()["KeyMetadata"]["KeyId"]
    signing = _create(kms, "ECC_NIST_P256", "SIGN_VERIFY")["KeyId"]
    encrypting = _create(kms, "RSA_2048", "ENCRYPT_DECRYPT")["KeyId"]
    hmac_key = _create(kms, "HMAC_224", "GENERATE_VERIFY_MAC")["KeyId"]
    with raises_code("InvalidKeyUsageException") as e:
        kms.sign(KeyId=encrypting, Message=MESSAGE, MessageType="RAW",
                 SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert "key usage is ENCRYPT_DECRYPT which is not valid for Sign" in str(e.value)
    with raises_code("InvalidKeyUsageException"):
        kms.encrypt(KeyId=signing, Plaintext=b"x")
    with raises_code("InvalidKeyUsageException"):
        kms.generate_mac(KeyId=sym, Message=MESSAGE, MacAlgorithm="HMAC_SHA_224")
    with raises_code("InvalidKeyUsageException"):
        kms.generate_data_key(KeyId=encrypting, KeySpec="AES_256")
    with raises_code("InvalidKeyUsageException") as e:
        kms.encrypt(KeyId=encrypting, Plaintext=b"x")  # SYMMETRIC_DEFAULT by default
    assert "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048" in str(e.value)
    with raises_code("InvalidKeyUsageException"):
        kms.encrypt(KeyId=sym, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    with raises_code("InvalidKeyUsageException"):
        kms.sign(KeyId=signing, Message=MESSAGE, MessageType="RAW",
                 SigningAlgorithm="ECDSA_SHA_384")
    with raises_code("InvalidKeyUsageException"):
        kms.generate_mac(KeyId=hmac_key, Message=MESSAGE, MacAlgorithm="HMAC_SHA_256")
    with raises_code("UnsupportedOperationException"):
        kms.get_public_key(KeyId=sym)
    # A symmetric ciphertext, decrypted naming a key that cannot decrypt it.
    blob = kms.encrypt(KeyId=sym, Plaintext=b"x")["CiphertextBlob"]
    with raises_code("IncorrectKeyException"):
        kms.decrypt(CiphertextBlob=blob, KeyId=hmac_key)


def test_digest_and_ciphertext_errors(kms):
    signing = _create(kms, "ECC_NIST_P256", "SIGN_VERIFY")["KeyId"]
    with raises_code("ValidationException") as e:
        kms.sign(KeyId=signing, Message=b"not 32 bytes", MessageType="DIGEST",
                 SigningAlgorithm="ECDSA_SHA_256")
    assert "Digest is invalid length for algorithm ECDSA_SHA_256." in str(e.value)
    ed = _create(kms, "ECC_NIST_EDWARDS25519", "SIGN_VERIFY")["KeyId"]
    with raises_code("ValidationException"):
        kms.sign(KeyId=ed, Message=os.urandom(64), MessageType="DIGEST",
                 SigningAlgorithm="ED25519_SHA_512")
    encrypting = _create(kms, "RSA_2048", "ENCRYPT_DECRYPT")["KeyId"]
    with raises_code("ValidationException") as e:
        kms.encrypt(KeyId=encrypting, Plaintext=os.urandom(191),
                    EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert "cannot encrypt data larger than 190 bytes" in str(e.value)
    ct = kms.encrypt(KeyId=encrypting, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    with raises_code("InvalidCiphertextException"):  # an asymmetric ciphertext names no key
        kms.decrypt(CiphertextBlob=ct["CiphertextBlob"])
    with raises_code("InvalidCiphertextException"):
        kms.decrypt(KeyId=encrypting, CiphertextBlob=ct["CiphertextBlob"],
                    EncryptionAlgorithm="RSAES_OAEP_SHA_1")


def test_material_refusals(kms):
    # A P-384 private key is not ECC_NIST_P256 material.
    p384, _ = a.genpkey("ECC_NIST_P384")
    p256_key = _create(kms, "ECC_NIST_P256", "SIGN_VERIFY", "EXTERNAL")["KeyId"]
    with raises_code("IncorrectKeyMaterialException"):
        _import(kms, p256_key, p384, "RSA_AES_KEY_WRAP_SHA_256", w.openssl_rsa_aes_key_wrap_sha256)
    assert describe(kms, p256_key)["KeyState"] == "PendingImport"
    # Nor is an RSA-3072 key RSA_2048 material.
    rsa3072, _ = a.genpkey("RSA_3072")
    rsa_key = _create(kms, "RSA_2048", "SIGN_VERIFY", "EXTERNAL")["KeyId"]
    with raises_code("IncorrectKeyMaterialException"):
        _import(kms, rsa_key, rsa3072, "RSA_AES_KEY_WRAP_SHA_256",
                w.openssl_rsa_aes_key_wrap_sha256)
    # HMAC_256 takes 32 to 64 bytes.
    hmac_key = _create(kms, "HMAC_256", "GENERATE_VERIFY_MAC", "EXTERNAL")["KeyId"]
    with raises_code("IncorrectKeyMaterialException"):
        _import(kms, hmac_key, os.urandom(16), "RSAES_OAEP_SHA_256", w.openssl_oaep_sha256)
    # An RSA private key travels only with RSA_AES_KEY_WRAP_*: OAEP is refused up front.
    for algorithm in ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"):
        with raises_code("ValidationException"):
            kms.get_parameters_for_import(KeyId=rsa_key, WrappingAlgorithm=algorithm,
                                          WrappingKeySpec="RSA_4096")
    # ECC_NIST_P521 material does not fit an RSA_2048 OAEP block.
    p521_key = _create(kms, "ECC_NIST_P521", "SIGN_VERIFY", "EXTERNAL")["KeyId"]
    with raises_code("ValidationException"):
        kms.get_parameters_for_import(KeyId=p521_key, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                      WrappingKeySpec="RSA_2048")


def test_asymmetric_material_never_changes(kms):
    first, _ = a.genpkey("ECC_NIST_P256")
    second, _ = a.genpkey("ECC_NIST_P256")
    key_id = _create(kms, "ECC_NIST_P256", "SIGN_VERIFY", "EXTERNAL")["KeyId"]
    _import(kms, key_id, first, "RSAES_OAEP_SHA_256", w.openssl_oaep_sha256)
    with raises_code("IncorrectKeyMaterialException"):
        _import(kms, key_id, second, "RSAES_OAEP_SHA_256", w.openssl_oaep_sha256)
    # The same material again, under another wrapping algorithm, is accepted.
    _import(kms, key_id, first, "RSAES_OAEP_SHA_1",
            lambda pub, m: w.wrap_material(pub, "RSAES_OAEP_SHA_1", m))
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_4096")
    with raises_code("UnsupportedOperationException", "ValidationException"):
        kms.import_key_material(
            KeyId=key_id, ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=w.wrap_material(params["PublicKey"], "RSAES_OAEP_SHA_256",
                                                 second),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE", ImportType="NEW_KEY_MATERIAL")
