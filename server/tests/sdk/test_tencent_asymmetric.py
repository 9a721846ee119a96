"""Tencent and non-symmetric keys through tencentcloud-sdk-python-kms (issue #16): Tencent imports
symmetric material only, so an EXTERNAL key of an asymmetric usage is refused at CreateKey; the
generated asymmetric keys are not emulated (UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion)
and the asymmetric actions answer UnsupportedOperation."""

from __future__ import annotations

import pytest

from kmsgate_tencent import b64, call, create_external, params_for, raises_code

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


def test_generated_asymmetric_keys_are_not_emulated(tc):
    with raises_code("UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion"):
        call(tc, "CreateKey", Alias="asym-generated", KeyUsage="ASYMMETRIC_SIGN_VERIFY_ECC")
    key = call(tc, "CreateKey", Alias="sym-generated")["KeyId"]
    with raises_code("UnsupportedOperation"):
        call(tc, "GetPublicKey", KeyId=key)
    with raises_code("UnsupportedOperation"):
        call(tc, "SignByAsymmetricKey", KeyId=key, Algorithm="ECC_P256_R1", Message=b64(b"x" * 32),
             MessageType="DIGEST")
