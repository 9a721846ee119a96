"""Tencent and non-symmetric keys through tencentcloud-sdk-python-kms (issue #16): Tencent imports
symmetric material only, so an EXTERNAL key of an asymmetric usage is refused at CreateKey; generated
asymmetric keys sign (checked by `cryptography`) and decrypt ciphertexts made outside."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

import kmsgate_wrap
from kmsgate_tencent import b64, call, create_external, params_for, raises_code

needs_openssl = pytest.mark.skipif(kmsgate_wrap.openssl_path() is None, reason="openssl is not on PATH")

ASYMMETRIC_USAGES = (
    "ASYMMETRIC_DECRYPT_RSA_2048",
    "ASYMMETRIC_DECRYPT_SM2",
    "ASYMMETRIC_SIGN_VERIFY_SM2",
    "ASYMMETRIC_SIGN_VERIFY_RSA_2048",
    "ASYMMETRIC_SIGN_VERIFY_ECC",
    "ASYMMETRIC_SIGN_VERIFY_ECDSA384",
)


@pytest.mark.parametrize("usage", ASYMMETRIC_USAGES)
def test_external_keys_are_symmetric_only(tc, usage):
    with raises_code("InvalidParameterValue.InvalidKeyUsage") as info:
        call(tc, "CreateKey", Alias=f"asym-{usage.lower().replace('_', '-')}", KeyUsage=usage, Type=2)
    assert "EXTERNAL" in info.value.get_message()
    # nothing was created: the alias is still free
    key = create_external(tc, alias=f"asym-{usage.lower().replace('_', '-')}")
    assert params_for(tc, key)["KeyId"] == key


def test_generated_signing_keys_sign_and_cryptography_agrees(tc):
    key = call(tc, "CreateKey", Alias="ecc-signer", KeyUsage="ASYMMETRIC_SIGN_VERIFY_ECC")["KeyId"]
    assert call(tc, "DescribeKey", KeyId=key)["KeyMetadata"]["KeyUsage"] == "ASYMMETRIC_SIGN_VERIFY_ECC"
    public = call(tc, "GetPublicKey", KeyId=key)
    pem = serialization.load_pem_public_key(public["PublicKeyPem"].encode())
    der = serialization.load_der_public_key(base64.b64decode(public["PublicKey"]))
    assert pem.public_numbers() == der.public_numbers()
    message = b"signed by kmsgate-tencent"
    # MessageType defaults to RAW on Tencent
    sig = base64.b64decode(call(tc, "SignByAsymmetricKey", KeyId=key, Algorithm="ECC_P256_R1",
                                Message=b64(message))["Signature"])
    pem.verify(sig, message, ec.ECDSA(hashes.SHA256()))
    assert call(tc, "VerifyByAsymmetricKey", KeyId=key, Algorithm="ECC_P256_R1", Message=b64(message),
                SignatureValue=b64(sig))["SignatureValid"] is True
    assert call(tc, "VerifyByAsymmetricKey", KeyId=key, Algorithm="ECC_P256_R1", Message=b64(b"other"),
                SignatureValue=b64(sig))["SignatureValid"] is False
    digest = hashlib.sha256(message).digest()
    sig = base64.b64decode(call(tc, "SignByAsymmetricKey", KeyId=key, Algorithm="ECC_P256_R1",
                                Message=b64(digest), MessageType="DIGEST")["Signature"])
    pem.verify(sig, message, ec.ECDSA(hashes.SHA256()))

    rsa_key = call(tc, "CreateKey", Alias="rsa-signer", KeyUsage="ASYMMETRIC_SIGN_VERIFY_RSA_2048")["KeyId"]
    rsa_public = serialization.load_pem_public_key(call(tc, "GetPublicKey", KeyId=rsa_key)["PublicKeyPem"].encode())
    sig = base64.b64decode(call(tc, "SignByAsymmetricKey", KeyId=rsa_key, Algorithm="RSA_PSS_SHA_256",
                                Message=b64(message))["Signature"])
    rsa_public.verify(sig, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    with raises_code("InvalidParameterValue"):
        call(tc, "SignByAsymmetricKey", KeyId=rsa_key, Algorithm="SM2DSA", Message=b64(message))
    with raises_code("UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion"):
        call(tc, "CreateKey", Alias="ecdsa384", KeyUsage="ASYMMETRIC_SIGN_VERIFY_ECDSA384")
    algorithms = call(tc, "ListAlgorithms")
    assert {"KeyUsage": "ASYMMETRIC_SIGN_VERIFY_SM2", "Algorithm": "SM2"} in algorithms["AsymmetricSignVerifyAlgorithms"]


def test_generated_decryption_keys_open_ciphertexts_made_outside(tc):
    key = call(tc, "CreateKey", Alias="rsa-decrypt", KeyUsage="ASYMMETRIC_DECRYPT_RSA_2048")["KeyId"]
    public = serialization.load_pem_public_key(call(tc, "GetPublicKey", KeyId=key)["PublicKeyPem"].encode())
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    out = call(tc, "AsymmetricRsaDecrypt", KeyId=key, Algorithm="RSAES_OAEP_SHA_256",
               Ciphertext=b64(public.encrypt(b"hello rsa", oaep)))
    assert (out["KeyId"], base64.b64decode(out["Plaintext"])) == (key, b"hello rsa")
    with raises_code("InvalidParameterValue.InvalidKeyUsage"):
        call(tc, "SignByAsymmetricKey", KeyId=key, Algorithm="RSA_PSS_SHA_256", Message=b64(b"x"))


@needs_openssl
def test_generated_sm2_key_opens_openssl_ciphertexts(tc):
    key = call(tc, "CreateKey", Alias="sm2-decrypt", KeyUsage="ASYMMETRIC_DECRYPT_SM2")["KeyId"]
    der = base64.b64decode(call(tc, "GetPublicKey", KeyId=key)["PublicKey"])
    ciphertext = kmsgate_wrap.openssl_sm2_encrypt(der, b"hello sm2")  # C1C3C2 in ASN.1
    out = call(tc, "AsymmetricSm2Decrypt", KeyId=key, Ciphertext=b64(ciphertext))
    assert base64.b64decode(out["Plaintext"]) == b"hello sm2"
